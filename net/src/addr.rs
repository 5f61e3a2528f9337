//! Address resolution that never blocks a worker.
//!
//! IP literals (`"127.0.0.1:80"`, `SocketAddr`, `(IpAddr, u16)`) are parsed in the calling
//! coroutine and never leave it. A host name goes to `lookup_blocking`, the one place this
//! crate calls the system resolver: from a coroutine it runs `getaddrinfo` (std's
//! `to_socket_addrs`) on the runtime's blocking pool ([`rungo_runtime::blocking`]) while the
//! coroutine parks, so its worker runs other coroutines meanwhile; on a plain thread it just
//! calls it.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Something that names one or more socket addresses, resolved without blocking a worker: the
/// counterpart of [`std::net::ToSocketAddrs`], implemented for the same types.
///
/// Go: the address strings of `net.Dial` and `net.Listen`, and `net.ResolveTCPAddr`. IP literals
/// are parsed in place; host names are looked up on the blocking pool while the calling coroutine
/// parks (see [`lookup_ip`]).
///
/// ```
/// use rungo_net::ToSocketAddrs;
/// let addrs = "127.0.0.1:8080".resolve_addrs()?;
/// assert_eq!(addrs, ["127.0.0.1:8080".parse().unwrap()]);
/// let addrs = ("::1", 80).resolve_addrs()?;
/// assert_eq!(addrs, ["[::1]:80".parse().unwrap()]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait ToSocketAddrs {
    /// The addresses, in the resolver's order. Go: `net.ResolveTCPAddr` (all of them).
    fn resolve_addrs(&self) -> io::Result<Vec<SocketAddr>>;
}

impl ToSocketAddrs for SocketAddr {
    fn resolve_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        Ok(vec![*self])
    }
}

impl ToSocketAddrs for SocketAddrV4 {
    fn resolve_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        Ok(vec![SocketAddr::V4(*self)])
    }
}

impl ToSocketAddrs for SocketAddrV6 {
    fn resolve_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        Ok(vec![SocketAddr::V6(*self)])
    }
}

impl ToSocketAddrs for (IpAddr, u16) {
    fn resolve_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        Ok(vec![SocketAddr::new(self.0, self.1)])
    }
}

impl ToSocketAddrs for (Ipv4Addr, u16) {
    fn resolve_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        Ok(vec![SocketAddr::new(self.0.into(), self.1)])
    }
}

impl ToSocketAddrs for (Ipv6Addr, u16) {
    fn resolve_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        Ok(vec![SocketAddr::new(self.0.into(), self.1)])
    }
}

impl ToSocketAddrs for (&str, u16) {
    fn resolve_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        resolve_host(self.0, self.1)
    }
}

impl ToSocketAddrs for (String, u16) {
    fn resolve_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        resolve_host(&self.0, self.1)
    }
}

impl ToSocketAddrs for str {
    fn resolve_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        if let Ok(addr) = self.parse::<SocketAddr>() {
            return Ok(vec![addr]);
        }
        let (host, port) = split_host_port(self)?;
        resolve_host(host, port)
    }
}

impl ToSocketAddrs for String {
    fn resolve_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        self.as_str().resolve_addrs()
    }
}

impl ToSocketAddrs for [SocketAddr] {
    fn resolve_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        Ok(self.to_vec())
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {
    fn resolve_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        (**self).resolve_addrs()
    }
}

/// Splits `"host:port"` (`"[v6]:port"` too). Go: `net.SplitHostPort`.
pub(crate) fn split_host_port(s: &str) -> io::Result<(&str, u16)> {
    let invalid =
        |what: &str| io::Error::new(io::ErrorKind::InvalidInput, format!("address {s}: {what}"));
    let (host, port) = s
        .rsplit_once(':')
        .ok_or_else(|| invalid("missing port in address"))?;
    let host = match host.strip_prefix('[') {
        Some(rest) => rest
            .strip_suffix(']')
            .ok_or_else(|| invalid("missing ']' in address"))?,
        None if host.contains(':') => return Err(invalid("too many colons in address")),
        None => host,
    };
    let port = port.parse::<u16>().map_err(|_| invalid("invalid port"))?;
    Ok((host, port))
}

/// `host` may be an IP literal (resolved in place) or a name (looked up off the worker).
fn resolve_host(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    let host_unbracketed = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = host_unbracketed.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    lookup_blocking(host, port)
}

/// Looks up a host's IP addresses without blocking a worker. IP literals are returned as they
/// are.
///
/// Go: `net.LookupIP` (`net.LookupHost` returns the same as strings).
///
/// ```
/// let ips = rungo_net::lookup_ip("localhost")?;
/// assert!(ips.iter().all(|ip| ip.is_loopback()));
/// assert_eq!(rungo_net::lookup_ip("10.0.0.1")?, ["10.0.0.1".parse::<std::net::IpAddr>().unwrap()]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn lookup_ip(host: &str) -> io::Result<Vec<IpAddr>> {
    let mut ips: Vec<IpAddr> = Vec::new();
    for addr in resolve_host(host, 0)? {
        if !ips.contains(&addr.ip()) {
            ips.push(addr.ip());
        }
    }
    Ok(ips)
}

/// The crate's one call of the system resolver (std's `to_socket_addrs`, i.e. `getaddrinfo`),
/// through the runtime's blocking pool: from a coroutine it runs on a pool thread while the
/// coroutine parks; on a plain thread it runs inline.
fn lookup_blocking(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    use std::net::ToSocketAddrs as _;
    rungo_runtime::blocking(|| Ok((host, port).to_socket_addrs()?.collect()))
}
