//! rungo-sync: Go's `sync` package, `golang.org/x/sync/errgroup` and `semaphore`, and `context`,
//! for rungo's coroutines *and* plain OS threads.
//!
//! | Go                          | rungo                                   |
//! |-----------------------------|-----------------------------------------|
//! | `sync.WaitGroup`, `wg.Go`   | [`WaitGroup`], [`WaitGroup::go`]        |
//! | `sync.Mutex`                | [`Mutex<T>`] (RAII guard), [`RawMutex`] |
//! | `sync.RWMutex`              | [`RwLock<T>`], [`RawRwLock`]            |
//! | `sync.Cond`, `sync.NewCond` | [`Cond`], [`Cond::with_locker`]         |
//! | `sync.Locker`, `RLocker()`  | [`Locker`], [`RawRwLock::rlocker`]      |
//! | `sync.Once`                 | [`Once`]                                |
//! | `sync.OnceFunc`, `OnceValue`, `OnceValues` | [`once_func`], [`once_value`], [`once_values`] |
//! | `x/sync/semaphore.Weighted` | [`Semaphore`]                           |
//! | (std's `Barrier`)           | [`Barrier`]                             |
//! | `x/sync/errgroup.Group`     | [`Group`]                               |
//! | `context`                   | [`context`]                             |
//!
//! # Blocking
//!
//! Every blocking operation here parks the calling *task* through rungo-runtime's blocking
//! contract (`Unparker::current`, `park`, `unpark`): inside a coroutine the worker thread goes on
//! running other coroutines; on a plain thread the thread sleeps. No operation blocks an OS worker
//! on a kernel lock: internal `std::sync::Mutex`es guard only a few instructions (queue push/pop)
//! and are never held across a park. Wait-queue nodes are `Arc`s on the heap, never on a parked
//! task's stack. `park` may return spuriously, so every wait re-checks its condition in a loop.
//!
//! # Guards across parks
//!
//! A guard ([`MutexGuard`], [`RwLockReadGuard`], ...) may be held while its task parks (a channel
//! operation, a sleep, another lock): a started coroutine never changes OS thread, and none of
//! these locks depends on which thread unlocks anyway. Locks here do not poison (Go's don't).
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]

mod sema;

pub mod barrier;
pub mod cond;
pub mod context;
pub mod errgroup;
pub mod locker;
pub mod mutex;
pub mod once;
pub mod rwlock;
pub mod semaphore;
pub mod waitgroup;

pub use barrier::{Barrier, BarrierWaitResult};
pub use cond::Cond;
pub use context::{AfterFuncStop, CancelCauseFunc, CancelFunc, Cause, Context, ContextError};
pub use errgroup::Group;
pub use locker::{Locker, RLocker};
pub use mutex::{Mutex, MutexGuard, RawMutex};
pub use once::{Once, once_func, once_value, once_values};
pub use rwlock::{RawRwLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::Semaphore;
pub use waitgroup::{DoneGuard, WaitGroup};

#[cfg(test)]
mod tests {
    use super::*;

    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn handles_are_send_and_sync() {
        send_sync::<WaitGroup>();
        send_sync::<Mutex<Vec<u8>>>();
        send_sync::<MutexGuard<'static, u8>>();
        send_sync::<RwLock<u8>>();
        send_sync::<RwLockReadGuard<'static, u8>>();
        send_sync::<RwLockWriteGuard<'static, u8>>();
        send_sync::<Cond>();
        send_sync::<Once>();
        send_sync::<Semaphore>();
        send_sync::<Barrier>();
        send_sync::<Group<String>>();
        send_sync::<Context>();
        send_sync::<CancelFunc>();
        send_sync::<CancelCauseFunc>();
        send_sync::<AfterFuncStop>();
    }
}
