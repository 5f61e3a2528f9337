//! Runs the network examples (`examples/crawler.rs`, `examples/email_sender.rs`) as programs
//! and checks what they report against what is known to be true.
//!
//! The binaries are the ones cargo built for this test run (`cargo test` builds the examples
//! before the integration tests, into `target/<profile>/examples/`; `cargo test --test
//! io_programs` alone does not: run `cargo build --examples` first). Each runs in a child
//! process with a time limit, so a hang fails the test instead of stalling it.
//!
//! - The crawler's graph is generated from a fixed seed, so its counts are known: the numbers
//!   below are what its Go twin (`examples/go/crawler.go`, net/http on both ends) prints for the
//!   same flags. A crawl that fetched a URL twice, missed a page within the depth, or stopped
//!   before the last fetch would print other numbers.
//! - The email sender talks to a small SMTP sink in this test (std threads, just enough SMTP),
//!   which counts the messages it accepted and the recipients it saw.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rungo_testkit::child::run_with_limit;

/// How long one program may run (generous: the machine is a loaded 2-core VM).
const LIMIT: Duration = Duration::from_secs(120);

/// The example binary `name`, checked to exist and to be newer than its source.
fn example(name: &str) -> PathBuf {
    common::example(name).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `bin args` to completion within [`LIMIT`]: its exit success, stdout and stderr.
fn run(bin: &Path, args: &[&str]) -> (bool, String, String) {
    let o = run_with_limit(Command::new(bin).args(args), LIMIT)
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let Some(status) = o.status else {
        panic!("{} {args:?} did not finish within {LIMIT:?}", bin.display());
    };
    (status.success(), o.stdout_text(), o.stderr_text())
}

/// The value printed on the line `label: value`.
fn value<'a>(out: &'a str, label: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(label).and_then(|r| r.strip_prefix(": ")))
        .unwrap_or_else(|| panic!("no line {label:?} in:\n{out}"))
}

// ------------------------------------------------------------------------------ crawler

/// A 400-page graph crawled to depth 4 (a partial crawl, so the depth rule matters): the Go
/// twin finds 199 pages and 23 dead links, and its server answers 222 requests.
fn crawl_counts_match(concurrency: &str) {
    let args = [
        "--pages",
        "400",
        "--depth",
        "4",
        "--concurrency",
        concurrency,
    ];
    let (ok, out, err) = run(&example("crawler"), &args);
    assert!(ok, "crawler {args:?} failed; stderr:\n{err}");
    assert_eq!(value(&out, "pages"), "199", "{out}");
    assert_eq!(value(&out, "dead links"), "23", "{out}");
    assert_eq!(value(&out, "errors"), "0", "{out}\n{err}");
    // One request per distinct URL: pages + dead links, so nothing was fetched twice.
    assert_eq!(value(&out, "requests served"), "222", "{out}");
    // The semaphore held: never more fetches in flight than the limit.
    let peak: usize = value(&out, "peak fetches in flight").parse().unwrap();
    let limit: usize = concurrency.parse().unwrap();
    assert!((1..=limit).contains(&peak), "{out}");
}

#[test]
fn crawler_counts_match_go_twin_at_concurrency_1() {
    crawl_counts_match("1");
}

#[test]
fn crawler_counts_match_go_twin_at_concurrency_64() {
    crawl_counts_match("64");
}

// ------------------------------------------------------------------------- email sender

/// What the sink saw: messages accepted, and the recipient of each.
#[derive(Default)]
struct Seen {
    messages: usize,
    rcpts: Vec<String>,
    sizes: Vec<usize>,
}

/// A tiny SMTP sink on 127.0.0.1:0, a std thread per connection. It refuses the recipient
/// `reject` (550), if given. Stop it with [`Sink::stop`].
struct Sink {
    addr: String,
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

fn session(conn: TcpStream, seen: &Mutex<Seen>, reject: Option<&str>) -> std::io::Result<()> {
    let mut w = conn.try_clone()?;
    let mut r = BufReader::new(conn);
    w.write_all(b"220 test sink\r\n")?;
    let mut rcpt = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let cmd = line.get(..4).unwrap_or("").to_ascii_uppercase();
        match cmd.as_str() {
            "EHLO" => w.write_all(b"250-test sink\r\n250 8BITMIME\r\n")?,
            "RCPT" => {
                rcpt = line
                    .trim_end()
                    .trim_start_matches("RCPT TO:")
                    .trim_matches(|c| c == '<' || c == '>')
                    .to_string();
                if reject == Some(rcpt.as_str()) {
                    w.write_all(b"550 no such user\r\n")?;
                } else {
                    w.write_all(b"250 ok\r\n")?;
                }
            }
            "DATA" => {
                w.write_all(b"354 go ahead\r\n")?;
                let mut size = 0;
                loop {
                    line.clear();
                    if r.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    size += line.len();
                }
                let mut s = seen.lock().unwrap();
                s.messages += 1;
                s.rcpts.push(rcpt.clone());
                s.sizes.push(size);
                drop(s);
                w.write_all(b"250 queued\r\n")?;
            }
            "QUIT" => {
                w.write_all(b"221 bye\r\n")?;
                return Ok(());
            }
            _ => w.write_all(b"250 ok\r\n")?,
        }
    }
}

impl Sink {
    fn start(reject: Option<&'static str>) -> Sink {
        let ln = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = ln.local_addr().unwrap().to_string();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (seen, stop) = (seen.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut sessions = Vec::new();
                for conn in ln.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let seen = seen.clone();
                    sessions.push(std::thread::spawn(move || {
                        let _ = session(conn, &seen, reject);
                    }));
                }
                for s in sessions {
                    s.join().unwrap();
                }
            })
        };
        Sink {
            addr,
            seen,
            stop,
            thread,
        }
    }

    /// Stops accepting, waits for the sessions, and returns what was seen.
    fn stop(self) -> Seen {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(&self.addr); // wakes the accept loop
        self.thread.join().unwrap();
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

#[test]
fn email_sender_delivers_each_email_once() {
    let sink = Sink::start(None);
    let (ok, out, err) = run(
        &example("email_sender"),
        &["--addr", &sink.addr, "--n", "50", "--concurrency", "8"],
    );
    let seen = sink.stop();
    assert!(ok, "email_sender failed; stderr:\n{err}");
    assert!(
        out.starts_with("sent 50 emails (0 failed) with concurrency 8"),
        "{out}"
    );
    assert_eq!(seen.messages, 50);
    let rcpts: BTreeSet<String> = seen.rcpts.into_iter().collect();
    let want: BTreeSet<String> = (0..50).map(|i| format!("rcpt{i}@localhost")).collect();
    assert_eq!(rcpts, want, "each recipient exactly once");
    // About 1 KiB each, headers included.
    assert!(
        seen.sizes.iter().all(|&s| (900..1200).contains(&s)),
        "{:?}",
        seen.sizes
    );
}

#[test]
fn email_sender_reports_a_refused_email() {
    let sink = Sink::start(Some("rcpt7@localhost"));
    let (ok, out, err) = run(
        &example("email_sender"),
        &["--addr", &sink.addr, "--n", "20", "--concurrency", "4"],
    );
    let seen = sink.stop();
    assert!(
        !ok,
        "a refused email must make the exit status non-zero; stdout:\n{out}"
    );
    assert!(out.starts_with("sent 19 emails (1 failed)"), "{out}");
    assert!(err.contains("email 7: expected 250"), "{err}");
    assert_eq!(seen.messages, 19);
}

#[test]
fn email_sender_refuses_an_unknown_argument_with_its_usage() {
    let (ok, _out, err) = run(&example("email_sender"), &["--count", "5"]);
    assert!(!ok, "an unknown flag must fail, not send 1,000 emails");
    assert!(err.contains("unknown argument \"--count\""), "{err}");
    assert!(err.contains("usage: email_sender"), "{err}");
    let (ok, out, _err) = run(&example("email_sender"), &["--help"]);
    assert!(ok && out.starts_with("usage: email_sender"), "{out}");
}
