//! FIFO order (Go's test/chan/fifo.go): a buffered channel is a queue, and values from one
//! sender arrive in the order sent even with many senders; a chain of unbuffered hops keeps
//! order too.
mod common;
use common::*;
use rungo_channels::chan;

#[test]
fn async_fifo() {
    const N: u32 = 10;
    let ch = chan::<u32>(N as usize);
    for i in 0..N {
        ch.send(i);
    }
    for i in 0..N {
        assert_eq!(ch.recv(), Some(i));
    }
}

#[test]
fn sync_fifo_chain() {
    // Go's SynchFifo: each task waits for its turn on `inp`, then sends its value on `out`.
    const N: usize = 50;
    let ch = chan::<usize>(0);
    let mut inp = chan::<()>(0);
    let start = inp.clone();
    let mut tasks = Vec::new();
    for i in 0..N {
        let out = chan::<()>(0);
        let (c, my_in, my_out) = (ch.clone(), inp.clone(), out.clone());
        tasks.push(spawn_mixed(i, move || {
            my_in.recv();
            c.send(i);
            my_out.send(());
        }));
        inp = out;
    }
    start.send(());
    for i in 0..N {
        assert_eq!(ch.recv(), Some(i));
        if i == N - 1 {
            inp.recv();
        }
    }
    for t in tasks {
        t.join();
    }
}

#[test]
fn per_sender_order_with_many_senders() {
    for cap in [0usize, 1, 7] {
        const SENDERS: usize = 6;
        const PER: u64 = 2000;
        let ch = chan::<(usize, u64)>(cap);
        let tasks: Vec<_> = (0..SENDERS)
            .map(|s| {
                let c = ch.clone();
                spawn_mixed(s, move || {
                    for i in 0..PER {
                        c.send((s, i));
                    }
                })
            })
            .collect();
        let mut next = [0u64; SENDERS];
        for _ in 0..SENDERS as u64 * PER {
            let (s, i) = ch.recv().unwrap();
            assert_eq!(i, next[s], "sender {s} out of order (cap {cap})");
            next[s] += 1;
        }
        for t in tasks {
            t.join();
        }
    }
}
