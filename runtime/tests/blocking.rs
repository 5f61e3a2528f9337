//! `blocking(f)`: runs `f` on the blocking pool while the calling coroutine's worker runs
//! others, hands back `f`'s value or panic, runs inline on a plain thread; the pool's cap and
//! idle retirement; `fs` through it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rungo_runtime::{RuntimeBuilder, blocking, blocking_pool_stats, fs, go, run};
use rungo_testkit::child::{child_scenario, expect_child_success, reported};

#[test]
fn returns_the_value_and_runs_on_a_pool_thread() {
    let caller = std::thread::current().id();
    let (value, name, same_thread) = run(move || {
        let worker = std::thread::current().id();
        blocking(move || {
            let here = std::thread::current();
            (
                6 * 7,
                here.name().map(String::from),
                here.id() == worker || here.id() == caller,
            )
        })
    });
    assert_eq!(value, 42);
    assert_eq!(name.as_deref(), Some("rungo-blocking"));
    assert!(!same_thread, "f ran on the caller's worker, not the pool");
    let h = go!(|| blocking(|| String::from("from the pool")));
    assert_eq!(h.join().unwrap(), "from the pool");
}

#[test]
fn f_borrows_from_the_callers_stack() {
    let (sum, pushed, longest) = run(|| {
        let numbers = [1u64, 2, 3, 4];
        let mut log = Vec::new();
        let words = [
            String::from("go"),
            String::from("rungo"),
            String::from("rs"),
        ];
        // A shared borrow, a mutable borrow, and a result that borrows (T is not 'static).
        let sum: u64 = blocking(|| numbers.iter().sum());
        blocking(|| log.push(sum));
        let longest: &str = blocking(|| words.iter().max_by_key(|w| w.len()).unwrap().as_str());
        (sum, log, longest.to_owned())
    });
    assert_eq!(sum, 10);
    assert_eq!(pushed, vec![10]);
    assert_eq!(longest, "rungo");
}

#[test]
fn a_panic_in_f_resumes_in_the_caller_with_its_payload() {
    let seven = std::hint::black_box(7);
    let h = go!(move || -> u32 { blocking(move || panic!("boom {seven}")) });
    let payload = h.join().unwrap_err();
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("boom 7")
    );
    // The caller can catch it and go on; the pool thread survives its job's panic.
    let after = run(|| {
        let caught = std::panic::catch_unwind(|| blocking(|| -> u32 { panic!("static") }));
        assert_eq!(caught.unwrap_err().downcast_ref::<&str>(), Some(&"static"));
        blocking(|| 5)
    });
    assert_eq!(after, 5);
}

#[test]
fn on_a_plain_thread_it_runs_inline() {
    let me = std::thread::current().id();
    let ran_on = blocking(|| std::thread::current().id());
    assert_eq!(ran_on, me);
    // A panic propagates directly.
    let caught = std::panic::catch_unwind(|| blocking(|| panic!("inline")));
    assert_eq!(caught.unwrap_err().downcast_ref::<&str>(), Some(&"inline"));
    // A pool thread is a plain thread too: nested calls run inline there.
    let nested = run(|| blocking(|| blocking(|| std::thread::current().name().map(String::from))));
    assert_eq!(nested.as_deref(), Some("rungo-blocking"));
}

#[test]
fn many_concurrent_blocking_calls_overlap() {
    // 200 coroutines each sleep 50 ms in the OS: one after another that is 10 s.
    let start = Instant::now();
    let total: u64 = run(|| {
        let handles: Vec<_> = (0..200u64)
            .map(|i| {
                go!(move || blocking(move || {
                    std::thread::sleep(Duration::from_millis(50));
                    i
                }))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let elapsed = start.elapsed();
    assert_eq!(total, 199 * 200 / 2);
    assert!(
        elapsed < Duration::from_secs(5),
        "200 blocking sleeps of 50 ms took {elapsed:?}: they did not run in parallel"
    );
}

#[test]
fn the_pool_counts_a_running_job() {
    let started = Arc::new(AtomicBool::new(false));
    let release = Arc::new(AtomicBool::new(false));
    let (s, r) = (started.clone(), release.clone());
    let h = go!(move || blocking(move || {
        s.store(true, Ordering::Release);
        while !r.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_millis(1));
        }
    }));
    while !started.load(Ordering::Acquire) {
        std::thread::sleep(Duration::from_millis(1));
    }
    let stats = blocking_pool_stats();
    assert!(stats.jobs >= 1, "a job is running: {stats:?}");
    assert!(
        stats.threads >= 1 && stats.peak_threads >= stats.threads,
        "{stats:?}"
    );
    release.store(true, Ordering::Release);
    h.join().unwrap();
}

#[test]
fn quick_calls_never_lose_a_wake_up() {
    if child_scenario().as_deref() == Some("quick") {
        let sum: u64 = run(|| {
            let handles: Vec<_> = (0..32u64)
                .map(|c| {
                    go!(move || {
                        let mut sum = 0;
                        for i in 0..300u64 {
                            sum += blocking(move || c * 1000 + i);
                            if i % 7 == 0 {
                                rungo_runtime::yield_now();
                            }
                        }
                        sum
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        let expected: u64 = (0..32u64)
            .map(|c| (0..300u64).map(|i| c * 1000 + i).sum::<u64>())
            .sum();
        assert_eq!(sum, expected);
        return;
    }
    expect_child_success(
        "quick_calls_never_lose_a_wake_up",
        "quick",
        &[],
        Duration::from_secs(120),
    );
}

/// With one worker, 8 tickers sleep 10 ms in a loop while another coroutine blocks the OS for
/// 1 s, through `blocking` or (the control) directly. Prints the tickers' worst gap between
/// wake-ups during the block, and their fewest ticks.
fn tickers_scenario(through_pool: bool) {
    RuntimeBuilder::new().gomaxprocs(1).start().unwrap();
    assert_eq!(rungo_runtime::gomaxprocs(), 1);
    let (worst_gap, fewest_ticks) = run(move || {
        let done = Arc::new(AtomicBool::new(false));
        let ready = Arc::new(AtomicUsize::new(0));
        let tickers: Vec<_> = (0..8)
            .map(|_| {
                let (done, ready) = (done.clone(), ready.clone());
                go!(move || {
                    let mut last = Instant::now();
                    let mut worst = Duration::ZERO;
                    let mut ticks = 0u64;
                    ready.fetch_add(1, Ordering::Relaxed);
                    while !done.load(Ordering::Acquire) {
                        rungo_runtime::sleep(Duration::from_millis(10));
                        let now = Instant::now();
                        worst = worst.max(now - last);
                        last = now;
                        ticks += 1;
                    }
                    (worst, ticks)
                })
            })
            .collect();
        // Every ticker is started (and so tied to this worker) before the block begins.
        while ready.load(Ordering::Relaxed) < 8 {
            rungo_runtime::yield_now();
        }
        let d = done.clone();
        let blocker = go!(move || {
            if through_pool {
                blocking(|| std::thread::sleep(Duration::from_secs(1)));
            } else {
                std::thread::sleep(Duration::from_secs(1));
            }
            d.store(true, Ordering::Release);
        });
        blocker.join().unwrap();
        tickers
            .into_iter()
            .map(|h| h.join().unwrap())
            .fold((Duration::ZERO, u64::MAX), |(w, t), (worst, ticks)| {
                (w.max(worst), t.min(ticks))
            })
    });
    println!("WORST_GAP_MS={}", worst_gap.as_millis());
    println!("FEWEST_TICKS={fewest_ticks}");
}

#[test]
fn a_blocking_call_does_not_stall_its_workers_other_coroutines() {
    match child_scenario().as_deref() {
        Some("tickers-pool") => return tickers_scenario(true),
        Some("tickers-direct") => return tickers_scenario(false),
        _ => {}
    }
    let limit = Duration::from_secs(60);
    let envs = [("GOMAXPROCS", "1")];
    let pool = expect_child_success(
        "a_blocking_call_does_not_stall_its_workers_other_coroutines",
        "tickers-pool",
        &envs,
        limit,
    )
    .stdout;
    let direct = expect_child_success(
        "a_blocking_call_does_not_stall_its_workers_other_coroutines",
        "tickers-direct",
        &envs,
        limit,
    )
    .stdout;
    // Through the pool the tickers keep ticking every ~10 ms (300 ms is a generous bound for a
    // loaded machine); blocking the worker directly stalls them for the whole second, which
    // shows the measure tells the two apart.
    let (gap, ticks) = (
        reported::<u64>(&pool, "WORST_GAP_MS"),
        reported::<u64>(&pool, "FEWEST_TICKS"),
    );
    assert!(gap < 300, "tickers stalled {gap} ms during a blocking call");
    assert!(ticks >= 5, "tickers ticked only {ticks} times during 1 s");
    let stalled = reported::<u64>(&direct, "WORST_GAP_MS");
    assert!(
        stalled >= 900,
        "control: blocking the worker directly should stall its tickers ~1 s, saw {stalled} ms"
    );
}

/// Six 200 ms jobs against a cap: prints how many ran at once and the pool's peak.
fn cap_scenario(builder_cap: Option<usize>) {
    if let Some(cap) = builder_cap {
        RuntimeBuilder::new()
            .max_blocking_threads(cap)
            .start()
            .unwrap();
    }
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let (r, m) = (running.clone(), most.clone());
    run(move || {
        let (running, most) = (r, m);
        let handles: Vec<_> = (0..6)
            .map(|_| {
                let (running, most) = (running.clone(), most.clone());
                go!(move || blocking(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(200));
                    running.fetch_sub(1, Ordering::SeqCst);
                }))
            })
            .collect();
        handles.into_iter().for_each(|h| h.join().unwrap());
    });
    println!("ELAPSED_MS={}", start.elapsed().as_millis());
    println!("MOST_AT_ONCE={}", most.load(Ordering::SeqCst));
    println!("PEAK_THREADS={}", blocking_pool_stats().peak_threads);
}

#[test]
fn the_pool_never_exceeds_its_cap_and_queues_the_rest() {
    match child_scenario().as_deref() {
        Some("cap-env") => return cap_scenario(None),
        Some("cap-builder") => return cap_scenario(Some(3)),
        _ => {}
    }
    let name = "the_pool_never_exceeds_its_cap_and_queues_the_rest";
    let limit = Duration::from_secs(60);
    let env = expect_child_success(
        name,
        "cap-env",
        &[("RUNGO_MAX_BLOCKING_THREADS", "2")],
        limit,
    )
    .stdout;
    assert_eq!(reported::<u64>(&env, "MOST_AT_ONCE"), 2);
    assert_eq!(reported::<u64>(&env, "PEAK_THREADS"), 2);
    // Six 200 ms jobs two at a time: three rounds.
    assert!(reported::<u64>(&env, "ELAPSED_MS") >= 600);
    let builder = expect_child_success(name, "cap-builder", &[], limit).stdout;
    assert_eq!(reported::<u64>(&builder, "MOST_AT_ONCE"), 3);
    assert_eq!(reported::<u64>(&builder, "PEAK_THREADS"), 3);
    assert!(reported::<u64>(&builder, "ELAPSED_MS") >= 400);
}

#[test]
fn a_bad_cap_is_refused() {
    let err = RuntimeBuilder::new().max_blocking_threads(0).start();
    assert!(
        matches!(&err, Err(rungo_runtime::ConfigError::Invalid(m)) if m.contains("max_blocking_threads")),
        "{err:?}"
    );
    if child_scenario().as_deref() == Some("bad-env") {
        assert_eq!(run(|| blocking(|| 1)), 1);
        return;
    }
    let stderr = expect_child_success(
        "a_bad_cap_is_refused",
        "bad-env",
        &[("RUNGO_MAX_BLOCKING_THREADS", "lots")],
        Duration::from_secs(60),
    )
    .stderr;
    assert!(
        stderr.contains("rungo: ignoring RUNGO_MAX_BLOCKING_THREADS=\"lots\""),
        "{stderr}"
    );
}

#[test]
fn idle_pool_threads_retire() {
    if child_scenario().as_deref() == Some("retire") {
        run(|| blocking(|| ()));
        let used = Instant::now();
        assert_eq!(blocking_pool_stats().threads, 1);
        while blocking_pool_stats().threads > 0 {
            assert!(
                used.elapsed() < Duration::from_secs(40),
                "an idle pool thread did not retire"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        println!("RETIRED_AFTER_MS={}", used.elapsed().as_millis());
        // The pool grows again after.
        assert_eq!(run(|| blocking(|| 2)), 2);
        assert_eq!(blocking_pool_stats().threads, 1);
        return;
    }
    let out = expect_child_success(
        "idle_pool_threads_retire",
        "retire",
        &[],
        Duration::from_secs(90),
    )
    .stdout;
    // Idle threads are kept ~10 s before retiring.
    assert!(reported::<u64>(&out, "RETIRED_AFTER_MS") >= 9_000);
}

#[test]
fn fs_round_trip() {
    let dir = std::env::temp_dir().join(format!("rungo-blocking-fs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("data.bin");
    let (p, d) = (path.clone(), dir.clone());
    let (bytes, text, missing) = run(move || {
        let (path, dir) = (p, d);
        fs::write(&path, b"hello \xce\xbb").unwrap();
        let bytes = fs::read(&path).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        let missing = fs::read(dir.join("absent")).unwrap_err().kind();
        (bytes, text, missing)
    });
    assert_eq!(bytes, b"hello \xce\xbb");
    assert_eq!(text, "hello λ");
    assert_eq!(missing, std::io::ErrorKind::NotFound);
    // On a plain thread they are std::fs.
    fs::write(&path, "plain").unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), "plain");
    std::fs::remove_dir_all(&dir).unwrap();
}
