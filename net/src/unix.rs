//! Unix domain stream sockets: [`UnixListener`] and [`UnixStream`].

use std::fmt;
use std::io;
use std::mem::ManuallyDrop;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use rungo_runtime::io::Interest;
use socket2::{Domain, SockAddr, Socket, Type};

use crate::conn::conn_methods;
use crate::fd::NetFd;

/// Runs `f` on the socket seen as a std `UnixStream`, to read its Unix address (std can
/// represent unnamed and abstract addresses, which socket2 cannot hand over).
fn with_std<R>(sock: &Socket, f: impl FnOnce(&std::os::unix::net::UnixStream) -> R) -> R {
    // SAFETY: the fd is open for the duration of the call (we borrow its owner), and the
    // `ManuallyDrop` never closes it; getsockname/getpeername do not care about the socket type.
    let std =
        ManuallyDrop::new(unsafe { std::os::unix::net::UnixStream::from_raw_fd(sock.as_raw_fd()) });
    f(&std)
}

/// A Unix domain stream socket server. Accepting parks the caller, never its worker.
///
/// Go: `net.UnixListener` (from `net.Listen("unix", path)`). Unlike Go, closing it does not
/// remove the socket file (std's behaviour): remove it yourself.
///
/// ```
/// use rungo_net::{UnixListener, UnixStream};
/// use std::io::{Read, Write};
///
/// let path = std::env::temp_dir().join(format!("rungo-doc-{}.sock", std::process::id()));
/// let _ = std::fs::remove_file(&path);
/// let listener = UnixListener::bind(&path)?;
/// let p = path.clone();
/// let client = rungo_runtime::go!(move || UnixStream::connect(&p)?.write_all(b"hi"));
/// let (mut conn, _) = listener.accept()?;
/// let mut s = String::new();
/// conn.read_to_string(&mut s)?;
/// assert_eq!(s, "hi");
/// client.join().unwrap()?;
/// std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct UnixListener {
    fd: Arc<NetFd>,
}

impl UnixListener {
    /// Binds a socket at `path` and listens. Go: `net.Listen("unix", path)`,
    /// `net.ListenUnix`.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        let sock = Socket::new(Domain::UNIX, Type::STREAM.nonblocking(), None)?;
        sock.bind(&SockAddr::unix(path)?)?;
        sock.listen(i32::MAX)?;
        Ok(UnixListener {
            fd: Arc::new(NetFd::new(sock)?),
        })
    }

    /// Waits for a connection. Go: `UnixListener.AcceptUnix` (`Accept`).
    #[track_caller]
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (fd, _) = self.fd.accept()?;
        let addr = with_std(fd.sock(), |s| s.peer_addr())?;
        Ok((UnixStream { fd: Arc::new(fd) }, addr))
    }

    /// An endless iterator of accepted connections. Go: an `Accept` loop.
    pub fn incoming(&self) -> UnixIncoming<'_> {
        UnixIncoming { listener: self }
    }

    /// The address it listens on. Go: `UnixListener.Addr`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        with_std(self.fd.sock(), |s| s.local_addr())
    }

    /// Sets (or clears) an absolute deadline for `accept`, waiting ones included.
    /// Go: `UnixListener.SetDeadline`.
    pub fn set_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.fd.check_open()?;
        self.fd.set_deadline(Interest::Read, deadline);
        Ok(())
    }

    /// Stops accepting: waiting and later `accept`s on every clone fail with `closed_error`.
    /// Go: `UnixListener.Close` (which also removes the socket file; this does not).
    pub fn close(&self) {
        self.fd.close();
    }

    /// Another handle to the same listener. Go: copying the `*UnixListener`.
    pub fn try_clone(&self) -> io::Result<UnixListener> {
        Ok(self.clone())
    }
}

impl From<std::os::unix::net::UnixListener> for UnixListener {
    /// Sets the listener non-blocking and registers it; panics if that fails.
    /// Go: `net.FileListener`.
    fn from(listener: std::os::unix::net::UnixListener) -> UnixListener {
        let fd = NetFd::from_blocking(Socket::from(std::os::fd::OwnedFd::from(listener)))
            .expect("rungo: registering a std UnixListener");
        UnixListener { fd: Arc::new(fd) }
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("addr", &self.local_addr().ok())
            .field("fd", &self.fd.as_raw_fd())
            .finish()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// The iterator of [`UnixListener::incoming`]: never ends. Go: an `Accept` loop.
#[derive(Debug)]
pub struct UnixIncoming<'a> {
    listener: &'a UnixListener,
}

impl Iterator for UnixIncoming<'_> {
    type Item = io::Result<UnixStream>;

    fn next(&mut self) -> Option<io::Result<UnixStream>> {
        Some(self.listener.accept().map(|(s, _)| s))
    }
}

/// A Unix domain stream connection; the same shape as [`TcpStream`](crate::TcpStream).
///
/// Go: `net.UnixConn` (from `net.Dial("unix", path)`).
///
/// ```
/// use rungo_net::UnixStream;
/// use std::io::{Read, Write};
///
/// let (a, b) = UnixStream::pair()?;
/// let writer = rungo_runtime::go!(move || (&a).write_all(b"over the pair"));
/// let mut s = String::new();
/// (&b).read_to_string(&mut s)?;
/// assert_eq!(s, "over the pair");
/// writer.join().unwrap()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct UnixStream {
    fd: Arc<NetFd>,
}

impl UnixStream {
    /// Connects to the socket at `path`. Go: `net.Dial("unix", path)`, `net.DialUnix`.
    pub fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        Self::connect_until(path.as_ref(), None)
    }

    pub(crate) fn connect_until(path: &Path, deadline: Option<Instant>) -> io::Result<UnixStream> {
        let sock = Socket::new(Domain::UNIX, Type::STREAM.nonblocking(), None)?;
        let fd = NetFd::new(sock)?;
        fd.connect(&SockAddr::unix(path)?, deadline)?;
        Ok(UnixStream { fd: Arc::new(fd) })
    }

    /// A connected pair. Go: `syscall.Socketpair` with `net.FileConn`.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = Socket::pair(Domain::UNIX, Type::STREAM.nonblocking(), None)?;
        Ok((
            UnixStream {
                fd: Arc::new(NetFd::new(a)?),
            },
            UnixStream {
                fd: Arc::new(NetFd::new(b)?),
            },
        ))
    }

    /// Wraps a std stream: it is set non-blocking and registered. Go: `net.FileConn`.
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        let sock = Socket::from(std::os::fd::OwnedFd::from(stream));
        Ok(UnixStream {
            fd: Arc::new(NetFd::from_blocking(sock)?),
        })
    }

    /// The local address. Go: `UnixConn.LocalAddr`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        with_std(self.fd.sock(), |s| s.local_addr())
    }

    /// The peer's address. Go: `UnixConn.RemoteAddr`.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        with_std(self.fd.sock(), |s| s.peer_addr())
    }

    /// The pending socket error (`SO_ERROR`). std: `UnixStream::take_error`. Go: none (via
    /// `SyscallConn`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.fd.sock().take_error()
    }
}

conn_methods!(UnixStream, "UnixConn");

impl From<std::os::unix::net::UnixStream> for UnixStream {
    /// Sets the stream non-blocking and registers it; panics if that fails (use
    /// [`UnixStream::from_std`] to handle the error). Go: `net.FileConn`.
    fn from(stream: std::os::unix::net::UnixStream) -> UnixStream {
        UnixStream::from_std(stream).expect("rungo: registering a std UnixStream")
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("fd", &self.fd.as_raw_fd())
            .finish()
    }
}
