//! The deadlock check, Go's `fatal error: all goroutines are asleep - deadlock!`, and the
//! `SIGQUIT` dump: each scenario runs in a child process (this binary re-executed) with a time
//! limit, so a regression shows as a hang the driver kills, not a hung CI.
//!
//! `harness = false`: the check counts every thread of the process, so the scenarios must not
//! share it with libtest's threads. Run: `cargo test --test deadlock`.

use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::time::Duration;

use rungo::channels::{chan, select};
use rungo::sync::{Mutex, WaitGroup};
use rungo::{go, run};
use rungo_testkit::child::{CHILD_ENV, child_scenario, run_with_limit};

fn scenario(name: &str) {
    match name {
        "recv" => run(|| {
            let ch = chan::<i32>(0);
            ch.recv(); // RECV_LINE
        }),
        "waitgroup" => run(|| {
            let wg = WaitGroup::new();
            wg.add(1);
            wg.wait();
        }),
        "select_nothing" => run(|| {
            go!(|| rungo::sleep(Duration::from_millis(20)));
            select! {}
        }),
        "mutex_cycle" => run(|| {
            let (a, b) = (Arc::new(Mutex::new(0)), Arc::new(Mutex::new(0)));
            let wg = WaitGroup::new();
            wg.add(2);
            let (a1, b1, w1) = (a.clone(), b.clone(), wg.clone());
            let (a2, b2, w2) = (a.clone(), b.clone(), wg.clone());
            let t1 = go!(move || {
                let _ga = a1.lock();
                w1.done();
                w1.wait();
                let _gb = b1.lock();
            });
            let t2 = go!(move || {
                let _gb = b2.lock();
                w2.done();
                w2.wait();
                let _ga = a2.lock();
            });
            let _ = (t1.join(), t2.join());
        }),
        "panicked_job" => run(|| {
            let (jobs, results) = (chan::<u32>(1), chan::<u32>(1));
            let (j, r) = (jobs.receiver(), results.sender());
            go!(move || {
                for n in &j {
                    assert!(n != 3, "job {n} failed");
                    r.send(n * 2);
                }
            });
            jobs.send(3);
            let _ = results.recv();
        }),
        // A spare worker ran the child while main blocked its worker; the deadlock after
        // it is still seen (the spare, retired or not, sleeps like any idle worker).
        "after_spare" => run(|| {
            let child = go!(|| ());
            std::thread::sleep(Duration::from_millis(200));
            child.join().unwrap();
            let ch = chan::<i32>(0);
            ch.recv();
        }),
        "plain_thread" => {
            let ch = chan::<i32>(0);
            ch.recv();
        }
        // Not deadlocks: a timer is pending; a thread outside rungo will send.
        "timer" => run(|| rungo::sleep(Duration::from_millis(300))),
        "thread_sender" => run(|| {
            let ch = chan::<i32>(0);
            let tx = ch.sender();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(300));
                tx.send(1);
            });
            assert_eq!(ch.recv(), Some(1));
        }),
        "sigquit" => run(|| {
            go!(|| rungo::sleep(Duration::from_secs(30)));
            rungo::sleep(Duration::from_millis(50));
            // SAFETY: sends SIGQUIT to this process; rungo's handler takes it.
            unsafe { libc::kill(libc::getpid(), libc::SIGQUIT) };
            rungo::sleep(Duration::from_secs(30));
        }),
        other => panic!("unknown scenario {other}"),
    }
}

struct Outcome {
    code: Option<i32>,
    stderr: String,
    hung: bool,
}

/// Runs scenario `name` in this binary re-executed with `envs`, killed after `limit`.
fn child(name: &str, envs: &[(&str, &str)], limit: Duration) -> Outcome {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.env(CHILD_ENV, name).envs(envs.iter().copied());
    let o = run_with_limit(&mut cmd, limit).unwrap();
    Outcome {
        code: o.status.and_then(|s| s.code()),
        stderr: o.stderr_text(),
        hung: o.hung(),
    }
}

fn expect_deadlock(name: &str, procs: &str, must_contain: &[&str]) -> Result<(), String> {
    let o = child(name, &[("GOMAXPROCS", procs)], Duration::from_secs(30));
    if o.hung || o.code != Some(2) {
        return Err(format!(
            "{name} (GOMAXPROCS={procs}): hung={} code={:?}\n{}",
            o.hung, o.code, o.stderr
        ));
    }
    for text in ["fatal error: all goroutines are asleep - deadlock!"]
        .iter()
        .chain(must_contain)
    {
        if !o.stderr.contains(text) {
            return Err(format!("{name}: no {text:?} in:\n{}", o.stderr));
        }
    }
    Ok(())
}

fn expect_success(name: &str, procs: &str) -> Result<(), String> {
    let o = child(name, &[("GOMAXPROCS", procs)], Duration::from_secs(30));
    if o.hung || o.code != Some(0) {
        return Err(format!(
            "{name} (GOMAXPROCS={procs}) should finish normally: hung={} code={:?}\n{}",
            o.hung, o.code, o.stderr
        ));
    }
    Ok(())
}

fn main() -> ExitCode {
    if let Some(name) = child_scenario() {
        scenario(&name);
        return ExitCode::SUCCESS;
    }
    let recv_line = include_str!("deadlock.rs")
        .lines()
        .position(|l| l.contains("// RECV_LINE") && !l.contains("position"))
        .unwrap()
        + 1;
    let recv_site = format!("tests/deadlock.rs:{recv_line}");
    let mut checks: Vec<(String, Result<(), String>)> = Vec::new();
    for procs in ["1", "2"] {
        let mut check = |name: &str, r: Result<(), String>| {
            checks.push((format!("{name} GOMAXPROCS={procs}"), r));
        };
        check(
            "recv",
            expect_deadlock("recv", procs, &["[chan receive]", &recv_site]),
        );
        check(
            "waitgroup",
            expect_deadlock("waitgroup", procs, &["[sync.WaitGroup.Wait]"]),
        );
        check(
            "select_nothing",
            expect_deadlock("select_nothing", procs, &["[select (no cases)]"]),
        );
        check(
            "mutex_cycle",
            expect_deadlock(
                "mutex_cycle",
                procs,
                &[
                    "[sync.Mutex.Lock]",
                    "wait-for cycle: coroutine ",
                    "waits for sync.Mutex.Lock at tests/deadlock.rs:",
                    ", which waits for sync.Mutex.Lock at tests/deadlock.rs:",
                ],
            ),
        );
        check(
            "panicked_job",
            expect_deadlock("panicked_job", procs, &["job 3 failed", "[chan receive]"]),
        );
        check("plain_thread", expect_deadlock("plain_thread", procs, &[]));
        check(
            "after_spare",
            expect_deadlock("after_spare", procs, &["[chan receive]"]),
        );
        check("timer", expect_success("timer", procs));
        check("thread_sender", expect_success("thread_sender", procs));
    }
    // The off switch: the same deadlock now hangs (killed after 1.5 s), as it would in Go with
    // a goroutine the runtime cannot see.
    let off = child(
        "recv",
        &[("RUNGO_DEADLOCK", "off")],
        Duration::from_millis(1500),
    );
    checks.push((
        "RUNGO_DEADLOCK=off".into(),
        if off.hung {
            Ok(())
        } else {
            Err(format!("exited with {:?}: {}", off.code, off.stderr))
        },
    ));
    let q = child("sigquit", &[], Duration::from_secs(30));
    checks.push((
        "SIGQUIT".into(),
        if q.code == Some(2) && q.stderr.contains("SIGQUIT: quit") && q.stderr.contains("[sleep]") {
            Ok(())
        } else {
            Err(format!("code {:?} hung={}:\n{}", q.code, q.hung, q.stderr))
        },
    ));
    let failed: Vec<_> = checks.iter().filter(|(_, r)| r.is_err()).collect();
    for (name, r) in &checks {
        match r {
            Ok(()) => println!("test {name} ... ok"),
            Err(e) => println!("test {name} ... FAILED\n{e}"),
        }
    }
    println!(
        "\n{} passed, {} failed",
        checks.len() - failed.len(),
        failed.len()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
