//! Timer channels: Go's `time.After`, `time.Tick`, `time.NewTimer`, `time.NewTicker`,
//! `time.AfterFunc`, with Go 1.23 semantics (no stale value after `Stop`/`Reset` returns).
//! `sleep` is the runtime's ([`sleep`] is re-exported here for Go ports).
//!
//! # Design
//!
//! One **timer task** (a coroutine, or a thread on a thread-backed runtime) serves every timer.
//! It owns a min-heap of `(deadline, generation, timer)` entries behind a short mutex and parks
//! through the runtime's blocking contract until the earliest deadline (`park_until`); adding
//! an entry that becomes the earliest unparks it (the unpark token covers the window between
//! computing the deadline and parking, so no wake-up is lost). Firing never blocks: a timer
//! sends with `try_send` on its capacity-1 channel (a ticker drops ticks for a slow receiver,
//! as Go's does), and `after_func` spawns its function as a new coroutine.
//!
//! Each timer has a small state (`armed deadline`, `generation`) under its own mutex. The heap
//! is lazy: `stop`/`reset` bump the generation instead of searching the heap, and a popped
//! entry whose generation is old is ignored. Firing holds the timer's mutex across its
//! `try_send`, and `stop`/`reset` hold it across the generation bump *and* draining the
//! channel; so after `stop` or `reset` returns, no value from before is in the channel or can
//! be sent later (Go 1.23's guarantee). Lock order: a timer's state, then its channel or the
//! heap (receivers take only the channel lock; the timer task releases the heap lock before
//! firing), so there is no cycle.
//!
//! Like Go 1.23's garbage collection of unreferenced timers, the heap holds the channel only
//! weakly: once every handle to a timer's channel is gone, it stops firing (a `tick` in a loop
//! does not leak a forever-running ticker). An entry stays in the heap until its deadline.
//!
//! Differences from Go: the channel reports `cap() == 1` and may report `len() == 1` while a
//! value waits (Go 1.23 reports 0 for both).

use std::cmp::Ordering as CmpOrdering;
use std::collections::BinaryHeap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

pub use rungo_runtime::sleep;
pub use std::time::{Duration, Instant};

use rungo_runtime::Unparker;

use crate::chan::{Chan, Receiver};
use crate::core::Inner;

/// What a timer does when it fires.
enum Action {
    /// Send the time on the (weakly held) channel.
    Send(Weak<Inner<Instant>>),
    /// Run the function in a new coroutine.
    Func(Arc<dyn Fn() + Send + Sync>),
}

struct TimerState {
    /// The armed deadline, or `None` when stopped / expired.
    when: Option<Instant>,
    /// Bumped by every stop/reset; heap entries of older generations are ignored.
    generation: u64,
    /// `Some` for a ticker.
    period: Option<Duration>,
}

struct Shared {
    state: Mutex<TimerState>,
    action: Action,
}

struct Entry {
    when: Instant,
    generation: u64,
    timer: Arc<Shared>,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.when == other.when
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Reversed: `BinaryHeap` is a max-heap and we want the earliest deadline on top.
    fn cmp(&self, other: &Self) -> CmpOrdering {
        other.when.cmp(&self.when)
    }
}

struct Service {
    heap: Mutex<BinaryHeap<Entry>>,
    /// The timer task's handle, set by the task itself when it starts.
    task: OnceLock<Unparker>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn service() -> &'static Service {
    static SERVICE: OnceLock<Service> = OnceLock::new();
    static STARTED: OnceLock<()> = OnceLock::new();
    let s = SERVICE.get_or_init(|| Service {
        heap: Mutex::new(BinaryHeap::new()),
        task: OnceLock::new(),
    });
    STARTED.get_or_init(|| {
        // Detached: the JoinHandle is dropped; the task lives as long as the process.
        drop(rungo_runtime::spawn(move || timer_task(s)));
    });
    s
}

/// The timer task's loop.
fn timer_task(s: &'static Service) {
    let _ = s.task.set(Unparker::current());
    let mut due = Vec::new();
    loop {
        let next = {
            let mut heap = lock(&s.heap);
            let now = Instant::now();
            while heap.peek().is_some_and(|e| e.when <= now) {
                due.push(heap.pop().expect("peeked"));
            }
            heap.peek().map(|e| e.when)
        };
        if !due.is_empty() {
            for e in due.drain(..) {
                fire(s, e);
            }
            continue;
        }
        match next {
            Some(when) => rungo_runtime::park_until(when),
            None => rungo_runtime::park(),
        }
    }
}

/// Pushes an entry; wakes the timer task if it is the new earliest deadline.
/// Called with the timer's state lock held (lock order: timer, then heap).
fn push(s: &Service, e: Entry) {
    let mut heap = lock(&s.heap);
    let earliest = heap.peek().is_none_or(|top| e.when < top.when);
    heap.push(e);
    if earliest {
        if let Some(t) = s.task.get() {
            t.unpark();
        }
    }
}

fn fire(s: &Service, e: Entry) {
    let timer = &e.timer;
    let mut st = lock(&timer.state);
    if st.generation != e.generation || st.when.is_none() {
        return; // stopped or reset since this entry was pushed
    }
    let now = Instant::now();
    match &timer.action {
        Action::Send(weak) => match weak.upgrade() {
            Some(inner) => {
                // Non-blocking: a ticker drops the tick if the last one was not received.
                let _ = Chan { inner: Some(inner) }.try_send(now);
            }
            None => {
                // Nobody can receive any more: the timer is garbage.
                st.when = None;
                return;
            }
        },
        Action::Func(f) => {
            let f = f.clone();
            drop(rungo_runtime::spawn(move || f()));
        }
    }
    match st.period {
        Some(p) => {
            // Skip the ticks we are late for, as Go does.
            let mut next = e.when + p;
            if next <= now {
                let behind = now.duration_since(e.when).as_nanos() / p.as_nanos().max(1);
                next = e.when + p * (behind as u32).saturating_add(1);
                if next <= now {
                    next = now + p;
                }
            }
            st.when = Some(next);
            push(
                s,
                Entry {
                    when: next,
                    generation: st.generation,
                    timer: e.timer.clone(),
                },
            );
        }
        None => st.when = None,
    }
}

impl Shared {
    fn new(action: Action, period: Option<Duration>) -> Arc<Shared> {
        Arc::new(Shared {
            state: Mutex::new(TimerState {
                when: None,
                generation: 0,
                period,
            }),
            action,
        })
    }

    /// Stops the timer, drains its channel, and optionally re-arms it after `d` (with a new
    /// period for a ticker). Returns whether it was pending (armed, or a value was waiting).
    fn rearm(self: &Arc<Shared>, d: Option<Duration>, period: Option<Duration>) -> bool {
        let s = service();
        let mut st = lock(&self.state);
        let mut pending = st.when.take().is_some();
        st.generation += 1;
        if let Action::Send(weak) = &self.action {
            if let Some(inner) = weak.upgrade() {
                while (Chan {
                    inner: Some(inner.clone()),
                })
                .try_recv()
                .is_ok()
                {
                    pending = true;
                }
            }
        }
        if let Some(p) = period {
            st.period = Some(p);
        }
        if let Some(d) = d {
            let when = Instant::now() + d;
            st.when = Some(when);
            push(
                s,
                Entry {
                    when,
                    generation: st.generation,
                    timer: self.clone(),
                },
            );
        }
        pending
    }
}

/// A single-shot timer. Go: `time.Timer` (`time.NewTimer`, `time.AfterFunc`).
///
/// ```
/// use rungo_channels::time::{Duration, Timer};
/// let t = Timer::new(Duration::from_millis(5));
/// assert!(t.c.recv().is_some()); // fires once
/// assert!(!t.stop());            // already expired
/// ```
pub struct Timer {
    /// The channel the time is sent on when the timer fires. Go: `t.C` (a nil channel for a
    /// timer made by [`after_func`]).
    pub c: Receiver<Instant>,
    shared: Arc<Shared>,
}

impl Timer {
    /// A timer that sends the time on [`Timer::c`] after `d`. Go: `time.NewTimer(d)`.
    pub fn new(d: Duration) -> Timer {
        let ch = crate::chan::chan::<Instant>(1);
        let shared = Shared::new(
            Action::Send(Arc::downgrade(ch.inner.as_ref().expect("new channel"))),
            None,
        );
        shared.rearm(Some(d), None);
        Timer {
            c: ch.receiver(),
            shared,
        }
    }

    /// Stops the timer. Returns `true` if this call stopped it (it had not fired, or its value
    /// had not been received: that value is discarded), `false` if it had already expired and
    /// been received, or been stopped. After `stop` returns, no stale value can be received.
    /// Go: `t.Stop()` (1.23 semantics).
    pub fn stop(&self) -> bool {
        self.shared.rearm(None, None)
    }

    /// Re-arms the timer to fire after `d`, discarding any unreceived value. Returns whether
    /// the timer was pending. For an [`after_func`] timer this schedules the function again.
    /// Go: `t.Reset(d)` (1.23 semantics).
    pub fn reset(&self, d: Duration) -> bool {
        self.shared.rearm(Some(d), None)
    }
}

impl std::fmt::Debug for Timer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timer")
            .field("c", &self.c)
            .finish_non_exhaustive()
    }
}

/// A ticker: sends the time every period, dropping ticks a slow receiver missed.
/// Go: `time.Ticker` (`time.NewTicker`).
///
/// ```
/// use rungo_channels::time::{Duration, Ticker};
/// let t = Ticker::new(Duration::from_millis(2));
/// for _ in 0..3 {
///     t.c.recv();
/// }
/// t.stop();
/// ```
pub struct Ticker {
    /// The channel ticks are delivered on. Go: `t.C`.
    pub c: Receiver<Instant>,
    shared: Arc<Shared>,
}

impl Ticker {
    /// A ticker with period `d`. Go: `time.NewTicker(d)`.
    ///
    /// # Panics
    /// `non-positive interval for NewTicker` if `d` is zero.
    pub fn new(d: Duration) -> Ticker {
        assert!(!d.is_zero(), "non-positive interval for NewTicker");
        let ch = crate::chan::chan::<Instant>(1);
        let shared = Shared::new(
            Action::Send(Arc::downgrade(ch.inner.as_ref().expect("new channel"))),
            Some(d),
        );
        shared.rearm(Some(d), Some(d));
        Ticker {
            c: ch.receiver(),
            shared,
        }
    }

    /// Stops the ticker; no tick is received after `stop` returns. Go: `t.Stop()`.
    pub fn stop(&self) {
        self.shared.rearm(None, None);
    }

    /// Stops the ticker and restarts it with period `d`; the next tick arrives after `d`.
    /// Go: `t.Reset(d)`.
    ///
    /// # Panics
    /// `non-positive interval for Ticker.Reset` if `d` is zero.
    pub fn reset(&self, d: Duration) {
        assert!(!d.is_zero(), "non-positive interval for Ticker.Reset");
        self.shared.rearm(Some(d), Some(d));
    }
}

impl std::fmt::Debug for Ticker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticker")
            .field("c", &self.c)
            .finish_non_exhaustive()
    }
}

/// A channel that receives the time once, after `d`. Go: `time.After(d)`.
///
/// ```
/// use rungo_channels::{chan, select, time::{after, Duration}};
/// let never = chan::<i32>(0);
/// let timed_out = select! {
///     recv(never) -> _ => false,
///     recv(after(Duration::from_millis(5))) => true,
/// };
/// assert!(timed_out);
/// ```
pub fn after(d: Duration) -> Receiver<Instant> {
    Timer::new(d).c
}

/// A channel that receives the time every `d`; a nil channel when `d` is zero.
/// Go: `time.Tick(d)`. The ticker stops once the channel is dropped.
pub fn tick(d: Duration) -> Receiver<Instant> {
    if d.is_zero() {
        return Receiver::nil();
    }
    Ticker::new(d).c
}

/// Runs `f` in a new coroutine after `d`; the returned timer's `stop` cancels it and `reset`
/// schedules it again. Its `c` is a nil channel. Go: `time.AfterFunc(d, f)`.
///
/// ```
/// use rungo_channels::{chan, time::{after_func, Duration}};
/// let done = chan::<()>(1);
/// let d = done.clone();
/// let _t = after_func(Duration::from_millis(1), move || d.send(()));
/// assert_eq!(done.recv(), Some(()));
/// ```
pub fn after_func<F>(d: Duration, f: F) -> Timer
where
    F: Fn() + Send + Sync + 'static,
{
    let shared = Shared::new(Action::Func(Arc::new(f)), None);
    shared.rearm(Some(d), None);
    Timer {
        c: Receiver::nil(),
        shared,
    }
}
