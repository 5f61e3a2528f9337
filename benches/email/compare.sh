#!/bin/bash
# The email sender, rungo vs Go vs Python vs PHP, against a local SMTP sink.
#
#   benches/email/compare.sh
#   RUNS=3 N=1000 N_DELAYED=200 DELAYS=0,30 benches/email/compare.sh
#
# Installs what it needs (Go 1.23 via benches/install-go.sh; php-cli with apt-get; aiosmtplib
# and uvloop, for sink.py, with pip; Postfix's smtp-sink extracted from the Debian package with
# `apt-get download postfix && dpkg-deb -x`, not installed as an MTA), builds the Rust example
# and the Go twin, then runs benches/email/bench.py: for each sink latency (DELAYS, ms per
# message; 0 uses smtp-sink, others benches/email/sink.py, since smtp-sink delays in whole
# seconds only), each policy (sequential, workers = CPU count, 100 in flight) and each of RUNS
# runs, every implementation once, alternating, a fresh sink per run whose message count must
# equal N.
# Writes benches/email/RESULTS.md. NOTE adds a remark to it.
set -euo pipefail
cd "$(dirname "$(realpath "$0")")/../.."
OUT=target/email-bench
mkdir -p "$OUT"

GO=$(bash benches/install-go.sh)
export GOTOOLCHAIN=local
if ! command -v php >/dev/null; then
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq php-cli >/dev/null
fi
python3 -c 'import aiosmtplib' 2>/dev/null || pip install -q aiosmtplib
# The delaying sink runs on uvloop when it is there (sink.py): asyncio's own loop held it to
# about 1,000 messages/s at 100 in flight.
python3 -c 'import uvloop' 2>/dev/null || pip install -q uvloop ||
  echo "no uvloop: sink.py uses asyncio's loop" >&2
if [[ ! -x $OUT/postfix/usr/sbin/smtp-sink ]]; then
  (cd "$OUT" && rm -f postfix_*.deb && apt-get download postfix >/dev/null 2>&1 &&
    dpkg-deb -x postfix_*.deb postfix) || echo "no smtp-sink: sink.py serves every run" >&2
fi
if [[ -x $OUT/postfix/usr/sbin/smtp-sink ]]; then
  export SMTP_SINK=$PWD/$OUT/postfix/usr/sbin/smtp-sink
  export LD_LIBRARY_PATH=$PWD/$OUT/postfix/usr/lib/postfix${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi

cargo build --release --example email_sender
(cd examples/go && "$GO" build -o "../../$OUT/email_sender" email_sender.go)

python3 benches/email/bench.py --runs "${RUNS:-3}" --n "${N:-1000}" \
  --n-delayed "${N_DELAYED:-200}" --delays "${DELAYS:-0,30}" --note "${NOTE:-}"
python3 benches/results_chart.py email benches/email/RESULTS.md benches/email/results.svg
