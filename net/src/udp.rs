//! UDP: [`UdpSocket`].

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rungo_runtime::io::Interest;
use socket2::{Domain, Protocol, Socket, Type};

use crate::addr::ToSocketAddrs;
use crate::fd::{NetFd, uninit};
use crate::tcp::each_addr;

/// A UDP socket. Sends and receives park the calling coroutine (or plain thread), never its
/// worker.
///
/// Go: `net.UDPConn` (from `net.ListenPacket("udp", addr)` or `net.Dial("udp", addr)`).
///
/// ```
/// use rungo_net::UdpSocket;
///
/// let a = UdpSocket::bind("127.0.0.1:0")?;
/// let b = UdpSocket::bind("127.0.0.1:0")?;
/// a.send_to(b"hi", b.local_addr()?)?;
/// let mut buf = [0u8; 16];
/// let (n, from) = b.recv_from(&mut buf)?;
/// assert_eq!((&buf[..n], from), (&b"hi"[..], a.local_addr()?));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct UdpSocket {
    fd: Arc<NetFd>,
}

impl UdpSocket {
    /// Binds to the first of `addr`'s addresses that works. Go: `net.ListenUDP`,
    /// `net.ListenPacket("udp", addr)`.
    pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        each_addr(addr.resolve_addrs(), |addr| {
            let sock = Socket::new(
                Domain::for_address(addr),
                Type::DGRAM.nonblocking(),
                Some(Protocol::UDP),
            )?;
            sock.bind(&addr.into())?;
            Ok(UdpSocket {
                fd: Arc::new(NetFd::new(sock)?),
            })
        })
    }

    /// Wraps a std socket: it is set non-blocking and registered. Go: `net.FilePacketConn`.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            fd: Arc::new(NetFd::from_blocking(Socket::from(socket))?),
        })
    }

    /// Sends `buf` as one datagram to the first address of `addr`. Go: `UDPConn.WriteTo`.
    #[track_caller]
    pub fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], addr: A) -> io::Result<usize> {
        let addr = addr.resolve_addrs()?.into_iter().next().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "no addresses to send data to")
        })?;
        let addr = addr.into();
        self.fd.io(Interest::Write, |s| {
            s.send_to_with_flags(buf, &addr, libc::MSG_NOSIGNAL)
        })
    }

    /// Receives one datagram (the excess of a longer one is discarded) and its sender.
    /// Go: `UDPConn.ReadFrom`.
    #[track_caller]
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let (n, addr) = self.fd.io(Interest::Read, |s| s.recv_from(uninit(buf)))?;
        let addr = addr
            .as_socket()
            .ok_or_else(|| io::Error::other("not an internet socket address"))?;
        Ok((n, addr))
    }

    /// Sets the default peer: `send` goes there and `recv` only takes its datagrams.
    /// Go: `net.Dial("udp", addr)`.
    pub fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        each_addr(addr.resolve_addrs(), |addr| {
            self.fd.sock().connect(&addr.into())
        })
    }

    /// Sends to the connected peer. Go: `UDPConn.Write`.
    #[track_caller]
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.fd.io(Interest::Write, |s| {
            s.send_with_flags(buf, libc::MSG_NOSIGNAL)
        })
    }

    /// Receives one datagram from the connected peer. Go: `UDPConn.Read`.
    #[track_caller]
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.fd.read(buf)
    }

    /// The local address. Go: `UDPConn.LocalAddr`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.fd
            .sock()
            .local_addr()?
            .as_socket()
            .ok_or_else(|| io::Error::other("not an internet socket address"))
    }

    /// The connected peer's address. Go: `UDPConn.RemoteAddr`.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.fd
            .sock()
            .peer_addr()?
            .as_socket()
            .ok_or_else(|| io::Error::other("not an internet socket address"))
    }

    /// Sets `SO_BROADCAST`. std: `UdpSocket::set_broadcast`. Go: via `SyscallConn`.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.fd.sock().set_broadcast(on)
    }

    /// Another handle to the same socket (shared deadlines and `close`). Go: sharing the
    /// `*UDPConn`.
    pub fn try_clone(&self) -> io::Result<UdpSocket> {
        Ok(self.clone())
    }

    /// Sets (or clears) both absolute deadlines. Go: `UDPConn.SetDeadline`.
    pub fn set_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.set_read_deadline(deadline)?;
        self.set_write_deadline(deadline)
    }

    /// Sets (or clears) the absolute, sticky deadline of receives, applied to waiting ones too.
    /// Go: `UDPConn.SetReadDeadline`.
    pub fn set_read_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.fd.check_open()?;
        self.fd.set_deadline(Interest::Read, deadline);
        Ok(())
    }

    /// Sets (or clears) the absolute, sticky deadline of sends. Go: `UDPConn.SetWriteDeadline`.
    pub fn set_write_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.fd.check_open()?;
        self.fd.set_deadline(Interest::Write, deadline);
        Ok(())
    }

    /// std's per-operation receive timeout (zero is an error). Go: a read deadline per read.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.fd.set_timeout(Interest::Read, timeout)
    }

    /// std's per-operation send timeout (zero is an error). Go: a write deadline per write.
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.fd.set_timeout(Interest::Write, timeout)
    }

    /// The receive timeout. std: `UdpSocket::read_timeout`. Go: none.
    pub fn read_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.fd.timeout(Interest::Read))
    }

    /// The send timeout. std: `UdpSocket::write_timeout`. Go: none.
    pub fn write_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.fd.timeout(Interest::Write))
    }

    /// Go's `Close`: waiting and later operations on every clone fail with the runtime's
    /// `closed_error`; the fd is closed when the last clone drops. Go: `UDPConn.Close`.
    pub fn close(&self) {
        self.fd.close();
    }
}

impl From<std::net::UdpSocket> for UdpSocket {
    /// Sets the socket non-blocking and registers it; panics if that fails (use
    /// [`UdpSocket::from_std`] to handle the error). Go: `net.FilePacketConn`.
    fn from(socket: std::net::UdpSocket) -> UdpSocket {
        UdpSocket::from_std(socket).expect("rungo: registering a std::net::UdpSocket")
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("addr", &self.local_addr().ok())
            .field("fd", &self.fd.as_raw_fd())
            .finish()
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}
