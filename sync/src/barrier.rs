//! `Barrier`: a reusable rendezvous point for `n` tasks (std's `Barrier`, coroutine-aware; Go
//! programs build this from a `WaitGroup` or channels).
//!
//! # Design
//!
//! A count of arrivals, a generation number and a list of parked waiters, behind a short internal
//! lock. The `n`-th arrival resets the count, bumps the generation, takes the list and wakes every
//! waiter (outside the lock); it is the leader. Because the list is taken whole at the moment the
//! generation ends, tasks that arrive for the *next* generation queue on a fresh list and can
//! never be woken early: the barrier is reusable.

use std::fmt;
use std::sync::{Arc, Mutex as StdMutex};

use crate::sema::{Waiter, lock, notify_all};

struct State {
    count: usize,
    generation: u64,
    waiters: Vec<Arc<Waiter>>,
}

/// Parks tasks until `n` of them have called [`Barrier::wait`]. (No Go counterpart in `sync`;
/// std: `std::sync::Barrier`.)
///
/// ```
/// use std::sync::Arc;
/// use rungo_sync::{Barrier, WaitGroup};
///
/// let b = Arc::new(Barrier::new(3));
/// let wg = WaitGroup::new();
/// for _ in 0..3 {
///     let b = b.clone();
///     wg.go(move || { b.wait(); });
/// }
/// wg.wait();
/// ```
pub struct Barrier {
    n: usize,
    state: StdMutex<State>,
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier").field("n", &self.n).finish()
    }
}

/// What [`Barrier::wait`] returns: exactly one task per generation is the leader.
/// Go: none (Go has no barrier; `std::sync::BarrierWaitResult`).
///
/// ```
/// let b = rungo_sync::Barrier::new(1);
/// assert!(b.wait().is_leader());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult {
    leader: bool,
}

impl BarrierWaitResult {
    /// Whether this task was the last to arrive (the one that released the others).
    /// Go: none.
    ///
    /// ```
    /// assert!(rungo_sync::Barrier::new(0).wait().is_leader());
    /// ```
    pub fn is_leader(&self) -> bool {
        self.leader
    }
}

impl Barrier {
    /// A barrier for `n` tasks (`n == 0` behaves like `n == 1`).
    /// Go: none (Go has no barrier; `std::sync::Barrier::new`).
    ///
    /// ```
    /// let b = rungo_sync::Barrier::new(2);
    /// # drop(b);
    /// ```
    pub const fn new(n: usize) -> Barrier {
        Barrier {
            n,
            state: StdMutex::new(State {
                count: 0,
                generation: 0,
                waiters: Vec::new(),
            }),
        }
    }

    /// Parks until `n` tasks have arrived in this generation.
    /// Go: none (a `WaitGroup` per generation).
    ///
    /// ```
    /// let b = rungo_sync::Barrier::new(1);
    /// b.wait();
    /// b.wait(); // reusable
    /// ```
    #[track_caller]
    pub fn wait(&self) -> BarrierWaitResult {
        let _waiting = rungo_runtime::Waiting::new(
            rungo_runtime::WaitReason::Semacquire,
            std::panic::Location::caller(),
        );
        let w = {
            let mut st = lock(&self.state);
            st.count += 1;
            if st.count >= self.n {
                st.count = 0;
                st.generation = st.generation.wrapping_add(1);
                let all = std::mem::take(&mut st.waiters);
                drop(st);
                notify_all(all);
                return BarrierWaitResult { leader: true };
            }
            let w = Waiter::new();
            st.waiters.push(w.clone());
            w
        };
        w.wait();
        BarrierWaitResult { leader: false }
    }
}
