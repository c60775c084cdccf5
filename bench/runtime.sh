#!/bin/bash
# bench/runtime.sh — what wasmbox-runtime adds to a container engine's own cost.
#
# For podman (4.3, conmon) and docker (20.10, a private dockerd started here), times
#   floor    the engine running a classic busybox `echo hi` through runc (its own floor)
#   hello    the seed's hello.wasm image through wasmbox-runtime
#   fib      the seed's fibonacci.wasm (fib(35)) through wasmbox-runtime
#   classic  the busybox echo through wasmbox-runtime (handed on to runc)
# as `run --rm` of the whole container, hyperfine median of $RUNS (default 20) after
# 3 warm-ups, and prints one markdown table with each median's ratio and difference
# to the floor. Also `wasmbox-runtime run` of a hello bundle against `runc run` of a
# busybox bundle, without any engine. The target: hello adds under 5 ms to the floor.
#
#   RUNTIME      wasmbox-runtime (default: <repo>/build/wasmbox-runtime)
#   HELLO_WASM   default <repo>/build/demo/hello.wasm
#   FIB_WASM     default <repo>/build/demo/fibonacci.wasm
#   RUNS         runs per command (default 20)
#   ENGINES      "podman docker" (default both)
# Needs root, podman, runc, dockerd, docker, hyperfine, jq, busybox-static.
set -u -o pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
RUNTIME=${RUNTIME:-$REPO/build/wasmbox-runtime}
HELLO_WASM=${HELLO_WASM:-$REPO/build/demo/hello.wasm}
FIB_WASM=${FIB_WASM:-$REPO/build/demo/fibonacci.wasm}
RUNS=${RUNS:-20}
ENGINES=${ENGINES:-podman docker}
DOCKER=/usr/bin/docker # Debian's client (another may shadow it in PATH)

die() { echo "bench/runtime.sh: $*" >&2; exit 1; }
for c in podman runc hyperfine jq dockerd $DOCKER; do
    command -v "$c" >/dev/null || die "$c not found (scripts/setup installs it)"
done
[ -x "$RUNTIME" ] || die "no runtime at $RUNTIME (build it, or set RUNTIME)"
[ -f "$HELLO_WASM" ] && [ -f "$FIB_WASM" ] || die "build the demos first (make), or set HELLO_WASM/FIB_WASM"
[ "$(id -u)" = 0 ] || die "needs root"

W=$(mktemp -d /tmp/wbrt-bench.XXXXXX)
TAG=localhost/wbrt-bench-$$
P=(podman --cgroup-manager=cgroupfs)
U=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
DPID=
HAD_RUN_CONTAINERD=$([ -d /run/containerd ] && echo 1)
cleanup() {
    if [ -n "$DPID" ]; then
        $DOCKER -H "unix://$W/docker/docker.sock" ps -aq | xargs -r $DOCKER -H "unix://$W/docker/docker.sock" rm -f >/dev/null 2>&1
        kill "$DPID" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
        grep -o " $W[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l
        rmdir /sys/fs/cgroup/*/docker 2>/dev/null
        # dockerd's shims put their sockets in /run/containerd/s whatever its roots say
        for _ in $(seq 30); do
            [ -n "$HAD_RUN_CONTAINERD" ] && break
            rmdir /run/containerd/s /run/containerd/fifo 2>/dev/null
            rmdir /run/containerd 2>/dev/null && break
            sleep 0.1
        done
    fi
    "${P[@]}" rmi -f $("${P[@]}" images -q --filter reference="$TAG/*") >/dev/null 2>&1
    rm -rf "$W"
}
trap cleanup EXIT

# ---- images -----------------------------------------------------------------------------
for n in hello fibonacci; do
    mkdir -p "$W/$n"
    cp "$([ $n = hello ] && echo "$HELLO_WASM" || echo "$FIB_WASM")" "$W/$n/$n.wasm"
    printf 'FROM scratch\nCOPY %s.wasm /%s.wasm\nENTRYPOINT ["/%s.wasm"]\n' $n $n $n >"$W/$n/Dockerfile"
    "${P[@]}" build -q --no-cache --platform wasi/wasm -t "$TAG/$n:wasi" "$W/$n" >/dev/null 2>&1 ||
        die "podman build $n"
    "${P[@]}" build -q --no-cache --platform linux/amd64 -t "$TAG/$n:compat" "$W/$n" >/dev/null 2>&1 ||
        die "podman build $n (compat)"
done
mkdir -p "$W/bb/bin"
cp /bin/busybox "$W/bb/bin/" && ln -s busybox "$W/bb/bin/echo" && ln -s busybox "$W/bb/bin/sh"
tar -C "$W/bb" -cf "$W/bb.tar" .
"${P[@]}" import -q "$W/bb.tar" "$TAG/busybox:1" >/dev/null || die "podman import busybox"

# ---- timing -------------------------------------------------------------------------------
ROWS=()
# median NAME CMD: hyperfine's median in ms
median() {
    local name=$1
    shift
    hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$W/$name.json" "$*" >/dev/null 2>&1 ||
        { echo "failed"; return; }
    jq '.results[0].median * 1000' "$W/$name.json"
}
row() { # ENGINE WHAT MS FLOOR
    local r d
    r=$(awk -v a="$3" -v b="$4" 'BEGIN {printf "%.2f", a / b}')
    d=$(awk -v a="$3" -v b="$4" 'BEGIN {printf "%+.1f", a - b}')
    ROWS+=("| $1 | $2 | $(printf '%.1f' "$3") | $r | $d |")
}

if [[ " $ENGINES " == *" podman "* ]]; then
    RUN="${P[*]} run --rm --network none ${U[*]}"
    f=$(median p-floor "$RUN --runtime runc $TAG/busybox:1 echo hi")
    ROWS+=("| podman | busybox echo through runc (floor) | $(printf '%.1f' "$f") | 1.00 | 0 |")
    row podman "hello.wasm through wasmbox-runtime" "$(median p-hello "$RUN --runtime $RUNTIME --platform wasi/wasm $TAG/hello:wasi")" "$f"
    row podman "fib(35) through wasmbox-runtime" "$(median p-fib "$RUN --runtime $RUNTIME --platform wasi/wasm $TAG/fibonacci:wasi")" "$f"
    row podman "busybox echo through wasmbox-runtime (→ runc)" "$(median p-classic "$RUN --runtime $RUNTIME $TAG/busybox:1 echo hi")" "$f"
fi

if [[ " $ENGINES " == *" docker "* ]]; then
    D=$W/docker
    mkdir -p "$D"
    for i in busybox:1 hello:compat fibonacci:compat; do
        "${P[@]}" save -q --format docker-archive -o "$D/${i%%:*}.tar" "$TAG/$i" || die "podman save $i"
    done
    /usr/bin/python3 - "$D" "$RUNTIME" <<'EOF'
import subprocess, sys
d, rt = sys.argv[1], sys.argv[2]
p = subprocess.Popen(["dockerd", "--data-root", d + "/root", "--exec-root", d + "/exec",
                      "--pidfile", d + "/dockerd.pid", "--host", "unix://" + d + "/docker.sock",
                      "--iptables=false", "--ip-masq=false", "--bridge=none",
                      "--add-runtime", "wasmbox=" + rt],
                     stdin=subprocess.DEVNULL, stdout=open(d + "/dockerd.log", "w"),
                     stderr=subprocess.STDOUT, close_fds=True, start_new_session=True)
open(d + "/dockerd.bgpid", "w").write(str(p.pid))
EOF
    DPID=$(cat "$D/dockerd.bgpid")
    export DOCKER_HOST=unix://$D/docker.sock
    for _ in $(seq 120); do $DOCKER version >/dev/null 2>&1 && break; sleep 0.25; done
    $DOCKER version >/dev/null 2>&1 || die "dockerd did not start"
    for i in busybox hello fibonacci; do $DOCKER load -q -i "$D/$i.tar" >/dev/null || die "docker load $i"; done
    RUN="$DOCKER run --rm --network none"
    f=$(median d-floor "$RUN $TAG/busybox:1 echo hi")
    ROWS+=("| docker | busybox echo through runc (floor) | $(printf '%.1f' "$f") | 1.00 | 0 |")
    row docker "hello.wasm through wasmbox-runtime" "$(median d-hello "$RUN --runtime wasmbox $TAG/hello:compat")" "$f"
    row docker "fib(35) through wasmbox-runtime" "$(median d-fib "$RUN --runtime wasmbox $TAG/fibonacci:compat")" "$f"
    row docker "busybox echo through wasmbox-runtime (→ runc)" "$(median d-classic "$RUN --runtime wasmbox $TAG/busybox:1 echo hi")" "$f"
fi

# ---- no engine: the runtimes alone ---------------------------------------------------------
B=$W/bundles
mkdir -p "$B/wasm/rootfs" "$B/bb/rootfs"
cp "$HELLO_WASM" "$B/wasm/rootfs/hello.wasm"
cp -a "$W/bb/." "$B/bb/rootfs/"
spec() { # ARGS_JSON CGROUP
    jq -n --argjson a "$1" --arg cg "$2" '{ociVersion: "1.0.2-dev",
        process: {user: {uid: 0, gid: 0}, args: $a, env: ["PATH=/bin"], cwd: "/"},
        root: {path: "rootfs"},
        mounts: [{destination: "/proc", type: "proc", source: "proc"}],
        linux: {cgroupsPath: $cg, namespaces: [{type: "pid"}, {type: "mount"}, {type: "network"},
                                               {type: "ipc"}, {type: "uts"}]}}'
}
spec '["/hello.wasm"]' "/wbrt-bench-$$/w" >"$B/wasm/config.json"
spec '["echo", "hi"]' "/wbrt-bench-$$/b" >"$B/bb/config.json"
f=$(median r-runc "runc --root $W/runc-root run --bundle $B/bb bench-bb")
ROWS+=("| (none) | runc run of a busybox echo bundle (floor) | $(printf '%.1f' "$f") | 1.00 | 0 |")
row "(none)" "wasmbox-runtime run of a hello.wasm bundle" \
    "$(median r-wasm "$RUNTIME --root $W/wb-root run --bundle $B/wasm bench-w")" "$f"
rmdir /sys/fs/cgroup/*/wbrt-bench-$$ 2>/dev/null

echo
echo "Median of $RUNS runs (hyperfine -N, 3 warm-ups), ms; ratio and difference to each engine's floor."
echo "$(nproc) cores, $(uname -r), $(podman --version), $($DOCKER --version | cut -d, -f1)."
echo
echo "| engine | container | median ms | × floor | Δ ms |"
echo "|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
