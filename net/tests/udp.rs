//! UDP: datagrams between coroutines with `send_to`/`recv_from` and connected `send`/`recv`,
//! a receive deadline, and close waking a blocked receive.

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use rungo_net::UdpSocket;
use rungo_runtime::{go, run, sleep};

#[test]
fn datagrams_round_trip_between_coroutines() {
    run(|| {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        let echo = go!(move || {
            let mut buf = [0u8; 2048];
            for _ in 0..100 {
                let (n, from) = server.recv_from(&mut buf).unwrap();
                server.send_to(&buf[..n], from).unwrap();
            }
        });
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client.connect(addr).unwrap();
        assert_eq!(client.peer_addr().unwrap(), addr);
        for i in 0..100u32 {
            let msg: Vec<u8> = (0..(i * 13 % 1500)).map(|j| (i + j) as u8).collect();
            client.send(&msg).unwrap();
            let mut buf = [0u8; 2048];
            let n = client.recv(&mut buf).unwrap();
            assert_eq!(&buf[..n], &msg[..], "datagram {i}");
        }
        echo.join().unwrap();
    });
}

#[test]
fn a_receive_deadline_fires_and_close_wakes_a_blocked_receive() {
    run(|| {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        let deadline = Instant::now() + Duration::from_millis(50);
        sock.set_read_deadline(Some(deadline)).unwrap();
        let err = sock.recv_from(&mut [0u8; 16]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut);
        assert!(Instant::now() >= deadline);
        sock.set_read_deadline(None).unwrap();

        let s = sock.try_clone().unwrap();
        let blocked = go!(move || s.recv_from(&mut [0u8; 16]));
        sleep(Duration::from_millis(20));
        assert!(!blocked.is_finished());
        sock.close();
        let err = blocked.join().unwrap().unwrap_err();
        assert_eq!(err.to_string(), "use of closed network connection");
    });
}

#[test]
fn ipv6_loopback_works_when_available() {
    let Ok(a) = UdpSocket::bind("[::1]:0") else {
        eprintln!("no IPv6 loopback here; skipped");
        return;
    };
    let b = UdpSocket::bind("[::1]:0").unwrap();
    a.send_to(b"v6", b.local_addr().unwrap()).unwrap();
    let mut buf = [0u8; 4];
    let (n, from) = b.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"v6"[..], a.local_addr().unwrap()));
}
