//! The execution tracer: who ran where, why it stopped, and who woke whom, as a trace that
//! Perfetto (ui.perfetto.dev) and `chrome://tracing` open.
//!
//! Off by default, and then it costs one relaxed load of a flag per resume, spawn and wake.
//! When on, each worker appends to its own buffer (a mutex only its worker and [`stop`] take)
//! and other threads to a shared one:
//!
//! * a *slice* per coroutine run on the worker's track (`coroutine 7 "name"`), with how it
//!   ended: `yield`, `park` and the wait reason, or `finish`;
//! * a *flow* from each wake-up (an unpark from any thread, a spawn) to the run it caused, so
//!   the viewer draws an arrow from the waker to the woken coroutine's next slice. A flow's id
//!   is the woken coroutine's id: a coroutine's wake-ups and runs alternate, so each `s`
//!   event pairs with the next `f` of the same id.
//!
//! The format is the Chrome trace event JSON (`{"traceEvents": [...]}`), timestamps in
//! microseconds since [`start`].

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use crate::park::WaitReason;
use crate::sched::{Local, runtime};
use crate::task::Task;

/// True while tracing.
pub(crate) static ON: AtomicBool = AtomicBool::new(false);

/// One recorded event.
#[derive(Debug, Clone)]
pub(crate) enum Event {
    /// A coroutine ran from `start` to `end` (µs) and stopped for `why`.
    Run {
        task: u64,
        name: Option<String>,
        start: f64,
        end: f64,
        why: &'static str,
    },
    /// A wake-up (or spawn) of `task` at `at`, whose run it caused.
    Wake { task: u64, at: f64 },
}

/// Events from threads that are not workers.
fn others() -> &'static Mutex<Vec<Event>> {
    static OTHERS: OnceLock<Mutex<Vec<Event>>> = OnceLock::new();
    OTHERS.get_or_init(|| Mutex::new(Vec::new()))
}

/// A fixed instant, and the trace's start as nanoseconds after it (so reading the clock for an
/// event takes no lock).
fn anchor() -> Instant {
    static ANCHOR: OnceLock<Instant> = OnceLock::new();
    *ANCHOR.get_or_init(Instant::now)
}
static START_NS: AtomicU64 = AtomicU64::new(0);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Microseconds since the trace started.
pub(crate) fn now_us() -> f64 {
    let ns = anchor().elapsed().as_nanos() as u64;
    ns.saturating_sub(START_NS.load(Ordering::Relaxed)) as f64 / 1e3
}

/// Records that `task` is woken (or spawned) now, on whichever thread is calling.
#[cold]
pub(crate) fn wake(task: &Task) {
    let event = Event::Wake {
        task: task.id.get(),
        at: now_us(),
    };
    push(event);
}

/// Records a finished run slice of `task` on this worker.
#[cold]
pub(crate) fn run(task: &Task, start: f64, why: &'static str) {
    let event = Event::Run {
        task: task.id.get(),
        name: task.name().map(str::to_string),
        start,
        end: now_us(),
        why,
    };
    push(event);
}

/// How a run ended, in words: `park: chan receive` and so on.
pub(crate) fn park_reason(task: &Task) -> &'static str {
    match WaitReason::from_code(task.wait_reason.get()) {
        Some(WaitReason::ChanReceive) => "park: chan receive",
        Some(WaitReason::ChanSend) => "park: chan send",
        Some(WaitReason::Select) => "park: select",
        Some(WaitReason::MutexLock) => "park: sync.Mutex.Lock",
        Some(WaitReason::WaitGroupWait) => "park: sync.WaitGroup.Wait",
        Some(WaitReason::Sleep) => "park: sleep",
        Some(WaitReason::IoWait) => "park: IO wait",
        Some(WaitReason::Join) => "park: join",
        Some(WaitReason::Syscall) => "park: syscall",
        Some(_) => "park: other",
        None => "park",
    }
}

fn push(event: Event) {
    match Local::current() {
        Some(local) => lock(&runtime().workers()[local.index()].trace).push(event),
        None => lock(others()).push(event),
    }
}

/// Starts recording (clearing what an earlier trace left). Go: `runtime/trace.Start`.
///
/// ```
/// rungo_runtime::trace::start();
/// rungo_runtime::run(|| rungo_runtime::go!(|| 1).join().unwrap());
/// let json = rungo_runtime::trace::stop();
/// assert!(json.contains("traceEvents"));
/// ```
pub fn start() {
    let rt = runtime();
    for w in rt.workers() {
        lock(&w.trace).clear();
    }
    lock(others()).clear();
    START_NS.store(anchor().elapsed().as_nanos() as u64, Ordering::Relaxed);
    ON.store(true, Ordering::SeqCst);
}

/// Stops recording and returns the trace as Chrome trace event JSON, which Perfetto opens.
/// Write it to a file and load it at ui.perfetto.dev. Go: `runtime/trace.Stop` (then
/// `go tool trace`).
pub fn stop() -> String {
    ON.store(false, Ordering::SeqCst);
    let rt = runtime();
    let mut out = String::from("{\"traceEvents\":[\n");
    let mut first = true;
    let mut emit = |out: &mut String, line: String| {
        if !first {
            out.push_str(",\n");
        }
        first = false;
        out.push_str(&line);
    };
    const PID: u32 = 1;
    const OTHER_TID: usize = 1_000_000;
    for (i, _) in rt.workers()[..rt.started_workers()].iter().enumerate() {
        emit(
            &mut out,
            format!(
                r#"{{"ph":"M","name":"thread_name","pid":{PID},"tid":{i},"args":{{"name":"worker {i}"}}}}"#
            ),
        );
    }
    emit(
        &mut out,
        format!(
            r#"{{"ph":"M","name":"thread_name","pid":{PID},"tid":{OTHER_TID},"args":{{"name":"other threads"}}}}"#
        ),
    );
    let mut tracks: Vec<(usize, Vec<Event>)> = rt
        .workers()
        .iter()
        .enumerate()
        .map(|(i, w)| (i, std::mem::take(&mut *lock(&w.trace))))
        .collect();
    tracks.push((OTHER_TID, std::mem::take(&mut *lock(others()))));
    for (tid, events) in tracks {
        for e in events {
            let mut line = String::new();
            match e {
                Event::Run {
                    task,
                    name,
                    start,
                    end,
                    why,
                } => {
                    let label = match name {
                        Some(n) => format!("coroutine {task} {}", json_str(&n)),
                        None => format!("coroutine {task}"),
                    };
                    let _ = write!(
                        line,
                        r#"{{"ph":"X","name":{},"pid":{PID},"tid":{tid},"ts":{start:.3},"dur":{:.3},"args":{{"ended":{}}}}},"#,
                        json_str(&label),
                        (end - start).max(0.001),
                        json_str(why)
                    );
                    // The flow that woke it ends at the start of this slice.
                    let _ = write!(
                        line,
                        "\n{{\"ph\":\"f\",\"bp\":\"e\",\"name\":\"wake\",\"cat\":\"wake\",\"id\":{task},\"pid\":{PID},\"tid\":{tid},\"ts\":{start:.3}}}"
                    );
                }
                Event::Wake { task, at } => {
                    let _ = write!(
                        line,
                        "{{\"ph\":\"s\",\"name\":\"wake\",\"cat\":\"wake\",\"id\":{task},\"pid\":{PID},\"tid\":{tid},\"ts\":{at:.3}}}"
                    );
                }
            }
            emit(&mut out, line);
        }
    }
    out.push_str("\n]}\n");
    out
}

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
