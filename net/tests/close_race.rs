//! Go's `Close` racing a blocked read and a blocked write of the same connection, many rounds
//! with random delays, closing from a coroutine or a plain thread: every waiter wakes, and
//! every later operation fails with "use of closed network connection".

use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use rungo_net::{TcpListener, TcpStream};
use rungo_runtime::{go, run, sleep};
use rungo_testkit::Rng;
use rungo_testkit::child::in_child;

const ROUNDS: u64 = 400;

/// What an operation racing `close` may legitimately return: the closed error, or the effect of
/// the shutdown that `close` does (EOF for a read, a broken pipe for a write).
fn acceptable(r: &std::io::Result<usize>, is_read: bool) -> bool {
    match r {
        Err(e) if e.kind() == ErrorKind::NotConnected => {
            e.to_string() == "use of closed network connection"
        }
        Err(e) => {
            !is_read && matches!(e.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset)
        }
        Ok(0) => is_read,
        Ok(_) => false,
    }
}

#[test]
fn close_wakes_a_blocked_reader_and_writer_every_round() {
    in_child(
        "close_wakes_a_blocked_reader_and_writer_every_round",
        &[],
        Duration::from_secs(120),
        || {
            run(|| {
                let listener = TcpListener::bind("127.0.0.1:0").unwrap();
                let addr = listener.local_addr().unwrap();
                let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
                let start = Instant::now();
                for round in 0..ROUNDS {
                    let conn = TcpStream::connect(addr).unwrap();
                    let (_peer, _) = listener.accept().unwrap(); // never reads nor writes
                    let reader = {
                        let c = conn.try_clone().unwrap();
                        go!(move || (&c).read(&mut [0u8; 64]))
                    };
                    let writer = {
                        let c = conn.try_clone().unwrap();
                        go!(move || -> std::io::Result<usize> {
                            // Writes until the send buffer is full and a write blocks.
                            let chunk = vec![0u8; 256 << 10];
                            loop {
                                (&c).write_all(&chunk)?;
                            }
                        })
                    };
                    let delay = Duration::from_micros(rng.below(3000));
                    if round % 3 == 0 {
                        // Close from a plain thread, while this coroutine parks on joins.
                        let c = conn.clone();
                        std::thread::spawn(move || {
                            std::thread::sleep(delay);
                            c.close();
                        });
                    } else {
                        sleep(delay);
                        conn.close();
                    }
                    let r = reader.join().unwrap();
                    assert!(acceptable(&r, true), "round {round}: read gave {r:?}");
                    let w: std::io::Result<usize> = writer.join().unwrap();
                    assert!(acceptable(&w, false), "round {round}: write gave {w:?}");
                    // After close, every operation fails with the closed error.
                    let e = (&conn).read(&mut [0u8; 1]).unwrap_err();
                    assert_eq!(e.to_string(), "use of closed network connection");
                    let e = (&conn).write(b"x").unwrap_err();
                    assert_eq!(e.to_string(), "use of closed network connection");
                    let e = conn.set_deadline(None).unwrap_err();
                    assert_eq!(e.kind(), ErrorKind::NotConnected);
                }
                eprintln!("{ROUNDS} rounds in {:?}", start.elapsed());
            });
        },
    );
}
