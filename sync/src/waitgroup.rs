//! `WaitGroup`: Go's `sync.WaitGroup`.
//!
//! # Design
//!
//! A counter (`AtomicI64`) and a list of waiters behind a short internal lock.
//!
//! - `add(delta)` changes the counter with one atomic RMW. A negative result panics with Go's
//!   `sync: negative WaitGroup counter`. When the result is zero it takes the waiter list (under
//!   the lock) and wakes every waiter.
//! - `wait()` returns at once if the counter reads zero. Otherwise it takes the lock, *re-reads the
//!   counter under the lock*, and only then queues a heap `Waiter` (`sema.rs`) node and parks.
//!
//! **No lost wake-up.** An `add` that brings the counter to zero takes the lock *after* its atomic
//! update. A waiter that queued did so under the lock after seeing a non-zero counter, so either
//! it queued before that `add` took the lock (and is woken by it) or it took the lock afterwards
//! and read the zero counter (and does not wait).
//!
//! **Reuse.** As in Go, a `WaitGroup` may be reused once every `wait` of the previous round has
//! returned: the waiter list is emptied each time the counter reaches zero.
//!
//! **Sharing.** `WaitGroup` is a cheap handle (`Arc` inside); `clone()` shares the same counter,
//! which is how Go code passes `&wg` into goroutines. [`WaitGroup::go`] is Go 1.25's `wg.Go(f)`.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};

use rungo_runtime::JoinHandle;

use crate::sema::{Waiter, lock, notify_all};

#[derive(Default)]
struct Inner {
    count: AtomicI64,
    waiters: StdMutex<Vec<Arc<Waiter>>>,
}

/// Waits for a collection of tasks to finish. Go: `sync.WaitGroup`.
///
/// Clone it to share it (Go passes `*WaitGroup`); all clones are the same group.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use rungo_sync::WaitGroup;
///
/// let wg = WaitGroup::new();
/// let n = Arc::new(AtomicUsize::new(0));
/// for _ in 0..10 {
///     wg.add(1);
///     let (wg, n) = (wg.clone(), n.clone());
///     rungo_runtime::go!(move || {
///         n.fetch_add(1, Ordering::Relaxed);
///         wg.done();
///     });
/// }
/// wg.wait();
/// assert_eq!(n.load(Ordering::Relaxed), 10);
/// ```
#[derive(Clone, Default)]
pub struct WaitGroup {
    inner: Arc<Inner>,
}

impl fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitGroup")
            .field("count", &self.count())
            .finish()
    }
}

/// Calls `done` when dropped: `wg.go` uses it so a panicking task still counts as finished.
struct DoneOnDrop(WaitGroup);

impl Drop for DoneOnDrop {
    fn drop(&mut self) {
        self.0.done();
    }
}

impl WaitGroup {
    /// A group with counter zero. Go: `var wg sync.WaitGroup`.
    ///
    /// ```
    /// let wg = rungo_sync::WaitGroup::new();
    /// wg.wait(); // counter is zero: returns at once
    /// ```
    pub fn new() -> WaitGroup {
        WaitGroup::default()
    }

    /// Adds `delta` (possibly negative) to the counter; at zero, wakes every waiter.
    /// Go: `(*WaitGroup).Add`.
    ///
    /// # Panics
    ///
    /// `sync: negative WaitGroup counter` if the counter would go below zero.
    ///
    /// ```
    /// let wg = rungo_sync::WaitGroup::new();
    /// wg.add(2);
    /// wg.add(-2);
    /// wg.wait();
    /// ```
    pub fn add(&self, delta: i64) {
        let new = self.inner.count.fetch_add(delta, Ordering::AcqRel) + delta;
        if new < 0 {
            // Restore, so that waiters are not confused by a negative count, then panic as Go.
            self.inner.count.fetch_sub(delta, Ordering::AcqRel);
            panic!("sync: negative WaitGroup counter");
        }
        if new == 0 && delta != 0 {
            let waiters = std::mem::take(&mut *lock(&self.inner.waiters));
            notify_all(waiters);
        }
    }

    /// Decrements the counter by one. Go: `(*WaitGroup).Done`.
    ///
    /// ```
    /// let wg = rungo_sync::WaitGroup::new();
    /// wg.add(1);
    /// wg.done();
    /// wg.wait();
    /// ```
    pub fn done(&self) {
        self.add(-1);
    }

    /// Parks the calling task until the counter is zero. Go: `(*WaitGroup).Wait`.
    ///
    /// ```
    /// let wg = rungo_sync::WaitGroup::new();
    /// wg.go(|| {});
    /// wg.wait();
    /// ```
    pub fn wait(&self) {
        if self.inner.count.load(Ordering::Acquire) == 0 {
            return;
        }
        let w = {
            let mut waiters = lock(&self.inner.waiters);
            if self.inner.count.load(Ordering::Acquire) == 0 {
                return;
            }
            let w = Waiter::new();
            waiters.push(w.clone());
            w
        };
        w.wait();
    }

    /// Spawns `f` as a coroutine counted by this group: `add(1)` now, `done()` when `f` returns or
    /// panics. Go 1.25: `(*WaitGroup).Go`.
    ///
    /// The returned handle may be dropped (as in Go) or joined to observe a panic.
    ///
    /// ```
    /// let wg = rungo_sync::WaitGroup::new();
    /// for i in 0..3 {
    ///     wg.go(move || println!("task {i}"));
    /// }
    /// wg.wait();
    /// ```
    pub fn go<F>(&self, f: F) -> JoinHandle<()>
    where
        F: FnOnce() + Send + 'static,
    {
        self.add(1);
        let done = DoneOnDrop(self.clone());
        rungo_runtime::spawn(move || {
            let _done = done;
            f();
        })
    }

    /// The current counter (a racy snapshot, for diagnostics and tests).
    /// Go: none (`sync.WaitGroup` keeps its counter private).
    ///
    /// ```
    /// let wg = rungo_sync::WaitGroup::new();
    /// wg.add(3);
    /// assert_eq!(wg.count(), 3);
    /// # wg.add(-3);
    /// ```
    pub fn count(&self) -> i64 {
        self.inner.count.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "sync: negative WaitGroup counter")]
    fn negative_panics() {
        WaitGroup::new().done();
    }
}
