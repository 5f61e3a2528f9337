//! One coroutine cannot stop the others for long: unstarted coroutines escape a stuck worker,
//! a loop of rungo operations yields after its budget and sysmon's preempt request makes one
//! that calls rungo seldom yield, a stall is reported with
//! the coroutine and the syscall, and timers are checked by time, not by ticks. Each case runs
//! in a child process with a time limit (a regression would hang).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rungo_runtime::{JoinHandle, Unparker, go, park, run, sleep, yield_now};
use rungo_testkit::child::{child_scenario, expect_child_success, reported};
use rungo_testkit::{compute_for, thread_name};

const LIMIT: Duration = Duration::from_secs(60);

/// Runs `scenario` of `test` in a child with `envs`; it must pass within [`LIMIT`]. Its stdout
/// and stderr.
fn child(test: &str, scenario: &str, envs: &[(&str, &str)]) -> (String, String) {
    let out = expect_child_success(test, scenario, envs, LIMIT);
    (out.stdout, out.stderr)
}

/// Spawns a coroutine that computes in 5 ms slices without calling rungo, yielding between
/// them and counting them in `slices`, until `stop` is set.
fn compute_in_5ms_slices(stop: &Arc<AtomicBool>, slices: &Arc<AtomicUsize>) -> JoinHandle<()> {
    let (stop, slices) = (stop.clone(), slices.clone());
    go!(move || {
        while !stop.load(Ordering::Relaxed) {
            compute_for(Duration::from_millis(5));
            slices.fetch_add(1, Ordering::Relaxed);
            yield_now();
        }
    })
}

/// A coroutine spawns one child and then blocks its worker in a syscall for a second. The
/// child, unstarted, must not wait for it: Go starts it at once; rungo lets an idle worker take
/// it after a few microseconds, or sysmon hands it off after ~10 ms.
#[test]
fn an_unstarted_coroutine_escapes_a_spawner_that_blocks() {
    if child_scenario().is_some() {
        let start = Instant::now();
        let started = run(move || {
            let spawner = go!(move || {
                let child = go!(move || start.elapsed());
                std::thread::sleep(Duration::from_secs(1)); // blocks the worker
                child
            });
            spawner.join().unwrap().join().unwrap()
        });
        println!("started_ms={}", started.as_secs_f64() * 1e3);
        return;
    }
    let (stdout, _) = child(
        "an_unstarted_coroutine_escapes_a_spawner_that_blocks",
        "escape",
        &[("GOMAXPROCS", "2"), ("RUNGO_STALL_REPORT", "off")],
    );
    let ms: f64 = reported(&stdout, "started_ms");
    assert!(
        ms < 500.0,
        "the child started after {ms} ms (the spawner blocked for 1000)"
    );
}

/// GOMAXPROCS=1: main spawns a coroutine, then blocks its only worker in a system call for a
/// second. Go hands the blocked thread's P to another thread and the goroutine runs at once;
/// rungo's sysmon adds a spare worker for it after ~10 ms (the blocked worker uses no CPU),
/// while GOMAXPROCS still reads 1. Once main's worker runs again the spare retires: new work
/// runs on worker 0 alone.
#[test]
fn a_spare_worker_runs_unstarted_coroutines_while_every_worker_is_blocked() {
    if child_scenario().is_some() {
        let start = Instant::now();
        run(move || {
            let child = go!(move || (start.elapsed(), thread_name(), rungo_runtime::gomaxprocs()));
            std::thread::sleep(Duration::from_secs(1)); // blocks the only worker
            let (started, name, procs) = child.join().unwrap();
            println!("started_ms={}", started.as_secs_f64() * 1e3);
            println!("child_thread={name}");
            println!("gomaxprocs={procs}");
            sleep(Duration::from_millis(100)); // sysmon sees worker 0 tick: the spare retires
            let mut after: Vec<String> = (0..20)
                .map(|_| {
                    go!(|| {
                        compute_for(Duration::from_millis(1));
                        thread_name()
                    })
                })
                .collect::<Vec<_>>()
                .into_iter()
                .map(|h| h.join().unwrap())
                .collect();
            after.sort();
            after.dedup();
            println!("after={}", after.join(","));
        });
        return;
    }
    let (stdout, _) = child(
        "a_spare_worker_runs_unstarted_coroutines_while_every_worker_is_blocked",
        "spare",
        &[("GOMAXPROCS", "1"), ("RUNGO_STALL_REPORT", "off")],
    );
    let ms: f64 = reported(&stdout, "started_ms");
    assert!(
        ms < 500.0,
        "the child started after {ms} ms (main blocked for 1000)"
    );
    let name: String = reported(&stdout, "child_thread");
    assert_ne!(name, "rungo-worker-0", "the child ran on a spare worker");
    assert_eq!(reported::<usize>(&stdout, "gomaxprocs"), 1);
    let after: String = reported(&stdout, "after");
    assert_eq!(after, "rungo-worker-0", "the spare retired after the block");
}

/// GOMAXPROCS=1: main spawns a coroutine, then computes for 300 ms without calling rungo. No
/// spare worker runs the coroutine meanwhile: main's worker is using its CPU, and GOMAXPROCS
/// bounds the threads on CPUs, as Go's Ps do (Go would preempt main instead, which rungo
/// cannot: the stall report names main).
#[test]
fn a_worker_stuck_computing_gets_no_spare() {
    if child_scenario().is_some() {
        let ran_early = run(|| {
            let ran = Arc::new(AtomicBool::new(false));
            let r = ran.clone();
            let child = go!(move || r.store(true, Ordering::SeqCst));
            compute_for(Duration::from_millis(300));
            let early = ran.load(Ordering::SeqCst);
            child.join().unwrap();
            early
        });
        println!("ran_early={ran_early}");
        return;
    }
    let (stdout, _) = child(
        "a_worker_stuck_computing_gets_no_spare",
        "no spare",
        &[("GOMAXPROCS", "1"), ("RUNGO_STALL_REPORT", "off")],
    );
    assert!(
        !reported::<bool>(&stdout, "ran_early"),
        "a spare ran the child beside main"
    );
}

/// GOMAXPROCS=1: a coroutine loops on rungo operations that never block (here the preempt
/// point itself, as every channel, sync, net, sleep and spawn operation calls it). After 128
/// of them it yields on its own (its operation budget), so main, homed on the same worker and
/// waiting behind it, runs after exactly 128. Without the budget the loop ran to its end.
#[test]
fn a_loop_of_rungo_operations_yields_after_its_budget() {
    if child_scenario().is_some() {
        let ops_by_then = run(|| {
            let ops = Arc::new(AtomicUsize::new(0));
            let o = ops.clone();
            let looper = go!(move || {
                for i in 1..=100_000 {
                    rungo_runtime::preempt_point();
                    o.store(i, Ordering::Relaxed);
                }
            });
            yield_now(); // the looper starts, and main waits behind it
            let ops_by_then = ops.load(Ordering::Relaxed);
            looper.join().unwrap();
            ops_by_then
        });
        println!("ops_by_then={ops_by_then}");
        return;
    }
    let (stdout, _) = child(
        "a_loop_of_rungo_operations_yields_after_its_budget",
        "budget",
        &[("GOMAXPROCS", "1"), ("RUNGO_STALL_REPORT", "off")],
    );
    let ops: usize = reported(&stdout, "ops_by_then");
    assert_eq!(ops, 128, "main ran after {ops} operations of the loop");
}

/// GOMAXPROCS=1: a coroutine calls rungo only every 5 ms, so its budget of 128 operations would
/// last 640 ms; main, homed on the same worker, sleeps 20 ms. sysmon's preempt request (after
/// ~10 ms without a scheduling tick) makes the coroutine yield at its next operation, so main
/// resumes within a few tens of milliseconds.
#[test]
fn the_preempt_request_makes_a_coroutine_that_calls_rungo_seldom_yield() {
    if child_scenario().is_some() {
        let elapsed = run(|| {
            let stop = Arc::new(AtomicBool::new(false));
            let s = stop.clone();
            let seldom = go!(move || {
                while !s.load(Ordering::Relaxed) {
                    compute_for(Duration::from_millis(5));
                    rungo_runtime::preempt_point();
                }
            });
            let start = Instant::now();
            sleep(Duration::from_millis(20));
            let elapsed = start.elapsed();
            stop.store(true, Ordering::Relaxed);
            seldom.join().unwrap();
            elapsed
        });
        println!("main_ms={}", elapsed.as_secs_f64() * 1e3);
        return;
    }
    let (stdout, _) = child(
        "the_preempt_request_makes_a_coroutine_that_calls_rungo_seldom_yield",
        "preempt",
        &[("GOMAXPROCS", "1"), ("RUNGO_STALL_REPORT", "off")],
    );
    let ms: f64 = reported(&stdout, "main_ms");
    // The budget alone would take 640 ms; the request takes 10-40 ms, or more on a loaded
    // machine.
    assert!(ms < 400.0, "main resumed after {ms} ms");
}

/// A coroutine blocks its worker in `std::thread::sleep`: sysmon prints one line naming the
/// worker, the coroutine (id, name and where it was spawned) and the syscall, with the fix.
#[test]
fn a_stall_is_reported_with_the_coroutine_and_the_syscall() {
    if child_scenario().is_some() {
        run(|| {
            let sleep = || std::thread::sleep(Duration::from_millis(400));
            let builder = rungo_runtime::Builder::new().name("stuck-sleeper".into());
            println!("site=never_stall.rs:{}:", line!() + 1);
            builder.spawn(sleep).unwrap().join().unwrap();
        });
        return;
    }
    let (stdout, stderr) = child(
        "a_stall_is_reported_with_the_coroutine_and_the_syscall",
        "report",
        &[("GOMAXPROCS", "2"), ("RUNGO_STALL_REPORT", "100")],
    );
    let line = stderr
        .lines()
        .find(|l| l.contains("stalled"))
        .unwrap_or_else(|| panic!("no report in:\n{stderr}"));
    assert!(line.contains("coroutine "), "{line}");
    assert!(
        line.contains("'stuck-sleeper'"),
        "{line} does not name the coroutine"
    );
    let site = stdout.split_once("site=").expect("site printed").1;
    let site = site.split_whitespace().next().unwrap();
    assert!(line.contains(site), "{line} does not name {site}");
    assert!(line.contains("nanosleep(2)"), "{line}");
    assert!(line.contains("rungo::blocking"), "{line}");
    assert_eq!(
        stderr.lines().filter(|l| l.contains("stalled")).count(),
        1,
        "one line per incident:\n{stderr}"
    );
}

/// GOMAXPROCS=1: a coroutine computes for 5 ms between `yield_now` calls while another sleeps
/// 10 ms at a time. Timers are checked by the clock at every tick, so each sleep ends at most
/// about one 5 ms slice late (they used to be checked every 16 ticks: ~80 ms late).
#[test]
fn timers_fire_on_time_between_long_slices() {
    if child_scenario().is_some() {
        let mut lateness = run(|| {
            let stop = Arc::new(AtomicBool::new(false));
            let busy = compute_in_5ms_slices(&stop, &Arc::new(AtomicUsize::new(0)));
            let mut lateness = Vec::new();
            for _ in 0..40 {
                let t = Instant::now();
                sleep(Duration::from_millis(10));
                lateness.push(t.elapsed().as_secs_f64() * 1e3 - 10.0);
            }
            stop.store(true, Ordering::Relaxed);
            busy.join().unwrap();
            lateness
        });
        lateness.sort_by(f64::total_cmp);
        println!("p50_ms={}", lateness[lateness.len() / 2]);
        return;
    }
    let (stdout, _) = child(
        "timers_fire_on_time_between_long_slices",
        "ticker",
        &[("GOMAXPROCS", "1"), ("RUNGO_STALL_REPORT", "off")],
    );
    let p50: f64 = reported(&stdout, "p50_ms");
    assert!(p50 < 30.0, "median sleep lateness {p50} ms");
}

/// GOMAXPROCS=1: a coroutine computes for 5 ms between `yield_now` calls while a plain thread
/// (as the timer thread does for a `Ticker`) wakes main. Main must run at the yielder's next
/// yield, not one slice later: the yielder goes behind what other threads woke meanwhile, as
/// Go's `Gosched` does. It used to go first, which delayed a 10 ms ticker's ticks by up to 10 ms.
#[test]
fn a_coroutine_woken_from_another_thread_runs_before_a_yielder() {
    const ROUNDS: usize = 10;
    if child_scenario().is_some() {
        let extra_slices = run(|| {
            let stop = Arc::new(AtomicBool::new(false));
            let slices = Arc::new(AtomicUsize::new(0));
            let busy = compute_in_5ms_slices(&stop, &slices);
            let mut extra_slices = Vec::new();
            for _ in 0..ROUNDS {
                let woken = Arc::new(AtomicBool::new(false));
                let (me, w, n) = (Unparker::current(), woken.clone(), slices.clone());
                let waker = std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(7));
                    w.store(true, Ordering::Release);
                    me.unpark();
                    n.load(Ordering::Relaxed)
                });
                while !woken.load(Ordering::Acquire) {
                    park();
                }
                let after = slices.load(Ordering::Relaxed);
                extra_slices.push(after - waker.join().unwrap());
            }
            stop.store(true, Ordering::Relaxed);
            busy.join().unwrap();
            extra_slices
        });
        println!("extra_slices={extra_slices:?}");
        let on_time = extra_slices.iter().filter(|&&n| n <= 1).count();
        println!("on_time={on_time}");
        return;
    }
    let (stdout, _) = child(
        "a_coroutine_woken_from_another_thread_runs_before_a_yielder",
        "inbox",
        &[("GOMAXPROCS", "1"), ("RUNGO_STALL_REPORT", "off")],
    );
    // On time: woken during a slice, run at its end. A loaded machine may delay a round (the
    // waker thread descheduled between its wake and its count); most must be on time.
    let on_time: usize = reported(&stdout, "on_time");
    assert!(
        on_time * 2 >= ROUNDS,
        "main ran only {on_time} of {ROUNDS} times at the yielder's next yield: {stdout}"
    );
}

/// Plain threads spinning on every CPU (other processes competing, as far as the workers can
/// tell) make the workers wait for CPUs; sysmon must notice, so that idle workers stop spinning
/// on CPUs that others need.
#[test]
fn sysmon_notices_that_the_cpus_are_contended() {
    if child_scenario().is_some() {
        let hogs_stop = Arc::new(AtomicBool::new(false));
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        let hogs: Vec<_> = (0..2 * cpus)
            .map(|_| {
                let stop = hogs_stop.clone();
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                })
            })
            .collect();
        let noticed_after = run(|| {
            // Keep a worker awake (sysmon measures only then) and look every few ms.
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(5) {
                if rungo_runtime::cpu_contended() {
                    return Some(start.elapsed());
                }
                let slice = Instant::now();
                while slice.elapsed() < Duration::from_millis(2) {}
                yield_now();
            }
            None
        });
        hogs_stop.store(true, Ordering::Relaxed);
        for hog in hogs {
            hog.join().unwrap();
        }
        let ms = noticed_after.map_or(-1, |d| d.as_millis() as i64);
        println!("noticed_ms={ms}");
        return;
    }
    let (stdout, _) = child(
        "sysmon_notices_that_the_cpus_are_contended",
        "contended",
        &[("GOMAXPROCS", "2"), ("RUNGO_STALL_REPORT", "off")],
    );
    let ms: i64 = reported(&stdout, "noticed_ms");
    assert!(
        ms >= 0,
        "sysmon never saw the workers wait for a CPU in 5 s"
    );
}

/// GOMAXPROCS=2: one worker computes for 3 s without calling rungo; on the other, two
/// coroutines yield to each other for ever, so its ready queue never empties. Coroutines spawned
/// there, unstarted in its deque, must still run: the deque gets a turn ahead of the ready
/// queue now and then even while another worker is awake (which could steal them, but here
/// never does).
#[test]
fn unstarted_coroutines_run_beside_yield_loops_while_the_other_worker_is_busy() {
    const CHILDREN: usize = 50;
    if child_scenario().is_some() {
        let waited = run(|| {
            let stop = Arc::new(AtomicBool::new(false));
            let hog_started = Arc::new(AtomicBool::new(false));
            let (s, started) = (stop.clone(), hog_started.clone());
            let hog = go!(move || {
                started.store(true, Ordering::Release);
                let t = Instant::now();
                while !s.load(Ordering::Relaxed) && t.elapsed() < Duration::from_secs(3) {}
            });
            // Without a rungo call, so that the other worker is the one that takes the hog.
            while !hog_started.load(Ordering::Acquire) {
                std::hint::spin_loop();
            }
            let yielding = Arc::new(AtomicUsize::new(0));
            let yielders: Vec<_> = (0..2)
                .map(|_| {
                    let (s, y) = (stop.clone(), yielding.clone());
                    go!(move || {
                        y.fetch_add(1, Ordering::Relaxed);
                        while !s.load(Ordering::Relaxed) {
                            yield_now();
                        }
                    })
                })
                .collect();
            while yielding.load(Ordering::Relaxed) < 2 {
                yield_now();
            }
            let ran = Arc::new(AtomicUsize::new(0));
            let start = Instant::now();
            for _ in 0..CHILDREN {
                let ran = ran.clone();
                go!(move || ran.fetch_add(1, Ordering::Relaxed));
            }
            while ran.load(Ordering::Relaxed) < CHILDREN && start.elapsed() < Duration::from_secs(2)
            {
                yield_now();
            }
            let waited = start.elapsed();
            stop.store(true, Ordering::Relaxed);
            hog.join().unwrap();
            for y in yielders {
                y.join().unwrap();
            }
            (ran.load(Ordering::Relaxed), waited)
        });
        println!("ran={}", waited.0);
        println!("waited_ms={}", waited.1.as_millis());
        return;
    }
    let (stdout, _) = child(
        "unstarted_coroutines_run_beside_yield_loops_while_the_other_worker_is_busy",
        "deque-turn",
        &[("GOMAXPROCS", "2"), ("RUNGO_STALL_REPORT", "off")],
    );
    let ran: usize = reported(&stdout, "ran");
    let ms: u64 = reported(&stdout, "waited_ms");
    assert_eq!(
        ran, CHILDREN,
        "only {ran} of {CHILDREN} children ran in {ms} ms"
    );
}

/// GOMAXPROCS=1: a coroutine loops on `sleep(1 ns)` until main, on the same worker, sets a flag.
/// Every positive sleep parks (as Go's does), so main runs; a zero sleep returns at once. The
/// loop used to spin without ever parking: a hang.
#[test]
fn tiny_sleeps_park_and_let_the_worker_run_others() {
    if child_scenario().is_some() {
        run(|| {
            let stop = Arc::new(AtomicBool::new(false));
            let s = stop.clone();
            let sleeper = go!(move || {
                let mut n = 0u64;
                while !s.load(Ordering::Relaxed) {
                    sleep(Duration::from_nanos(1));
                    n += 1;
                }
                n
            });
            yield_now();
            stop.store(true, Ordering::Relaxed);
            assert!(sleeper.join().unwrap() >= 1);
            let t = Instant::now();
            for _ in 0..1000 {
                sleep(Duration::ZERO);
            }
            assert!(
                t.elapsed() < Duration::from_secs(1),
                "a zero sleep returns at once"
            );
        });
        println!("done_ms=0");
        return;
    }
    child(
        "tiny_sleeps_park_and_let_the_worker_run_others",
        "tiny",
        &[("GOMAXPROCS", "1"), ("RUNGO_STALL_REPORT", "off")],
    );
}

/// A coroutine computes for 1.5 s without calling rungo: the report says so (and a worker that
/// merely waited for a CPU on a busy machine is not blamed: the report needs the thread to have
/// been on a CPU for a good part of the stall).
#[test]
fn a_long_computation_is_reported_as_such() {
    if child_scenario().is_some() {
        run(|| {
            go!(|| {
                let start = Instant::now();
                let mut x = 1u64;
                while start.elapsed() < Duration::from_millis(1500) {
                    x = std::hint::black_box(x.wrapping_mul(3).wrapping_add(1));
                }
            })
            .join()
            .unwrap();
        });
        return;
    }
    let (_, stderr) = child(
        "a_long_computation_is_reported_as_such",
        "compute",
        &[("GOMAXPROCS", "2"), ("RUNGO_STALL_REPORT", "100")],
    );
    let line = stderr
        .lines()
        .find(|l| l.contains("stalled"))
        .unwrap_or_else(|| panic!("no report in:\n{stderr}"));
    assert!(line.contains("is running without calling rungo"), "{line}");
    assert!(line.contains("never_stall.rs:"), "{line}");
}
