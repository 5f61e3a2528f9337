//! `Cond`: Go's `sync.Cond`, used with rungo's [`Mutex`] or with any [`Locker`].
//!
//! Two shapes share one wait queue:
//!
//! - `Cond` (that is, `Cond<()>`), made by [`Cond::new`]: the mutex is a [`Mutex<T>`] whose
//!   guard is handed to each [`Cond::wait`], so the data stays reachable only under the lock;
//! - `Cond<L>`, made by [`Cond::with_locker`] (Go's `sync.NewCond(l)`): the cond owns its
//!   [`Locker`] `l` (Go's `c.L`, here [`Cond::l`]), and [`Cond::wait`] (on `Cond<L>`) is Go's `c.Wait()`:
//!   it expects `l` locked, unlocks it while parked, and relocks it before returning.
//!
//! # Design
//!
//! A FIFO queue of heap `Waiter` (`sema.rs`) nodes behind a short internal lock.
//!
//! `wait(guard)` queues a node **while still holding the user's mutex**, then unlocks it, parks
//! until the node is notified, and relocks. Queueing before unlocking is what makes a `signal`
//! that happens right after the unlock impossible to miss: any signaller must take the mutex (or
//! at least run after the waiter released it) and so finds the node in the queue. Go gets the same
//! guarantee from `runtime_notifyListAdd` before `c.L.Unlock()`.
//!
//! `signal` pops the oldest node and notifies it; `broadcast` takes the whole queue and notifies
//! every node, so every task waiting at the time of the call wakes (tested in
//! `tests/cond.rs`). A node is notified only after it has been removed from the queue under the
//! queue's lock, so each node is woken at most once; for the timed wait, "still in the queue
//! after the deadline" is the exact test for "timed out".
//!
//! As with Go's Cond (and every condition variable), callers wait in a loop on their predicate;
//! [`Cond::wait_while`] does that loop.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use crate::locker::Locker;
use crate::mutex::{Mutex, MutexGuard};
use crate::sema::{Waiter, deadline_after, lock, notify_all};

/// A condition variable for tasks waiting on a [`Mutex`] (`Cond`) or on a [`Locker`] `L`
/// (`Cond<L>`). Go: `sync.Cond`.
///
/// Go's `c.L.Lock(); for !cond { c.Wait() }; ...; c.L.Unlock()` becomes
/// `let mut g = mu.lock(); while !cond(&g) { g = c.wait(g); }` or
/// `let g = c.wait_while(mu.lock(), |v| !cond(v));`.
///
/// ```
/// use std::sync::Arc;
/// use rungo_sync::{Cond, Mutex};
///
/// let pair = Arc::new((Mutex::new(false), Cond::new()));
/// let p = pair.clone();
/// rungo_runtime::go!(move || {
///     *p.0.lock() = true;
///     p.1.signal();
/// });
/// let (mu, cond) = &*pair;
/// let ready = cond.wait_while(mu.lock(), |ready| !*ready);
/// assert!(*ready);
/// ```
///
/// With a [`Locker`], as Go's `sync.NewCond(&mu)`:
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use rungo_sync::{Cond, Locker, RawMutex};
///
/// let c = Arc::new(Cond::with_locker(RawMutex::new()));
/// let ready = Arc::new(AtomicBool::new(false));
/// let (c2, r2) = (c.clone(), ready.clone());
/// rungo_runtime::go!(move || {
///     c2.l().lock();
///     r2.store(true, Ordering::Relaxed);
///     c2.l().unlock();
///     c2.broadcast();
/// });
/// c.l().lock();
/// while !ready.load(Ordering::Relaxed) {
///     c.wait();
/// }
/// c.l().unlock();
/// ```
#[derive(Default)]
pub struct Cond<L = ()> {
    l: L,
    waiters: StdMutex<VecDeque<Arc<Waiter>>>,
}

impl<L> fmt::Debug for Cond<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cond")
            .field("waiters", &lock(&self.waiters).len())
            .finish()
    }
}

impl Cond {
    /// A condition variable with no waiters. Go: `sync.NewCond(&mu)` (the mutex is given to
    /// each `wait` instead).
    ///
    /// ```
    /// let c = rungo_sync::Cond::new();
    /// c.signal(); // no waiters: no effect
    /// ```
    pub const fn new() -> Cond {
        Cond {
            l: (),
            waiters: StdMutex::new(VecDeque::new()),
        }
    }

    /// Atomically unlocks the guard's mutex and parks until signalled, then relocks. Go:
    /// `(*Cond).Wait`. May wake without the caller's condition being true: wait in a loop.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rungo_sync::{Cond, Mutex};
    /// let s = Arc::new((Mutex::new(0), Cond::new()));
    /// let s2 = s.clone();
    /// rungo_runtime::go!(move || { *s2.0.lock() = 1; s2.1.broadcast(); });
    /// let mut g = s.0.lock();
    /// while *g == 0 {
    ///     g = s.1.wait(g);
    /// }
    /// ```
    #[track_caller]
    pub fn wait<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        let _waiting = rungo_runtime::Waiting::new(
            rungo_runtime::WaitReason::CondWait,
            std::panic::Location::caller(),
        );
        let mutex = guard.mutex();
        let w = Waiter::new();
        lock(&self.waiters).push_back(w.clone());
        drop(guard);
        w.wait();
        mutex.lock()
    }

    /// Waits while `condition` holds, re-checking it after every wake-up.
    /// Go: `for !cond { c.Wait() }`.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rungo_sync::{Cond, Mutex};
    /// let s = Arc::new((Mutex::new(Vec::<i32>::new()), Cond::new()));
    /// let s2 = s.clone();
    /// rungo_runtime::go!(move || { s2.0.lock().push(1); s2.1.signal(); });
    /// let q = s.1.wait_while(s.0.lock(), |q| q.is_empty());
    /// assert_eq!(*q, [1]);
    /// ```
    pub fn wait_while<'a, T: ?Sized>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut condition: impl FnMut(&mut T) -> bool,
    ) -> MutexGuard<'a, T> {
        while condition(&mut guard) {
            guard = self.wait(guard);
        }
        guard
    }

    /// Like [`Cond::wait`] but gives up after `timeout`; the `bool` is `true` if it timed out.
    /// (No Go counterpart; Go code uses a channel and `select` for this.)
    ///
    /// ```
    /// use std::time::Duration;
    /// let (m, c) = (rungo_sync::Mutex::new(()), rungo_sync::Cond::new());
    /// let (_g, timed_out) = c.wait_timeout(m.lock(), Duration::from_millis(1));
    /// assert!(timed_out);
    /// ```
    pub fn wait_timeout<'a, T: ?Sized>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> (MutexGuard<'a, T>, bool) {
        // `Duration::MAX` means no deadline rather than an overflow panic.
        let deadline = deadline_after(timeout);
        let mutex: &'a Mutex<T> = guard.mutex();
        let w = Waiter::new();
        lock(&self.waiters).push_back(w.clone());
        drop(guard);
        let mut timed_out = false;
        if !w.wait_until(deadline) {
            let mut q = lock(&self.waiters);
            if let Some(i) = q.iter().position(|x| Arc::ptr_eq(x, &w)) {
                q.remove(i);
                timed_out = true;
            } else {
                // A signaller popped us before we got the lock: take its wake-up.
                drop(q);
                w.wait();
            }
        }
        (mutex.lock(), timed_out)
    }
}

impl<L: Locker> Cond<L> {
    /// A condition variable whose waiters use the [`Locker`] `l`. Go: `sync.NewCond(l)`.
    /// `const`, so a `static` works (Go's package-level `var c = sync.NewCond(&mu)`).
    ///
    /// ```
    /// use rungo_sync::{Cond, RawMutex};
    /// static C: Cond<RawMutex> = Cond::with_locker(RawMutex::new());
    /// C.signal();
    /// ```
    pub const fn with_locker(l: L) -> Cond<L> {
        Cond {
            l,
            waiters: StdMutex::new(VecDeque::new()),
        }
    }

    /// The locker, held while observing or changing the condition. Go: `c.L`.
    ///
    /// ```
    /// use rungo_sync::{Cond, Locker, RawMutex};
    /// let c = Cond::with_locker(RawMutex::new());
    /// c.l().lock();
    /// assert!(c.l().is_locked());
    /// c.l().unlock();
    /// ```
    pub fn l(&self) -> &L {
        &self.l
    }

    /// Unlocks [`Cond::l`], parks until signalled, and locks it again before returning.
    /// Go: `(*Cond).Wait`. The caller must hold `c.l()` (else `unlock` panics, as Go's does);
    /// wait in a loop, as in Go: `for !condition { c.Wait() }`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use rungo_sync::{Cond, Locker, RawMutex};
    /// let c = Arc::new(Cond::with_locker(RawMutex::new()));
    /// let n = Arc::new(AtomicU32::new(0));
    /// let (c2, n2) = (c.clone(), n.clone());
    /// rungo_runtime::go!(move || { c2.l().lock(); n2.store(1, Ordering::Relaxed); c2.signal(); c2.l().unlock(); });
    /// c.l().lock();
    /// while n.load(Ordering::Relaxed) == 0 {
    ///     c.wait();
    /// }
    /// c.l().unlock();
    /// ```
    #[track_caller]
    pub fn wait(&self) {
        let _waiting = rungo_runtime::Waiting::new(
            rungo_runtime::WaitReason::CondWait,
            std::panic::Location::caller(),
        );
        let w = Waiter::new();
        // Queue before unlocking: see the module docs (Go's notifyListAdd before c.L.Unlock).
        lock(&self.waiters).push_back(w.clone());
        self.l.unlock();
        w.wait();
        self.l.lock();
    }
}

impl<L> Cond<L> {
    /// Wakes the task that has waited longest, if any. Go: `(*Cond).Signal`.
    ///
    /// ```
    /// rungo_sync::Cond::new().signal();
    /// ```
    pub fn signal(&self) {
        let head = lock(&self.waiters).pop_front();
        if let Some(w) = head {
            w.notify();
        }
    }

    /// Wakes every waiting task. Go: `(*Cond).Broadcast`.
    ///
    /// ```
    /// rungo_sync::Cond::new().broadcast();
    /// ```
    pub fn broadcast(&self) {
        let all = std::mem::take(&mut *lock(&self.waiters));
        notify_all(all);
    }
}
