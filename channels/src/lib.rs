//! rungo-channels: Go's channels, `select` and timer channels, for rungo's coroutines and for
//! plain threads alike.
//!
//! | Go | rungo |
//! |---|---|
//! | `make(chan T, n)` | [`chan::<T>(n)`](chan()) |
//! | `var ch chan T` (nil) | [`Chan::nil()`](Chan::nil) / `Chan::default()` |
//! | `ch <- v` | [`ch.send(v)`](Chan::send) |
//! | `v, ok := <-ch` | [`ch.recv()`](Chan::recv) `-> Option<T>` |
//! | `close(ch)` | [`ch.close()`](Chan::close) |
//! | `len(ch)`, `cap(ch)` | [`ch.len()`](Chan::len), [`ch.cap()`](Chan::cap) |
//! | `for v := range ch` | `for v in &ch` |
//! | `chan<- T`, `<-chan T` | [`Sender<T>`], [`Receiver<T>`] |
//! | `select { ... }` | [`select!`] |
//! | `reflect.Select` | [`Select`] |
//! | `time.After`, `time.Tick`, `time.NewTimer`, `time.NewTicker`, `time.AfterFunc` | [`time`] |
//!
//! # Layering
//!
//! * `waiter.rs`: heap wait-queue nodes and the claim/complete protocol (Go's `sudog`).
//! * `core.rs`: the channel object and its non-blocking operations under its lock (`hchan`);
//!   `lock.rs`: that lock, which spins for at most 20 µs and then sleeps on a futex.
//! * `chan.rs`: the public handles and the blocking operations.
//! * `select.rs`, `macros.rs`, `dynselect.rs`: the select engine, `select!`, [`Select`].
//! * `time.rs`: timer channels, served by one timer task.
//!
//! Blocking goes only through `rungo_runtime`'s blocking contract (`Unparker`, `park*`), so
//! every operation parks a coroutine when called on one and blocks the thread otherwise.
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

mod chan;
mod core;
mod dynselect;
mod error;
mod lock;
mod macros;
mod rand;
mod select;
pub mod time;
mod waiter;

pub use chan::{Chan, IntoIter, Iter, LazyChan, Receiver, RecvChan, SendChan, Sender, chan};
pub use dynselect::Select;
pub use error::{CloseError, RecvTimeoutError, SendTimeoutError, TryRecvError, TrySendError};

/// Implementation details used by the `select!` macro. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::select::{Attempt, Case, Mode, RecvCase, SendCase, block_forever, run};
}
