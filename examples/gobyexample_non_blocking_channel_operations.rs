//! Go by Example: Non-Blocking Channel Operations
//! (twin: `go/gobyexample_non_blocking_channel_operations.go`).
use rungo::prelude::*;

fn main() {
    run(|| {
        let messages = chan::<&str>(0);
        let signals = chan::<bool>(0);

        select! {
            recv(messages) -> msg => println!("received message {}", msg.unwrap()),
            default => println!("no message received"),
        }

        let msg = "hi";
        select! {
            send(messages, msg) => println!("sent message {msg}"),
            default => println!("no message sent"),
        }

        select! {
            recv(messages) -> msg => println!("received message {}", msg.unwrap()),
            recv(signals) -> sig => println!("received signal {}", sig.unwrap()),
            default => println!("no activity"),
        }
    })
}
