//! Runs every ported Go program in `examples/` and compares its stdout with the output of its Go
//! twin, checked in as `examples/expected/<name>.txt` (written by `examples/check_go.sh`), so
//! `cargo test` checks the ports without needing Go.
//!
//! # How an example is found and run
//!
//! Every `examples/expected/<name>.txt` names an example. Its binary is the one cargo built for
//! this test run: `cargo test` builds the examples before the integration tests, into
//! `target/<profile>/examples/<name>`, the sibling of this test's own `target/<profile>/deps/`.
//! (`cargo test --test examples` alone does not build them: run `cargo build --examples` first; a
//! binary older than its `examples/<name>.rs` is reported as stale rather than run.) The binary runs with no arguments and a 60 s limit; it
//! must exit successfully, and its stdout must equal the expected file after normalisation.
//! Stderr is not compared.
//!
//! `EXAMPLES=name,name cargo test --test examples` runs only the named examples.
//!
//! # Normalisation: `examples/expected/<name>.rules`
//!
//! Most examples are deterministic and compared byte for byte. An example whose output depends
//! on scheduling or timing (as its Go twin's does) has a rules file beside its expected output.
//! One rule per line; blank lines and lines starting with `#` are comments (say why the rule is
//! needed). The rules apply to both outputs, in this order:
//!
//! | rule | effect |
//! |---|---|
//! | `drop <text>` | remove every line containing `<text>` (the rest of the line after `drop `, spaces included) |
//! | `sort` | sort the lines (for prints from concurrent coroutines whose interleaving varies) |
//! | `uniq` | collapse runs of identical adjacent lines into one (for "print this every tick") |
//!
//! # Timing-sensitive examples
//!
//! A few examples (timeouts, tickers, rate limiting) depend on sleeps a few milliseconds apart,
//! as their Go twins do. On a loaded machine a mismatch is run once more before it is reported;
//! the retry is printed, so a flaky example is visible rather than silent.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use rungo_testkit::child::run_with_limit;

/// How long one example may run.
const LIMIT: Duration = Duration::from_secs(60);

/// The normalisation rules of one example.
#[derive(Default, Debug)]
struct Rules {
    drop: Vec<String>,
    sort: bool,
    uniq: bool,
}

impl Rules {
    fn parse(text: &str, file: &Path) -> Rules {
        let mut rules = Rules::default();
        for line in text.lines() {
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            match line.trim_end() {
                "sort" => rules.sort = true,
                "uniq" => rules.uniq = true,
                l if l.starts_with("drop ") => rules.drop.push(l["drop ".len()..].to_string()),
                l => panic!("{}: unknown rule {l:?}", file.display()),
            }
        }
        rules
    }

    fn apply(&self, out: &str) -> String {
        let mut lines: Vec<&str> = out
            .lines()
            .filter(|l| !self.drop.iter().any(|d| l.contains(d.as_str())))
            .collect();
        if self.sort {
            lines.sort_unstable();
        }
        if self.uniq {
            lines.dedup();
        }
        lines.iter().map(|l| format!("{l}\n")).collect()
    }
}

/// Runs `bin`, returning its stdout, or why it failed.
fn run(bin: &Path) -> Result<String, String> {
    let o = run_with_limit(&mut Command::new(bin), LIMIT)
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let Some(status) = o.status else {
        return Err(format!("did not finish within {LIMIT:?}"));
    };
    if !status.success() {
        return Err(format!(
            "exited with {status}; stderr:\n{}",
            o.stderr_text()
        ));
    }
    String::from_utf8(o.stdout).map_err(|e| format!("stdout is not UTF-8: {e}"))
}

/// A line diff good enough to spot a mismatch: `-` expected, `+` actual, by position.
fn diff(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let mut d = String::new();
    for i in 0..e.len().max(a.len()) {
        match (e.get(i), a.get(i)) {
            (Some(x), Some(y)) if x == y => d += &format!("   {x}\n"),
            (x, y) => {
                if let Some(x) = x {
                    d += &format!("  -{x}\n");
                }
                if let Some(y) = y {
                    d += &format!("  +{y}\n");
                }
            }
        }
    }
    d
}

/// Compares one example with its expected output: `Ok` or the report of the mismatch.
fn check(name: &str, expected_file: &Path) -> Result<(), String> {
    let expected = std::fs::read_to_string(expected_file).map_err(|e| e.to_string())?;
    let rules_file = expected_file.with_extension("rules");
    let rules = match std::fs::read_to_string(&rules_file) {
        Ok(text) => Rules::parse(&text, &rules_file),
        Err(_) => Rules::default(),
    };
    let bin = common::example(name)?;
    let expected = rules.apply(&expected);
    let actual = rules.apply(&run(&bin)?);
    if expected == actual {
        Ok(())
    } else {
        Err(format!(
            "stdout differs from {} (normalised by {:?}):\n{}",
            expected_file.display(),
            rules,
            diff(&expected, &actual)
        ))
    }
}

#[test]
fn examples_match_their_go_twins() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/expected");
    let only: Option<Vec<String>> = std::env::var("EXAMPLES")
        .ok()
        .map(|s| s.split(',').map(|n| n.trim().to_string()).collect());
    let mut names = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("examples/expected") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|e| e == "txt") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            if only.as_ref().is_none_or(|o| o.contains(&name)) {
                names.insert(name, path);
            }
        }
    }
    assert!(
        !names.is_empty(),
        "no expected outputs in {}",
        dir.display()
    );
    let mut failures = Vec::new();
    for (name, expected_file) in &names {
        let start = Instant::now();
        let result = check(name, expected_file).or_else(|first| {
            eprintln!("{name}: mismatch, running it once more:\n{first}");
            check(name, expected_file)
        });
        match result {
            Ok(()) => eprintln!("{name}: ok ({:.2?})", start.elapsed()),
            Err(report) => {
                eprintln!("{name}: FAILED");
                failures.push(format!("== {name}: {report}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} examples differ from their Go twins:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
}
