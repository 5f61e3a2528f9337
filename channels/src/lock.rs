//! The channel lock: a spin-then-yield lock for critical sections of a few dozen nanoseconds.
//!
//! A channel's lock guards only queue and buffer manipulation; it is never held across a park,
//! an allocation-heavy step or user code that could block (values are dropped after unlocking).
//! For such sections a lock that sleeps in the kernel is the wrong tool: under contention
//! `std::sync::Mutex` parks a *worker thread* on a futex (stalling every coroutine on it) and,
//! once contended, makes each unlock pay a `futex_wake` system call. This lock never sleeps: a
//! waiter spins with exponential backoff and then yields its time slice (`sched_yield`, via
//! crossbeam's `Backoff::snooze`), so a holder that the OS preempted gets the CPU back. This is
//! what crossbeam-channel does for its internal locks, and what Go's `lock2` does before it
//! resorts to a futex.
//!
//! Acquire on lock and Release on unlock make everything done under the lock happen-before the
//! next holder's critical section.

use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_utils::Backoff;

/// A spin-then-yield mutual exclusion lock without data (the channel keeps its state beside it).
pub struct RawLock {
    locked: AtomicBool,
}

/// Holds a [`RawLock`]; unlocks when dropped (also during unwinding).
pub struct LockGuard<'a> {
    lock: &'a RawLock,
}

impl RawLock {
    pub(crate) const fn new() -> RawLock {
        RawLock {
            locked: AtomicBool::new(false),
        }
    }

    #[inline]
    pub(crate) fn lock(&self) -> LockGuard<'_> {
        if self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
        LockGuard { lock: self }
    }

    #[cold]
    fn lock_contended(&self) {
        let backoff = Backoff::new();
        loop {
            // Test before test-and-set: wait on a shared read, not on cache-line-stealing writes.
            while self.locked.load(Ordering::Relaxed) {
                backoff.snooze();
            }
            if self
                .locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
        }
    }
}

impl Drop for LockGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        self.lock.locked.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use std::cell::UnsafeCell;
    use std::sync::Arc;

    use super::RawLock;

    struct Counter {
        lock: RawLock,
        n: UnsafeCell<u64>,
    }
    // SAFETY: `n` is only touched while `lock` is held.
    unsafe impl Sync for Counter {}

    #[test]
    fn mutual_exclusion_across_threads() {
        let c = Arc::new(Counter {
            lock: RawLock::new(),
            n: UnsafeCell::new(0),
        });
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let c = c.clone();
                std::thread::spawn(move || {
                    for _ in 0..100_000 {
                        let _g = c.lock.lock();
                        // SAFETY: the lock is held.
                        unsafe { *c.n.get() += 1 };
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let _g = c.lock.lock();
        // SAFETY: the lock is held.
        assert_eq!(unsafe { *c.n.get() }, 400_000);
    }
}
