//! rungo-sync micro benchmarks (criterion). Run: `cargo bench --bench sync`.
//!
//! - `mutex/uncontended`: lock + unlock of a `Mutex<u64>` by one coroutine (issue target <= 20 ns).
//! - `mutex/8-coroutines`: 8 coroutines share one `Mutex<u64>` and each does its share of
//!   lock / increment / unlock; the reported time is per operation (issue target: Go's figure on
//!   this machine, about 38 ns; Go twin: `BenchmarkMutex` style with 8 goroutines).
//! - `rwlock/read-uncontended`, `waitgroup/add-done`, `semaphore/uncontended`, `once/done`:
//!   fast paths.
//! - `wait/8-coroutines-wg`: spawn 8 coroutines and wait for them with a WaitGroup.
//!
//! Every measurement runs inside coroutines (`iter_custom` times a loop inside `rungo::run`), since
//! that is where Go's numbers come from.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_main};
use rungo_runtime::run;
use rungo_sync::{Mutex, Once, RwLock, Semaphore, WaitGroup};

const CONTENDERS: u64 = 8;

fn mutex_uncontended(iters: u64) -> Duration {
    run(move || {
        let m = Mutex::new(0u64);
        let start = Instant::now();
        for _ in 0..iters {
            *std::hint::black_box(&m).lock() += 1;
        }
        let t = start.elapsed();
        assert_eq!(*m.lock(), iters);
        t
    })
}

fn mutex_contended(iters: u64) -> Duration {
    run(move || {
        let m = Arc::new(Mutex::new(0u64));
        let wg = WaitGroup::new();
        let per = iters.div_ceil(CONTENDERS);
        let start = Instant::now();
        for _ in 0..CONTENDERS {
            let m = m.clone();
            wg.go(move || {
                for _ in 0..per {
                    *m.lock() += 1;
                }
            });
        }
        wg.wait();
        let t = start.elapsed();
        assert_eq!(*m.lock(), per * CONTENDERS);
        t
    })
}

fn rwlock_read_uncontended(iters: u64) -> Duration {
    run(move || {
        let l = RwLock::new(1u64);
        let start = Instant::now();
        let mut sum = 0;
        for _ in 0..iters {
            sum += *std::hint::black_box(&l).read();
        }
        std::hint::black_box(sum);
        start.elapsed()
    })
}

fn waitgroup_add_done(iters: u64) -> Duration {
    run(move || {
        let wg = WaitGroup::new();
        let start = Instant::now();
        for _ in 0..iters {
            wg.add(1);
            wg.done();
        }
        wg.wait();
        start.elapsed()
    })
}

fn semaphore_uncontended(iters: u64) -> Duration {
    run(move || {
        let s = Semaphore::new(1);
        let start = Instant::now();
        for _ in 0..iters {
            s.acquire(1);
            s.release(1);
        }
        start.elapsed()
    })
}

fn once_done(iters: u64) -> Duration {
    run(move || {
        let once = Once::new();
        once.call_once(|| {});
        let start = Instant::now();
        for _ in 0..iters {
            std::hint::black_box(&once).call_once(|| unreachable!());
        }
        start.elapsed()
    })
}

fn spawn_wait(iters: u64) -> Duration {
    run(move || {
        let start = Instant::now();
        for _ in 0..iters {
            let wg = WaitGroup::new();
            for _ in 0..CONTENDERS {
                wg.go(|| {});
            }
            wg.wait();
        }
        start.elapsed()
    })
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("mutex");
    g.bench_function("uncontended", |b| b.iter_custom(mutex_uncontended));
    g.bench_function("8-coroutines", |b| b.iter_custom(mutex_contended));
    g.finish();
    c.bench_function("rwlock/read-uncontended", |b| {
        b.iter_custom(rwlock_read_uncontended)
    });
    c.bench_function("waitgroup/add-done", |b| b.iter_custom(waitgroup_add_done));
    c.bench_function("semaphore/uncontended", |b| {
        b.iter_custom(semaphore_uncontended)
    });
    c.bench_function("once/done", |b| b.iter_custom(once_done));
    c.bench_function("wait/8-coroutines-wg", |b| b.iter_custom(spawn_wait));
}

// criterion's macro generates an undocumented `pub fn`.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(sync_benches, super::benches);
}
criterion_main!(group::sync_benches);
