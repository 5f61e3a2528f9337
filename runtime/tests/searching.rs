//! The idle protocol's searcher count (see `sched::idle`): a worker counts as searching only
//! while it looks for work. One that finds work of its own (a wake-up sent to its inbox) and
//! runs it must stop counting, or every later push believes somebody is looking for its work
//! and wakes nobody: a coroutine spawned from a plain thread then waited up to 136 ms for a
//! busy worker's periodic look at the injector (`go_ports`, GOMAXPROCS=8).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rungo_runtime::{Unparker, go, metrics, park, preempt_point, yield_now};
use rungo_testkit::child::{child_scenario, expect_child_ok};

const RING: usize = 16;
const ROUNDS: u64 = 2_000;

struct Slot {
    tokens: AtomicU64,
    me: OnceLock<Unparker>,
}

/// `RING` coroutines pass a token round a ring `ROUNDS` times (idle workers search, then find
/// the token in their inbox), then all compute, yielding only when sysmon asks: from then on
/// every worker runs coroutines and none searches.
fn ring_then_compute() {
    let slots: Arc<Vec<Slot>> = Arc::new(
        (0..RING)
            .map(|i| Slot {
                tokens: AtomicU64::new(u64::from(i == 0)),
                me: OnceLock::new(),
            })
            .collect(),
    );
    let computing = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    for i in 0..RING {
        let (slots, computing, stop) = (slots.clone(), computing.clone(), stop.clone());
        go!(move || {
            let _ = slots[i].me.set(Unparker::current());
            let next = &slots[(i + 1) % RING];
            for round in 0..ROUNDS {
                while slots[i].tokens.load(Ordering::Acquire) <= round {
                    park();
                }
                next.tokens.fetch_add(1, Ordering::Release);
                let unparker = loop {
                    match next.me.get() {
                        Some(u) => break u,
                        None => yield_now(),
                    }
                };
                unparker.unpark();
            }
            computing.fetch_add(1, Ordering::SeqCst);
            while !stop.load(Ordering::Relaxed) {
                preempt_point();
                std::hint::spin_loop();
            }
        });
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while computing.load(Ordering::SeqCst) < RING {
        assert!(Instant::now() < deadline, "the ring did not finish");
        std::thread::sleep(Duration::from_millis(5));
    }
    // `metrics` wakes sleeping workers to answer, and each then searches briefly: a stale
    // count is one that never drops to zero.
    let mut counts = Vec::new();
    for _ in 0..5 {
        counts.push(metrics().searching);
        std::thread::sleep(Duration::from_millis(10));
    }
    stop.store(true, Ordering::SeqCst);
    assert!(
        counts.contains(&0),
        "workers counted as searching while every one runs coroutines: {counts:?}"
    );
}

#[test]
fn a_worker_running_its_own_work_does_not_count_as_searching() {
    if child_scenario().is_some() {
        ring_then_compute();
        println!("ok: nobody searching");
        return;
    }
    for procs in ["2", "4", "8", "2", "4", "8"] {
        expect_child_ok(
            "a_worker_running_its_own_work_does_not_count_as_searching",
            "ring",
            &[("GOMAXPROCS", procs), ("RUNGO_STALL_REPORT", "off")],
            Duration::from_secs(90),
        );
    }
}
