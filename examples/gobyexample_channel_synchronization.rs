//! Go by Example: Channel Synchronization (twin: `go/gobyexample_channel_synchronization.go`).
use rungo::prelude::*;
use std::time::Duration;

fn worker(done: Chan<bool>) {
    print!("working...");
    sleep(Duration::from_millis(10));
    println!("done");

    done.send(true);
}

fn main() {
    run(|| {
        let done = chan::<bool>(1);
        go!(worker, done.clone());

        done.recv();
    })
}
