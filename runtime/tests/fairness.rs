//! Fairness on a single worker: a coroutine looping on `yield_now` cannot starve the others, and
//! spawns from plain threads (the global injector) are not starved by local work.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rungo_runtime::{RuntimeBuilder, go, yield_now};

#[test]
fn yield_loops_do_not_starve_others_on_one_worker() {
    RuntimeBuilder::new()
        .gomaxprocs(1)
        .start()
        .expect("first use of the runtime in this binary");
    let stop = Arc::new(AtomicBool::new(false));
    // Two coroutines that yield forever until told to stop.
    let spinners: Vec<_> = (0..2)
        .map(|_| {
            let stop = stop.clone();
            go!(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::SeqCst) {
                    yield_now();
                    n += 1;
                }
                n
            })
        })
        .collect();
    // Coroutines spawned from this plain thread go through the injector; ones they spawn go
    // through the local queues. All must run while the spinners spin.
    let ran = Arc::new(AtomicUsize::new(0));
    let waves: Vec<_> = (0..100)
        .map(|_| {
            let ran = ran.clone();
            go!(move || {
                let inner = ran.clone();
                go!(move || inner.fetch_add(1, Ordering::SeqCst))
                    .join()
                    .unwrap();
                ran.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    for w in waves {
        w.join().unwrap();
    }
    assert_eq!(ran.load(Ordering::SeqCst), 200);
    stop.store(true, Ordering::SeqCst);
    for s in spinners {
        assert!(s.join().unwrap() > 0);
    }
}
