//! Stacks: deep recursion fits the reservation, overflow is caught and named, and without guard
//! markers the mapping budget ends in a clear error instead of an unguarded stack.

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use rungo_runtime::{Builder, go};
use rungo_testkit::child::{child_scenario, expect_child_success, run_child_timeout};

/// How long a child scenario may run before it counts as hung.
const LIMIT: Duration = Duration::from_secs(120);

/// Recurses until `bytes` of stack below `top` are in use (measured by a local's address, so the
/// same in debug and release builds); returns the depth reached.
#[inline(never)]
fn recurse_until(top: usize, bytes: usize) -> usize {
    let frame = std::hint::black_box([1u8; 512]);
    let here = frame.as_ptr() as usize;
    if top - here >= bytes {
        frame[0] as usize
    } else {
        frame[0] as usize + recurse_until(top, bytes)
    }
}

/// Uses `kib` KiB of the calling coroutine's stack.
fn use_stack(kib: usize) -> usize {
    let top = std::hint::black_box(0u8);
    recurse_until(&top as *const u8 as usize, kib * 1024)
}

#[test]
fn two_hundred_kib_of_recursion_fits_a_256_kib_stack() {
    let h = Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| use_stack(200))
        .unwrap();
    assert!(h.join().unwrap() > 100);
}

#[test]
fn deep_stacks_are_reused_after_trimming() {
    // Many coroutines grow deep one after another: pooled stacks are trimmed and reused.
    for _ in 0..200 {
        assert!(go!(|| use_stack(150)).join().unwrap() > 50);
    }
}

#[test]
fn overflow_is_caught_and_names_the_coroutine() {
    if child_scenario().as_deref() == Some("overflow") {
        let h = Builder::new()
            .name("deep".into())
            .stack_size(64 * 1024)
            .spawn(|| use_stack(1 << 20))
            .unwrap();
        let _ = h.join();
        unreachable!("the overflow must abort the process");
    }
    expect_overflow_report(
        "overflow_is_caught_and_names_the_coroutine",
        "overflow",
        " (deep) overflowed its 64 KiB stack",
    );
}

#[test]
fn overflow_is_caught_on_a_stack_carved_in_a_batch() {
    // Default-size stacks are carved 16 at a time and guarded in one system call where the
    // kernel allows: the guard of a slot in the middle of a batch catches the overflow too.
    if child_scenario().as_deref() == Some("overflow-batch") {
        let _held: Vec<_> = (0..40).map(|_| go!(rungo_runtime::park)).collect();
        let h = Builder::new()
            .name("batched".into())
            .spawn(|| use_stack(1 << 20))
            .unwrap();
        let _ = h.join();
        unreachable!("the overflow must abort the process");
    }
    expect_overflow_report(
        "overflow_is_caught_on_a_stack_carved_in_a_batch",
        "overflow-batch",
        " (batched) overflowed its 256 KiB stack",
    );
}

/// Runs `scenario` of `test` in a child and checks that it aborted with the overflow line,
/// which ends with `ending`.
fn expect_overflow_report(test: &str, scenario: &str, ending: &str) {
    let out = run_child_timeout(test, scenario, &[], LIMIT).expect("the overflow child hung");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.signal(),
        Some(libc_sigabrt()),
        "status {:?}: {stderr}",
        out.status
    );
    let line = stderr
        .lines()
        .find(|l| l.contains("overflowed"))
        .expect(&stderr);
    assert!(line.starts_with("coroutine "), "{line}");
    assert!(line.ends_with(ending), "{line}");
}

#[test]
fn mapping_budget_runs_out_with_a_clear_error() {
    if child_scenario().as_deref() == Some("budget") {
        // Park coroutines until the spawn fails; report the error on stdout.
        let gate = std::sync::Arc::new(std::sync::Barrier::new(1));
        let mut held = Vec::new();
        loop {
            let g = gate.clone();
            match Builder::new().spawn(move || {
                rungo_runtime::park();
                drop(g);
            }) {
                Ok(h) => held.push(h),
                Err(e) => {
                    println!("SPAWNED {} ERROR {e}", held.len());
                    std::process::exit(0);
                }
            }
        }
    }
    let stdout = expect_child_success(
        "mapping_budget_runs_out_with_a_clear_error",
        "budget",
        &[("RUNGO_FORCE_MPROTECT_GUARDS", "1")],
        LIMIT,
    )
    .stdout;
    let line = &stdout[stdout.find("SPAWNED ").expect(&stdout)..];
    let line = line.lines().next().unwrap();
    let spawned: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(spawned > 10_000, "{line}");
    assert!(line.contains("vm.max_map_count"), "{line}");
    assert!(line.contains("sysctl -w vm.max_map_count="), "{line}");
}

fn libc_sigabrt() -> i32 {
    6
}
