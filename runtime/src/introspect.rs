//! Seeing inside: the goroutine dump ([`dump`]), `SIGQUIT`, and the deadlock check.
//!
//! # What is recorded, and where
//!
//! * Every coroutine records where it was spawned (`#[track_caller]` through `go!`, `spawn`,
//!   `Builder::spawn` and `run`) in its control block.
//! * While blocked, a coroutine records why, where and since when (a [`Waiting`] guard made by
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

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::park::WaitReason;
use crate::scheduler::{CURRENT, Local, runtime};
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

/// Milliseconds on the coarse monotonic clock (a few ns to read; a wait's "since").
pub(crate) fn coarse_now_ms() -> u32 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for the call to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
    (ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000) as u32
}

fn traceback_all() -> bool {
    static ALL: OnceLock<bool> = OnceLock::new();
    *ALL.get_or_init(|| std::env::var("RUNGO_TRACEBACK").is_ok_and(|v| v == "all"))
}

thread_local! {
    /// Backtraces captured at park (`RUNGO_TRACEBACK=all`), by coroutine id, on its home worker.
    static PARK_TRACES: RefCell<HashMap<u64, String>> = RefCell::new(HashMap::new());
}

pub(crate) fn capture_park_backtrace(task: &Task) {
    if traceback_all() {
        let trace = std::backtrace::Backtrace::force_capture().to_string();
        PARK_TRACES.with(|t| t.borrow_mut().insert(task.id.get(), trace));
    }
}

pub(crate) fn forget_park_backtrace(task: &Task) {
    if traceback_all() {
        PARK_TRACES.with(|t| t.borrow_mut().remove(&task.id.get()));
    }
}

/// The parts of a dump in progress, one per worker.
struct DumpState {
    parts: Vec<Option<String>>,
}

fn dump_state() -> &'static Mutex<DumpState> {
    static STATE: OnceLock<Mutex<DumpState>> = OnceLock::new();
    STATE.get_or_init(|| Mutex::new(DumpState { parts: Vec::new() }))
}

/// One dump at a time.
static DUMPING: AtomicBool = AtomicBool::new(false);

/// How long a dump waits for a worker's answer.
const ANSWER: Duration = Duration::from_millis(500);

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
#[track_caller]
pub fn dump() -> String {
    while DUMPING.swap(true, Ordering::Acquire) {
        crate::sleep(Duration::from_millis(1));
    }
    let rt = runtime();
    let workers = rt.started_workers();
    let mut out = String::new();
    let me = Local::current().filter(|_| CURRENT.get().is_some()).map(|l| l.index());
    if let Some(task) = CURRENT.get() {
        // SAFETY: the running coroutine's task is alive while it runs.
        let task = unsafe { task.as_ref() };
        let _ = writeln!(out, "goroutine {} [running]:", task.id);
        if let Some(name) = task.name.as_deref() {
            let _ = writeln!(out, "name: {name:?}");
        }
        let _ = writeln!(out, "{}", std::backtrace::Backtrace::force_capture());
        let _ = writeln!(out, "created at {}\n", task.spawn_site);
    }
    lock(dump_state()).parts = vec![None; workers];
    for (i, w) in rt.workers()[..workers].iter().enumerate() {
        if Some(i) == me {
            let part = Local::current().expect("a worker").dump_part();
            lock(dump_state()).parts[i] = Some(part);
        } else {
            w.dump_requested.store(true, Ordering::Release);
            w.poller.unpark();
        }
    }
    let start = Instant::now();
    while lock(dump_state()).parts.iter().any(Option::is_none) && start.elapsed() < ANSWER {
        if CURRENT.get().is_some() {
            crate::sleep(Duration::from_millis(1));
        } else {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let parts = std::mem::take(&mut lock(dump_state()).parts);
    let mut listed = 0;
    for (i, part) in parts.into_iter().enumerate() {
        match part {
            Some(part) => {
                listed += part.matches("\ngoroutine ").count() + part.starts_with("goroutine ") as usize;
                out.push_str(&part);
            }
            None => {
                let w = &rt.workers()[i];
                w.dump_requested.store(false, Ordering::Relaxed);
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
    let counted = listed + usize::from(me.is_some());
    let unstarted = rt.live().saturating_sub(counted);
    if unstarted > 0 {
        let _ = writeln!(out, "{unstarted} coroutine(s) spawned and not yet started\n");
    }
    DUMPING.store(false, Ordering::Release);
    out
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A worker's part of the dump: every coroutine it started and has not finished, except the
/// one running (the dump's caller, written by `dump` itself). Called on the worker's thread.
pub(crate) fn write_part(tasks: &[std::ptr::NonNull<Task>]) -> String {
    let now = coarse_now_ms();
    let current = CURRENT.get();
    let mut out = String::new();
    for &ptr in tasks {
        if Some(ptr) == current {
            continue;
        }
        // SAFETY: registered tasks are started and unfinished, so alive (see the registry),
        // and we are on their home worker, the only thread that touches their wait fields.
        let task = unsafe { ptr.as_ref() };
        let parked = task.state.load(Ordering::Acquire) == PARKED;
        let reason = WaitReason::from_code(task.wait_reason.get());
        let state = match (reason, parked) {
            (Some(r), _) => r.as_str().to_string(),
            (None, true) => "parked".into(),
            (None, false) => "runnable".into(),
        };
        let minutes = now.wrapping_sub(task.wait_since.get()) / 60_000;
        let _ = if reason.is_some() && minutes > 0 {
            writeln!(out, "goroutine {} [{state}, {minutes} minutes]:", task.id)
        } else {
            writeln!(out, "goroutine {} [{state}]:", task.id)
        };
        if let Some(name) = task.name.as_deref() {
            let _ = writeln!(out, "name: {name:?}");
        }
        if let Some(site) = task.wait_site.get() {
            let _ = writeln!(out, "waiting at {site}");
        }
        PARK_TRACES.with(|t| {
            if let Some(trace) = t.borrow().get(&task.id.get()) {
                let _ = writeln!(out, "{trace}");
            }
        });
        let _ = writeln!(out, "created at {}\n", task.spawn_site);
    }
    out
}

/// Called by a worker that found its `dump_requested` flag: writes its part.
pub(crate) fn answer(local: &Local) {
    let part = local.dump_part();
    let mut state = lock(dump_state());
    if let Some(slot) = state.parts.get_mut(local.index()) {
        *slot = Some(part);
    }
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
                let text = dump();
                eprintln!("fatal error: all goroutines are asleep - deadlock!\n\n{text}");
                std::process::exit(2);
            }
        }
        _ => *last = Some(now),
    }
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
