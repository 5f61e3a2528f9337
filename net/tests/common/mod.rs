//! Helpers shared by rungo-net's behaviour tests (the child-process pattern is the runtime's,
//! runtime/tests/common/mod.rs).
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::process::{Command, Output};
use std::time::Duration;

/// Environment variable that tells a re-run test binary which child scenario to play.
pub const CHILD_ENV: &str = "RUNGO_TEST_CHILD";

/// The scenario this process was started for, if it is a child.
pub fn child_scenario() -> Option<String> {
    std::env::var(CHILD_ENV).ok()
}

/// Runs `body` in a child process (this test binary re-run on the single test `test`), killed
/// after `limit`: a hang or crash fails the test instead of stalling the suite. In the child,
/// runs `body` itself. `GOMAXPROCS` is inherited.
pub fn in_child(test: &str, limit: Duration, body: impl FnOnce()) {
    if child_scenario().as_deref() == Some(test) {
        body();
        return;
    }
    let out = run_child_timeout(test, test, &[], limit)
        .unwrap_or_else(|| panic!("{test}: the child hung past {limit:?}"));
    assert!(
        out.status.success(),
        "{test}: the child failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "{test}: the child ran no test:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Raises this process's soft `RLIMIT_NOFILE` to at least `want` (up to the hard limit).
pub fn raise_nofile(want: u64) -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid out-pointer for getrlimit.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    if lim.rlim_cur < want {
        lim.rlim_cur = want.min(lim.rlim_max);
        // SAFETY: `lim` is a valid rlimit; raising the soft limit up to the hard one is allowed.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
    }
    lim.rlim_cur
}

/// Writes all of `buf` through `&T` (for shared handles).
pub fn write_all_ref<T>(mut w: &T, buf: &[u8]) -> io::Result<()>
where
    for<'a> &'a T: Write,
{
    w.write_all(buf)
}

/// Reads exactly `buf.len()` bytes through `&T`.
pub fn read_exact_ref<T>(mut r: &T, buf: &mut [u8]) -> io::Result<()>
where
    for<'a> &'a T: Read,
{
    r.read_exact(buf)
}

/// The byte at offset `i` of a deterministic stream seeded by `seed`.
pub fn pattern(seed: u64, i: u64) -> u8 {
    let x = (i ^ seed.rotate_left(17)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (x >> 56) as u8
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
/// hung). Its output is read by threads, so a chatty child cannot block on a full pipe.
pub fn run_child_timeout(
    test: &str,
    scenario: &str,
    envs: &[(&str, &str)],
    limit: std::time::Duration,
) -> Option<Output> {
    use std::process::Stdio;
    let exe = std::env::current_exe().expect("test binary path");
    let mut cmd = Command::new(exe);
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, scenario)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
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
