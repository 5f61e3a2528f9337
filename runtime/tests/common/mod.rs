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
