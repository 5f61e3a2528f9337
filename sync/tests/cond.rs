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
