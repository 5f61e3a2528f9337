//! Go's forms: `listen`/`dial`/`dial_timeout`/`listen_packet` over "tcp", "tcp4", "tcp6",
//! "udp" and "unix"; Go's address forms (":0", "[::1]:port", "localhost:port"); an unknown
//! network is an `InvalidInput` error naming it; names resolve, literals parse in place.

use std::io::{ErrorKind, Read, Write};
use std::time::Duration;

use rungo_net::{Addr, Conn, Listener, ToSocketAddrs, dial, dial_timeout, listen, listen_packet};
use rungo_runtime::{go, run};

fn echo_once(l: Listener) -> rungo_runtime::JoinHandle<()> {
    go!(move || {
        let conn = l.accept().unwrap();
        let mut buf = [0u8; 64];
        let n = (&conn).read(&mut buf).unwrap();
        (&conn).write_all(&buf[..n]).unwrap();
    })
}

fn round_trip(mut conn: Conn) {
    conn.write_all(b"ping").unwrap();
    let mut buf = [0u8; 4];
    conn.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ping");
}

#[test]
fn tcp_listen_and_dial_the_go_way() {
    run(|| {
        let l = listen("tcp", ":0").unwrap(); // all addresses, any port, as in Go
        let Addr::Tcp(addr) = l.addr().unwrap() else {
            panic!("not a TCP address")
        };
        assert!(addr.ip().is_unspecified());
        assert_eq!(l.addr().unwrap().network(), "tcp");
        let server = echo_once(l);
        // An empty host dials the local system, as in Go.
        let conn = dial("tcp", &format!(":{}", addr.port())).unwrap();
        assert!(matches!(conn.remote_addr().unwrap(), Addr::Tcp(a) if a.ip().is_loopback()));
        round_trip(conn);
        server.join().unwrap();

        let l = listen("tcp4", "127.0.0.1:0").unwrap();
        let addr = l.addr().unwrap().to_string();
        let server = echo_once(l);
        round_trip(dial_timeout("tcp4", &addr, Duration::from_secs(5)).unwrap());
        server.join().unwrap();
    });
}

#[test]
fn tcp6_when_available() {
    run(|| {
        let Ok(l) = listen("tcp6", "[::1]:0") else {
            eprintln!("no IPv6 loopback here; skipped");
            return;
        };
        let addr = l.addr().unwrap().to_string();
        assert!(addr.starts_with("[::1]:"), "{addr}");
        let server = echo_once(l);
        round_trip(dial("tcp6", &addr).unwrap());
        server.join().unwrap();
        // tcp4 refuses an IPv6 literal: no suitable address.
        let err = dial("tcp4", &addr).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    });
}

#[test]
fn host_names_resolve_without_blocking_and_literals_parse_in_place() {
    run(|| {
        let l = listen("tcp", "127.0.0.1:0").unwrap();
        let Addr::Tcp(addr) = l.addr().unwrap() else {
            panic!()
        };
        let server = echo_once(l);
        // "localhost" may resolve to ::1 first; dial tries each address in turn.
        round_trip(dial("tcp", &format!("localhost:{}", addr.port())).unwrap());
        server.join().unwrap();
        let ips = rungo_net::lookup_ip("localhost").unwrap();
        assert!(
            !ips.is_empty() && ips.iter().all(|ip| ip.is_loopback()),
            "{ips:?}"
        );
        assert_eq!(
            "[::1]:80".resolve_addrs().unwrap(),
            ["[::1]:80".parse().unwrap()]
        );
        assert_eq!(
            ("127.0.0.1", 9).resolve_addrs().unwrap(),
            ["127.0.0.1:9".parse().unwrap()]
        );
    });
}

#[test]
fn udp_and_unix_the_go_way() {
    run(|| {
        let server = listen_packet("udp", "127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap().to_string();
        let echo = go!(move || {
            let mut buf = [0u8; 64];
            let (n, from) = server.recv_from(&mut buf).unwrap();
            server.send_to(&buf[..n], from).unwrap();
        });
        let conn = dial("udp", &addr).unwrap();
        assert!(matches!(conn, Conn::Udp(_)));
        assert_eq!(conn.remote_addr().unwrap().network(), "udp");
        round_trip(conn);
        echo.join().unwrap();

        let path = std::env::temp_dir().join(format!("rungo-go-forms-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let path = path.to_str().unwrap().to_owned();
        let l = listen("unix", &path).unwrap();
        assert_eq!(l.addr().unwrap().to_string(), path);
        let server = echo_once(l);
        round_trip(dial("unix", &path).unwrap());
        server.join().unwrap();
        std::fs::remove_file(&path).unwrap();
    });
}

#[test]
fn unknown_networks_and_bad_addresses_are_clear_errors() {
    let err = dial("tcpx", "127.0.0.1:1").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.to_string(), "unknown network tcpx");
    let err = listen("bogus", ":0").unwrap_err();
    assert_eq!(err.to_string(), "unknown network bogus");
    let err = dial("tcp", "127.0.0.1").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("missing port"), "{err}");
    let err = listen("udp", ":0").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}
