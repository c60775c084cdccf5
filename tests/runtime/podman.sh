#!/bin/bash
# podman.sh — podman (4.3, conmon) with wasmbox-runtime as its OCI runtime.
#
# wasi/wasm images built by `podman build --platform wasi/wasm` (and, when the
# wasmbox CLI can, built by `wasmbox build` and loaded from `wasmbox save`), the
# "compat" linux/amd64 image selected by its annotation, run --rm / -d / logs /
# stop / rm, exit codes, -e, -v (rw and ro), -t, podman stats reading the cgroup,
# a published port reaching the guest's listening socket, and a classic busybox
# container handed to runc through the same runtime.
. "$(dirname "$0")/lib.sh"
need_root
need podman conmon runc jq curl

W=$(mktemp -d /tmp/wbrt-podman.XXXXXX)
TAG=localhost/wbrt-$$
LABEL=wbrt-test-$$
P=(podman --cgroup-manager=cgroupfs)
U=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024) # no CAP_SYS_RESOURCE on these hosts
RUN=("${P[@]}" run --label "$LABEL" --runtime "$RUNTIME" "${U[@]}")
CLEANUPS+=("rm -rf $W")
CLEANUPS+=("${P[*]} rmi -f \$(${P[*]} images -q --filter reference='$TAG/*')")
CLEANUPS+=("rmdir_cgroups /sys/fs/cgroup/*/libpod_parent") # podman's cgroup parent, if unused
CLEANUPS+=("${P[*]} rm -af --filter label=$LABEL")

# ---- images ---------------------------------------------------------------------------
wasm_context "$W/hello" "$HELLO_WASM" hello
wasm_context "$W/probe" "$PROBE_WASM" probe
wasm_context "$W/serve" "$SERVE_WASM" serve
build() { "${P[@]}" build -q --no-cache "$@" >"$W/build.log" 2>&1 || { cat "$W/build.log"; return 1; }; }
build --platform wasi/wasm -t "$TAG/hello:1" "$W/hello"
build --platform wasi/wasm -t "$TAG/probe:1" "$W/probe"
build --platform wasi/wasm -t "$TAG/serve:1" "$W/serve"
build --platform linux/amd64 --annotation module.wasm.image/variant=compat -t "$TAG/hello-compat:1" "$W/hello"
busybox_rootfs "$W/bb"
tar -C "$W/bb" -cf "$W/bb.tar" .
"${P[@]}" import -q --change 'CMD ["/bin/sh"]' "$W/bb.tar" "$TAG/busybox:1" >/dev/null
check "podman build --platform wasi/wasm" "wasi/wasm" \
    "${P[@]}" image inspect --format '{{.Os}}/{{.Architecture}}' "$TAG/hello:1"

# ---- wasm containers --------------------------------------------------------------------
check "run --rm --platform wasi/wasm prints the greeting" "Hello WebAssembly in Docker!" \
    "${RUN[@]}" --rm --network none --platform wasi/wasm "$TAG/hello:1"
check "run --rm of the compat image (module.wasm.image/variant=compat)" "Hello WebAssembly in Docker!" \
    "${RUN[@]}" --rm --network none "$TAG/hello-compat:1"
check "the arguments after the image reach the guest" "argv[2]=two words" \
    "${RUN[@]}" --rm --network none --platform wasi/wasm "$TAG/probe:1" args "two words"
check_rc "the exit code propagates" 7 \
    "${RUN[@]}" --rm --network none --platform wasi/wasm "$TAG/probe:1" exit 7
check_rc "a trap gives 134" 134 \
    "${RUN[@]}" --rm --network none --platform wasi/wasm "$TAG/probe:1" trap
check "-e reaches the guest" "GREETING=from-podman" \
    "${RUN[@]}" --rm --network none --platform wasi/wasm -e GREETING=from-podman "$TAG/probe:1" env
mkdir -p "$W/vol"
echo "volume content" >"$W/vol/in.txt"
check "-v: the volume is visible to the guest" "volume content" \
    "${RUN[@]}" --rm --network none --platform wasi/wasm -v "$W/vol:/data" "$TAG/probe:1" cat /data/in.txt
"${RUN[@]}" --rm --network none --platform wasi/wasm -v "$W/vol:/data" "$TAG/probe:1" write /data/out.txt from-guest >/dev/null 2>&1
check_eq "-v: the guest writes to the volume" "from-guest" "$(cat "$W/vol/out.txt" 2>/dev/null)"
check "-v :ro is read-only for the guest" "Read-only file system" \
    "${RUN[@]}" --rm --network none --platform wasi/wasm -v "$W/vol:/data:ro" "$TAG/probe:1" write /data/x y
check "-t: the guest's output comes through the console socket" "hello from probe" \
    "${RUN[@]}" --rm -t --network none --platform wasi/wasm "$TAG/probe:1" hello
check "--memory caps the guest" "allocated" \
    "${RUN[@]}" --rm --network none --platform wasi/wasm --memory 32m "$TAG/probe:1" grow 200

# detached: logs, inspect, stats, stop, rm
CID=$("${RUN[@]}" -d --network none --platform wasi/wasm --name "wbrt-d-$$" "$TAG/probe:1" tick 0 100)
wait_for sh -c "${P[*]} logs wbrt-d-$$ 2>&1 | grep -q 'tick 2'"
check "-d + podman logs" "tick 2" "${P[@]}" logs "wbrt-d-$$"
check "inspect: running" "running" "${P[@]}" inspect --format '{{.State.Status}}' "wbrt-d-$$"
check "inspect: the runtime is wasmbox-runtime" "$RUNTIME" "${P[@]}" inspect --format '{{.OCIRuntime}}' "wbrt-d-$$"
PID=$("${P[@]}" inspect --format '{{.State.Pid}}' "wbrt-d-$$")
check "the container's process is in its libpod cgroup" "libpod-$CID" cat "/proc/$PID/cgroup"
MEM=$("${P[@]}" stats --no-stream --format '{{.MemUsage}}' "wbrt-d-$$" 2>&1)
if [[ $MEM =~ ^[1-9][0-9.]*[kKMG]i?B ]]; then pass "podman stats reads the container's memory ($MEM)"; else fail "podman stats: '$MEM'"; fi
check "podman top reads the container's process" "probe.wasm" "${P[@]}" top "wbrt-d-$$" args
check_not "podman top sees only the container's processes" "conmon" "${P[@]}" top "wbrt-d-$$" args
check "podman exec of a .wasm in the container" "argv[1]=args" \
    "${P[@]}" exec "wbrt-d-$$" /probe.wasm args x
check "podman exec: env of the exec reaches it" "EXECVAR=1" "${P[@]}" exec -e EXECVAR=1 "wbrt-d-$$" /probe.wasm env
check_rc "podman exec: its exit code" 5 "${P[@]}" exec "wbrt-d-$$" /probe.wasm exit 5
check_rc "podman exec of a native program in a wasm container: 127" 127 "${P[@]}" exec "wbrt-d-$$" sh
"${P[@]}" stop -t 5 "wbrt-d-$$" >/dev/null 2>&1
check "stop: exited" "exited" "${P[@]}" inspect --format '{{.State.Status}}' "wbrt-d-$$"
check "stop: SIGTERM interrupted the guest (143)" "143" "${P[@]}" inspect --format '{{.State.ExitCode}}' "wbrt-d-$$"
check_rc "rm" 0 "${P[@]}" rm "wbrt-d-$$"
check_not "rm removed the runtime's state" "$CID" ls /run/wasmbox-runtime

"${RUN[@]}" -d --network none --platform wasi/wasm --name "wbrt-k-$$" "$TAG/probe:1" spin >/dev/null
wait_for sh -c "${P[*]} logs wbrt-k-$$ 2>&1 | grep -q spinning"
"${P[@]}" kill "wbrt-k-$$" >/dev/null
"${P[@]}" wait "wbrt-k-$$" >/dev/null 2>&1
check "kill: SIGKILL ends a busy guest (137)" "137" "${P[@]}" inspect --format '{{.State.ExitCode}}' "wbrt-k-$$"
"${P[@]}" rm -f "wbrt-k-$$" >/dev/null

# a published port reaches the guest's listening socket in the container's netns
PORT=$((20000 + $$ % 10000))
"${RUN[@]}" -d --platform wasi/wasm --name "wbrt-s-$$" -p "127.0.0.1:$PORT:8080" \
    -e WASMBOX_LISTEN=8080 "$TAG/serve:1" 1 >/dev/null
check "-p: a published port reaches the guest" "hello from wasm server" \
    curl -s --retry 20 --retry-connrefused --retry-delay 0 --max-time 10 "http://127.0.0.1:$PORT/"
"${P[@]}" rm -f "wbrt-s-$$" >/dev/null

# an image from wasmbox build + wasmbox save, loaded by podman
WB=${WASMBOX_TOOLS:-}
[ -x "$WB" ] || WB=${WASMBOX:-}
if [ -x "$WB" ]; then
    export WASMBOX_ROOT=$W/wasmbox-root
    if "$WB" build -t "wbrt/hello-$$" "$W/hello" >"$W/wb.log" 2>&1 &&
        "$WB" save -o "$W/hello-saved.tar" "wbrt/hello-$$" >>"$W/wb.log" 2>&1; then
        LOADED=$("${P[@]}" load -q -i "$W/hello-saved.tar" 2>&1 | sed -n 's/^Loaded image[^:]*: //p' | head -1)
        CLEANUPS+=("${P[*]} rmi -f $LOADED")
        check "an image from wasmbox build + save, loaded by podman, runs" "Hello WebAssembly in Docker!" \
            "${RUN[@]}" --rm --network none --platform wasi/wasm "$LOADED"
    else
        fail "wasmbox build/save of the hello image"
        tail -3 "$W/wb.log"
    fi
    unset WASMBOX_ROOT
else
    fail "no wasmbox CLI at \$WASMBOX_TOOLS or \$WASMBOX: the wasmbox save -> podman load case cannot run"
fi

# ---- classic containers through the same runtime (delegated to runc) -------------------
check "classic busybox through wasmbox-runtime" "classic-ok" \
    "${RUN[@]}" --rm --network none "$TAG/busybox:1" echo classic-ok
check_rc "classic: the exit code propagates" 7 \
    "${RUN[@]}" --rm --network none "$TAG/busybox:1" sh -c 'exit 7'
"${RUN[@]}" -d --network none --name "wbrt-c-$$" "$TAG/busybox:1" sleep 300 >/dev/null
check "classic: podman exec (delegated)" "exec-ok" "${P[@]}" exec "wbrt-c-$$" echo exec-ok
"${P[@]}" stop -t 1 "wbrt-c-$$" >/dev/null 2>&1
check "classic: stop" "exited" "${P[@]}" inspect --format '{{.State.Status}}' "wbrt-c-$$"
"${P[@]}" rm -f "wbrt-c-$$" >/dev/null
check "podman info shows wasmbox-runtime --version" "wasmbox-runtime version" \
    "${P[@]}" --runtime "$RUNTIME" info --format '{{.Host.OCIRuntime.Version}}'

finish
