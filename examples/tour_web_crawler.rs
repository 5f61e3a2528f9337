//! A Tour of Go: Exercise: Web Crawler, solved (twin: `go/tour_web_crawler.go`).
use rungo::prelude::*;
use std::collections::HashSet;
use std::sync::Arc;

trait Fetcher: Sync {
    /// Returns the body of url and the urls found on that page.
    fn fetch(&self, url: &str) -> Result<(&'static str, Vec<String>), String>;
}

/// The URLs already visited.
#[derive(Default)]
struct SafeSet {
    seen: Mutex<HashSet<String>>,
}

impl SafeSet {
    /// Marks url as visited and reports whether it was new.
    fn visit(&self, url: &str) -> bool {
        self.seen.lock().insert(url.to_string())
    }
}

/// Crawls pages starting with url, to a maximum of depth, in parallel.
fn crawl(
    url: String,
    depth: i32,
    fetcher: &'static dyn Fetcher,
    seen: Arc<SafeSet>,
    wg: WaitGroup,
    out: Sender<String>,
) {
    if depth <= 0 || !seen.visit(&url) {
        return;
    }
    let (body, urls) = match fetcher.fetch(&url) {
        Ok(page) => page,
        Err(err) => return out.send(err),
    };
    out.send(format!("found: {url} {body:?}"));
    for u in urls {
        let (seen, w, out) = (seen.clone(), wg.clone(), out.clone());
        wg.go(move || crawl(u, depth - 1, fetcher, seen, w, out));
    }
}

fn main() {
    run(|| {
        let out = chan::<String>(0);
        let seen = Arc::new(SafeSet::default());
        let wg = WaitGroup::new();
        let (w, tx) = (wg.clone(), out.sender());
        wg.go(move || crawl("https://golang.org/".into(), 4, &FETCHER, seen, w, tx));
        go!([out] move || {
            wg.wait();
            out.close();
        });
        let mut lines: Vec<String> = out.iter().collect();
        lines.sort();
        for line in lines {
            println!("{line}");
        }
    })
}

/// A Fetcher that returns canned results: (url, body, urls).
struct FakeFetcher(&'static [(&'static str, &'static str, &'static [&'static str])]);

impl Fetcher for FakeFetcher {
    fn fetch(&self, url: &str) -> Result<(&'static str, Vec<String>), String> {
        match self.0.iter().find(|page| page.0 == url) {
            Some(&(_, body, urls)) => Ok((body, urls.iter().map(|u| u.to_string()).collect())),
            None => Err(format!("not found: {url}")),
        }
    }
}

/// A populated FakeFetcher.
static FETCHER: FakeFetcher = FakeFetcher(&[
    (
        "https://golang.org/",
        "The Go Programming Language",
        &["https://golang.org/pkg/", "https://golang.org/cmd/"],
    ),
    (
        "https://golang.org/pkg/",
        "Packages",
        &[
            "https://golang.org/",
            "https://golang.org/cmd/",
            "https://golang.org/pkg/fmt/",
            "https://golang.org/pkg/os/",
        ],
    ),
    (
        "https://golang.org/pkg/fmt/",
        "Package fmt",
        &["https://golang.org/", "https://golang.org/pkg/"],
    ),
    (
        "https://golang.org/pkg/os/",
        "Package os",
        &["https://golang.org/", "https://golang.org/pkg/"],
    ),
]);
