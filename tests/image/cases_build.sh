# cases_build.sh — `wasmbox build` cases for driver.sh (sourced; uses its helpers).

# The seed: FROM scratch / COPY hello.wasm / ENTRYPOINT builds as is.
case_build_seed() {
    seed_context "$T/ctx"
    local out
    out=$("$W" build -t demo/hello "$T/ctx" 2>"$T/steps")
    eq "build exits 0" "$?" 0
    has "build says it tagged the image" "$out" "Successfully tagged demo/hello:latest"
    has "steps are shown" "$(cat "$T/steps")" "STEP 2: COPY hello.wasm /hello.wasm"
    for f in oci-layout index.json blobs/sha256; do
        [ -e "$WASMBOX_ROOT/$f" ] && pass "store has $f" || fail "store has $f"
    done
    eq "ref.name annotation in index.json" \
        "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$WASMBOX_ROOT/index.json")" \
        "demo/hello:latest"
    eq "platform in index.json" "$(jq -r '.manifests[0].platform | .os + "/" + .architecture' "$WASMBOX_ROOT/index.json")" "wasi/wasm"
    eq "inspect os/arch" "$("$W" inspect --format '{{.Os}}/{{.Architecture}}' demo/hello)" "wasi/wasm"
    eq "inspect entrypoint" "$("$W" inspect --format '{{json .Config.Entrypoint}}' demo/hello)" '["/hello.wasm"]'
    eq "lookup by docker.io name" "$(image_id docker.io/demo/hello:latest)" "$(image_id demo/hello)"
    local id; id=$(image_id demo/hello)
    eq "lookup by short ID" "$(image_id "${id:7:12}")" "$id"
    local cfg; cfg=$(blob "$id")
    eq "config media: os" "$(jq -r .os "$cfg")" wasi
    eq "config: one diff_id" "$(jq '.rootfs.diff_ids | length' "$cfg")" 1
    eq "manifest: one gzip layer" "$(jq -r '.layers[].mediaType' "$(blob "$(manifest_of demo/hello)")")" \
        "application/vnd.oci.image.layer.v1.tar+gzip"
    # the layer: one file, fixed time and owner, normalised mode
    local layer; layer=$(blob "$(layers_of demo/hello)")
    eq "layer listing" "$(tar -tvzf "$layer" | awk '{print $1, $2, $4, $5, $6}')" "-rwxr-xr-x 0/0 1970-01-01 00:00 hello.wasm"
    ok "layer content is hello.wasm" cmp <(tar -xOzf "$layer" hello.wasm) "$HELLO"
    # size close to the compressed module
    local gz size line
    gz=$(gzip -c "$HELLO" | wc -c)
    line=$("$W" images | grep '^demo/hello ')
    has "images lists demo/hello latest" "$line" "latest"
    size=$(jq '[.config.size] + [.layers[].size] | add' "$(blob "$(manifest_of demo/hello)")")
    [ "$size" -lt $((gz * 12 / 10)) ] && [ "$size" -gt $((gz * 8 / 10)) ] &&
        pass "image size $size is close to gzip size $gz" || fail "image size $size vs gzip size $gz"
    has "images shows the size in kB" "$line" "kB"
    # -q gives the full ID; an untagged build is listed as <none>
    eq "build -q prints the ID" "$("$W" build -q "$T/ctx")" "$id"
    printf 'FROM scratch\nCOPY hello.wasm /other.wasm\nCMD ["/other.wasm"]\n' >"$T/ctx/Dockerfile.2"
    ok "untagged build" "$W" build -q -f "$T/ctx/Dockerfile.2" "$T/ctx"
    has "untagged image is <none>" "$("$W" images)" "<none>"
    # extraction for a run
    local x; x=$("$UNIT" extract "$WASMBOX_ROOT" demo/hello "$T/rootfs")
    eq "extract: config" "$x" "entrypoint=/hello.wasm workdir= os=wasi arch=wasm"
    ok "extract: the module" cmp "$T/rootfs/hello.wasm" "$HELLO"
}

# Same context and Dockerfile -> same digest, whatever the times, umask or directory.
case_reproducible() {
    seed_context "$T/a"
    mkdir -p "$T/a/app/lib"
    echo data >"$T/a/app/lib/data.txt"
    echo conf >"$T/a/app/conf.ini"
    printf 'FROM scratch\nCOPY hello.wasm /hello.wasm\nCOPY app /app/\nENV A=1\nENTRYPOINT ["/hello.wasm"]\n' >"$T/a/Dockerfile"
    cp -a "$T/a" "$T/b"
    touch -d '2001-02-03 04:05:06' "$T/b/hello.wasm" "$T/b/app/lib/data.txt" "$T/b/app" "$T/b/app/lib"
    chmod g+w,o+w "$T/b/app/conf.ini"
    chmod 0700 "$T/b/app/lib"
    local m1 m2 m3
    m1=$("$W" build -q -t r/a "$T/a" 2>/dev/null) && m1=$(manifest_of r/a)
    WASMBOX_ROOT=$T/root2 "$W" build -q -t r/b "$T/b" >/dev/null 2>&1
    m2=$(WASMBOX_ROOT=$T/root2 "$W" inspect --format '{{.Digest}}' r/b)
    eq "same digest from another copy, times and modes" "$m2" "$m1"
    sleep 1.1
    "$W" build -q -t r/c "$T/a" >/dev/null 2>&1
    m3=$(manifest_of r/c)
    eq "same digest a second later" "$m3" "$m1"
    eq "config has no creation time" "$(jq -r '.created // "none"' "$(blob "$(image_id r/a)")")" none
    local e1 e2
    e1=$(SOURCE_DATE_EPOCH=1700000000 "$W" build -q -t r/e1 "$T/a" 2>/dev/null)
    e2=$(SOURCE_DATE_EPOCH=1700000000 WASMBOX_ROOT=$T/root3 "$W" build -q -t r/e2 "$T/b" 2>/dev/null)
    eq "SOURCE_DATE_EPOCH builds are reproducible" "$e2" "$e1"
    [ "$e1" != "$(image_id r/a)" ] && pass "SOURCE_DATE_EPOCH changes the image" || fail "SOURCE_DATE_EPOCH changes the image"
    eq "SOURCE_DATE_EPOCH is the creation time" "$("$W" inspect --format '{{.Created}}' r/e1)" "2023-11-14T22:13:20Z"
    eq "SOURCE_DATE_EPOCH is the file time" \
        "$(tar -tvzf "$(blob "$(layers_of r/e1 | head -1)")" | awk '{print $4}')" "2023-11-14"
    # entries sorted, parents present, normalised modes
    eq "layer entries sorted with parents" "$(tar -tzf "$(blob "$(layers_of r/a | sed -n 2p)")" | tr '\n' ' ')" \
        "app/ app/conf.ini app/lib/ app/lib/data.txt "
    eq "normalised modes" "$(tar -tvzf "$(blob "$(layers_of r/a | sed -n 2p)")" | awk '{print $1}' | tr '\n' ' ')" \
        "drwxr-xr-x -rw-r--r-- drwxr-xr-x -rw-r--r-- "
}

# Every supported instruction, as inspect and the layers show it.
case_instructions() {
    local c=$T/ctx
    mkdir -p "$c/dir/sub" "$c/skip" "$c/arch"
    cp "$HELLO" "$c/hello.wasm"
    cp "$HELLO" "$c/two.wasm"
    echo x >"$c/dir/a.txt"
    echo y >"$c/dir/sub/b.txt"
    echo secret >"$c/dir/secret.key"
    echo no >"$c/skip/file"
    echo keep >"$c/skip/keep.txt"
    echo notes >"$c/notes.md"
    echo inside >"$c/arch/in.txt"
    ln -s in.txt "$c/arch/link"
    tar -C "$c/arch" -czf "$c/bundle.tar.gz" in.txt link
    printf 'skip\n!skip/keep.txt\n**/*.key\n*.md\n' >"$c/.dockerignore"
    cat >"$c/Dockerfile" <<'EOF'
# syntax=docker/dockerfile:1.4
ARG VERSION=1.0
FROM scratch
ARG VERSION
ARG WHO=world
ENV APP_HOME=/app \
    GREETING="hello ${WHO}"
# comment between instructions
WORKDIR $APP_HOME
COPY --chown=1000:1000 --chmod=0640 *.wasm ./
COPY dir data/
COPY skip /skip/
ADD bundle.tar.gz /unpacked/
ADD --chown=7 two.wasm /maybe/
LABEL org.opencontainers.image.version=$VERSION "quoted key"="a b"
EXPOSE 8080 53/udp
USER 1000:1000
ENTRYPOINT ["hello.wasm"]
CMD ["--greet", "$WHO"]
EOF
    "$W" build -t inst/all --build-arg WHO=tester --label extra=yes "$c" >"$T/out" 2>"$T/err"
    eq "build exits 0" "$?" 0 || sed 's/^/      /' "$T/err"
    local insp
    insp=$("$W" inspect inst/all)
    eq "Env" "$(jq -c '.[0].Config.Env' <<<"$insp")" '["APP_HOME=/app","GREETING=hello tester"]'
    eq "WorkingDir" "$(jq -r '.[0].Config.WorkingDir' <<<"$insp")" /app
    eq "Labels" "$(jq -c '.[0].Config.Labels' <<<"$insp")" '{"extra":"yes","org.opencontainers.image.version":"1.0","quoted key":"a b"}'
    eq "ExposedPorts" "$(jq -c '.[0].Config.ExposedPorts' <<<"$insp")" '{"53/udp":{},"8080/tcp":{}}'
    eq "User" "$(jq -r '.[0].Config.User' <<<"$insp")" 1000:1000
    eq "Entrypoint" "$(jq -c '.[0].Config.Entrypoint' <<<"$insp")" '["hello.wasm"]'
    eq "Cmd (exec form, not expanded)" "$(jq -c '.[0].Config.Cmd' <<<"$insp")" '["--greet","$WHO"]'
    eq "one layer per COPY/ADD" "$(layers_of inst/all | wc -l)" 5
    local l=() d
    mapfile -t l < <(layers_of inst/all)
    eq "glob + --chown + --chmod" "$(tar -tvzf "$(blob "${l[0]}")" | awk '{print $1, $2, $6}' | tr '\n' ' ')" \
        "drwxr-xr-x 0/0 app/ -rw-r----- 1000/1000 app/hello.wasm -rw-r----- 1000/1000 app/two.wasm "
    eq "directory contents, .dockerignore applied" "$(tar -tzf "$(blob "${l[1]}")" | tr '\n' ' ')" \
        "app/ app/data/ app/data/a.txt app/data/sub/ app/data/sub/b.txt "
    eq "ignored directory with an exception" "$(tar -tzf "$(blob "${l[2]}")" | tr '\n' ' ')" "skip/ skip/keep.txt "
    eq "ADD unpacks a local archive" "$(tar -tvzf "$(blob "${l[3]}")" | awk '{print $6, $7, $8}' | tr '\n' ' ')" \
        "unpacked/   unpacked/in.txt   unpacked/link -> in.txt "
    eq "ADD of a plain file, --chown=UID" "$(tar -tvzf "$(blob "${l[4]}")" | awk '{print $2, $6}' | tr '\n' ' ')" \
        "0/0 maybe/ 7/7 maybe/two.wasm "
    eq "history lists the instructions" "$(jq -r '.history[].created_by' "$(blob "$(image_id inst/all)")" | head -3 | tr '\n' '|')" \
        'ENV APP_HOME=/app GREETING="hello ${WHO}"|WORKDIR $APP_HOME|COPY --chown=1000:1000 --chmod=0640 *.wasm ./|'
    "$UNIT" extract "$WASMBOX_ROOT" inst/all "$T/rootfs" >/dev/null
    ok "extracted files" test -f "$T/rootfs/app/hello.wasm" -a -f "$T/rootfs/app/data/sub/b.txt" -a -L "$T/rootfs/unpacked/link"
    ok "secret.key was ignored" test ! -e "$T/rootfs/app/data/secret.key"
    # an unused --build-arg is reported, not fatal
    "$W" build -q --build-arg NOPE=1 -t inst/warn "$c" >/dev/null 2>"$T/err"
    has "unused build-arg warning" "$(cat "$T/err")" "build-arg NOPE was not consumed"
    # CMD inherited from a base is reset by ENTRYPOINT; FROM an image in the store
    printf 'FROM inst/all\nENTRYPOINT ["/app/two.wasm"]\n' >"$c/Dockerfile.child"
    ok "FROM an image in the store" "$W" build -q -t inst/child -f "$c/Dockerfile.child" "$c"
    eq "child keeps the base layers" "$(layers_of inst/child | wc -l)" 5
    eq "ENTRYPOINT resets the inherited CMD" "$("$W" inspect --format '{{json .Config.Cmd}}' inst/child)" "null"
    eq "child keeps ENV" "$("$W" inspect --format '{{json .Config.Env}}' inst/child)" '["APP_HOME=/app","GREETING=hello tester"]'
    # line continuations, CRLF and a lower-case keyword
    printf 'FROM scratch\r\ncopy hello.wasm \\\r\n   /h.wasm\r\nENTRYPOINT [ "/h.wasm" ]\r\n' >"$c/Dockerfile.crlf"
    ok "CRLF and continuations" "$W" build -q -t inst/crlf -f "$c/Dockerfile.crlf" "$c"
}

# Multi-stage builds: FROM stage, COPY --from=stage|index|image, --target, --link.
case_multistage() {
    local c=$T/ctx
    mkdir -p "$c"
    cp "$HELLO" "$c/hello.wasm"
    echo cfg >"$c/app.conf"
    printf 'FROM scratch\nCOPY app.conf /etc/app.conf\n' >"$c/Dockerfile.base"
    ok "base image" "$W" build -q -t ms/base -f "$c/Dockerfile.base" "$c"
    cat >"$c/Dockerfile" <<'EOF'
FROM scratch AS modules
COPY hello.wasm /build/out/hello.wasm
COPY app.conf /build/out/unused.conf

FROM modules AS extended
ENV STAGE=extended

FROM scratch AS final
COPY --link --from=modules /build/out/hello.wasm /hello.wasm
COPY --from=0 /build/out/unused.conf /conf/from-index.conf
COPY --from=ms/base /etc/app.conf /conf/from-image.conf
ENTRYPOINT ["/hello.wasm"]

FROM extended AS debug
ENTRYPOINT ["/build/out/hello.wasm"]
EOF
    ok "multi-stage build (last stage)" "$W" build -q -t ms/debug "$c"
    ok "multi-stage build --target final" "$W" build -q --target final -t ms/final "$c"
    eq "final image has only its own layers" "$(layers_of ms/final | wc -l)" 3
    eq "debug image inherits the stage's layers" "$(layers_of ms/debug | wc -l)" 2
    eq "debug image inherits ENV" "$("$W" inspect --format '{{json .Config.Env}}' ms/debug)" '["STAGE=extended"]'
    "$UNIT" extract "$WASMBOX_ROOT" ms/final "$T/rootfs" >/dev/null
    ok "COPY --from=stage" cmp "$T/rootfs/hello.wasm" "$HELLO"
    ok "COPY --from=index and --from=image" test -f "$T/rootfs/conf/from-index.conf" -a -f "$T/rootfs/conf/from-image.conf"
    fails_with "unknown --target" 'target stage "nope" could not be found' "$W" build --target nope "$c"
    # the seed's Rust build stage: RUN gets the clear error naming its line
    cat >"$c/Dockerfile.rust" <<'EOF'
FROM rust:1.74 AS build
WORKDIR /src
COPY main.rs .
RUN rustc --target wasm32-wasi -O main.rs -o hello.wasm

FROM scratch
COPY --from=build /src/hello.wasm /hello.wasm
ENTRYPOINT ["/hello.wasm"]
EOF
    fails_with "a stage that needs RUN" "Dockerfile.rust:4: RUN is not supported: a wasm image is assembled, not executed" \
        "$W" build -f "$c/Dockerfile.rust" "$c"
    # a RUN stage nothing needs is skipped, as BuildKit does
    printf 'FROM scratch AS unused\nRUN make\nFROM scratch\nCOPY hello.wasm /h.wasm\nENTRYPOINT ["/h.wasm"]\n' >"$c/Dockerfile.skip"
    ok "an unused RUN stage is not built" "$W" build -q -f "$c/Dockerfile.skip" "$c"
}

# --squash: one layer for all the stage's COPY/ADD.
case_squash() {
    seed_context "$T/ctx"
    echo a >"$T/ctx/a.txt"
    echo b >"$T/ctx/b.txt"
    printf 'FROM scratch\nCOPY a.txt /x/a.txt\nCOPY b.txt /x/b.txt\nCOPY hello.wasm /x/a.txt\nCOPY hello.wasm /hello.wasm\nENTRYPOINT ["/hello.wasm"]\n' >"$T/ctx/Dockerfile"
    ok "build --squash" "$W" build -q --squash -t sq/one "$T/ctx"
    ok "build without" "$W" build -q -t sq/many "$T/ctx"
    eq "squashed: one layer" "$(layers_of sq/one | wc -l)" 1
    eq "not squashed: four layers" "$(layers_of sq/many | wc -l)" 4
    eq "sorted entries, each path once" "$(tar -tzf "$(blob "$(layers_of sq/one)")" | tr '\n' ' ')" \
        "hello.wasm x/ x/a.txt x/b.txt "
    "$UNIT" extract "$WASMBOX_ROOT" sq/one "$T/rootfs" >/dev/null
    ok "squashed content" cmp "$T/rootfs/x/a.txt" "$HELLO"
    eq "history has one layer entry" "$(jq '[.history[] | select(.empty_layer != true)] | length' "$(blob "$(image_id sq/one)")")" 1
}

# Every error: one line, naming the file and line, non-zero status, store unchanged.
case_build_errors() {
    local c=$T/ctx
    seed_context "$c"
    echo "not wasm" >"$c/text.wasm"
    "$W" build -q -t err/existing "$c" >/dev/null 2>&1
    df() { printf "$1" >"$c/Dockerfile.t"; }
    df 'FROM scratch\nCOPY hello.wasm /h.wasm\nRUN echo hi\n'
    fails_with "RUN" "Dockerfile.t:3: RUN is not supported" "$W" build -f "$c/Dockerfile.t" "$c"
    for i in VOLUME STOPSIGNAL HEALTHCHECK SHELL ONBUILD MAINTAINER; do
        df "FROM scratch\n$i x\n"
        fails_with "$i" "Dockerfile.t:2: $i is not supported in a wasm image" "$W" build -f "$c/Dockerfile.t" "$c"
    done
    df 'FROM scratch\nCOPY hello.wasm /h.wasm\nENTRYPOINT /h.wasm --x\n'
    fails_with "shell-form ENTRYPOINT" "Dockerfile.t:3: ENTRYPOINT in shell form needs /bin/sh" "$W" build -f "$c/Dockerfile.t" "$c"
    df 'FROM scratch\nCOPY hello.wasm /h.wasm\nCMD /h.wasm\n'
    fails_with "shell-form CMD" "Dockerfile.t:3: CMD in shell form" "$W" build -f "$c/Dockerfile.t" "$c"
    df 'FROM scratch\nFETCH x\n'
    fails_with "unknown instruction" "Dockerfile.t:2: unknown instruction: FETCH" "$W" build -f "$c/Dockerfile.t" "$c"
    df 'FROM scratch\nLABEL a="b\n'
    fails_with "syntax error" "Dockerfile.t:2:" "$W" build -f "$c/Dockerfile.t" "$c"
    df 'FROM nosuch/image:1\n'
    fails_with "FROM an image not in the store" 'Dockerfile.t:1: FROM nosuch/image:1: image not found in the store' "$W" build -f "$c/Dockerfile.t" "$c"
    df 'FROM scratch\nCOPY text.wasm /t.wasm\nENTRYPOINT ["/t.wasm"]\n'
    fails_with "entrypoint is not wasm" "ENTRYPOINT /t.wasm is not a WebAssembly module" "$W" build -f "$c/Dockerfile.t" "$c"
    df 'FROM scratch\nCOPY hello.wasm /h.wasm\nENTRYPOINT ["/missing.wasm"]\n'
    fails_with "entrypoint missing" "ENTRYPOINT /missing.wasm: no such file in the image" "$W" build -f "$c/Dockerfile.t" "$c"
    df 'FROM scratch\nCOPY nothere.wasm /h.wasm\n'
    fails_with "missing source" "Dockerfile.t:2: COPY: nothere.wasm: not found in the build context" "$W" build -f "$c/Dockerfile.t" "$c"
    df 'FROM scratch\nCOPY ../etc/passwd /p\n'
    fails_with "source outside the context" "forbidden path outside the build context" "$W" build -f "$c/Dockerfile.t" "$c"
    df 'FROM scratch\nCOPY *.nomatch /x/\n'
    fails_with "glob without match" "no source files match" "$W" build -f "$c/Dockerfile.t" "$c"
    df 'FROM scratch\nCOPY hello.wasm text.wasm /x\n'
    fails_with "several sources need a directory" 'destination must be a directory ending in "/"' "$W" build -f "$c/Dockerfile.t" "$c"
    df 'FROM scratch\nADD https://example.com/x.wasm /x.wasm\n'
    fails_with "ADD from a URL" "sources from URLs are not supported" "$W" build -f "$c/Dockerfile.t" "$c"
    df 'FROM scratch\nCOPY --chown=app hello.wasm /h.wasm\n'
    fails_with "--chown with a name" "--chown=app: use numeric IDs" "$W" build -f "$c/Dockerfile.t" "$c"
    df 'FROM scratch\nCOPY --from=nostage /x /x\n'
    fails_with "COPY --from unknown" 'Dockerfile.t:2: COPY --from=nostage: image "nostage" not found' "$W" build -f "$c/Dockerfile.t" "$c"
    df 'FROM scratch\nEXPOSE 99999\n'
    fails_with "bad port" 'Dockerfile.t:2: EXPOSE: invalid port "99999"' "$W" build -f "$c/Dockerfile.t" "$c"
    df 'FROM --platform=linux/amd64 scratch\n'
    fails_with "other platform" "wasi/wasm images only" "$W" build -f "$c/Dockerfile.t" "$c"
    df 'FROM scratch\nCOPY hello.wasm /h.wasm\n'
    fails_with "bad tag" "invalid reference format" "$W" build -t 'Bad Name' -f "$c/Dockerfile.t" "$c"
    fails_with "no Dockerfile" "no Dockerfile or Containerfile" "$W" build "$T"
    fails_with "context not a directory" 'build context "/nonexistent" is not a directory' "$W" build /nonexistent
    ln -s /etc "$c/etc-link"
    df 'FROM scratch\nCOPY etc-link/passwd /p\n'
    fails_with "symlink leaving the context" "etc-link/passwd: not found in the build context" "$W" build -f "$c/Dockerfile.t" "$c"
    rm "$c/etc-link"
    mkdir -p "$c/d"
    ln -s ../../../../etc/passwd "$c/d/evil"
    df 'FROM scratch\nCOPY d /d/\n'
    fails_with "symlink pointing out of the image" "points outside the image" "$W" build -f "$c/Dockerfile.t" "$c"
    rm -rf "$c/d"
    # hostile archives for ADD
    python3 - "$c" <<'EOF'
import io, sys, tarfile
d = sys.argv[1]
def mk(name, members):
    with tarfile.open(f"{d}/{name}", "w") as t:
        for m, data in members:
            t.addfile(m, io.BytesIO(data) if data is not None else None)
a = tarfile.TarInfo("../escape.txt"); a.size = 2
mk("dotdot.tar", [(a, b"x\n")])
s = tarfile.TarInfo("ln"); s.type = tarfile.SYMTYPE; s.linkname = "../../../etc"
mk("symout.tar", [(s, None)])
v = tarfile.TarInfo("null"); v.type = tarfile.CHRTYPE; v.devmajor = 1; v.devminor = 3
mk("dev.tar", [(v, None)])
l = tarfile.TarInfo("dir"); l.type = tarfile.SYMTYPE; l.linkname = "/tmp"
f = tarfile.TarInfo("dir/pwned"); f.size = 2
mk("through.tar", [(l, None), (f, b"x\n")])
EOF
    for t in dotdot:'has a ".." component' symout:"points outside the image" dev:"device, fifo or socket" through:"written through a symlink"; do
        df "FROM scratch\nADD ${t%%:*}.tar /x/\n"
        fails_with "ADD hostile ${t%%:*}.tar" "${t#*:}" "$W" build -f "$c/Dockerfile.t" "$c"
    done
    ok "nothing escaped" test ! -e "$T/escape.txt" -a ! -e /tmp/pwned
}
