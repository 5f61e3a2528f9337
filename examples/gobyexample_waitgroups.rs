//! Go by Example: WaitGroups (twin: `go/gobyexample_waitgroups.go`).
use rungo::prelude::*;
use std::time::Duration;

fn worker(id: i32) {
    println!("Worker {id} starting");

    sleep(Duration::from_millis(10));
    println!("Worker {id} done");
}

fn main() {
    run(|| {
        let wg = WaitGroup::new();

        for i in 1..=5 {
            wg.go(move || worker(i));
        }

        wg.wait();
    })
}
