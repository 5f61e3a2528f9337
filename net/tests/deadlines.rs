//! Go's deadlines: absolute and sticky, applied to operations already waiting. A past deadline
//! fails at once; a future one fires near its time (generous bounds: a loaded 2-core machine);
//! one moved while a read is blocked takes effect then; a cleared one lets the read wait for
//! data; read and write deadlines are independent; an accept deadline works the same.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use common::tcp_pair;
use rungo_net::{TcpListener, TcpStream};
use rungo_runtime::{go, run, sleep};
use rungo_testkit::child::in_child;

fn assert_timeout(r: std::io::Result<usize>) {
    let err = r.expect_err("expected a timeout");
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_eq!(err.to_string(), "i/o timeout");
}

#[test]
fn a_past_deadline_fails_at_once_and_sticks() {
    run(|| {
        let (a, b) = tcp_pair();
        (&b).write_all(b"data waiting").unwrap();
        a.set_read_deadline(Some(Instant::now() - Duration::from_secs(1)))
            .unwrap();
        // Even with data ready, a passed deadline fails the read (Go's behaviour).
        assert_timeout((&a).read(&mut [0u8; 4]));
        assert_timeout((&a).read(&mut [0u8; 4]));
        a.set_read_deadline(None).unwrap();
        let mut buf = [0u8; 12];
        (&a).read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"data waiting");
    });
}

#[test]
fn a_future_deadline_fires_near_its_time() {
    in_child(
        "a_future_deadline_fires_near_its_time",
        &[],
        Duration::from_secs(30),
        || {
            run(|| {
                let (a, _b) = tcp_pair();
                for ms in [20u64, 100, 300] {
                    let start = Instant::now();
                    let deadline = start + Duration::from_millis(ms);
                    a.set_read_deadline(Some(deadline)).unwrap();
                    assert_timeout((&a).read(&mut [0u8; 4]));
                    let late = Instant::now().saturating_duration_since(deadline);
                    assert!(Instant::now() >= deadline, "woke before the deadline");
                    assert!(
                        late < Duration::from_millis(500),
                        "{ms} ms deadline fired {late:?} late"
                    );
                }
            });
        },
    );
}

#[test]
fn a_deadline_moved_while_blocked_takes_effect() {
    in_child(
        "a_deadline_moved_while_blocked_takes_effect",
        &[],
        Duration::from_secs(30),
        || {
            run(|| {
                let (a, _b) = tcp_pair();
                // Far deadline, then moved into the past from another coroutine: wakes at once.
                a.set_read_deadline(Some(Instant::now() + Duration::from_secs(3600)))
                    .unwrap();
                let reader = a.try_clone().unwrap();
                let blocked = go!(move || {
                    let start = Instant::now();
                    let r = (&reader).read(&mut [0u8; 4]);
                    (r, start.elapsed())
                });
                sleep(Duration::from_millis(50));
                assert!(!blocked.is_finished(), "the far deadline fired");
                a.set_read_deadline(Some(Instant::now())).unwrap();
                let (r, took) = blocked.join().unwrap();
                assert_timeout(r);
                assert!(took < Duration::from_secs(10), "{took:?}");

                // Short deadline, extended while blocked: the read waits for the new one.
                let start = Instant::now();
                a.set_read_deadline(Some(start + Duration::from_millis(50)))
                    .unwrap();
                let reader = a.try_clone().unwrap();
                let blocked = go!(move || (&reader).read(&mut [0u8; 4]));
                sleep(Duration::from_millis(10));
                a.set_read_deadline(Some(start + Duration::from_millis(400)))
                    .unwrap();
                assert_timeout(blocked.join().unwrap());
                assert!(
                    start.elapsed() >= Duration::from_millis(400),
                    "{:?}",
                    start.elapsed()
                );
            });
        },
    );
}

#[test]
fn a_deadline_cleared_while_blocked_lets_the_read_wait_for_data() {
    in_child(
        "a_deadline_cleared_while_blocked_lets_the_read_wait_for_data",
        &[],
        Duration::from_secs(30),
        || {
            run(|| {
                let (a, b) = tcp_pair();
                a.set_read_deadline(Some(Instant::now() + Duration::from_millis(100)))
                    .unwrap();
                let reader = a.try_clone().unwrap();
                let blocked = go!(move || {
                    let mut buf = [0u8; 5];
                    (&reader).read_exact(&mut buf).map(|()| buf)
                });
                sleep(Duration::from_millis(20));
                a.set_read_deadline(None).unwrap();
                sleep(Duration::from_millis(300)); // well past the cleared deadline
                assert!(!blocked.is_finished(), "the cleared deadline fired");
                (&b).write_all(b"hello").unwrap();
                assert_eq!(&blocked.join().unwrap().unwrap(), b"hello");
            });
        },
    );
}

#[test]
fn read_and_write_deadlines_are_independent() {
    run(|| {
        let (a, b) = tcp_pair();
        a.set_read_deadline(Some(Instant::now() - Duration::from_secs(1)))
            .unwrap();
        assert_timeout((&a).read(&mut [0u8; 4]));
        (&a).write_all(b"writes still work").unwrap();
        let mut buf = [0u8; 17];
        (&b).read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"writes still work");

        // A passed write deadline fails writes, not reads.
        a.set_read_deadline(None).unwrap();
        a.set_write_deadline(Some(Instant::now() - Duration::from_secs(1)))
            .unwrap();
        let err = (&a).write(b"x").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut);
        (&b).write_all(b"ok").unwrap();
        let mut buf = [0u8; 2];
        (&a).read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"ok");
        // set_deadline sets both.
        a.set_deadline(Some(Instant::now() - Duration::from_secs(1)))
            .unwrap();
        assert_timeout((&a).read(&mut [0u8; 4]));
        assert_timeout((&a).write(b"x"));
        assert_eq!(a.read_deadline(), a.write_deadline());
    });
}

#[test]
fn a_blocked_write_times_out_at_its_deadline() {
    in_child(
        "a_blocked_write_times_out_at_its_deadline",
        &[],
        Duration::from_secs(30),
        || {
            run(|| {
                let (a, _b) = tcp_pair();
                // Nobody reads `_b`: the send buffer fills and the write blocks until the deadline.
                let deadline = Instant::now() + Duration::from_millis(200);
                a.set_write_deadline(Some(deadline)).unwrap();
                let chunk = vec![0u8; 1 << 20];
                let err = loop {
                    if let Err(e) = (&a).write_all(&chunk) {
                        break e;
                    }
                    assert!(Instant::now() < deadline + Duration::from_secs(5));
                };
                assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
                assert!(Instant::now() >= deadline);
            });
        },
    );
}

#[test]
fn an_accept_deadline_times_out_and_can_be_cleared() {
    in_child(
        "an_accept_deadline_times_out_and_can_be_cleared",
        &[],
        Duration::from_secs(30),
        || {
            run(|| {
                let listener = TcpListener::bind("127.0.0.1:0").unwrap();
                let deadline = Instant::now() + Duration::from_millis(50);
                listener.set_deadline(Some(deadline)).unwrap();
                let err = listener.accept().unwrap_err();
                assert_eq!(err.kind(), ErrorKind::TimedOut);
                assert!(Instant::now() >= deadline);
                listener.set_deadline(None).unwrap();
                let addr = listener.local_addr().unwrap();
                let client = go!(move || TcpStream::connect(addr).unwrap());
                listener.accept().unwrap();
                client.join().unwrap();
            });
        },
    );
}
