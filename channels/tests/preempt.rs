//! Channel operations honour sysmon's preempt request: a coroutine that loops on channel
//! operations that never block (a buffered channel that never fills, `try_recv` on an empty
//! one, a select with a default) yields within ~10 ms, so the other coroutines of its worker
//! run. GOMAXPROCS=1 and a child process with a time limit: without the request it would hang.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rungo_channels::{chan, select};
use rungo_testkit::child::{child_scenario, expect_child_success, reported};

fn spin_on_channels(stop: Arc<AtomicBool>) -> u64 {
    let buffered = chan::<u64>(1);
    let empty = chan::<u64>(0);
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        buffered.send(n);
        n = buffered.recv().unwrap() + 1;
        assert!(empty.try_recv().is_err());
        select! {
            recv(empty) -> _v => unreachable!(),
            default => {}
        }
    }
    n
}

#[test]
fn a_loop_of_non_blocking_channel_operations_yields_to_its_worker() {
    if child_scenario().is_some() {
        let waited = rungo_runtime::run(|| {
            let stop = Arc::new(AtomicBool::new(false));
            let s = stop.clone();
            let spinner = rungo_runtime::go!(move || spin_on_channels(s));
            let start = Instant::now();
            rungo_runtime::sleep(Duration::from_millis(20));
            stop.store(true, Ordering::Relaxed);
            assert!(spinner.join().unwrap() > 0);
            start.elapsed()
        });
        println!("waited_ms={}", waited.as_millis());
        return;
    }
    // A hang here means the channel loop never yielded: main never ran again.
    let out = expect_child_success(
        "a_loop_of_non_blocking_channel_operations_yields_to_its_worker",
        "preempt",
        &[("GOMAXPROCS", "1"), ("RUNGO_STALL_REPORT", "off")],
        Duration::from_secs(60),
    );
    let ms: u64 = reported(&out.stdout, "waited_ms");
    assert!(ms < 2_000, "main resumed after {ms} ms");
}

/// A close that wakes many receivers is one long operation; between its batches of wake-ups it
/// honours the preempt request too, so the receivers it woke on its own worker run before it
/// returns (at GOMAXPROCS=1 nothing else could run them). Main computes for 50 ms first, so
/// sysmon's request (at ~10 ms) is pending when the close starts. Without the check, sysmon
/// reported a closer waking a million receivers as "running without calling rungo".
#[test]
fn a_long_close_yields_between_batches() {
    const RECEIVERS: usize = 1_000;
    if child_scenario().is_some() {
        let woken_by_then = rungo_runtime::run(|| {
            let start = chan::<()>(0);
            let parked = Arc::new(AtomicUsize::new(0));
            let woken = Arc::new(AtomicUsize::new(0));
            for _ in 0..RECEIVERS {
                let (start, parked, woken) = (start.clone(), parked.clone(), woken.clone());
                rungo_runtime::go!(move || {
                    parked.fetch_add(1, Ordering::Relaxed);
                    assert!(start.recv().is_none());
                    woken.fetch_add(1, Ordering::Relaxed);
                });
            }
            while parked.load(Ordering::Relaxed) < RECEIVERS {
                rungo_runtime::yield_now();
            }
            rungo_runtime::yield_now(); // the last one reaches its recv
            let busy = Instant::now();
            while busy.elapsed() < Duration::from_millis(50) {
                std::hint::spin_loop();
            }
            start.close();
            let woken_by_then = woken.load(Ordering::Relaxed);
            while woken.load(Ordering::Relaxed) < RECEIVERS {
                rungo_runtime::yield_now();
            }
            woken_by_then
        });
        println!("woken={woken_by_then}");
        return;
    }
    let out = expect_child_success(
        "a_long_close_yields_between_batches",
        "preempt",
        &[("GOMAXPROCS", "1"), ("RUNGO_STALL_REPORT", "off")],
        Duration::from_secs(60),
    );
    let woken: u64 = reported(&out.stdout, "woken");
    assert!(
        woken > 0,
        "the close never yielded to the receivers it woke"
    );
}
