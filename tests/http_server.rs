//! Runs `examples/http_server.rs` as a child process on port 0 and talks HTTP/1.1 to it over
//! `std::net`: every route on one keep-alive connection, pipelining, 400, 413, a slow client
//! hitting the read deadline, `--max-requests`, and graceful shutdown on SIGTERM with a request
//! in flight.
//!
//! The binary is the one `cargo test` builds into `target/<profile>/examples/` (as for
//! `tests/examples.rs`; `cargo test --test http_server` alone does not build it: run
//! `cargo build --example http_server` first). Every socket has a read timeout, every wait a
//! bound, and a server still running when a test ends (or fails) is killed.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long any one read from the server may take.
const IO_LIMIT: Duration = Duration::from_secs(20);

/// The example binary, checked to exist and to be newer than its source.
fn binary() -> PathBuf {
    common::example("http_server").unwrap_or_else(|e| panic!("{e}"))
}

/// A running server; killed on drop unless it has exited.
struct Server {
    child: Child,
    addr: SocketAddr,
    /// The server's later stdout lines.
    lines: mpsc::Receiver<String>,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(binary())
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the example");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let first = lines.recv_timeout(Duration::from_secs(30));
        let addr = match first
            .as_deref()
            .map(|l| l.strip_prefix("listening on http://"))
        {
            Ok(Some(addr)) => addr.parse().expect("a socket address"),
            other => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("expected `listening on http://ADDR`, got {other:?}");
            }
        };
        Server { child, addr, lines }
    }

    fn connect(&self) -> Client {
        let stream = TcpStream::connect(self.addr).expect("connect");
        stream.set_read_timeout(Some(IO_LIMIT)).unwrap();
        stream.set_write_timeout(Some(IO_LIMIT)).unwrap();
        Client {
            reader: BufReader::new(stream.try_clone().unwrap()),
            stream,
        }
    }

    fn signal(&self, sig: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid");
        // SAFETY: kill(2) on our own child's pid; it has not been reaped (we hold the Child).
        assert_eq!(unsafe { libc::kill(pid, sig) }, 0, "kill the server");
    }

    /// Waits (bounded) for the server to exit by itself.
    fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                start.elapsed() < limit,
                "the server did not exit within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A parsed response.
#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("a UTF-8 body")
    }

    fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

struct Client {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    fn send(&mut self, raw: &[u8]) {
        self.stream.write_all(raw).expect("send a request");
    }

    fn get(&mut self, path: &str) -> Response {
        self.send(format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes());
        self.response()
    }

    fn post(&mut self, path: &str, body: &[u8]) -> Response {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        self.send(head.as_bytes());
        self.send(body);
        self.response()
    }

    /// Reads one response (Content-Length framed, as the server always sends).
    fn response(&mut self) -> Response {
        let mut line = String::new();
        self.reader
            .read_line(&mut line)
            .expect("read a status line");
        let mut parts = line.trim_end().splitn(3, ' ');
        assert_eq!(parts.next(), Some("HTTP/1.1"), "status line {line:?}");
        let status = parts.next().and_then(|s| s.parse().ok()).expect("a status");
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("read a header");
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let (n, v) = l.split_once(':').expect("name: value");
            headers.push((n.to_string(), v.trim().to_string()));
        }
        let mut resp = Response {
            status,
            headers,
            body: Vec::new(),
        };
        let len: usize = resp
            .header("content-length")
            .expect("Content-Length")
            .parse()
            .unwrap();
        resp.body.resize(len, 0);
        self.reader
            .read_exact(&mut resp.body)
            .expect("read the body");
        resp
    }

    /// True if the server closed the connection: a read returns EOF (or a reset).
    fn closed_by_server(&mut self) -> bool {
        let mut b = [0u8; 1];
        match self.reader.read(&mut b) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        }
    }
}

#[test]
fn every_route_on_one_keep_alive_connection() {
    let server = Server::start(&[]);
    let mut c = server.connect();
    let local = c.stream.local_addr().unwrap();

    let r = c.get("/");
    assert_eq!((r.status, r.text()), (200, "Hello, World!\n"));
    assert!(!r.closes() && r.header("date").is_some_and(|d| d.ends_with(" GMT")));

    let r = c.get("/json");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("JSON");
    assert_eq!(v["message"], "Hello, World!");
    assert_eq!(v["server"], "rungo");
    assert!(v["coroutines"].as_u64().is_some_and(|n| n >= 1), "{v}");

    let body: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let r = c.post("/echo", &body);
    assert_eq!((r.status, &r.body), (200, &body));

    let start = Instant::now();
    let r = c.get("/sleep?ms=50");
    assert_eq!((r.status, r.text()), (200, "slept 50 ms\n"));
    assert!(start.elapsed() >= Duration::from_millis(50));

    let r = c.get("/sleep?ms=soon");
    assert_eq!(r.status, 400);
    assert_eq!(c.get("/nowhere").status, 404);
    let r = c.get("/echo");
    assert_eq!((r.status, r.header("allow")), (405, Some("POST")));

    // Two requests in one write (pipelining): two responses, in order.
    c.send(b"GET /sleep?ms=20 HTTP/1.1\r\nHost: t\r\n\r\nPOST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
    assert_eq!(c.response().text(), "slept 20 ms\n");
    assert_eq!(c.response().text(), "abc");

    // Still the same connection, still open.
    assert_eq!(c.stream.local_addr().unwrap(), local);
    assert_eq!(c.get("/").status, 200);

    // HTTP/1.0 closes unless asked to keep alive; `Connection: close` closes.
    c.send(b"GET / HTTP/1.0\r\n\r\n");
    let r = c.response();
    assert!(r.closes(), "{r:?}");
    assert!(c.closed_by_server());
    let mut c = server.connect();
    c.send(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert!(c.response().closes());
    assert!(c.closed_by_server());
}

#[test]
fn malformed_request_gets_400_and_is_closed() {
    let server = Server::start(&[]);
    for raw in [
        &b"GARBAGE\x01 / HTTP/1.1\r\n\r\n"[..],
        b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nContent-Length: ten\r\n\r\n",
    ] {
        let mut c = server.connect();
        c.send(raw);
        let r = c.response();
        assert_eq!(r.status, 400, "{:?}: {r:?}", String::from_utf8_lossy(raw));
        assert!(r.closes());
        assert!(c.closed_by_server());
    }
    // The server is unharmed.
    assert_eq!(server.connect().get("/").status, 200);
}

#[test]
fn oversized_body_gets_413() {
    let server = Server::start(&["--max-body", "1024"]);
    let mut c = server.connect();
    assert_eq!(c.post("/echo", &[b'x'; 1024]).status, 200);
    c.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1025\r\n\r\n");
    let r = c.response();
    assert_eq!(r.status, 413, "{r:?}");
    assert!(r.closes());
    assert!(c.closed_by_server());
}

#[test]
fn slow_client_hits_the_read_deadline() {
    let server = Server::start(&["--read-timeout", "500"]);
    let mut slow = server.connect();
    let start = Instant::now();
    slow.send(b"GET / HTTP/1.1\r\nHost: t\r\n"); // ... and never the blank line
    // Others are served meanwhile.
    let mut other = server.connect();
    for _ in 0..3 {
        assert_eq!(other.get("/").status, 200);
    }
    let r = slow.response();
    let waited = start.elapsed();
    assert_eq!(r.status, 408, "{r:?}");
    assert!(slow.closed_by_server());
    assert!(
        waited >= Duration::from_millis(450),
        "408 after only {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(10),
        "408 only after {waited:?}"
    );

    // A client that trickles a byte at a time is bounded by the same deadline.
    let mut trickle = server.connect();
    let start = Instant::now();
    let mut timed_out = false;
    for &b in b"GET / HTTP/1.1\r\nHost: a-very-slow-client\r\n\r\n".iter() {
        if trickle.stream.write_all(&[b]).is_err() {
            timed_out = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        if start.elapsed() > Duration::from_secs(3) {
            break;
        }
    }
    let r = if timed_out {
        None
    } else {
        Some(trickle.response())
    };
    assert!(
        r.as_ref().is_none_or(|r| r.status == 408),
        "a 2 s request under a 500 ms read timeout was served: {r:?}"
    );
    // An idle keep-alive connection is closed after the same timeout, without a response.
    let mut idle = server.connect();
    assert_eq!(idle.get("/").status, 200);
    let start = Instant::now();
    assert!(idle.closed_by_server());
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn max_requests_shuts_down_by_itself() {
    let mut server = Server::start(&["--max-requests", "3"]);
    let mut c = server.connect();
    assert!(!c.get("/").closes());
    assert!(!c.get("/").closes());
    let r = c.get("/");
    assert!(r.closes(), "the last request's response says close: {r:?}");
    assert!(server.wait_exit(Duration::from_secs(20)).success());
    let last = server.lines.recv_timeout(Duration::from_secs(5));
    assert_eq!(last.as_deref(), Ok("served 3 requests on 1 connections"));
}

#[test]
fn sigterm_lets_the_request_in_flight_finish_then_exits_0() {
    // A long read timeout, so an idle connection closed quickly was closed by the shutdown.
    let mut server = Server::start(&["--read-timeout", "30000"]);
    let mut idle = server.connect();
    assert_eq!(idle.get("/").status, 200);
    let mut busy = server.connect();
    busy.send(b"GET /sleep?ms=1500 HTTP/1.1\r\nHost: t\r\n\r\n");
    std::thread::sleep(Duration::from_millis(300)); // the request is in its sleep
    let start = Instant::now();
    server.signal(libc::SIGTERM);

    // The idle connection is closed at once, not after its 30 s timeout.
    assert!(idle.closed_by_server());
    assert!(start.elapsed() < Duration::from_secs(10));

    // The in-flight request completes, and says the connection closes.
    let r = busy.response();
    assert_eq!((r.status, r.text()), (200, "slept 1500 ms\n"));
    assert!(r.closes(), "{r:?}");
    assert!(busy.closed_by_server());

    let status = server.wait_exit(Duration::from_secs(20));
    assert!(status.success(), "exit status {status}");
    let last = server.lines.recv_timeout(Duration::from_secs(5));
    assert_eq!(last.as_deref(), Ok("served 2 requests on 2 connections"));
    // Nobody listens any more.
    let refused = TcpStream::connect_timeout(&server.addr, Duration::from_secs(5));
    assert!(refused.is_err(), "connected after shutdown");
    let _ = busy.stream.shutdown(Shutdown::Both);
}
