//! Dining philosophers, twice. First the forks are mutexes and every philosopher picks up the
//! lower-numbered fork first, so no cycle of waiting can form. Then a host (a buffered channel
//! with two seats) lets at most two philosophers at the table, who pick up left, then right.
//! Who eats when varies, so main prints what each ate and whether more than two ever ate at once.
use rungo::prelude::*;
use std::sync::Arc;
use std::time::Duration;

const MEALS: usize = 3;

const NAMES: [&str; 5] = ["Aristotle", "Kant", "Spinoza", "Marx", "Russell"];

struct Table {
    forks: [Mutex<()>; 5],
    host: Chan<()>,        // seats at the table; nil: no host
    counts: Mutex<Counts>, // the counts below
}

#[derive(Default)]
struct Counts {
    ate: [usize; 5],
    eating: usize,
    most: usize,
}

impl Table {
    fn dine(&self, p: usize) {
        let (mut first, mut second) = (p, (p + 1) % NAMES.len());
        if self.host.is_nil() && second < first {
            (first, second) = (second, first); // no host: the lower-numbered fork first
        }
        for _ in 0..MEALS {
            if !self.host.is_nil() {
                self.host.send(()); // take a seat
            }
            let a = self.forks[first].lock();
            let b = self.forks[second].lock();
            self.eat(p);
            drop((b, a));
            if !self.host.is_nil() {
                self.host.recv(); // leave the seat
            }
        }
    }

    fn eat(&self, p: usize) {
        let mut c = self.counts.lock();
        c.eating += 1;
        c.most = c.most.max(c.eating);
        drop(c);
        sleep(Duration::from_millis(1));
        let mut c = self.counts.lock();
        c.eating -= 1;
        c.ate[p] += 1;
    }
}

fn dinner(host: Chan<()>) {
    let t = Arc::new(Table {
        forks: Default::default(),
        host,
        counts: Default::default(),
    });
    let wg = WaitGroup::new();
    for p in 0..NAMES.len() {
        let t = t.clone();
        wg.go(move || t.dine(p));
    }
    wg.wait();
    let c = t.counts.lock();
    for (p, name) in NAMES.iter().enumerate() {
        println!("{name} ate {} meals", c.ate[p]);
    }
    println!("at most two ate at once: {}", c.most <= 2);
}

fn main() {
    rungo::run(|| {
        println!("== forks picked up in order");
        dinner(Chan::nil());
        println!("== a host with two seats");
        dinner(chan(2));
    })
}
