//! Go by Example: Tickers (twin: `go/gobyexample_tickers.go`).
use rungo::prelude::*;
use rungo::time::Ticker;
use std::time::Duration;

fn main() {
    run(|| {
        let ticker = Ticker::new(Duration::from_millis(10));
        let done = chan::<bool>(0);

        go!([done, c = ticker.c.clone()] move || {
            loop {
                select! {
                    recv(done) => return,
                    recv(c) => println!("Tick"),
                }
            }
        });

        sleep(Duration::from_millis(35));
        ticker.stop();
        done.send(true);
        println!("Ticker stopped");
    })
}
