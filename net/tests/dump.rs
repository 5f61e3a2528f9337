//! The goroutine dump names a coroutine blocked on a socket as "IO wait", at the line of the
//! user's call (rungo-net passes `#[track_caller]` through to the runtime's wait).

use std::io::Read;
use std::time::Duration;

use rungo_net::{TcpListener, TcpStream};
use rungo_runtime::{dump, go, run, sleep};

#[test]
fn a_blocked_read_and_accept_show_as_io_wait_at_the_callers_line() {
    let text = run(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let conn = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (_peer, _) = listener.accept().unwrap();
        let reader = conn.clone();
        let read_line = line!() + 1;
        let blocked = go!(move || (&reader).read(&mut [0u8; 8]));
        let accept_line = line!() + 1;
        let acceptor = go!(move || listener.accept().map(|_| ()));
        sleep(Duration::from_millis(100));
        let text = dump();
        conn.close();
        assert!(blocked.join().unwrap().is_err());
        drop(acceptor);
        (text, read_line, accept_line)
    });
    let (text, read_line, accept_line) = text;
    assert!(text.contains("[IO wait"), "{text}");
    // "waiting at <file>:<line>:<col>" lines (the spawn site is on a "created at" line).
    let waits: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("waiting at "))
        .collect();
    for line in [read_line, accept_line] {
        let site = format!("tests/dump.rs:{line}:");
        assert!(
            waits.iter().any(|w| w.contains(&site)),
            "no wait site at {site}:\n{text}"
        );
    }
}
