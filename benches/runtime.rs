//! Runtime micro benchmarks: spawn to finish, yield round trip, park/unpark hand-off, the
//! preemption check, and the kernel's cost of a fresh guarded stack (the floor under the
//! million-coroutine workloads).
//! Run: `cargo bench --bench runtime`. Each measurement runs inside coroutines
//! (`iter_custom` times a loop inside `rungo::run`).
#![allow(missing_docs)] // criterion_group! generates an undocumented public function

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use rungo::{Unparker, go, park, run, yield_now};

/// Spawns `iters` empty coroutines from a coroutine, in batches, and waits for each batch the way
/// Go's `sync.WaitGroup` does: the last coroutine of a batch to finish wakes the spawner.
fn spawn_to_finish(iters: u64) -> Duration {
    run(move || {
        let start = Instant::now();
        let mut left = iters;
        while left > 0 {
            let batch = left.min(1024);
            let pending = Arc::new(AtomicU64::new(batch));
            let spawner = Arc::new(Unparker::current());
            for _ in 0..batch {
                let (pending, spawner) = (pending.clone(), spawner.clone());
                go!(move || {
                    if pending.fetch_sub(1, Ordering::AcqRel) == 1 {
                        spawner.unpark();
                    }
                });
            }
            while pending.load(Ordering::Acquire) > 0 {
                park();
            }
            left -= batch;
        }
        start.elapsed()
    })
}

/// Two coroutines on one worker yielding to each other; one iteration is a round trip.
/// The partner starts in the spawner's runnext slot, which is never stolen, so both share the
/// worker.
fn yield_round_trip(iters: u64) -> Duration {
    run(move || {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let me = std::thread::current().id();
        let partner = go!(move || {
            let same = std::thread::current().id() == me;
            while !s.load(Ordering::Relaxed) {
                yield_now();
            }
            same
        });
        yield_now();
        let start = Instant::now();
        for _ in 0..iters {
            yield_now();
        }
        let elapsed = start.elapsed();
        stop.store(true, Ordering::Relaxed);
        assert!(partner.join().unwrap(), "partner ran on another worker");
        elapsed
    })
}

/// Park/unpark ping-pong between two coroutines; one iteration is a round trip (two hand-offs).
/// `cross` puts the partner on another worker: it is spawned from a plain thread (through the
/// injector) until it lands on a worker other than the measuring coroutine's.
fn park_handoff(iters: u64, cross: bool) -> Duration {
    run(move || {
        let me = std::thread::current().id();
        loop {
            let turn = Arc::new(AtomicU64::new(0));
            let slot = Arc::new(Mutex::new(None::<Unparker>));
            let (t, sl, main) = (turn.clone(), slot.clone(), Unparker::current());
            let partner = move || {
                let placed = (std::thread::current().id() != me) == cross;
                *sl.lock().unwrap() = Some(Unparker::current());
                main.unpark();
                if !placed {
                    return false;
                }
                for i in 0..iters {
                    while t.load(Ordering::Acquire) != 2 * i + 1 {
                        park();
                    }
                    t.store(2 * i + 2, Ordering::Release);
                    main.unpark();
                }
                true
            };
            let handle = if cross {
                std::thread::spawn(move || go!(partner)).join().unwrap()
            } else {
                go!(partner)
            };
            let partner = loop {
                if let Some(u) = slot.lock().unwrap().take() {
                    break u;
                }
                park();
            };
            if handle.is_finished() {
                handle.join().unwrap();
                continue; // landed on the wrong worker: try again
            }
            let start = Instant::now();
            for i in 0..iters {
                turn.store(2 * i + 1, Ordering::Release);
                partner.unpark();
                while turn.load(Ordering::Acquire) != 2 * i + 2 {
                    park();
                }
            }
            let elapsed = start.elapsed();
            if handle.join().unwrap() {
                return elapsed;
            }
        }
    })
}

/// The default 256 KiB stack reservation plus its guard page.
const SLOT: usize = 256 * 1024 + 4096;
const MADV_GUARD_INSTALL: libc::c_int = 102;

/// Maps a fresh `MAP_NORESERVE` region of `iters` slots (no huge pages, as rungo's chunks),
/// times `carve` on it (given its base and the slot count), and unmaps it.
fn time_on_fresh_slots(iters: u64, carve: impl FnOnce(*mut u8, usize)) -> Duration {
    let len = SLOT * iters as usize;
    // SAFETY: a fresh anonymous mapping at an address of the kernel's choosing aliases nothing.
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    assert_ne!(base, libc::MAP_FAILED, "mmap failed");
    // SAFETY: the advice only affects how our own fresh mapping is backed.
    unsafe { libc::madvise(base, len, libc::MADV_NOHUGEPAGE) };
    let start = Instant::now();
    carve(base.cast(), iters as usize);
    let elapsed = start.elapsed();
    // SAFETY: unmaps exactly the mapping made above, which nothing refers to any more.
    unsafe { libc::munmap(base, len) };
    elapsed
}

/// The kernel's part of a coroutine on a fresh stack, with no runtime at all: per slot of the
/// default 256 KiB reservation (plus its guard page) in a fresh `MAP_NORESERVE` region, install
/// the guard marker and touch the top page, as a coroutine's first run does. This is the floor
/// under million `parked` and `whispers`, where every live coroutine needs a fresh page; Go's
/// 2 KiB stacks need half a page each.
fn fresh_guarded_stack(iters: u64) -> Duration {
    time_on_fresh_slots(iters, |base, slots| {
        for i in 0..slots {
            // SAFETY: slot `i` lies inside the mapping; its first page becomes a guard and a
            // byte of its last page is written, both ours alone.
            unsafe {
                let slot = base.add(i * SLOT);
                libc::madvise(slot.cast(), 4096, MADV_GUARD_INSTALL);
                std::ptr::write_volatile(slot.add(SLOT - 64), 1);
            }
        }
    })
}

/// [`fresh_guarded_stack`] the way rungo carves a worker cache's refill where the kernel allows
/// (Linux 6.15+): the guards of 16 slots in one `process_madvise(2)`, then the touches, each of
/// which faults its page in.
fn fresh_guarded_stack_batched(iters: u64) -> Duration {
    const BATCH: usize = 16;
    const PIDFD_SELF_THREAD: libc::c_int = -10000;
    let advise = |pages: &[libc::iovec], advice: libc::c_int| {
        // SAFETY: every page lies in our own mapping, and a guard marker only makes it fault.
        let done = unsafe {
            libc::syscall(
                libc::SYS_process_madvise,
                PIDFD_SELF_THREAD,
                pages.as_ptr(),
                pages.len(),
                advice,
                0,
            )
        };
        assert_eq!(
            done,
            (pages.len() * 4096) as i64,
            "process_madvise (Linux 6.15+)"
        );
    };
    let page = |addr: *mut u8| libc::iovec {
        iov_base: addr.cast(),
        iov_len: 4096,
    };
    time_on_fresh_slots(iters, |base, slots| {
        let slot = |i: usize| base.wrapping_add(i * SLOT);
        for first in (0..slots).step_by(BATCH) {
            let batch = first..(first + BATCH).min(slots);
            let guards: Vec<_> = batch.clone().map(|i| page(slot(i))).collect();
            advise(&guards, MADV_GUARD_INSTALL);
            for i in batch {
                // SAFETY: a byte of slot `i`'s last page, ours alone.
                unsafe { std::ptr::write_volatile(slot(i).add(SLOT - 64), 1) };
            }
        }
    })
}

/// The cooperative preemption check every rungo operation makes (`preempt_point`), in a loop on
/// a coroutine: its whole cost, since no request is pending.
fn preempt_check(iters: u64) -> Duration {
    run(move || {
        let start = Instant::now();
        for _ in 0..iters {
            rungo::preempt_point();
            std::hint::black_box(());
        }
        start.elapsed()
    })
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("runtime");
    g.bench_function("spawn_run_finish", |b| b.iter_custom(spawn_to_finish));
    g.bench_function("yield_round_trip_one_worker", |b| {
        b.iter_custom(yield_round_trip)
    });
    g.bench_function("park_unpark_round_trip_one_worker", |b| {
        b.iter_custom(|n| park_handoff(n, false))
    });
    g.bench_function("park_unpark_round_trip_across_workers", |b| {
        b.iter_custom(|n| park_handoff(n, true))
    });
    g.bench_function("preempt_check", |b| b.iter_custom(preempt_check));
    g.finish();

    // Each iteration commits a fresh page, so keep the samples few and short.
    let mut g = c.benchmark_group("kernel_floor");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    g.bench_function("fresh_guarded_stack", |b| {
        b.iter_custom(fresh_guarded_stack)
    });
    g.bench_function("fresh_guarded_stack_batched", |b| {
        b.iter_custom(fresh_guarded_stack_batched)
    });
    g.finish();
}

criterion_group!(runtime_benches, benches);
criterion_main!(runtime_benches);
