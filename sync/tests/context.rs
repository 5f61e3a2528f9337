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
    // Stress: children created while the parent is being cancelled are never left live: once
    // the parent's err() is set, so is every child's (Go's cancel holds the parent's lock
    // while it cancels the children, and its Err takes that lock).
    for _ in 0..50 {
        let (parent, cancel) = context::with_cancel(&background());
        let creators: Vec<_> = (0..4)
            .map(|_| {
                let parent = parent.clone();
                rungo_runtime::spawn(move || {
                    let mut live_after_parent = 0;
                    for _ in 0..50 {
                        let (c, _cc) = context::with_cancel(&parent);
                        if parent.err().is_some() && c.err().is_none() {
                            live_after_parent += 1;
                        }
                    }
                    live_after_parent
                })
            })
            .collect();
        cancel.cancel();
        for c in creators {
            assert_eq!(
                c.join().unwrap(),
                0,
                "a child was live after its parent's err()"
            );
        }
        let (c, _cc) = context::with_cancel(&parent);
        assert!(c.err().is_some());
    }
}

#[test]
fn a_child_seen_cancelled_by_its_parent_means_the_parent_is_cancelled() {
    // The converse of the test above: a task that sees a child cancelled by its parent, through
    // `err()` or a wake-up from `wait()`, and then asks the parent, gets the parent's error (Go:
    // cancelCtx.cancel sets c.err before it cancels the children, and Err waits for c.mu).
    for round in 0..200 {
        let (parent, cancel) = context::with_cancel(&background());
        let children: Vec<_> = (0..32).map(|_| context::with_cancel(&parent)).collect();
        let watched: Vec<_> = children.iter().map(|(c, _)| c.clone()).collect();
        let observer = {
            let parent = parent.clone();
            std::thread::spawn(move || {
                // Alternate: spin on err() in even rounds, park in wait() in odd ones.
                let child = &watched[round % watched.len()];
                if round % 2 == 0 {
                    while child.err().is_none() {
                        std::hint::spin_loop();
                    }
                } else {
                    child.wait();
                }
                parent.err()
            })
        };
        cancel.cancel();
        assert_eq!(
            observer.join().unwrap(),
            Some(ContextError::Canceled),
            "round {round}: a child was cancelled but its parent's err() was None"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Go 1.20/1.21 additions: causes, AfterFunc, WithoutCancel, String, Timeout(), saturation.

#[derive(Debug)]
struct MyErr(&'static str);
impl std::fmt::Display for MyErr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}
impl std::error::Error for MyErr {}

fn cause_str(ctx: &context::Context) -> Option<String> {
    context::cause(ctx).map(|c| c.to_string())
}

#[test]
fn cause_follows_go_rules() {
    // Go: context_test.go's TestCause, case by case.
    // Not cancelled: no cause.
    let (ctx, cancel) = context::with_cancel_cause(&background());
    assert!(context::cause(&ctx).is_none());
    // Cancel with a cause: err is Canceled, the cause is ours; a second cause is ignored.
    cancel.cancel(MyErr("first"));
    cancel.cancel(MyErr("second"));
    assert_eq!(ctx.err(), Some(ContextError::Canceled));
    let c = context::cause(&ctx).unwrap();
    assert_eq!(c.downcast_ref::<MyErr>().map(|e| e.0), Some("first"));

    // Nil cause: the cause is ctx.Err().
    let (ctx, cancel) = context::with_cancel_cause(&background());
    cancel.cancel_without_cause();
    let c = context::cause(&ctx).unwrap();
    assert_eq!(
        c.downcast_ref::<ContextError>(),
        Some(&ContextError::Canceled)
    );
    // Dropping the handle is cancel(nil).
    let (ctx, cancel) = context::with_cancel_cause(&background());
    drop(cancel);
    assert_eq!(cause_str(&ctx).as_deref(), Some("context canceled"));

    // Plain with_cancel: the cause is Canceled.
    let (ctx, cancel) = context::with_cancel(&background());
    cancel.cancel();
    assert_eq!(cause_str(&ctx).as_deref(), Some("context canceled"));

    // Children inherit the parent's cause, through a value node, including children born
    // after the cancel; a child cancelled first keeps its own.
    let (parent, cancel_parent) = context::with_cancel_cause(&background());
    let (own, own_cancel) = context::with_cancel_cause(&parent);
    own_cancel.cancel("own");
    let v = context::with_value(&parent, 1u8);
    let (child, _c) = context::with_cancel(&v);
    cancel_parent.cancel("parent gone");
    let (late, _l) = context::with_timeout(&parent, Duration::from_secs(60));
    assert_eq!(cause_str(&child).as_deref(), Some("parent gone"));
    assert_eq!(cause_str(&v).as_deref(), Some("parent gone"));
    assert_eq!(cause_str(&late).as_deref(), Some("parent gone"));
    assert_eq!(late.err(), Some(ContextError::Canceled));
    assert_eq!(cause_str(&own).as_deref(), Some("own"));

    // Background and without_cancel have no cause.
    assert!(context::cause(&background()).is_none());
    assert!(context::cause(&context::without_cancel(&parent)).is_none());
}

#[test]
fn deadline_and_timeout_causes() {
    // The deadline fires: err DeadlineExceeded, cause the given one; children see it too.
    let (ctx, _c) =
        context::with_timeout_cause(&background(), Duration::from_millis(10), MyErr("slow"));
    let (child, _cc) = context::with_cancel(&ctx);
    assert_eq!(child.wait(), ContextError::DeadlineExceeded);
    assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded));
    assert_eq!(cause_str(&ctx).as_deref(), Some("slow"));
    assert_eq!(cause_str(&child).as_deref(), Some("slow"));

    // Cancelled before the deadline: Canceled, and the cause is Canceled (not the deadline's).
    let (ctx, cancel) =
        context::with_timeout_cause(&background(), Duration::from_secs(60), MyErr("slow"));
    cancel.cancel();
    assert_eq!(cause_str(&ctx).as_deref(), Some("context canceled"));

    // Already past: born with DeadlineExceeded and the cause.
    let (ctx, _c) = context::with_deadline_cause(&background(), Instant::now(), "late");
    assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded));
    assert_eq!(cause_str(&ctx).as_deref(), Some("late"));

    // Without a cause a deadline's cause is DeadlineExceeded.
    let (ctx, _c) = context::with_timeout(&background(), Duration::from_millis(1));
    ctx.wait();
    let c = context::cause(&ctx).unwrap();
    assert_eq!(
        c.downcast_ref::<ContextError>(),
        Some(&ContextError::DeadlineExceeded)
    );
}

#[test]
fn is_timeout_tells_deadline_from_cancel() {
    let (ctx, _c) = context::with_timeout(&background(), Duration::from_millis(1));
    let err = ctx.wait();
    assert!(err.is_timeout());
    assert!(err.is_temporary());
    let (ctx, cancel) = context::with_cancel(&background());
    cancel.cancel();
    assert!(!ctx.err().unwrap().is_timeout());
}

#[test]
fn huge_timeouts_saturate_instead_of_panicking() {
    for d in [
        Duration::MAX,
        Duration::from_secs(u64::MAX / 2),
        Duration::from_secs(1 << 40),
    ] {
        let (ctx, cancel) = context::with_timeout(&background(), d);
        let deadline = ctx
            .deadline()
            .expect("a saturated deadline is still a deadline");
        assert!(deadline > Instant::now() + Duration::from_secs(50 * 365 * 24 * 3600));
        assert_eq!(ctx.err(), None);
        let (child, _cc) = context::with_timeout_cause(&ctx, d, "never");
        assert_eq!(child.deadline(), Some(deadline));
        assert!(child.to_string().contains(".WithDeadline("), "{child}");
        drop(cancel);
        assert_eq!(child.err(), Some(ContextError::Canceled));
    }
    // A far deadline given directly works too, and the timer thread keeps serving others.
    let (far, _f) = context::with_timeout(&background(), Duration::MAX);
    let (near, _n) = context::with_timeout(&background(), Duration::from_millis(5));
    assert_eq!(near.wait(), ContextError::DeadlineExceeded);
    assert_eq!(far.err(), None);
}

#[test]
fn after_func_called_after_cancel_timeout_or_at_once() {
    // Go: TestAfterFuncCalledAfterCancel, ...AfterTimeout, ...Immediately.
    let ran = chan::<&'static str>(3);

    let (ctx, cancel) = context::with_cancel(&background());
    let tx = ran.clone();
    let stop = context::after_func(&ctx, move || tx.send("cancel"));
    rungo_runtime::sleep(Duration::from_millis(5));
    assert!(ran.try_recv().is_err(), "ran before the context was done");
    cancel.cancel();
    assert_eq!(ran.recv(), Some("cancel"));
    assert!(!stop.stop(), "stop after f started must report false");

    let (ctx, _c) = context::with_timeout(&background(), Duration::from_millis(5));
    let tx = ran.clone();
    let _stop = context::after_func(&ctx, move || tx.send("timeout"));
    assert_eq!(ran.recv(), Some("timeout"));

    let (ctx, cancel) = context::with_cancel(&background());
    cancel.cancel();
    let tx = ran.clone();
    let stop = context::after_func(&ctx, move || tx.send("immediately"));
    assert_eq!(ran.recv(), Some("immediately"));
    assert!(!stop.stop());
}

#[test]
fn after_func_runs_in_its_own_coroutine() {
    // Go: TestAfterFuncCalledAsynchronously: f may block without blocking the canceller.
    let (ctx, cancel) = context::with_cancel(&background());
    let gate = chan::<()>(0);
    let out = chan::<bool>(1);
    let (g, o) = (gate.clone(), out.clone());
    let _stop = context::after_func(&ctx, move || {
        g.recv();
        o.send(rungo_runtime::current().is_some());
    });
    cancel.cancel(); // returns although f is blocked on `gate`
    gate.send(());
    assert_eq!(out.recv(), Some(true), "f did not run on a coroutine");
}

#[test]
fn after_func_not_called_after_stop() {
    // Go: TestAfterFuncNotCalledAfterStop.
    let (ctx, cancel) = context::with_cancel(&background());
    let ran = chan::<()>(1);
    let tx = ran.clone();
    let stop = context::after_func(&ctx, move || tx.send(()));
    assert!(stop.stop());
    assert!(!stop.stop(), "second stop must report false");
    cancel.cancel();
    assert_eq!(
        ran.recv_timeout(Duration::from_millis(50)),
        Err(rungo_channels::RecvTimeoutError::Timeout)
    );
    // Never-cancelled contexts never call f, and stop reports it stopped f.
    let stop = context::after_func(&background(), || panic!("background is never done"));
    assert!(stop.stop());
    // Many registrations racing with cancel: f runs exactly when its stop says false.
    let mut stopped_ones = Vec::new();
    for _ in 0..100 {
        let (ctx, cancel) = context::with_cancel(&background());
        let ran = chan::<()>(1);
        let tx = ran.clone();
        let stop = context::after_func(&ctx, move || tx.send(()));
        let canceller = rungo_runtime::spawn(move || cancel.cancel());
        let stopped = stop.stop();
        canceller.join().unwrap();
        if stopped {
            stopped_ones.push(ran);
        } else {
            assert!(
                ran.recv_timeout(Duration::from_secs(5)).is_ok(),
                "stop said false but f did not run"
            );
        }
    }
    rungo_runtime::sleep(Duration::from_millis(50));
    assert!(
        stopped_ones.iter().all(|r| r.try_recv().is_err()),
        "f ran although stop said true"
    );
}

#[test]
fn without_cancel_keeps_values_and_drops_cancellation() {
    // Go: TestWithoutCancel.
    let v = context::with_value(&background(), 42u32);
    let (parent, cancel) = context::with_timeout(&v, Duration::from_secs(60));
    let detached = context::without_cancel(&parent);
    assert_eq!(detached.deadline(), None);
    assert_eq!(detached.value::<u32>(), Some(&42));
    cancel.cancel();
    assert_eq!(parent.err(), Some(ContextError::Canceled));
    assert_eq!(detached.err(), None);
    assert!(detached.done().is_nil());
    // Its children can be cancelled on their own, and only by their own cancel.
    let (child, cancel_child) = context::with_cancel(&detached);
    assert_eq!(child.err(), None);
    assert_eq!(child.value::<u32>(), Some(&42));
    cancel_child.cancel();
    assert_eq!(child.err(), Some(ContextError::Canceled));
}

#[test]
fn display_has_gos_shape() {
    // Go: x_test.go's TestBackground, TestTODO, TestWithCancel, TestDeadline, TestValues.
    assert_eq!(background().to_string(), "context.Background");
    assert_eq!(context::todo().to_string(), "context.TODO");
    let (c1, _a) = context::with_cancel(&background());
    assert_eq!(c1.to_string(), "context.Background.WithCancel");
    let (c2, _b) = context::with_cancel_cause(&c1);
    assert_eq!(c2.to_string(), "context.Background.WithCancel.WithCancel");

    let (d, _c) = context::with_timeout(&background(), Duration::from_secs(90));
    let s = d.to_string();
    assert!(s.starts_with("context.Background.WithDeadline("), "{s}");
    assert!(s.ends_with("s])"), "{s}");
    assert!(
        s.contains(" +0000 UTC [1m29.") || s.contains(" +0000 UTC [1m30s])"),
        "{s}"
    );
    // A parent deadline that comes first: Go returns WithCancel.
    let (d2, _e) = context::with_timeout(&d, Duration::from_secs(3600));
    let s2 = d2.to_string();
    let wall = &s[..s.find(" [").unwrap()]; // the deadline is fixed; the time until moves
    assert!(
        s2.starts_with(wall) && s2.ends_with("s]).WithCancel"),
        "{s2}"
    );
    // Past deadline: a negative time until.
    let (p, _f) = context::with_deadline(&background(), Instant::now() - Duration::from_secs(2));
    assert!(p.to_string().contains(" [-2."), "{p}");

    let v1 = context::with_value(&background(), String::from("c1k1"));
    let v2 = context::with_value(&v1, 7u8);
    assert_eq!(
        v2.to_string(),
        "context.Background.WithValue(alloc::string::String, c1k1).WithValue(u8, u8)"
    );
    let w = context::without_cancel(&v1);
    assert_eq!(
        w.to_string(),
        "context.Background.WithValue(alloc::string::String, c1k1).WithoutCancel"
    );
    let sv = context::with_value(&context::todo(), "literal");
    assert_eq!(sv.to_string(), "context.TODO.WithValue(&str, literal)");
}
