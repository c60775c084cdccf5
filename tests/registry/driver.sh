#!/bin/bash
# driver.sh CASE — end-to-end tests of `wasmbox pull/push/login/logout` against real
# registries started here on 127.0.0.1 (Debian's docker-registry, distribution 2.8),
# plus skopeo and podman for interop, and faultserver.py for the faults a real
# registry will not produce on demand. One CASE per CTest test.
#
# Environment (set by tests/registry/CMakeLists.txt):
#   WB_WASMBOX  the wasmbox binary under test
#   WB_HELLO    a wasm32-wasi module that prints "hello from wasm ARGS..."
#   SHOWERR=1   (optional) also print the error line of every expected failure
#
# Every case runs in its own directory with its own $WASMBOX_ROOT, $HOME and
# $XDG_RUNTIME_DIR (so credentials land in $XDG_RUNTIME_DIR/containers/auth.json and
# nothing of the machine's own configuration is read or written), prints PASS/FAIL
# per check and "N passed, N failed", and exits non-zero on any failure. A server
# or tool that cannot start is a FAIL, never a skip. Every server is started on a
# free port and stopped by its pid on exit.
set -u -o pipefail

CASE=${1:?usage: driver.sh CASE}
W=${WB_WASMBOX:?set WB_WASMBOX}
HELLO=${WB_HELLO:?set WB_HELLO}
HERE=$(cd "$(dirname "$0")" && pwd)

T=$(mktemp -d /tmp/wbreg-test.XXXXXX)
export WASMBOX_ROOT=$T/root HOME=$T/home XDG_RUNTIME_DIR=$T/run TMPDIR=$T
export CONTAINERS_REGISTRIES_CONF=$T/registries.conf
unset REGISTRY_AUTH_FILE DOCKER_CONFIG XDG_CONFIG_HOME http_proxy https_proxy HTTP_PROXY HTTPS_PROXY
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
: >"$CONTAINERS_REGISTRIES_CONF"
passes=0
fails=0
PIDS=()

cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT

pass() { printf 'PASS  %s\n' "$1"; passes=$((passes + 1)); }
fail() { printf 'FAIL  %s\n' "$1"; fails=$((fails + 1)); }
finish() {
    echo "$passes passed, $fails failed"
    [ "$fails" -eq 0 ] && [ "$passes" -gt 0 ]
    exit $?
}
# fatal MSG: a prerequisite failed; the rest of the case cannot run
fatal() { fail "$1"; finish; }

# ok DESC CMD...: CMD exits 0
ok() {
    local desc=$1; shift
    local out
    if out=$("$@" 2>&1); then pass "$desc"; else fail "$desc (rc=$?)"; sed 's/^/      /' <<<"$out" | tail -8; fi
}
# eq DESC GOT WANT
eq() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: got [$2], want [$3]"; fi; }
# has DESC HAYSTACK NEEDLE
has() {
    if grep -qF -- "$3" <<<"$2"; then pass "$1"; else fail "$1: [$3] not in:"; sed 's/^/      /' <<<"$2" | head -20; fi
}
hasnt() {
    if grep -qF -- "$3" <<<"$2"; then fail "$1: [$3] found in:"; sed 's/^/      /' <<<"$2" | head -20; else pass "$1"; fi
}
# index.json and the blob list: what "the store is as it was" compares
store_state() {
    [ -d "$WASMBOX_ROOT" ] || return 0
    cat "$WASMBOX_ROOT/index.json" 2>/dev/null
    ls "$WASMBOX_ROOT/blobs/sha256" 2>/dev/null
}
# fails_with DESC WANT CMD...: CMD exits non-zero within 60 s with exactly one line on
# stderr, containing WANT, and the store is unchanged.
fails_with() {
    local desc=$1 want=$2; shift 2
    local before after err rc lines
    "$W" images >/dev/null 2>&1 # a store that did not exist yet is created empty first
    before=$(store_state)
    timeout 60 "$@" >"$T/out" 2>"$T/err"
    rc=$?
    err=$(cat "$T/err")
    after=$(store_state)
    if [ $rc -eq 0 ]; then fail "$desc: exited 0"; return; fi
    if [ $rc -eq 124 ]; then fail "$desc: still running after 60 s"; return; fi
    if ! grep -qF -- "$want" <<<"$err"; then fail "$desc: [$want] not in stderr:"; sed 's/^/      /' <<<"$err" | head -5; return; fi
    lines=$(grep -vc '^WARNING' <<<"$err")
    if [ "$lines" != 1 ]; then fail "$desc: $lines error lines instead of one:"; sed 's/^/      /' <<<"$err" | head -5; return; fi
    if [ "$before" != "$after" ]; then fail "$desc: the store changed"; return; fi
    pass "$desc"
    [ -z "${SHOWERR:-}" ] || sed 's/^/      > /' "$T/err"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# wait_port_file FILE: the port a helper wrote, once it is listening
wait_port_file() {
    for _ in $(seq 100); do [ -s "$1" ] && { cat "$1"; return 0; }; sleep 0.1; done
    return 1
}

# start_registry NAME [SCHEME [HTTP_EXTRA [TOP_EXTRA]]]: a docker-registry on a free
# port; sets REG=127.0.0.1:PORT and REGDIR. HTTP_EXTRA lines go under http:
# (indented by the caller), TOP_EXTRA at the top level.
start_registry() {
    local name=$1 scheme=${2:-http} http_extra=${3:-} top_extra=${4:-} port code
    REGDIR=$T/$name
    mkdir -p "$REGDIR/data"
    port=$(free_port)
    cat >"$REGDIR/config.yml" <<EOF
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: $REGDIR/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
$http_extra
$top_extra
EOF
    docker-registry serve "$REGDIR/config.yml" >"$REGDIR/registry.log" 2>&1 &
    PIDS+=($!)
    REG=127.0.0.1:$port
    for _ in $(seq 100); do
        code=$(curl -sk -o /dev/null -w '%{http_code}' "$scheme://$REG/v2/")
        [ "$code" = 200 ] || [ "$code" = 401 ] && return 0
        sleep 0.1
    done
    tail -5 "$REGDIR/registry.log"
    fatal "registry $name did not start (docker-registry, see real-clients.md §7)"
}

# start_fault: faultserver.py serve; sets FAULT=127.0.0.1:PORT, FAULTLOG
start_fault() {
    FAULTLOG=$T/fault.log
    python3 "$HERE/faultserver.py" serve --port-file "$T/fault.port" --log "$FAULTLOG" \
        --throttle-file "$T/fault.slow" &
    PIDS+=($!)
    FAULT=127.0.0.1:$(wait_port_file "$T/fault.port") || fatal "faultserver did not start"
}

# image NAME [PAD_MB]: builds the hello image (plus PAD_MB of random bytes) as NAME
image() {
    local ctx=$T/ctx-$RANDOM
    mkdir -p "$ctx"
    cp "$HELLO" "$ctx/hello.wasm"
    if [ -n "${2:-}" ]; then
        head -c "$(($2 * 1000 * 1000))" /dev/urandom >"$ctx/pad.bin"
        printf 'FROM scratch\nCOPY hello.wasm /hello.wasm\nCOPY pad.bin /pad.bin\nENTRYPOINT ["/hello.wasm"]\n' >"$ctx/Dockerfile"
    else
        printf 'FROM scratch\nCOPY hello.wasm /hello.wasm\nENTRYPOINT ["/hello.wasm"]\n' >"$ctx/Dockerfile"
    fi
    "$W" build -q -t "$1" "$ctx" >/dev/null 2>&1 || "$W" build -t "$1" "$ctx" >/dev/null || fatal "cannot build image $1"
}

manifest_of() { "$W" inspect --format '{{.Digest}}' "$1" 2>/dev/null; }
image_id() { "$W" inspect --format '{{.Id}}' "$1" 2>/dev/null; }
blob() { echo "$WASMBOX_ROOT/blobs/sha256/${1#sha256:}"; }
# with ROOT CMD...: CMD with another store
with() { local r=$1; shift; WASMBOX_ROOT=$r "$@"; }

need() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 || fatal "required tool '$t' is not installed (run scripts/setup)"
    done
}
need docker-registry curl python3 openssl jq

. "$HERE/cases_basic.sh"
. "$HERE/cases_auth.sh"
. "$HERE/cases_interop.sh"
. "$HERE/cases_faults.sh"

if ! declare -F "case_$CASE" >/dev/null; then
    echo "driver.sh: unknown case $CASE" >&2
    exit 2
fi
"case_$CASE"
finish
