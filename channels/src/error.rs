//! Errors of the non-panicking channel operations. Each send error hands the unsent value back.

use std::fmt;

/// Why [`Chan::try_send`](crate::Chan::try_send) did not send; carries the value back.
///
/// Go: the `default` branch of `select { case ch <- v: ... default: ... }` (Full); Go panics on
/// a closed channel where rungo's `try_send` returns `Closed`.
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum TrySendError<T> {
    /// No receiver was ready and the buffer is full (always the case for a nil channel).
    Full(T),
    /// The channel is closed.
    Closed(T),
}

/// Why [`Chan::send_timeout`](crate::Chan::send_timeout) did not send; carries the value back.
/// Go: the timer case winning a send `select`, or its panic on a closed channel.
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum SendTimeoutError<T> {
    /// The deadline passed before a receiver took the value.
    Timeout(T),
    /// The channel is closed (before or while waiting).
    Closed(T),
}

/// Why [`Chan::try_recv`](crate::Chan::try_recv) received nothing.
///
/// Go: `select { case v, ok := <-ch: ... default: ... }` takes `default` (Empty) or gets
/// `ok == false` (Closed).
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum TryRecvError {
    /// Nothing to receive right now.
    Empty,
    /// The channel is closed and drained.
    Closed,
}

/// Why [`Chan::recv_timeout`](crate::Chan::recv_timeout) received nothing.
/// Go: the timer case winning a receive `select`, or `ok == false`.
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum RecvTimeoutError {
    /// The deadline passed first.
    Timeout,
    /// The channel is closed and drained.
    Closed,
}

/// Why [`Chan::try_close`](crate::Chan::try_close) failed (Go would panic).
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum CloseError {
    /// Go: `close of closed channel`.
    AlreadyClosed,
    /// Go: `close of nil channel`.
    Nil,
}

impl<T> TrySendError<T> {
    /// Returns the value that was not sent.
    /// Go: none (Go copies the value).
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(v) | TrySendError::Closed(v) => v,
        }
    }
    /// True for `Full`.
    /// Go: the `default` case of a send `select` being taken.
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }
    /// True for `Closed`.
    /// Go: the send would panic (or `ok == false` for a receive).
    pub fn is_closed(&self) -> bool {
        matches!(self, TrySendError::Closed(_))
    }
}

impl<T> SendTimeoutError<T> {
    /// Returns the value that was not sent.
    /// Go: none (Go copies the value).
    pub fn into_inner(self) -> T {
        match self {
            SendTimeoutError::Timeout(v) | SendTimeoutError::Closed(v) => v,
        }
    }
    /// True for `Timeout`.
    /// Go: the timer case of a `select` being taken.
    pub fn is_timeout(&self) -> bool {
        matches!(self, SendTimeoutError::Timeout(_))
    }
    /// True for `Closed`.
    /// Go: the send would panic (or `ok == false` for a receive).
    pub fn is_closed(&self) -> bool {
        matches!(self, SendTimeoutError::Closed(_))
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}
impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("sending on a full channel"),
            TrySendError::Closed(_) => f.write_str("send on closed channel"),
        }
    }
}
impl<T> std::error::Error for TrySendError<T> {}

impl<T> fmt::Debug for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendTimeoutError::Timeout(_) => f.write_str("Timeout(..)"),
            SendTimeoutError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}
impl<T> fmt::Display for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendTimeoutError::Timeout(_) => f.write_str("timed out sending on a channel"),
            SendTimeoutError::Closed(_) => f.write_str("send on closed channel"),
        }
    }
}
impl<T> std::error::Error for SendTimeoutError<T> {}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("receiving on an empty channel"),
            TryRecvError::Closed => f.write_str("receiving on a closed channel"),
        }
    }
}
impl std::error::Error for TryRecvError {}

impl fmt::Display for RecvTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvTimeoutError::Timeout => f.write_str("timed out receiving on a channel"),
            RecvTimeoutError::Closed => f.write_str("receiving on a closed channel"),
        }
    }
}
impl std::error::Error for RecvTimeoutError {}

impl fmt::Display for CloseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseError::AlreadyClosed => f.write_str("close of closed channel"),
            CloseError::Nil => f.write_str("close of nil channel"),
        }
    }
}
impl std::error::Error for CloseError {}
