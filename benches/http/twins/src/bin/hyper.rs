//! The tokio + hyper 1 twin of examples/http_server.rs, for benches/http/compare.sh: the same
//! routes (`/`, `POST /echo`, `/sleep?ms=N`, `/json`), keep-alive, `--max-body` (413), hyper's
//! header read timeout, graceful shutdown on SIGINT/SIGTERM (hyper-util's GracefulShutdown).
//!
//!   hyper [--addr 127.0.0.1:8080] [--workers N (tokio worker_threads; default: cores)]
//!         [--read-timeout MS] [--max-body BYTES]
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode, header};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use serde::Serialize;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};

const MAX_SLEEP_MS: u64 = 60_000;

#[derive(Serialize)]
struct Greeting<'a> {
    message: &'a str,
    server: &'a str,
    coroutines: usize,
}

fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Full::new(body.into()))
        .unwrap()
}

fn not_allowed(allow: &'static str) -> Response<Full<Bytes>> {
    let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    r.headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static(allow));
    r
}

async fn route(
    req: Request<Incoming>,
    max_body: usize,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let get = req.method() == Method::GET || req.method() == Method::HEAD;
    let resp = match req.uri().path() {
        "/" if get => text(StatusCode::OK, "Hello, World!\n"),
        "/" => not_allowed("GET, HEAD"),
        "/echo" if req.method() == Method::POST => {
            match Limited::new(req.into_body(), max_body).collect().await {
                Ok(body) => Response::builder()
                    .header(header::CONTENT_TYPE, "application/octet-stream")
                    .body(Full::new(body.to_bytes()))
                    .unwrap(),
                Err(_) => text(StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n"),
            }
        }
        "/echo" => not_allowed("POST"),
        "/sleep" if get => {
            let ms = req
                .uri()
                .query()
                .unwrap_or("")
                .split('&')
                .find_map(|kv| kv.strip_prefix("ms="))
                .and_then(|v| v.parse::<u64>().ok())
                .filter(|&ms| ms <= MAX_SLEEP_MS);
            match ms {
                Some(ms) => {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    text(StatusCode::OK, format!("slept {ms} ms\n"))
                }
                None => text(
                    StatusCode::BAD_REQUEST,
                    format!("/sleep needs ms=0..{MAX_SLEEP_MS}\n"),
                ),
            }
        }
        "/json" if get => {
            let tasks = tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks();
            let g = Greeting {
                message: "Hello, World!",
                server: "hyper",
                coroutines: tasks,
            };
            let mut body = serde_json::to_vec(&g).unwrap();
            body.push(b'\n');
            Response::builder()
                .header(header::CONTENT_TYPE, "application/json")
                .body(Full::new(Bytes::from(body)))
                .unwrap()
        }
        "/sleep" | "/json" => not_allowed("GET, HEAD"),
        _ => text(StatusCode::NOT_FOUND, "404 page not found\n"),
    };
    Ok(resp)
}

struct Config {
    addr: SocketAddr,
    workers: usize,
    read_timeout: Duration,
    max_body: usize,
}

fn parse_args() -> Config {
    let mut cfg = Config {
        addr: "127.0.0.1:8080".parse().unwrap(),
        workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
        read_timeout: Duration::from_millis(5000),
        max_body: 1 << 20,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.trim_start_matches('-') {
            "addr" => cfg.addr = value.parse().expect("--addr"),
            "workers" => cfg.workers = value.parse().expect("--workers"),
            "read-timeout" => {
                cfg.read_timeout = Duration::from_millis(value.parse().expect("--read-timeout"))
            }
            "max-body" => cfg.max_body = value.parse().expect("--max-body"),
            _ => panic!("unknown flag {flag}"),
        }
    }
    assert!(
        cfg.addr.ip().is_loopback(),
        "only loopback addresses are served"
    );
    cfg
}

async fn serve(cfg: Config) {
    let listener = tokio::net::TcpListener::bind(cfg.addr).await.expect("bind");
    println!("listening on http://{}", listener.local_addr().unwrap());
    let graceful = GracefulShutdown::new();
    let mut term = signal(SignalKind::terminate()).unwrap();
    let mut int = signal(SignalKind::interrupt()).unwrap();
    let max_body = cfg.max_body;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        eprintln!("hyper: accept: {e}");
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let conn = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(cfg.read_timeout)
                    .serve_connection(TokioIo::new(stream), service_fn(move |req| route(req, max_body)));
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    drop(listener);
    graceful.shutdown().await;
    println!("shut down");
}

fn main() {
    let cfg = parse_args();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cfg.workers)
        .enable_all()
        .build()
        .unwrap()
        .block_on(serve(cfg));
}
