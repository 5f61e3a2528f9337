//! Pike, Go Concurrency Patterns: a timeout for each message (`after` in the select), then
//! one timeout for the whole conversation (one `after` outside the loop).
use rungo::prelude::*;
use rungo::time::after;
use std::time::Duration;

// boring says n things quickly, then falls silent.
fn boring(msg: &'static str, n: u32) -> Receiver<String> {
    let c = chan(0);
    let tx = c.sender();
    go!(move || {
        for i in 0..n {
            tx.send(format!("{msg} {i}"));
            sleep(Duration::from_millis(1));
        }
        sleep(Duration::from_secs(3600));
    });
    c.receiver()
}

fn per_message() {
    let c = boring("Joe", 3);
    loop {
        select! {
            recv(c) -> s => println!("{}", s.unwrap()),
            recv(after(Duration::from_millis(100))) => {
                println!("You're too slow.");
                return;
            }
        }
    }
}

fn whole_conversation() {
    let c = boring("Ann", 5);
    let timeout = after(Duration::from_millis(150));
    loop {
        select! {
            recv(c) -> s => println!("{}", s.unwrap()),
            recv(timeout) => {
                println!("You talk too much.");
                return;
            }
        }
    }
}

fn main() {
    rungo::run(|| {
        per_message();
        whole_conversation();
    })
}
