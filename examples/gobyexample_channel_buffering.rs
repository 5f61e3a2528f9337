//! Go by Example: Channel Buffering (twin: `go/gobyexample_channel_buffering.go`).
use rungo::prelude::*;

fn main() {
    run(|| {
        let messages = chan::<&str>(2);

        messages.send("buffered");
        messages.send("channel");

        println!("{}", messages.recv().unwrap());
        println!("{}", messages.recv().unwrap());
    })
}
