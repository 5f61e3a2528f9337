//! WaitGroup: counting, reuse across rounds, `go`, negative-counter panic, waiters from threads
//! and coroutines (Go: TestWaitGroup, TestWaitGroupMisuse).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rungo_sync::WaitGroup;

#[test]
fn reuse_many_rounds() {
    let wg = WaitGroup::new();
    let n = Arc::new(AtomicUsize::new(0));
    for round in 1..=50 {
        for _ in 0..8 {
            let n = n.clone();
            wg.go(move || {
                n.fetch_add(1, Ordering::Relaxed);
            });
        }
        wg.wait();
        assert_eq!(n.load(Ordering::Relaxed), round * 8);
        assert_eq!(wg.count(), 0);
    }
}

#[test]
fn wait_blocks_until_done_and_wakes_all_waiters() {
    // Go's TestWaitGroup shape: wg1 releases the waiters, wg2 reports that they woke.
    for _ in 0..20 {
        let wg1 = WaitGroup::new();
        let wg2 = WaitGroup::new();
        let woke = Arc::new(AtomicUsize::new(0));
        const N: usize = 8;
        wg1.add(N as i64);
        wg2.add(N as i64);
        let mut threads = Vec::new();
        for i in 0..N {
            let (wg1, wg2, woke) = (wg1.clone(), wg2.clone(), woke.clone());
            let body = move || {
                wg1.done();
                wg1.wait();
                woke.fetch_add(1, Ordering::SeqCst);
                wg2.done();
            };
            if i % 2 == 0 {
                rungo_runtime::spawn(body);
            } else {
                threads.push(std::thread::spawn(body));
            }
        }
        wg2.wait();
        assert_eq!(woke.load(Ordering::SeqCst), N);
        threads.into_iter().for_each(|t| t.join().unwrap());
    }
}

#[test]
fn wait_really_waits() {
    let wg = WaitGroup::new();
    let flag = Arc::new(AtomicUsize::new(0));
    let f = flag.clone();
    wg.go(move || {
        rungo_runtime::sleep(Duration::from_millis(20));
        f.store(1, Ordering::SeqCst);
    });
    wg.wait();
    assert_eq!(flag.load(Ordering::SeqCst), 1);
}

#[test]
fn go_counts_a_panicking_task_as_done() {
    let wg = WaitGroup::new();
    let h = wg.go(|| panic!("task failed"));
    wg.wait();
    assert!(h.join().is_err());
}

#[test]
fn negative_counter_panics_with_go_message() {
    let wg = WaitGroup::new();
    wg.add(1);
    let r = std::panic::catch_unwind(|| wg.add(-2));
    let msg = r.unwrap_err();
    assert_eq!(
        msg.downcast_ref::<&str>().copied(),
        Some("sync: negative WaitGroup counter")
    );
    // The failed add left the counter as it was.
    assert_eq!(wg.count(), 1);
    wg.done();
    wg.wait();
}

#[test]
fn done_guard_is_defer_done_also_on_panic() {
    let wg = WaitGroup::new();
    let n = Arc::new(AtomicUsize::new(0));
    for i in 0..6 {
        wg.add(1);
        let (wg, n) = (wg.clone(), n.clone());
        rungo_runtime::spawn(move || {
            let _done = wg.done_guard(); // Go: defer wg.Done()
            n.fetch_add(1, Ordering::SeqCst);
            if i % 2 == 0 {
                panic!("worker {i} fails after counting");
            }
        });
    }
    wg.wait();
    assert_eq!(n.load(Ordering::SeqCst), 6);
    assert_eq!(wg.count(), 0);
}
