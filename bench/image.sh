#!/usr/bin/env bash
# image.sh — what the image side costs: `wasmbox build`, `save` and `load` of the hello
# image and of a 20 MB module, and the image lookup + config parse that every
# `wasmbox run IMAGE` pays, in a store of 1,000 images (target: under 1 ms).
#
#   bench/image.sh            (after make; RUNS=N changes the 10 hyperfine runs)
#
# Needs: build/wasmbox, build/tests/image/image_unit and the hello module the image
# tests build (build/tests/image/hello.wasm), hyperfine, python3, jq. Everything
# happens in a scratch $WASMBOX_ROOT that is removed at the end; hyperfine's JSON goes
# to bench/out/image-*.json.
#
# What is timed: wall time of the whole command (process start included), median of
# RUNS. Build and load include the fsyncs that make them crash-safe (a few ms each on
# these VMs). The 20 MB module is hello.wasm plus a 20 MB custom section of base64
# text (compresses about 4:3, like real code and data).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$REPO/build}
WASMBOX=${WASMBOX:-$BUILD/wasmbox}
UNIT=${UNIT:-$BUILD/tests/image/image_unit}
HELLO=${HELLO:-$BUILD/tests/image/hello.wasm}
RUNS=${RUNS:-10}
OUT=${BENCH_OUT:-$REPO/bench/out}

die() { echo "image.sh: $*" >&2; exit 1; }
for t in hyperfine python3 jq; do command -v "$t" >/dev/null || die "needs $t (scripts/setup installs it)"; done
[ -x "$WASMBOX" ] || die "no wasmbox at $WASMBOX (run make, or set WASMBOX)"
[ -x "$UNIT" ] || die "no image_unit at $UNIT (run make, or set UNIT)"
[ -f "$HELLO" ] || die "no hello module at $HELLO (run make, or set HELLO)"
mkdir -p "$OUT"

T=$(mktemp -d /tmp/wb-bench-image.XXXXXX)
trap 'rm -rf "$T"' EXIT
export WASMBOX_ROOT=$T/root

# contexts: the seed's hello, and a 20 MB module
mkdir -p "$T/hello" "$T/big"
cp "$HELLO" "$T/hello/hello.wasm"
printf 'FROM scratch\nCOPY hello.wasm /hello.wasm\nENTRYPOINT ["/hello.wasm"]\n' >"$T/hello/Dockerfile"
python3 - "$HELLO" "$T/big/big.wasm" <<'EOF'
import base64, os, random, sys
src, dst = sys.argv[1], sys.argv[2]
random.seed(42)
payload = base64.b64encode(random.randbytes(15 * 1024 * 1024))[:20 * 1000 * 1000]
name = b"bench.data"
body = bytes([len(name)]) + name + payload
def leb(n):
    out = bytearray()
    while True:
        b = n & 0x7f; n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n: return bytes(out)
open(dst, "wb").write(open(src, "rb").read() + b"\x00" + leb(len(body)) + body)
EOF
printf 'FROM scratch\nCOPY big.wasm /big.wasm\nENTRYPOINT ["/big.wasm"]\n' >"$T/big/Dockerfile"

"$WASMBOX" build -q -t bench/hello "$T/hello" >/dev/null
"$WASMBOX" build -q -t bench/big "$T/big" >/dev/null
"$WASMBOX" save -o "$T/hello.tar" bench/hello
"$WASMBOX" save -o "$T/big.tar" bench/big

hf() { # hf NAME [hyperfine args...]
    local name=$1; shift
    hyperfine -N --style none --runs "$RUNS" --warmup 1 --export-json "$OUT/image-$name.json" "$@" >/dev/null 2>&1 ||
        hyperfine --style none --runs "$RUNS" --warmup 1 --export-json "$OUT/image-$name.json" "$@" >/dev/null
    jq -r '.results[0] | "\(.median * 1000)"' "$OUT/image-$name.json"
}
row() { printf '| %-52s | %10.2f ms |\n' "$1" "$2"; }

printf "| %-52s | %13s |\n" "operation (median of $RUNS)" time
echo "|------------------------------------------------------|---------------|"
row "build hello ($(stat -c %s "$HELLO") B module)" "$(hf build-hello "$WASMBOX build -q -t bench/hello $T/hello")"
row "build 20 MB module" "$(hf build-big "$WASMBOX build -q -t bench/big $T/big")"
row "save hello" "$(hf save-hello "$WASMBOX save -o $T/s1.tar bench/hello")"
row "save 20 MB module" "$(hf save-big "$WASMBOX save -o $T/s2.tar bench/big")"
row "load hello (into an empty store)" "$(hf load-hello --prepare "rm -rf $T/root2" \
    "env WASMBOX_ROOT=$T/root2 $WASMBOX load -q -i $T/hello.tar")"
row "load 20 MB module (into an empty store)" "$(hf load-big --prepare "rm -rf $T/root2" \
    "env WASMBOX_ROOT=$T/root2 $WASMBOX load -q -i $T/big.tar")"

# a store of 1,000 images (distinct configs sharing the hello layer), written directly
python3 - "$WASMBOX_ROOT" 1000 <<'EOF'
import hashlib, json, os, sys
root, n = sys.argv[1], int(sys.argv[2])
idx = json.load(open(f"{root}/index.json"))
base = next(d for d in idx["manifests"] if d.get("annotations", {}).get("org.opencontainers.image.ref.name") == "bench/hello:latest")
blob = lambda d: f"{root}/blobs/sha256/{d[7:]}"
man = json.load(open(blob(base["digest"])))
cfg = json.load(open(blob(man["config"]["digest"])))
def put(obj):
    raw = json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()
    d = "sha256:" + hashlib.sha256(raw).hexdigest()
    open(blob(d), "wb").write(raw)
    return d, len(raw)
for i in range(1, n + 1):
    cfg.setdefault("config", {})["Labels"] = {"n": str(i)}
    cd, cs = put(cfg)
    man["config"]["digest"], man["config"]["size"] = cd, cs
    md, ms = put(man)
    idx["manifests"].append({"mediaType": man["mediaType"], "digest": md, "size": ms,
                             "platform": {"architecture": "wasm", "os": "wasi"},
                             "annotations": {"org.opencontainers.image.ref.name": f"bench/img{i}:latest"}})
tmp = f"{root}/index.json.tmp"
json.dump(idx, open(tmp, "w"), separators=(",", ":"))
os.replace(tmp, f"{root}/index.json")
EOF
cold=$( { /usr/bin/time -f %e "$WASMBOX" inspect --format '{{.Id}}' bench/img500 >/dev/null; } 2>&1)
row "first lookup after another tool changed index.json" "$(awk "BEGIN{print $cold * 1000}")"
warm=$("$UNIT" bench "$WASMBOX_ROOT" 1000)
row "lookup + config parse, 1,000 images (in process)" "$(awk '{print $5 / 1000}' <<<"$warm")"
row "wasmbox inspect, 1,000 images (whole process)" "$(hf inspect-1000 "$WASMBOX inspect --format {{.Id}} bench/img777")"
echo
echo "$warm"
