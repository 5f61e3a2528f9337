//! The non-blocking fast paths of send, receive and select allocate nothing (a counting
//! global allocator proves it; it is per binary, hence this file).
use rungo_channels::{chan, select};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts calls on the current thread.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn allocations(f: impl FnOnce()) -> usize {
    let before = COUNT.with(|c| c.get());
    f();
    COUNT.with(|c| c.get()) - before
}

#[test]
fn buffered_send_recv_do_not_allocate() {
    let ch = chan::<u64>(64);
    // Warm up (thread-locals, lazily initialized runtime state).
    ch.send(0);
    ch.recv();
    let n = allocations(|| {
        for i in 0..10_000 {
            ch.send(i);
            assert_eq!(ch.recv(), Some(i));
            ch.try_send(i).unwrap();
            assert_eq!(ch.try_recv(), Ok(i));
        }
        assert!(ch.try_recv().is_err());
    });
    assert_eq!(n, 0, "fast path allocated {n} times");
}

#[test]
fn ready_select_does_not_allocate() {
    let a = chan::<u64>(1);
    let b = chan::<u64>(1);
    select! { recv(a) => (), default => () }
    let n = allocations(|| {
        for i in 0..10_000 {
            a.send(i);
            b.send(i);
            for _ in 0..2 {
                select! {
                    recv(a) -> v => assert_eq!(v, Some(i)),
                    recv(b) -> v => assert_eq!(v, Some(i)),
                }
            }
            let r = select! {
                recv(a) => 1,
                send(b, 5) => 2,
                default => 3,
            };
            assert_eq!(r, 2);
            b.recv();
        }
    });
    assert_eq!(n, 0, "ready select allocated {n} times");
}
