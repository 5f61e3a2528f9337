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

#[test]
fn once_func_runs_once_and_callers_wait_for_it() {
    // Go: TestOnceFunc.
    let calls = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let f = {
        let (calls, finished) = (calls.clone(), finished.clone());
        rungo_sync::once_func(move || {
            calls.fetch_add(1, Ordering::SeqCst);
            rungo_runtime::sleep(Duration::from_millis(20));
            finished.store(1, Ordering::SeqCst);
        })
    };
    let wg = WaitGroup::new();
    for _ in 0..8 {
        let (f, finished) = (f.clone(), finished.clone());
        wg.go(move || {
            f();
            assert_eq!(
                finished.load(Ordering::SeqCst),
                1,
                "returned before f finished"
            );
        });
    }
    wg.wait();
    f();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn once_value_and_values_return_the_first_result() {
    let n = Arc::new(AtomicUsize::new(0));
    let v = {
        let n = n.clone();
        rungo_sync::once_value(move || format!("call {}", n.fetch_add(1, Ordering::SeqCst)))
    };
    let hs: Vec<_> = (0..6)
        .map(|_| {
            let v = v.clone();
            rungo_runtime::spawn(v)
        })
        .collect();
    for h in hs {
        assert_eq!(h.join().unwrap(), "call 0");
    }
    assert_eq!(v(), "call 0");
    let vs = rungo_sync::once_values(|| (7u8, Err::<(), String>("no file".into())));
    assert_eq!(vs(), (7, Err("no file".to_string())));
    assert_eq!(vs(), (7, Err("no file".to_string())));
}

#[test]
fn once_value_panics_again_on_every_call() {
    // Go: TestOnceXPanic: "the returned function will panic with the same value on every call".
    // (Unlike Once::call_once, which counts a panic as done.)
    let calls = Arc::new(AtomicUsize::new(0));
    let v = {
        let calls = calls.clone();
        rungo_sync::once_value(move || -> u32 {
            calls.fetch_add(1, Ordering::SeqCst);
            panic!("config missing");
        })
    };
    let text = |r: std::thread::Result<u32>| -> String {
        let p = r.unwrap_err();
        p.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap()
    };
    for _ in 0..3 {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(&v));
        assert_eq!(text(r), "config missing");
    }
    // From other tasks too.
    let v2 = v.clone();
    let h = rungo_runtime::spawn(v2);
    assert!(h.join().is_err());
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    let f = rungo_sync::once_func(|| panic!("init failed: {}", 42));
    for _ in 0..2 {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(&f));
        let p = r.unwrap_err();
        assert_eq!(
            format!("{}", p.downcast_ref::<&str>().unwrap()),
            "init failed: 42"
        );
    }
    let n = 42;
    let f = rungo_sync::once_func(move || panic!("init failed: {n}"));
    for _ in 0..2 {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(&f));
        let p = r.unwrap_err();
        assert_eq!(p.downcast_ref::<String>().unwrap(), "init failed: 42");
    }
}
