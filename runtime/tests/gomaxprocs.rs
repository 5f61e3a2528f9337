//! `set_gomaxprocs`, Go's `runtime.GOMAXPROCS(n)` at run time: raising adds workers that take
//! new work, lowering keeps new work off the workers above the new count. Each case runs in a
//! fresh child process (the setting is process-wide).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rungo_runtime::{go, gomaxprocs, run, set_gomaxprocs, sleep};
use rungo_testkit::child::{child_scenario, expect_child_ok};
use rungo_testkit::{compute_for, thread_name};

/// Runs 64 coroutines that each compute for 2 ms, spawned from a coroutine; returns the names
/// of the worker threads they ran on.
fn workers_used() -> BTreeSet<String> {
    let names = Arc::new(Mutex::new(BTreeSet::new()));
    let n = names.clone();
    run(move || {
        let hs: Vec<_> = (0..64)
            .map(|_| {
                let n = n.clone();
                go!(move || {
                    compute_for(Duration::from_millis(2));
                    n.lock().unwrap().insert(thread_name());
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
    });
    names.lock().unwrap().clone()
}

/// Runs `scenario` of `test` in a child with `GOMAXPROCS=procs` (unset if empty): it must pass
/// and print `ok:`.
fn check(test: &str, scenario: &str, procs: &str) {
    expect_child_ok(
        test,
        scenario,
        &[("GOMAXPROCS", procs), ("RUNGO_STALL_REPORT", "off")],
        Duration::from_secs(60),
    );
}

#[test]
fn raising_gomaxprocs_at_run_time_adds_workers() {
    if child_scenario().is_some() {
        assert_eq!(gomaxprocs(), 1);
        assert_eq!(workers_used().len(), 1);
        let cpus = std::thread::available_parallelism().unwrap().get();
        assert_eq!(set_gomaxprocs(2), 1, "returns the previous setting");
        let now = gomaxprocs();
        assert_eq!(now, 2.min(cpus.max(1)));
        if now == 2 {
            assert_eq!(
                workers_used().len(),
                2,
                "new work spreads over both workers"
            );
        }
        assert_eq!(set_gomaxprocs(0), now, "0 only reads it");
        println!("ok: raised");
        return;
    }
    check("raising_gomaxprocs_at_run_time_adds_workers", "raise", "1");
}

#[test]
fn lowering_gomaxprocs_keeps_new_work_off_the_workers_above_it() {
    if child_scenario().is_some() {
        assert_eq!(gomaxprocs(), 2);
        workers_used(); // both workers have started
        assert_eq!(set_gomaxprocs(1), 2);
        assert_eq!(gomaxprocs(), 1);
        run(|| sleep(Duration::from_millis(50))); // let worker 1 finish what it was doing
        let used = workers_used();
        assert_eq!(
            used.into_iter().collect::<Vec<_>>(),
            vec!["rungo-worker-0".to_string()]
        );
        println!("ok: lowered");
        return;
    }
    check(
        "lowering_gomaxprocs_keeps_new_work_off_the_workers_above_it",
        "lower",
        "2",
    );
}

#[test]
fn before_the_runtime_starts_it_is_the_configuration() {
    if child_scenario().is_some() {
        set_gomaxprocs(3);
        assert_eq!(gomaxprocs(), 3);
        println!("ok: configured");
        return;
    }
    check(
        "before_the_runtime_starts_it_is_the_configuration",
        "configure",
        "1",
    );
}

/// Without `GOMAXPROCS`, the worker count is the CPUs the process may use: a child started
/// from a thread pinned to one CPU (the affinity mask is inherited) gets one worker. The
/// cgroup-quota half of the rule is unit-tested on made-up cgroup trees (`cpus.rs`).
#[test]
fn the_default_worker_count_follows_the_affinity_mask() {
    if child_scenario().is_some() {
        assert_eq!(gomaxprocs(), 1, "pinned to one CPU");
        assert_eq!(workers_used().len(), 1);
        println!("ok: one CPU, one worker");
        return;
    }
    std::thread::spawn(|| {
        // SAFETY: a zeroed cpu_set_t is a valid empty set; we read this thread's mask, keep
        // its first CPU only, and set it back (sched_setaffinity copies the set).
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            let size = std::mem::size_of::<libc::cpu_set_t>();
            assert_eq!(libc::sched_getaffinity(0, size, &mut set), 0);
            let first = (0..libc::CPU_SETSIZE as usize)
                .find(|&c| libc::CPU_ISSET(c, &set))
                .expect("some CPU allowed");
            libc::CPU_ZERO(&mut set);
            libc::CPU_SET(first, &mut set);
            assert_eq!(libc::sched_setaffinity(0, size, &set), 0);
        }
        check(
            "the_default_worker_count_follows_the_affinity_mask",
            "affinity",
            "",
        );
    })
    .join()
    .unwrap();
}

/// sysmon keeps watching the workers that raising GOMAXPROCS starts: a coroutine that then
/// computes for 400 ms without calling rungo is reported. (sysmon once sized its per-worker
/// records by GOMAXPROCS at start, and died of an out-of-bounds index when a raise started
/// worker 1, taking stall reports, preemption and the deadlock check with it.)
#[test]
fn sysmon_watches_the_workers_a_raise_starts() {
    if child_scenario().is_some() {
        run(|| ()); // the runtime (and sysmon) start with one worker
        set_gomaxprocs(2);
        if gomaxprocs() < 2 {
            println!("ok: one CPU, nothing to raise");
            return;
        }
        assert_eq!(workers_used().len(), 2, "both workers started");
        run(|| compute_for(Duration::from_millis(400)));
        println!("ok: computed");
        return;
    }
    let out = expect_child_ok(
        "sysmon_watches_the_workers_a_raise_starts",
        "raise and stall",
        &[("GOMAXPROCS", "1"), ("RUNGO_STALL_REPORT", "100")],
        Duration::from_secs(60),
    );
    if out.stdout.contains("nothing to raise") {
        return;
    }
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(
        out.stderr.contains("running without calling rungo"),
        "no stall report:\n{}",
        out.stderr
    );
}
