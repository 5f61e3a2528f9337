//! The never-stall situations, measured: what one blocking or busy coroutine does to the
//! others. Each prints one line; run one with `cargo run --release --example stalls -- <name>`
//! (`GOMAXPROCS` as the line says). These are the rows of the README's "Blocking calls and busy
//! coroutines" table.
//!
//! * `blocking-sleep`: 8 ticker coroutines sleep 10 ms at a time while another coroutine blocks
//!   its worker in `std::thread::sleep(2 s)`; prints the worst gap between ticks.
//! * `pool-sleep`: the same, with the sleep run through `rungo::blocking`.
//! * `compute`: the same, with a coroutine computing for 2 s without calling rungo.
//! * `busy-ops`: the same, with a coroutine that for 2 s sends on and receives from a buffered
//!   channel that never fills and takes an uncontended `Mutex`: rungo operations that never
//!   block, so only its operation budget (or sysmon's preempt request) makes it yield.
//! * `yield5`: GOMAXPROCS=1; a coroutine computes 5 ms between `yield_now` calls while a
//!   10 ms ticker (`time::tick`) ticks 100 times; prints the median and worst interval.
//! * `spin-main`: `main` sleeps 50 ms and returns while a coroutine it spawned spins; prints
//!   when `main` returned (the process exits then), or never does.
//! * `spawn-then-block`: run with GOMAXPROCS=1. `main` spawns 8 ticker coroutines and then
//!   blocks its own worker in `std::thread::sleep(2 s)` before they have started; prints how
//!   late the last one started and the worst gap between ticks (a spare worker runs them).

use std::time::{Duration, Instant};

use rungo::{go, run, sleep, time, yield_now};

/// A ticker: sleeps 10 ms at a time until `end`; returns the worst gap between ticks.
fn tick_until(end: Instant) -> Duration {
    let mut worst = Duration::ZERO;
    let mut last = Instant::now();
    while last < end {
        sleep(Duration::from_millis(10));
        let now = Instant::now();
        worst = worst.max(now - last);
        last = now;
    }
    worst
}

fn tickers_beside(blocker: impl FnOnce() + Send + 'static) -> Duration {
    run(move || {
        let tickers: Vec<_> = (0..8)
            .map(|_| go!(|| tick_until(Instant::now() + Duration::from_millis(2500))))
            .collect();
        sleep(Duration::from_millis(100));
        let b = go!(blocker);
        let worst = tickers
            .into_iter()
            .map(|t| t.join().unwrap())
            .max()
            .unwrap();
        b.join().unwrap();
        worst
    })
}

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    let procs = rungo::gomaxprocs();
    match which.as_str() {
        "blocking-sleep" => {
            let w = tickers_beside(|| std::thread::sleep(Duration::from_secs(2)));
            println!(
                "blocking-sleep: worst ticker gap {} ms, GOMAXPROCS={procs}",
                w.as_millis()
            );
        }
        "pool-sleep" => {
            let w =
                tickers_beside(|| rungo::blocking(|| std::thread::sleep(Duration::from_secs(2))));
            println!(
                "pool-sleep: worst ticker gap {} ms, GOMAXPROCS={procs}",
                w.as_millis()
            );
        }
        "compute" => {
            let w = tickers_beside(|| {
                let start = Instant::now();
                let mut x = 0u64;
                while start.elapsed() < Duration::from_secs(2) {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            });
            println!(
                "compute: worst ticker gap {} ms, GOMAXPROCS={procs}",
                w.as_millis()
            );
        }
        "busy-ops" => {
            let w = tickers_beside(|| {
                let start = Instant::now();
                let (c, mu) = (rungo::chan::<u64>(1), rungo::sync::Mutex::new(0u64));
                while start.elapsed() < Duration::from_secs(2) {
                    for i in 0..1024 {
                        c.send(i);
                        *mu.lock() += c.recv().unwrap();
                    }
                }
            });
            println!(
                "busy-ops: worst ticker gap {} ms, GOMAXPROCS={procs}",
                w.as_millis()
            );
        }
        "yield5" => {
            let (p50, max) = run(|| {
                let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
                let s = stop.clone();
                let busy = go!(move || {
                    while !s.load(std::sync::atomic::Ordering::Relaxed) {
                        let t = Instant::now();
                        while t.elapsed() < Duration::from_millis(5) {}
                        yield_now();
                    }
                });
                let ticker = time::Ticker::new(Duration::from_millis(10));
                let mut gaps = Vec::new();
                let mut last = Instant::now();
                for _ in 0..100 {
                    ticker.c.recv();
                    let now = Instant::now();
                    gaps.push(now - last);
                    last = now;
                }
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
                busy.join().unwrap();
                gaps.sort();
                (gaps[gaps.len() / 2], gaps[gaps.len() - 1])
            });
            println!(
                "yield5: tick interval p50 {:.1} ms, max {:.1} ms, GOMAXPROCS={procs}",
                p50.as_secs_f64() * 1e3,
                max.as_secs_f64() * 1e3
            );
        }
        "spin-main" => {
            let start = Instant::now();
            run(|| {
                go!(|| loop {
                    std::hint::spin_loop();
                });
                sleep(Duration::from_millis(50));
            });
            println!(
                "spin-main: main returned after {} ms, GOMAXPROCS={procs}",
                start.elapsed().as_millis()
            );
        }
        "spawn-then-block" => {
            let (first, worst) = run(|| {
                let spawned = Instant::now();
                let end = spawned + Duration::from_millis(2500);
                let tickers: Vec<_> = (0..8)
                    .map(|_| go!(move || (spawned.elapsed(), tick_until(end))))
                    .collect();
                std::thread::sleep(Duration::from_secs(2)); // blocks main's worker
                tickers
                    .into_iter()
                    .map(|t| t.join().unwrap())
                    .fold((Duration::ZERO, Duration::ZERO), |(f, w), (f2, w2)| {
                        (f.max(f2), w.max(w2))
                    })
            });
            println!(
                "spawn-then-block: tickers started within {} ms, worst ticker gap {} ms, \
                 GOMAXPROCS={procs}",
                first.as_millis(),
                worst.as_millis()
            );
        }
        _ => {
            eprintln!(
                "usage: stalls blocking-sleep|pool-sleep|compute|busy-ops|yield5|spin-main|spawn-then-block"
            );
            std::process::exit(2);
        }
    }
}
