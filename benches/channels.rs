//! Channel micro benchmarks (issue 3 targets in brackets; Go figures are from this machine):
//!
//! * `pingpong_unbuffered`: one round trip between two coroutines over two unbuffered
//!   channels [<= 0.5x Go's ~270-410 ns].
//! * `mpmc_buffered_4x4`: per message, 4 producers and 4 consumers on one channel of
//!   capacity 1024, as in the million `bufchan` workload [<= Go's ~41 ns there].
//! * `select2_ready`: a `select!` over two ready channels (plus the refill send that keeps
//!   them ready; `send_recv_buffered` measures that send/recv pair alone) [<= 100 ns].
//! * `send_recv_buffered`: uncontended send + receive on a buffered channel (the fast path).
//!
//! Run: `cargo bench --bench channels`. Timed loops run inside coroutines
//! (`iter_custom` times a loop inside `rungo_runtime::run`).

#![allow(missing_docs)] // criterion_group! generates an undocumented function

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use rungo_channels::{chan, select};
use rungo_runtime::{go, run};

fn pingpong(iters: u64) -> Duration {
    run(move || {
        let ping = chan::<u64>(0);
        let pong = chan::<u64>(0);
        let (pi, po) = (ping.clone(), pong.clone());
        let echo = go!(move || {
            for v in &pi {
                po.send(v);
            }
        });
        let start = Instant::now();
        for i in 0..iters {
            ping.send(i);
            pong.recv();
        }
        let elapsed = start.elapsed();
        ping.close();
        echo.join().unwrap();
        elapsed
    })
}

fn mpmc(iters: u64) -> Duration {
    const P: u64 = 4;
    const C: u64 = 4;
    run(move || {
        let ch = chan::<u64>(1024);
        let done = chan::<u64>(C as usize);
        let per = iters.div_ceil(P);
        let start = Instant::now();
        for _ in 0..C {
            let (c, d) = (ch.clone(), done.clone());
            go!(move || {
                let mut n = 0;
                for _ in &c {
                    n += 1;
                }
                d.send(n);
            });
        }
        let producers: Vec<_> = (0..P)
            .map(|_| {
                let c = ch.clone();
                go!(move || {
                    for i in 0..per {
                        c.send(i);
                    }
                })
            })
            .collect();
        for p in producers {
            p.join().unwrap();
        }
        ch.close();
        let total: u64 = (0..C).map(|_| done.recv().unwrap()).sum();
        assert_eq!(total, per * P);
        start.elapsed()
    })
}

fn select2(iters: u64) -> Duration {
    run(move || {
        let a = chan::<u64>(1);
        let b = chan::<u64>(1);
        a.send(0);
        b.send(0);
        let start = Instant::now();
        for _ in 0..iters {
            select! {
                recv(a) -> v => a.send(v.unwrap()),
                recv(b) -> v => b.send(v.unwrap()),
            }
        }
        start.elapsed()
    })
}

fn send_recv(iters: u64) -> Duration {
    run(move || {
        let a = chan::<u64>(1);
        let start = Instant::now();
        for i in 0..iters {
            a.send(i);
            std::hint::black_box(a.recv());
        }
        start.elapsed()
    })
}

fn benches(c: &mut Criterion) {
    c.bench_function("pingpong_unbuffered", |b| b.iter_custom(pingpong));
    c.bench_function("mpmc_buffered_4x4", |b| b.iter_custom(mpmc));
    c.bench_function("select2_ready", |b| b.iter_custom(select2));
    c.bench_function("send_recv_buffered", |b| b.iter_custom(send_recv));
}

criterion_group! {
    name = channels;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = benches
}
criterion_main!(channels);
