# cases_basic.sh — push and pull against a plain docker-registry: the round trip,
# registries.conf, TLS with a CA made here, multi-platform indexes, resuming a killed
# pull, reusing blobs, chunked uploads and the terminal progress display.
# Sourced by driver.sh.

case_http() {
    start_registry reg
    image demo/hello
    "$W" tag demo/hello "$REG/wbx/hello:1"
    local out
    out=$("$W" push --tls-verify=false --digestfile "$T/digest" "$REG/wbx/hello:1" 2>&1)
    has "push: docker's first line" "$out" "The push refers to repository [$REG/wbx/hello]"
    has "push: layers uploaded" "$out" ": Pushed"
    has "push: digest line at the end" "$(tail -1 <<<"$out")" "1: digest: $(manifest_of demo/hello) size: "
    eq "push: --digestfile" "$(cat "$T/digest")" "$(manifest_of demo/hello)"
    eq "registry: serves the same manifest digest" \
        "$(curl -sI -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REG/v2/wbx/hello/manifests/1" |
            tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}')" "$(manifest_of demo/hello)"

    out=$("$W" push --tls-verify=false "$REG/wbx/hello:1" 2>&1)
    has "push again: HEAD finds every blob" "$out" "Layer already exists"
    hasnt "push again: nothing uploaded" "$out" "Pushed"

    local R2=$T/root2
    out=$(with "$R2" "$W" pull --tls-verify=false "$REG/wbx/hello:1" 2>&1)
    has "pull: status line" "$out" "Status: Downloaded newer image for $REG/wbx/hello:1"
    has "pull: digest line" "$out" "Digest: $(manifest_of demo/hello)"
    eq "pull: last line is the name" "$(tail -1 <<<"$out")" "$REG/wbx/hello:1"
    eq "pull: same image ID" "$(with "$R2" "$W" inspect --format '{{.Id}}' "$REG/wbx/hello:1")" "$(image_id demo/hello)"
    eq "pull: runs" "$(with "$R2" "$W" run --rm "$REG/wbx/hello:1" a b)" "hello from wasm a b"
    out=$(with "$R2" "$W" pull --tls-verify=false "$REG/wbx/hello:1" 2>&1)
    has "pull again: up to date" "$out" "Status: Image is up to date"
    has "pull again: blobs reused" "$out" "Already exists"
    eq "pull -q: only the name" "$(with "$R2" "$W" pull -q --tls-verify=false "$REG/wbx/hello:1")" "$REG/wbx/hello:1"
    ok "pull: the store is a valid layout for skopeo" skopeo inspect "oci:$R2:$REG/wbx/hello:1"

    local d; d=$(manifest_of demo/hello)
    out=$(with "$T/root3" "$W" pull --tls-verify=false "$REG/wbx/hello@$d" 2>&1)
    eq "pull by digest: last line is the digest" "$(tail -1 <<<"$out")" "$d"
    eq "pull by digest: runs" "$(with "$T/root3" "$W" run --rm "$REG/wbx/hello@$d")" "hello from wasm"

    out=$("$W" push --tls-verify=false "$REG/wbx/hello:1" "$REG/other/copy:2" 2>&1)
    has "push to another repository: cross-repository mount" "$out" "Mounted from wbx/hello"
    ok "mounted copy pulls" with "$T/root4" "$W" pull -q --tls-verify=false "$REG/other/copy:2"
    grep -q "mount=sha256" "$REGDIR/registry.log" && pass "registry saw the mount requests" || fail "no mount request in the registry log"

    fails_with "pull: unknown tag" "manifest unknown" "$W" pull --tls-verify=false "$REG/wbx/hello:nope"
    fails_with "pull: unknown repository" "404" "$W" pull --tls-verify=false "$REG/wbx/nothing:1"
    fails_with "push: image not in the store" 'not found' "$W" push --tls-verify=false "$REG/wbx/absent:1"
    fails_with "pull: bad reference" "invalid reference format" "$W" pull --tls-verify=false "$REG/Wbx/UPPER:1"
    "$W" pull --tls-verify=maybe "$REG/wbx/hello:1" >/dev/null 2>&1
    eq "pull: a bad --tls-verify value is a usage error" "$?" 125
    fails_with "pull: TLS by default (plain HTTP registry)" "https://$REG/v2/" "$W" pull "$REG/wbx/hello:1"
    local dead; dead=127.0.0.1:$(free_port)
    fails_with "pull: nothing listening" "$dead" "$W" pull --tls-verify=false "$dead/wbx/hello:1"
}

case_insecure_conf() {
    start_registry reg
    image demo/hello
    "$W" tag demo/hello "$REG/wbx/hello:1"
    fails_with "no registries.conf entry: TLS required" "https://$REG" "$W" push "$REG/wbx/hello:1"
    cat >"$CONTAINERS_REGISTRIES_CONF" <<EOF
# v2 format
unqualified-search-registries = ["docker.io"]

[[registry]]
location = "example.com"

[[registry]]
location = "$REG"
insecure = true
EOF
    ok "v2 [[registry]] insecure=true: push" "$W" push "$REG/wbx/hello:1"
    ok "v2 [[registry]] insecure=true: pull" with "$T/r2" "$W" pull "$REG/wbx/hello:1"
    WASMBOX_ROOT=$T/r3 fails_with "--tls-verify=true overrides registries.conf" "https://$REG" \
        "$W" pull --tls-verify=true "$REG/wbx/hello:1"
    cat >"$CONTAINERS_REGISTRIES_CONF" <<EOF
[[registry]]
prefix = "$REG/wbx"
location = "$REG/wbx"
insecure = true
EOF
    ok "v2 prefix covering the repository" with "$T/r4" "$W" pull "$REG/wbx/hello:1"
    cat >"$CONTAINERS_REGISTRIES_CONF" <<EOF
[registries.search]
registries = ['docker.io']

[registries.insecure]
registries = ['other.example:5000',
              '$REG']
EOF
    ok "v1 [registries.insecure]" with "$T/r5" "$W" pull "$REG/wbx/hello:1"
}

# A CA, and a server certificate for 127.0.0.1 signed by it, made with openssl.
make_certs() {
    local d=$1
    mkdir -p "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" -days 2 \
        -subj /CN=wbx-test-ca >/dev/null 2>&1 || fatal "openssl: cannot make a CA"
    openssl req -newkey rsa:2048 -nodes -keyout "$d/server.key" -out "$d/server.csr" \
        -subj /CN=127.0.0.1 >/dev/null 2>&1 || fatal "openssl: cannot make a key"
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$d/ext"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
        -out "$d/server.crt" -days 2 -extfile "$d/ext" >/dev/null 2>&1 || fatal "openssl: cannot sign"
}

case_tls() {
    need skopeo
    make_certs "$T/pki"
    start_registry reg https "  tls:
    certificate: $T/pki/server.crt
    key: $T/pki/server.key"
    image demo/hello
    "$W" tag demo/hello "$REG/wbx/hello:1"
    fails_with "unknown CA: refused" "certificate" "$W" push "$REG/wbx/hello:1"
    fails_with "unknown CA: no plain-HTTP fallback without --tls-verify=false" "https://$REG" \
        "$W" pull "$REG/wbx/hello:1"
    mkdir -p "$HOME/.config/containers/certs.d/$REG"
    cp "$T/pki/ca.crt" "$HOME/.config/containers/certs.d/$REG/ca.crt"
    ok "CA from ~/.config/containers/certs.d/HOST:PORT: push" "$W" push "$REG/wbx/hello:1"
    ok "CA from certs.d: pull" with "$T/r2" "$W" pull "$REG/wbx/hello:1"
    eq "TLS pull runs" "$(with "$T/r2" "$W" run --rm "$REG/wbx/hello:1")" "hello from wasm"
    rm -rf "$HOME/.config/containers/certs.d"
    mkdir -p "$T/certdir" && cp "$T/pki/ca.crt" "$T/certdir/my-ca.crt"
    ok "--cert-dir DIR" with "$T/r3" "$W" pull --cert-dir "$T/certdir" "$REG/wbx/hello:1"
    ok "--tls-verify=false: TLS without verification" with "$T/r4" "$W" pull --tls-verify=false "$REG/wbx/hello:1"
    ok "skopeo pushes over TLS (--dest-cert-dir)" skopeo copy -q --dest-cert-dir "$T/certdir" \
        "oci:$WASMBOX_ROOT:demo/hello:latest" "docker://$REG/wbx/from-skopeo:1"
    ok "wasmbox pulls what skopeo pushed over TLS" with "$T/r5" "$W" pull --cert-dir "$T/certdir" "$REG/wbx/from-skopeo:1"
    fails_with "--cert-dir that does not exist" "does not exist" "$W" pull --cert-dir "$T/nope" "$REG/wbx/hello:1"
}

case_index() {
    start_registry reg
    image demo/hello
    "$W" push -q --tls-verify=false --digestfile "$T/wd" demo/hello "$REG/wbx/multi:wasm" || fatal "push failed"
    local idx
    idx=$(python3 "$HERE/regtool.py" index "$REG" wbx/multi 1 "$(cat "$T/wd")") || fatal "regtool index failed"
    local out
    out=$(with "$T/r1" "$W" pull --tls-verify=false "$REG/wbx/multi:1" 2>&1)
    has "index: digest line names the index" "$out" "Digest: $idx"
    eq "index: the wasi/wasm manifest was picked" "$(with "$T/r1" "$W" inspect --format '{{.Digest}}' "$REG/wbx/multi:1")" "$(cat "$T/wd")"
    eq "index: it runs" "$(with "$T/r1" "$W" run --rm "$REG/wbx/multi:1")" "hello from wasm"
    eq "index: platform" "$(with "$T/r1" "$W" inspect --format '{{.Os}}/{{.Architecture}}' "$REG/wbx/multi:1")" "wasi/wasm"
    ok "index: --platform linux/amd64 picks the other one" with "$T/r2" "$W" pull -q --tls-verify=false --platform linux/amd64 "$REG/wbx/multi:1"
    eq "index: linux/amd64 stored" "$(with "$T/r2" "$W" inspect --format '{{.Os}}/{{.Architecture}}' "$REG/wbx/multi:1")" "linux/amd64"
    WASMBOX_ROOT=$T/r3 fails_with "index: a platform it lacks" "no manifest for linux/arm64 in the image index (it has linux/amd64, wasi/wasm)" \
        "$W" pull --tls-verify=false --platform linux/arm64 "$REG/wbx/multi:1"
    ok "index: pull by the index digest" with "$T/r4" "$W" pull -q --tls-verify=false "$REG/wbx/multi@$idx"
}

# A pull killed half way leaves no trace in the store, and the next one asks only for
# the rest (Range) and finishes. The registry is real; a throttling proxy in front of
# it makes "half way" last long enough to aim at.
case_resume() {
    start_registry reg
    image big/image 8
    "$W" push -q --tls-verify=false big/image "$REG/wbx/big:1" || fatal "push failed"
    touch "$T/throttle"
    python3 "$HERE/faultserver.py" proxy --port-file "$T/proxy.port" --upstream "$REG" \
        --rate 2000000 --throttle-file "$T/throttle" --log "$T/proxy.log" &
    PIDS+=($!)
    local P; P=127.0.0.1:$(wait_port_file "$T/proxy.port") || fatal "proxy did not start"
    local R=$T/r1 before
    mkdir -p "$R"
    with "$R" "$W" images >/dev/null
    before=$(WASMBOX_ROOT=$R store_state)
    # not through with(): $! must be wasmbox itself, or kill -9 would miss it
    WASMBOX_ROOT=$R "$W" pull -q --tls-verify=false "$P/wbx/big:1" >"$T/pull1.out" 2>&1 &
    local pid=$! size=0
    for _ in $(seq 200); do
        [ -n "$(find "$R/.wasmbox/tmp/pulls" -name '*.partial' -size +2000000c 2>/dev/null)" ] && break
        sleep 0.05
    done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    size=$(find "$R/.wasmbox/tmp/pulls" -name '*.partial' -printf '%s\n' 2>/dev/null | sort -n | tail -1)
    size=${size:-0}
    [ "$size" -gt 2000000 ] && pass "pull killed with $size bytes of the layer downloaded" || fatal "the pull never got half way ($size bytes)"
    eq "killed pull: the store is as it was" "$(WASMBOX_ROOT=$R store_state)" "$before"
    WASMBOX_ROOT=$R fails_with "killed pull: no image" "not found" "$W" run --rm "$P/wbx/big:1"
    rm -f "$T/throttle"
    local out
    out=$(with "$R" "$W" pull --tls-verify=false "$P/wbx/big:1" 2>&1)
    has "second pull finishes" "$out" "Status: Downloaded newer image"
    local r; r=$(grep -o 'bytes=[0-9]*-' "$T/proxy.log" | tail -1)
    [ -n "$r" ] && [ "${r#bytes=}" != "0-" ] && pass "second pull resumed with a Range request ($r)" || fail "no Range request seen: $(cat "$T/proxy.log")"
    eq "resumed image runs" "$(with "$R" "$W" run --rm "$P/wbx/big:1")" "hello from wasm"
    eq "resumed image: same ID as pushed" "$(with "$R" "$W" inspect --format '{{.Id}}' "$P/wbx/big:1")" "$(image_id big/image)"
    local f ok_all=1
    for f in "$R"/blobs/sha256/*; do
        [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "${f##*/}" ] || ok_all=0
    done
    eq "every stored blob matches its digest" "$ok_all" 1
    eq "no partial download left" "$(find "$R/.wasmbox/tmp/pulls" -name '*.partial' | wc -l)" 0
}

# Blobs the store has are never fetched again: after rmi of one name, a pull of it
# downloads only the manifest.
case_reuse() {
    start_registry reg
    image demo/hello 1
    "$W" push -q --tls-verify=false demo/hello "$REG/wbx/hello:1" || fatal "push failed"
    local R=$T/r1
    ok "first pull" with "$R" "$W" pull -q --tls-verify=false "$REG/wbx/hello:1"
    with "$R" "$W" tag "$REG/wbx/hello:1" keep/me:1
    ok "rmi the pulled name" with "$R" "$W" rmi "$REG/wbx/hello:1"
    local n_before n_after out
    n_before=$(grep -c 'GET /v2/wbx/hello/blobs/' "$REGDIR/registry.log")
    out=$(with "$R" "$W" pull --tls-verify=false "$REG/wbx/hello:1" 2>&1)
    n_after=$(grep -c 'GET /v2/wbx/hello/blobs/' "$REGDIR/registry.log")
    has "pull after rmi: layers reused" "$out" "Already exists"
    eq "pull after rmi: no blob downloaded" "$n_after" "$n_before"
    eq "pull after rmi: runs" "$(with "$R" "$W" run --rm "$REG/wbx/hello:1")" "hello from wasm"
    # another image sharing the layer: only its own blobs travel
    local ctx=$T/ctx2
    mkdir -p "$ctx" && cp "$HELLO" "$ctx/hello.wasm"
    printf 'FROM demo/hello\nLABEL second=yes\n' >"$ctx/Dockerfile"
    "$W" build -q -t "$REG/wbx/second:1" "$ctx" >/dev/null || fatal "build failed"
    out=$("$W" push --tls-verify=false "$REG/wbx/second:1" 2>&1)
    has "push of a derived image mounts or skips the shared layer" "$out" "Mounted from wbx/hello"
    out=$(with "$R" "$W" pull --tls-verify=false "$REG/wbx/second:1" 2>&1)
    has "pull of a derived image reuses the shared layer" "$out" "Already exists"
}

# Blobs over WASMBOX_PUSH_CHUNK_SIZE go up in several PATCHes; skopeo re-hashes them.
case_chunked() {
    need skopeo
    start_registry reg
    image big/image 3
    local out
    out=$(WASMBOX_PUSH_CHUNK_SIZE=1000000 "$W" push --tls-verify=false big/image "$REG/wbx/chunked:1" 2>&1)
    has "chunked push succeeds" "$out" "1: digest: "
    local patches; patches=$(grep -c '"PATCH /v2/wbx/chunked/blobs/uploads/' "$REGDIR/registry.log")
    [ "$patches" -ge 3 ] && pass "chunked push: $patches PATCH requests" || fail "chunked push: only $patches PATCH requests"
    mkdir -p "$T/verify"
    ok "skopeo copies (and re-hashes) the chunked upload" skopeo copy -q --src-tls-verify=false \
        "docker://$REG/wbx/chunked:1" "dir:$T/verify"
    ok "wasmbox pulls it back" with "$T/r1" "$W" pull -q --tls-verify=false "$REG/wbx/chunked:1"
    eq "same image ID" "$(with "$T/r1" "$W" inspect --format '{{.Id}}' "$REG/wbx/chunked:1")" "$(image_id big/image)"
}

# On a terminal: one bar per layer with bytes and rate; elsewhere only status lines.
case_progress() {
    need script
    start_registry reg
    image big/image 4
    "$W" push -q --tls-verify=false big/image "$REG/wbx/big:1" || fatal "push failed"
    local out
    out=$(WASMBOX_ROOT=$T/r1 script -qec "$W pull --tls-verify=false $REG/wbx/big:1" /dev/null 2>&1)
    has "terminal: progress bar" "$out" "Downloading ["
    has "terminal: bytes" "$out" "MB/"
    has "terminal: rate" "$out" "/s"
    has "terminal: cursor moves up to redraw" "$out" $'\033[1A'
    out=$(with "$T/r2" "$W" pull --tls-verify=false "$REG/wbx/big:1" 2>&1 | cat)
    hasnt "pipe: no progress bar" "$out" "Downloading ["
    hasnt "pipe: no escape sequences" "$out" $'\033['
    has "pipe: final status per layer" "$out" ": Pull complete"
    out=$(WASMBOX_ROOT=$T/r3 script -qec "$W pull -q --tls-verify=false $REG/wbx/big:1" /dev/null 2>&1)
    eq "-q on a terminal: only the name" "$(tr -d '\r' <<<"$out")" "$REG/wbx/big:1"
    rm -f "$WASMBOX_ROOT/.wasmbox/registry-sources.json" # no mount: upload
    out=$(script -qec "$W push --tls-verify=false big/image $REG/wbx/big2:1" /dev/null 2>&1)
    has "terminal push: progress bar" "$out" "Pushing ["
    has "terminal push: final status" "$out" "Pushed"
}
