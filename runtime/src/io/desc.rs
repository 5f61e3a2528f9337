//! Per-socket readiness state (Go's `pollDesc`) and the public [`Registration`].
//!
//! # Memory: descriptors are never freed
//!
//! An epoll event names its descriptor by `epoll_data`, and an event may already be in another
//! thread's hands when its socket is deregistered. So descriptors live in a slab of chunks that
//! are allocated once and never freed (Go's `pollcache` does the same): a stale event always
//! points at valid memory. `epoll_data` is `seq << 32 | index`; deregistering bumps the
//! descriptor's `seq` (under its lock), so a stale event for a closed (and perhaps reused) fd
//! finds a different `seq` and is dropped.
//!
//! # State machine of one direction (`Half`), all under the descriptor's lock
//!
//! * `ready`: an edge-triggered event arrived and nobody has consumed it yet. The poller sets it
//!   (and wakes every waiter of that direction); a waiter that finds it set clears it and
//!   retries its syscall. An event that arrives between the syscall's `EAGAIN` and the wait is
//!   therefore kept, not lost, and a spurious `ready` only costs one more `EAGAIN`.
//! * `waiters`: the tasks blocked in [`Registration::wait`] on that direction (usually one; a
//!   listener accepted from by several coroutines has several, and all are woken to compete).
//!   A waiter removes itself when it leaves.
//! * Deadlines are atomics (nanoseconds since the process's base instant, 0 for none) so that an
//!   I/O call checks them without the lock; changing one wakes that direction's waiters, which
//!   re-read it. `closing` likewise.
//!
//! Waking goes through the ordinary [`Unparker`], so it does not matter which thread's poll saw
//! the event: a coroutine is sent to its home worker, a plain thread is unparked.

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use crate::park::{Unparker, WaitReason, Waiting, park, park_until};
use crate::sched::runtime;

/// Descriptors per chunk, and chunks at most: a million registered sockets.
const CHUNK: usize = 1024;
const MAX_CHUNKS: usize = 1024;

/// Which way an operation waits: Go's `'r'` and `'w'` modes of `pollDesc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    /// Readable: data, a connection to accept, EOF or an error.
    Read,
    /// Writable: buffer space, a finished connect, or an error.
    Write,
}

#[derive(Default)]
struct Half {
    ready: bool,
    waiters: Vec<Unparker>,
}

#[derive(Default)]
struct State {
    read: Half,
    write: Half,
}

impl State {
    fn half(&mut self, interest: Interest) -> &mut Half {
        match interest {
            Interest::Read => &mut self.read,
            Interest::Write => &mut self.write,
        }
    }
}

struct PollDesc {
    /// The generation of the registration using it; bumped (under the lock) when it ends.
    seq: AtomicU32,
    closing: AtomicBool,
    read_deadline: AtomicU64,
    write_deadline: AtomicU64,
    state: Mutex<State>,
}

impl PollDesc {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn deadline(&self, interest: Interest) -> &AtomicU64 {
        match interest {
            Interest::Read => &self.read_deadline,
            Interest::Write => &self.write_deadline,
        }
    }
}

/// The slab: chunk pointers (set once, never freed) and the free list.
struct Slab {
    chunks: [AtomicPtr<PollDesc>; MAX_CHUNKS],
    free: Mutex<(Vec<u32>, usize)>,
}

fn slab() -> &'static Slab {
    static SLAB: OnceLock<Slab> = OnceLock::new();
    SLAB.get_or_init(|| Slab {
        chunks: [const { AtomicPtr::new(std::ptr::null_mut()) }; MAX_CHUNKS],
        free: Mutex::new((Vec::new(), 0)),
    })
}

impl Slab {
    fn get(&self, index: u32) -> Option<&'static PollDesc> {
        let (chunk, slot) = (index as usize / CHUNK, index as usize % CHUNK);
        let base = self.chunks.get(chunk)?.load(Ordering::Acquire);
        // SAFETY: a non-null chunk pointer is a leaked `[PollDesc; CHUNK]`, never freed, and
        // `slot < CHUNK`.
        (!base.is_null()).then(|| unsafe { &*base.add(slot) })
    }

    fn alloc(&self) -> io::Result<u32> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(index) = free.0.pop() {
            return Ok(index);
        }
        let chunk = free.1;
        if chunk == MAX_CHUNKS {
            return Err(io::Error::other(
                "rungo: more than a million registered sockets",
            ));
        }
        let descs: Box<[PollDesc]> = (0..CHUNK)
            .map(|_| PollDesc {
                seq: AtomicU32::new(0),
                closing: AtomicBool::new(false),
                read_deadline: AtomicU64::new(0),
                write_deadline: AtomicU64::new(0),
                state: Mutex::new(State::default()),
            })
            .collect();
        let base = Box::leak(descs).as_mut_ptr();
        self.chunks[chunk].store(base, Ordering::Release);
        free.1 = chunk + 1;
        let first = (chunk * CHUNK) as u32;
        free.0.extend((first + 1..first + CHUNK as u32).rev());
        Ok(first)
    }

    fn release(&self, index: u32) {
        self.free
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .push(index);
    }
}

/// Handles an epoll event: marks the directions ready and wakes their waiters.
pub(crate) fn dispatch(data: u64, events: u32) {
    let (index, seq) = (data as u32, (data >> 32) as u32);
    let Some(desc) = slab().get(index) else {
        return;
    };
    let mut state = desc.lock();
    if desc.seq.load(Ordering::Relaxed) != seq {
        return; // for a registration that has ended
    }
    let (ev_in, ev_out) = (
        (libc::EPOLLIN | libc::EPOLLRDHUP | libc::EPOLLHUP | libc::EPOLLERR) as u32,
        (libc::EPOLLOUT | libc::EPOLLHUP | libc::EPOLLERR) as u32,
    );
    if events & ev_in != 0 {
        wake_all(&mut state.read, true);
    }
    if events & ev_out != 0 {
        wake_all(&mut state.write, true);
    }
}

/// Wakes every waiter of a direction (they re-check under the lock), marking it ready if asked.
fn wake_all(half: &mut Half, ready: bool) {
    half.ready |= ready;
    for waiter in half.waiters.drain(..) {
        waiter.unpark();
    }
}

/// The process's base instant for deadlines kept as nanoseconds.
fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

fn to_nanos(deadline: Instant) -> u64 {
    // 0 means "none", so a deadline at or before the base becomes 1 ns (long past anyway).
    (deadline.saturating_duration_since(base()).as_nanos() as u64).max(1)
}

fn from_nanos(nanos: u64) -> Instant {
    base() + Duration::from_nanos(nanos)
}

/// The error of an operation whose deadline passed: Go's `os.ErrDeadlineExceeded` ("i/o
/// timeout").
pub fn timeout_error() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "i/o timeout")
}

/// The error of an operation on a closed registration: Go's `net.ErrClosed`.
pub fn closed_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        "use of closed network connection",
    )
}

/// A file descriptor registered with rungo's netpoller: the readiness contract.
///
/// Go: the runtime's `pollDesc` with `poll_runtime_pollOpen`, `pollWait`, `pollSetDeadline`,
/// `pollUnblock` and `pollClose` (internal/poll's `pollDesc` is the Go-side wrapper). `rungo-net`
/// builds its sockets on it; use it to make any non-blocking fd (a pipe, a tty, a socket from
/// another crate) wait without blocking a worker:
///
/// ```
/// use rungo_runtime::io::{Interest, Registration};
/// use std::io::{Read, Write};
/// use std::os::fd::AsRawFd;
///
/// let (mut a, mut b) = std::os::unix::net::UnixStream::pair()?;
/// a.set_nonblocking(true)?;
/// let reg = Registration::new(a.as_raw_fd())?;
/// let reader = rungo_runtime::go!(move || {
///     let mut buf = [0u8; 5];
///     let n = reg.io(Interest::Read, || a.read(&mut buf))?;
///     Ok::<_, std::io::Error>(buf[..n].to_vec())
/// });
/// b.write_all(b"hello")?;
/// assert_eq!(reader.join().unwrap()?, b"hello");
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # The contract
///
/// * Register once: the fd must be in non-blocking mode, and must stay open until the
///   registration is dropped (dropping it deregisters; close the fd after).
/// * [`io`](Registration::io) runs a non-blocking syscall, and on `WouldBlock` waits for
///   readiness and retries. [`wait`](Registration::wait) is the wait alone. Readiness is
///   edge-triggered: wait only after the syscall said `WouldBlock`.
/// * Reads and writes wait separately: one coroutine may read while another writes.
/// * Deadlines are absolute and sticky, and apply to operations already waiting: a deadline
///   moved into the past from another task wakes the waiter with [`timeout_error`]
///   (`ErrorKind::TimedOut`). [`close`](Registration::close) wakes every waiter with
///   [`closed_error`], and every later operation fails with it.
/// * Works the same from a coroutine (it parks, its worker runs others) and from a plain thread
///   (it parks the thread); the two may share one registration.
pub struct Registration {
    desc: &'static PollDesc,
    index: u32,
    fd: RawFd,
    /// The worker whose epoll holds the fd.
    worker: usize,
}

impl Registration {
    /// Registers `fd` (non-blocking) with a worker's poller: the calling coroutine's worker, or
    /// one chosen in turn for a plain thread. Starts the runtime if needed.
    /// Go: `runtime.poll_runtime_pollOpen`.
    pub fn new(fd: RawFd) -> io::Result<Registration> {
        let slab = slab();
        let index = slab.alloc()?;
        let desc = slab.get(index).expect("allocated");
        let seq = desc.seq.load(Ordering::Relaxed);
        let worker = runtime().pick_poller();
        let data = (u64::from(seq) << 32) | u64::from(index);
        if let Err(e) = runtime().poller(worker).register(fd, data) {
            slab.release(index);
            return Err(e);
        }
        Ok(Registration {
            desc,
            index,
            fd,
            worker,
        })
    }

    /// The registered fd.
    pub fn fd(&self) -> RawFd {
        self.fd
    }

    /// Fails if the registration is closed or `interest`'s deadline has passed: what every
    /// operation checks before its syscall. Go: `pollDesc.prepare` (`netpollcheckerr`).
    pub fn check(&self, interest: Interest) -> io::Result<()> {
        if self.desc.closing.load(Ordering::Acquire) {
            return Err(closed_error());
        }
        let deadline = self.desc.deadline(interest).load(Ordering::Acquire);
        if deadline != 0 && to_nanos(Instant::now()) >= deadline {
            return Err(timeout_error());
        }
        Ok(())
    }

    /// Waits until the fd may be ready for `interest` (an event came since the last wait), the
    /// deadline passes ([`timeout_error`]) or the registration is closed ([`closed_error`]).
    /// May return `Ok` spuriously: retry the syscall and wait again on `WouldBlock`.
    /// Go: `runtime.poll_runtime_pollWait`.
    #[track_caller]
    pub fn wait(&self, interest: Interest) -> io::Result<()> {
        let me = Unparker::current();
        let _waiting = Waiting::new(WaitReason::IoWait, std::panic::Location::caller());
        loop {
            let deadline = {
                let mut state = self.desc.lock();
                let outcome = match self.check(interest) {
                    Err(e) => Some(Err(e)),
                    Ok(()) if state.half(interest).ready => Some(Ok(())),
                    Ok(()) => None,
                };
                let half = state.half(interest);
                if let Some(outcome) = outcome {
                    half.ready = false;
                    half.waiters.retain(|w| !w.same_task(&me));
                    return outcome;
                }
                if !half.waiters.iter().any(|w| w.same_task(&me)) {
                    half.waiters.push(me.clone());
                }
                self.desc.deadline(interest).load(Ordering::Acquire)
            };
            match deadline {
                0 => park(),
                nanos => park_until(from_nanos(nanos)),
            }
        }
    }

    /// Runs the non-blocking syscall `op` until it does not report `WouldBlock`, waiting for
    /// `interest` in between; fails first if closed or past the deadline. Go: the loop of
    /// `internal/poll.FD.Read` / `Write` around `pollDesc.waitRead` / `waitWrite`.
    pub fn io<T>(
        &self,
        interest: Interest,
        mut op: impl FnMut() -> io::Result<T>,
    ) -> io::Result<T> {
        loop {
            self.check(interest)?;
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.wait(interest)?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                result => return result,
            }
        }
    }

    /// Sets the deadline of `interest`'s operations (`None` clears it), waking the operations
    /// already waiting so they see it. Go: `runtime.poll_runtime_pollSetDeadline`.
    pub fn set_deadline(&self, interest: Interest, deadline: Option<Instant>) {
        let nanos = deadline.map_or(0, to_nanos);
        self.desc.deadline(interest).store(nanos, Ordering::Release);
        wake_all(self.desc.lock().half(interest), false);
    }

    /// The deadline of `interest`'s operations, if set.
    pub fn deadline(&self, interest: Interest) -> Option<Instant> {
        match self.desc.deadline(interest).load(Ordering::Acquire) {
            0 => None,
            nanos => Some(from_nanos(nanos)),
        }
    }

    /// Marks the registration closed and wakes every waiter with [`closed_error`]; later
    /// operations fail the same way. The fd stays open (and registered) until the
    /// registration is dropped, so no syscall can reach a reused fd number.
    /// Go: `runtime.poll_runtime_pollUnblock`, called by `Close`.
    pub fn close(&self) {
        self.desc.closing.store(true, Ordering::Release);
        let mut state = self.desc.lock();
        wake_all(&mut state.read, false);
        wake_all(&mut state.write, false);
    }

    /// True once [`close`](Registration::close) was called.
    pub fn is_closed(&self) -> bool {
        self.desc.closing.load(Ordering::Acquire)
    }
}

impl Drop for Registration {
    /// Deregisters the fd (which must still be open). Go: `runtime.poll_runtime_pollClose`.
    fn drop(&mut self) {
        runtime().poller(self.worker).deregister(self.fd);
        {
            let mut state = self.desc.lock();
            // Events already taken by a poller for this registration are dropped from now on.
            self.desc.seq.fetch_add(1, Ordering::Relaxed);
            *state = State::default();
        }
        self.desc.closing.store(false, Ordering::Relaxed);
        self.desc.read_deadline.store(0, Ordering::Relaxed);
        self.desc.write_deadline.store(0, Ordering::Relaxed);
        slab().release(self.index);
    }
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("fd", &self.fd)
            .field("worker", &self.worker)
            .field("closed", &self.is_closed())
            .finish()
    }
}
