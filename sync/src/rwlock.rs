//! `RwLock<T>`: Go's `sync.RWMutex`, coroutine-aware.
//!
//! # Design
//!
//! A port of Go's `src/sync/rwmutex.go`. State:
//!
//! - `w`: a [`RawMutex`] serialising writers (so writers inherit its starvation-mode fairness).
//! - `reader_count`: number of readers holding or waiting, minus [`MAX_READERS`] while a writer is
//!   pending or active. A negative value is the signal "a writer wants in".
//! - `reader_wait`: how many readers that were active when the writer arrived still have to leave.
//! - `writer_sem`, `reader_sem`: wait queues (heap nodes, hand-off permits).
//!
//! **Read lock:** `reader_count += 1`; if the result is negative a writer is pending, so the reader
//! parks on `reader_sem`. **Hence a waiting writer blocks new readers** (Go's rule), so a steady
//! stream of readers cannot starve a writer.
//!
//! **Write lock:** take `w`, then `reader_count -= MAX_READERS` (announcing the writer); the old
//! value `r` is the number of active readers. Add `r` to `reader_wait`; if that is non-zero, park on
//! `writer_sem` until the last of those readers leaves and releases it.
//!
//! **Read unlock:** `reader_count -= 1`; if negative, a writer is pending: decrement `reader_wait`,
//! and the reader that brings it to zero wakes the writer.
//!
//! **Write unlock:** `reader_count += MAX_READERS`; the result is the number of readers that
//! queued meanwhile; release that many `reader_sem` permits (they all get in before the next
//! writer, so writers cannot starve readers either), then unlock `w`.
//!
//! Guards may be held across parks (see the crate docs). No poisoning.

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicI32, Ordering::SeqCst};

use crate::mutex::RawMutex;
use crate::sema::Sema;

/// Maximum number of concurrent readers (Go's `rwmutexMaxReaders`).
pub const MAX_READERS: i32 = 1 << 30;

/// The data-less reader/writer lock with Go's method shape; the engine of [`RwLock<T>`].
///
/// Go: `sync.RWMutex` used as a bare lock.
///
/// ```
/// let rw = rungo_sync::RawRwLock::new();
/// rw.read_lock();
/// rw.read_lock();
/// assert!(!rw.try_lock());
/// rw.read_unlock();
/// rw.read_unlock();
/// rw.lock();
/// rw.unlock();
/// ```
#[derive(Default)]
pub struct RawRwLock {
    w: RawMutex,
    writer_sem: Sema,
    reader_sem: Sema,
    reader_count: AtomicI32,
    reader_wait: AtomicI32,
}

impl fmt::Debug for RawRwLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawRwLock")
            .field("reader_count", &self.reader_count.load(SeqCst))
            .finish_non_exhaustive()
    }
}

impl RawRwLock {
    /// An unlocked lock. Go: the zero `sync.RWMutex{}`.
    ///
    /// ```
    /// static RW: rungo_sync::RawRwLock = rungo_sync::RawRwLock::new();
    /// RW.read_lock();
    /// RW.read_unlock();
    /// ```
    pub const fn new() -> RawRwLock {
        RawRwLock {
            w: RawMutex::new(),
            writer_sem: Sema::new(),
            reader_sem: Sema::new(),
            reader_count: AtomicI32::new(0),
            reader_wait: AtomicI32::new(0),
        }
    }

    /// Takes a read lock, parking while a writer holds or waits for the lock. Go: `RLock`.
    ///
    /// ```
    /// let rw = rungo_sync::RawRwLock::new();
    /// rw.read_lock();
    /// rw.read_unlock();
    /// ```
    #[track_caller]
    pub fn read_lock(&self) {
        rungo_runtime::preempt_point();
        let r = self.reader_count.fetch_add(1, SeqCst) + 1;
        if r < 0 {
            // A writer is pending: wait for it.
            let _waiting = rungo_runtime::Waiting::new(
                rungo_runtime::WaitReason::RwMutexRLock,
                std::panic::Location::caller(),
            );
            self.reader_sem.acquire(false);
        } else if r >= MAX_READERS || r == 0 {
            self.too_many_readers();
        }
    }

    /// `reader_count` has reached `MAX_READERS` readers (`r == MAX_READERS` with no writer,
    /// `r == 0` with a writer pending, from `-1`): one more would make the count lie about the
    /// writer (Go's counter silently wraps there). Undo this reader's increment and panic.
    #[cold]
    #[track_caller]
    fn too_many_readers(&self) -> ! {
        self.reader_count.fetch_sub(1, SeqCst);
        panic!("sync: too many concurrent readers on RWMutex (limit {MAX_READERS})");
    }

    /// Takes a read lock if no writer holds or waits for it. Go: `TryRLock`.
    ///
    /// ```
    /// let rw = rungo_sync::RawRwLock::new();
    /// assert!(rw.try_read_lock());
    /// rw.read_unlock();
    /// ```
    pub fn try_read_lock(&self) -> bool {
        let mut c = self.reader_count.load(SeqCst);
        loop {
            if c < 0 {
                return false;
            }
            if c + 1 >= MAX_READERS {
                panic!("sync: too many concurrent readers on RWMutex (limit {MAX_READERS})");
            }
            match self.reader_count.compare_exchange(c, c + 1, SeqCst, SeqCst) {
                Ok(_) => return true,
                Err(cur) => c = cur,
            }
        }
    }

    /// Releases a read lock. Go: `RUnlock`.
    ///
    /// # Panics
    ///
    /// `sync: RUnlock of unlocked RWMutex` if no read lock is held.
    ///
    /// ```
    /// let rw = rungo_sync::RawRwLock::new();
    /// rw.read_lock();
    /// rw.read_unlock();
    /// ```
    pub fn read_unlock(&self) {
        let r = self.reader_count.fetch_sub(1, SeqCst) - 1;
        if r < 0 {
            self.read_unlock_slow(r);
        }
    }

    #[cold]
    fn read_unlock_slow(&self, r: i32) {
        if r + 1 == 0 || r + 1 == -MAX_READERS {
            self.reader_count.fetch_add(1, SeqCst);
            panic!("sync: RUnlock of unlocked RWMutex");
        }
        // A writer is pending; the last departing reader lets it in.
        if self.reader_wait.fetch_sub(1, SeqCst) - 1 == 0 {
            self.writer_sem.release();
        }
    }

    /// Takes the write lock, parking until all readers and writers are gone. Go: `Lock`.
    ///
    /// ```
    /// let rw = rungo_sync::RawRwLock::new();
    /// rw.lock();
    /// rw.unlock();
    /// ```
    #[track_caller]
    pub fn lock(&self) {
        rungo_runtime::preempt_point();
        // Resolve competition with other writers first.
        self.w.lock();
        // Announce the writer to readers; `r` is the number of active readers.
        let r = self.reader_count.fetch_sub(MAX_READERS, SeqCst);
        if r != 0 && self.reader_wait.fetch_add(r, SeqCst) + r != 0 {
            // Only a writer that waits for readers records why (the uncontended path pays
            // nothing, and the inner mutex's own wait records itself).
            let _waiting = rungo_runtime::Waiting::new(
                rungo_runtime::WaitReason::RwMutexLock,
                std::panic::Location::caller(),
            );
            self.writer_sem.acquire(false);
        }
    }

    /// Takes the write lock if it is completely free. Go: `TryLock`.
    ///
    /// ```
    /// let rw = rungo_sync::RawRwLock::new();
    /// assert!(rw.try_lock());
    /// assert!(!rw.try_read_lock());
    /// rw.unlock();
    /// ```
    pub fn try_lock(&self) -> bool {
        if !self.w.try_lock() {
            return false;
        }
        if self
            .reader_count
            .compare_exchange(0, -MAX_READERS, SeqCst, SeqCst)
            .is_err()
        {
            self.w.unlock();
            return false;
        }
        true
    }

    /// The read side of this lock as a [`Locker`](crate::Locker). Go: `(*RWMutex).RLocker`.
    ///
    /// (Only the data-less lock has it: on [`RwLock<T>`] a guard-less `read_unlock` could
    /// release a lock that a live guard relies on.)
    ///
    /// ```
    /// use rungo_sync::{Cond, RawRwLock};
    /// let rw = RawRwLock::new();
    /// let c = Cond::with_locker(rw.rlocker()); // Go: sync.NewCond(rw.RLocker())
    /// c.signal();
    /// ```
    pub const fn rlocker(&self) -> crate::locker::RLocker<'_> {
        crate::locker::RLocker(self)
    }

    /// Releases the write lock, letting every reader that queued meanwhile in. Go: `Unlock`.
    ///
    /// # Panics
    ///
    /// `sync: Unlock of unlocked RWMutex` if the write lock is not held.
    ///
    /// ```
    /// let rw = rungo_sync::RawRwLock::new();
    /// rw.lock();
    /// rw.unlock();
    /// ```
    pub fn unlock(&self) {
        let r = self.reader_count.fetch_add(MAX_READERS, SeqCst) + MAX_READERS;
        if r >= MAX_READERS {
            self.reader_count.fetch_sub(MAX_READERS, SeqCst);
            panic!("sync: Unlock of unlocked RWMutex");
        }
        for _ in 0..r {
            self.reader_sem.release();
        }
        self.w.unlock();
    }
}

/// A reader/writer lock protecting a `T`, with RAII guards. Go: `sync.RWMutex`.
///
/// Many readers or one writer; a waiting writer blocks new readers (see the [module docs](self)).
///
/// ```
/// use std::sync::Arc;
/// let cfg = Arc::new(rungo_sync::RwLock::new(String::from("v1")));
/// {
///     let a = cfg.read();
///     let b = cfg.read(); // readers share
///     assert_eq!(*a, *b);
/// }
/// *cfg.write() = "v2".into();
/// assert_eq!(*cfg.read(), "v2");
/// ```
pub struct RwLock<T: ?Sized> {
    raw: RawRwLock,
    data: UnsafeCell<T>,
}

// SAFETY: moving the lock moves the `T`.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: a shared `RwLock` gives `&mut T` to one task at a time (needs `T: Send`) and `&T` to
// many tasks at once (needs `T: Sync`), as `std::sync::RwLock`.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T> RwLock<T> {
    /// A new unlocked lock holding `value`.
    /// Go: `var mu sync.RWMutex` beside the data it guards.
    ///
    /// ```
    /// let l = rungo_sync::RwLock::new(1);
    /// assert_eq!(*l.read(), 1);
    /// ```
    pub const fn new(value: T) -> RwLock<T> {
        RwLock {
            raw: RawRwLock::new(),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the lock, returning the data.
    /// Go: none (the guarded data is a separate variable in Go).
    ///
    /// ```
    /// assert_eq!(rungo_sync::RwLock::new(3).into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Shared access, parking while a writer holds or waits for the lock. Go: `RLock`/`RUnlock`.
    ///
    /// ```
    /// let l = rungo_sync::RwLock::new(vec![1, 2]);
    /// assert_eq!(l.read().len(), 2);
    /// ```
    #[track_caller]
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        self.raw.read_lock();
        RwLockReadGuard {
            lock: self,
            _marker: PhantomData,
        }
    }

    /// Shared access if no writer holds or waits. Go: `TryRLock`.
    ///
    /// ```
    /// let l = rungo_sync::RwLock::new(0);
    /// let w = l.write();
    /// assert!(l.try_read().is_none());
    /// drop(w);
    /// assert!(l.try_read().is_some());
    /// ```
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        self.raw.try_read_lock().then(|| RwLockReadGuard {
            lock: self,
            _marker: PhantomData,
        })
    }

    /// Exclusive access, parking until readers and writers are gone. Go: `Lock`/`Unlock`.
    ///
    /// ```
    /// let l = rungo_sync::RwLock::new(0);
    /// *l.write() += 1;
    /// assert_eq!(*l.read(), 1);
    /// ```
    #[track_caller]
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.raw.lock();
        RwLockWriteGuard {
            lock: self,
            _marker: PhantomData,
        }
    }

    /// Exclusive access if the lock is completely free. Go: `TryLock`.
    ///
    /// ```
    /// let l = rungo_sync::RwLock::new(0);
    /// let r = l.read();
    /// assert!(l.try_write().is_none());
    /// drop(r);
    /// assert!(l.try_write().is_some());
    /// ```
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        self.raw.try_lock().then(|| RwLockWriteGuard {
            lock: self,
            _marker: PhantomData,
        })
    }

    /// Mutable access without locking (`&mut self` proves exclusivity).
    /// Go: none (the guarded data is a separate variable in Go).
    ///
    /// ```
    /// let mut l = rungo_sync::RwLock::new(0);
    /// *l.get_mut() = 7;
    /// assert_eq!(*l.read(), 7);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Some(g) => d.field("data", &&*g),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish_non_exhaustive()
    }
}

/// Shared access to an [`RwLock`]; releases the read lock when dropped. Go: `RLock` .. `RUnlock`.
///
/// ```
/// let l = rungo_sync::RwLock::new(5);
/// let g = l.read();
/// assert_eq!(*g, 5);
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    // `Send`/`Sync` only when `T: Sync` (the guard hands out `&T`).
    _marker: PhantomData<&'a T>,
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a read lock is held, so no writer (and no `&mut T`) exists.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.raw.read_unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Exclusive access to an [`RwLock`]; releases the write lock when dropped. Go: `Lock` .. `Unlock`.
///
/// ```
/// let l = rungo_sync::RwLock::new(5);
/// *l.write() = 6;
/// assert_eq!(*l.read(), 6);
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    // `Send` only when `T: Send`, `Sync` only when `T: Sync`.
    _marker: PhantomData<&'a mut T>,
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the write lock is held, so no other reference to the data exists.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the write lock is held and `&mut self` makes this the only live reference.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.raw.unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "sync: RUnlock of unlocked RWMutex")]
    fn read_unlock_unlocked_panics() {
        RawRwLock::new().read_unlock();
    }

    #[test]
    fn reader_count_overflow_panics_instead_of_wrapping() {
        // Setting the count directly stands in for 2^30 - 1 live readers (taking them one by one
        // would take a billion atomic operations).
        let rw = RawRwLock::new();
        rw.reader_count.store(MAX_READERS - 1, SeqCst);
        let r = std::panic::catch_unwind(|| rw.read_lock());
        let msg = *r.unwrap_err().downcast::<String>().unwrap();
        assert!(msg.contains("too many concurrent readers"), "{msg}");
        assert_eq!(
            rw.reader_count.load(SeqCst),
            MAX_READERS - 1,
            "increment not undone"
        );
        assert!(std::panic::catch_unwind(|| rw.try_read_lock()).is_err());
        // With a writer pending (count negative), the limit is the same number of readers.
        rw.reader_count.store(-1, SeqCst);
        assert!(std::panic::catch_unwind(|| rw.read_lock()).is_err());
        assert_eq!(rw.reader_count.load(SeqCst), -1);
        // Below the limit, a reader gets in as before.
        rw.reader_count.store(MAX_READERS - 2, SeqCst);
        rw.read_lock();
        rw.read_unlock();
        assert_eq!(rw.reader_count.load(SeqCst), MAX_READERS - 2);
    }

    #[test]
    #[should_panic(expected = "sync: Unlock of unlocked RWMutex")]
    fn unlock_unlocked_panics() {
        RawRwLock::new().unlock();
    }
}
