//! The channel object: one lock, a ring buffer, two wait queues. Go's `hchan` (runtime/chan.go).
//!
//! # Invariants (all under `lock`)
//!
//! * `buf.len() <= cap`; `buf` is allocated once with capacity `cap`, so a buffered send or
//!   receive that does not block never allocates.
//! * If `recvq` holds a *live* waiter (one whose signal is still `WAITING`), then `buf` is empty
//!   and no live sender waits: a sender always serves a waiting receiver first, and a receiver
//!   only blocks when nothing is buffered.
//! * If `sendq` holds a live waiter, then `buf` is full (for `cap == 0`: "full" is always true):
//!   a receiver serves a waiting sender first; for a buffered channel it takes the head of the
//!   buffer and moves the sender's value to the tail, so FIFO order is kept.
//! * Queues may also hold *stale* waiters: cases of a select completed on another channel, or
//!   operations aborted by a timeout. Whoever pops one fails its claim CAS and drops it; the owner
//!   also removes its own stale nodes. A stale node is never completed, so its value (if any)
//!   stays with its owner.
//! * Once `closed` is set it never clears; `close` completes every queued waiter with
//!   `closed = true` (receivers get `None`, senders panic or get their value back; receivers
//!   after it releases the lock, see [`Inner::close`]), and later
//!   sends fail while later receives drain `buf` and then report closed.
//!
//! # Why it is correct
//!
//! Every transfer happens under the channel lock on one side and through a successful claim on
//! the other, so each value is moved exactly once: from a sender's argument or slot into the
//! buffer or into exactly one receiver's slot. A blocked operation is linearized at the moment
//! its peer claims it (which is when Go's `send`/`recv` helpers run under `c.lock`).
//! A select that blocks locks all its channels (in address order, so two selects cannot
//! deadlock), polls them, and enqueues on all of them before releasing any lock, so no peer can
//! slip between "not ready" and "registered" (no lost wake-up); see `select.rs`.

use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::sync::Arc;

use crate::lock::{LockGuard, RawLock};
use crate::waiter::{Node, Queued, Signal};

/// Receivers a close claims per hold of the lock (see [`Inner::close`]).
const CLOSE_BATCH: usize = 64;

/// The state guarded by [`Inner::lock`].
pub(crate) struct State<T> {
    pub(crate) buf: VecDeque<T>,
    pub(crate) closed: bool,
    pub(crate) recvq: VecDeque<Queued<T>>,
    pub(crate) sendq: VecDeque<Queued<T>>,
}

/// A channel; handles hold it in an `Arc`.
pub(crate) struct Inner<T> {
    /// Guards `state`. A lock beside an `UnsafeCell` (rather than a lock owning the state) so a
    /// select can hold the locks of channels of different element types at once: the guards
    /// all have the one type `LockGuard<'_>`. See `lock.rs` for how it spins and then sleeps.
    lock: RawLock,
    state: UnsafeCell<State<T>>,
    pub(crate) cap: usize,
}

// SAFETY: `state` is only accessed while `lock` is held (see `Locked`), which serializes all
// access; values of `T` move between threads, hence `T: Send`.
unsafe impl<T: Send> Send for Inner<T> {}
// SAFETY: as for `Send`.
unsafe impl<T: Send> Sync for Inner<T> {}

// A panic never leaves the state half-updated (no user code runs under the lock except a
// `T`'s drop, after the structure is consistent), so handles are unwind-safe, as a Go channel
// survives a recovered panic.
impl<T> std::panic::UnwindSafe for Inner<T> {}
impl<T> std::panic::RefUnwindSafe for Inner<T> {}

/// The channel's state, borrowed while its lock is held.
pub(crate) struct Locked<'a, T> {
    _guard: Option<LockGuard<'a>>,
    pub(crate) st: &'a mut State<T>,
}

impl<T> std::ops::Deref for Locked<'_, T> {
    type Target = State<T>;
    fn deref(&self) -> &State<T> {
        self.st
    }
}
impl<T> std::ops::DerefMut for Locked<'_, T> {
    fn deref_mut(&mut self) -> &mut State<T> {
        self.st
    }
}

/// Outcome of a non-blocking send attempt made under the lock.
pub(crate) enum SendTry<T> {
    /// Delivered into the buffer or to a (now completed) waiting receiver.
    Sent,
    /// No receiver waits and the buffer is full; the value comes back.
    Full(T),
    /// The channel is closed; the value comes back.
    Closed(T),
}

/// Outcome of a non-blocking receive attempt made under the lock.
pub(crate) enum RecvTry<T> {
    /// A value was received.
    Got(T),
    /// The channel is closed and drained.
    Closed,
    /// Nothing to receive now.
    Empty,
}

impl<T> Inner<T> {
    pub(crate) fn new(cap: usize) -> Arc<Inner<T>> {
        Arc::new(Inner {
            lock: RawLock::new(),
            state: UnsafeCell::new(State {
                buf: VecDeque::with_capacity(cap),
                closed: false,
                recvq: VecDeque::new(),
                sendq: VecDeque::new(),
            }),
            cap,
        })
    }

    /// Locks the channel.
    #[inline]
    pub(crate) fn lock(&self) -> Locked<'_, T> {
        let g = self.lock.lock();
        // SAFETY: the lock is held for the lifetime of the returned borrow.
        let st = unsafe { &mut *self.state.get() };
        Locked {
            _guard: Some(g),
            st,
        }
    }

    /// Frees the node of a blocked operation that is over, and returns what its slot holds (a
    /// received value, or a sender's value that was not taken). `completed`: its owner saw DONE
    /// for it. Otherwise (a timeout, or a select case that lost) it is first removed from its
    /// queue, `sendq` if `sender`, under the lock.
    pub(crate) fn retire(&self, node: Node<T>, completed: bool, sender: bool) -> Option<T> {
        if !completed {
            let mut st = self.lock();
            let q = if sender { &mut st.sendq } else { &mut st.recvq };
            if let Some(i) = q.iter().position(|x| x.is(&node)) {
                q.remove(i);
            }
        }
        // SAFETY: on DONE (Acquire) the claimer popped the node, wrote its slot before, and is
        // done with it. Otherwise nobody claimed it (the signal completes one case at most, and
        // this one's owner aborted or saw another case done), and it has just left its queue
        // under the lock, which also waited out any peer that popped it and lost the claim.
        unsafe { node.free() }
    }

    /// Go's `closechan`; false if the channel was already closed.
    ///
    /// Queued senders are completed under the lock at once: a receiver arriving later takes
    /// from `sendq` first, and must not take a value that close has already refused. Queued
    /// receivers are claimed under the lock and completed after it is released, as Go readies
    /// its list of waiters after `unlock`: each completion may wake a sleeping worker (a
    /// system call), and a million receivers woken under the lock kept every other user of the
    /// channel spinning and then asleep for seconds. They are taken [`CLOSE_BATCH`] at a time,
    /// so close allocates nothing and never holds the lock long. Between batches the queue
    /// holds only receivers that close will claim or stale nodes: no sender can join a closed
    /// channel's queue, so no one else claims them.
    pub(crate) fn close(&self) -> bool {
        let mut st = self.lock();
        if !st.close_to_senders() {
            return false;
        }
        loop {
            let mut batch = [(std::ptr::null::<Signal>(), 0usize); CLOSE_BATCH];
            let mut claimed = 0;
            let mut drained = true;
            while let Some(q) = st.recvq.pop_front() {
                // SAFETY: we hold the lock of the queue that held the node.
                let w = unsafe { q.waiter() };
                if w.signal().claim() {
                    batch[claimed] = (std::ptr::from_ref(w.signal()), w.case);
                    claimed += 1;
                    if claimed == CLOSE_BATCH {
                        drained = st.recvq.is_empty();
                        break;
                    }
                }
            }
            drop(st);
            for &(signal, case) in &batch[..claimed] {
                // SAFETY: we won the claim, so the owner waits for DONE and keeps the signal
                // alive (waiter.rs); we touch nothing of it after `complete`.
                unsafe { Signal::complete(signal, case, true) };
            }
            if drained {
                return true;
            }
            // A close that wakes a million receivers runs for a while: between batches, with
            // the lock released, it is a preemption point like any other operation (its budget,
            // sysmon's request), so the worker's other coroutines (those just woken among
            // them) are not held up and sysmon does not report the worker stuck.
            rungo_runtime::preempt_point();
            st = self.lock();
        }
    }

    /// The raw lock only; a select locks several channels at once through it.
    #[inline]
    pub(crate) fn mutex(&self) -> &RawLock {
        &self.lock
    }

    /// Borrows the state of a channel whose lock the caller holds through [`Inner::mutex`].
    ///
    /// # Safety
    /// The caller holds this channel's raw lock for the whole returned lifetime and creates no
    /// other borrow of the state meanwhile.
    #[inline]
    pub(crate) unsafe fn assume_locked(&self) -> Locked<'_, T> {
        // SAFETY: exclusive access by the caller's contract.
        let st = unsafe { &mut *self.state.get() };
        Locked { _guard: None, st }
    }
}

impl<T> State<T> {
    /// Go's `chansend` fast paths: hand `v` to a waiting receiver, or buffer it.
    /// The claimed receiver (if any) is completed before returning; its unpark happens inside
    /// `complete`, which is allocation-free and does not block.
    #[inline]
    pub(crate) fn try_send(&mut self, cap: usize, v: T) -> SendTry<T> {
        if self.closed {
            return SendTry::Closed(v);
        }
        while let Some(q) = self.recvq.pop_front() {
            // SAFETY: we hold the lock of the queue that held the node.
            let w = unsafe { q.waiter() };
            if w.signal().claim() {
                // SAFETY: we won the claim: we alone touch the slot until `complete`, after
                // which we touch nothing of the node.
                unsafe {
                    w.put(v);
                    Signal::complete(w.signal(), w.case, false);
                }
                return SendTry::Sent;
            }
        }
        if self.buf.len() < cap {
            self.buf.push_back(v);
            return SendTry::Sent;
        }
        SendTry::Full(v)
    }

    /// Go's `chanrecv` fast paths: take from a waiting sender (through the buffer if buffered),
    /// else from the buffer, else report closed or empty.
    #[inline]
    pub(crate) fn try_recv(&mut self) -> RecvTry<T> {
        while let Some(q) = self.sendq.pop_front() {
            // SAFETY: we hold the lock of the queue that held the node.
            let w = unsafe { q.waiter() };
            if w.signal().claim() {
                // SAFETY: we won the claim: we alone touch the slot until `complete`, after
                // which we touch nothing of the node.
                let sv = unsafe {
                    let sv = w.take().expect("queued sender without a value");
                    Signal::complete(w.signal(), w.case, false);
                    sv
                };
                return match self.buf.pop_front() {
                    Some(head) => {
                        // Buffer was full: the sender's value goes to the tail (FIFO kept).
                        self.buf.push_back(sv);
                        RecvTry::Got(head)
                    }
                    None => RecvTry::Got(sv),
                };
            }
        }
        if let Some(v) = self.buf.pop_front() {
            return RecvTry::Got(v);
        }
        if self.closed {
            RecvTry::Closed
        } else {
            RecvTry::Empty
        }
    }

    /// Marks the channel closed and completes every queued sender with `closed = true`
    /// (receivers: see [`Inner::close`]). Returns `false` if it was already closed.
    fn close_to_senders(&mut self) -> bool {
        if self.closed {
            return false;
        }
        self.closed = true;
        for q in self.sendq.drain(..) {
            // SAFETY: we hold the lock of the queue that held the node.
            let w = unsafe { q.waiter() };
            if w.signal().claim() {
                // SAFETY: we won the claim; we touch nothing of the node afterwards.
                unsafe { Signal::complete(w.signal(), w.case, true) };
            }
        }
        true
    }
}
