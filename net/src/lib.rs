//! rungo-net: Go's `net` package in std's shapes, served by rungo's netpoller.
//!
//! Go's first reason for goroutines is one goroutine per connection, written as plain blocking
//! code. This crate gives rungo coroutines the same: [`TcpListener`], [`TcpStream`],
//! [`UdpSocket`], [`UnixListener`] and [`UnixStream`] have std's methods and traits (`Read` and
//! `Write` for `T` and `&T`, `try_clone`, `shutdown`, `incoming`, `From<std::net::…>`, `AsFd`),
//! plus Go's deadlines and Go's `Close`; [`listen`], [`dial`], [`dial_timeout`] and
//! [`listen_packet`] are Go's forms. Re-exported by the facade as `rungo::net`.
//!
//! ```
//! use rungo_net::{TcpListener, TcpStream};
//! use std::io::{Read, Write};
//!
//! rungo_runtime::run(|| -> std::io::Result<()> {
//!     let listener = TcpListener::bind("127.0.0.1:0")?;
//!     let addr = listener.local_addr()?;
//!     // An echo server: a coroutine per connection.
//!     rungo_runtime::go!(move || {
//!         for conn in listener.incoming() {
//!             let Ok(conn) = conn else { return };
//!             rungo_runtime::go!(move || std::io::copy(&mut &conn, &mut &conn));
//!         }
//!     });
//!     let mut conn = TcpStream::connect(addr)?;
//!     conn.write_all(b"echo me")?;
//!     let mut buf = [0u8; 7];
//!     conn.read_exact(&mut buf)?;
//!     assert_eq!(&buf, b"echo me");
//!     Ok(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # What blocks a worker, and what does not
//!
//! Every socket is non-blocking and registered with the runtime's netpoller
//! ([`rungo_runtime::io::Registration`], Go's `pollDesc`). An operation that would block parks
//! the calling coroutine, and its worker runs other coroutines until the socket is ready; on a
//! plain thread (no coroutine: `fn main` without `rungo::run`, or a thread of another library)
//! the same call parks that thread. The two may share one socket.
//!
//! * Connecting, accepting, reading, writing, and the deadlines and `close` that end them: never
//!   block a worker. Each operation is also a cooperative preemption point
//!   ([`rungo_runtime::preempt_point`]): a coroutine whose reads always find data still lets
//!   the others of its worker run.
//! * Host names are resolved on the runtime's blocking pool ([`rungo_runtime::blocking`]) while
//!   the coroutine parks (the crate's one call of the system resolver); IP literals (`"127.0.0.1:80"`,
//!   `SocketAddr`) are parsed in place and never leave the calling coroutine.
//! * **`std::net` and `std::fs` called directly inside a coroutine still block its worker** (and
//!   every coroutine waiting to run on it), as does any crate that does its own blocking I/O.
//!   rungo cannot rewrite other crates: use this crate's types, or hand such calls to the
//!   blocking pool ([`rungo_runtime::blocking`]).
//!   Crates that take a `Read`/`Write` (serde_json, httparse over a buffer, `BufReader`) work
//!   unchanged over these types and do not block a worker.
//!
//! # Deadlines (Go's) and timeouts (std's)
//!
//! * `set_deadline` / `set_read_deadline` / `set_write_deadline` take an absolute
//!   `Option<Instant>`: sticky until changed, and applied to operations already waiting. A
//!   deadline moved into the past from another coroutine wakes a blocked read at once with
//!   `ErrorKind::TimedOut` ("i/o timeout", Go's `os.ErrDeadlineExceeded`); `None` clears it.
//!   Read and write deadlines are independent.
//! * `set_read_timeout` / `set_write_timeout` are std's: a relative limit that starts again with
//!   each operation. Both may be set; an operation ends at the earlier.
//!
//! # Close (Go's) and drop (std's)
//!
//! `close(&self)` is Go's `Close`: it wakes every blocked reader and writer, on every clone, with
//! the runtime's `closed_error` ("use of closed network connection", `ErrorKind::NotConnected`),
//! fails every later operation the same way, and shuts the socket down (the peer reads EOF; a
//! listener stops listening). The fd itself is closed when the last handle drops, so no
//! operation can ever reach a reused fd number. Dropping without `close` is std's close.
//!
//! ```
//! use rungo_net::{TcpListener, TcpStream};
//! use std::io::Read;
//! use std::time::{Duration, Instant};
//!
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let conn = TcpStream::connect(listener.local_addr()?)?;
//! let reader = conn.try_clone()?;
//! let blocked = rungo_runtime::go!(move || (&reader).read(&mut [0u8; 8]));
//! rungo_runtime::sleep(Duration::from_millis(20));
//! conn.close(); // Go's Close: the blocked read wakes
//! let err = blocked.join().unwrap().unwrap_err();
//! assert_eq!(err.to_string(), "use of closed network connection");
//!
//! // Go's deadlines: a past deadline fails at once with "i/o timeout".
//! let conn = TcpStream::connect(listener.local_addr()?)?;
//! conn.set_read_deadline(Some(Instant::now()))?;
//! let err = (&conn).read(&mut [0u8; 8]).unwrap_err();
//! assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Clones (`try_clone`, or `Clone`) share one socket and one registration: one clone may read
//! while another writes from a different coroutine, and deadlines, timeouts and `close` apply to
//! all of them.
//!
//! # Go → rungo-net
//!
//! | Go | rungo |
//! |---|---|
//! | `net.Listen("tcp", addr)` | [`listen`] → [`Listener`], or [`TcpListener::bind`] |
//! | `net.Dial("tcp", addr)`, `net.DialTimeout` | [`dial`], [`dial_timeout`] → [`Conn`], or [`TcpStream::connect`], [`TcpStream::connect_timeout`] |
//! | `net.ListenPacket("udp", addr)` | [`listen_packet`], [`UdpSocket::bind`] |
//! | `l.Accept()` | [`TcpListener::accept`], [`TcpListener::incoming`] |
//! | `c.Read(b)`, `c.Write(b)` | `Read`/`Write` (for `T` and `&T`) |
//! | `c.Close()` | [`TcpStream::close`] (or drop) |
//! | `c.SetDeadline(t)`, `SetReadDeadline`, `SetWriteDeadline` | [`TcpStream::set_deadline`]`(Some(t))`, … |
//! | `c.(*net.TCPConn).CloseWrite()` | [`TcpStream::shutdown`]`(Shutdown::Write)` |
//! | `os.ErrDeadlineExceeded`, `net.ErrClosed` | `ErrorKind::TimedOut`, `ErrorKind::NotConnected` ([`rungo_runtime::io::timeout_error`], [`rungo_runtime::io::closed_error`]) |
//! | `net.LookupIP(host)` | [`lookup_ip`] |
#![deny(unsafe_op_in_unsafe_fn)]

mod addr;
mod conn;
mod fd;
mod go;
mod tcp;
mod udp;
mod unix;

pub use addr::{ToSocketAddrs, lookup_ip};
pub use go::{Addr, Conn, Listener, dial, dial_timeout, listen, listen_packet};
pub use tcp::{Incoming, TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixIncoming, UnixListener, UnixStream};

/// std's address types, used as they are. Go: `net.IP` (`IpAddr`), `net.TCPAddr` and
/// `net.UDPAddr` (`SocketAddr`), `net.TCPConn.CloseRead`/`CloseWrite` (`Shutdown`).
pub use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, SocketAddrV4, SocketAddrV6};
