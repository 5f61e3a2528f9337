//! Go by Example: Timers (twin: `go/gobyexample_timers.go`).
use rungo::prelude::*;
use rungo::time::Timer;
use std::time::Duration;

fn main() {
    run(|| {
        let timer1 = Timer::new(Duration::from_millis(20));

        timer1.c.recv();
        println!("Timer 1 fired");

        let timer2 = Timer::new(Duration::from_millis(10));
        go!([c = timer2.c.clone()] move || {
            c.recv();
            println!("Timer 2 fired");
        });
        let stop2 = timer2.stop();
        if stop2 {
            println!("Timer 2 stopped");
        }

        sleep(Duration::from_millis(20));
    })
}
