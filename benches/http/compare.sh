#!/bin/bash
# The HTTP example against its twins under wrk, on this machine.
#
#   benches/http/compare.sh                    (3 runs of every scenario and server)
#   RUNS=5 DURATION=10s benches/http/compare.sh root sleep
#
# Servers (each on 127.0.0.1, a free port, started fresh for every measurement):
#   go       examples/go/http_server (net/http), GOMAXPROCS=2
#   hyper    benches/http/twins hyper (tokio + hyper 1), worker_threads=2
#   threads  benches/http/twins threads (a thread per connection, std::net)
#   rungo    examples/http_server.rs, GOMAXPROCS=2
# Scenarios: root (GET / with 100 connections), sleep (GET /sleep?ms=10, 100 connections),
# sleep2k (GET /sleep?ms=10 with 2,000 connections; every request must succeed).
# Each run measures every server once per scenario, in turn (go, hyper, threads, rungo, then the
# next run), so a noisy period hits all of them; the report takes medians over the runs.
#
# Installs wrk (Debian's package) and Go 1.23 (benches/install-go.sh) when missing, builds the
# three Rust binaries in release mode, raises the open-file limit to the hard limit, then writes
# the raw runs to target/http-bench/runs.txt and the report to benches/http/RESULTS.md.
# Environment: RUNS (3), DURATION (10s), PROCS (2: GOMAXPROCS and tokio's worker_threads),
# WRK_THREADS (2), SERVERS ("go hyper threads rungo"), NOTE (a remark for the report), GO.
set -euo pipefail
SELF=$(realpath "$0")
cd "$(dirname "$SELF")/../.."

ALL_SCENARIOS=(root sleep sleep2k)
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
PROCS=${PROCS:-2}
WRK_THREADS=${WRK_THREADS:-2}
SERVERS=(${SERVERS:-go hyper threads rungo})
OUT=target/http-bench
RAW=$OUT/runs.txt

if [[ ${1:-} == -h || ${1:-} == --help ]]; then sed -n '2,22s/^# \{0,1\}//p' "$SELF"; exit 0; fi
scenarios=("$@")
[[ ${#scenarios[@]} -gt 0 ]] || scenarios=("${ALL_SCENARIOS[@]}")
for s in "${scenarios[@]}"; do
  [[ " ${ALL_SCENARIOS[*]} " == *" $s "* ]] || { echo "unknown scenario: $s" >&2; exit 2; }
done

if ! command -v wrk >/dev/null; then
  echo "installing wrk" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
go=${GO:-$(command -v go || true)}
if [[ -z $go ]] || ! "$go" env GOVERSION | grep -Eq '^go1\.(2[3-9]|[3-9][0-9])'; then
  go=$(bash benches/install-go.sh)
fi
export GOTOOLCHAIN=local

ulimit -n "$(ulimit -Hn)"
echo "open files: $(ulimit -n)" >&2

mkdir -p "$OUT"
echo "building the Go twin with $("$go" version)" >&2
(cd examples/go && "$go" build -o "../../$OUT/go_http_server" ./http_server)
echo "building examples/http_server.rs and benches/http/twins (release)" >&2
cargo build --release --quiet --example http_server
cargo build --release --quiet --manifest-path benches/http/twins/Cargo.toml

declare -A CMD=(
  [go]="env GOMAXPROCS=$PROCS $OUT/go_http_server"
  [hyper]="benches/http/twins/target/release/hyper --workers $PROCS"
  [threads]="benches/http/twins/target/release/threads"
  [rungo]="env GOMAXPROCS=$PROCS target/release/examples/http_server"
)

# Starts server $1 on a free loopback port; sets SERVER_PID and SERVER_ADDR.
start_server() {
  local log=$OUT/server-$1.log
  : >"$log"
  ${CMD[$1]} --addr 127.0.0.1:0 >"$log" 2>&1 &
  SERVER_PID=$!
  SERVER_ADDR=
  for _ in $(seq 1 200); do
    SERVER_ADDR=$(sed -n 's|^listening on http://||p' "$log")
    [[ -n $SERVER_ADDR ]] && return 0
    sleep 0.05
  done
  echo "$1 did not start:" >&2
  cat "$log" >&2
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  return 1
}

# Stops the server started last: SIGTERM, then SIGKILL after 15 s.
stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 1 300); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}

# One measurement: appends "<server> <scenario> <wrk's output on one line>" to $RAW.
measure() {
  local server=$1 scenario=$2 conns path out
  case $scenario in
    root) conns=100 path=/ ;;
    sleep) conns=100 path='/sleep?ms=10' ;;
    sleep2k) conns=2000 path='/sleep?ms=10' ;;
  esac
  start_server "$server" || { echo "$server $scenario FAILED to start" >>"$RAW"; return; }
  sleep 0.2
  local load1 load2 stalls
  read -r load1 _ </proc/loadavg
  out=$(timeout 120 wrk -t"$WRK_THREADS" -c"$conns" -d"$DURATION" --latency "http://$SERVER_ADDR$path" 2>&1) ||
    out="FAILED wrk exit $? $out"
  read -r load2 _ </proc/loadavg
  stop_server
  # rungo's sysmon reports a worker that ran no scheduler tick for 100 ms or more (on a shared
  # machine, mostly a worker thread that the kernel did not run): counted as evidence of noise.
  stalls=$(grep -c 'stalled for' "$OUT/server-$server.log" || true)
  out+=$'\n'"loadavg: $load1 $load2"$'\n'"stalls: $stalls"
  echo "$server $scenario $(tr '\n' '|' <<<"$out")" >>"$RAW"
  python3 benches/http/report.py --line "$(tail -n 1 "$RAW")" >&2
}

: >"$RAW"
for ((run = 1; run <= RUNS; run++)); do
  for s in "${scenarios[@]}"; do
    for server in "${SERVERS[@]}"; do
      echo "[run $run/$RUNS] $s $server" >&2
      measure "$server" "$s"
    done
  done
done

command="benches/http/compare.sh ${scenarios[*]}"
[[ ${#scenarios[@]} -eq ${#ALL_SCENARIOS[@]} ]] && command="benches/http/compare.sh"
[[ $RUNS == 3 ]] || command="RUNS=$RUNS $command"
[[ $DURATION == 10s ]] || command="DURATION=$DURATION $command"
python3 benches/http/report.py "$RAW" --command "$command" --procs "$PROCS" \
  --go-version "$("$go" version)" --note "${NOTE:-}" >benches/http/RESULTS.md
cat benches/http/RESULTS.md
