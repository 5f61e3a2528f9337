//! EOF: a read returns 0 once the peer has closed (by drop or Go's `close`) and every byte it
//! sent before has been read; a read blocked at that moment wakes with 0.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::tcp_pair;
use rungo_runtime::{go, run, sleep};

#[test]
fn data_then_eof_after_the_peer_drops() {
    run(|| {
        let (mut a, b) = tcp_pair();
        (&b).write_all(b"last words").unwrap();
        drop(b);
        let mut got = Vec::new();
        a.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"last words");
        assert_eq!(a.read(&mut [0u8; 4]).unwrap(), 0, "EOF is sticky");
    });
}

#[test]
fn a_blocked_read_wakes_with_eof_when_the_peer_closes() {
    run(|| {
        let (a, b) = tcp_pair();
        let reader = go!(move || (&a).read(&mut [0u8; 16]).unwrap());
        sleep(Duration::from_millis(30));
        assert!(!reader.is_finished());
        b.close();
        assert_eq!(reader.join().unwrap(), 0);
    });
}
