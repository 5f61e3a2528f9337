#!/bin/bash
# rungo vs Go vs tokio on the network benchmark, side by side on this machine.
#
#   benches/compare_net.sh [workload...]           (default: echo1 echo1k accept idle8k)
#   RUNS=5 benches/compare_net.sh echo1k idle8k    (runs per workload and implementation; default 3)
#
# Installs Go 1.23 when missing (benches/install-go.sh), builds the Go twin
# (benches/go/netbench/), the tokio twin (benches/tokio/, a standalone cargo project) and
# `cargo build --release --example netbench`, runs each workload Go, rungo, tokio, Go, rungo,
# tokio, ... RUNS times each, then prints a table of medians, the ratios rungo/Go and rungo/tokio
# and the targets met, and writes benches/RESULTS_NET.md. Environment: RUNS, GOMAXPROCS (passed
# to all three; default 2), TIMEOUT (seconds per run, default 300), GO (a go binary to use),
# NOTE (a remark printed with the results).
set -euo pipefail
SELF=$(realpath "$0")
cd "$(dirname "$SELF")/.."

ALL=(echo1 echo1k accept idle8k)
RUNS=${RUNS:-3}
TIMEOUT=${TIMEOUT:-300}
export GOMAXPROCS=${GOMAXPROCS:-2}
OUT=target/go-bench
GO_BIN=$OUT/netbench
TOKIO_TARGET=target/tokio-bench
TOKIO_BIN=$TOKIO_TARGET/release/netbench-tokio
RUST_BIN=target/release/examples/netbench

usage() {
  sed -n '2,13s/^# \{0,1\}//p' "$SELF"
  echo "workloads: ${ALL[*]}"
}

# A Go toolchain of version 1.23 or newer: $GO, else `go` on PATH, else Debian's (installed).
# (The same as benches/compare.sh's, which cannot be sourced: it runs when read.)
find_go() {
  local go=${GO:-$(command -v go || true)}
  if [[ -n $go ]] && "$go" env GOVERSION | grep -Eq '^go1\.(2[3-9]|[3-9][0-9])'; then
    echo "$go"
  else
    bash benches/install-go.sh
  fi
}

# Runs one workload once with one implementation; appends "<impl> <its line>" to $RAW (and its
# "<workload> per-connection: ..." line when it prints one, and "<impl> <workload> cpu: <user s>
# <sys s>", the CPU time the process used, from bash's `time`), or "<impl> <workload>: FAILED ..."
# when it fails. Its stderr (progress dots, errors) goes to ours.
run_once() {
  local impl=$1 bin=$2 workload=$3 out line extra cpu status=0
  local TIMEFORMAT="%U %S"
  out=$(mktemp)
  cpu=$( { time timeout "$TIMEOUT" "$bin" "$workload" >"$out" 2>&3 || status=$?; } 3>&2 2>&1)
  line=$(grep "^$workload: " "$out" | tail -n 1 || true)
  extra=$(grep "^$workload per-connection: " "$out" | tail -n 1 || true)
  rm -f "$out"
  if [[ $status -ne 0 || -z $line ]]; then
    line="$workload: FAILED (exit status $status)"
    extra=
  else
    echo "$impl $workload cpu: $cpu" >>"$RAW"
  fi
  [[ -z $extra ]] || echo "$impl $extra" | tee -a "$RAW" >&2
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
(cd benches/go && "$GO" build -o "../../$GO_BIN" ./netbench)
echo "building the tokio twin (release)" >&2
cargo build --release --quiet --manifest-path benches/tokio/Cargo.toml --target-dir "$TOKIO_TARGET"
echo "building examples/netbench.rs (release)" >&2
cargo build --release --quiet --example netbench

RAW=$OUT/net-runs.txt
: >"$RAW"
for ((run = 1; run <= RUNS; run++)); do
  for w in "${workloads[@]}"; do
    echo "[run $run/$RUNS] $w" >&2
    run_once go "$GO_BIN" "$w"
    run_once rungo "$RUST_BIN" "$w"
    run_once tokio "$TOKIO_BIN" "$w"
  done
done

command="benches/compare_net.sh ${workloads[*]}"
[[ ${#workloads[@]} -eq ${#ALL[@]} ]] && command="benches/compare_net.sh"
[[ $RUNS == 3 ]] || command="RUNS=$RUNS $command"
[[ $GOMAXPROCS == 2 ]] || command="GOMAXPROCS=$GOMAXPROCS $command"
tokio_version=$(grep -A1 '^name = "tokio"$' benches/tokio/Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')

# The report: standard library Python, reading the raw lines.
python3 - "$RAW" benches/RESULTS_NET.md "$command" "$RUNS" "${NOTE:-}" \
  "$("$GO" version | awk '{print $3}')" "$(rustc --version)" "tokio $tokio_version" <<'PY'
import datetime, os, platform, re, statistics, sys

raw, md_path, command, runs, note, go_version, rustc_version, tokio_version = sys.argv[1:]
IMPLS = ("go", "rungo", "tokio")
LINE = re.compile(
    r"^(?P<impl>go|rungo|tokio) (?P<w>\w+): (?P<total>\S+) total, (?P<nsop>[\d.]+) ns/op, "
    r"peak RSS (?P<rss>-?\d+) MB, GOMAXPROCS=(?P<procs>\d+)$")
PERCONN = re.compile(r"^(?P<impl>go|rungo|tokio) (?P<w>\w+) per-connection: (?P<kb>[\d.]+) KB RSS")
FAILED = re.compile(r"^(?P<impl>go|rungo|tokio) (?P<w>\w+): FAILED")
CPU = re.compile(r"^(?P<impl>go|rungo|tokio) (?P<w>\w+) cpu: (?P<user>[\d.]+) (?P<sys>[\d.]+)$")
UNIT_NS = {"h": 3600e9, "m": 60e9, "s": 1e9, "ms": 1e6, "µs": 1e3, "us": 1e3, "ns": 1.0}
PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|µs|us|ns|m|s)")
# (workload, measure, versus, bound): rungo's median over the other's must be at most bound.
TARGETS = [("echo1", "time", "go", 0.9), ("echo1k", "time", "go", 0.8),
           ("echo1k", "time", "tokio", 1.0), ("accept", "time", "go", 1.0),
           ("idle8k", "kb", "go", 1.0)]

def duration_ns(text):
    return sum(float(v) * UNIT_NS[u] for v, u in PART.findall(text))

samples, perconn, cpu, failed, procs, order = {}, {}, {}, set(), set(), []
for line in open(raw, encoding="utf-8"):
    line = line.rstrip("\n")
    if m := LINE.match(line):
        samples.setdefault((m["w"], m["impl"]), []).append(
            (duration_ns(m["total"]), float(m["nsop"]), int(m["rss"])))
        procs.add(m["procs"])
    elif m := PERCONN.match(line):
        perconn.setdefault((m["w"], m["impl"]), []).append(float(m["kb"]))
    elif m := CPU.match(line):
        cpu.setdefault((m["w"], m["impl"]), []).append(float(m["user"]) + float(m["sys"]))
    elif m := FAILED.match(line):
        failed.add((m["w"], m["impl"]))
    else:
        continue
    if m["w"] not in order:
        order.append(m["w"])

def med(w, impl, i):
    s = samples.get((w, impl))
    return None if not s or (w, impl) in failed else statistics.median(x[i] for x in s)

def fmt_time(ns):
    return "failed" if ns is None else f"{ns / 1e9:.3f} s" if ns >= 1e9 else f"{ns / 1e6:.1f} ms"

def ratio(a, b):
    return "–" if a is None or b is None or b <= 0 else f"{a / b:.2f}"

def spread(w, other, i=0, table=None):
    """min–max of rungo / other over the runs, paired in the order run (they alternate)."""
    table = samples if table is None else table
    a, b = table.get((w, "rungo"), []), table.get((w, other), [])
    if (w, "rungo") in failed or (w, other) in failed:
        return "–"
    pairs = [x[i] / y[i] if table is samples else x / y for x, y in zip(a, b)
             if (y[i] if table is samples else y) > 0]
    return f"{min(pairs):.2f}–{max(pairs):.2f}" if pairs else "–"

rows = ["| workload | Go | rungo | tokio | rungo / Go (run by run) | rungo / tokio (run by run) "
        "| peak RSS Go / rungo / tokio |", "|---|---:|---:|---:|---:|---:|---:|"]
for w in order:
    t = {i: med(w, i, 0) for i in IMPLS}
    nsop = {i: med(w, i, 1) for i in IMPLS}
    rss = {i: med(w, i, 2) for i in IMPLS}
    cells = [f"{fmt_time(t[i])} ({nsop[i]:.0f} ns/op)" if t[i] is not None
             else ("failed" if (w, i) in failed else "–") for i in IMPLS]
    rss_cells = " / ".join("–" if rss[i] is None else f"{rss[i]:g}" for i in IMPLS) + " MB"
    rows.append(f"| {w} | " + " | ".join(cells) +
                f" | {ratio(t['rungo'], t['go'])} ({spread(w, 'go')}) | {ratio(t['rungo'], t['tokio'])}"
                f" ({spread(w, 'tokio')}) | {rss_cells} |")
kb = {(w, i): statistics.median(v) for (w, i), v in perconn.items() if (w, i) not in failed}
for w in order:
    if any((w, i) in kb for i in IMPLS):
        cells = [f"{kb[(w, i)]:.1f} KB" if (w, i) in kb else "–" for i in IMPLS]
        rows.append(f"| {w} RSS per connection | " + " | ".join(cells) +
                    f" | {ratio(kb.get((w, 'rungo')), kb.get((w, 'go')))}"
                    f" | {ratio(kb.get((w, 'rungo')), kb.get((w, 'tokio')))} | |")
cpu_med = {k: statistics.median(v) for k, v in cpu.items() if k not in failed}
for w in order:
    if any((w, i) in cpu_med for i in IMPLS):
        cells = [f"{cpu_med[(w, i)]:.2f} s" if (w, i) in cpu_med else "–" for i in IMPLS]
        rows.append(f"| {w} CPU time (user + sys) | " + " | ".join(cells) +
                    f" | {ratio(cpu_med.get((w, 'rungo')), cpu_med.get((w, 'go')))}"
                    f" ({spread(w, 'go', table=cpu)})"
                    f" | {ratio(cpu_med.get((w, 'rungo')), cpu_med.get((w, 'tokio')))}"
                    f" ({spread(w, 'tokio', table=cpu)}) | |")
table = "\n".join(rows) + "\n"

goals = ["| target | rungo / other (median) | met |", "|---|---:|---|"]
for w, measure, other, bound in TARGETS:
    if w not in order:
        continue
    if measure == "time":
        a, b, what = med(w, "rungo", 0), med(w, other, 0), "time"
    else:
        a, b, what = kb.get((w, "rungo")), kb.get((w, other)), "RSS per connection"
    r = None if a is None or b is None or b <= 0 else a / b
    label = {"go": "Go", "tokio": "tokio"}[other]
    verdict = "–" if r is None else ("yes" if r <= bound else "**no**")
    goals.append(f"| {w} {what} <= {bound:g} x {label}'s | "
                 f"{'–' if r is None else f'{r:.3f}'} | {verdict} |")
goals = "\n".join(goals) + "\n"

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
           platform.processor())
info = [("CPU", f"{cpu}, {os.cpu_count()} cores"), ("kernel", f"Linux {platform.release()}"),
        ("GOMAXPROCS (tokio worker_threads)", ", ".join(sorted(procs)) or "unknown"),
        ("load average at the end", " ".join(open("/proc/loadavg").read().split()[:3])),
        ("date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        ("Go", go_version), ("rustc", rustc_version), ("tokio", tokio_version),
        ("runs per workload", f"{runs}, alternating Go, rungo, tokio; medians shown")]

print(table)
print(goals)
with open(md_path, "w", encoding="utf-8") as f:
    f.write("# Network benchmark: rungo vs Go vs tokio\n\n")
    f.write("Generated by `benches/compare_net.sh`: each workload of `examples/netbench.rs`, its Go "
            "twin `benches/go/netbench/main.go` and its tokio twin `benches/tokio`, run alternately. "
            "Loopback TCP on 127.0.0.1, client and server in one process, a coroutine (goroutine, "
            "task) per connection on each side, 64-byte messages, TCP_NODELAY on both ends. "
            "Ratios are rungo / other: below 1.0 rungo is faster or smaller. Times are the medians "
            "of whole runs (ns/op: per round trip for echo1 and echo1k, per connect/accept/close "
            "cycle for accept, per connection set up for idle8k). RSS per connection is idle8k's "
            "VmRSS growth over its 8,000 connections, both ends counted (two sockets, two "
            "coroutines). CPU time is the process's user + system time (bash's `time`), which "
            "other load on the machine disturbs less than the wall-clock times do.\n\n")
    f.write("- `echo1`: one connection, 100,000 round trips (latency)\n"
            "- `echo1k`: 1,000 connections at once, 100 round trips each (throughput)\n"
            "- `accept`: 20,000 connect/accept/close cycles from 50 client coroutines\n"
            "- `idle8k`: 8,000 connections held open after one round trip each\n\n")
    f.write(f"Command: `{command}`\n\n")
    if note:
        f.write(f"Note: {note}\n\n")
    f.write(table + "\n## Targets\n\n" + goals + "\n## Machine\n\n")
    for k, v in info:
        f.write(f"- {k}: {v}\n")
    f.write("\n## Raw lines\n\n```text\n" + open(raw, encoding="utf-8").read() + "```\n")
PY
echo "wrote benches/RESULTS_NET.md (raw lines: $RAW)" >&2
