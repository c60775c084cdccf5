# lib.sh — shared by the runtime's test scripts (sourced, bash).
#
# Every script checks things one by one, prints PASS/FAIL per check and a count at
# the end, and exits non-zero on any failure. A prerequisite that is missing (an
# engine that cannot be found or started, no root) is a failure, never a skip: CI
# must not go green on a machine where the engines did not run.
#
# Environment (set by tests/runtime/CMakeLists.txt):
#   RUNTIME     the wasmbox-runtime binary under test (absolute)
#   PROBE_WASM  tests/container/probe.c compiled to wasm32-wasi
#   SERVE_WASM  tests/runtime/serve.c compiled to wasm32-wasi
#   HELLO_WASM  the demo greeting (build/demo/hello.wasm)
#   FIB_WASM    the demo Fibonacci (build/demo/fibonacci.wasm)
#   REAPER      tests/runtime/reaper.c built for the host

set -u -o pipefail

passes=0
fails=0
PIDS=()      # daemons started by the script, stopped by pid on exit
CLEANUPS=()  # commands run on exit, last first

pass() { printf 'PASS  %s\n' "$1"; passes=$((passes + 1)); }
fail() { printf 'FAIL  %s\n' "$1"; fails=$((fails + 1)); }

# check DESC WANT CMD...: PASS if CMD's output (stdout+stderr) contains WANT.
check() {
    local desc=$1 want=$2
    shift 2
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if grep -qF -- "$want" <<<"$out"; then
        pass "$desc"
    else
        fail "$desc (rc=$rc, wanted '$want')"
        sed 's/^/      /' <<<"$out" | tail -8
    fi
}

# check_not DESC UNWANTED CMD...: PASS if CMD's output does not contain UNWANTED.
check_not() {
    local desc=$1 bad=$2
    shift 2
    local out
    out=$("$@" 2>&1)
    if grep -qF -- "$bad" <<<"$out"; then
        fail "$desc (got '$bad')"
        sed 's/^/      /' <<<"$out" | tail -8
    else
        pass "$desc"
    fi
}

# check_eq DESC WANT GOT
check_eq() {
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 (wanted '$2', got '$3')"; fi
}

# check_rc DESC WANT CMD...: PASS if CMD exits with status WANT.
check_rc() {
    local desc=$1 want=$2
    shift 2
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" = "$want" ]; then
        pass "$desc"
    else
        fail "$desc (wanted status $want, got $rc)"
        sed 's/^/      /' <<<"$out" | tail -8
    fi
}

# need CMD...: a prerequisite; fails loudly (and ends the script) when missing.
need() {
    local c
    for c in "$@"; do
        if ! command -v "$c" >/dev/null 2>&1; then
            fail "prerequisite: $c is not installed (scripts/setup installs it)"
            finish
        fi
    done
}

need_root() {
    if [ "$(id -u)" != 0 ]; then
        fail "prerequisite: the runtime tests need root (cgroups, namespaces, engines)"
        finish
    fi
}

wait_for() {
    local i
    for i in $(seq 120); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.25
    done
    return 1
}

# Stops a process we started, by pid, and waits for it.
stop_pid() {
    local p=$1 i
    kill "$p" 2>/dev/null || return 0
    for i in $(seq 100); do
        kill -0 "$p" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$p" 2>/dev/null
}

# Removes (empty) cgroup directories, deepest first, retrying while their last
# processes leave (an engine's monitor may still be exiting).
rmdir_cgroups() {
    local i d
    for i in $(seq 30); do
        for d in "$@"; do [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null; done
        for d in "$@"; do [ -d "$d" ] && continue 2; done
        return 0
    done
}

cleanup_all() {
    local i
    for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do
        eval "${CLEANUPS[$i]}" >/dev/null 2>&1
    done
    for p in "${PIDS[@]}"; do stop_pid "$p"; done
}
trap cleanup_all EXIT

finish() {
    printf 'passed: %d  failed: %d\n' "$passes" "$fails"
    [ "$fails" -eq 0 ] && [ "$passes" -gt 0 ]
    exit $?
}

# A wasm image build context: one module at /NAME.wasm as the entrypoint.
wasm_context() { # DIR WASM NAME
    mkdir -p "$1"
    cp "$2" "$1/$3.wasm"
    printf 'FROM scratch\nCOPY %s.wasm /%s.wasm\nENTRYPOINT ["/%s.wasm"]\n' "$3" "$3" "$3" >"$1/Dockerfile"
}

# A busybox root filesystem (busybox-static), for classic containers.
busybox_rootfs() { # DIR
    mkdir -p "$1/bin" "$1/etc" "$1/tmp"
    cp /bin/busybox "$1/bin/busybox"
    local a
    for a in sh echo cat sleep true env ls id; do ln -sf busybox "$1/bin/$a"; done
    echo 'root:x:0:0:root:/root:/bin/sh' >"$1/etc/passwd"
    echo 'root:x:0:' >"$1/etc/group"
}
