//! The child runner judges children as it says: a child that passes and prints `ok:` passes;
//! one that fails, hangs, or does not print `ok:` fails its parent; an empty env value unsets
//! the variable; a hung child is killed within its limit.

use std::time::{Duration, Instant};

use rungo_testkit::child::{
    child_scenario, expect_child_ok, expect_child_success, in_child, reported, run_child_timeout,
};

const LIMIT: Duration = Duration::from_secs(60);
const HOST: &str = "scenario_host";

/// Plays the scenarios below when it is a child; in the parent suite it does nothing.
#[test]
fn scenario_host() {
    match child_scenario().as_deref() {
        Some("ok") => println!("ok: fine"),
        Some("silent") => {}
        Some("fail") => panic!("the scenario failed"),
        Some("hang") => loop {
            std::thread::sleep(Duration::from_secs(1));
        },
        Some("env") => {
            let probe = std::env::var("TESTKIT_PROBE").unwrap_or_else(|_| "unset".into());
            println!("PROBE={probe}");
            println!("PATH_SET={}", std::env::var_os("PATH").is_some());
        }
        _ => {}
    }
}

#[test]
fn a_child_that_passes_and_prints_ok_passes() {
    let out = expect_child_ok(HOST, "ok", &[], LIMIT);
    assert!(out.stdout.contains("ok: fine"), "{}", out.stdout);
}

#[test]
#[should_panic(expected = "did not print `ok:`")]
fn a_child_that_does_not_print_ok_fails() {
    expect_child_ok(HOST, "silent", &[], LIMIT);
}

#[test]
#[should_panic(expected = "did not print `ok:`")]
fn a_child_whose_test_name_matches_nothing_fails() {
    expect_child_ok("no_such_test", "ok", &[], LIMIT);
}

#[test]
#[should_panic(expected = "failed (exit status: 101)")]
fn a_child_that_fails_fails() {
    expect_child_success(HOST, "fail", &[], LIMIT);
}

#[test]
#[should_panic(expected = "hung (killed after 1s)")]
fn a_child_that_hangs_fails() {
    expect_child_success(HOST, "hang", &[], Duration::from_secs(1));
}

#[test]
fn a_hung_child_is_killed_at_its_limit() {
    let start = Instant::now();
    assert!(run_child_timeout(HOST, "hang", &[], Duration::from_millis(500)).is_none());
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "{:?}",
        start.elapsed()
    );
    let out = run_child_timeout(HOST, "fail", &[], LIMIT).expect("a failing child exits");
    assert!(!out.status.success());
}

#[test]
fn envs_are_set_and_an_empty_value_unsets() {
    let out = expect_child_success(HOST, "env", &[("TESTKIT_PROBE", "here")], LIMIT);
    assert_eq!(reported::<String>(&out.stdout, "PROBE"), "here");
    assert!(reported::<bool>(&out.stdout, "PATH_SET"));
    let out = expect_child_success(HOST, "env", &[("PATH", "")], LIMIT);
    assert_eq!(reported::<String>(&out.stdout, "PROBE"), "unset");
    assert!(!reported::<bool>(&out.stdout, "PATH_SET"));
}

#[test]
fn in_child_runs_the_body_in_a_child_of_its_own() {
    in_child(
        "in_child_runs_the_body_in_a_child_of_its_own",
        &[],
        LIMIT,
        || {
            assert_eq!(
                child_scenario().as_deref(),
                Some("in_child_runs_the_body_in_a_child_of_its_own")
            );
        },
    );
}
