//! Mutual exclusion under stress: a non-atomic counter incremented under the lock by coroutines
//! and plain threads at once must end exact (Go: TestMutex / HammerMutex).

use std::cell::UnsafeCell;
use std::sync::Arc;

use rungo_sync::{Mutex, RawMutex, WaitGroup};

struct Racy {
    mu: RawMutex,
    n: UnsafeCell<u64>,
}
// SAFETY: `n` is only touched while `mu` is held (that is what the test checks).
unsafe impl Sync for Racy {}

const TASKS: usize = 6;
const THREADS: usize = 2;
const ITERS: u64 = 20_000;

/// Runs `body` on `TASKS` coroutines and `THREADS` plain threads at once and waits for all.
fn run_on_coroutines_and_threads(body: impl Fn() + Clone + Send + 'static) {
    let wg = WaitGroup::new();
    for _ in 0..TASKS {
        wg.go(body.clone());
    }
    let threads: Vec<_> = (0..THREADS)
        .map(|_| std::thread::spawn(body.clone()))
        .collect();
    wg.wait();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn raw_mutex_counter_is_exact() {
    let r = Arc::new(Racy {
        mu: RawMutex::new(),
        n: UnsafeCell::new(0),
    });
    let body = {
        let r = r.clone();
        move || {
            for i in 0..ITERS {
                r.mu.lock();
                // SAFETY: the lock is held.
                unsafe {
                    let v = *r.n.get();
                    if i % 64 == 0 {
                        std::hint::spin_loop();
                    }
                    *r.n.get() = v + 1;
                }
                r.mu.unlock();
            }
        }
    };
    run_on_coroutines_and_threads(body);
    r.mu.lock();
    // SAFETY: the lock is held and every writer has finished.
    assert_eq!(unsafe { *r.n.get() }, (TASKS + THREADS) as u64 * ITERS);
    r.mu.unlock();
}

#[test]
fn mutex_guard_counter_is_exact() {
    let m = Arc::new(Mutex::new(0u64));
    let body = {
        let m = m.clone();
        move || {
            for _ in 0..ITERS {
                let mut g = m.lock();
                let v = *g;
                *g = v + 1;
            }
        }
    };
    run_on_coroutines_and_threads(body);
    assert_eq!(*m.lock(), (TASKS + THREADS) as u64 * ITERS);
}

#[test]
fn try_lock_never_breaks_exclusion() {
    let m = Arc::new(Mutex::new(0u64));
    let wg = WaitGroup::new();
    for _ in 0..4 {
        let m = m.clone();
        wg.go(move || {
            let mut got = 0;
            while got < 5_000 {
                if let Some(mut g) = m.try_lock() {
                    *g += 1;
                    got += 1;
                } else {
                    rungo_runtime::yield_now();
                }
            }
        });
    }
    wg.wait();
    assert_eq!(*m.lock(), 20_000);
}

#[test]
fn guard_held_across_park() {
    let m = Arc::new(Mutex::new(Vec::new()));
    let wg = WaitGroup::new();
    for i in 0..4 {
        let m = m.clone();
        wg.go(move || {
            let mut g = m.lock();
            g.push(i);
            rungo_runtime::sleep(std::time::Duration::from_millis(2));
            let last = *g.last().unwrap();
            assert_eq!(last, i, "another task ran inside the critical section");
        });
    }
    wg.wait();
    assert_eq!(m.lock().len(), 4);
}

#[test]
fn panic_while_locked_unlocks() {
    let m = Arc::new(Mutex::new(1));
    let m2 = m.clone();
    let h = rungo_runtime::spawn(move || {
        let _g = m2.lock();
        panic!("boom");
    });
    assert!(h.join().is_err());
    assert_eq!(*m.lock(), 1); // no poisoning, as in Go
}

#[test]
fn many_coroutines_contend() {
    let m = Arc::new(Mutex::new(0u64));
    let wg = WaitGroup::new();
    for _ in 0..500 {
        let m = m.clone();
        wg.go(move || {
            for i in 0..200 {
                *m.lock() += 1;
                if i % 50 == 0 {
                    rungo_runtime::yield_now();
                }
            }
        });
    }
    wg.wait();
    assert_eq!(*m.lock(), 500 * 200);
}
