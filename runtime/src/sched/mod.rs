//! The M:N scheduler: `GOMAXPROCS` worker threads running coroutines, with work stealing.
//!
//! # Soundness rule: a started coroutine never changes thread
//!
//! LLVM may keep the address of a thread-local in a register across a call. If a stackful
//! coroutine were suspended on one thread and resumed on another, code on its stack (std's
//! included) could go on using the first thread's thread-locals: undefined behaviour that no
//! `Send` bound can rule out (rust-lang/unsafe-code-guidelines#602, llvm#98479). So:
//!
//! * only *unstarted* coroutines move between workers: an unstarted coroutine is a `Send`
//!   closure with no stack, so stealing it is as sound as sending the closure;
//! * the worker that first runs a coroutine becomes its `home`, and from then on the coroutine
//!   is only ever resumed there. Started coroutines live in queues no other worker reads
//!   (`runnext`, `ready`, the timers), and a coroutine woken from another thread is sent to its
//!   home's `inbox`, which only the home worker drains.
//!
//! This is why `go!` can be safe where `may`'s spawn is `unsafe`.
//!
//! # User code never runs on a worker's stack
//!
//! The worker loop runs on the thread's own stack, where no coroutine exists: code there cannot
//! park (it would block every coroutine of the worker) and must not panic (the unwind would tear
//! down the worker's queues while its thread-locals still point at them). So no user value is
//! ever dropped there, nor inside a borrow of the worker's queues:
//!
//! * a coroutine's result (or panic payload) is dropped by whoever makes it unreachable, in
//!   their own context: the coroutine itself when its handle was dropped first, or the
//!   handle's `Drop` or `join` (see `spawn::Packet`); a finished task's memory holds no user
//!   value, so dropping the last `TaskRef` anywhere runs no user code;
//! * a timed park's timer entry is removed when the park returns (see `timer`), so no entry
//!   outlives its coroutine;
//! * a panic that does reach the worker's stack is a runtime bug: the process aborts at once,
//!   before anything is unwound (`AbortOnUnwind`).
//!
//! # A worker
//!
//! Each worker owns, in the order it looks at them:
//!
//! * `runnext`: the coroutine most recently spawned or woken by a coroutine of this worker, run
//!   next (Go's `runnext`, tokio's LIFO slot): a producer and the consumer it wakes stay on one
//!   core, and recursive spawning runs depth-first so few stacks are live at once. At most
//!   [`RUNNEXT_LIMIT`] runnext picks in a row, so a ping-pong pair cannot starve the queues.
//! * `ready`: started coroutines ready to resume, FIFO (yielded, woken, or bumped from runnext).
//! * `deque`: unstarted coroutines, a crossbeam-deque that other workers steal from.
//! * `inbox`: started coroutines of this worker woken by other threads.
//! * `timers`: deadlines of its parked coroutines (see `timer`).
//!
//! Every [`GLOBAL_POLL_INTERVAL`] ticks (56, within Go's 61) the worker's epoll is polled without
//! blocking and the global `injector` (spawns from threads that are not workers) is polled first, so it cannot be starved by local work; every
//! [`MAINTENANCE_INTERVAL`] ticks the deque goes before `ready`, so a coroutine looping on
//! `yield_now` cannot starve unstarted ones.
//!
//! Out of local work, a worker searches (steals half a victim's deque, polls the injector), checks
//! spins briefly for a wake-up sent
//! to its inbox or its sockets, then sleeps in its epoll (see `io`) until its next timer deadline; `idle` documents how
//! sleeping and waking avoid lost wake-ups and thundering herds.

use std::cell::{Cell, RefCell, UnsafeCell};
use std::collections::VecDeque;
use std::panic::Location;
use std::ptr::NonNull;
use std::sync::atomic::{
    AtomicBool, AtomicI32, AtomicIsize, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering,
};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crossbeam_deque::{Injector, Steal, Stealer, Worker as Deque};
use crossbeam_utils::CachePadded;

pub(crate) mod idle;
pub(crate) mod sysmon;

use crate::config::Config;
use crate::introspect::panic_hook;
use crate::io::Poller;
use crate::stack::overflow;
use crate::stack::{self, StackCache};
use crate::task::{Body, CoYielder, NO_HOME, RawCo, Suspend, Task, TaskRef};
use crate::timer::Timers;
use idle::Idle;

/// How long an idle worker watches another's newest unstarted spawn sit unrun before taking it.
const NEWEST_PATIENCE: Duration = Duration::from_micros(20);
/// Consecutive picks from `runnext` before the local queues get a turn.
const RUNNEXT_LIMIT: u32 = 16;
/// Ticks between the maintenance steps below (a power of two: one mask test per tick).
const MAINTENANCE_INTERVAL: u32 = 8;
/// Ticks between forced polls of the global injector: a multiple of the maintenance interval,
/// within Go's 61.
const GLOBAL_POLL_INTERVAL: u32 = 56;
/// Spawns without blocking, and unstarted coroutines on the worker, past which a spawning
/// coroutine is throttled (Go's local run queue holds 256).
const SPAWN_BACKLOG: usize = 256;
/// How often a spinning worker polls its sockets.
const SPIN_POLL_INTERVAL: Duration = Duration::from_micros(15);
/// How long a worker that ran out of work spins before it sleeps.
const SPIN_BEFORE_SLEEP: Duration = Duration::from_micros(50);
/// Returned stacks an idle worker trims before it looks for work again (each costs a
/// `madvise`, a few microseconds).
const SCAVENGE_BATCH: usize = 16;
/// How far away its next timer must be for an idle worker to trim stacks before sleeping.
const SCAVENGE_ROOM: Duration = Duration::from_millis(1);

/// The process-wide runtime.
pub(crate) struct Runtime {
    workers: Box<[CachePadded<Shared>]>,
    injector: Injector<TaskRef>,
    idle: Idle,
    /// Coroutines spawned by threads that are not workers (the rest are counted per worker).
    external_spawns: CachePadded<AtomicIsize>,
    /// Round-robin choice of poller for registrations made by plain threads.
    next_poller: AtomicUsize,
    /// Coroutines ever spawned by threads that are not workers.
    external_total: AtomicU64,
    /// When the runtime started.
    started_at: Instant,
    /// Workers whose threads have started (see `start_worker`).
    started: AtomicUsize,
    /// Workers `0..limit` take new work: GOMAXPROCS plus the spare workers sysmon has added
    /// (see `add_spare`). `workers.len()` is the most it may be raised to.
    limit: AtomicUsize,
    /// GOMAXPROCS now (see `set_limit`).
    gomaxprocs: AtomicUsize,
    /// Serializes changes of `limit` and `gomaxprocs`.
    resizing: Mutex<()>,
}

/// Spare workers sysmon may add while workers are blocked in system calls (see `sysmon`).
pub(crate) const SPARE_WORKERS: usize = 2;

/// The part of a worker that other threads use.
pub(crate) struct Shared {
    inbox: Injector<TaskRef>,
    pub(crate) stealer: Stealer<TaskRef>,
    /// Its epoll: where it sleeps, and where sockets registered on it report readiness.
    pub(crate) poller: Poller,
    /// Coroutines spawned on this worker minus those finished on it. Written only by this
    /// worker (so no read-modify-write contention on spawn and finish); summed by `live`.
    live: AtomicIsize,
    /// Entries in this worker's timer heap (timed parks in progress). Written only by this
    /// worker; read by `pending_timers`.
    timers: AtomicUsize,
    /// The newest coroutine spawned here, unstarted (Go's `runnext` holding a new goroutine).
    /// The owner runs it next; since it has no stack yet it may move, so an idle worker that
    /// sees it sit there (`steal_sitting_newest`) or sysmon, for a stuck worker, takes it.
    pub(crate) newest: NewestSlot,
    /// What sysmon watches (see `sysmon`): ticks, epoll polls, the running coroutine's id (0
    /// for none) and spawn site, and the thread's id. Written only by this worker.
    pub(crate) tick: AtomicU32,
    pub(crate) polls: AtomicU32,
    pub(crate) running: AtomicU64,
    pub(crate) running_site: AtomicPtr<Location<'static>>,
    pub(crate) tid: AtomicI32,
    /// The rungo operations the running coroutine may still make before it yields if others
    /// wait: set to [`OP_BUDGET`] at each resume and counted down by [`preempt_point`]; sysmon
    /// sets it to [`PREEMPT_REQUESTED`] when the coroutine has held the worker too long.
    /// Padded: the worker writes it at every operation, and no other worker may share its
    /// cache line.
    pub(crate) budget: CachePadded<AtomicU32>,
    /// Its deque's owning end until its thread starts (see `Runtime::start_worker`).
    unstarted: Mutex<Option<Deque<TaskRef>>>,
    pub(crate) started: AtomicBool,
    /// Set by `introspect::dump`: write your part of the dump.
    pub(crate) dump_requested: AtomicBool,
    /// Counters for `metrics`, written only by this worker.
    pub(crate) stats: WorkerStats,
    /// Events recorded while tracing (see `trace`).
    pub(crate) trace: Mutex<Vec<crate::introspect::trace::Event>>,
}

/// A worker's counters for [`crate::metrics`].
#[derive(Default)]
pub(crate) struct WorkerStats {
    pub(crate) spawns: AtomicU64,
    pub(crate) steals: AtomicU64,
    pub(crate) switches: AtomicU64,
    pub(crate) idle_ns: AtomicU64,
}

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The runtime, started with the default configuration on first use.
pub(crate) fn runtime() -> &'static Runtime {
    RUNTIME.get_or_init(|| Runtime::new(Config::from_env()))
}

/// The runtime, if it has started.
pub(crate) fn running() -> Option<&'static Runtime> {
    RUNTIME.get()
}

/// Starts the runtime with `config`; false if it was already running.
pub(crate) fn start(config: Config) -> bool {
    let mut started = false;
    RUNTIME.get_or_init(|| {
        started = true;
        Runtime::new(config)
    });
    started
}

impl Runtime {
    fn new(config: Config) -> Runtime {
        config.apply();
        if let Err(e) = stack::probe_guards(config.stack_size) {
            fatal(format_args!("cannot map coroutine stacks: {e}"));
        }
        overflow::install();
        panic_hook::install();
        crate::introspect::install_sigquit();
        // Room for GOMAXPROCS to be raised up to the CPU count at run time (`set_limit`), and
        // for the spare workers; workers start only when there is work for them, so unused
        // room costs two fds each.
        let cpus = crate::cpus::usable();
        let capacity = config.workers.max(cpus) + SPARE_WORKERS;
        let deques: Vec<Deque<TaskRef>> = (0..capacity).map(|_| Deque::new_lifo()).collect();
        let workers = deques
            .iter()
            .map(|d| {
                CachePadded::new(Shared {
                    inbox: Injector::new(),
                    stealer: d.stealer(),
                    poller: Poller::new().unwrap_or_else(|e| {
                        fatal(format_args!("cannot create a worker's epoll: {e}"))
                    }),
                    live: AtomicIsize::new(0),
                    timers: AtomicUsize::new(0),
                    newest: NewestSlot::default(),
                    tick: AtomicU32::new(0),
                    polls: AtomicU32::new(0),
                    running: AtomicU64::new(0),
                    running_site: AtomicPtr::new(std::ptr::null_mut()),
                    tid: AtomicI32::new(0),
                    budget: CachePadded::new(AtomicU32::new(OP_BUDGET)),
                    unstarted: Mutex::new(None),
                    started: AtomicBool::new(false),
                    dump_requested: AtomicBool::new(false),
                    stats: WorkerStats::default(),
                    trace: Mutex::new(Vec::new()),
                })
            })
            .collect::<Box<[_]>>();
        for (w, deque) in workers.iter().zip(deques) {
            *w.unstarted.lock().unwrap_or_else(|e| e.into_inner()) = Some(deque);
        }
        // Worker 0 starts now; the others when there is work for them (see `start_worker`).
        start_thread(&workers[0], 0, false);
        crate::sched::sysmon::start();
        Runtime {
            workers,
            injector: Injector::new(),
            idle: Idle::new(config.workers, cpus),
            external_spawns: CachePadded::new(AtomicIsize::new(0)),
            next_poller: AtomicUsize::new(0),
            external_total: AtomicU64::new(0),
            started_at: Instant::now(),
            started: AtomicUsize::new(1),
            limit: AtomicUsize::new(config.workers),
            gomaxprocs: AtomicUsize::new(config.workers),
            resizing: Mutex::new(()),
        }
    }

    /// Starts worker `index`'s thread if it has not started: workers start lazily, the first
    /// time a notifier wakes them, so `GOMAXPROCS=1000` costs threads only as work needs them
    /// (Go likewise parks idle Ps without an M). The `Idle` protocol hands out unstarted
    /// workers lowest index first (see `Idle::new`), so the started ones are `0..started`.
    fn start_worker(&self, index: usize) {
        let w = &self.workers[index];
        if !w.started.load(Ordering::Acquire) && start_thread(w, index, true) {
            self.started.fetch_add(1, Ordering::Release);
        }
    }

    pub(crate) fn external_spawn_total(&self) -> u64 {
        self.external_total.load(Ordering::Relaxed)
    }

    pub(crate) fn uptime(&self) -> Duration {
        self.started_at.elapsed()
    }

    /// The workers whose threads have started: `0..started_workers()`.
    pub(crate) fn started_workers(&self) -> usize {
        self.started.load(Ordering::Acquire)
    }

    /// GOMAXPROCS: the workers that take new work, not counting the spares (see `limit`).
    pub(crate) fn num_workers(&self) -> usize {
        self.gomaxprocs.load(Ordering::Relaxed)
    }

    /// The workers that take new work: `0..limit()` (GOMAXPROCS plus the spares).
    pub(crate) fn limit(&self) -> usize {
        self.limit.load(Ordering::Relaxed)
    }

    /// Sets GOMAXPROCS to `n` (clamped to `1..=` the room left beside the spares); returns
    /// the previous value. Any spare worker is retired with the old setting.
    ///
    /// Raising lists the added workers as sleepers (they start when work needs them).
    /// Lowering takes workers `n..` out of the idle lists, so nobody wakes them for new work
    /// and they neither search nor steal; a started coroutine cannot move (the soundness rule),
    /// so those homed there still run there, and their worker keeps serving them until they
    /// finish. Their unstarted coroutines are stolen by the others as usual.
    pub(crate) fn set_limit(&self, n: usize) -> usize {
        let _one = self.resizing.lock().unwrap_or_else(|e| e.into_inner());
        let n = n.clamp(1, self.workers.len() - SPARE_WORKERS);
        self.resize(n);
        self.gomaxprocs.swap(n, Ordering::Relaxed)
    }

    /// Spare workers now: workers taking new work beyond GOMAXPROCS.
    pub(crate) fn spares(&self) -> usize {
        self.limit().saturating_sub(self.num_workers())
    }

    /// sysmon: one more worker takes new work, beyond GOMAXPROCS (Go's hand-off of a blocked
    /// thread's P, for the coroutines that may still move: the unstarted ones). False if
    /// [`SPARE_WORKERS`] are in use already.
    pub(crate) fn add_spare(&self) -> bool {
        let _one = self.resizing.lock().unwrap_or_else(|e| e.into_inner());
        let limit = self.limit();
        if limit >= self.num_workers() + SPARE_WORKERS {
            return false;
        }
        // GOMAXPROCS is clamped to leave SPARE_WORKERS slots, so the spare has one.
        debug_assert!(limit < self.workers.len());
        self.resize(limit + 1);
        true
    }

    /// sysmon: the newest spare worker retires (as a worker above a lowered GOMAXPROCS does).
    pub(crate) fn retire_spare(&self) {
        let _one = self.resizing.lock().unwrap_or_else(|e| e.into_inner());
        let limit = self.limit();
        if limit > self.num_workers() {
            self.resize(limit - 1);
        }
    }

    /// Makes workers `0..n` the ones that take new work. Caller holds `resizing`.
    fn resize(&self, n: usize) {
        let old = self.limit.swap(n, Ordering::SeqCst);
        for index in self.idle.resize(old, n) {
            // Awake above the old count: it must look again, as a worker within the count.
            self.workers[index].poller.unpark();
        }
    }

    /// Live coroutines: spawned and not yet finished. A racy sum of per-worker counts, exact
    /// when nothing is spawning or finishing.
    pub(crate) fn live(&self) -> usize {
        let external = self.external_spawns.load(Ordering::Relaxed);
        let per_worker: isize = self
            .workers
            .iter()
            .map(|w| w.live.load(Ordering::Relaxed))
            .sum();
        (external + per_worker).max(0) as usize
    }

    /// Timed parks in progress on every worker (a racy sum, exact when nothing parks or wakes).
    pub(crate) fn pending_timers(&self) -> usize {
        self.workers
            .iter()
            .map(|w| w.timers.load(Ordering::Relaxed))
            .sum()
    }

    /// Counts a coroutine as finished; called by the coroutine itself (so on a worker).
    pub(crate) fn count_finished(&self) {
        if let Some(local) = Local::current() {
            local.count_live(-1);
        }
    }

    /// Makes a freshly spawned task runnable.
    pub(crate) fn spawn(&self, task: TaskRef) {
        if crate::introspect::trace::ON.load(Ordering::Relaxed) {
            crate::introspect::trace::wake(&task);
        }
        match Local::current() {
            Some(local) => {
                local.count_live(1);
                Local::bump(&local.shared.stats.spawns, 1);
                local.push_runnext(task);
                local.throttle_spawner();
                preempt_point();
            }
            None => {
                self.external_spawns.fetch_add(1, Ordering::Relaxed);
                self.external_total.fetch_add(1, Ordering::Relaxed);
                self.injector.push(task);
                self.notify_one();
            }
        }
    }

    /// Makes a parked task runnable again, on its home worker (the soundness rule).
    pub(crate) fn wake(&'static self, task: TaskRef) {
        if let Some(poller) = self.wake_deferred(task) {
            poller.unpark();
        }
    }

    /// [`Runtime::wake`] without waking the home worker's thread: the caller unparks the
    /// returned poller (see `RawUnparker::unpark_deferred`).
    #[inline]
    pub(crate) fn wake_deferred(&'static self, task: TaskRef) -> Option<&'static Poller> {
        if crate::introspect::trace::ON.load(Ordering::Relaxed) {
            crate::introspect::trace::wake(&task);
        }
        let home = task.home.load(Ordering::Relaxed);
        debug_assert_ne!(home, NO_HOME, "only started coroutines park");
        match Local::current() {
            Some(local) if local.index == home as usize => {
                if CURRENT.get().is_none() {
                    local.ready.borrow_mut().push_back(task);
                } else {
                    local.push_runnext(task);
                }
                None
            }
            _ => {
                let shared = &self.workers[home as usize];
                shared.inbox.push(task);
                Some(&shared.poller)
            }
        }
    }

    /// Wakes one sleeping worker to search, if nobody is searching already and fewer workers
    /// are awake than there are CPUs (see `idle`).
    fn notify_one(&self) {
        self.notify(false);
    }

    fn notify(&self, past_cpus: bool) {
        if let Some(index) = self.idle.worker_to_notify(past_cpus) {
            self.start_worker(index);
            self.workers[index].poller.unpark();
        }
    }

    /// The worker whose poller a new registration joins: the caller's, or one in turn.
    pub(crate) fn pick_poller(&self) -> usize {
        match Local::current() {
            Some(local) => local.index,
            None => {
                let n = self.next_poller.fetch_add(1, Ordering::Relaxed);
                n % self.started_workers().min(self.num_workers()).max(1)
            }
        }
    }

    pub(crate) fn poller(&self, worker: usize) -> &Poller {
        &self.workers[worker].poller
    }

    pub(crate) fn workers(&self) -> &[CachePadded<Shared>] {
        &self.workers
    }

    pub(crate) fn injector(&self) -> &Injector<TaskRef> {
        &self.injector
    }

    /// Wakes one sleeping worker to look for stealable work, however many are awake (sysmon,
    /// while a worker is stuck).
    pub(crate) fn notify_searcher(&self) {
        self.notify(true);
    }

    /// Workers searching for work right now (see `idle`).
    pub(crate) fn searching(&self) -> usize {
        self.idle.searching()
    }

    pub(crate) fn cpu_contended(&self) -> bool {
        self.idle.cpu_contended()
    }

    pub(crate) fn has_stealable_work(&self) -> bool {
        !self.injector.is_empty() || self.workers.iter().any(|w| !w.stealer.is_empty())
    }
}

impl Shared {
    /// True if the worker sleeps in its epoll with nothing queued and no timer pending (the
    /// deadlock check's test; racy, so it is made twice).
    pub(crate) fn is_idle_asleep(&self) -> bool {
        self.poller.is_sleeping()
            && !self.poller.has_registrations()
            && self.timers.load(Ordering::Relaxed) == 0
            && self.inbox.is_empty()
            && self.stealer.is_empty()
            && !self.newest.is_full()
    }
}

/// A one-task slot that its owner fills and empties and any thread may empty: a worker's newest
/// unstarted spawn.
///
/// `word` is `pushes << 2 | state`, state one of `EMPTY`, `FULL`, `TAKING`. Only the owner
/// moves `EMPTY -> FULL` (after writing `task`, Release), bumping `pushes`; anyone takes a
/// `FULL` task by CAS `FULL -> TAKING` (Acquire), then reads `task` and stores `EMPTY`
/// (Release). So `task` is only touched by whoever moved the word out of `EMPTY` or `FULL`,
/// and a thief that names the `word` it saw takes exactly that push or nothing.
#[derive(Default)]
pub(crate) struct NewestSlot {
    word: AtomicU64,
    task: UnsafeCell<Option<TaskRef>>,
}

// SAFETY: `task` is handed between threads through `word` as the type's docs explain, and a
// `TaskRef` is Send.
unsafe impl Sync for NewestSlot {}

const SLOT_EMPTY: u64 = 0;
const SLOT_FULL: u64 = 1;
const SLOT_TAKING: u64 = 2;

impl NewestSlot {
    /// Owner: puts `task` in; returns the task it displaced, or `task` itself if a thief is
    /// busy with the slot (the caller queues it elsewhere).
    fn put(&self, task: TaskRef) -> Option<TaskRef> {
        let word = self.word.load(Ordering::Acquire);
        let next = ((word >> 2) + 1) << 2 | SLOT_FULL;
        match word & 3 {
            SLOT_EMPTY => {
                // SAFETY: EMPTY: no thief touches `task`, and only we leave EMPTY.
                unsafe { *self.task.get() = Some(task) };
                self.word.store(next, Ordering::Release);
                None
            }
            SLOT_FULL if self.lock(word) => {
                // SAFETY: our CAS moved the word out of FULL: `task` is ours until we store.
                let old = unsafe { (*self.task.get()).replace(task) };
                self.word.store(next, Ordering::Release);
                old
            }
            _ => Some(task),
        }
    }

    /// The slot's word (for a thief to name what it saw); FULL if `word & 3 == SLOT_FULL`.
    pub(crate) fn peek(&self) -> u64 {
        self.word.load(Ordering::Relaxed)
    }

    pub(crate) fn is_full(&self) -> bool {
        self.peek() & 3 == SLOT_FULL
    }

    /// Anyone: takes the task if the slot is full.
    pub(crate) fn take(&self) -> Option<TaskRef> {
        let word = self.peek();
        (word & 3 == SLOT_FULL)
            .then(|| self.take_seen(word))
            .flatten()
    }

    /// Anyone: takes the task only if the slot still holds the push `seen` (a `peek` result).
    fn take_seen(&self, seen: u64) -> Option<TaskRef> {
        if seen & 3 != SLOT_FULL || !self.lock(seen) {
            return None;
        }
        // SAFETY: our CAS moved the word out of FULL: `task` is ours until we store EMPTY.
        let task = unsafe { (*self.task.get()).take() };
        self.word.store(seen & !3 | SLOT_EMPTY, Ordering::Release);
        task
    }

    fn lock(&self, full: u64) -> bool {
        self.word
            .compare_exchange(
                full,
                full & !3 | SLOT_TAKING,
                Ordering::Acquire,
                Ordering::Relaxed,
            )
            .is_ok()
    }
}

thread_local! {
    /// The worker running on this thread, if it is a worker.
    static LOCAL: Cell<*const Local> = const { Cell::new(std::ptr::null()) };
    /// The coroutine running on this thread right now, if any.
    pub(crate) static CURRENT: Cell<Option<NonNull<Task>>> = const { Cell::new(None) };
    /// This worker's operation budget, if this thread is a worker (see [`preempt_point`]).
    static BUDGET: Cell<*const AtomicU32> = const { Cell::new(std::ptr::null()) };
}

/// How many rungo operations a coroutine may make in one run before it yields to the started
/// coroutines waiting for its worker (tokio's budget, and its number). Go has none: its sysmon
/// preempts after 10 ms, which rungo's does too for a coroutine that calls rungo seldom; the
/// budget lets the others of a worker in far sooner when it calls rungo often (see
/// [`preempt_point`]).
const OP_BUDGET: u32 = 128;
/// sysmon's preempt request, stored in a worker's budget: yield at the next operation.
pub(crate) const PREEMPT_REQUESTED: u32 = u32::MAX;

/// A worker's own state, used only on its thread (by its loop and the coroutines it runs).
/// No `RefCell` borrow is ever held across a coroutine resume.
pub(crate) struct Local {
    index: usize,
    rt: &'static Runtime,
    /// This worker's entry in `rt.workers`.
    shared: &'static Shared,
    runnext: Cell<Option<TaskRef>>,
    runnext_streak: Cell<u32>,
    ready: RefCell<VecDeque<TaskRef>>,
    deque: Deque<TaskRef>,
    timers: RefCell<Timers>,
    /// The earliest timer deadline, cached so that each tick can test it without a borrow.
    next_timer: Cell<Option<Instant>>,
    stacks: RefCell<StackCache>,
    tick: Cell<u32>,
    searching: Cell<bool>,
    /// The coroutines this worker has started and not finished (see `introspect`); each task
    /// knows its slot. Pointers stay valid: a started, unfinished task is kept alive by its
    /// queue, its PARKED state or its running worker.
    registry: RefCell<Vec<NonNull<Task>>>,
    /// Another worker's `newest` task first seen while spinning, and when (see `spin_for_work`).
    watched: Cell<(usize, u64, Option<Instant>)>,
    rng: Cell<u64>,
}

impl Local {
    fn new(index: usize, deque: Deque<TaskRef>, searching: bool) -> Local {
        Local {
            index,
            rt: runtime(),
            shared: &runtime().workers[index],
            runnext: Cell::new(None),
            runnext_streak: Cell::new(0),
            ready: RefCell::new(VecDeque::new()),
            deque,
            timers: RefCell::new(Timers::default()),
            next_timer: Cell::new(None),
            stacks: RefCell::new(StackCache::new()),
            tick: Cell::new(0),
            searching: Cell::new(searching),
            watched: Cell::new((0, 0, None)),
            registry: RefCell::new(Vec::new()),
            rng: Cell::new(0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1)),
        }
    }

    /// The worker of this thread, if this thread is a worker.
    pub(crate) fn current() -> Option<&'static Local> {
        let p = LOCAL.get();
        // SAFETY: LOCAL is set only by `run` to a `Local` that lives on the worker thread's own
        // stack for as long as the thread runs (workers never return), and read on that thread.
        (!p.is_null()).then(|| unsafe { &*p })
    }

    fn run(self) -> ! {
        // No user code runs on this stack (see "User code never runs on a worker's stack"), so
        // a panic here is a bug in the scheduler: abort before the unwind drops `self` while
        // LOCAL still points at it (this guard is dropped first).
        let _abort = AbortOnUnwind(self.index);
        LOCAL.set(&self);
        BUDGET.set(&*self.shared.budget);
        // SAFETY: gettid has no preconditions.
        self.shared
            .tid
            .store(unsafe { libc::gettid() }, Ordering::Relaxed);
        overflow::ensure_alt_stack();
        loop {
            match self.next_task() {
                Some(task) => {
                    if self.searching.get() {
                        self.stop_searching(false);
                    }
                    self.run_task(task)
                }
                None => self.idle_step(),
            }
        }
    }

    pub(crate) fn index(&self) -> usize {
        self.index
    }

    /// This worker's part of a goroutine dump.
    pub(crate) fn dump_part(&self, with_text: bool) -> crate::introspect::Part {
        crate::introspect::write_part(&self.registry.borrow(), with_text)
    }

    /// Adds one to a counter only this worker writes (a plain load and store).
    fn bump(counter: &AtomicU64, by: u64) {
        counter.store(
            counter.load(Ordering::Relaxed).wrapping_add(by),
            Ordering::Relaxed,
        );
    }

    /// Answers a dump request, if one is pending.
    fn answer_dump(&self) {
        if self.shared.dump_requested.load(Ordering::Relaxed)
            && self.shared.dump_requested.swap(false, Ordering::Acquire)
        {
            crate::introspect::answer(self);
        }
    }

    /// Adds `delta` to this worker's live count (single writer: a plain load and store).
    fn count_live(&self, delta: isize) {
        let live = &self.shared.live;
        live.store(live.load(Ordering::Relaxed) + delta, Ordering::Relaxed);
    }

    /// Go preempts a goroutine that spawns without pause; rungo cannot. So a coroutine that has
    /// spawned more than [`SPAWN_BACKLOG`] coroutines without blocking, on a worker holding more
    /// than that many unstarted ones, yields after each further spawn: the newest coroutine runs
    /// (from runnext) and the backlog stops growing. Spawners that block now and then (a
    /// recursive fan-out such as skynet) are never throttled.
    fn throttle_spawner(&self) {
        let Some(spawner) = CURRENT.get() else { return };
        // SAFETY: CURRENT is the coroutine running on this thread, alive while it runs.
        let spawner = unsafe { spawner.as_ref() };
        let streak = spawner.spawn_streak.get().saturating_add(1);
        spawner.spawn_streak.set(streak);
        if streak as usize > SPAWN_BACKLOG && self.deque.len() > SPAWN_BACKLOG {
            crate::park::yield_now();
        }
    }

    /// Puts `task` in runnext (a started one) or `newest` (an unstarted one); the previous
    /// occupant goes to the queue it belongs in. Inlined: every wake-up on this worker takes
    /// the runnext branch, and the call's register saves cost more than the branch itself.
    #[inline(always)]
    fn push_runnext(&self, task: TaskRef) {
        if task.home.load(Ordering::Relaxed) == NO_HOME {
            self.push_newest(task);
        } else if let Some(old) = self.runnext.replace(Some(task)) {
            self.ready.borrow_mut().push_back(old);
        }
    }

    /// Puts an unstarted `task` in `newest`; the previous one goes to the deque.
    #[inline(never)]
    fn push_newest(&self, task: TaskRef) {
        if let Some(old) = self.shared.newest.put(task) {
            // Wake a sleeper only when stealable work appears: while the deque holds work,
            // the push that made it non-empty has woken one already, and a worker that goes
            // to sleep later sees the work first (see `idle_step`); woken searchers wake
            // the next as they find work.
            let was_empty = self.deque.is_empty();
            self.deque.push(old);
            if was_empty {
                self.rt.notify_one();
            }
        }
    }

    fn next_task(&self) -> Option<TaskRef> {
        let tick = self.tick.get().wrapping_add(1);
        self.tick.set(tick);
        self.shared.tick.store(tick, Ordering::Relaxed);
        if tick % MAINTENANCE_INTERVAL == 0 {
            if let Some(task) = self.maintenance(tick) {
                return Some(task);
            }
        }
        self.check_timers();
        self.drain_inbox();
        if let Some(task) = self.shared.newest.take().or_else(|| self.runnext.take()) {
            let streak = self.runnext_streak.get();
            if streak < RUNNEXT_LIMIT {
                self.runnext_streak.set(streak + 1);
                return Some(task);
            }
            self.ready.borrow_mut().push_back(task);
        }
        self.runnext_streak.set(0);
        let ready = self.ready.borrow_mut().pop_front();
        ready.or_else(|| self.deque.pop())
    }

    /// The periodic fairness steps: the injector, timers, and the unstarted deque ahead of
    /// `ready`.
    #[cold]
    fn maintenance(&self, tick: u32) -> Option<TaskRef> {
        self.answer_dump();
        if tick % GLOBAL_POLL_INTERVAL == 0 {
            // Sockets ready while this worker had work: their waiters join `ready`.
            self.poll_now();
            if let Some(task) = self.steal_from(&self.rt.injector) {
                return Some(task);
            }
        }
        self.deque.pop()
    }

    /// Whether a started coroutine waits for this worker: in `runnext` or `ready`, woken from
    /// another thread into the inbox, or behind a timer that is due (see `out_of_budget`).
    fn others_wait(&self) -> bool {
        let runnext = self.runnext.take();
        let waiting = runnext.is_some();
        self.runnext.set(runnext);
        waiting
            || !self.ready.borrow().is_empty()
            || !self.shared.inbox.is_empty()
            || self
                .next_timer
                .get()
                .is_some_and(|due| Instant::now() >= due)
    }

    fn drain_inbox(&self) {
        let inbox = &self.shared.inbox;
        if inbox.is_empty() {
            return;
        }
        let mut ready = self.ready.borrow_mut();
        loop {
            match inbox.steal() {
                Steal::Success(task) => ready.push_back(task),
                Steal::Empty => break,
                Steal::Retry => {}
            }
        }
    }

    /// Adds a timed park's deadline (called by the parking coroutine, on this worker).
    pub(crate) fn add_timer(&self, deadline: Instant, task: TaskRef) {
        let mut timers = self.timers.borrow_mut();
        timers.add(deadline, task);
        self.timers_changed(&timers);
    }

    /// Removes `task`'s timer when its timed park returns (called by that coroutine).
    pub(crate) fn remove_timer(&self, task: &Task) {
        let mut timers = self.timers.borrow_mut();
        // A compaction drops stale entries: never a task's last reference with a user value
        // in it (see `timer`).
        timers.remove(task);
        self.timers_changed(&timers);
    }

    /// Wakes the coroutines whose deadline has passed, if the earliest has.
    #[inline]
    fn check_timers(&self) {
        if let Some(next) = self.next_timer.get() {
            if Instant::now() >= next {
                self.expire_timers();
            }
        }
    }

    #[cold]
    fn expire_timers(&self) {
        let mut timers = self.timers.borrow_mut();
        let mut ready = self.ready.borrow_mut();
        // Unparking only moves a state word: no user code runs inside these borrows, and
        // dropping a popped entry runs none either (see `timer`). The woken run ahead of a
        // coroutine that just yielded, as Go's `goready` puts them: the earliest in runnext,
        // the others at the front of `ready` in deadline order. (All in runnext, one displacing
        // the next, would serve a mass expiry last-in first-out: a million sleepers' p99
        // lateness went from 10 ms to 900 ms that way. All at the front of `ready` would let a
        // loop of tiny sleeps jump the queue for ever; runnext's streak limit stops that.)
        let mut first = None;
        let mut woken = 0;
        timers.expire(Instant::now(), |task| {
            if let Some(parked) = Task::unpark(&task) {
                if crate::introspect::trace::ON.load(Ordering::Relaxed) {
                    crate::introspect::trace::wake(&parked);
                }
                if first.is_none() {
                    first = Some(parked);
                } else {
                    ready.push_back(parked);
                    woken += 1;
                }
            }
        });
        ready.rotate_right(woken);
        drop(ready);
        self.timers_changed(&timers);
        drop(timers);
        if let Some(task) = first {
            self.push_runnext(task);
        }
    }

    fn timers_changed(&self, timers: &Timers) {
        self.next_timer.set(timers.next_deadline());
        self.shared.timers.store(timers.len(), Ordering::Relaxed);
    }

    /// Polls this worker's epoll without sleeping.
    fn poll_now(&self) {
        if self.shared.poller.has_registrations() {
            self.shared.poller.poll_now(true);
            let polls = &self.shared.polls;
            polls.store(
                polls.load(Ordering::Relaxed).wrapping_add(1),
                Ordering::Relaxed,
            );
        }
    }

    /// Takes another worker's `newest` unstarted coroutine if it has sat in the slot for
    /// [`NEWEST_PATIENCE`] while this worker spun idle: its owner is busy (or blocked) and will
    /// not run it soon. Waiting first keeps a fresh spawn on its spawner's core, where it
    /// usually runs within microseconds (Go's `runqsteal` waits likewise before taking
    /// `runnext`). True if it took one (now in this worker's deque).
    fn steal_sitting_newest(&self) -> bool {
        let n = self.rt.workers.len();
        let (victim, seen, since) = self.watched.get();
        if let Some(since) = since {
            if self.rt.workers[victim].newest.peek() == seen {
                if since.elapsed() < NEWEST_PATIENCE {
                    return false;
                }
                self.watched.set((0, 0, None));
                if let Some(task) = self.rt.workers[victim].newest.take_seen(seen) {
                    Local::bump(&self.shared.stats.steals, 1);
                    self.deque.push(task);
                    return true;
                }
                return false;
            }
        }
        self.watched.set((0, 0, None));
        for v in (0..n).filter(|&v| v != self.index) {
            let word = self.rt.workers[v].newest.peek();
            if word & 3 == SLOT_FULL {
                self.watched.set((v, word, Some(Instant::now())));
                break;
            }
        }
        false
    }

    fn has_local_work(&self) -> bool {
        // Peek at runnext by taking it out and putting it back.
        let runnext = self.runnext.take();
        let has = runnext.is_some() || self.shared.newest.is_full();
        self.runnext.set(runnext);
        has || !self.ready.borrow().is_empty()
            || !self.deque.is_empty()
            || !self.shared.inbox.is_empty()
    }

    /// Out of local work: fire timers, search, or sleep until woken or the next deadline.
    fn idle_step(&self) {
        self.check_timers();
        if self.has_local_work() {
            return;
        }
        if self.index >= self.rt.limit() {
            return self.retired_idle_step();
        }
        if let Some(task) = self.search() {
            return self.run_task(task);
        }
        let deadline = self.next_timer.get();
        if self.rt.idle.spin_pays() && self.spin_for_work(deadline) {
            return;
        }
        if self.scavenge_before_sleeping(deadline) {
            return;
        }
        if self.searching.replace(false)
            && self.rt.idle.stop_searching()
            && self.rt.has_stealable_work()
        {
            // The last searcher must not sleep on work pushed while it searched (the pusher saw
            // a searcher and woke nobody).
            return;
        }
        self.rt.idle.sleep(self.index);
        if !self.has_local_work() && !self.rt.has_stealable_work() {
            let slept = Instant::now();
            self.shared.poller.park(deadline);
            let idle = slept.elapsed().as_nanos() as u64;
            Local::bump(&self.shared.stats.idle_ns, idle);
        }
        self.answer_dump();
        if self.rt.idle.wake(self.index) {
            self.searching.set(true);
        }
    }

    /// Trims a few returned stacks (`stack::Pool::scavenge`) before this worker sleeps; true if
    /// it did (the caller looks for work again before sleeping). Only when there is time: a
    /// worker with no timer pending trims [`SCAVENGE_BATCH`] at a time until none is left, one
    /// whose next timer is near trims nothing, so a mass of returned stacks (a million
    /// sleepers finishing) costs idle time, never a timer's lateness.
    fn scavenge_before_sleeping(&self, deadline: Option<Instant>) -> bool {
        let room =
            deadline.is_none_or(|d| d.saturating_duration_since(Instant::now()) > SCAVENGE_ROOM);
        room && stack::pool().scavenge(Some(&mut self.stacks.borrow_mut()), SCAVENGE_BATCH)
    }

    /// The idle step of a worker above GOMAXPROCS (see `Runtime::set_limit`): it serves only
    /// the coroutines homed on it, so it sleeps until one is woken or a timer is due, without
    /// searching or registering as a sleeper that new work could wake.
    #[cold]
    fn retired_idle_step(&self) {
        if self.searching.replace(false) && self.rt.idle.stop_searching() {
            self.rt.notify_one();
        }
        self.shared.poller.park(self.next_timer.get());
        self.answer_dump();
    }

    /// Spins for up to [`SPIN_BEFORE_SLEEP`], or until the next timer `deadline` if sooner,
    /// watching the inbox, and now and then (as a searcher) the stealable queues; true if work
    /// arrived or the deadline passed. In a conversation across workers the reply usually comes
    /// within microseconds, while a futex sleep and wake-up costs tens of them (Go's idle Ps
    /// spin likewise before they stop). The other workers' queues are looked at only once a
    /// round, so that a spinner does not keep pulling their cache lines away from them.
    ///
    /// A worker with sockets also yields its CPU once a round. When its coroutine has just
    /// written to a peer on this machine (a load generator, an SMTP sink), the kernel may have
    /// queued that peer on this very CPU, and a spin then holds the reply back for the whole
    /// spin. The email sender shows it: a 250 µs spin made it 40% slower, no spin 25-60%
    /// faster, and this yield as fast as no spin, while `whispers` keeps its spin. Without
    /// sockets nothing is awaited from outside, and a yield would only hand the CPU to an
    /// unrelated process.
    fn spin_for_work(&self, deadline: Option<Instant>) -> bool {
        let start = Instant::now();
        let spin_end = start + SPIN_BEFORE_SLEEP;
        let until = deadline.map_or(spin_end, |d| d.min(spin_end));
        let mut next_poll = start;
        let has_sockets = self.shared.poller.has_registrations();
        loop {
            for _ in 0..64 {
                if !self.shared.inbox.is_empty() {
                    return true;
                }
                std::hint::spin_loop();
            }
            if self.searching.get() && self.rt.has_stealable_work() {
                return true;
            }
            if has_sockets {
                // Let a thread the kernel queued on this CPU run (typically the peer this
                // worker's coroutine just wrote to): returns at once if nothing else is.
                std::thread::yield_now();
            }
            let now = Instant::now();
            // Sockets are looked at every SPIN_POLL_INTERVAL, not every round: a poll is a
            // system call, and each round's would gather events a few at a time.
            if now >= next_poll && self.shared.poller.has_registrations() {
                next_poll = now + SPIN_POLL_INTERVAL;
                self.poll_now();
                if !self.ready.borrow().is_empty() {
                    return true;
                }
            }
            if self.searching.get() && self.steal_sitting_newest() {
                return true;
            }
            if now >= until {
                return deadline.is_some_and(|d| now >= d);
            }
        }
    }

    /// This searcher found work, stolen or its own (a wake-up in its inbox, a timer, a
    /// socket), and stops searching (Go's `resetspinning`, tokio's `transition_from_searching`).
    /// Still counted as searching while it ran its own work, it would make every push believe
    /// somebody was looking for the pushed work, and wake nobody. If it was the last searcher
    /// it wakes the next, so the rest of a burst is picked up in parallel: always after a
    /// steal, and after finding its own work only if stealable work is waiting (pushed while it
    /// counted as searching, so nobody was woken for it). Its own work is no sign of more, and
    /// a worker woken for nothing at every socket reply took a CPU from the peer (the email
    /// sender lost a quarter of its rate that way).
    #[cold]
    fn stop_searching(&self, stole: bool) {
        self.searching.set(false);
        if self.rt.idle.stop_searching() && (stole || self.rt.has_stealable_work()) {
            self.rt.notify_one();
        }
    }

    /// Steals an unstarted task from the injector or another worker, if allowed to search.
    fn search(&self) -> Option<TaskRef> {
        if !self.searching.get() {
            if !self.rt.idle.start_searching() {
                return None;
            }
            self.searching.set(true);
        }
        let found = self.steal_from(&self.rt.injector).or_else(|| {
            let n = self.rt.workers.len();
            let start = self.next_random() as usize % n;
            (0..n)
                .map(|i| (start + i) % n)
                .filter(|&v| v != self.index)
                .find_map(|v| self.steal_from(&self.rt.workers[v].stealer))
        })?;
        self.stop_searching(true);
        Local::bump(&self.shared.stats.steals, 1);
        Some(found)
    }

    fn steal_from(&self, source: &impl StealSource) -> Option<TaskRef> {
        loop {
            match source.steal_into(&self.deque) {
                Steal::Success(task) => return Some(task),
                Steal::Empty => return None,
                Steal::Retry => {}
            }
        }
    }

    fn next_random(&self) -> u64 {
        // xorshift64*
        let mut x = self.rng.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Gives an unstarted task its stack and coroutine; this worker becomes its home.
    #[cold]
    #[inline(never)]
    fn start(&self, task: &TaskRef, body: &mut Body) {
        task.home.store(self.index as u32, Ordering::Relaxed);
        let stack = self
            .stacks
            .borrow_mut()
            .take(task.stack_size as usize)
            .unwrap_or_else(|e| {
                fatal(format_args!(
                    "cannot map a {} KiB coroutine stack: {e}",
                    task.stack_size >> 10
                ))
            });
        task.guard.set(stack.guard());
        let mut registry = self.registry.borrow_mut();
        task.registry_slot.set(registry.len() as u32);
        registry.push(NonNull::from(&**task));
        drop(registry);
        let task_ptr = NonNull::from(&**task);
        *body = Body::Started(RawCo::with_stack(stack, move |yielder: &CoYielder, ()| {
            // SAFETY: the task owns this coroutine, so it outlives it.
            let task = unsafe { task_ptr.as_ref() };
            task.yielder.set(yielder);
            task.runnable.run()
        }));
    }

    /// Runs `task` (we hold its run right) until it yields, parks or finishes.
    ///
    /// Inlined into the worker loop, as `suspend` is into every coroutine-side caller: after a
    /// stack switch each `ret` that unwinds a frame built before the switch is mispredicted
    /// (the CPU's return-stack buffer holds the other stack's return addresses), so keeping
    /// both sides of the switch shallow cut a yield round trip from 62 to 13 ns.
    #[inline(always)]
    fn run_task(&self, task: TaskRef) {
        // SAFETY: taking the task out of a queue gave us its run right: nobody else touches
        // `body` until we put the task back in a queue or it parks (see `task`).
        let body = unsafe { &mut *task.body.get() };
        if let Body::Unstarted = body {
            self.start(&task, body);
        }
        let Body::Started(co) = body else {
            unreachable!("a queued task is never finished")
        };
        CURRENT.set(Some(NonNull::from(&*task)));
        self.shared.running.store(task.id.get(), Ordering::Relaxed);
        self.shared
            .running_site
            .store(task.spawn_site as *const _ as *mut _, Ordering::Relaxed);
        Local::bump(&self.shared.stats.switches, 1);
        self.shared.budget.store(OP_BUDGET, Ordering::Relaxed);
        let result = if crate::introspect::trace::ON.load(Ordering::Relaxed) {
            resume_traced(&task, co)
        } else {
            co.resume(())
        };
        self.shared.running.store(0, Ordering::Relaxed);
        CURRENT.set(None);
        match result {
            corosensei::CoroutineResult::Yield(Suspend::Yield) => {
                // Behind whatever other threads woke meanwhile, as Go's `Gosched` puts the
                // yielder behind every runnable goroutine: a coroutine that yields every 5 ms
                // otherwise delayed a timer's wake-up (sent by the timer thread) by 10 ms.
                self.drain_inbox();
                self.ready.borrow_mut().push_back(task)
            }
            corosensei::CoroutineResult::Yield(Suspend::Park) => {
                if task.finish_parking() {
                    // Our reference now belongs to the PARKED state; its waker takes it over.
                    std::mem::forget(task);
                } else {
                    self.ready.borrow_mut().push_back(task);
                }
            }
            corosensei::CoroutineResult::Return(()) => {
                let mut registry = self.registry.borrow_mut();
                let slot = task.registry_slot.get() as usize;
                registry.swap_remove(slot);
                if let Some(moved) = registry.get(slot) {
                    // SAFETY: registered tasks are alive (see `registry`).
                    unsafe { moved.as_ref() }.registry_slot.set(slot as u32);
                }
                drop(registry);
                let Body::Started(co) = std::mem::replace(body, Body::Finished) else {
                    unreachable!()
                };
                self.stacks.borrow_mut().give(co.into_stack());
            }
        }
    }
}

/// Resumes `task` and records the run slice for the tracer (see `introspect::trace`).
#[cold]
#[inline(never)]
fn resume_traced(task: &Task, co: &mut RawCo) -> corosensei::CoroutineResult<Suspend, ()> {
    let started_us = crate::introspect::trace::now_us();
    let result = co.resume(());
    let why = match &result {
        corosensei::CoroutineResult::Yield(Suspend::Yield) => "yield",
        corosensei::CoroutineResult::Yield(Suspend::Park) => {
            crate::introspect::trace::park_reason(task)
        }
        corosensei::CoroutineResult::Return(()) => "finish",
    };
    crate::introspect::trace::run(task, started_us, why);
    result
}

/// Starts `w`'s thread with its deque, once; false if it was already started. A worker started
/// by a notifier begins as a searcher (the notifier counted it as one, see `idle`).
fn start_thread(w: &Shared, index: usize, searching: bool) -> bool {
    let Some(deque) = w.unstarted.lock().unwrap_or_else(|e| e.into_inner()).take() else {
        return false;
    };
    std::thread::Builder::new()
        .name(format!("rungo-worker-{index}"))
        .spawn(move || Local::new(index, deque, searching).run())
        .unwrap_or_else(|e| fatal(format_args!("cannot start worker thread: {e}")));
    w.started.store(true, Ordering::Release);
    true
}

/// Aborts the process if dropped during an unwind of the worker loop.
struct AbortOnUnwind(usize);

impl Drop for AbortOnUnwind {
    fn drop(&mut self) {
        fatal(format_args!("worker {} panicked", self.0));
    }
}

/// The injector and other workers' stealers, seen alike by `steal_from`.
trait StealSource {
    fn steal_into(&self, dest: &Deque<TaskRef>) -> Steal<TaskRef>;
}

impl StealSource for Injector<TaskRef> {
    fn steal_into(&self, dest: &Deque<TaskRef>) -> Steal<TaskRef> {
        self.steal_batch_and_pop(dest)
    }
}

impl StealSource for Stealer<TaskRef> {
    fn steal_into(&self, dest: &Deque<TaskRef>) -> Steal<TaskRef> {
        self.steal_batch_and_pop(dest)
    }
}

/// The cooperative preemption check that every rungo operation makes (channels, sync, net,
/// sleep, spawn): once the running coroutine has made 128 operations since it was resumed, it
/// yields if another started coroutine waits for its worker (one woken, or whose timer is
/// due); and it yields at once if sysmon has asked it to (it has held its worker for ~10 ms).
/// So a coroutine that loops on operations that never block, such as sends on a buffered
/// channel that never fills, lets the others of its worker run every 128 of them. Costs a
/// thread-local read and a relaxed load and store.
///
/// Go: the preemption check in every function prologue (`morestack`), which rungo cannot have;
/// see "What still holds a worker" in the crate docs.
#[inline]
pub fn preempt_point() {
    let budget = BUDGET.get();
    // Only coroutines call rungo operations on a worker thread (and `yield_now` checks anyway),
    // so a worker's budget alone decides.
    if budget.is_null() {
        return;
    }
    // SAFETY: a non-null BUDGET points into the 'static runtime's worker state.
    let budget = unsafe { &*budget };
    // A load and a store, not a read-modify-write: only this worker counts. Should sysmon's
    // request land between them, it is overwritten, and sysmon makes it again at its next look
    // (every millisecond while the worker is stuck).
    let left = budget.load(Ordering::Relaxed);
    if left.wrapping_sub(1) < OP_BUDGET {
        budget.store(left - 1, Ordering::Relaxed);
    } else {
        out_of_budget(budget, left);
    }
}

/// The budget is spent (or sysmon asked): yield if a started coroutine, a due timer or a
/// wake-up from another thread waits for this worker, else run on with a fresh budget.
/// Unstarted coroutines alone are no reason: yielding to them would start them all here within
/// microseconds, and a started coroutine can never move, so a spawner's worker would keep
/// every CPU-heavy coroutine it spawned while the other workers, which steal only unstarted
/// ones, sat idle. (sysmon hands a stuck worker's unstarted coroutines to the others itself.)
#[cold]
#[inline(never)]
fn out_of_budget(budget: &AtomicU32, left: u32) {
    if left == PREEMPT_REQUESTED || Local::current().is_some_and(Local::others_wait) {
        crate::park::yield_now(); // the next resume refills the budget
    } else {
        budget.store(OP_BUDGET, Ordering::Relaxed);
    }
}

/// Suspends the running coroutine with `reason`. Must be called from a coroutine. Always inlined,
/// so that the switch happens in the frame of whoever parks or yields (see `run_task`).
#[inline(always)]
pub(crate) fn suspend(task: &Task, reason: Suspend) {
    let yielder = task.yielder.get();
    // SAFETY: `task` is the coroutine running on this thread (CURRENT), so its yielder, set when
    // it started, points into its own live stack, and we are on that stack.
    unsafe { (*yielder).suspend(reason) };
}

/// Reports an unrecoverable runtime failure and aborts, as Go's runtime does (`fatal error`).
pub(crate) fn fatal(args: std::fmt::Arguments<'_>) -> ! {
    eprintln!("rungo: fatal error: {args}");
    std::process::abort()
}
