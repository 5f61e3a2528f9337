//! Go's starvation mode: a hot lock/unlock loop cannot starve a waiter (Go: TestMutexFairness).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rungo_sync::Mutex;

#[test]
fn hot_loop_cannot_starve_a_waiter() {
    let m = Arc::new(Mutex::new(0u64));
    let stop = Arc::new(AtomicBool::new(false));
    // The hot task: re-locks immediately after unlocking, holding the lock most of the time. It
    // is a plain thread: a coroutine that never blocks would keep its worker (rungo does not
    // preempt), and under GOMAXPROCS=1 the waiter would never run to queue at all.
    let hot = {
        let (m, stop) = (m.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let mut g = m.lock();
                let t = Instant::now();
                while t.elapsed() < Duration::from_micros(100) {
                    std::hint::spin_loop();
                }
                *g += 1;
            }
        })
    };
    // The waiter: needs the lock 10 times.
    let waiter = {
        let m = m.clone();
        rungo_runtime::spawn(move || {
            for _ in 0..10 {
                rungo_runtime::sleep(Duration::from_micros(100));
                *m.lock() += 1;
            }
        })
    };
    let start = Instant::now();
    // Generous: with FIFO hand-off this takes a few ms; without it, it could take forever.
    while !waiter.is_finished() && start.elapsed() < Duration::from_secs(10) {
        rungo_runtime::sleep(Duration::from_millis(5));
    }
    let finished = waiter.is_finished();
    stop.store(true, Ordering::Relaxed);
    hot.join().unwrap();
    assert!(finished, "waiter starved by a hot lock/unlock loop");
    waiter.join().unwrap();
}

#[test]
fn many_waiters_all_get_through_a_hot_loop() {
    let m = Arc::new(Mutex::new(0u64));
    let stop = Arc::new(AtomicBool::new(false));
    let hot: Vec<_> = (0..2)
        .map(|_| {
            let (m, stop) = (m.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let mut g = m.lock();
                    *g += 1;
                    drop(g);
                }
            })
        })
        .collect();
    let waiters: Vec<_> = (0..8)
        .map(|_| {
            let m = m.clone();
            rungo_runtime::spawn(move || {
                for _ in 0..20 {
                    *m.lock() += 1;
                    rungo_runtime::yield_now();
                }
            })
        })
        .collect();
    let start = Instant::now();
    while !waiters.iter().all(|w| w.is_finished()) && start.elapsed() < Duration::from_secs(10) {
        rungo_runtime::sleep(Duration::from_millis(5));
    }
    let all = waiters.iter().all(|w| w.is_finished());
    stop.store(true, Ordering::Relaxed);
    hot.into_iter().for_each(|h| h.join().unwrap());
    assert!(all, "some waiters starved");
}
