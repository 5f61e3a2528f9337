//! Go by Example: Range over Channels (twin: `go/gobyexample_range_over_channels.go`).
use rungo::prelude::*;

fn main() {
    run(|| {
        let queue = chan::<&str>(2);
        queue.send("one");
        queue.send("two");
        queue.close();

        for elem in &queue {
            println!("{elem}");
        }
    })
}
