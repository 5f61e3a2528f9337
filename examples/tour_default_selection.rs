//! A Tour of Go: Default Selection (twin: `go/tour_default_selection.go`).
use rungo::prelude::*;
use rungo::time::{after, tick};
use std::time::Duration;

fn main() {
    run(|| {
        let tick = tick(Duration::from_millis(10));
        let boom = after(Duration::from_millis(50));
        loop {
            select! {
                recv(tick) => println!("tick."),
                recv(boom) => {
                    println!("BOOM!");
                    return;
                }
                default => {
                    println!("    .");
                    sleep(Duration::from_millis(5));
                }
            }
        }
    })
}
