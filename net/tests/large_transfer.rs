//! 64 MiB each way over one connection at once: the client writes while a clone of its stream
//! reads the echo back, and every byte is checked.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::pattern;
use rungo_net::{Shutdown, TcpListener, TcpStream};
use rungo_runtime::{go, run};
use rungo_testkit::child::in_child;

const TOTAL: u64 = 64 << 20;

#[test]
fn sixty_four_mib_each_way_every_byte_checked() {
    in_child(
        "sixty_four_mib_each_way_every_byte_checked",
        &[],
        Duration::from_secs(240),
        || {
            run(|| {
                let listener = TcpListener::bind("127.0.0.1:0").unwrap();
                let addr = listener.local_addr().unwrap();
                // The server echoes with std::io::copy over `&TcpStream`, then half-closes.
                let server = go!(move || {
                    let (conn, _) = listener.accept().unwrap();
                    let n = std::io::copy(&mut &conn, &mut &conn).unwrap();
                    conn.shutdown(Shutdown::Write).unwrap();
                    n
                });
                let conn = TcpStream::connect(addr).unwrap();
                let reader = conn.try_clone().unwrap();
                let writer = go!(move || {
                    let mut chunk = vec![0u8; 256 << 10];
                    let mut off = 0u64;
                    while off < TOTAL {
                        for (i, b) in chunk.iter_mut().enumerate() {
                            *b = pattern(1, off + i as u64);
                        }
                        (&conn).write_all(&chunk).unwrap();
                        off += chunk.len() as u64;
                    }
                    conn.shutdown(Shutdown::Write).unwrap();
                });
                let mut buf = vec![0u8; 100_003];
                let mut off = 0u64;
                loop {
                    let n = (&reader).read(&mut buf).unwrap();
                    if n == 0 {
                        break;
                    }
                    for (i, &b) in buf[..n].iter().enumerate() {
                        assert_eq!(b, pattern(1, off + i as u64), "byte {}", off + i as u64);
                    }
                    off += n as u64;
                }
                writer.join().unwrap();
                assert_eq!(off, TOTAL);
                assert_eq!(server.join().unwrap(), TOTAL);
            });
        },
    );
}
