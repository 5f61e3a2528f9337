//! A Tour of Go: Goroutines (twin: `go/tour_goroutines.go`).
use rungo::prelude::*;
use std::time::Duration;

fn say(s: &str) {
    for _ in 0..5 {
        sleep(Duration::from_millis(10));
        println!("{s}");
    }
}

fn main() {
    run(|| {
        go!(say, "world");
        say("hello");
        sleep(Duration::from_millis(50));
    })
}
