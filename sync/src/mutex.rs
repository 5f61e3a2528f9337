//! `Mutex<T>` and `RawMutex`: Go's `sync.Mutex`, coroutine-aware.
//!
//! # Design
//!
//! This is a port of the algorithm in Go's `src/sync/mutex.go` onto rungo's blocking contract.
//! The whole lock is one `AtomicU32` `state` plus a `Sema` (`sema.rs`) wait queue:
//!
//! ```text
//!  bit 0  LOCKED    the mutex is held
//!  bit 1  WOKEN     a waiter has been woken (or a spinner announced itself): unlock need not wake another
//!  bit 2  STARVING  starvation mode: ownership is handed off FIFO, newcomers do not barge
//!  3..    waiter count (tasks queued or about to queue on the semaphore)
//! ```
//!
//! **Normal mode.** Lock is a single CAS `0 -> LOCKED` on the fast path. A contended locker spins
//! briefly (only on a multi-worker runtime, at most 4 rounds), then increments the waiter count and
//! parks on the semaphore. Unlock clears `LOCKED`; if there are waiters and nobody is already woken
//! it sets `WOKEN`, decrements the count and releases one waiter, which then *competes* with
//! newly arriving lockers. Newcomers usually win (they are already running), which gives high
//! throughput but can starve the woken waiter; a waiter that loses is re-queued at the *front*.
//!
//! **Starvation mode.** A waiter that has waited more than 1 ms ([`STARVATION_THRESHOLD`]) sets
//! `STARVING` on its next attempt. In starvation mode newcomers never take the lock and never spin:
//! they queue at the back. Unlock hands ownership directly to the head waiter (`LOCKED` stays clear
//! in `state` and the woken waiter sets it itself), so the queue drains strictly FIFO. The mode
//! ends when the waiter that receives the lock is the last one or waited less than 1 ms.
//! A hot lock/unlock loop therefore cannot starve a waiter for longer than about the threshold
//! plus one hand-off (tested in `tests/mutex_starvation.rs`).
//!
//! **Invariants.** The semaphore's permits correspond one-to-one to waiter-count decrements done by
//! unlockers (or to the hand-off in starvation mode); `WOKEN` is set by at most one task at a time
//! and cleared by the woken task when it next CASes `state`. These are Go's invariants; the code
//! panics with Go's `sync: inconsistent mutex state` if they are broken.
//!
//! **Blocking.** A contended `lock` parks the *task* through the runtime's contract (a coroutine
//! yields its worker to others; a plain thread sleeps). The wait-queue node is an `Arc` on the heap.
//!
//! **Guards across parks.** A [`MutexGuard`] may be held while the holder parks (on a channel, a
//! sleep, another lock): a started coroutine never changes OS thread, and this mutex does not
//! depend on the identity of the unlocking thread anyway (as in Go, any task may unlock a
//! [`RawMutex`]). So the guard is `Send` when `T: Send`.
//!
//! **No poisoning.** Like Go's mutex (and unlike `std::sync::Mutex`), a panic while the lock is
//! held simply unlocks it as the guard is dropped during unwinding. A Go port keeps its shape;
//! code that needs to detect a torn update should use its own flag.

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::sema::Sema;

const LOCKED: u32 = 1;
const WOKEN: u32 = 2;
const STARVING: u32 = 4;
const WAITER_SHIFT: u32 = 3;
const WAITER_ONE: u32 = 1 << WAITER_SHIFT;

/// How long a waiter may wait before the mutex switches to FIFO hand-off (Go's
/// `starvationThresholdNs`).
pub const STARVATION_THRESHOLD: Duration = Duration::from_millis(1);

/// Whether spinning can help at all: only when more than one worker (and CPU) can run the
/// holder. GOMAXPROCS is read each time (`set_gomaxprocs` may change it); the CPU count once.
fn multi_worker() -> bool {
    static MULTI_CPU: OnceLock<bool> = OnceLock::new();
    rungo_runtime::gomaxprocs() > 1
        && *MULTI_CPU
            .get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()) > 1)
}

/// Go's `runtime_canSpin`: a few rounds only, and only where another worker can be running the
/// holder. (Go also checks that the local run queue is empty; the runtime's public contract does
/// not expose that, so spinning is kept short.)
fn can_spin(iter: u32) -> bool {
    iter < 4 && multi_worker()
}

/// Go's `runtime_doSpin`: 30 pause instructions.
fn do_spin() {
    for _ in 0..30 {
        std::hint::spin_loop();
    }
}

/// A mutual-exclusion lock without data, with Go's `Lock`/`Unlock` shape.
///
/// Go: `sync.Mutex` (used as a bare lock). Prefer [`Mutex<T>`] when the lock protects data: its
/// guard makes it impossible to touch the data unlocked. `RawMutex` exists for ports that lock in
/// one place and unlock in another, and as the engine of [`Mutex<T>`].
///
/// ```
/// use rungo_sync::RawMutex;
/// let mu = RawMutex::new();
/// mu.lock();
/// assert!(!mu.try_lock());
/// mu.unlock();
/// ```
pub struct RawMutex {
    state: AtomicU32,
    sema: Sema,
    /// The holding coroutine's id (0: free, or held by a plain thread), for the deadlock
    /// check's wait-for edges; informational only, since any task may unlock.
    holder: AtomicU64,
}

impl Default for RawMutex {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for RawMutex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawMutex")
            .field("locked", &self.is_locked())
            .finish()
    }
}

impl RawMutex {
    /// An unlocked mutex. Go: the zero value `sync.Mutex{}`.
    ///
    /// ```
    /// static MU: rungo_sync::RawMutex = rungo_sync::RawMutex::new();
    /// MU.lock();
    /// MU.unlock();
    /// ```
    pub const fn new() -> RawMutex {
        RawMutex {
            state: AtomicU32::new(0),
            sema: Sema::new(),
            holder: AtomicU64::new(0),
        }
    }

    /// Whether the mutex is currently held (a racy snapshot, for diagnostics).
    /// Go: none (`sync.Mutex` keeps its state private).
    ///
    /// ```
    /// let mu = rungo_sync::RawMutex::new();
    /// assert!(!mu.is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.state.load(Ordering::Relaxed) & LOCKED != 0
    }

    /// Locks, parking the calling task while another holds the lock. Go: `(*Mutex).Lock`.
    ///
    /// ```
    /// let mu = rungo_sync::RawMutex::new();
    /// mu.lock();
    /// mu.unlock();
    /// ```
    #[inline]
    #[track_caller]
    pub fn lock(&self) {
        rungo_runtime::preempt_point();
        if self
            .state
            .compare_exchange(0, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_slow();
        }
        self.holder
            .store(rungo_runtime::current_id(), Ordering::Relaxed);
    }

    /// Locks if the mutex is free (and not in starvation mode); never blocks. Go:
    /// `(*Mutex).TryLock`.
    ///
    /// ```
    /// let mu = rungo_sync::RawMutex::new();
    /// assert!(mu.try_lock());
    /// assert!(!mu.try_lock());
    /// mu.unlock();
    /// ```
    #[inline]
    pub fn try_lock(&self) -> bool {
        let old = self.state.load(Ordering::Relaxed);
        if old & (LOCKED | STARVING) != 0 {
            return false;
        }
        let locked = self
            .state
            .compare_exchange(old, old | LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_ok();
        if locked {
            self.holder
                .store(rungo_runtime::current_id(), Ordering::Relaxed);
        }
        locked
    }

    /// Unlocks. Any task may unlock, as in Go. Go: `(*Mutex).Unlock`.
    ///
    /// # Panics
    ///
    /// `sync: unlock of unlocked mutex` when the mutex is not locked (Go makes this a fatal error).
    ///
    /// ```
    /// let mu = rungo_sync::RawMutex::new();
    /// mu.lock();
    /// mu.unlock();
    /// ```
    #[inline]
    pub fn unlock(&self) {
        self.holder.store(0, Ordering::Relaxed);
        let new = self
            .state
            .fetch_sub(LOCKED, Ordering::Release)
            .wrapping_sub(LOCKED);
        if new != 0 {
            self.unlock_slow(new);
        }
    }

    #[cold]
    #[track_caller]
    fn lock_slow(&self) {
        let mut wait_start: Option<Instant> = None;
        let mut starving = false;
        let mut awoke = false;
        let mut iter = 0u32;
        let mut old = self.state.load(Ordering::Relaxed);
        loop {
            // Spin only in normal mode while the lock is held: in starvation mode ownership is
            // handed to a waiter, so spinning cannot acquire it.
            if old & (LOCKED | STARVING) == LOCKED && can_spin(iter) {
                // Announce ourselves (WOKEN) so that unlock does not wake another waiter.
                if !awoke
                    && old & WOKEN == 0
                    && old >> WAITER_SHIFT != 0
                    && self
                        .state
                        .compare_exchange(old, old | WOKEN, Ordering::Relaxed, Ordering::Relaxed)
                        .is_ok()
                {
                    awoke = true;
                }
                do_spin();
                iter += 1;
                old = self.state.load(Ordering::Relaxed);
                continue;
            }
            let mut new = old;
            // Do not try to take a starving mutex: newcomers queue.
            if old & STARVING == 0 {
                new |= LOCKED;
            }
            if old & (LOCKED | STARVING) != 0 {
                new = new.wrapping_add(WAITER_ONE);
            }
            // Switch to starvation mode, but only if the mutex is still locked (an unlock expects
            // waiters in starvation mode).
            if starving && old & LOCKED != 0 {
                new |= STARVING;
            }
            if awoke {
                if new & WOKEN == 0 {
                    panic!("sync: inconsistent mutex state");
                }
                new &= !WOKEN;
            }
            match self
                .state
                .compare_exchange(old, new, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => {
                    if old & (LOCKED | STARVING) == 0 {
                        return; // locked with the CAS
                    }
                    // Waited before: go to the front of the queue.
                    let lifo = wait_start.is_some();
                    let start = *wait_start.get_or_insert_with(Instant::now);
                    // Recorded only around the park: most contended locks are won by spinning,
                    // and the record (a wait reason, a holder edge) costs more than the spin.
                    let waiting = rungo_runtime::Waiting::new(
                        rungo_runtime::WaitReason::MutexLock,
                        std::panic::Location::caller(),
                    )
                    .held_by(&self.holder);
                    self.sema.acquire(lifo);
                    drop(waiting);
                    starving = starving || start.elapsed() > STARVATION_THRESHOLD;
                    old = self.state.load(Ordering::Acquire);
                    if old & STARVING != 0 {
                        // Ownership was handed to us; state still shows it unlocked, with our
                        // waiter count included. Fix both up.
                        if old & (LOCKED | WOKEN) != 0 || old >> WAITER_SHIFT == 0 {
                            panic!("sync: inconsistent mutex state");
                        }
                        let mut delta = LOCKED.wrapping_sub(WAITER_ONE);
                        if !starving || old >> WAITER_SHIFT == 1 {
                            // Leave starvation mode: we waited little, or we are the last waiter.
                            delta = delta.wrapping_sub(STARVING);
                        }
                        self.state.fetch_add(delta, Ordering::Acquire);
                        return;
                    }
                    awoke = true;
                    iter = 0;
                }
                Err(cur) => old = cur,
            }
        }
    }

    #[cold]
    fn unlock_slow(&self, new: u32) {
        if new.wrapping_add(LOCKED) & LOCKED == 0 {
            // Undo our decrement so the state stays meaningful for other users, then panic.
            self.state.fetch_add(LOCKED, Ordering::Relaxed);
            panic!("sync: unlock of unlocked mutex");
        }
        if new & STARVING == 0 {
            let mut old = new;
            loop {
                // No waiters, or someone is already woken or has the lock: nothing to do.
                if old >> WAITER_SHIFT == 0 || old & (LOCKED | WOKEN | STARVING) != 0 {
                    return;
                }
                let new = old.wrapping_sub(WAITER_ONE) | WOKEN;
                match self
                    .state
                    .compare_exchange(old, new, Ordering::Release, Ordering::Relaxed)
                {
                    Ok(_) => {
                        self.sema.release();
                        return;
                    }
                    Err(cur) => old = cur,
                }
            }
        } else {
            // Starvation mode: hand ownership to the head waiter and let it run (Go's goyield).
            self.sema.release();
            rungo_runtime::yield_now();
        }
    }
}

/// A mutual-exclusion lock protecting a `T`, with an RAII guard.
///
/// Go: `sync.Mutex` together with the data it guards. `mu.Lock(); defer mu.Unlock()` becomes
/// `let g = mu.lock();` (unlocked when `g` goes out of scope). See the [module docs](self) for
/// the algorithm (Go's, including starvation mode) and why a guard may be held across a park.
///
/// ```
/// use std::sync::Arc;
/// use rungo_sync::{Mutex, WaitGroup};
///
/// let counter = Arc::new(Mutex::new(0));
/// let wg = WaitGroup::new();
/// for _ in 0..4 {
///     let counter = counter.clone();
///     wg.go(move || *counter.lock() += 1);
/// }
/// wg.wait();
/// assert_eq!(*counter.lock(), 4);
/// ```
pub struct Mutex<T: ?Sized> {
    raw: RawMutex,
    data: UnsafeCell<T>,
}

// SAFETY: the mutex hands out `&mut T` to one task at a time, possibly on another thread, so `T`
// must be `Send`; moving the whole mutex moves `T`, same requirement.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: sharing `&Mutex<T>` lets any thread obtain exclusive access to `T` (one at a time), which
// requires only `T: Send` (the same reasoning as `std::sync::Mutex`).
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

impl<T> Mutex<T> {
    /// A new unlocked mutex holding `value`.
    /// Go: `var mu sync.Mutex` beside the data it guards.
    ///
    /// ```
    /// let m = rungo_sync::Mutex::new(5);
    /// assert_eq!(*m.lock(), 5);
    /// ```
    pub const fn new(value: T) -> Mutex<T> {
        Mutex {
            raw: RawMutex::new(),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the mutex, returning the data.
    /// Go: none (the guarded data is a separate variable in Go).
    ///
    /// ```
    /// assert_eq!(rungo_sync::Mutex::new(1).into_inner(), 1);
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks, parking the calling task until the lock is free, and returns a guard. Go:
    /// `(*Mutex).Lock`; dropping the guard is `Unlock`.
    ///
    /// ```
    /// let m = rungo_sync::Mutex::new(vec![1]);
    /// m.lock().push(2);
    /// assert_eq!(*m.lock(), [1, 2]);
    /// ```
    #[inline]
    #[track_caller]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.raw.lock();
        MutexGuard {
            mutex: self,
            _not_shared: PhantomData,
        }
    }

    /// Locks without blocking, or returns `None` if the mutex is held. Go: `(*Mutex).TryLock`.
    ///
    /// ```
    /// let m = rungo_sync::Mutex::new(0);
    /// let g = m.lock();
    /// assert!(m.try_lock().is_none());
    /// drop(g);
    /// assert!(m.try_lock().is_some());
    /// ```
    #[inline]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        // `then`, not `then_some`: the guard must not even be built (and dropped, unlocking) when
        // the lock was not taken.
        self.raw.try_lock().then(|| MutexGuard {
            mutex: self,
            _not_shared: PhantomData,
        })
    }

    /// Whether the mutex is held right now (a racy snapshot).
    /// Go: none (`sync.Mutex` keeps its state private).
    ///
    /// ```
    /// let m = rungo_sync::Mutex::new(());
    /// let _g = m.lock();
    /// assert!(m.is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.raw.is_locked()
    }

    /// Mutable access without locking: `&mut self` proves no one else can hold the lock.
    /// Go: none (the guarded data is a separate variable in Go).
    ///
    /// ```
    /// let mut m = rungo_sync::Mutex::new(1);
    /// *m.get_mut() = 2;
    /// assert_eq!(*m.lock(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Some(g) => d.field("data", &&*g),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish_non_exhaustive()
    }
}

/// Proof of holding a [`Mutex`]; unlocks when dropped. Go: the span between `Lock` and `Unlock`.
///
/// `Send` when `T: Send` (see the module docs: holding it across a park, or unlocking on another
/// task, is sound).
///
/// ```
/// let m = rungo_sync::Mutex::new(String::new());
/// let mut g = m.lock();
/// g.push_str("hi");
/// drop(g); // Unlock
/// assert_eq!(*m.lock(), "hi");
/// ```
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    // Makes the guard `Sync` only when `T: Sync` (a shared guard hands out `&T`), and `Send` only
    // when `T: Send`.
    _not_shared: PhantomData<&'a mut T>,
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The mutex this guard holds (for `Cond`).
    pub(crate) fn mutex(&self) -> &'a Mutex<T> {
        self.mutex
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while this task holds the lock, so no `&mut T` exists
        // elsewhere.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the lock is held and `&mut self` ensures this is the only live reference
        // derived from the guard.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.mutex.raw.unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_path_and_try_lock() {
        let m = Mutex::new(1);
        {
            let mut g = m.lock();
            *g += 1;
            assert!(m.try_lock().is_none());
        }
        assert_eq!(*m.try_lock().unwrap(), 2);
        assert_eq!(m.raw.state.load(Ordering::Relaxed), 0);
    }

    #[test]
    #[should_panic(expected = "sync: unlock of unlocked mutex")]
    fn unlock_unlocked_panics() {
        RawMutex::new().unlock();
    }
}
