//! A finished coroutine's result is dropped where user code may run: in a coroutine (or the
//! caller that drops the handle), never on a worker's own stack or inside a borrow of its
//! queues (the audit's F1, F2 and F3). Each shape used to abort, corrupt memory or hang, so each
//! runs in a child process with a time limit, at GOMAXPROCS 1 and 2.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rungo_runtime::{Unparker, go, park, park_timeout, run, sleep};
use rungo_testkit::child::{child_scenario, expect_child_ok};

const LIMIT: Duration = Duration::from_secs(30);

/// Runs `scenario` of `test` in children at GOMAXPROCS 1 and 2; each must exit 0 and print
/// `ok: survived`.
fn check_children(test: &str, scenario: &str) {
    for procs in ["1", "2"] {
        expect_child_ok(test, scenario, &[("GOMAXPROCS", procs)], LIMIT);
    }
}

struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("result dropped");
    }
}

/// F1: a detached coroutine whose result panics when dropped. The panic is reported and the
/// runtime goes on (it used to unwind the worker loop: use-after-free, then abort).
#[test]
fn a_detached_result_that_panics_in_drop_is_dropped_in_its_coroutine() {
    if child_scenario().is_some() {
        run(|| {
            for _ in 0..50 {
                drop(go!(|| PanicOnDrop));
            }
            // And one whose handle is dropped after it finished: dropped by the handle.
            let late = go!(|| PanicOnDrop);
            while !late.is_finished() {
                sleep(Duration::from_millis(1));
            }
            drop(late);
            sleep(Duration::from_millis(50));
            assert_eq!(go!(|| 7).join().unwrap(), 7);
        });
        println!("ok: survived");
        return;
    }
    check_children(
        "a_detached_result_that_panics_in_drop_is_dropped_in_its_coroutine",
        "panic_on_drop",
    );
}

/// Parks in `Drop` until `release` is set: a value whose destructor blocks, like an unbuffered
/// send in `Drop`.
struct BlockOnDrop {
    release: Arc<AtomicBool>,
    /// The dropper's handle, and whether it is a coroutine.
    dropper: Arc<Mutex<Option<(Unparker, bool)>>>,
}

impl Drop for BlockOnDrop {
    fn drop(&mut self) {
        let in_coroutine = rungo_runtime::current().is_some();
        *self.dropper.lock().unwrap() = Some((Unparker::current(), in_coroutine));
        while !self.release.load(Ordering::Acquire) {
            park();
        }
    }
}

/// F3: a detached coroutine's result blocks in `Drop` until main releases it. It used to block
/// the worker thread (main, homed there, never ran): a hang.
#[test]
fn a_detached_result_that_blocks_in_drop_parks_its_coroutine_not_the_worker() {
    if child_scenario().is_some() {
        run(|| {
            let release = Arc::new(AtomicBool::new(false));
            let dropper = Arc::new(Mutex::new(None));
            let value = BlockOnDrop {
                release: release.clone(),
                dropper: dropper.clone(),
            };
            drop(go!(move || value));
            sleep(Duration::from_millis(50));
            let (waker, in_coroutine) = loop {
                if let Some(u) = dropper.lock().unwrap().take() {
                    break u;
                }
                sleep(Duration::from_millis(1));
            };
            assert!(in_coroutine, "the result is dropped in a coroutine");
            release.store(true, Ordering::Release);
            waker.unpark();
        });
        println!("ok: survived");
        return;
    }
    check_children(
        "a_detached_result_that_blocks_in_drop_parks_its_coroutine_not_the_worker",
        "block_on_drop",
    );
}

/// Wakes `main` when dropped.
struct WakeOnDrop(Unparker, Arc<AtomicBool>);

impl Drop for WakeOnDrop {
    fn drop(&mut self) {
        self.1.store(true, Ordering::Release);
        self.0.unpark();
    }
}

/// F2: a detached coroutine woken early from a timed park returns a value whose `Drop` wakes a
/// coroutine parked on the same worker. Its timer entry used to outlive it and drop the result
/// inside the worker's timer and queue borrows: `already borrowed`, abort.
#[test]
fn a_woken_timed_park_leaves_no_timer_entry_to_drop_the_result_later() {
    if child_scenario().is_some() {
        run(|| {
            let main = Unparker::current();
            for _ in 0..20 {
                let dropped = Arc::new(AtomicBool::new(false));
                let (m, d) = (main.clone(), dropped.clone());
                let me = Arc::new(Mutex::new(None::<Unparker>));
                let me2 = me.clone();
                drop(go!(move || {
                    *me2.lock().unwrap() = Some(Unparker::current());
                    park_timeout(Duration::from_millis(200));
                    WakeOnDrop(m, d)
                }));
                let child = loop {
                    if let Some(u) = me.lock().unwrap().take() {
                        break u;
                    }
                    rungo_runtime::yield_now();
                };
                child.unpark();
                while !dropped.load(Ordering::Acquire) {
                    park_timeout(Duration::from_millis(400));
                }
            }
            // Let every deadline pass: nothing is left to fire.
            sleep(Duration::from_millis(250));
        });
        println!("ok: survived");
        return;
    }
    check_children(
        "a_woken_timed_park_leaves_no_timer_entry_to_drop_the_result_later",
        "wake_on_drop",
    );
}

/// F7: a timed park that returns early removes its timer at once, so timed operations that
/// succeed at once do not pile up entries (and memory) until their deadlines.
#[test]
fn timed_parks_that_return_early_leave_no_timers_behind() {
    run(|| {
        let me = Unparker::current();
        for _ in 0..100_000 {
            me.unpark(); // a token: the timed park returns at once
            park_timeout(Duration::from_secs(60));
        }
        assert_eq!(rungo_runtime::pending_timers(), 0);
    });
}
