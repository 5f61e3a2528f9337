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

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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

/// `target/<profile>/examples`, from this test binary at `target/<profile>/deps/examples-<hash>`.
fn examples_bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    exe.parent()
        .and_then(Path::parent)
        .expect("test binary is in target/<profile>/deps")
        .join("examples")
}

/// Runs `bin`, returning its stdout, or why it failed.
fn run(bin: &Path) -> Result<String, String> {
    let mut child = Command::new(bin)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut s = Vec::new();
        stdout.read_to_end(&mut s).map(|_| s)
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("did not finish within {LIMIT:?}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let out = out
        .join()
        .expect("stdout reader")
        .map_err(|e| e.to_string())?;
    let err = err.join().expect("stderr reader");
    if !status.success() {
        return Err(format!(
            "exited with {status}; stderr:\n{}",
            String::from_utf8_lossy(&err)
        ));
    }
    String::from_utf8(out).map_err(|e| format!("stdout is not UTF-8: {e}"))
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
fn check(name: &str, expected_file: &Path, bin_dir: &Path) -> Result<(), String> {
    let expected = std::fs::read_to_string(expected_file).map_err(|e| e.to_string())?;
    let rules_file = expected_file.with_extension("rules");
    let rules = match std::fs::read_to_string(&rules_file) {
        Ok(text) => Rules::parse(&text, &rules_file),
        Err(_) => Rules::default(),
    };
    let bin = bin_dir.join(name);
    if !bin.exists() {
        return Err(format!(
            "no binary {} (run `cargo test`, or `cargo build --examples` first)",
            bin.display()
        ));
    }
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("examples/{name}.rs"));
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if modified(&source) > modified(&bin) {
        return Err(format!(
            "{} is older than {} (run `cargo build --examples` first)",
            bin.display(),
            source.display()
        ));
    }
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
    let bin_dir = examples_bin_dir();
    let mut failures = Vec::new();
    for (name, expected_file) in &names {
        let start = Instant::now();
        let result = check(name, expected_file, &bin_dir).or_else(|first| {
            eprintln!("{name}: mismatch, running it once more:\n{first}");
            check(name, expected_file, &bin_dir)
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
