//! `Semaphore`: `golang.org/x/sync/semaphore.Weighted`, coroutine-aware.
//!
//! # Design
//!
//! `size` permits, `cur` of them held, and a FIFO queue of waiters, each asking for `n` permits,
//! all behind one short internal lock (the same structure as Go's `Weighted`).
//!
//! - `acquire(n)` takes the permits at once only if they are free **and nobody is queued**;
//!   otherwise it queues at the back and parks. So acquisition is strictly FIFO: a small request
//!   cannot overtake a large one that arrived first (which would starve large requests).
//! - `release(n)` returns permits, then grants waiters from the front while the head's request
//!   fits. Granting means `cur += n` on the waiter's behalf, removing it from the queue, and only
//!   then notifying it (outside the lock), so the woken task owns its permits when it wakes.
//! - A timed or cancelled acquire that gives up removes its node under the lock. If the node is no
//!   longer queued it was granted meanwhile, and the acquire succeeds. If it was the head and
//!   permits are left over, the next waiters may fit now: they are granted (Go does the same).
//! - Releasing more than is held panics: `semaphore: released more than held`, as Go.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use crate::sema::{Waiter, lock, notify_all};

struct Request {
    n: u64,
    waiter: Arc<Waiter>,
}

struct State {
    cur: u64,
    queue: VecDeque<Request>,
}

/// A weighted semaphore with FIFO acquisition. Go: `golang.org/x/sync/semaphore.Weighted`.
///
/// ```
/// use std::sync::Arc;
/// use rungo_sync::{Semaphore, WaitGroup};
///
/// // At most 2 workers at a time.
/// let sem = Arc::new(Semaphore::new(2));
/// let wg = WaitGroup::new();
/// for _ in 0..5 {
///     let sem = sem.clone();
///     wg.go(move || {
///         sem.acquire(1);
///         // ... work ...
///         sem.release(1);
///     });
/// }
/// wg.wait();
/// ```
pub struct Semaphore {
    size: u64,
    state: StdMutex<State>,
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = lock(&self.state);
        f.debug_struct("Semaphore")
            .field("size", &self.size)
            .field("held", &st.cur)
            .field("waiters", &st.queue.len())
            .finish()
    }
}

impl Semaphore {
    /// A semaphore with `size` permits, none held. Go: `semaphore.NewWeighted(n)`.
    ///
    /// ```
    /// let s = rungo_sync::Semaphore::new(3);
    /// assert!(s.try_acquire(3));
    /// ```
    pub const fn new(size: u64) -> Semaphore {
        Semaphore {
            size,
            state: StdMutex::new(State {
                cur: 0,
                queue: VecDeque::new(),
            }),
        }
    }

    /// Number of permits currently held (a racy snapshot).
    /// Go: none (`semaphore.Weighted` keeps `cur` private).
    ///
    /// ```
    /// let s = rungo_sync::Semaphore::new(4);
    /// s.acquire(3);
    /// assert_eq!(s.held(), 3);
    /// ```
    pub fn held(&self) -> u64 {
        lock(&self.state).cur
    }

    /// Total number of permits.
    /// Go: the `n` given to `semaphore.NewWeighted(n)`.
    ///
    /// ```
    /// assert_eq!(rungo_sync::Semaphore::new(4).size(), 4);
    /// ```
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Takes `n` permits, parking until they are available (FIFO). Go: `(*Weighted).Acquire`.
    ///
    /// # Panics
    ///
    /// If `n` exceeds the semaphore's size: such a request could never be granted (Go's version
    /// blocks until its context is cancelled; without a context that would be a silent deadlock).
    ///
    /// ```
    /// let s = rungo_sync::Semaphore::new(2);
    /// s.acquire(2);
    /// s.release(2);
    /// ```
    #[track_caller]
    pub fn acquire(&self, n: u64) {
        if let Some(w) = self.enqueue(n) {
            let _waiting = rungo_runtime::Waiting::new(
                rungo_runtime::WaitReason::Semacquire,
                std::panic::Location::caller(),
            );
            w.wait();
        }
    }

    /// Like [`Semaphore::acquire`] but gives up after `timeout`; returns whether the permits were
    /// acquired. (Go code passes a context with a timeout; see also [`Semaphore::acquire_ctx`].)
    ///
    /// ```
    /// use std::time::Duration;
    /// let s = rungo_sync::Semaphore::new(1);
    /// s.acquire(1);
    /// assert!(!s.acquire_timeout(1, Duration::from_millis(1)));
    /// ```
    pub fn acquire_timeout(&self, n: u64, timeout: Duration) -> bool {
        let deadline = crate::sema::deadline_after(timeout);
        match self.enqueue(n) {
            None => true,
            Some(w) => w.wait_until(deadline) || self.give_up(&w),
        }
    }

    /// Like [`Semaphore::acquire`] but gives up when `ctx` is done, returning its error.
    /// Go: `(*Weighted).Acquire(ctx, n)`. A request larger than the size waits for `ctx`.
    ///
    /// ```
    /// use rungo_sync::{context, Semaphore};
    /// let s = Semaphore::new(1);
    /// let (ctx, cancel) = context::with_cancel(&context::background());
    /// s.acquire(1);
    /// cancel.cancel();
    /// assert_eq!(s.acquire_ctx(&ctx, 1), Err(context::ContextError::Canceled));
    /// ```
    pub fn acquire_ctx(
        &self,
        ctx: &crate::context::Context,
        n: u64,
    ) -> Result<(), crate::context::ContextError> {
        if let Some(err) = ctx.err() {
            return Err(err);
        }
        if n > self.size {
            ctx.wait();
            return Err(ctx.err().expect("a context is done only with an error"));
        }
        let Some(w) = self.enqueue(n) else {
            return Ok(());
        };
        // Wake this task when the context is cancelled; the hook is removed when it drops.
        let _hook = ctx.on_done_unpark();
        loop {
            if w.is_notified() {
                return Ok(());
            }
            if let Some(err) = ctx.err() {
                return if self.give_up(&w) { Ok(()) } else { Err(err) };
            }
            rungo_runtime::park();
        }
    }

    /// Takes `n` permits if they are free and nobody is queued; never blocks.
    /// Go: `(*Weighted).TryAcquire`.
    ///
    /// ```
    /// let s = rungo_sync::Semaphore::new(1);
    /// assert!(s.try_acquire(1));
    /// assert!(!s.try_acquire(1));
    /// ```
    pub fn try_acquire(&self, n: u64) -> bool {
        let mut st = lock(&self.state);
        if self.size - st.cur >= n && st.queue.is_empty() {
            st.cur += n;
            true
        } else {
            false
        }
    }

    /// Returns `n` permits and grants queued requests in FIFO order. Go: `(*Weighted).Release`.
    ///
    /// # Panics
    ///
    /// `semaphore: released more than held` if fewer than `n` permits are held.
    ///
    /// ```
    /// let s = rungo_sync::Semaphore::new(1);
    /// s.acquire(1);
    /// s.release(1);
    /// ```
    pub fn release(&self, n: u64) {
        let woken = {
            let mut st = lock(&self.state);
            if st.cur < n {
                drop(st);
                panic!("semaphore: released more than held");
            }
            st.cur -= n;
            self.grant(&mut st)
        };
        notify_all(woken);
    }

    /// Grants now, or queues and returns the node to wait on.
    fn enqueue(&self, n: u64) -> Option<Arc<Waiter>> {
        let mut st = lock(&self.state);
        if self.size - st.cur >= n && st.queue.is_empty() {
            st.cur += n;
            return None;
        }
        if n > self.size {
            drop(st);
            panic!(
                "semaphore: acquire of {n} permits exceeds the semaphore's size of {}",
                self.size
            );
        }
        let waiter = Waiter::new();
        st.queue.push_back(Request {
            n,
            waiter: waiter.clone(),
        });
        Some(waiter)
    }

    /// Grants from the front while the head's request fits; returns the nodes to notify.
    fn grant(&self, st: &mut State) -> Vec<Arc<Waiter>> {
        let mut woken = Vec::new();
        while let Some(head) = st.queue.front() {
            if self.size - st.cur < head.n {
                // Not enough for the head: stop, so that later small requests cannot starve it.
                break;
            }
            st.cur += head.n;
            woken.push(st.queue.pop_front().expect("front exists").waiter);
        }
        woken
    }

    /// Withdraws a queued request. Returns `true` if it had been granted meanwhile (then the
    /// caller owns the permits).
    fn give_up(&self, w: &Arc<Waiter>) -> bool {
        let woken = {
            let mut st = lock(&self.state);
            let Some(i) = st.queue.iter().position(|r| Arc::ptr_eq(&r.waiter, w)) else {
                drop(st);
                // Granted: the grantor notifies right after unlocking; absorb that.
                w.wait();
                return true;
            };
            st.queue.remove(i);
            if i == 0 {
                self.grant(&mut st)
            } else {
                Vec::new()
            }
        };
        notify_all(woken);
        false
    }
}
