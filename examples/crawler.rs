//! A concurrent web crawler over real HTTP/1.1 (twin: `go/crawler.go`).
//!
//! The program starts its own HTTP server on 127.0.0.1 (port 0) serving a generated graph of
//! pages: `/p/<i>` for `i < --pages` links to other pages, with cycles, some slow pages (the
//! handler sleeps 10–50 ms) and dead links (`/p/<j>` with `j >= --pages`, answered 404). The
//! graph comes from a xorshift64* generator with a fixed seed that the Go twin implements
//! identically, so both print the same counts.
//!
//! The crawler starts at `/p/0` and follows links to `--depth` hops. It
//! - fetches each URL at most once: a mutex-guarded `seen` map, checked and filled under the lock;
//! - limits fetches in flight to `--concurrency N` with a semaphore (Go: `semaphore.Weighted`, or
//!   a buffered channel);
//! - knows it is done when a `WaitGroup` counting every `visit` coroutine reaches zero: a visit is
//!   added before the coroutine starts, so the count cannot touch zero while work remains.
//!
//! Depth and "fetch once" together make a concurrent crawl order-dependent: a page first reached
//! by a long path would have its links cut short, though a shorter path exists. So `seen` keeps,
//! per URL, the most remaining depth it has been reached with and the links it holds; a later,
//! shorter arrival re-expands the stored links (without fetching again). The set fetched is then
//! exactly the pages within `--depth` hops of `/p/0`, whatever the interleaving, and the counts
//! are deterministic.
//!
//! The HTTP client is minimal: `GET` with `Host`, a response framed by `Content-Length`, parsed
//! with `httparse`; idle keep-alive connections go back to a small pool (as Go's
//! `http.Transport` does). The server counts the requests it answered: equal to pages plus dead
//! links, it shows no URL was fetched twice.
//!
//! `cargo run --release --example crawler -- --pages 5000 --depth 8 --concurrency 64`
use rungo::net::{TcpListener, TcpStream};
use rungo::prelude::*;
use rungo::sync::Semaphore;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The graph's generator seed (the Go twin uses the same).
const SEED: u64 = 0x2545_F491_4F6C_DD1D;

/// xorshift64*: the same sequence in the Go twin.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One page: how long its handler sleeps, and the pages it links to.
struct Page {
    slow_ms: u64,
    links: Vec<u64>,
}

/// Page `i`: slow with odds 1/50 (10–50 ms), 1–8 links, each dead with odds 1/16.
fn generate(pages: u64, seed: u64) -> Vec<Page> {
    let mut rng = Rng(seed);
    (0..pages)
        .map(|_| {
            let slow_ms = if rng.below(50) == 0 {
                10 + rng.below(41)
            } else {
                0
            };
            let degree = 1 + rng.below(8);
            let links = (0..degree)
                .map(|_| {
                    if rng.below(16) == 0 {
                        pages + rng.below(pages)
                    } else {
                        rng.below(pages)
                    }
                })
                .collect();
            Page { slow_ms, links }
        })
        .collect()
}

// ---------------------------------------------------------------- the server

fn page_body(i: usize, page: &Page) -> String {
    let mut body = format!("<html><body><h1>page {i}</h1>\n");
    for l in &page.links {
        body.push_str(&format!("<a href=\"/p/{l}\">/p/{l}</a>\n"));
    }
    body.push_str("</body></html>\n");
    body
}

/// Serves one connection's requests until the client closes it (keep-alive).
fn serve_conn(conn: TcpStream, graph: Arc<Vec<Page>>, served: Arc<AtomicUsize>) {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        // Read one request's head.
        let (path, close, used) = loop {
            let mut headers = [httparse::EMPTY_HEADER; 16];
            let mut req = httparse::Request::new(&mut headers);
            match req.parse(&buf) {
                Ok(httparse::Status::Complete(n)) => {
                    let close = req.headers.iter().any(|h| {
                        h.name.eq_ignore_ascii_case("connection")
                            && h.value.eq_ignore_ascii_case(b"close")
                    });
                    break (req.path.unwrap_or("/").to_string(), close, n);
                }
                Ok(httparse::Status::Partial) => match (&conn).read(&mut chunk) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                },
                Err(_) => return,
            }
        };
        buf.drain(..used);
        served.fetch_add(1, Ordering::Relaxed);
        let page = path
            .strip_prefix("/p/")
            .and_then(|s| s.parse::<usize>().ok())
            .filter(|&i| i < graph.len());
        let (status, body) = match page {
            Some(i) => {
                if graph[i].slow_ms > 0 {
                    sleep(Duration::from_millis(graph[i].slow_ms));
                }
                ("200 OK", page_body(i, &graph[i]))
            }
            None => ("404 Not Found", "404 page not found\n".to_string()),
        };
        let resp = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {}\r\n{}\r\n{body}",
            body.len(),
            if close { "Connection: close\r\n" } else { "" },
        );
        if (&conn).write_all(resp.as_bytes()).is_err() || close {
            return;
        }
    }
}

fn serve(ln: TcpListener, graph: Arc<Vec<Page>>, served: Arc<AtomicUsize>) {
    // Ends when main closes the listener (accept then fails).
    while let Ok((conn, _)) = ln.accept() {
        let (graph, served) = (graph.clone(), served.clone());
        go!(move || serve_conn(conn, graph, served));
    }
}

// ---------------------------------------------------------------- the client

/// A minimal HTTP/1.1 client with a pool of idle keep-alive connections.
struct Client {
    addr: SocketAddr,
    idle: Mutex<Vec<TcpStream>>,
}

impl Client {
    /// `GET path`: the status code and the body.
    fn get(&self, path: &str) -> std::io::Result<(u16, Vec<u8>)> {
        // A pooled connection may have been closed by the server: then retry on a fresh one.
        for _ in 0..2 {
            let pooled = self.idle.lock().pop();
            let reused = pooled.is_some();
            let conn = match pooled {
                Some(c) => c,
                None => TcpStream::connect(self.addr)?,
            };
            match self.round_trip(&conn, path) {
                Ok((status, body, keep)) => {
                    if keep {
                        self.idle.lock().push(conn);
                    }
                    return Ok((status, body));
                }
                Err(e) if !reused => return Err(e),
                Err(_) => continue,
            }
        }
        Err(std::io::Error::other("connection reset twice"))
    }

    fn round_trip(&self, conn: &TcpStream, path: &str) -> std::io::Result<(u16, Vec<u8>, bool)> {
        let req = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", self.addr);
        let mut w = conn;
        w.write_all(req.as_bytes())?;
        let mut buf = Vec::with_capacity(1024);
        let mut chunk = [0u8; 4096];
        loop {
            let mut r = conn;
            let n = r.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            buf.extend_from_slice(&chunk[..n]);
            let mut headers = [httparse::EMPTY_HEADER; 16];
            let mut resp = httparse::Response::new(&mut headers);
            let head = match resp.parse(&buf) {
                Ok(httparse::Status::Complete(head)) => head,
                Ok(httparse::Status::Partial) => continue,
                Err(e) => return Err(std::io::Error::other(e)),
            };
            let header = |name: &str| {
                resp.headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case(name))
                    .map(|h| String::from_utf8_lossy(h.value).into_owned())
            };
            let len: usize = header("content-length")
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| std::io::Error::other("no Content-Length"))?;
            let keep = !header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
            let status = resp.code.unwrap_or(0);
            while buf.len() < head + len {
                let n = r.read(&mut chunk)?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Ok((status, buf[head..head + len].to_vec(), keep));
        }
    }
}

/// The `href="..."` targets of a page that are paths on this server.
fn links(body: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(body);
    let mut out = Vec::new();
    let mut rest = &text[..];
    while let Some(i) = rest.find("href=\"") {
        rest = &rest[i + 6..];
        let Some(j) = rest.find('"') else { break };
        if rest[..j].starts_with('/') {
            out.push(rest[..j].to_string());
        }
        rest = &rest[j..];
    }
    out
}

// ---------------------------------------------------------------- the crawler

/// What `seen` knows of a URL: the most remaining depth it was reached with, and its links
/// once fetched (`None` while the fetch is in flight).
struct Seen {
    depth: usize,
    links: Option<Arc<Vec<String>>>,
}

struct Crawler {
    client: Client,
    sem: Semaphore,
    seen: Mutex<HashMap<String, Seen>>,
    wg: WaitGroup,
    pages: AtomicUsize,
    dead: AtomicUsize,
    errors: AtomicUsize,
    /// Fetches in flight now, and the most there ever were (at most `--concurrency`).
    in_flight: AtomicUsize,
    peak: AtomicUsize,
}

impl Crawler {
    /// Starts a visit of `url` with `depth` hops left, counted in the wait group.
    fn spawn_visit(self: &Arc<Self>, url: String, depth: usize) {
        let c = self.clone();
        self.wg.go(move || c.visit(url, depth));
    }

    fn follow(self: &Arc<Self>, links: &[String], depth: usize) {
        if depth > 0 {
            for l in links {
                self.spawn_visit(l.clone(), depth - 1);
            }
        }
    }

    fn visit(self: &Arc<Self>, url: String, depth: usize) {
        {
            let mut seen = self.seen.lock();
            match seen.get_mut(&url) {
                Some(s) if s.depth >= depth => return,
                Some(s) => {
                    // Reached by a shorter path: follow its links further, without a refetch.
                    // (A fetch in flight reads the new depth when it stores the links.)
                    s.depth = depth;
                    if let Some(links) = s.links.clone() {
                        drop(seen);
                        self.follow(&links, depth);
                    }
                    return;
                }
                None => {
                    seen.insert(url.clone(), Seen { depth, links: None });
                }
            }
        }
        self.sem.acquire(1);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        let res = self.client.get(&url);
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.sem.release(1);
        let found = match res {
            Ok((200, body)) => {
                self.pages.fetch_add(1, Ordering::Relaxed);
                links(&body)
            }
            Ok((404, _)) => {
                self.dead.fetch_add(1, Ordering::Relaxed);
                Vec::new()
            }
            Ok((code, _)) => {
                eprintln!("{url}: HTTP {code}");
                self.errors.fetch_add(1, Ordering::Relaxed);
                Vec::new()
            }
            Err(e) => {
                eprintln!("{url}: {e}");
                self.errors.fetch_add(1, Ordering::Relaxed);
                Vec::new()
            }
        };
        let found = Arc::new(found);
        let depth = {
            let mut seen = self.seen.lock();
            let s = seen.get_mut(&url).expect("a visited URL is in seen");
            s.links = Some(found.clone());
            s.depth
        };
        self.follow(&found, depth);
    }
}

fn flag(args: &[String], name: &str, default: u64) -> u64 {
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} needs a non-negative integer")),
        None => default,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let pages = flag(&args, "--pages", 5000);
    let depth = flag(&args, "--depth", 8) as usize;
    let concurrency = flag(&args, "--concurrency", 64).max(1);
    run(move || {
        let graph = Arc::new(generate(pages, SEED));
        let served = Arc::new(AtomicUsize::new(0));
        let ln = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = ln.local_addr().unwrap();
        {
            // The server runs until the process exits, as an http.Server would.
            let (graph, served) = (graph.clone(), served.clone());
            go!(move || serve(ln, graph, served));
        }
        let crawler = Arc::new(Crawler {
            client: Client {
                addr,
                idle: Mutex::new(Vec::new()),
            },
            sem: Semaphore::new(concurrency),
            seen: Mutex::new(HashMap::new()),
            wg: WaitGroup::new(),
            pages: AtomicUsize::new(0),
            dead: AtomicUsize::new(0),
            errors: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        });
        let start = Instant::now();
        crawler.spawn_visit("/p/0".to_string(), depth);
        crawler.wg.wait();
        let took = start.elapsed();
        println!(
            "crawled a {pages}-page graph from /p/0 to depth {depth}, concurrency {concurrency}"
        );
        println!("pages: {}", crawler.pages.load(Ordering::Relaxed));
        println!("dead links: {}", crawler.dead.load(Ordering::Relaxed));
        println!("errors: {}", crawler.errors.load(Ordering::Relaxed));
        println!("requests served: {}", served.load(Ordering::Relaxed));
        println!(
            "peak fetches in flight: {}",
            crawler.peak.load(Ordering::SeqCst)
        );
        println!("time: {:.3} s", took.as_secs_f64());
    })
}
