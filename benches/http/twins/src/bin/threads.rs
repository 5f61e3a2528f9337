//! The thread-per-connection twin of examples/http_server.rs, for benches/http/compare.sh: the
//! same routes and request handling (httparse, keep-alive, pipelining, Content-Length bodies,
//! 400/413/431/501, a whole request within `--read-timeout`), on std::net with one OS thread per
//! connection and std::thread::sleep for `/sleep`. std has no deadlines, so the per-request
//! deadline is kept by setting the socket's read timeout to the time left before each read.
//! No graceful shutdown: SIGTERM ends it.
//!
//!   threads [--addr 127.0.0.1:8080] [--read-timeout MS] [--max-body BYTES]
use serde::Serialize;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const MAX_HEAD: usize = 16 * 1024;
const MAX_HEADERS: usize = 32;
const MAX_SLEEP_MS: u64 = 60_000;
static THREADS: AtomicUsize = AtomicUsize::new(1);

#[derive(Serialize)]
struct Greeting<'a> {
    message: &'a str,
    server: &'a str,
    coroutines: usize,
}

struct Response {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    extra: &'static str,
}

impl Response {
    fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            content_type,
            body: body.into(),
            extra: "",
        }
    }
    fn text(status: u16, body: &str) -> Response {
        Response::new(status, "text/plain; charset=utf-8", body)
    }
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
                    std::thread::sleep(Duration::from_millis(ms));
                    Response::text(200, &format!("slept {ms} ms\n"))
                }
                None => Response::text(400, &format!("/sleep needs ms=0..{MAX_SLEEP_MS}\n")),
            }
        }
        "/json" if get => {
            let g = Greeting {
                message: "Hello, World!",
                server: "threads",
                coroutines: THREADS.load(Ordering::Relaxed),
            };
            let mut body = serde_json::to_vec(&g).unwrap();
            body.push(b'\n');
            Response::new(200, "application/json", body)
        }
        "/sleep" | "/json" => not_allowed("Allow: GET, HEAD\r\n"),
        _ => Response::text(404, "404 page not found\n"),
    }
}

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    start: usize,
    out: Vec<u8>,
    deadline: Instant,
    max_body: usize,
}

enum End {
    Quiet,
    Timeout,
}

impl Conn {
    fn pending(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.out.is_empty() {
            let r = self.stream.write_all(&self.out);
            self.out.clear();
            r?;
        }
        Ok(())
    }

    fn fill(&mut self, idle: bool) -> Result<(), End> {
        self.flush().map_err(|_| End::Quiet)?;
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(if idle { End::Quiet } else { End::Timeout });
        }
        let _ = self.stream.set_read_timeout(Some(left));
        let len = self.buf.len();
        if self.buf.capacity() - len < 4096 {
            self.buf.reserve(8192);
        }
        let cap = self.buf.capacity();
        self.buf.resize(cap, 0);
        let r = self.stream.read(&mut self.buf[len..]);
        match r {
            Ok(n) if n > 0 => {
                self.buf.truncate(len + n);
                Ok(())
            }
            Ok(_) => {
                self.buf.truncate(len);
                Err(End::Quiet)
            }
            Err(e) => {
                self.buf.truncate(len);
                let timeout = matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut);
                Err(if timeout && !idle {
                    End::Timeout
                } else {
                    End::Quiet
                })
            }
        }
    }

    fn one_request(&mut self) -> Result<bool, End> {
        let (head_len, method, path, keep_alive, body_len) = loop {
            if !self.pending().is_empty() {
                let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let mut req = httparse::Request::new(&mut headers);
                match req.parse(&self.buf[self.start..]) {
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
        if body_len > self.max_body {
            return Ok(self.reject(Response::text(413, "request body too large\n")));
        }
        while self.pending().len() < head_len + body_len {
            self.fill(false)?;
        }
        let body_at = self.start + head_len;
        let resp = route(&method, &path, &self.buf[body_at..body_at + body_len]);
        self.start = body_at + body_len;
        resp.write_to(&mut self.out, !keep_alive, method == "HEAD");
        Ok(keep_alive)
    }

    fn reject(&mut self, resp: Response) -> bool {
        resp.write_to(&mut self.out, true, false);
        false
    }
}

fn handle(stream: TcpStream, read_timeout: Duration, max_body: usize) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(read_timeout));
    let mut conn = Conn {
        stream,
        buf: Vec::with_capacity(8192),
        start: 0,
        out: Vec::with_capacity(1024),
        deadline: Instant::now(),
        max_body,
    };
    loop {
        conn.deadline = Instant::now() + read_timeout;
        match conn.one_request() {
            Ok(true) => continue,
            Ok(false) | Err(End::Quiet) => break,
            Err(End::Timeout) => {
                Response::text(408, "request timeout\n").write_to(&mut conn.out, true, false);
                break;
            }
        }
    }
    let _ = conn.flush();
}

fn main() {
    let mut addr: SocketAddr = "127.0.0.1:8080".parse().unwrap();
    let mut read_timeout = Duration::from_millis(5000);
    let mut max_body = 1usize << 20;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.trim_start_matches('-') {
            "addr" => addr = value.parse().expect("--addr"),
            "read-timeout" => {
                read_timeout = Duration::from_millis(value.parse().expect("--read-timeout"))
            }
            "max-body" => max_body = value.parse().expect("--max-body"),
            _ => panic!("unknown flag {flag}"),
        }
    }
    assert!(
        addr.ip().is_loopback(),
        "only loopback addresses are served"
    );
    let listener = TcpListener::bind(addr).expect("bind");
    println!("listening on http://{}", listener.local_addr().unwrap());
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                let spawned = std::thread::Builder::new()
                    .stack_size(64 * 1024)
                    .spawn(move || {
                        THREADS.fetch_add(1, Ordering::Relaxed);
                        handle(stream, read_timeout, max_body);
                        THREADS.fetch_sub(1, Ordering::Relaxed);
                    });
                if let Err(e) = spawned {
                    eprintln!("threads: spawn: {e}");
                }
            }
            Err(e) => {
                eprintln!("threads: accept: {e}");
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}
