# cases_interop.sh — the same registry shared with skopeo and podman: what wasmbox
# pushes they pull, and what they push (OCI, docker schema 2, the wasm artifact
# shape) wasmbox pulls and runs. Sourced by driver.sh.

case_interop_skopeo() {
    need skopeo
    start_registry reg
    image demo/hello
    ok "wasmbox push" "$W" push -q --tls-verify=false demo/hello "$REG/wbx/hello:1"
    mkdir -p "$T/oci"
    ok "skopeo copies it out (re-hashing every blob)" skopeo copy -q --src-tls-verify=false \
        "docker://$REG/wbx/hello:1" "oci:$T/oci/hello:1"
    has "skopeo inspect: wasi" "$(skopeo inspect --tls-verify=false "docker://$REG/wbx/hello:1")" '"Os": "wasi"'

    "$W" save -o "$T/hello.oci.tar" demo/hello || fatal "wasmbox save failed"
    ok "skopeo pushes an OCI image" skopeo copy -q --dest-tls-verify=false "oci-archive:$T/hello.oci.tar" \
        "docker://$REG/sk/oci:1"
    ok "wasmbox pulls skopeo's OCI push" with "$T/r1" "$W" pull -q --tls-verify=false "$REG/sk/oci:1"
    eq "... and runs it" "$(with "$T/r1" "$W" run --rm "$REG/sk/oci:1")" "hello from wasm"

    ok "skopeo pushes docker schema 2" skopeo copy -q --format v2s2 --dest-tls-verify=false \
        "oci-archive:$T/hello.oci.tar" "docker://$REG/sk/docker:1"
    eq "the registry holds a docker schema 2 manifest" \
        "$(skopeo inspect --raw --tls-verify=false "docker://$REG/sk/docker:1" | jq -r .mediaType)" \
        "application/vnd.docker.distribution.manifest.v2+json"
    ok "wasmbox pulls docker schema 2" with "$T/r2" "$W" pull -q --tls-verify=false "$REG/sk/docker:1"
    eq "... and runs it" "$(with "$T/r2" "$W" run --rm "$REG/sk/docker:1")" "hello from wasm"
    ok "wasmbox pushes the docker image back unchanged" with "$T/r2" "$W" push -q --tls-verify=false \
        "$REG/sk/docker:1" "$REG/sk/docker-again:1"
    eq "same digest after the round trip" \
        "$(skopeo inspect --tls-verify=false "docker://$REG/sk/docker-again:1" | jq -r .Digest)" \
        "$(skopeo inspect --tls-verify=false "docker://$REG/sk/docker:1" | jq -r .Digest)"

    python3 "$HERE/regtool.py" artifact "$REG" wasm/artifact 1 "$HELLO" >/dev/null || fatal "regtool artifact failed"
    ok "wasmbox pulls the wasm OCI artifact shape" with "$T/r3" "$W" pull -q --tls-verify=false "$REG/wasm/artifact:1"
    eq "... as wasi/wasm" "$(with "$T/r3" "$W" inspect --format '{{.Os}}/{{.Architecture}}' "$REG/wasm/artifact:1")" "wasi/wasm"
    eq "... and runs it" "$(with "$T/r3" "$W" run --rm "$REG/wasm/artifact:1" x)" "hello from wasm x"
}

case_interop_podman() {
    need podman
    start_registry reg
    image demo/hello
    # a private podman store: nothing of the machine's images is touched
    local P=(podman --root "$T/podman/root" --runroot "$T/podman/run" --storage-driver vfs
             --cgroup-manager cgroupfs --events-backend file)
    ok "wasmbox push" "$W" push -q --tls-verify=false demo/hello "$REG/wbx/hello:1"
    ok "podman pulls what wasmbox pushed" "${P[@]}" pull -q --tls-verify=false "$REG/wbx/hello:1"
    eq "podman sees wasi/wasm" "$("${P[@]}" image inspect --format '{{.Os}}/{{.Architecture}}' "$REG/wbx/hello:1")" "wasi/wasm"
    eq "podman sees the same image ID" "sha256:$("${P[@]}" image inspect --format '{{.Id}}' "$REG/wbx/hello:1")" "$(image_id demo/hello)"
    "${P[@]}" tag "$REG/wbx/hello:1" "$REG/pod/hello:2"
    ok "podman pushes" "${P[@]}" push -q --tls-verify=false "$REG/pod/hello:2"
    ok "wasmbox pulls what podman pushed" with "$T/r1" "$W" pull -q --tls-verify=false "$REG/pod/hello:2"
    eq "... and runs it" "$(with "$T/r1" "$W" run --rm "$REG/pod/hello:2")" "hello from wasm"
    eq "... same image ID" "$(with "$T/r1" "$W" inspect --format '{{.Id}}' "$REG/pod/hello:2")" "$(image_id demo/hello)"
    "${P[@]}" rmi -a -f >/dev/null 2>&1
}
