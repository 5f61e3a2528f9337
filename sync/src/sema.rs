//! The one wait queue every blocking primitive in this crate is built on.
//!
//! # What this module owns
//!
//! - [`Waiter`]: a heap node (`Arc<Waiter>`) for one blocked task. It holds the task's
//!   [`Unparker`] and a `notified` flag. The blocked task parks in a loop until the flag is set;
//!   the waker sets the flag (Release) and then unparks. Because the node is on the heap and the
//!   waker holds its own `Arc`, no thread ever reads a parked task's stack, and the waker may touch
//!   the node after the waiter has already returned and dropped its reference.
//! - [`Sema`]: Go's runtime semaphore (`runtime/sema.go`, `semacquire`/`semrelease`): a count of
//!   permits and a queue of waiters. `release` hands its permit *directly* to the waiter at the
//!   head of the queue (Go's `handoff == true` path), or banks it in the count when nobody waits.
//!   `acquire(lifo)` queues at the front when `lifo` is set: Go's mutex uses that for a waiter that
//!   was already woken once and lost the race again, so it does not go to the back of the line.
//!
//! # Blocking contract
//!
//! Parking goes only through [`rungo_runtime::park()`] / [`rungo_runtime::park_until`], which park a
//! coroutine (its worker runs other coroutines) or a plain OS thread. `park` may return
//! spuriously and an `unpark` that precedes `park` is not lost, so every wait is
//! `while !notified { park() }`: a lost wake-up is impossible because the flag is set before the
//! unpark, and a spurious return just re-checks the flag. The internal `std::sync::Mutex` guarding a
//! queue is held only for a few instructions and never across a park.
//!
//! # Memory ordering
//!
//! The waker's `notified.store(true, Release)` pairs with the waiter's `notified.load(Acquire)`;
//! whatever the waker wrote before waking (a handed-off permit, a cancelled context's error)
//! is visible to the woken task.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex as StdMutex, MutexGuard as StdMutexGuard, PoisonError};
use std::time::Instant;

use rungo_runtime::Unparker;

/// Locks an internal std mutex, ignoring poisoning: the critical sections in this crate never
/// panic while the data is inconsistent (they only push/pop queues and adjust counters).
pub(crate) fn lock<T>(m: &StdMutex<T>) -> StdMutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One blocked task: its unpark handle and a one-shot `notified` flag. Always used as
/// `Arc<Waiter>`, so the queue that holds it and the task that parks on it share heap memory only.
#[derive(Debug)]
pub(crate) struct Waiter {
    unparker: Unparker,
    notified: AtomicBool,
}

impl Waiter {
    /// A node for the calling task.
    pub(crate) fn new() -> Arc<Waiter> {
        Arc::new(Waiter {
            unparker: Unparker::current(),
            notified: AtomicBool::new(false),
        })
    }

    /// Whether [`Waiter::notify`] has been called.
    pub(crate) fn is_notified(&self) -> bool {
        self.notified.load(Ordering::Acquire)
    }

    /// Sets the flag, then wakes the task. Call at most once per node (callers ensure this by
    /// removing the node from its queue under the queue's lock first).
    pub(crate) fn notify(&self) {
        self.notified.store(true, Ordering::Release);
        self.unparker.unpark();
    }

    /// Parks the calling task (which must be the one that created the node) until notified.
    pub(crate) fn wait(&self) {
        while !self.is_notified() {
            rungo_runtime::park();
        }
    }

    /// Parks until notified or until `deadline` (`None`: no deadline). Returns whether it was notified. On `false` the
    /// caller must remove the node from its queue under the queue's lock and re-check
    /// [`Waiter::is_notified`] there (a notify may race with the timeout).
    pub(crate) fn wait_until(&self, deadline: Option<Instant>) -> bool {
        let Some(deadline) = deadline else {
            self.wait();
            return true;
        };
        loop {
            if self.is_notified() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            rungo_runtime::park_until(deadline);
        }
    }
}

/// `now + timeout`, or `None` ("no deadline: wait as long as it takes") when that overflows the
/// clock (`Duration::MAX`), instead of the `overflow when adding duration to instant` panic.
pub(crate) fn deadline_after(timeout: std::time::Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

/// Wakes every waiter in `list` (taken out of its queue by the caller, outside the queue's lock).
pub(crate) fn notify_all(list: impl IntoIterator<Item = Arc<Waiter>>) {
    for w in list {
        w.notify();
    }
}

#[derive(Debug, Default)]
struct SemaState {
    count: u32,
    queue: VecDeque<Arc<Waiter>>,
}

/// Go's runtime semaphore (`semacquire`/`semrelease` with direct hand-off). See the module docs.
#[derive(Debug, Default)]
pub(crate) struct Sema {
    state: StdMutex<SemaState>,
}

impl Sema {
    pub(crate) const fn new() -> Sema {
        Sema {
            state: StdMutex::new(SemaState {
                count: 0,
                queue: VecDeque::new(),
            }),
        }
    }

    /// Takes one permit, parking until one is handed over. `lifo` queues at the front.
    pub(crate) fn acquire(&self, lifo: bool) {
        let w = {
            let mut st = lock(&self.state);
            if st.count > 0 {
                st.count -= 1;
                return;
            }
            let w = Waiter::new();
            if lifo {
                st.queue.push_front(w.clone());
            } else {
                st.queue.push_back(w.clone());
            }
            w
        };
        // The permit is handed to us by `release` before it notifies.
        w.wait();
    }

    /// Returns one permit: to the head waiter if there is one, else to the count.
    pub(crate) fn release(&self) {
        let head = {
            let mut st = lock(&self.state);
            match st.queue.pop_front() {
                Some(w) => w,
                None => {
                    st.count += 1;
                    return;
                }
            }
        };
        head.notify();
    }
}
