#!/bin/bash
# Runs the Go twins of the ported examples, refreshes their expected outputs and checks the Rust
# ports against them.
#
#   examples/check_go.sh                 every examples/go/*.go but the I/O programs
#   examples/check_go.sh NAME...         only these (e.g. gobyexample_select tour_select)
#
# For each NAME: installs Go 1.23 if needed (benches/install-go.sh, as for the benchmarks), runs
# `go run NAME.go` in examples/go/ (one file at a time: every file is its own `package main`),
# writes its stdout to examples/expected/NAME.txt, then runs tests/examples.rs on those names,
# which runs each Rust twin and compares its output with the Go one (applying the normalisation
# rules of examples/expected/NAME.rules, if any) and prints a diff for every mismatch.
# `cargo test` itself never needs Go: it compares with the checked-in expected files.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
GO=$(bash benches/install-go.sh)
export GOTOOLCHAIN=local # the installed Go, never a downloaded toolchain

if (($#)); then names=("$@"); else
  names=()
  for f in examples/go/*.go; do
    name=$(basename "$f" .go)
    # The I/O programs need a peer (the email sender an SMTP sink) or print timings (the
    # crawler): tests/io_programs.rs checks them instead of an expected output.
    [[ -f examples/expected/$name.txt || ! $name =~ ^(crawler|email_sender)$ ]] || continue
    names+=("$name")
  done
fi

status=0
for name in "${names[@]}"; do
  tmp=$(mktemp)
  if ! (cd examples/go && "$GO" run "$name.go") > "$tmp"; then
    echo "check_go.sh: go run $name.go failed" >&2
    rm -f "$tmp"
    status=1
    continue
  fi
  cat "$tmp" > "examples/expected/$name.txt"
  rm -f "$tmp"
  echo "refreshed examples/expected/$name.txt"
done

list=$(IFS=,; echo "${names[*]}")
cargo build --examples
EXAMPLES=$list cargo test --test examples -- --nocapture || status=1
exit $status
