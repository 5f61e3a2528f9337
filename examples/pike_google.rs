//! Pike, Go Concurrency Patterns: Google Search 1.0 (serial), 2.0 (concurrent, fan-in),
//! 2.1 (with a timeout) and 3.0 (replicated backends, first answer wins) over fake backends
//! with fixed latencies. Concurrent results arrive in varying order, so they are sorted.
use rungo::prelude::*;
use rungo::time::after;
use std::time::Duration;

type Result = String;
#[derive(Clone, Copy)]
struct Search(&'static str, u64); // fakeSearch(kind, ms)

impl Search {
    fn run(self, query: &str) -> Result {
        sleep(Duration::from_millis(self.1));
        format!("{} result for {query:?}", self.0)
    }
}

const WEB: Search = Search("web", 1);
const IMAGE: Search = Search("image", 2);
const VIDEO: Search = Search("video", 150); // too slow for a 50 ms budget
const WEB1: Search = Search("web1", 150);
const WEB2: Search = Search("web2", 1);
const IMAGE1: Search = Search("image1", 1);
const IMAGE2: Search = Search("image2", 150);
const VIDEO1: Search = Search("video1", 150);
const VIDEO2: Search = Search("video2", 2);

fn google10(query: &'static str) -> Vec<Result> {
    vec![WEB.run(query), IMAGE.run(query), VIDEO.run(query)] // one after the other
}

fn google20(query: &'static str) -> Vec<Result> {
    let c = chan(0);
    for search in [WEB, IMAGE, VIDEO] {
        go!([c] move || c.send(search.run(query)));
    }
    (0..3).map(|_| c.recv().unwrap()).collect()
}

fn google21(query: &'static str) -> Vec<Result> {
    let c = chan(0);
    for search in [WEB, IMAGE, VIDEO] {
        go!([c] move || c.send(search.run(query)));
    }
    let timeout = after(Duration::from_millis(50));
    let mut results = vec![];
    for _ in 0..3 {
        select! {
            recv(c) -> result => results.push(result.unwrap()),
            recv(timeout) => {
                println!("timed out");
                break;
            }
        }
    }
    results
}

fn first(query: &'static str, replicas: [Search; 2]) -> Result {
    let c = chan(0);
    for replica in replicas {
        go!([c] move || c.send(replica.run(query)));
    }
    c.recv().unwrap()
}

fn google30(query: &'static str) -> Vec<Result> {
    let c = chan(0);
    for replicas in [[WEB1, WEB2], [IMAGE1, IMAGE2], [VIDEO1, VIDEO2]] {
        go!([c] move || c.send(first(query, replicas)));
    }
    let timeout = after(Duration::from_millis(50));
    let mut results = vec![];
    for _ in 0..3 {
        select! {
            recv(c) -> result => results.push(result.unwrap()),
            recv(timeout) => {
                println!("timed out");
                break;
            }
        }
    }
    results
}

fn show(version: &str, mut results: Vec<Result>) {
    results.sort();
    println!("{version} [{}]", results.join(" "));
}

fn main() {
    rungo::run(|| {
        show("1.0", google10("golang"));
        show("2.0", google20("golang"));
        show("2.1", google21("golang"));
        show("3.0", google30("golang"));
    })
}
