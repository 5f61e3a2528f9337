//! One coroutine reads a stream while another writes it (through a clone, and through
//! `&TcpStream` in an `Arc`): reads and writes wait separately, so neither blocks the other.

mod common;

use std::io::{Read, Write};
use std::sync::Arc;

use common::tcp_pair;
use rungo_net::TcpStream;
use rungo_runtime::{go, run};

const TOTAL: usize = 8 << 20;

/// Both ends write 8 MiB before reading anything back would deadlock if one end's write
/// blocked its read; here each end has a writer and a reader coroutine.
#[test]
fn reader_and_writer_coroutines_share_a_stream() {
    run(|| {
        let (a, b) = tcp_pair();
        let (a, b) = (Arc::new(a), b);
        let b2 = b.try_clone().unwrap();
        let mut handles = Vec::new();
        // `a` shared through an Arc, used as `&TcpStream`.
        let w = a.clone();
        handles.push(go!(move || {
            let chunk = vec![1u8; 64 << 10];
            for _ in 0..TOTAL / chunk.len() {
                (&*w).write_all(&chunk).unwrap();
            }
        }));
        // `b` and its clone: one writes, the other reads.
        handles.push(go!(move || {
            let chunk = vec![2u8; 64 << 10];
            for _ in 0..TOTAL / chunk.len() {
                (&b).write_all(&chunk).unwrap();
            }
        }));
        let read_all = |r: &TcpStream, want: u8| {
            let mut buf = vec![0u8; 50_000];
            let mut got = 0;
            while got < TOTAL {
                let n = { r }.read(&mut buf).unwrap();
                assert_ne!(n, 0, "early EOF");
                assert!(buf[..n].iter().all(|&x| x == want));
                got += n;
            }
        };
        let reader_b = go!(move || read_all(&b2, 1));
        // The main coroutine reads on `a` while another coroutine writes on it.
        let mut buf = vec![0u8; 50_000];
        let mut got = 0;
        while got < TOTAL {
            let n = (&*a).read(&mut buf).unwrap();
            assert_ne!(n, 0, "early EOF");
            assert!(buf[..n].iter().all(|&x| x == 2));
            got += n;
        }
        reader_b.join().unwrap();
        for h in handles {
            h.join().unwrap();
        }
    });
}
