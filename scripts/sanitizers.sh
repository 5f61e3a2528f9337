#!/usr/bin/env bash
# Runs rungo's unsafe code under Miri and AddressSanitizer.
#
#   scripts/sanitizers.sh            # from anywhere in the workspace
#
# 1. Miri (Stacked Borrows, the default, then Tree Borrows) on the tests that exercise the
#    channels' wait-queue protocol on plain threads (Miri cannot run coroutines: it does not
#    support stack switching, but on a plain thread `RawUnparker` is a thread handle and `park`
#    is `std::thread::park`). These tests caught F6, a claimer's protected `&Signal` alive
#    while the owner freed it.
# 2. AddressSanitizer on runtime integration tests, with corosensei's `sanitizer` feature
#    (through `rungo-runtime/sanitizer`) so ASan is told about every stack switch.
#
# Needs a nightly toolchain with the miri and rust-src components
# (`rustup component add --toolchain nightly miri rust-src`). Without one it prints
# "sanitizers: skipped (no nightly toolchain with miri)" and exits 0. Any failure makes it exit
# non-zero. It takes a few minutes (more the first time: Miri's sysroot and the ASan build,
# which goes to its own target directory, target/asan).
#
# Knobs (environment variables; the defaults are below):
#   MIRI_TESTS        test-name filters for `cargo miri test -p rungo-channels --lib`
#   MIRI_EXTRA_FLAGS  added to MIRIFLAGS (e.g. -Zmiri-many-seeds=0..8 for a longer hunt)
#   ASAN_TESTS        runtime integration tests run with leak detection on
#   ASAN_NOLEAK_TESTS runtime integration tests run with leak detection off (they leak on
#                     purpose: spawn_join leaks a coroutine that can never be woken, as Go does;
#                     and the workers' own state, which lives until the process exits, is
#                     reported by LeakSanitizer when the process exits under a running worker)
set -euo pipefail

MIRI_TESTS=${MIRI_TESTS-"waiter::protocol_tests"}
MIRI_EXTRA_FLAGS=${MIRI_EXTRA_FLAGS-""}
ASAN_TESTS=${ASAN_TESTS-""}
ASAN_NOLEAK_TESTS=${ASAN_NOLEAK_TESTS-"detached_drop spawn_join"}

cd "$(dirname "$0")/.."

if ! cargo +nightly miri --version >/dev/null 2>&1; then
    echo "sanitizers: skipped (no nightly toolchain with miri)"
    exit 0
fi

failures=0
fail() {
    echo "sanitizers: FAILED: $*" >&2
    failures=$((failures + 1))
}

# --- Miri -------------------------------------------------------------------------------
# -Zmiri-disable-isolation: select's random generator seeds itself from the real-time clock,
# which isolated Miri refuses.
for model in "" "-Zmiri-tree-borrows"; do
    for filter in $MIRI_TESTS; do
        name="miri ${model:-stacked-borrows} $filter"
        echo "sanitizers: running $name"
        if ! MIRIFLAGS="-Zmiri-disable-isolation $model $MIRI_EXTRA_FLAGS" \
            cargo +nightly miri test -p rungo-channels --lib -- "$filter"; then
            fail "$name"
        fi
    done
done

# --- AddressSanitizer ---------------------------------------------------------------------
# --target keeps RUSTFLAGS off build scripts and proc macros. The ASan build has its own target
# directory so that it does not evict the normal one.
asan_target=x86_64-unknown-linux-gnu
asan_dir=target/asan

# ASan's own symbolizer needs fork(), which fails in a process with the runtime's large stack
# reservations (errno 12); symbolize a report afterwards, offline.
symbolize() {
    local line bin off
    while IFS= read -r line; do
        printf '%s\n' "$line"
        if [[ $line =~ \#[0-9]+\ 0x[0-9a-f]+\ +\(([^+]+)\+(0x[0-9a-f]+)\) ]] &&
            command -v llvm-symbolizer >/dev/null; then
            bin=${BASH_REMATCH[1]}
            off=${BASH_REMATCH[2]}
            llvm-symbolizer --obj="$bin" "$off" 2>/dev/null | head -2 | sed 's/^/        /'
        fi
    done
}

run_asan() {
    local test=$1 leaks=$2
    local name="asan $test (detect_leaks=$leaks)"
    if [[ ! -e runtime/tests/$test.rs ]]; then
        fail "$name: runtime/tests/$test.rs does not exist"
        return
    fi
    echo "sanitizers: running $name"
    local status=0
    RUSTFLAGS="-Zsanitizer=address" \
        ASAN_OPTIONS="detect_leaks=$leaks:symbolize=0:${ASAN_OPTIONS:-}" \
        CARGO_TARGET_DIR="$asan_dir" \
        cargo +nightly test --target "$asan_target" -p rungo-runtime \
        --features rungo-runtime/sanitizer --test "$test" 2>&1 | symbolize || status=$?
    # (pipefail: the status is cargo's, the symbolizer filter always succeeds)
    if [[ $status -ne 0 ]]; then
        fail "$name"
    fi
}

for t in $ASAN_TESTS; do
    run_asan "$t" 1
done
for t in $ASAN_NOLEAK_TESTS; do
    run_asan "$t" 0
done

if [[ $failures -ne 0 ]]; then
    echo "sanitizers: $failures run(s) failed" >&2
    exit 1
fi
echo "sanitizers: all passed"
