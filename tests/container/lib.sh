# lib.sh — what every container test script shares: a private WASMBOX_ROOT, the
# probe image, and checks that count passes and failures.
#
# Each script sources this file, calls the check_* functions, and ends with
# `finish`, which prints the tally and exits non-zero if anything failed.
# Environment (set by CTest, see CMakeLists.txt): WASMBOX (the binary), PROBE_WASM,
# HELLO_WASM, FIB_WASM (the demo programs).

set -u
W=${WASMBOX:?set WASMBOX to the wasmbox binary}
export WASMBOX_ROOT
WASMBOX_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/wbctr.XXXXXX")
SCRATCH=$WASMBOX_ROOT.scratch
mkdir -p "$SCRATCH"
PASS=0
FAIL=0

cleanup() {
    # Stop whatever a failed test left running, then remove everything.
    local ids
    ids=$("$W" ps -aq --no-trunc 2>/dev/null)
    [ -n "$ids" ] && "$W" rm -f $ids >/dev/null 2>&1
    rm -rf "$WASMBOX_ROOT" "$SCRATCH"
}
trap cleanup EXIT

ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $1"; shift; for l in "$@"; do echo "    $l"; done; }

# check NAME EXPECTED ACTUAL
check_eq() {
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected: $2" "actual:   $3"; fi
}
# matches TEXT REGEX: grep -E per line, except that "^$" means "empty".
matches() {
    if [ "$2" = '^$' ]; then [ -z "$1" ]; else printf '%s' "$1" | grep -Eq -- "$2"; fi
}
# check_match NAME REGEX ACTUAL
check_match() {
    if printf '%s' "$3" | grep -Eq -- "$2"; then ok "$1"; else not_ok "$1" "expected to match: $2" "actual: $3"; fi
}
check_nomatch() {
    if printf '%s' "$3" | grep -Eq -- "$2"; then not_ok "$1" "expected not to match: $2" "actual: $3"; else ok "$1"; fi
}
# check_run NAME STATUS STDOUT_REGEX STDERR_REGEX -- CMD...: runs CMD, checks all three
check_run() {
    local name=$1 want=$2 out_re=$3 err_re=$4
    shift 5
    local out err st
    out=$("$@" 2>"$SCRATCH/stderr")
    st=$?
    err=$(cat "$SCRATCH/stderr")
    if [ "$st" != "$want" ]; then
        not_ok "$name" "status $st, expected $want" "stdout: $out" "stderr: $err"
    elif [ -n "$out_re" ] && ! matches "$out" "$out_re"; then
        not_ok "$name" "stdout does not match: $out_re" "stdout: $out"
    elif [ -n "$err_re" ] && ! matches "$err" "$err_re"; then
        not_ok "$name" "stderr does not match: $err_re" "stderr: $err"
    else
        ok "$name"
    fi
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Waits up to $2 seconds for "$1" (a shell condition) to hold.
wait_for() {
    local until=$(($(now_ms) + ${2:-10} * 1000))
    while ! eval "$1"; do
        [ "$(now_ms)" -ge "$until" ] && return 1
        sleep 0.05
    done
    return 0
}

# inspect_field CONTAINER KEY[.KEY...]: one field of `container inspect`, raw.
inspect_field() {
    "$W" container inspect "$1" 2>/dev/null | python3 -c '
import json, sys
v = json.load(sys.stdin)[0]
for k in sys.argv[1].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print(v if not isinstance(v, (dict, list, bool)) else json.dumps(v))' "$2"
}

# Builds test/probe: the probe module at /bin/probe.wasm, a data file, ENV, CMD.
build_probe_image() {
    local ctx=$SCRATCH/probe-ctx
    mkdir -p "$ctx/etc"
    cp "${PROBE_WASM:?}" "$ctx/probe.wasm"
    echo "data from the image" >"$ctx/data.txt"
    cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY probe.wasm /bin/probe.wasm
COPY data.txt /etc/data.txt
ENV GREETING=hello MODE=image
ENTRYPOINT ["/bin/probe.wasm"]
CMD ["hello"]
DOCKERFILE
    "$W" build -t test/probe "$ctx" >/dev/null 2>"$SCRATCH/build.err" || {
        echo "Bail out! cannot build test/probe: $(cat "$SCRATCH/build.err")"
        exit 1
    }
}

finish() {
    # Supervisors write only errors (and sanitizer reports) to their log.
    local bad
    bad=$(cat "$WASMBOX_ROOT"/containers/*/supervisor.log 2>/dev/null | head -5)
    if [ -n "$bad" ]; then not_ok "supervisors reported no error" "$bad"; else ok "supervisors reported no error"; fi
    echo "# $PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
}
