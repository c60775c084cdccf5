#!/usr/bin/env bash
# run-engine.sh — the engine speed benchmark (issue 3, "Speed").
#
# Builds every compute workload natively (gcc -O2) and to wasm32-wasi (clang -O2),
# checks that each engine prints exactly what the native build prints, times each
# with hyperfine (median of $RUNS, default 5) and prints one markdown table:
# native time, then per engine its time and its ratio to native, and wasmbox's
# ratio to wasm3 (the bar: <= 1.00× on every workload).
#
# Usage: bench/run-engine.sh [WORKLOAD...]     (default: all of them)
# Env:   RUNS, WASMBOX, WASM3, IWASM, NODE, BENCH_OUT (see lib.sh)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${RUNS:-5}

# name | source file | arguments. Sizes are chosen so native runs take 0.05–0.7 s
# and the slowest interpreter a few seconds.
WORKLOADS=(
    "fib|fib|35"
    "coremark-like|coremark_like|10000"
    "matmul|matmul|640"
    "sieve|sieve|33554432 3"
    "sha256|sha256|64"
    "qsort|qsort|10000000"
)

selected() {
    local name=$1 want
    ((${#ONLY[@]} == 0)) && return 0
    for want in "${ONLY[@]}"; do
        [[ $want == "$name" ]] && return 0
    done
    return 1
}

main() {
    ONLY=("$@")
    need hyperfine hyperfine
    local spec name src args srcs=(hello)
    for spec in "${WORKLOADS[@]}"; do
        IFS='|' read -r name src args <<<"$spec"
        selected "$name" && srcs+=("$src")
    done
    ((${#srcs[@]} > 1)) || die "no such workload: $*"
    build_workloads "${srcs[@]}"
    find_engines
    LOAD_NOTE=$(metric_note)

    local header="| workload | native" sep="|---|---:"
    local e
    for e in "${ENGINES[@]}"; do
        header+=" | $e | ×native"
        sep+="|---:|---:"
        if [[ $e == wasm3 && " ${ENGINES[*]} " == *" wasmbox "* ]]; then
            header+=" | wasmbox/wasm3"
            sep+="|---:"
        fi
    done

    local rows=()
    for spec in "${WORKLOADS[@]}"; do
        IFS='|' read -r name src args <<<"$spec"
        selected "$name" || continue
        rows+=("$(measure_workload "$name" "$src" "$args")")
    done

    echo
    echo "Engine speed — whole process, $RUNS runs: $LOAD_NOTE"
    echo "Machine: $(machine_note)"
    echo
    echo "$header |"
    echo "$sep|"
    printf '%s\n' "${rows[@]}"
}

# measure_workload NAME SRC ARGS — prints one table row.
measure_workload() {
    local name=$1 src=$2 args=$3
    local native=$BENCH_OUT/native/$src wasm=$BENCH_OUT/wasm/$src.wasm
    note "$name: native"
    local expected
    # shellcheck disable=SC2086
    expected=$("$native" $args) || die "native $name failed"
    local tn
    tn=$(time_cmd "$name.native" "$RUNS" 0 "$native $args")
    local row
    row="| $name | $(fmt_time "$tn")"
    local e cmd got t twasmbox=""
    for e in "${ENGINES[@]}"; do
        note "$name: $e"
        cmd=$(engine_cmd "$e" "$wasm" "$args")
        # shellcheck disable=SC2086
        got=$($cmd 2>/dev/null) || got="(exit $?) $got"
        if [[ $got != "$expected" ]]; then
            note "$name: $e printed '$got', expected '$expected'"
            t=""
            row+=" | wrong output | —"
        else
            t=$(time_cmd "$name.$e" "$RUNS" 0 "$cmd")
            row+=" | $(fmt_time "$t") | $(fmt_ratio "$t" "$tn")"
        fi
        [[ $e == wasmbox ]] && twasmbox=$t
        if [[ $e == wasm3 && " ${ENGINES[*]} " == *" wasmbox "* ]]; then
            row+=" | $(fmt_ratio "$twasmbox" "$t")"
        fi
    done
    echo "$row |"
}

main "$@"
