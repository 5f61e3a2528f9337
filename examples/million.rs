//! The million-coroutine benchmark: nine workloads, each the twin of a Go program in
//! `benches/go/workloads.go`, at the same sizes and printing the same line:
//!
//! ```text
//! <workload>: <total duration> total, <ns/op> ns/op, peak RSS <MB> MB, GOMAXPROCS=<n>
//! ```
//!
//! Run: `cargo run --release --example million -- <workload>|all` (`--help` lists them).
//!
//! Like Go's `main`, which is a goroutine, each workload runs as the runtime's main coroutine
//! through [`rungo::run`]: that is what rungo recommends for a ported Go `main`. Peak RSS is
//! `VmHWM` from `/proc/self/status`, which is per process, so `all` runs every workload in a
//! child process of its own (this program re-executed with the workload's name).

use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use rungo::channels::{Chan, chan};
use rungo::sync::{Mutex, WaitGroup};
use rungo::{go, yield_now};

/// The operation count that most workloads are sized by.
const N: u64 = 1_000_000;

/// One benchmark: `run` does the work on the main coroutine (the spawner) and returns the number
/// of operations that ns/op is counted over.
struct Workload {
    name: &'static str,
    what: &'static str,
    run: fn() -> u64,
}

const WORKLOADS: &[Workload] = &[
    Workload {
        name: "skynet",
        what: "1M-leaf tree, 10 children per node, sums over an unbuffered channel per parent",
        run: skynet_main,
    },
    Workload {
        name: "parked",
        what: "1M coroutines blocked on one channel at once, released by close, joined by a WaitGroup",
        run: parked,
    },
    Workload {
        name: "sleepers",
        what: "1M coroutines each sleeping 1 s at once, joined by a WaitGroup",
        run: sleepers,
    },
    Workload {
        name: "spawn",
        what: "1M coroutines that just finish, joined by a WaitGroup",
        run: spawn,
    },
    Workload {
        name: "whispers",
        what: "daisy chain of 100,000 coroutines, left <- 1 + <-right",
        run: whispers,
    },
    Workload {
        name: "pingpong",
        what: "1M round trips of an int over two unbuffered channels",
        run: pingpong,
    },
    Workload {
        name: "yield",
        what: "2 coroutines each calling yield_now (Go's runtime.Gosched) 5M times",
        run: yield_workload,
    },
    Workload {
        name: "bufchan",
        what: "4 producers x 1.25M sends into a channel of capacity 1024, 4 consumers",
        run: bufchan,
    },
    Workload {
        name: "mutex",
        what: "8 coroutines x 1M lock/increment/unlock of one counter",
        run: mutex,
    },
];

// ---------------------------------------------------------------------------------------------
// The workloads, line by line after benches/go/workloads.go.

fn skynet(c: Chan<u64>, num: u64, size: u64, div: u64) {
    if size == 1 {
        c.send(num);
        return;
    }
    let rc = chan(0);
    for i in 0..div {
        go!(skynet, rc.clone(), num + i * (size / div), size / div, div);
    }
    let sum: u64 = (0..div).map(|_| rc.recv().expect("open channel")).sum();
    c.send(sum);
}

fn skynet_main() -> u64 {
    let c = chan(0);
    go!(skynet, c.clone(), 0, N, 10);
    check("skynet", c.recv().expect("open channel"), 499_999_500_000);
    N
}

fn parked() -> u64 {
    let wg = WaitGroup::new();
    let start = chan::<()>(0);
    wg.add(N as i64);
    for _ in 0..N {
        let (wg, start) = (wg.clone(), start.clone());
        go!(move || {
            start.recv();
            wg.done();
        });
    }
    start.close();
    wg.wait();
    N
}

fn sleepers() -> u64 {
    let wg = WaitGroup::new();
    wg.add(N as i64);
    for _ in 0..N {
        let wg = wg.clone();
        go!(move || {
            rungo::sleep(Duration::from_secs(1));
            wg.done();
        });
    }
    wg.wait();
    N
}

fn spawn() -> u64 {
    let wg = WaitGroup::new();
    wg.add(N as i64);
    for _ in 0..N {
        let wg = wg.clone();
        go!(move || wg.done());
    }
    wg.wait();
    N
}

fn whispers() -> u64 {
    let m = 100_000;
    let leftmost = chan::<u64>(0);
    let mut right = leftmost.clone();
    for _ in 0..m {
        let left = right;
        right = chan(0);
        let r = right.clone();
        go!(move || left.send(1 + r.recv().expect("open channel")));
    }
    go!(move || right.send(1));
    check("whispers", leftmost.recv().expect("open channel"), m + 1);
    N // as the Go definition divides
}

fn pingpong() -> u64 {
    let (a, b) = (chan::<u64>(0), chan::<u64>(0));
    let (echo_in, echo_out) = (a.clone(), b.clone());
    go!(move || {
        for v in &echo_in {
            echo_out.send(v);
        }
    });
    for i in 0..N {
        a.send(i);
        b.recv();
    }
    a.close();
    N
}

fn yield_workload() -> u64 {
    let wg = WaitGroup::new();
    wg.add(2);
    for _ in 0..2 {
        let wg = wg.clone();
        go!(move || {
            for _ in 0..N * 5 {
                yield_now();
            }
            wg.done();
        });
    }
    wg.wait();
    N * 10
}

fn bufchan() -> u64 {
    let ch = chan::<u64>(1024);
    let wg = WaitGroup::new();
    for _ in 0..4 {
        wg.add(1);
        let (ch, wg) = (ch.clone(), wg.clone());
        go!(move || {
            for i in 0..N * 5 / 4 {
                ch.send(i);
            }
            wg.done();
        });
    }
    let (closer_ch, closer_wg) = (ch.clone(), wg.clone());
    go!(move || {
        closer_wg.wait();
        closer_ch.close();
    });
    let done = WaitGroup::new();
    for _ in 0..4 {
        done.add(1);
        let (ch, done) = (ch.clone(), done.clone());
        go!(move || {
            for _ in &ch {}
            done.done();
        });
    }
    done.wait();
    N * 5
}

fn mutex() -> u64 {
    let counter = Arc::new(Mutex::new(0u64));
    let wg = WaitGroup::new();
    for _ in 0..8 {
        wg.add(1);
        let (counter, wg) = (counter.clone(), wg.clone());
        go!(move || {
            for _ in 0..N {
                *counter.lock() += 1;
            }
            wg.done();
        });
    }
    wg.wait();
    check("mutex", *counter.lock(), N * 8);
    N * 8
}

/// Exits with status 1 on a wrong result (a benchmark of a wrong program measures nothing).
fn check(name: &str, got: u64, want: u64) {
    if got != want {
        eprintln!("{name}: wrong result {got}, want {want}");
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------------------------
// Measuring and reporting.

/// Runs one workload as the main coroutine and prints its line.
fn run_one(w: &Workload) {
    // Start the runtime before the clock, as Go's is running before main.
    let procs = rungo::gomaxprocs();
    let progress = Progress::start();
    let run = w.run;
    let (elapsed, ops) = rungo::run(move || {
        let start = Instant::now();
        let ops = run();
        (start.elapsed(), ops)
    });
    progress.stop();
    println!(
        "{}: {} total, {:.1} ns/op, peak RSS {} MB, GOMAXPROCS={}",
        w.name,
        go_duration(elapsed),
        elapsed.as_nanos() as f64 / ops as f64,
        peak_rss_mb().map_or_else(|| "?".to_string(), |mb| mb.to_string()),
        procs
    );
}

/// Runs every workload in a child process of its own, so each line's peak RSS is its own.
fn run_all() -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("million: cannot find my own executable: {e}");
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

/// Peak resident set size in whole MB: `VmHWM` (kB) from `/proc/self/status`.
fn peak_rss_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line["VmHWM:".len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024)
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
        "usage: cargo run --release --example million [-- <workload>|all]   (no argument: all)\n\n\
         rungo's million-coroutine benchmark; benches/go/workloads.go is its Go twin.\n\
         main runs as the runtime's main coroutine via rungo::run (as Go's main is a goroutine);\n\
         it is the spawner. Prints one line per run:\n  \
         <workload>: <total duration> total, <ns/op> ns/op, peak RSS <MB> MB, GOMAXPROCS=<n>\n\
         'all' runs every workload, each in a child process of its own (peak RSS is per process).\n\
         GOMAXPROCS is taken from the environment, as Go does. Progress dots go to stderr.\n\n\
         workloads:\n",
    );
    for w in WORKLOADS {
        s.push_str(&format!("  {:<9} {}\n", w.name, w.what));
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
            (Duration::from_millis(1), "1ms"),
            (Duration::from_nanos(1_234_567_891), "1.234567891s"),
            (Duration::from_secs(2), "2s"),
            (Duration::from_millis(62_500), "1m2.5s"),
            (Duration::from_secs(3600), "1h0m0s"),
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
