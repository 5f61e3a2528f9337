//! Pike, Go Concurrency Patterns: a quit channel, and a round trip on it so the speaker can
//! clean up before main goes.
use rungo::prelude::*;

fn boring(msg: &'static str, quit: Chan<&'static str>) -> Receiver<String> {
    let c = chan(0);
    let tx = c.sender();
    go!(move || {
        for i in 0.. {
            select! {
                send(tx, format!("{msg} {i}")) => {} // do nothing
                recv(quit) => {
                    cleanup(msg);
                    quit.send("See you!");
                    return;
                }
            }
        }
    });
    c.receiver()
}

fn cleanup(msg: &str) {
    println!("{msg} is cleaning up");
}

fn main() {
    rungo::run(|| {
        let quit = chan(0);
        let c = boring("Joe", quit.clone());
        for _ in (0..=4).rev() {
            println!("{}", c.recv().unwrap());
        }
        quit.send("Bye!");
        println!("Joe says: {:?}", quit.recv().unwrap());
    })
}
