//! The crawlers of MIT 6.824's lecture 2 over a fake fetcher: Serial, ConcurrentMutex (a map
//! behind a Mutex, a WaitGroup per level) and ConcurrentChannel (a coordinator that counts
//! outstanding workers). The fetcher logs what it fetched; each crawl's log is printed sorted.
use rungo::prelude::*;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock};

// Serial crawler

fn serial(url: &'static str, fetcher: &'static dyn Fetcher, fetched: &mut HashSet<&str>) {
    if !fetched.insert(url) {
        return;
    }
    let Ok(urls) = fetcher.fetch(url) else { return };
    for u in urls {
        serial(u, fetcher, fetched);
    }
}

// Concurrent crawler with shared state and Mutex

struct FetchState {
    fetched: Mutex<HashSet<&'static str>>,
}

impl FetchState {
    fn test_and_set(&self, url: &'static str) -> bool {
        !self.fetched.lock().insert(url)
    }
}

fn concurrent_mutex(url: &'static str, fetcher: &'static dyn Fetcher, fs: Arc<FetchState>) {
    if fs.test_and_set(url) {
        return;
    }
    let Ok(urls) = fetcher.fetch(url) else { return };
    let done = WaitGroup::new();
    for u in urls {
        let fs = fs.clone();
        done.go(move || concurrent_mutex(u, fetcher, fs));
    }
    done.wait();
}

fn make_state() -> Arc<FetchState> {
    Arc::new(FetchState {
        fetched: Mutex::new(HashSet::new()),
    })
}

// Concurrent crawler with channels

fn worker(url: &'static str, ch: Chan<Vec<&'static str>>, fetcher: &'static dyn Fetcher) {
    ch.send(fetcher.fetch(url).unwrap_or_default());
}

fn coordinator(ch: Chan<Vec<&'static str>>, fetcher: &'static dyn Fetcher) {
    let mut n = 1;
    let mut fetched = HashSet::new();
    for urls in &ch {
        for u in urls {
            if fetched.insert(u) {
                n += 1;
                go!(worker, u, ch.clone(), fetcher);
            }
        }
        n -= 1;
        if n == 0 {
            break;
        }
    }
}

fn concurrent_channel(url: &'static str, fetcher: &'static dyn Fetcher) {
    let ch = chan(0);
    go!([ch] move || ch.send(vec![url]));
    coordinator(ch, fetcher);
}

// main

fn main() {
    rungo::run(|| {
        println!("=== Serial ===");
        serial("http://golang.org/", &*FETCHER, &mut HashSet::new());
        report();
        println!("=== ConcurrentMutex ===");
        concurrent_mutex("http://golang.org/", &*FETCHER, make_state());
        report();
        println!("=== ConcurrentChannel ===");
        concurrent_channel("http://golang.org/", &*FETCHER);
        report();
    })
}

// Fetcher

trait Fetcher: Sync {
    // fetch returns the URLs found on the page.
    fn fetch(&self, url: &str) -> Result<Vec<&'static str>, String>;
}

// FakeFetcher is a Fetcher that returns canned results.
type FakeFetcher = HashMap<&'static str, FakeResult>;

struct FakeResult {
    #[allow(dead_code)]
    body: &'static str,
    urls: Vec<&'static str>,
}

// what the fetcher did, in whatever order the crawler did it
static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn report() {
    let mut log = LOG.lock();
    log.sort();
    for line in log.drain(..) {
        println!("{line}");
    }
}

impl Fetcher for FakeFetcher {
    fn fetch(&self, url: &str) -> Result<Vec<&'static str>, String> {
        if let Some(res) = self.get(url) {
            LOG.lock().push(format!("found:   {url}"));
            return Ok(res.urls.clone());
        }
        LOG.lock().push(format!("missing: {url}"));
        Err(format!("not found: {url}"))
    }
}

// FETCHER is a populated FakeFetcher.
#[rustfmt::skip]
static FETCHER: LazyLock<FakeFetcher> = LazyLock::new(|| HashMap::from([
    ("http://golang.org/", FakeResult {
        body: "The Go Programming Language",
        urls: vec!["http://golang.org/pkg/", "http://golang.org/cmd/"],
    }),
    ("http://golang.org/pkg/", FakeResult {
        body: "Packages",
        urls: vec!["http://golang.org/", "http://golang.org/cmd/", "http://golang.org/pkg/fmt/", "http://golang.org/pkg/os/"],
    }),
    ("http://golang.org/pkg/fmt/", FakeResult {
        body: "Package fmt",
        urls: vec!["http://golang.org/", "http://golang.org/pkg/"],
    }),
    ("http://golang.org/pkg/os/", FakeResult {
        body: "Package os",
        urls: vec!["http://golang.org/", "http://golang.org/pkg/"],
    }),
]));
