#!/bin/bash
# direct.sh — wasmbox-runtime driven by hand, as an engine would, with hand-made
# bundles and no engine: the runc command line, the create/start split, state in
# every phase, kill, delete, what the bundle asks of the host (cgroup + limits,
# namespaces, rlimits, user, oom_score_adj, hooks, terminal), the guest's view
# (args, env, cwd, bind mounts, read-only), errors in --log json, delegation of a
# classic bundle to runc.
#
# Runs under $REAPER (a child subreaper standing in for conmon / the shim): the
# orphaned container inits become its children and it logs their exit statuses.
[ -n "${REAPER_LOG:-}" ] || exec "$REAPER" bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_root
need jq python3 runc

W=$(mktemp -d /tmp/wbrt-direct.XXXXXX)
ROOT=$W/root
CG=wbrt-direct-$$
RT=("$RUNTIME" --root "$ROOT")
CLEANUPS+=("rm -rf $W")
CLEANUPS+=("rmdir_cgroups /sys/fs/cgroup/*/$CG")
# kill whatever is left under our root first (runs before the removals above)
CLEANUPS+=("for c in \$(${RT[*]} list -q); do ${RT[*]} delete --force \$c; done")

# mkbundle NAME ARGS_JSON [JQ_FILTER]: a bundle whose rootfs holds probe.wasm.
mkbundle() {
    local b=$W/$1
    mkdir -p "$b/rootfs/data" "$b/vol"
    cp "$PROBE_WASM" "$b/rootfs/probe.wasm"
    echo "file in rootfs" >"$b/rootfs/data/in-rootfs.txt"
    echo "file in volume" >"$b/vol/in-volume.txt"
    jq -n --arg cg "/$CG/$1" --argjson args "$2" --arg vol "$b/vol" '{
        ociVersion: "1.0.2-dev",
        process: {terminal: false, user: {uid: 0, gid: 0}, args: $args,
                  env: ["PATH=/usr/bin:/bin", "GREETING=hi"], cwd: "/",
                  rlimits: [{type: "RLIMIT_NOFILE", hard: 1024, soft: 1024}]},
        root: {path: "rootfs"},
        hostname: "wasm-host",
        mounts: [{destination: "/proc", type: "proc", source: "proc"},
                 {destination: "/vol", type: "bind", source: $vol, options: ["rbind", "rw"]}],
        linux: {cgroupsPath: $cg,
                namespaces: [{type: "pid"}, {type: "mount"}, {type: "network"},
                             {type: "ipc"}, {type: "uts"}],
                resources: {memory: {limit: 67108864}, pids: {limit: 64}}}
    }' | jq "${3:-.}" >"$b/config.json"
    echo "$b"
}

# exit status of an orphaned init, as the reaper saw it (waits up to 10 s)
exit_of() {
    local i
    for i in $(seq 200); do
        local s
        s=$(awk -v p="$1" '$1 == p {print $2}' "$REAPER_LOG")
        [ -n "$s" ] && { echo "$s"; return; }
        sleep 0.05
    done
    echo "none"
}

# create_fails DESC WANT ID ARGS...: create must fail, saying WANT. Its output goes to a
# file: if it wrongly succeeded, the init would hold a $(...) pipe open forever.
create_fails() {
    local desc=$1 want=$2 id=$3
    shift 3
    "${RT[@]}" create "$@" "$id" >"$W/cf.out" 2>&1
    local rc=$?
    if [ $rc != 0 ] && grep -qF -- "$want" "$W/cf.out"; then
        pass "$desc"
    else
        fail "$desc (rc=$rc, wanted '$want')"
        sed 's/^/      /' "$W/cf.out" | tail -5
        "${RT[@]}" delete --force "$id" >/dev/null 2>&1
    fi
}

status_of() { "${RT[@]}" state "$1" 2>/dev/null | jq -r .status; }

# ---- the command line --------------------------------------------------------------
check "--version names the runtime and the spec" "spec: 1.0.2-dev" "$RUNTIME" --version
check "features is JSON with the hooks" '"startContainer"' sh -c "$RUNTIME features | jq -c .hooks"
check_rc "unknown command fails" 1 "$RUNTIME" frobnicate
check "state of an unknown id is runc's answer (delegated)" "does not exist" "${RT[@]}" state nosuch-$$

# ---- run: create + start + wait + delete in one --------------------------------------
B=$(mkbundle run '["/probe.wasm", "hello"]')
check "run prints the guest's output" "hello from probe" "${RT[@]}" run --bundle "$B" r1-$$
B=$(mkbundle run7 '["/probe.wasm", "exit", "7"]')
check_rc "run returns the guest's exit status" 7 "${RT[@]}" run --bundle "$B" r7-$$
B=$(mkbundle trap '["/probe.wasm", "trap"]')
check_rc "a trap exits 134" 134 "${RT[@]}" run --bundle "$B" rt-$$
check "a trap says so on stderr" "trap: unreachable" "${RT[@]}" run --bundle "$B" rt2-$$
B=$(mkbundle args '["/probe.wasm", "args", "a b", "c"]')
check "process.args reach the guest" "argv[2]=a b" "${RT[@]}" run --bundle "$B" ra-$$
B=$(mkbundle env '["/probe.wasm", "env"]')
check "process.env reaches the guest" "GREETING=hi" "${RT[@]}" run --bundle "$B" re-$$
B=$(mkbundle cat '["/probe.wasm", "cat", "/data/in-rootfs.txt"]')
check "the rootfs is the guest's /" "file in rootfs" "${RT[@]}" run --bundle "$B" rc-$$
B=$(mkbundle vol '["/probe.wasm", "cat", "/vol/in-volume.txt"]')
check "a bind mount is a preopen at its destination" "file in volume" "${RT[@]}" run --bundle "$B" rv-$$
B=$(mkbundle volw '["/probe.wasm", "write", "/vol/out.txt", "written"]')
"${RT[@]}" run --bundle "$B" rw-$$ >/dev/null 2>&1
check_eq "a rw bind mount is writable" "written" "$(cat "$B/vol/out.txt" 2>/dev/null)"
B=$(mkbundle volro '["/probe.wasm", "write", "/vol/out.txt", "x"]' \
    '.mounts[1].options = ["rbind", "ro"]')
check "an ro bind mount is read-only" "Read-only file system" "${RT[@]}" run --bundle "$B" rro-$$
B=$(mkbundle rootro '["/probe.wasm", "write", "/new.txt", "x"]' '.root.readonly = true')
check "root.readonly makes / read-only" "Read-only file system" "${RT[@]}" run --bundle "$B" rrr-$$
B=$(mkbundle rootrw '["/probe.wasm", "write", "/new.txt", "y"]')
"${RT[@]}" run --bundle "$B" rrw-$$ >/dev/null 2>&1
check_eq "a writable rootfs takes writes" "y" "$(cat "$B/rootfs/new.txt" 2>/dev/null)"
B=$(mkbundle cwd '["/probe.wasm", "cat", "/data/in-rootfs.txt"]' '.process.cwd = "/data"')
check "a process.cwd other than / runs" "file in rootfs" "${RT[@]}" run --bundle "$B" rcwd-$$
B=$(mkbundle path '["probe.wasm", "hello"]' '.process.env = ["PATH=/"]')
check "args[0] is searched in PATH inside the rootfs" "hello from probe" "${RT[@]}" run --bundle "$B" rp-$$
B=$(mkbundle grow '["/probe.wasm", "grow", "100"]')
check "the memory limit caps linear memory" "allocated" "${RT[@]}" run --bundle "$B" rg-$$
check_rc "... and growing past it fails in the guest" 3 "${RT[@]}" run --bundle "$B" rg2-$$
(cd "$W/run" && "${RT[@]}" run r-cwd-$$ >/dev/null 2>&1)
check_eq "the bundle defaults to the current directory" 0 $?

# ---- create / start / state / kill / delete, as the engines call them -----------------
B=$(mkbundle split '["/probe.wasm", "lines", "3"]')
"${RT[@]}" create --bundle "$B" --pid-file "$W/split.pid" split-$$ >"$W/split.out" 2>&1
check_eq "create exits 0" 0 $?
PID=$(cat "$W/split.pid" 2>/dev/null)
check_eq "create leaves a live process (the pid file's)" yes "$(kill -0 "$PID" 2>/dev/null && echo yes)"
check_eq "state: created" created "$(status_of split-$$)"
check_eq "state: pid is the pid file's" "$PID" "$("${RT[@]}" state split-$$ | jq .pid)"
check_eq "state: bundle" "$B" "$("${RT[@]}" state split-$$ | jq -r .bundle)"
check_eq "the guest has not run before start" "" "$(cat "$W/split.out")"
check "the init is in linux.cgroupsPath (memory)" "$PID" cat "/sys/fs/cgroup/memory/$CG/split/cgroup.procs"
check "the init is in linux.cgroupsPath (pids)" "$PID" cat "/sys/fs/cgroup/pids/$CG/split/cgroup.procs"
check_eq "memory limit applied to the cgroup" 67108864 "$(cat /sys/fs/cgroup/memory/$CG/split/memory.limit_in_bytes)"
check_eq "pids limit applied to the cgroup" 64 "$(cat /sys/fs/cgroup/pids/$CG/split/pids.max)"
check "process.rlimits applied" "1024                 1024" grep "Max open files" "/proc/$PID/limits"
check_not "new network namespace" "$(readlink /proc/self/ns/net)" readlink "/proc/$PID/ns/net"
check_not "new pid namespace" "$(readlink /proc/self/ns/pid)" readlink "/proc/$PID/ns/pid"
check "ps --format json lists the init" "[$PID]" "${RT[@]}" ps --format json split-$$
"${RT[@]}" start split-$$ >"$W/start.out" 2>&1
check_eq "start exits 0 and prints nothing" "0:" "$?:$(cat "$W/start.out")"
check_eq "the container's exit status reaches the subreaper" 0 "$(exit_of "$PID")"
check "the guest wrote to create's stdout" "line 3" cat "$W/split.out"
check_eq "state: stopped" stopped "$(status_of split-$$)"
check_rc "kill --all of a stopped container succeeds" 0 "${RT[@]}" kill --all split-$$ 9
check_rc "kill of a stopped container fails" 1 "${RT[@]}" kill split-$$ 15
check_rc "delete of a stopped container" 0 "${RT[@]}" delete split-$$
check_eq "its cgroup is gone" no "$([ -d /sys/fs/cgroup/memory/$CG/split ] && echo yes || echo no)"
check_rc "delete --force of a deleted container succeeds" 0 "${RT[@]}" delete --force split-$$
check "state of a deleted container" "does not exist" "${RT[@]}" state split-$$

B=$(mkbundle spin '["/probe.wasm", "spin"]')
"${RT[@]}" create --bundle "$B" --pid-file "$W/spin.pid" spin-$$ >"$W/spin.out" 2>&1
PID=$(cat "$W/spin.pid")
"${RT[@]}" start spin-$$
wait_for grep -q spinning "$W/spin.out"
check_eq "state: running" running "$(status_of spin-$$)"
check_rc "delete of a running container fails without --force" 1 "${RT[@]}" delete spin-$$
"${RT[@]}" pause spin-$$
check_eq "pause: state paused" paused "$(status_of spin-$$)"
"${RT[@]}" resume spin-$$
check_eq "resume: state running" running "$(status_of spin-$$)"
check "exec ID ARGS runs a module in the container" "argv[1]=args" "${RT[@]}" exec spin-$$ /probe.wasm args
jq -n '{args: ["/probe.wasm", "exit", "4"], env: ["A=1"], cwd: "/", user: {uid: 0, gid: 0}}' >"$W/process.json"
check_rc "exec --process FILE returns its status" 4 "${RT[@]}" exec --process "$W/process.json" spin-$$
"${RT[@]}" exec --detach --pid-file "$W/exec.pid" --process "$W/process.json" spin-$$
check_eq "exec --detach: the subreaper reaps it" 4 "$(exit_of "$(cat "$W/exec.pid")")"
"${RT[@]}" exec spin-$$ /probe.wasm tick 1 500 >/dev/null &
EXECBG=$!
sleep 0.2
EPID=$(grep -v "^$PID\$" "/sys/fs/cgroup/pids/$CG/spin/cgroup.procs" | head -1)
check_eq "exec: the process is in the container's cgroup" yes "$([ -n "$EPID" ] && echo yes)"
check_eq "exec: ... and in its pid namespace" "$(readlink /proc/$PID/ns/pid)" "$(readlink /proc/$EPID/ns/pid 2>/dev/null)"
wait "$EXECBG"
echo '{"memory":{"limit":33554432,"reservation":0,"swap":0,"kernel":0},"cpu":{"shares":0,"quota":0,"period":0},"blockIO":{"weight":0}}' |
    "${RT[@]}" update --resources - spin-$$
check_eq "update --resources - (docker update)" 33554432 "$(cat /sys/fs/cgroup/memory/$CG/spin/memory.limit_in_bytes)"
"${RT[@]}" kill spin-$$ 15
check_eq "kill 15 interrupts a busy guest: status 143" 143 "$(exit_of "$PID")"
check_rc "delete after kill" 0 "${RT[@]}" delete spin-$$

# a guest blocked in the host (a sleep in poll_oneoff) is interrupted too; nothing
# here would follow up with SIGKILL, so a missed SIGTERM shows as "none"
B=$(mkbundle sleep '["/probe.wasm", "tick", "1", "60000"]')
"${RT[@]}" create --bundle "$B" --pid-file "$W/sleep.pid" sleep-$$ >/dev/null 2>&1
"${RT[@]}" start sleep-$$
PID=$(cat "$W/sleep.pid")
sleep 0.3
"${RT[@]}" kill sleep-$$ TERM
check_eq "kill TERM interrupts a guest sleeping in poll_oneoff: status 143" 143 "$(exit_of "$PID")"
check_rc "delete it" 0 "${RT[@]}" delete sleep-$$

B=$(mkbundle early '["/probe.wasm", "spin"]')
"${RT[@]}" create --bundle "$B" --pid-file "$W/early.pid" early-$$ >/dev/null 2>&1
PID=$(cat "$W/early.pid")
"${RT[@]}" kill early-$$ TERM
check_eq "SIGTERM in the created phase ends the init (143)" 143 "$(exit_of "$PID")"
check_rc "start of a stopped container fails" 1 "${RT[@]}" start early-$$
check_rc "delete it" 0 "${RT[@]}" delete early-$$

B=$(mkbundle force '["/probe.wasm", "spin"]')
"${RT[@]}" create --bundle "$B" --pid-file "$W/force.pid" force-$$ >/dev/null 2>&1
"${RT[@]}" start force-$$
PID=$(cat "$W/force.pid")
check_rc "delete --force of a running container" 0 "${RT[@]}" delete --force force-$$
check_eq "... killed it (137)" 137 "$(exit_of "$PID")"
"${RT[@]}" create --bundle "$B" dup-$$ >/dev/null 2>&1
create_fails "create of an existing id fails" "container with id exists" dup-$$ --bundle "$B"
"${RT[@]}" delete --force dup-$$ >/dev/null 2>&1

# ---- what the bundle asks of the host --------------------------------------------------
B=$(mkbundle host '["/probe.wasm", "hello"]' \
    '.process.oomScoreAdj = 500 | .process.user = {uid: 1000, gid: 1000, additionalGids: [1001]} | .process.noNewPrivileges = true')
"${RT[@]}" create --bundle "$B" --pid-file "$W/host.pid" host-$$ >/dev/null 2>&1
PID=$(cat "$W/host.pid")
check_eq "oomScoreAdj applied" 500 "$(cat /proc/$PID/oom_score_adj)"
check "process.user uid applied" "1000	1000	1000	1000" grep Uid "/proc/$PID/status"
check "process.user gid applied" "1000	1000	1000	1000" grep Gid "/proc/$PID/status"
check "additionalGids applied" "1001" grep Groups "/proc/$PID/status"
check "noNewPrivileges applied" "NoNewPrivs:	1" grep NoNewPrivs "/proc/$PID/status"
"${RT[@]}" delete --force host-$$

# a namespace given by path is joined (as podman's /run/netns/... and a pod's pause)
unshare --net --uts sleep 60 &
HOLDER=$!
PIDS+=("$HOLDER")
sleep 0.2
B=$(mkbundle join '["/probe.wasm", "hello"]' \
    ".linux.namespaces = [{type: \"pid\"}, {type: \"network\", path: \"/proc/$HOLDER/ns/net\"}, {type: \"uts\", path: \"/proc/$HOLDER/ns/uts\"}]")
"${RT[@]}" create --bundle "$B" --pid-file "$W/join.pid" join-$$ >/dev/null 2>&1
PID=$(cat "$W/join.pid" 2>/dev/null)
check_eq "network namespace joined by path" "$(readlink /proc/$HOLDER/ns/net)" "$(readlink /proc/$PID/ns/net)"
check_eq "uts namespace joined by path" "$(readlink /proc/$HOLDER/ns/uts)" "$(readlink /proc/$PID/ns/uts)"
"${RT[@]}" delete --force join-$$

# a listening socket in the container's network namespace (WASMBOX_LISTEN)
mkdir -p "$W/net"
B=$(mkbundle serve '["/serve.wasm", "1"]' \
    ".process.env += [\"WASMBOX_LISTEN=127.0.0.1:18089\"] | .linux.namespaces = [{type: \"pid\"}, {type: \"network\", path: \"/proc/$HOLDER/ns/net\"}]")
cp "$SERVE_WASM" "$B/rootfs/serve.wasm"
"${RT[@]}" create --bundle "$B" --pid-file "$W/serve.pid" serve-$$ >"$W/serve.out" 2>&1
"${RT[@]}" start serve-$$
nsenter --net="/proc/$HOLDER/ns/net" ip link set lo up
check "a guest accepts on WASMBOX_LISTEN inside the joined network namespace" "hello from wasm server" \
    nsenter --net="/proc/$HOLDER/ns/net" /usr/bin/python3 -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:18089/", timeout=5).read().decode())'
PID=$(cat "$W/serve.pid")
check_eq "the server exited 0" 0 "$(exit_of "$PID")"
"${RT[@]}" delete --force serve-$$

# hooks: state JSON on stdin, in the spec's order
HOOK=$W/hook.sh
printf '#!/bin/sh\n{ echo "$1"; cat; echo; } >> %s/hooks.log\n' "$W" >"$HOOK"
chmod +x "$HOOK"
B=$(mkbundle hooks '["/probe.wasm", "hello"]' \
    ".hooks = {prestart: [{path: \"$HOOK\", args: [\"hook\", \"prestart\"]}], createRuntime: [{path: \"$HOOK\", args: [\"hook\", \"createRuntime\"]}], poststart: [{path: \"$HOOK\", args: [\"hook\", \"poststart\"]}], poststop: [{path: \"$HOOK\", args: [\"hook\", \"poststop\"]}]}")
"${RT[@]}" create --bundle "$B" hooks-$$ >/dev/null 2>&1
"${RT[@]}" start hooks-$$
sleep 0.2
"${RT[@]}" delete hooks-$$
check_eq "hooks ran in order" "prestart createRuntime poststart poststop" \
    "$(grep -v '^{' "$W/hooks.log" | tr '\n' ' ' | sed 's/ *$//')"
check "a hook gets the state on stdin" "\"id\":\"hooks-$$\"" cat "$W/hooks.log"
B=$(mkbundle badhook '["/probe.wasm", "hello"]' '.hooks = {prestart: [{path: "/bin/false"}]}')
create_fails "a failing prestart hook fails create" "prestart hook" badhook-$$ --bundle "$B"
check_rc "... and leaves nothing behind" 1 "${RT[@]}" state badhook-$$

# terminal: the pty's master goes over --console-socket
B=$(mkbundle tty '["/probe.wasm", "hello"]' '.process.terminal = true')
/usr/bin/python3 - "$W/console.sock" "$W/console.out" <<'EOF' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept()
msg, fds, flags, addr = socket.recv_fds(c, 1024, 1)
out = b""
while True:
    try:
        chunk = os.read(fds[0], 1024)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
open(sys.argv[2], "wb").write(msg + b"|" + out)
EOF
PYPID=$!
sleep 0.3
"${RT[@]}" create --bundle "$B" --console-socket "$W/console.sock" tty-$$ >/dev/null 2>&1
"${RT[@]}" start tty-$$
wait "$PYPID"
check "terminal: the guest writes to the pty sent over the console socket" "hello from probe" cat "$W/console.out"
check "terminal: the message names the pts" "/dev/pts/" cat "$W/console.out"
"${RT[@]}" delete --force tty-$$

# ---- errors: stderr and --log json, as podman and the shims read them -------------------
B=$(mkbundle missing '["/nothere.wasm"]' '.annotations = {"module.wasm.image/variant": "compat"}')
"$RUNTIME" --root "$ROOT" --log "$W/log.json" --log-format json create --bundle "$B" miss-$$ >"$W/miss.out" 2>&1
check_eq "a missing program fails create" 1 $?
check "... with runc's words on stderr" "no such file or directory" cat "$W/miss.out"
check "... and a JSON error line in --log" '"level": "error"' sh -c "tail -1 '$W/log.json' | jq ."
B=$(mkbundle rlimit '["/probe.wasm", "hello"]' '.process.rlimits = [{type: "RLIMIT_NOFILE", hard: 100000000, soft: 100000000}]')
create_fails "an rlimit the host refuses fails like runc" \
    "error setting rlimit type 7: operation not permitted" rl-$$ --bundle "$B"
B=$(mkbundle badmod '["/probe.wasm"]' '.annotations = {"run.oci.handler": "wasm"}')
printf '\0asm\1\0\0\0\1' >"$B/rootfs/probe.wasm"
create_fails "a malformed module fails create" "malformed" bad-$$ --bundle "$B"

# ---- the decision: wasm by magic bytes, else the classic runtime ------------------------
BB=$W/classic
busybox_rootfs "$BB/rootfs"
jq -n --arg cg "/$CG/classic" '{ociVersion: "1.0.2-dev",
    process: {terminal: false, user: {uid: 0, gid: 0}, args: ["echo", "classic-ok"],
              env: ["PATH=/bin"], cwd: "/"},
    root: {path: "rootfs"},
    mounts: [{destination: "/proc", type: "proc", source: "proc"},
             {destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "mode=755"]}],
    linux: {cgroupsPath: $cg, namespaces: [{type: "pid"}, {type: "mount"}]}}' >"$BB/config.json"
check "a classic bundle is run by runc" "classic-ok" "${RT[@]}" run --bundle "$BB" classic-$$
check "--classic-runtime picks the classic runtime" "classic runtime \"/nonexistent/runc\"" \
    "$RUNTIME" --root "$ROOT" --classic-runtime /nonexistent/runc run --bundle "$BB" classic2-$$
check "\$WASMBOX_CLASSIC_RUNTIME picks it too" "classic runtime \"/nonexistent/x\"" \
    env WASMBOX_CLASSIC_RUNTIME=/nonexistent/x "$RUNTIME" --root "$ROOT" run --bundle "$BB" classic3-$$
jq '.process.args = ["sh", "-c", "exit 3"]' "$BB/config.json" >"$BB/c" && mv "$BB/c" "$BB/config.json"
"${RT[@]}" create --bundle "$BB" --pid-file "$W/classic.pid" cl-$$ >/dev/null 2>&1
check_eq "classic create/start/state/delete go to runc: created" created "$(status_of cl-$$)"
PID=$(cat "$W/classic.pid")
"${RT[@]}" start cl-$$
check_eq "classic: exit status" 3 "$(exit_of "$PID")"
check_rc "classic: delete" 0 "${RT[@]}" delete cl-$$
B=$(mkbundle sandbox '["/probe.wasm", "hello"]' \
    '.annotations = {"io.kubernetes.cri.container-type": "sandbox", "module.wasm.image/variant": "compat"}')
check "a pod's sandbox container is never wasm" "exec format error" "${RT[@]}" run --bundle "$B" sb-$$

finish
