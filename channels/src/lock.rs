//! The channel lock: spin briefly, then sleep in the kernel (a futex), for critical sections of a
//! few dozen nanoseconds.
//!
//! A channel's lock guards only queue and buffer manipulation; it is never held across a park,
//! an allocation-heavy step or user code that could block (values are dropped after unlocking).
//! So a waiter almost always gets it within a few spins, and that is what it tries first: up to
//! [`SPIN_LIMIT`] of spinning with exponential backoff (no syscall). But on a busy
//! machine the holder may have lost its CPU mid-section, and then spinning or `sched_yield` only
//! burns the CPU the holder needs (and a yield does nothing when the holder is descheduled on
//! another core). So after the spins a waiter sleeps on the lock word with `FUTEX_WAIT` and the
//! unlocker wakes one sleeper: the three-state futex mutex of Drepper's "Futexes Are Tricky"
//! (std's `Mutex` and Go's `lock2` have the same shape). Sleeping blocks the worker thread,
//! which is right here: its coroutines could not run before the holder does anyway, and the
//! wait is the holder's remaining few nanoseconds of work once it runs.
//!
//! The spin is bounded by time, not by a count of `pause`s, because a `pause` costs anything
//! from a few cycles (older cores) to 25 ns and more (a VM that exits on pause loops): 127 of
//! them were 3 µs on the round's VM, shorter than the rare long waits of a quiet machine, and
//! a `million bufchan` run of 100 ms made thousands of futex calls instead of a handful.
//!
//! States: `UNLOCKED` (0), `LOCKED` (1), `CONTENDED` (2: locked, and someone may sleep). A
//! waiter that goes to sleep first swaps in `CONTENDED`, so the unlocker that swaps it out
//! knows to wake one; a woken waiter takes the lock as `CONTENDED` (others may still sleep).
//! Acquire on lock and Release on unlock make everything done under the lock happen-before the
//! next holder's critical section.

use std::sync::atomic::{AtomicU32, Ordering};

use std::time::{Duration, Instant};

const UNLOCKED: u32 = 0;
const LOCKED: u32 = 1;
const CONTENDED: u32 = 2;

/// How long a waiter spins before it sleeps: far longer than a critical section whose holder is
/// running, far shorter than the time slice a descheduled holder waits for.
const SPIN_LIMIT: Duration = Duration::from_micros(20);
/// The most `pause`s between two looks at the word (backoff doubles up to it), as crossbeam's
/// `Backoff` does: looking more often only pulls the line away from the holder.
const MAX_PAUSES: u32 = 64;

/// A spin-then-futex mutual exclusion lock without data (the channel keeps its state beside it).
pub struct RawLock {
    state: AtomicU32,
    /// How many times a waiter slept on this lock (the tests check that they do).
    #[cfg(test)]
    sleeps: AtomicU32,
}

/// Holds a [`RawLock`]; unlocks when dropped (also during unwinding).
pub struct LockGuard<'a> {
    lock: &'a RawLock,
}

impl RawLock {
    pub(crate) const fn new() -> RawLock {
        RawLock {
            state: AtomicU32::new(UNLOCKED),
            #[cfg(test)]
            sleeps: AtomicU32::new(0),
        }
    }

    #[inline]
    pub(crate) fn lock(&self) -> LockGuard<'_> {
        if self
            .state
            .compare_exchange_weak(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
        LockGuard { lock: self }
    }

    #[cold]
    fn lock_contended(&self) {
        // Spin (no yield) while the holder is likely running.
        let start = Instant::now();
        let mut pauses = 1;
        loop {
            for _ in 0..pauses {
                std::hint::spin_loop();
            }
            if self.state.load(Ordering::Relaxed) == UNLOCKED
                && self
                    .state
                    .compare_exchange_weak(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                return;
            }
            if pauses < MAX_PAUSES {
                pauses *= 2;
            } else if start.elapsed() >= SPIN_LIMIT {
                break;
            }
        }
        // Then sleep until the unlocker wakes us.
        while self.state.swap(CONTENDED, Ordering::Acquire) != UNLOCKED {
            #[cfg(test)]
            self.sleeps.fetch_add(1, Ordering::Relaxed);
            futex_wait(&self.state, CONTENDED);
        }
    }
}

impl Drop for LockGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        if self.lock.state.swap(UNLOCKED, Ordering::Release) == CONTENDED {
            futex_wake_one(&self.lock.state);
        }
    }
}

fn futex_wait(word: &AtomicU32, expected: u32) {
    // SAFETY: `word` is a live AtomicU32; FUTEX_WAIT returns at once unless it holds `expected`,
    // and a null timeout waits until woken (or a spurious return, which the caller's loop
    // handles).
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
            expected,
            std::ptr::null::<libc::timespec>(),
        );
    }
}

#[cold]
fn futex_wake_one(word: &AtomicU32) {
    // SAFETY: `word` is a live AtomicU32; FUTEX_WAKE only wakes waiters on it.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
            1,
        );
    }
}

#[cfg(test)]
mod tests {
    use std::cell::UnsafeCell;
    use std::sync::atomic::Ordering;
    use std::sync::{Arc, mpsc};
    use std::time::Duration;

    use super::RawLock;

    /// Rounds per thread: Miri interprets every instruction, so it gets a few hundred.
    const ROUNDS: u64 = if cfg!(miri) { 200 } else { 4_000 };

    struct Counter {
        lock: RawLock,
        n: UnsafeCell<u64>,
    }
    // SAFETY: `n` is only touched while `lock` is held.
    unsafe impl Sync for Counter {}

    /// `threads` threads each increment a counter under the lock `rounds` times, every
    /// `hold_sleep_every`th time sleeping 50 µs while holding it (a holder that lost its CPU).
    /// Checks the count; a thread that never finishes (a lost wake-up) fails the test after two
    /// minutes (ten under Miri) instead of hanging it. Returns how many times waiters slept.
    fn hammer(threads: u64, rounds: u64, hold_sleep_every: Option<u64>) -> u32 {
        let c = Arc::new(Counter {
            lock: RawLock::new(),
            n: UnsafeCell::new(0),
        });
        let (done, finished) = mpsc::channel();
        for _ in 0..threads {
            let (c, done) = (c.clone(), done.clone());
            std::thread::spawn(move || {
                for i in 0..rounds {
                    let _g = c.lock.lock();
                    // SAFETY: the lock is held.
                    unsafe { *c.n.get() += 1 };
                    if hold_sleep_every.is_some_and(|every| i % every == 0) {
                        std::thread::sleep(Duration::from_micros(50));
                    }
                }
                done.send(()).unwrap();
            });
        }
        for n in 0..threads {
            let limit = Duration::from_secs(if cfg!(miri) { 600 } else { 120 });
            if finished.recv_timeout(limit).is_err() {
                panic!(
                    "{} of {threads} threads never finished: a lost wake-up",
                    threads - n
                );
            }
        }
        let _g = c.lock.lock();
        // SAFETY: the lock is held.
        assert_eq!(unsafe { *c.n.get() }, threads * rounds);
        c.lock.sleeps.load(Ordering::Relaxed)
    }

    #[test]
    fn mutual_exclusion_across_threads() {
        hammer(4, if cfg!(miri) { 1_000 } else { 100_000 }, None);
    }

    /// More threads than cores, holders sleeping now and then: waiters must stop spinning and
    /// sleep, and every sleeper must be woken (the unlock's race, provoked over and over).
    #[test]
    fn contended_waiters_sleep_and_are_never_lost() {
        let sleeps = hammer(8, ROUNDS, Some(64));
        assert!(
            sleeps > 0,
            "no waiter ever slept: the spin phase does not end"
        );
    }
}
