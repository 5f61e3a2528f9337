//! What an unstarted coroutine costs: the bytes `go!` allocates (it allocates no stack), counted
//! with a global allocator that tallies the calling thread's allocations.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};

struct Counting;

thread_local! {
    static BYTES: Cell<usize> = const { Cell::new(0) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
    static LAST: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: delegates to the system allocator; the tallies are plain thread-local cells.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        BYTES.set(BYTES.get() + layout.size());
        COUNT.set(COUNT.get() + 1);
        LAST.set(layout.size());
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

#[test]
fn an_unstarted_coroutine_is_one_small_allocation() {
    const N: usize = 63 * 100; // whole blocks of the injector's segments
    // Start the runtime and keep its workers busy so that the spawned coroutines stay unstarted
    // while we count (they are only counted on this thread anyway).
    rungo_runtime::go!(|| ()).join().unwrap();
    let gate = Arc::new(Barrier::new(1 + rungo_runtime::gomaxprocs()));
    let release = Arc::new(AtomicBool::new(false));
    let blockers: Vec<_> = (0..rungo_runtime::gomaxprocs())
        .map(|_| {
            let (gate, release) = (gate.clone(), release.clone());
            rungo_runtime::go!(move || {
                gate.wait(); // occupies a worker thread until released (deliberately blocking)
                while !release.load(Ordering::Acquire) {
                    std::hint::spin_loop();
                }
            })
        })
        .collect();
    gate.wait();
    let flag = Arc::new(AtomicBool::new(false));
    let mut handles = Vec::with_capacity(N);
    let (bytes0, count0) = (BYTES.get(), COUNT.get());
    let mut task_bytes = 0;
    for _ in 0..N {
        let flag = flag.clone();
        let before = COUNT.get();
        handles.push(rungo_runtime::go!(move || flag.load(Ordering::Relaxed)));
        if COUNT.get() == before + 1 {
            task_bytes = LAST.get(); // a spawn that did not also grow the run queue
        }
    }
    let (bytes, count) = (BYTES.get() - bytes0, COUNT.get() - count0);
    release.store(true, Ordering::Release);
    for h in handles {
        h.join().unwrap();
    }
    for b in blockers {
        b.join().unwrap();
    }
    let per = bytes / N;
    println!(
        "unstarted coroutine: one {task_bytes}-byte allocation (control block, closure and join \
         slot); {per} bytes per spawn including its share of the run queue ({:.2} allocations)",
        count as f64 / N as f64
    );
    assert!(
        count <= N + N / 50,
        "one allocation per spawn, {count} for {N}"
    );
    assert!(
        task_bytes > 0 && task_bytes < 200,
        "the task allocation is {task_bytes} bytes"
    );
    assert!(
        per < 256,
        "an unstarted coroutine should stay small: {per} bytes"
    );
}
