//! Go's `context` package: cancellation trees with deadlines, and request-scoped values.
//!
//! # What this module owns
//!
//! A [`Context`] is a cheap handle (`Arc`) to a node in a tree. Nodes are of four kinds:
//!
//! - **background**: the root, never cancelled, no deadline ([`background()`], [`todo()`]);
//! - **cancel**: made by [`with_cancel`], [`with_deadline`], [`with_timeout`] and their
//!   `_cause` forms; owns the cancellation state below;
//! - **value**: made by [`with_value`]; delegates cancellation to its parent;
//! - **without-cancel**: made by [`without_cancel`]; delegates values to its parent but ends the
//!   search for a cancellable ancestor, so nothing above it can cancel what is below it.
//!
//! A cancel node's state, behind a short internal lock:
//!
//! ```text
//!   err       None until cancelled, then Canceled or DeadlineExceeded (never changes again);
//!             mirrored in an atomic so `err()` is lock-free
//!   cause     set in the critical section that sets err: the cause given to the cancel (or the
//!             deadline's cause), else err itself; children inherit their canceller's cause
//!   done      the done channel, created lazily by the first `done()`, closed on cancel
//!   children  Weak refs to the cancel nodes whose nearest cancellable ancestor is this one
//!   hooks     callbacks run once on cancel: wake-ups of tasks blocked in `Context::wait` /
//!             `Semaphore::acquire_ctx`, and `after_func`'s "spawn f" (whichever of the hook
//!             and `AfterFuncStop::stop` takes `f` out of its slot first decides whether it runs)
//!   timer     the key of this node's deadline entry in the timer table, if any
//! ```
//!
//! # Cancellation
//!
//! `cancel(node, err)`, as Go's `cancelCtx.cancel`, does under the node's lock: set `cause`
//! (first writer wins), publish `err` as *pending*, close the done channel (every
//! `recv`/`select!` on it wakes), cancel each child with the same error, and publish `err` as
//! final; then, released, it runs the hooks, removes the timer entry and unregisters itself
//! from its parent. Since everything is taken out of the state in one critical section, each
//! is handled exactly once.
//!
//! Go's `Err` takes the node's lock, so its readers see a cancel whole. `err()` here reads an
//! atomic and takes the lock only when it finds a cancel pending, which gives the same two
//! guarantees: once `err()` is set every descendant's is too (a pending reader waits for the
//! children), and once a child's is set by its parent's cancel the parent's is too (pending
//! was published before the children). And once `done()` is closed (or a hook has run)
//! `err()` is set.
//!
//! **Propagation without races.** A new cancel node registers with its nearest cancellable
//! ancestor under that ancestor's lock: if the ancestor is already cancelled, the child is
//! cancelled at once with the ancestor's error; otherwise it joins `children`, and the ancestor's
//! later cancel will take it. Locks are taken parent before child only (a cancel holds its
//! node's lock while it cancels the children, and takes its parent's only after releasing its
//! own), and a node's lock before the timer table's, so there is no lock-order cycle.
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
/// Or-ed into `err` while `cancel` holds the node's lock and cancels the children.
const ERR_PENDING: u8 = 0x80;

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

impl ContextError {
    /// Whether this error is a timeout: `true` for `DeadlineExceeded`. Go: the
    /// `Timeout() bool` method of `context.DeadlineExceeded` (what `net.Error` checks and
    /// `errors.As(err, &interface{ Timeout() bool })` finds).
    ///
    /// ```
    /// use rungo_sync::context::ContextError;
    /// assert!(ContextError::DeadlineExceeded.is_timeout());
    /// assert!(!ContextError::Canceled.is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, ContextError::DeadlineExceeded)
    }

    /// Whether this error is temporary: `true` for `DeadlineExceeded`, as in Go. Go: the
    /// `Temporary() bool` method of `context.DeadlineExceeded`.
    ///
    /// ```
    /// assert!(rungo_sync::context::ContextError::DeadlineExceeded.is_temporary());
    /// ```
    pub fn is_temporary(&self) -> bool {
        self.is_timeout()
    }
}

/// The cause of a cancellation: any error, shared. Go: the `error` given to a
/// `CancelCauseFunc` or to `WithDeadlineCause`, returned by `context.Cause`.
///
/// When no cause was given it is the [`ContextError`] itself (Go: "if cancel is called with a nil
/// cause, Cause returns ctx.Err()"); `cause.downcast_ref::<ContextError>()` tells them apart.
pub type Cause = Arc<dyn Error + Send + Sync + 'static>;

type Hook = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct CancelState {
    done: Option<Chan<()>>,
    children: HashMap<u64, Weak<Node>>,
    hooks: HashMap<u64, Hook>,
    timer: Option<(Instant, u64)>,
    /// Set together with `err`, in the same critical section.
    cause: Option<Cause>,
}

struct CancelNode {
    id: u64,
    err: AtomicU8,
    state: StdMutex<CancelState>,
    /// The deadline this node armed a timer for itself (Go's `timerCtx`), with its wall-clock
    /// time in nanoseconds since the Unix epoch, taken once at creation, for `Display`.
    own_deadline: Option<(Instant, i128)>,
    /// The cause used when the deadline fires (Go: `WithDeadlineCause`'s `cause`).
    deadline_cause: Option<Cause>,
}

enum Kind {
    Background {
        todo: bool,
    },
    Cancel(CancelNode),
    Value {
        key: TypeId,
        value: Arc<dyn Any + Send + Sync>,
        /// `std::any::type_name::<T>()`, for `Display` (Go prints the key's and value's types).
        type_name: &'static str,
    },
    /// `without_cancel`: values from the parent, cancellation from nobody.
    WithoutCancel,
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
            Kind::WithoutCancel => "without_cancel",
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
        cancel(&self.node, ContextError::Canceled, None, false);
    }
}

impl Drop for CancelFunc {
    fn drop(&mut self) {
        cancel(&self.node, ContextError::Canceled, None, false);
    }
}

/// Cancels its context with a cause when called, or without one when dropped.
/// Go: `context.CancelCauseFunc`.
///
/// `cancel(cause)` is Go's `cancel(err)`; [`cancel_without_cause`](Self::cancel_without_cause)
/// (and dropping the handle, Go's `defer cancel(nil)`) is `cancel(nil)`, which makes
/// [`cause`] return `Canceled`. Only the first cancellation's cause is kept.
///
/// ```
/// use rungo_sync::context;
/// let (ctx, cancel) = context::with_cancel_cause(&context::background());
/// cancel.cancel("out of stock");
/// assert_eq!(ctx.err(), Some(context::ContextError::Canceled));
/// assert_eq!(context::cause(&ctx).unwrap().to_string(), "out of stock");
/// ```
#[must_use = "dropping a CancelCauseFunc cancels its context at once"]
pub struct CancelCauseFunc {
    node: Arc<Node>,
}

impl fmt::Debug for CancelCauseFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelCauseFunc").finish_non_exhaustive()
    }
}

impl CancelCauseFunc {
    /// Cancels the context (and its descendants) with `Canceled`, recording `cause`; idempotent
    /// (a later cause is ignored). Go: `cancel(cause)`. Anything convertible to a boxed error
    /// works: an error value, a `String`, a `&str` (Go's `errors.New("...")`).
    ///
    /// ```
    /// use rungo_sync::context;
    /// let (ctx, cancel) = context::with_cancel_cause(&context::background());
    /// cancel.cancel("first");
    /// cancel.cancel("second");
    /// assert_eq!(context::cause(&ctx).unwrap().to_string(), "first");
    /// ```
    pub fn cancel(&self, cause: impl Into<Box<dyn Error + Send + Sync + 'static>>) {
        let cause: Cause = Arc::from(cause.into());
        cancel(&self.node, ContextError::Canceled, Some(cause), false);
    }

    /// Cancels with no cause, so [`cause`] reports `Canceled`. Go: `cancel(nil)`.
    ///
    /// ```
    /// use rungo_sync::context::{self, ContextError};
    /// let (ctx, cancel) = context::with_cancel_cause(&context::background());
    /// cancel.cancel_without_cause();
    /// let c = context::cause(&ctx).unwrap();
    /// assert_eq!(c.downcast_ref::<ContextError>(), Some(&ContextError::Canceled));
    /// ```
    pub fn cancel_without_cause(&self) {
        cancel(&self.node, ContextError::Canceled, None, false);
    }
}

impl Drop for CancelCauseFunc {
    fn drop(&mut self) {
        cancel(&self.node, ContextError::Canceled, None, false);
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
    let node = new_cancel(parent, parent.deadline(), None, None);
    (Context { node: node.clone() }, CancelFunc { node })
}

/// Like [`with_cancel`], but the cancel function records a cause, read back with [`cause`].
/// Go: `context.WithCancelCause`.
///
/// ```
/// use rungo_sync::context;
/// #[derive(Debug)]
/// struct Shutdown;
/// impl std::fmt::Display for Shutdown {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("shutdown") }
/// }
/// impl std::error::Error for Shutdown {}
///
/// let (ctx, cancel) = context::with_cancel_cause(&context::background());
/// assert!(context::cause(&ctx).is_none());
/// cancel.cancel(Shutdown);
/// assert!(context::cause(&ctx).unwrap().downcast_ref::<Shutdown>().is_some());
/// ```
pub fn with_cancel_cause(parent: &Context) -> (Context, CancelCauseFunc) {
    let node = new_cancel(parent, parent.deadline(), None, None);
    (Context { node: node.clone() }, CancelCauseFunc { node })
}

/// The cause of the context's cancellation, or `None` while it is live. Go: `context.Cause`.
///
/// The cause is the first one given to a [`CancelCauseFunc`] or by [`with_deadline_cause`] of
/// the nearest cancellable context at or above `ctx`, inherited by descendants; without one it
/// is the [`ContextError`] (`ctx.err()`), as in Go.
///
/// ```
/// use rungo_sync::context::{self, ContextError};
/// let (parent, cancel) = context::with_cancel_cause(&context::background());
/// let (child, _c) = context::with_cancel(&parent);
/// cancel.cancel("db down");
/// assert_eq!(child.err(), Some(ContextError::Canceled));
/// assert_eq!(context::cause(&child).unwrap().to_string(), "db down");
/// ```
pub fn cause(ctx: &Context) -> Option<Cause> {
    let anc = ctx.cancel_ancestor()?;
    let Kind::Cancel(c) = &anc.kind else {
        return None;
    };
    lock(&c.state).cause.clone()
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
    let node = new_deadline(parent, deadline, None);
    (Context { node: node.clone() }, CancelFunc { node })
}

/// Like [`with_deadline`], but when the deadline passes [`cause`] returns `cause`
/// (`err()` is still `DeadlineExceeded`). Go: `context.WithDeadlineCause`.
///
/// ```
/// use std::time::{Duration, Instant};
/// use rungo_sync::context::{self, ContextError};
/// let d = Instant::now() + Duration::from_millis(5);
/// let (ctx, _cancel) = context::with_deadline_cause(&context::background(), d, "too slow");
/// assert_eq!(ctx.wait(), ContextError::DeadlineExceeded);
/// assert_eq!(context::cause(&ctx).unwrap().to_string(), "too slow");
/// ```
pub fn with_deadline_cause(
    parent: &Context,
    deadline: Instant,
    cause: impl Into<Box<dyn Error + Send + Sync + 'static>>,
) -> (Context, CancelFunc) {
    let node = new_deadline(parent, deadline, Some(Arc::from(cause.into())));
    (Context { node: node.clone() }, CancelFunc { node })
}

fn new_deadline(parent: &Context, deadline: Instant, cause: Option<Cause>) -> Arc<Node> {
    if let Some(pd) = parent.deadline() {
        if pd <= deadline {
            // The parent's deadline fires first and propagates; no timer of our own (Go returns
            // `WithCancel(parent)` here, and so does `WithDeadlineCause`, dropping the cause).
            return new_cancel(parent, Some(pd), None, None);
        }
    }
    let node = new_cancel(
        parent,
        Some(deadline),
        Some((deadline, wall_ns(deadline))),
        cause,
    );
    let Kind::Cancel(c) = &node.kind else {
        unreachable!("new_cancel makes cancel nodes")
    };
    if Instant::now() >= deadline {
        cancel(
            &node,
            ContextError::DeadlineExceeded,
            c.deadline_cause.clone(),
            false,
        );
        return node;
    }
    {
        let mut st = lock(&c.state);
        // Cancelled by the parent meanwhile: no timer.
        if c.err.load(Ordering::Acquire) == ERR_NONE {
            let key = (deadline, c.id);
            st.timer = Some(key);
            // Lock order: node state, then the timer table (cancel never holds both the other
            // way round), so a concurrent cancel cannot miss this entry.
            timers().insert(key, Arc::downgrade(&node));
        }
    }
    node
}

/// The farthest deadline a timeout gets: about 100 years from now. Go's deadlines saturate at
/// the largest `time.Time` (`now + maxDuration`, 292 years); `Instant` has no such public
/// maximum, so `with_timeout(ctx, Duration::MAX)` means "in a century", never a panic.
const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// `now + timeout`, saturating at [`FAR_FUTURE`] instead of overflowing.
fn saturating_deadline(timeout: Duration) -> Option<Instant> {
    let now = Instant::now();
    now.checked_add(timeout.min(FAR_FUTURE))
        .or_else(|| now.checked_add(Duration::from_secs(365 * 24 * 3600)))
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
///
/// A timeout too large to add to the clock (`Duration::MAX`) saturates to a deadline about a
/// century away instead of panicking (Go saturates too).
pub fn with_timeout(parent: &Context, timeout: Duration) -> (Context, CancelFunc) {
    match saturating_deadline(timeout) {
        Some(d) => with_deadline(parent, d),
        None => with_cancel(parent),
    }
}

/// `with_deadline_cause(parent, now + timeout, cause)`. Go: `context.WithTimeoutCause`.
///
/// ```
/// use std::time::Duration;
/// use rungo_sync::context;
/// let (ctx, _c) =
///     context::with_timeout_cause(&context::background(), Duration::from_millis(5), "slow backend");
/// assert!(ctx.wait().is_timeout());
/// assert_eq!(context::cause(&ctx).unwrap().to_string(), "slow backend");
/// ```
pub fn with_timeout_cause(
    parent: &Context,
    timeout: Duration,
    cause: impl Into<Box<dyn Error + Send + Sync + 'static>>,
) -> (Context, CancelFunc) {
    match saturating_deadline(timeout) {
        Some(d) => with_deadline_cause(parent, d, cause),
        None => with_cancel(parent),
    }
}

/// A child of `parent` that keeps its values but is never cancelled: no deadline, no error, a
/// nil done channel, even when `parent` is cancelled. Go: `context.WithoutCancel`.
///
/// ```
/// use rungo_sync::context;
/// let (parent, cancel) = context::with_cancel(&context::with_value(&context::background(), 1u8));
/// let detached = context::without_cancel(&parent);
/// cancel.cancel();
/// assert!(parent.err().is_some());
/// assert!(detached.err().is_none());
/// assert!(detached.done().is_nil());
/// assert_eq!(detached.value::<u8>(), Some(&1));
/// ```
pub fn without_cancel(parent: &Context) -> Context {
    Context {
        node: Arc::new(Node {
            parent: Some(parent.clone()),
            deadline: None,
            kind: Kind::WithoutCancel,
        }),
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
                type_name: std::any::type_name::<T>(),
            },
        }),
    }
}

fn new_cancel(
    parent: &Context,
    deadline: Option<Instant>,
    own_deadline: Option<(Instant, i128)>,
    deadline_cause: Option<Cause>,
) -> Arc<Node> {
    let node = Arc::new(Node {
        parent: Some(parent.clone()),
        deadline,
        kind: Kind::Cancel(CancelNode {
            id: next_id(),
            err: AtomicU8::new(ERR_NONE),
            state: StdMutex::new(CancelState::default()),
            own_deadline,
            deadline_cause,
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
                let cause = st.cause.clone();
                drop(st);
                cancel(&node, err, cause, false);
            }
            None => {
                st.children.insert(node_id(&node), Arc::downgrade(&node));
            }
        }
    }
    node
}

fn node_id(node: &Node) -> u64 {
    match &node.kind {
        Kind::Cancel(c) => c.id,
        _ => 0,
    }
}

/// Cancels a cancel node (no-op for other kinds or if already cancelled) with `err` and
/// `cause` (`None`: the cause is `err` itself, Go's `if cause == nil { cause = err }`).
/// `by_parent`: called from the parent's cancel, which has already taken this node out of its
/// `children`. See the module docs.
fn cancel(node: &Arc<Node>, err: ContextError, cause: Option<Cause>, by_parent: bool) {
    let Kind::Cancel(c) = &node.kind else {
        return;
    };
    let (hooks, timer) = {
        let mut st = lock(&c.state);
        if st.cause.is_some() {
            return; // cancelled already, or being cancelled by the thread that set it
        }
        let cause: Cause = cause.unwrap_or_else(|| Arc::new(err));
        st.cause = Some(cause.clone());
        // Pending first, so that a reader who sees a child cancelled by this node sees this
        // node cancelled too; final once the children are, so that a reader who sees this node
        // cancelled sees every child cancelled. `err()` waits out the pending state.
        c.err.store(encode(err) | ERR_PENDING, Ordering::Release);
        if let Some(done) = st.done.take() {
            done.close();
        }
        for child in std::mem::take(&mut st.children).into_values() {
            if let Some(child) = child.upgrade() {
                cancel(&child, err, Some(cause.clone()), true);
            }
        }
        c.err.store(encode(err), Ordering::Release);
        (std::mem::take(&mut st.hooks), st.timer.take())
    };
    for hook in hooks.into_values() {
        hook();
    }
    if let Some(key) = timer {
        timers().remove(key);
    }
    // Unregister from the ancestor (Go's removeChild), so long-lived parents do not accumulate
    // cancelled children.
    if !by_parent {
        if let Some(anc) = node.parent.as_ref().and_then(Context::cancel_ancestor) {
            if let Kind::Cancel(a) = &anc.kind {
                lock(&a.state).children.remove(&c.id);
            }
        }
    }
}

/// Arranges to call `f` in its own coroutine after `ctx` is done (cancelled or timed out); if
/// it is already done, `f` starts at once, in its own coroutine. Go: `context.AfterFunc`
/// (Go 1.21).
///
/// Each call is independent. The returned [`AfterFuncStop`] stops the association: its
/// [`stop`](AfterFuncStop::stop) returns `true` if it kept `f` from running, `false` if `f`
/// has already been started or stopped. Dropping the handle does *not* stop `f` (Go's `stop`
/// is an ordinary function value one may ignore). On a context that is never cancelled
/// ([`background`], [`without_cancel`]) `f` never runs.
///
/// ```
/// use rungo_sync::context;
/// let (ctx, cancel) = context::with_cancel(&context::background());
/// let ran = rungo_channels::chan::<&str>(1);
/// let tx = ran.clone();
/// let _stop = context::after_func(&ctx, move || tx.send("cleanup"));
/// cancel.cancel();
/// assert_eq!(ran.recv(), Some("cleanup"));
/// ```
pub fn after_func(ctx: &Context, f: impl FnOnce() + Send + 'static) -> AfterFuncStop {
    let slot: AfterFuncSlot = Arc::new(StdMutex::new(Some(Box::new(f))));
    let start = |slot: &AfterFuncSlot| {
        // Whoever takes `f` out of the slot first (a cancel or `stop`) decides its fate: this is
        // Go's `a.once`.
        if let Some(f) = lock(slot).take() {
            drop(rungo_runtime::spawn(f));
        }
    };
    let Some(anc) = ctx.cancel_ancestor() else {
        return AfterFuncStop {
            slot,
            node: None,
            id: 0,
        };
    };
    let Kind::Cancel(c) = &anc.kind else {
        unreachable!("cancel_ancestor returns cancel nodes")
    };
    let id = next_id();
    let mut st = lock(&c.state);
    if c.err.load(Ordering::Acquire) != ERR_NONE {
        drop(st);
        start(&slot);
        return AfterFuncStop {
            slot,
            node: None,
            id,
        };
    }
    let hook_slot = slot.clone();
    st.hooks.insert(id, Box::new(move || start(&hook_slot)));
    AfterFuncStop {
        slot,
        node: Some(anc.clone()),
        id,
    }
}

type AfterFuncSlot = Arc<StdMutex<Option<Hook>>>;

/// Stops an [`after_func`] from running. Go: the `stop func() bool` returned by
/// `context.AfterFunc`.
pub struct AfterFuncStop {
    slot: AfterFuncSlot,
    node: Option<Arc<Node>>,
    id: u64,
}

impl fmt::Debug for AfterFuncStop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AfterFuncStop").finish_non_exhaustive()
    }
}

impl AfterFuncStop {
    /// Stops the association of the context with `f`. Returns `true` if this call kept `f`
    /// from running, `false` if `f` was already started (the context is done) or stopped.
    /// Does not wait for a started `f` to finish. Go: `stop()`.
    ///
    /// ```
    /// use rungo_sync::context;
    /// let (ctx, cancel) = context::with_cancel(&context::background());
    /// let stop = context::after_func(&ctx, || unreachable!("stopped"));
    /// assert!(stop.stop());
    /// assert!(!stop.stop());
    /// cancel.cancel(); // f does not run
    /// ```
    pub fn stop(&self) -> bool {
        let stopped = lock(&self.slot).take().is_some();
        if stopped {
            // Forget the hook, so a long-lived context does not keep the closure's slot.
            if let Some(node) = &self.node {
                if let Kind::Cancel(c) = &node.kind {
                    lock(&c.state).hooks.remove(&self.id);
                }
            }
        }
        stopped
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
                Kind::Background { .. } | Kind::WithoutCancel => return None,
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
        let err = c.err.load(Ordering::Acquire);
        if err & ERR_PENDING != 0 {
            // A cancel is still cancelling the children: wait for it to release the lock, as
            // Go's `Err` does by taking `c.mu`.
            drop(lock(&c.state));
        }
        decode(err & !ERR_PENDING)
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
            if let Kind::Value { key, value, .. } = &cur.node.kind {
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
    #[track_caller]
    pub fn wait(&self) -> ContextError {
        let _waiting = rungo_runtime::Waiting::new(
            rungo_runtime::WaitReason::ContextDone,
            std::panic::Location::caller(),
        );
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

/// Go's `String` methods of the context types: `context.Background`, `context.TODO`, then one
/// suffix per derivation: `.WithCancel`, `.WithDeadline(<time> [<time until>])`,
/// `.WithValue(<key>, <value>)`, `.WithoutCancel`.
///
/// Differences, all forced by Rust: a value's key is its type (printed with
/// `std::any::type_name`), and the value prints as itself when it is a `String` or `&str` and
/// as its type name otherwise (Go's `stringify` prints a non-`Stringer` value's type too). The
/// deadline is printed in UTC without Go's monotonic `m=+...` suffix.
///
/// ```
/// use std::time::Duration;
/// use rungo_sync::context;
/// let (c, _cancel) = context::with_cancel(&context::background());
/// assert_eq!(c.to_string(), "context.Background.WithCancel");
/// let v = context::with_value(&context::todo(), String::from("alice"));
/// assert_eq!(v.to_string(), "context.TODO.WithValue(alloc::string::String, alice)");
/// let (d, _c) = context::with_timeout(&context::background(), Duration::from_secs(60));
/// assert!(d.to_string().starts_with("context.Background.WithDeadline(20"));
/// ```
impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parent = self.node.parent.as_ref();
        match &self.node.kind {
            Kind::Background { todo: false } => f.write_str("context.Background"),
            Kind::Background { todo: true } => f.write_str("context.TODO"),
            Kind::Cancel(c) => {
                if let Some(p) = parent {
                    fmt::Display::fmt(p, f)?;
                }
                match c.own_deadline {
                    Some((d, wall)) => write!(
                        f,
                        ".WithDeadline({} [{}])",
                        format_utc(wall),
                        go_duration(signed_until(d))
                    ),
                    None => f.write_str(".WithCancel"),
                }
            }
            Kind::Value {
                value, type_name, ..
            } => {
                if let Some(p) = parent {
                    fmt::Display::fmt(p, f)?;
                }
                let shown: &str = if let Some(s) = value.downcast_ref::<String>() {
                    s
                } else if let Some(s) = value.downcast_ref::<&'static str>() {
                    s
                } else {
                    type_name
                };
                write!(f, ".WithValue({type_name}, {shown})")
            }
            Kind::WithoutCancel => {
                if let Some(p) = parent {
                    fmt::Display::fmt(p, f)?;
                }
                f.write_str(".WithoutCancel")
            }
        }
    }
}

/// `time.Until(d)` in nanoseconds, negative once `d` has passed.
fn signed_until(d: Instant) -> i128 {
    let now = Instant::now();
    if d >= now {
        (d - now).as_nanos() as i128
    } else {
        -((now - d).as_nanos() as i128)
    }
}

/// Go's `time.Duration.String`: `1h2m3.5s`, `1.5s`, `2ms`, `3µs`, `4ns`, `0s`.
fn go_duration(nanos: i128) -> String {
    fn frac(v: u128, digits: u32) -> String {
        let unit = 10u128.pow(digits);
        let (int, rest) = (v / unit, v % unit);
        if rest == 0 {
            return int.to_string();
        }
        let r = format!("{rest:0width$}", width = digits as usize);
        format!("{int}.{}", r.trim_end_matches('0'))
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let u = nanos.unsigned_abs();
    let body = if u == 0 {
        "0s".to_string()
    } else if u < 1_000 {
        format!("{u}ns")
    } else if u < 1_000_000 {
        format!("{}\u{b5}s", frac(u, 3))
    } else if u < 1_000_000_000 {
        format!("{}ms", frac(u, 6))
    } else {
        let secs = u / 1_000_000_000;
        let s = frac(u % 60_000_000_000, 9);
        let (m, h) = ((secs / 60) % 60, secs / 3600);
        if h > 0 {
            format!("{h}h{m}m{s}s")
        } else if m > 0 {
            format!("{m}m{s}s")
        } else {
            format!("{s}s")
        }
    };
    format!("{sign}{body}")
}

/// The wall-clock time of `d`, in nanoseconds since the Unix epoch.
fn wall_ns(d: Instant) -> i128 {
    use std::time::{SystemTime, UNIX_EPOCH};
    let until = signed_until(d);
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |x| x.as_nanos() as i128)
        + until
}

/// Formats nanoseconds since the Unix epoch as Go's `Time.String` in UTC:
/// `2009-11-10 23:00:00.5 +0000 UTC` (fraction trimmed, as Go's `.999999999`).
fn format_utc(wall_ns: i128) -> String {
    let (secs, ns) = (
        wall_ns.div_euclid(1_000_000_000),
        wall_ns.rem_euclid(1_000_000_000),
    );
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i128::from(month <= 2);
    let mut out = format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    );
    if ns != 0 {
        let f = format!("{ns:09}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
    out.push_str(" +0000 UTC");
    out
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
                        let cause = match &node.kind {
                            Kind::Cancel(c) => c.deadline_cause.clone(),
                            _ => None,
                        };
                        cancel(&node, ContextError::DeadlineExceeded, cause, false);
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
                None => {
                    // Only a task of this process can add a deadline: idle for the deadlock check.
                    let _idle = rungo_runtime::ThreadIdle::new();
                    self.cv.wait(map).unwrap_or_else(|e| e.into_inner())
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_duration_matches_go_strings() {
        // Expected strings from Go's time.Duration.String (time_test.go's durationTests).
        let cases: &[(i128, &str)] = &[
            (0, "0s"),
            (1, "1ns"),
            (1_100, "1.1\u{b5}s"),
            (2_200_000, "2.2ms"),
            (3_300_000_000, "3.3s"),
            (4 * 60_000_000_000 + 5_000_000_000, "4m5s"),
            (4 * 60_000_000_000 + 5_001_000_000, "4m5.001s"),
            (
                5 * 3_600_000_000_000 + 6 * 60_000_000_000 + 7_001_000_000,
                "5h6m7.001s",
            ),
            (8 * 60_000_000_000 + 1, "8m0.000000001s"),
            (3_600_000_000_000, "1h0m0s"),
            (-1, "-1ns"),
            (-1_500_000_000, "-1.5s"),
        ];
        for &(ns, want) in cases {
            assert_eq!(go_duration(ns), want, "{ns}ns");
        }
    }

    #[test]
    fn go_time_has_go_layout() {
        let s = format_utc(wall_ns(Instant::now()));
        // 2006-01-02 15:04:05[.fraction] +0000 UTC
        let (date, rest) = s.split_once(' ').unwrap();
        assert_eq!(date.len(), 10, "{s}");
        assert_eq!(&date[4..5], "-");
        assert!(rest.ends_with(" +0000 UTC"), "{s}");
        assert_eq!(&rest[2..3], ":");
        let year: i32 = date[..4].parse().unwrap();
        assert!((2024..3000).contains(&year), "{s}");
        // Go's playground time, and a leap day with a fraction.
        assert_eq!(
            format_utc(1_257_894_000 * 1_000_000_000),
            "2009-11-10 23:00:00 +0000 UTC"
        );
        assert_eq!(
            format_utc(951_782_400 * 1_000_000_000 + 500_000_000),
            "2000-02-29 00:00:00.5 +0000 UTC"
        );
    }
}
