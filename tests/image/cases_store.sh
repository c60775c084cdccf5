# cases_store.sh — store management, archives, bad input, concurrency and crashes
# for driver.sh (sourced; uses its helpers).

blob_count() { ls "$WASMBOX_ROOT/blobs/sha256" | wc -l; }

# images, tag, rmi, inspect, image prune
case_manage() {
    seed_context "$T/ctx"
    ok "build" "$W" build -q -t m/hello "$T/ctx"
    local id; id=$(image_id m/hello)
    ok "tag" "$W" tag m/hello m/hello:v1
    ok "tag with a registry" "$W" tag m/hello localhost/m/hello:2
    eq "tagged names share the ID" "$(image_id m/hello:v1) $(image_id localhost/m/hello:2)" "$id $id"
    eq "short name finds localhost/" "$(image_id m/hello:2)" "$id"
    eq "images lists three names" "$("$W" images | grep -c "${id:7:12}")" 3
    eq "images REPOSITORY filter" "$("$W" images m/hello | tail -n +2 | awk '{print $2}' | sort | tr '\n' ' ')" "latest v1 "
    eq "images -q dedupes one image" "$("$W" images -q)" "${id:7:12}"
    fails_with "tag of a missing image" 'image "m/none" not found' "$W" tag m/none m/x
    fails_with "tag to an invalid name" "invalid reference format" "$W" tag m/hello 'x/UPPER'
    fails_with "rmi by ID with several names" "is referenced by 3 names" "$W" rmi "${id:7:12}"
    local out
    out=$("$W" rmi m/hello:v1)
    eq "rmi NAME only untags" "$out" "Untagged: m/hello:v1"
    eq "the image stays" "$(image_id m/hello)" "$id"
    # a container using the image
    mkdir -p "$WASMBOX_ROOT/containers/c0ffee"
    printf '{"Id":"c0ffee","Image":"%s"}\n' "$id" >"$WASMBOX_ROOT/containers/c0ffee/config.json"
    ok "rmi of one of two names is fine" "$W" rmi localhost/m/hello:2
    fails_with "rmi of an image a container uses" "is used by container c0ffee" "$W" rmi m/hello
    out=$("$W" rmi -f m/hello)
    eq "rmi -f untags" "$out" "Untagged: m/hello:latest"
    eq "rmi -f keeps the image the container uses" "$("$W" images -q)" "${id:7:12}"
    ok "prune keeps it too" "$W" image prune -f
    eq "still there after prune" "$("$W" images -q)" "${id:7:12}"
    rm -rf "$WASMBOX_ROOT/containers"
    local before; before=$(blob_count)
    out=$("$W" image prune -f)
    has "prune deletes the dangling image" "$out" "deleted: sha256:"
    has "prune reports the space" "$out" "Total reclaimed space:"
    eq "prune removed every blob" "$(blob_count)" 0
    [ "$before" -gt 0 ] && pass "there were $before blobs before" || fail "blobs before prune"
    # rmi deletes blobs when no build is running
    ok "rebuild" "$W" build -q -t m/hello "$T/ctx"
    ok "second image" "$W" build -q -t m/two -f <(printf 'FROM m/hello\nENV X=1\n') "$T/ctx"
    before=$(blob_count)
    out=$("$W" rmi m/two)
    has "rmi by name deletes the image" "$out" "Deleted: sha256:"
    eq "rmi collected the config and manifest" "$(blob_count)" $((before - 2))
    eq "inspect of a missing image" "$("$W" inspect m/two 2>&1 >/dev/null)" 'wasmbox: image "m/two" not found'
    fails_with "rmi of a missing image" 'image "m/two" not found' "$W" rmi m/two
    "$W" inspect m/hello nosuch >"$T/out" 2>"$T/err"
    eq "inspect with one missing: status 1" "$?" 1
    eq "inspect still prints the found one" "$(jq length "$T/out")" 1
    eq "inspect --format json" "$("$W" inspect --format '{{json .RootFS.Type}} {{.Size}}' m/hello)" \
        "\"layers\" $(jq '[.config.size] + [.layers[].size] | add' "$(blob "$(manifest_of m/hello)")")"
    ok "image ls" "$W" image ls
    ok "image inspect" "$W" image inspect m/hello
    ok "image rm" "$W" image rm m/hello
    out=$("$W" image prune -a -f)
    has "prune -a" "$out" "Total reclaimed space"
    eq "store empty" "$(jq '.manifests | length' "$WASMBOX_ROOT/index.json") $(blob_count)" "0 0"
    ok "help" "$W" image --help
}

# save / load round trips, determinism, docker-archive and wasm artifacts.
case_archive() {
    seed_context "$T/ctx"
    ok "build" "$W" build -q -t a/hello "$T/ctx"
    ok "second image" "$W" build -q -t a/two -f <(printf 'FROM a/hello\nLABEL two=2\n') "$T/ctx"
    ok "save" "$W" save -o "$T/one.tar" a/hello
    ok "save again" "$W" save -o "$T/one-again.tar" a/hello
    ok "save is deterministic" cmp "$T/one.tar" "$T/one-again.tar"
    eq "archive layout" "$(tar -tf "$T/one.tar" | grep -v '^blobs/sha256/.' | tr '\n' ' ')" \
        "blobs/ blobs/sha256/ index.json manifest.json oci-layout "
    eq "docker manifest.json" "$(tar -xOf "$T/one.tar" manifest.json | jq -c '.[0].RepoTags')" '["a/hello:latest"]'
    ok "save to stdout" bash -c "'$W' save a/hello a/two > '$T/both.tar'"
    local id m
    id=$(image_id a/hello)
    m=$(manifest_of a/hello)
    export WASMBOX_ROOT=$T/root2
    local out
    out=$("$W" load -i "$T/both.tar")
    eq "load prints the names" "$out" "Loaded image: a/hello:latest
Loaded image: a/two:latest"
    eq "same image ID after load" "$(image_id a/hello)" "$id"
    eq "same manifest after load" "$(manifest_of a/hello)" "$m"
    ok "load from stdin" bash -c "'$W' load < '$T/one.tar'"
    ok "load of a gzip-compressed archive" bash -c "gzip -c '$T/one.tar' | '$W' load -q"
    # a docker-archive (docker save layout): manifest.json + <hex>.json + layer.tar
    mkdir -p "$T/dock/lay"
    tar -xf "$T/one.tar" -C "$T/dock"
    local cfg layer
    cfg=$(jq -r '.[0].Config' "$T/dock/manifest.json")
    layer=$(jq -r '.[0].Layers[0]' "$T/dock/manifest.json")
    (cd "$T/dock" && gzip -dc "$layer" >lay/layer.tar && cp "$cfg" "${id#sha256:}.json" &&
        printf '[{"Config":"%s.json","RepoTags":["d/hello:1"],"Layers":["lay/layer.tar"]}]' "${id#sha256:}" >manifest.json &&
        ln -s lay/layer.tar link.tar &&
        tar -cf "$T/docker.tar" manifest.json "${id#sha256:}.json" lay/layer.tar link.tar)
    export WASMBOX_ROOT=$T/root3
    out=$("$W" load -i "$T/docker.tar")
    eq "docker-archive loads" "$out" "Loaded image: d/hello:1"
    eq "docker-archive keeps the image ID" "$(image_id d/hello:1)" "$id"
    "$UNIT" extract "$WASMBOX_ROOT" d/hello:1 "$T/rootfs" >/dev/null
    ok "docker-archive layer content" cmp "$T/rootfs/hello.wasm" "$HELLO"
    # the wasm OCI artifact shape
    local a=$T/artifact
    mkdir -p "$a/blobs/sha256"
    local wd wsize cd csize md msize
    cp "$HELLO" "$a/module"
    wd=$(sha256sum <"$a/module" | cut -d' ' -f1); wsize=$(stat -c %s "$a/module")
    mv "$a/module" "$a/blobs/sha256/$wd"
    printf '{"created":"2024-01-01T00:00:00Z","architecture":"wasm","os":"wasip1","layerDigests":["sha256:%s"]}' "$wd" >"$a/config"
    cd=$(sha256sum <"$a/config" | cut -d' ' -f1); csize=$(stat -c %s "$a/config")
    mv "$a/config" "$a/blobs/sha256/$cd"
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.wasm.config.v0+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/wasm","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.title":"hello.wasm"}}]}' \
        "$cd" "$csize" "$wd" "$wsize" >"$a/manifest"
    md=$(sha256sum <"$a/manifest" | cut -d' ' -f1); msize=$(stat -c %s "$a/manifest")
    mv "$a/manifest" "$a/blobs/sha256/$md"
    printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"ghcr.io/x/wasm-artifact:1"}}]}' "$md" "$msize" >"$a/index.json"
    echo '{"imageLayoutVersion":"1.0.0"}' >"$a/oci-layout"
    tar -C "$a" -cf "$T/artifact.tar" oci-layout index.json blobs
    out=$("$W" load -i "$T/artifact.tar")
    eq "wasm artifact loads" "$out" "Loaded image: ghcr.io/x/wasm-artifact:1"
    eq "artifact entrypoint" "$("$W" inspect --format '{{json .Config.Entrypoint}} {{.Os}}/{{.Architecture}}' ghcr.io/x/wasm-artifact:1)" \
        '["/hello.wasm"] wasi/wasm'
    eq "artifact extract" "$("$UNIT" extract "$WASMBOX_ROOT" ghcr.io/x/wasm-artifact:1 "$T/art-rootfs")" \
        "entrypoint=/hello.wasm workdir=/ os=wasi arch=wasm"
    ok "artifact module" cmp "$T/art-rootfs/hello.wasm" "$HELLO"
    ok "artifact saves" "$W" save -o "$T/artifact2.tar" ghcr.io/x/wasm-artifact:1
    printf 'FROM scratch\nCOPY --from=ghcr.io/x/wasm-artifact:1 /hello.wasm /app.wasm\nENTRYPOINT ["/app.wasm"]\n' >"$T/ctx/Dockerfile.art"
    ok "COPY --from an artifact" "$W" build -q -t a/from-artifact -f "$T/ctx/Dockerfile.art" "$T/ctx"
    fails_with "save of a missing image" 'image "a/none" not found' "$W" save -o "$T/none.tar" a/none
    ok "a failed save leaves no file" test ! -e "$T/none.tar"
}

# Broken and hostile inputs: one clear line, non-zero status, store unchanged.
case_bad_input() {
    seed_context "$T/ctx"
    ok "build" "$W" build -q -t b/hello "$T/ctx"
    ok "save" "$W" save -o "$T/good.tar" b/hello
    local L=$T/layout
    mkdir -p "$L"
    tar -xf "$T/good.tar" -C "$L"
    local m cfg layer
    m=$(jq -r '.manifests[0].digest' "$L/index.json")
    cfg=$(jq -r '.config.digest' "$L/blobs/sha256/${m#sha256:}")
    layer=$(jq -r '.layers[0].digest' "$L/blobs/sha256/${m#sha256:}")
    # retar DIR OUT: the layout as an archive
    retar() { tar -C "$1" -cf "$2" oci-layout index.json blobs; }
    variant() { rm -rf "$T/v"; cp -a "$L" "$T/v"; }

    head -c 3000 /dev/urandom >"$T/random.tar"
    fails_with "random bytes" "archive:" "$W" load -i "$T/random.tar"
    head -c 2500 "$T/good.tar" >"$T/truncated.tar"
    fails_with "truncated archive" "archive:" "$W" load -i "$T/truncated.tar"
    : >"$T/empty.tar"
    fails_with "empty file" "archive:" "$W" load -i "$T/empty.tar"
    variant
    printf 'garbage' >>"$T/v/blobs/sha256/${layer#sha256:}"
    retar "$T/v" "$T/mismatch.tar"
    fails_with "digest mismatch" "digest mismatch" "$W" load -i "$T/mismatch.tar"
    variant
    python3 - "$T/v" "$layer" <<'EOF'
import hashlib, json, os, sys
d, layer = sys.argv[1], sys.argv[2][7:]
p = f"{d}/blobs/sha256/{layer}"
data = open(p, "rb").read()[:-100]       # a truncated blob under its own new name
h = hashlib.sha256(data).hexdigest()
open(f"{d}/blobs/sha256/{h}", "wb").write(data)
os.remove(p)
idx = json.load(open(f"{d}/index.json"))
mpath = f"{d}/blobs/sha256/{idx['manifests'][0]['digest'][7:]}"
m = json.load(open(mpath))
m["layers"][0]["digest"] = "sha256:" + h
m["layers"][0]["size"] = len(data) + 100     # the descriptor still claims the full size
raw = json.dumps(m).encode()
mh = hashlib.sha256(raw).hexdigest()
open(f"{d}/blobs/sha256/{mh}", "wb").write(raw)
idx["manifests"][0]["digest"] = "sha256:" + mh
idx["manifests"][0]["size"] = len(raw)
json.dump(idx, open(f"{d}/index.json", "w"))
EOF
    retar "$T/v" "$T/trunc-blob.tar"
    fails_with "truncated blob" "the descriptor says" "$W" load -i "$T/trunc-blob.tar"
    variant
    rm "$T/v/blobs/sha256/${layer#sha256:}"
    retar "$T/v" "$T/missing.tar"
    WASMBOX_ROOT=$T/fresh "$W" images >/dev/null
    WASMBOX_ROOT=$T/fresh fails_with "missing blob" "is missing from the archive" "$W" load -i "$T/missing.tar"
    ok "a blob the store already has need not be in the archive" "$W" load -q -i "$T/missing.tar"
    variant
    printf '{"schemaVersion": 2, "manifests": [' >"$T/v/index.json"
    retar "$T/v" "$T/badjson.tar"
    fails_with "malformed index.json" "archive: index.json: malformed JSON" "$W" load -i "$T/badjson.tar"
    # manifests rewritten by a small helper: FIELD=VALUE edits of the manifest, rehashed
    edit_manifest() {
        python3 - "$T/v" "$1" <<'EOF'
import hashlib, json, sys
d, expr = sys.argv[1], sys.argv[2]
idx = json.load(open(f"{d}/index.json"))
m = json.load(open(f"{d}/blobs/sha256/{idx['manifests'][0]['digest'][7:]}"))
exec(expr)
raw = m if isinstance(m, bytes) else json.dumps(m).encode()
h = hashlib.sha256(raw).hexdigest()
open(f"{d}/blobs/sha256/{h}", "wb").write(raw)
idx["manifests"][0]["digest"] = "sha256:" + h
idx["manifests"][0]["size"] = len(raw)
json.dump(idx, open(f"{d}/index.json", "w"))
EOF
    }
    variant; edit_manifest 'm["layers"][0]["mediaType"] = "application/x-unknown"'
    retar "$T/v" "$T/unknown-mt.tar"
    fails_with "unknown layer media type" 'unknown layer media type "application/x-unknown"' "$W" load -i "$T/unknown-mt.tar"
    variant; edit_manifest 'm["config"]["mediaType"] = "application/x-config"'
    retar "$T/v" "$T/unknown-cfg.tar"
    fails_with "unknown config media type" 'unknown config media type' "$W" load -i "$T/unknown-cfg.tar"
    variant; edit_manifest 'm = b"{not json"'
    retar "$T/v" "$T/bad-manifest.tar"
    fails_with "malformed manifest" "malformed JSON" "$W" load -i "$T/bad-manifest.tar"
    variant
    python3 - "$T/v" "$cfg" <<'EOF'
import hashlib, json, sys
d, cfg = sys.argv[1], sys.argv[2][7:]
c = json.load(open(f"{d}/blobs/sha256/{cfg}"))
c["rootfs"]["diff_ids"] = ["sha256:" + "0" * 64]
raw = json.dumps(c).encode(); h = hashlib.sha256(raw).hexdigest()
open(f"{d}/blobs/sha256/{h}", "wb").write(raw)
idx = json.load(open(f"{d}/index.json"))
m = json.load(open(f"{d}/blobs/sha256/{idx['manifests'][0]['digest'][7:]}"))
m["config"]["digest"] = "sha256:" + h; m["config"]["size"] = len(raw)
raw = json.dumps(m).encode(); h = hashlib.sha256(raw).hexdigest()
open(f"{d}/blobs/sha256/{h}", "wb").write(raw)
idx["manifests"][0]["digest"] = "sha256:" + h; idx["manifests"][0]["size"] = len(raw)
json.dump(idx, open(f"{d}/index.json", "w"))
EOF
    retar "$T/v" "$T/diffid.tar"
    fails_with "diff_id mismatch" "diff_id mismatch" "$W" load -i "$T/diffid.tar"
    # hostile tar entries
    python3 - "$T" <<'EOF'
import io, sys, tarfile
d = sys.argv[1]
def mk(name, members, fmt=tarfile.GNU_FORMAT):
    with tarfile.open(f"{d}/{name}", "w", format=fmt) as t:
        for m, data in members:
            t.addfile(m, io.BytesIO(data) if data is not None else None)
def reg(name, data=b"x"):
    i = tarfile.TarInfo(name); i.size = len(data); return (i, data)
mk("dotdot.tar", [reg("../../evil")])
mk("abs.tar", [reg("/etc/evil")])
s = tarfile.TarInfo("blobs/sha256/x"); s.type = tarfile.SYMTYPE; s.linkname = "../../../etc/passwd"
mk("symlink.tar", [(s, None)])
v = tarfile.TarInfo("dev"); v.type = tarfile.CHRTYPE; v.devmajor = 1; v.devminor = 1
mk("device.tar", [(v, None)])
f = tarfile.TarInfo("fifo"); f.type = tarfile.FIFOTYPE
mk("fifo.tar", [(f, None)])
h = reg("a" * 5000)
mk("longname.tar", [h], tarfile.PAX_FORMAT)
EOF
    # a pax header claiming to be enormous
    python3 - "$T" <<'EOF'
import sys
d = sys.argv[1]
def hdr(name, size, typ):
    h = bytearray(512)
    h[0:len(name)] = name.encode()
    h[100:108] = b"0000644\0"; h[108:116] = b"0000000\0"; h[116:124] = b"0000000\0"
    h[124:136] = ("%011o\0" % size).encode(); h[136:148] = b"00000000000\0"
    h[156:157] = typ; h[257:263] = b"ustar\0"; h[263:265] = b"00"
    h[148:156] = b"        "
    h[148:156] = ("%06o\0 " % sum(h)).encode()
    return bytes(h)
open(f"{d}/hugehdr.tar", "wb").write(hdr("PaxHeader", 0o77777777777, b"x") + b"9" * 4096)
EOF
    fails_with "entry with ../" 'hostile entry: path "../../evil" has a ".." component' "$W" load -i "$T/dotdot.tar"
    fails_with "absolute entry" 'hostile entry "/etc/evil": absolute name' "$W" load -i "$T/abs.tar"
    fails_with "symlink pointing out" "points outside the archive" "$W" load -i "$T/symlink.tar"
    fails_with "device file" "is a device, fifo or socket" "$W" load -i "$T/device.tar"
    fails_with "fifo" "is a device, fifo or socket" "$W" load -i "$T/fifo.tar"
    fails_with "over-long name" "over-long name" "$W" load -i "$T/longname.tar"
    fails_with "huge pax header" "archive:" "$W" load -i "$T/hugehdr.tar"
    tar -C "$T/ctx" -cf "$T/plain.tar" hello.wasm
    fails_with "plain tar" "neither an OCI archive (index.json) nor a docker-archive" "$W" load -i "$T/plain.tar"
    # a corrupt blob in the store is caught when read
    local lb; lb=$(blob "$(layers_of b/hello)")
    cp "$lb" "$T/layer.bak"
    printf 'X' | dd of="$lb" bs=1 seek=100 conv=notrunc status=none
    fails_with "save of a corrupt image" "is corrupt: its content hashes to" "$W" save -o "$T/c.tar" b/hello
    "$UNIT" extract "$WASMBOX_ROOT" b/hello "$T/x" >/dev/null 2>"$T/err"
    has "extract of a corrupt layer fails" "$(cat "$T/err")" "is corrupt"
    cp "$T/layer.bak" "$lb"
    local cb; cb=$(blob "$(image_id b/hello)")
    cp "$cb" "$T/cfg.bak"
    echo ' ' >>"$cb"
    fails_with "inspect of a corrupt config" "is corrupt" "$W" inspect b/hello
    cp "$T/cfg.bak" "$cb"
    ok "store still good" "$W" save -o "$T/good2.tar" b/hello
}

# Two builds at once, and an rmi, many times: the index never loses a finished write.
case_concurrency() {
    local i
    for i in 1 2 3; do
        mkdir -p "$T/c$i"
        cp "$HELLO" "$T/c$i/hello.wasm"
        head -c 200000 /dev/urandom >"$T/c$i/data.bin"
        printf 'FROM scratch\nCOPY data.bin /data.bin\nCOPY hello.wasm /hello.wasm\nLABEL n=%s\nENTRYPOINT ["/hello.wasm"]\n' "$i" >"$T/c$i/Dockerfile"
    done
    ok "victim image" "$W" build -q -t cc/victim "$T/c3"
    local round pids rc bad=0
    for round in 1 2 3 4 5 6; do
        "$W" build -q -t "cc/one:$round" "$T/c1" >/dev/null 2>"$T/e1" & pids="$!"
        "$W" build -q -t "cc/two:$round" "$T/c2" >/dev/null 2>"$T/e2" & pids="$pids $!"
        "$W" tag cc/victim "cc/victim:r$round" >/dev/null 2>"$T/e3" & pids="$pids $!"
        "$W" rmi "cc/victim:r$((round - 1))" >/dev/null 2>&1 & pids="$pids $!"
        for p in $pids; do wait "$p" || { rc=$?; [ "$p" = "${pids##* }" ] || bad=$((bad + 1)); }; done
        "$W" image prune -f >/dev/null 2>&1 &
        wait $!
    done
    eq "no concurrent command failed" "$bad" 0
    local names; names=$("$W" images | awk 'NR > 1 {print $1 ":" $2}' | sort | tr '\n' ' ')
    eq "every finished build and tag is in the index" "$names" \
        "cc/one:1 cc/one:2 cc/one:3 cc/one:4 cc/one:5 cc/one:6 cc/two:1 cc/two:2 cc/two:3 cc/two:4 cc/two:5 cc/two:6 cc/victim:latest cc/victim:r6 "
    ok "index.json is valid JSON" jq -e '.manifests | length > 0' "$WASMBOX_ROOT/index.json"
    ok "every image verifies" "$W" save -o "$T/all.tar" $("$W" images | awk 'NR > 1 {print $1 ":" $2}')
    ok "the refs cache agrees with index.json" test "$(jq '.manifests | length' "$WASMBOX_ROOT/index.json")" \
        = "$(tail -n +2 "$WASMBOX_ROOT/.wasmbox/refs" | wc -l)"
}

# kill -9 at any moment leaves a readable store that lost nothing finished.
case_crash() {
    seed_context "$T/ctx"
    ok "a finished build" "$W" build -q -t k/done "$T/ctx"
    local id; id=$(image_id k/done)
    head -c 30000000 /dev/urandom >"$T/ctx/big.bin"
    printf 'FROM k/done\nCOPY big.bin /big.bin\nENTRYPOINT ["/hello.wasm"]\n' >"$T/ctx/Dockerfile.big"
    local delay pid
    for delay in 0.02 0.1 0.3 0.6 1.0; do
        "$W" build -q -t k/killed -f "$T/ctx/Dockerfile.big" "$T/ctx" >/dev/null 2>&1 &
        pid=$!
        sleep "$delay"
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        jq -e . "$WASMBOX_ROOT/index.json" >/dev/null && "$W" images >/dev/null &&
            [ "$(image_id k/done)" = "$id" ] && pass "readable after kill -9 at ${delay}s" ||
            fail "readable after kill -9 at ${delay}s"
    done
    local left; left=$(ls "$WASMBOX_ROOT/.wasmbox/tmp" | wc -l)
    [ "$left" -gt 0 ] && pass "killed builds left $left staging directories" || fail "staging leftovers expected"
    ok "the finished image verifies" "$W" save -o "$T/done.tar" k/done
    # kill -9 during a load and an rmi
    "$W" save -o "$T/big.tar" k/done >/dev/null
    ok "big image" "$W" build -q -t k/big -f "$T/ctx/Dockerfile.big" "$T/ctx"
    ok "save big" "$W" save -o "$T/big.tar" k/big
    ok "rmi big" "$W" rmi k/big
    "$W" load -i "$T/big.tar" >/dev/null 2>&1 &
    pid=$!
    sleep 0.05
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    ok "readable after a killed load" "$W" images
    ok "finished image intact after a killed load" "$W" save -o "$T/done2.tar" k/done
    ok "prune" "$W" image prune -f
    eq "prune removed the leftovers" "$(ls "$WASMBOX_ROOT/.wasmbox/tmp" | wc -l)" 0
    ok "finished image intact after prune" "$W" save -o "$T/done3.tar" k/done
    ok "load again after the crash" "$W" load -q -i "$T/big.tar"
    ok "big image intact" "$W" save -o "$T/big2.tar" k/big
}
