//! A worker's timers: the deadlines of `park_until` (and so of `sleep` and every timed blocking
//! operation) of the coroutines that live on it.
//!
//! A started coroutine parks only on its home worker, so each worker keeps its own binary heap
//! with no locking; a timer that fires wakes a coroutine of the same worker, with no cross-thread
//! traffic. A worker with work checks the heap whenever the clock has passed its earliest
//! deadline (one clock read per scheduling tick, and only while the heap is not empty, as Go's
//! `checkTimers` does); an idle worker sleeps until that deadline.
//!
//! # Cancelling: lazy, with compaction
//!
//! Each entry carries the generation of the timed park it belongs to; the task's `timer_gen`
//! (used only on its home worker) moves on when that park returns, which makes the entry
//! *stale*: it will not fire. A stale entry is dropped when it reaches the top, or earlier by a
//! compaction, which runs when stale entries outnumber live ones. So:
//!
//! * the heap never holds more than about twice the timed parks in progress, plus a small
//!   constant: memory stays flat however many timed operations finish early (2,000,000
//!   `recv_timeout(60 s)` that succeed at once used to grow it until their deadlines);
//! * cancelling is O(1) and moving entries touches only the heap's array. (An indexed heap,
//!   where each task knows its slot, cancels eagerly, but every sift then writes into the
//!   tasks it moves: with a million sleepers that was a cache miss per level per timer.)
//! * a stale entry may keep a finished task's memory alive until it is dropped; it holds no
//!   user value (a finished task's result was dropped in the coroutine, see `spawn::Packet`),
//!   so dropping it runs no user code.
//!
//! An entry that fires wakes its task; if the task was woken by something else meanwhile (it
//! is queued, not yet resumed), the unpark leaves a token and its next park returns
//! spuriously, which the blocking contract allows.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::Instant;

use crate::task::Task;
use crate::task::TaskRef;

/// The low bit of a task's `timer_gen`: its current park's timer fired (and left the heap).
const FIRED: u32 = 1;

/// Below this many entries the heap is never compacted.
const COMPACT_MIN: usize = 64;

struct Entry {
    deadline: Instant,
    generation: u32,
    task: TaskRef,
}

impl Entry {
    fn is_live(&self) -> bool {
        self.task.timer_gen.get() & !FIRED == self.generation
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.deadline == other.deadline
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Reversed, so that the `BinaryHeap` (a max-heap) yields the earliest deadline first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.deadline.cmp(&self.deadline)
    }
}

/// One worker's pending deadlines.
#[derive(Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Entry>,
    /// Entries whose park has returned (they will not fire).
    stale: usize,
}

impl Timers {
    /// Adds `task`'s deadline for its current timed park, which must not have one already.
    pub(crate) fn add(&mut self, deadline: Instant, task: TaskRef) {
        let generation = (task.timer_gen.get() & !FIRED).wrapping_add(2);
        task.timer_gen.set(generation);
        self.heap.push(Entry {
            deadline,
            generation,
            task,
        });
    }

    /// Cancels `task`'s timer: its timed park returned (for whatever reason).
    pub(crate) fn remove(&mut self, task: &Task) {
        // A fired entry has left the heap already: then only the generation moves on.
        let current = task.timer_gen.get();
        task.timer_gen.set((current & !FIRED).wrapping_add(2));
        if current & FIRED == 0 {
            self.stale += 1;
            if self.stale > self.heap.len() / 2 && self.heap.len() >= COMPACT_MIN {
                self.heap.retain(Entry::is_live);
                self.stale = 0;
            }
        }
    }

    /// Timed parks in progress.
    pub(crate) fn len(&self) -> usize {
        self.heap.len() - self.stale
    }

    /// The earliest deadline in the heap (perhaps a stale one's: waking early for it is
    /// harmless, the check then drops it).
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.heap.peek().map(|e| e.deadline)
    }

    /// Pops every entry due at `now`, handing the task of each live one to `wake`.
    pub(crate) fn expire(&mut self, now: Instant, mut wake: impl FnMut(TaskRef)) {
        while self.heap.peek().is_some_and(|e| e.deadline <= now) {
            let e = self.heap.pop().expect("just peeked");
            if e.is_live() {
                e.task.timer_gen.set(e.generation | FIRED);
                wake(e.task);
            } else {
                self.stale -= 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::Timers;
    use crate::task::Task;
    use crate::task::TaskRef;

    fn task() -> TaskRef {
        struct Nothing;
        impl crate::spawn::Runnable for Nothing {
            fn run(&self) {}
        }
        TaskRef::new(Task::new(None, 64 * 1024, Nothing)).0
    }

    #[test]
    fn expires_due_timers_in_deadline_order_and_keeps_the_rest() {
        let now = Instant::now();
        let (a, b, c) = (task(), task(), task());
        let mut timers = Timers::default();
        timers.add(now + Duration::from_millis(30), c.clone());
        timers.add(now + Duration::from_millis(10), a.clone());
        timers.add(now + Duration::from_millis(20), b.clone());
        assert_eq!(
            timers.next_deadline(),
            Some(now + Duration::from_millis(10))
        );
        let mut fired = Vec::new();
        timers.expire(now + Duration::from_millis(25), |t| fired.push(t.id));
        assert_eq!(fired, vec![a.id, b.id]);
        assert_eq!(timers.len(), 1);
        assert_eq!(
            timers.next_deadline(),
            Some(now + Duration::from_millis(30))
        );
        // The fired parks return: nothing goes stale.
        timers.remove(&a);
        timers.remove(&b);
        assert_eq!(timers.len(), 1);
    }

    #[test]
    fn a_cancelled_timer_does_not_fire() {
        let now = Instant::now();
        let t = task();
        let mut timers = Timers::default();
        timers.add(now, t.clone());
        timers.remove(&t); // its park returned
        assert_eq!(timers.len(), 0);
        let mut fired = 0;
        timers.expire(now + Duration::from_secs(1), |_| fired += 1);
        assert_eq!(fired, 0);
        assert!(timers.next_deadline().is_none());
    }

    #[test]
    fn cancelled_timers_do_not_pile_up() {
        let far = Instant::now() + Duration::from_secs(3600);
        let t = task();
        let mut timers = Timers::default();
        for _ in 0..100_000 {
            timers.add(far, t.clone());
            timers.remove(&t);
        }
        assert_eq!(timers.len(), 0);
        assert!(
            timers.heap.len() <= 2 * super::COMPACT_MIN,
            "{}",
            timers.heap.len()
        );
        assert_eq!(
            t.refs.load(std::sync::atomic::Ordering::Relaxed),
            1 + timers.heap.len()
        );
    }

    #[test]
    fn random_adds_cancels_and_expiries_fire_exactly_the_live_timers() {
        let base = Instant::now();
        let tasks: Vec<TaskRef> = (0..200).map(|_| task()).collect();
        let mut timers = Timers::default();
        let mut armed = vec![None; tasks.len()];
        let mut x: u64 = 0x1234_5678_9abc_def1;
        let mut now = base;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x % tasks.len() as u64) as usize;
            match armed[i] {
                Some(_) if x % 3 == 0 => {
                    timers.remove(&tasks[i]);
                    armed[i] = None;
                }
                Some(_) => {}
                None => {
                    let deadline = now + Duration::from_micros(x % 1_000);
                    timers.add(deadline, tasks[i].clone());
                    armed[i] = Some(deadline);
                }
            }
            if x % 7 == 0 {
                now += Duration::from_micros(100);
                let mut fired = Vec::new();
                timers.expire(now, |t| fired.push(t));
                for t in fired {
                    let i = tasks.iter().position(|u| TaskRef::ptr_eq(u, &t)).unwrap();
                    assert!(
                        armed[i].is_some_and(|d| d <= now),
                        "only due live timers fire"
                    );
                    timers.remove(&t);
                    armed[i] = None;
                }
            }
            assert_eq!(timers.len(), armed.iter().filter(|a| a.is_some()).count());
        }
    }
}
