//! A worker's timers: the deadlines of `park_until` (and so of `sleep` and every timed blocking
//! operation) of the coroutines that live on it.
//!
//! A started coroutine parks only on its home worker, so each worker keeps its own binary heap
//! with no locking; a timer that fires wakes a coroutine of the same worker, with no cross-thread
//! traffic. A worker with work checks the heap whenever the clock has passed its earliest
//! deadline (one clock read per scheduling tick, and only while the heap is not empty, as Go's
//! `checkTimers` does); an idle worker sleeps until that deadline.
//!
//! # Invariants
//!
//! * A task is in at most one worker's heap, at most once: its `timer_slot` is its index in the
//!   heap, or [`NO_SLOT`]. Only the home worker touches the slot (the task parks only there).
//! * Cancelling is eager: when a timed park returns, for whatever reason, its entry is removed
//!   at once ([`Timers::remove`], O(log n)). So the heap holds exactly the timed parks in
//!   progress: memory does not grow with operations that finished early, and no entry keeps a
//!   finished coroutine alive (an entry's `TaskRef` is never a task's last reference).
//! * An entry that fires is popped and its task unparked; if the task had been woken by
//!   something else meanwhile (it is queued, not yet resumed), the unpark leaves a token and its
//!   next park returns spuriously, which the blocking contract allows.

use std::time::Instant;

use crate::task::Task;
use crate::task::TaskRef;

/// A task's `timer_slot` when it has no entry.
pub(crate) const NO_SLOT: u32 = u32::MAX;

struct Entry {
    deadline: Instant,
    task: TaskRef,
}

/// One worker's pending deadlines: a min-heap whose entries know their own position.
#[derive(Default)]
pub(crate) struct Timers {
    heap: Vec<Entry>,
}

impl Timers {
    /// Adds `task`'s deadline. The task must have no entry.
    pub(crate) fn add(&mut self, deadline: Instant, task: TaskRef) {
        debug_assert_eq!(task.timer_slot.get(), NO_SLOT, "one timer per task");
        let slot = self.heap.len();
        self.heap.push(Entry { deadline, task });
        self.sift_up(slot);
    }

    /// Removes `task`'s entry, if it has one (its timed park returned before the deadline).
    pub(crate) fn remove(&mut self, task: &Task) -> Option<TaskRef> {
        let slot = task.timer_slot.replace(NO_SLOT);
        if slot == NO_SLOT {
            return None;
        }
        Some(self.take(slot as usize))
    }

    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.heap.first().map(|e| e.deadline)
    }

    /// Pops every timer due at `now`, earliest first, handing its task to `wake`.
    pub(crate) fn expire(&mut self, now: Instant, mut wake: impl FnMut(TaskRef)) {
        while self.heap.first().is_some_and(|e| e.deadline <= now) {
            let task = self.take(0);
            task.timer_slot.set(NO_SLOT);
            wake(task);
        }
    }

    /// Takes the entry at `slot` out of the heap.
    fn take(&mut self, slot: usize) -> TaskRef {
        let last = self.heap.len() - 1;
        self.heap.swap(slot, last);
        let entry = self.heap.pop().expect("slot is in the heap");
        if slot < last {
            self.place(slot);
            self.sift_up(slot);
            self.sift_down(slot);
        }
        entry.task
    }

    fn place(&self, slot: usize) {
        self.heap[slot].task.timer_slot.set(slot as u32);
    }

    fn sift_up(&mut self, mut slot: usize) {
        while slot > 0 {
            let parent = (slot - 1) / 2;
            if self.heap[parent].deadline <= self.heap[slot].deadline {
                break;
            }
            self.heap.swap(parent, slot);
            self.place(slot);
            slot = parent;
        }
        self.place(slot);
    }

    fn sift_down(&mut self, mut slot: usize) {
        let len = self.heap.len();
        loop {
            let left = 2 * slot + 1;
            if left >= len {
                break;
            }
            let right = left + 1;
            let child = if right < len && self.heap[right].deadline < self.heap[left].deadline {
                right
            } else {
                left
            };
            if self.heap[slot].deadline <= self.heap[child].deadline {
                break;
            }
            self.heap.swap(slot, child);
            self.place(slot);
            slot = child;
        }
        self.place(slot);
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::{NO_SLOT, Timers};
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
        assert_eq!(a.timer_slot.get(), NO_SLOT);
        assert_eq!(
            timers.next_deadline(),
            Some(now + Duration::from_millis(30))
        );
    }

    #[test]
    fn a_removed_timer_is_gone_at_once_and_releases_its_task() {
        let now = Instant::now();
        let t = task();
        let mut timers = Timers::default();
        timers.add(now, t.clone());
        assert_eq!(t.refs.load(std::sync::atomic::Ordering::Relaxed), 2);
        drop(timers.remove(&t));
        assert_eq!(timers.len(), 0);
        assert_eq!(t.refs.load(std::sync::atomic::Ordering::Relaxed), 1);
        assert!(timers.remove(&t).is_none(), "a second remove finds nothing");
        let mut fired = 0;
        timers.expire(now + Duration::from_secs(1), |_| fired += 1);
        assert_eq!(fired, 0);
    }

    #[test]
    fn random_adds_and_removes_keep_the_heap_ordered_and_slots_exact() {
        let base = Instant::now();
        let tasks: Vec<TaskRef> = (0..200).map(|_| task()).collect();
        let mut timers = Timers::default();
        let mut present = vec![false; tasks.len()];
        let mut x: u64 = 0x1234_5678_9abc_def1;
        for _ in 0..5_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x % tasks.len() as u64) as usize;
            if present[i] {
                assert!(timers.remove(&tasks[i]).is_some());
            } else {
                let deadline = base + Duration::from_micros(x % 1_000_000);
                timers.add(deadline, tasks[i].clone());
            }
            present[i] = !present[i];
            for (slot, e) in timers.heap.iter().enumerate() {
                assert_eq!(e.task.timer_slot.get() as usize, slot);
                if slot > 0 {
                    assert!(timers.heap[(slot - 1) / 2].deadline <= e.deadline);
                }
            }
        }
        let mut fired = 0;
        timers.expire(base + Duration::from_secs(2), |t| {
            fired += 1;
            assert_eq!(t.timer_slot.get(), NO_SLOT);
        });
        assert_eq!(fired, present.iter().filter(|p| **p).count());
        assert_eq!(timers.len(), 0);
    }
}
