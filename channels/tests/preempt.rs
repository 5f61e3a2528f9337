//! Channel operations honour sysmon's preempt request: a coroutine that loops on channel
//! operations that never block (a buffered channel that never fills, `try_recv` on an empty
//! one, a select with a default) yields within ~10 ms, so the other coroutines of its worker
//! run. GOMAXPROCS=1 and a child process with a time limit: without the request it would hang.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rungo_channels::{chan, select};

const CHILD: &str = "RUNGO_PREEMPT_CHILD";

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
    if std::env::var(CHILD).is_ok() {
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
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "a_loop_of_non_blocking_channel_operations_yields_to_its_worker",
            "--exact",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .env("GOMAXPROCS", "1")
        .env("RUNGO_STALL_REPORT", "off")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("the channel loop never yielded: main hung");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let ms: u64 = stdout
        .split_once("waited_ms=")
        .and_then(|(_, v)| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no waited_ms in {stdout}"));
    assert!(ms < 2_000, "main resumed after {ms} ms");
}
