//! Go by Example: Atomic Counters (twin: `go/gobyexample_atomic_counters.go`).
use rungo::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

fn main() {
    run(|| {
        let ops = Arc::new(AtomicU64::new(0));

        let wg = WaitGroup::new();

        for _ in 0..50 {
            let ops = ops.clone();
            wg.go(move || {
                for _ in 0..1000 {
                    ops.fetch_add(1, Ordering::Relaxed);
                }
            });
        }

        wg.wait();

        println!("ops: {}", ops.load(Ordering::Relaxed));
    })
}
