//! rungo-runtime: goroutines for Rust. Stackful coroutines on lazy, guarded, page-grown stacks,
//! multiplexed M:N onto one worker thread per core with work stealing, and the small blocking
//! contract (`park`/`unpark`) that rungo's channels and `sync` are built on.
//!
//! ```
//! use rungo_runtime::{go, run};
//!
//! let sum = run(|| {
//!     let handles: Vec<_> = (0..10u64).map(|i| go!(move || i * i)).collect();
//!     handles.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
//! });
//! assert_eq!(sum, 285);
//! ```
//!
//! # Map of the crate
//!
//! | module | owns |
//! |---|---|
//! | `sched` | workers, run queues, work stealing, the soundness rule (started coroutines never migrate); `sched::idle`: searching and sleeping workers; `sched::sysmon`: the monitor thread (stuck workers' unstarted work handed off, preempt requests, polls on their behalf, stall reports, the deadlock check) |
//! | `task` | the coroutine control block and its park state machine; `task::reference`: `TaskRef`, the counted reference, and the recycled memory tasks live in |
//! | `stack` | stack regions, guard pages (`MADV_GUARD_INSTALL` or `mprotect` with a mapping budget), pool, trim; `stack::overflow`: the overflow report |
//! | [`io`](mod@io) | the netpoller: each worker's epoll (also where it sleeps), `Registration` (Go's `pollDesc`): the readiness contract |
//! | `timer` | per-worker deadlines for `park_until`, `sleep` and every timed operation |
//! | [`park`](mod@park) | the public blocking contract, and [`WaitReason`]/[`Waiting`] |
//! | `spawn` | `Builder`, `spawn`, `JoinHandle`, `run` |
//! | `blocking` | [`blocking`](fn@blocking), the pool of plain threads that runs blocking calls off the workers; [`fs`]: whole-file reads and writes through it |
//! | `introspect` | [`dump`], [`metrics`], `SIGQUIT`, the deadlock check; [`trace`](mod@trace): the opt-in tracer; `introspect::panic_hook`: panic reports that name the coroutine |
//! | `config` | `GOMAXPROCS`, the blocking pool's cap, [`RuntimeBuilder`] |
//! | `cpus` | the CPUs the process can use (affinity mask, cgroup quota): the default `GOMAXPROCS` |
//!
//! # What a coroutine costs
//!
//! Unstarted, a coroutine is its control block and boxed closure: no stack. Started, it holds a
//! 256 KiB reservation of address space of which only touched pages are memory: one 4 KiB page
//! for a coroutine parked on a channel. Figures measured on this project's machine are in the
//! README.
//!
//! # Requirements
//!
//! Linux on x86_64. Guard pages use `MADV_GUARD_INSTALL` (Linux 6.13+) and then cost no kernel
//! mappings; older kernels fall back to `mprotect` guards, and the number of live coroutines is
//! bounded by `vm.max_map_count` (about 30,000 at the default 65530), with a clear error beyond.
#![deny(unsafe_op_in_unsafe_fn)]

mod blocking;
mod config;
mod cpus;
mod introspect;
pub mod io;
pub mod park;
mod sched;
mod spawn;
mod stack;
mod task;
mod timer;

pub use blocking::fs;
pub use blocking::{BlockingPoolStats, blocking, blocking_pool_stats};
pub use config::{ConfigError, DEFAULT_STACK_SIZE, RuntimeBuilder};
pub use introspect::trace;
pub use introspect::{Metrics, ThreadIdle, dump, metrics};
pub use park::{
    RawUnparker, Unparker, WaitReason, Waiting, Wakeup, current_id, park, park_timeout, park_until,
    sleep, yield_now,
};
pub use sched::preempt_point;
pub use spawn::{Builder, JoinHandle, run, spawn};
pub use task::Coroutine;

/// Spawns a coroutine and returns its [`JoinHandle`], which may be dropped (detached) or joined.
///
/// Go: the `go` statement. `go!(move || ...)` runs the closure; `go!(f, a, b)` evaluates the
/// arguments now and runs `f(a, b)` in the new coroutine, like Go's `go f(a, b)`. Works from
/// anywhere (plain `fn main`, any thread, another coroutine); the runtime starts itself on first
/// use. Panics if no stack can be had: [`Builder::spawn`] returns that error instead.
///
/// ```
/// use rungo_runtime::go;
///
/// fn add(a: i32, b: i32) -> i32 { a + b }
/// assert_eq!(go!(add, 1, 2).join().unwrap(), 3);
/// let v = vec![1, 2, 3];
/// assert_eq!(go!(move || v.len()).join().unwrap(), 3);
/// ```
///
/// # Capture list
///
/// A Go closure shares the variables it mentions; a `move` closure takes them. A list in
/// brackets before either form clones the named variables into the coroutine, so the caller
/// keeps its own: `go!([jobs, results] move || ...)` is
/// `{ let jobs = jobs.clone(); let results = results.clone(); go!(move || ...) }`.
/// `name = expr` binds `name` to `expr` instead (evaluated now), for a view or another
/// handle: `go!([tx = ch.sender()] move || tx.send(1))`.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use rungo_runtime::go;
///
/// let hits = Arc::new(AtomicU32::new(0));
/// let name = String::from("worker");
/// let hs: Vec<_> = (0..3)
///     .map(|_| go!([hits, label = format!("{name}!")] move || {
///         hits.fetch_add(1, Ordering::Relaxed);
///         label
///     }))
///     .collect();
/// for h in hs {
///     assert_eq!(h.join().unwrap(), "worker!");
/// }
/// assert_eq!(hits.load(Ordering::Relaxed), 3); // `hits` is still ours
/// fn count(h: Arc<AtomicU32>) -> u32 { h.load(Ordering::Relaxed) }
/// assert_eq!(go!([hits] count, hits).join().unwrap(), 3); // with the `go!(f, args)` form
/// assert_eq!(Arc::strong_count(&hits), 1);
/// ```
#[macro_export]
macro_rules! go {
    ([$($cap:ident $(= $init:expr)?),+ $(,)?] $($rest:tt)+) => {{
        $(let $cap = $crate::__go_capture!($cap $(, $init)?);)+
        $crate::go!($($rest)+)
    }};
    ($f:expr) => {
        $crate::spawn($f)
    };
    ($f:expr, $($arg:expr),+ $(,)?) => {{
        let f = $f;
        let args = ($($arg,)+);
        $crate::spawn(move || $crate::Apply::apply(f, args))
    }};
}

/// One entry of `go!`'s capture list: a clone of the variable, or the given expression.
#[doc(hidden)]
#[macro_export]
macro_rules! __go_capture {
    ($cap:ident) => {
        ::core::clone::Clone::clone(&$cap)
    };
    ($cap:ident, $init:expr) => {
        $init
    };
}

/// Calls a function with a tuple of arguments: how `go!(f, a, b)` runs `f(a, b)`.
#[doc(hidden)]
pub trait Apply<Args> {
    /// The function's return type.
    type Output;
    /// Calls `self` with the tuple's elements as arguments.
    fn apply(self, args: Args) -> Self::Output;
}

macro_rules! impl_apply {
    ($($a:ident),+) => {
        impl<Func, Out, $($a),+> Apply<($($a,)+)> for Func
        where
            Func: FnOnce($($a),+) -> Out,
        {
            type Output = Out;
            #[allow(non_snake_case)]
            fn apply(self, ($($a,)+): ($($a,)+)) -> Out {
                self($($a),+)
            }
        }
    };
}
impl_apply!(A);
impl_apply!(A, B);
impl_apply!(A, B, C);
impl_apply!(A, B, C, D);
impl_apply!(A, B, C, D, E);
impl_apply!(A, B, C, D, E, G);
impl_apply!(A, B, C, D, E, G, H);
impl_apply!(A, B, C, D, E, G, H, I);

/// The coroutine that calls it, or `None` on a plain thread.
///
/// Go: none (goroutine ids are hidden in Go); the counterpart of `std::thread::current`.
pub fn current() -> Option<Coroutine> {
    park::current_task().map(|task| Coroutine { task })
}

/// The number of live coroutines: spawned and not yet finished (parked, runnable, running or not
/// yet started). A coroutine whose `join` has returned is no longer counted.
///
/// Go: `runtime.NumGoroutine()` (which also counts `main`).
pub fn num_goroutine() -> usize {
    sched::runtime().live()
}

/// Timed parks in progress (a `sleep`, a `park_timeout`, a channel operation with a timeout):
/// entries in the workers' timer heaps. For tests and diagnostics.
#[doc(hidden)]
pub fn pending_timers() -> usize {
    sched::runtime().pending_timers()
}

/// Whether sysmon last saw the workers wait for CPUs that other threads hold, so that idle
/// workers sleep at once instead of spinning (see "Blocking calls and busy coroutines" in the
/// README). For tests and diagnostics. Go: none (Go's spinning Ms do not look at contention).
#[doc(hidden)]
pub fn cpu_contended() -> bool {
    sched::runtime().cpu_contended()
}

/// Workers searching for work to steal right now, read without waking anyone (unlike
/// [`metrics`], whose workers search briefly after answering). For tests and diagnostics.
/// Go: the spinning threads of `GODEBUG=schedtrace`.
#[doc(hidden)]
pub fn searching_workers() -> usize {
    sched::runtime().searching()
}

/// Sets the number of worker threads that take new work and returns the previous setting
/// (`n == 0` only reads it). Go: `runtime.GOMAXPROCS(n)`.
///
/// Before the runtime has started, this is its configuration (as [`RuntimeBuilder`]). After,
/// it can be raised up to the larger of the starting `GOMAXPROCS` and the CPUs the process may
/// use (the added workers start when work needs them), and lowered: workers above the new
/// count stop taking new work, but a coroutine that already started on one of them stays there
/// until it finishes (a started coroutine never changes thread, which is what makes `go!`
/// safe), where Go would move its goroutines to the remaining Ps.
///
/// ```
/// let before = rungo_runtime::set_gomaxprocs(1);
/// assert_eq!(rungo_runtime::gomaxprocs(), 1);
/// rungo_runtime::set_gomaxprocs(before);
/// ```
pub fn set_gomaxprocs(n: usize) -> usize {
    if n == 0 {
        return gomaxprocs();
    }
    if sched::running().is_none() {
        let default = config::Config::from_env().workers;
        if RuntimeBuilder::new().gomaxprocs(n).start().is_ok() {
            return default;
        }
    }
    sched::runtime().set_limit(n)
}

/// The number of worker threads that take new work (starts the runtime if needed). Without
/// `GOMAXPROCS` it is the CPUs the process can use, by Go 1.25's rule: the affinity mask,
/// lowered to a cgroup CPU quota rounded up but not below 2.
///
/// Go: `runtime.GOMAXPROCS(0)`.
pub fn gomaxprocs() -> usize {
    sched::runtime().num_workers()
}
