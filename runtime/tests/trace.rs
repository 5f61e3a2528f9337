//! The tracer: run slices on worker tracks and wake-up flows, as JSON a viewer opens.

use rungo_runtime::{Unparker, go, park, run, trace, yield_now};

#[test]
fn a_trace_shows_runs_and_who_woke_whom() {
    trace::start();
    run(|| {
        let me = Unparker::current();
        let waker = rungo_runtime::Builder::new()
            .name("waker".into())
            .spawn(move || {
                yield_now();
                me.unpark();
            })
            .unwrap();
        park();
        waker.join().unwrap();
        go!(|| 1).join().unwrap();
    });
    let json = trace::stop();
    assert!(json.starts_with("{\"traceEvents\":["), "{json}");
    assert!(json.contains(r#""name":"worker 0""#), "{json}");
    assert!(json.contains(r#"coroutine "#), "{json}");
    assert!(
        json.contains(r#"\"waker\""#),
        "the named coroutine's slices: {json}"
    );
    assert!(json.contains(r#""ended":"yield""#), "{json}");
    assert!(json.contains(r#""ended":"park: join""#), "{json}");
    assert!(json.contains(r#""ended":"finish""#), "{json}");
    assert!(
        json.contains(r#""ph":"s""#) && json.contains(r#""ph":"f""#),
        "flows: {json}"
    );
    // Valid JSON: checked by Python's parser where Python is installed (it is on CI's machine).
    let path = std::env::temp_dir().join(format!("rungo-trace-{}.json", std::process::id()));
    std::fs::write(&path, &json).unwrap();
    if let Ok(out) = std::process::Command::new("python3")
        .args(["-c", "import json,sys; json.load(open(sys.argv[1]))"])
        .arg(&path)
        .output()
    {
        assert!(
            out.status.success(),
            "invalid JSON: {}\n{json}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_file(&path);
    // Off again: nothing more is recorded.
    run(|| go!(|| 2).join().unwrap());
    assert!(!trace::stop().contains("coroutine"));
}
