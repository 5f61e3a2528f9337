//! Go's `context` package: cancellation trees with deadlines, and request-scoped values.
//!
//! # What this module owns
//!
//! A [`Context`] is a cheap handle (`Arc`) to a node in a tree. Nodes are of three kinds:
//!
//! - **background**: the root, never cancelled, no deadline ([`background()`], [`todo()`]);
//! - **cancel**: made by [`with_cancel`], [`with_deadline`], [`with_timeout`]; owns the
//!   cancellation state below;
//! - **value**: made by [`with_value`]; delegates cancellation to its parent.
//!
//! A cancel node's state, behind a short internal lock:
//!
//! ```text
//!   err       None until cancelled, then Canceled or DeadlineExceeded (never changes again);
//!             mirrored in an atomic so `err()` is lock-free
//!   done      the done channel, created lazily by the first `done()`, closed on cancel
//!   children  Weak refs to the cancel nodes whose nearest cancellable ancestor is this one
//!   hooks     wake-up callbacks of tasks blocked in `Context::wait` / `Semaphore::acquire_ctx`
//!   timer     the key of this node's deadline entry in the timer table, if any
//! ```
//!
//! # Cancellation
//!
//! `cancel(node, err)` sets `err` (first writer wins), takes `done`, `children`, `hooks` and
//! `timer` out *under the lock*, releases it, and then: closes the done channel (every
//! `recv`/`select!` on it wakes), cancels each child with the same error, runs the hooks, removes
//! the timer entry, and unregisters itself from its parent. Since everything is taken out of the
//! state in one critical section, each is handled exactly once.
//!
//! **Propagation without races.** A new cancel node registers with its nearest cancellable
//! ancestor under that ancestor's lock: if the ancestor is already cancelled, the child is
//! cancelled at once with the ancestor's error; otherwise it joins `children`, and the ancestor's
//! later cancel will take it. Locks are taken parent-then-child never; cancel releases a node's
//! lock before touching its children or parent, so there is no lock-order cycle.
//!
//! # Deadlines and timers (no leaks)
//!
//! Deadlines live in one process-wide timer table (`BTreeMap<(Instant, id), Weak<node>>`) served
//! by one plain OS thread, `rungo-context-timer`, which sleeps until the earliest deadline and
//! cancels expired nodes with `DeadlineExceeded`. (The runtime's public contract offers
//! `park_until` but no timer callbacks. rungo-channels' `time::after_func` keeps a stopped entry
//! in its lazy heap until the deadline, which would hold an hour-long timeout's closure for an
//! hour after `cancel`; this table removes the entry at once. A dedicated thread also keeps
//! deadlines firing while every worker runs CPU-bound coroutines; it wakes coroutines through
//! the runtime's cross-thread unpark, like any other waker.) Cancelling a node removes its entry, so a
//! [`CancelFunc`] that is called *or dropped* leaves nothing in the table:
//! **dropping a `CancelFunc` cancels its context**, which is Go's `defer cancel()` made automatic.
//! Bind it to a named variable (`let (ctx, _cancel) = ...`), not `_`, or the context is cancelled
//! immediately. [`pending_timers`] exposes the table size for tests.
//!
//! # `done()` and `select!`
//!
//! [`Context::done`] returns a receive-only channel of rungo-channels (`Receiver<()>`), closed on
//! cancellation, so it works in `select!`, with `recv()`, exactly like Go's `<-ctx.Done()`. The
//! background context returns a nil channel, which `select!` never chooses.

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap};
use std::error::Error;
use std::fmt;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex as StdMutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use rungo_channels::{Chan, Receiver, chan};
use rungo_runtime::Unparker;

use crate::sema::lock;

/// Why a context is done. Go: `context.Canceled` and `context.DeadlineExceeded`.
///
/// ```
/// use rungo_sync::context::{self, ContextError};
/// let (ctx, cancel) = context::with_cancel(&context::background());
/// cancel.cancel();
/// assert_eq!(ctx.err(), Some(ContextError::Canceled));
/// assert_eq!(ContextError::Canceled.to_string(), "context canceled");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContextError {
    /// The context was cancelled. Go: `context.Canceled` ("context canceled").
    Canceled,
    /// The context's deadline passed. Go: `context.DeadlineExceeded`
    /// ("context deadline exceeded").
    DeadlineExceeded,
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ContextError::Canceled => "context canceled",
            ContextError::DeadlineExceeded => "context deadline exceeded",
        })
    }
}

impl Error for ContextError {}

const ERR_NONE: u8 = 0;
const ERR_CANCELED: u8 = 1;
const ERR_DEADLINE: u8 = 2;

fn encode(e: ContextError) -> u8 {
    match e {
        ContextError::Canceled => ERR_CANCELED,
        ContextError::DeadlineExceeded => ERR_DEADLINE,
    }
}

fn decode(v: u8) -> Option<ContextError> {
    match v {
        ERR_CANCELED => Some(ContextError::Canceled),
        ERR_DEADLINE => Some(ContextError::DeadlineExceeded),
        _ => None,
    }
}

type Hook = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct CancelState {
    done: Option<Chan<()>>,
    children: HashMap<u64, Weak<Node>>,
    hooks: HashMap<u64, Hook>,
    timer: Option<(Instant, u64)>,
}

struct CancelNode {
    id: u64,
    err: AtomicU8,
    state: StdMutex<CancelState>,
}

enum Kind {
    Background {
        todo: bool,
    },
    Cancel(CancelNode),
    Value {
        key: TypeId,
        value: Arc<dyn Any + Send + Sync>,
    },
}

struct Node {
    parent: Option<Context>,
    deadline: Option<Instant>,
    kind: Kind,
}

fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A cancellation signal, a deadline and values, passed down a call tree. Go: `context.Context`.
///
/// Clone it freely (an `Arc`). Create roots with [`background`]; derive with [`with_cancel`],
/// [`with_timeout`], [`with_deadline`], [`with_value`].
///
/// ```
/// use std::time::Duration;
/// use rungo_sync::context::{self, ContextError};
///
/// let (ctx, _cancel) = context::with_timeout(&context::background(), Duration::from_millis(10));
/// ctx.done().recv(); // Go: <-ctx.Done()
/// assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded));
/// ```
#[derive(Clone)]
pub struct Context {
    node: Arc<Node>,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.node.kind {
            Kind::Background { todo: false } => "background",
            Kind::Background { todo: true } => "todo",
            Kind::Cancel(_) => "cancel",
            Kind::Value { .. } => "value",
        };
        f.debug_struct("Context")
            .field("kind", &kind)
            .field("deadline", &self.node.deadline)
            .field("err", &self.err())
            .finish()
    }
}

/// The root context: never cancelled, no deadline, no values. Go: `context.Background()`.
///
/// ```
/// let ctx = rungo_sync::context::background();
/// assert!(ctx.err().is_none());
/// assert!(ctx.done().is_nil());
/// ```
pub fn background() -> Context {
    static BG: OnceLock<Context> = OnceLock::new();
    BG.get_or_init(|| Context {
        node: Arc::new(Node {
            parent: None,
            deadline: None,
            kind: Kind::Background { todo: false },
        }),
    })
    .clone()
}

/// A root context marking "not decided yet". Go: `context.TODO()`.
///
/// ```
/// assert!(rungo_sync::context::todo().err().is_none());
/// ```
pub fn todo() -> Context {
    static TODO: OnceLock<Context> = OnceLock::new();
    TODO.get_or_init(|| Context {
        node: Arc::new(Node {
            parent: None,
            deadline: None,
            kind: Kind::Background { todo: true },
        }),
    })
    .clone()
}

/// Cancels its context when called **or dropped**. Go: `context.CancelFunc`.
///
/// Dropping it is Go's `defer cancel()`; it also removes the context's timer, so nothing leaks.
/// Keep it in a named binding for as long as the context should live.
///
/// ```
/// use rungo_sync::context;
/// let (ctx, cancel) = context::with_cancel(&context::background());
/// drop(cancel);
/// assert!(ctx.err().is_some());
/// ```
#[must_use = "dropping a CancelFunc cancels its context at once"]
pub struct CancelFunc {
    node: Arc<Node>,
}

impl fmt::Debug for CancelFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelFunc").finish_non_exhaustive()
    }
}

impl CancelFunc {
    /// Cancels the context (and its descendants) with `Canceled`; idempotent. Go: `cancel()`.
    ///
    /// ```
    /// use rungo_sync::context;
    /// let (ctx, cancel) = context::with_cancel(&context::background());
    /// cancel.cancel();
    /// cancel.cancel(); // no effect
    /// assert_eq!(ctx.err(), Some(context::ContextError::Canceled));
    /// ```
    pub fn cancel(&self) {
        cancel(&self.node, ContextError::Canceled);
    }
}

impl Drop for CancelFunc {
    fn drop(&mut self) {
        cancel(&self.node, ContextError::Canceled);
    }
}

/// A child of `parent` that is cancelled when the returned [`CancelFunc`] is called or dropped,
/// or when `parent` is cancelled, whichever comes first. Go: `context.WithCancel`.
///
/// ```
/// use rungo_sync::context;
/// let (parent, cancel_parent) = context::with_cancel(&context::background());
/// let (child, _cancel_child) = context::with_cancel(&parent);
/// cancel_parent.cancel();
/// assert_eq!(child.err(), Some(context::ContextError::Canceled));
/// ```
pub fn with_cancel(parent: &Context) -> (Context, CancelFunc) {
    new_cancel(parent, parent.deadline())
}

/// A child of `parent` that is also cancelled with `DeadlineExceeded` at `deadline`.
/// Go: `context.WithDeadline`. If the parent's deadline is earlier, it is kept (as in Go).
///
/// ```
/// use std::time::{Duration, Instant};
/// use rungo_sync::context;
/// let d = Instant::now() + Duration::from_secs(60);
/// let (ctx, _cancel) = context::with_deadline(&context::background(), d);
/// assert_eq!(ctx.deadline(), Some(d));
/// ```
pub fn with_deadline(parent: &Context, deadline: Instant) -> (Context, CancelFunc) {
    if let Some(pd) = parent.deadline() {
        if pd <= deadline {
            // The parent's deadline fires first and propagates; no timer of our own.
            return with_cancel(parent);
        }
    }
    let (ctx, cancel_fn) = new_cancel(parent, Some(deadline));
    let Kind::Cancel(c) = &ctx.node.kind else {
        unreachable!("new_cancel makes cancel nodes")
    };
    if Instant::now() >= deadline {
        cancel(&ctx.node, ContextError::DeadlineExceeded);
        return (ctx, cancel_fn);
    }
    {
        let mut st = lock(&c.state);
        // Cancelled by the parent meanwhile: no timer.
        if c.err.load(Ordering::Acquire) == ERR_NONE {
            let key = (deadline, c.id);
            st.timer = Some(key);
            // Lock order: node state, then the timer table (cancel never holds both the other
            // way round), so a concurrent cancel cannot miss this entry.
            timers().insert(key, Arc::downgrade(&ctx.node));
        }
    }
    (ctx, cancel_fn)
}

/// `with_deadline(parent, now + timeout)`. Go: `context.WithTimeout`.
///
/// ```
/// use std::time::Duration;
/// use rungo_sync::context;
/// let (ctx, cancel) = context::with_timeout(&context::background(), Duration::from_secs(60));
/// assert!(ctx.err().is_none());
/// drop(cancel); // Go: defer cancel()
/// assert_eq!(ctx.err(), Some(context::ContextError::Canceled));
/// ```
pub fn with_timeout(parent: &Context, timeout: Duration) -> (Context, CancelFunc) {
    match Instant::now().checked_add(timeout) {
        Some(d) => with_deadline(parent, d),
        None => with_cancel(parent),
    }
}

/// A child of `parent` carrying `value`, looked up by its type with [`Context::value`].
/// Go: `context.WithValue` (Go keys by a key value; the idiomatic Go key is a private type, so
/// rungo keys by type: wrap a value in a newtype to give it its own key).
///
/// ```
/// use rungo_sync::context;
/// #[derive(Debug, PartialEq)]
/// struct RequestId(u64);
/// let ctx = context::with_value(&context::background(), RequestId(7));
/// assert_eq!(ctx.value::<RequestId>(), Some(&RequestId(7)));
/// assert_eq!(ctx.value::<String>(), None);
/// ```
pub fn with_value<T: Any + Send + Sync>(parent: &Context, value: T) -> Context {
    Context {
        node: Arc::new(Node {
            parent: Some(parent.clone()),
            deadline: parent.deadline(),
            kind: Kind::Value {
                key: TypeId::of::<T>(),
                value: Arc::new(value),
            },
        }),
    }
}

fn new_cancel(parent: &Context, deadline: Option<Instant>) -> (Context, CancelFunc) {
    let node = Arc::new(Node {
        parent: Some(parent.clone()),
        deadline,
        kind: Kind::Cancel(CancelNode {
            id: next_id(),
            err: AtomicU8::new(ERR_NONE),
            state: StdMutex::new(CancelState::default()),
        }),
    });
    // Register with the nearest cancellable ancestor (Go's propagateCancel).
    if let Some(anc) = parent.cancel_ancestor() {
        let Kind::Cancel(a) = &anc.kind else {
            unreachable!()
        };
        let mut st = lock(&a.state);
        match decode(a.err.load(Ordering::Acquire)) {
            Some(err) => {
                drop(st);
                cancel(&node, err);
            }
            None => {
                st.children.insert(node_id(&node), Arc::downgrade(&node));
            }
        }
    }
    let ctx = Context { node: node.clone() };
    (ctx, CancelFunc { node })
}

fn node_id(node: &Node) -> u64 {
    match &node.kind {
        Kind::Cancel(c) => c.id,
        _ => 0,
    }
}

/// Cancels a cancel node (no-op for other kinds or if already cancelled). See the module docs.
fn cancel(node: &Arc<Node>, err: ContextError) {
    let Kind::Cancel(c) = &node.kind else {
        return;
    };
    let (done, children, hooks, timer) = {
        let mut st = lock(&c.state);
        if c.err
            .compare_exchange(ERR_NONE, encode(err), Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        (
            st.done.take(),
            std::mem::take(&mut st.children),
            std::mem::take(&mut st.hooks),
            st.timer.take(),
        )
    };
    if let Some(done) = done {
        done.close();
    }
    for child in children.into_values() {
        if let Some(child) = child.upgrade() {
            cancel(&child, err);
        }
    }
    for hook in hooks.into_values() {
        hook();
    }
    if let Some(key) = timer {
        timers().remove(key);
    }
    // Unregister from the ancestor (Go's removeChild), so long-lived parents do not accumulate
    // cancelled children.
    if let Some(anc) = node.parent.as_ref().and_then(Context::cancel_ancestor) {
        if let Kind::Cancel(a) = &anc.kind {
            lock(&a.state).children.remove(&c.id);
        }
    }
}

/// Removes a wake-up hook when dropped. Returned by [`Context::on_done_unpark`].
pub(crate) struct HookGuard {
    node: Option<Arc<Node>>,
    id: u64,
}

impl Drop for HookGuard {
    fn drop(&mut self) {
        if let Some(node) = &self.node {
            if let Kind::Cancel(c) = &node.kind {
                lock(&c.state).hooks.remove(&self.id);
            }
        }
    }
}

impl Context {
    /// The nearest cancel node at or above this one.
    fn cancel_ancestor(&self) -> Option<&Arc<Node>> {
        let mut cur = self;
        loop {
            match &cur.node.kind {
                Kind::Cancel(_) => return Some(&cur.node),
                Kind::Background { .. } => return None,
                Kind::Value { .. } => cur = cur.node.parent.as_ref()?,
            }
        }
    }

    /// `None` while the context is live; then why it ended. Go: `ctx.Err()`.
    ///
    /// ```
    /// use rungo_sync::context;
    /// let (ctx, cancel) = context::with_cancel(&context::background());
    /// assert_eq!(ctx.err(), None);
    /// cancel.cancel();
    /// assert_eq!(ctx.err(), Some(context::ContextError::Canceled));
    /// ```
    pub fn err(&self) -> Option<ContextError> {
        let anc = self.cancel_ancestor()?;
        let Kind::Cancel(c) = &anc.kind else {
            return None;
        };
        decode(c.err.load(Ordering::Acquire))
    }

    /// Whether the context is done (`err().is_some()`).
    /// Go: `ctx.Err() != nil`.
    ///
    /// ```
    /// assert!(!rungo_sync::context::background().is_done());
    /// ```
    pub fn is_done(&self) -> bool {
        self.err().is_some()
    }

    /// A channel closed when the context is done; usable in `select!`. Go: `ctx.Done()`.
    /// The background context's is a nil channel (never ready).
    ///
    /// ```
    /// use rungo_sync::context;
    /// let (ctx, cancel) = context::with_cancel(&context::background());
    /// let done = ctx.done();
    /// rungo_runtime::go!(move || cancel.cancel());
    /// assert_eq!(done.recv(), None); // closed
    /// ```
    pub fn done(&self) -> Receiver<()> {
        let Some(anc) = self.cancel_ancestor() else {
            return Receiver::nil();
        };
        let Kind::Cancel(c) = &anc.kind else {
            return Receiver::nil();
        };
        let mut st = lock(&c.state);
        if let Some(ch) = &st.done {
            return ch.receiver();
        }
        let ch = chan::<()>(0);
        if c.err.load(Ordering::Acquire) == ERR_NONE {
            st.done = Some(ch.clone());
        } else {
            ch.close();
        }
        ch.receiver()
    }

    /// The deadline, if any (inherited from ancestors). Go: `ctx.Deadline()`.
    ///
    /// ```
    /// assert!(rungo_sync::context::background().deadline().is_none());
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.node.deadline
    }

    /// The nearest value of type `T` set with [`with_value`] on this context or an ancestor.
    /// Go: `ctx.Value(key)`.
    ///
    /// ```
    /// use rungo_sync::context;
    /// let ctx = context::with_value(&context::background(), 42u32);
    /// let (child, _c) = context::with_cancel(&ctx);
    /// assert_eq!(child.value::<u32>(), Some(&42));
    /// ```
    pub fn value<T: Any + Send + Sync>(&self) -> Option<&T> {
        let mut cur = self;
        loop {
            if let Kind::Value { key, value } = &cur.node.kind {
                if *key == TypeId::of::<T>() {
                    return value.downcast_ref::<T>();
                }
            }
            cur = cur.node.parent.as_ref()?;
        }
    }

    /// Parks the calling task until the context is done and returns why. Go: `<-ctx.Done()`
    /// followed by `ctx.Err()`. On a context that can never be cancelled this parks forever, as
    /// in Go.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rungo_sync::context;
    /// let (ctx, _c) = context::with_timeout(&context::background(), Duration::from_millis(5));
    /// assert_eq!(ctx.wait(), context::ContextError::DeadlineExceeded);
    /// ```
    pub fn wait(&self) -> ContextError {
        loop {
            if let Some(err) = self.err() {
                return err;
            }
            let _hook = self.on_done_unpark();
            if let Some(err) = self.err() {
                return err;
            }
            rungo_runtime::park();
        }
    }

    /// Registers an unpark of the calling task to run when the context is cancelled (Go's
    /// `context.AfterFunc` with `f` = wake me). If it is already cancelled, unparks at once so
    /// the caller's next park returns. The hook is removed when the guard drops.
    pub(crate) fn on_done_unpark(&self) -> HookGuard {
        let Some(anc) = self.cancel_ancestor() else {
            return HookGuard { node: None, id: 0 };
        };
        let Kind::Cancel(c) = &anc.kind else {
            unreachable!()
        };
        let u = Unparker::current();
        let id = next_id();
        let mut st = lock(&c.state);
        if c.err.load(Ordering::Acquire) != ERR_NONE {
            drop(st);
            u.unpark();
            return HookGuard { node: None, id };
        }
        st.hooks.insert(id, Box::new(move || u.unpark()));
        HookGuard {
            node: Some(anc.clone()),
            id,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The deadline timer table and its thread.

struct Timers {
    map: StdMutex<BTreeMap<(Instant, u64), Weak<Node>>>,
    cv: Condvar,
}

impl Timers {
    fn insert(&self, key: (Instant, u64), node: Weak<Node>) {
        let mut map = lock(&self.map);
        let earliest = map.first_key_value().is_none_or(|(k, _)| key < *k);
        map.insert(key, node);
        if earliest {
            self.cv.notify_one();
        }
    }

    fn remove(&self, key: (Instant, u64)) {
        lock(&self.map).remove(&key);
    }

    fn run(&self) {
        let mut map = lock(&self.map);
        loop {
            let now = Instant::now();
            let mut expired = Vec::new();
            while let Some(entry) = map.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                expired.push(entry.remove());
            }
            if !expired.is_empty() {
                drop(map);
                for node in expired {
                    if let Some(node) = node.upgrade() {
                        cancel(&node, ContextError::DeadlineExceeded);
                    }
                }
                map = lock(&self.map);
                continue;
            }
            map = match map.first_key_value().map(|(k, _)| k.0) {
                Some(when) => {
                    let wait = when.saturating_duration_since(now);
                    self.cv
                        .wait_timeout(map, wait)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
                None => self.cv.wait(map).unwrap_or_else(|e| e.into_inner()),
            };
        }
    }
}

fn timers() -> &'static Timers {
    static TIMERS: OnceLock<&'static Timers> = OnceLock::new();
    TIMERS.get_or_init(|| {
        let t: &'static Timers = Box::leak(Box::new(Timers {
            map: StdMutex::new(BTreeMap::new()),
            cv: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("rungo-context-timer".into())
            .spawn(move || t.run())
            .expect("rungo: cannot start the context timer thread");
        t
    })
}

/// Number of deadline timers currently armed (for leak tests and diagnostics).
/// Go: none (for tests: deadline timers not yet fired or cancelled).
///
/// ```
/// use std::time::Duration;
/// use rungo_sync::context;
/// let before = context::pending_timers();
/// let (_ctx, cancel) = context::with_timeout(&context::background(), Duration::from_secs(60));
/// drop(cancel);
/// assert!(context::pending_timers() <= before);
/// ```
pub fn pending_timers() -> usize {
    lock(&timers().map).len()
}
