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
//!
//! # `once_func`, `once_value`, `once_values` (Go 1.21)
//!
//! These wrap a `Once` together with `f` and its outcome in an `Arc`, and return a closure.
//! Their panic rule is Go's for `OnceFunc`, which differs from `Do`'s: `f`'s panic is caught,
//! its message stored, the panic resumed for the caller that ran `f`, and **re-raised on every
//! later call** (Go: "the returned function will panic with the same value on every call").
//! A `&'static str` or `String` payload (what `panic!` makes) is repeated with its type and
//! value; another payload type, which cannot be cloned, repeats as the text `Box<dyn Any>`.

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

/// The shared state of a [`once_value`] function: the `Once`, the not-yet-called `f`, and the
/// outcome (the value, or the panic to repeat).
struct OnceCall<F, T> {
    once: Once,
    f: std::sync::Mutex<Option<F>>,
    result: std::sync::OnceLock<Result<T, Repanic>>,
}

/// A copy of a panic payload that can be raised again: `panic!` payloads are a `&'static str`
/// or a `String`, both kept with their type; any other payload repeats as its type's name.
enum Repanic {
    Static(&'static str),
    Owned(String),
}

impl Repanic {
    fn of(payload: &(dyn std::any::Any + Send)) -> Repanic {
        if let Some(s) = payload.downcast_ref::<&'static str>() {
            Repanic::Static(s)
        } else if let Some(s) = payload.downcast_ref::<String>() {
            Repanic::Owned(s.clone())
        } else {
            Repanic::Static("Box<dyn Any>")
        }
    }

    fn raise(&self) -> ! {
        match self {
            Repanic::Static(s) => std::panic::panic_any(*s),
            Repanic::Owned(s) => std::panic::panic_any(s.clone()),
        }
    }
}

impl<F: FnOnce() -> T, T: Clone> OnceCall<F, T> {
    fn call(&self) -> T {
        let mut first_panic = None;
        self.once.call_once(|| {
            let f = crate::sema::lock(&self.f)
                .take()
                .expect("once: f taken twice");
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            let outcome = r.map_err(|payload| {
                let again = Repanic::of(&*payload);
                first_panic = Some(payload);
                again
            });
            // Set exactly once: only the `Once`'s single run gets here.
            let _ = self.result.set(outcome);
        });
        if let Some(payload) = first_panic {
            // The caller that ran `f` panics with `f`'s own payload.
            std::panic::resume_unwind(payload);
        }
        match self.result.get().expect("once: no outcome after call_once") {
            Ok(v) => v.clone(),
            Err(again) => again.raise(),
        }
    }
}

/// A function that calls `f` on its first call only; every call (from any task) returns after
/// that one call has finished. Go 1.21: `sync.OnceFunc`.
///
/// If `f` panics, the caller that ran it panics with `f`'s payload and **every later call
/// panics too** with the same message (Go: "the returned function will panic with the same
/// value on every call"), unlike [`Once::call_once`]. The returned closure is cheap to clone
/// (an `Arc`); clones share the one call.
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// static CALLS: AtomicU32 = AtomicU32::new(0);
/// let init = rungo_sync::once_func(|| { CALLS.fetch_add(1, Ordering::Relaxed); });
/// let init2 = init.clone();
/// init();
/// init2();
/// assert_eq!(CALLS.load(Ordering::Relaxed), 1);
/// ```
pub fn once_func<F>(f: F) -> impl Fn() + Clone + Send + Sync
where
    F: FnOnce() + Send,
{
    once_value(f)
}

/// A function that calls `f` on its first call only and returns (a clone of) its value on every
/// call. Go 1.21: `sync.OnceValue`. Panics as [`once_func`] does: on every call, if `f` panicked.
///
/// ```
/// let config = rungo_sync::once_value(|| String::from("loaded"));
/// assert_eq!(config(), "loaded");
/// assert_eq!(config(), "loaded");
/// ```
pub fn once_value<F, T>(f: F) -> impl Fn() -> T + Clone + Send + Sync
where
    F: FnOnce() -> T + Send,
    T: Clone + Send + Sync,
{
    let call = std::sync::Arc::new(OnceCall {
        once: Once::new(),
        f: std::sync::Mutex::new(Some(f)),
        result: std::sync::OnceLock::new(),
    });
    move || call.call()
}

/// A function that calls `f` on its first call only and returns (clones of) its two values on
/// every call. Go 1.21: `sync.OnceValues` (typically a value and an error). Panics as
/// [`once_func`] does.
///
/// ```
/// let read = rungo_sync::once_values(|| (42u32, None::<String>));
/// let (n, err) = read();
/// assert_eq!((n, err), (42, None));
/// ```
pub fn once_values<F, T1, T2>(f: F) -> impl Fn() -> (T1, T2) + Clone + Send + Sync
where
    F: FnOnce() -> (T1, T2) + Send,
    T1: Clone + Send + Sync,
    T2: Clone + Send + Sync,
{
    once_value(f)
}
