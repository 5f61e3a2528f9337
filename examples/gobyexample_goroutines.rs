//! Go by Example: Goroutines (twin: `go/gobyexample_goroutines.go`).
use rungo::prelude::*;
use std::time::Duration;

fn f(from: &str) {
    for i in 0..3 {
        println!("{from} : {i}");
    }
}

fn main() {
    run(|| {
        f("direct");

        go!(f, "goroutine");

        go!(|msg: &str| println!("{msg}"), "going");

        sleep(Duration::from_millis(50));
        println!("done");
    })
}
