//! Helpers shared by the channel behaviour tests (the RNG and the child-process runner are
//! `rungo_testkit`'s).
#![allow(dead_code)]

use std::time::Duration;

/// A task that is either a rungo coroutine or a plain OS thread.
pub enum Task<T> {
    Co(rungo_runtime::JoinHandle<T>),
    Thread(std::thread::JoinHandle<T>),
}

impl<T> Task<T> {
    /// Waits for the task and returns its value, re-raising its panic.
    pub fn join(self) -> T {
        let r = match self {
            Task::Co(h) => h.join(),
            Task::Thread(h) => h.join(),
        };
        match r {
            Ok(v) => v,
            Err(p) => std::panic::resume_unwind(p),
        }
    }
}

/// Spawns `f` as a coroutine when `i` is even and as a plain thread when odd, so every test
/// mixes both kinds of tasks on one channel.
pub fn spawn_mixed<T, F>(i: usize, f: F) -> Task<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    if i % 2 == 0 {
        Task::Co(rungo_runtime::spawn(f))
    } else {
        Task::Thread(std::thread::spawn(f))
    }
}

/// A generous bound for "this should happen soon" on a loaded 2-core machine.
pub const SOON: Duration = Duration::from_secs(10);

/// A short pause used to let another task reach a blocking point (never relied on for
/// correctness, only to exercise the blocking paths).
pub fn pause() {
    rungo_runtime::sleep(Duration::from_millis(20));
}
