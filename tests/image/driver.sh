#!/bin/bash
# driver.sh CASE — the image store's end-to-end tests, one CASE per CTest test.
#
# Environment (set by tests/image/CMakeLists.txt):
#   WB_WASMBOX  the wasmbox binary under test
#   WB_UNIT     the image_unit helper (extract / bench)
#   WB_HELLO    a wasm32-wasi module that prints "hello from wasm ARGS..."
#
# Each case runs in its own temporary directory with its own $WASMBOX_ROOT, prints
# PASS/FAIL per check and "N passed, N failed" at the end, and exits non-zero on any
# failure. The interop cases need podman, skopeo, umoci, oci-image-tool and
# containerd (scripts/setup installs them): a tool that cannot run is a FAIL, never
# a skip.
set -u -o pipefail

CASE=${1:?usage: driver.sh CASE}
W=${WB_WASMBOX:?set WB_WASMBOX}
UNIT=${WB_UNIT:?set WB_UNIT}
HELLO=${WB_HELLO:?set WB_HELLO}
HERE=$(cd "$(dirname "$0")" && pwd)

T=$(mktemp -d /tmp/wbimg-test.XXXXXX)
export WASMBOX_ROOT=$T/root
export TMPDIR=$T
unset SOURCE_DATE_EPOCH
passes=0
fails=0
CLEANUP=()

cleanup() {
    local c
    for c in "${CLEANUP[@]}"; do eval "$c" >/dev/null 2>&1; done
    rm -rf "$T"
}
trap cleanup EXIT

pass() { printf 'PASS  %s\n' "$1"; passes=$((passes + 1)); }
fail() { printf 'FAIL  %s\n' "$1"; fails=$((fails + 1)); }

# ok DESC CMD...: CMD exits 0
ok() {
    local desc=$1; shift
    local out
    if out=$("$@" 2>&1); then pass "$desc"; else fail "$desc (rc=$?)"; sed 's/^/      /' <<<"$out" | tail -8; fi
}
# eq DESC GOT WANT
eq() {
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: got [$2], want [$3]"; fi
}
# has DESC HAYSTACK NEEDLE
has() {
    if grep -qF -- "$3" <<<"$2"; then pass "$1"; else fail "$1: [$3] not in:"; sed 's/^/      /' <<<"$2" | head -20; fi
}
# fails_with DESC WANT CMD...: CMD exits non-zero with exactly one line on stderr
# containing WANT, and the store is unchanged.
fails_with() {
    local desc=$1 want=$2; shift 2
    local before after err rc
    before=$(store_state)
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
    err=$(cat "$T/err")
    after=$(store_state)
    if [ $rc -eq 0 ]; then fail "$desc: exited 0"; return; fi
    if ! grep -qF -- "$want" <<<"$err"; then fail "$desc: [$want] not in stderr:"; sed 's/^/      /' <<<"$err" | head -5; return; fi
    local lines; lines=$(grep -vc '^STEP \|^warning: ' <<<"$err")
    if [ "$lines" != 1 ]; then fail "$desc: $lines error lines instead of one:"; sed 's/^/      /' <<<"$err" | head -5; return; fi
    if [ "$before" != "$after" ]; then fail "$desc: the store changed"; return; fi
    pass "$desc"
}
# index.json and the blob list: what "the store left as it was" compares
store_state() {
    [ -d "$WASMBOX_ROOT" ] || return 0
    cat "$WASMBOX_ROOT/index.json" 2>/dev/null
    ls "$WASMBOX_ROOT/blobs/sha256" 2>/dev/null
}
# the image ID (config digest) of REF
image_id() { "$W" inspect --format '{{.Id}}' "$1" 2>/dev/null; }
manifest_of() { "$W" inspect --format '{{.Digest}}' "$1" 2>/dev/null; }
blob() { echo "$WASMBOX_ROOT/blobs/sha256/${1#sha256:}"; }
# the layer digests of REF, one per line
layers_of() { jq -r '.layers[].digest' "$(blob "$(manifest_of "$1")")"; }

# a context directory with hello.wasm and the seed Dockerfile
seed_context() {
    mkdir -p "$1"
    cp "$HELLO" "$1/hello.wasm"
    printf 'FROM scratch\nCOPY hello.wasm /hello.wasm\nENTRYPOINT ["/hello.wasm"]\n' >"$1/Dockerfile"
}

need() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 || { fail "required tool '$t' is not installed (run scripts/setup)"; finish; }
    done
}

finish() {
    echo "$passes passed, $fails failed"
    [ "$fails" -eq 0 ] && [ "$passes" -gt 0 ]
    exit $?
}

. "$HERE/cases_build.sh"
. "$HERE/cases_store.sh"
. "$HERE/cases_interop.sh"

if ! declare -F "case_$CASE" >/dev/null; then
    echo "driver.sh: unknown case $CASE" >&2
    exit 2
fi
"case_$CASE"
finish
