//! Seeing inside: the goroutine dump ([`dump`]), `SIGQUIT`, and the deadlock check.
//!
//! # What is recorded, and where
//!
//! * Every coroutine records where it was spawned (`#[track_caller]` through `go!`, `spawn`,
//!   `Builder::spawn` and `run`) in its control block.
//! * While blocked, a coroutine records why, where and since when (a [`Waiting`](crate::Waiting) guard made by
//!   the blocking primitive on its slow path, in Go's words: `chan receive`,
//!   `sync.Mutex.Lock`, `sleep`, ...). With `RUNGO_TRACEBACK=all` the guard also captures a
//!   backtrace, kept in a table of the home worker's thread.
//! * Each worker keeps a registry of the coroutines it has started and not finished: a `Vec`
//!   of task pointers, pushed at start and swap-removed at finish, touched only by that worker
//!   (each task knows its slot). Unstarted coroutines are only counted.
//!
//! All of this lives on the home worker and is read only there: a dump asks every worker to
//! write its part (a flag and a wake-up; the worker answers at its next tick or when it wakes),
//! so the hot paths pay a few plain stores and no synchronisation. A worker stuck in a long
//! run cannot answer; the dump then names the coroutine it runs (from what it publishes for
//! sysmon) instead of listing its coroutines.
//!
//! # The deadlock check
//!
//! Go exits with `fatal error: all goroutines are asleep - deadlock!` when no goroutine can
//! run again. sysmon makes the same judgement (`deadlocked`), conservatively, when all of this
//! holds, twice, 50 ms apart, with no worker tick and no thread wake-up in between:
//!
//! * every started worker sleeps in its epoll with empty queues and no timer pending, and the
//!   global injector is empty (so every live coroutine is parked);
//! * no socket is registered with a poller (a peer might still send), and no blocking-pool job
//!   is running;
//! * every thread of the process is accounted for: the workers, sysmon, the blocking pool's
//!   (idle) threads, and plain threads parked in rungo's untimed [`park`](crate::park)
//!   (counted in [`THREADS_PARKED`]): a thread doing anything else might still wake someone;
//! * somebody is waiting (a live coroutine, or a parked thread).
//!
//! Then it prints Go's message and the dump, and exits with status 2. `RUNGO_DEADLOCK=off`
//! turns the check off.

pub(crate) mod panic_hook;
pub mod trace;

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::park::WaitReason;
use crate::sched::{CURRENT, Local, runtime};
use crate::task::{PARKED, Task};

/// Plain threads parked in rungo's untimed `park` right now.
pub(crate) static THREADS_PARKED: AtomicUsize = AtomicUsize::new(0);
/// Returns of plain threads from that park (the deadlock check's "nothing moved" witness).
pub(crate) static THREAD_WAKES: AtomicUsize = AtomicUsize::new(0);

/// Counts the calling plain thread as parked in rungo (for the deadlock check) while alive:
/// for a helper thread of rungo's own crates that waits, with no timeout, for something only
/// rungo tasks can do (the context crate's timer thread waiting on its condition variable).
#[doc(hidden)]
pub struct ThreadIdle(());

impl ThreadIdle {
    #[allow(clippy::new_without_default)]
    pub fn new() -> ThreadIdle {
        THREADS_PARKED.fetch_add(1, Ordering::SeqCst);
        ThreadIdle(())
    }
}

impl Drop for ThreadIdle {
    fn drop(&mut self) {
        THREADS_PARKED.fetch_sub(1, Ordering::SeqCst);
        THREAD_WAKES.fetch_add(1, Ordering::SeqCst);
    }
}

/// The names of the named coroutines that exist, by id. sysmon's stall report needs the name
/// of a coroutine on a worker it cannot ask (the worker is stuck) and must not read the task
/// itself, which the worker frees as soon as it finishes it. Only named coroutines pay: an
/// entry made when the task is made and removed when it is freed.
static NAMES: Mutex<Option<HashMap<u64, Box<str>>>> = Mutex::new(None);

#[cold]
pub(crate) fn remember_name(id: u64, name: &str) {
    lock(&NAMES)
        .get_or_insert_with(HashMap::new)
        .insert(id, name.into());
}

#[cold]
pub(crate) fn forget_name(id: u64) {
    if let Some(names) = lock(&NAMES).as_mut() {
        names.remove(&id);
    }
}

/// The name of coroutine `id`, if it is named and still exists.
pub(crate) fn name_of(id: u64) -> Option<String> {
    lock(&NAMES).as_ref()?.get(&id).map(|n| n.to_string())
}

/// The coarse clock sysmon advances on every round (every 1 to 10 ms), in milliseconds; 0
/// until its first round.
static COARSE_MS: AtomicU32 = AtomicU32::new(0);

/// Milliseconds on the monotonic clock, read by sysmon (see [`coarse_now_ms`]).
fn clock_ms() -> u32 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for the call to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
    (ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000) as u32
}

/// sysmon: advances the coarse clock.
pub(crate) fn tick_coarse_clock() {
    COARSE_MS.store(clock_ms(), Ordering::Relaxed);
}

/// Milliseconds, up to sysmon's period (10 ms at most) behind the monotonic clock: a wait's
/// "since", which the dump shows in minutes. Every park records one, so it is one load rather
/// than a clock read (which was 5% of a channel ping-pong round trip).
#[inline]
pub(crate) fn coarse_now_ms() -> u32 {
    match COARSE_MS.load(Ordering::Relaxed) {
        0 => clock_ms(),
        ms => ms,
    }
}

/// `RUNGO_TRACEBACK=all`: read once; 0 unknown, 1 no, 2 yes.
static TRACEBACK_ALL: AtomicU8 = AtomicU8::new(0);

#[inline]
fn traceback_all() -> bool {
    match TRACEBACK_ALL.load(Ordering::Relaxed) {
        0 => read_traceback_all(),
        v => v == 2,
    }
}

#[cold]
fn read_traceback_all() -> bool {
    let all = std::env::var("RUNGO_TRACEBACK").is_ok_and(|v| v == "all");
    TRACEBACK_ALL.store(if all { 2 } else { 1 }, Ordering::Relaxed);
    all
}

thread_local! {
    /// Backtraces captured at park (`RUNGO_TRACEBACK=all`), by coroutine id, on its home worker.
    static PARK_TRACES: RefCell<HashMap<u64, String>> = RefCell::new(HashMap::new());
}

thread_local! {
    /// Who holds what a blocked coroutine waits for (`Waiting::held_by`), by coroutine id: the
    /// address of the lock's holder word, alive while the coroutine waits in that lock.
    static HOLDERS: RefCell<HashMap<u64, *const AtomicU64>> = RefCell::new(HashMap::new());
}

pub(crate) fn record_holder(task: &Task, holder: &AtomicU64) {
    HOLDERS.with(|h| h.borrow_mut().insert(task.id.get(), holder));
}

pub(crate) fn forget_holder(task: &Task) {
    HOLDERS.with(|h| h.borrow_mut().remove(&task.id.get()));
}

/// Stores the parking coroutine's backtrace if `RUNGO_TRACEBACK=all`; true if it did.
#[inline]
pub(crate) fn capture_park_backtrace(task: &Task) -> bool {
    let all = traceback_all();
    if all {
        store_park_backtrace(task);
    }
    all
}

#[cold]
fn store_park_backtrace(task: &Task) {
    let trace = std::backtrace::Backtrace::force_capture().to_string();
    PARK_TRACES.with(|t| t.borrow_mut().insert(task.id.get(), trace));
}

pub(crate) fn forget_park_backtrace(task: &Task) {
    PARK_TRACES.with(|t| t.borrow_mut().remove(&task.id.get()));
}

/// Wait reasons, counted by their code (0: parked without a reason).
const REASONS: usize = 18;

/// One worker's answer: its coroutines' dump text (when asked for) and counts.
#[derive(Clone)]
pub(crate) struct Part {
    text: String,
    runnable: usize,
    parked: [usize; REASONS],
    /// Wait-for edges: (waiting coroutine, holder, why and where it waits).
    edges: Vec<(
        u64,
        u64,
        WaitReason,
        Option<&'static std::panic::Location<'static>>,
    )>,
}

/// A collection in progress: what is asked for and the answers, one per worker.
struct Collection {
    parts: Vec<Option<Part>>,
    with_text: bool,
}

fn collection() -> &'static Mutex<Collection> {
    static STATE: OnceLock<Mutex<Collection>> = OnceLock::new();
    STATE.get_or_init(|| {
        Mutex::new(Collection {
            parts: Vec::new(),
            with_text: false,
        })
    })
}

/// One collection at a time.
static COLLECTING: AtomicBool = AtomicBool::new(false);

/// How long a collection waits for a worker's answer.
const ANSWER: Duration = Duration::from_secs(2);

/// Asks every started worker for its part (the caller's own worker answers here) and waits up
/// to [`ANSWER`]; a worker that did not answer is `None`. Also returns the caller's worker if
/// the caller is a coroutine.
fn collect(with_text: bool) -> (Vec<Option<Part>>, Option<usize>) {
    while COLLECTING.swap(true, Ordering::Acquire) {
        pause();
    }
    let rt = runtime();
    let workers = rt.started_workers();
    let me = Local::current()
        .filter(|_| CURRENT.get().is_some())
        .map(|l| l.index());
    {
        let mut c = lock(collection());
        c.parts = vec![None; workers];
        c.with_text = with_text;
    }
    for (i, w) in rt.workers()[..workers].iter().enumerate() {
        if Some(i) == me {
            let part = Local::current().expect("a worker").dump_part(with_text);
            lock(collection()).parts[i] = Some(part);
        } else {
            w.dump_requested.store(true, Ordering::Release);
            w.poller.unpark();
        }
    }
    let start = Instant::now();
    while lock(collection()).parts.iter().any(Option::is_none) && start.elapsed() < ANSWER {
        pause();
    }
    let parts = std::mem::take(&mut lock(collection()).parts);
    for (i, part) in parts.iter().enumerate() {
        if part.is_none() {
            rt.workers()[i]
                .dump_requested
                .store(false, Ordering::Relaxed);
        }
    }
    COLLECTING.store(false, Ordering::Release);
    (parts, me)
}

fn pause() {
    if CURRENT.get().is_some() {
        crate::sleep(Duration::from_millis(1));
    } else {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Every coroutine, as Go's goroutine dump shows them: one block each, with its state (and
/// how long it has waited, past a minute), its name, where it waits and where it was spawned;
/// the calling coroutine's backtrace, and with `RUNGO_TRACEBACK=all` each parked coroutine's
/// backtrace from where it blocked.
///
/// Go: the dump that `SIGQUIT` or a fatal error prints (`runtime.Stack(buf, true)` returns it).
///
/// ```
/// let text = rungo_runtime::run(rungo_runtime::dump);
/// assert!(text.contains("[running]"));
/// ```
pub fn dump() -> String {
    let mut out = String::new();
    if let Some(task) = CURRENT.get() {
        // SAFETY: the running coroutine's task is alive while it runs.
        let task = unsafe { task.as_ref() };
        let _ = writeln!(out, "goroutine {} [running]:", task.id);
        if let Some(name) = task.name() {
            let _ = writeln!(out, "name: {name:?}");
        }
        let _ = writeln!(out, "{}", std::backtrace::Backtrace::force_capture());
        let _ = writeln!(out, "created at {}\n", task.spawn_site);
    }
    let rt = runtime();
    let (parts, me) = collect(true);
    let mut listed = usize::from(me.is_some());
    for (i, part) in parts.into_iter().enumerate() {
        match part {
            Some(part) => {
                listed += part.runnable + part.parked.iter().sum::<usize>();
                out.push_str(&part.text);
            }
            None => {
                let w = &rt.workers()[i];
                let id = w.running.load(Ordering::Relaxed);
                let site = w.running_site.load(Ordering::Relaxed);
                // SAFETY: a published site is a `&'static Location` (or null).
                let site = unsafe { site.as_ref() }.map_or_else(|| "?".into(), |l| l.to_string());
                let _ = writeln!(
                    out,
                    "worker {i} did not answer: it is running coroutine {id} (created at {site}) \
                     without calling rungo; its other coroutines are not listed\n"
                );
            }
        }
    }
    let unstarted = rt.live().saturating_sub(listed);
    if unstarted > 0 {
        let _ = writeln!(
            out,
            "{unstarted} coroutine(s) spawned and not yet started\n"
        );
    }
    out
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A worker's part: every coroutine it started and has not finished, except the one running
/// (the caller, which `dump` writes itself). Called on the worker's thread.
pub(crate) fn write_part(tasks: &[std::ptr::NonNull<Task>], with_text: bool) -> Part {
    let now = coarse_now_ms();
    let current = CURRENT.get();
    let mut part = Part {
        text: String::new(),
        runnable: 0,
        parked: [0; REASONS],
        edges: Vec::new(),
    };
    for &ptr in tasks {
        if Some(ptr) == current {
            continue;
        }
        // SAFETY: registered tasks are started and unfinished, so alive (see the registry),
        // and we are on their home worker, the only thread that touches their wait fields.
        let task = unsafe { ptr.as_ref() };
        let parked = task.state.load(Ordering::Acquire) == PARKED;
        let code = task.wait_reason.get();
        if parked {
            part.parked[usize::from(code).min(REASONS - 1)] += 1;
            let holder = HOLDERS.with(|h| h.borrow().get(&task.id.get()).copied());
            if let (Some(holder), Some(reason)) = (holder, WaitReason::from_code(code)) {
                // SAFETY: the holder word belongs to the lock this parked coroutine waits in,
                // which outlives its wait (`Waiting::held_by`'s contract).
                let by = unsafe { (*holder).load(Ordering::Relaxed) };
                if by != 0 {
                    part.edges
                        .push((task.id.get(), by, reason, task.wait_site.get()));
                }
            }
        } else {
            part.runnable += 1;
        }
        if !with_text {
            continue;
        }
        let out = &mut part.text;
        let reason = WaitReason::from_code(code).filter(|_| parked);
        let state = match (reason, parked) {
            (Some(r), _) => r.as_str(),
            (None, true) => "parked",
            (None, false) => "runnable",
        };
        let minutes = now.wrapping_sub(task.wait_since.get()) / 60_000;
        let _ = if reason.is_some() && minutes > 0 {
            writeln!(out, "goroutine {} [{state}, {minutes} minutes]:", task.id)
        } else {
            writeln!(out, "goroutine {} [{state}]:", task.id)
        };
        if let Some(name) = task.name() {
            let _ = writeln!(out, "name: {name:?}");
        }
        if let Some(site) = task.wait_site.get().filter(|_| reason.is_some()) {
            let _ = writeln!(out, "waiting at {site}");
        }
        PARK_TRACES.with(|t| {
            if let Some(trace) = t.borrow().get(&task.id.get()) {
                let _ = writeln!(out, "{trace}");
            }
        });
        let _ = writeln!(out, "created at {}\n", task.spawn_site);
    }
    part
}

/// Called by a worker that found its `dump_requested` flag: writes its part.
pub(crate) fn answer(local: &Local) {
    let with_text = lock(collection()).with_text;
    let part = local.dump_part(with_text);
    let mut c = lock(collection());
    if let Some(slot) = c.parts.get_mut(local.index()) {
        *slot = Some(part);
    }
}

/// The runtime's counters now. Go: the `runtime/metrics` package (`/sched/goroutines`,
/// `/sched/gomaxprocs`, ...) and `runtime.NumGoroutine`.
///
/// ```
/// let m = rungo_runtime::run(rungo_runtime::metrics);
/// assert!(m.live >= 1 && m.workers >= 1);
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Metrics {
    /// Worker threads configured (`GOMAXPROCS`), and started so far.
    pub workers: usize,
    /// Worker threads started (workers start when there is work for them).
    pub workers_started: usize,
    /// Spare workers taking new work beyond `GOMAXPROCS` right now: sysmon adds one while
    /// every worker is stuck and some are blocked in system calls (Go: the thread that takes
    /// over the P of a thread blocked in a system call).
    pub spare_workers: usize,
    /// Coroutines spawned and not finished.
    pub live: usize,
    /// Started coroutines ready to run (queued), not counting the caller.
    pub runnable: usize,
    /// Blocked coroutines, by what they wait for (`None`: a custom primitive that parked
    /// without a [`Waiting`](crate::Waiting) reason).
    pub blocked: Vec<(Option<WaitReason>, usize)>,
    /// Coroutines spawned since the start.
    pub spawns: u64,
    /// Unstarted coroutines taken from another worker's queue.
    pub steals: u64,
    /// Coroutine resumes (context switches into a coroutine).
    pub context_switches: u64,
    /// Timed parks in progress (sleeps, timeouts).
    pub pending_timers: usize,
    /// Sockets registered with the workers' pollers.
    pub registered_fds: usize,
    /// Blocking-pool threads alive, and jobs in progress.
    pub blocking_threads: usize,
    /// Jobs submitted to the blocking pool and not finished.
    pub blocking_jobs: usize,
    /// Per worker: time since the runtime started during which it was not asleep.
    pub busy: Vec<Duration>,
    /// Workers that did not answer (each running one coroutine for a long time).
    pub unanswered: usize,
    /// Workers looking for work to steal right now (Go: the spinning threads of
    /// `GODEBUG=schedtrace`). Zero while every worker runs a coroutine.
    pub searching: usize,
}

/// Collects [`Metrics`] (asks every worker for its counts, as [`dump`] does).
pub fn metrics() -> Metrics {
    let rt = runtime();
    let (parts, _) = collect(false);
    let mut m = Metrics {
        workers: rt.num_workers(),
        workers_started: parts.len(),
        live: rt.live(),
        pending_timers: rt.pending_timers(),
        spare_workers: rt.spares(),
        ..Metrics::default()
    };
    let mut blocked = [0usize; REASONS];
    for part in &parts {
        match part {
            Some(p) => {
                m.runnable += p.runnable;
                for (b, n) in blocked.iter_mut().zip(p.parked) {
                    *b += n;
                }
            }
            None => m.unanswered += 1,
        }
    }
    m.blocked = blocked
        .iter()
        .enumerate()
        .filter(|&(_, &n)| n > 0)
        .map(|(code, &n)| (WaitReason::from_code(code as u8), n))
        .collect();
    let uptime = rt.uptime();
    for w in &rt.workers()[..rt.started_workers()] {
        m.spawns += w.stats.spawns.load(Ordering::Relaxed);
        m.steals += w.stats.steals.load(Ordering::Relaxed);
        m.context_switches += w.stats.switches.load(Ordering::Relaxed);
        m.registered_fds += w.poller.registered();
        let idle = Duration::from_nanos(w.stats.idle_ns.load(Ordering::Relaxed));
        m.busy.push(uptime.saturating_sub(idle));
    }
    m.spawns += rt.external_spawn_total();
    m.searching = rt.searching();
    let pool = crate::blocking::blocking_pool_stats();
    m.blocking_threads = pool.threads;
    m.blocking_jobs = pool.jobs;
    m
}

// ---------------------------------------------------------------------------------------------
// SIGQUIT

static SIGQUIT_PENDING: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigquit(_: libc::c_int) {
    // Only an atomic store: async-signal-safe. sysmon does the rest.
    SIGQUIT_PENDING.store(true, Ordering::SeqCst);
}

/// Installs the `SIGQUIT` handler unless `RUNGO_SIGQUIT=off`: Go prints every goroutine and
/// exits with status 2.
pub(crate) fn install_sigquit() {
    if std::env::var("RUNGO_SIGQUIT").is_ok_and(|v| v == "off") {
        return;
    }
    // SAFETY: a zeroed sigaction with a valid handler and an empty mask is a valid argument;
    // the handler only stores to an atomic.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigquit as extern "C" fn(libc::c_int) as *const () as usize;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGQUIT, &action, std::ptr::null_mut());
    }
}

/// sysmon's part of `SIGQUIT`: if one arrived, print the dump and exit with status 2.
pub(crate) fn handle_sigquit() {
    if SIGQUIT_PENDING.swap(false, Ordering::SeqCst) {
        let text = dump();
        eprintln!("SIGQUIT: quit\n\n{text}");
        std::process::exit(2);
    }
}

// ---------------------------------------------------------------------------------------------
// Deadlock

fn deadlock_check_enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| !std::env::var("RUNGO_DEADLOCK").is_ok_and(|v| v == "off"))
}

/// What stayed the same between two positive checks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Quiet {
    ticks: u64,
    thread_wakes: usize,
    live: usize,
    since: Instant,
}

/// sysmon's deadlock judgement (see the module docs); `last` holds the previous positive check.
pub(crate) fn check_deadlock(last: &mut Option<Quiet>) {
    if !deadlock_check_enabled() {
        return;
    }
    let Some(now) = quiet_now() else {
        *last = None;
        return;
    };
    match *last {
        Some(prev)
            if (prev.ticks, prev.thread_wakes, prev.live)
                == (now.ticks, now.thread_wakes, now.live) =>
        {
            if now.since - prev.since >= Duration::from_millis(50) {
                let (parts, _) = collect(false);
                let edges: Vec<_> = parts.into_iter().flatten().flat_map(|p| p.edges).collect();
                let cycle = cycle_text(&edges);
                let text = dump();
                eprintln!("fatal error: all goroutines are asleep - deadlock!\n\n{cycle}{text}");
                std::process::exit(2);
            }
        }
        _ => *last = Some(now),
    }
}

/// Names a wait-for cycle among `edges`, if there is one: "coroutine 7 waits for
/// sync.Mutex.Lock at a.rs:12 held by coroutine 9, which waits for ... held by coroutine 7".
fn cycle_text(
    edges: &[(
        u64,
        u64,
        WaitReason,
        Option<&'static std::panic::Location<'static>>,
    )],
) -> String {
    let next: HashMap<u64, usize> = edges.iter().enumerate().map(|(i, e)| (e.0, i)).collect();
    for start in edges {
        let mut seen = vec![start.0];
        let mut at = start.0;
        while let Some(&i) = next.get(&at) {
            let holder = edges[i].1;
            if holder == start.0 {
                let mut text = String::new();
                for (k, &id) in seen.iter().enumerate() {
                    let (_, by, reason, site) = edges[next[&id]];
                    let site = site.map_or_else(|| "?".into(), |s| s.to_string());
                    let lead = if k == 0 { "coroutine" } else { ", which" };
                    let who = if k == 0 {
                        format!(" {id}")
                    } else {
                        String::new()
                    };
                    let _ = write!(
                        text,
                        "{lead}{who} waits for {reason} at {site} held by coroutine {by}"
                    );
                }
                return format!("wait-for cycle: {text}\n\n");
            }
            if seen.contains(&holder) {
                break; // a cycle that does not pass through `start`: found from its own start
            }
            seen.push(holder);
            at = holder;
        }
    }
    String::new()
}

/// The state if the process looks deadlocked right now.
fn quiet_now() -> Option<Quiet> {
    let rt = runtime();
    let workers = &rt.workers()[..rt.started_workers()];
    let mut ticks = 0u64;
    for w in workers {
        if !w.is_idle_asleep() {
            return None;
        }
        ticks = ticks.wrapping_add(u64::from(w.tick.load(Ordering::Relaxed)));
    }
    if !rt.injector().is_empty() {
        return None;
    }
    if crate::blocking::blocking_pool_stats().jobs != 0 {
        return None;
    }
    let parked = THREADS_PARKED.load(Ordering::SeqCst);
    let live = rt.live();
    if parked == 0 && live == 0 {
        return None; // nobody waits: an idle process
    }
    let ours = workers.len() + 1 + crate::blocking::blocking_pool_stats().threads;
    if process_threads()? != ours + parked {
        return None; // some thread is doing something else, and might wake somebody
    }
    Some(Quiet {
        ticks,
        thread_wakes: THREAD_WAKES.load(Ordering::SeqCst),
        live,
        since: Instant::now(),
    })
}

/// The number of threads in this process (`Threads:` in /proc/self/status).
fn process_threads() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))?
        .trim()
        .parse()
        .ok()
}
