//! Steady-state spawning touches no fresh pages: finished coroutines' stacks come back from the
//! pool already resident. Measured with the kernel's count of minor page faults (a first touch
//! of a page is one); a test binary of its own, so no other test's allocations add faults.

use rungo_runtime::{go, run};

fn minor_faults() -> i64 {
    // SAFETY: getrusage fills the struct we pass; RUSAGE_SELF covers every thread.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage.ru_minflt
    }
}

#[test]
fn steady_state_spawning_touches_no_fresh_pages() {
    // Each round spawns a batch, lets each coroutine use a few KiB of stack, and joins them.
    fn round() {
        let handles: Vec<_> = (0..64u64)
            .map(|i| {
                go!(move || {
                    let buf = std::hint::black_box([i as u8; 3000]);
                    buf.iter().map(|&b| b as u64).sum::<u64>()
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    }
    run(|| {
        for _ in 0..200 {
            round(); // warm-up: stacks, pools and allocator arenas reach their working set
        }
        let before = minor_faults();
        for _ in 0..2000 {
            round(); // 128,000 more coroutines
        }
        let faults = minor_faults() - before;
        println!("{faults} minor page faults for 128,000 coroutines after warm-up");
        assert!(
            faults < 200,
            "steady-state spawning faulted in {faults} fresh pages"
        );
    });
}
