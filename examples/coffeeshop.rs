//! A coffee shop in the spirit of Sameer Ajmani's dotGo 2017 talk "The Go Programming Language,
//! in practice": every latte is ground, pressed, steamed and poured, each stage burning about
//! 1 ms of CPU. Five ways to run the shop:
//!
//! ```text
//! locking       every barista makes a whole latte holding one shop-wide lock
//! finelocking   one lock per machine (grinder, espresso machine, steamer)
//! multi-N       N of each machine, kept in buffered channels
//! linearpipe-N  one coroutine per stage, stages joined by channels buffered N deep
//! splitpipe-N   the milk is steamed beside grinding and pressing; pouring joins them
//! ```
//!
//! The shop runs in a child process with GOMAXPROCS=1 and again with 2: stdout gets the lattes
//! served per mode (deterministic), stderr a table of throughput, latency and speedup.
use rungo::prelude::*;
use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

const ORDERS: usize = 20; // lattes ordered per mode, all at once
const STAGE_WORK: Duration = Duration::from_millis(1); // CPU each stage burns

const MODES: [&str; 5] = [
    "locking",
    "finelocking",
    "multi-2",
    "linearpipe-1",
    "splitpipe-1",
];

// burn keeps a CPU busy for STAGE_WORK: a machine at work.
fn burn() {
    let start = Instant::now();
    while start.elapsed() < STAGE_WORK {}
}

// grind the beans
fn grind() {
    burn()
}
// press the espresso
fn press() {
    burn()
}
// steam the milk
fn steam() {
    burn()
}
// pour the milk onto the espresso
fn make_latte() {
    burn()
}

static SHOP: Mutex<()> = Mutex::new(());
static GRINDER: Mutex<()> = Mutex::new(());
static ESPRESSO_MACHINE: Mutex<()> = Mutex::new(());
static STEAMER: Mutex<()> = Mutex::new(());

fn locking() {
    let _shop = SHOP.lock();
    grind();
    press();
    steam();
    make_latte();
}

fn fine_locking() {
    let g = GRINDER.lock();
    grind();
    drop(g);
    let e = ESPRESSO_MACHINE.lock();
    press();
    drop(e);
    let s = STEAMER.lock();
    steam();
    drop(s);
    make_latte();
}

// multi returns a barista's recipe over n of each machine, kept in buffered channels.
fn multi(n: usize) -> impl Fn() + Clone + Send + 'static {
    let (grinders, presses, steamers) = (chan(n), chan(n), chan(n));
    for i in 0..n {
        grinders.send(i);
        presses.send(i);
        steamers.send(i);
    }
    move || {
        let g = grinders.recv().unwrap();
        grind();
        grinders.send(g);
        let p = presses.recv().unwrap();
        press();
        presses.send(p);
        let s = steamers.recv().unwrap();
        steam();
        steamers.send(s);
        make_latte();
    }
}

// baristas make every order at once, a coroutine per order, each following recipe.
fn baristas(recipe: impl Fn() + Clone + Send + 'static, served: Sender<Duration>, start: Instant) {
    let wg = WaitGroup::new();
    for _ in 0..ORDERS {
        let (recipe, served) = (recipe.clone(), served.clone());
        wg.go(move || {
            recipe();
            served.send(start.elapsed());
        });
    }
    wg.wait();
}

// place_orders returns a closed channel holding every order.
fn place_orders() -> Receiver<usize> {
    let c = chan(ORDERS);
    for i in 0..ORDERS {
        c.send(i);
    }
    c.close();
    c.receiver()
}

// stage does its work on every order from input and passes it on to out.
fn stage(work: impl Fn(), input: Receiver<usize>, out: Sender<usize>) {
    for o in &input {
        work();
        out.send(o);
    }
    out.close();
}

fn linear_pipe(n: usize, served: Sender<Duration>, start: Instant) {
    let (ground, pressed, steamed) = (chan(n), chan(n), chan(n));
    go!(stage, grind, place_orders(), ground.sender());
    go!(stage, press, ground.receiver(), pressed.sender());
    go!(stage, steam, pressed.receiver(), steamed.sender());
    for _ in &steamed {
        make_latte();
        served.send(start.elapsed());
    }
}

fn split_pipe(n: usize, served: Sender<Duration>, start: Instant) {
    let (ground, espresso, milk) = (chan(n), chan(n), chan(n));
    go!(stage, grind, place_orders(), ground.sender());
    go!(stage, press, ground.receiver(), espresso.sender());
    go!(stage, steam, place_orders(), milk.sender());
    for _ in &espresso {
        milk.recv();
        make_latte();
        served.send(start.elapsed());
    }
}

// serve runs the shop in one mode; it returns the lattes served, the time that took and
// their mean latency.
fn serve(mode: &str) -> (u32, Duration, Duration) {
    let (name, arg) = mode.split_once('-').unwrap_or((mode, ""));
    let n = arg.parse().unwrap_or(0);
    let served = chan(ORDERS); // each latte's latency
    let start = Instant::now();
    match name {
        "locking" => baristas(locking, served.sender(), start),
        "finelocking" => baristas(fine_locking, served.sender(), start),
        "multi" => baristas(multi(n), served.sender(), start),
        "linearpipe" => linear_pipe(n, served.sender(), start),
        "splitpipe" => split_pipe(n, served.sender(), start),
        _ => {}
    }
    let elapsed = start.elapsed();
    served.close();
    let (mut lattes, mut latency) = (0, Duration::ZERO);
    for l in &served {
        lattes += 1;
        latency += l;
    }
    (lattes, elapsed, latency / lattes)
}

fn main() {
    rungo::run(|| {
        if std::env::args().len() > 1 {
            // a child: every mode with this process's GOMAXPROCS
            for mode in MODES {
                let (lattes, elapsed, latency) = serve(mode);
                println!(
                    "{mode} {lattes} {} {}",
                    elapsed.as_micros(),
                    latency.as_micros()
                );
            }
            return;
        }
        let mut results: HashMap<String, Vec<(f64, f64)>> = HashMap::new(); // lattes/s, latency
        for procs in ["1", "2"] {
            let exe = std::env::current_exe().unwrap();
            let out = Command::new(exe)
                .arg("child")
                .env("GOMAXPROCS", procs)
                .output()
                .unwrap();
            assert!(out.status.success(), "child failed: {out:?}");
            for line in String::from_utf8(out.stdout).unwrap().lines() {
                let f: Vec<&str> = line.split_whitespace().collect();
                let (mode, [lattes, us, lat]) =
                    (f[0], [1, 2, 3].map(|i| f[i].parse::<f64>().unwrap()));
                println!("GOMAXPROCS={procs} {mode:<12} {lattes} lattes");
                results
                    .entry(mode.into())
                    .or_default()
                    .push((lattes * 1e6 / us, lat / 1e3));
            }
        }
        eprintln!(
            "{:<12} {:>11} {:>11} {:>8} {:>10} {:>10}",
            "mode", "lattes/s(1)", "lattes/s(2)", "speedup", "latency(1)", "latency(2)"
        );
        for mode in MODES {
            let [(r1, l1), (r2, l2)] = results[mode][..] else {
                panic!("{mode}: no results")
            };
            eprintln!(
                "{mode:<12} {r1:>11.0} {r2:>11.0} {:>7.2}x {l1:>8.1}ms {l2:>8.1}ms",
                r2 / r1
            );
        }
    })
}
