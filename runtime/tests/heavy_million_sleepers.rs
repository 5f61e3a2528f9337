//! Heavy: a million coroutines each sleeping 1 s at once wake close to their deadlines.
//! Needs about 5 GiB; run alone: `cargo test --release -p rungo-runtime --test
//! heavy_million_sleepers -- --ignored --nocapture`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rungo_runtime::{go, run, sleep};

const N: usize = 1_000_000;
/// Lateness histogram: bucket i counts wake-ups i..i+1 ms after the deadline (last: beyond).
const BUCKETS: usize = 1001;

#[test]
#[ignore = "heavy: a million coroutines, several GiB; run alone"]
fn heavy_million_sleepers_wake_on_time() {
    let histogram: Arc<Vec<AtomicU64>> =
        Arc::new((0..BUCKETS).map(|_| AtomicU64::new(0)).collect());
    let h = histogram.clone();
    let start = Instant::now();
    run(move || {
        let handles: Vec<_> = (0..N)
            .map(|_| {
                let h = h.clone();
                go!(move || {
                    let deadline = Instant::now() + Duration::from_secs(1);
                    sleep(Duration::from_secs(1));
                    let late = Instant::now()
                        .saturating_duration_since(deadline)
                        .as_millis();
                    h[(late as usize).min(BUCKETS - 1)].fetch_add(1, Ordering::Relaxed);
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
    });
    let counts: Vec<u64> = histogram
        .iter()
        .map(|c| c.load(Ordering::Relaxed))
        .collect();
    assert_eq!(counts.iter().sum::<u64>(), N as u64);
    let percentile = |p: f64| {
        let target = (N as f64 * p).ceil() as u64;
        let mut seen = 0;
        counts.iter().position(|&c| {
            seen += c;
            seen >= target
        })
    };
    let (p50, p99, max) = (percentile(0.50), percentile(0.99), percentile(1.0));
    println!(
        "{N} sleepers of 1 s done in {:?}; lateness after the deadline: p50 {p50:?} ms, p99 \
         {p99:?} ms, max {max:?} ms",
        start.elapsed()
    );
    // On a quiet machine p99 is 1-5 ms and the worst 20-30 ms; right after another heavy test
    // (4 GiB just freed, the kernel still busy with memory) one CI run saw p99 90 ms. So the
    // claim is asserted where it is robust: the typical coroutine wakes within tens of
    // milliseconds, and the tail stays bounded on a loaded machine.
    assert!(
        p50.unwrap() < 20,
        "most must wake within tens of milliseconds: p50 {p50:?} ms"
    );
    assert!(
        p99.unwrap() < 250,
        "the tail must stay bounded: p99 {p99:?} ms"
    );
}
