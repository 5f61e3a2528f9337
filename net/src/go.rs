//! Go's forms: `net.Listen`, `net.Dial`, `net.DialTimeout`, `net.ListenPacket`, and the
//! `net.Listener` / `net.Conn` / `net.Addr` interfaces as enums.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::addr::{ToSocketAddrs, split_host_port};
use crate::fd::deadline_after;
use crate::tcp::each_addr;
use crate::{TcpListener, TcpStream, UdpSocket, UnixListener, UnixStream};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Any,
    V4,
    V6,
}

#[derive(Clone, Copy)]
enum Network {
    Tcp(Family),
    Udp(Family),
    Unix,
}

fn parse_network(network: &str) -> io::Result<Network> {
    Ok(match network {
        "tcp" => Network::Tcp(Family::Any),
        "tcp4" => Network::Tcp(Family::V4),
        "tcp6" => Network::Tcp(Family::V6),
        "udp" => Network::Udp(Family::Any),
        "udp4" => Network::Udp(Family::V4),
        "udp6" => Network::Udp(Family::V6),
        "unix" => Network::Unix,
        "unixgram" | "unixpacket" | "ip" | "ip4" | "ip6" => {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("rungo: network {network} is not supported"),
            ));
        }
        _ if network.starts_with("ip:")
            || network.starts_with("ip4:")
            || network.starts_with("ip6:") =>
        {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("rungo: network {network} is not supported"),
            ));
        }
        _ => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unknown network {network}"),
            ));
        }
    })
}

/// Resolves Go's `"host:port"` for `family`; an empty host is the unspecified address for a
/// listener and the loopback address for a dialer, as in Go.
fn resolve(address: &str, family: Family, listening: bool) -> io::Result<Vec<SocketAddr>> {
    let (host, port) = split_host_port(address)?;
    let addrs = if host.is_empty() {
        let ip: std::net::IpAddr = match (family, listening) {
            (Family::V6, true) => std::net::Ipv6Addr::UNSPECIFIED.into(),
            (_, true) => std::net::Ipv4Addr::UNSPECIFIED.into(),
            (Family::V6, false) => std::net::Ipv6Addr::LOCALHOST.into(),
            (_, false) => std::net::Ipv4Addr::LOCALHOST.into(),
        };
        vec![SocketAddr::new(ip, port)]
    } else {
        (host, port).resolve_addrs()?
    };
    let addrs: Vec<SocketAddr> = addrs
        .into_iter()
        .filter(|a| match family {
            Family::Any => true,
            Family::V4 => a.is_ipv4(),
            Family::V6 => a.is_ipv6(),
        })
        .collect();
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("address {address}: no suitable address found"),
        ));
    }
    Ok(addrs)
}

/// Listens on a local address: `"tcp"`, `"tcp4"`, `"tcp6"` with `"host:port"` (an empty host
/// listens on all addresses, port 0 picks one), or `"unix"` with a path. An unknown network is
/// an `InvalidInput` error naming it.
///
/// Go: `net.Listen(network, address)`.
///
/// ```
/// let l = rungo_net::listen("tcp", "127.0.0.1:0")?;
/// assert!(matches!(l, rungo_net::Listener::Tcp(_)));
/// let err = rungo_net::listen("tcpx", ":0").unwrap_err();
/// assert_eq!(err.to_string(), "unknown network tcpx");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn listen(network: &str, address: &str) -> io::Result<Listener> {
    match parse_network(network)? {
        Network::Tcp(family) => Ok(Listener::Tcp(each_addr(
            resolve(address, family, true),
            TcpListener::bind_addr,
        )?)),
        Network::Unix => Ok(Listener::Unix(UnixListener::bind(address)?)),
        Network::Udp(_) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("listen {network}: use listen_packet for a packet network"),
        )),
    }
}

/// Listens for datagrams: `"udp"`, `"udp4"`, `"udp6"` with `"host:port"`.
///
/// Go: `net.ListenPacket(network, address)`.
///
/// ```
/// let sock = rungo_net::listen_packet("udp", "127.0.0.1:0")?;
/// assert!(sock.local_addr()?.port() != 0);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn listen_packet(network: &str, address: &str) -> io::Result<UdpSocket> {
    match parse_network(network)? {
        Network::Udp(family) => UdpSocket::bind(&resolve(address, family, true)?[..]),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("listen_packet {network}: not a packet network"),
        )),
    }
}

/// Connects to `address` on `network` (`"tcp"`, `"tcp4"`, `"tcp6"`, `"udp"`, `"udp4"`,
/// `"udp6"` with `"host:port"`, or `"unix"` with a path), trying each resolved address in turn.
/// Host names resolve without blocking a worker.
///
/// Go: `net.Dial(network, address)`.
///
/// ```
/// use std::io::Write;
/// let l = rungo_net::listen("tcp", "127.0.0.1:0")?;
/// let addr = l.addr()?.to_string();
/// let mut conn = rungo_net::dial("tcp", &addr)?;
/// conn.write_all(b"hi")?;
/// assert_eq!(conn.remote_addr()?.to_string(), addr);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn dial(network: &str, address: &str) -> io::Result<Conn> {
    dial_until(network, address, None)
}

/// Like [`dial`], failing with `ErrorKind::TimedOut` ("i/o timeout") if the connection is not
/// made within `timeout` (over all the addresses tried).
///
/// Go: `net.DialTimeout(network, address, timeout)`.
pub fn dial_timeout(network: &str, address: &str, timeout: Duration) -> io::Result<Conn> {
    dial_until(network, address, deadline_after(timeout))
}

fn dial_until(network: &str, address: &str, deadline: Option<Instant>) -> io::Result<Conn> {
    match parse_network(network)? {
        Network::Tcp(family) => Ok(Conn::Tcp(each_addr(
            resolve(address, family, false),
            |a| TcpStream::connect_until(a, deadline),
        )?)),
        Network::Udp(family) => {
            let addrs = resolve(address, family, false)?;
            Ok(Conn::Udp(each_addr(Ok(addrs), |a| {
                let local: SocketAddr = if a.is_ipv4() {
                    "0.0.0.0:0".parse().expect("literal")
                } else {
                    "[::]:0".parse().expect("literal")
                };
                let sock = UdpSocket::bind(local)?;
                sock.connect(a)?;
                Ok(sock)
            })?))
        }
        Network::Unix => Ok(Conn::Unix(UnixStream::connect_until(
            Path::new(address),
            deadline,
        )?)),
    }
}

/// A listener of any network. Go: the `net.Listener` interface.
#[derive(Debug, Clone)]
pub enum Listener {
    /// A TCP listener.
    Tcp(TcpListener),
    /// A Unix domain stream listener.
    Unix(UnixListener),
}

impl Listener {
    /// Waits for the next connection. Go: `Listener.Accept`.
    #[track_caller]
    pub fn accept(&self) -> io::Result<Conn> {
        match self {
            Listener::Tcp(l) => l.accept().map(|(c, _)| Conn::Tcp(c)),
            Listener::Unix(l) => l.accept().map(|(c, _)| Conn::Unix(c)),
        }
    }

    /// Stops listening; waiting and later `accept`s fail. Go: `Listener.Close`.
    pub fn close(&self) {
        match self {
            Listener::Tcp(l) => l.close(),
            Listener::Unix(l) => l.close(),
        }
    }

    /// The listening address. Go: `Listener.Addr`.
    pub fn addr(&self) -> io::Result<Addr> {
        match self {
            Listener::Tcp(l) => l.local_addr().map(Addr::Tcp),
            Listener::Unix(l) => l.local_addr().map(Addr::Unix),
        }
    }

    /// Sets (or clears) the deadline of `accept`. Go: `TCPListener.SetDeadline`.
    pub fn set_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        match self {
            Listener::Tcp(l) => l.set_deadline(deadline),
            Listener::Unix(l) => l.set_deadline(deadline),
        }
    }
}

/// A connection of any network. `Read` and `Write` are implemented for `Conn` and `&Conn`
/// (for UDP, one datagram each). Go: the `net.Conn` interface.
#[derive(Debug, Clone)]
pub enum Conn {
    /// A TCP connection.
    Tcp(TcpStream),
    /// A connected UDP socket.
    Udp(UdpSocket),
    /// A Unix domain stream connection.
    Unix(UnixStream),
}

macro_rules! each_conn {
    ($self:expr, $c:ident => $e:expr) => {
        match $self {
            Conn::Tcp($c) => $e,
            Conn::Udp($c) => $e,
            Conn::Unix($c) => $e,
        }
    };
}

impl Conn {
    /// Closes the connection; blocked operations wake with `closed_error`. Go: `Conn.Close`.
    pub fn close(&self) {
        each_conn!(self, c => c.close())
    }

    /// The local address. Go: `Conn.LocalAddr`.
    pub fn local_addr(&self) -> io::Result<Addr> {
        match self {
            Conn::Tcp(c) => c.local_addr().map(Addr::Tcp),
            Conn::Udp(c) => c.local_addr().map(Addr::Udp),
            Conn::Unix(c) => c.local_addr().map(Addr::Unix),
        }
    }

    /// The remote address. Go: `Conn.RemoteAddr`.
    pub fn remote_addr(&self) -> io::Result<Addr> {
        match self {
            Conn::Tcp(c) => c.peer_addr().map(Addr::Tcp),
            Conn::Udp(c) => c.peer_addr().map(Addr::Udp),
            Conn::Unix(c) => c.peer_addr().map(Addr::Unix),
        }
    }

    /// Sets (or clears) both deadlines. Go: `Conn.SetDeadline`.
    pub fn set_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        each_conn!(self, c => c.set_deadline(deadline))
    }

    /// Sets (or clears) the read deadline. Go: `Conn.SetReadDeadline`.
    pub fn set_read_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        each_conn!(self, c => c.set_read_deadline(deadline))
    }

    /// Sets (or clears) the write deadline. Go: `Conn.SetWriteDeadline`.
    pub fn set_write_deadline(&self, deadline: Option<Instant>) -> io::Result<()> {
        each_conn!(self, c => c.set_write_deadline(deadline))
    }
}

impl Read for &Conn {
    #[track_caller]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(c) => (&*c).read(buf),
            Conn::Udp(c) => c.recv(buf),
            Conn::Unix(c) => (&*c).read(buf),
        }
    }
}

impl Write for &Conn {
    #[track_caller]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(c) => (&*c).write(buf),
            Conn::Udp(c) => c.send(buf),
            Conn::Unix(c) => (&*c).write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for Conn {
    #[track_caller]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
}

impl Write for Conn {
    #[track_caller]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A network address. Go: the `net.Addr` interface (`TCPAddr`, `UDPAddr`, `UnixAddr`).
#[derive(Debug, Clone)]
pub enum Addr {
    /// Go: `net.TCPAddr`.
    Tcp(SocketAddr),
    /// Go: `net.UDPAddr`.
    Udp(SocketAddr),
    /// Go: `net.UnixAddr`.
    Unix(std::os::unix::net::SocketAddr),
}

impl Addr {
    /// The network name: `"tcp"`, `"udp"` or `"unix"`. Go: `Addr.Network`.
    pub fn network(&self) -> &'static str {
        match self {
            Addr::Tcp(_) => "tcp",
            Addr::Udp(_) => "udp",
            Addr::Unix(_) => "unix",
        }
    }
}

impl fmt::Display for Addr {
    /// `"host:port"` or the socket's path (empty when unnamed). Go: `Addr.String`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Addr::Tcp(a) | Addr::Udp(a) => a.fmt(f),
            Addr::Unix(a) => match a.as_pathname() {
                Some(p) => p.display().fmt(f),
                None => Ok(()),
            },
        }
    }
}
