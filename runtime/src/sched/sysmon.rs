//! sysmon: the background thread that keeps one coroutine from stalling the others (Go's
//! `sysmon` in `runtime/proc.go`).
//!
//! A started coroutine runs only on its home worker (the soundness rule, see `sched`), so
//! rungo cannot hand a blocked thread's work to another thread the way Go hands off a P. It
//! keeps the other coroutines going instead. Each worker publishes a tick counter (bumped at
//! every scheduling decision), an epoll poll counter, and what it runs (the coroutine's id and
//! spawn site, and its thread id). Every millisecond or so (backing off to 10 ms while every
//! worker sleeps), sysmon looks. A worker whose tick has not moved for [`STUCK`] while it is not
//! asleep in its epoll is *stuck* (a coroutine computes without calling rungo, or blocks in a
//! syscall), and sysmon:
//!
//! 1. hands its unstarted coroutines (its deque and its `newest` slot) to the global injector
//!    and wakes a sleeping worker to take them: they have no stack yet, so they may move;
//! 2. sets its preempt request (in the running coroutine's operation budget), so the coroutine
//!    yields at its next rungo operation (`preempt_point`): this reaches a coroutine that calls
//!    rungo seldom, or one whose worker has only unstarted work besides it, since one that
//!    calls it often yields to started coroutines every 128 operations anyway;
//! 3. polls its epoll on its behalf (also when a busy worker has not polled for [`STUCK`]), so
//!    sockets registered there do not wait for it;
//! 4. once the stall passes the reporting threshold (100 ms, `RUNGO_STALL_REPORT=<ms>` or
//!    `off`), prints one line per incident naming the worker, the coroutine and what it is
//!    doing (user code, or the syscall read from `/proc/self/task/<tid>/syscall`), with the
//!    fix;
//! 5. when every worker that takes new work is stuck, some blocked in system calls, and work
//!    that may move is waiting, adds a spare worker for it (see [`Sysmon::spares`]).
//!
//! Work that has waited [`INJECTOR_PATIENCE`] in the global injector also gets a sleeper
//! woken for it: with more workers than CPUs a push wakes nobody while the awake workers fill
//! the CPUs (see `idle`), and those look at the injector only every 56 scheduling ticks.
//!
//! Every [`CONTENTION_WINDOW`] it also measures how long the workers waited for a CPU, and
//! tells idle workers not to spin while other processes compete for the CPUs (see `idle`).
//!
//! It also answers `SIGQUIT` with the goroutine dump and runs the deadlock check while every
//! worker sleeps (see `introspect`).
//!
//! There is no signal-based preemption: without compiler safe points a signal can land inside
//! malloc or a `RefCell` borrow, and switching coroutines there would be undefined behaviour
//! reachable from safe code. A coroutine that computes without calling rungo keeps its worker,
//! and every coroutine homed there (`main` included) waits for it; the report says so.
//!
//! sysmon only reads what workers publish with relaxed atomics and takes work through the same
//! CAS/steal paths the workers use, so it adds no lock to a worker's hot path.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crossbeam_deque::Steal;

use crate::sched::{PREEMPT_REQUESTED, SPARE_WORKERS, runtime};

/// How long a worker may go without a scheduling tick before sysmon steps in (Go's
/// `forcePreemptNS`).
pub(crate) const STUCK: Duration = Duration::from_millis(10);
/// How long work may wait in the global injector before sysmon wakes a worker for it.
const INJECTOR_PATIENCE: Duration = Duration::from_millis(2);
/// The default reporting threshold.
const REPORT_DEFAULT: Duration = Duration::from_millis(100);
const PERIOD_BUSY: Duration = Duration::from_millis(1);
/// How often sysmon measures the workers' wait for CPUs (see `idle`).
const CONTENTION_WINDOW: Duration = Duration::from_millis(10);
/// The longest nap while every worker sleeps: Go's sysmon caps its back-off at 10 ms too. A
/// stall that begins during a nap is seen only when the nap ends, and the preempt request
/// comes [`STUCK`] after that, so this bounds the first request's delay at about 20 ms (at
/// 20 ms it was about 30).
const PERIOD_IDLE_MAX: Duration = Duration::from_millis(10);
/// How long sysmon trusts its reading of whether a stuck worker is in a system call.
const SYSCALL_RECHECK: Duration = Duration::from_millis(50);

pub(crate) fn start() {
    let report = report_threshold();
    std::thread::Builder::new()
        .name("rungo-sysmon".into())
        .spawn(move || Sysmon::new(report).run())
        .unwrap_or_else(|e| {
            crate::sched::fatal(format_args!("cannot start the sysmon thread: {e}"))
        });
}

/// `RUNGO_STALL_REPORT`: milliseconds, or `off`/`0` for no report.
fn report_threshold() -> Option<Duration> {
    match std::env::var("RUNGO_STALL_REPORT") {
        Err(_) => Some(REPORT_DEFAULT),
        Ok(v) if v == "off" || v == "0" => None,
        Ok(v) => match v.parse::<u64>() {
            Ok(ms) => Some(Duration::from_millis(ms)),
            Err(_) => {
                eprintln!("rungo: ignoring RUNGO_STALL_REPORT={v:?} (want milliseconds or off)");
                Some(REPORT_DEFAULT)
            }
        },
    }
}

/// What sysmon last saw of one worker.
#[derive(Clone, Copy)]
struct Seen {
    tick: u32,
    tick_since: Instant,
    polls: u32,
    polls_since: Instant,
    reported: bool,
    /// The worker thread's CPU time when the stall was first seen (see `report`).
    cpu_at_stall: Option<u64>,
    /// Stuck (no tick for [`STUCK`], not asleep) at the last look.
    stuck: bool,
    /// Whether it was blocked in a system call, and when that was read (see `spares`).
    in_syscall: Option<(bool, Instant)>,
}

struct Sysmon {
    report: Option<Duration>,
    seen: Vec<Seen>,
    /// Since when the global injector has held work, as sysmon saw it.
    injector_since: Option<Instant>,
    /// When the current contention window began, and each worker's wait for a CPU then.
    window_since: Instant,
    waited_ns: Vec<u64>,
}

impl Sysmon {
    fn new(report: Option<Duration>) -> Sysmon {
        let now = Instant::now();
        let seen = Seen {
            tick: 0,
            tick_since: now,
            polls: 0,
            polls_since: now,
            reported: false,
            cpu_at_stall: None,
            stuck: false,
            in_syscall: None,
        };
        // One entry per worker the runtime has room for, not per worker of GOMAXPROCS now:
        // `set_gomaxprocs` may start more later.
        let capacity = runtime().workers().len();
        Sysmon {
            report,
            seen: vec![seen; capacity],
            injector_since: None,
            window_since: now,
            waited_ns: vec![0; capacity],
        }
    }

    fn run(mut self) -> ! {
        let mut period = PERIOD_BUSY;
        let mut quiet = None;
        loop {
            std::thread::sleep(period);
            crate::introspect::tick_coarse_clock();
            crate::introspect::handle_sigquit();
            let now = Instant::now();
            let busy = self.look(now);
            if busy {
                quiet = None;
                if now - self.window_since >= CONTENTION_WINDOW {
                    self.measure_contention(now);
                }
            } else {
                crate::introspect::check_deadlock(&mut quiet);
            }
            period = if busy {
                PERIOD_BUSY
            } else {
                (period * 2).min(PERIOD_IDLE_MAX)
            };
        }
    }

    /// One look at every worker; true if any was awake.
    fn look(&mut self, now: Instant) -> bool {
        let rt = runtime();
        self.look_at_injector(now);
        let mut any_awake = false;
        for (index, w) in rt.workers()[..rt.started_workers()].iter().enumerate() {
            let seen = &mut self.seen[index];
            let tick = w.tick.load(Ordering::Relaxed);
            let polls = w.polls.load(Ordering::Relaxed);
            let asleep = w.poller.is_sleeping();
            any_awake |= !asleep;
            if polls != seen.polls || asleep {
                seen.polls = polls;
                seen.polls_since = now;
            } else if now - seen.polls_since >= STUCK && w.poller.has_registrations() {
                // A busy worker that has not looked at its sockets lately: look for it.
                w.poller.poll_now(false);
                seen.polls_since = now;
            }
            seen.stuck = false;
            if tick != seen.tick || asleep {
                seen.tick = tick;
                seen.tick_since = now;
                seen.reported = false;
                seen.cpu_at_stall = None;
                seen.in_syscall = None;
                continue;
            }
            let stuck_for = now - seen.tick_since;
            if stuck_for < STUCK {
                continue;
            }
            seen.stuck = true;
            // (1) Unstarted work escapes; (2) the running coroutine is asked to yield.
            if let Some(task) = w.newest.take() {
                rt.injector().push(task);
            }
            loop {
                match w.stealer.steal() {
                    Steal::Success(task) => rt.injector().push(task),
                    Steal::Empty => break,
                    Steal::Retry => {}
                }
            }
            // Whatever escaped, or waits anywhere else: past the CPU count nobody else wakes a
            // sleeper for it (see `idle`).
            if rt.has_stealable_work() {
                rt.notify_searcher();
            }
            w.budget.store(PREEMPT_REQUESTED, Ordering::Relaxed);
            // (4) Say so, once per incident.
            let tid = w.tid.load(Ordering::Relaxed);
            if seen.cpu_at_stall.is_none() {
                seen.cpu_at_stall = cpu_time_ns(tid);
            }
            if let Some(threshold) = self.report {
                if stuck_for >= threshold && !seen.reported {
                    let ran = cpu_time_ns(tid)
                        .zip(seen.cpu_at_stall)
                        .map(|(now, then)| Duration::from_nanos(now.saturating_sub(then)));
                    seen.reported = report(index, w, stuck_for, ran);
                }
            }
        }
        self.spares(now);
        any_awake
    }

    /// (5) Spare workers. Go hands the P of a thread blocked in a system call to another
    /// thread. A started coroutine cannot move, but unstarted ones may go anywhere: while every
    /// worker that takes new work is stuck, some of them blocked in system calls, and work
    /// waits that could move, sysmon adds a spare worker to run it, one per blocked worker and
    /// at most [`SPARE_WORKERS`]. Workers stuck computing get none: like Go's Ps, GOMAXPROCS
    /// bounds the threads that run on CPUs. A spare retires once fewer workers are blocked
    /// than there are spares: it takes no new work, and serves the coroutines it started until
    /// they finish (as a worker above a lowered GOMAXPROCS does).
    ///
    /// Whether a stuck worker is in a system call is read from `/proc` once per stall and
    /// then every [`SYSCALL_RECHECK`], and only while spares are in use or wanted.
    fn spares(&mut self, now: Instant) {
        let rt = runtime();
        let (limit, started, spares) = (rt.limit(), rt.started_workers(), rt.spares());
        let all_stuck = limit <= started && self.seen[..limit].iter().all(|s| s.stuck);
        let wanted = all_stuck && spares < SPARE_WORKERS && rt.has_stealable_work();
        if !wanted && spares == 0 {
            return;
        }
        let mut blocked = 0;
        for (seen, w) in self.seen[..limit].iter_mut().zip(rt.workers()) {
            if !seen.stuck {
                continue;
            }
            let fresh = seen
                .in_syscall
                .filter(|&(_, at)| now - at < SYSCALL_RECHECK);
            let (in_syscall, at) =
                fresh.unwrap_or_else(|| (syscall_of(w.tid.load(Ordering::Relaxed)).is_some(), now));
            seen.in_syscall = Some((in_syscall, at));
            blocked += usize::from(in_syscall);
        }
        if wanted && blocked > spares && rt.add_spare() {
            rt.notify_searcher();
        } else if blocked < spares {
            rt.retire_spare();
        }
    }

    /// Ends a contention window: the share of it the started workers spent runnable but
    /// waiting for a CPU decides whether idle workers spin (see `idle`).
    fn measure_contention(&mut self, now: Instant) {
        let rt = runtime();
        let started = rt.started_workers();
        let mut waited = 0;
        for (index, w) in rt.workers()[..started].iter().enumerate() {
            if let Some((_, delay)) = schedstat(w.tid.load(Ordering::Relaxed)) {
                // A worker's first reading (0 before it) is a baseline, not a window's wait.
                if self.waited_ns[index] != 0 {
                    waited += delay.saturating_sub(self.waited_ns[index]);
                }
                self.waited_ns[index] = delay;
            }
        }
        let window = (now - self.window_since).as_nanos() as f64 * started as f64;
        self.window_since = now;
        rt.idle
            .set_cpu_contended(waited as f64 > window * crate::sched::idle::CONTENDED_SHARE);
    }

    /// Work spawned from outside the workers waits in the injector for an awake worker's
    /// periodic look (past the CPU count a push wakes nobody, see `idle`). Work that has waited
    /// [`INJECTOR_PATIENCE`] means the awake workers are busy with long runs: wake a sleeper.
    fn look_at_injector(&mut self, now: Instant) {
        let rt = runtime();
        if rt.injector().is_empty() {
            self.injector_since = None;
            return;
        }
        match self.injector_since {
            None => self.injector_since = Some(now),
            Some(since) if now - since >= INJECTOR_PATIENCE => {
                rt.notify_searcher();
                self.injector_since = Some(now);
            }
            Some(_) => {}
        }
    }
}

/// Prints the stall report; false if there is nothing to report yet. `ran` is the CPU time
/// the worker thread got since the stall began: a thread that is not in a system call but got
/// little CPU was waiting for one (a busy machine), not running a long computation, so it is
/// not blamed on the coroutine.
fn report(
    index: usize,
    w: &crate::sched::Shared,
    stuck_for: Duration,
    ran: Option<Duration>,
) -> bool {
    let id = w.running.load(Ordering::Relaxed);
    if id == 0 {
        return false; // the worker itself is busy (a stack being mapped, say), not a coroutine
    }
    let syscall = syscall_of(w.tid.load(Ordering::Relaxed));
    if syscall.is_none() && ran.is_some_and(|ran| ran < (stuck_for - STUCK) / 4) {
        return false;
    }
    let site = w.running_site.load(Ordering::Relaxed);
    // SAFETY: a published site is a `&'static Location` (or null).
    let site = unsafe { site.as_ref() }.map_or_else(|| "?".into(), |l| l.to_string());
    let name = crate::introspect::name_of(id).map_or_else(String::new, |n| format!(" '{n}'"));
    let doing = match syscall {
        Some(name) => format!("is blocked in the {name} system call"),
        None => "is running without calling rungo".into(),
    };
    eprintln!(
        "rungo: worker {index} stalled for {} ms: coroutine {id}{name} (spawned at {site}) {doing}; \
         every coroutine homed on this worker waits for it. Run blocking calls through \
         rungo::blocking(..), and call rungo::yield_now() in long computations.",
        stuck_for.as_millis()
    );
    true
}

/// Nanoseconds the thread `tid` has spent on a CPU.
fn cpu_time_ns(tid: i32) -> Option<u64> {
    schedstat(tid).map(|(cpu, _)| cpu)
}

/// Nanoseconds the thread `tid` has spent on a CPU and runnable but waiting for one
/// (`/proc/self/task/<tid>/schedstat`).
fn schedstat(tid: i32) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat")).ok()?;
    let mut fields = text.split_whitespace().map(|f| f.parse().ok());
    Some((fields.next()??, fields.next()??))
}

/// The system call the thread `tid` is blocked in, if any (`/proc/self/task/<tid>/syscall`).
fn syscall_of(tid: i32) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/self/task/{tid}/syscall")).ok()?;
    let first = text.split_whitespace().next()?;
    let nr: i64 = first.parse().ok()?; // "running" when it is not in a syscall
    Some(syscall_name(nr).map_or_else(|| format!("#{nr}"), |n| format!("{n}(2)")))
}

fn syscall_name(nr: i64) -> Option<&'static str> {
    Some(match nr {
        0 => "read",
        1 => "write",
        7 => "poll",
        17 => "pread64",
        18 => "pwrite64",
        19 => "readv",
        20 => "writev",
        23 => "select",
        35 => "nanosleep",
        42 => "connect",
        43 => "accept",
        44 => "sendto",
        45 => "recvfrom",
        46 => "sendmsg",
        47 => "recvmsg",
        61 => "wait4",
        74 => "fsync",
        202 => "futex",
        230 => "clock_nanosleep",
        232 => "epoll_wait",
        257 => "openat",
        270 => "pselect6",
        271 => "ppoll",
        281 => "epoll_pwait",
        288 => "accept4",
        _ => return None,
    })
}
