#!/bin/bash
# The crawler, rungo vs Go: wall time of the crawl at several concurrency limits.
#
#   benches/crawler/compare.sh
#   RUNS=3 CONCURRENCY="1 8 64 512" PAGES=5000 DEPTH=8 benches/crawler/compare.sh
#
# Installs Go 1.23 if needed (benches/install-go.sh), builds examples/crawler.rs (release) and
# examples/go/crawler.go, then for each concurrency runs the two RUNS times each, alternating
# (the order swaps every run). Each program starts its own HTTP server over the same generated
# graph and prints its counts and the crawl's time (graph generation and start-up excluded);
# every run must print the same pages / dead links / requests served as every other, or the
# script fails. CPU time (user+sys) and peak RSS of the whole process come from GNU time.
# Writes benches/crawler/RESULTS.md (medians; NOTE adds a remark).
set -euo pipefail
cd "$(dirname "$(realpath "$0")")/../.."
RUNS=${RUNS:-3}
CONCURRENCY=${CONCURRENCY:-1 8 64 512}
PAGES=${PAGES:-5000}
DEPTH=${DEPTH:-8}
OUT=target/crawler-bench
mkdir -p "$OUT"
GO=$(bash benches/install-go.sh)
export GOTOOLCHAIN=local
cargo build --release --example crawler
(cd examples/go && "$GO" build -o "../../$OUT/crawler" crawler.go)
declare -A BIN=([rungo]=target/release/examples/crawler [go]=$OUT/crawler)

RAW=$OUT/raw.txt
: > "$RAW"
for c in $CONCURRENCY; do
  for ((r = 1; r <= RUNS; r++)); do
    if ((r % 2)); then order="go rungo"; else order="rungo go"; fi
    for impl in $order; do
      out=$(/usr/bin/time -f "usage: %U %S %M" "${BIN[$impl]}" --pages "$PAGES" --depth "$DEPTH" \
        --concurrency "$c" 2>&1)
      counts=$(grep -E '^(pages|dead links|errors|requests served):' <<<"$out" | tr '\n' ' ')
      t=$(sed -n 's/^time: \([0-9.]*\) s$/\1/p' <<<"$out")
      read -r _ user sys rss < <(grep '^usage:' <<<"$out")
      echo "$impl $c $t $user $sys $rss $counts" | tee -a "$RAW" >&2
    done
  done
done

python3 - "$RAW" "$PAGES" "$DEPTH" "${NOTE:-}" > benches/crawler/RESULTS.md <<'PY'
import os, statistics, sys, time
raw, pages, depth, note = sys.argv[1:5]
rows = [l.split(None, 6) for l in open(raw) if l.strip()]
counts = {r[6].strip() for r in rows}
if len(counts) != 1:
    sys.exit(f"the runs disagree on the counts: {counts}")
print("# Crawler: rungo vs Go\n")
print(f"Written by `benches/crawler/compare.sh` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.\n")
print(f"Each program starts its own HTTP server on 127.0.0.1 over the same generated {pages}-page "
      f"graph (slow pages sleep 10-50 ms, dead links answer 404) and crawls it from /p/0 to "
      f"depth {depth}, each URL fetched once, at most *concurrency* fetches in flight. rungo: "
      f"examples/crawler.rs (rungo::net, a minimal HTTP/1.1 client with a keep-alive pool and "
      f"a minimal server); Go: examples/go/crawler.go (net/http client and server). Every run "
      f"printed the same counts: {counts.pop()}\n")
print("*time* is the crawl's wall time as the program measures it; CPU (user+sys) and peak RSS "
      "are the whole process's (server included), from GNU time. Medians of the runs, Go and "
      "rungo alternating; *run by run* lists every run's time.\n")
print("Machine: 2-core VM shared with other builds and benchmarks while this ran (load average "
      f"{os.getloadavg()[0]:.1f} at the end): the numbers are noisy.\n")
if note:
    print(note + "\n")
print("| concurrency | Go time (s) | rungo time (s) | time ratio | Go run by run | rungo run by run "
      "| Go CPU (s) | rungo CPU (s) | Go peak RSS (MB) | rungo peak RSS (MB) |")
print("|---:|---:|---:|---:|---|---|---:|---:|---:|---:|")
for c in dict.fromkeys(r[1] for r in rows):
    g = [r for r in rows if r[1] == c and r[0] == "go"]
    u = [r for r in rows if r[1] == c and r[0] == "rungo"]
    med = lambda rs, f: statistics.median(f(r) for r in rs)
    t = lambda r: float(r[2])
    cpu = lambda r: float(r[3]) + float(r[4])
    rss = lambda r: int(r[5]) / 1024
    print(f"| {c} | {med(g, t):.3f} | {med(u, t):.3f} | {med(u, t) / med(g, t):.2f} | "
          f"{', '.join(r[2] for r in g)} | {', '.join(r[2] for r in u)} | {med(g, cpu):.2f} | "
          f"{med(u, cpu):.2f} | {med(g, rss):.1f} | {med(u, rss):.1f} |")
print("\nTime ratio = rungo / Go; below 1.0 rungo is faster.")
PY
cat benches/crawler/RESULTS.md
python3 benches/results_chart.py crawler benches/crawler/RESULTS.md benches/crawler/results.svg
