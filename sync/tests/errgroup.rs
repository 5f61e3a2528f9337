//! errgroup: `wait` returns the first error, the context is cancelled on the first error,
//! `set_limit` bounds concurrency, panics propagate (x/sync/errgroup tests).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rungo_channels::{chan, select};
use rungo_sync::Group;
use rungo_sync::context::{self, ContextError};

#[test]
fn zero_group_and_all_ok() {
    let g: Group<String> = Group::new();
    assert_eq!(g.wait(), Ok(()));
    let n = Arc::new(AtomicUsize::new(0));
    for _ in 0..10 {
        let n = n.clone();
        g.go(move || {
            n.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
    }
    assert_eq!(g.wait(), Ok(()));
    assert_eq!(n.load(Ordering::SeqCst), 10);
}

#[test]
fn first_error_wins() {
    for _ in 0..20 {
        let g = Group::new();
        let first = chan::<()>(0);
        // Task 0 fails first; the others fail only after it has reported.
        {
            let first = first.clone();
            g.go(move || {
                let r = Err("first");
                first.close();
                r
            });
        }
        for _ in 0..5 {
            let first = first.clone();
            g.go(move || {
                first.recv();
                rungo_runtime::sleep(Duration::from_millis(5));
                Err("later")
            });
        }
        assert_eq!(g.wait(), Err("first"));
    }
}

#[test]
fn wait_returns_the_first_error_every_time() {
    // Go: Wait returns g.err, set once; a second Wait returns it again, and errors of tasks
    // started after the first Wait never replace it.
    let g = Group::new();
    g.go(|| Err("first"));
    assert_eq!(g.wait(), Err("first"));
    assert_eq!(
        g.wait(),
        Err("first"),
        "a second wait returns the first error again"
    );
    g.go(|| Err("later"));
    g.go(|| Ok(()));
    assert_eq!(
        g.wait(),
        Err("first"),
        "a later error does not replace the first"
    );
    assert_eq!(g.wait(), Err("first"));
}

#[test]
fn a_group_without_errors_stays_ok_across_waits() {
    let g = Group::<String>::new();
    g.go(|| Ok(()));
    assert_eq!(g.wait(), Ok(()));
    g.go(|| Ok(()));
    assert_eq!(g.wait(), Ok(()));
}

#[test]
fn with_context_cancelled_on_first_error() {
    let (g, ctx) = Group::with_context(&context::background());
    let stopped = Arc::new(AtomicUsize::new(0));
    for _ in 0..4 {
        let (ctx, stopped) = (ctx.clone(), stopped.clone());
        g.go(move || {
            select! {
                recv(ctx.done()) => { stopped.fetch_add(1, Ordering::SeqCst); }
                recv(rungo_channels::time::after(Duration::from_secs(30))) => {}
            }
            Ok(())
        });
    }
    // `std::io::Error` is not `Clone`: shared through an `Arc`, as the docs advise.
    g.go(|| Err(Arc::new(std::io::Error::other("boom"))));
    let err = g.wait().unwrap_err();
    assert_eq!(err.to_string(), "boom");
    assert_eq!(stopped.load(Ordering::SeqCst), 4);
    assert_eq!(ctx.err(), Some(ContextError::Canceled));
}

#[test]
fn with_context_cancelled_by_wait_even_without_error() {
    let (g, ctx) = Group::<()>::with_context(&context::background());
    g.go(|| Ok(()));
    assert_eq!(g.wait(), Ok(()));
    assert!(ctx.err().is_some());
}

#[test]
fn set_limit_bounds_active_tasks() {
    let g = Group::<()>::new();
    g.set_limit(Some(3));
    let active = Arc::new(AtomicUsize::new(0));
    let max = Arc::new(AtomicUsize::new(0));
    for _ in 0..30 {
        let (active, max) = (active.clone(), max.clone());
        g.go(move || {
            let now = active.fetch_add(1, Ordering::SeqCst) + 1;
            max.fetch_max(now, Ordering::SeqCst);
            rungo_runtime::sleep(Duration::from_millis(1));
            active.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        });
    }
    g.wait().unwrap();
    let m = max.load(Ordering::SeqCst);
    assert!((1..=3).contains(&m), "max active {m}");
    // Changing the limit when idle is fine.
    g.set_limit(None);
}

#[test]
fn set_limit_while_active_panics() {
    let g = Group::<()>::new();
    g.set_limit(Some(1));
    let gate = chan::<()>(0);
    let gt = gate.clone();
    g.go(move || {
        gt.recv();
        Ok(())
    });
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.set_limit(Some(2))));
    gate.close();
    g.wait().unwrap();
    let msg = r.unwrap_err();
    let msg = msg.downcast_ref::<String>().unwrap();
    assert!(
        msg.starts_with("errgroup: modify limit while 1 goroutines"),
        "{msg}"
    );
}

#[test]
fn panic_in_task_is_reraised_by_wait() {
    let g = Group::<()>::new();
    g.go(|| panic!("task panicked"));
    g.go(|| Ok(()));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.wait()));
    let payload = r.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"task panicked"));
    // A later wait does not turn the panic into success either.
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.wait()));
    let payload = r.unwrap_err();
    let msg = payload
        .downcast_ref::<&str>()
        .copied()
        .or(payload.downcast_ref::<String>().map(String::as_str))
        .unwrap();
    assert!(msg.contains("a task panicked"), "{msg}");
}
