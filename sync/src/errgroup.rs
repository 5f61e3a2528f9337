//! `Group`: `golang.org/x/sync/errgroup`.
//!
//! # Design
//!
//! A group is a [`WaitGroup`] plus a slot for the first error, a slot for the first panic, an
//! optional concurrency limit and, for [`Group::with_context`], the [`CancelFunc`] of a derived
//! context.
//!
//! - `go(f)` first takes a permit from the limit (a FIFO [`Semaphore`] of `n` permits; Go uses a
//!   buffered channel of `n` tokens), parking while `n` tasks are active, then spawns `f` counted
//!   by the wait group.
//! - When `f` returns `Err(e)`, the first such error is kept (later ones are dropped, as in Go) and
//!   the group's context, if any, is cancelled at once, so siblings watching `ctx.done()` stop.
//! - If `f` panics, the panic is caught, the task still counts as done, and `wait` re-raises the
//!   first panic after all tasks have finished (recent errgroup versions do the same; a panic is
//!   never silently turned into success). The payload cannot be copied, so only the first
//!   `wait` re-raises it; later ones panic with a message saying a task panicked.
//! - `wait()` waits for every task, cancels the context (Go does too), and returns the first
//!   error, every time it is called, as Go's `Wait` returns its `err` field: the error is kept,
//!   never taken, and a later error never replaces it.
//!
//! # Why `wait` needs `E: Clone`
//!
//! Go returns its one `error` value from every `Wait`. Handing out an owned `E` more than once
//! needs a copy, so [`Group::wait`] requires `E: Clone`; an error type that is not `Clone`
//! (`std::io::Error`, `Box<dyn Error>`) goes in an `Arc` (`Group<Arc<io::Error>>`,
//! `.map_err(Arc::new)` in the task), which is what Go's interface value is: a shared pointer.
//! The alternatives were worse: taking the error (the old behaviour: a second `wait` returned
//! `Ok`, unlike Go), or returning `Arc<E>` or `&E` from every group (awkward for the common
//! `Clone` errors like `String` or small enums). Only `wait` has the bound; `go` accepts any
//! `E: Send`.
//!
//! `Group` is a cheap handle (`Arc` inside): clone it to call `go` from inside a task.

use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Arc, Mutex as StdMutex};

use crate::context::{self, CancelFunc, Context};
use crate::sema::lock;
use crate::semaphore::Semaphore;
use crate::waitgroup::WaitGroup;

struct Inner<E> {
    wg: WaitGroup,
    err: StdMutex<Option<E>>,
    /// `Some` once a task panicked; the payload inside until a `wait` re-raises it.
    panic: StdMutex<Option<Option<Box<dyn Any + Send>>>>,
    limit: StdMutex<Option<Arc<Semaphore>>>,
    cancel: Option<CancelFunc>,
}

/// A collection of tasks working on subtasks of a common job; `wait` returns the first error.
/// Go: `errgroup.Group`.
///
/// ```
/// use rungo_sync::Group;
///
/// let g = Group::new();
/// for i in 0..4 {
///     g.go(move || if i == 2 { Err(format!("task {i} failed")) } else { Ok(()) });
/// }
/// assert_eq!(g.wait(), Err("task 2 failed".to_string()));
/// ```
pub struct Group<E> {
    inner: Arc<Inner<E>>,
}

impl<E> Clone for Group<E> {
    fn clone(&self) -> Self {
        Group {
            inner: self.inner.clone(),
        }
    }
}

impl<E> fmt::Debug for Group<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group")
            .field("active", &self.inner.wg.count())
            .finish_non_exhaustive()
    }
}

impl<E: Send + 'static> Default for Group<E> {
    fn default() -> Self {
        Group::new()
    }
}

impl<E: Send + 'static> Group<E> {
    /// An empty group without a limit or context. Go: `var g errgroup.Group`.
    ///
    /// ```
    /// let g: rungo_sync::Group<String> = rungo_sync::Group::new();
    /// assert_eq!(g.wait(), Ok(()));
    /// ```
    pub fn new() -> Group<E> {
        Group::with_cancel(None)
    }

    fn with_cancel(cancel: Option<CancelFunc>) -> Group<E> {
        Group {
            inner: Arc::new(Inner {
                wg: WaitGroup::new(),
                err: StdMutex::new(None),
                panic: StdMutex::new(None),
                limit: StdMutex::new(None),
                cancel,
            }),
        }
    }

    /// A group and a context derived from `parent` that is cancelled the first time a task
    /// returns an error, or when `wait` returns (or when the last handle of the group is
    /// dropped). Go: `errgroup.WithContext`.
    ///
    /// ```
    /// use rungo_sync::{context, Group};
    /// let (g, ctx) = Group::with_context(&context::background());
    /// let c = ctx.clone();
    /// g.go(move || { c.wait(); Ok::<(), String>(()) }); // stops when a sibling fails
    /// g.go(|| Err("boom".to_string()));
    /// assert_eq!(g.wait(), Err("boom".to_string()));
    /// assert!(ctx.err().is_some());
    /// ```
    pub fn with_context(parent: &Context) -> (Group<E>, Context) {
        let (ctx, cancel) = context::with_cancel(parent);
        (Group::with_cancel(Some(cancel)), ctx)
    }

    /// Runs `f` in a new coroutine, first parking while the limit's worth of tasks are active.
    /// The first `Err` is kept for [`Group::wait`] and cancels the group's context.
    /// Go: `(*Group).Go`.
    ///
    /// ```
    /// let g = rungo_sync::Group::<std::sync::Arc<std::io::Error>>::new();
    /// g.go(|| Ok(()));
    /// g.wait().unwrap();
    /// ```
    pub fn go<F>(&self, f: F)
    where
        F: FnOnce() -> Result<(), E> + Send + 'static,
    {
        let sem = lock(&self.inner.limit).clone();
        if let Some(sem) = &sem {
            sem.acquire(1);
        }
        self.spawn(f, sem);
    }

    /// Runs `f` in a new coroutine only if that does not exceed the limit; returns whether it
    /// did. Go: `(*Group).TryGo`.
    ///
    /// ```
    /// let g = rungo_sync::Group::<()>::new();
    /// g.set_limit(Some(1));
    /// let (tx, rx) = std::sync::mpsc::channel::<()>();
    /// assert!(g.try_go(move || { let _ = rx.recv(); Ok(()) }));
    /// assert!(!g.try_go(|| Ok(())));
    /// tx.send(()).unwrap();
    /// g.wait().unwrap();
    /// ```
    pub fn try_go<F>(&self, f: F) -> bool
    where
        F: FnOnce() -> Result<(), E> + Send + 'static,
    {
        let sem = lock(&self.inner.limit).clone();
        if let Some(sem) = &sem {
            if !sem.try_acquire(1) {
                return false;
            }
        }
        self.spawn(f, sem);
        true
    }

    fn spawn<F>(&self, f: F, sem: Option<Arc<Semaphore>>)
    where
        F: FnOnce() -> Result<(), E> + Send + 'static,
    {
        self.inner.wg.add(1);
        let inner = self.inner.clone();
        rungo_runtime::spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(f));
            match result {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    let first = {
                        let mut slot = lock(&inner.err);
                        let first = slot.is_none();
                        if first {
                            *slot = Some(e);
                        }
                        first
                    };
                    if first {
                        if let Some(c) = &inner.cancel {
                            c.cancel();
                        }
                    }
                }
                Err(p) => {
                    lock(&inner.panic).get_or_insert(Some(p));
                    if let Some(c) = &inner.cancel {
                        c.cancel();
                    }
                }
            }
            if let Some(sem) = sem {
                sem.release(1);
            }
            inner.wg.done();
        });
    }

    /// Waits for every task started with `go`, then returns the first error, if any. Every call
    /// returns that same first error (a clone of it: see the module docs for why `E: Clone`),
    /// even after more tasks have run and failed. Cancels the group's context.
    /// Go: `(*Group).Wait`.
    ///
    /// # Panics
    ///
    /// Re-raises the first panic of a task, after all tasks have finished. A later `wait`
    /// panics too, with a message saying so (the payload went to the first).
    ///
    /// ```
    /// let g = rungo_sync::Group::new();
    /// g.go(|| Err(1));
    /// g.go(|| Ok(()));
    /// assert_eq!(g.wait(), Err(1));
    /// assert_eq!(g.wait(), Err(1), "the first error, every time");
    ///
    /// // An error type that is not `Clone` is shared through an `Arc`.
    /// use std::sync::Arc;
    /// let g = rungo_sync::Group::<Arc<std::io::Error>>::new();
    /// g.go(|| Err(Arc::new(std::io::Error::other("boom"))));
    /// assert_eq!(g.wait().unwrap_err().to_string(), "boom");
    /// assert_eq!(g.wait().unwrap_err().to_string(), "boom");
    /// ```
    pub fn wait(&self) -> Result<(), E>
    where
        E: Clone,
    {
        self.inner.wg.wait();
        if let Some(c) = &self.inner.cancel {
            c.cancel();
        }
        let panicked = lock(&self.inner.panic).as_mut().map(Option::take);
        match panicked {
            Some(Some(payload)) => resume_unwind(payload),
            Some(None) => panic!("errgroup: a task panicked (re-raised by an earlier wait)"),
            None => {}
        }
        match &*lock(&self.inner.err) {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// Limits the number of active tasks to `limit` (`None`: no limit). Go: `(*Group).SetLimit`
    /// (Go's negative `n` is `None` here).
    ///
    /// # Panics
    ///
    /// If tasks are active under the current limit (Go: "errgroup: modify limit while N
    /// goroutines in the group are still active").
    ///
    /// ```
    /// let g = rungo_sync::Group::<()>::new();
    /// g.set_limit(Some(2));
    /// for _ in 0..10 { g.go(|| Ok(())); }
    /// g.wait().unwrap();
    /// ```
    pub fn set_limit(&self, limit: Option<usize>) {
        let mut slot = lock(&self.inner.limit);
        if let Some(sem) = slot.as_ref() {
            let active = sem.held();
            if active != 0 {
                drop(slot);
                panic!(
                    "errgroup: modify limit while {active} goroutines in the group are still active"
                );
            }
        }
        *slot = limit.map(|n| Arc::new(Semaphore::new(n as u64)));
    }
}
