//! Network I/O: a netpoller in every worker, and the readiness contract that `rungo-net` (and
//! any non-blocking fd) is built on.
//!
//! Go's first reason for goroutines is a goroutine per connection, written as blocking code,
//! served by a netpoller. rungo does the same, with the poller folded into each worker:
//!
//! * `poller`: each worker's epoll, which is also where the worker sleeps (park =
//!   `epoll_pwait2` with the next timer deadline as the timeout; wake = an eventfd written
//!   only when the worker really sleeps). A busy worker polls without blocking at least every
//!   56 scheduling ticks, and sysmon polls for a worker that has not ticked for 10 ms. There is
//!   no global poller thread: that would turn every event into a cross-thread wake-up and stall
//!   all I/O behind one busy thread (tokio#4730).
//! * `desc`: per-fd state, Go's `pollDesc`: separate read and write waiters, edge-triggered
//!   readiness that is never lost between `EAGAIN` and the wait, sticky deadlines that apply to
//!   waits in progress, close that wakes everyone, and a sequence number that drops stale
//!   events of a closed and reused fd. Its public face is [`Registration`].
//!
//! A started coroutine runs only on its home worker, but a readiness event may be seen by any
//! worker's epoll (or sysmon's poll): waiters are woken through the ordinary unpark, which
//! sends a coroutine to its home, so a listener shared by coroutines of two workers works.

mod desc;
pub(crate) mod poller;

pub use desc::{Interest, Registration, closed_error, timeout_error};
pub(crate) use poller::Poller;
