//! A Tour of Go: Buffered Channels (twin: `go/tour_buffered_channels.go`).
use rungo::prelude::*;

fn main() {
    run(|| {
        let ch = chan::<i32>(2);
        ch.send(1);
        ch.send(2);
        println!("{}", ch.recv().unwrap());
        println!("{}", ch.recv().unwrap());
    })
}
