//! `Locker`: Go's `sync.Locker` interface, the lock a [`Cond`](crate::Cond) can be built on.
//!
//! Implemented by the data-less locks whose `lock`/`unlock` are Go's methods exactly:
//! [`RawMutex`] (Go's `sync.Mutex`), [`RawRwLock`] (the write side of Go's `sync.RWMutex`) and
//! [`RLocker`] (its read side, Go's `rw.RLocker()`), and by references, `Box`es and `Arc`s of
//! any `Locker`.
//!
//! The data-owning [`Mutex<T>`](crate::Mutex) and [`RwLock<T>`](crate::RwLock) do not implement
//! it: an `unlock` without a guard would let a second task reach the data while a guard is
//! still alive, which safe Rust must not allow. Go code that hands `&mu` to `sync.NewCond`
//! ports to a `RawMutex` (or keeps a `Mutex<T>` and uses [`Cond::wait`](crate::Cond::wait)
//! with its guard).

use std::sync::Arc;

use crate::mutex::RawMutex;
use crate::rwlock::RawRwLock;

/// An object that can be locked and unlocked. Go: `sync.Locker`.
///
/// ```
/// use rungo_sync::{Locker, RawMutex, RawRwLock};
/// fn critical(l: &dyn Locker, f: impl FnOnce()) {
///     l.lock();
///     f();
///     l.unlock();
/// }
/// let (mu, rw) = (RawMutex::new(), RawRwLock::new());
/// critical(&mu, || assert!(mu.is_locked()));
/// critical(&rw, || assert!(!rw.try_read_lock()));
/// critical(&rw.rlocker(), || assert!(rw.try_read_lock()));
/// # rw.read_unlock();
/// ```
pub trait Locker {
    /// Locks, parking the calling task until the lock is available. Go: `Lock()`.
    fn lock(&self);
    /// Unlocks; may panic with Go's message if the lock is not held. Go: `Unlock()`.
    fn unlock(&self);
}

impl Locker for RawMutex {
    fn lock(&self) {
        RawMutex::lock(self);
    }
    fn unlock(&self) {
        RawMutex::unlock(self);
    }
}

/// The write side. Go: `*sync.RWMutex` as a `sync.Locker`.
impl Locker for RawRwLock {
    fn lock(&self) {
        RawRwLock::lock(self);
    }
    fn unlock(&self) {
        RawRwLock::unlock(self);
    }
}

/// The read side of a [`RawRwLock`] as a [`Locker`]: `lock` is `read_lock`, `unlock` is
/// `read_unlock`. Go: the `Locker` returned by `(*RWMutex).RLocker`.
///
/// ```
/// use rungo_sync::{Locker, RawRwLock};
/// let rw = RawRwLock::new();
/// let r = rw.rlocker();
/// r.lock();
/// r.lock(); // readers share
/// assert!(!rw.try_lock());
/// r.unlock();
/// r.unlock();
/// assert!(rw.try_lock());
/// # rw.unlock();
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RLocker<'a>(pub(crate) &'a RawRwLock);

impl Locker for RLocker<'_> {
    fn lock(&self) {
        self.0.read_lock();
    }
    fn unlock(&self) {
        self.0.read_unlock();
    }
}

impl<L: Locker + ?Sized> Locker for &L {
    fn lock(&self) {
        (**self).lock();
    }
    fn unlock(&self) {
        (**self).unlock();
    }
}

impl<L: Locker + ?Sized> Locker for Box<L> {
    fn lock(&self) {
        (**self).lock();
    }
    fn unlock(&self) {
        (**self).unlock();
    }
}

impl<L: Locker + ?Sized> Locker for Arc<L> {
    fn lock(&self) {
        (**self).lock();
    }
    fn unlock(&self) {
        (**self).unlock();
    }
}
