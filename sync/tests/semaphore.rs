//! Semaphore: weighted, FIFO (a large request is not overtaken), limits concurrency,
//! over-release panics (x/sync/semaphore tests).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rungo_sync::{Mutex, Semaphore, WaitGroup};

fn wait_for(cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "condition never held"
        );
        rungo_runtime::sleep(Duration::from_millis(1));
    }
}

#[test]
fn fifo_order() {
    let sem = Arc::new(Semaphore::new(1));
    sem.acquire(1);
    let order = Arc::new(Mutex::new(Vec::new()));
    let wg = WaitGroup::new();
    for i in 0..8 {
        let (s, order) = (sem.clone(), order.clone());
        wg.go(move || {
            s.acquire(1);
            order.lock().push(i);
            s.release(1);
        });
        // Make sure waiter i is queued before i+1 starts.
        wait_for(|| format!("{:?}", sem).contains(&format!("waiters: {}", i + 1)));
    }
    sem.release(1);
    wg.wait();
    assert_eq!(*order.lock(), (0..8).collect::<Vec<_>>());
}

#[test]
fn large_request_not_overtaken_by_small_ones() {
    let sem = Arc::new(Semaphore::new(10));
    sem.acquire(5);
    let big = {
        let s = sem.clone();
        rungo_runtime::spawn(move || s.acquire(10))
    };
    wait_for(|| format!("{:?}", sem).contains("waiters: 1"));
    // 5 permits are free, but the big request is queued first.
    assert!(!sem.try_acquire(1));
    assert!(!sem.acquire_timeout(1, Duration::from_millis(5)));
    sem.release(5);
    big.join().unwrap();
    assert_eq!(sem.held(), 10);
    sem.release(10);
}

#[test]
fn weighted_concurrency_limit_holds() {
    let sem = Arc::new(Semaphore::new(6));
    let inside = Arc::new(AtomicU64::new(0));
    let wg = WaitGroup::new();
    for i in 0..24u64 {
        let (sem, inside) = (sem.clone(), inside.clone());
        let w = 1 + i % 3;
        wg.go(move || {
            for _ in 0..50 {
                sem.acquire(w);
                let now = inside.fetch_add(w, Ordering::SeqCst) + w;
                assert!(now <= 6, "{now} permits in use");
                rungo_runtime::yield_now();
                inside.fetch_sub(w, Ordering::SeqCst);
                sem.release(w);
            }
        });
    }
    wg.wait();
    assert_eq!(sem.held(), 0);
}

#[test]
fn timed_out_head_lets_others_in() {
    let sem = Arc::new(Semaphore::new(2));
    sem.acquire(1);
    // Head asks for 2 (blocked), next asks for 1 (fits, but queued behind the head).
    let head = {
        let s = sem.clone();
        rungo_runtime::spawn(move || s.acquire_timeout(2, Duration::from_millis(30)))
    };
    wait_for(|| format!("{:?}", sem).contains("waiters: 1"));
    let small = {
        let s = sem.clone();
        rungo_runtime::spawn(move || s.acquire(1))
    };
    assert!(!head.join().unwrap());
    small.join().unwrap(); // granted when the head gave up
    assert_eq!(sem.held(), 2);
}

#[test]
#[should_panic(expected = "semaphore: released more than held")]
fn over_release_panics() {
    let s = Semaphore::new(3);
    s.acquire(1);
    s.release(2);
}

#[test]
fn acquire_timeout_with_duration_max_does_not_overflow() {
    let sem = Arc::new(Semaphore::new(1));
    assert!(sem.acquire_timeout(1, Duration::MAX)); // free: at once
    let s = sem.clone();
    let h = rungo_runtime::spawn(move || s.acquire_timeout(1, Duration::MAX));
    rungo_runtime::sleep(Duration::from_millis(5));
    sem.release(1);
    assert!(h.join().unwrap());
    assert_eq!(sem.held(), 1);
}
