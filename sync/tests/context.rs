//! Context: cancel propagation down the tree (not up), deadlines with generous accuracy bounds,
//! `done()` in `select!`, values, and no timer leak when cancel handles are dropped
//! (Go: context_test.go's TestWithCancel, TestDeadline, TestTimeout, TestCanceledTimeout).

use std::time::{Duration, Instant};

use rungo_channels::{chan, select, time::after};
use rungo_sync::context::{self, ContextError, background};
use rungo_sync::{Semaphore, WaitGroup};

#[test]
fn background_is_never_done() {
    let bg = background();
    assert_eq!(bg.err(), None);
    assert!(bg.done().is_nil());
    assert_eq!(bg.deadline(), None);
    let r = select! {
        recv(bg.done()) => "done",
        default => "not done",
    };
    assert_eq!(r, "not done");
}

#[test]
fn parent_cancel_cancels_children_not_the_reverse() {
    let (parent, cancel_parent) = context::with_cancel(&background());
    let (child1, cancel_child1) = context::with_cancel(&parent);
    let v = context::with_value(&child1, 5u8);
    let (grandchild, _cg) = context::with_timeout(&v, Duration::from_secs(3600));
    let (child2, _c2) = context::with_cancel(&parent);

    // Cancelling a child affects only its subtree.
    cancel_child1.cancel();
    assert_eq!(child1.err(), Some(ContextError::Canceled));
    assert_eq!(grandchild.err(), Some(ContextError::Canceled));
    assert_eq!(parent.err(), None);
    assert_eq!(child2.err(), None);

    // Cancelling the parent reaches every remaining descendant, and their done channels close.
    let done2 = child2.done();
    let waiter = rungo_runtime::spawn(move || done2.recv());
    cancel_parent.cancel();
    assert_eq!(waiter.join().unwrap(), None);
    assert_eq!(child2.err(), Some(ContextError::Canceled));
    // A child made from a cancelled parent is born cancelled.
    let (late, _cl) = context::with_cancel(&parent);
    assert_eq!(late.err(), Some(ContextError::Canceled));
    assert_eq!(late.done().recv(), None);
}

#[test]
fn done_in_select_from_coroutines_and_threads() {
    let (ctx, cancel) = context::with_cancel(&background());
    let wg = WaitGroup::new();
    let work = chan::<u32>(0);
    let mut threads = Vec::new();
    for i in 0..6 {
        let (ctx, work) = (ctx.clone(), work.clone());
        let body = move || {
            let mut got = 0;
            loop {
                select! {
                    recv(ctx.done()) => return (got, ctx.err()),
                    recv(work) -> v => { if v.is_some() { got += 1 } },
                }
            }
        };
        if i % 2 == 0 {
            let h = rungo_runtime::spawn(body);
            let wg2 = wg.clone();
            wg2.add(1);
            threads.push(std::thread::spawn(move || {
                let r = h.join().unwrap();
                wg2.done();
                r
            }));
        } else {
            threads.push(std::thread::spawn(body));
        }
    }
    for i in 0..100 {
        work.send(i);
    }
    cancel.cancel();
    let total: u32 = threads
        .into_iter()
        .map(|t| {
            let (got, err) = t.join().unwrap();
            assert_eq!(err, Some(ContextError::Canceled));
            got
        })
        .sum();
    assert_eq!(total, 100);
    wg.wait();
}

#[test]
fn timeout_fires_with_reasonable_accuracy() {
    let d = Duration::from_millis(50);
    let start = Instant::now();
    let (ctx, _cancel) = context::with_timeout(&background(), d);
    assert!(ctx.deadline().is_some());
    assert_eq!(ctx.done().recv(), None);
    let took = start.elapsed();
    assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded));
    assert!(took >= d, "fired early: {took:?}");
    // Generous: a loaded 2-core machine can delay the timer thread.
    assert!(took < d + Duration::from_secs(2), "fired late: {took:?}");
}

#[test]
fn deadline_propagates_and_earlier_parent_deadline_wins() {
    let (parent, _cp) = context::with_timeout(&background(), Duration::from_millis(30));
    let (child, _cc) = context::with_timeout(&parent, Duration::from_secs(3600));
    assert_eq!(child.deadline(), parent.deadline());
    assert_eq!(child.wait(), ContextError::DeadlineExceeded);
    // Already-past deadline: done at once.
    let (past, _c) = context::with_deadline(&background(), Instant::now());
    assert_eq!(past.err(), Some(ContextError::DeadlineExceeded));
}

#[test]
fn select_between_done_and_a_timer() {
    let (ctx, _cancel) = context::with_timeout(&background(), Duration::from_millis(20));
    let r = select! {
        recv(ctx.done()) => ctx.err(),
        recv(after(Duration::from_secs(30))) => None,
    };
    assert_eq!(r, Some(ContextError::DeadlineExceeded));
}

#[test]
fn dropping_cancel_handles_leaks_no_timer() {
    let keep: Vec<_> = (0..200)
        .map(|_| {
            let (ctx, cancel) = context::with_timeout(&background(), Duration::from_secs(3600));
            drop(cancel); // Go: cancel() (here: drop)
            ctx
        })
        .collect();
    assert!(keep.iter().all(|c| c.err() == Some(ContextError::Canceled)));
    // Other tests may run concurrently with short timers; none of ours may remain. Our 200 hour-
    // long timers would dominate the count.
    assert!(
        context::pending_timers() < 50,
        "{} timers pending",
        context::pending_timers()
    );
    // Children of a cancelled parent are unregistered too (no growth of the parent's child set).
    let (parent, _cp) = context::with_cancel(&background());
    for _ in 0..1000 {
        let (_c, cancel) = context::with_timeout(&parent, Duration::from_secs(3600));
        drop(cancel);
    }
    assert!(context::pending_timers() < 50);
}

#[test]
fn values_are_found_by_type_through_the_tree() {
    #[derive(Debug, PartialEq)]
    struct User(&'static str);
    let ctx = context::with_value(&background(), User("gopher"));
    let ctx = context::with_value(&ctx, 7u64);
    let (ctx, _c) = context::with_cancel(&ctx);
    assert_eq!(ctx.value::<User>(), Some(&User("gopher")));
    assert_eq!(ctx.value::<u64>(), Some(&7));
    assert_eq!(ctx.value::<i32>(), None);
}

#[test]
fn semaphore_acquire_ctx_gives_up_on_cancel() {
    let sem = std::sync::Arc::new(Semaphore::new(1));
    sem.acquire(1);
    let (ctx, cancel) = context::with_cancel(&background());
    let h = {
        let (sem, ctx) = (sem.clone(), ctx.clone());
        rungo_runtime::spawn(move || sem.acquire_ctx(&ctx, 1))
    };
    rungo_runtime::sleep(Duration::from_millis(10));
    cancel.cancel();
    assert_eq!(h.join().unwrap(), Err(ContextError::Canceled));
    sem.release(1);
    assert_eq!(sem.held(), 0);
    let (ctx2, _c2) = context::with_timeout(&background(), Duration::from_secs(60));
    assert_eq!(sem.acquire_ctx(&ctx2, 1), Ok(()));
}

#[test]
fn many_concurrent_cancels_and_creations() {
    // Stress: children created while the parent is being cancelled are never left live.
    for _ in 0..50 {
        let (parent, cancel) = context::with_cancel(&background());
        let wg = WaitGroup::new();
        for _ in 0..4 {
            let parent = parent.clone();
            wg.go(move || {
                for _ in 0..50 {
                    let (c, _cc) = context::with_cancel(&parent);
                    if parent.err().is_some() {
                        assert!(c.err().is_some());
                    }
                }
            });
        }
        cancel.cancel();
        wg.wait();
        let (c, _cc) = context::with_cancel(&parent);
        assert!(c.err().is_some());
    }
}
