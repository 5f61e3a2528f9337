//! Helpers shared by the runtime's behaviour tests.
#![allow(dead_code)]

use std::process::{Command, Output};

/// Environment variable that tells a re-run test binary which child scenario to play.
pub const CHILD_ENV: &str = "RUNGO_TEST_CHILD";

/// Re-runs this test binary on the single test `test`, with `CHILD_ENV=scenario` and `envs`.
pub fn run_child(test: &str, scenario: &str, envs: &[(&str, &str)]) -> Output {
    let exe = std::env::current_exe().expect("test binary path");
    let mut cmd = Command::new(exe);
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, scenario);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("run child test process")
}

/// The scenario this process was started for, if it is a child.
pub fn child_scenario() -> Option<String> {
    std::env::var(CHILD_ENV).ok()
}

/// A small xorshift generator for random interleavings (no dependency needed).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Like [`run_child`], but kills the child after `limit`: `None` if it had to be killed (it
/// hung). An empty value in `envs` unsets that variable. Its output is read by threads, so a chatty child cannot block on a full pipe.
pub fn run_child_timeout(
    test: &str,
    scenario: &str,
    envs: &[(&str, &str)],
    limit: std::time::Duration,
) -> Option<Output> {
    use std::io::Read;
    use std::process::Stdio;
    let exe = std::env::current_exe().expect("test binary path");
    let mut cmd = Command::new(exe);
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, scenario)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        match *v {
            "" => cmd.env_remove(k), // unset, rather than set empty
            v => cmd.env(k, v),
        };
    }
    let mut child = cmd.spawn().expect("run child test process");
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break Some(status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let (stdout, stderr) = (out.join().unwrap(), err.join().unwrap());
    if status.is_none() {
        eprintln!(
            "child {scenario} hung; its stderr:\n{}",
            String::from_utf8_lossy(&stderr)
        );
    }
    status.map(|status| Output {
        status,
        stdout,
        stderr,
    })
}
