//! Go by Example: Channels (twin: `go/gobyexample_channels.go`).
use rungo::prelude::*;

fn main() {
    run(|| {
        let messages = chan::<&str>(0);

        go!([messages] move || messages.send("ping"));

        let msg = messages.recv().unwrap();
        println!("{msg}");
    })
}
