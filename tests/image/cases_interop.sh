# cases_interop.sh — the store and archives against the real tools (podman, skopeo,
# umoci, oci-image-tool, containerd's ctr), driven as docs real-clients.md says
# (sourced by driver.sh; uses its helpers). Missing tools fail, never skip.
#
# Names used in podman's shared store are unique per run (localhost/wbimg-test-PID/...)
# and removed at the end.

# podman: loads our archive and sees the same config (also in a run, through a
# stand-in runtime that records config.json and then hands over to runc); wasmbox
# loads what podman save writes, in both formats, from an image podman built.
case_interop_podman() {
    need podman runc jq
    local P=(podman --cgroup-manager=cgroupfs)
    local U=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
    local tag="localhost/wbimg-test-$$/hello:1"
    CLEANUP+=("podman rmi -f $tag docker.io/wbimg-test-$$/ours:1 >/dev/null 2>&1")
    seed_context "$T/ctx"
    ok "build with wasmbox" "$W" build -q -t "wbimg-test-$$/ours:1" "$T/ctx"
    ok "save" "$W" save -o "$T/ours.tar" "wbimg-test-$$/ours:1"
    local out
    out=$("${P[@]}" load -i "$T/ours.tar" 2>&1)
    eq "podman load exit" "$?" 0
    has "podman load names the image" "$out" "Loaded image: docker.io/wbimg-test-$$/ours:1"
    eq "podman sees wasi/wasm" "$("${P[@]}" image inspect --format '{{.Os}}/{{.Architecture}}' "wbimg-test-$$/ours:1")" wasi/wasm
    eq "podman sees the same image ID" "sha256:$("${P[@]}" image inspect --format '{{.Id}}' "wbimg-test-$$/ours:1")" \
        "$(image_id "wbimg-test-$$/ours:1")"
    eq "podman sees the entrypoint" "$("${P[@]}" image inspect --format '{{json .Config.Entrypoint}}' "wbimg-test-$$/ours:1")" \
        '["/hello.wasm"]'
    # a run through a runtime that records what podman hands it
    mkdir -p "$T/trace"
    cat >"$T/trace/runtime" <<EOF
#!/bin/bash
b=; prev=
for a in "\$@"; do [ "\$prev" = --bundle ] && b=\$a; prev=\$a; done
if [ -n "\$b" ]; then
    cp "\$b/config.json" "$T/trace/config.json"
    r=\$(jq -r .root.path "\$b/config.json"); case \$r in /*) ;; *) r=\$b/\$r;; esac
    cp "\$r/hello.wasm" "$T/trace/rootfs-hello.wasm"
fi
exec runc "\$@"
EOF
    chmod +x "$T/trace/runtime"
    "${P[@]}" run --rm --network none --runtime "$T/trace/runtime" "${U[@]}" --platform wasi/wasm \
        "wbimg-test-$$/ours:1" a b >"$T/run.out" 2>&1
    if [ -f "$T/trace/config.json" ]; then
        eq "podman run --platform wasi/wasm: process.args" "$(jq -c .process.args "$T/trace/config.json")" '["/hello.wasm","a","b"]'
        ok "podman run: the rootfs holds the module" cmp "$T/trace/rootfs-hello.wasm" "$HELLO"
    else
        fail "podman run did not reach the runtime:"; sed 's/^/      /' "$T/run.out" | tail -5
    fi
    # the other way: podman build --platform wasi/wasm, podman save, wasmbox load
    ok "podman build --platform wasi/wasm" "${P[@]}" build -q --no-cache --platform wasi/wasm -t "$tag" "$T/ctx"
    ok "podman save oci-archive" "${P[@]}" save -q --format oci-archive -o "$T/p.oci.tar" "$tag"
    ok "podman save docker-archive" "${P[@]}" save -q --format docker-archive -o "$T/p.docker.tar" "$tag"
    local pid; pid=sha256:$("${P[@]}" image inspect --format '{{.Id}}' "$tag")
    out=$("$W" load -i "$T/p.oci.tar")
    eq "wasmbox load of podman's oci-archive" "$out" "Loaded image: $tag"
    eq "same image ID as podman's" "$(image_id "$tag")" "$pid"
    eq "same entrypoint" "$("$W" inspect --format '{{json .Config.Entrypoint}} {{.Os}}/{{.Architecture}}' "$tag")" \
        '["/hello.wasm"] wasi/wasm'
    export WASMBOX_ROOT=$T/root2
    out=$("$W" load -i "$T/p.docker.tar")
    eq "wasmbox load of podman's docker-archive" "$out" "Loaded image: $tag"
    eq "same image ID from the docker-archive" "$(image_id "$tag")" "$pid"
    eq "short name resolves to localhost/" "$(image_id "wbimg-test-$$/hello:1")" "$pid"
    "$UNIT" extract "$WASMBOX_ROOT" "$tag" "$T/rootfs" >/dev/null
    ok "the module podman packed" cmp "$T/rootfs/hello.wasm" "$HELLO"
}

# skopeo and oci-image-tool read the store in place, and our archives.
case_interop_skopeo() {
    need skopeo oci-image-tool jq
    seed_context "$T/ctx"
    ok "build" "$W" build -q -t demo/hello "$T/ctx"
    ok "second name" "$W" tag demo/hello localhost/x/y:2
    local out
    out=$(skopeo inspect "oci:$WASMBOX_ROOT:demo/hello:latest" 2>&1)
    eq "skopeo inspect oci:\$ROOT:demo/hello:latest" "$(jq -r '.Os + "/" + .Architecture' <<<"$out")" wasi/wasm
    eq "skopeo sees our manifest" "$(jq -r .Digest <<<"$out")" "$(manifest_of demo/hello)"
    eq "skopeo --config" "$(skopeo inspect --config "oci:$WASMBOX_ROOT:localhost/x/y:2" | jq -c .config.Entrypoint)" '["/hello.wasm"]'
    mkdir -p "$T/copies"
    ok "skopeo copy re-verifies every digest" skopeo copy -q "oci:$WASMBOX_ROOT:demo/hello:latest" "dir:$T/copies/dir"
    ok "skopeo copy into another layout" skopeo copy -q "oci:$WASMBOX_ROOT:demo/hello:latest" "oci:$T/copies/layout:v1"
    out=$(oci-image-tool validate --type image "$WASMBOX_ROOT" 2>&1)
    has "oci-image-tool validates the store" "$out" "Validation succeeded"
    ok "save" "$W" save -o "$T/a.tar" demo/hello
    eq "skopeo inspect oci-archive:" "$(skopeo inspect "oci-archive:$T/a.tar" | jq -r .Os)" wasi
    eq "skopeo inspect docker-archive:" "$(skopeo inspect "docker-archive:$T/a.tar" | jq -r .Architecture)" wasm
    # skopeo writes, we read: copy back into a fresh layout and load it as an archive
    ok "skopeo copy to oci-archive" skopeo copy -q "oci:$WASMBOX_ROOT:demo/hello:latest" "oci-archive:$T/sk.tar:demo/again:1"
    export WASMBOX_ROOT=$T/root2
    eq "wasmbox loads skopeo's oci-archive" "$("$W" load -i "$T/sk.tar")" "Loaded image: demo/again:1"
    # a store that skopeo changed: the refs cache notices
    export WASMBOX_ROOT=$T/root
    ok "skopeo adds an image to our store" skopeo copy -q "oci:$T/copies/layout:v1" "oci:$WASMBOX_ROOT:added/by-skopeo:1"
    eq "wasmbox sees it" "$(image_id added/by-skopeo:1)" "$(image_id demo/hello)"
}

# umoci reads the store in place.
case_interop_umoci() {
    need umoci
    seed_context "$T/ctx"
    ok "build" "$W" build -q -t demo/hello "$T/ctx"
    ok "tag" "$W" tag demo/hello demo/hello:v2
    local out
    out=$(umoci ls --layout "$WASMBOX_ROOT" 2>&1)
    eq "umoci ls" "$(sort <<<"$out" | tr '\n' ' ')" "demo/hello:latest demo/hello:v2 "
    out=$(umoci stat --image "$WASMBOX_ROOT:demo/hello:latest" 2>&1)
    has "umoci stat shows the COPY layer" "$out" "COPY hello.wasm /hello.wasm"
    out=$(umoci stat --json --image "$WASMBOX_ROOT:demo/hello:v2" 2>&1)
    eq "umoci stat --json: history" "$(jq '.history | length' <<<"$out")" 2
}

# containerd: ctr images import accepts our archive as it is.
case_interop_ctr() {
    need containerd ctr
    local C=$T/containerd
    mkdir -p "$C"
    cat >"$C/config.toml" <<EOF
version = 2
root = "$C/root"
state = "$C/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$C/containerd.sock"
EOF
    containerd --config "$C/config.toml" >"$C/log" 2>&1 &
    local cpid=$!
    CLEANUP=("kill $cpid; while kill -0 $cpid; do sleep 0.2; done; grep -o ' $C[^ ]*' /proc/mounts | xargs -r -n1 umount -l" "${CLEANUP[@]}")
    local CTR=(ctr --address "$C/containerd.sock") i
    for i in $(seq 60); do "${CTR[@]}" version >/dev/null 2>&1 && break; sleep 0.25; done
    ok "containerd started" "${CTR[@]}" version
    seed_context "$T/ctx"
    ok "build" "$W" build -q -t demo/hello "$T/ctx"
    ok "save" "$W" save -o "$T/a.tar" demo/hello
    local out
    out=$("${CTR[@]}" images import "$T/a.tar" 2>&1)
    eq "ctr images import exit" "$?" 0
    has "ctr names it" "$out" "docker.io/demo/hello:latest"
    out=$("${CTR[@]}" images ls 2>&1)
    has "ctr lists it as wasi/wasm" "$(grep docker.io/demo/hello <<<"$out")" "wasi/wasm"
    has "ctr keeps our manifest digest" "$out" "$(manifest_of demo/hello)"
    ok "ctr images export" "${CTR[@]}" images export --platform wasi/wasm "$T/ctr.tar" docker.io/demo/hello:latest
    export WASMBOX_ROOT=$T/root2
    eq "wasmbox loads ctr's export" "$("$W" load -i "$T/ctr.tar")" "Loaded image: demo/hello:latest"
}
