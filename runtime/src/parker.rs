//! The worker thread's parker: a futex word with a timeout.
//!
//! This is where an idle worker sleeps. It is a separate piece from the coroutine park state so
//! that a network poller can later take its place: park then becomes `epoll_wait` on the poller
//! with an eventfd registered for [`Parker::unpark`], with the same timeout (the worker's next
//! timer deadline).
//!
//! States: `EMPTY` (0), `NOTIFIED` (1), `PARKED` (-1). `unpark` stores `NOTIFIED` and wakes the
//! futex only if the owner was `PARKED`; `park` consumes a `NOTIFIED` token without sleeping.
//! An unpark that races a park is therefore never lost: either park's decrement sees the token,
//! or the futex wait sees a value other than `PARKED` and returns at once, or the wake finds the
//! waiter on the futex. (std's futex `Parker` uses the same state machine.)

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

const EMPTY: u32 = 0;
const NOTIFIED: u32 = 1;
const PARKED: u32 = u32::MAX;

/// A worker's sleep/wake word.
#[derive(Debug, Default)]
pub(crate) struct Parker {
    state: AtomicU32,
}

impl Parker {
    /// Sleeps until unparked or until `deadline`; returns at once if a token is waiting.
    /// May return spuriously. Called only by the owning worker.
    pub(crate) fn park(&self, deadline: Option<Instant>) {
        if self.state.fetch_sub(1, Ordering::Acquire) == NOTIFIED {
            return;
        }
        let timeout = deadline.map(|d| {
            let left = d.saturating_duration_since(Instant::now());
            libc::timespec {
                tv_sec: left.as_secs().min(i32::MAX as u64) as libc::time_t,
                tv_nsec: left.subsec_nanos() as libc::c_long,
            }
        });
        let ts = timeout
            .as_ref()
            .map_or(std::ptr::null(), |t| t as *const libc::timespec);
        // SAFETY: the futex word is a live AtomicU32 owned by `self`; `ts` is null or points to a
        // timespec that outlives the call. FUTEX_WAIT returns at once unless the word is PARKED.
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                self.state.as_ptr(),
                libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
                PARKED,
                ts,
            );
        }
        self.state.swap(EMPTY, Ordering::Acquire);
    }

    /// Wakes the owner, or leaves a token for its next park.
    pub(crate) fn unpark(&self) {
        if self.state.swap(NOTIFIED, Ordering::Release) == PARKED {
            // SAFETY: the futex word is a live AtomicU32; FUTEX_WAKE only wakes waiters on it.
            unsafe {
                libc::syscall(
                    libc::SYS_futex,
                    self.state.as_ptr(),
                    libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
                    1,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use super::Parker;

    #[test]
    fn unpark_before_park_returns_at_once() {
        let p = Parker::default();
        p.unpark();
        let start = Instant::now();
        p.park(Some(Instant::now() + Duration::from_secs(10)));
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn park_times_out_at_its_deadline() {
        let p = Parker::default();
        let start = Instant::now();
        p.park(Some(Instant::now() + Duration::from_millis(20)));
        assert!(start.elapsed() >= Duration::from_millis(20));
    }

    #[test]
    fn unpark_from_another_thread_racing_park_is_never_lost() {
        let p = Arc::new(Parker::default());
        for _ in 0..2000 {
            let q = p.clone();
            let t = std::thread::spawn(move || q.unpark());
            p.park(None); // would hang if the wake-up were lost
            t.join().unwrap();
        }
    }
}
