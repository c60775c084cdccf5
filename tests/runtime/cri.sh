#!/bin/bash
# cri.sh — the Kubernetes node path without kubelet: a private containerd with its CRI
# plugin, configured with the runtime entry the project ships
# (deploy/containerd/wasmbox-runtime.toml, BinaryName pointed at the binary under test),
# driven through the CRI gRPC API exactly as kubelet drives it by cri/cri_client.py,
# which runs deploy/kubernetes/pod.yaml. The pod's pause container is classic (runc,
# through wasmbox-runtime); its app containers are wasm.
. "$(dirname "$0")/lib.sh"
need_root
need containerd ctr containerd-shim-runc-v2 podman runc gcc
. "$(dirname "$0")/containerd-lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3 # Debian's: its grpc and yaml modules (another python may come first)
if ! $PY -c 'import grpc, grpc_tools, yaml' 2>/dev/null; then
    fail "prerequisite: python3-grpcio, python3-grpc-tools and python3-yaml (scripts/setup)"
    finish
fi

W=$(mktemp -d /tmp/wbrt-cri.XXXXXX)
D=$W/containerd
TAG=localhost/wbrt-cri-$$
CGP=/wbrt-cri-$$
P=(podman --cgroup-manager=cgroupfs)
CLEANUPS+=("rm -rf $W")
CLEANUPS+=("${P[*]} rmi -f \$(${P[*]} images -q --filter reference='$TAG/*')")
CLEANUPS+=("rmdir_cgroups /sys/fs/cgroup/*$CGP")

# ---- images: pause (classic, static), hello and probe (wasi/wasm) ---------------------
mkdir -p "$W/pause"
gcc -static -O2 -s -o "$W/pause/pause" "$HERE/cri/pause.c" || { fail "build pause"; finish; }
$PY "$HERE/cri/mkimage.py" "$TAG/pause:1" "$W/pause" "$W/pause.tar" '["/pause"]' '[]'
wasm_context "$W/hello" "$HELLO_WASM" hello
wasm_context "$W/probe" "$PROBE_WASM" probe
"${P[@]}" build -q --no-cache --platform wasi/wasm -t "$TAG/hello:1" "$W/hello" >/dev/null 2>&1
"${P[@]}" build -q --no-cache --platform wasi/wasm -t "$TAG/probe:1" "$W/probe" >/dev/null 2>&1
for i in hello probe; do
    "${P[@]}" save -q --format oci-archive -o "$W/$i.tar" "$TAG/$i:1" || fail "podman save $i"
done

# ---- containerd with the CRI plugin and the shipped runtime entry ----------------------
mkdir -p "$D/cni/bin" "$D/cni/net.d" "$D/pods"
cat >"$D/config.toml" <<EOF
version = 2
root = "$D/root"
state = "$D/state"
oom_score = 0
[grpc]
  address = "$D/containerd.sock"
[ttrpc]
  address = "$D/containerd.sock.ttrpc"
[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$D/opt"
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "$TAG/pause:1"
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    enable_selinux = false
    disable_apparmor = true
    restrict_oom_score_adj = true
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "$D/cni/bin"
      conf_dir = "$D/cni/net.d"
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          Root = "$D/runc-root"

EOF
# the shipped entry, with the binary under test and a private root
sed -e "s|BinaryName = .*|BinaryName = \"$RUNTIME\"|" -e "s|Root = .*|Root = \"$D/wasmbox-root\"|" \
    "$TOP/deploy/containerd/wasmbox-runtime.toml" >>"$D/config.toml"
check "containerd parses the shipped runtime entry (config dump)" "BinaryName = \"$RUNTIME\"" \
    containerd --config "$D/config.toml" config dump
containerd_start "$D" true || finish
CTR=(ctr --address "$D/containerd.sock" -n k8s.io)
"${CTR[@]}" images import "$W/pause.tar" >/dev/null 2>&1 || fail "import pause"
for i in hello probe; do
    "${CTR[@]}" images import --all-platforms "$W/$i.tar" >/dev/null 2>&1 || fail "import $i"
done

# ---- the kubelet-like client --------------------------------------------------------
(cd "$W" && $PY -m grpc_tools.protoc -I"$HERE/cri" --python_out=. --grpc_python_out=. \
    "$HERE/cri/cri_subset.proto") || { fail "protoc of cri_subset.proto"; finish; }
PYTHONPATH=$W $PY "$HERE/cri/cri_client.py" "$D/containerd.sock" "$D/pods" \
    "$TOP/deploy/kubernetes/pod.yaml" wasmbox "$TAG/hello:1" "$TAG/probe:1" "$CGP" \
    >"$W/client.out" 2>&1
cat "$W/client.out"
passes=$((passes + $(grep -c '^PASS' "$W/client.out")))
fails=$((fails + $(grep -c '^FAIL' "$W/client.out")))
grep -q '^PASS  cri: StopPodSandbox' "$W/client.out" || fail "the CRI client did not finish"

# the RuntimeClass's handler is the entry's name
check "deploy/kubernetes/runtimeclass.yaml names the handler of the containerd entry" "wasmbox" \
    $PY -c "import yaml; print(yaml.safe_load(open('$TOP/deploy/kubernetes/runtimeclass.yaml'))['handler'])"
check_eq "nothing left in the runtime's root" "" "$(ls "$D/wasmbox-root/k8s.io" 2>/dev/null | grep -v '^\.')"

finish
