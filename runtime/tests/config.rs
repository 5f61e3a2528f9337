//! Configuration: GOMAXPROCS from the environment, the explicit builder, and configuring too
//! late being an error.

use std::time::Duration;

use rungo_runtime::{ConfigError, RuntimeBuilder, go, gomaxprocs};
use rungo_testkit::child::{child_scenario, expect_child_success};

/// How long a child scenario may run before it counts as hung.
const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn gomaxprocs_comes_from_the_environment() {
    match child_scenario().as_deref() {
        Some("env") => return println!("WORKERS {}", gomaxprocs()),
        Some(_) => return,
        None => {}
    }
    let out = expect_child_success(
        "gomaxprocs_comes_from_the_environment",
        "env",
        &[("GOMAXPROCS", "3")],
        LIMIT,
    );
    assert!(out.stdout.contains("WORKERS 3"));
    let out = expect_child_success(
        "gomaxprocs_comes_from_the_environment",
        "env",
        &[("GOMAXPROCS", "lots")],
        LIMIT,
    );
    let stderr = &out.stderr;
    assert!(
        stderr.contains("rungo: ignoring GOMAXPROCS=\"lots\""),
        "{stderr}"
    );
    let default = std::thread::available_parallelism().unwrap().get();
    assert!(out.stdout.contains(&format!("WORKERS {default}")));
}

#[test]
fn builder_configures_before_first_use_and_refuses_after() {
    if child_scenario().as_deref() == Some("builder") {
        assert_eq!(
            RuntimeBuilder::new().gomaxprocs(0).start(),
            Err(ConfigError::Invalid("gomaxprocs must be at least 1".into()))
        );
        assert!(matches!(
            RuntimeBuilder::new().stack_size(1).start(),
            Err(ConfigError::Invalid(_))
        ));
        RuntimeBuilder::new()
            .gomaxprocs(3)
            .stack_size(64 * 1024)
            .start()
            .unwrap();
        assert_eq!(gomaxprocs(), 3);
        assert_eq!(go!(|| 1).join().unwrap(), 1);
        let late = RuntimeBuilder::new().gomaxprocs(5).start().unwrap_err();
        assert_eq!(late, ConfigError::AlreadyStarted);
        assert!(late.to_string().contains("already running"));
        println!("BUILDER OK");
        return;
    }
    let out = expect_child_success(
        "builder_configures_before_first_use_and_refuses_after",
        "builder",
        &[],
        LIMIT,
    );
    assert!(
        out.stdout.contains("BUILDER OK"),
        "{}{}",
        out.stdout,
        out.stderr
    );
}
