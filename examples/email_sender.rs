//! Sends N emails to a local SMTP server, one connection per email (twin: `go/email_sender.go`;
//! Python and PHP twins in `benches/email/`).
//!
//! Each email is about 1 KiB and goes over its own `rungo::net::TcpStream`: greeting, `EHLO`,
//! `MAIL FROM`, `RCPT TO`, `DATA`, the message (dot-stuffed, ended by `.`), `QUIT`, each command
//! waiting for its reply as Go's `net/smtp` does (no pipelining). `--concurrency C` coroutines
//! take email numbers from a channel (Go's worker pool): 1 is sequential, the CPU count is one
//! worker per core, 100 keeps 100 emails in flight. It prints how many were sent, how long it
//! took and the rate; any failed email is reported on stderr and makes the exit status 1.
//!
//! `cargo run --release --example email_sender -- --addr 127.0.0.1:2525 --n 1000 --concurrency 100`
use rungo::net::TcpStream;
use rungo::prelude::*;
use std::io::{self, BufRead, BufReader, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// The message of email `i`: headers and a body of 14 lines of 70 characters, about 1 KiB.
fn message(i: usize) -> String {
    let mut m =
        format!("From: sender@localhost\r\nTo: rcpt{i}@localhost\r\nSubject: message {i}\r\n\r\n");
    for line in 0..14 {
        let c = (b'a' + ((i + line) % 26) as u8) as char;
        m.push_str(&c.to_string().repeat(70));
        m.push_str("\r\n");
    }
    m
}

/// Reads one (possibly multi-line) reply and checks its code.
fn expect(r: &mut impl BufRead, code: u16) -> io::Result<()> {
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let got: u16 = line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
        if got != code {
            return Err(io::Error::other(format!(
                "expected {code}, got {:?}",
                line.trim_end()
            )));
        }
        // "250-..." continues the reply, "250 ..." ends it.
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok(());
        }
    }
}

/// One SMTP session delivering email `i`.
fn send(addr: &str, i: usize) -> io::Result<()> {
    let conn = TcpStream::connect(addr)?;
    conn.set_nodelay(true)?; // as Go's net.Dial does by default
    let mut r = BufReader::new(&conn);
    let mut w = &conn;
    expect(&mut r, 220)?;
    let mut cmd = |line: &str, code: u16, r: &mut BufReader<&TcpStream>| -> io::Result<()> {
        w.write_all(line.as_bytes())?;
        expect(r, code)
    };
    cmd("EHLO localhost\r\n", 250, &mut r)?;
    cmd("MAIL FROM:<sender@localhost>\r\n", 250, &mut r)?;
    cmd(&format!("RCPT TO:<rcpt{i}@localhost>\r\n"), 250, &mut r)?;
    cmd("DATA\r\n", 354, &mut r)?;
    // Dot-stuffing: a line starting with '.' gets another '.'.
    let mut data = message(i).replace("\r\n.", "\r\n..");
    data.push_str(".\r\n");
    cmd(&data, 250, &mut r)?;
    cmd("QUIT\r\n", 221, &mut r)?;
    Ok(())
}

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    let i = args.iter().position(|a| a == name)?;
    Some(
        args.get(i + 1)
            .unwrap_or_else(|| panic!("{name} needs a value")),
    )
}

const USAGE: &str = "usage: email_sender [--addr HOST:PORT] [--n N] [--concurrency N|cpu]";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return;
    }
    let known = ["--addr", "--n", "--concurrency"];
    if let Some(bad) = args
        .iter()
        .skip(1)
        .step_by(2)
        .find(|a| !known.contains(&a.as_str()))
    {
        eprintln!("email_sender: unknown argument {bad:?}\n{USAGE}");
        std::process::exit(2);
    }
    let addr = flag(&args, "--addr")
        .unwrap_or("127.0.0.1:2525")
        .to_string();
    let n: usize = flag(&args, "--n").map_or(1000, |v| v.parse().expect("--n N"));
    let workers: usize = match flag(&args, "--concurrency") {
        None | Some("cpu") => std::thread::available_parallelism().map_or(1, |n| n.get()),
        Some(v) => v.parse::<usize>().expect("--concurrency N").max(1),
    };
    let failed = run(move || {
        let addr = Arc::new(addr);
        let jobs = chan::<usize>(workers);
        let (sent, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let wg = WaitGroup::new();
        let start = Instant::now();
        for _ in 0..workers {
            let (jobs, addr) = (jobs.receiver(), addr.clone());
            let (sent, failed) = (sent.clone(), failed.clone());
            wg.go(move || {
                for i in &jobs {
                    match send(&addr, i) {
                        Ok(()) => sent.fetch_add(1, Ordering::Relaxed),
                        Err(e) => {
                            eprintln!("email {i}: {e}");
                            failed.fetch_add(1, Ordering::Relaxed)
                        }
                    };
                }
            });
        }
        for i in 0..n {
            jobs.send(i);
        }
        jobs.close();
        wg.wait();
        let secs = start.elapsed().as_secs_f64();
        let (sent, failed) = (sent.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
        println!("sent {sent} emails ({failed} failed) with concurrency {workers}");
        println!("time: {secs:.3} s");
        println!("rate: {:.1} emails/s", sent as f64 / secs);
        failed
    });
    if failed > 0 {
        std::process::exit(1);
    }
}
