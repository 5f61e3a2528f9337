#!/bin/bash
# One CPU hog for benches/compare.sh's busy condition: spins on one core until it is killed or
# until the process it watches is gone.
#
#   benches/hog.sh WATCH_PID
#
# compare.sh starts HOGS of these in the background, records their PIDs and kills them by PID when
# it exits (trap on EXIT, INT and TERM). The watch is the fallback for the one exit no trap sees,
# SIGKILL: every 10,000 empty iterations (some tens of milliseconds) the hog checks that
# WATCH_PID still exists and ends when it does not, so a hog never outlives its compare.sh for
# long. The loop is pure shell arithmetic, user time on one core, no I/O and no memory traffic.
set -u
watch=${1:?usage: benches/hog.sh WATCH_PID}
while kill -0 "$watch" 2>/dev/null; do
  for ((i = 0; i < 10000; i++)); do :; done
done
