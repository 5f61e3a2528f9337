//! The blocking contract: what every rungo blocking primitive (channels, `sync`) is built on.
//!
//! Three operations, the same inside a coroutine and on a plain OS thread:
//!
//! * [`Unparker::current`] names the calling task (a coroutine, or else the thread);
//! * [`park`], [`park_timeout`], [`park_until`] suspend it: a coroutine hands its worker back to
//!   other coroutines; a plain thread blocks (`std::thread::park`);
//! * [`Unparker::unpark`], from any thread, makes it runnable again.
//!
//! [`RawUnparker`] is the same handle without a reference count, for wait-queue nodes whose owner
//! stays blocked until every waker is done with the node (its `unpark` is `unsafe` for that
//! reason); rungo's channels use it.
//!
//! # Guarantees
//!
//! * **Token semantics.** Each task has one wake-up token. `unpark` sets it; `park` consumes it
//!   and returns at once if it was set. An unpark that comes before the park is therefore not
//!   lost. Tokens do not accumulate.
//! * **Spurious returns.** `park` may return without an unpark (a stale token, a timeout), so a
//!   primitive always re-checks its condition in a loop: `while !ready() { park() }`.
//! * **Memory ordering.** Everything the unparking task wrote before `unpark` happens-before the
//!   parked task's return from the `park` that consumed that token (the token is handed over
//!   with release/acquire atomics, see `task`). So a primitive that publishes state and then
//!   unparks needs no further fence for the woken task to see the state.
//! * **No allocation.** `current`, `park` and `unpark` allocate nothing (an `Unparker` is a
//!   reference-counted handle). Wait-queue nodes belong to the primitives and live on the heap,
//!   never on a parked coroutine's stack, so no thread ever reads a parked stack.
//! * **Locality.** Unparking a coroutine from its own worker puts it in that worker's runnext
//!   slot (it runs as soon as the unparker blocks); from another thread, it is sent to its home
//!   worker (started coroutines never migrate: see `sched`).

use std::fmt;
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use crate::sched::{self, CURRENT, Local, runtime};
use crate::task::TaskRef;
use crate::task::{Suspend, Task};

/// A handle that wakes one task (a coroutine, or a plain thread) from any thread.
///
/// Go: the runtime's `goready(gp)`; the Rust counterpart of `std::thread::Thread::unpark`.
///
/// ```
/// use rungo_runtime::{Unparker, go, park};
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
///
/// let done = Arc::new(AtomicBool::new(false));
/// let me = Unparker::current();
/// let d = done.clone();
/// go!(move || {
///     d.store(true, Ordering::Release);
///     me.unpark();
/// });
/// while !done.load(Ordering::Acquire) {
///     park();
/// }
/// ```
#[derive(Clone)]
pub struct Unparker {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Coroutine(TaskRef),
    Thread(Arc<ThreadWaiter>),
}

impl Unparker {
    /// The handle of the calling task: the running coroutine, or else the current thread.
    /// Go: the runtime's `getg()`.
    pub fn current() -> Unparker {
        let inner = match current_task() {
            Some(task) => Inner::Coroutine(task),
            None => Inner::Thread(ThreadWaiter::current()),
        };
        Unparker { inner }
    }

    /// Wakes the task if it is parked, or leaves it a token so that its next park returns at
    /// once. Go: the runtime's `goready(gp)`.
    pub fn unpark(&self) {
        match &self.inner {
            Inner::Coroutine(task) => {
                if let Some(parked) = Task::unpark(task) {
                    runtime().wake(parked);
                }
            }
            Inner::Thread(thread) => thread.unpark(),
        }
    }

    /// True if both handles wake the same task. Go: comparing two `*g`.
    pub fn same_task(&self, other: &Unparker) -> bool {
        match (&self.inner, &other.inner) {
            (Inner::Coroutine(a), Inner::Coroutine(b)) => TaskRef::ptr_eq(a, b),
            (Inner::Thread(a), Inner::Thread(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// A handle that wakes one task without keeping it alive: what a wait-queue node holds, when
/// its owner stays blocked until every waker is done with the node.
///
/// Go: the `g` pointer in a `sudog` (runtime/runtime2.go), which the waker passes to `goready`.
/// An [`Unparker`] costs a reference count when made and dropped; a `RawUnparker` of a coroutine
/// costs nothing, which matters on a channel's blocking path.
///
/// The waker must finish its `unpark` before it lets the owner go on, so the owner tells "a
/// waker has claimed me" apart from "done" and does not park in between:
///
/// ```
/// use rungo_runtime::{RawUnparker, go, park, yield_now};
/// use std::sync::atomic::{AtomicU8, Ordering};
/// use std::sync::Arc;
///
/// const WAITING: u8 = 0;
/// const CLAIMED: u8 = 1;
/// const DONE: u8 = 2;
/// let state = Arc::new(AtomicU8::new(WAITING));
/// let me = Arc::new(RawUnparker::current());
/// let (s, m) = (state.clone(), me.clone());
/// go!(move || {
///     if s.compare_exchange(WAITING, CLAIMED, Ordering::AcqRel, Ordering::Acquire).is_ok() {
///         // SAFETY: the owner does not leave its loop while the state is CLAIMED.
///         unsafe { m.unpark() };
///         s.store(DONE, Ordering::Release);
///     }
/// });
/// loop {
///     match state.load(Ordering::Acquire) {
///         DONE => break,
///         CLAIMED => yield_now(),
///         _ => park(),
///     }
/// }
/// ```
pub struct RawUnparker {
    inner: RawInner,
}

enum RawInner {
    Coroutine(NonNull<Task>),
    Thread(Arc<ThreadWaiter>),
}

// SAFETY: the task pointer is only used to wake the task (atomics, and its worker's inbox),
// which any thread may do; the `unpark` contract keeps the task alive meanwhile.
unsafe impl Send for RawUnparker {}
// SAFETY: as for `Send`: `unpark` takes `&self` and only touches thread-safe state.
unsafe impl Sync for RawUnparker {}

impl RawUnparker {
    /// The handle of the calling task: the running coroutine, or else the current thread.
    /// Go: the runtime's `getg()`.
    #[inline]
    pub fn current() -> RawUnparker {
        let inner = match CURRENT.get() {
            Some(task) => RawInner::Coroutine(task),
            None => RawInner::Thread(ThreadWaiter::current()),
        };
        RawUnparker { inner }
    }

    /// Wakes the task if it is parked, or leaves it a token. Go: the runtime's `goready(gp)`.
    ///
    /// # Safety
    /// The task this handle was made by must not have finished: its owner must still be inside
    /// the blocking operation that published the handle, and stay there until this call returns
    /// (a coroutine's control block is freed only after it finishes).
    #[inline]
    pub unsafe fn unpark(&self) {
        // SAFETY: the caller's contract is this one's.
        drop(unsafe { self.unpark_deferred() });
    }

    /// [`RawUnparker::unpark`] in two steps: the task is made runnable now, and the thread that
    /// will run it is woken when the returned [`Wakeup`] is dropped. Only the first step needs
    /// the task alive, so a waker can publish "done" in between, and the second step (a system
    /// call when that thread sleeps) no longer holds the owner up: on a busy machine the woken
    /// thread often takes the waker's CPU inside that call, and an owner still waiting for
    /// "done" would wait for the waker to get a CPU back.
    ///
    /// # Safety
    /// As for [`RawUnparker::unpark`], until this call returns; the `Wakeup` may outlive the
    /// task.
    #[inline]
    pub unsafe fn unpark_deferred(&self) -> Wakeup {
        let inner = match &self.inner {
            RawInner::Coroutine(task) => {
                // SAFETY: the task has not finished (the caller's contract), so it is alive.
                match Task::unpark(unsafe { task.as_ref() }) {
                    Some(parked) => runtime()
                        .wake_deferred(parked)
                        .map_or(WakeInner::Nothing, WakeInner::Worker),
                    None => WakeInner::Nothing,
                }
            }
            RawInner::Thread(thread) => {
                // The park ends now, while the thread is still inside the operation that
                // published this handle: done in the `Wakeup`'s drop, after the waker's "done",
                // it could end a later park of the same thread instead.
                thread.end_park();
                WakeInner::Thread(thread.clone())
            }
        };
        Wakeup { inner }
    }
}

/// The second step of [`RawUnparker::unpark_deferred`]: dropping it wakes the thread that runs
/// the unparked task, if that thread sleeps. Go has no counterpart: `goready` wakes an idle P
/// after the fact too, but its waker cannot lose its CPU between the two steps to the thread
/// it wakes.
#[must_use = "the task's thread is woken when the Wakeup is dropped"]
pub struct Wakeup {
    inner: WakeInner,
}

enum WakeInner {
    Nothing,
    /// The woken coroutine's home worker (it was sent to its inbox).
    Worker(&'static crate::io::Poller),
    /// A plain thread, whose park was ended in the first step: it is unparked here (std's
    /// park may return spuriously, so a late unpark is harmless).
    Thread(Arc<ThreadWaiter>),
}

impl Drop for Wakeup {
    #[inline]
    fn drop(&mut self) {
        match &self.inner {
            WakeInner::Nothing => {}
            WakeInner::Worker(poller) => poller.unpark(),
            WakeInner::Thread(thread) => thread.thread.unpark(),
        }
    }
}

impl fmt::Debug for Wakeup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Wakeup")
    }
}

impl fmt::Debug for RawUnparker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            RawInner::Coroutine(task) => write!(f, "RawUnparker(coroutine at {task:p})"),
            RawInner::Thread(thread) => write!(f, "RawUnparker(thread {:?})", thread.thread.id()),
        }
    }
}

impl fmt::Debug for Unparker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Coroutine(task) => write!(f, "Unparker(coroutine {})", task.id),
            Inner::Thread(thread) => write!(f, "Unparker(thread {:?})", thread.thread.id()),
        }
    }
}

/// The running coroutine's task, if the caller is a coroutine.
pub(crate) fn current_task() -> Option<TaskRef> {
    let task = CURRENT.get()?;
    // SAFETY: CURRENT is the task of the coroutine running on this thread; its worker holds a
    // reference while it runs, so adding one is sound.
    Some(unsafe { TaskRef::from_borrowed(task.as_ref()) })
}

/// Blocks the calling task until it is unparked (or returns at once if a token is waiting).
/// May return spuriously.
///
/// Go: the runtime's `gopark`; for threads, `std::thread::park`.
#[inline]
pub fn park() {
    let Some(ptr) = CURRENT.get() else {
        return park_thread();
    };
    // SAFETY: as in `current_task`: the running coroutine's task is alive while it runs.
    park_coroutine(unsafe { ptr.as_ref() });
}

/// A plain thread as rungo's unparkers see it: its handle, and whether it is parked in
/// rungo's untimed [`park`] (counted in `introspect::THREADS_PARKED` for the deadlock check).
///
/// The count is taken back by whoever ends the park: the unparker, at the moment it unparks
/// (so a woken thread that the OS has not yet run is not mistaken for a waiting one), or the
/// thread itself after a spurious return. The `parked` flag's swap decides which, exactly once.
pub(crate) struct ThreadWaiter {
    thread: std::thread::Thread,
    parked: AtomicBool,
}

impl ThreadWaiter {
    fn current() -> Arc<ThreadWaiter> {
        thread_local! {
            static ME: Arc<ThreadWaiter> = Arc::new(ThreadWaiter {
                thread: std::thread::current(),
                parked: AtomicBool::new(false),
            });
        }
        ME.with(Arc::clone)
    }

    fn unpark(&self) {
        self.end_park();
        self.thread.unpark();
    }

    fn end_park(&self) {
        if self.parked.swap(false, SeqCst) {
            crate::introspect::THREADS_PARKED.fetch_sub(1, SeqCst);
            crate::introspect::THREAD_WAKES.fetch_add(1, SeqCst);
        }
    }
}

/// A plain thread's untimed park, counted for the deadlock check: a thread parked here can only
/// be woken by another rungo task (see `introspect`).
#[cold]
fn park_thread() {
    // The runtime's sysmon runs the deadlock check, so a thread that waits on rungo starts it
    // (not under Miri, which runs the wait-queue protocol on plain threads and cannot map
    // coroutine stacks).
    if !cfg!(miri) {
        crate::sched::runtime();
    }
    let me = ThreadWaiter::current();
    // Counted before it is flagged, so an unparker that sees the flag finds the count.
    crate::introspect::THREADS_PARKED.fetch_add(1, SeqCst);
    me.parked.store(true, SeqCst);
    std::thread::park();
    me.end_park();
}

/// Why a coroutine is blocked, in Go's words (the state in a goroutine dump). Go: the runtime's
/// `waitReason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitReason {
    /// `<-ch`: "chan receive".
    ChanReceive,
    /// `ch <- v`: "chan send".
    ChanSend,
    /// A receive on a nil channel: "chan receive (nil chan)".
    ChanReceiveNil,
    /// A send on a nil channel: "chan send (nil chan)".
    ChanSendNil,
    /// A blocked `select`: "select".
    Select,
    /// `select {}`: "select (no cases)".
    SelectNoCases,
    /// "sync.Mutex.Lock".
    MutexLock,
    /// "sync.RWMutex.RLock".
    RwMutexRLock,
    /// "sync.RWMutex.Lock".
    RwMutexLock,
    /// "sync.WaitGroup.Wait".
    WaitGroupWait,
    /// "sync.Cond.Wait".
    CondWait,
    /// A semaphore, barrier or errgroup wait: "semacquire".
    Semacquire,
    /// `time.Sleep`: "sleep".
    Sleep,
    /// A socket operation waiting for readiness: "IO wait".
    IoWait,
    /// Waiting for a coroutine's result ([`JoinHandle::join`](crate::JoinHandle::join)):
    /// "join".
    Join,
    /// Waiting for a [`blocking`](crate::blocking) call: "syscall".
    Syscall,
    /// A context's `Done`: "chan receive" in Go; here "context.Done".
    ContextDone,
}

impl WaitReason {
    /// Go's words for it.
    pub fn as_str(self) -> &'static str {
        match self {
            WaitReason::ChanReceive => "chan receive",
            WaitReason::ChanSend => "chan send",
            WaitReason::ChanReceiveNil => "chan receive (nil chan)",
            WaitReason::ChanSendNil => "chan send (nil chan)",
            WaitReason::Select => "select",
            WaitReason::SelectNoCases => "select (no cases)",
            WaitReason::MutexLock => "sync.Mutex.Lock",
            WaitReason::RwMutexRLock => "sync.RWMutex.RLock",
            WaitReason::RwMutexLock => "sync.RWMutex.Lock",
            WaitReason::WaitGroupWait => "sync.WaitGroup.Wait",
            WaitReason::CondWait => "sync.Cond.Wait",
            WaitReason::Semacquire => "semacquire",
            WaitReason::Sleep => "sleep",
            WaitReason::IoWait => "IO wait",
            WaitReason::Join => "join",
            WaitReason::Syscall => "syscall",
            WaitReason::ContextDone => "context.Done",
        }
    }

    fn code(self) -> u8 {
        self as u8 + 1
    }

    pub(crate) fn from_code(code: u8) -> Option<WaitReason> {
        const ALL: [WaitReason; 17] = [
            WaitReason::ChanReceive,
            WaitReason::ChanSend,
            WaitReason::ChanReceiveNil,
            WaitReason::ChanSendNil,
            WaitReason::Select,
            WaitReason::SelectNoCases,
            WaitReason::MutexLock,
            WaitReason::RwMutexRLock,
            WaitReason::RwMutexLock,
            WaitReason::WaitGroupWait,
            WaitReason::CondWait,
            WaitReason::Semacquire,
            WaitReason::Sleep,
            WaitReason::IoWait,
            WaitReason::Join,
            WaitReason::Syscall,
            WaitReason::ContextDone,
        ];
        ALL.get(usize::from(code).checked_sub(1)?).copied()
    }
}

impl fmt::Display for WaitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Records, until dropped, why the calling coroutine blocks and where: what
/// [`dump`](crate::dump) shows for it. A blocking primitive makes one on its slow path, around
/// its park loop; on a plain thread it does nothing.
///
/// Go: the `waitReason` and `waitsince` that `gopark` records.
///
/// ```
/// use rungo_runtime::{WaitReason, Waiting};
/// let _waiting = Waiting::new(WaitReason::Semacquire, std::panic::Location::caller());
/// // ... park until the condition holds ...
/// ```
#[must_use = "the reason is cleared when the guard drops"]
pub struct Waiting {
    task: Option<NonNull<Task>>,
    /// What `drop` must also forget: [`Waiting::TRACED`], [`Waiting::HOLDER`]. Zero on the hot
    /// path, so dropping the guard is one store and one test.
    extras: u8,
}

impl Waiting {
    /// Marks the calling coroutine as blocked for `reason` at `site` (a `#[track_caller]`
    /// location of the public operation), from now on.
    #[inline(always)]
    pub fn new(reason: WaitReason, site: &'static std::panic::Location<'static>) -> Waiting {
        let task = CURRENT.get();
        let mut extras = 0;
        if let Some(ptr) = task {
            // SAFETY: the running coroutine's task is alive while it runs; its wait fields are
            // only touched on its home worker, where we are.
            let t = unsafe { ptr.as_ref() };
            t.wait_reason.set(reason.code());
            t.wait_site.set(Some(site));
            t.wait_since.set(crate::introspect::coarse_now_ms());
            if crate::introspect::capture_park_backtrace(t) {
                extras = Waiting::TRACED;
            }
        }
        Waiting { task, extras }
    }

    /// A park backtrace was stored for the coroutine (`RUNGO_TRACEBACK=all`).
    const TRACED: u8 = 1;
    /// A holder was recorded ([`Waiting::held_by`]).
    const HOLDER: u8 = 2;

    /// Records who holds what the coroutine waits for: `holder` is where the primitive keeps
    /// the holding coroutine's id ([`current_id`] at lock time, 0 when free). The deadlock
    /// check follows these edges to name a cycle ("coroutine 7 waits for sync.Mutex.Lock at
    /// ... held by coroutine 9, which waits ..."). `holder` must outlive the guard (it is part
    /// of the lock the caller is blocked on).
    pub fn held_by(mut self, holder: &std::sync::atomic::AtomicU64) -> Waiting {
        if let Some(ptr) = self.task {
            // SAFETY: as in `new`: the running coroutine's task, on its home worker.
            crate::introspect::record_holder(unsafe { ptr.as_ref() }, holder);
            self.extras |= Waiting::HOLDER;
        }
        self
    }

    #[cold]
    fn forget_extras(&self, t: &Task) {
        if self.extras & Waiting::TRACED != 0 {
            crate::introspect::forget_park_backtrace(t);
        }
        if self.extras & Waiting::HOLDER != 0 {
            crate::introspect::forget_holder(t);
        }
    }
}

/// The running coroutine's id, or 0 on a plain thread: what a lock records as its holder (see
/// [`Waiting::held_by`]). Go: none (goroutine ids are hidden).
#[inline]
pub fn current_id() -> u64 {
    // SAFETY: the running coroutine's task is alive while it runs.
    CURRENT.get().map_or(0, |t| unsafe { t.as_ref() }.id.get())
}

impl Drop for Waiting {
    #[inline(always)]
    fn drop(&mut self) {
        if let Some(ptr) = self.task {
            // SAFETY: as in `new`: the same coroutine, still running on its home worker.
            let t = unsafe { ptr.as_ref() };
            // The site is read only while a reason is set, so it need not be cleared.
            t.wait_reason.set(0);
            if self.extras != 0 {
                self.forget_extras(t);
            }
        }
    }
}

#[inline(always)]
fn park_coroutine(task: &Task) {
    task.spawn_streak.set(0);
    if task.take_token() {
        return;
    }
    sched::suspend(task, Suspend::Park);
}

/// Like [`park`], but returns after `timeout` at the latest. Go: the runtime parks with a timer
/// this way for `time.Sleep` and for `select` with a `time.After` case.
pub fn park_timeout(timeout: Duration) {
    park_until(
        Instant::now()
            .checked_add(timeout)
            .unwrap_or_else(far_future),
    );
}

/// Like [`park`], but returns at `deadline` at the latest (at once if it has passed). Go: as
/// [`park_timeout`].
pub fn park_until(deadline: Instant) {
    let now = Instant::now();
    if deadline <= now {
        return;
    }
    match CURRENT.get() {
        // SAFETY: as in `current_task`: the running coroutine's task is alive while it runs.
        Some(ptr) => park_coroutine_until(unsafe { ptr.as_ref() }, deadline),
        None => std::thread::park_timeout(deadline - now),
    }
}

/// Parks the running coroutine until it is unparked or `deadline` passes. Even a deadline in the
/// past parks: its timer fires at the worker's next timer check, after the coroutines already
/// runnable have had their turn. The timer entry is removed as soon as the park returns (see
/// `timer`).
fn park_coroutine_until(task: &Task, deadline: Instant) {
    let local = Local::current().expect("coroutines run on workers");
    // SAFETY: `task` is the running coroutine's, alive while it runs (its worker holds a
    // reference), so adding one is sound.
    local.add_timer(deadline, unsafe { TaskRef::from_borrowed(task) });
    park_coroutine(task);
    local.remove_timer(task);
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(60 * 60 * 24 * 365 * 30)
}

/// Pauses the calling coroutine for at least `d`, letting its worker run others; on a plain
/// thread, sleeps the thread. As in Go, any positive duration parks (so a loop of tiny sleeps
/// still lets the other coroutines run) and a zero duration returns at once.
///
/// Go: `time.Sleep(d)`.
///
/// ```
/// let start = std::time::Instant::now();
/// rungo_runtime::run(|| rungo_runtime::sleep(std::time::Duration::from_millis(10)));
/// assert!(start.elapsed() >= std::time::Duration::from_millis(10));
/// ```
#[track_caller]
pub fn sleep(d: Duration) {
    if d.is_zero() {
        return;
    }
    let Some(ptr) = CURRENT.get() else {
        return std::thread::sleep(d);
    };
    // SAFETY: as in `current_task`.
    let task = unsafe { ptr.as_ref() };
    let deadline = Instant::now().checked_add(d).unwrap_or_else(far_future);
    let _waiting = Waiting::new(WaitReason::Sleep, std::panic::Location::caller());
    loop {
        park_coroutine_until(task, deadline);
        if Instant::now() >= deadline {
            return;
        }
    }
}

/// Lets the other coroutines of this worker run, then continues.
///
/// Go: `runtime.Gosched()`; on a plain thread, `std::thread::yield_now`.
#[inline]
pub fn yield_now() {
    let Some(ptr) = CURRENT.get() else {
        return std::thread::yield_now();
    };
    // SAFETY: as in `current_task`.
    sched::suspend(unsafe { ptr.as_ref() }, Suspend::Yield);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deferred wake-up of a plain thread ends the park it was made for, not a later one: a
    /// waker that publishes "done" and drops its `Wakeup` after the thread has moved on and
    /// parked again must leave that new park counted for the deadlock check.
    #[test]
    fn a_deferred_thread_wakeup_ends_only_the_park_it_was_made_for() {
        let me = ThreadWaiter::current();
        let raw = RawUnparker::current();
        let record_park = || {
            // As `park_thread` records a park.
            crate::introspect::THREADS_PARKED.fetch_add(1, SeqCst);
            me.parked.store(true, SeqCst);
        };
        // The thread parks...
        record_park();
        // ...a waker claims it and makes it runnable...
        // SAFETY: the handle's thread is this one, alive throughout.
        let wakeup = unsafe { raw.unpark_deferred() };
        assert!(!me.parked.load(SeqCst), "the first step ends the park");
        // ...the thread sees "done", returns, and parks for something else...
        record_park();
        // ...before the waker's second step runs.
        drop(wakeup);
        assert!(
            me.parked.load(SeqCst),
            "the late second step must not end the thread's new park"
        );
        me.end_park();
        // The unpark token the second step left behind: consume it.
        std::thread::park_timeout(std::time::Duration::from_millis(1));
    }
}
