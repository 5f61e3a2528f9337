//! What a test coroutine does on its thread: compute without calling the runtime, and say
//! which thread (worker) it runs on.

use std::time::{Duration, Instant};

/// Computes for `d` without calling rungo (a busy loop on the clock): what a coroutine that
/// holds its worker does.
pub fn compute_for(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {}
}

/// The name of the calling thread (`rungo-worker-N` in a coroutine), or `?`.
pub fn thread_name() -> String {
    std::thread::current().name().unwrap_or("?").to_string()
}
