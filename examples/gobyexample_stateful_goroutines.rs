//! Go by Example: Stateful Goroutines (twin: `go/gobyexample_stateful_goroutines.go`).
use rungo::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

struct ReadOp {
    key: i32,
    resp: Chan<i32>,
}
struct WriteOp {
    key: i32,
    val: i32,
    resp: Chan<bool>,
}

fn main() {
    run(|| {
        let read_ops = Arc::new(AtomicU64::new(0));
        let write_ops = Arc::new(AtomicU64::new(0));

        let reads = chan::<ReadOp>(0);
        let writes = chan::<WriteOp>(0);

        go!([reads, writes] move || {
            let mut state = HashMap::new();
            loop {
                select! {
                    recv(reads) -> read => {
                        let read = read.unwrap();
                        read.resp.send(state.get(&read.key).copied().unwrap_or(0));
                    }
                    recv(writes) -> write => {
                        let write = write.unwrap();
                        state.insert(write.key, write.val);
                        write.resp.send(true);
                    }
                }
            }
        });

        let wg = WaitGroup::new();
        for r in 0..100 {
            let (reads, read_ops) = (reads.clone(), read_ops.clone());
            wg.go(move || {
                for i in 0..100 {
                    let read = ReadOp {
                        key: (r + i) % 5,
                        resp: chan(0),
                    };
                    let resp = read.resp.clone();
                    reads.send(read);
                    resp.recv();
                    read_ops.fetch_add(1, Ordering::Relaxed);
                }
            });
        }

        for w in 0..10 {
            let (writes, write_ops) = (writes.clone(), write_ops.clone());
            wg.go(move || {
                for i in 0..100 {
                    let write = WriteOp {
                        key: (w + i) % 5,
                        val: i,
                        resp: chan(0),
                    };
                    let resp = write.resp.clone();
                    writes.send(write);
                    resp.recv();
                    write_ops.fetch_add(1, Ordering::Relaxed);
                }
            });
        }

        wg.wait();

        let read_ops_final = read_ops.load(Ordering::Relaxed);
        println!("readOps: {read_ops_final}");
        let write_ops_final = write_ops.load(Ordering::Relaxed);
        println!("writeOps: {write_ops_final}");
    })
}
