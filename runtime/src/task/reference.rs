//! [`TaskRef`]: the counted reference to a coroutine's control block, and the memory it lives in.
//!
//! It is `Arc<Task>` with one difference that matters for `go!`: a task's memory is recycled.
//! A spawn takes a block from its thread's cache and the task's last reference gives it back
//! to the cache of whichever thread drops it, so spawning and finishing a million coroutines
//! calls the C allocator about as often as it fills a cache. That also takes the C allocator
//! out of a pattern it handles badly: a coroutine stolen by another worker is freed there, and
//! glibc frees memory of another thread's arena under that arena's lock, which the spawner
//! needs for every allocation. Blocks migrate with the coroutines that steal them; a cache that
//! overflows hands a batch to a global stash, and an empty one refills from it (tcmalloc's
//! transfer cache in miniature), so two workers that spawn and run for each other keep trading
//! the same blocks. What is kept is bounded: 256 blocks a class in each thread's cache and 2,048
//! a class in the stash (about 400 KiB for the usual 192-byte task); the rest of a burst goes
//! back to the C allocator.
//!
//! # Invariants
//!
//! * `Task::refs` counts the `TaskRef`s in existence, plus the one the PARKED state holds (see
//!   `task`). It is updated as `Arc` updates its count: `Relaxed` increments (a new reference is
//!   made from an existing one), `Release` decrements, and an `Acquire` fence before the last
//!   reference drops the task, so every use of the task happens-before its destruction.
//! * A block belongs to one size class for life: it is allocated from the global allocator with
//!   its class's layout and only ever returned with that layout.

use std::alloc::{Layout, handle_alloc_error};
use std::cell::RefCell;
use std::fmt;
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering, fence};

use crate::spawn::Runnable;
use crate::task::Task;

/// A counted reference to a task (`Arc<Task>` with recycled memory; see the module docs).
pub(crate) struct TaskRef {
    ptr: NonNull<Task>,
}

// SAFETY: a `Task<dyn Runnable>` is `Send + Sync` (its shared fields are atomics or immutable,
// and the rest is guarded by the run right, see `task`); the count is atomic.
unsafe impl Send for TaskRef {}
// SAFETY: as for `Send`.
unsafe impl Sync for TaskRef {}

impl TaskRef {
    /// Moves `task` into a recycled block. Returns the reference and the task's typed address,
    /// from which the caller may take addresses of its fields (valid as long as a reference
    /// lives).
    pub(crate) fn new<R: Runnable + 'static>(task: Task<R>) -> (TaskRef, NonNull<Task<R>>) {
        debug_assert_eq!(task.refs.load(Ordering::Relaxed), 1);
        let typed = blocks::take(Layout::new::<Task<R>>()).cast::<Task<R>>();
        // SAFETY: the block is fresh or recycled memory of at least `Task<R>`'s size and
        // alignment (`blocks::take`), which nobody else refers to.
        unsafe { typed.as_ptr().write(task) };
        let erased: NonNull<Task> = typed;
        (TaskRef { ptr: erased }, typed)
    }

    /// Makes a new reference to a task that is known to be alive.
    ///
    /// # Safety
    /// `task` is a task in a `TaskRef` block with a live reference held by someone for the
    /// duration of this call.
    pub(crate) unsafe fn from_borrowed(task: &Task) -> TaskRef {
        let old = task.refs.fetch_add(1, Ordering::Relaxed);
        // As `Arc::clone` does: a program that leaks references (`mem::forget` in a loop) could
        // otherwise wrap the count to zero and free a task that is still referenced. The count
        // cannot pass `usize::MAX` before this check fires: that would take more than
        // `isize::MAX` threads each between their increment and the check. Aborting (not
        // panicking) because the count is already wrong and unwinding would run drops with it.
        if old > MAX_REFS {
            ref_overflow();
        }
        TaskRef {
            ptr: NonNull::from(task),
        }
    }

    /// Takes over a unit of a task's count that was kept without a `TaskRef` (as the PARKED
    /// state keeps the reference of the worker that parked it, see `task`).
    ///
    /// # Safety
    /// `task` is a task in a `TaskRef` block, and the caller owns one unit of its count.
    pub(crate) unsafe fn from_raw(task: NonNull<Task>) -> TaskRef {
        TaskRef { ptr: task }
    }

    /// True if both refer to the same task.
    pub(crate) fn ptr_eq(a: &TaskRef, b: &TaskRef) -> bool {
        std::ptr::addr_eq(a.ptr.as_ptr(), b.ptr.as_ptr())
    }
}

/// The most references a task may have (`Arc`'s limit).
const MAX_REFS: usize = isize::MAX as usize;

#[cold]
#[inline(never)]
fn ref_overflow() -> ! {
    crate::sched::fatal(format_args!(
        "coroutine reference count overflow (more than isize::MAX references to one coroutine)"
    ))
}

impl Clone for TaskRef {
    #[inline]
    fn clone(&self) -> TaskRef {
        // SAFETY: `self` is a live reference for the duration of the call.
        unsafe { TaskRef::from_borrowed(self) }
    }
}

impl Drop for TaskRef {
    #[inline]
    fn drop(&mut self) {
        if self.refs.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        fence(Ordering::Acquire);
        // SAFETY: this was the last reference (module docs), so nobody else can reach the task;
        // it was written by `new` into a block of its layout, and is dropped once, here.
        unsafe {
            let layout = Layout::for_value(self.ptr.as_ref());
            std::ptr::drop_in_place(self.ptr.as_ptr());
            blocks::give(self.ptr.cast(), layout);
        }
    }
}

impl Deref for TaskRef {
    type Target = Task;

    #[inline]
    fn deref(&self) -> &Task {
        // SAFETY: a reference keeps the task alive.
        unsafe { self.ptr.as_ref() }
    }
}

impl fmt::Debug for TaskRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaskRef(coroutine {})", self.id)
    }
}

/// Per-thread caches of task memory by size class, over a global stash.
mod blocks {
    use super::*;

    /// Class granularity (the C allocator's own) and alignment: class `c` holds blocks of
    /// `(c + 1) * GRAIN` bytes.
    const GRAIN: usize = 16;
    const CLASSES: usize = 32;
    const ALIGN: usize = 16;
    /// Blocks a thread keeps per class before it hands a batch to the stash.
    const KEEP: usize = 256;
    /// Blocks moved between a cache and the stash at once.
    const BATCH: usize = 128;
    /// Batches the stash keeps per class; further ones go back to the global allocator.
    const STASH_MAX: usize = 16;

    /// A block on its way between threads.
    struct Block(NonNull<u8>);
    // SAFETY: a free block is plain memory that nobody refers to.
    unsafe impl Send for Block {}

    static STASH: [Mutex<Vec<Vec<Block>>>; CLASSES] = [const { Mutex::new(Vec::new()) }; CLASSES];
    /// Batches in each class's stash, read without its lock: a spawner that allocates faster
    /// than anything is freed finds the stash empty every time, and should not lock to see so.
    static STASHED: [AtomicUsize; CLASSES] = [const { AtomicUsize::new(0) }; CLASSES];

    struct Cache {
        free: [Vec<Block>; CLASSES],
    }

    impl Drop for Cache {
        fn drop(&mut self) {
            for (class, blocks) in self.free.iter_mut().enumerate() {
                stash_or_release(class, std::mem::take(blocks));
            }
        }
    }

    thread_local! {
        static CACHE: RefCell<Cache> = const {
            RefCell::new(Cache { free: [const { Vec::new() }; CLASSES] })
        };
    }

    fn class_of(layout: Layout) -> Option<usize> {
        (layout.align() <= ALIGN && layout.size() <= GRAIN * CLASSES)
            .then(|| layout.size().max(1).div_ceil(GRAIN) - 1)
    }

    fn class_layout(class: usize) -> Layout {
        Layout::from_size_align((class + 1) * GRAIN, ALIGN).expect("valid class layout")
    }

    /// Gives a batch to the stash, or back to the global allocator when the stash is full.
    fn stash_or_release(class: usize, batch: Vec<Block>) {
        if batch.is_empty() {
            return;
        }
        let mut stash = STASH[class].lock().unwrap_or_else(|e| e.into_inner());
        if stash.len() < STASH_MAX {
            stash.push(batch);
            STASHED[class].store(stash.len(), Ordering::Relaxed);
            return;
        }
        drop(stash);
        for block in batch {
            // SAFETY: every block of this class was allocated with `class_layout(class)` and
            // is free.
            unsafe { std::alloc::dealloc(block.0.as_ptr(), class_layout(class)) };
        }
    }

    /// Memory for a value of `layout`.
    pub(super) fn take(layout: Layout) -> NonNull<u8> {
        let (class, block_layout) = match class_of(layout) {
            Some(class) => (Some(class), class_layout(class)),
            None => (None, layout),
        };
        let cached = class.and_then(|class| {
            CACHE
                .try_with(|cache| {
                    let list = &mut cache.borrow_mut().free[class];
                    if list.is_empty() && STASHED[class].load(Ordering::Relaxed) > 0 {
                        let mut stash = STASH[class].lock().unwrap_or_else(|e| e.into_inner());
                        if let Some(batch) = stash.pop() {
                            *list = batch;
                        }
                        STASHED[class].store(stash.len(), Ordering::Relaxed);
                    }
                    list.pop()
                })
                .ok()
                .flatten()
        });
        cached.map(|b| b.0).unwrap_or_else(|| {
            // SAFETY: task layouts have a non-zero size (the header alone has several fields).
            NonNull::new(unsafe { std::alloc::alloc(block_layout) })
                .unwrap_or_else(|| handle_alloc_error(block_layout))
        })
    }

    /// Gives back memory from [`take`] for the same `layout`, whose value is gone.
    ///
    /// # Safety
    /// `block` came from `take(layout)` and nothing refers to it any more.
    pub(super) unsafe fn give(block: NonNull<u8>, layout: Layout) {
        let Some(class) = class_of(layout) else {
            // SAFETY: allocated by the global allocator with this layout (`take`).
            return unsafe { std::alloc::dealloc(block.as_ptr(), layout) };
        };
        let kept = CACHE.try_with(|cache| {
            let list = &mut cache.borrow_mut().free[class];
            list.push(Block(block));
            if list.len() > KEEP {
                let batch = list.split_off(list.len() - BATCH);
                stash_or_release(class, batch);
            }
        });
        if kept.is_err() {
            // The thread is exiting and its cache is gone.
            // SAFETY: allocated with `class_layout(class)` (`take`), and free.
            unsafe { std::alloc::dealloc(block.as_ptr(), class_layout(class)) };
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn blocks_are_recycled_within_their_class() {
            let layout = Layout::from_size_align(150, 8).unwrap();
            let a = take(layout);
            // SAFETY: from `take(layout)`, unused.
            unsafe { give(a, layout) };
            let b = take(Layout::from_size_align(145, 16).unwrap());
            assert_eq!(
                a, b,
                "same class (145..=160 bytes): the freed block comes back"
            );
            // SAFETY: as above.
            unsafe { give(b, Layout::from_size_align(145, 16).unwrap()) };
            let big = Layout::from_size_align(4096, 8).unwrap();
            let c = take(big);
            // SAFETY: as above.
            unsafe { give(c, big) };
            assert_eq!(class_of(big), None);
            assert_eq!(class_of(Layout::from_size_align(64, 64).unwrap()), None);
        }

        #[test]
        fn blocks_freed_on_another_thread_come_back_through_the_stash() {
            // A class no other test uses, so the stash holds only this test's blocks.
            let layout = Layout::from_size_align(29 * GRAIN + 1, 8).unwrap();
            let made: Vec<Block> = (0..4 * KEEP).map(|_| Block(take(layout))).collect();
            let addrs: std::collections::HashSet<usize> =
                made.iter().map(|b| b.0.as_ptr() as usize).collect();
            std::thread::spawn(move || {
                for block in made {
                    // SAFETY: from `take(layout)`, unused.
                    unsafe { give(block.0, layout) };
                }
            })
            .join()
            .unwrap();
            // The freeing thread kept KEEP at most and stashed the rest (then stashed its cache
            // when it exited); this thread's empty cache refills from the stash.
            let again: Vec<NonNull<u8>> = (0..BATCH).map(|_| take(layout)).collect();
            assert!(again.iter().all(|b| addrs.contains(&(b.as_ptr() as usize))));
            for block in again {
                // SAFETY: as above.
                unsafe { give(block, layout) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    struct Nothing;
    impl Runnable for Nothing {
        fn run(&self) {}
    }

    const CHILD_ENV: &str = "RUNGO_TASK_REF_OVERFLOW_CHILD";

    /// A named task's name is findable by id (sysmon's stall report) while the task exists,
    /// and forgotten when its last reference goes: the table does not grow with every named
    /// coroutine ever spawned.
    #[test]
    fn a_named_task_is_findable_by_id_until_it_is_freed() {
        let (task, _) = TaskRef::new(Task::new(Some("worker-7".into()), 16 * 1024, Nothing));
        let id = task.id.get();
        assert_eq!(crate::introspect::name_of(id).as_deref(), Some("worker-7"));
        let other = task.clone();
        drop(task);
        assert_eq!(crate::introspect::name_of(id).as_deref(), Some("worker-7"));
        drop(other);
        assert_eq!(crate::introspect::name_of(id), None);
    }

    #[test]
    fn a_reference_count_past_isize_max_aborts() {
        let (task, _) = TaskRef::new(Task::new(None, 16 * 1024, Nothing));
        if std::env::var_os(CHILD_ENV).is_some() {
            // As if isize::MAX references had been leaked: one more is still allowed...
            task.refs.store(MAX_REFS, Ordering::Relaxed);
            std::mem::forget(task.clone());
            eprintln!("AT THE LIMIT");
            // ...and the next one passes the limit.
            std::mem::forget(task.clone());
            eprintln!("NOT ABORTED");
            std::process::exit(0);
        }
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "task::reference::tests::a_reference_count_past_isize_max_aborts",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.signal(), Some(libc::SIGABRT), "{stderr}");
        assert!(stderr.contains("AT THE LIMIT"), "{stderr}");
        assert!(!stderr.contains("NOT ABORTED"), "{stderr}");
        assert!(
            stderr.contains("fatal error: coroutine reference count overflow"),
            "{stderr}"
        );
        // The parent's reference is the only one: dropping it frees the task as usual.
        assert_eq!(task.refs.load(Ordering::Relaxed), 1);
    }
}
