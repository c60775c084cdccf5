#!/usr/bin/env bash
# run-startup.sh — start-up cost of a whole process (issue 4) and of loading a
# module inside one (issue 3).
#
# 1. `wasmbox run hello.wasm` against the native hello binary, node's WASI and
#    the other engines found: median wall time of $RUNS (default 20) runs after 3
#    warm-ups, and the median peak RSS (/usr/bin/time -f %M) of 5 runs.
#    Targets: wasmbox within 2× of native hello's time, within 2 MiB of its RSS.
# 2. load_bench: wb_module_new + wb_store_new + wb_instance_new of hello.wasm
#    (about 40 KB) inside one process, median of 1000 rounds. Target: < 100 µs.
#    Built against the build directory's static libraries (WASMBOX_BUILD, default
#    the directory holding $WASMBOX); skipped when they are not there.
#
# Usage: bench/run-startup.sh
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${RUNS:-20}
RSS_RUNS=${RSS_RUNS:-5}
LOAD_ITERATIONS=${LOAD_ITERATIONS:-1000}

main() {
    need hyperfine hyperfine
    [[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install time)"
    build_workloads hello
    find_engines

    local native=$BENCH_OUT/native/hello wasm=$BENCH_OUT/wasm/hello.wasm
    local load_note expected
    load_note=$(metric_note)
    expected=$("$native")
    note "hello: native"
    local tn rn
    tn=$(time_cmd startup.native "$RUNS" 3 "$native")
    rn=$(peak_rss_kb "$RSS_RUNS" "$native")

    local rows=() e cmd got t r twb="" rwb=""
    rows+=("| native hello | $(fmt_time "$tn") | 1.00× | $(fmt_kib "$rn") | +0 KiB |")
    for e in "${ENGINES[@]}"; do
        note "hello: $e"
        cmd=$(engine_cmd "$e" "$wasm")
        got=$($cmd 2>/dev/null) || true
        if [[ $got != "$expected" ]]; then
            rows+=("| $e | wrong output | — | — | — |")
            continue
        fi
        t=$(time_cmd "startup.$e" "$RUNS" 3 "$cmd")
        # shellcheck disable=SC2086
        r=$(peak_rss_kb "$RSS_RUNS" $cmd)
        rows+=("| $e | $(fmt_time "$t") | $(fmt_ratio "$t" "$tn") | $(fmt_kib "$r") | +$((r - rn)) KiB |")
        [[ $e == wasmbox ]] && { twb=$t; rwb=$r; }
    done

    echo
    echo "Start-up — hello, whole process, $RUNS runs after 3 warm-ups: $load_note; peak RSS: median of $RSS_RUNS"
    echo "Machine: $(machine_note)"
    echo
    echo "| program | time | ×native | peak RSS | RSS − native |"
    echo "|---|---:|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
    echo
    if [[ -n $twb ]]; then
        verdict "wasmbox time within 2× of native" "$(awk -v a="$twb" -v b="$tn" 'BEGIN { print (a <= 2 * b) }')"
        verdict "wasmbox peak RSS within 2 MiB of native" "$((rwb - rn <= 2048))"
    fi
    load_bench "$wasm"
}

fmt_kib() { [[ -n $1 ]] && echo "$1 KiB" || echo "—"; }

verdict() { [[ $2 == 1 ]] && echo "- $1: yes" || echo "- $1: NO"; }

# load_bench WASM — builds bench/load_bench.c against the engine's static
# libraries and reports its medians.
load_bench() {
    local wasm=$1
    local build=${WASMBOX_BUILD:-$(dirname "${WASMBOX:-$REPO_DIR/build/wasmbox}")}
    local engine=$build/libwbengine.a common=$build/libwbcommon.a
    echo
    if [[ ! -f $engine || ! -f $common ]]; then
        echo "load_bench: skipped ($engine or $common not built; set WASMBOX_BUILD)"
        return 0
    fi
    local bin=$BENCH_OUT/load_bench
    "$CC_NATIVE" -std=gnu11 -O2 -Wall -Wextra -D_GNU_SOURCE -I"$REPO_DIR/include" \
        -o "$bin" "$BENCH_DIR/load_bench.c" "$engine" "$common" -lpthread -lm ||
        die "building load_bench failed"
    local out line us
    out=$("$bin" "$wasm" "$LOAD_ITERATIONS") || die "load_bench failed"
    echo "In-process load of hello.wasm ($(stat -c %s "$wasm") bytes), median of $LOAD_ITERATIONS rounds:"
    echo
    while IFS= read -r line; do
        echo "    $line"
    done <<<"$out"
    us=$(sed -n 's/^load+validate+instantiate: \([0-9.]*\) us.*/\1/p' <<<"$out")
    echo
    verdict "load + validate + instantiate under 100 µs ($us µs)" \
        "$(awk -v u="$us" 'BEGIN { print (u != "" && u < 100) }')"
}

main "$@"
