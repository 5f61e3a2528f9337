//! A tiny per-thread xorshift generator for select's uniform random choice (Go: `cheaprand`).
//!
//! The state is thread-local but assumes nothing about which task runs on the thread: any
//! stream of pseudo-random numbers is fine for choosing among ready cases, and no reference to
//! the thread-local is held across a park (a started coroutine never migrates anyway).

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

static SEED: AtomicU64 = AtomicU64::new(0x9E37_79B9_7F4A_7C15);

thread_local! {
    static STATE: Cell<u64> = const { Cell::new(0) };
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn next_u64() -> u64 {
    STATE.with(|s| {
        let mut x = s.get();
        if x == 0 {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            let local = &x as *const u64 as u64;
            x = splitmix(SEED.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed) ^ t ^ local) | 1;
        }
        // xorshift64* (Marsaglia / Vigna).
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    })
}

/// A uniformly distributed number in `0..n` (`n > 0`), by Lemire's multiply-shift.
pub(crate) fn below(n: usize) -> usize {
    (((next_u64() >> 32) * n as u64) >> 32) as usize
}

/// Fills `order` with a uniformly random permutation of `0..order.len()` (Fisher–Yates).
pub(crate) fn permutation(order: &mut [usize]) {
    for i in 0..order.len() {
        let j = below(i + 1);
        order[i] = order[j];
        order[j] = i;
    }
}
