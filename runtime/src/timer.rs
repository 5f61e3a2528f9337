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
use std::sync::Arc;
use std::time::Instant;

use crate::task::Task;

struct Entry {
    deadline: Instant,
    generation: u32,
    task: Arc<Task>,
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
    pub(crate) fn add(&mut self, deadline: Instant, generation: u32, task: Arc<Task>) {
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
    pub(crate) fn expire(&mut self, now: Instant, mut wake: impl FnMut(Arc<Task>)) {
        while self.heap.peek().is_some_and(|e| e.deadline <= now) {
            let e = self.heap.pop().expect("just peeked");
            if e.task.timer_gen.load(std::sync::atomic::Ordering::Relaxed) == e.generation {
                wake(e.task);
            }
        }
    }
}
