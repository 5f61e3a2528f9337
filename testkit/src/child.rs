//! Child-process scenarios: a test re-runs its own test binary on itself alone, with
//! [`CHILD_ENV`] naming the scenario to play, and judges the child by its exit status and
//! output. The parent waits at most a given limit and then kills the child, so a hang fails the
//! test instead of stalling the suite.
//!
//! The usual shape:
//!
//! ```no_run
//! use rungo_testkit::child::{child_scenario, expect_child_ok};
//! use std::time::Duration;
//!
//! #[test]
//! fn a_scenario() {
//!     if child_scenario().is_some() {
//!         // ... the body, in its own process ...
//!         println!("ok: done");
//!         return;
//!     }
//!     expect_child_ok("a_scenario", "one", &[("GOMAXPROCS", "1")], Duration::from_secs(60));
//! }
//! ```
//!
//! or, for a body that only has to pass, [`in_child`].

use std::io::Read;
use std::process::{Command, ExitStatus, Output, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

/// Environment variable that tells a re-run test binary which child scenario to play (the
/// same name in every crate).
pub const CHILD_ENV: &str = "RUNGO_TEST_CHILD";

/// The scenario this process was started for, if it is a child.
pub fn child_scenario() -> Option<String> {
    std::env::var(CHILD_ENV).ok()
}

/// What a process run by [`run_with_limit`] left behind.
#[derive(Debug)]
pub struct Outcome {
    /// How it exited; `None` if it was still running at the limit and was killed.
    pub status: Option<ExitStatus>,
    /// All it wrote to stdout (up to the kill, if it was killed).
    pub stdout: Vec<u8>,
    /// All it wrote to stderr (up to the kill, if it was killed).
    pub stderr: Vec<u8>,
}

impl Outcome {
    /// Whether it had to be killed at the limit.
    pub fn hung(&self) -> bool {
        self.status.is_none()
    }

    /// Its stdout, lossily decoded.
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Its stderr, lossily decoded.
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// As a std [`Output`], or `None` if it hung.
    pub fn into_output(self) -> Option<Output> {
        let Outcome {
            status,
            stdout,
            stderr,
        } = self;
        status.map(|status| Output {
            status,
            stdout,
            stderr,
        })
    }
}

/// Runs `cmd` (any program) with stdin closed and stdout and stderr captured, and kills it if
/// it is still running after `limit`. The output is read by threads while it runs, so a chatty
/// child cannot block on a full pipe. Fails only if it cannot be started.
pub fn run_with_limit(cmd: &mut Command, limit: Duration) -> std::io::Result<Outcome> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn()?;
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = pipe.read_to_end(&mut v);
            v
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let err = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break Some(status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Ok(Outcome {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    })
}

/// Re-runs this test binary on the single test `test` as child `scenario`, with `envs` (an
/// empty value unsets that variable, rather than setting it empty), killed after `limit`.
fn run_child(test: &str, scenario: &str, envs: &[(&str, &str)], limit: Duration) -> Outcome {
    let exe = std::env::current_exe().expect("test binary path");
    let mut cmd = Command::new(exe);
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, scenario);
    for (k, v) in envs {
        match *v {
            "" => cmd.env_remove(k),
            v => cmd.env(k, v),
        };
    }
    run_with_limit(&mut cmd, limit).expect("run child test process")
}

/// Runs the child: this test binary re-run on the single test `test`, with
/// `CHILD_ENV=scenario` and `envs` (an empty value unsets that variable). Kills it after
/// `limit`: `None` if it had to be killed (it hung; its output is printed to stderr then).
pub fn run_child_timeout(
    test: &str,
    scenario: &str,
    envs: &[(&str, &str)],
    limit: Duration,
) -> Option<Output> {
    let outcome = run_child(test, scenario, envs, limit);
    if outcome.hung() {
        eprintln!(
            "child {scenario} hung; its stdout:\n{}\nits stderr:\n{}",
            outcome.stdout_text(),
            outcome.stderr_text()
        );
    }
    outcome.into_output()
}

/// A child's output, decoded as text (lossily).
#[derive(Clone, Debug)]
pub struct ChildOutput {
    /// All it wrote to stdout.
    pub stdout: String,
    /// All it wrote to stderr.
    pub stderr: String,
}

/// Like [`run_child_timeout`], but panics, with the child's output, unless it exited
/// successfully within `limit`. Returns its output.
pub fn expect_child_success(
    test: &str,
    scenario: &str,
    envs: &[(&str, &str)],
    limit: Duration,
) -> ChildOutput {
    let outcome = run_child(test, scenario, envs, limit);
    let (stdout, stderr) = (outcome.stdout_text(), outcome.stderr_text());
    match outcome.status {
        None => panic!(
            "child {scenario} {envs:?} hung (killed after {limit:?})\nstdout:\n{stdout}\nstderr:\n{stderr}"
        ),
        Some(status) if !status.success() => panic!(
            "child {scenario} {envs:?} failed ({status})\nstdout:\n{stdout}\nstderr:\n{stderr}"
        ),
        Some(_) => ChildOutput { stdout, stderr },
    }
}

/// Like [`expect_child_success`], and the child must also have printed a line containing
/// `ok:` (its scenario ran to the end) and libtest must have reported its one test passed (the
/// test name matched). Returns its output.
pub fn expect_child_ok(
    test: &str,
    scenario: &str,
    envs: &[(&str, &str)],
    limit: Duration,
) -> ChildOutput {
    let out = expect_child_success(test, scenario, envs, limit);
    assert!(
        out.stdout.lines().any(|l| l.contains("ok:")) && out.stdout.contains("1 passed"),
        "child {scenario} {envs:?} did not print `ok:` or did not pass its one test\nstdout:\n{}\nstderr:\n{}",
        out.stdout,
        out.stderr
    );
    out
}

/// Runs `body` in a child process: the test `test` calls this, and in the parent it re-runs
/// this test binary on `test` with `envs` and fails unless the child passes within `limit`
/// ([`expect_child_ok`]); in the child it runs `body`.
pub fn in_child(test: &str, envs: &[(&str, &str)], limit: Duration, body: impl FnOnce()) {
    if child_scenario().as_deref() == Some(test) {
        body();
        println!("ok: {test}");
        return;
    }
    expect_child_ok(test, test, envs, limit);
}

/// The value a child printed as `name=value`, parsed (libtest may print the test's name
/// before it on the same line). Panics, with the output, if there is none or it does not
/// parse.
pub fn reported<T: FromStr>(stdout: &str, name: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    let key = format!("{name}=");
    let value = stdout
        .lines()
        .find_map(|l| l.split_once(&key).map(|(_, v)| v))
        .unwrap_or_else(|| panic!("the child did not report {name}:\n{stdout}"))
        .trim();
    value
        .parse()
        .unwrap_or_else(|e| panic!("{name}={value}: {e:?}"))
}
