//! Go by Example: Timeouts (twin: `go/gobyexample_timeouts.go`).
use rungo::prelude::*;
use rungo::time::after;
use std::time::Duration;

fn main() {
    run(|| {
        let c1 = chan::<&str>(1);
        go!([c1] move || {
            sleep(Duration::from_millis(60));
            c1.send("result 1");
        });

        select! {
            recv(c1) -> res => println!("{}", res.unwrap()),
            recv(after(Duration::from_millis(10))) => println!("timeout 1"),
        }

        let c2 = chan::<&str>(1);
        go!([c2] move || {
            sleep(Duration::from_millis(10));
            c2.send("result 2");
        });
        select! {
            recv(c2) -> res => println!("{}", res.unwrap()),
            recv(after(Duration::from_millis(100))) => println!("timeout 2"),
        }
    })
}
