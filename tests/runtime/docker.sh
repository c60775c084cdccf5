#!/bin/bash
# docker.sh — a private dockerd (20.10) with wasmbox-runtime registered by
# --add-runtime, and docker-compose on top of it.
#
# Docker 20.10 cannot store wasi/wasm images and passes no annotations, so its route
# is the linux/amd64 "compat" image whose entrypoint is a module: wasmbox-runtime
# recognises it by the module's magic bytes. Checked: run --rm, exit codes, -e, -v,
# -d + logs + stats + update + top + stop + rm, classic busybox through the same
# runtime, and a two-service compose file (one wasm, one classic) up and down.
. "$(dirname "$0")/lib.sh"
need_root
need dockerd /usr/bin/docker docker-compose podman runc containerd
DOCKER_BIN=/usr/bin/docker # Debian's client; another one may come first in PATH
. "$(dirname "$0")/containerd-lib.sh" # remove_run_containerd: dockerd's shims use it too

W=$(mktemp -d /tmp/wbrt-docker.XXXXXX)
D=$W/docker
TAG=localhost/wbrt-dk-$$
P=(podman --cgroup-manager=cgroupfs)
CLEANUPS+=("rm -rf $W")
CLEANUPS+=("${P[*]} rmi -f \$(${P[*]} images -q --filter reference='$TAG/*')")

# ---- images: built with podman for linux/amd64, saved as docker archives --------------
wasm_context "$W/hello" "$HELLO_WASM" hello
wasm_context "$W/probe" "$PROBE_WASM" probe
"${P[@]}" build -q --no-cache --platform linux/amd64 -t "$TAG/hello:1" "$W/hello" >/dev/null 2>&1
"${P[@]}" build -q --no-cache --platform linux/amd64 -t "$TAG/probe:1" "$W/probe" >/dev/null 2>&1
busybox_rootfs "$W/bb"
tar -C "$W/bb" -cf "$W/bb.tar" .
"${P[@]}" import -q --change 'CMD ["/bin/sh"]' "$W/bb.tar" "$TAG/busybox:1" >/dev/null
for i in hello probe busybox; do
    "${P[@]}" save -q --format docker-archive -o "$W/$i.tar" "$TAG/$i:1" || fail "podman save $i"
done

# ---- dockerd ------------------------------------------------------------------------------
mkdir -p "$D"
[ -d /run/containerd ] || CLEANUPS+=("remove_run_containerd")
CLEANUPS+=("docker_cleanup")
docker_cleanup() {
    [ -S "$D/docker.sock" ] && $DOCKER_BIN -H "unix://$D/docker.sock" ps -aq |
        xargs -r $DOCKER_BIN -H "unix://$D/docker.sock" rm -f
    [ -f "$D/dockerd.bgpid" ] && stop_pid "$(cat "$D/dockerd.bgpid")"
    grep -o " $D[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l
    rmdir_cgroups /sys/fs/cgroup/*/docker
}
/usr/bin/python3 - "$D" "$RUNTIME" <<'EOF'
import subprocess, sys
d, rt = sys.argv[1], sys.argv[2]
p = subprocess.Popen(["dockerd", "--data-root", d + "/root", "--exec-root", d + "/exec",
                      "--pidfile", d + "/dockerd.pid", "--host", "unix://" + d + "/docker.sock",
                      "--iptables=false", "--ip-masq=false", "--bridge=none",
                      "--add-runtime", "wasmbox=" + rt],
                     stdin=subprocess.DEVNULL, stdout=open(d + "/dockerd.log", "w"),
                     stderr=subprocess.STDOUT, close_fds=True, start_new_session=True,
                     env={"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"})
open(d + "/dockerd.bgpid", "w").write(str(p.pid))
EOF
export DOCKER_HOST=unix://$D/docker.sock
if ! wait_for $DOCKER_BIN version; then
    fail "dockerd did not start"
    tail -5 "$D/dockerd.log"
    finish
fi
pass "private dockerd started"
DK=($DOCKER_BIN)
for i in hello probe busybox; do "${DK[@]}" load -q -i "$W/$i.tar" >/dev/null || fail "docker load $i"; done
check "the runtime is registered" "wasmbox" "${DK[@]}" info --format '{{json .Runtimes}}'
RUN=("${DK[@]}" run --runtime=wasmbox --network none)

check "docker run --rm --runtime=wasmbox of the compat image prints the greeting" \
    "Hello WebAssembly in Docker!" "${RUN[@]}" --rm "$TAG/hello:1"
check_rc "docker run: the exit code propagates" 7 "${RUN[@]}" --rm "$TAG/probe:1" exit 7
check "docker run -e reaches the guest" "GREETING=docker" "${RUN[@]}" --rm -e GREETING=docker "$TAG/probe:1" env
mkdir -p "$W/vol" && echo "docker volume" >"$W/vol/f.txt"
check "docker run -v: the volume is visible to the guest" "docker volume" \
    "${RUN[@]}" --rm -v "$W/vol:/data:ro" "$TAG/probe:1" cat /data/f.txt
check "docker run -t (console socket through the shim)" "hello from probe" \
    "${RUN[@]}" --rm -t "$TAG/probe:1" hello

"${RUN[@]}" -d --name "wbrt-d-$$" "$TAG/probe:1" tick 0 100 >/dev/null
wait_for sh -c "$DOCKER_BIN logs wbrt-d-$$ 2>&1 | grep -q 'tick 2'"
check "docker logs of a detached wasm container" "tick 2" "${DK[@]}" logs "wbrt-d-$$"
MEM=$("${DK[@]}" stats --no-stream --format '{{.MemUsage}}' "wbrt-d-$$" 2>&1)
if [[ $MEM =~ ^[1-9][0-9.]*[kKMG]i?B ]]; then pass "docker stats reads the container's memory ($MEM)"; else fail "docker stats: '$MEM'"; fi
"${DK[@]}" update --memory 64m --memory-swap 64m "wbrt-d-$$" >/dev/null
CID=$("${DK[@]}" inspect --format '{{.Id}}' "wbrt-d-$$")
check_eq "docker update sets the cgroup's memory limit" 67108864 \
    "$(cat "/sys/fs/cgroup/memory/docker/$CID/memory.limit_in_bytes" 2>/dev/null)"
check "docker top (runtime ps --format json)" "probe.wasm" "${DK[@]}" top "wbrt-d-$$"
check "docker exec of a .wasm" "argv[1]=args" "${DK[@]}" exec "wbrt-d-$$" /probe.wasm args
"${DK[@]}" stop -t 5 "wbrt-d-$$" >/dev/null
check "docker stop: SIGTERM interrupted the guest (143)" "143" \
    "${DK[@]}" inspect --format '{{.State.ExitCode}}' "wbrt-d-$$"
check_rc "docker rm" 0 "${DK[@]}" rm "wbrt-d-$$"

check "classic busybox through --runtime=wasmbox (delegated to runc)" "docker-classic-ok" \
    "${RUN[@]}" --rm "$TAG/busybox:1" echo docker-classic-ok
check_rc "classic: the exit code propagates" 3 "${RUN[@]}" --rm "$TAG/busybox:1" sh -c 'exit 3'

# ---- docker-compose: a wasm service and a classic one ------------------------------------
mkdir -p "$W/compose"
cat >"$W/compose/docker-compose.yml" <<EOF
services:
  wasm:
    image: $TAG/probe:1
    runtime: wasmbox
    network_mode: none
    command: ["args", "from", "compose"]
  classic:
    image: $TAG/busybox:1
    runtime: wasmbox
    network_mode: none
    command: ["echo", "classic-ok"]
EOF
(cd "$W/compose" && docker-compose -p "wbrt$$" up --no-color >"$W/compose/up.log" 2>&1)
check "compose up: the wasm service ran through wasmbox-runtime" "argv[3]=compose" cat "$W/compose/up.log"
check "compose up: the classic service ran (delegated)" "classic-ok" cat "$W/compose/up.log"
check "compose ps: both exited 0" "Exit 0" sh -c "cd '$W/compose' && docker-compose -p wbrt$$ ps"
(cd "$W/compose" && docker-compose -p "wbrt$$" down >"$W/compose/down.log" 2>&1)
check_eq "compose down removed the containers" "" "$("${DK[@]}" ps -aq --filter "label=com.docker.compose.project=wbrt$$")"

finish
