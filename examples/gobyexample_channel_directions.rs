//! Go by Example: Channel Directions (twin: `go/gobyexample_channel_directions.go`).
use rungo::prelude::*;

fn ping(pings: Sender<String>, msg: &str) {
    pings.send(msg.to_string());
}

fn pong(pings: Receiver<String>, pongs: Sender<String>) {
    let msg = pings.recv().unwrap();
    pongs.send(msg);
}

fn main() {
    run(|| {
        let pings = chan::<String>(1);
        let pongs = chan::<String>(1);
        ping(pings.sender(), "passed message");
        pong(pings.receiver(), pongs.sender());
        println!("{}", pongs.recv().unwrap());
    })
}
