//! The readiness contract (`rungo_runtime::io::Registration`) on Unix socket pairs: waits that
//! park coroutines and plain threads alike, deadlines that apply to waits in progress, close
//! that wakes every waiter, and no event lost between `EAGAIN` and the wait.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rungo_runtime::io::{Interest, Registration};
use rungo_runtime::{go, run, sleep};
use rungo_testkit::Rng;

fn pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (a, b)
}

/// A registered stream: the registration is dropped before the stream (field order).
struct Conn {
    reg: Registration,
    stream: UnixStream,
}

impl Conn {
    fn new(stream: UnixStream) -> Arc<Conn> {
        let reg = Registration::new(stream.as_raw_fd()).unwrap();
        Arc::new(Conn { reg, stream })
    }

    fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.reg.io(Interest::Read, || (&self.stream).read(buf))
    }

    fn write_all(&self, mut buf: &[u8]) -> std::io::Result<()> {
        while !buf.is_empty() {
            let n = self.reg.io(Interest::Write, || (&self.stream).write(buf))?;
            buf = &buf[n..];
        }
        Ok(())
    }

    fn read_exact(&self, mut buf: &mut [u8]) -> std::io::Result<()> {
        while !buf.is_empty() {
            let n = self.read(buf)?;
            assert_ne!(n, 0, "unexpected EOF");
            buf = &mut buf[n..];
        }
        Ok(())
    }
}

#[test]
fn echo_between_coroutines_and_threads_checks_every_byte() {
    let (a, b) = pair();
    let (a, b) = (Conn::new(a), Conn::new(b));
    // An echo server coroutine on `b`; a client on a plain thread and then in a coroutine.
    let server = {
        let b = b.clone();
        go!(move || {
            let mut buf = [0u8; 4096];
            loop {
                let n = b.read(&mut buf).unwrap();
                if n == 0 {
                    return;
                }
                b.write_all(&buf[..n]).unwrap();
            }
        })
    };
    let client = move |a: Arc<Conn>, seed: u64| {
        let mut rng = Rng::new(seed);
        for _ in 0..200 {
            let len = 1 + rng.below(3000) as usize;
            let msg: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            a.write_all(&msg).unwrap();
            let mut back = vec![0u8; len];
            a.read_exact(&mut back).unwrap();
            assert_eq!(back, msg);
        }
    };
    client(a.clone(), 7); // plain thread
    let a2 = a.clone();
    run(move || client(a2, 11)); // coroutine
    a.stream.shutdown(std::net::Shutdown::Write).unwrap();
    server.join().unwrap();
}

#[test]
fn a_large_transfer_waits_for_buffer_space_and_data() {
    let (a, b) = pair();
    let (a, b) = (Conn::new(a), Conn::new(b));
    const LEN: usize = 16 << 20;
    let writer = go!(move || {
        let data: Vec<u8> = (0..LEN).map(|i| (i % 251) as u8).collect();
        a.write_all(&data).unwrap();
    });
    let reader = go!(move || {
        let mut got = vec![0u8; LEN];
        b.read_exact(&mut got).unwrap();
        got.iter().enumerate().all(|(i, &v)| v == (i % 251) as u8)
    });
    writer.join().unwrap();
    assert!(reader.join().unwrap());
}

#[test]
fn a_past_deadline_set_from_another_coroutine_wakes_a_blocked_read() {
    let (a, _b) = pair();
    let a = Conn::new(a);
    let a2 = a.clone();
    // Timed from the spawn, not from the reader's start: an injected coroutine may start a few
    // milliseconds late (with more workers than CPUs, sysmon wakes one for it after 2 ms), and
    // the deadline is set 30 ms after this, whenever the reader began.
    let start = Instant::now();
    let reader = go!(move || {
        let err = a2.read(&mut [0u8; 8]).unwrap_err();
        (err.kind(), start.elapsed())
    });
    run(|| sleep(Duration::from_millis(30)));
    a.reg.set_deadline(
        Interest::Read,
        Some(Instant::now() - Duration::from_secs(1)),
    );
    let (kind, waited) = reader.join().unwrap();
    assert_eq!(kind, ErrorKind::TimedOut);
    assert!(waited >= Duration::from_millis(30));
    // Sticky: the next read fails at once too, and clearing it lets reads wait again.
    assert_eq!(
        a.read(&mut [0u8; 8]).unwrap_err().kind(),
        ErrorKind::TimedOut
    );
    a.reg.set_deadline(Interest::Read, None);
    assert_eq!(a.reg.deadline(Interest::Read), None);
}

#[test]
fn deadlines_fire_near_their_time_and_read_and_write_are_independent() {
    let (a, b) = pair();
    let (a, _b) = (Conn::new(a), Conn::new(b));
    for in_coroutine in [false, true] {
        let a = a.clone();
        let body = move || {
            let start = Instant::now();
            a.reg
                .set_deadline(Interest::Read, Some(start + Duration::from_millis(50)));
            // The write side has no deadline and is writable.
            a.write_all(b"x").unwrap();
            let err = a.read(&mut [0u8; 8]).unwrap_err();
            let waited = start.elapsed();
            a.reg.set_deadline(Interest::Read, None);
            (err.kind(), waited)
        };
        let (kind, waited) = if in_coroutine { run(body) } else { body() };
        assert_eq!(kind, ErrorKind::TimedOut);
        assert!(waited >= Duration::from_millis(50), "{waited:?}");
        assert!(waited < Duration::from_secs(2), "{waited:?}");
    }
}

#[test]
fn close_wakes_blocked_readers_and_writers_and_later_calls_fail() {
    let (a, _b) = pair();
    let a = Conn::new(a);
    // Fill the send buffer so that a writer blocks.
    let chunk = vec![0u8; 65536];
    while (&a.stream).write(&chunk).is_ok() {}
    let (r, w) = (a.clone(), a.clone());
    let reader = go!(move || r.read(&mut [0u8; 8]).unwrap_err().kind());
    let writer = go!(move || w.write_all(&chunk).unwrap_err().kind());
    let thread_reader = {
        let t = a.clone();
        std::thread::spawn(move || t.read(&mut [0u8; 8]).unwrap_err().kind())
    };
    run(|| sleep(Duration::from_millis(30)));
    a.reg.close();
    assert_eq!(reader.join().unwrap(), ErrorKind::NotConnected);
    assert_eq!(writer.join().unwrap(), ErrorKind::NotConnected);
    assert_eq!(thread_reader.join().unwrap(), ErrorKind::NotConnected);
    assert_eq!(
        a.read(&mut [0u8; 1]).unwrap_err().kind(),
        ErrorKind::NotConnected
    );
}

/// Close races blocked reads and writes at random moments, many rounds: every waiter wakes
/// (the test would hang otherwise: the child-process guard is the test's own timeout in CI).
#[test]
fn close_racing_blocked_operations_always_wakes_them() {
    run(|| {
        let mut rng = Rng::new(0x5eed);
        for _ in 0..300 {
            let (a, b) = pair();
            let (a, b) = (Conn::new(a), Conn::new(b));
            let r = a.clone();
            let reader = go!(move || r.read(&mut [0u8; 8]).map(|_| ()));
            let w = b.clone();
            let delay = rng.below(200);
            let writer = go!(move || {
                for _ in 0..delay {
                    rungo_runtime::yield_now();
                }
                w.write_all(b"hi").map(|_| ())
            });
            for _ in 0..rng.below(200) {
                rungo_runtime::yield_now();
            }
            a.reg.close();
            // Either the read got the bytes first or it saw the close: never a hang.
            let _ = reader.join().unwrap();
            let _ = writer.join().unwrap();
        }
    });
}
