#!/bin/bash
# containerd.sh — a private containerd (1.6, CRI plugin off) running containers
# through wasmbox-runtime with `ctr run --runc-binary`, i.e. the runc v2 shim with
# BinaryName set: wasi/wasm and compat images, exit codes, env, bind mounts, a
# detached task with ps, exec, metrics (read from the cgroup by the shim) and kill,
# an archive written by `wasmbox save`, and classic busybox handed on to runc.
. "$(dirname "$0")/lib.sh"
need_root
need containerd ctr containerd-shim-runc-v2 podman runc
. "$(dirname "$0")/containerd-lib.sh"

W=$(mktemp -d /tmp/wbrt-ctrd.XXXXXX)
C=$W/containerd
TAG=localhost/wbrt-ctr-$$
P=(podman --cgroup-manager=cgroupfs)
CLEANUPS+=("rm -rf $W")
CLEANUPS+=("${P[*]} rmi -f \$(${P[*]} images -q --filter reference='$TAG/*')")

# ---- images (built with podman, saved as OCI archives) ---------------------------------
wasm_context "$W/hello" "$HELLO_WASM" hello
wasm_context "$W/probe" "$PROBE_WASM" probe
"${P[@]}" build -q --no-cache --platform wasi/wasm -t "$TAG/hello:1" "$W/hello" >/dev/null 2>&1
"${P[@]}" build -q --no-cache --platform wasi/wasm -t "$TAG/probe:1" "$W/probe" >/dev/null 2>&1
"${P[@]}" build -q --no-cache --platform linux/amd64 -t "$TAG/hello-compat:1" "$W/hello" >/dev/null 2>&1
busybox_rootfs "$W/bb"
tar -C "$W/bb" -cf "$W/bb.tar" .
"${P[@]}" import -q "$W/bb.tar" "$TAG/busybox:1" >/dev/null
for i in hello probe hello-compat busybox; do
    "${P[@]}" save -q --format oci-archive -o "$W/$i.tar" "$TAG/$i:1" || fail "podman save $i"
done

# ---- containerd -------------------------------------------------------------------------
containerd_start "$C" false || finish
CTR=(ctr --address "$C/containerd.sock")
for i in hello probe hello-compat busybox; do
    "${CTR[@]}" images import --all-platforms "$W/$i.tar" >/dev/null 2>&1 || fail "ctr images import $i"
done
check "ctr images import of a wasi/wasm archive" "wasi/wasm" "${CTR[@]}" images ls
CRUN=("${CTR[@]}" run --rm --runc-binary "$RUNTIME" --runc-root "$C/runc")

check "ctr run of the wasi/wasm image prints the greeting" "Hello WebAssembly in Docker!" \
    "${CRUN[@]}" --platform wasi/wasm "$TAG/hello:1" c1-$$ /hello.wasm
check "ctr run of a linux/amd64 image holding a module (magic bytes)" "Hello WebAssembly in Docker!" \
    "${CRUN[@]}" "$TAG/hello-compat:1" c2-$$ /hello.wasm
check "ctr run --annotation module.wasm.image/variant=compat" "hello from probe" \
    "${CRUN[@]}" --platform wasi/wasm --annotation module.wasm.image/variant=compat \
    "$TAG/probe:1" c3-$$ /probe.wasm hello
check_rc "ctr run: the exit code propagates" 7 \
    "${CRUN[@]}" --platform wasi/wasm "$TAG/probe:1" c4-$$ /probe.wasm exit 7
check "ctr run --env reaches the guest" "FROM_CTR=yes" \
    "${CRUN[@]}" --platform wasi/wasm --env FROM_CTR=yes "$TAG/probe:1" c5-$$ /probe.wasm env
mkdir -p "$W/vol" && echo "ctr volume" >"$W/vol/f.txt"
check "ctr run --mount (bind) is a preopen" "ctr volume" \
    "${CRUN[@]}" --platform wasi/wasm --mount "type=bind,src=$W/vol,dst=/data,options=rbind:ro" \
    "$TAG/probe:1" c6-$$ /probe.wasm cat /data/f.txt

# detached task: ls, ps, exec, metrics (cgroup), kill, delete
"${CTR[@]}" run -d --runc-binary "$RUNTIME" --runc-root "$C/runc" --platform wasi/wasm \
    "$TAG/probe:1" d1-$$ /probe.wasm tick 0 100 >/dev/null 2>&1
check "ctr tasks ls: RUNNING" "RUNNING" "${CTR[@]}" tasks ls
check "ctr tasks metrics reads the container's cgroup" "memory.usage_in_bytes" "${CTR[@]}" tasks metrics d1-$$
check "ctr tasks ps (runtime ps --format json)" "$("${CTR[@]}" tasks ls | awk -v id=d1-$$ '$1 == id {print $2}')" \
    "${CTR[@]}" tasks ps d1-$$
check "ctr tasks exec of a .wasm" "argv[1]=args" \
    "${CTR[@]}" tasks exec --exec-id e1 d1-$$ /probe.wasm args
"${CTR[@]}" tasks kill -s SIGTERM d1-$$ >/dev/null
wait_for sh -c "${CTR[*]} tasks ls | grep d1-$$ | grep -q STOPPED"
check "ctr tasks kill -s SIGTERM stops it" "STOPPED" "${CTR[@]}" tasks ls
check_rc "ctr tasks delete" 0 "${CTR[@]}" tasks delete d1-$$
"${CTR[@]}" containers rm d1-$$ >/dev/null 2>&1

check "classic busybox through wasmbox-runtime (delegated to runc)" "ctr-classic-ok" \
    "${CRUN[@]}" "$TAG/busybox:1" c7-$$ /bin/echo ctr-classic-ok

# an archive written by `wasmbox save`, imported by ctr
WB=${WASMBOX:-}
if [ -x "$WB" ]; then
    if WASMBOX_ROOT=$W/wasmbox-root "$WB" build -t "wbrt/ctr-hello:$$" "$W/hello" >"$W/wb.log" 2>&1 &&
        WASMBOX_ROOT=$W/wasmbox-root "$WB" save -o "$W/saved.tar" "wbrt/ctr-hello:$$" >>"$W/wb.log" 2>&1; then
        "${CTR[@]}" images import --all-platforms "$W/saved.tar" >"$W/import.log" 2>&1
        check "ctr images import of a wasmbox save archive" "docker.io/wbrt/ctr-hello:$$" "${CTR[@]}" images ls -q
        check "ctr run of the wasmbox-built image" "Hello WebAssembly in Docker!" \
            "${CRUN[@]}" --platform wasi/wasm "docker.io/wbrt/ctr-hello:$$" c8-$$ /hello.wasm
    else
        fail "wasmbox build/save of the hello image"
        tail -3 "$W/wb.log"
    fi
else
    fail "no wasmbox CLI at \$WASMBOX: the wasmbox save -> ctr import case cannot run"
fi

finish
