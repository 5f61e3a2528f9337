//! RwLock: readers share, writers exclude, a waiting writer blocks new readers, and writers are
//! not starved by a stream of readers (Go: TestRWMutex, HammerRWMutex, TestRLocker).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use rungo_sync::{RwLock, WaitGroup};

#[test]
fn hammer_readers_and_writers() {
    // `activity`: +1 per reader, +10000 per writer; readers must never see a writer inside and
    // writers must see nobody else.
    let lock = Arc::new(RwLock::new(0u64));
    let activity = Arc::new(AtomicI64::new(0));
    let wg = WaitGroup::new();
    let mut threads = Vec::new();
    for i in 0..8 {
        let (lock, activity) = (lock.clone(), activity.clone());
        let body = move || {
            for _ in 0..2_000 {
                if i % 4 == 0 {
                    let mut g = lock.write();
                    let n = activity.fetch_add(10_000, Ordering::SeqCst);
                    assert_eq!(n, 0, "writer saw activity {n}");
                    *g += 1;
                    activity.fetch_sub(10_000, Ordering::SeqCst);
                } else {
                    let g = lock.read();
                    let n = activity.fetch_add(1, Ordering::SeqCst);
                    assert!(n < 10_000, "reader saw a writer ({n})");
                    std::hint::black_box(*g);
                    activity.fetch_sub(1, Ordering::SeqCst);
                }
            }
        };
        if i % 3 == 0 {
            threads.push(std::thread::spawn(body));
        } else {
            wg.go(body);
        }
    }
    wg.wait();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(*lock.read(), 2 * 2_000);
}

#[test]
fn readers_share() {
    let lock = Arc::new(RwLock::new(()));
    let g1 = lock.read();
    // Another task can read while we hold a read lock.
    let l = lock.clone();
    let h = rungo_runtime::spawn(move || {
        let _g = l.read();
    });
    h.join().unwrap();
    drop(g1);
}

#[test]
fn waiting_writer_blocks_new_readers() {
    let lock = Arc::new(RwLock::new(0));
    let r1 = lock.read();
    let writer = {
        let l = lock.clone();
        rungo_runtime::spawn(move || {
            *l.write() += 1;
        })
    };
    // Wait until the writer has announced itself (new readers then fail try_read).
    let start = Instant::now();
    while lock.try_read().is_some() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "writer never queued"
        );
        rungo_runtime::sleep(Duration::from_millis(1));
    }
    // A new reader now blocks behind the writer, and sees its write.
    let reader = {
        let l = lock.clone();
        rungo_runtime::spawn(move || *l.read())
    };
    rungo_runtime::sleep(Duration::from_millis(20));
    assert!(!writer.is_finished());
    assert!(!reader.is_finished());
    drop(r1);
    writer.join().unwrap();
    assert_eq!(reader.join().unwrap(), 1);
}

#[test]
fn writer_not_starved_by_reader_stream() {
    let lock = Arc::new(RwLock::new(0u64));
    let stop = Arc::new(AtomicBool::new(false));
    // Readers that overlap continuously: there is never a moment with zero readers unless the
    // lock makes new readers wait for the writer.
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (l, stop) = (lock.clone(), stop.clone());
            rungo_runtime::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let g = l.read();
                    std::hint::black_box(*g);
                    rungo_runtime::sleep(Duration::from_micros(200));
                }
            })
        })
        .collect();
    let writer = {
        let l = lock.clone();
        rungo_runtime::spawn(move || {
            for _ in 0..20 {
                *l.write() += 1;
                rungo_runtime::sleep(Duration::from_micros(100));
            }
        })
    };
    let start = Instant::now();
    while !writer.is_finished() && start.elapsed() < Duration::from_secs(10) {
        rungo_runtime::sleep(Duration::from_millis(5));
    }
    let done = writer.is_finished();
    stop.store(true, Ordering::Relaxed);
    readers.into_iter().for_each(|r| r.join().unwrap());
    assert!(done, "writer starved by readers");
    assert_eq!(*lock.read(), 20);
}
