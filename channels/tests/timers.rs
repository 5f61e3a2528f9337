//! Timers and tickers (Go 1.23 semantics). Bounds are generous: the machine is loaded.
mod common;
use common::*;
use rungo_channels::time::{Duration, Instant, Ticker, Timer, after, after_func, tick};
use rungo_channels::{TryRecvError, chan, select};
use rungo_testkit::Rng;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const MS: Duration = Duration::from_millis(1);

#[test]
fn after_fires_once_not_early() {
    let t0 = Instant::now();
    let c = after(20 * MS);
    let at = c.recv_timeout(SOON).expect("after did not fire");
    assert!(at >= t0 + 20 * MS);
    assert!(t0.elapsed() >= 20 * MS);
    assert_eq!(
        c.recv_timeout(30 * MS),
        Err(rungo_channels::RecvTimeoutError::Timeout)
    );
}

#[test]
fn timers_fire_in_deadline_order() {
    let out = chan::<u32>(10);
    let mut timers = Vec::new();
    for (i, ms) in [150u64, 10, 70].into_iter().enumerate() {
        let o = out.clone();
        timers.push(after_func(Duration::from_millis(ms), move || {
            o.send(i as u32)
        }));
    }
    let got: Vec<u32> = (0..3).map(|_| out.recv_timeout(SOON).unwrap()).collect();
    assert_eq!(got, [1, 2, 0]);
}

#[test]
fn stop_before_fire() {
    let t = Timer::new(30 * MS);
    assert!(t.stop());
    assert!(!t.stop());
    assert_eq!(
        t.c.recv_timeout(60 * MS),
        Err(rungo_channels::RecvTimeoutError::Timeout)
    );
}

#[test]
fn stop_after_fire_discards_stale_value() {
    let t = Timer::new(MS);
    rungo_runtime::sleep(30 * MS); // fired, value not received
    assert!(t.stop(), "Go 1.23: an unreceived value counts as pending");
    assert_eq!(t.c.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn reset_gives_no_stale_value() {
    let t = Timer::new(MS);
    rungo_runtime::sleep(20 * MS);
    let t0 = Instant::now();
    t.reset(40 * MS);
    assert_eq!(t.c.try_recv(), Err(TryRecvError::Empty));
    t.c.recv_timeout(SOON).expect("reset timer must fire");
    assert!(t0.elapsed() >= 40 * MS);
    assert!(!t.stop());
}

#[test]
fn received_then_stop_is_false() {
    let t = Timer::new(MS);
    t.c.recv();
    assert!(!t.stop());
}

#[test]
fn after_func_stop_prevents_run() {
    let n = Arc::new(AtomicUsize::new(0));
    let n2 = n.clone();
    let t = after_func(30 * MS, move || {
        n2.fetch_add(1, Ordering::SeqCst);
    });
    assert!(t.stop());
    rungo_runtime::sleep(60 * MS);
    assert_eq!(n.load(Ordering::SeqCst), 0);
    assert!(t.c.is_nil());
    // Reset schedules it again.
    let done = chan::<()>(1);
    let d = done.clone();
    let t = after_func(MS, move || {
        let _ = d.try_send(());
    });
    done.recv_timeout(SOON).unwrap();
    t.reset(MS);
    done.recv_timeout(SOON).unwrap();
}

#[test]
fn ticker_ticks_and_stops() {
    let t = Ticker::new(5 * MS);
    let t0 = Instant::now();
    for _ in 0..5 {
        t.c.recv_timeout(SOON).expect("tick");
    }
    assert!(t0.elapsed() >= 20 * MS);
    t.stop();
    assert_eq!(t.c.try_recv(), Err(TryRecvError::Empty));
    assert!(t.c.recv_timeout(30 * MS).is_err());
}

#[test]
fn ticker_drops_ticks_for_slow_receiver() {
    let t = Ticker::new(2 * MS);
    rungo_runtime::sleep(50 * MS);
    // Only one tick is buffered, however many periods passed.
    assert!(t.c.try_recv().is_ok());
    assert!(t.c.len() <= 1);
    t.stop();
}

#[test]
fn ticker_reset_changes_period() {
    let t = Ticker::new(Duration::from_secs(3600));
    t.reset(2 * MS);
    for _ in 0..3 {
        t.c.recv_timeout(SOON).expect("tick after reset");
    }
    t.stop();
}

#[test]
fn tick_zero_is_nil() {
    assert!(tick(Duration::ZERO).is_nil());
    let c = tick(3 * MS);
    c.recv_timeout(SOON).unwrap();
    c.recv_timeout(SOON).unwrap();
}

#[test]
fn select_timeout_idiom() {
    let never = chan::<u8>(0);
    let t0 = Instant::now();
    let r = select! {
        recv(never) -> _ => "value",
        recv(after(15 * MS)) => "timeout",
    };
    assert_eq!(r, "timeout");
    assert!(t0.elapsed() >= 15 * MS);
}

#[test]
fn many_timers_from_many_tasks() {
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            spawn_mixed(i, move || {
                for k in 0..20u64 {
                    after(Duration::from_micros(100 * (k % 5)))
                        .recv_timeout(SOON)
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.join();
    }
}

// Duration::MAX: in Go a timer that far out never fires; here the deadline saturates to
// "never" instead of panicking with `overflow when adding duration to instant`.

#[test]
fn after_duration_max_never_fires() {
    let c = after(Duration::MAX);
    assert_eq!(c.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(
        c.recv_timeout(30 * MS),
        Err(rungo_channels::RecvTimeoutError::Timeout)
    );
}

#[test]
fn timer_duration_max_is_armed_and_stoppable() {
    let t = Timer::new(Duration::MAX);
    assert!(t.c.recv_timeout(30 * MS).is_err(), "fired");
    assert!(t.stop(), "Go: a timer set to fire never is still active");
    assert!(!t.stop());
    // Reset still works after a Duration::MAX timer.
    t.reset(MS);
    t.c.recv_timeout(SOON).expect("reset timer must fire");
}

#[test]
fn timer_reset_duration_max() {
    let t = Timer::new(Duration::from_secs(3600));
    assert!(t.reset(Duration::MAX));
    assert!(t.c.recv_timeout(30 * MS).is_err(), "fired");
    assert!(t.reset(Duration::MAX), "still active");
    assert!(t.stop());
    // And back to a finite deadline.
    assert!(!t.reset(MS));
    t.c.recv_timeout(SOON).expect("reset timer must fire");
}

#[test]
fn after_func_duration_max_never_runs() {
    let n = Arc::new(AtomicUsize::new(0));
    let n2 = n.clone();
    let t = after_func(Duration::MAX, move || {
        n2.fetch_add(1, Ordering::SeqCst);
    });
    rungo_runtime::sleep(30 * MS);
    assert_eq!(n.load(Ordering::SeqCst), 0);
    assert!(t.stop());
    assert!(!t.reset(Duration::MAX));
    assert!(t.stop());
    assert_eq!(n.load(Ordering::SeqCst), 0);
}

#[test]
fn tick_and_ticker_duration_max() {
    let c = tick(Duration::MAX);
    assert!(!c.is_nil());
    assert!(c.recv_timeout(30 * MS).is_err(), "ticked");
    let t = Ticker::new(Duration::MAX);
    assert!(t.c.recv_timeout(30 * MS).is_err(), "ticked");
    t.reset(2 * MS);
    t.c.recv_timeout(SOON).expect("tick after reset");
    t.reset(Duration::MAX);
    // A tick sent just before the reset is discarded by it; none comes after.
    assert!(t.c.recv_timeout(30 * MS).is_err(), "ticked");
    t.stop();
}

#[test]
fn channel_timeouts_with_duration_max() {
    // Blocking operations with a Duration::MAX timeout behave as untimed ones.
    let c = chan::<u32>(0);
    let c2 = c.clone();
    let h = rungo_runtime::spawn(move || {
        c2.send_timeout(7, Duration::MAX).unwrap();
        c2.recv_timeout(Duration::MAX).unwrap()
    });
    assert_eq!(c.recv_timeout(Duration::MAX), Ok(7));
    c.send_timeout(8, Duration::MAX).unwrap();
    assert_eq!(h.join().unwrap(), 8);
    let ready = chan::<u32>(1);
    ready.send(1);
    let mut sel = rungo_channels::Select::new();
    let i = sel.recv(&ready);
    assert_eq!(sel.select_timeout(Duration::MAX), Some(i));
}

// Zero and tiny durations fire (promptly), never panic nor hang.

#[test]
fn zero_and_tiny_durations_fire() {
    for d in [
        Duration::ZERO,
        Duration::from_nanos(1),
        Duration::from_micros(1),
    ] {
        after(d).recv_timeout(SOON).expect("after fires");
        let t = Timer::new(d);
        t.c.recv_timeout(SOON).expect("timer fires");
        assert!(!t.reset(d));
        t.c.recv_timeout(SOON).expect("reset timer fires");
        let done = chan::<()>(1);
        let d2 = done.clone();
        let _f = after_func(d, move || {
            let _ = d2.try_send(());
        });
        done.recv_timeout(SOON).expect("after_func runs");
    }
    let t = Ticker::new(Duration::from_nanos(1));
    for _ in 0..10 {
        t.c.recv_timeout(SOON).expect("tick");
    }
    t.stop();
    assert_eq!(t.c.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn stop_and_reset_race_firing_from_many_tasks() {
    // Stop/reset land just before, during or after firing; Go 1.23's guarantee must hold
    // every time: no value after stop, exactly one value per arming after reset.
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            spawn_mixed(i, move || {
                let mut rng = Rng::new(i as u64 + 1);
                let mut ticks = Vec::new();
                for _ in 0..40 {
                    let t = Timer::new(Duration::from_micros(rng.below(400)));
                    rungo_runtime::sleep(Duration::from_micros(rng.below(400)));
                    if rng.below(2) == 0 {
                        t.stop();
                        assert_eq!(t.c.try_recv(), Err(TryRecvError::Empty), "value after stop");
                        assert!(!t.stop());
                    } else {
                        t.reset(Duration::from_micros(rng.below(400)));
                        t.c.recv_timeout(SOON).expect("reset timer fires");
                        assert!(!t.stop(), "fired and received: not pending");
                        assert_eq!(t.c.try_recv(), Err(TryRecvError::Empty), "second value");
                    }
                    // A ticker stopped at a random moment sends nothing afterwards.
                    let tk = Ticker::new(Duration::from_micros(50 + rng.below(200)));
                    rungo_runtime::sleep(Duration::from_micros(rng.below(500)));
                    tk.stop();
                    assert_eq!(tk.c.try_recv(), Err(TryRecvError::Empty), "tick after stop");
                    ticks.push(tk);
                }
                rungo_runtime::sleep(5 * MS);
                for tk in &ticks {
                    assert_eq!(tk.c.try_recv(), Err(TryRecvError::Empty), "late tick");
                }
            })
        })
        .collect();
    for t in tasks {
        t.join();
    }
}
