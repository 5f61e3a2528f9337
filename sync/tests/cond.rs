//! Cond: signal wakes one, broadcast wakes all, no lost wake-ups (Go: TestCondSignal,
//! TestCondBroadcast, TestCondSignalStealing).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rungo_sync::{Cond, Mutex, WaitGroup};

struct Shared {
    mu: Mutex<State>,
    cond: Cond,
}

#[derive(Default)]
struct State {
    generation: u64,
    waiting: usize,
}

#[test]
fn broadcast_wakes_all() {
    const N: usize = 10;
    let s = Arc::new(Shared {
        mu: Mutex::new(State::default()),
        cond: Cond::new(),
    });
    for round in 1..=20u64 {
        let woke = Arc::new(AtomicUsize::new(0));
        let wg = WaitGroup::new();
        let mut threads = Vec::new();
        for i in 0..N {
            let (s, woke) = (s.clone(), woke.clone());
            let body = move || {
                let mut g = s.mu.lock();
                g.waiting += 1;
                let want = round;
                while g.generation < want {
                    g = s.cond.wait(g);
                }
                woke.fetch_add(1, Ordering::SeqCst);
            };
            if i % 3 == 0 {
                threads.push(std::thread::spawn(body));
            } else {
                wg.go(body);
            }
        }
        // Wait until all are waiting, then one broadcast must release all of them.
        loop {
            let mut g = s.mu.lock();
            if g.waiting == N {
                g.waiting = 0;
                g.generation = round;
                s.cond.broadcast();
                break;
            }
            drop(g);
            rungo_runtime::sleep(Duration::from_micros(200));
        }
        wg.wait();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(woke.load(Ordering::SeqCst), N);
    }
}

#[test]
fn signal_wakes_one_at_a_time() {
    let s = Arc::new((Mutex::new(0usize), Cond::new()));
    let woke = Arc::new(AtomicUsize::new(0));
    let wg = WaitGroup::new();
    for _ in 0..3 {
        let (s, woke) = (s.clone(), woke.clone());
        wg.go(move || {
            let mut g = s.0.lock();
            *g += 1;
            g = s.1.wait(g);
            drop(g);
            woke.fetch_add(1, Ordering::SeqCst);
        });
    }
    // All three waiting.
    while *s.0.lock() < 3 {
        rungo_runtime::sleep(Duration::from_millis(1));
    }
    for expect in 1..=3 {
        s.1.signal();
        while woke.load(Ordering::SeqCst) < expect {
            rungo_runtime::sleep(Duration::from_millis(1));
        }
        rungo_runtime::sleep(Duration::from_millis(10));
        assert_eq!(
            woke.load(Ordering::SeqCst),
            expect,
            "signal woke more than one"
        );
    }
    wg.wait();
}

#[test]
fn producer_consumer_no_lost_wakeups() {
    let s = Arc::new((Mutex::new(Vec::<u32>::new()), Cond::new()));
    let consumer = {
        let s = s.clone();
        rungo_runtime::spawn(move || {
            let mut sum = 0u64;
            for _ in 0..5_000 {
                let mut q = s.1.wait_while(s.0.lock(), |q| q.is_empty());
                sum += u64::from(q.pop().unwrap());
            }
            sum
        })
    };
    for i in 0..5_000u32 {
        s.0.lock().push(i);
        s.1.signal();
    }
    assert_eq!(consumer.join().unwrap(), (0..5_000u64).sum());
}

#[test]
fn wait_timeout_times_out_and_can_be_signalled() {
    let s = Arc::new((Mutex::new(false), Cond::new()));
    let (g, timed_out) = s.1.wait_timeout(s.0.lock(), Duration::from_millis(5));
    assert!(timed_out);
    drop(g);
    let s2 = s.clone();
    rungo_runtime::spawn(move || {
        rungo_runtime::sleep(Duration::from_millis(5));
        *s2.0.lock() = true;
        s2.1.signal();
    });
    let mut g = s.0.lock();
    while !*g {
        let (ng, _) = s.1.wait_timeout(g, Duration::from_secs(10));
        g = ng;
    }
}

#[test]
fn cond_with_a_locker_is_gos_new_cond() {
    // Go: c := sync.NewCond(&mu); c.L.Lock(); for !cond { c.Wait() }; c.L.Unlock().
    use rungo_sync::RawMutex;
    use std::sync::atomic::AtomicU64;
    let c = Arc::new(Cond::with_locker(RawMutex::new()));
    let queue = Arc::new(AtomicU64::new(0)); // items produced, changed only under c.l()
    let consumed = Arc::new(AtomicUsize::new(0));
    let wg = WaitGroup::new();
    const N: u64 = 200;
    for _ in 0..4 {
        let (c, queue, consumed) = (c.clone(), queue.clone(), consumed.clone());
        wg.go(move || {
            loop {
                c.l().lock();
                while queue.load(Ordering::Relaxed) == 0
                    && consumed.load(Ordering::Relaxed) < N as usize
                {
                    c.wait();
                    assert!(c.l().is_locked(), "wait must return with the lock held");
                }
                if consumed.load(Ordering::Relaxed) >= N as usize {
                    c.l().unlock();
                    return;
                }
                queue.fetch_sub(1, Ordering::Relaxed);
                if consumed.fetch_add(1, Ordering::Relaxed) + 1 == N as usize {
                    c.broadcast(); // let the others see the end
                }
                c.l().unlock();
            }
        });
    }
    for i in 0..N {
        c.l().lock();
        queue.fetch_add(1, Ordering::Relaxed);
        c.signal();
        c.l().unlock();
        if i % 16 == 0 {
            rungo_runtime::yield_now();
        }
    }
    wg.wait();
    assert_eq!(consumed.load(Ordering::SeqCst), N as usize);
    assert_eq!(queue.load(Ordering::SeqCst), 0);
}

#[test]
fn cond_on_the_read_side_of_an_rwlock() {
    // Go: package-level `var rw sync.RWMutex; var c = sync.NewCond(rw.RLocker())`: readers wait
    // under the read lock, a writer changes the state under the write lock. Waiting must release
    // the read lock, or the writer could never get in.
    use rungo_sync::{Locker, RLocker, RawRwLock};
    static RW: RawRwLock = RawRwLock::new();
    static C: Cond<RLocker<'static>> = Cond::with_locker(RW.rlocker());
    static VERSION: AtomicUsize = AtomicUsize::new(0);
    let wg = WaitGroup::new();
    for _ in 0..4 {
        wg.go(|| {
            C.l().lock(); // RLock
            while VERSION.load(Ordering::SeqCst) == 0 {
                C.wait();
            }
            C.l().unlock(); // RUnlock
        });
    }
    rungo_runtime::sleep(Duration::from_millis(10));
    RW.lock(); // would hang if a waiting reader still held its read lock
    VERSION.store(1, Ordering::SeqCst);
    RW.unlock();
    C.broadcast();
    wg.wait();
    // The write side as a Locker excludes readers.
    let w: &dyn Locker = &RW;
    w.lock();
    assert!(!RW.try_read_lock());
    w.unlock();
    assert!(RW.try_read_lock());
    RW.read_unlock();
}

#[test]
fn wait_timeout_with_duration_max_does_not_overflow() {
    let s = Arc::new((Mutex::new(false), Cond::new()));
    let s2 = s.clone();
    rungo_runtime::spawn(move || {
        rungo_runtime::sleep(Duration::from_millis(5));
        *s2.0.lock() = true;
        s2.1.signal();
    });
    let mut g = s.0.lock();
    while !*g {
        let (g2, timed_out) = s.1.wait_timeout(g, Duration::MAX);
        assert!(!timed_out);
        g = g2;
    }
}
