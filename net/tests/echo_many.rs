//! An echo server with a coroutine per connection serves 2,000 connections open at once, and
//! every byte comes back as sent.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::{pattern, raise_nofile};
use rungo_net::{TcpListener, TcpStream};
use rungo_runtime::{go, run};
use rungo_testkit::child::in_child;

const CONNS: usize = 2_000;

#[test]
fn two_thousand_concurrent_connections_echo_every_byte() {
    in_child(
        "two_thousand_concurrent_connections_echo_every_byte",
        &[],
        Duration::from_secs(120),
        || {
            // Client and server ends of every connection are open at once, plus slack.
            let limit = raise_nofile(2 * CONNS as u64 + 256);
            assert!(
                limit >= 2 * CONNS as u64 + 64,
                "RLIMIT_NOFILE too low: {limit}"
            );
            run(|| {
                let listener = TcpListener::bind("127.0.0.1:0").unwrap();
                let addr = listener.local_addr().unwrap();
                let server = go!(move || {
                    for _ in 0..CONNS {
                        let (conn, _) = listener.accept().unwrap();
                        go!(move || {
                            let mut buf = [0u8; 4096];
                            loop {
                                let n = (&conn).read(&mut buf).unwrap();
                                if n == 0 {
                                    return;
                                }
                                (&conn).write_all(&buf[..n]).unwrap();
                            }
                        });
                    }
                });
                // Every client connects and echoes a first message, then waits at the barrier
                // until all have: all 2,000 connections are open at once before any goes on.
                let go_on = rungo_sync_barrier(CONNS);
                let clients: Vec<_> = (0..CONNS as u64)
                    .map(|id| {
                        let go_on = go_on.clone();
                        go!(move || {
                            let mut conn = TcpStream::connect(addr).unwrap();
                            let mut offset = 0u64;
                            let mut round = |conn: &mut TcpStream, len: usize| {
                                let msg: Vec<u8> = (offset..offset + len as u64)
                                    .map(|i| pattern(id, i))
                                    .collect();
                                conn.write_all(&msg).unwrap();
                                let mut back = vec![0u8; len];
                                conn.read_exact(&mut back).unwrap();
                                assert_eq!(back, msg, "connection {id} at offset {offset}");
                                offset += len as u64;
                            };
                            round(&mut conn, 100 + (id as usize % 900));
                            go_on.wait();
                            for r in 0..4 {
                                round(&mut conn, 1 + (id as usize * 7 + r * 331) % 3000);
                            }
                            offset
                        })
                    })
                    .collect();
                let total: u64 = clients.into_iter().map(|h| h.join().unwrap()).sum();
                server.join().unwrap();
                assert!(total > CONNS as u64 * 100);
            });
        },
    );
}

/// A barrier for coroutines built on the runtime's park/unpark (the test does not depend on
/// rungo-sync).
fn rungo_sync_barrier(n: usize) -> std::sync::Arc<Barrier> {
    std::sync::Arc::new(Barrier {
        state: std::sync::Mutex::new((n, Vec::new())),
    })
}

struct Barrier {
    state: std::sync::Mutex<(usize, Vec<rungo_runtime::Unparker>)>,
}

impl Barrier {
    fn wait(&self) {
        let me = rungo_runtime::Unparker::current();
        {
            let mut s = self.state.lock().unwrap();
            s.0 -= 1;
            if s.0 == 0 {
                for w in s.1.drain(..) {
                    w.unpark();
                }
                return;
            }
            s.1.push(me);
        }
        loop {
            rungo_runtime::park();
            if self.state.lock().unwrap().0 == 0 {
                return;
            }
        }
    }
}
