//! Pike, Go Concurrency Patterns: restoring sequencing. Each message carries a wait channel;
//! a speaker blocks on it until main lets both speak again, so they take turns.
use rungo::prelude::*;
use std::time::Duration;

struct Message {
    str: String,
    wait: Chan<bool>,
}

fn boring(msg: &'static str) -> Receiver<Message> {
    let c = chan(0);
    let wait_for_it = chan(0); // Shared between all messages.
    let tx = c.sender();
    go!(move || {
        for i in 0.. {
            tx.send(Message {
                str: format!("{msg}: {i}"),
                wait: wait_for_it.clone(),
            });
            sleep(Duration::from_millis(i % 2));
            wait_for_it.recv();
        }
    });
    c.receiver()
}

fn fan_in(input1: Receiver<Message>, input2: Receiver<Message>) -> Receiver<Message> {
    let c = chan(0);
    let (tx1, tx2) = (c.sender(), c.sender());
    go!(move || loop {
        tx1.send(input1.recv().unwrap());
    });
    go!(move || loop {
        tx2.send(input2.recv().unwrap());
    });
    c.receiver()
}

fn main() {
    rungo::run(|| {
        let c = fan_in(boring("Joe"), boring("Ann"));
        for _ in 0..5 {
            let msg1 = c.recv().unwrap();
            let msg2 = c.recv().unwrap();
            let mut turn = [&msg1.str, &msg2.str]; // who spoke first in a turn varies
            turn.sort();
            println!("{} | {}", turn[0], turn[1]);
            msg1.wait.send(true);
            msg2.wait.send(true);
        }
        println!("You're both boring; I'm leaving.");
    })
}
