//! The select engine shared by [`select!`](crate::select!) and [`Select`](crate::Select).
//! Go: `runtime/select.go` (`selectgo`).
//!
//! # Algorithm
//!
//! 1. **Poll, lock-light.** Visit the cases in a uniformly random permutation; for each, lock
//!    only its channel and try the operation without blocking. The first that succeeds wins.
//!    With all cases ready this costs one lock round trip and no allocation. Nil-channel cases
//!    are skipped: they are never chosen.
//! 2. If nothing was ready: with `default` (non-blocking mode) return "none".
//! 3. **Lock all, poll again, enqueue.** Lock every distinct channel in address order (a global
//!    order, so two selects never deadlock), poll again in the same random order, and if still
//!    nothing is ready enqueue one wait-queue node per case, in that random order too, all
//!    sharing one [`Signal`], before releasing any lock. A peer that arrives after the unlock finds the waiter; one that came
//!    before was seen by the poll; so no wake-up is lost.
//! 4. **Park** until some peer claims the shared signal (the claim CAS makes the completion
//!    unique: a peer on another channel that finds a later case fails its CAS and drops that
//!    node without touching its value), or until the deadline, when the owner aborts.
//! 5. **Dequeue.** Lock each channel in turn and remove the remaining nodes. A losing send
//!    case takes its value back from its node (it was never claimed, so it is intact): this is
//!    the fix for the data loss of the `may` crate's issue 102.
//!
//! Why uniform: when several cases are ready the first ready one in a uniformly random
//! permutation is chosen, which is uniform over the ready set (Go does exactly this). And when
//! the select blocks, the peer that completes it picks the first of its nodes in the peer's
//! channel queue; enqueueing in the random order makes that uniform over the select's cases on
//! that channel, rather than always the first one written (Go enqueues in `lockorder`, which
//! is random among cases on one channel).

use std::ops::DerefMut;
use std::ptr::NonNull;

use crate::lock::{LockGuard, RawLock};
use std::time::Instant;

use crate::chan::{RecvChan, SendChan};
use crate::core::{Inner, RecvTry, SendTry};
use crate::waiter::{Done, Node, Signal};

/// Result of trying one case without blocking.
#[doc(hidden)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Attempt {
    /// The operation happened.
    Fired,
    /// It would block.
    NotReady,
    /// A send case found its channel closed (Go panics).
    SendClosed,
}

/// One case of a select, type-erased so cases over different element types share one engine.
/// Implementation detail of `select!` and [`Select`](crate::Select).
#[doc(hidden)]
pub trait Case<'a> {
    /// The channel's lock, or `None` when the case can never fire (nil channel, or a send
    /// case whose value is gone).
    fn mutex(&self) -> Option<&'a RawLock>;
    /// Tries the operation without blocking, taking the channel lock itself.
    fn try_fire(&mut self) -> Attempt;
    /// Tries the operation without blocking.
    ///
    /// # Safety
    /// The caller holds this case's channel lock (from [`Case::mutex`]).
    unsafe fn try_fire_locked(&mut self) -> Attempt;
    /// Enqueues a waiter for this case (index `index`) completed through `sig`.
    ///
    /// # Safety
    /// The caller holds this case's channel lock, and keeps `sig` alive until `finish`.
    unsafe fn register_locked(&mut self, sig: NonNull<Signal>, index: usize);
    /// After the select finished: `won` is the completion if this case was chosen; otherwise
    /// the case removes its waiter (if any) and recovers its value. Returns `SendClosed` when
    /// the winning send case was completed by a close.
    fn finish(&mut self, won: Option<Done>) -> Attempt;
    /// Marks this case as the chosen one.
    fn set_selected(&mut self);
    /// Whether this case was chosen.
    fn is_selected(&self) -> bool;
}

/// How long a select may wait.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub enum Mode {
    /// Wait until a case is ready (no `default`).
    Block,
    /// Never wait (`default` present).
    NonBlock,
    /// Wait until the instant.
    Deadline(Instant),
}

/// A receive case. Created by `select!`'s `recv(ch)`.
#[doc(hidden)]
pub struct RecvCase<'a, T> {
    ch: Option<&'a Inner<T>>,
    waiter: Option<Node<T>>,
    /// `Some(Some(v))`: received `v`; `Some(None)`: closed; `None`: not chosen.
    pub(crate) result: Option<Option<T>>,
    selected: bool,
}

impl<'a, T> RecvCase<'a, T> {
    /// A receive case on `ch`.
    pub fn new<C: RecvChan<T> + ?Sized>(ch: &'a C) -> Self {
        RecvCase {
            ch: ch.as_chan().inner.as_deref(),
            waiter: None,
            result: None,
            selected: false,
        }
    }

    /// The received value (`None` if the channel was closed). Panics if the case did not fire.
    pub fn take(&mut self) -> Option<T> {
        self.result
            .take()
            .expect("select: receive case was not chosen")
    }

    /// Resets the case so its select can run again.
    pub(crate) fn reset(&mut self) {
        self.result = None;
        self.selected = false;
        debug_assert!(self.waiter.is_none(), "finish frees the node");
    }

    fn got(&mut self, r: RecvTry<T>) -> Attempt {
        match r {
            RecvTry::Got(v) => {
                self.result = Some(Some(v));
                Attempt::Fired
            }
            RecvTry::Closed => {
                self.result = Some(None);
                Attempt::Fired
            }
            RecvTry::Empty => Attempt::NotReady,
        }
    }
}

impl<'a, T: Send> Case<'a> for RecvCase<'a, T> {
    fn mutex(&self) -> Option<&'a RawLock> {
        self.ch.map(|c| c.mutex())
    }
    fn try_fire(&mut self) -> Attempt {
        let Some(ch) = self.ch else {
            return Attempt::NotReady;
        };
        let r = ch.lock().try_recv();
        self.got(r)
    }
    unsafe fn try_fire_locked(&mut self) -> Attempt {
        let Some(ch) = self.ch else {
            return Attempt::NotReady;
        };
        // SAFETY: the caller holds the lock.
        let r = unsafe { ch.assume_locked() }.try_recv();
        self.got(r)
    }
    unsafe fn register_locked(&mut self, sig: NonNull<Signal>, index: usize) {
        let Some(ch) = self.ch else { return };
        let node = Node::for_select(sig, index, None);
        // SAFETY: the caller holds the lock.
        unsafe { ch.assume_locked() }.recvq.push_back(node.queued());
        self.waiter = Some(node);
    }
    fn finish(&mut self, won: Option<Done>) -> Attempt {
        let (Some(ch), Some(node)) = (self.ch, self.waiter.take()) else {
            return Attempt::NotReady;
        };
        let v = ch.retire(node, won.is_some(), false);
        match won {
            Some(d) if d.closed => self.result = Some(None),
            Some(_) => {
                self.result = Some(Some(v.expect("select: completed receive without value")));
            }
            None => {}
        }
        Attempt::Fired
    }
    fn set_selected(&mut self) {
        self.selected = true;
    }
    fn is_selected(&self) -> bool {
        self.selected
    }
}

/// A send case. Created by `select!`'s `send(ch, v)`; a value not sent stays here and is
/// handed back ([`SendCase::take_back`]) or dropped with the case, exactly once.
#[doc(hidden)]
pub struct SendCase<'a, T> {
    ch: Option<&'a Inner<T>>,
    pub(crate) value: Option<T>,
    waiter: Option<Node<T>>,
    selected: bool,
}

impl<'a, T> SendCase<'a, T> {
    /// A send case of `v` on `ch`.
    pub fn new<C: SendChan<T> + ?Sized>(ch: &'a C, v: T) -> Self {
        SendCase {
            ch: ch.as_chan().inner.as_deref(),
            value: Some(v),
            waiter: None,
            selected: false,
        }
    }

    /// The value, if it was not sent.
    pub fn take_back(&mut self) -> Option<T> {
        self.value.take()
    }

    pub(crate) fn clear_selected(&mut self) {
        self.selected = false;
    }

    fn sent(&mut self, r: SendTry<T>) -> Attempt {
        match r {
            SendTry::Sent => Attempt::Fired,
            SendTry::Full(v) => {
                self.value = Some(v);
                Attempt::NotReady
            }
            SendTry::Closed(v) => {
                self.value = Some(v);
                Attempt::SendClosed
            }
        }
    }
}

impl<'a, T: Send> Case<'a> for SendCase<'a, T> {
    fn mutex(&self) -> Option<&'a RawLock> {
        self.value.as_ref()?;
        self.ch.map(|c| c.mutex())
    }
    fn try_fire(&mut self) -> Attempt {
        let (Some(ch), Some(v)) = (self.ch, self.value.take()) else {
            return Attempt::NotReady;
        };
        let r = ch.lock().try_send(ch.cap, v);
        self.sent(r)
    }
    unsafe fn try_fire_locked(&mut self) -> Attempt {
        let (Some(ch), Some(v)) = (self.ch, self.value.take()) else {
            return Attempt::NotReady;
        };
        // SAFETY: the caller holds the lock.
        let r = unsafe { ch.assume_locked() }.try_send(ch.cap, v);
        self.sent(r)
    }
    unsafe fn register_locked(&mut self, sig: NonNull<Signal>, index: usize) {
        let (Some(ch), Some(v)) = (self.ch, self.value.take()) else {
            return;
        };
        let node = Node::for_select(sig, index, Some(v));
        // SAFETY: the caller holds the lock.
        unsafe { ch.assume_locked() }.sendq.push_back(node.queued());
        self.waiter = Some(node);
    }
    fn finish(&mut self, won: Option<Done>) -> Attempt {
        let (Some(ch), Some(node)) = (self.ch, self.waiter.take()) else {
            return Attempt::NotReady;
        };
        // A losing case was never claimed, so its value is intact; close never takes a
        // sender's value either.
        self.value = ch.retire(node, won.is_some(), true);
        match won {
            Some(d) if d.closed => Attempt::SendClosed,
            Some(_) => Attempt::Fired,
            None => Attempt::NotReady,
        }
    }
    fn set_selected(&mut self) {
        self.selected = true;
    }
    fn is_selected(&self) -> bool {
        self.selected
    }
}

#[cold]
#[track_caller]
fn panic_send_closed() -> ! {
    panic!("send on closed channel")
}

/// Runs a select over `cases`. Returns the index of the chosen case, or `None` when `mode`
/// allowed giving up (default / deadline). `order` is scratch space of `cases.len()` entries.
///
/// # Panics
/// `send on closed channel` when the chosen case is a send on a closed channel.
#[doc(hidden)]
#[track_caller]
pub fn run<'a, P, C>(cases: &mut [P], order: &mut [usize], mode: Mode) -> Option<usize>
where
    P: DerefMut<Target = C>,
    C: Case<'a> + ?Sized,
{
    debug_assert_eq!(cases.len(), order.len());
    rungo_runtime::preempt_point();
    crate::rand::permutation(order);

    // Pass 1: lock-light poll.
    let mut any = false;
    for &i in order.iter() {
        if cases[i].mutex().is_none() {
            continue;
        }
        any = true;
        match cases[i].try_fire() {
            Attempt::Fired => {
                cases[i].set_selected();
                return Some(i);
            }
            Attempt::SendClosed => panic_send_closed(),
            Attempt::NotReady => {}
        }
    }
    let deadline = match mode {
        Mode::NonBlock => return None,
        Mode::Block => None,
        Mode::Deadline(d) => Some(d),
    };
    if !any {
        // Only nil channels: Go's `select {}` and all-nil selects block forever (or time out).
        crate::chan::block_until(deadline, rungo_runtime::WaitReason::SelectNoCases);
        return None;
    }

    // Pass 2: lock all channels in address order, poll again, enqueue.
    let mut locks: Vec<&'a RawLock> = cases.iter().filter_map(|c| c.mutex()).collect();
    locks.sort_by_key(|m| *m as *const RawLock as usize);
    locks.dedup_by_key(|m| *m as *const RawLock as usize);
    let guards: Vec<LockGuard<'a>> = locks.iter().map(|m| m.lock()).collect();
    for &i in order.iter() {
        // SAFETY: every non-nil case's channel is locked by `guards`.
        match unsafe { cases[i].try_fire_locked() } {
            Attempt::Fired => {
                drop(guards);
                cases[i].set_selected();
                return Some(i);
            }
            Attempt::SendClosed => {
                drop(guards);
                panic_send_closed()
            }
            Attempt::NotReady => {}
        }
    }
    // The signal lives on the heap (another thread reads it) until every node is freed; it is
    // freed explicitly, so an unwind could only leak it.
    let sig = NonNull::from(Box::leak(Box::new(Signal::new())));
    // Enqueue in the random order too, not in source order: when several cases wait on one
    // channel, the peer that comes later takes whichever is first in that channel's queue, and
    // Go makes that a random one (`selectgo` enqueues in `lockorder`, built from the random
    // `pollorder`).
    for &i in order.iter() {
        // SAFETY: as above, all locks are held; `sig` lives until after every `finish`.
        unsafe { cases[i].register_locked(sig, i) };
    }
    drop(guards);

    // Pass 3: park, then dequeue.
    let waiting = rungo_runtime::Waiting::new(
        rungo_runtime::WaitReason::Select,
        std::panic::Location::caller(),
    );
    // SAFETY: `sig` is alive (freed below).
    let done = unsafe { sig.as_ref() }.wait(deadline);
    drop(waiting);
    let mut closed_send = false;
    for (i, c) in cases.iter_mut().enumerate() {
        let won = done.filter(|d| d.case == i);
        if c.finish(won) == Attempt::SendClosed {
            closed_send = true;
        }
    }
    // SAFETY: every node of this select has been freed by `finish`, so nothing refers to the
    // signal any more; it came from `Box::leak` above.
    drop(unsafe { Box::from_raw(sig.as_ptr()) });
    let d = done?;
    if closed_send {
        panic_send_closed();
    }
    cases[d.case].set_selected();
    Some(d.case)
}

/// Blocks forever: Go's `select {}`.
#[doc(hidden)]
#[track_caller]
pub fn block_forever() -> ! {
    let _waiting = rungo_runtime::Waiting::new(
        rungo_runtime::WaitReason::SelectNoCases,
        std::panic::Location::caller(),
    );
    loop {
        rungo_runtime::park();
    }
}
