//! Spawning and joining from every kind of caller; values come back; detached coroutines run.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rungo_runtime::{Builder, current, go, num_goroutine, run, yield_now};
use rungo_testkit::Rng;

#[test]
fn join_from_main_thread() {
    assert_eq!(go!(|| 40 + 2).join().unwrap(), 42);
}

#[test]
fn go_with_arguments_evaluates_them_at_the_call() {
    fn greet(name: String, times: usize) -> String {
        name.repeat(times)
    }
    let mut name = String::from("go");
    let h = go!(greet, name.clone(), 3);
    name.push('!'); // changing the caller's value after the call does not reach the coroutine
    assert_eq!(h.join().unwrap(), "gogogo");
    assert_eq!(name, "go!");
}

#[test]
fn join_from_other_threads() {
    let threads: Vec<_> = (0..4)
        .map(|t| std::thread::spawn(move || go!(move || t * 10).join().unwrap()))
        .collect();
    let got: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(got, vec![0, 10, 20, 30]);
}

#[test]
fn join_from_coroutines_nested() {
    fn tree(depth: u32) -> u64 {
        if depth == 0 {
            return 1;
        }
        let l = go!(tree, depth - 1);
        let r = go!(tree, depth - 1);
        l.join().unwrap() + r.join().unwrap()
    }
    assert_eq!(run(|| tree(10)), 1024);
}

#[test]
fn hundred_thousand_coroutines_joined_with_their_values() {
    let sum: u64 = run(|| {
        let handles: Vec<_> = (0..100_000u64).map(|i| go!(move || i * 2)).collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(sum, 2 * (100_000u64 * 99_999 / 2));
}

#[test]
fn detached_coroutines_run_to_completion() {
    let done = Arc::new(AtomicUsize::new(0));
    for _ in 0..1000 {
        let done = done.clone();
        drop(go!(move || {
            yield_now();
            done.fetch_add(1, Ordering::SeqCst);
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while done.load(Ordering::SeqCst) < 1000 {
        assert!(
            Instant::now() < deadline,
            "detached coroutines did not all finish"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn is_finished_turns_true() {
    let h = go!(|| ());
    let deadline = Instant::now() + Duration::from_secs(30);
    while !h.is_finished() {
        assert!(Instant::now() < deadline);
        std::thread::yield_now();
    }
    h.join().unwrap();
}

#[test]
fn current_names_the_coroutine_and_is_none_on_threads() {
    assert!(current().is_none());
    let h = Builder::new().name("named".into()).spawn(|| {
        let me = current().expect("inside a coroutine");
        (me.id(), me.name().map(String::from))
    });
    let (id, name) = h.unwrap().join().unwrap();
    assert_eq!(name.as_deref(), Some("named"));
    let other = go!(|| current().unwrap().id()).join().unwrap();
    assert_ne!(id, other, "ids are unique");
}

#[test]
fn num_goroutine_counts_live_coroutines() {
    let gate = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..50)
        .map(|_| {
            let gate = gate.clone();
            go!(move || {
                while gate.load(Ordering::SeqCst) == 0 {
                    rungo_runtime::sleep(Duration::from_millis(1));
                }
            })
        })
        .collect();
    assert!(num_goroutine() >= 50, "50 blocked coroutines are live");
    gate.store(1, Ordering::SeqCst);
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn builder_rejects_bad_stack_sizes() {
    let err = Builder::new().stack_size(1024).spawn(|| ()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("stack size"), "{err}");
    let err = Builder::new()
        .stack_size(usize::MAX)
        .spawn(|| ())
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn builder_small_and_large_stacks_work() {
    let small = Builder::new().stack_size(16 * 1024).spawn(|| 1).unwrap();
    let large = Builder::new().stack_size(8 << 20).spawn(|| 2).unwrap();
    assert_eq!(small.join().unwrap() + large.join().unwrap(), 3);
}

#[test]
fn a_coroutine_that_can_never_be_woken_is_leaked_not_unwound() {
    // Its stack holds a value whose destructor must never run: unwinding a suspended coroutine
    // from whichever thread drops its last handle would run that destructor off its home
    // thread. Go leaks a blocked-forever goroutine the same way.
    struct MustNotDrop(Arc<AtomicUsize>);
    impl Drop for MustNotDrop {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicUsize::new(0));
    let parked = Arc::new(AtomicUsize::new(0));
    let (d, p) = (dropped.clone(), parked.clone());
    let handle = go!(move || {
        let _guard = MustNotDrop(d);
        p.store(1, Ordering::SeqCst);
        loop {
            rungo_runtime::park(); // nobody holds an Unparker: parked for good
        }
    });
    while parked.load(Ordering::SeqCst) == 0 {
        std::thread::yield_now();
    }
    std::thread::sleep(Duration::from_millis(20)); // let it reach the park
    drop(handle); // its last handle goes, on a plain thread
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        0,
        "the parked coroutine was unwound"
    );
    assert_eq!(go!(|| 7).join().unwrap(), 7, "the runtime goes on");
}

/// A joiner registers before, during and after the coroutine finishes, from a thread or from a
/// coroutine, or drops its handle. Every join returns the coroutine's value, and every result
/// is dropped exactly once, whether joined or not.
#[test]
fn join_races_completion() {
    struct Counted(u64, Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.1.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn spin(n: u64) {
        for _ in 0..n {
            std::hint::spin_loop();
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let mut rng = Rng::new(1);
    let rounds = 3000;
    for round in 0..rounds {
        let r = rng.next();
        let (child_spin, joiner_spin) = (r % 3000, (r >> 20) % 3000);
        let d = drops.clone();
        let h = go!(move || {
            spin(child_spin);
            Counted(round, d)
        });
        match (r >> 40) % 3 {
            0 => {
                spin(joiner_spin);
                assert_eq!(h.join().unwrap().0, round);
            }
            1 => {
                let joined = go!(move || {
                    spin(joiner_spin);
                    h.join().unwrap().0
                });
                assert_eq!(joined.join().unwrap(), round);
            }
            _ => drop(h),
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while drops.load(Ordering::SeqCst) < rounds as usize && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(drops.load(Ordering::SeqCst), rounds as usize);
}
