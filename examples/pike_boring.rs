//! Pike, Go Concurrency Patterns: the generator (a function that returns a channel) and
//! generators as services, received in lockstep.
use rungo::prelude::*;
use std::time::Duration;

fn boring(msg: &'static str) -> Receiver<String> {
    // Returns receive-only channel of strings.
    let c = chan(0);
    let tx = c.sender();
    go!(move || {
        // We launch the goroutine from inside the function.
        for i in 0.. {
            tx.send(format!("{msg} {i}"));
            sleep(Duration::from_millis(i));
        }
    });
    c.receiver() // Return the channel to the caller.
}

fn main() {
    rungo::run(|| {
        let c = boring("boring!"); // Function returning a channel.
        for _ in 0..5 {
            println!("You say: {:?}", c.recv().unwrap());
        }
        println!("You're boring; I'm leaving.");

        let joe = boring("Joe");
        let ann = boring("Ann");
        for _ in 0..3 {
            println!("{}", joe.recv().unwrap());
            println!("{}", ann.recv().unwrap());
        }
        println!("You're both boring; I'm leaving.");
    })
}
