//! Which workers are searching for work and which are asleep, so that new work wakes exactly
//! one sleeper and only when nobody is already looking.
//!
//! # Protocol (tokio's and Go's `spinning` rule)
//!
//! * A worker out of local work becomes a *searcher* (steals from others, polls the injector),
//!   but only while fewer than half the workers search: searching is wasted CPU past that.
//! * Whoever makes work stealable (a push to the injector, or a push that makes a worker's
//!   deque non-empty) asks [`Idle::worker_to_notify`] whom to wake: if any worker is searching
//!   it will find the work, so nobody is woken; otherwise one sleeper is popped, counted as
//!   searching on its behalf, and unparked. A push wakes at most one worker. A push onto a deque that already
//!   holds work notifies nobody: the push that made it non-empty did, and a worker that went to
//!   sleep since then made its final check after that work was there (next rule).
//! * A searcher that finds work stops searching, whether it stole the work or found its own (a
//!   wake-up sent to its inbox, a timer, a socket). If it was the last searcher it calls
//!   `notify_one`, so that the rest of a burst of work is picked up in parallel: always after a
//!   steal, and after finding its own work only if stealable work is waiting (pushed while it
//!   counted as searching). So a worker counts as searching only while it looks: one running
//!   coroutines never holds a push's wake-up back.
//! * A worker going to sleep registers in `sleepers` *before* its final check of every queue,
//!   and a notifier pushes its work *before* reading `sleepers` (both with SeqCst fences). So
//!   either the sleeper's check sees the work or the notifier sees the sleeper: no lost wake-up.
//! * A worker woken by anything else (a timer, a wake-up sent to its inbox) removes itself from
//!   `sleepers`; if it is no longer there, a notifier popped it and it is a searcher.
//!
//! # No more awake workers than CPUs
//!
//! A push wakes nobody while as many workers are awake as the process has CPUs (GOMAXPROCS
//! above the CPU count, or a container's quota below it). Work woken onto a worker the kernel
//! cannot run at once only waits there: a coroutine started on it stays there (the soundness
//! rule), and every wake-up sent to it later costs a kernel wake-up of a thread that must wait
//! for a CPU. Go can run any goroutine on any M, rungo cannot, so it keeps its coroutines on
//! the workers that do run. The pushed work is not lost: an awake worker runs it, since one
//! about to sleep checks every queue after registering. sysmon wakes a sleeper regardless
//! ([`Idle::worker_to_notify`] with `past_cpus`), which is how the extra workers get used,
//! when a worker is stuck (10 ms in one coroutine, or in a blocking call) and when work has
//! waited 2 ms in the global injector (the awake workers run long slices, and look at the
//! injector only every 56 of them).
//!
//! # No spinning on a CPU someone else needs
//!
//! An idle worker spins briefly before it sleeps, because in a conversation across workers the
//! reply usually comes within microseconds. That pays only while the worker has its CPU to
//! itself. When other processes compete for the CPUs (two CPU hogs on two cores), a spinner
//! burns the time slice that the worker it waits for, or the hog sharing its core, needs, and a
//! spinning thread the kernel has preempted is woken no sooner than a sleeping one. sysmon
//! measures this: when the workers spent more than [`CONTENDED_SHARE`] of the last window
//! runnable but waiting for a CPU (`/proc/self/task/<tid>/schedstat`), it sets
//! [`Idle::cpu_contended`] and idle workers sleep at once, as they do when oversubscribed.
//! `million whispers` with two hogs went from 950 to 720 ns/op that way (medians of 7
//! alternating runs), while a quiet machine, where a worker waits for a CPU only while sysmon
//! itself runs (1-2% of a window), keeps its spin.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};

use crossbeam_utils::CachePadded;

/// Shared idle-worker state of the runtime.
#[derive(Debug)]
pub(crate) struct Idle {
    workers: AtomicUsize,
    /// CPUs the process may use: awake workers past which a push wakes nobody.
    cpus: usize,
    searching: CachePadded<AtomicUsize>,
    num_sleepers: CachePadded<AtomicUsize>,
    sleepers: Mutex<Vec<usize>>,
    /// Sleepers taken off the list by a lowering of GOMAXPROCS (`resize`): when they wake they
    /// must not take themselves for searchers a notifier popped.
    evicted: Mutex<Vec<usize>>,
    /// The workers ever listed as sleepers by `new` or `resize` (indexed by worker; missing
    /// entries are false). Every worker but 0 starts by being popped from the list, so one
    /// listed before and neither listed nor evicted now is awake, or starting.
    ever_listed: Mutex<Vec<bool>>,
    /// Set by sysmon while the workers wait for CPUs (see the module docs).
    cpu_contended: AtomicBool,
}

/// The share of a window that the workers may spend waiting for a CPU before idle workers stop
/// spinning: sysmon's own runs cost a quiet machine's workers about 1-2%, a CPU hog on each
/// core costs them about half.
pub(crate) const CONTENDED_SHARE: f64 = 0.1;

impl Idle {
    /// Idle state for `workers` workers, of which only worker 0 has started: the others are
    /// listed as sleepers, highest index at the bottom, so notifiers start them lowest index
    /// first (the scheduler relies on the started ones being `0..started`).
    pub(crate) fn new(workers: usize, cpus: usize) -> Idle {
        let mut sleepers = Vec::with_capacity(workers);
        sleepers.extend((1..workers).rev());
        Idle {
            workers: AtomicUsize::new(workers),
            cpus: cpus.max(1),
            searching: CachePadded::new(AtomicUsize::new(0)),
            num_sleepers: CachePadded::new(AtomicUsize::new(workers - 1)),
            sleepers: Mutex::new(sleepers),
            evicted: Mutex::new(Vec::new()),
            ever_listed: Mutex::new((0..workers).map(|i| i > 0).collect()),
            cpu_contended: AtomicBool::new(false),
        }
    }

    /// The worker count changed from `old` to `new` (GOMAXPROCS, or a spare worker: see
    /// `sysmon`). Lowering takes `new..` off the list, so no notifier wakes them for new work;
    /// those taken off while asleep are remembered (`evicted`) so that waking is not taken for
    /// a notifier's pop. Raising lists each of `old..new` by what it is doing:
    ///
    /// * never listed (never started): listed below everything listed, so unstarted workers
    ///   are still handed out lowest index first;
    /// * evicted by a lowering and still asleep: listed again;
    /// * listed before and neither listed nor evicted now: awake (serving the coroutines homed
    ///   on it above the old count, parked in its idle step for workers above the count, or
    ///   popped by a notifier and starting). It is not listed, since a notifier's pop would
    ///   make it a searcher without its knowing; it is returned, for the caller to unpark: it
    ///   then goes idle as a worker within the count, and lists itself when it sleeps.
    pub(crate) fn resize(&self, old: usize, new: usize) -> Vec<usize> {
        let mut sleepers = self.sleepers.lock().unwrap_or_else(|e| e.into_inner());
        let mut evicted = self.evicted.lock().unwrap_or_else(|e| e.into_inner());
        let mut awake = Vec::new();
        if new > old {
            let mut ever_listed = self.ever_listed.lock().unwrap_or_else(|e| e.into_inner());
            if ever_listed.len() < new {
                ever_listed.resize(new, false);
            }
            let mut bottom = 0;
            for index in old..new {
                if sleepers.contains(&index) {
                    continue; // it listed itself after the lowering was decided
                } else if let Some(pos) = evicted.iter().position(|&i| i == index) {
                    evicted.swap_remove(pos);
                    sleepers.push(index);
                } else if ever_listed[index] {
                    awake.push(index);
                } else {
                    ever_listed[index] = true;
                    sleepers.insert(bottom, index);
                    bottom += 1;
                }
            }
            // The unstarted ones went in lowest first from position 0; the list is popped
            // from its end, so reverse that run to hand out the lowest index first.
            sleepers[..bottom].reverse();
        } else {
            evicted.extend(sleepers.iter().copied().filter(|&i| i >= new));
            sleepers.retain(|&i| i < new);
        }
        self.num_sleepers.store(sleepers.len(), Ordering::SeqCst);
        self.workers.store(new, Ordering::SeqCst);
        awake
    }

    /// Workers asleep (or never started) right now: a racy count.
    pub(crate) fn sleepers(&self) -> usize {
        self.num_sleepers.load(Ordering::Relaxed)
    }

    /// Workers searching right now: a racy count.
    pub(crate) fn searching(&self) -> usize {
        self.searching.load(Ordering::Relaxed)
    }

    /// Workers awake (running or looking for work), given `sleepers`: a racy count, hence
    /// the saturation.
    fn awake(&self, sleepers: usize) -> usize {
        self.workers
            .load(Ordering::Relaxed)
            .saturating_sub(sleepers)
    }

    /// True if more workers are awake than there are CPUs: an idle one then sleeps at once
    /// instead of spinning on a CPU that a worker with work needs.
    pub(crate) fn oversubscribed(&self) -> bool {
        self.awake(self.sleepers()) > self.cpus
    }

    /// True if an idle worker should spin before sleeping: not while oversubscribed, nor while
    /// other processes compete for the CPUs (see the module docs).
    pub(crate) fn spin_pays(&self) -> bool {
        !self.oversubscribed() && !self.cpu_contended()
    }

    /// sysmon's verdict on the last window: the workers waited for CPUs (see the module docs).
    pub(crate) fn cpu_contended(&self) -> bool {
        self.cpu_contended.load(Ordering::Relaxed)
    }

    /// Records sysmon's verdict on the last window.
    pub(crate) fn set_cpu_contended(&self, contended: bool) {
        if self.cpu_contended.load(Ordering::Relaxed) != contended {
            self.cpu_contended.store(contended, Ordering::Relaxed);
        }
    }

    /// After new stealable work was published: the worker to wake, if one must be. Nobody
    /// while as many workers are awake as there are CPUs, unless `past_cpus` (sysmon, for
    /// stuck workers).
    #[must_use]
    pub(crate) fn worker_to_notify(&self, past_cpus: bool) -> Option<usize> {
        fence(Ordering::SeqCst);
        let sleepers = self.num_sleepers.load(Ordering::SeqCst);
        if self.searching.load(Ordering::SeqCst) != 0
            || sleepers == 0
            || (!past_cpus && self.awake(sleepers) >= self.cpus)
        {
            return None;
        }
        let mut sleepers = self.sleepers.lock().unwrap_or_else(|e| e.into_inner());
        if self.searching.load(Ordering::SeqCst) != 0 {
            return None;
        }
        let index = sleepers.pop()?;
        self.num_sleepers.fetch_sub(1, Ordering::SeqCst);
        self.searching.fetch_add(1, Ordering::SeqCst);
        Some(index)
    }

    /// Tries to become a searcher; refused when half the workers already search.
    pub(crate) fn start_searching(&self) -> bool {
        let n = self.searching.load(Ordering::SeqCst);
        if 2 * n >= self.workers.load(Ordering::Relaxed).max(2) {
            return false;
        }
        self.searching.fetch_add(1, Ordering::SeqCst);
        true
    }

    /// Stops searching; true if this was the last searcher.
    pub(crate) fn stop_searching(&self) -> bool {
        let last = self.searching.fetch_sub(1, Ordering::SeqCst) == 1;
        // Orders the decrement before the caller's re-check of the queues (Dekker with the
        // pusher's fence in `worker_to_notify`).
        fence(Ordering::SeqCst);
        last
    }

    /// Registers `index` as asleep. The caller must check every queue once more afterwards.
    pub(crate) fn sleep(&self, index: usize) {
        let mut sleepers = self.sleepers.lock().unwrap_or_else(|e| e.into_inner());
        sleepers.push(index);
        self.num_sleepers.fetch_add(1, Ordering::SeqCst);
        drop(sleepers);
        fence(Ordering::SeqCst);
    }

    /// Unregisters `index` after a wake-up; true if a notifier had popped it (it now searches).
    pub(crate) fn wake(&self, index: usize) -> bool {
        let mut sleepers = self.sleepers.lock().unwrap_or_else(|e| e.into_inner());
        match sleepers.iter().position(|&i| i == index) {
            Some(pos) => {
                sleepers.swap_remove(pos);
                self.num_sleepers.fetch_sub(1, Ordering::SeqCst);
                false
            }
            None => {
                let mut evicted = self.evicted.lock().unwrap_or_else(|e| e.into_inner());
                match evicted.iter().position(|&i| i == index) {
                    Some(pos) => {
                        evicted.swap_remove(pos);
                        false
                    }
                    None => true,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Idle;

    #[test]
    fn unstarted_workers_are_handed_out_lowest_index_first() {
        let idle = Idle::new(4, 4);
        assert_eq!(idle.sleepers(), 3, "workers 1..4 have not started");
        for expected in 1..4 {
            assert_eq!(idle.worker_to_notify(false), Some(expected));
            assert!(idle.wake(expected), "popped by a notifier: a searcher");
            assert!(idle.stop_searching());
        }
        assert_eq!(
            idle.worker_to_notify(false),
            None,
            "all started, none asleep"
        );
    }

    #[test]
    fn a_push_wakes_one_sleeper_and_only_while_nobody_searches() {
        let idle = Idle::new(4, 4);
        idle.sleep(0);
        let woken = idle
            .worker_to_notify(false)
            .expect("all asleep and nobody searching: wake one");
        assert_eq!(woken, 0, "a started sleeper goes before unstarted workers");
        // The woken worker counts as searching, so further pushes wake nobody.
        assert_eq!(idle.worker_to_notify(false), None);
        assert_eq!(idle.worker_to_notify(false), None);
        // It was popped by the notifier, so on waking it knows it is a searcher.
        assert!(idle.wake(woken));
        // Once it stops searching, the next push wakes another sleeper.
        assert!(idle.stop_searching());
        let next = idle
            .worker_to_notify(false)
            .expect("nobody searching again");
        assert_ne!(next, woken);
    }

    #[test]
    fn a_push_wakes_nobody_while_as_many_workers_are_awake_as_cpus() {
        let idle = Idle::new(8, 2);
        assert_eq!(
            idle.worker_to_notify(false),
            Some(1),
            "one awake of two CPUs"
        );
        assert!(idle.wake(1));
        assert!(idle.stop_searching());
        assert_eq!(
            idle.worker_to_notify(false),
            None,
            "two awake on two CPUs: the work waits for them"
        );
        assert_eq!(
            idle.worker_to_notify(true),
            Some(2),
            "sysmon, for stuck workers, wakes one past the CPUs"
        );
        assert!(idle.wake(2));
        assert!(idle.stop_searching());
        assert!(idle.oversubscribed(), "three awake on two CPUs");
        idle.sleep(2);
        idle.sleep(1);
        assert!(!idle.oversubscribed());
        assert_eq!(idle.worker_to_notify(false), Some(1), "one awake again");
    }

    #[test]
    fn nobody_is_woken_when_nobody_sleeps() {
        let idle = Idle::new(1, 1);
        assert_eq!(idle.worker_to_notify(false), None);
    }

    #[test]
    fn searchers_are_capped_at_half_the_workers() {
        let idle = Idle::new(4, 4);
        assert!(idle.start_searching());
        assert!(idle.start_searching());
        assert!(
            !idle.start_searching(),
            "a third searcher of four workers is refused"
        );
        assert!(!idle.stop_searching());
        assert!(idle.start_searching());
        let single = Idle::new(1, 1);
        assert!(single.start_searching(), "a lone worker may always search");
        assert!(!single.start_searching());
    }

    #[test]
    fn a_worker_woken_by_something_else_leaves_the_sleepers() {
        let idle = Idle::new(1, 1);
        idle.sleep(0);
        assert!(!idle.wake(0), "not popped by a notifier: not a searcher");
        assert_eq!(idle.worker_to_notify(false), None, "it is no longer asleep");
    }

    #[test]
    fn raising_lists_new_workers_and_lowering_evicts_without_making_searchers() {
        let idle = Idle::new(2, 4);
        assert_eq!(idle.worker_to_notify(false), Some(1));
        assert!(idle.wake(1));
        assert!(idle.stop_searching());
        assert!(idle.resize(2, 4).is_empty());
        idle.sleep(1);
        // The started sleeper goes first, then the new workers lowest index first.
        assert_eq!(idle.worker_to_notify(false), Some(1));
        assert!(idle.wake(1));
        assert!(idle.stop_searching());
        assert_eq!(idle.worker_to_notify(false), Some(2));
        assert!(idle.wake(2));
        assert!(idle.stop_searching());
        idle.sleep(2);
        assert!(idle.resize(4, 2).is_empty());
        assert_eq!(idle.sleepers(), 0, "workers 2 and 3 are off the list");
        assert!(
            !idle.wake(2),
            "an evicted sleeper is not a searcher when it wakes"
        );
        assert_eq!(idle.worker_to_notify(false), None);
    }

    /// Raising again after a lowering (a spare worker retired, then needed again): a worker
    /// still asleep since its eviction is listed again, one that is awake is returned to be
    /// unparked and is not listed, so no notifier can pop it into a searcher it does not know
    /// it is (that searcher count would never come down, and every later push would wake
    /// nobody).
    #[test]
    fn raising_again_lists_evicted_sleepers_and_returns_awake_workers() {
        let idle = Idle::new(3, 4);
        for w in [1, 2] {
            assert_eq!(idle.worker_to_notify(false), Some(w));
            assert!(idle.wake(w));
            assert!(idle.stop_searching());
        }
        idle.sleep(2); // worker 1 stays awake
        assert!(idle.resize(3, 1).is_empty());
        assert_eq!(idle.sleepers(), 0);
        assert_eq!(idle.resize(1, 3), vec![1], "worker 1 is awake: unpark it");
        assert_eq!(
            idle.sleepers(),
            1,
            "worker 2, asleep since it was evicted, is listed again"
        );
        assert_eq!(idle.worker_to_notify(false), Some(2));
        assert!(idle.wake(2), "popped by a notifier: a searcher");
        assert!(idle.stop_searching());
        assert_eq!(idle.worker_to_notify(false), None, "worker 1 is not listed");
        idle.sleep(1); // worker 1, unparked, goes idle within the count and lists itself
        assert_eq!(idle.worker_to_notify(false), Some(1));
        assert!(idle.wake(1));
    }

    /// A worker popped to start (a searcher on its behalf, its thread not yet running) when
    /// the count is lowered and raised again is not listed a second time: a second pop would
    /// count it as a searcher twice.
    #[test]
    fn raising_again_does_not_relist_a_worker_popped_to_start() {
        let idle = Idle::new(2, 4);
        assert_eq!(idle.worker_to_notify(false), Some(1)); // its thread is starting
        assert!(idle.resize(2, 1).is_empty());
        assert_eq!(
            idle.resize(1, 2),
            vec![1],
            "starting: unpark it, do not list it"
        );
        assert_eq!(idle.sleepers(), 0);
        assert!(idle.wake(1), "it starts as the searcher it was popped as");
        assert!(idle.stop_searching(), "and is the only one");
    }
}
