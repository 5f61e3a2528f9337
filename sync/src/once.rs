//! `Once`: Go's `sync.Once`.
//!
//! # Design
//!
//! Go's algorithm: an atomic `done` flag for the fast path and a [`RawMutex`] for the slow path.
//! The first caller takes the mutex, runs `f`, then sets `done` (Release) and unlocks. Concurrent
//! callers park on the mutex, and when they get it they see `done` and return: so when
//! `call_once` returns, `f` has *finished* (not merely started), which is the guarantee Go makes
//! and the reason a bare compare-and-swap is not enough.
//!
//! # Panics in `f`: Go's behaviour, not std's poisoning
//!
//! If `f` panics, the panic propagates to the caller that ran it, and the `Once` **counts as
//! done**: later calls return without calling anything (Go: "if f panics, Do considers it to have
//! returned; future calls of Do return without calling f"). `std::sync::Once` instead poisons and
//! makes every later call panic. Go's rule is kept because ported Go programs depend on it (e.g.
//! a recovered panic in an initialiser must not turn every later call into a panic), and because
//! this `Once` stores no value that could be left half-built: the closure owns whatever it
//! initialises. Use [`Once::is_done`] to observe completion.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::mutex::RawMutex;

/// Runs an action exactly once. Go: `sync.Once`.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// static INIT: rungo_sync::Once = rungo_sync::Once::new();
/// static CALLS: AtomicUsize = AtomicUsize::new(0);
///
/// for _ in 0..3 {
///     INIT.call_once(|| { CALLS.fetch_add(1, Ordering::Relaxed); });
/// }
/// assert_eq!(CALLS.load(Ordering::Relaxed), 1);
/// ```
pub struct Once {
    done: AtomicBool,
    m: RawMutex,
}

impl Default for Once {
    fn default() -> Self {
        Once::new()
    }
}

impl fmt::Debug for Once {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Once")
            .field("done", &self.is_done())
            .finish()
    }
}

/// Sets `done` then unlocks, on return and on unwind (Go's two `defer`s, in the same order).
struct Finish<'a>(&'a Once);

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        self.0.done.store(true, Ordering::Release);
    }
}

struct Unlock<'a>(&'a RawMutex);

impl Drop for Unlock<'_> {
    fn drop(&mut self) {
        self.0.unlock();
    }
}

impl Once {
    /// A `Once` that has not run. Go: `var once sync.Once`.
    ///
    /// ```
    /// let once = rungo_sync::Once::new();
    /// assert!(!once.is_done());
    /// ```
    pub const fn new() -> Once {
        Once {
            done: AtomicBool::new(false),
            m: RawMutex::new(),
        }
    }

    /// Calls `f` if and only if this is the first call; other callers park until it has finished.
    /// Go: `(*Once).Do`. A panic in `f` propagates and still marks the `Once` done (see the
    /// [module docs](self)). Calling `call_once` on the same `Once` from inside `f` deadlocks, as
    /// in Go.
    ///
    /// ```
    /// let once = rungo_sync::Once::new();
    /// let mut n = 0;
    /// once.call_once(|| n += 1);
    /// once.call_once(|| n += 1);
    /// assert_eq!(n, 1);
    /// ```
    pub fn call_once(&self, f: impl FnOnce()) {
        if !self.done.load(Ordering::Acquire) {
            self.call_slow(f);
        }
    }

    #[cold]
    fn call_slow(&self, f: impl FnOnce()) {
        self.m.lock();
        let _unlock = Unlock(&self.m);
        if !self.done.load(Ordering::Relaxed) {
            let _finish = Finish(self);
            f();
        }
    }

    /// Whether `f` has run to completion (or panicked).
    /// Go: none (`sync.Once` keeps `done` private).
    ///
    /// ```
    /// let once = rungo_sync::Once::new();
    /// once.call_once(|| {});
    /// assert!(once.is_done());
    /// ```
    pub fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }
}
