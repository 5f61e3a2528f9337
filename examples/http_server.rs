//! An HTTP/1.1 server on `rungo::net`, a coroutine per connection (twin: `go/http_server.go`,
//! Go's `net/http` with the same routes, flags and shutdown).
//!
//! ```text
//! cargo run --release --example http_server -- --addr 127.0.0.1:8080
//! curl -s localhost:8080/json
//! ```
//!
//! Routes: `GET /` (hello), `POST /echo` (echoes the body), `GET /sleep?ms=N` (sleeps N ms in its
//! coroutine with `rungo::sleep`, N <= 60000), `GET /json` (a small struct through serde_json);
//! any other path is 404. Requests are parsed with httparse: keep-alive (HTTP/1.1's default,
//! `Connection: keep-alive` for 1.0), pipelining, `Content-Length` bodies. A malformed request
//! gets 400, a body longer than `--max-body` 413, a header block over 16 KiB 431 (Go's code for
//! it), `Transfer-Encoding` 501 (chunked bodies are not implemented; Go's net/http has them);
//! each of these closes the connection, as the stream cannot be resynchronised.
//!
//! Slow clients: each request must arrive whole within `--read-timeout` of the server starting
//! to wait for it (Go's `Server.ReadTimeout`, which also bounds the keep-alive idle time); a
//! client that sent part of a request by then gets 408 and is closed, an idle one is closed.
//! Writes time out the same way per write.
//!
//! Graceful shutdown (Go's `Server.Shutdown`) on SIGINT or SIGTERM, after `--max-requests`
//! requests, or after `--duration`: a context is cancelled; the listener is closed (no new
//! connections); connections waiting for their next request are woken and closed; requests
//! in flight finish (their responses say `Connection: close`); then the process exits 0.
//!
//! `--stats` prints the runtime's counters (`rungo::metrics()`: workers, spawns, steals, busy
//! time per worker) to stderr at exit. It binds loopback addresses only. It prints `listening on http://ADDR` once it accepts (so a
//! test can pass `--addr 127.0.0.1:0` and read the port), and `served N requests on M
//! connections` when it has shut down.
use rungo::context::{self, CancelFunc, Context};
use rungo::net::{SocketAddr, TcpListener, TcpStream};
use rungo::sync::{Mutex, WaitGroup};
use serde::Serialize;
use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The largest request head (request line and headers) accepted.
const MAX_HEAD: usize = 16 * 1024;
/// The most headers in one request.
const MAX_HEADERS: usize = 32;
/// The longest `/sleep`.
const MAX_SLEEP_MS: u64 = 60_000;

const USAGE: &str =
    "usage: http_server [--addr 127.0.0.1:8080] [--max-requests N] [--duration SECS]
                   [--read-timeout MS (default 5000)] [--max-body BYTES (default 1048576)] [--stats]";

/// The command line.
struct Config {
    addr: SocketAddr,
    max_requests: Option<u64>,
    duration: Option<Duration>,
    read_timeout: Duration,
    max_body: usize,
    stats: bool,
}

fn parse_args() -> Result<Config, String> {
    let mut cfg = Config {
        addr: "127.0.0.1:8080".parse().unwrap(),
        max_requests: None,
        duration: None,
        read_timeout: Duration::from_millis(5000),
        max_body: 1 << 20,
        stats: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--stats" {
            cfg.stats = true;
            continue;
        }
        if flag == "-h" || flag == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}");
        match flag.trim_start_matches('-') {
            "addr" => cfg.addr = value.parse().map_err(|e| bad(&e))?,
            "max-requests" => cfg.max_requests = Some(value.parse().map_err(|e| bad(&e))?),
            "duration" => {
                let secs: f64 = value.parse().map_err(|e| bad(&e))?;
                cfg.duration = Some(Duration::try_from_secs_f64(secs).map_err(|e| bad(&e))?);
            }
            "read-timeout" => {
                let ms: u64 = value.parse().map_err(|e| bad(&e))?;
                if ms == 0 {
                    return Err(bad(&"must be positive"));
                }
                cfg.read_timeout = Duration::from_millis(ms);
            }
            "max-body" => cfg.max_body = value.parse().map_err(|e| bad(&e))?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if !cfg.addr.ip().is_loopback() {
        return Err(format!("{}: only loopback addresses are served", cfg.addr));
    }
    Ok(cfg)
}

/// Where a connection is in its request cycle, for shutdown: only a connection waiting for the
/// first byte of its next request is woken and closed; one in a request is left to finish.
#[derive(Clone, Copy, PartialEq)]
enum Phase {
    /// Reading or answering a request.
    Active,
    /// Waiting for the next request, buffer empty.
    Idle,
    /// Was idle when shutdown set its read deadline to now.
    Woken,
}

/// One live connection, as shutdown sees it.
struct Tracked {
    stream: TcpStream,
    phase: std::sync::Mutex<Phase>,
}

impl Tracked {
    fn set_phase(&self, to: Phase) -> Phase {
        let mut p = self.phase.lock().unwrap();
        std::mem::replace(&mut *p, to)
    }
}

/// The state every connection shares.
struct Server {
    cfg: Config,
    /// Done when the server is shutting down.
    ctx: Context,
    /// Cancels `ctx` (for `--max-requests`).
    stop: Arc<CancelFunc>,
    requests: AtomicU64,
    connections: AtomicU64,
    live: Mutex<HashMap<u64, Arc<Tracked>>>,
}

/// `/json`'s body.
#[derive(Serialize)]
struct Greeting<'a> {
    message: &'a str,
    server: &'a str,
    coroutines: usize,
}

/// A response before it is written.
struct Response {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    extra: &'static str,
}

impl Response {
    fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Response {
        let body = body.into();
        Response {
            status,
            content_type,
            body,
            extra: "",
        }
    }

    fn text(status: u16, body: &str) -> Response {
        Response::new(status, "text/plain; charset=utf-8", body)
    }

    /// Appends the response to `out`; `head_only` for HEAD requests.
    fn write_to(&self, out: &mut Vec<u8>, close: bool, head_only: bool) {
        let reason = match self.status {
            200 => "OK",
            400 => "Bad Request",
            404 => "Not Found",
            405 => "Method Not Allowed",
            408 => "Request Timeout",
            413 => "Request Entity Too Large",
            431 => "Request Header Fields Too Large",
            501 => "Not Implemented",
            _ => "Unknown",
        };
        let _ = write!(out, "HTTP/1.1 {} {reason}\r\nDate: ", self.status);
        http_date(out);
        let _ = write!(
            out,
            "\r\nContent-Type: {}\r\nContent-Length: {}\r\n{}",
            self.content_type,
            self.body.len(),
            self.extra
        );
        if close {
            out.extend_from_slice(b"Connection: close\r\n");
        }
        out.extend_from_slice(b"\r\n");
        if !head_only {
            out.extend_from_slice(&self.body);
        }
    }
}

/// Appends the current time as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), formatted
/// once a second per worker thread, as Go and hyper cache theirs.
fn http_date(out: &mut Vec<u8>) {
    thread_local! {
        static CACHE: std::cell::RefCell<(u64, String)> = const { std::cell::RefCell::new((u64::MAX, String::new())) };
    }
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    CACHE.with_borrow_mut(|(at, text)| {
        if *at != secs {
            *at = secs;
            *text = format_date(secs);
        }
        out.extend_from_slice(text.as_bytes());
    });
}

fn format_date(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Why a connection stops reading.
enum ReadEnd {
    /// The peer closed, an I/O error, or shutdown woke an idle connection: close quietly.
    Quiet,
    /// The read deadline passed with part of a request received: 408, then close.
    Timeout,
}

/// One connection: a buffer of received bytes and one of responses not yet written.
struct Conn<'a> {
    server: &'a Server,
    tracked: &'a Tracked,
    stream: &'a TcpStream,
    /// `buf[start..end]` is received and not yet consumed (`buf` is zeroed once, when it
    /// grows, not before every read).
    buf: Vec<u8>,
    start: usize,
    end: usize,
    out: Vec<u8>,
    deadline: Instant,
}

impl Conn<'_> {
    fn pending(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            let r = (&mut &*self.stream).write_all(&self.out);
            self.out.clear();
            r?;
        }
        Ok(())
    }

    /// Reads more bytes of the current request (flushing responses first). `idle`: nothing of
    /// it has arrived yet, so shutdown may wake this read.
    fn fill(&mut self, idle: bool) -> Result<(), ReadEnd> {
        self.flush().map_err(|_| ReadEnd::Quiet)?;
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
        } else if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            (self.start, self.end) = (0, self.end - self.start);
        }
        if self.buf.len() - self.end < 4096 {
            self.buf.resize(self.buf.len() + 8192, 0);
        }
        if idle {
            // Shutdown sets every idle connection's read deadline to now (under this lock, after
            // the context is done), so either it sees Idle and wakes this read, or we see done.
            let mut phase = self.tracked.phase.lock().unwrap();
            if self.server.ctx.is_done() {
                return Err(ReadEnd::Quiet);
            }
            *phase = Phase::Idle;
        }
        let r = (&mut &*self.stream).read(&mut self.buf[self.end..]);
        if idle && self.tracked.set_phase(Phase::Active) == Phase::Woken {
            // Woken by shutdown: put back this request's deadline and serve what arrived.
            let _ = self.stream.set_read_deadline(Some(self.deadline));
            if !matches!(r, Ok(n) if n > 0) {
                return Err(ReadEnd::Quiet);
            }
        }
        match r {
            Ok(0) => Err(ReadEnd::Quiet),
            Ok(n) => {
                self.end += n;
                Ok(())
            }
            Err(e) if e.kind() == ErrorKind::TimedOut && !idle => Err(ReadEnd::Timeout),
            Err(_) => Err(ReadEnd::Quiet),
        }
    }

    /// Serves requests until the connection should close.
    fn serve(&mut self) {
        loop {
            // The whole next request must arrive within the read timeout.
            self.deadline = Instant::now() + self.server.cfg.read_timeout;
            if self.stream.set_read_deadline(Some(self.deadline)).is_err() {
                return;
            }
            match self.one_request() {
                Ok(true) => continue,
                Ok(false) => break,
                Err(ReadEnd::Quiet) => break,
                Err(ReadEnd::Timeout) => {
                    Response::text(408, "request timeout\n").write_to(&mut self.out, true, false);
                    break;
                }
            }
        }
        let _ = self.flush();
    }

    /// Reads, answers and counts one request; `Ok(true)` to keep the connection open.
    fn one_request(&mut self) -> Result<bool, ReadEnd> {
        // The request head.
        let (head_len, method, path, keep_alive, body_len) = loop {
            if !self.pending().is_empty() {
                let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let mut req = httparse::Request::new(&mut headers);
                match req.parse(&self.buf[self.start..self.end]) {
                    Ok(httparse::Status::Complete(n)) => match head_info(&req) {
                        Ok((keep_alive, body_len)) => {
                            let method = req.method.unwrap_or("").to_string();
                            let path = req.path.unwrap_or("").to_string();
                            break (n, method, path, keep_alive, body_len);
                        }
                        Err(resp) => return Ok(self.reject(resp)),
                    },
                    Ok(httparse::Status::Partial) if self.pending().len() >= MAX_HEAD => {
                        return Ok(self.reject(Response::text(431, "request head too large\n")));
                    }
                    Ok(httparse::Status::Partial) => {}
                    Err(httparse::Error::TooManyHeaders) => {
                        return Ok(self.reject(Response::text(431, "too many headers\n")));
                    }
                    Err(e) => {
                        return Ok(
                            self.reject(Response::text(400, &format!("malformed request: {e}\n")))
                        );
                    }
                }
            }
            let idle = self.pending().is_empty();
            self.fill(idle)?;
        };
        if body_len > self.server.cfg.max_body {
            return Ok(self.reject(Response::text(413, "request body too large\n")));
        }
        while self.pending().len() < head_len + body_len {
            self.fill(false)?;
        }
        let body_at = self.start + head_len;
        let resp = route(&method, &path, &self.buf[body_at..body_at + body_len]);
        self.start = body_at + body_len;
        let served = self.server.requests.fetch_add(1, Ordering::Relaxed) + 1;
        if self.server.cfg.max_requests == Some(served) {
            self.server.stop.cancel();
        }
        let close = !keep_alive || self.server.ctx.is_done();
        resp.write_to(&mut self.out, close, method == "HEAD");
        Ok(!close)
    }

    /// Answers a request that cannot be served; the connection closes after it.
    fn reject(&mut self, resp: Response) -> bool {
        resp.write_to(&mut self.out, true, false);
        false
    }
}

/// Keep-alive and the body length of a parsed request head, or the error response.
fn head_info(req: &httparse::Request) -> Result<(bool, usize), Response> {
    let mut keep_alive = req.version == Some(1);
    let mut body_len: Option<usize> = None;
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            let len = std::str::from_utf8(h.value)
                .ok()
                .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| Response::text(400, "bad Content-Length\n"))?;
            if body_len.is_some_and(|l| l != len) {
                return Err(Response::text(400, "conflicting Content-Length\n"));
            }
            body_len = Some(len);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(Response::text(
                501,
                "Transfer-Encoding is not implemented\n",
            ));
        } else if h.name.eq_ignore_ascii_case("connection") {
            for token in h.value.split(|&b| b == b',') {
                let token = token.trim_ascii();
                if token.eq_ignore_ascii_case(b"close") {
                    keep_alive = false;
                } else if token.eq_ignore_ascii_case(b"keep-alive") {
                    keep_alive = true;
                }
            }
        }
    }
    Ok((keep_alive, body_len.unwrap_or(0)))
}

/// The routes.
fn route(method: &str, target: &str, body: &[u8]) -> Response {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let get = method == "GET" || method == "HEAD";
    let not_allowed = |allow: &'static str| {
        let mut r = Response::text(405, "method not allowed\n");
        r.extra = allow;
        r
    };
    match path {
        "/" if get => Response::text(200, "Hello, World!\n"),
        "/" => not_allowed("Allow: GET, HEAD\r\n"),
        "/echo" if method == "POST" => Response::new(200, "application/octet-stream", body),
        "/echo" => not_allowed("Allow: POST\r\n"),
        "/sleep" if get => {
            let ms = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("ms="))
                .and_then(|v| v.parse::<u64>().ok())
                .filter(|&ms| ms <= MAX_SLEEP_MS);
            match ms {
                Some(ms) => {
                    rungo::sleep(Duration::from_millis(ms));
                    Response::text(200, &format!("slept {ms} ms\n"))
                }
                None => Response::text(400, &format!("/sleep needs ms=0..{MAX_SLEEP_MS}\n")),
            }
        }
        "/json" if get => {
            let g = Greeting {
                message: "Hello, World!",
                server: "rungo",
                coroutines: rungo::num_goroutine(),
            };
            let mut body = serde_json::to_vec(&g).expect("a struct of strings serialises");
            body.push(b'\n');
            Response::new(200, "application/json", body)
        }
        "/sleep" | "/json" => not_allowed("Allow: GET, HEAD\r\n"),
        _ => Response::text(404, "404 page not found\n"),
    }
}

/// One connection's coroutine.
fn handle(server: Arc<Server>, tracked: Arc<Tracked>) {
    let stream = &tracked.stream;
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(server.cfg.read_timeout));
    let mut conn = Conn {
        server: &server,
        tracked: &tracked,
        stream,
        buf: vec![0; 8192],
        start: 0,
        end: 0,
        out: Vec::with_capacity(1024),
        deadline: Instant::now(),
    };
    conn.serve();
    stream.close();
}

/// Accepts until the listener is closed, a coroutine per connection.
fn accept_loop(server: Arc<Server>, listener: TcpListener, wg: WaitGroup) {
    let mut backoff = Duration::ZERO;
    let mut next_id = 0u64;
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(_) if server.ctx.is_done() => return,
            Err(e) => {
                // Go's backoff for temporary accept errors (EMFILE and friends).
                backoff = (backoff * 2).clamp(Duration::from_millis(5), Duration::from_secs(1));
                eprintln!("http_server: accept: {e}; retrying in {backoff:?}");
                rungo::sleep(backoff);
                continue;
            }
        };
        backoff = Duration::ZERO;
        next_id += 1;
        server.connections.fetch_add(1, Ordering::Relaxed);
        let tracked = Arc::new(Tracked {
            stream,
            phase: std::sync::Mutex::new(Phase::Active),
        });
        server.live.lock().insert(next_id, tracked.clone());
        let (server, id) = (server.clone(), next_id);
        wg.go(move || {
            handle(server.clone(), tracked);
            server.live.lock().remove(&id);
        });
    }
}

/// Blocks SIGINT and SIGTERM in this thread (and so in every thread started after it) and
/// starts a thread that waits for them: the first cancels the server's context, a second
/// exits at once. Go: `signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)`.
fn on_signals(stop: Arc<CancelFunc>) {
    // SAFETY: a zeroed sigset_t is a valid argument for sigemptyset, which initialises it.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a live sigset_t; the calls only write it and this thread's signal mask.
    unsafe {
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
    std::thread::spawn(move || {
        let mut first = true;
        loop {
            let mut sig = 0;
            // SAFETY: `set` is initialised above and `sig` is a live c_int.
            if unsafe { libc::sigwait(&set, &mut sig) } != 0 {
                continue;
            }
            if !first {
                std::process::exit(130);
            }
            first = false;
            eprintln!("http_server: signal {sig}, shutting down");
            stop.cancel();
        }
    });
}

fn main() {
    let cfg = match parse_args() {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("http_server: {e}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let (base, stop) = context::with_cancel(&context::background());
    let stop = Arc::new(stop);
    // Before the runtime starts its threads, so they inherit the blocked mask.
    on_signals(stop.clone());
    rungo::run(move || {
        let _timer;
        let ctx = match cfg.duration {
            Some(d) => {
                let (ctx, cancel) = context::with_timeout(&base, d);
                _timer = cancel;
                ctx
            }
            None => base.clone(),
        };
        let listener = match TcpListener::bind(cfg.addr) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("http_server: listen on {}: {e}", cfg.addr);
                std::process::exit(1);
            }
        };
        println!("listening on http://{}", listener.local_addr().unwrap());
        let server = Arc::new(Server {
            cfg,
            ctx: ctx.clone(),
            stop,
            requests: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            live: Mutex::new(HashMap::new()),
        });
        let wg = WaitGroup::new();
        let acceptor = {
            let (server, listener, wg) =
                (server.clone(), listener.try_clone().unwrap(), wg.clone());
            rungo::go!(move || accept_loop(server, listener, wg))
        };

        // Shutdown: stop accepting, wake idle connections, let requests in flight finish.
        ctx.wait();
        listener.close();
        acceptor.join().expect("the accept loop does not panic");
        for tracked in server.live.lock().values() {
            let mut phase = tracked.phase.lock().unwrap();
            if *phase == Phase::Idle {
                *phase = Phase::Woken;
                let _ = tracked.stream.set_read_deadline(Some(Instant::now()));
            }
        }
        wg.wait();
        println!(
            "served {} requests on {} connections",
            server.requests.load(Ordering::Relaxed),
            server.connections.load(Ordering::Relaxed)
        );
        if server.cfg.stats {
            let m = rungo::metrics();
            eprintln!(
                "http_server: workers started {}/{}, spawns {}, steals {}, switches {}, busy per worker {:?}",
                m.workers_started, m.workers, m.spawns, m.steals, m.context_switches, m.busy
            );
        }
    })
}
