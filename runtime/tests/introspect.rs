//! The goroutine dump and the metrics: what they say about coroutines blocked for known
//! reasons, from a coroutine and from a plain thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rungo_runtime::{Builder, WaitReason, dump, go, metrics, park, run, sleep};

/// The two tests run one at a time: a dump symbolizes its caller's backtrace on its worker,
/// which can keep that worker from answering the other test's collection in time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn the_dump_names_each_blocked_coroutine_with_its_reason_and_sites() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let text = run(|| {
        let sleeper_line = line!() + 3;
        let sleeper = Builder::new()
            .name("sleeper".into())
            .spawn(|| sleep(Duration::from_secs(3)))
            .unwrap();
        let joiner = go!(move || sleeper.join().unwrap());
        sleep(Duration::from_millis(50));
        let text = dump();
        assert!(text.contains("name: \"sleeper\""), "{text}");
        assert!(
            text.contains(&format!("introspect.rs:{sleeper_line}")),
            "the sleeper's spawn site (line {sleeper_line}):\n{text}"
        );
        drop(joiner);
        text
    });
    assert!(text.contains("[running]"), "the caller is running:\n{text}");
    assert!(text.contains("[sleep]"), "{text}");
    assert!(text.contains("[join]"), "{text}");
    assert!(text.contains("waiting at"), "{text}");
    // From a plain thread too (no caller block then).
    let from_thread = dump();
    assert!(!from_thread.contains("[running]"), "{from_thread}");
}

#[test]
fn metrics_count_blocked_coroutines_by_reason() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let release = Arc::new(AtomicBool::new(false));
    let wakers = Arc::new(std::sync::Mutex::new(Vec::new()));
    let parked: Vec<_> = (0..10)
        .map(|_| {
            let (r, w) = (release.clone(), wakers.clone());
            go!(move || {
                let _w = rungo_runtime::Waiting::new(
                    WaitReason::Semacquire,
                    std::panic::Location::caller(),
                );
                w.lock().unwrap().push(rungo_runtime::Unparker::current());
                while !r.load(Ordering::Acquire) {
                    park();
                }
            })
        })
        .collect();
    let before = metrics();
    let m = run(|| {
        sleep(Duration::from_millis(50));
        metrics()
    });
    let semacquire = m
        .blocked
        .iter()
        .find(|(r, _)| *r == Some(WaitReason::Semacquire))
        .map_or(0, |&(_, n)| n);
    assert!(semacquire >= 10, "{m:?}");
    assert!(m.spawns > before.spawns, "{m:?}");
    assert!(
        m.live >= 10 && m.context_switches > 0 && m.workers >= 1,
        "{m:?}"
    );
    release.store(true, Ordering::Release);
    for w in wakers.lock().unwrap().iter() {
        w.unpark();
    }
    for h in parked {
        h.join().unwrap();
    }
}
