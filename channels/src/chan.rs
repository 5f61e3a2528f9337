//! Channel handles: [`Chan`] (Go's `chan T`), [`Sender`] (`chan<- T`), [`Receiver`] (`<-chan T`).
//!
//! A handle is a nullable reference to the shared channel object (`core.rs`), exactly like a Go
//! channel value: cloning a handle copies the reference, and [`Chan::nil`] (also `Default`) is
//! Go's nil channel. Every operation first tries the non-blocking path under the channel lock
//! (no allocation); only an operation that must wait allocates a heap wait-queue node, enqueues
//! it and parks through the runtime's blocking contract, so the same code is right on a
//! coroutine and on a plain thread, mixed on one channel.

use std::fmt;
use std::ops::Deref;
use std::panic::Location;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rungo_runtime::{WaitReason, Waiting};

use crate::core::{Inner, RecvTry, SendTry};
use crate::error::{CloseError, RecvTimeoutError, SendTimeoutError, TryRecvError, TrySendError};
use crate::waiter::{Done, Node};

/// Makes a channel of capacity `cap`: Go's `make(chan T, cap)`; `cap == 0` is unbuffered.
///
/// ```
/// use rungo_channels::chan;
/// let ch = chan::<i32>(1);
/// ch.send(7);
/// assert_eq!(ch.recv(), Some(7));
/// ch.close();
/// assert_eq!(ch.recv(), None);
/// ```
pub fn chan<T>(cap: usize) -> Chan<T> {
    Chan {
        inner: Some(Inner::new(cap)),
    }
}

/// A bidirectional channel handle. Go: `chan T`.
///
/// Cheap to clone (a reference count), `Send + Sync` when `T: Send`. Two handles are `==` when
/// they refer to the same channel (Go's channel comparison); all nil channels are equal.
pub struct Chan<T> {
    pub(crate) inner: Option<Arc<Inner<T>>>,
}

/// A send-only view of a channel. Go: `chan<- T`. It has no `recv`, so the compiler refuses
/// a receive, as Go's does.
///
/// ```
/// use rungo_channels::{chan, Sender};
/// fn produce(out: Sender<u8>) { out.send(1); out.close(); }
/// let ch = chan(1);
/// produce(ch.sender());
/// assert_eq!(ch.recv(), Some(1));
/// ```
pub struct Sender<T>(pub(crate) Chan<T>);

/// A receive-only view of a channel. Go: `<-chan T`. It has no `send` and no `close`.
///
/// ```
/// use rungo_channels::{chan, Receiver};
/// fn sum(input: Receiver<u32>) -> u32 { input.iter().sum() }
/// let ch = chan(3);
/// for i in 1..=3 { ch.send(i); }
/// ch.close();
/// assert_eq!(sum(ch.receiver()), 6);
/// ```
pub struct Receiver<T>(pub(crate) Chan<T>);

/// Outcome of a blocking send that may stop early.
enum SendFail<T> {
    Timeout(T),
    Closed(T),
}

/// Parks until the queued `node` is completed, or until `deadline` passes and the wait is
/// aborted (`None`), then frees the node and returns what its slot holds: the received value,
/// or a sender's value that was not taken. `sender` names the queue the node is in.
///
/// Always inlined, as [`Signal::wait`](crate::waiter::Signal::wait) is: the stack switch must
/// happen one call below the user's channel operation (out of line, the two cost `million
/// pingpong` 10% more instructions, and every frame unwound after a switch mispredicts).
#[inline(always)]
#[track_caller]
fn wait_and_free<T>(
    inner: &Inner<T>,
    node: Node<T>,
    deadline: Option<Instant>,
    sender: bool,
) -> (Option<Done>, Option<T>) {
    let reason = if sender {
        WaitReason::ChanSend
    } else {
        WaitReason::ChanReceive
    };
    let waiting = Waiting::new(reason, Location::caller());
    let done = node.waiter().signal().wait(deadline);
    drop(waiting);
    (done, inner.retire(node, done.is_some(), sender))
}

/// Blocks the caller until `deadline` (forever when `None`): a nil channel operation, or a
/// select whose cases are all nil.
#[track_caller]
pub(crate) fn block_until(deadline: Option<Instant>, reason: WaitReason) {
    let _waiting = Waiting::new(reason, Location::caller());
    match deadline {
        None => loop {
            rungo_runtime::park();
        },
        Some(d) => {
            while Instant::now() < d {
                rungo_runtime::park_until(d);
            }
        }
    }
}

#[cold]
#[track_caller]
fn panic_send_closed() -> ! {
    panic!("send on closed channel")
}

fn deadline_after(d: Duration) -> Option<Instant> {
    // An overflowing deadline means "forever".
    Instant::now().checked_add(d)
}

impl<T> Chan<T> {
    /// Same as [`chan`]: Go's `make(chan T, cap)`.
    pub fn new(cap: usize) -> Chan<T> {
        chan(cap)
    }

    /// Go's nil channel (`var ch chan T`): send and receive block forever, a select case on it
    /// is never chosen, and closing it panics `close of nil channel`.
    ///
    /// ```
    /// use rungo_channels::{Chan, TryRecvError};
    /// let ch: Chan<i32> = Chan::nil();
    /// assert_eq!(ch.try_recv(), Err(TryRecvError::Empty));
    /// ```
    pub const fn nil() -> Chan<T> {
        Chan { inner: None }
    }

    /// True for a nil channel. Go: `ch == nil`.
    pub fn is_nil(&self) -> bool {
        self.inner.is_none()
    }

    /// Sends `v`, blocking until a receiver takes it or the buffer has room. Go: `ch <- v`.
    /// On an unbuffered channel this is a rendezvous: it returns only after a receiver took
    /// the value.
    ///
    /// # Panics
    /// `send on closed channel` if the channel is closed, also when it is closed while this
    /// send waits (the value is then dropped). Blocks forever on a nil channel.
    #[track_caller]
    #[inline]
    pub fn send(&self, v: T) {
        match self.send_inner(v, None) {
            Ok(()) => {}
            Err(SendFail::Closed(v)) => {
                drop(v);
                panic_send_closed()
            }
            Err(SendFail::Timeout(_)) => unreachable!("send without deadline timed out"),
        }
    }

    /// Sends `v` only if that can happen without blocking; otherwise hands it back.
    /// Go: `select { case ch <- v: default: }` (but never panics: a closed channel gives
    /// `Closed(v)`).
    ///
    /// ```
    /// use rungo_channels::{chan, TrySendError};
    /// let ch = chan(1);
    /// assert!(ch.try_send(1).is_ok());
    /// assert_eq!(ch.try_send(2), Err(TrySendError::Full(2)));
    /// ```
    pub fn try_send(&self, v: T) -> Result<(), TrySendError<T>> {
        rungo_runtime::preempt_point();
        let Some(inner) = &self.inner else {
            return Err(TrySendError::Full(v));
        };
        let r = inner.lock().try_send(inner.cap, v);
        match r {
            SendTry::Sent => Ok(()),
            SendTry::Full(v) => Err(TrySendError::Full(v)),
            SendTry::Closed(v) => Err(TrySendError::Closed(v)),
        }
    }

    /// Like [`send`](Chan::send) but gives up after `timeout`, handing the value back; a close
    /// (before or while waiting) also hands it back instead of panicking.
    /// Go: `select { case ch <- v: case <-time.After(d): }`.
    #[track_caller]
    pub fn send_timeout(&self, v: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        match self.send_inner(v, deadline_after(timeout)) {
            Ok(()) => Ok(()),
            Err(SendFail::Timeout(v)) => Err(SendTimeoutError::Timeout(v)),
            Err(SendFail::Closed(v)) => Err(SendTimeoutError::Closed(v)),
        }
    }

    /// Like [`send_timeout`](Chan::send_timeout) with an absolute deadline.
    /// Go: a `select` with the send and a timer case.
    #[track_caller]
    pub fn send_deadline(&self, v: T, deadline: Instant) -> Result<(), SendTimeoutError<T>> {
        match self.send_inner(v, Some(deadline)) {
            Ok(()) => Ok(()),
            Err(SendFail::Timeout(v)) => Err(SendTimeoutError::Timeout(v)),
            Err(SendFail::Closed(v)) => Err(SendTimeoutError::Closed(v)),
        }
    }

    #[track_caller]
    fn send_inner(&self, v: T, deadline: Option<Instant>) -> Result<(), SendFail<T>> {
        rungo_runtime::preempt_point();
        let Some(inner) = &self.inner else {
            block_until(deadline, WaitReason::ChanSendNil);
            return Err(SendFail::Timeout(v));
        };
        let node = {
            let mut st = inner.lock();
            match st.try_send(inner.cap, v) {
                SendTry::Sent => return Ok(()),
                SendTry::Closed(v) => return Err(SendFail::Closed(v)),
                SendTry::Full(v) => {
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        return Err(SendFail::Timeout(v));
                    }
                    let node = Node::single(Some(v));
                    st.sendq.push_back(node.queued());
                    node
                }
            }
        };
        match wait_and_free(inner, node, deadline, true) {
            (Some(done), _) if !done.closed => Ok(()),
            // Close never takes a sender's value: it is still ours.
            (Some(_), v) => Err(SendFail::Closed(v.expect("closed sender lost its value"))),
            (None, v) => Err(SendFail::Timeout(v.expect("aborted sender lost its value"))),
        }
    }

    /// Receives a value, blocking until one is available. Go: `v, ok := <-ch`:
    /// `Some(v)` for a value, `None` once the channel is closed and drained.
    /// Blocks forever on a nil channel.
    #[inline]
    #[track_caller]
    pub fn recv(&self) -> Option<T> {
        match self.recv_inner(None) {
            Ok(v) => Some(v),
            Err(RecvTimeoutError::Closed) => None,
            Err(RecvTimeoutError::Timeout) => unreachable!("recv without deadline timed out"),
        }
    }

    /// Receives without blocking. Go: `select { case v, ok := <-ch: ... default: ... }`.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        rungo_runtime::preempt_point();
        let Some(inner) = &self.inner else {
            return Err(TryRecvError::Empty);
        };
        let r = inner.lock().try_recv();
        match r {
            RecvTry::Got(v) => Ok(v),
            RecvTry::Closed => Err(TryRecvError::Closed),
            RecvTry::Empty => Err(TryRecvError::Empty),
        }
    }

    /// Receives, giving up after `timeout`. Go: `select { case v := <-ch: case <-time.After(d): }`.
    ///
    /// ```
    /// use rungo_channels::{chan, RecvTimeoutError};
    /// use std::time::Duration;
    /// let ch = chan::<()>(0);
    /// assert_eq!(ch.recv_timeout(Duration::from_millis(1)), Err(RecvTimeoutError::Timeout));
    /// ```
    #[track_caller]
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.recv_inner(deadline_after(timeout))
    }

    /// Like [`recv_timeout`](Chan::recv_timeout) with an absolute deadline.
    /// Go: a `select` with the receive and a timer case.
    #[track_caller]
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        self.recv_inner(Some(deadline))
    }

    #[track_caller]
    fn recv_inner(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        rungo_runtime::preempt_point();
        let Some(inner) = &self.inner else {
            block_until(deadline, WaitReason::ChanReceiveNil);
            return Err(RecvTimeoutError::Timeout);
        };
        let node = {
            let mut st = inner.lock();
            match st.try_recv() {
                RecvTry::Got(v) => return Ok(v),
                RecvTry::Closed => return Err(RecvTimeoutError::Closed),
                RecvTry::Empty => {
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        return Err(RecvTimeoutError::Timeout);
                    }
                    let node = Node::<T>::single(None);
                    st.recvq.push_back(node.queued());
                    node
                }
            }
        };
        match wait_and_free(inner, node, deadline, false) {
            (Some(done), _) if done.closed => Err(RecvTimeoutError::Closed),
            (Some(_), v) => Ok(v.expect("completed receiver without a value")),
            (None, _) => Err(RecvTimeoutError::Timeout),
        }
    }

    /// Closes the channel. Go: `close(ch)`. Buffered values can still be received; then
    /// receivers get `None`. Blocked receivers wake with `None`, blocked senders panic.
    ///
    /// # Panics
    /// `close of closed channel` if already closed; `close of nil channel` on a nil channel.
    #[track_caller]
    pub fn close(&self) {
        match self.try_close() {
            Ok(()) => {}
            Err(CloseError::AlreadyClosed) => panic!("close of closed channel"),
            Err(CloseError::Nil) => panic!("close of nil channel"),
        }
    }

    /// Closes the channel, reporting instead of panicking when Go would panic.
    pub fn try_close(&self) -> Result<(), CloseError> {
        let Some(inner) = &self.inner else {
            return Err(CloseError::Nil);
        };
        if inner.close() {
            Ok(())
        } else {
            Err(CloseError::AlreadyClosed)
        }
    }

    /// Number of buffered values. Go: `len(ch)` (0 for nil).
    pub fn len(&self) -> usize {
        self.inner.as_ref().map_or(0, |i| i.lock().buf.len())
    }

    /// True when nothing is buffered.
    /// Go: `len(ch) == 0`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Buffer capacity. Go: `cap(ch)` (0 for nil and unbuffered channels).
    pub fn cap(&self) -> usize {
        self.inner.as_ref().map_or(0, |i| i.cap)
    }

    /// Iterates over received values until the channel is closed and drained.
    /// Go: `for v := range ch`. `for v in &ch` does the same.
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { ch: self }
    }

    /// A send-only view (Go: `chan<- T`) of the same channel.
    pub fn sender(&self) -> Sender<T> {
        Sender(self.clone())
    }

    /// A receive-only view (Go: `<-chan T`) of the same channel.
    pub fn receiver(&self) -> Receiver<T> {
        Receiver(self.clone())
    }
}

impl<T> Clone for Chan<T> {
    fn clone(&self) -> Self {
        Chan {
            inner: self.inner.clone(),
        }
    }
}

impl<T> Default for Chan<T> {
    /// The nil channel, as Go's zero value.
    fn default() -> Self {
        Chan::nil()
    }
}

impl<T> PartialEq for Chan<T> {
    fn eq(&self, other: &Self) -> bool {
        match (&self.inner, &other.inner) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}
impl<T> Eq for Chan<T> {}

impl<T> fmt::Debug for Chan<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            None => f.write_str("Chan(nil)"),
            Some(i) => write!(f, "Chan({:p}, cap {})", Arc::as_ptr(i), i.cap),
        }
    }
}

/// A channel that can live in a `static`: made on first use. Go: a package-level
/// `var ch = make(chan T, n)`.
///
/// [`LazyChan::new`] is `const` and allocates nothing; the first access (any method of
/// [`Chan`], reached through `Deref`, or [`LazyChan::get`]) makes the channel, once, with
/// `make(chan T, cap)`'s capacity, and every later access, from any coroutine or thread,
/// uses that same channel. It works wherever a `Chan` does: `select!` cases, `for v in &*CH`,
/// `CH.sender()`, `CH.clone()` (a `Chan` handle to it).
///
/// Making the channel is one allocation under `std`'s `OnceLock`; a task that races the first
/// access waits only for that allocation, never for a channel operation.
///
/// ```
/// use rungo_channels::{LazyChan, select};
///
/// static JOBS: LazyChan<u32> = LazyChan::new(4); // Go: var jobs = make(chan uint32, 4)
///
/// JOBS.send(1);
/// select! {
///     recv(JOBS) -> v => assert_eq!(v, Some(1)),
/// }
/// assert_eq!(JOBS.cap(), 4);
/// ```
pub struct LazyChan<T> {
    cap: usize,
    ch: OnceLock<Chan<T>>,
}

impl<T> LazyChan<T> {
    /// A channel of capacity `cap`, made on first use. Go: `make(chan T, cap)` in a
    /// package-level `var`.
    pub const fn new(cap: usize) -> LazyChan<T> {
        LazyChan {
            cap,
            ch: OnceLock::new(),
        }
    }

    /// The channel, made now if this is the first use. Go: the package-level variable.
    pub fn get(&self) -> &Chan<T> {
        self.ch.get_or_init(|| chan(self.cap))
    }
}

impl<T> Deref for LazyChan<T> {
    type Target = Chan<T>;
    fn deref(&self) -> &Chan<T> {
        self.get()
    }
}

impl<T> fmt::Debug for LazyChan<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ch.get() {
            Some(ch) => write!(f, "LazyChan({ch:?})"),
            None => write!(f, "LazyChan(not yet made, cap {})", self.cap),
        }
    }
}

impl<'a, T> IntoIterator for &'a LazyChan<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.get().iter()
    }
}

/// Iterator over a channel's values until it is closed. Go: `for v := range ch`.
pub struct Iter<'a, T> {
    ch: &'a Chan<T>,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.ch.recv()
    }
}

/// Owning iterator over a channel's values until it is closed.
/// Go: `for v := range ch`.
pub struct IntoIter<T> {
    ch: Chan<T>,
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.ch.recv()
    }
}

impl<'a, T> IntoIterator for &'a Chan<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> IntoIterator for Chan<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter { ch: self }
    }
}

/// The accessors both direction views share, delegated to the channel they view.
macro_rules! view_accessors {
    ($view:ident) => {
        impl<T> $view<T> {
            /// Go: `len(ch)`.
            pub fn len(&self) -> usize {
                self.0.len()
            }
            /// True when nothing is buffered.
            /// Go: `len(ch) == 0`.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
            /// Go: `cap(ch)`.
            pub fn cap(&self) -> usize {
                self.0.cap()
            }
            /// Go: `ch == nil`.
            pub fn is_nil(&self) -> bool {
                self.0.is_nil()
            }
        }
    };
}

view_accessors!(Sender);
view_accessors!(Receiver);

impl<T> Sender<T> {
    /// Go's nil `chan<- T`.
    pub const fn nil() -> Sender<T> {
        Sender(Chan::nil())
    }
    /// See [`Chan::send`]. Go: `ch <- v`.
    #[track_caller]
    #[inline]
    pub fn send(&self, v: T) {
        self.0.send(v)
    }
    /// See [`Chan::try_send`].
    /// Go: `select { case ch <- v: default: }`.
    pub fn try_send(&self, v: T) -> Result<(), TrySendError<T>> {
        self.0.try_send(v)
    }
    /// See [`Chan::send_timeout`].
    /// Go: `select { case ch <- v: case <-time.After(d): }`.
    #[track_caller]
    pub fn send_timeout(&self, v: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.0.send_timeout(v, timeout)
    }
    /// See [`Chan::close`]. Go: `close(ch)` (allowed on `chan<- T`).
    #[track_caller]
    pub fn close(&self) {
        self.0.close()
    }
    /// See [`Chan::try_close`].
    /// Go: `close(ch)`, without the panic.
    pub fn try_close(&self) -> Result<(), CloseError> {
        self.0.try_close()
    }
}

impl<T> Receiver<T> {
    /// Go's nil `<-chan T`.
    pub const fn nil() -> Receiver<T> {
        Receiver(Chan::nil())
    }
    /// See [`Chan::recv`]. Go: `v, ok := <-ch`.
    #[inline]
    #[track_caller]
    pub fn recv(&self) -> Option<T> {
        self.0.recv()
    }
    /// See [`Chan::try_recv`].
    /// Go: `select { case v := <-ch: default: }`.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.0.try_recv()
    }
    /// See [`Chan::recv_timeout`].
    /// Go: `select { case v := <-ch: case <-time.After(d): }`.
    #[track_caller]
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.0.recv_timeout(timeout)
    }
    /// See [`Chan::recv_deadline`].
    /// Go: a `select` with the receive and a timer case.
    #[track_caller]
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        self.0.recv_deadline(deadline)
    }
    /// Go: `for v := range ch`.
    pub fn iter(&self) -> Iter<'_, T> {
        self.0.iter()
    }
}

macro_rules! view_impls {
    ($view:ident) => {
        impl<T> Clone for $view<T> {
            fn clone(&self) -> Self {
                $view(self.0.clone())
            }
        }
        impl<T> Default for $view<T> {
            /// The nil channel.
            fn default() -> Self {
                $view(Chan::nil())
            }
        }
        impl<T> PartialEq for $view<T> {
            fn eq(&self, other: &Self) -> bool {
                self.0 == other.0
            }
        }
        impl<T> Eq for $view<T> {}
        impl<T> fmt::Debug for $view<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($view), self.0)
            }
        }
        impl<T> From<Chan<T>> for $view<T> {
            /// Go's implicit conversion of `chan T` to a directional channel type.
            fn from(c: Chan<T>) -> Self {
                $view(c)
            }
        }
        impl<T> From<&Chan<T>> for $view<T> {
            fn from(c: &Chan<T>) -> Self {
                $view(c.clone())
            }
        }
    };
}
view_impls!(Sender);
view_impls!(Receiver);

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.0.iter()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter { ch: self.0 }
    }
}

/// Handles a select (or [`Select`](crate::Select)) can receive from: [`Chan`] and [`Receiver`].
/// Go: the channel operand of a receive case.
pub trait RecvChan<T>: sealed::Sealed {
    /// The underlying channel.
    #[doc(hidden)]
    fn as_chan(&self) -> &Chan<T>;
}

/// Handles a select (or [`Select`](crate::Select)) can send on: [`Chan`] and [`Sender`].
/// Go: the channel operand of a send case.
pub trait SendChan<T>: sealed::Sealed {
    /// The underlying channel.
    #[doc(hidden)]
    fn as_chan(&self) -> &Chan<T>;
}

mod sealed {
    pub trait Sealed {}
    impl<T> Sealed for super::Chan<T> {}
    impl<T> Sealed for super::Sender<T> {}
    impl<T> Sealed for super::Receiver<T> {}
    impl<T> Sealed for super::LazyChan<T> {}
    impl<C: Sealed + ?Sized> Sealed for &C {}
}

impl<T, C: RecvChan<T> + ?Sized> RecvChan<T> for &C {
    fn as_chan(&self) -> &Chan<T> {
        (**self).as_chan()
    }
}
impl<T, C: SendChan<T> + ?Sized> SendChan<T> for &C {
    fn as_chan(&self) -> &Chan<T> {
        (**self).as_chan()
    }
}

impl<T> RecvChan<T> for Chan<T> {
    fn as_chan(&self) -> &Chan<T> {
        self
    }
}
impl<T> RecvChan<T> for Receiver<T> {
    fn as_chan(&self) -> &Chan<T> {
        &self.0
    }
}
impl<T> SendChan<T> for Chan<T> {
    fn as_chan(&self) -> &Chan<T> {
        self
    }
}
impl<T> SendChan<T> for Sender<T> {
    fn as_chan(&self) -> &Chan<T> {
        &self.0
    }
}
impl<T> RecvChan<T> for LazyChan<T> {
    fn as_chan(&self) -> &Chan<T> {
        self.get()
    }
}
impl<T> SendChan<T> for LazyChan<T> {
    fn as_chan(&self) -> &Chan<T> {
        self.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lazy_chan_in_a_static_is_one_channel_for_every_coroutine() {
        // Go: var results = make(chan int); package-level, used by many goroutines.
        static RESULTS: LazyChan<u64> = LazyChan::new(0);
        static DONE: LazyChan<()> = LazyChan::new(8);
        assert!(format!("{RESULTS:?}").contains("not yet made"));
        const N: u64 = 8;
        let handles: Vec<_> = (0..N)
            .map(|i| {
                rungo_runtime::spawn(move || {
                    // Every coroutine races the first use.
                    for k in 0..100 {
                        RESULTS.send(i * 1000 + k);
                    }
                    DONE.send(());
                })
            })
            .collect();
        let mut sum = 0;
        let mut got = 0;
        while got < N * 100 {
            crate::select! {
                recv(RESULTS) -> v => { sum += v.unwrap(); got += 1; },
            }
        }
        for _ in 0..N {
            DONE.recv().unwrap();
        }
        handles.into_iter().for_each(|h| h.join().unwrap());
        let want: u64 = (0..N)
            .map(|i| (0..100).map(|k| i * 1000 + k).sum::<u64>())
            .sum();
        assert_eq!(sum, want);
        // One channel: every access is the same handle, and a clone is equal to it.
        assert_eq!(RESULTS.get(), &RESULTS.clone());
        assert!(std::ptr::eq(RESULTS.get(), &*RESULTS));
        assert_eq!(DONE.cap(), 8);
    }

    #[test]
    fn lazy_chan_first_use_from_threads_and_coroutines_makes_one_channel() {
        static CH: LazyChan<usize> = LazyChan::new(64);
        let mut hs = Vec::new();
        let mut ths = Vec::new();
        for i in 0..4 {
            hs.push(rungo_runtime::spawn(move || CH.send(i)));
            ths.push(std::thread::spawn(move || CH.send(10 + i)));
        }
        hs.into_iter().for_each(|h| h.join().unwrap());
        ths.into_iter().for_each(|t| t.join().unwrap());
        CH.close();
        let mut v: Vec<usize> = (&CH).into_iter().collect();
        v.sort();
        assert_eq!(v, [0, 1, 2, 3, 10, 11, 12, 13]);
    }
}
