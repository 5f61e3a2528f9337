//! Without guard markers (`mprotect` guards, forced here as on kernels before 6.13), the mapping
//! budget covers every mapped slot, pooled ones of other sizes included: mixing stack sizes
//! ends in the documented `vm.max_map_count` error from `spawn`, never in an abort when a
//! coroutine starts.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use rungo_runtime::{Builder, Unparker};
use rungo_testkit::child::{child_scenario, expect_child_success};

/// Coroutines spawned per round, and how many of them finish at its end (their stacks go back
/// to their size's pool while the rest stay parked for good).
const ROUND: usize = 6000;
const FINISH: usize = 4000;

fn child() -> ! {
    let sizes = [128 * 1024, 256 * 1024];
    let mut live = 0usize;
    let mut kept = Vec::new();
    for round in 0.. {
        let size = sizes[round % sizes.len()];
        let done = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel::<Unparker>();
        let mut finishing = Vec::new();
        let mut spawned = 0;
        let mut error = None;
        for i in 0..ROUND {
            let (tx, done) = (tx.clone(), done.clone());
            let finishes = i < FINISH;
            match Builder::new().stack_size(size).spawn(move || {
                tx.send(Unparker::current()).unwrap();
                while !(finishes && done.load(Ordering::Acquire)) {
                    rungo_runtime::park();
                }
            }) {
                Ok(h) if finishes => finishing.push(h),
                Ok(h) => kept.push(h),
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
            spawned += 1;
        }
        // Every coroutine spawned has started (and so holds its stack) once it sends.
        let unparkers: Vec<Unparker> = (0..spawned).map(|_| rx.recv().unwrap()).collect();
        if let Some(e) = error {
            println!("SPAWNED {} ERROR {e}", live + spawned);
            std::process::exit(0);
        }
        done.store(true, Ordering::Release);
        for u in &unparkers {
            u.unpark();
        }
        for h in finishing {
            h.join().unwrap();
        }
        live += spawned - FINISH;
    }
    unreachable!()
}

#[test]
fn mixing_stack_sizes_ends_in_the_budget_error_not_an_abort() {
    if child_scenario().as_deref() == Some("mixed") {
        child();
    }
    let stdout = expect_child_success(
        "mixing_stack_sizes_ends_in_the_budget_error_not_an_abort",
        "mixed",
        &[("RUNGO_FORCE_MPROTECT_GUARDS", "1")],
        Duration::from_secs(120),
    )
    .stdout;
    let line = &stdout[stdout.find("SPAWNED ").expect(&stdout)..];
    let line = line.lines().next().unwrap();
    let live: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(live > 10_000, "{line}");
    assert!(line.contains("vm.max_map_count"), "{line}");
    assert!(line.contains("sysctl -w vm.max_map_count="), "{line}");
}
