//! Wait-queue nodes: how a blocked channel operation is parked and completed.
//!
//! Go's counterpart is the `sudog` plus `g.selectDone` (runtime/runtime2.go, select.go).
//!
//! # Design
//!
//! A task that must block on a channel operation allocates a [`Waiter`] on the heap (an `Arc`,
//! never the parked task's stack: another thread reads it) and pushes it on the channel's
//! `sendq` or `recvq` while holding the channel lock. A `select` allocates one [`Signal`] shared
//! by all its cases and one `Waiter` per case, so the cases of one select are completed *at most
//! once in total*.
//!
//! The [`Signal`] is a small state machine on one atomic word:
//!
//! ```text
//!            claim() by a peer (CAS)             complete(case, closed)
//! WAITING ─────────────────────────► CLAIMED ───────────────────────► DONE(case, closed)
//!    │
//!    │ abort() by the owner (CAS, on timeout)
//!    └────────────────────────────► ABORTED
//! ```
//!
//! * Only the peer whose CAS `WAITING -> CLAIMED` succeeds touches the waiter's value slot
//!   (writes a value into a receiver's slot, or takes the value out of a sender's slot). Every
//!   other peer that finds the node in a queue fails the CAS and simply discards the stale node.
//!   This is what makes "a losing select case never consumes a value" hold: the value of a
//!   losing send case stays in its slot and goes back to its owner.
//! * The claimer publishes the result with a `Release` store of `DONE(..)` and then unparks the
//!   owner. The owner parks in a loop until it loads (`Acquire`) a `DONE` state, so a spurious
//!   wake-up (allowed by the runtime's blocking contract) is harmless, and the slot is read only
//!   after the claimer's write happened-before.
//! * A transient `CLAIMED` is always short: the claimer holds it only across a slot move, so the
//!   owner just parks again; the claimer's unpark follows its `DONE` store.
//! * The owner may give up (timeout) only by winning `WAITING -> ABORTED`; after that no peer
//!   will ever touch its slots, and it removes its nodes from the queues itself. If the abort
//!   CAS fails, a peer has claimed it and the owner waits for `DONE` as usual.
//!
//! Slot accesses before enqueueing and while dequeueing are ordered by the channel mutex (the
//! owner fills a send slot before pushing the node under the lock; a peer pops it under the same
//! lock before claiming).

use std::cell::UnsafeCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use rungo_runtime::Unparker;

const WAITING: usize = 0;
const CLAIMED: usize = 1;
const ABORTED: usize = 2;
const DONE_BASE: usize = 3;

/// How a blocked operation was completed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Done {
    /// Index of the completed case (0 for a plain send/recv).
    pub(crate) case: usize,
    /// Completed by `close` rather than by a peer transfer.
    pub(crate) closed: bool,
}

/// The completion word of one blocked task (one operation or one whole select).
pub struct Signal {
    state: AtomicUsize,
    unparker: Unparker,
}

impl Signal {
    /// A fresh, waiting signal for the calling task.
    pub(crate) fn new() -> Signal {
        Signal {
            state: AtomicUsize::new(WAITING),
            unparker: Unparker::current(),
        }
    }

    /// A peer tries to become the unique completer. On `true`, the caller must call
    /// [`Signal::complete`] soon, without blocking in between.
    #[inline]
    pub(crate) fn claim(&self) -> bool {
        self.state
            .compare_exchange(WAITING, CLAIMED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// The claimer publishes the outcome and wakes the owner.
    #[inline]
    pub(crate) fn complete(&self, case: usize, closed: bool) {
        debug_assert_eq!(self.state.load(Ordering::Relaxed), CLAIMED);
        self.state
            .store(DONE_BASE + case * 2 + closed as usize, Ordering::Release);
        self.unparker.unpark();
    }

    /// Decodes a state word into a completion, if it is one.
    fn decode(s: usize) -> Option<Done> {
        if s >= DONE_BASE {
            let v = s - DONE_BASE;
            Some(Done {
                case: v / 2,
                closed: v % 2 == 1,
            })
        } else {
            None
        }
    }

    /// The owner waits until completed, or until `deadline` passes and it wins the abort.
    /// Returns `None` only when aborted. Inlined, as the runtime's `park` is, so that the stack
    /// switch happens one call below the user's channel operation: every frame unwound after
    /// a switch costs a mispredicted return.
    #[inline]
    pub(crate) fn wait(&self, deadline: Option<Instant>) -> Option<Done> {
        let mut deadline = deadline;
        loop {
            let s = self.state.load(Ordering::Acquire);
            if let Some(d) = Self::decode(s) {
                return Some(d);
            }
            match deadline {
                None => rungo_runtime::park(),
                Some(dl) => {
                    if Instant::now() >= dl {
                        if self
                            .state
                            .compare_exchange(WAITING, ABORTED, Ordering::AcqRel, Ordering::Acquire)
                            .is_ok()
                        {
                            return None;
                        }
                        // Claimed by a peer: wait for its DONE without a deadline.
                        deadline = None;
                        continue;
                    }
                    rungo_runtime::park_until(dl);
                }
            }
        }
    }
}

/// One queued operation: a node of a channel's `sendq` or `recvq`.
pub(crate) struct Waiter<T> {
    /// Shared completion word when this is a case of a select; `None` uses `own`.
    shared: Option<Arc<Signal>>,
    own: Option<Signal>,
    /// Index of this case in its select (0 for a plain operation).
    pub(crate) case: usize,
    /// For a sender: the value to deliver. For a receiver: where the value is delivered.
    slot: UnsafeCell<Option<T>>,
}

// SAFETY: the slot is accessed by one thread at a time, as the module docs explain (the channel
// lock orders the owner's fill and the peer's dequeue; the claim CAS gives the claimer exclusive
// access; the DONE Release/Acquire pair hands it back). Moving a `T` across threads needs
// `T: Send`; `Signal` is Send + Sync (an atomic and an `Unparker`).
unsafe impl<T: Send> Send for Waiter<T> {}
// SAFETY: see `Send`; shared references never give unsynchronized access to the slot.
unsafe impl<T: Send> Sync for Waiter<T> {}

impl<T> Waiter<T> {
    /// A waiter for a single blocking operation of the calling task.
    pub(crate) fn single(value: Option<T>) -> Arc<Waiter<T>> {
        Arc::new(Waiter {
            shared: None,
            own: Some(Signal::new()),
            case: 0,
            slot: UnsafeCell::new(value),
        })
    }

    /// A waiter for case `case` of a select whose completion word is `sig`.
    pub(crate) fn for_select(sig: Arc<Signal>, case: usize, value: Option<T>) -> Arc<Waiter<T>> {
        Arc::new(Waiter {
            shared: Some(sig),
            own: None,
            case,
            slot: UnsafeCell::new(value),
        })
    }

    /// The completion word governing this node.
    #[inline]
    pub(crate) fn signal(&self) -> &Signal {
        match &self.shared {
            Some(s) => s,
            None => self.own.as_ref().expect("waiter without signal"),
        }
    }

    /// Moves a value into the slot (a claimer delivering to a receiver).
    ///
    /// # Safety
    /// The caller has exclusive access to the slot: it won [`Signal::claim`] on this node's
    /// signal and has not yet called `complete`.
    #[inline]
    pub(crate) unsafe fn put(&self, v: T) {
        // SAFETY: exclusive access guaranteed by the caller.
        unsafe { *self.slot.get() = Some(v) }
    }

    /// Takes the slot's value.
    ///
    /// # Safety
    /// The caller has exclusive access to the slot: it is the claimer (between claim and
    /// complete), or the owner after observing DONE/ABORTED (or after its select finished and it
    /// dequeued this node, or the node was never published).
    #[inline]
    pub(crate) unsafe fn take(&self) -> Option<T> {
        // SAFETY: exclusive access guaranteed by the caller.
        unsafe { (*self.slot.get()).take() }
    }
}
