# containerd-lib.sh — starting and stopping a private containerd (sourced after lib.sh).
#
# Private means: its own root, state, sockets and opt dir under one directory, started
# with a clean environment, stdin from /dev/null, its own session and no inherited
# descriptors (containerd hands inherited descriptors on to shims and runtimes, and a
# harness pipe held open by a shim hangs the harness). Shim sockets still go to
# /run/containerd/s (hard-coded in 1.6), named by a hash of our address. Everything
# is stopped by pid on exit: the tasks, containerd, the shims of this containerd.

# containerd_start DIR [CRI]: CRI "true" keeps the CRI plugin (DIR/config.toml must
# then exist already). Returns non-zero (after a FAIL) if it does not come up.
containerd_start() {
    local d=$1 cri=${2:-false}
    mkdir -p "$d/logs"
    if [ "$cri" != true ]; then
        cat >"$d/config.toml" <<EOF
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$d/containerd.sock"
[ttrpc]
  address = "$d/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/opt"
EOF
    fi
    [ -d /run/containerd ] || CLEANUPS+=("remove_run_containerd")
    CLEANUPS+=("containerd_cleanup $d")
    /usr/bin/python3 - "$d" <<'EOF'
import subprocess, sys
d = sys.argv[1]
p = subprocess.Popen(["containerd", "--config", d + "/config.toml"], stdin=subprocess.DEVNULL,
                     stdout=open(d + "/logs/containerd.log", "w"), stderr=subprocess.STDOUT,
                     close_fds=True, start_new_session=True,
                     env={"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"})
open(d + "/containerd.pid", "w").write(str(p.pid))
EOF
    if ! wait_for ctr --address "$d/containerd.sock" version; then
        fail "containerd did not start"
        tail -5 "$d/logs/containerd.log"
        return 1
    fi
    pass "private containerd started ($(ctr --address "$d/containerd.sock" version | awk '/Version/ {v=$2} END {print v}'))"
}

containerd_cleanup() {
    local d=$1 ns t c p
    if [ -S "$d/containerd.sock" ]; then
        for ns in default k8s.io; do
            local ctr=(ctr --address "$d/containerd.sock" -n "$ns")
            for t in $("${ctr[@]}" tasks ls -q 2>/dev/null); do "${ctr[@]}" tasks kill -a -s SIGKILL "$t"; done
            sleep 0.3
            for t in $("${ctr[@]}" tasks ls -q 2>/dev/null); do "${ctr[@]}" tasks delete -f "$t"; done
            for c in $("${ctr[@]}" containers ls -q 2>/dev/null); do "${ctr[@]}" containers delete "$c"; done
        done
    fi
    [ -f "$d/containerd.pid" ] && stop_pid "$(cat "$d/containerd.pid")"
    for p in /proc/[0-9]*; do # the shims of this containerd, by pid
        tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q -- "-address $d/containerd.sock " && stop_pid "${p#/proc/}"
    done
    awk -v d="$d/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r |
        while read -r m; do umount "$m" || umount -l "$m"; done
    rmdir_cgroups /sys/fs/cgroup/*/default # ctr's cgroup parent, if nobody else uses it
}

# /run/containerd, when this script made it: its shim sockets go away with the shims,
# a little after they exit.
remove_run_containerd() {
    local i
    for i in $(seq 30); do
        rmdir /run/containerd/s /run/containerd/fifo 2>/dev/null
        rmdir /run/containerd 2>/dev/null && return
        sleep 0.1
    done
}
