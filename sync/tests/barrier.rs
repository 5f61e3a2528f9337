//! Barrier: nobody passes until all arrive; one leader per generation; reusable.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rungo_sync::{Barrier, WaitGroup};

#[test]
fn all_arrive_before_any_leaves_reusable() {
    const N: usize = 8;
    const ROUNDS: usize = 50;
    let b = Arc::new(Barrier::new(N));
    let arrived = Arc::new(AtomicUsize::new(0));
    let leaders = Arc::new(AtomicUsize::new(0));
    let wg = WaitGroup::new();
    let mut threads = Vec::new();
    for i in 0..N {
        let (b, arrived, leaders) = (b.clone(), arrived.clone(), leaders.clone());
        let body = move || {
            for round in 1..=ROUNDS {
                arrived.fetch_add(1, Ordering::SeqCst);
                if b.wait().is_leader() {
                    leaders.fetch_add(1, Ordering::SeqCst);
                }
                assert!(arrived.load(Ordering::SeqCst) >= round * N);
                // Second barrier so that no task races into the next round's count early.
                b.wait();
            }
        };
        if i % 4 == 0 {
            threads.push(std::thread::spawn(body));
        } else {
            wg.go(body);
        }
    }
    wg.wait();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(leaders.load(Ordering::SeqCst), ROUNDS);
}
