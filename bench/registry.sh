#!/bin/bash
# registry.sh — `wasmbox pull` and `wasmbox push` of a 20 MB wasm image against a
# local docker-registry (plain HTTP on 127.0.0.1), against `skopeo copy` of the same
# image; median of RUNS (default 5) wall-clock runs each, and the ratio
# wasmbox / skopeo (below 1: wasmbox is faster). Prints one markdown table.
#
#   WASMBOX   the wasmbox binary (default: <repo>/build/wasmbox)
#   RUNS      timed runs per tool and direction (default 5)
#   SIZE_MB   size of the module's random payload (default 20)
#
# Every push goes to an empty registry (its storage is wiped before each run, and
# wasmbox's record of blob locations is dropped, so neither tool can skip or mount
# anything); every pull goes to an empty destination: wasmbox into a fresh
# WASMBOX_ROOT (a store whose blobs are fsynced), skopeo into a fresh oci: layout.
# The runs of the two tools alternate, so that drift of the machine hits both.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
WASMBOX=${WASMBOX:-$REPO_DIR/build/wasmbox}
RUNS=${RUNS:-5}
SIZE_MB=${SIZE_MB:-20}

die() { echo "bench: $*" >&2; exit 1; }
for t in docker-registry skopeo python3 clang curl; do
    command -v "$t" >/dev/null 2>&1 || die "$t not found (scripts/setup installs it)"
done
[ -x "$WASMBOX" ] || die "no wasmbox binary at $WASMBOX (set WASMBOX)"

B=$(mktemp -d /tmp/wbx-bench-registry.XXXXXX)
REG_PID=
cleanup() {
    [ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null
    rm -rf "$B"
}
trap cleanup EXIT

# ---- the image: hello.wasm with a SIZE_MB custom section of random bytes ----------
cat >"$B/hello.c" <<'EOF'
#include <stdio.h>
int main(void) { puts("hello from wasm"); return 0; }
EOF
clang --target=wasm32-wasi --sysroot=/usr -O2 -Wl,--strip-all "$B/hello.c" -o "$B/hello.wasm"
mkdir -p "$B/ctx"
python3 - "$B/hello.wasm" "$B/ctx/module.wasm" "$SIZE_MB" <<'EOF'
import os, sys
def leb(n):
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out
name = b"bench.payload"
payload = leb(len(name)) + name + os.urandom(int(sys.argv[3]) * 1000 * 1000)
with open(sys.argv[2], "wb") as f:
    f.write(open(sys.argv[1], "rb").read() + b"\0" + leb(len(payload)) + payload)
EOF
printf 'FROM scratch\nCOPY module.wasm /module.wasm\nENTRYPOINT ["/module.wasm"]\n' >"$B/ctx/Dockerfile"
export WASMBOX_ROOT=$B/src
"$WASMBOX" build -q -t bench/registry:1 "$B/ctx" >/dev/null
"$WASMBOX" run --rm bench/registry:1 >/dev/null || die "the benchmark image does not run"
mkdir -p "$B/layout"
skopeo copy -q "oci:$B/src:bench/registry:1" "oci:$B/layout:img" # skopeo's source: the same blobs
SIZE=$(du -sb "$B/layout/blobs" | cut -f1)

# ---- the registry --------------------------------------------------------------------
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
REG=127.0.0.1:$PORT
cat >"$B/registry.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $B/data
  delete:
    enabled: true
http:
  addr: $REG
EOF
docker-registry serve "$B/registry.yml" >"$B/registry.log" 2>&1 &
REG_PID=$!
for _ in $(seq 100); do curl -sf "http://$REG/v2/" >/dev/null && break; sleep 0.1; done
curl -sf "http://$REG/v2/" >/dev/null || die "docker-registry did not start: $(tail -3 "$B/registry.log")"

# ---- timing ----------------------------------------------------------------------------
# ms CMD...: wall-clock milliseconds of CMD (which must succeed)
ms() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>"$B/last.err" || die "failed: $* ($(tail -2 "$B/last.err"))"
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000000))
}
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
empty_registry() { rm -rf "$B/data/docker"; }

wb_push() {
    empty_registry
    rm -f "$B/src/.wasmbox/registry-sources.json"
    ms "$WASMBOX" push -q --tls-verify=false bench/registry:1 "$REG/bench/registry:1"
}
sk_push() {
    empty_registry
    ms skopeo copy -q --dest-tls-verify=false "oci:$B/layout:img" "docker://$REG/bench/registry:1"
}
wb_pull() {
    rm -rf "$B/dst"
    WASMBOX_ROOT=$B/dst ms "$WASMBOX" pull -q --tls-verify=false "$REG/bench/registry:1"
}
sk_pull() {
    rm -rf "$B/sk" && mkdir -p "$B/sk"
    ms skopeo copy -q --src-tls-verify=false "docker://$REG/bench/registry:1" "oci:$B/sk/layout:img"
}

wb_push >/dev/null; sk_push >/dev/null # warm-up: page cache, registry code paths
declare -a WPUSH SPUSH WPULL SPULL
for _ in $(seq "$RUNS"); do
    WPUSH+=("$(wb_push)")
    SPUSH+=("$(sk_push)")
done
"$WASMBOX" push -q --tls-verify=false bench/registry:1 "$REG/bench/registry:1" >/dev/null
wb_pull >/dev/null; sk_pull >/dev/null
for _ in $(seq "$RUNS"); do
    WPULL+=("$(wb_pull)")
    SPULL+=("$(sk_pull)")
done
[ "$(WASMBOX_ROOT=$B/dst "$WASMBOX" run --rm "$REG/bench/registry:1")" = "hello from wasm" ] ||
    die "the pulled image does not run"

row() {
    local what=$1 w s
    w=$(median "${@:2:$RUNS}")
    s=$(median "${@:$((RUNS + 2))}")
    printf '| %s | %s | %s | %.2f |\n' "$what" "$w" "$s" "$(echo "$w $s" | awk '{print $1 / $2}')"
}
echo
echo "Image: $(awk -v s="$SIZE" 'BEGIN {printf "%.1f MB", s / 1e6}') of blobs (one ${SIZE_MB} MB wasm layer), registry: docker-registry on $REG, median of $RUNS runs"
echo
echo "| operation | wasmbox (ms) | skopeo copy (ms) | wasmbox / skopeo |"
echo "|---|---|---|---|"
row push "${WPUSH[@]}" "${SPUSH[@]}"
row pull "${WPULL[@]}" "${SPULL[@]}"
echo
echo "runs (ms): wasmbox push ${WPUSH[*]}; skopeo push ${SPUSH[*]}; wasmbox pull ${WPULL[*]}; skopeo pull ${SPULL[*]}"
