#!/usr/bin/env bash
# container.sh — the seed article's measurement, reproduced: start-up, run and
# shutdown of fib(35) as a container (`wasmbox run --rm IMAGE`) against the same
# program as a native process, median of 50 runs; and the cost of the container
# path itself: `wasmbox run --rm demo/hello` against `wasmbox run hello.wasm`
# (image lookup, config, container record, instantiate, run, teardown), which
# must stay under 1 ms.
#
# The overhead is measured twice: as the difference of hyperfine medians, and as
# the median of paired differences (the two commands alternated 200 times), which
# cancels the drift of a machine shared with other work.
#
# Needs: a built wasmbox (WASMBOX, default build/wasmbox) and its demo programs
# (build/demo/hello.wasm, build/demo/fibonacci.wasm), /usr/bin/rustc for the native
# build of the seed's fibonacci.rs, hyperfine, python3. RUNS changes the 50.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-50}
PAIRS=${PAIRS:-200}
WASMBOX=${WASMBOX:-$REPO_DIR/build/wasmbox}
DEMO=${DEMO:-$(dirname "$WASMBOX")/demo}
RUSTC=${RUSTC:-/usr/bin/rustc}
need hyperfine hyperfine
need python3 python3
[[ -x $WASMBOX ]] || die "no wasmbox at $WASMBOX (run make, or set WASMBOX)"
for f in hello fibonacci; do
    [[ -f $DEMO/$f.wasm ]] || die "no $DEMO/$f.wasm (the demo target builds it)"
done

# A private image store, so the measurement neither sees nor leaves anything.
export WASMBOX_ROOT
WASMBOX_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/wbbench.XXXXXX")
trap 'rm -rf "$WASMBOX_ROOT"' EXIT
mkdir -p "$BENCH_OUT/container" "$BENCH_OUT/native"

image() { # image NAME WASM: FROM scratch, COPY, ENTRYPOINT — the seed's Dockerfile
    local ctx=$WASMBOX_ROOT.ctx/$1
    mkdir -p "$ctx"
    cp "$2" "$ctx/$1.wasm"
    printf 'FROM scratch\nCOPY %s.wasm /%s.wasm\nENTRYPOINT ["/%s.wasm"]\n' "$1" "$1" "$1" >"$ctx/Dockerfile"
    "$WASMBOX" build -t "demo/$1" "$ctx" >/dev/null 2>&1 || die "wasmbox build of demo/$1 failed"
}
image hello "$DEMO/hello.wasm"
image fibonacci "$DEMO/fibonacci.wasm"
rm -rf "$WASMBOX_ROOT.ctx"

native=$BENCH_OUT/native/fibonacci-rs
if [[ -x $RUSTC ]]; then
    [[ $native -nt $REPO_DIR/demo/fibonacci/fibonacci.rs ]] ||
        "$RUSTC" -O -o "$native" "$REPO_DIR/demo/fibonacci/fibonacci.rs" 2>/dev/null ||
        die "native build of fibonacci.rs failed"
else
    note "no $RUSTC: no native column"
    native=
fi

# The first container run of an image unpacks it and compiles the seccomp filter
# once; the runs measured are the ones every later `run` is.
"$WASMBOX" run --rm demo/hello >/dev/null
"$WASMBOX" run --rm demo/fibonacci >/dev/null

t_native=${native:+$(time_cmd ctr-fib-native "$RUNS" 3 "$native")}
t_fib_file=$(time_cmd ctr-fib-file "$RUNS" 3 "$WASMBOX run $DEMO/fibonacci.wasm")
t_fib_ctr=$(time_cmd ctr-fib-container "$RUNS" 3 "$WASMBOX run --rm demo/fibonacci")
t_hello_file=$(time_cmd ctr-hello-file "$RUNS" 5 "$WASMBOX run $DEMO/hello.wasm")
t_hello_ctr=$(time_cmd ctr-hello-container "$RUNS" 5 "$WASMBOX run --rm demo/hello")

# Paired differences: file and container runs of hello, alternated; the wall time
# and the CPU time (user + system, from the children's rusage) of each run.
read -r paired paired_cpu < <(python3 - "$WASMBOX" "$DEMO/hello.wasm" "$PAIRS" <<'PY'
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
print("%.6f %.6f" % (statistics.median(dw), statistics.median(dc)))
PY
)
overhead=$(awk -v a="$t_hello_ctr" -v b="$t_hello_file" 'BEGIN { printf "%.6f", a - b }')
size=$("$WASMBOX" images 2>/dev/null | awk '$1 == "demo/fibonacci" { print $NF; exit }' || true)

verdict() { awk -v t="$1" 'BEGIN { print (t <= 0.001 ? "within" : "over") }'; }
cat <<EOF
### Containers: fib(35) as a container vs native, and the cost of the container path

$(machine_note); $(metric_note); $RUNS runs each (hyperfine -N).

| program | native | \`wasmbox run FILE.wasm\` | \`wasmbox run --rm IMAGE\` | container / native |
|---|---|---|---|---|
| fib(35) (seed's fibonacci.rs) | $(fmt_time "$t_native") | $(fmt_time "$t_fib_file") | $(fmt_time "$t_fib_ctr") | $(fmt_ratio "$t_fib_ctr" "$t_native") |
| hello (seed's main.rs) | — | $(fmt_time "$t_hello_file") | $(fmt_time "$t_hello_ctr") | — |

Container path overhead (image lookup, config, container record, instantiate, run,
teardown) over \`wasmbox run hello.wasm\`: $(fmt_time "$overhead") by medians,
$(fmt_time "$paired") as the median of $PAIRS paired wall-time differences — $(verdict "$paired") the 1 ms
budget; $(fmt_time "$paired_cpu") of CPU time (user + system, median of the paired differences).
On a busy machine the wall-time difference grows with the load (every extra
millisecond of CPU is a chance to be preempted); the CPU time does not.
${size:+Image size of demo/fibonacci: $size.}
EOF
