//! The network benchmark: four loopback-TCP workloads, each the twin of a Go program in
//! `benches/go/netbench/main.go` (and of a tokio program in `benches/tokio`), at the same sizes
//! and printing the same line as `examples/million.rs`:
//!
//! ```text
//! <workload>: <total duration> total, <ns/op> ns/op, peak RSS <MB> MB, GOMAXPROCS=<n>
//! ```
//!
//! idle8k prints one more line before it, the resident memory each connection (both ends: two
//! sockets, two coroutines) adds:
//!
//! ```text
//! idle8k per-connection: <KB> KB RSS (VmRSS <MB> MB before, <MB> MB after 8000 connections)
//! ```
//!
//! Run: `cargo run --release --example netbench -- <workload>|all` (`--help` lists them);
//! `benches/compare_net.sh` runs it beside the Go and tokio twins.
//!
//! Client and server live in this one process, on 127.0.0.1 only, with a coroutine per
//! connection on each side (Go's model: plain blocking code on `rungo::net` sockets, served by
//! the netpoller), 64-byte messages echoed whole, and TCP_NODELAY set on both ends. Each workload
//! runs as the runtime's main coroutine through [`rungo::run`], as Go's `main` is a goroutine.
//! Peak RSS is `VmHWM` from `/proc/self/status`, which is per process, so `all` runs every
//! workload in a child process of its own (this program re-executed with the workload's name).
//! The clock covers the workload from binding the listener until the clients are done (for
//! idle8k: until every connection has made its round trip); nothing is torn down after it: the
//! process exits with connections open, as a Go `main` returning does.

use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::process::{Command, ExitCode};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use rungo::go;
use rungo::net::{TcpListener, TcpStream};
use rungo::sync::WaitGroup;

/// The size of every message, both ways.
const MSG: usize = 64;

/// What a workload's run returns: the operation count that ns/op is counted over, and an extra
/// line to print before the result.
type Outcome = (u64, Option<String>);

/// One benchmark: `run` does the work on the main coroutine.
struct Workload {
    name: &'static str,
    what: &'static str,
    run: fn() -> Outcome,
}

const WORKLOADS: &[Workload] = &[
    Workload {
        name: "echo1",
        what: "one connection, 100,000 round trips of 64 bytes (ns/op per round trip)",
        run: echo1,
    },
    Workload {
        name: "echo1k",
        what: "1,000 connections at once, 100 round trips of 64 bytes each (ns/op per round trip)",
        run: echo1k,
    },
    Workload {
        name: "accept",
        what: "20,000 connect/accept/close cycles from 50 client coroutines (ns/op per cycle)",
        run: accept,
    },
    Workload {
        name: "idle8k",
        what: "8,000 connections held open after one round trip each (ns/op per connection)",
        run: idle8k,
    },
];

// ---------------------------------------------------------------------------------------------
// The workloads, line by line after benches/go/netbench/main.go.

/// Binds 127.0.0.1 on a free port and serves every connection with `handle` on a coroutine of
/// its own, until the process ends. Returns the address to dial.
fn listen(handle: fn(TcpStream)) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| fatal("listen", e));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| fatal("local addr", e));
    go!(move || {
        loop {
            let (stream, _) = listener.accept().unwrap_or_else(|e| fatal("accept", e));
            stream
                .set_nodelay(true)
                .unwrap_or_else(|e| fatal("set nodelay (server)", e));
            go!(handle, stream);
        }
    });
    addr
}

/// The server side of a connection: reads 64-byte messages and writes each back, until the
/// client closes.
fn echo(mut stream: TcpStream) {
    let mut buf = [0u8; MSG];
    loop {
        match stream.read_exact(&mut buf) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => return,
            Err(e) => fatal("server read", e),
        }
        stream
            .write_all(&buf)
            .unwrap_or_else(|e| fatal("server write", e));
    }
}

/// Connects to `addr` with TCP_NODELAY set.
fn dial(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap_or_else(|e| fatal("dial", e));
    stream
        .set_nodelay(true)
        .unwrap_or_else(|e| fatal("set nodelay (client)", e));
    stream
}

/// Writes `k` 64-byte messages to `stream`, one at a time, each numbered, and reads each back,
/// checking that it is the one sent.
fn round_trips(stream: &mut TcpStream, k: u64) {
    let (mut out, mut back) = ([0u8; MSG], [0u8; MSG]);
    for i in 0..k {
        out[..8].copy_from_slice(&i.to_le_bytes());
        stream
            .write_all(&out)
            .unwrap_or_else(|e| fatal("client write", e));
        stream
            .read_exact(&mut back)
            .unwrap_or_else(|e| fatal("client read", e));
        if back != out {
            fatal("client read", "the echo differs from the message sent");
        }
    }
}

fn echo1() -> Outcome {
    let addr = listen(echo);
    let mut stream = dial(addr);
    round_trips(&mut stream, 100_000);
    drop(stream);
    (100_000, None)
}

fn echo1k() -> Outcome {
    let addr = listen(echo);
    let wg = WaitGroup::new();
    wg.add(1000);
    for _ in 0..1000 {
        let wg = wg.clone();
        go!(move || {
            let mut stream = dial(addr);
            round_trips(&mut stream, 100);
            drop(stream);
            wg.done();
        });
    }
    wg.wait();
    (1000 * 100, None)
}

fn accept() -> Outcome {
    // The server closes each connection at once; the client waits for that end of file, so each
    // client has one connection in flight and the accept queue never overflows.
    let addr = listen(drop);
    let wg = WaitGroup::new();
    wg.add(50);
    for _ in 0..50 {
        let wg = wg.clone();
        go!(move || {
            let mut b = [0u8; 1];
            for _ in 0..20_000 / 50 {
                let mut stream = dial(addr);
                match stream.read(&mut b) {
                    Ok(0) => {}
                    got => fatal("client read", format!("want end of file, got {got:?}")),
                }
                drop(stream);
            }
            wg.done();
        });
    }
    wg.wait();
    (20_000, None)
}

fn idle8k() -> Outcome {
    const CONNS: u64 = 8000;
    let addr = listen(echo);
    let before = status_kb("VmRSS:").unwrap_or(0);
    let wg = WaitGroup::new();
    wg.add(CONNS as i64);
    for _ in 0..CONNS {
        let wg = wg.clone();
        go!(move || {
            let mut stream = dial(addr);
            round_trips(&mut stream, 1);
            wg.done();
            // Held open, parked in a read that the server never answers, until the process ends.
            let mut b = [0u8; 1];
            let got = stream.read(&mut b);
            fatal("idle client", format!("read returned {got:?}"));
        });
    }
    wg.wait();
    let after = status_kb("VmRSS:").unwrap_or(0);
    let note = format!(
        "idle8k per-connection: {:.1} KB RSS (VmRSS {} MB before, {} MB after {CONNS} connections)",
        after.saturating_sub(before) as f64 / CONNS as f64,
        before / 1024,
        after / 1024,
    );
    (CONNS, Some(note))
}

/// Exits with status 1 on any failure: a benchmark of a failing program measures nothing.
fn fatal(what: &str, err: impl std::fmt::Display) -> ! {
    eprintln!("netbench: {what}: {err}");
    std::process::exit(1);
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

/// Runs one workload as the main coroutine, prints its line and exits (connections, and the
/// coroutines serving them, are still open: the process ends with them, as Go's does).
fn run_one(w: &Workload) -> ! {
    raise_file_limit();
    // Start the runtime before the clock, as Go's is running before main.
    let procs = rungo::gomaxprocs();
    let progress = Progress::start();
    let run = w.run;
    let ((ops, note), elapsed) = rungo::run(move || {
        let start = Instant::now();
        let outcome = run();
        (outcome, start.elapsed())
    });
    progress.stop();
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
    std::process::exit(0);
}

/// Runs every workload in a child process of its own, so each line's peak RSS is its own.
fn run_all() -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("netbench: cannot find my own executable: {e}");
            return ExitCode::FAILURE;
        }
    };
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

/// A plain thread that prints a dot on stderr for every second a run takes.
struct Progress {
    stop: mpsc::Sender<()>,
    thread: thread::JoinHandle<()>,
}

impl Progress {
    fn start() -> Progress {
        let (stop, stopped) = mpsc::channel();
        let thread = thread::spawn(move || {
            let mut dots = false;
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(Duration::from_secs(1))
            {
                eprint!(".");
                dots = true;
            }
            if dots {
                eprintln!();
            }
        });
        Progress { stop, thread }
    }

    fn stop(self) {
        // A send error means the thread is gone already: nothing to stop.
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
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

/// Formats a duration as Go's `time.Duration.String` (`%v`) does: `1.234567891s`, `273.4ms`,
/// `12.5µs`, `80ns`, `1m2.5s`, `0s`.
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

/// `v / 10^digits` as a decimal number with the fraction's trailing zeros dropped (and no point
/// when the fraction is zero), as Go's `fmtFrac` writes it.
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
        "usage: cargo run --release --example netbench [-- <workload>|all]   (no argument: all)\n\n\
         rungo's network benchmark; benches/go/netbench/main.go is its Go twin, benches/tokio its\n\
         tokio twin. Loopback TCP, client and server in this process, a coroutine per connection\n\
         on each side, 64-byte messages, TCP_NODELAY on both ends; main runs as the runtime's main\n\
         coroutine via rungo::run. Prints one line per run:\n  \
         <workload>: <total duration> total, <ns/op> ns/op, peak RSS <MB> MB, GOMAXPROCS=<n>\n\
         idle8k first prints the RSS each connection (both ends) adds.\n\
         'all' runs every workload, each in a child process of its own (peak RSS is per process).\n\
         GOMAXPROCS is taken from the environment, as Go does. Progress dots go to stderr.\n\n\
         workloads:\n",
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
            Some(w) => run_one(w),
            None => {
                eprint!("unknown workload {name:?}\n\n{}", usage());
                ExitCode::from(2)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_durations_as_go_does() {
        let cases = [
            (Duration::ZERO, "0s"),
            (Duration::from_nanos(80), "80ns"),
            (Duration::from_nanos(12_500), "12.5µs"),
            (Duration::from_micros(273_400), "273.4ms"),
            (Duration::from_nanos(1_234_567_891), "1.234567891s"),
            (Duration::from_millis(62_500), "1m2.5s"),
        ];
        for (d, want) in cases {
            assert_eq!(go_duration(d), want, "{d:?}");
        }
    }

    #[test]
    fn every_workload_has_a_unique_name() {
        let mut names: Vec<_> = WORKLOADS.iter().map(|w| w.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), WORKLOADS.len());
    }
}
