# cases_faults.sh — registries that misbehave (faultserver.py): every fault must end
# in one clear error line naming what failed and where, a non-zero exit, and the
# store exactly as it was. Sourced by driver.sh.

case_faults() {
    need skopeo
    start_fault
    image demo/hello   # the store is not empty: "as it was" is a real comparison
    local F="--tls-verify=false"
    ok "control: the fault server's good image pulls" "$W" pull -q $F "$FAULT/ok/img:1"
    touch "$T/after-control"
    fails_with "500 from the registry" "500 Internal Server Error: internal error: the database is on fire" \
        "$W" pull $F "$FAULT/err500/img:1"
    fails_with "500: names the URL" "http://$FAULT/v2/err500/img/manifests/1" "$W" pull $F "$FAULT/err500/img:1"
    fails_with "garbage manifest" "manifest sha256:" "$W" pull $F "$FAULT/garbage/img:1"
    fails_with "garbage manifest: says it is not JSON" "malformed JSON" "$W" pull $F "$FAULT/garbage/img:1"
    fails_with "manifest digest differs from the registry's claim" "digest mismatch" "$W" pull $F "$FAULT/badmanifest/img:1"
    local good; good=$(manifest_of "$FAULT/ok/img:1")
    fails_with "manifest fetched by digest does not match it" "digest mismatch" \
        "$W" pull $F "$FAULT/garbage/img@$good"
    fails_with "blob whose digest does not match" "digest mismatch" "$W" pull $F "$FAULT/badblob/img:1"
    fails_with "blob digest mismatch: names the blob" "blob sha256:" "$W" pull $F "$FAULT/badblob/img:1"
    fails_with "truncated blob (connection closed early)" "/v2/truncated/img/blobs/sha256:" "$W" pull $F "$FAULT/truncated/img:1"
    fails_with "short blob (consistent Content-Length)" "truncated: received" "$W" pull $F "$FAULT/short/img:1"
    fails_with "network cut mid-transfer" "/v2/cut/img/blobs/sha256:" "$W" pull $F "$FAULT/cut/img:1"
    fails_with "blob larger than its descriptor" "more than the" "$W" pull $F "$FAULT/bigger/img:1"
    fails_with "redirect loop" "too many redirects" "$W" pull $F "$FAULT/redirect/img:1"
    local t0=$SECONDS
    fails_with "100 MB manifest refused" "larger than 4194304 bytes" "$W" pull $F "$FAULT/huge/img:1"
    fails_with "endless chunked manifest refused" "larger than 4194304 bytes" "$W" pull $F "$FAULT/hugechunked/img:1"
    [ $((SECONDS - t0)) -lt 20 ] && pass "huge manifests are refused quickly" || fail "huge manifests took $((SECONDS - t0)) s"
    fails_with "unknown manifest media type" 'unknown media type "application/vnd.example.unknown+json"' \
        "$W" pull $F "$FAULT/unknownmt/img:1"
    fails_with "docker schema 1" "schema 1 manifests are not supported" "$W" pull $F "$FAULT/schema1/img:1"
    local leftovers; leftovers=$(find "$WASMBOX_ROOT/blobs" -newer "$T/after-control" -type f | wc -l)
    eq "no blob entered the store during the faults" "$leftovers" 0
    # the pulls left nothing usable that could be mistaken for a blob
    local bad="" f
    for f in "$WASMBOX_ROOT"/.wasmbox/tmp/pulls/*; do
        case $f in *.partial | *'*') continue ;; esac
        [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "${f##*/}" ] || bad="$bad ${f##*/}"
    done
    eq "every finished download beside the store is verified" "$bad" ""
    ok "after all that, a good pull still works" "$W" pull -q $F "$FAULT/ok/img:1"
    ok "and the store passes skopeo's check" skopeo inspect "oci:$WASMBOX_ROOT:$FAULT/ok/img:1"
    ok "a killed slow pull is resumed from the fault server too" resume_slow
}

# faultserver's slowlayer honours Range: kill a pull of it, pull again, expect a Range.
resume_slow() {
    touch "$T/fault.slow"
    "$W" pull -q --tls-verify=false "$FAULT/slowlayer/img:1" >/dev/null 2>&1 &
    local pid=$!
    for _ in $(seq 100); do
        [ -n "$(find "$WASMBOX_ROOT/.wasmbox/tmp/pulls" -name '*.partial' -size +500k 2>/dev/null)" ] && break
        sleep 0.05
    done
    kill -9 $pid; wait $pid 2>/dev/null
    rm -f "$T/fault.slow"
    "$W" pull -q --tls-verify=false "$FAULT/slowlayer/img:1" >/dev/null || return 1
    grep -q 'slowlayer/img/blobs/.* range=bytes=[1-9]' "$FAULTLOG"
}
