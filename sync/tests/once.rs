//! Once: exactly one call, callers wait for it to finish, a panic counts as done (Go: TestOnce,
//! TestOncePanic).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rungo_sync::{Once, WaitGroup};

#[test]
fn runs_once_and_others_wait_for_completion() {
    let once = Arc::new(Once::new());
    let calls = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let wg = WaitGroup::new();
    for _ in 0..10 {
        let (once, calls, finished) = (once.clone(), calls.clone(), finished.clone());
        wg.go(move || {
            once.call_once(|| {
                calls.fetch_add(1, Ordering::SeqCst);
                rungo_runtime::sleep(Duration::from_millis(10));
                finished.store(1, Ordering::SeqCst);
            });
            // Whoever returns from call_once sees f completed.
            assert_eq!(finished.load(Ordering::SeqCst), 1);
        });
    }
    wg.wait();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(once.is_done());
}

#[test]
fn panic_marks_done_like_go() {
    let once = Once::new();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        once.call_once(|| panic!("init failed"));
    }));
    assert!(r.is_err());
    assert!(once.is_done());
    // Go: future calls return without calling f (and without panicking).
    let mut called = false;
    once.call_once(|| called = true);
    assert!(!called);
}
