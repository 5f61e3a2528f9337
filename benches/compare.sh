#!/bin/bash
# rungo vs Go on the million-coroutine benchmark, side by side on this machine.
#
#   benches/compare.sh [workload...]        (default: all nine)
#   RUNS=5 benches/compare.sh skynet spawn  (runs per workload and implementation; default 3)
#   HOGS=2 benches/compare.sh               (the same with 2 CPU hogs spinning throughout)
#   MODES="quiet busy oversubscribed" benches/compare.sh   (one table per condition)
#
# Installs Go 1.23 when missing (benches/install-go.sh), builds the Go twin (benches/go/) and
# `cargo build --release --example million`, runs each workload Go, rungo, Go, rungo, ... RUNS
# times each, then prints a table of medians and ratios and writes benches/RESULTS.md and
# benches/results.svg. Environment: RUNS, GOMAXPROCS (passed to both sides), TIMEOUT (seconds
# per run, default 600), GO (a go binary to use), NOTE (a remark printed with the results).
# HOGS=N starts N CPU-bound processes (benches/hog.sh) before the runs and kills them by PID
# after them and on any exit (trap), so both implementations share the same busy machine.
# MODES runs several conditions in turn: quiet (as without MODES), busy (HOGS hogs, default 2),
# oversubscribed (GOMAXPROCS=8 for both); each gets its table, flagged against its targets, and
# the chart shows them side by side. TARGETS="workload=ratio ..." overrides quiet-machine
# targets (see compare_report.py).
set -euo pipefail
SELF=$(realpath "$0")
cd "$(dirname "$SELF")/.."

ALL=(skynet parked sleepers spawn whispers pingpong yield bufchan mutex)
RUNS=${RUNS:-3}
TIMEOUT=${TIMEOUT:-600}
OUT=target/go-bench
GO_BIN=$OUT/workloads
RUST_BIN=target/release/examples/million
KINDS=(quiet busy oversubscribed)
OVERSUBSCRIBED_PROCS=8
RUN_ENV=()  # VAR=value settings of the current condition, for both implementations
HOG_PIDS=()
BENCH_PID=

usage() {
  sed -n '2,20s/^# \{0,1\}//p' "$SELF"
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
# The run waits in the background so that a signal to this script interrupts it at once.
run_once() {
  local impl=$1 bin=$2 workload=$3 line status=0
  env "${RUN_ENV[@]}" timeout "$TIMEOUT" "$bin" "$workload" >"$OUT/last-run.txt" &
  BENCH_PID=$!
  wait "$BENCH_PID" || status=$?
  BENCH_PID=
  line=$(grep "^$workload: " "$OUT/last-run.txt" | tail -n 1 || true)
  if [[ $status -ne 0 || -z $line ]]; then
    line="$workload: FAILED (exit status $status)"
  fi
  echo "$impl $line" | tee -a "$RAW" >&2
}

# Starts $1 hogs, each spinning on a core until stop_hogs kills it (or this script is gone).
start_hogs() {
  local i
  for ((i = 0; i < $1; i++)); do
    benches/hog.sh $$ &
    HOG_PIDS+=($!)
  done
  [[ $1 -eq 0 ]] || echo "started $1 CPU hogs: ${HOG_PIDS[*]}" >&2
}

# Kills the hogs this script started, by their recorded PIDs, and reaps them.
stop_hogs() {
  local pid
  [[ ${#HOG_PIDS[@]} -gt 0 ]] || return 0
  for pid in "${HOG_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${HOG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "stopped CPU hogs: ${HOG_PIDS[*]}" >&2
  HOG_PIDS=()
}
# On any exit: the run in progress (timeout passes the signal on to the benchmark), then the hogs.
cleanup() {
  [[ -z $BENCH_PID ]] || kill "$BENCH_PID" 2>/dev/null || true
  stop_hogs
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs every workload RUNS times with each implementation into $RAW.
run_all() {
  local run w
  : >"$RAW"
  for ((run = 1; run <= RUNS; run++)); do
    for w in "${workloads[@]}"; do
      echo "[${condition:+$condition, }run $run/$RUNS] $w" >&2
      run_once go "$GO_BIN" "$w"
      run_once rungo "$RUST_BIN" "$w"
    done
  done
}

if [[ ${1:-} == -h || ${1:-} == --help ]]; then usage; exit 0; fi
workloads=("$@")
[[ ${#workloads[@]} -gt 0 ]] || workloads=("${ALL[@]}")
for w in "${workloads[@]}"; do
  [[ " ${ALL[*]} " == *" $w "* ]] || { echo "unknown workload: $w" >&2; usage >&2; exit 2; }
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "RUNS must be a positive integer" >&2; exit 2; }
HOGS=${HOGS:-}
[[ -z $HOGS || $HOGS =~ ^[0-9]+$ ]] || { echo "HOGS must be a number of processes" >&2; exit 2; }
read -r -a modes <<<"${MODES:-}"
for m in "${modes[@]}"; do
  [[ " ${KINDS[*]} " == *" $m "* ]] || { echo "unknown mode: $m (${KINDS[*]})" >&2; exit 2; }
done
# HOGS alone is one busy condition; HOGS=0 alone is today's quiet run.
[[ ${#modes[@]} -gt 0 || ${HOGS:-0} -eq 0 ]] || modes=(busy)

GO=$(find_go)
mkdir -p "$OUT"
echo "building the Go twin with $("$GO" version)" >&2
(cd benches/go && "$GO" build -o "../../$GO_BIN" .)
echo "building examples/million.rs (release)" >&2
cargo build --release --quiet --example million

command="benches/compare.sh ${workloads[*]}"
[[ ${#workloads[@]} -eq ${#ALL[@]} ]] && command="benches/compare.sh"
[[ $RUNS == 3 ]] || command="RUNS=$RUNS $command"
versions=(--go-version "$("$GO" version | awk '{print $3}')" --rustc-version "$(rustc --version)")
targets=()
read -r -a target_list <<<"${TARGETS:-}"
for t in "${target_list[@]}"; do targets+=(--target "$t"); done

if [[ ${#modes[@]} -eq 0 ]]; then
  # Today's single quiet run and report.
  RAW=$OUT/runs.txt
  condition=
  run_all
  [[ -z ${GOMAXPROCS:-} ]] || command="GOMAXPROCS=$GOMAXPROCS $command"
  python3 benches/compare_report.py "$RAW" \
    --md benches/RESULTS.md --svg benches/results.svg \
    --command "$command" --runs "$RUNS" --note "${NOTE:-}" "${versions[@]}"
  echo "wrote benches/RESULTS.md and benches/results.svg (raw lines: $RAW)" >&2
  exit 0
fi

# One condition per mode, in the order given: its raw lines, settings, and reproducing command.
conditions=()
procs=${GOMAXPROCS:+GOMAXPROCS=$GOMAXPROCS }
for condition in "${modes[@]}"; do
  RAW=$OUT/runs-$condition.txt
  RUN_ENV=()
  hogs=0
  case $condition in
    quiet)
      desc="no load started by the script, GOMAXPROCS ${GOMAXPROCS:-default ($(nproc) here)}"
      reproduce="$procs$command"
      ;;
    busy)
      hogs=${HOGS:-2}
      [[ $hogs -gt 0 ]] || hogs=2
      desc="$hogs CPU-bound processes (benches/hog.sh) spinning through every run of both,"
      desc+=" GOMAXPROCS ${GOMAXPROCS:-default ($(nproc) here)}"
      reproduce="HOGS=$hogs $procs$command"
      ;;
    oversubscribed)
      RUN_ENV=(GOMAXPROCS=$OVERSUBSCRIBED_PROCS)
      desc="GOMAXPROCS=$OVERSUBSCRIBED_PROCS for both on this $(nproc)-core machine"
      reproduce="GOMAXPROCS=$OVERSUBSCRIBED_PROCS $command"
      ;;
  esac
  echo "== $condition: $desc" >&2
  start_hogs "$hogs"
  run_all
  stop_hogs
  conditions+=(--condition "$condition" "$RAW" "$reproduce" "$desc")
done

all="MODES=\"${modes[*]}\" $procs$command"
[[ -z $HOGS ]] || all="HOGS=$HOGS $all"
[[ ${#modes[@]} -gt 1 || -n ${MODES:-} ]] || all=${conditions[3]}
[[ -z ${TARGETS:-} ]] || all="TARGETS=\"$TARGETS\" $all"
python3 benches/compare_report.py "${conditions[@]}" "${targets[@]}" \
  --md benches/RESULTS.md --svg benches/results.svg \
  --command "$all" --runs "$RUNS" --note "${NOTE:-}" "${versions[@]}"
echo "wrote benches/RESULTS.md and benches/results.svg (raw lines: $OUT/runs-*.txt)" >&2
