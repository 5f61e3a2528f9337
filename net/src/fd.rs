//! `NetFd`: a non-blocking socket registered with the netpoller, shared by every handle (clone)
//! of one connection. Go: `net.netFD` over `internal/poll.FD`.
//!
//! # Invariants
//!
//! * The socket is in non-blocking mode for its whole life, and `reg` is dropped before `sock`
//!   (field order), so the fd is deregistered while still open and no syscall can reach a
//!   reused fd number: the fd is closed only when the last handle drops.
//! * [`NetFd::close`] (Go's `Close`) marks the registration closed, which wakes every waiter of
//!   every clone with `closed_error`, and shuts the socket down.
//! * Deadlines. The registration holds one *effective* deadline per direction; this module
//!   computes it as the earliest of Go's sticky deadline (`set_deadline`) and the per-operation
//!   deadlines of operations now in flight that have a std-style timeout (`set_read_timeout`),
//!   kept in [`Dir`] under its lock. Only an entry's owner removes it (when its operation
//!   ends), so the effective deadline never rises past an operation's own before that operation
//!   has seen it pass. An operation woken by a deadline that is not its own (an earlier
//!   operation's timeout) parks until that operation has left (it unparks the waiting ones),
//!   then waits again on the new effective deadline: each operation times out at its own
//!   deadline and no later.
//!   The runtime's deadline error has no OS error code; a kernel `ETIMEDOUT` has one, which is
//!   how the two are told apart.

use std::io;
use std::mem::MaybeUninit;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rungo_runtime::io::{Interest, Registration};
use rungo_runtime::{Unparker, park};
use socket2::Socket;

/// One direction's deadline state.
struct Dir {
    interest: Interest,
    /// std's relative per-operation timeout in nanoseconds; 0 for none.
    timeout: AtomicU64,
    state: Mutex<DirState>,
}

#[derive(Default)]
struct DirState {
    /// Go's sticky deadline.
    deadline: Option<Instant>,
    /// Deadlines of operations in flight with a timeout: (id, deadline).
    ops: Vec<(u64, Instant)>,
    next_id: u64,
    /// Operations waiting for an expired operation to see its timeout and leave.
    waiting: Vec<Unparker>,
}

impl Dir {
    fn new(interest: Interest) -> Dir {
        Dir {
            interest,
            timeout: AtomicU64::new(0),
            state: Mutex::new(DirState::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, DirState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn timeout(&self) -> Option<Duration> {
        match self.timeout.load(Ordering::Relaxed) {
            0 => None,
            n => Some(Duration::from_nanos(n)),
        }
    }

    /// Publishes the effective deadline (the earliest of all) to the registration, if changed.
    fn apply(&self, reg: &Registration, state: &DirState) {
        let earliest = state.ops.iter().map(|&(_, d)| d).min();
        let effective = match (state.deadline, earliest) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if reg.deadline(self.interest) != effective {
            reg.set_deadline(self.interest, effective);
        }
    }

    fn set_deadline(&self, reg: &Registration, deadline: Option<Instant>) {
        let mut state = self.lock();
        state.deadline = deadline;
        self.apply(reg, &state);
    }

    fn add(&self, reg: &Registration, deadline: Instant) -> u64 {
        let mut state = self.lock();
        let id = state.next_id;
        state.next_id += 1;
        state.ops.push((id, deadline));
        self.apply(reg, &state);
        id
    }

    fn remove(&self, reg: &Registration, id: u64) {
        let mut state = self.lock();
        let before = state.ops.len();
        state.ops.retain(|&(i, _)| i != id);
        if state.ops.len() != before {
            self.apply(reg, &state);
        }
        for waiter in state.waiting.drain(..) {
            waiter.unpark();
        }
    }

    /// After a deadline error: true if this operation's own deadline (Go's, or `own`) passed.
    /// Otherwise the deadline was another operation's: if that one's entry is still here, waits
    /// (parks) until it leaves, because only its owner may remove it: removing it here would
    /// raise the effective deadline before the owner saw it pass, and the owner would sleep on
    /// to the next deadline. Returns false: the caller retries.
    fn expired(&self, reg: &Registration, own: Option<Instant>) -> bool {
        let now = Instant::now();
        let mut state = self.lock();
        if state.deadline.is_some_and(|d| d <= now) || own.is_some_and(|d| d <= now) {
            return true;
        }
        if state.ops.iter().any(|&(_, d)| d <= now) {
            let me = Unparker::current();
            if !state.waiting.iter().any(|w| w.same_task(&me)) {
                state.waiting.push(me);
            }
            drop(state);
            // The owner is awake or about to be (its deadline passed), and unparks us when it
            // removes its entry; a spurious return only costs a retry.
            park();
        } else {
            self.apply(reg, &state);
        }
        false
    }
}

/// Removes an operation's deadline entry when it ends, even by panic.
struct OpGuard<'a> {
    dir: &'a Dir,
    reg: &'a Registration,
    id: Option<u64>,
}

impl Drop for OpGuard<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.dir.remove(self.reg, id);
        }
    }
}

/// A registered non-blocking socket. See the module docs for the invariants.
pub(crate) struct NetFd {
    // Field order matters: the registration is dropped (deregistered) before the fd is closed.
    reg: Registration,
    sock: Socket,
    read: Dir,
    write: Dir,
}

impl NetFd {
    /// Registers `sock`, which must already be non-blocking.
    pub(crate) fn new(sock: Socket) -> io::Result<NetFd> {
        let reg = Registration::new(sock.as_raw_fd())?;
        Ok(NetFd {
            reg,
            sock,
            read: Dir::new(Interest::Read),
            write: Dir::new(Interest::Write),
        })
    }

    /// Sets `sock` non-blocking and registers it (for sockets made by std or another crate).
    pub(crate) fn from_blocking(sock: Socket) -> io::Result<NetFd> {
        sock.set_nonblocking(true)?;
        NetFd::new(sock)
    }

    pub(crate) fn sock(&self) -> &Socket {
        &self.sock
    }

    fn dir(&self, interest: Interest) -> &Dir {
        match interest {
            Interest::Read => &self.read,
            Interest::Write => &self.write,
        }
    }

    /// Runs the non-blocking `op` until it does not report `WouldBlock`, waiting for readiness
    /// in between, bounded by Go's deadline and std's timeout of that direction.
    #[track_caller]
    pub(crate) fn io<T>(
        &self,
        interest: Interest,
        op: impl FnMut(&Socket) -> io::Result<T>,
    ) -> io::Result<T> {
        let own = self
            .dir(interest)
            .timeout()
            .and_then(|t| Instant::now().checked_add(t));
        self.io_until(interest, own, op)
    }

    /// Like [`io`](NetFd::io), with the operation's own deadline `own` instead of the timeout.
    /// The loop of `Registration::io`, written out so that the caller's location reaches
    /// `Registration::wait` (`#[track_caller]` all the way: the goroutine dump names the user's
    /// line for "IO wait").
    #[track_caller]
    pub(crate) fn io_until<T>(
        &self,
        interest: Interest,
        own: Option<Instant>,
        mut op: impl FnMut(&Socket) -> io::Result<T>,
    ) -> io::Result<T> {
        let dir = self.dir(interest);
        let _guard = OpGuard {
            dir,
            reg: &self.reg,
            id: own.map(|d| dir.add(&self.reg, d)),
        };
        // Go's preemption check: a coroutine whose operations never block still yields.
        rungo_runtime::preempt_point();
        loop {
            let result = match self.reg.check(interest) {
                Err(e) => Err(e),
                Ok(()) => match op(&self.sock) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        match self.reg.wait(interest) {
                            Ok(()) => continue,
                            Err(e) => Err(e),
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    result => result,
                },
            };
            match result {
                // A deadline error (no OS code), not our own: another operation's timeout.
                Err(e)
                    if e.kind() == io::ErrorKind::TimedOut
                        && e.raw_os_error().is_none()
                        && !self.reg.is_closed()
                        && !dir.expired(&self.reg, own) => {}
                result => return result,
            }
        }
    }

    /// Reads into `buf` (Go: `netFD.Read`).
    #[track_caller]
    pub(crate) fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io(Interest::Read, |s| s.recv(uninit(buf)))
    }

    /// Writes from `buf`, without `SIGPIPE` on a reset connection (Go: `netFD.Write`).
    #[track_caller]
    pub(crate) fn write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io(Interest::Write, |s| {
            s.send_with_flags(buf, libc::MSG_NOSIGNAL)
        })
    }

    /// Accepts a connection (Go: `netFD.accept`): `accept4` with `SOCK_NONBLOCK|SOCK_CLOEXEC`,
    /// then registered. A connection aborted before it was accepted is skipped, as in Go.
    #[track_caller]
    pub(crate) fn accept(&self) -> io::Result<(NetFd, socket2::SockAddr)> {
        loop {
            let accepted = self.io(Interest::Read, |s| {
                s.accept4(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC)
            });
            match accepted {
                Ok((sock, addr)) => return Ok((NetFd::new(sock)?, addr)),
                Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Connects to `addr` (the socket is registered and non-blocking): `EINPROGRESS`, then a
    /// wait for writability up to `deadline`, then `SO_ERROR`. Go: `netFD.connect`.
    #[track_caller]
    pub(crate) fn connect(
        &self,
        addr: &socket2::SockAddr,
        deadline: Option<Instant>,
    ) -> io::Result<()> {
        match self.sock.connect(addr) {
            Ok(()) => return Ok(()),
            // EINTR: the connect goes on asynchronously, as after EINPROGRESS (Go does the same).
            Err(e) if matches!(e.raw_os_error(), Some(libc::EINPROGRESS | libc::EINTR)) => {}
            Err(e) => return Err(e),
        }
        self.io_until(Interest::Write, deadline, |s| {
            if let Some(e) = s.take_error()? {
                return Err(e);
            }
            match s.peer_addr() {
                Ok(_) => Ok(()),
                Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => {
                    Err(io::ErrorKind::WouldBlock.into())
                }
                Err(e) => Err(e),
            }
        })
    }

    pub(crate) fn set_deadline(&self, interest: Interest, deadline: Option<Instant>) {
        self.dir(interest).set_deadline(&self.reg, deadline);
    }

    pub(crate) fn deadline(&self, interest: Interest) -> Option<Instant> {
        self.dir(interest).lock().deadline
    }

    /// std's `set_read_timeout` / `set_write_timeout`: a zero duration is an error, as in std.
    pub(crate) fn set_timeout(
        &self,
        interest: Interest,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        let nanos = match timeout {
            None => 0,
            Some(d) if d.is_zero() => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "cannot set a 0 duration timeout",
                ));
            }
            Some(d) => u64::try_from(d.as_nanos()).unwrap_or(u64::MAX),
        };
        self.dir(interest).timeout.store(nanos, Ordering::Relaxed);
        Ok(())
    }

    pub(crate) fn timeout(&self, interest: Interest) -> Option<Duration> {
        self.dir(interest).timeout()
    }

    /// Go's `Close`: wakes every waiter (of every clone) with `closed_error`, fails every later
    /// operation, and shuts the socket down so the peer sees EOF (a listener stops listening).
    /// The fd itself is closed when the last handle drops.
    pub(crate) fn close(&self) {
        self.reg.close();
        let _ = self.sock.shutdown(Shutdown::Both);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.reg.is_closed()
    }

    /// Fails with `closed_error` after [`close`](NetFd::close): for operations that do not go
    /// through the registration (shutdown, options, addresses).
    pub(crate) fn check_open(&self) -> io::Result<()> {
        if self.reg.is_closed() {
            Err(rungo_runtime::io::closed_error())
        } else {
            Ok(())
        }
    }
}

impl AsFd for NetFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}

impl AsRawFd for NetFd {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

/// `buf` as the possibly-uninitialised buffer socket2's `recv` takes.
pub(crate) fn uninit(buf: &mut [u8]) -> &mut [MaybeUninit<u8>] {
    // SAFETY: `MaybeUninit<u8>` has the layout of `u8`; socket2 only writes initialised bytes
    // into it and never de-initialises any, so `buf` stays initialised.
    unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) }
}

/// The deadline `timeout` from now, or `None` if it overflows `Instant` (never).
pub(crate) fn deadline_after(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}
