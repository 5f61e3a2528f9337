#!/bin/bash
# rungo vs Go on the million-coroutine benchmark, side by side on this machine.
#
#   benches/compare.sh [workload...]        (default: all nine)
#   RUNS=5 benches/compare.sh skynet spawn  (runs per workload and implementation; default 3)
#
# Installs Go 1.23 when missing (benches/install-go.sh), builds the Go twin (benches/go/) and
# `cargo build --release --example million`, runs each workload Go, rungo, Go, rungo, ... RUNS
# times each, then prints a table of medians and ratios and writes benches/RESULTS.md and
# benches/results.svg. Environment: RUNS, GOMAXPROCS (passed to both sides), TIMEOUT (seconds
# per run, default 600), GO (a go binary to use), NOTE (a remark printed with the results).
set -euo pipefail
SELF=$(realpath "$0")
cd "$(dirname "$SELF")/.."

ALL=(skynet parked sleepers spawn whispers pingpong yield bufchan mutex)
RUNS=${RUNS:-3}
TIMEOUT=${TIMEOUT:-600}
OUT=target/go-bench
GO_BIN=$OUT/workloads
RUST_BIN=target/release/examples/million

usage() {
  sed -n '2,12s/^# \{0,1\}//p' "$SELF"
  echo "workloads: ${ALL[*]}"
}

# A Go toolchain of version 1.23 or newer: $GO, else `go` on PATH, else Debian's (installed).
find_go() {
  local go=${GO:-$(command -v go || true)}
  if [[ -n $go ]] && "$go" env GOVERSION | grep -Eq '^go1\.(2[3-9]|[3-9][0-9])'; then
    echo "$go"
  else
    bash benches/install-go.sh
  fi
}

# Runs one workload once with one implementation; appends "<impl> <its line>" to $RAW, or
# "<impl> <workload>: FAILED ..." when it fails. Its stderr (progress dots) goes to ours.
run_once() {
  local impl=$1 bin=$2 workload=$3 line status=0
  line=$(timeout "$TIMEOUT" "$bin" "$workload") || status=$?
  line=$(grep "^$workload: " <<<"$line" | tail -n 1 || true)
  if [[ $status -ne 0 || -z $line ]]; then
    line="$workload: FAILED (exit status $status)"
  fi
  echo "$impl $line" | tee -a "$RAW" >&2
}

if [[ ${1:-} == -h || ${1:-} == --help ]]; then usage; exit 0; fi
workloads=("$@")
[[ ${#workloads[@]} -gt 0 ]] || workloads=("${ALL[@]}")
for w in "${workloads[@]}"; do
  [[ " ${ALL[*]} " == *" $w "* ]] || { echo "unknown workload: $w" >&2; usage >&2; exit 2; }
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "RUNS must be a positive integer" >&2; exit 2; }

GO=$(find_go)
mkdir -p "$OUT"
echo "building the Go twin with $("$GO" version)" >&2
(cd benches/go && "$GO" build -o "../../$GO_BIN" .)
echo "building examples/million.rs (release)" >&2
cargo build --release --quiet --example million

RAW=$OUT/runs.txt
: >"$RAW"
for ((run = 1; run <= RUNS; run++)); do
  for w in "${workloads[@]}"; do
    echo "[run $run/$RUNS] $w" >&2
    run_once go "$GO_BIN" "$w"
    run_once rungo "$RUST_BIN" "$w"
  done
done

command="benches/compare.sh ${workloads[*]}"
[[ ${#workloads[@]} -eq ${#ALL[@]} ]] && command="benches/compare.sh"
[[ $RUNS == 3 ]] || command="RUNS=$RUNS $command"
[[ -z ${GOMAXPROCS:-} ]] || command="GOMAXPROCS=$GOMAXPROCS $command"

python3 benches/compare_report.py "$RAW" \
  --md benches/RESULTS.md --svg benches/results.svg \
  --command "$command" --runs "$RUNS" --note "${NOTE:-}" \
  --go-version "$("$GO" version | awk '{print $3}')" \
  --rustc-version "$(rustc --version)"
echo "wrote benches/RESULTS.md and benches/results.svg (raw lines: $RAW)" >&2
