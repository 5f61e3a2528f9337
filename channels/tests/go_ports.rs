//! The intent of Go's test/chan programs, as Rust tests: sieve, doubleselect, nonblock,
//! select3 (blocking rules), and a power-series (powser) pipeline of cooperating tasks.
mod common;
use common::*;
use rungo_channels::{Chan, Receiver, Sender, chan, select};
use rungo_runtime::go;
use std::time::Duration;

// ---- sieve (sieve1.go): a chain of filter tasks ----

fn generate(ch: Sender<u32>) {
    let mut i = 2;
    loop {
        if ch.send_timeout(i, Duration::from_secs(30)).is_err() {
            return;
        }
        i += 1;
    }
}

fn filter(input: Receiver<u32>, output: Sender<u32>, prime: u32) {
    for i in &input {
        if i % prime != 0 && output.send_timeout(i, Duration::from_secs(30)).is_err() {
            return;
        }
    }
}

#[test]
fn sieve() {
    let primes = chan::<u32>(0);
    let p = primes.clone();
    go!(move || {
        let ch = chan::<u32>(0);
        let c = ch.clone();
        go!(move || generate(c.sender()));
        let mut ch = ch;
        loop {
            let prime = ch.recv().unwrap();
            if p.send_timeout(prime, Duration::from_secs(30)).is_err() {
                return;
            }
            let ch1 = chan::<u32>(0);
            let (i, o) = (ch.receiver(), ch1.sender());
            go!(move || filter(i, o, prime));
            ch = ch1;
        }
    });
    let want = [
        2u32, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83,
        89, 97,
    ];
    for w in want {
        assert_eq!(primes.recv(), Some(w));
    }
    // Tasks are left blocked (they time out later), as Go's sieve leaks its goroutines.
}

// ---- doubleselect.go: a select sender over 4 channels, muxed back; no duplicates ----

#[test]
fn doubleselect() {
    const N: usize = 20_000;
    let cs: Vec<Chan<usize>> = (0..4).map(|_| chan(0)).collect();
    let cmux = chan::<usize>(0);
    let done = chan::<bool>(0);
    let senders: Vec<Sender<usize>> = cs.iter().map(|c| c.sender()).collect();
    go!(move || {
        let [c1, c2, c3, c4] = &senders[..] else {
            unreachable!()
        };
        for i in 0..N {
            select! {
                send(c1, i) => {},
                send(c2, i) => {},
                send(c3, i) => {},
                send(c4, i) => {},
            }
        }
        for c in &senders {
            c.close();
        }
    });
    for (k, c) in cs.iter().enumerate() {
        let (out, input, d) = (cmux.sender(), c.receiver(), done.sender());
        spawn_mixed(k, move || {
            for v in &input {
                out.send(v);
            }
            d.send(true);
        });
    }
    let (d, m) = (done.clone(), cmux.clone());
    go!(move || {
        for _ in 0..4 {
            d.recv();
        }
        m.close();
    });
    let mut seen = vec![false; N];
    for v in &cmux {
        assert!(!seen[v], "got duplicate value: {v}");
        seen[v] = true;
    }
    assert!(seen.iter().all(|&s| s));
}

// ---- nonblock.go: non-blocking ops on unbuffered and buffered channels ----

#[test]
fn nonblock() {
    for cap in [0usize, 1, 10] {
        let c = chan::<i32>(cap);
        // Receive from empty: default taken.
        let r = select! { recv(c) -> _ => false, default => true };
        assert!(r);
        // Send to an unbuffered channel with no receiver: default taken.
        if cap == 0 {
            let r = select! { send(c, 1) => false, default => true };
            assert!(r);
        }
        // A blocked receiver makes a non-blocking send succeed (eventually).
        let c2 = c.clone();
        let t = spawn_mixed(cap, move || c2.recv());
        let mut sent = false;
        for _ in 0..10_000 {
            if select! { send(c, 123) => true, default => false } {
                sent = true;
                break;
            }
            rungo_runtime::sleep(Duration::from_micros(200));
        }
        assert!(sent, "cap {cap}: non-blocking send never succeeded");
        assert_eq!(t.join(), Some(123));
        // A blocked sender makes a non-blocking receive succeed (eventually).
        let c3 = c.clone();
        let t = spawn_mixed(cap + 1, move || c3.send(456));
        let mut got = None;
        for _ in 0..10_000 {
            if let Some(v) = select! { recv(c) -> v => v, default => None } {
                got = Some(v);
                break;
            }
            rungo_runtime::sleep(Duration::from_micros(200));
        }
        assert_eq!(got, Some(456));
        t.join();
    }
}

// ---- select3.go: what blocks and what does not ----

fn blocks(f: impl FnOnce() + Send + 'static) -> bool {
    !finishes_within(f, Duration::from_millis(50))
}

/// True if `f`, run in a coroutine, returns within `limit`.
fn finishes_within(f: impl FnOnce() + Send + 'static, limit: Duration) -> bool {
    let done = chan::<()>(1);
    let d = done.clone();
    go!(move || {
        f();
        d.send(());
    });
    done.recv_timeout(limit).is_ok()
}

/// `f` does not block: it returns within a bound generous for a loaded machine (a coroutine
/// spawned from this thread may wait for a worker the other tests keep busy).
fn completes(f: impl FnOnce() + Send + 'static) -> bool {
    finishes_within(f, Duration::from_secs(10))
}

#[test]
fn select3() {
    let nilch = Chan::<i32>::nil();
    let (n1, n2, n3) = (nilch.clone(), nilch.clone(), nilch.clone());
    assert!(blocks(move || {
        n1.recv();
    }));
    assert!(blocks(move || n2.send(7)));
    assert!(blocks(move || {
        select! { recv(n3) => {} }
    }));
    assert!(blocks(|| select! {}));

    // (A fresh channel per check: a task left blocked would pair with the next check.)
    let u = chan::<i32>(0);
    assert!(blocks(move || u.send(7)));
    let u = chan::<i32>(0);
    assert!(blocks(move || {
        u.recv();
    }));
    // Buffered: sends do not block until full.
    let buf = chan::<i32>(1);
    let b = buf.clone();
    assert!(completes(move || b.send(7)));
    let b = buf.clone();
    assert!(blocks(move || b.send(7)));
    // Closed: receives never block, sends panic.
    let closed = chan::<i32>(0);
    closed.close();
    let c = closed.clone();
    assert!(completes(move || {
        for _ in 0..10 {
            assert_eq!(c.recv(), None);
        }
    }));
    let c = closed.clone();
    assert!(completes(move || {
        select! { recv(c) -> v => assert_eq!(v, None) }
    }));
    // A select with a nil and a closed case chooses the closed one.
    let c = closed.clone();
    let n = nilch.clone();
    assert!(completes(move || {
        select! { recv(n) => unreachable!(), recv(c) => {} }
    }));
}

// ---- powser-style: a network of tasks computing on streams ----
// Streams of rationals are overkill here; the pipeline shape (split, add, multiply by a
// scalar, integrate) is what matters: each stage is a task connected by unbuffered channels,
// with demand-driven requests as in Go's powser (each value is produced on request).

/// A demand-driven stream: send `()` on `req` to get the next value on `dat`.
#[derive(Clone)]
struct Stream {
    req: Chan<()>,
    dat: Chan<i64>,
}

impl Stream {
    fn new() -> Stream {
        Stream {
            req: chan(0),
            dat: chan(0),
        }
    }
    fn get(&self) -> i64 {
        self.req.send(());
        self.dat.recv().unwrap()
    }
}

/// Ones: 1, 1, 1, ...
fn ones() -> Stream {
    let s = Stream::new();
    let t = s.clone();
    go!(move || {
        for _ in &t.req {
            t.dat.send(1);
        }
    });
    s
}

/// Integral-like prefix sums: a[0], a[0]+a[1], ...
fn prefix(a: Stream) -> Stream {
    let s = Stream::new();
    let t = s.clone();
    go!(move || {
        let mut acc = 0;
        for _ in &t.req {
            acc += a.get();
            t.dat.send(acc);
        }
    });
    s
}

/// Sum of two streams, requesting both inputs concurrently with a select (Go's powser
/// `Add` waits on both data channels in a select).
fn add(a: Stream, b: Stream) -> Stream {
    let s = Stream::new();
    let t = s.clone();
    go!(move || {
        for _ in &t.req {
            let (mut ra, mut rb) = (a.req.clone(), b.req.clone());
            let (mut va, mut vb) = (None, None);
            while va.is_none() || vb.is_none() {
                select! {
                    send(ra, ()) => ra = Chan::nil(),
                    send(rb, ()) => rb = Chan::nil(),
                    recv(a.dat) -> v => va = v,
                    recv(b.dat) -> v => vb = v,
                }
            }
            t.dat.send(va.unwrap() + vb.unwrap());
        }
    });
    s
}

#[test]
fn powser_pipeline() {
    // naturals = prefix(ones) = 1, 2, 3, ...; triangular = prefix(naturals);
    // sum = naturals + triangular = n + n(n+1)/2.
    let naturals1 = prefix(ones());
    let naturals2 = prefix(ones());
    let tri = prefix(naturals2);
    let sum = add(naturals1, tri);
    for n in 1..=200i64 {
        assert_eq!(sum.get(), n + n * (n + 1) / 2);
    }
}
