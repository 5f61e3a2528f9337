//! Stacks that grew deep give their memory back once the workers go idle, even when the deep
//! frames hold nothing but zeros (a page can be resident and read as zero).
//!
//! The only test in its binary: no other coroutine may reuse (and touch) the stacks it watches.

use std::time::{Duration, Instant};

use rungo_runtime::{Builder, go};

const PAGE: usize = 4096;
/// The part of a stack the runtime keeps resident (`stack::KEEP_RESIDENT`).
const KEEP_RESIDENT: usize = 16 * 1024;
/// Bytes each zero-filled frame adds.
const FRAME: usize = 32 * 1024;

/// Recurses `depth` frames of a zeroed `FRAME`-byte array each (written by the array's
/// initialisation); returns the lowest address of the deepest one.
#[inline(never)]
fn zero_frames(depth: usize) -> usize {
    let mut frame = [0u8; FRAME];
    std::hint::black_box(&mut frame);
    let low = frame.as_ptr() as usize;
    if depth <= 1 {
        low
    } else {
        zero_frames(depth - 1).min(low)
    }
}

/// Pages of `[low, high)` (page aligned) that are resident; an unmapped page counts as not.
fn resident_pages(low: usize, high: usize) -> usize {
    let mut vec = vec![0u8; (high - low) / PAGE];
    // SAFETY: mincore only reports on the range and writes one byte per page into `vec`.
    let r = unsafe { libc::mincore(low as *mut libc::c_void, high - low, vec.as_mut_ptr()) };
    if r != 0 {
        return (low..high).step_by(PAGE).map(resident_pages_one).sum();
    }
    vec.iter().filter(|v| *v & 1 != 0).count()
}

fn resident_pages_one(page: usize) -> usize {
    let mut v = 0u8;
    // SAFETY: as above, for one page.
    let r = unsafe { libc::mincore(page as *mut libc::c_void, PAGE, &mut v) };
    usize::from(r == 0 && v & 1 != 0)
}

/// Runs a coroutine (`builder`) 200 KiB deep in zeroed frames; returns the page range it made
/// resident below the kept region of its stack.
fn deep_zeroed_coroutine(builder: Builder) -> (usize, usize) {
    let h = builder
        .spawn(|| {
            let top = std::hint::black_box(0u8);
            let top = &top as *const u8 as usize;
            let low = zero_frames(200 * 1024 / FRAME) & !(PAGE - 1);
            // Strictly below the kept region, whatever the distance from `top` to the base.
            let high = (top - KEEP_RESIDENT) & !(PAGE - 1);
            assert!(high - low >= 150 * 1024, "{low:#x}..{high:#x}");
            // Resident now, so the test can see them go (nothing trims a stack in use).
            assert_eq!(resident_pages(low, high), (high - low) / PAGE);
            (low, high)
        })
        .unwrap();
    h.join().unwrap()
}

#[test]
fn deep_stacks_full_of_zeros_are_trimmed_once_the_workers_are_idle() {
    // One stack of the default size (cached by the worker that ran it) and one of another size
    // (returned to the global pool).
    let ranges = [
        deep_zeroed_coroutine(Builder::new()),
        deep_zeroed_coroutine(Builder::new().stack_size(512 * 1024)),
    ];
    // The workers go idle now; give them plenty of time on a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left: Vec<usize> = ranges
            .iter()
            .map(|&(low, high)| resident_pages(low, high))
            .collect();
        if left.iter().all(|&n| n == 0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "pages still resident below the kept region after 20 s of idle workers: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Still a working stack afterwards.
    assert!(go!(|| zero_frames(4) != 0).join().unwrap());
}
