//! The blocking contract: token semantics, cross-thread wake-ups, timeouts.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rungo_runtime::{Unparker, go, park, park_timeout, park_until, run, sleep, yield_now};
use rungo_testkit::Rng;

#[test]
fn unpark_before_park_is_not_lost_in_a_coroutine() {
    run(|| {
        Unparker::current().unpark();
        park(); // returns at once: the token is there
    });
}

#[test]
fn unpark_before_park_is_not_lost_on_a_thread() {
    Unparker::current().unpark();
    park();
}

#[test]
fn tokens_do_not_accumulate() {
    run(|| {
        let me = Unparker::current();
        me.unpark();
        me.unpark();
        park();
        let start = Instant::now();
        park_timeout(Duration::from_millis(30));
        assert!(
            start.elapsed() >= Duration::from_millis(30),
            "second park had no token"
        );
    });
}

#[test]
fn park_timeout_returns_after_its_deadline() {
    for d in [1u64, 10, 50] {
        let d = Duration::from_millis(d);
        let in_coroutine = go!(move || {
            let start = Instant::now();
            park_timeout(d);
            start.elapsed()
        });
        assert!(in_coroutine.join().unwrap() >= d);
        let start = Instant::now();
        park_timeout(d);
        assert!(start.elapsed() >= d);
    }
}

#[test]
fn park_until_a_past_deadline_returns_at_once() {
    run(|| park_until(Instant::now() - Duration::from_millis(1)));
}

#[test]
fn sleep_sleeps_at_least_its_duration() {
    let h = go!(|| {
        let start = Instant::now();
        sleep(Duration::from_millis(20));
        start.elapsed()
    });
    assert!(h.join().unwrap() >= Duration::from_millis(20));
}

#[test]
fn many_sleepers_wake_together() {
    let start = Instant::now();
    let hs: Vec<_> = (0..10_000)
        .map(|_| go!(|| sleep(Duration::from_millis(200))))
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(200));
    assert!(took < Duration::from_secs(20), "10k sleepers took {took:?}");
}

/// Many rounds of a wake-up racing the park it is meant for, between coroutines, threads and
/// both: every round must complete (a lost wake-up hangs the test).
#[test]
fn cross_thread_unpark_racing_park_stress() {
    const ROUNDS: u64 = 20_000;
    for waker_is_thread in [false, true] {
        for sleeper_is_thread in [false, true] {
            let turn = Arc::new(AtomicU64::new(0));
            let (tx, rx) = std::sync::mpsc::channel::<Unparker>();
            let t2 = turn.clone();
            let sleeper = move || {
                tx.send(Unparker::current()).unwrap();
                for round in 0..ROUNDS {
                    while t2.load(Ordering::Acquire) == round * 2 {
                        park();
                    }
                    t2.store(round * 2 + 2, Ordering::Release);
                }
            };
            let sleeper = if sleeper_is_thread {
                let t = std::thread::spawn(sleeper);
                Box::new(move || t.join().unwrap()) as Box<dyn FnOnce()>
            } else {
                let h = go!(sleeper);
                Box::new(move || h.join().unwrap())
            };
            let target = rx.recv().unwrap();
            let waker = move || {
                let mut rng = Rng::new(0x1234_5678);
                for round in 0..ROUNDS {
                    while turn.load(Ordering::Acquire) != round * 2 {
                        if rng.below(2) == 0 {
                            yield_now();
                        } else {
                            std::hint::spin_loop();
                        }
                    }
                    turn.store(round * 2 + 1, Ordering::Release);
                    if rng.below(4) == 0 {
                        std::hint::spin_loop();
                    }
                    target.unpark();
                }
            };
            if waker_is_thread {
                std::thread::spawn(waker).join().unwrap();
            } else {
                go!(waker).join().unwrap();
            }
            sleeper();
        }
    }
}

/// Many coroutines each woken many times by many others: counts every wake-up.
#[test]
fn many_to_many_wakeups_complete() {
    const SLEEPERS: usize = 64;
    const WAKES: usize = 200;
    let slots: Arc<Vec<AtomicUsize>> =
        Arc::new((0..SLEEPERS).map(|_| AtomicUsize::new(0)).collect());
    let (tx, rx) = std::sync::mpsc::channel();
    let sleepers: Vec<_> = (0..SLEEPERS)
        .map(|i| {
            let slots = slots.clone();
            let tx = tx.clone();
            go!(move || {
                tx.send((i, Unparker::current())).unwrap();
                let mut seen = 0;
                while seen < WAKES {
                    let now = slots[i].load(Ordering::Acquire);
                    if now == seen {
                        park();
                    } else {
                        seen = now;
                    }
                }
            })
        })
        .collect();
    let mut unparkers: Vec<_> = rx.iter().take(SLEEPERS).collect();
    unparkers.sort_by_key(|(i, _)| *i);
    let unparkers = Arc::new(unparkers);
    let done = Arc::new(AtomicBool::new(false));
    let wakers: Vec<_> = (0..4)
        .map(|w| {
            let (slots, unparkers) = (slots.clone(), unparkers.clone());
            let body = move || {
                for i in (w..SLEEPERS).step_by(4) {
                    for _ in 0..WAKES {
                        slots[i].fetch_add(1, Ordering::AcqRel);
                        unparkers[i].1.unpark();
                    }
                }
            };
            if w % 2 == 0 {
                let t = std::thread::spawn(body);
                Box::new(move || t.join().unwrap()) as Box<dyn FnOnce()>
            } else {
                let h = go!(body);
                Box::new(move || h.join().unwrap())
            }
        })
        .collect();
    for w in wakers {
        w();
    }
    for s in sleepers {
        s.join().unwrap();
    }
    done.store(true, Ordering::SeqCst);
}
