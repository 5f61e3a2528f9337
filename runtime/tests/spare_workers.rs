//! Spare workers under random interleavings: coroutines block their workers in system calls
//! for random spans while short coroutines wait to start, so sysmon adds spare workers and
//! retires them at random points (see `sched::sysmon`), over and over. Every coroutine must
//! run and the program must end (each case runs in a child process with a time limit); once
//! it is quiet no spare is left, and no worker is counted as searching for good (a worker
//! listed as a sleeper while it was awake, when a spare came back, would be, and every later
//! push would wake nobody).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rungo_runtime::{go, metrics, run, sleep};
use rungo_testkit::child::{child_scenario, expect_child_ok};
use rungo_testkit::{Rng, compute_for};

const ROUNDS: u64 = 30;
const SHORT_PER_ROUND: u64 = 8;

fn block_and_run_short_work(seed: u64) {
    run(move || {
        let mut rng = Rng::new(seed);
        let done = Arc::new(AtomicU64::new(0));
        for _ in 0..ROUNDS {
            // One more blocker than workers, so that every worker may be blocked at once.
            let blockers: Vec<_> = (0..=rungo_runtime::gomaxprocs())
                .map(|_| {
                    let ms = 12 + rng.below(30);
                    go!(move || std::thread::sleep(Duration::from_millis(ms)))
                })
                .collect();
            let short: Vec<_> = (0..SHORT_PER_ROUND)
                .map(|_| {
                    let (done, us) = (done.clone(), rng.below(2_000));
                    go!(move || {
                        compute_for(Duration::from_micros(us));
                        done.fetch_add(1, Ordering::Relaxed);
                    })
                })
                .collect();
            for h in blockers.into_iter().chain(short) {
                h.join().unwrap();
            }
            // Let sysmon retire a spare (or not yet) at a random point.
            sleep(Duration::from_millis(rng.below(15)));
        }
        assert_eq!(done.load(Ordering::Relaxed), ROUNDS * SHORT_PER_ROUND);
    });
    // Quiet now: sysmon sees every worker tick or sleep, and retires the spares.
    let deadline = Instant::now() + Duration::from_secs(5);
    while metrics().spare_workers != 0 {
        assert!(
            Instant::now() < deadline,
            "a spare worker was never retired"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // Read without waking anyone (`metrics` wakes sleeping workers, which then search
    // briefly, so under load every sample it takes may catch one): a leaked count is one that
    // never drops to zero.
    let counts: Vec<usize> = (0..20)
        .map(|_| {
            std::thread::sleep(Duration::from_millis(10));
            rungo_runtime::searching_workers()
        })
        .collect();
    assert!(
        counts.contains(&0),
        "searchers never drop to zero: {counts:?}"
    );
}

#[test]
fn spare_workers_come_and_go_under_random_blocking() {
    if let Some(scenario) = child_scenario() {
        let seed = scenario.parse().expect("a seed");
        block_and_run_short_work(seed);
        println!("ok: seed {seed}");
        return;
    }
    for (seed, procs) in [(1, "1"), (2, "2"), (3, "1"), (4, "2"), (5, "8")] {
        expect_child_ok(
            "spare_workers_come_and_go_under_random_blocking",
            &seed.to_string(),
            &[("GOMAXPROCS", procs), ("RUNGO_STALL_REPORT", "off")],
            Duration::from_secs(90),
        );
    }
}
