//! std's relative timeouts (`set_read_timeout`, `set_write_timeout`): each operation waits at
//! most the timeout, starting again with every operation (not sticky); together with a Go
//! deadline an operation ends at the earlier; two reads at once each end at their own time;
//! zero is rejected as in std; `connect_timeout` of zero too.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use common::tcp_pair;
use rungo_net::{TcpListener, TcpStream};
use rungo_runtime::{go, run, sleep};
use rungo_testkit::Rng;
use rungo_testkit::child::in_child;

#[test]
fn a_read_timeout_applies_to_each_read_afresh() {
    in_child(
        "a_read_timeout_applies_to_each_read_afresh",
        &[],
        Duration::from_secs(30),
        || {
            run(|| {
                let (a, b) = tcp_pair();
                a.set_read_timeout(Some(Duration::from_millis(100)))
                    .unwrap();
                assert_eq!(a.read_timeout().unwrap(), Some(Duration::from_millis(100)));
                for _ in 0..3 {
                    let start = Instant::now();
                    let err = (&a).read(&mut [0u8; 4]).unwrap_err();
                    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
                    let took = start.elapsed();
                    assert!(took >= Duration::from_millis(100), "{took:?}");
                    assert!(took < Duration::from_millis(1000), "{took:?}");
                }
                // Not sticky: after timeouts, data that arrives within the timeout is read.
                let writer = go!(move || {
                    sleep(Duration::from_millis(30));
                    (&b).write_all(b"late but in time").unwrap();
                    b
                });
                let mut buf = [0u8; 16];
                (&a).read_exact(&mut buf).unwrap();
                assert_eq!(&buf, b"late but in time");
                let _b = writer.join().unwrap();
                a.set_read_timeout(None).unwrap();
                assert_eq!(a.read_timeout().unwrap(), None);
            });
        },
    );
}

#[test]
fn a_timeout_and_a_deadline_end_a_read_at_the_earlier() {
    in_child(
        "a_timeout_and_a_deadline_end_a_read_at_the_earlier",
        &[],
        Duration::from_secs(30),
        || {
            run(|| {
                let (a, _b) = tcp_pair();
                a.set_read_timeout(Some(Duration::from_secs(3600))).unwrap();
                let deadline = Instant::now() + Duration::from_millis(80);
                a.set_read_deadline(Some(deadline)).unwrap();
                let err = (&a).read(&mut [0u8; 4]).unwrap_err();
                assert_eq!(err.kind(), ErrorKind::TimedOut);
                assert!(Instant::now() >= deadline);
                assert!(Instant::now() < deadline + Duration::from_secs(2));

                a.set_read_deadline(Some(Instant::now() + Duration::from_secs(3600)))
                    .unwrap();
                a.set_read_timeout(Some(Duration::from_millis(80))).unwrap();
                let start = Instant::now();
                let err = (&a).read(&mut [0u8; 4]).unwrap_err();
                assert_eq!(err.kind(), ErrorKind::TimedOut);
                let took = start.elapsed();
                assert!(
                    took >= Duration::from_millis(80) && took < Duration::from_secs(2),
                    "{took:?}"
                );
            });
        },
    );
}

/// Two reads of one stream wait at once with the same 400 ms timeout, started 200 ms apart:
/// each ends at its own time (the second's does not postpone the first's).
#[test]
fn concurrent_reads_each_time_out_at_their_own_time() {
    in_child(
        "concurrent_reads_each_time_out_at_their_own_time",
        &[],
        Duration::from_secs(30),
        || {
            run(|| {
                let (a, _b) = tcp_pair();
                a.set_read_timeout(Some(Duration::from_millis(400)))
                    .unwrap();
                let start = Instant::now();
                let first = {
                    let a = a.clone();
                    go!(move || {
                        let e = (&a).read(&mut [0u8; 4]).unwrap_err();
                        (e.kind(), start.elapsed())
                    })
                };
                sleep(Duration::from_millis(200));
                let second = {
                    let a = a.clone();
                    go!(move || {
                        let e = (&a).read(&mut [0u8; 4]).unwrap_err();
                        (e.kind(), start.elapsed())
                    })
                };
                let (k1, t1) = first.join().unwrap();
                let (k2, t2) = second.join().unwrap();
                assert_eq!((k1, k2), (ErrorKind::TimedOut, ErrorKind::TimedOut));
                assert!(t1 >= Duration::from_millis(400), "{t1:?}");
                assert!(t2 >= Duration::from_millis(600), "{t2:?}");
                // The first ended well before the second's deadline (generous: 100 ms margin).
                assert!(
                    t1 < Duration::from_millis(500) || t1 + Duration::from_millis(100) < t2,
                    "{t1:?} {t2:?}"
                );
            });
        },
    );
}

#[test]
fn zero_timeouts_are_rejected_as_in_std() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let a = TcpStream::connect(addr).unwrap();
    let err = a.set_read_timeout(Some(Duration::ZERO)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = a.set_write_timeout(Some(Duration::ZERO)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = TcpStream::connect_timeout(&addr, Duration::ZERO).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let conn = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    assert_eq!(conn.peer_addr().unwrap(), addr);
}

#[test]
fn a_write_timeout_fires_when_the_peer_does_not_read() {
    in_child(
        "a_write_timeout_fires_when_the_peer_does_not_read",
        &[],
        Duration::from_secs(30),
        || {
            run(|| {
                let (a, _b) = tcp_pair();
                a.set_write_timeout(Some(Duration::from_millis(100)))
                    .unwrap();
                let chunk = vec![0u8; 1 << 20];
                let start = Instant::now();
                let err = loop {
                    if let Err(e) = (&a).write(&chunk) {
                        break e;
                    }
                    assert!(
                        start.elapsed() < Duration::from_secs(10),
                        "writes never blocked"
                    );
                };
                assert_eq!(err.kind(), ErrorKind::TimedOut);
                (&a).flush().unwrap();
            });
        },
    );
}

/// Many reads of one stream wait at once, started at random times: each times out at its own
/// deadline (start + timeout), never before and not long after, whatever the others' deadlines.
#[test]
fn many_concurrent_reads_each_end_at_their_own_deadline() {
    in_child(
        "many_concurrent_reads_each_end_at_their_own_deadline",
        &[],
        Duration::from_secs(60),
        || {
            run(|| {
                let (a, _b) = tcp_pair();
                a.set_read_timeout(Some(Duration::from_millis(300)))
                    .unwrap();
                let mut rng = Rng::new(0x2545_f491_4f6c_dd1d);
                let mut readers = Vec::new();
                for _ in 0..40 {
                    sleep(Duration::from_millis(rng.below(15)));
                    let a = a.clone();
                    readers.push(go!(move || {
                        let start = Instant::now();
                        let e = (&a).read(&mut [0u8; 4]).unwrap_err();
                        (e.kind(), start.elapsed())
                    }));
                }
                for (i, r) in readers.into_iter().enumerate() {
                    let (kind, took) = r.join().unwrap();
                    assert_eq!(kind, ErrorKind::TimedOut, "reader {i}");
                    assert!(took >= Duration::from_millis(300), "reader {i}: {took:?}");
                    assert!(took < Duration::from_millis(1500), "reader {i}: {took:?}");
                }
            });
        },
    );
}
