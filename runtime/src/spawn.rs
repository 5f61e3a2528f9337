//! Spawning coroutines and joining them: [`Builder`], [`spawn`], [`JoinHandle`], [`run`].
//!
//! A spawn allocates the task header and the boxed closure and nothing else: the stack is taken
//! on first run (see `stack`). The closure is wrapped so that a panic is caught at the
//! coroutine's root and handed to the `JoinHandle` as `Err(payload)`, as `std::thread` does; the
//! panic hook (see `introspect::panic_hook`) has already reported it, and the worker goes on.
//!
//! The closure and the join slot (`SpawnCell`) are the tail of the task's own block, seen by the
//! scheduler as a `dyn Runnable`; the handle keeps a reference to the task and the address of
//! the slot within it: a spawn costs one block (recycled, see `task::reference`). The coroutine and its
//! one joiner hand the result and the joiner's `Unparker` over through the slot's state word
//! (see `Packet`), so the wake-up cannot be missed.

use std::cell::UnsafeCell;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::config::default_stack_size;
use crate::park::{Unparker, WaitReason, Waiting, park};
use crate::sched::runtime;
use crate::stack;
use crate::task::Task;
use crate::task::TaskRef;

/// Configures a coroutine before spawning it: its name and stack size.
///
/// Go has no equivalent (goroutines are anonymous and grow their stacks by copying); this is the
/// counterpart of `std::thread::Builder`.
///
/// ```
/// let h = rungo_runtime::Builder::new()
///     .name("parser".into())
///     .stack_size(64 * 1024)
///     .spawn(|| 6 * 7)?;
/// assert_eq!(h.join().unwrap(), 42);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Default, Clone)]
pub struct Builder {
    name: Option<String>,
    stack_size: Option<usize>,
}

impl Builder {
    /// A builder with no name and the runtime's default stack size (256 KiB unless configured).
    /// Go: none; `std::thread::Builder::new`.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Names the coroutine, for panic and overflow reports and [`current`](crate::current).
    /// Go: none (pprof labels come closest); `std::thread::Builder::name`.
    pub fn name(mut self, name: String) -> Builder {
        self.name = Some(name);
        self
    }

    /// The coroutine's stack reservation in bytes, rounded up to pages (16 KiB ..= 1 GiB). Only
    /// the pages it touches are committed. Go: none (its stacks grow by copying).
    pub fn stack_size(mut self, bytes: usize) -> Builder {
        self.stack_size = Some(bytes);
        self
    }

    /// Spawns the coroutine. Go: the `go` statement, made fallible.
    ///
    /// Fails with `InvalidInput` for a stack size out of range, and with `OutOfMemory` when no
    /// more guarded stacks can be had (on kernels without `MADV_GUARD_INSTALL`, when the
    /// `vm.max_map_count` budget is spent; the error says how to raise it).
    #[track_caller]
    pub fn spawn<F, T>(self, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let rt = runtime();
        let stack_size = match self.stack_size {
            Some(bytes) => stack::validate_size(bytes)?,
            None => default_stack_size(),
        };
        stack::reserve()?;
        let cell = SpawnCell {
            f: UnsafeCell::new(Some(f)),
            packet: Packet::new(),
        };
        let stack_size = u32::try_from(stack_size).expect("stack sizes are at most 1 GiB");
        let task = Task::new(self.name, stack_size, cell);
        let (task, typed) = TaskRef::new(task);
        // SAFETY: `typed` is the task's address; the packet lives as long as the task, which the
        // handle keeps alive with its own reference.
        let packet = unsafe { NonNull::new_unchecked(&raw mut (*typed.as_ptr()).runnable.packet) };
        let handle = JoinHandle {
            task: task.clone(),
            packet,
        };
        rt.spawn(task);
        Ok(handle)
    }
}

/// Spawns a coroutine running `f`; what [`go!`](crate::go) expands to.
///
/// Go: `go f()`. Panics if no stack can be had (see [`Builder::spawn`] for the fallible form).
#[track_caller]
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Builder::new().spawn(f).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `f` as the program's main coroutine and waits for its result on the calling thread.
///
/// Go's `main` is a goroutine, so its channel operations park and wake coroutines on the same
/// workers. Wrap a ported `main` in `run` to get the same: a plain thread blocking on a channel
/// pays a futex round trip per operation instead. A panic in `f` resumes on the caller.
///
/// ```
/// let answer = rungo_runtime::run(|| {
///     let h = rungo_runtime::go!(|| 21);
///     h.join().unwrap() * 2
/// });
/// assert_eq!(answer, 42);
/// ```
#[track_caller]
pub fn run<F, T>(f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match spawn(f).join() {
        Ok(v) => v,
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// An owned permission to wait for a coroutine's result. Dropping it detaches the coroutine,
/// which runs to completion anyway (as every goroutine does in Go).
///
/// Go: none (goroutines return nothing; use a channel or `sync.WaitGroup`); the counterpart of
/// `std::thread::JoinHandle`.
pub struct JoinHandle<T> {
    /// Keeps the task, and so the packet inside it, alive.
    task: TaskRef,
    packet: NonNull<Packet<T>>,
}

// SAFETY: the handle shares only the task (Send + Sync) and its packet, which hands `T` values
// between threads through atomics (`Packet` is `Sync` for `T: Send`).
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: as for `Send`; `&JoinHandle` only reads the packet's state.
unsafe impl<T: Send> Sync for JoinHandle<T> {}

/// The body of a spawned coroutine, as its task sees it.
pub(crate) trait Runnable: Send + Sync {
    /// Runs the closure once, catching a panic, and completes the join slot.
    fn run(&self);
}

/// A spawned closure and its join slot: the tail of its task.
struct SpawnCell<F, T> {
    /// Taken exactly once, by the worker that runs the coroutine.
    f: UnsafeCell<Option<F>>,
    packet: Packet<T>,
}

// SAFETY: `f` is only touched in `run`, which the task calls once, on the worker holding its run
// right (see `task`); `F: Send` lets it move there. `packet` is `Sync` for `T: Send`.
unsafe impl<F: Send, T: Send> Sync for SpawnCell<F, T> {}

impl<F, T> Runnable for SpawnCell<F, T>
where
    F: FnOnce() -> T + Send,
    T: Send,
{
    fn run(&self) {
        // SAFETY: `run` is called once per task, by the single worker holding its run right.
        let f = unsafe { (*self.f.get()).take() }.expect("a coroutine runs once");
        let result = catch_unwind(AssertUnwindSafe(f));
        // Still on the coroutine's own stack: a detached result is dropped here, where its
        // `Drop` may block or panic like any coroutine code (see `Packet`). Counted finished
        // only after that, but before a joiner is woken (so `join` then `num_goroutine` agree).
        let result = self.packet.drop_if_detached(result);
        runtime().count_finished();
        if let Some(result) = result {
            self.packet.complete(result);
        }
    }
}

/// The join slot: the coroutine's result and the joiner to wake, handed over through `state`.
///
/// ```text
///   EMPTY ──joiner registers──> WAITING ──runner completes──> DONE
///     │  └───────────────────────runner completes───────────────┘
///     └──handle dropped──> DETACHED   (the runner then drops its result itself)
///   DONE ──handle dropped──> DETACHED (the handle's drop takes the result and drops it)
/// ```
///
/// The runner writes `result` only before its `DONE` swap (Release) and the joiner reads it
/// only after loading `DONE` (Acquire); the joiner writes `waiter` only before its `WAITING`
/// CAS (Release) and the runner takes it only after swapping out `WAITING` (Acquire).
///
/// **Where a result is dropped.** Never by the task's memory going away: a result left in a
/// finished task would be dropped wherever its last `TaskRef` goes, which may be a worker's own
/// stack (its run loop, or its timer heap) where no coroutine exists, so a `Drop` that blocks
/// would block the worker and one that panics would unwind the scheduler. So whoever makes the
/// result unreachable drops it in its own context: the runner, still inside its coroutine, when
/// the handle was dropped first (it sees `DETACHED` from its swap); the handle's `Drop`, in the
/// caller's context, when the result was already there (it swaps `DONE -> DETACHED`); `join`
/// otherwise. Exactly one of them takes it.
struct Packet<T> {
    state: AtomicU8,
    result: UnsafeCell<Option<std::thread::Result<T>>>,
    waiter: UnsafeCell<Option<Unparker>>,
}

const EMPTY: u8 = 0;
const WAITING: u8 = 1;
const DONE: u8 = 2;
const DETACHED: u8 = 3;

// SAFETY: the cells are handed between the runner and the one joiner through `state`, as the
// type's docs explain; what they hold is `Send` (`T: Send`, `Unparker`).
unsafe impl<T: Send> Sync for Packet<T> {}

impl<T> Packet<T> {
    fn new() -> Packet<T> {
        Packet {
            state: AtomicU8::new(EMPTY),
            result: UnsafeCell::new(None),
            waiter: UnsafeCell::new(None),
        }
    }

    /// Drops `result` at once if the handle is already gone; otherwise gives it back.
    fn drop_if_detached(&self, result: std::thread::Result<T>) -> Option<std::thread::Result<T>> {
        if self.state.load(Ordering::Acquire) == DETACHED {
            drop_user_value(result);
            return None;
        }
        Some(result)
    }

    /// The runner's side, called from inside the coroutine as its last act.
    fn complete(&self, result: std::thread::Result<T>) {
        // SAFETY: only the runner writes `result`, once, before publishing DONE.
        unsafe { *self.result.get() = Some(result) };
        match self.state.swap(DONE, Ordering::AcqRel) {
            WAITING => {
                // SAFETY: the joiner wrote `waiter` before its WAITING CAS, which we just read.
                if let Some(waiter) = unsafe { (*self.waiter.get()).take() } {
                    waiter.unpark();
                }
            }
            DETACHED => {
                // Nobody will ever join: drop the result here, on the coroutine's stack.
                // SAFETY: the handle is gone (it stored DETACHED before our swap, Acquire), so
                // nobody else touches `result`.
                let result = unsafe { (*self.result.get()).take() };
                drop_user_value(result);
            }
            _ => {}
        }
    }

    /// The handle's side when it is dropped unjoined.
    fn detach(&self) {
        if self.state.swap(DETACHED, Ordering::AcqRel) == DONE {
            // SAFETY: DONE observed (Acquire): the runner is done with `result`, and the handle
            // (being dropped) is its one other user.
            let result = unsafe { (*self.result.get()).take() };
            drop_user_value(result);
        }
    }

    fn is_done(&self) -> bool {
        self.state.load(Ordering::Acquire) == DONE
    }

    /// The joiner's side: waits for the result and takes it.
    ///
    /// # Safety
    /// Called at most once, by the one joiner.
    unsafe fn join(&self, site: &'static std::panic::Location<'static>) -> std::thread::Result<T> {
        if self.state.load(Ordering::Acquire) == EMPTY {
            // SAFETY: before our WAITING CAS only we touch `waiter` (see the type's docs).
            unsafe { *self.waiter.get() = Some(Unparker::current()) };
            let _ =
                self.state
                    .compare_exchange(EMPTY, WAITING, Ordering::AcqRel, Ordering::Acquire);
        }
        if !self.is_done() {
            let _waiting = Waiting::new(WaitReason::Join, site);
            while !self.is_done() {
                park();
            }
        }
        // SAFETY: DONE observed (Acquire): the runner wrote `result` before and is done with it,
        // and we take it once; if the runner never saw WAITING, `waiter` is ours again and
        // dropped with the task.
        unsafe { (*self.result.get()).take() }.expect("a finished coroutine left its result")
    }
}

impl<T> JoinHandle<T> {
    fn packet(&self) -> &Packet<T> {
        // SAFETY: the packet is inside the task, which `self.task` keeps alive.
        unsafe { self.packet.as_ref() }
    }

    /// Waits for the coroutine to finish: parks the calling coroutine, or blocks the calling
    /// thread. Returns `Err(payload)` if it panicked. Go: waiting on a done channel or a
    /// `sync.WaitGroup`.
    #[track_caller]
    pub fn join(self) -> std::thread::Result<T> {
        // SAFETY: a `JoinHandle` is the one joiner, and `join` consumes it.
        let result = unsafe { self.packet().join(std::panic::Location::caller()) };
        // The result is taken: dropping the handle now only releases the task.
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never used again; its one field with a destructor is read out once.
        drop(unsafe { std::ptr::read(&this.task) });
        result
    }

    /// True once the coroutine has finished (returned or panicked). Go: a non-blocking receive
    /// from a done channel.
    pub fn is_finished(&self) -> bool {
        self.packet().is_done()
    }
}

impl<T> Drop for JoinHandle<T> {
    /// Detaches the coroutine (see `Packet` for where its result is then dropped).
    fn drop(&mut self) {
        self.packet().detach();
    }
}

/// Drops a value that user code made (a coroutine's result or panic payload) in the caller's
/// context. A panic from its `Drop` has been reported by the panic hook; it is not propagated
/// (the value's owner is gone), and a payload that panics again when dropped is leaked.
fn drop_user_value<V>(value: V) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(value))) {
        if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            std::mem::forget(again);
        }
    }
}

impl<T> std::fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinHandle")
            .field("coroutine", &self.task.id)
            .field("finished", &self.is_finished())
            .finish()
    }
}
