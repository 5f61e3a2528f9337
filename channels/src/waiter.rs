//! Wait-queue nodes: how a blocked channel operation is parked and completed.
//!
//! Go's counterpart is the `sudog` plus `g.selectDone` (runtime/runtime2.go, select.go).
//!
//! # Design
//!
//! A task that must block on a channel operation allocates a [`Waiter`] node on the heap (never on
//! the parked task's stack: another thread reads it), owned by the blocked operation as a
//! [`Node`], and pushes the node's address (a [`Queued`]) on the channel's `sendq` or `recvq`
//! while holding the channel lock. A `select` allocates one [`Signal`] shared by all its cases
//! and one node per case, so the cases of one select are completed *at most once in total*.
//! Nothing is reference counted: the owner frees its nodes once no queue holds them and no peer
//! can still touch them, which the protocol below makes a local decision.
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
//! * The claimer moves the value, unparks the owner and *then* publishes the result with a
//!   `Release` store of `DONE(..)`; only after it does it wake the owner's thread, if that
//!   thread sleeps ([`RawUnparker::unpark_deferred`]: a system call, during which a busy machine
//!   often gives the claimer's CPU to the woken thread). The store is its last access to the signal and the node,
//!   and no reference to either may stay alive across it, not even the `&self` of a running
//!   method (hence [`Signal::complete`] takes a raw pointer).
//!   The owner leaves [`Signal::wait`] only on loading (`Acquire`) a `DONE` state (or on winning
//!   an abort), so while the state is `CLAIMED` its task cannot finish and its nodes are not
//!   freed: the claimer's unpark needs no reference count ([`RawUnparker`]). A spurious wake-up
//!   (allowed by the runtime's blocking contract) is harmless, and the slot is read only after
//!   the claimer's write happened-before.
//! * A transient `CLAIMED` is always short: the claimer holds it only across a slot move and an
//!   unpark, never across a block, so an owner that sees it spins (then naps, on a deadline)
//!   until `DONE` instead of parking for good, since the claimer's one unpark may already
//!   have been consumed.
//! * The owner may give up (timeout) only by winning `WAITING -> ABORTED`; after that no peer
//!   will ever touch its slots, and it removes its nodes from the queues itself. If the abort
//!   CAS fails, a peer has claimed it and the owner waits for `DONE` as usual.
//!
//! Slot accesses before enqueueing and while dequeueing are ordered by the channel lock (the
//! owner fills a send slot before pushing the node under the lock; a peer pops it under the same
//! lock before claiming).
//!
//! # Node lifetime
//!
//! Peers touch a node only while holding the lock of the channel whose queue held it (they pop
//! it, try the claim, and on success complete it, all under that lock), except that a close
//! completes the receivers it claimed after releasing the lock (`Inner::close`): a claimed
//! node stays alive until DONE whoever holds what. The owner frees a node
//! (through `Inner::retire`, the one caller of [`Node::free`]) only when no queue holds it and no peer can be using it: after `DONE` for the
//! node whose claimer popped it, or after removing it from its queue under that queue's lock
//! (which waits out any peer that popped it and lost the claim). A select frees its signal
//! after all its nodes. A `Node` has no destructor: should an unwind ever skip that
//! bookkeeping, the node leaks rather than being freed while a queue still points to it.

use std::cell::UnsafeCell;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rungo_runtime::RawUnparker;

const WAITING: usize = 0;
const CLAIMED: usize = 1;
const ABORTED: usize = 2;
const DONE_BASE: usize = 3;

/// An owner that finds its signal CLAIMED past a brief spin naps this long first...
const FIRST_CLAIMED_NAP: Duration = Duration::from_micros(10);
/// ... and at most this long: the claimer was preempted, so its CPU comes back within a
/// scheduler slice or so.
const MAX_CLAIMED_NAP: Duration = Duration::from_millis(1);

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
    unparker: RawUnparker,
}

impl Signal {
    /// A fresh, waiting signal for the calling task.
    #[inline]
    pub(crate) fn new() -> Signal {
        Signal {
            state: AtomicUsize::new(WAITING),
            unparker: RawUnparker::current(),
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

    /// The claimer wakes the owner and publishes the outcome. Called as
    /// `Signal::complete(w.signal(), ..)`.
    ///
    /// It takes a raw pointer, not `&self`, on purpose: a reference argument is *protected*
    /// until the function returns (Rust may assume it stays dereferenceable that long; Stacked
    /// and Tree Borrows both check it), but the owner may free the signal (a select's boxed
    /// signal, or the node that holds a single operation's signal) as soon as it sees the
    /// DONE store, before this function has returned. So no `&Signal` may be alive across the
    /// store. The same problem as `Arc`'s drop in rust-lang/rust#55005.
    ///
    /// # Safety
    /// `this` points to a live signal on which the caller won [`Signal::claim`]. Once the DONE
    /// store is made, the owner may free the signal and its nodes at any moment: the caller
    /// must not touch them again (nor keep a reference to them that is protected, that is, an
    /// argument of a function still running).
    #[inline]
    pub(crate) unsafe fn complete(this: *const Signal, case: usize, closed: bool) {
        let done = DONE_BASE + case * 2 + closed as usize;
        // SAFETY: the state is CLAIMED, so the owner does not leave `wait` (its task does not
        // finish and the signal is not freed) before it sees DONE, which is stored only below:
        // `this` is valid here, and the temporary `&RawUnparker` ends with the call.
        let wakeup = unsafe { (*this).unparker.unpark_deferred() };
        // SAFETY: still CLAIMED, so `this` is valid. The place expression borrows only the
        // atomic field: no `&Signal` exists, and the `&AtomicUsize` (all `UnsafeCell`, like the
        // counter in `Arc::drop`) is the last access; after the store we touch nothing.
        let state: &AtomicUsize = unsafe { &(*this).state };
        state.store(done, Ordering::Release);
        #[cfg(test)]
        protocol_tests::after_done_store();
        // Wake the owner's thread only now (it owes nothing to the signal or the task): were
        // the wake-up inside the CLAIMED window, a claimer whose CPU the woken thread takes
        // would leave the owner spinning on CLAIMED until it got a CPU back.
        drop(wakeup);
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
    #[inline(always)]
    pub(crate) fn wait(&self, deadline: Option<Instant>) -> Option<Done> {
        let mut deadline = deadline;
        loop {
            let s = self.state.load(Ordering::Acquire);
            if let Some(d) = Self::decode(s) {
                return Some(d);
            }
            if s == CLAIMED {
                self.wait_claimed();
                continue;
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

    /// A claimer is between its claim and its DONE store: a few instructions, unless the kernel
    /// took its CPU inside them. Spin briefly, then sleep in naps that double up to
    /// [`MAX_CLAIMED_NAP`]. The claimer's one unpark may already be spent, so only a deadline
    /// may end the park; and a yield loop on a busy machine would spend the very CPU time the
    /// preempted claimer needs to finish.
    #[cold]
    fn wait_claimed(&self) {
        for _ in 0..64 {
            if self.state.load(Ordering::Relaxed) != CLAIMED {
                return;
            }
            std::hint::spin_loop();
        }
        let mut nap = FIRST_CLAIMED_NAP;
        while self.state.load(Ordering::Relaxed) == CLAIMED {
            rungo_runtime::park_until(Instant::now() + nap);
            nap = (nap * 2).min(MAX_CLAIMED_NAP);
        }
    }
}

/// Which signal completes a node: its own (a plain operation) or its select's.
enum SignalRef {
    Own(Signal),
    Shared(NonNull<Signal>),
}

/// One queued operation: a node of a channel's `sendq` or `recvq`.
pub(crate) struct Waiter<T> {
    signal: SignalRef,
    /// Index of this case in its select (0 for a plain operation).
    pub(crate) case: usize,
    /// For a sender: the value to deliver. For a receiver: where the value is delivered.
    slot: UnsafeCell<Option<T>>,
}

impl<T> Waiter<T> {
    /// The completion word governing this node.
    #[inline]
    pub(crate) fn signal(&self) -> &Signal {
        match &self.signal {
            SignalRef::Own(s) => s,
            // SAFETY: a select frees its signal only after all its nodes (module docs), and a
            // node is only reached while it is alive.
            SignalRef::Shared(s) => unsafe { s.as_ref() },
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
    /// The caller has exclusive access to the slot: it is the claimer, between claim and
    /// complete. (The owner gets its slot back from [`Node::free`].)
    #[inline]
    pub(crate) unsafe fn take(&self) -> Option<T> {
        // SAFETY: exclusive access guaranteed by the caller.
        unsafe { (*self.slot.get()).take() }
    }
}

/// A node's address, as a channel queue holds it.
pub(crate) struct Queued<T>(NonNull<Waiter<T>>);

impl<T> Queued<T> {
    /// The node.
    ///
    /// # Safety
    /// The caller holds the lock of the channel whose queue holds (or, until the caller lets
    /// the lock go, held) this address; the owner frees a node only after taking that lock once
    /// the node left the queue, or after a claimer's `complete` (module docs).
    #[inline]
    pub(crate) unsafe fn waiter(&self) -> &Waiter<T> {
        // SAFETY: the node is alive by the caller's contract.
        unsafe { self.0.as_ref() }
    }

    /// True if this is the address of `node`.
    pub(crate) fn is(&self, node: &Node<T>) -> bool {
        self.0 == node.0
    }
}

/// A blocked operation's own node. It is freed only explicitly ([`Node::free`]).
pub(crate) struct Node<T>(NonNull<Waiter<T>>);

// SAFETY: a node moves `T` values between threads (hence `T: Send`); its signal is an atomic
// and a `RawUnparker`, both thread-safe. The slot is accessed by one thread at a time, as the
// module docs explain (the channel lock orders the owner's fill and the peer's dequeue; the
// claim CAS gives the claimer exclusive access; the DONE Release/Acquire pair hands it back).
unsafe impl<T: Send> Send for Node<T> {}
// SAFETY: as for `Send`; shared references never give unsynchronized access to the slot.
unsafe impl<T: Send> Sync for Node<T> {}

impl<T> Node<T> {
    fn alloc(signal: SignalRef, case: usize, value: Option<T>) -> Node<T> {
        let waiter = Waiter {
            signal,
            case,
            slot: UnsafeCell::new(value),
        };
        if !node_cache::fits::<Waiter<T>>() {
            return Node(NonNull::from(Box::leak(Box::new(waiter))));
        }
        let block = node_cache::take().cast::<Waiter<T>>();
        // SAFETY: the block is fresh or recycled memory of `node_cache::BLOCK` layout, which
        // fits a `Waiter<T>` (`fits`), and nobody else refers to it.
        unsafe { block.as_ptr().write(waiter) };
        Node(block)
    }

    /// A node for a single blocking operation of the calling task.
    #[inline]
    pub(crate) fn single(value: Option<T>) -> Node<T> {
        Node::alloc(SignalRef::Own(Signal::new()), 0, value)
    }

    /// A node for case `case` of a select whose completion word is `sig`, which must outlive
    /// the node.
    pub(crate) fn for_select(sig: NonNull<Signal>, case: usize, value: Option<T>) -> Node<T> {
        Node::alloc(SignalRef::Shared(sig), case, value)
    }

    /// The address to push on a queue.
    #[inline]
    pub(crate) fn queued(&self) -> Queued<T> {
        Queued(self.0)
    }

    /// The node.
    #[inline]
    pub(crate) fn waiter(&self) -> &Waiter<T> {
        // SAFETY: the owner's node is alive until `free` consumes it.
        unsafe { self.0.as_ref() }
    }

    /// Frees the node, giving back what its slot holds.
    ///
    /// # Safety
    /// No queue holds the node and no peer can still touch it: the owner saw `DONE` for it
    /// (its claimer popped it), or removed it from its queue under the queue's lock, or never
    /// published it.
    #[inline]
    pub(crate) unsafe fn free(self) -> Option<T> {
        if !node_cache::fits::<Waiter<T>>() {
            // SAFETY: allocated by `alloc` through `Box`, and ours alone by the caller's
            // contract.
            return unsafe { Box::from_raw(self.0.as_ptr()) }.slot.into_inner();
        }
        // SAFETY: `alloc` wrote a `Waiter<T>` into a cache block, which is ours alone by the
        // caller's contract; it is read out once and the block recycled.
        let waiter = unsafe { self.0.as_ptr().read() };
        node_cache::give(self.0.cast());
        waiter.slot.into_inner()
    }
}

/// A per-thread cache of node memory, so that a blocking operation does not pay the allocator
/// twice (Go keeps a per-P cache of `sudog`s for the same reason). A node is taken and given
/// back by its owner, on one thread: a coroutine never leaves its worker, and a node is freed
/// by the operation that allocated it. Nodes too big for a block use `Box`.
mod node_cache {
    use std::alloc::{Layout, alloc, dealloc, handle_alloc_error};
    use std::cell::RefCell;
    use std::ptr::NonNull;

    /// The layout of every cached block: room for a node of a value up to about 16 bytes.
    const BLOCK: Layout = match Layout::from_size_align(64, 16) {
        Ok(layout) => layout,
        Err(_) => panic!("valid layout"),
    };
    /// Blocks a thread keeps: enough for a select over a few channels.
    const KEEP: usize = 16;

    struct Cache(Vec<NonNull<u8>>);

    impl Drop for Cache {
        fn drop(&mut self) {
            for block in self.0.drain(..) {
                // SAFETY: every cached block was allocated with `BLOCK` and is unused.
                unsafe { dealloc(block.as_ptr(), BLOCK) };
            }
        }
    }

    thread_local! {
        static CACHE: RefCell<Cache> = const { RefCell::new(Cache(Vec::new())) };
    }

    /// True if a `W` is stored in a cache block.
    pub(super) const fn fits<W>() -> bool {
        size_of::<W>() <= BLOCK.size() && align_of::<W>() <= BLOCK.align()
    }

    /// A block of `BLOCK` layout: a cached one, or a new one.
    #[inline]
    pub(super) fn take() -> NonNull<u8> {
        let cached = CACHE.try_with(|c| c.borrow_mut().0.pop()).ok().flatten();
        cached.unwrap_or_else(|| {
            // SAFETY: `BLOCK` has a non-zero size.
            NonNull::new(unsafe { alloc(BLOCK) }).unwrap_or_else(|| handle_alloc_error(BLOCK))
        })
    }

    /// Gives back a block from `take` whose contents were moved out.
    #[inline]
    pub(super) fn give(block: NonNull<u8>) {
        let kept = CACHE.try_with(|c| {
            let mut c = c.borrow_mut();
            let keep = c.0.len() < KEEP;
            if keep {
                c.0.push(block);
            }
            keep
        });
        if kept != Ok(true) {
            // SAFETY: the block came from `take`, so it was allocated with `BLOCK`.
            unsafe { dealloc(block.as_ptr(), BLOCK) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_nodes_recycle_their_block_and_large_ones_use_the_heap() {
        assert!(node_cache::fits::<Waiter<u64>>());
        assert!(!node_cache::fits::<Waiter<[u64; 16]>>());
        let a = Node::single(Some(1u64));
        let addr = a.0;
        // SAFETY: never published, so ours alone.
        assert_eq!(unsafe { a.free() }, Some(1));
        let b = Node::<u64>::single(None);
        assert_eq!(b.0, addr, "the freed block is reused first");
        // SAFETY: as above.
        assert_eq!(unsafe { b.free() }, None);
        let big = Node::single(Some([7u64; 16]));
        // SAFETY: as above.
        assert_eq!(unsafe { big.free() }, Some([7; 16]));
    }
}

/// The wait-queue protocol on plain threads, small enough for Miri (Miri cannot run coroutines,
/// but on a plain thread `RawUnparker::current()` is a thread handle and `park` is
/// `std::thread::park`). Run under Miri by `scripts/sanitizers.sh`: these are the tests that
/// would report a claimer touching a node or select signal after its owner freed it.
#[cfg(test)]
mod protocol_tests {
    use std::thread;
    use std::time::Duration;

    use crate::{RecvTimeoutError, SendTimeoutError, chan};

    /// The CPU time the calling thread has used so far.
    #[cfg(not(miri))]
    fn thread_cpu_time() -> Duration {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant the kernel knows.
        let r = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        assert_eq!(r, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    }

    /// A claimer that loses its CPU between its claim and its DONE store (here: holds CLAIMED
    /// for 200 ms) leaves the owner sleeping, not spinning or yielding on a CPU the claimer
    /// needs: the owner's thread uses a small fraction of that time, and the owner still sees
    /// the completion. Returns that CPU time.
    #[cfg(not(miri))]
    fn owner_cpu_during_a_long_claim(owner_in_coroutine: bool) -> Duration {
        use super::Signal;
        let (tx, rx) = std::sync::mpsc::channel();
        let (go_tx, go_rx) = std::sync::mpsc::channel();
        let owner = thread::spawn(move || {
            let wait = move || {
                // The signal names the task that waits on it, so the owner makes it.
                let sig = std::sync::Arc::new(Signal::new());
                tx.send(sig.clone()).unwrap();
                go_rx.recv().unwrap(); // claimed: `wait` finds CLAIMED at once
                // A coroutine never changes thread, so this is its worker's CPU time.
                let before = thread_cpu_time();
                let done = sig.wait(None);
                (done.map(|d| (d.case, d.closed)), thread_cpu_time() - before)
            };
            if owner_in_coroutine {
                rungo_runtime::run(wait)
            } else {
                wait()
            }
        });
        let sig = rx.recv().unwrap();
        assert!(sig.claim());
        go_tx.send(()).unwrap();
        thread::sleep(Duration::from_millis(200));
        // SAFETY: we won the claim; the Arc keeps the signal alive past the DONE store.
        unsafe { Signal::complete(std::sync::Arc::as_ptr(&sig), 1, false) };
        let (done, cpu) = owner.join().unwrap();
        assert_eq!(done, Some((1, false)));
        cpu
    }

    #[test]
    #[cfg(not(miri))]
    fn a_thread_waits_out_a_long_claim_asleep() {
        let cpu = owner_cpu_during_a_long_claim(false);
        assert!(
            cpu < Duration::from_millis(40),
            "the owner used {cpu:?} of CPU in 200 ms"
        );
    }

    /// In a child process: other tests of this binary run coroutines on the runtime, and at
    /// GOMAXPROCS=1 their CPU time would count as this worker's.
    #[test]
    #[cfg(not(miri))]
    fn a_coroutine_waits_out_a_long_claim_asleep() {
        rungo_testkit::child::in_child(
            "waiter::protocol_tests::a_coroutine_waits_out_a_long_claim_asleep",
            &[],
            Duration::from_secs(60),
            || {
                let cpu = owner_cpu_during_a_long_claim(true);
                assert!(
                    cpu < Duration::from_millis(60),
                    "the worker used {cpu:?} of CPU in 200 ms"
                );
            },
        );
    }

    /// The select's pattern on a bare signal: the owner frees the boxed signal as soon as it
    /// sees DONE, possibly while the claimer is still inside `complete`.
    #[test]
    fn raw_signal_freed_by_owner_after_done() {
        use super::Signal;
        use std::ptr::NonNull;
        struct SendPtr(NonNull<Signal>);
        // SAFETY: the signal is made of an atomic and a `RawUnparker`, both thread-safe.
        unsafe impl Send for SendPtr {}
        for _ in 0..ROUNDS {
            let sig = NonNull::from(Box::leak(Box::new(Signal::new())));
            let ptr = SendPtr(sig);
            let claimer = thread::spawn(move || {
                let ptr = ptr;
                // SAFETY: the owner frees the signal only after DONE, which only the claim
                // winner stores, and this thread is the only one that claims.
                if unsafe { ptr.0.as_ref() }.claim() {
                    // SAFETY: we won the claim; no reference to the signal outlives this call.
                    unsafe { Signal::complete(ptr.0.as_ptr(), 0, false) };
                }
            });
            // SAFETY: freed only below.
            let done = unsafe { sig.as_ref() }.wait(None);
            assert_eq!(done.map(|d| (d.case, d.closed)), Some((0, false)));
            // SAFETY: DONE was seen, so the claimer no longer touches the signal; it came from
            // `Box::leak`.
            drop(unsafe { Box::from_raw(sig.as_ptr()) });
            claimer.join().unwrap();
        }
    }

    /// Called by `Signal::complete` right after its DONE store, in unit tests only: it holds the
    /// claimer there so that the owner, now free to go, frees its nodes and select signal while
    /// `complete` has not returned yet. Under Miri each yield hands the (single, interpreted)
    /// CPU to another thread, and many of them let the owner get all the way to its frees;
    /// natively one yield is enough to vary the interleavings.
    pub(super) fn after_done_store() {
        for _ in 0..if cfg!(miri) { 100 } else { 1 } {
            thread::yield_now();
        }
    }

    /// Iterations per test: a few dozen under Miri (slow), more natively.
    const ROUNDS: usize = if cfg!(miri) { 30 } else { 2_000 };

    #[test]
    fn unbuffered_send_recv_both_ways() {
        let ch = chan::<Box<usize>>(0);
        let peer = {
            let ch = ch.clone();
            thread::spawn(move || {
                for i in 0..ROUNDS {
                    ch.send(Box::new(i));
                    assert_eq!(ch.recv().map(|b| *b), Some(i + 1_000));
                }
            })
        };
        for i in 0..ROUNDS {
            assert_eq!(ch.recv().map(|b| *b), Some(i));
            ch.send(Box::new(i + 1_000));
        }
        peer.join().unwrap();
    }

    #[test]
    fn blocked_select_completed_by_a_peer() {
        let a = chan::<Box<usize>>(0);
        let b = chan::<Box<usize>>(0);
        let peer = {
            let (a, b) = (a.clone(), b.clone());
            thread::spawn(move || {
                for i in 0..ROUNDS {
                    if i % 4 < 2 {
                        // Let the select block first, so that this send completes it (rather
                        // than the select's poll completing a queued send).
                        thread::sleep(Duration::from_micros(if cfg!(miri) { 1_000 } else { 50 }));
                    }
                    if i % 2 == 0 {
                        a.send(Box::new(i));
                    } else {
                        b.send(Box::new(i));
                    }
                }
            })
        };
        for i in 0..ROUNDS {
            let got = crate::select! {
                recv(a) -> v => (0, v.map(|b| *b)),
                recv(b) -> v => (1, v.map(|b| *b)),
            };
            assert_eq!(got, (i % 2, Some(i)));
        }
        peer.join().unwrap();
    }

    #[test]
    fn timeout_abort_races_a_claim() {
        // Short timeouts race the peer's claim against the owner's abort; long ones make sure
        // some values do go through. The two sides alternate with different periods.
        let short = Duration::from_micros(if cfg!(miri) { 500 } else { 20 });
        let long = Duration::from_millis(200);
        let ch = chan::<Box<usize>>(0);
        let peer = {
            let ch = ch.clone();
            thread::spawn(move || {
                let mut sent = Vec::new();
                for i in 0..ROUNDS {
                    let t = if i % 2 == 0 { short } else { long };
                    match ch.send_timeout(Box::new(i), t) {
                        Ok(()) => sent.push(i),
                        Err(SendTimeoutError::Timeout(v)) => assert_eq!(*v, i, "value handed back"),
                        Err(e) => panic!("unexpected {e:?}"),
                    }
                }
                sent
            })
        };
        let mut got = Vec::new();
        for i in 0..ROUNDS {
            let t = if i % 3 == 0 { long } else { short };
            match ch.recv_timeout(t) {
                Ok(v) => got.push(*v),
                Err(RecvTimeoutError::Timeout) => {}
                Err(e) => panic!("unexpected {e:?}"),
            }
        }
        // Whatever the peer still sends after our last receive.
        while let Ok(v) = ch.recv_timeout(long) {
            got.push(*v);
        }
        let sent = peer.join().unwrap();
        assert!(!sent.is_empty(), "long timeouts let some values through");
        assert_eq!(
            got, sent,
            "every value sent was received exactly once, in order"
        );
    }
}
