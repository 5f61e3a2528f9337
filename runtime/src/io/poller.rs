//! A worker's poller: its epoll instance, which is also where the worker sleeps.
//!
//! Each worker owns one epoll. The fds registered in it are sockets (see `desc`), plus one
//! eventfd that other threads write to wake the worker. Parking the worker is
//! `epoll_pwait2(timeout = next timer deadline)`: one syscall that sleeps until a socket is
//! ready, a wake-up arrives or a timer is due (DESIGN.md, "Network I/O"). A worker with work
//! polls without blocking every so often instead (`poll_now`), and sysmon polls on behalf of a
//! worker stuck in a long run (`poll_now` from another thread: epoll allows that, and an
//! edge-triggered event is reported to one of the pollers only).
//!
//! # The sleep/wake word (`state`)
//!
//! `EMPTY` (0), `NOTIFIED` (1), `PARKED` (-1), as in std's futex parker. `park` decrements: from
//! `NOTIFIED` it consumed a token and returns at once; otherwise the state is `PARKED` and the
//! worker enters `epoll_pwait2`. `unpark` stores `NOTIFIED` and writes the eventfd only if the
//! state was `PARKED`, so a wake-up of a running worker costs no syscall. The eventfd is
//! level-triggered and only the owner drains it: if the write lands between the decrement and
//! the wait, or if another thread's poll sees the event first (it ignores it), the owner's
//! `epoll_pwait2` still returns at once. So no wake-up is lost.
//!
//! `epoll_pwait2` (Linux 5.11) takes a nanosecond timeout; where it is missing, `epoll_wait`
//! rounds the timeout up to the next millisecond (a timer never fires early).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::time::Instant;

use super::desc;

const EMPTY: u32 = 0;
const NOTIFIED: u32 = 1;
const PARKED: u32 = u32::MAX;

/// `epoll_data` of the wake-up eventfd (a descriptor's data is never this: see `desc`).
const WAKE_TOKEN: u64 = u64::MAX;
/// Events taken per `epoll_wait` call.
const BATCH: usize = 64;

/// Cleared the first time `epoll_pwait2` turns out to be missing.
static HAVE_PWAIT2: AtomicBool = AtomicBool::new(true);

/// One worker's epoll and sleep/wake word.
#[derive(Debug)]
pub(crate) struct Poller {
    epoll: OwnedFd,
    wake: OwnedFd,
    state: AtomicU32,
    /// Sockets registered here: a poller with none is never polled without sleeping.
    registered: AtomicUsize,
}

impl Poller {
    pub(crate) fn new() -> io::Result<Poller> {
        // SAFETY: plain syscalls; each fd is checked, then owned by an OwnedFd.
        let epoll = unsafe { owned(libc::epoll_create1(libc::EPOLL_CLOEXEC))? };
        // SAFETY: as above.
        let wake = unsafe { owned(libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC))? };
        let poller = Poller {
            epoll,
            wake,
            state: AtomicU32::new(EMPTY),
            registered: AtomicUsize::new(0),
        };
        poller.ctl(
            libc::EPOLL_CTL_ADD,
            poller.wake.as_raw_fd(),
            libc::EPOLLIN as u32,
            WAKE_TOKEN,
        )?;
        Ok(poller)
    }

    /// Registers a socket, edge-triggered for both directions, with `data` naming its
    /// descriptor.
    pub(crate) fn register(&self, fd: RawFd, data: u64) -> io::Result<()> {
        let events = libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET;
        self.ctl(libc::EPOLL_CTL_ADD, fd, events as u32, data)?;
        self.registered.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Removes a socket; no new event for it is reported after this returns (one already
    /// taken by a concurrent poll is dropped by its sequence number, see `desc`).
    pub(crate) fn deregister(&self, fd: RawFd) {
        let _ = self.ctl(libc::EPOLL_CTL_DEL, fd, 0, 0);
        self.registered.fetch_sub(1, Ordering::Relaxed);
    }

    fn ctl(&self, op: libc::c_int, fd: RawFd, events: u32, data: u64) -> io::Result<()> {
        let mut event = libc::epoll_event { events, u64: data };
        // SAFETY: `event` is a valid epoll_event for the call's duration; the kernel checks fds.
        let rc = unsafe { libc::epoll_ctl(self.epoll.as_raw_fd(), op, fd, &mut event) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Sleeps until unparked, a registered socket is ready, or `deadline`; returns at once if a
    /// token is waiting. May return spuriously. Called only by the owning worker.
    pub(crate) fn park(&self, deadline: Option<Instant>) {
        if self.state.fetch_sub(1, Ordering::Acquire) == NOTIFIED {
            return;
        }
        self.wait(deadline, true);
        self.state.swap(EMPTY, Ordering::Acquire);
    }

    /// Wakes the owner if it sleeps, or leaves a token for its next park.
    pub(crate) fn unpark(&self) {
        if self.state.swap(NOTIFIED, Ordering::Release) == PARKED {
            let one: u64 = 1;
            // SAFETY: writes 8 bytes from a live u64 to our eventfd. It cannot fail short of
            // the counter overflowing, which one write per sleep never reaches.
            unsafe {
                libc::write(self.wake.as_raw_fd(), (&raw const one).cast(), 8);
            }
        }
    }

    /// Takes the events that are ready now, without sleeping (nothing to do when no socket is
    /// registered). `owner` is true when the owning worker calls.
    pub(crate) fn poll_now(&self, owner: bool) {
        if self.registered.load(Ordering::Relaxed) != 0 {
            self.wait(Some(Instant::now()), owner);
        }
    }

    /// True while the owner sleeps (or is about to) in `park`.
    pub(crate) fn is_sleeping(&self) -> bool {
        self.state.load(Ordering::Relaxed) == PARKED
    }

    /// Sockets registered here.
    pub(crate) fn registered(&self) -> usize {
        self.registered.load(Ordering::Relaxed)
    }

    /// True if sockets are registered here.
    pub(crate) fn has_registrations(&self) -> bool {
        self.registered.load(Ordering::Relaxed) != 0
    }

    /// One `epoll_pwait2` until `deadline` (`None`: no limit), dispatching what it returns.
    fn wait(&self, deadline: Option<Instant>, owner: bool) {
        let mut events = [libc::epoll_event { events: 0, u64: 0 }; BATCH];
        let n = self.epoll_wait(&mut events, deadline);
        for event in &events[..n] {
            let data = event.u64;
            if data == WAKE_TOKEN {
                if owner {
                    self.drain_wake();
                }
            } else {
                desc::dispatch(data, event.events);
            }
        }
    }

    fn epoll_wait(
        &self,
        events: &mut [libc::epoll_event; BATCH],
        deadline: Option<Instant>,
    ) -> usize {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        loop {
            let rc = if HAVE_PWAIT2.load(Ordering::Relaxed) {
                let ts = left.map(|l| libc::timespec {
                    tv_sec: l.as_secs().min(i32::MAX as u64) as libc::time_t,
                    tv_nsec: l.subsec_nanos() as libc::c_long,
                });
                let ts_ptr = ts.as_ref().map_or(std::ptr::null(), |t| t as *const _);
                // SAFETY: `events` has room for BATCH entries; `ts_ptr` is null or points to a
                // timespec that outlives the call; a null sigmask leaves the mask alone.
                unsafe {
                    libc::syscall(
                        libc::SYS_epoll_pwait2,
                        self.epoll.as_raw_fd(),
                        events.as_mut_ptr(),
                        BATCH as libc::c_int,
                        ts_ptr,
                        std::ptr::null::<libc::sigset_t>(),
                        0usize,
                    ) as libc::c_int
                }
            } else {
                // Round up, so that a deadline is never reported before it has passed.
                let ms = left.map_or(-1, |l| {
                    l.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as libc::c_int
                });
                // SAFETY: `events` has room for BATCH entries.
                unsafe {
                    libc::epoll_wait(
                        self.epoll.as_raw_fd(),
                        events.as_mut_ptr(),
                        BATCH as libc::c_int,
                        ms,
                    )
                }
            };
            if rc >= 0 {
                return rc as usize;
            }
            match io::Error::last_os_error().raw_os_error() {
                Some(libc::ENOSYS) => HAVE_PWAIT2.store(false, Ordering::Relaxed),
                // A signal: report nothing; the caller's loop looks again.
                Some(libc::EINTR) => return 0,
                _ => return 0,
            }
        }
    }

    fn drain_wake(&self) {
        let mut buf: u64 = 0;
        // SAFETY: reads at most 8 bytes into a live u64; the eventfd is non-blocking.
        unsafe {
            libc::read(self.wake.as_raw_fd(), (&raw mut buf).cast(), 8);
        }
    }
}

/// Takes ownership of a new fd, or the error that `-1` stands for.
///
/// # Safety
/// `fd` is a fresh fd from a syscall, or -1.
unsafe fn owned(fd: RawFd) -> io::Result<OwnedFd> {
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the caller's contract: a fresh fd nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use super::Poller;

    #[test]
    fn unpark_before_park_returns_at_once() {
        let p = Poller::new().unwrap();
        p.unpark();
        let start = Instant::now();
        p.park(Some(Instant::now() + Duration::from_secs(10)));
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn park_times_out_at_its_deadline_never_before() {
        let p = Poller::new().unwrap();
        for ms in [1, 3, 20] {
            let start = Instant::now();
            p.park(Some(start + Duration::from_millis(ms)));
            assert!(start.elapsed() >= Duration::from_millis(ms));
        }
    }

    #[test]
    fn unpark_from_another_thread_racing_park_is_never_lost() {
        let p = Arc::new(Poller::new().unwrap());
        for _ in 0..2000 {
            let q = p.clone();
            let t = std::thread::spawn(move || q.unpark());
            p.park(None); // would hang if the wake-up were lost
            t.join().unwrap();
        }
    }

    #[test]
    fn a_foreign_poll_does_not_steal_the_owners_wake_up() {
        let p = Arc::new(Poller::new().unwrap());
        for _ in 0..500 {
            let q = p.clone();
            let t = std::thread::spawn(move || {
                q.unpark();
                q.wait(Some(Instant::now()), false); // sysmon polling on the owner's behalf
            });
            p.park(None);
            t.join().unwrap();
        }
    }
}
