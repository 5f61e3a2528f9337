//! rungo: Go's concurrency model as a Rust crate.
//!
//! Goroutines are stackful coroutines on lazy, page-grown, guarded stacks, run M:N on one worker
//! thread per core with work stealing ([`rungo_runtime`]); on top sit Go's channels, `select!`
//! and timer channels ([`channels`], [`time`]), Go's `sync` package, errgroup and context
//! ([`sync`]), and Go's `net` package in std's shapes with Go's deadlines, served by a netpoller
//! in every worker ([`net`]). This crate is the one to depend on: it re-exports the four member
//! crates.
//!
//! ```
//! use rungo::prelude::*;
//!
//! rungo::run(|| {
//!     let ch = chan::<i32>(0);
//!     let tx = ch.clone();
//!     go!(move || tx.send(42));
//!     assert_eq!(ch.recv(), Some(42));
//! });
//! ```
//!
//! # Go → rungo
//!
//! | Go | rungo |
//! |---|---|
//! | `go f(a, b)`, `go func() { ... }()` | [`go!`]`(f, a, b)`, `go!(move \|\| ...)` → [`JoinHandle`] (drop to detach) |
//! | `func main` (a goroutine) | `fn main() {` [`run`]`(\|\| ...) }` |
//! | `runtime.Gosched()` | [`yield_now`] |
//! | `time.Sleep(d)` | [`sleep`] (also [`time::sleep`]) |
//! | `runtime.NumGoroutine()` | [`num_goroutine`] |
//! | `runtime.GOMAXPROCS(0)`, `runtime.GOMAXPROCS(n)`, `GOMAXPROCS=n` | [`gomaxprocs`], [`set_gomaxprocs`], the same variable or [`RuntimeBuilder`] |
//! | `runtime.Stack(buf, true)`, SIGQUIT's dump, `runtime/metrics`, `runtime/trace` | [`dump`], [`metrics`], [`trace::start`]/[`trace::stop`] |
//! | a blocking syscall (the runtime hands its P to another thread) | [`blocking`]`(\|\| ...)`: runs on a pool thread while the worker runs others |
//! | `os.ReadFile`, `os.WriteFile` | [`fs::read`], [`fs::read_to_string`], [`fs::write`] (through [`blocking`]) |
//! | `make(chan T, n)`, `var c chan T` (nil) | [`chan`]`::<T>(n)`, [`Chan::nil`] |
//! | `c <- v`, `v, ok := <-c`, `close(c)` | [`Chan::send`], [`Chan::recv`] (`Option<T>`), [`Chan::close`] |
//! | `len(c)`, `cap(c)` | [`Chan::len`], [`Chan::cap`] |
//! | `for v := range c` | `for v in &c` |
//! | `chan<- T`, `<-chan T` | [`Sender<T>`], [`Receiver<T>`] |
//! | `select { ... }` | [`select!`] |
//! | `reflect.Select` | [`Select`] |
//! | `time.After`, `time.Tick`, `time.NewTimer`, `time.NewTicker`, `time.AfterFunc` | [`time::after`], [`time::tick`], [`time::Timer`], [`time::Ticker`], [`time::after_func`] |
//! | `sync.WaitGroup`, `sync.Mutex`, `sync.RWMutex`, `sync.Cond`, `sync.Once` | [`sync::WaitGroup`], [`sync::Mutex`], [`sync::RwLock`], [`sync::Cond`], [`sync::Once`] |
//! | `semaphore.Weighted`, `errgroup.Group` | [`sync::Semaphore`], [`sync::Group`] |
//! | `context.Background()`, `context.WithCancel`, `WithTimeout`, `WithDeadline` | [`context`] |
//! | `net.Listen("tcp", addr)`, `net.Dial`, `net.DialTimeout`, `net.ListenPacket` | [`net::listen`], [`net::dial`], [`net::dial_timeout`], [`net::listen_packet`] (or std's shapes: [`net::TcpListener::bind`], [`net::TcpStream::connect`], [`net::UdpSocket::bind`]) |
//! | `l.Accept()`, `c.Read`, `c.Write`, `c.Close()` | [`net::TcpListener::accept`], `Read`/`Write` (for `T` and `&T`), [`net::TcpStream::close`] |
//! | `c.SetDeadline(t)`, `SetReadDeadline`, `SetWriteDeadline` | [`net::TcpStream::set_deadline`]`(Some(t))`, … (absolute, sticky, wake waiting operations) |
//! | `*net.UnixConn`, `*net.UDPConn` | [`net::UnixStream`], [`net::UnixListener`], [`net::UdpSocket`] |
//!
//! # Where Go and rungo differ
//!
//! * Channel and sync handles are cloned before a `move` closure takes them (Go copies the
//!   reference implicitly): list them in `go!`'s capture list, `go!([jobs, results] move || ..)`.
//! * `v, ok := <-c` is `c.recv()`, an `Option`; where Go panics on misuse that a caller may want to
//!   handle (a send on a closed channel), a `try_` form returns a `Result` and hands the value back.
//! * A coroutine that computes for a long time without calling rungo keeps its worker (Go would
//!   preempt it); see "What still holds a worker" below.
//! * A coroutine blocked forever (nothing can wake it) is leaked with its stack, as a
//!   blocked-forever goroutine is in Go; it still counts in [`num_goroutine`].
//!
//! # What still holds a worker
//!
//! A started coroutine runs only on its worker thread (that is what makes `go!` safe), so
//! rungo cannot move it off a thread it blocks, as Go moves a P. These hold the worker, and
//! every coroutine homed on it (`main` included) waits until they end:
//!
//! * a coroutine that computes without calling rungo (no channel, sync, net, sleep or spawn
//!   operation): call [`yield_now`] in long loops;
//! * a direct blocking call: `std::thread::sleep`, `std::fs`, `std::net`, a blocking database
//!   driver. Run it through [`blocking`] (or use [`fs`] and `rungo::net`);
//! * a `std::sync::Mutex` guard held across a park or any other rungo operation (each may
//!   yield, see below), while another coroutine of the same worker waits for that mutex: use
//!   [`sync::Mutex`].
//!
//! Every channel, sync, net, sleep and spawn operation is a preemption point ([`preempt_point`]):
//! a coroutine yields after 128 of them in one run (tokio's operation budget; Go preempts by
//! time instead), so a loop of operations that never block still lets the others of its worker
//! in. What rungo does about the rest (Go's `sysmon`, see `rungo_runtime`'s `sched::sysmon`
//! module): after ~10 ms it hands the worker's not-yet-started coroutines to the other
//! workers, asks the running coroutine to yield at its next rungo operation (for one that calls
//! rungo seldom), polls
//! the worker's sockets, and when every worker is stuck with some blocked in system calls,
//! adds a spare worker for the coroutines not yet started (retired when the blocked worker runs
//! again; [`gomaxprocs`] still reads as set). Past 100 ms it prints one line naming the
//! coroutine, where it was spawned and the system call it is blocked in:
//!
//! ```text
//! rungo: worker 0 stalled for 101 ms: coroutine 257 (spawned at src/main.rs:12:5) is blocked in
//! the clock_nanosleep(2) system call; every coroutine homed on this worker waits for it. Run
//! blocking calls through rungo::blocking(..), and call rungo::yield_now() in long computations.
//! ```
//!
//! (`RUNGO_STALL_REPORT=<ms>` sets the threshold, `off` silences it.) rungo has no
//! signal-based preemption: without compiler safe points a signal can land inside `malloc` or
//! a `RefCell` borrow, and switching coroutines there would be undefined behaviour.
//!
//! # Seeing inside
//!
//! * [`dump`] returns Go's goroutine dump: one block per coroutine with its state in Go's words
//!   (`[chan receive, 3 minutes]`, `[sync.Mutex.Lock]`, `[sleep]`), where it waits and where it
//!   was spawned; `RUNGO_TRACEBACK=all` adds each parked coroutine's backtrace.
//! * `SIGQUIT` (Ctrl-\\) prints the dump and exits with status 2, as Go does
//!   (`RUNGO_SIGQUIT=off` leaves the signal alone).
//! * A program that can make no progress says so: when every coroutine is blocked with no timer,
//!   socket or blocking call pending and every thread waits on rungo, it prints
//!   `fatal error: all goroutines are asleep - deadlock!` with the dump and exits with status 2
//!   (`RUNGO_DEADLOCK=off` turns the check off).
//!
//! # Safety
//!
//! `go!` is safe: a started coroutine never changes OS thread (see `rungo_runtime`'s scheduler
//! docs), so thread-locals and `!Send` values on its stack are used on one thread only, and a
//! guard held across a blocking call is sound.
#![deny(unsafe_op_in_unsafe_fn)]

pub use rungo_channels as channels;
pub use rungo_channels::{
    Chan, CloseError, Receiver, RecvChan, RecvTimeoutError, Select, SendChan, SendTimeoutError,
    Sender, TryRecvError, TrySendError, chan, select,
};
pub use rungo_net as net;
pub use rungo_runtime::*;
pub use rungo_sync as sync;
pub use rungo_sync::context;

/// Go's `time` package as far as concurrency goes: timer channels and `Sleep`.
pub use rungo_channels::time;

/// The names a ported Go program uses most: `use rungo::prelude::*;`.
pub mod prelude {
    pub use crate::sync::{Mutex, RwLock, WaitGroup};
    pub use crate::time::{after, tick};
    pub use crate::{Chan, Receiver, Sender, chan, go, run, select, sleep, yield_now};
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
