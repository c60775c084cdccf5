#!/usr/bin/env bash
# run-io.sh — I/O throughput through the guest (issue 4).
#
# Copies a file of $SIZE_MIB MiB (default 1024) of random bytes with the copy
# workload (64 KiB fd_read/fd_write blocks, stdin to stdout) under each engine,
# against native `cp` and the same copy program built natively. Each copy is
# checked byte for byte once, then timed with hyperfine (median of $RUNS,
# default 5; the check run warms the page cache). Everything lives in a private
# temporary directory that is removed on exit.
#
# Usage: bench/run-io.sh
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${RUNS:-5}
SIZE_MIB=${SIZE_MIB:-1024}

main() {
    need hyperfine hyperfine
    build_workloads hello copy
    # Like docker run, wasmbox run gives the guest an empty stdin unless asked.
    WASMBOX_RUN_FLAGS="-i ${WASMBOX_RUN_FLAGS:-}"
    find_engines
    LOAD_NOTE=$(metric_note)

    TMP=$(mktemp -d "${TMPDIR:-/tmp}/wasmbox-io.XXXXXX")
    trap 'rm -rf "$TMP"' EXIT
    note "writing $SIZE_MIB MiB of random bytes to $TMP/in"
    head -c "$((SIZE_MIB << 20))" /dev/urandom >"$TMP/in"

    local rows=() tcp
    tcp=$(measure "cp" "cp $TMP/in $TMP/out")
    rows+=("$(row "native cp" "$tcp" "$tcp")")
    local t
    t=$(measure "copy.native" "$BENCH_OUT/native/copy <$TMP/in >$TMP/out")
    rows+=("$(row "native copy.c" "$t" "$tcp")")
    local e cmd
    for e in "${ENGINES[@]}"; do
        cmd=$(engine_cmd "$e" "$BENCH_OUT/wasm/copy.wasm")
        t=$(measure "copy.$e" "$cmd <$TMP/in >$TMP/out")
        rows+=("$(row "$e copy.wasm" "$t" "$tcp")")
    done

    echo
    echo "I/O — copy of $SIZE_MIB MiB, stdin to stdout in 64 KiB blocks, $RUNS runs: $LOAD_NOTE"
    echo "Machine: $(machine_note)"
    echo
    echo "| copier | time | MiB/s | ×cp |"
    echo "|---|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
}

# measure TAG SHELL-CMD — checks that CMD copies exactly, then prints its median.
measure() {
    local tag=$1 cmd=$2
    note "io: $tag"
    rm -f "$TMP/out"
    if ! sh -c "$cmd" 2>/dev/null || ! cmp -s "$TMP/in" "$TMP/out"; then
        note "io: $tag did not produce an exact copy"
        return 0
    fi
    time_shell "io.$tag" "$RUNS" "$cmd"
}

# row NAME SECONDS CP-SECONDS
row() {
    local name=$1 t=$2 tcp=$3
    if [[ -z $t ]]; then
        echo "| $name | failed | — | — |"
        return
    fi
    echo "| $name | $(fmt_time "$t") | $(awk -v t="$t" -v m="$SIZE_MIB" 'BEGIN { printf "%.0f", m / t }') | $(fmt_ratio "$t" "$tcp") |"
}

main "$@"
