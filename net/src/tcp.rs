//! TCP: [`TcpListener`] and [`TcpStream`].

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rungo_runtime::io::Interest;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::addr::ToSocketAddrs;
use crate::conn::conn_methods;
use crate::fd::{NetFd, deadline_after};

/// Tries `f` on each address in turn and returns the first success or the last error, as std's
/// `connect` and `bind` do.
pub(crate) fn each_addr<T>(
    addrs: io::Result<Vec<SocketAddr>>,
    mut f: impl FnMut(SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last = None;
    for addr in addrs? {
        match f(addr) {
            Ok(t) => return Ok(t),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any addresses",
        )
    }))
}

fn sock_addr_inet(addr: io::Result<SockAddr>) -> io::Result<SocketAddr> {
    addr?
        .as_socket()
        .ok_or_else(|| io::Error::other("not an internet socket address"))
}

/// A TCP socket server, listening for connections. Accepting parks the calling coroutine (or
/// plain thread), never its worker.
///
/// Go: `net.TCPListener` (from `net.Listen("tcp", addr)`, see [`listen`](crate::listen)).
///
/// ```
/// use rungo_net::{TcpListener, TcpStream};
/// use std::io::{Read, Write};
///
/// rungo_runtime::run(|| {
///     let listener = TcpListener::bind("127.0.0.1:0")?;
///     let addr = listener.local_addr()?;
///     let client = rungo_runtime::go!(move || {
///         let mut conn = TcpStream::connect(addr)?;
///         conn.write_all(b"ping")?;
///         Ok::<_, std::io::Error>(())
///     });
///     let (mut conn, _peer) = listener.accept()?;
///     let mut buf = String::new();
///     conn.read_to_string(&mut buf)?;
///     assert_eq!(buf, "ping");
///     client.join().unwrap()
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct TcpListener {
    fd: Arc<NetFd>,
}

impl TcpListener {
    /// Binds to the first of `addr`'s addresses that works and listens, with `SO_REUSEADDR`
    /// (as std and Go set) and the kernel's largest backlog (`net.core.somaxconn`, as Go).
    /// Go: `net.Listen("tcp", addr)`, `net.ListenTCP`.
    pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        each_addr(addr.resolve_addrs(), Self::bind_addr)
    }

    pub(crate) fn bind_addr(addr: SocketAddr) -> io::Result<TcpListener> {
        let sock = Socket::new(
            Domain::for_address(addr),
            Type::STREAM.nonblocking(),
            Some(Protocol::TCP),
        )?;
        sock.set_reuse_address(true)?;
        sock.bind(&addr.into())?;
        // The kernel caps the backlog at net.core.somaxconn (Go reads that value itself).
        sock.listen(i32::MAX)?;
        Ok(TcpListener {
            fd: Arc::new(NetFd::new(sock)?),
        })
    }

    /// Waits for a connection and returns it with the peer's address; the new stream is
    /// non-blocking, close-on-exec and registered. Go: `TCPListener.AcceptTCP` (`Accept`).
    #[track_caller]
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (fd, addr) = self.fd.accept()?;
        let addr = sock_addr_inet(Ok(addr))?;
        Ok((TcpStream { fd: Arc::new(fd) }, addr))
    }

    /// An endless iterator of accepted connections (each `accept`'s result). Go: the
    /// `for { conn, err := l.Accept() ... }` loop.
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }

    /// The address it listens on (the port chosen for `:0`). Go: `TCPListener.Addr`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        sock_addr_inet(self.fd.sock().local_addr())
    }

    /// Sets (or clears) an absolute deadline for `accept`, including one already waiting; past
    /// it, `accept` fails with `ErrorKind::TimedOut` ("i/o timeout").
    /// Go: `TCPListener.SetDeadline`.
    pub fn set_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.fd.check_open()?;
        self.fd.set_deadline(Interest::Read, deadline);
        Ok(())
    }

    /// Stops listening: pending and later `accept`s (on every clone) fail with the runtime's
    /// `closed_error` ("use of closed network connection"). The fd is closed when the last
    /// clone drops. Go: `TCPListener.Close`.
    pub fn close(&self) {
        self.fd.close();
    }

    /// Another handle to the same listener (shared state: deadlines and `close` apply to both).
    /// Cheap and infallible here; `io::Result` for std's shape. Go: copying the `*TCPListener`.
    pub fn try_clone(&self) -> io::Result<TcpListener> {
        Ok(self.clone())
    }

    /// Sets `IP_TTL`. Go: via `SyscallConn`. std: `TcpListener::set_ttl`.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.fd.sock().set_ttl_v4(ttl)
    }

    /// The pending socket error (`SO_ERROR`). std: `TcpListener::take_error`. Go: none (via
    /// `SyscallConn`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.fd.sock().take_error()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("addr", &self.local_addr().ok())
            .field("fd", &self.fd.as_raw_fd())
            .finish()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// The iterator of [`TcpListener::incoming`]: never ends. Go: an `Accept` loop.
#[derive(Debug)]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
}

impl Iterator for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    fn next(&mut self) -> Option<io::Result<TcpStream>> {
        Some(self.listener.accept().map(|(s, _)| s))
    }
}

/// A TCP connection. Reads and writes park the calling coroutine (or plain thread) until the
/// socket is ready, never its worker, so one coroutine per connection is cheap.
///
/// Go: `net.TCPConn` (from `net.Dial("tcp", addr)`, see [`dial`](crate::dial)).
///
/// Clones ([`try_clone`](TcpStream::try_clone)) share one registered socket: one clone may read
/// while another writes, from different coroutines; deadlines, timeouts and
/// [`close`](TcpStream::close) apply to all of them, as they would to a shared `net.Conn`.
///
/// ```
/// use rungo_net::{TcpListener, TcpStream};
/// use std::io::{BufRead, BufReader, Write};
///
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let addr = listener.local_addr()?;
/// let server = rungo_runtime::go!(move || -> std::io::Result<()> {
///     let (conn, _) = listener.accept()?;
///     let mut line = String::new();
///     BufReader::new(&conn).read_line(&mut line)?;
///     (&conn).write_all(line.to_uppercase().as_bytes())
/// });
/// let mut conn = TcpStream::connect(addr)?;
/// conn.write_all(b"hello\n")?;
/// let mut reply = String::new();
/// BufReader::new(&conn).read_line(&mut reply)?;
/// assert_eq!(reply, "HELLO\n");
/// server.join().unwrap()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct TcpStream {
    fd: Arc<NetFd>,
}

impl TcpStream {
    /// Connects to the first of `addr`'s addresses that accepts, trying each in turn (as std).
    /// The connect is non-blocking: the caller parks until it completes.
    /// Go: `net.Dial("tcp", addr)`, `net.DialTCP`.
    pub fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        each_addr(addr.resolve_addrs(), |a| Self::connect_until(a, None))
    }

    /// Connects to `addr`, failing with `ErrorKind::TimedOut` after `timeout`. A zero timeout
    /// is an `InvalidInput` error, as in std. Go: `net.DialTimeout("tcp", addr, timeout)`.
    pub fn connect_timeout(addr: &SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        if timeout.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot set a 0 duration timeout",
            ));
        }
        Self::connect_until(*addr, deadline_after(timeout))
    }

    pub(crate) fn connect_until(
        addr: SocketAddr,
        deadline: Option<Instant>,
    ) -> io::Result<TcpStream> {
        let sock = Socket::new(
            Domain::for_address(addr),
            Type::STREAM.nonblocking(),
            Some(Protocol::TCP),
        )?;
        let fd = NetFd::new(sock)?;
        fd.connect(&addr.into(), deadline)?;
        Ok(TcpStream { fd: Arc::new(fd) })
    }

    /// Wraps a std stream (connected, in any mode): it is set non-blocking and registered.
    /// Go: `net.FileConn`.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            fd: Arc::new(NetFd::from_blocking(Socket::from(stream))?),
        })
    }

    /// The remote address. Go: `TCPConn.RemoteAddr`.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        sock_addr_inet(self.fd.sock().peer_addr())
    }

    /// The local address. Go: `TCPConn.LocalAddr`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        sock_addr_inet(self.fd.sock().local_addr())
    }

    /// Sets `TCP_NODELAY` (Go sets it on every connection by default; std and rungo do not).
    /// Go: `TCPConn.SetNoDelay`.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.fd.sock().set_tcp_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set. Go: no getter (`SyscallConn`).
    pub fn nodelay(&self) -> io::Result<bool> {
        self.fd.sock().tcp_nodelay()
    }

    /// Sets `IP_TTL`. std: `TcpStream::set_ttl`. Go: via `SyscallConn`.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.fd.sock().set_ttl_v4(ttl)
    }

    /// The pending socket error (`SO_ERROR`). std: `TcpStream::take_error`. Go: none (via
    /// `SyscallConn`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.fd.sock().take_error()
    }
}

conn_methods!(TcpStream, "TCPConn");

impl From<std::net::TcpStream> for TcpStream {
    /// Sets the stream non-blocking and registers it. Panics if that fails (only if the fd is
    /// not a socket, or a million sockets are registered); use
    /// [`TcpStream::from_std`] to handle the error. Go: `net.FileConn`.
    fn from(stream: std::net::TcpStream) -> TcpStream {
        TcpStream::from_std(stream).expect("rungo: registering a std::net::TcpStream")
    }
}

impl From<std::net::TcpListener> for TcpListener {
    /// Sets the listener non-blocking and registers it; panics if that fails, like
    /// [`TcpStream`]'s `From`. Go: `net.FileListener`.
    fn from(listener: std::net::TcpListener) -> TcpListener {
        let fd = NetFd::from_blocking(Socket::from(listener))
            .expect("rungo: registering a std::net::TcpListener");
        TcpListener { fd: Arc::new(fd) }
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("addr", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .field("fd", &self.fd.as_raw_fd())
            .finish()
    }
}
