//! Go by Example: Channels (twin: `go/gobyexample_channels.go`).
use rungo::prelude::*;

fn main() {
    run(|| {
        let messages = chan::<&str>(0);

        let tx = messages.clone();
        go!(move || tx.send("ping"));

        let msg = messages.recv().unwrap();
        println!("{msg}");
    })
}
