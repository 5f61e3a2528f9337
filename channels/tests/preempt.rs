//! Channel operations honour sysmon's preempt request: a coroutine that loops on channel
//! operations that never block (a buffered channel that never fills, `try_recv` on an empty
//! one, a select with a default) yields within ~10 ms, so the other coroutines of its worker
//! run. GOMAXPROCS=1 and a child process with a time limit: without the request it would hang.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
