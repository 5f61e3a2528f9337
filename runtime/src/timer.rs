//! A worker's timers: the deadlines of `park_timeout` (and so of `sleep`) of the coroutines that
//! live on it.
//!
//! A started coroutine parks only on its home worker, so each worker keeps its own binary heap
//! with no locking; a timer that fires wakes a coroutine of the same worker, with no cross-thread
//! traffic. An idle worker sleeps until its earliest deadline (the futex timeout in `parker`),
//! so a parked worker with pending timers wakes on time without spinning.
//!
//! Cancelling is lazy: a timer carries the task's `timer_gen` of the park it belongs to; when
//! that park returns the generation moves on, and the stale entry is dropped when it expires.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::Instant;

use crate::task_ref::TaskRef;

struct Entry {
    deadline: Instant,
    generation: u32,
    task: TaskRef,
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
}

impl Timers {
    pub(crate) fn add(&mut self, deadline: Instant, generation: u32, task: TaskRef) {
        self.heap.push(Entry {
            deadline,
            generation,
            task,
        });
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.heap.peek().map(|e| e.deadline)
    }

    /// Pops every timer due at `now` whose park is still current, yielding its task.
    pub(crate) fn expire(&mut self, now: Instant, mut wake: impl FnMut(TaskRef)) {
        while self.heap.peek().is_some_and(|e| e.deadline <= now) {
            let e = self.heap.pop().expect("just peeked");
            if e.task.timer_gen.load(std::sync::atomic::Ordering::Relaxed) == e.generation {
                wake(e.task);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    use super::Timers;
    use crate::task::Task;
    use crate::task_ref::TaskRef;

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
        timers.add(now + Duration::from_millis(30), 0, c.clone());
        timers.add(now + Duration::from_millis(10), 0, a.clone());
        timers.add(now + Duration::from_millis(20), 0, b.clone());
        assert_eq!(
            timers.next_deadline(),
            Some(now + Duration::from_millis(10))
        );
        let mut fired = Vec::new();
        timers.expire(now + Duration::from_millis(25), |t| fired.push(t.id));
        assert_eq!(fired, vec![a.id, b.id]);
        assert_eq!(
            timers.next_deadline(),
            Some(now + Duration::from_millis(30))
        );
    }

    #[test]
    fn a_stale_timer_is_dropped_without_firing() {
        let now = Instant::now();
        let t = task();
        let mut timers = Timers::default();
        timers.add(now, 1, t.clone());
        t.timer_gen.store(2, Ordering::Relaxed); // its park returned: the timer is stale
        let mut fired = 0;
        timers.expire(now, |_| fired += 1);
        assert_eq!(fired, 0);
        assert!(timers.is_empty());
    }
}
