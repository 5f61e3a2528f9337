//! Timer scenarios that hung or crashed the timer service, each run in a child process (this
//! test binary re-run on one test, `rungo_testkit::child::in_child`) under a timeout.
use rungo_channels::chan;
use rungo_channels::time::{Duration, Instant, Ticker, Timer, after, after_func};
use rungo_runtime::{Builder, run, spawn, yield_now};
use rungo_testkit::child::in_child;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

const SOON: Duration = Duration::from_secs(10);
const MS: Duration = Duration::from_millis(1);

/// F4: an `after_func` body that resets its own timer, 600 of them on one worker. The service
/// once held a timer's mutex across spawning the body, the spawn yielded (the runtime throttles
/// a coroutine after 256 spawns without parking), and the body's `reset` then blocked the
/// worker thread on that mutex: a hang.
#[test]
fn after_func_resetting_its_own_timer_does_not_hang() {
    in_child(
        "after_func_resetting_its_own_timer_does_not_hang",
        &[("GOMAXPROCS", "1")],
        Duration::from_secs(60),
        || {
            run(|| {
                const N: usize = 600;
                const RUNS: u32 = 3;
                let done = chan::<()>(N);
                let mut timers = Vec::new();
                for _ in 0..N {
                    let slot: Arc<OnceLock<Timer>> = Arc::new(OnceLock::new());
                    let runs = Arc::new(AtomicU32::new(0));
                    let (s, d) = (slot.clone(), done.clone());
                    let t = after_func(Duration::from_secs(3600), move || {
                        if runs.fetch_add(1, Ordering::SeqCst) + 1 < RUNS {
                            s.get().expect("set before armed").reset(MS);
                        } else {
                            d.send(());
                        }
                    });
                    slot.set(t).expect("fresh slot");
                    timers.push(slot);
                }
                for t in &timers {
                    t.get().unwrap().reset(MS);
                }
                for i in 0..N {
                    done.recv_timeout(SOON)
                        .unwrap_or_else(|_| panic!("only {i} of {N} bodies finished"));
                }
            });
        },
    );
}

/// F5: the timer service must not depend on a spawn that can fail. With `mprotect` guards the
/// number of live coroutines is bounded by `vm.max_map_count`; once `Builder::spawn` fails,
/// timers (started for the first time only now) must still fire, and `after_func` must still
/// run its function.
#[test]
fn timers_fire_when_spawns_are_exhausted() {
    in_child(
        "timers_fire_when_spawns_are_exhausted",
        &[("RUNGO_FORCE_MPROTECT_GUARDS", "1")],
        Duration::from_secs(120),
        || {
            // No timer is used before the budget is spent, so the service starts afterwards.
            let block = chan::<()>(0);
            let mut live = 0usize;
            let err = loop {
                let b = block.clone();
                match Builder::new().spawn(move || {
                    b.recv();
                }) {
                    Ok(h) => drop(h),
                    Err(e) => break e,
                }
                live += 1;
                assert!(
                    live < 1_000_000,
                    "spawn never failed: is RUNGO_FORCE_MPROTECT_GUARDS honoured?"
                );
            };
            assert_eq!(err.kind(), std::io::ErrorKind::OutOfMemory, "{err}");
            println!("spawns exhausted after {live} live coroutines: {err}");
            // The budget is still spent: a spawn fails now too.
            assert!(Builder::new().spawn(|| ()).is_err());
            let t0 = Instant::now();
            after(10 * MS)
                .recv_timeout(SOON)
                .expect("after(10ms) must fire with spawns exhausted");
            assert!(t0.elapsed() >= 10 * MS);
            let t = Timer::new(5 * MS);
            t.c.recv_timeout(SOON).expect("timer fires");
            let ran = chan::<()>(1);
            let r = ran.clone();
            let _f = after_func(5 * MS, move || r.send(()));
            ran.recv_timeout(SOON)
                .expect("after_func must run with spawns exhausted");
            block.close();
        },
    );
}

/// A 1 ns ticker must not monopolise anything: with one worker, a coroutine reading 100 ticks
/// and another coroutine both make progress (the service once looped without parking on the
/// only worker), and the service does not spin (at most one pass per its minimum interval).
#[test]
fn one_ns_ticker_does_not_monopolise() {
    in_child(
        "one_ns_ticker_does_not_monopolise",
        &[("GOMAXPROCS", "1")],
        Duration::from_secs(60),
        || {
            run(|| {
                let progress = Arc::new(AtomicU64::new(0));
                let stop = Arc::new(AtomicBool::new(false));
                let (p, s) = (progress.clone(), stop.clone());
                let other = spawn(move || {
                    while !s.load(Ordering::Relaxed) {
                        p.fetch_add(1, Ordering::Relaxed);
                        yield_now();
                    }
                });
                let t = Ticker::new(Duration::from_nanos(1));
                for i in 0..100 {
                    t.c.recv_timeout(SOON)
                        .unwrap_or_else(|_| panic!("tick {i} never came"));
                }
                let seen = progress.load(Ordering::Relaxed);
                // The other coroutine runs while this one waits for ticks.
                let t0 = Instant::now();
                while progress.load(Ordering::Relaxed) == seen {
                    assert!(t0.elapsed() < SOON, "the other coroutine never ran");
                    t.c.recv_timeout(SOON).expect("tick");
                }
                // Unread, the ticker keeps at most one tick and the service parks between passes.
                let passes0 = rungo_channels::time::debug_service_passes();
                let t0 = Instant::now();
                rungo_runtime::sleep(200 * MS);
                let passes = rungo_channels::time::debug_service_passes() - passes0;
                let elapsed = t0.elapsed();
                let bound = elapsed.as_nanos()
                    / rungo_channels::time::DEBUG_MIN_PASS_INTERVAL.as_nanos()
                    + 2;
                assert!(
                    u128::from(passes) <= bound,
                    "{passes} service passes in {elapsed:?} (at most {bound})"
                );
                assert!(t.c.len() <= 1);
                t.stop();
                stop.store(true, Ordering::Relaxed);
                other.join().unwrap();
            });
        },
    );
}

/// Timers keep firing while every worker runs CPU-bound code: a plain thread waiting on
/// `after` is woken although the only worker never yields.
#[test]
fn timers_fire_while_workers_are_busy() {
    in_child(
        "timers_fire_while_workers_are_busy",
        &[("GOMAXPROCS", "1")],
        Duration::from_secs(60),
        || {
            let running = Arc::new(AtomicBool::new(false));
            let stop = Arc::new(AtomicBool::new(false));
            let (r, s) = (running.clone(), stop.clone());
            let busy = spawn(move || {
                r.store(true, Ordering::SeqCst);
                let t0 = Instant::now();
                while !s.load(Ordering::Relaxed) && t0.elapsed() < 2 * SOON {
                    std::hint::spin_loop();
                }
            });
            while !running.load(Ordering::SeqCst) {
                std::thread::yield_now();
            }
            let fired = after(10 * MS).recv_timeout(SOON);
            stop.store(true, Ordering::Relaxed);
            busy.join().unwrap();
            fired.expect("after(10ms) must fire while the only worker is busy");
        },
    );
}
