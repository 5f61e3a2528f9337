//! Helpers shared by the root crate's program tests (the child-process runner is
//! `rungo_testkit`'s).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The example binary `name` that cargo built for this test run, checked to exist and to be
/// no older than its `examples/<name>.rs`: why not otherwise. `cargo test` builds the examples
/// before the integration tests, into `target/<profile>/examples/`, the sibling of this test
/// binary's `target/<profile>/deps/`; `cargo test --test <name>` alone does not.
pub fn example(name: &str) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().expect("current_exe");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary is in target/<profile>/deps")
        .join("examples")
        .join(name);
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
    Ok(bin)
}
