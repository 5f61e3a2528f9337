//! Go by Example: Rate Limiting (twin: `go/gobyexample_rate_limiting.go`).
use rungo::prelude::*;
use rungo::time::tick;
use std::time::{Duration, Instant};

const PERIOD: Duration = Duration::from_millis(20);

fn main() {
    run(|| {
        let requests = chan::<u32>(5);
        for i in 1..=5 {
            requests.send(i);
        }
        requests.close();

        let start = Instant::now();
        let limiter = tick(PERIOD);

        for req in &requests {
            limiter.recv();
            let waited = start.elapsed() >= PERIOD * req;
            println!("request {req} after {req} ticks: {waited}");
        }

        let bursty_limiter = chan::<Instant>(3);

        for _ in 0..3 {
            bursty_limiter.send(Instant::now());
        }

        let start = Instant::now();
        go!([bursty_limiter] move || {
            for t in &tick(PERIOD) {
                bursty_limiter.send(t);
            }
        });

        let bursty_requests = chan::<u32>(5);
        for i in 1..=5 {
            bursty_requests.send(i);
        }
        bursty_requests.close();
        for req in &bursty_requests {
            bursty_limiter.recv();
            let n = req.saturating_sub(3);
            let waited = start.elapsed() >= PERIOD * n;
            println!("request {req} after {n} ticks: {waited}");
        }
    })
}
