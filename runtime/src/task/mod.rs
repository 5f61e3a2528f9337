//! The coroutine control block and its park state machine.
//!
//! A [`Task`] is one block of memory behind a [`TaskRef`] (an `Arc` whose memory is recycled,
//! see `task::reference`): this header followed by the spawned closure and its join slot (the unsized
//! `runnable` tail, see `spawn`), so a `go!` costs one block. Before its first run it owns no stack (see `stack`); on first run its home worker
//! gives it a stack and starts a corosensei coroutine that calls `runnable.run()`; when that
//! returns, the stack goes back to the pool and the body becomes `Finished`.
//!
//! # Who may touch what
//!
//! * `body` is touched only by the worker that holds the task's *run right*. A task is in at
//!   most one run queue (or runnext slot, or being run) at a time; taking it out of that place
//!   grants the run right. The park state machine below guarantees the "at most one place".
//! * A started task runs only on its `home` worker (DESIGN.md's soundness rule, see
//!   `sched`), so the coroutine's stack, its thread-locals and its `yielder` are only ever
//!   used on one OS thread.
//! * `state` is an atomic shared with unparkers on any thread.
//!
//! # Park state machine (`state`)
//!
//! ```text
//!   NOTIFIED ──park(): CAS──> RUNNING         (a token was waiting: consumed, no suspension)
//!   RUNNING  ──park(): suspend; worker CAS──> PARKED   (the worker's reference to the task
//!                                              now belongs to the PARKED state)
//!   RUNNING  ──unpark(): CAS──> NOTIFIED      (token kept; if the coroutine was on its way to
//!                                              parking, the worker's CAS fails, it consumes the
//!                                              token and runs the task again)
//!   NOTIFIED ──unpark(): CAS──> NOTIFIED      (tokens do not accumulate)
//!   PARKED   ──unpark(): CAS──> RUNNING + schedule on the home worker, taking over the
//!                                              PARKED state's reference
//! ```
//!
//! Exactly one unparker schedules a parked task: the one whose CAS moved it out of PARKED. The
//! reference the worker held while running the task passes to the PARKED state and from there
//! to that unparker, so parking and waking touch no reference count. A task parked forever
//! therefore keeps its control block alive (leaked with its stack, as a blocked-forever
//! goroutine is in Go).
//!
//! Memory ordering: every transition is an `AcqRel` read-modify-write, so each unpark is in the
//! release sequence that the consuming `Acquire` reads. A woken coroutine sees what its
//! unparker wrote because the hand-off to it runs through its run queue: the inbox (a
//! release push and an acquire steal) or, on the home worker itself, program order. What the
//! coroutine wrote before parking happens-before whatever runs it next through the same
//! chain. An unpark of a running task leaves a token, so the task's next park may return at
//! once: a spurious return, which the blocking contract allows.

use std::cell::{Cell, UnsafeCell};
use std::fmt;
use std::num::NonZeroU64;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use corosensei::{Coroutine as RawCoroutine, Yielder};

use crate::spawn::Runnable;
use crate::stack::Stack;

mod reference;
pub(crate) use reference::TaskRef;

/// Why a coroutine handed control back to its worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Suspend {
    /// `yield_now`: run again after the others in the local queue.
    Yield,
    /// `park`: run again when unparked.
    Park,
}

pub(crate) type RawCo = RawCoroutine<(), Suspend, (), Stack>;
pub(crate) type CoYielder = Yielder<(), Suspend>;

/// What a task is in its life.
pub(crate) enum Body {
    /// Spawned, never run: no stack yet.
    Unstarted,
    /// Running or suspended on its stack.
    Started(RawCo),
    /// Done; its stack went back to the pool.
    Finished,
}

pub(crate) const RUNNING: u8 = 0;
pub(crate) const NOTIFIED: u8 = 1;
pub(crate) const PARKED: u8 = 2;

/// Marks `home` before the first run.
pub(crate) const NO_HOME: u32 = u32::MAX;

/// A coroutine's control block, followed by its closure (`Task` alone means
/// `Task<dyn Runnable>`, the type the scheduler handles).
pub(crate) struct Task<R: ?Sized = dyn Runnable> {
    /// The references to it in existence (see `task::reference`).
    pub(crate) refs: AtomicUsize,
    pub(crate) id: NonZeroU64,
    /// Boxed twice so that the header holds a thin pointer (most coroutines have no name).
    #[allow(clippy::box_collection)]
    pub(crate) name: Option<Box<String>>,
    /// Where it was spawned (the `go!` or `spawn` call), for reports.
    pub(crate) spawn_site: &'static std::panic::Location<'static>,
    /// Stack reservation in bytes (a multiple of the page size, at most 1 GiB).
    pub(crate) stack_size: u32,
    /// Park state: RUNNING, NOTIFIED or PARKED.
    pub(crate) state: AtomicU8,
    /// The worker that started it; written once by that worker before the task can park.
    pub(crate) home: AtomicU32,
    /// The generation of its current (or last) timed park, times two, plus one if that park's
    /// timer fired (see `timer`); used only on the home worker.
    pub(crate) timer_gen: Cell<u32>,
    /// The coroutine's yielder, set when it starts; used only on the home worker.
    pub(crate) yielder: Cell<*const CoYielder>,
    /// Address of its stack's guard page once started; used only on the home worker.
    pub(crate) guard: Cell<usize>,
    /// Coroutines it spawned since it last parked (see `Local::throttle_spawner`); used only on
    /// the home worker.
    pub(crate) spawn_streak: Cell<u16>,
    /// Its index in its home worker's registry of started coroutines (see `introspect`).
    pub(crate) registry_slot: Cell<u32>,
    /// Why and where it blocks, and since when (coarse ms), while a `Waiting` guard lives;
    /// 0 / None otherwise. Used only on the home worker.
    pub(crate) wait_reason: Cell<u8>,
    pub(crate) wait_since: Cell<u32>,
    pub(crate) wait_site: Cell<Option<&'static std::panic::Location<'static>>>,
    pub(crate) body: UnsafeCell<Body>,
    /// The spawned closure and its join slot: last, so that it may be unsized.
    pub(crate) runnable: R,
}

// SAFETY: the fields shared across threads are atomics or immutable (`id`, `name`,
// `stack_size`). `body` and `yielder` are only touched by the worker holding the run right (see
// the module docs), and a started coroutine only runs on its home thread, so the non-Send
// corosensei coroutine in `body` is never used on two threads; it is never dropped on another
// thread either (see `Drop`).
unsafe impl<R: ?Sized + Send> Send for Task<R> {}
// SAFETY: as above.
unsafe impl<R: ?Sized + Sync> Sync for Task<R> {}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);
/// Ids a worker takes from `NEXT_ID` at once, so that spawning workers do not share one
/// contended counter (Go's per-P `goidcache` does the same with 16).
const ID_BATCH: u64 = 256;

thread_local! {
    /// This thread's next id and the end of its batch.
    static IDS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

/// A fresh coroutine id, unique for the life of the process.
fn next_id() -> NonZeroU64 {
    let id = IDS.with(|ids| {
        let (next, end) = ids.get();
        if next < end {
            ids.set((next + 1, end));
            return next;
        }
        let first = NEXT_ID.fetch_add(ID_BATCH, Ordering::Relaxed);
        ids.set((first + 1, first + ID_BATCH));
        first
    });
    NonZeroU64::new(id).expect("coroutine ids start at 1")
}

impl<R> Task<R> {
    /// A task for `runnable`, with one reference: the one [`TaskRef::new`] makes of it.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn new(name: Option<String>, stack_size: u32, runnable: R) -> Task<R> {
        let id = next_id();
        if let Some(name) = &name {
            crate::introspect::remember_name(id.get(), name);
        }
        Task {
            refs: AtomicUsize::new(1),
            id,
            name: name.map(Box::new),
            spawn_site: std::panic::Location::caller(),
            stack_size,
            state: AtomicU8::new(RUNNING),
            home: AtomicU32::new(NO_HOME),
            timer_gen: Cell::new(0),
            yielder: Cell::new(std::ptr::null()),
            guard: Cell::new(0),
            spawn_streak: Cell::new(0),
            registry_slot: Cell::new(u32::MAX),
            wait_reason: Cell::new(0),
            wait_since: Cell::new(0),
            wait_site: Cell::new(None),
            body: UnsafeCell::new(Body::Unstarted),
            runnable,
        }
    }
}

impl<R: ?Sized> Task<R> {
    /// The name given at spawn, if any.
    pub(crate) fn name(&self) -> Option<&str> {
        self.name.as_deref().map(String::as_str)
    }
}

impl Task {
    /// Wakes `task`. If it was parked, returns the reference the PARKED state held, which the
    /// caller must schedule (it is the only one who will); otherwise the task keeps a token.
    pub(crate) fn unpark(task: &Task) -> Option<TaskRef> {
        // SAFETY: `notify` returned true, so this call took over the reference that the PARKED
        // state held (see the module docs): the task is alive, in a `TaskRef` block (every task
        // is), and that unit of its count is ours.
        task.notify()
            .then(|| unsafe { TaskRef::from_raw(NonNull::from(task)) })
    }

    /// The state transition of [`Task::unpark`]: true if the task was parked.
    fn notify(&self) -> bool {
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            let next = if state == PARKED { RUNNING } else { NOTIFIED };
            match self
                .state
                .compare_exchange_weak(state, next, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return state == PARKED,
                Err(actual) => state = actual,
            }
        }
    }

    /// Consumes a waiting token without suspending; true if there was one. A park usually finds
    /// none, so a plain load rules that out before the read-modify-write (an unpark racing in
    /// after the load is caught by the worker's `finish_parking`).
    #[inline]
    pub(crate) fn take_token(&self) -> bool {
        self.state.load(Ordering::Relaxed) == NOTIFIED
            && self
                .state
                .compare_exchange(NOTIFIED, RUNNING, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
    }

    /// Called by the worker after the coroutine suspended to park: true if it is now parked
    /// (and the worker's reference now belongs to the PARKED state: the caller must forget
    /// it); false if a token arrived meanwhile, which is consumed here, and the worker must run
    /// the task again.
    pub(crate) fn finish_parking(&self) -> bool {
        let parked = self
            .state
            .compare_exchange(RUNNING, PARKED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if !parked {
            self.state.swap(RUNNING, Ordering::Acquire);
        }
        parked
    }
}

impl<R: ?Sized> Drop for Task<R> {
    fn drop(&mut self) {
        if self.name.is_some() {
            crate::introspect::forget_name(self.id.get());
        }
        // A started coroutine that has not finished is never dropped: running, it is held by its
        // worker; queued, by its queue; parked, by the PARKED state (forever, if nothing wakes
        // it: leaked with its stack, as a blocked-forever goroutine is in Go). Should one be
        // dropped anyway, forget it: unwinding it here could run its destructors on a thread
        // that is not its home.
        if let Body::Started(co) = std::mem::replace(self.body.get_mut(), Body::Finished) {
            if !co.done() {
                std::mem::forget(co);
            }
        }
    }
}

/// A coroutine's identity: its id and optional name.
///
/// Go: goroutines have no public identity; this is rungo's counterpart of
/// `std::thread::Thread`, returned by [`current`](crate::current).
///
/// ```
/// let h = rungo_runtime::Builder::new()
///     .name("worker".into())
///     .spawn(|| rungo_runtime::current().unwrap().name().map(String::from))?;
/// assert_eq!(h.join().unwrap().as_deref(), Some("worker"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Coroutine {
    pub(crate) task: TaskRef,
}

impl Coroutine {
    /// The coroutine's id, unique for the life of the process (never reused). Go: the id in
    /// `goroutine 7 [running]` of a stack trace.
    pub fn id(&self) -> NonZeroU64 {
        self.task.id
    }

    /// The name given with [`Builder::name`](crate::Builder::name), if any. Go: none.
    pub fn name(&self) -> Option<&str> {
        self.task.name()
    }
}

impl fmt::Debug for Coroutine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Coroutine")
            .field("id", &self.id())
            .field("name", &self.name())
            .finish()
    }
}
