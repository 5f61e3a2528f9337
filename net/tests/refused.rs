//! Connecting to a port nobody listens on fails with `ConnectionRefused`, from a coroutine and
//! from a plain thread, through std's and Go's forms.

use std::io::ErrorKind;

use rungo_net::{TcpListener, TcpStream};

/// A loopback port that was just listened on and is now closed.
fn closed_port() -> std::net::SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    addr
}

#[test]
fn connect_to_a_closed_port_is_refused() {
    let addr = closed_port();
    let err = TcpStream::connect(addr).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    let err = rungo_runtime::run(move || TcpStream::connect(addr).unwrap_err());
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    let err = rungo_runtime::run(move || {
        rungo_net::dial_timeout("tcp", &addr.to_string(), std::time::Duration::from_secs(5))
            .unwrap_err()
    });
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
}

#[test]
fn a_closed_listener_refuses_and_fails_accept() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let clone = l.try_clone().unwrap();
    l.close();
    // The clone still holds the fd open, but the socket no longer listens.
    let err = TcpStream::connect(addr).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    let err = clone.accept().unwrap_err();
    assert_eq!(err.to_string(), "use of closed network connection");
}
