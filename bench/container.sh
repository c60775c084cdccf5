#!/usr/bin/env bash
# container.sh — the seed article's measurement, reproduced (issue 7).
#
# The seed timed fib(35) as a container: it printed "Starting" and "Stopped" and
# split each run into start-up (launch to "Starting"), run ("Starting" to
# "Stopped") and shutdown ("Stopped" to process exit). This script does the same
# for the seed's own programs (demo/fibonacci/fibonacci.rs, demo/hello/main.rs):
#
#   1. fib(35): native (rustc -O, static, as a FROM scratch image would hold it),
#      `wasmbox run --rm demo/fibonacci` (image), `wasmbox run fibonacci.wasm`
#      (file), and wasm3 when $WASM3 names a binary; each output line is
#      timestamped as it arrives through a pipe, read on another CPU than the
#      program's. The runtimes take turns, run by run, so drift on a shared
#      machine falls on all of them alike. Median of RUNS.
#   2. hello, whole-process wall time (hyperfine -N): native, image, file, wasm3.
#   3. the container path's cost (image lookup, config, instantiate, run,
#      teardown): `run --rm demo/hello` minus `run hello.wasm`, as the median of
#      PAIRS alternated pairs with its quartiles; the budget is 1 ms.
#   4. image sizes: the wasmbox images against the native static binary in a
#      FROM scratch image (its size, and its gzip'd layer as a registry carries it).
#
# It prints the tables as markdown (also kept in $OUT/performance-seed.md) and
# draws them with bench/seed-chart.gp into $CHART, with the seed's reference
# figures (0.57 s classic container, 0.8 s wasmtime and 9 s WasmEdge under
# Docker) as extra bars.
#
# Environment: BUILD (build directory, default <repo>/build: wasmbox, and the
# demo wasm files in BUILD/demo), WASM3 (optional), RUSTC (default /usr/bin/rustc),
# RUNS (50), HELLO_RUNS (200), PAIRS (200), OUT (default bench/out/seed),
# CHART (default $OUT/performance-seed.png). Needs python3, hyperfine, gnuplot, gzip.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-50}
HELLO_RUNS=${HELLO_RUNS:-200}
PAIRS=${PAIRS:-200}
BUILD=${BUILD:-$REPO_DIR/build}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || die "no build directory ${BUILD} (set BUILD)"
WASMBOX=$BUILD/wasmbox
DEMO=$BUILD/demo
RUSTC=${RUSTC:-/usr/bin/rustc}
WASM3=${WASM3:-}
OUT=${OUT:-$BENCH_OUT/seed}
CHART=${CHART:-$OUT/performance-seed.png}
PY=${PY:-$(command -v /usr/bin/python3 || command -v python3 || true)}

[[ -n $PY ]] || die "python3 not found (apt-get install python3)"
need hyperfine hyperfine
need gnuplot gnuplot-nox
need gzip gzip
[[ -x $WASMBOX ]] || die "no wasmbox at $WASMBOX (build it, or set BUILD)"
[[ -x $RUSTC ]] || die "no $RUSTC (apt-get install rustc)"
for f in hello fibonacci; do
    [[ -f $DEMO/$f.wasm ]] || die "no $DEMO/$f.wasm (the demo target builds it)"
done
if [[ -n $WASM3 && ! -x $WASM3 ]]; then
    note "WASM3=$WASM3 is not an executable; no wasm3 column"
    WASM3=
fi
mkdir -p "$OUT" "$(dirname "$CHART")"
CHART=$(cd "$(dirname "$CHART")" && pwd)/$(basename "$CHART")

# A private image store, so the measurement neither sees nor leaves anything.
export WASMBOX_ROOT
WASMBOX_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/wbseed.XXXXXX")
trap 'rm -rf "$WASMBOX_ROOT" "$WASMBOX_ROOT.ctx"' EXIT

load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the programs -------------------------------------------------------------

# image NAME: the seed's Dockerfile (FROM scratch, COPY, ENTRYPOINT) with the wasm.
image() {
    local ctx=$WASMBOX_ROOT.ctx/$1
    mkdir -p "$ctx"
    cp "$DEMO/$1.wasm" "$ctx/$1.wasm"
    cp "$REPO_DIR/demo/$1/Dockerfile" "$ctx/Dockerfile"
    "$WASMBOX" build -t "demo/$1" "$ctx" >"$OUT/build-$1.log" 2>&1 ||
        die "wasmbox build of demo/$1 failed (see $OUT/build-$1.log)"
}
image hello
image fibonacci

# native NAME SRC: the same source with the same flags as the wasm (demo/CMakeLists.txt),
# linked statically, since that is what a FROM scratch image can run.
native() {
    "$RUSTC" -O -C strip=debuginfo -C target-feature=+crt-static --crate-name "$1" \
        "$REPO_DIR/demo/$2" -o "$OUT/native-$1" || die "native build of $2 failed"
}
native fibonacci fibonacci/fibonacci.rs
native hello hello/main.rs

# The first container run of an image unpacks it and compiles the seccomp filter
# once; the runs measured are the ones every later `run` is.
"$WASMBOX" run --rm demo/hello >/dev/null
"$WASMBOX" run --rm demo/fibonacci >/dev/null

# ---- 1. fib(35): start-up, run, shutdown ---------------------------------------

# Each line of the spec: label TAB command. The harness prints one line per
# runtime: label, then the medians (s) of start-up, run, shutdown, total, and
# the quartiles of the total; raw samples go to $OUT/fib-samples.json.
{
    printf 'native (rustc -O)\t%s\n' "$OUT/native-fibonacci"
    printf 'wasmbox run --rm IMAGE\t%s run --rm demo/fibonacci\n' "$WASMBOX"
    printf 'wasmbox run FILE.wasm\t%s run %s\n' "$WASMBOX" "$DEMO/fibonacci.wasm"
    [[ -z $WASM3 ]] || printf 'wasm3 FILE.wasm\t%s %s\n' "$WASM3" "$DEMO/fibonacci.wasm"
} >"$OUT/fib-spec.tsv"

"$PY" - "$RUNS" 3 "$OUT/fib-spec.tsv" "$OUT/fib-samples.json" >"$OUT/fib.tsv" <<'PY'
import json, os, statistics, sys, time

runs, warmup, spec_path, raw_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
specs = [line.rstrip("\n").split("\t") for line in open(spec_path) if line.strip()]
specs = [(label, cmd.split()) for label, cmd in specs]
# The harness and the program on different CPUs: sharing one, the harness would
# only read "Stopped" once the program is off the CPU (usually: exited), and the
# shutdown would read as nothing.
cpus = sorted(os.sched_getaffinity(0))
pin = (cpus[0], cpus[1]) if len(cpus) >= 2 else None

def once(argv):
    """(startup, run, shutdown) in ns of one run, from the arrival of its lines."""
    r, w = os.pipe()
    actions = [(os.POSIX_SPAWN_DUP2, w, 1), (os.POSIX_SPAWN_CLOSE, r),
               (os.POSIX_SPAWN_OPEN, 2, "/dev/null", os.O_WRONLY, 0)]
    if pin:
        os.sched_setaffinity(0, {pin[1]})  # the child inherits this CPU ...
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
    if pin:
        os.sched_setaffinity(0, {pin[0]})  # ... and the harness moves off it
    os.close(w)
    buf, t_start, t_stop = b"", None, None
    while True:
        chunk = os.read(r, 65536)
        now = time.perf_counter_ns()
        if not chunk:
            break
        buf += chunk
        if t_start is None and b"Starting\n" in buf:
            t_start = now
        if t_stop is None and b"Stopped\n" in buf:
            t_stop = now
    _, status = os.waitpid(pid, 0)
    t_exit = time.perf_counter_ns()
    os.close(r)
    if status != 0 or t_start is None or t_stop is None or b"Fibonacci(35) = 9227465" not in buf:
        sys.exit("bench: %s: exit status %d, output %r" % (" ".join(argv), status, buf[:200]))
    return t_start - t0, t_stop - t_start, t_exit - t_stop

samples = {label: [] for label, _ in specs}
for i in range(warmup + runs):
    # Rotate the order each round: no runtime always follows the same one.
    k = i % len(specs)
    for label, argv in specs[k:] + specs[:k]:
        s = once(argv)
        if i >= warmup:
            samples[label].append(s)

def quartiles(xs):
    q = statistics.quantiles(xs, n=4)
    return q[0], q[2]

json.dump(samples, open(raw_path, "w"))
for label, _ in specs:
    st = [x[0] / 1e9 for x in samples[label]]
    rn = [x[1] / 1e9 for x in samples[label]]
    sd = [x[2] / 1e9 for x in samples[label]]
    tot = [a + b + c for a, b, c in zip(st, rn, sd)]
    q1, q3 = quartiles(tot)
    print("%s\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f" % (
        label, statistics.median(st), statistics.median(rn), statistics.median(sd),
        statistics.median(tot), q1, q3))
PY

# ---- 2. hello, whole process ---------------------------------------------------

hello_cmds=("$OUT/native-hello" "$WASMBOX run --rm demo/hello" "$WASMBOX run $DEMO/hello.wasm")
hello_labels=("native (rustc -O)" "wasmbox run --rm IMAGE" "wasmbox run FILE.wasm")
if [[ -n $WASM3 ]]; then
    hello_cmds+=("$WASM3 $DEMO/hello.wasm")
    hello_labels+=("wasm3 FILE.wasm")
fi
hyperfine -N --style basic --runs "$HELLO_RUNS" --warmup 10 \
    --export-json "$OUT/hello.json" "${hello_cmds[@]}" >"$OUT/hello.log" 2>&1 ||
    die "hyperfine failed for hello (see $OUT/hello.log)"
# label, median, first and third quartile (s), one line per command, in order.
"$PY" - "$OUT/hello.json" "${hello_labels[@]}" >"$OUT/hello.tsv" <<'PY'
import json, statistics, sys
results = json.load(open(sys.argv[1]))["results"]
for label, r in zip(sys.argv[2:], results):
    q = statistics.quantiles(r["times"], n=4)
    print("%s\t%.6f\t%.6f\t%.6f" % (label, statistics.median(r["times"]), q[0], q[2]))
PY

# ---- 3. the container path's cost ----------------------------------------------

# Paired differences: file and image runs of hello, alternated; the wall time and
# the CPU time (user + system, from the children's rusage) of each. Prints the
# median wall difference, its quartiles, and the median CPU difference (s).
read -r paired paired_q1 paired_q3 paired_cpu < <("$PY" - "$WASMBOX" "$DEMO/hello.wasm" "$PAIRS" <<'PY'
import resource, statistics, subprocess, sys, time
wb, wasm, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def once(cmd):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter_ns()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    wall = time.perf_counter_ns() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall / 1e9, cpu
file_cmd, ctr_cmd = [wb, "run", wasm], [wb, "run", "--rm", "demo/hello"]
for _ in range(10):
    once(file_cmd), once(ctr_cmd)
dw, dc = [], []
for i in range(n):
    if i % 2:
        c, f = once(ctr_cmd), once(file_cmd)
    else:
        f, c = once(file_cmd), once(ctr_cmd)
    dw.append(c[0] - f[0])
    dc.append(c[1] - f[1])
q = statistics.quantiles(dw, n=4)
print("%.6f %.6f %.6f %.6f" % (statistics.median(dw), q[0], q[2], statistics.median(dc)))
PY
)

# ---- 4. image sizes ------------------------------------------------------------

# bytes NAME: the image's size as `wasmbox inspect` gives it (what `images` shows).
image_bytes() {
    "$WASMBOX" inspect "demo/$1" | sed -n 's/^ *"Size": *\([0-9]*\),*$/\1/p' | head -n 1
}
# layer_bytes FILE: FILE alone in a tar layer, gzip'd, as a registry carries it.
layer_bytes() {
    tar -c --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$(dirname "$1")" \
        "$(basename "$1")" | gzip -9n | wc -c
}
images_col() { "$WASMBOX" images "demo/$1" | awk -v r="demo/$1" '$1 == r { print $NF; exit }'; }

load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the tables ------------------------------------------------------------------

kb() { awk -v b="$1" 'BEGIN { printf "%.1f KB", b / 1000 }'; }
ratio() { fmt_ratio "$1" "$2"; }
ms() { # ms SECONDS: milliseconds with 2 decimals below 100 ms, 1 above
    awk -v t="$1" 'BEGIN { m = t * 1000; if (m >= 100) printf "%.1f ms", m; else printf "%.2f ms", m }'
}
col() { awk -F'\t' -v r="$2" -v c="$3" 'NR == r { print $c }' "$1"; }

verdict=$(awk -v t="$paired" 'BEGIN { print (t <= 0.001 ? "within" : "over") }')
hello_rows=$(wc -l <"$OUT/hello.tsv")
fib_rows=$(wc -l <"$OUT/fib.tsv")
fib_native_total=$(col "$OUT/fib.tsv" 1 5)
fib_native_start=$(col "$OUT/fib.tsv" 1 2)
hello_native=$(col "$OUT/hello.tsv" 1 2)

{
    cat <<EOF
### The seed's measurement: fib(35) and hello as containers (bench/container.sh)

$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores, Linux $(uname -r);
$(date -u '+%Y-%m-%d %H:%M UTC'); $("$RUSTC" --version); load average $load_start at start, $load_end at end.

#### fib(35), the seed's fibonacci.rs: start-up, run and shutdown

Median of $RUNS runs each (the runtimes take turns), from the arrival of the
"Starting" and "Stopped" lines through a pipe; total = median of the per-run sums.
Start-up includes the harness's own posix_spawn, alike for every row; the harness
and the program run on different CPUs (the program on one CPU of its own).

| runtime | start-up | run | shutdown | total (quartiles) | total / native | start-up / native |
|---|---|---|---|---|---|---|
EOF
    for ((i = 1; i <= fib_rows; i++)); do
        printf '| %s | %s | %s | %s | %s (%s–%s) | %s | %s |\n' \
            "$(col "$OUT/fib.tsv" "$i" 1)" "$(ms "$(col "$OUT/fib.tsv" "$i" 2)")" \
            "$(ms "$(col "$OUT/fib.tsv" "$i" 3)")" "$(ms "$(col "$OUT/fib.tsv" "$i" 4)")" \
            "$(ms "$(col "$OUT/fib.tsv" "$i" 5)")" "$(ms "$(col "$OUT/fib.tsv" "$i" 6)")" \
            "$(ms "$(col "$OUT/fib.tsv" "$i" 7)")" \
            "$(ratio "$(col "$OUT/fib.tsv" "$i" 5)" "$fib_native_total")" \
            "$(ratio "$(col "$OUT/fib.tsv" "$i" 2)" "$fib_native_start")"
    done
    cat <<EOF
| seed: classic container (Docker) | | | | 570 ms | | |
| seed: wasmtime shim (Docker) | | | | 800 ms | | |
| seed: WasmEdge shim (Docker) | | | | 9000 ms | | |

#### hello, the seed's main.rs: whole-process wall time

hyperfine -N, median of $HELLO_RUNS runs (10 warm-up).

| runtime | wall time (quartiles) | / native |
|---|---|---|
EOF
    for ((i = 1; i <= hello_rows; i++)); do
        printf '| %s | %s (%s–%s) | %s |\n' "$(col "$OUT/hello.tsv" "$i" 1)" \
            "$(ms "$(col "$OUT/hello.tsv" "$i" 2)")" "$(ms "$(col "$OUT/hello.tsv" "$i" 3)")" \
            "$(ms "$(col "$OUT/hello.tsv" "$i" 4)")" "$(ratio "$(col "$OUT/hello.tsv" "$i" 2)" "$hello_native")"
    done
    cat <<EOF

Container path (image lookup, config, container record, instantiate, run,
teardown) over \`wasmbox run hello.wasm\`: \`run --rm demo/hello\` $(ms "$(col "$OUT/hello.tsv" 2 2)")
against \`run hello.wasm\` $(ms "$(col "$OUT/hello.tsv" 3 2)"): $(fmt_time "$(awk -v a="$(col "$OUT/hello.tsv" 2 2)" -v b="$(col "$OUT/hello.tsv" 3 2)" 'BEGIN { printf "%.6f", a - b }')") by the medians;
$(fmt_time "$paired") as the median of $PAIRS alternated pairs (quartiles $(fmt_time "$paired_q1") to
$(fmt_time "$paired_q3")) — **$verdict the 1 ms budget**; $(fmt_time "$paired_cpu") of CPU time (user + system).

#### Image sizes (the seed's "memory space")

| program | wasm module | \`wasmbox images\` SIZE | native static binary | native in FROM scratch, gzip'd layer | native layer / wasmbox image |
|---|---|---|---|---|---|
EOF
    for p in fibonacci hello; do
        ib=$(image_bytes "$p")
        lb=$(layer_bytes "$OUT/native-$p")
        printf '| %s | %s | %s (%s) | %s | %s | %s |\n' "$p" \
            "$(kb "$(stat -c %s "$DEMO/$p.wasm")")" "$(images_col "$p")" "$(kb "$ib")" \
            "$(kb "$(stat -c %s "$OUT/native-$p")")" "$(kb "$lb")" "$(ratio "$lb" "$ib")"
    done
    cat <<EOF

\`wasmbox images\` counts what a registry carries: the gzip'd layer plus a config
of under 0.5 KB; the native column is the gzip'd layer alone. The native binaries
are rustc -O -C strip=debuginfo -C target-feature=+crt-static, the wasm modules
the same without the last flag.
EOF
} >"$OUT/performance-seed.md"

# ---- the chart ---------------------------------------------------------------------

# Data for bench/seed-chart.gp: label, start-up, run, shutdown, total, the
# seed's total (ms); "-" where a row has no such figure. Labels are split over
# two lines for the x axis.
twolines='{ l = $1; sub(/ \(/, "\\n(", l); sub(/ FILE/, "\\nFILE", l); sub(/ IMAGE/, "\\nIMAGE", l) }'
{
    awk -F'\t' "$twolines"' { printf "\"%s\"\t%.4f\t%.4f\t%.4f\t%.4f\t-\n", l, $2 * 1000, $3 * 1000, $4 * 1000, $5 * 1000 }' "$OUT/fib.tsv"
    printf '"seed: classic\\ncontainer (Docker)"\t-\t-\t-\t-\t570\n'
    printf '"seed: wasmtime\\nshim (Docker)"\t-\t-\t-\t-\t800\n'
    printf '"seed: WasmEdge\\nshim (Docker)"\t-\t-\t-\t-\t9000\n'
} >"$OUT/fib-chart.dat"
# hello's panel is narrow: three lines.
threelines='{ l = $1; sub(/ \(/, "\\n(", l); sub(/^wasmbox /, "wasmbox\\n", l); sub(/ FILE/, "\\nFILE", l); sub(/ IMAGE/, "\\nIMAGE", l) }'
awk -F'\t' "$threelines"' { printf "\"%s\"\t%.4f\n", l, $2 * 1000 }' "$OUT/hello.tsv" >"$OUT/hello-chart.dat"

subtitle="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores, Linux $(uname -r), $(date -u +%Y-%m-%d); median of $RUNS runs (hello: $HELLO_RUNS)"
gnuplot -e "fibdata='$OUT/fib-chart.dat'; hellodata='$OUT/hello-chart.dat'; outfile='$CHART'; subtitle='$subtitle'" \
    "$BENCH_DIR/seed-chart.gp" || die "gnuplot failed"

cat "$OUT/performance-seed.md"
echo
echo "Chart: $CHART"
