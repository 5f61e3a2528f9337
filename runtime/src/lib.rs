//! rungo-runtime (TEMPORARY thread-backed skeleton: the public API is final, the internals are
//! being replaced by the coroutine scheduler).
#![allow(missing_docs)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// Spawns a coroutine. `go!(move || ...)` or `go!(f, a, b)`.
#[macro_export]
macro_rules! go {
    ($f:expr) => {
        $crate::spawn($f)
    };
    ($f:expr, $($arg:expr),+ $(,)?) => {{
        let f = $f;
        let args = ($($arg,)+);
        $crate::spawn(move || $crate::Apply::apply(f, args))
    }};
}

/// Calls a function with a tuple of arguments: how `go!(f, a, b)` runs `f(a, b)`.
#[doc(hidden)]
pub trait Apply<Args> {
    type Output;
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

pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let packet = Arc::new(Mutex::new((None, None::<Thread>)));
    let p = packet.clone();
    std::thread::spawn(move || {
        let r = catch_unwind(AssertUnwindSafe(f));
        let w = {
            let mut g = p.lock().unwrap();
            g.0 = Some(r);
            g.1.take()
        };
        if let Some(w) = w {
            w.unpark();
        }
    });
    JoinHandle { packet }
}

pub struct JoinHandle<T> {
    #[allow(clippy::type_complexity)]
    packet: Arc<Mutex<(Option<std::thread::Result<T>>, Option<Thread>)>>,
}

impl<T> JoinHandle<T> {
    pub fn join(self) -> std::thread::Result<T> {
        loop {
            {
                let mut g = self.packet.lock().unwrap();
                if let Some(r) = g.0.take() {
                    return r;
                }
                g.1 = Some(std::thread::current());
            }
            std::thread::park();
        }
    }
    pub fn is_finished(&self) -> bool {
        self.packet.lock().unwrap().0.is_some()
    }
}

/// Handle to a task (coroutine or thread) that can wake it from any thread.
#[derive(Clone, Debug)]
pub struct Unparker(Thread);

impl Unparker {
    /// The handle of the calling task.
    pub fn current() -> Unparker {
        Unparker(std::thread::current())
    }
    /// Makes the token available / wakes the task if parked.
    pub fn unpark(&self) {
        self.0.unpark()
    }
}

pub fn park() {
    std::thread::park()
}
pub fn park_timeout(d: Duration) {
    std::thread::park_timeout(d)
}
pub fn park_until(deadline: Instant) {
    let now = Instant::now();
    if deadline > now {
        std::thread::park_timeout(deadline - now)
    }
}
pub fn yield_now() {
    std::thread::yield_now()
}
pub fn sleep(d: Duration) {
    std::thread::sleep(d)
}
pub fn gomaxprocs() -> usize {
    2
}
pub fn run<F, T>(f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match spawn(f).join() {
        Ok(v) => v,
        Err(p) => std::panic::resume_unwind(p),
    }
}
