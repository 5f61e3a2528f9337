//! Timers nobody can observe any more are reclaimed at once (Go 1.23), not at their deadline:
//! dropped `after` channels, dropped or stopped timers and tickers. Measured two ways: the
//! service's heap length (a debug counter) and the number of live allocations (a counting
//! global allocator). One test function: both counters are process-wide.
use rungo_channels::time::{Duration, Ticker, Timer, after, after_func, debug_heap_len, tick};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; we only count.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
        // SAFETY: the caller's contract for `dealloc` is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract for `realloc` is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const N: usize = 10_000;
const HOUR: Duration = Duration::from_secs(3600);
/// "O(1)": far below N, whatever the batch is.
const SMALL_HEAP: usize = 200;
const SMALL_LIVE: isize = 1_000;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// Runs `batch` (which makes and abandons N timers) and checks that neither the service's heap
/// nor the allocations grew by more than a constant.
fn stays_flat(what: &str, batch: impl FnOnce()) {
    let (heap0, live0) = (debug_heap_len(), live());
    batch();
    let (heap, grown) = (debug_heap_len(), live() - live0);
    assert!(
        heap <= heap0 + SMALL_HEAP,
        "{what}: the timer heap holds {heap} entries (was {heap0})"
    );
    assert!(
        grown <= SMALL_LIVE,
        "{what}: {grown} more live allocations than before"
    );
}

#[test]
fn unreferenced_and_stopped_timers_are_reclaimed() {
    // Warm up: start the service and size its heap.
    after(Duration::ZERO).recv();
    let keep: Vec<_> = (0..N).map(|_| Timer::new(HOUR)).collect();
    drop(keep);

    stays_flat("dropped after() channels", || {
        for _ in 0..N {
            drop(after(HOUR));
        }
    });
    stays_flat("dropped tick() channels", || {
        for _ in 0..N {
            drop(tick(HOUR));
        }
    });
    stays_flat("dropped timers", || {
        for _ in 0..N {
            drop(Timer::new(HOUR));
        }
    });
    stays_flat("dropped tickers", || {
        for _ in 0..N {
            drop(Ticker::new(HOUR));
        }
    });
    // Stopped ones leave the heap at once, while their handles are still held.
    let timers: Vec<_> = (0..N).map(|_| Timer::new(HOUR)).collect();
    let tickers: Vec<_> = (0..N).map(|_| Ticker::new(HOUR)).collect();
    let funcs: Vec<_> = (0..N).map(|_| after_func(HOUR, || ())).collect();
    let full = debug_heap_len();
    assert!(full >= 3 * N, "{full} entries for {} armed timers", 3 * N);
    for t in &timers {
        assert!(t.stop());
    }
    for t in &tickers {
        t.stop();
    }
    for t in &funcs {
        assert!(t.stop());
    }
    let heap = debug_heap_len();
    assert!(
        heap <= full - 3 * N + SMALL_HEAP,
        "stopped timers left {heap} heap entries"
    );
    // Re-armed ones come back, and go again when stopped.
    for t in &timers {
        assert!(!t.reset(HOUR));
    }
    assert!(debug_heap_len() >= N);
    for t in &timers {
        assert!(t.stop());
    }
    assert!(debug_heap_len() <= heap + SMALL_HEAP);
    drop((timers, tickers, funcs));
}
