//! The blocking pool: [`blocking`] runs a call that would block its OS thread (a file read, a
//! DNS lookup, a C library, `std::thread::sleep`) on a plain thread, and parks the calling
//! coroutine until the call returns, so the caller's worker runs other coroutines meanwhile.
//!
//! Go hands a thread that enters a blocking syscall off its P (`entersyscall` /
//! `exitsyscall`, and sysmon's `retake`), so the P's other goroutines keep running on another
//! thread. rungo cannot do that: a started coroutine never leaves its home worker (the soundness
//! rule, see `sched`), so the worker thread itself must never block. Instead the blocking
//! call leaves the worker: tokio's `spawn_blocking`, but the caller waits like a Go call does.
//!
//! # The call
//!
//! ```text
//!   caller (coroutine, on its worker)          pool thread
//!   ─────────────────────────────────          ───────────
//!   slot = Arc::new(Slot::empty)
//!   job = { f, Completer{slot clone, me} }
//!   jobs += 1; send(job) ──────────────────>   recv: job
//!   loop {                                     result = catch_unwind(f)
//!       Arc::get_mut(&mut slot)? ── break      write result into slot
//!       park()   (worker runs others)          drop(slot clone)   (Release: the flag)
//!   }                                   <───── me.unpark()
//!   take result; Err(p) => resume_unwind(p)    jobs -= 1
//! ```
//!
//! * **The completion flag is the slot's reference count.** The job drops its clone of the
//!   `Arc` after it wrote the result; the caller is done when [`Arc::get_mut`] finds its own
//!   reference unique (an `Acquire` that pairs with the job's `Release` decrement, so the
//!   result's write happens-before the caller's read). The flag is set before the unpark, and
//!   the caller re-checks it after every return of [`park`] (token semantics, spurious returns
//!   allowed), so no wake-up is lost: an unpark that comes before the park leaves a token, and
//!   one that comes after the caller went on leaves a stale token that costs one spurious return
//!   later, which the blocking contract allows.
//! * **Nothing is lost.** The job's `Completer` signals in its `Drop`: the caller wakes whether
//!   the job ran, panicked (`f`'s panic is caught and carried as the result) or was dropped
//!   unrun (then the slot is empty and the caller panics with a clear message instead of
//!   hanging).
//! * **Panics** in `f` are caught on the pool thread (which the panic hook reports, as for any
//!   thread) and resumed in the caller with their payload ([`std::panic::resume_unwind`]).
//!
//! # Why `f` may borrow (no `'static`)
//!
//! `f` may capture references to the caller's stack, as with [`std::thread::scope`]. The job
//! is type-erased to `'static` to cross the pool's channel; that is sound because the job
//! never outlives the call:
//!
//! * the caller does not leave [`blocking`] (by return or by unwinding) before the job's last
//!   use of anything with the caller's lifetimes, `f`, its captures, `T` and the slot: all of
//!   them are consumed or dropped before the job drops its slot reference, which is the flag
//!   the caller waits for. What the job touches afterwards is `'static` (the [`Unparker`],
//!   and freeing the job's own box, which runs no destructor);
//! * a parked coroutine's stack stays mapped and untouched while it waits: an unfinished
//!   coroutine is never dropped, unwound or moved (see `task`: one blocked forever is
//!   leaked with its stack), so the borrowed data stays valid for the whole call;
//! * the wait cannot be left by unwinding: should the submission or [`park`] ever panic, the
//!   process aborts rather than let the borrowed frame die under a running job;
//! * a job dropped unrun (never, today: the queue lives forever and every received job is run)
//!   drops `f` before its completer signals (`Call`'s field order).
//!
//! # The pool
//!
//! Threads (named `rungo-blocking`) are started on demand when a job finds no waiting thread,
//! up to [`RuntimeBuilder::max_blocking_threads`](crate::RuntimeBuilder::max_blocking_threads)
//! (default 512, or `RUNGO_MAX_BLOCKING_THREADS`); beyond the cap, jobs wait in the queue. A
//! thread that has waited [`KEEP_ALIVE`] (10 s) without a job retires. The queue is a
//! crossbeam-channel (`recv_timeout` gives the idle timeout).
//!
//! Pool state under one mutex (held for a few instructions per job, far less than the thread
//! hand-off a job costs anyway): `threads` alive, and `spare = W - J`, where `W` counts
//! threads in their waiting phase (between finishing a job and receiving the next) and `J`
//! jobs sent or about to be sent and not yet received. Every transition keeps that equation:
//!
//! | event | `W`, `J` | `spare` |
//! |---|---|---|
//! | a thread enters its waiting phase | `W + 1` | `+ 1` |
//! | a job is submitted (before its send) | `J + 1` | `- 1` |
//! | a thread receives a job | `W - 1`, `J - 1` | unchanged |
//! | a waiting thread retires | `W - 1` | `- 1` |
//!
//! * A submitter starts a thread when `spare < 0` after its decrement (no waiting thread is left
//!   for its job) and `threads < cap`.
//! * A thread whose `recv_timeout` expires retires only if `spare > 0` (`W > J`): after it
//!   leaves, every queued job still has a waiting thread. Otherwise a job is on its way, and
//!   it waits again. So a sent job is always received while the pool has threads, and a
//!   submission that finds no thread (every spawn failed) runs its job inline instead.
//!
//! `jobs` counts submitted jobs that have not finished: it rises before the caller parks and
//! falls after the job woke its caller, so a coroutine parked in [`blocking`] implies
//! `jobs > 0` (what a deadlock detector needs: "no blocking job").

use std::cell::UnsafeCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::config;
pub mod fs;

use crate::park::{Unparker, WaitReason, Waiting, park};

/// How long an idle pool thread waits for a job before it retires (tokio's default too).
pub(crate) const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// The pool threads' name.
const THREAD_NAME: &str = "rungo-blocking";

/// A job as the channel carries it: its lifetimes erased (see the module doc's SAFETY
/// argument).
type Job = Box<dyn FnOnce() + Send + 'static>;

/// Runs `f` on a pool thread and parks the calling coroutine until it returns, so that the
/// caller's worker runs other coroutines meanwhile; returns `f`'s value, or resumes its panic.
/// On a plain thread (not a coroutine) it just calls `f`.
///
/// Use it for every call that blocks its OS thread for more than a moment: file I/O (see
/// [`fs`]), DNS, a blocking C library, `std::thread::sleep`, a
/// `std::sync::Mutex` held for long. A coroutine that blocks its worker instead stalls every
/// other coroutine of that worker.
///
/// `f` may borrow from the caller (it need not be `'static`): the caller stays parked until
/// `f` has run and its result was handed back. `f` runs on another OS thread, so it sees that
/// thread's thread-locals, and it must be `Send`. Beyond the pool's cap
/// ([`RuntimeBuilder::max_blocking_threads`](crate::RuntimeBuilder::max_blocking_threads),
/// default 512) calls wait in a queue for a free thread, so jobs that wait for each other can
/// deadlock when the cap is reached, as in tokio.
///
/// Go: what the runtime does around every blocking syscall (`entersyscall` hands the P to
/// another thread); tokio: `spawn_blocking(f).await` or `block_in_place(f)`.
///
/// ```
/// use rungo_runtime::{blocking, go};
///
/// let config = String::from("threads = 4");
/// let n = go!(move || {
///     // Borrows `config`; the coroutine's worker runs others while the pool thread works.
///     blocking(|| {
///         std::thread::sleep(std::time::Duration::from_millis(10));
///         config.len()
///     })
/// })
/// .join()
/// .unwrap();
/// assert_eq!(n, 11);
/// ```
#[track_caller]
pub fn blocking<F, T>(f: F) -> T
where
    F: FnOnce() -> T + Send,
    T: Send,
{
    if crate::current().is_none() {
        return f();
    }
    let mut slot = Arc::new(Slot::<T>(UnsafeCell::new(None)));
    let call = Call {
        f,
        completer: Completer {
            slot: Some(slot.clone()),
            me: Unparker::current(),
        },
    };
    let job: Box<dyn FnOnce() + Send + '_> = Box::new(move || call.run());
    // SAFETY: only the lifetimes change (the same fat pointer). The job never outlives this
    // call (module doc, "Why `f` may borrow"): whoever runs or drops it, its last use of
    // anything borrowed from the caller (`f`, `T`, the slot) comes before its `Completer`
    // drops its slot reference, and the loop below does not end before that reference is gone.
    let job: Job = unsafe { std::mem::transmute::<Box<dyn FnOnce() + Send + '_>, Job>(job) };
    // From here until the job has let go of the slot, leaving by unwinding would be unsound.
    let guard = AbortOnUnwind;
    let pool = pool();
    pool.jobs.fetch_add(1, Ordering::Relaxed);
    if let Err(job) = pool.submit(job) {
        // No pool thread could be started: run the job here rather than fail the call.
        job();
        pool.jobs.fetch_sub(1, Ordering::Relaxed);
    }
    let waiting = Waiting::new(WaitReason::Syscall, std::panic::Location::caller());
    while Arc::get_mut(&mut slot).is_none() {
        park();
    }
    drop(waiting);
    std::mem::forget(guard);
    let slot = Arc::get_mut(&mut slot).expect("unique: checked by the loop");
    match slot.0.get_mut().take() {
        Some(Ok(value)) => value,
        Some(Err(payload)) => panic::resume_unwind(payload),
        None => panic!("rungo: a blocking job was dropped without running"),
    }
}

/// The job: `f` and the means to hand its result back. Fields drop in declaration order, so
/// a job dropped unrun drops `f` (and whatever it borrowed) before its completer signals.
struct Call<F, T> {
    f: F,
    completer: Completer<T>,
}

impl<F: FnOnce() -> T, T> Call<F, T> {
    fn run(self) {
        let Call { f, completer } = self;
        let result = panic::catch_unwind(AssertUnwindSafe(f));
        completer.complete(result);
    }
}

/// Where the job leaves `f`'s result (or its panic) for the caller.
struct Slot<T>(UnsafeCell<Option<thread::Result<T>>>);

// SAFETY: the cell is written by the job only, before it drops its reference, and read by the
// caller only once its reference is unique (`Arc::get_mut`): the two never overlap, and the
// `Arc`'s release decrement and acquire uniqueness check order them. `T: Send` because the
// value moves from the pool thread to the caller's.
unsafe impl<T: Send> Sync for Slot<T> {}

/// The job's half of the call: fills the slot and wakes the caller, from its `Drop` so that a
/// job dropped unrun wakes its caller too.
struct Completer<T> {
    slot: Option<Arc<Slot<T>>>,
    me: Unparker,
}

impl<T> Completer<T> {
    fn complete(self, result: thread::Result<T>) {
        let slot = self
            .slot
            .as_ref()
            .expect("the slot is dropped only by Drop");
        // SAFETY: the caller reads the cell only when its reference is unique, and ours is
        // alive: no one else touches the cell now (see `Slot`'s `Sync`).
        unsafe { *slot.0.get() = Some(result) };
        // `self` drops here: the flag, then the wake-up.
    }
}

impl<T> Drop for Completer<T> {
    fn drop(&mut self) {
        // The flag: after this the caller may return and its stack frame may be reused, so
        // nothing with the caller's lifetimes may be touched below.
        drop(self.slot.take());
        self.me.unpark();
    }
}

/// Aborts if [`blocking`] is left by unwinding between handing its job over and the job's
/// completion, which would free the caller's frame while the job may still borrow it. (Neither
/// `submit` after its send nor `park` panics; this makes sure.)
struct AbortOnUnwind;

impl Drop for AbortOnUnwind {
    fn drop(&mut self) {
        eprintln!("rungo: fatal: unwinding out of a blocking call while its job may still run");
        std::process::abort();
    }
}

/// The process's blocking pool.
struct Pool {
    sender: Sender<Job>,
    receiver: Receiver<Job>,
    state: Mutex<State>,
    /// Jobs submitted and not finished (queued or running).
    jobs: AtomicUsize,
}

/// The pool's counters (module doc, "The pool").
struct State {
    /// Threads alive (started and not retired).
    threads: usize,
    /// Waiting threads minus jobs not yet received (`W - J`); negative while jobs queue.
    spare: isize,
    /// The most threads alive at once.
    peak: usize,
}

static POOL: OnceLock<Pool> = OnceLock::new();

fn pool() -> &'static Pool {
    POOL.get_or_init(|| {
        let (sender, receiver) = crossbeam_channel::unbounded();
        Pool {
            sender,
            receiver,
            state: Mutex::new(State {
                threads: 0,
                spare: 0,
                peak: 0,
            }),
            jobs: AtomicUsize::new(0),
        }
    })
}

impl Pool {
    fn state(&self) -> MutexGuard<'_, State> {
        // Nothing panics while the lock is held; recover anyway rather than cascade.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `job` for a pool thread, starting one if no waiting thread is left for it and the
    /// cap allows. Hands the job back if the pool has no thread at all and none could be
    /// started.
    fn submit(&'static self, job: Job) -> Result<(), Job> {
        let cap = config::max_blocking_threads();
        let start = {
            let mut state = self.state();
            state.spare -= 1;
            let start = state.spare < 0 && state.threads < cap;
            if start {
                state.threads += 1;
                state.peak = state.peak.max(state.threads);
            }
            start
        };
        if start {
            let spawned = thread::Builder::new()
                .name(THREAD_NAME.into())
                .spawn(move || self.work());
            if let Err(e) = spawned {
                let mut state = self.state();
                state.threads -= 1;
                if state.threads == 0 {
                    // No thread would ever receive the job: withdraw it.
                    state.spare += 1;
                    drop(state);
                    warn_spawn_failed(&e);
                    return Err(job);
                }
                // The running threads will get to it.
            }
        }
        self.sender
            .send(job)
            .unwrap_or_else(|_| unreachable!("the pool's receiver lives as long as the pool"));
        Ok(())
    }

    /// A pool thread's life: wait for a job, run it, again; retire after [`KEEP_ALIVE`] without
    /// one, unless a job is on its way.
    fn work(&self) {
        loop {
            self.state().spare += 1;
            let job = loop {
                match self.receiver.recv_timeout(KEEP_ALIVE) {
                    Ok(job) => break job,
                    Err(RecvTimeoutError::Timeout) => {
                        let mut state = self.state();
                        if state.spare > 0 {
                            state.spare -= 1;
                            state.threads -= 1;
                            return;
                        }
                    }
                    Err(RecvTimeoutError::Disconnected) => {
                        unreachable!("the pool's sender lives as long as the pool")
                    }
                }
            };
            // The job catches `f`'s panic itself; nothing else in it unwinds.
            job();
            self.jobs.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

fn warn_spawn_failed(e: &std::io::Error) {
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| {
        eprintln!(
            "rungo: cannot start a blocking-pool thread ({e}); running blocking calls on their \
             coroutine's worker, which stalls its other coroutines"
        );
    });
}

/// A snapshot of the blocking pool, for tests and diagnostics.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockingPoolStats {
    /// Pool threads alive (started, not retired).
    pub threads: usize,
    /// The most pool threads alive at once since the process started.
    pub peak_threads: usize,
    /// Threads waiting for a job beyond the jobs on their way to them.
    pub idle: usize,
    /// Jobs submitted and not finished (queued or running). Never 0 while a coroutine waits in
    /// [`blocking`].
    pub jobs: usize,
}

/// The blocking pool's counters now. Go: none (the closest are the `threadcreate` profile and
/// `GODEBUG=schedtrace`).
#[doc(hidden)]
pub fn blocking_pool_stats() -> BlockingPoolStats {
    let Some(pool) = POOL.get() else {
        return BlockingPoolStats::default();
    };
    let state = pool.state();
    BlockingPoolStats {
        threads: state.threads,
        peak_threads: state.peak,
        idle: usize::try_from(state.spare).unwrap_or(0),
        jobs: pool.jobs.load(Ordering::Relaxed),
    }
}
