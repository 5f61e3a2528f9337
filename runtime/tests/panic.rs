//! A panicking coroutine is reported, its join returns Err, and everything else goes on.

use std::time::Duration;

use rungo_runtime::{Builder, go, run};
use rungo_testkit::child::{child_scenario, expect_child_success};

#[test]
fn join_returns_the_panic_payload_and_the_runtime_goes_on() {
    let seven = std::hint::black_box(7);
    let h = go!(move || -> u32 { panic!("boom {seven}") });
    let payload = h.join().unwrap_err();
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("boom 7")
    );
    let h = go!(|| -> u32 { panic!("static") });
    assert_eq!(
        h.join().unwrap_err().downcast_ref::<&str>(),
        Some(&"static")
    );
    // Other coroutines, and new ones, still run.
    let sum: u32 = run(|| {
        (0..100)
            .map(|i| go!(move || i))
            .map(|h| h.join().unwrap())
            .sum()
    });
    assert_eq!(sum, 4950);
}

#[test]
fn many_panics_do_not_stop_the_workers() {
    let handles: Vec<_> = (0..200)
        .map(|i| {
            go!(move || {
                if i % 2 == 0 {
                    panic!("even");
                }
                i
            })
        })
        .collect();
    let (ok, err): (Vec<_>, Vec<_>) = handles
        .into_iter()
        .map(|h| h.join())
        .partition(Result::is_ok);
    assert_eq!((ok.len(), err.len()), (100, 100));
}

#[test]
fn run_resumes_the_panic_on_the_caller() {
    let caught = std::panic::catch_unwind(|| run(|| panic!("in main coroutine")));
    assert!(caught.is_err());
}

#[test]
fn panic_report_names_the_coroutine() {
    if child_scenario().as_deref() == Some("panic") {
        let h = Builder::new()
            .name("reporter".into())
            .spawn(|| panic!("it broke"))
            .unwrap();
        assert!(h.join().is_err());
        return;
    }
    let stderr = expect_child_success(
        "panic_report_names_the_coroutine",
        "panic",
        &[],
        Duration::from_secs(60),
    )
    .stderr;
    let line = stderr
        .lines()
        .find(|l| l.starts_with("coroutine "))
        .expect(&stderr);
    assert!(line.contains(" 'reporter' panicked at "), "{line}");
    assert!(stderr.contains("it broke"), "{stderr}");
}
