//! Go by Example: Select (twin: `go/gobyexample_select.go`).
use rungo::prelude::*;
use std::time::Duration;

fn main() {
    run(|| {
        let c1 = chan::<&str>(0);
        let c2 = chan::<&str>(0);

        go!([c1] move || {
            sleep(Duration::from_millis(10));
            c1.send("one");
        });
        go!([c2] move || {
            sleep(Duration::from_millis(60));
            c2.send("two");
        });

        for _ in 0..2 {
            select! {
                recv(c1) -> msg1 => println!("received {}", msg1.unwrap()),
                recv(c2) -> msg2 => println!("received {}", msg2.unwrap()),
            }
        }
    })
}
