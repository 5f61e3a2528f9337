//! The soundness rule: a started coroutine always resumes on the OS thread that started it,
//! however it is woken (by a plain thread, by coroutines on any worker, by its own timer) and
//! however busy the other workers are.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rungo_runtime::{Unparker, go, park, sleep, yield_now};
use rungo_testkit::Rng;

#[test]
fn started_coroutines_never_change_thread() {
    const COROUTINES: usize = 200;
    const STEPS: u64 = 100;
    let registry = Arc::new(Mutex::new(Vec::<(Arc<AtomicUsize>, Unparker)>::new()));
    let handles: Vec<_> = (0..COROUTINES)
        .map(|i| {
            let registry = registry.clone();
            go!(move || {
                let home = std::thread::current().id();
                let wakes = Arc::new(AtomicUsize::new(0));
                registry
                    .lock()
                    .unwrap()
                    .push((wakes.clone(), Unparker::current()));
                let mut rng = Rng::new(i as u64 + 1);
                for step in 0..STEPS {
                    match rng.below(4) {
                        0 => yield_now(),
                        1 => sleep(Duration::from_micros(rng.below(200))),
                        _ => {
                            // Wait for a wake-up sent by somebody else.
                            let seen = wakes.load(Ordering::Acquire);
                            while wakes.load(Ordering::Acquire) == seen {
                                park();
                            }
                        }
                    }
                    assert_eq!(std::thread::current().id(), home, "moved at step {step}");
                }
            })
        })
        .collect();
    // Wakers: plain threads and coroutines, unparking random registered coroutines until all
    // sleepers are done.
    let finished = Arc::new(AtomicUsize::new(0));
    let waker = |seed: u64| {
        let (registry, finished) = (registry.clone(), finished.clone());
        move || {
            let mut rng = Rng::new(seed);
            while finished.load(Ordering::Acquire) < COROUTINES {
                let target = {
                    let r = registry.lock().unwrap();
                    if r.is_empty() {
                        None
                    } else {
                        let (w, u) = &r[rng.below(r.len() as u64) as usize];
                        Some((w.clone(), u.clone()))
                    }
                };
                if let Some((wakes, unparker)) = target {
                    wakes.fetch_add(1, Ordering::AcqRel);
                    unparker.unpark();
                }
                if rng.below(8) == 0 {
                    yield_now();
                }
            }
        }
    };
    let threads: Vec<_> = (0..2).map(|s| std::thread::spawn(waker(s + 100))).collect();
    let coroutine_wakers: Vec<_> = (0..2).map(|s| go!(waker(s + 200))).collect();
    for h in handles {
        h.join().unwrap();
        finished.fetch_add(1, Ordering::AcqRel);
    }
    for t in threads {
        t.join().unwrap();
    }
    for c in coroutine_wakers {
        c.join().unwrap();
    }
}
