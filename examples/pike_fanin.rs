//! Pike, Go Concurrency Patterns: fan-in with select. Joe and Ann say five things each at their
//! own pace; whoever is ready talks. Arrival order varies, so main sorts what it heard.
use rungo::prelude::*;
use std::time::Duration;

fn boring(msg: &'static str, pace: Duration) -> Receiver<String> {
    let c = chan(0);
    let tx = c.sender();
    go!(move || {
        for i in 0..5 {
            tx.send(format!("{msg} {i}"));
            sleep(pace);
        }
    });
    c.receiver()
}

fn fan_in(input1: Receiver<String>, input2: Receiver<String>) -> Receiver<String> {
    let c = chan(0);
    let tx = c.sender();
    go!(move || {
        loop {
            select! {
                recv(input1) -> s => tx.send(s.unwrap()),
                recv(input2) -> s => tx.send(s.unwrap()),
            }
        }
    });
    c.receiver()
}

fn main() {
    rungo::run(|| {
        let ms = Duration::from_millis(1);
        let c = fan_in(boring("Joe", ms), boring("Ann", 2 * ms));
        let mut heard = vec![];
        for _ in 0..10 {
            heard.push(c.recv().unwrap());
        }
        heard.sort();
        for s in &heard {
            println!("{s}");
        }
        println!("You're both boring; I'm leaving.");
    })
}
