# shellcheck shell=bash
# lib.sh — shared by bench/run-*.sh: finds the engines, builds the workloads,
# times commands with hyperfine and formats the numbers.
#
# Sourced, not run. Engines are found from the environment first, then PATH:
#   WASMBOX  the wasmbox binary            (default: <repo>/build/wasmbox)
#   WASM3    wasm3                         (default: `wasm3` on PATH)
#   IWASM    WAMR's iwasm                  (default: `iwasm` on PATH)
#   NODE     node, run with node-wasi.mjs  (default: `node` on PATH)
#   WASMBOX_RUN_FLAGS  extra flags for `wasmbox run` (e.g. "-i" if stdin must be asked for)
# An engine that is not found simply gets no column. BENCH_METRIC=cpu reports
# CPU time instead of wall time (for machines that cannot be kept idle). BENCH_OUT (default bench/out)
# receives the built workloads and the hyperfine JSON files.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
BENCH_OUT=${BENCH_OUT:-$BENCH_DIR/out}
WASI_SYSROOT=${WASI_SYSROOT:-/usr}
CC_NATIVE=${CC_NATIVE:-gcc}
CC_WASM=${CC_WASM:-clang}

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

need() {
    command -v "$1" >/dev/null 2>&1 || die "$1 not found (apt-get install $2)"
}

# ---- engines -----------------------------------------------------------------

# Sets ENGINES to the names of the engines present, in column order, and
# WASMBOX/WASM3/IWASM/NODE to their binaries. wasmbox only counts once it can
# run the hello workload (the engine may exist before its WASI does).
find_engines() {
    ENGINES=()
    WASMBOX=${WASMBOX:-$REPO_DIR/build/wasmbox}
    if [[ -x $WASMBOX ]]; then
        if "$WASMBOX" run "$BENCH_OUT/wasm/hello.wasm" >/dev/null 2>&1; then
            ENGINES+=(wasmbox)
        else
            note "$WASMBOX cannot run hello.wasm yet; no wasmbox column"
        fi
    else
        note "no wasmbox binary at $WASMBOX (set WASMBOX); no wasmbox column"
    fi
    WASM3=${WASM3:-$(command -v wasm3 || true)}
    [[ -n $WASM3 && -x $WASM3 ]] && ENGINES+=(wasm3)
    IWASM=${IWASM:-$(command -v iwasm || true)}
    [[ -n $IWASM && -x $IWASM ]] && ENGINES+=(iwasm)
    NODE=${NODE:-$(command -v node || true)}
    [[ -n $NODE && -x $NODE ]] && ENGINES+=(node)
    return 0
}

# engine_cmd ENGINE WASM ARGS... — prints the command line (one word per line is
# not needed: hyperfine -N splits on spaces, and our paths have none).
engine_cmd() {
    local engine=$1 wasm=$2
    shift 2
    case $engine in
    wasmbox) echo "$WASMBOX run ${WASMBOX_RUN_FLAGS:-} $wasm $*" ;;
    wasm3) echo "$WASM3 $wasm $*" ;;
    iwasm) echo "$IWASM $wasm $*" ;;
    # Node 20's WASI fast calls keep a stale pointer to linear memory after
    # memory.grow and crash at the next WASI call (nodejs/node#53087); the flag
    # takes the ordinary call path, which only WASI calls use.
    node) echo "$NODE --no-warnings --no-turbo-fast-api-calls $BENCH_DIR/node-wasi.mjs $wasm $*" ;;
    *) die "unknown engine $engine" ;;
    esac
}

# ---- building the workloads --------------------------------------------------

# build_workloads NAME... — compiles bench/workloads/NAME.c natively (gcc -O2)
# into $BENCH_OUT/native/NAME and to wasm32-wasi (clang -O2) into
# $BENCH_OUT/wasm/NAME.wasm, skipping outputs newer than their source.
build_workloads() {
    need "$CC_NATIVE" gcc
    need "$CC_WASM" "clang lld wasi-libc"
    mkdir -p "$BENCH_OUT/native" "$BENCH_OUT/wasm"
    local name src
    for name in "$@"; do
        src=$BENCH_DIR/workloads/$name.c
        [[ -f $src ]] || die "no workload $src"
        if [[ ! $BENCH_OUT/native/$name -nt $src ]]; then
            "$CC_NATIVE" -O2 -o "$BENCH_OUT/native/$name" "$src" || die "native build of $name failed"
        fi
        if [[ ! $BENCH_OUT/wasm/$name.wasm -nt $src ]]; then
            "$CC_WASM" --target=wasm32-wasi --sysroot="$WASI_SYSROOT" -O2 \
                -o "$BENCH_OUT/wasm/$name.wasm" "$src" || die "wasm build of $name failed"
        fi
    done
}

# ---- timing ------------------------------------------------------------------

# hf_median JSON — the median wall time (seconds) of the only command in a
# hyperfine --export-json file. With BENCH_METRIC=cpu, the mean user + system
# CPU time instead (hyperfine keeps no per-run CPU times): steadier than wall
# time when other work shares the machine.
hf_median() {
    if [[ ${BENCH_METRIC:-wall} == cpu ]]; then
        awk '/^ *"user":/ { u = $2; sub(/,$/, "", u) }
             /^ *"system":/ { s = $2; sub(/,$/, "", s) }
             END { if (u != "") printf "%.6f\n", u + s }' "$1"
        return
    fi
    sed -n 's/^ *"median": *\([0-9.eE+-]*\),*$/\1/p' "$1" | head -n 1
}

# metric_note — what the tables' times are, and how busy the machine was.
metric_note() {
    local what="median wall time"
    [[ ${BENCH_METRIC:-wall} == cpu ]] && what="mean user+system CPU time"
    echo "$what; load average at start $(cut -d' ' -f1 /proc/loadavg)"
}

# time_cmd TAG RUNS WARMUP CMD — runs CMD under hyperfine (no shell, output
# discarded) and prints its median in seconds; prints nothing if it failed.
time_cmd() {
    local tag=$1 runs=$2 warmup=$3 cmd=$4
    local json=$BENCH_OUT/json/$tag.json
    mkdir -p "$BENCH_OUT/json"
    rm -f "$json"
    if hyperfine -N --style basic --runs "$runs" --warmup "$warmup" \
        --export-json "$json" "$cmd" >"$BENCH_OUT/json/$tag.log" 2>&1; then
        hf_median "$json"
    else
        note "hyperfine failed for: $cmd (see $BENCH_OUT/json/$tag.log)"
    fi
}

# time_shell TAG RUNS CMD — as time_cmd but through sh (for redirections).
time_shell() {
    local tag=$1 runs=$2 cmd=$3
    local json=$BENCH_OUT/json/$tag.json
    mkdir -p "$BENCH_OUT/json"
    rm -f "$json"
    if hyperfine --style basic --runs "$runs" --export-json "$json" "$cmd" \
        >"$BENCH_OUT/json/$tag.log" 2>&1; then
        hf_median "$json"
    else
        note "hyperfine failed for: $cmd (see $BENCH_OUT/json/$tag.log)"
    fi
}

# peak_rss_kb RUNS CMD... — median over RUNS of the peak RSS (KiB) of CMD.
peak_rss_kb() {
    local runs=$1 i
    shift
    for ((i = 0; i < runs; i++)); do
        /usr/bin/time -f %M -o "$BENCH_OUT/rss.txt" "$@" >/dev/null 2>&1 || true
        tail -n 1 "$BENCH_OUT/rss.txt"
    done | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

# ---- formatting --------------------------------------------------------------

# fmt_time SECONDS — "0.361 s", "12.4 ms", "850 µs"; "—" when empty.
fmt_time() {
    [[ -n $1 ]] || { echo "—"; return; }
    awk -v t="$1" 'BEGIN {
        if (t >= 1) printf "%.2f s", t;
        else if (t >= 0.1) printf "%.3f s", t;
        else if (t >= 0.001) printf "%.2f ms", t * 1000;
        else printf "%.0f µs", t * 1e6 }'
}

# fmt_ratio A B — A/B as "30.1×"; "—" when either is empty.
fmt_ratio() {
    [[ -n $1 && -n $2 ]] || { echo "—"; return; }
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (b <= 0) { print "—"; exit }
        r = a / b;
        if (r >= 10) printf "%.1f×", r; else printf "%.2f×", r }'
}

# machine_note — one line naming the machine and toolchain, for the tables' header.
machine_note() {
    local cpu
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
    echo "$(nproc) cores ($cpu), $("$CC_NATIVE" --version | head -n 1), $("$CC_WASM" --version | head -n 1)"
}
