//! Timer channels: Go's `time.After`, `time.Tick`, `time.NewTimer`, `time.NewTicker`,
//! `time.AfterFunc`, with Go 1.23 semantics (no stale value after `Stop`/`Reset` returns, and
//! unreferenced timers are reclaimed). `sleep` is the runtime's ([`sleep`] is re-exported here
//! for Go ports).
//!
//! # Design
//!
//! **The service.** One dedicated OS thread, `rungo-timer`, started on first use, serves every
//! timer. It does not depend on a coroutine spawn (which can fail when guarded stacks run
//! out), and it keeps firing while every worker runs CPU-bound code. It owns a min-heap of
//! `(deadline, generation, timer)` entries behind a short mutex and sleeps (`park_timeout`)
//! until the earliest deadline; a timer whose new entry becomes the earliest unparks it (the
//! thread's park token covers the window between reading the deadline and parking, so no
//! wake-up is lost). A *pass* takes every due entry out of the heap, releases the heap lock,
//! and fires them. Firing never blocks: a timer sends the time with `try_send` on its
//! capacity-1 channel (a ticker drops ticks for a slow receiver, as Go's does) and wakes the
//! receiver across threads. Passes are at least 20 µs (`DEBUG_MIN_PASS_INTERVAL`) apart:
//! that is the service's resolution, so a ticker with a tiny period (1 ns) ticks at most once
//! per pass and the thread never spins.
//!
//! **`after_func`.** The function runs in a new coroutine, as Go runs it in its own goroutine.
//! The service collects the functions due in a pass and spawns them only after releasing every
//! lock: a spawn may yield or park, and a lock held across it could block a worker thread on
//! which a coroutine then calls `stop`/`reset`. If no coroutine can be spawned (the stack
//! budget is spent) the function runs on a new plain thread instead; if no thread can be
//! started either, the process aborts with a message, like Go's fatal error when it cannot
//! create a goroutine or thread. The service itself never dies.
//!
//! **Timer state and Go 1.23's guarantee.** Each timer has a small state (`active`,
//! `generation`, ticker `period`) under its own mutex. `stop`/`reset` bump the generation,
//! update or remove the timer's heap entry, and drain its channel, all under the timer's
//! mutex; firing checks the generation and sends under the same mutex. So after `stop` or
//! `reset` returns, no value from before is in the channel or can be sent later. An entry the
//! service has taken out of the heap but not yet fired carries the generation it was pushed
//! with; if the timer was stopped or reset meanwhile, the generations differ and it is
//! dropped. Lock order: a timer's state, then the heap or its channel; the service releases
//! the heap lock before taking a timer's, and no lock is held across a spawn, a park or user
//! code (a closure dropped with its timer is dropped after the locks are released).
//!
//! **Deadlines saturate.** A deadline past what `Instant` can represent (`Duration::MAX`)
//! means "never": the timer is active (so `stop` returns `true`) but has no heap entry and
//! never fires, as in Go. A ticker whose next tick would overflow stops ticking.
//!
//! **Reclaiming (the heap invariant).** The heap is indexed: a timer knows its entry's
//! position (`index`, written only under the heap lock), so a timer has at most one entry,
//! and `stop` removes it at once. An entry in the heap always carries its timer's current
//! generation and its timer is active. The heap holds a sending timer's channel only weakly;
//! a timer whose channel has no handle left (an `after` or `tick` channel dropped) is
//! *garbage*: it can never be observed, stopped or reset. Dropping a [`Timer`] or [`Ticker`]
//! that holds the last handle to its channel removes its entry at once; garbage left by
//! dropped `after`/`tick` channels (which cannot tell the service) is removed by compaction:
//! a push that finds the heap at its threshold first removes every garbage entry, then sets
//! the threshold to `max(64, 2 × len)`, and every removal lowers the threshold to at most
//! `max(64, 2 × len)`. So the heap never holds more than `max(64, 2 × L)` entries, where `L` is
//! its length after the last compaction or removal, and compaction costs O(1) amortised per
//! push. An `after_func` timer is never garbage (its function must run even if the handle is
//! dropped), as in Go.
//!
//! Differences from Go: the channel reports `cap() == 1` and may report `len() == 1` while a
//! value waits (Go 1.23 reports 0 for both); timers fire from one thread with a resolution of
//! 20 µs.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::thread::Thread;

pub use rungo_runtime::sleep;
pub use std::time::{Duration, Instant};

use crate::chan::{Chan, Receiver};
use crate::core::Inner;

/// The minimum time between two passes of the timer service (its resolution).
/// Go: none (Go's timers fire from the scheduler); exposed for tests.
#[doc(hidden)]
pub const DEBUG_MIN_PASS_INTERVAL: Duration = Duration::from_micros(20);

/// Below this many entries the heap is never compacted.
const COMPACT_MIN: usize = 64;

/// `Shared::index` of a timer without a heap entry.
const NOT_IN_HEAP: usize = usize::MAX;

/// What a timer does when it fires.
enum Action {
    /// Send the time on the (weakly held) channel.
    Send(Weak<Inner<Instant>>),
    /// Run the function in a new coroutine.
    Func(Arc<dyn Fn() + Send + Sync>),
}

struct TimerState {
    /// Go's "active": armed and not yet fired (a ticker stays active until stopped). An active
    /// timer whose deadline saturated ("never") has no heap entry.
    active: bool,
    /// Bumped by every stop/reset; an entry taken from the heap with an older one is dropped.
    generation: u64,
    /// `Some` for a ticker.
    period: Option<Duration>,
}

struct Shared {
    state: Mutex<TimerState>,
    /// Position of this timer's entry in the heap, or [`NOT_IN_HEAP`]. Read and written only
    /// under the heap lock (an atomic only so that the heap can update it through `&Shared`).
    index: AtomicUsize,
    action: Action,
}

impl Shared {
    /// True when nobody can receive from the timer's channel any more.
    fn is_garbage(&self) -> bool {
        matches!(&self.action, Action::Send(w) if w.strong_count() == 0)
    }
}

struct Entry {
    when: Instant,
    generation: u64,
    timer: Arc<Shared>,
}

/// A binary min-heap on `when` whose entries know their position (`Shared::index`).
struct Heap {
    v: Vec<Entry>,
    /// A push that finds `len >= compact_at` compacts first (see the module docs).
    compact_at: usize,
}

impl Heap {
    fn place(&mut self, i: usize) {
        self.v[i].timer.index.store(i, Ordering::Relaxed);
    }

    fn sift_up(&mut self, mut i: usize) {
        while i > 0 {
            let parent = (i - 1) / 2;
            if self.v[parent].when <= self.v[i].when {
                break;
            }
            self.v.swap(parent, i);
            self.place(i);
            i = parent;
        }
        self.place(i);
    }

    fn sift_down(&mut self, mut i: usize) {
        let n = self.v.len();
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            let mut min = i;
            if l < n && self.v[l].when < self.v[min].when {
                min = l;
            }
            if r < n && self.v[r].when < self.v[min].when {
                min = r;
            }
            if min == i {
                break;
            }
            self.v.swap(min, i);
            self.place(i);
            i = min;
        }
        if i < n {
            self.place(i);
        }
    }

    /// Moves entry `i` to its place after its deadline changed.
    fn fix(&mut self, i: usize) {
        self.sift_down(i);
        let i = self.v[i].timer.index.load(Ordering::Relaxed);
        self.sift_up(i);
    }

    fn push(&mut self, e: Entry) {
        if self.v.len() >= self.compact_at {
            self.compact();
        }
        debug_assert_eq!(e.timer.index.load(Ordering::Relaxed), NOT_IN_HEAP);
        self.v.push(e);
        self.sift_up(self.v.len() - 1);
    }

    /// Takes entry `i` out of the heap.
    fn remove(&mut self, i: usize) -> Entry {
        let e = self.v.swap_remove(i);
        e.timer.index.store(NOT_IN_HEAP, Ordering::Relaxed);
        if i < self.v.len() {
            self.fix(i);
        }
        self.compact_at = self.compact_at.min(COMPACT_MIN.max(2 * self.v.len()));
        e
    }

    /// Takes the earliest entry if it is due at `now`.
    fn pop_due(&mut self, now: Instant) -> Option<Entry> {
        match self.v.first() {
            Some(e) if e.when <= now => Some(self.remove(0)),
            _ => None,
        }
    }

    fn earliest(&self) -> Option<Instant> {
        self.v.first().map(|e| e.when)
    }

    /// Drops every garbage entry (what they own is a weak channel reference and a mutex: no
    /// user code runs), then rebuilds the heap.
    fn compact(&mut self) {
        self.v.retain(|e| {
            let garbage = e.timer.is_garbage();
            if garbage {
                e.timer.index.store(NOT_IN_HEAP, Ordering::Relaxed);
            }
            !garbage
        });
        for i in 0..self.v.len() {
            self.place(i);
        }
        for i in (0..self.v.len() / 2).rev() {
            self.sift_down(i);
        }
        self.compact_at = COMPACT_MIN.max(2 * self.v.len());
    }
}

struct Service {
    heap: Mutex<Heap>,
    /// The service thread, set once it is started.
    thread: OnceLock<Thread>,
    /// Passes made so far (for tests).
    passes: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The service, with its thread started. Panics if the thread cannot be started (the next
/// call tries again).
fn service() -> &'static Service {
    static SERVICE: OnceLock<Service> = OnceLock::new();
    let s = SERVICE.get_or_init(|| Service {
        heap: Mutex::new(Heap {
            v: Vec::new(),
            compact_at: COMPACT_MIN,
        }),
        thread: OnceLock::new(),
        passes: AtomicU64::new(0),
    });
    s.thread.get_or_init(|| {
        let s: &'static Service = s;
        std::thread::Builder::new()
            .name("rungo-timer".into())
            .spawn(move || s.run())
            .unwrap_or_else(|e| panic!("rungo: cannot start the timer thread: {e}"))
            .thread()
            .clone()
    });
    s
}

impl Service {
    /// The service thread's loop (see the module docs).
    fn run(&'static self) {
        let mut due: Vec<Entry> = Vec::new();
        let mut funcs: Vec<Arc<dyn Fn() + Send + Sync>> = Vec::new();
        let mut last_pass: Option<Instant> = None;
        loop {
            if let Some(earliest) = last_pass.and_then(|t| t.checked_add(DEBUG_MIN_PASS_INTERVAL)) {
                let now = Instant::now();
                if now < earliest {
                    std::thread::sleep(earliest - now);
                }
            }
            let now = Instant::now();
            last_pass = Some(now);
            self.passes.fetch_add(1, Ordering::Relaxed);
            {
                let mut heap = lock(&self.heap);
                while let Some(e) = heap.pop_due(now) {
                    due.push(e);
                }
            }
            for e in &due {
                self.fire(e, now, &mut funcs);
            }
            for f in funcs.drain(..) {
                run_func(f);
            }
            // Outside every lock: this may drop the last reference to an `after_func` closure.
            due.clear();
            let next = lock(&self.heap).earliest();
            match next {
                // rungo's park: counted as idle by the deadlock check.
                None => rungo_runtime::park(),
                Some(when) => {
                    let now = Instant::now();
                    if when > now {
                        std::thread::park_timeout(when - now);
                    }
                }
            }
        }
    }

    /// Fires the entry the service took out of the heap, unless its timer was stopped or reset
    /// since; a function to run is added to `funcs` (spawned once no lock is held).
    fn fire(&self, e: &Entry, now: Instant, funcs: &mut Vec<Arc<dyn Fn() + Send + Sync>>) {
        let timer = &e.timer;
        let mut st = lock(&timer.state);
        if st.generation != e.generation || !st.active {
            return; // stopped or reset since this entry was pushed
        }
        match &timer.action {
            Action::Send(weak) => match weak.upgrade() {
                // Non-blocking: a ticker drops the tick if the last one was not received.
                Some(inner) => drop(Chan { inner: Some(inner) }.try_send(now)),
                None => {
                    // Nobody can receive any more: the timer is garbage.
                    st.active = false;
                    return;
                }
            },
            Action::Func(f) => funcs.push(f.clone()),
        }
        match st.period {
            Some(p) => {
                // Still active; `None` (the next tick overflows) means it never ticks again.
                if let Some(next) = next_tick(e.when, p, now) {
                    lock(&self.heap).push(Entry {
                        when: next,
                        generation: st.generation,
                        timer: timer.clone(),
                    });
                }
            }
            None => st.active = false,
        }
    }

    fn wake(&self) {
        if let Some(t) = self.thread.get() {
            t.unpark();
        }
    }
}

/// A ticker's next deadline after firing for `when` at `now`: the first `when + k * period`
/// after `now`, skipping the ticks we are late for as Go does (a slow receiver gets one tick,
/// not a burst). `None` if it is past what `Instant` can represent.
fn next_tick(when: Instant, period: Duration, now: Instant) -> Option<Instant> {
    let next = when.checked_add(period)?;
    if next > now {
        return Some(next);
    }
    let p = period.as_nanos(); // > 0: tickers reject a zero period
    let k = now.duration_since(when).as_nanos() / p + 1;
    let offset = p.checked_mul(k)?;
    let secs = u64::try_from(offset / 1_000_000_000).ok()?;
    let offset = Duration::new(secs, (offset % 1_000_000_000) as u32);
    let next = when.checked_add(offset)?;
    Some(if next > now {
        next
    } else {
        now.checked_add(period)?
    })
}

/// Runs an `after_func` function in a new coroutine, or on a plain thread if no coroutine can
/// be had (see the module docs). Called with no lock held.
fn run_func(f: Arc<dyn Fn() + Send + Sync>) {
    let g = f.clone();
    let Err(co_err) = rungo_runtime::Builder::new().spawn(move || g()) else {
        return; // detached: it runs to completion on its own
    };
    let spawned = std::thread::Builder::new()
        .name("rungo-timer-func".into())
        .spawn(move || f());
    if let Err(th_err) = spawned {
        eprintln!(
            "rungo: fatal error: cannot run a time.AfterFunc function: no coroutine \
             ({co_err}) and no thread ({th_err})"
        );
        std::process::abort();
    }
}

impl Shared {
    fn new(action: Action, period: Option<Duration>) -> Arc<Shared> {
        Arc::new(Shared {
            state: Mutex::new(TimerState {
                active: false,
                generation: 0,
                period,
            }),
            index: AtomicUsize::new(NOT_IN_HEAP),
            action,
        })
    }

    /// Stops the timer, drains its channel, and optionally re-arms it after `d` (with a new
    /// period for a ticker). Returns whether it was pending (active, or a value was waiting).
    fn rearm(self: &Arc<Shared>, d: Option<Duration>, period: Option<Duration>) -> bool {
        let s = service();
        let mut st = lock(&self.state);
        let mut pending = st.active;
        st.generation = st.generation.wrapping_add(1);
        if let Some(p) = period {
            st.period = Some(p);
        }
        st.active = d.is_some();
        // Saturating: a deadline `Instant` cannot represent is "never" (no heap entry).
        let when = d.and_then(|d| Instant::now().checked_add(d));
        let (removed, earliest) = {
            let mut heap = lock(&s.heap);
            let i = self.index.load(Ordering::Relaxed);
            let mut removed = None;
            match when {
                Some(when) if i != NOT_IN_HEAP => {
                    heap.v[i].when = when;
                    heap.v[i].generation = st.generation;
                    heap.fix(i);
                }
                Some(when) => heap.push(Entry {
                    when,
                    generation: st.generation,
                    timer: self.clone(),
                }),
                None if i != NOT_IN_HEAP => removed = Some(heap.remove(i)),
                None => {}
            }
            let earliest = when.is_some() && self.index.load(Ordering::Relaxed) == 0;
            (removed, earliest)
        };
        if let Action::Send(weak) = &self.action {
            if let Some(inner) = weak.upgrade() {
                let ch = Chan { inner: Some(inner) };
                while ch.try_recv().is_ok() {
                    pending = true;
                }
            }
        }
        drop(st);
        drop(removed); // not the last reference: `self` is one
        if earliest {
            s.wake();
        }
        pending
    }

    /// For a dropped handle that held the last handle to its channel: nobody can observe the
    /// timer any more, so its entry goes now rather than at compaction.
    fn forget_if_unobservable(self: &Arc<Shared>) {
        if matches!(&self.action, Action::Send(w) if w.strong_count() == 1) {
            self.rearm(None, None);
        }
    }
}

/// A new sending timer (a ticker if `period` is set) armed to fire after `d`.
fn send_timer(d: Duration, period: Option<Duration>) -> (Receiver<Instant>, Arc<Shared>) {
    let ch = crate::chan::chan::<Instant>(1);
    let shared = Shared::new(
        Action::Send(Arc::downgrade(ch.inner.as_ref().expect("new channel"))),
        period,
    );
    shared.rearm(Some(d), period);
    (ch.receiver(), shared)
}

/// Number of entries in the timer service's heap (armed timers, plus garbage not yet
/// compacted). Go: none; for leak tests.
#[doc(hidden)]
pub fn debug_heap_len() -> usize {
    lock(&service().heap).v.len()
}

/// Number of passes the timer service has made. Go: none; for tests.
#[doc(hidden)]
pub fn debug_service_passes() -> u64 {
    service().passes.load(Ordering::Relaxed)
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
    /// A `d` too large for [`Instant`] (such as `Duration::MAX`) makes an active timer that
    /// never fires, as in Go.
    pub fn new(d: Duration) -> Timer {
        let (c, shared) = send_timer(d, None);
        Timer { c, shared }
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

/// Dropping the handle that holds the last reference to the channel reclaims the timer at once
/// (nobody could receive its value). An [`after_func`] timer still runs its function.
impl Drop for Timer {
    fn drop(&mut self) {
        self.shared.forget_if_unobservable();
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
    /// A ticker with period `d`. Go: `time.NewTicker(d)`. With a `d` too large for
    /// [`Instant`] (such as `Duration::MAX`) it never ticks.
    ///
    /// # Panics
    /// `non-positive interval for NewTicker` if `d` is zero.
    pub fn new(d: Duration) -> Ticker {
        assert!(!d.is_zero(), "non-positive interval for NewTicker");
        let (c, shared) = send_timer(d, Some(d));
        Ticker { c, shared }
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

/// Dropping the handle that holds the last reference to the channel stops the ticker.
impl Drop for Ticker {
    fn drop(&mut self) {
        self.shared.forget_if_unobservable();
    }
}

impl std::fmt::Debug for Ticker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticker")
            .field("c", &self.c)
            .finish_non_exhaustive()
    }
}

/// A channel that receives the time once, after `d`. Go: `time.After(d)`. Never, for a `d`
/// too large for [`Instant`] (such as `Duration::MAX`). The timer is reclaimed once the
/// channel is dropped.
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
    send_timer(d, None).0
}

/// A channel that receives the time every `d`; a nil channel when `d` is zero.
/// Go: `time.Tick(d)`. The ticker stops once the channel is dropped.
pub fn tick(d: Duration) -> Receiver<Instant> {
    if d.is_zero() {
        return Receiver::nil();
    }
    send_timer(d, Some(d)).0
}

/// Runs `f` in a new coroutine after `d`; the returned timer's `stop` cancels it and `reset`
/// schedules it again. Its `c` is a nil channel. Go: `time.AfterFunc(d, f)`.
///
/// The function runs even if the returned timer is dropped. If no coroutine can be spawned
/// (the stack budget is spent) it runs on a new plain thread instead. A `d` too large for
/// [`Instant`] (such as `Duration::MAX`) means it never runs.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks the heap property and that every entry's timer knows its position.
    fn check(h: &Heap) {
        for (i, e) in h.v.iter().enumerate() {
            assert_eq!(
                e.timer.index.load(Ordering::Relaxed),
                i,
                "index of entry {i}"
            );
            if i > 0 {
                assert!(h.v[(i - 1) / 2].when <= e.when, "heap order at {i}");
            }
        }
    }

    #[test]
    fn indexed_heap_keeps_order_and_positions() {
        let base = Instant::now();
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut h = Heap {
            v: Vec::new(),
            compact_at: COMPACT_MIN,
        };
        // Sending timers whose channels live (kept here) or are dropped (garbage).
        let mut chans = Vec::new();
        let mut timers: Vec<Arc<Shared>> = Vec::new();
        for _ in 0..5_000 {
            let at = base + Duration::from_micros(next() % 10_000);
            match next() % 6 {
                0 | 1 => {
                    let ch = crate::chan::chan::<Instant>(1);
                    let t = Shared::new(
                        Action::Send(Arc::downgrade(ch.inner.as_ref().unwrap())),
                        None,
                    );
                    if next() % 3 == 0 {
                        chans.push(ch); // otherwise dropped: the entry is garbage
                    }
                    h.push(Entry {
                        when: at,
                        generation: 0,
                        timer: t.clone(),
                    });
                    timers.push(t);
                }
                2 => {
                    // Move an entry (what reset does).
                    if let Some(t) = timers.get(next() as usize % timers.len().max(1)) {
                        let i = t.index.load(Ordering::Relaxed);
                        if i != NOT_IN_HEAP {
                            h.v[i].when = at;
                            h.fix(i);
                        }
                    }
                }
                3 => {
                    // Remove an entry (what stop does).
                    if let Some(t) = timers.get(next() as usize % timers.len().max(1)) {
                        let i = t.index.load(Ordering::Relaxed);
                        if i != NOT_IN_HEAP {
                            let e = h.remove(i);
                            assert!(Arc::ptr_eq(&e.timer, t));
                        }
                    }
                }
                _ => {
                    // Pop what is due (what a pass does): in deadline order.
                    let now = base + Duration::from_micros(next() % 10_000);
                    let mut last = None;
                    while let Some(e) = h.pop_due(now) {
                        assert!(e.when <= now);
                        assert!(last.is_none_or(|l| l <= e.when));
                        assert_eq!(e.timer.index.load(Ordering::Relaxed), NOT_IN_HEAP);
                        last = Some(e.when);
                    }
                    assert!(h.earliest().is_none_or(|w| w > now));
                }
            }
            check(&h);
            assert!(h.v.len() <= h.compact_at.max(COMPACT_MIN) + 1);
        }
        // Compaction keeps exactly the entries whose channels live.
        h.compact();
        check(&h);
        assert!(h.v.iter().all(|e| !e.timer.is_garbage()));
    }
}
