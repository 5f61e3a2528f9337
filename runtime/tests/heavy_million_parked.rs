//! Heavy: a million coroutines parked at once with the stock `vm.max_map_count` (65530).
//! Needs several GiB; run alone: `cargo test --release -p rungo-runtime --test
//! heavy_million_parked -- --ignored --nocapture`.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rungo_runtime::{Unparker, go, park};

const N: usize = 1_000_000;

fn status_kib(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
#[ignore = "heavy: a million coroutines, several GiB; run alone"]
fn heavy_million_coroutines_parked_at_once() {
    let max_map_count = std::fs::read_to_string("/proc/sys/vm/max_map_count").unwrap();
    let rss_before = status_kib("VmRSS:");
    let release = Arc::new(AtomicBool::new(false));
    let parked = Arc::new(AtomicUsize::new(0));
    let unparkers = Arc::new(Mutex::new(Vec::with_capacity(N)));
    let start = Instant::now();
    let handles: Vec<_> = (0..N)
        .map(|_| {
            let (release, parked, unparkers) = (release.clone(), parked.clone(), unparkers.clone());
            go!(move || {
                unparkers.lock().unwrap().push(Unparker::current());
                parked.fetch_add(1, Ordering::SeqCst);
                while !release.load(Ordering::SeqCst) {
                    park();
                }
            })
        })
        .collect();
    while parked.load(Ordering::SeqCst) < N {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "not all coroutines parked"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let all_parked = start.elapsed();
    let rss_parked = status_kib("VmRSS:");
    let maps = std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .count();
    release.store(true, Ordering::SeqCst);
    for u in unparkers.lock().unwrap().iter() {
        u.unpark();
    }
    for h in handles {
        h.join().unwrap();
    }
    let per_coroutine = (rss_parked - rss_before) * 1024 / N;
    println!(
        "{N} coroutines parked in {all_parked:?}, all joined in {:?}; RSS {} MiB while parked, \
         {per_coroutine} bytes per parked coroutine (including its JoinHandle and Unparker); \
         {maps} mappings; vm.max_map_count = {}",
        start.elapsed(),
        rss_parked >> 10,
        max_map_count.trim()
    );
    assert!(
        maps < 65530 / 2,
        "stacks must not eat the mapping budget: {maps}"
    );
}
