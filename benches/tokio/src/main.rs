//! The tokio twin of rungo's network benchmark (`examples/netbench.rs`; the Go twin is
//! `benches/go/netbench/main.go`): the same four workloads over loopback TCP at the same sizes,
//! printing the same line, for `benches/compare_net.sh`:
//!
//! ```text
//! <workload>: <total duration> total, <ns/op> ns/op, peak RSS <MB> MB, GOMAXPROCS=<n>
//! ```
//!
//! idle8k prints one more line before it, the resident memory each connection adds:
//!
//! ```text
//! idle8k per-connection: <KB> KB RSS (VmRSS <MB> MB before, <MB> MB after 8000 connections)
//! ```
//!
//! A multi-thread runtime with `worker_threads` = `GOMAXPROCS` from the environment (else the
//! number of CPUs), as the Go and rungo twins size their schedulers. Each workload runs as a task
//! spawned on that runtime (Go's `main` is a goroutine), client and server in this process on
//! 127.0.0.1, a task per connection on each side, 64-byte messages, TCP_NODELAY on both ends.
//! Peak RSS is `VmHWM` from `/proc/self/status`, which is per process, so `all` runs every
//! workload in a child process of its own.
//!
//! Run: `cargo run --release -- <workload>|all` in `benches/tokio`.

use std::net::SocketAddr;
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::Semaphore;

/// The size of every message, both ways.
const MSG: usize = 64;

/// What a workload's run returns: the operation count that ns/op is counted over, and an extra
/// line to print before the result.
type Outcome = (u64, Option<String>);

struct Workload {
    name: &'static str,
    what: &'static str,
    run: fn() -> std::pin::Pin<Box<dyn Future<Output = Outcome> + Send>>,
}

const WORKLOADS: &[Workload] = &[
    Workload {
        name: "echo1",
        what: "one connection, 100,000 round trips of 64 bytes (ns/op per round trip)",
        run: || Box::pin(echo1()),
    },
    Workload {
        name: "echo1k",
        what: "1,000 connections at once, 100 round trips of 64 bytes each (ns/op per round trip)",
        run: || Box::pin(echo1k()),
    },
    Workload {
        name: "accept",
        what: "20,000 connect/accept/close cycles from 50 client tasks (ns/op per cycle)",
        run: || Box::pin(accept()),
    },
    Workload {
        name: "idle8k",
        what: "8,000 connections held open after one round trip each (ns/op per connection)",
        run: || Box::pin(idle8k()),
    },
];

// ---------------------------------------------------------------------------------------------
// The workloads, line by line after benches/go/netbench/main.go.

/// Binds 127.0.0.1 on a free port and serves every connection with `handle` on a task of its
/// own, until the process ends. The backlog is `somaxconn`, as Go's `net.Listen` uses (tokio's
/// `TcpListener::bind` would use 1024). Returns the address to dial.
fn listen<F, Fut>(handle: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let socket = TcpSocket::new_v4().unwrap_or_else(|e| fatal("socket", e));
    socket
        .set_reuseaddr(true)
        .unwrap_or_else(|e| fatal("set reuseaddr", e));
    socket
        .bind("127.0.0.1:0".parse().expect("an address"))
        .unwrap_or_else(|e| fatal("bind", e));
    let listener = socket
        .listen(somaxconn())
        .unwrap_or_else(|e| fatal("listen", e));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| fatal("local addr", e));
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener
                .accept()
                .await
                .unwrap_or_else(|e| fatal("accept", e));
            stream
                .set_nodelay(true)
                .unwrap_or_else(|e| fatal("set nodelay (server)", e));
            tokio::spawn(handle(stream));
        }
    });
    addr
}

/// The server side of a connection: reads 64-byte messages and writes each back, until the
/// client closes.
async fn echo(mut stream: TcpStream) {
    let mut buf = [0u8; MSG];
    loop {
        match stream.read_exact(&mut buf).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return,
            Err(e) => fatal("server read", e),
        }
        stream
            .write_all(&buf)
            .await
            .unwrap_or_else(|e| fatal("server write", e));
    }
}

/// Connects to `addr` with TCP_NODELAY set.
async fn dial(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| fatal("dial", e));
    stream
        .set_nodelay(true)
        .unwrap_or_else(|e| fatal("set nodelay (client)", e));
    stream
}

/// Writes `k` 64-byte messages to `stream`, one at a time, each numbered, and reads each back,
/// checking that it is the one sent.
async fn round_trips(stream: &mut TcpStream, k: u64) {
    let (mut out, mut back) = ([0u8; MSG], [0u8; MSG]);
    for i in 0..k {
        out[..8].copy_from_slice(&i.to_le_bytes());
        stream
            .write_all(&out)
            .await
            .unwrap_or_else(|e| fatal("client write", e));
        stream
            .read_exact(&mut back)
            .await
            .unwrap_or_else(|e| fatal("client read", e));
        if back != out {
            fatal("client read", "the echo differs from the message sent");
        }
    }
}

async fn echo1() -> Outcome {
    let addr = listen(echo);
    let mut stream = dial(addr).await;
    round_trips(&mut stream, 100_000).await;
    drop(stream);
    (100_000, None)
}

async fn echo1k() -> Outcome {
    let addr = listen(echo);
    // A semaphore of zero permits as Go's WaitGroup: each client adds one, main takes all.
    let done = Arc::new(Semaphore::new(0));
    for _ in 0..1000 {
        let done = done.clone();
        tokio::spawn(async move {
            let mut stream = dial(addr).await;
            round_trips(&mut stream, 100).await;
            drop(stream);
            done.add_permits(1);
        });
    }
    wait(&done, 1000).await;
    (1000 * 100, None)
}

async fn accept() -> Outcome {
    // The server closes each connection at once; the client waits for that end of file, so each
    // client has one connection in flight and the accept queue never overflows.
    let addr = listen(|stream| async move { drop(stream) });
    let done = Arc::new(Semaphore::new(0));
    for _ in 0..50 {
        let done = done.clone();
        tokio::spawn(async move {
            let mut b = [0u8; 1];
            for _ in 0..20_000 / 50 {
                let mut stream = dial(addr).await;
                match stream.read(&mut b).await {
                    Ok(0) => {}
                    got => fatal("client read", format!("want end of file, got {got:?}")),
                }
                drop(stream);
            }
            done.add_permits(1);
        });
    }
    wait(&done, 50).await;
    (20_000, None)
}

async fn idle8k() -> Outcome {
    const CONNS: u64 = 8000;
    let addr = listen(echo);
    let before = status_kb("VmRSS:").unwrap_or(0);
    let done = Arc::new(Semaphore::new(0));
    for _ in 0..CONNS {
        let done = done.clone();
        tokio::spawn(async move {
            let mut stream = dial(addr).await;
            round_trips(&mut stream, 1).await;
            done.add_permits(1);
            // Held open, parked in a read that the server never answers, until the process ends.
            let mut b = [0u8; 1];
            let got = stream.read(&mut b).await;
            fatal("idle client", format!("read returned {got:?}"));
        });
    }
    wait(&done, CONNS as u32).await;
    let after = status_kb("VmRSS:").unwrap_or(0);
    let note = format!(
        "idle8k per-connection: {:.1} KB RSS (VmRSS {} MB before, {} MB after {CONNS} connections)",
        after.saturating_sub(before) as f64 / CONNS as f64,
        before / 1024,
        after / 1024,
    );
    (CONNS, Some(note))
}

/// Waits until `n` permits have been added to `done` (Go's `wg.Wait()`).
async fn wait(done: &Semaphore, n: u32) {
    done.acquire_many(n)
        .await
        .unwrap_or_else(|e| fatal("wait", e))
        .forget();
}

fn fatal(what: &str, err: impl std::fmt::Display) -> ! {
    eprintln!("netbench-tokio: {what}: {err}");
    std::process::exit(1);
}

/// `net.core.somaxconn`, the backlog Go's `net.Listen` asks for (capped as Go caps it).
fn somaxconn() -> u32 {
    std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .map_or(128, |n: u32| n.min(65535))
}

/// Raises the soft open-file limit to the hard one (idle8k holds 16,000 fds), as Go does at
/// start-up.
fn raise_file_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes a `struct rlimit` through a valid pointer to one.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        fatal("getrlimit", std::io::Error::last_os_error());
    }
    lim.rlim_cur = lim.rlim_max;
    // SAFETY: setrlimit reads a valid `struct rlimit`.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
        fatal("setrlimit", std::io::Error::last_os_error());
    }
}

// ---------------------------------------------------------------------------------------------
// Measuring and reporting, as examples/million.rs does.

fn gomaxprocs() -> usize {
    std::env::var("GOMAXPROCS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Runs one workload as a task on a fresh runtime and prints its line.
fn run_one(w: &Workload) {
    raise_file_limit();
    let procs = gomaxprocs();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(procs)
        .enable_io()
        .build()
        .unwrap_or_else(|e| fatal("runtime", e));
    let run = w.run;
    let ((ops, note), elapsed) = rt.block_on(async move {
        tokio::spawn(async move {
            let start = Instant::now();
            let outcome = run().await;
            (outcome, start.elapsed())
        })
        .await
        .unwrap_or_else(|e| fatal("workload", e))
    });
    if let Some(note) = note {
        println!("{note}");
    }
    println!(
        "{}: {} total, {:.1} ns/op, peak RSS {} MB, GOMAXPROCS={}",
        w.name,
        go_duration(elapsed),
        elapsed.as_nanos() as f64 / ops as f64,
        status_kb("VmHWM:").map_or_else(|| "?".to_string(), |kb| (kb / 1024).to_string()),
        procs
    );
    // Connections and tasks are still open: end here, as Go's main does, without tearing down.
    std::process::exit(0);
}

/// Runs every workload in a child process of its own, so each line's peak RSS is its own.
fn run_all() -> ExitCode {
    let exe = std::env::current_exe().unwrap_or_else(|e| fatal("current exe", e));
    let mut status = ExitCode::SUCCESS;
    for w in WORKLOADS {
        match Command::new(&exe).arg(w.name).status() {
            Ok(s) if s.success() => {}
            Ok(s) => {
                eprintln!("{}: failed ({s})", w.name);
                status = ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("{}: cannot start: {e}", w.name);
                status = ExitCode::FAILURE;
            }
        }
    }
    status
}

/// A kB field (`VmHWM:`, `VmRSS:`) of `/proc/self/status`.
fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Formats a duration as Go's `time.Duration.String` (`%v`) does.
fn go_duration(d: Duration) -> String {
    const US: u128 = 1_000;
    const MS: u128 = 1_000_000;
    const S: u128 = 1_000_000_000;
    let ns = d.as_nanos();
    match ns {
        0 => "0s".to_string(),
        1..US => format!("{ns}ns"),
        US..MS => format!("{}µs", decimal(ns, 3)),
        MS..S => format!("{}ms", decimal(ns, 6)),
        _ => {
            let secs = ns / S;
            let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
            let seconds = decimal(s * S + ns % S, 9);
            match (h, m) {
                (0, 0) => format!("{seconds}s"),
                (0, _) => format!("{m}m{seconds}s"),
                _ => format!("{h}h{m}m{seconds}s"),
            }
        }
    }
}

/// `v / 10^digits` with the fraction's trailing zeros dropped, as Go's `fmtFrac` writes it.
fn decimal(v: u128, digits: u32) -> String {
    let scale = 10u128.pow(digits);
    let (int, frac) = (v / scale, v % scale);
    if frac == 0 {
        return int.to_string();
    }
    let frac = format!("{frac:0width$}", width = digits as usize);
    format!("{int}.{}", frac.trim_end_matches('0'))
}

fn usage() -> String {
    let mut s = String::from(
        "usage: netbench-tokio <workload>|all   (no argument: all)\n\n\
         The tokio twin of rungo's network benchmark (examples/netbench.rs): loopback TCP, client\n\
         and server in this process, a task per connection on each side, 64-byte messages,\n\
         TCP_NODELAY on both ends. worker_threads = GOMAXPROCS from the environment. Prints:\n  \
         <workload>: <total duration> total, <ns/op> ns/op, peak RSS <MB> MB, GOMAXPROCS=<n>\n\
         'all' runs every workload, each in a child process of its own.\n\nworkloads:\n",
    );
    for w in WORKLOADS {
        s.push_str(&format!("  {:<7} {}\n", w.name, w.what));
    }
    s
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = match args.as_slice() {
        [] => "all",
        [arg] => arg.as_str(),
        _ => {
            eprint!("{}", usage());
            return ExitCode::from(2);
        }
    };
    match arg {
        "-h" | "--help" | "help" => {
            print!("{}", usage());
            ExitCode::SUCCESS
        }
        "all" => run_all(),
        name => match WORKLOADS.iter().find(|w| w.name == name) {
            Some(w) => {
                run_one(w);
                ExitCode::SUCCESS
            }
            None => {
                eprint!("unknown workload {name:?}\n\n{}", usage());
                ExitCode::from(2)
            }
        },
    }
}
