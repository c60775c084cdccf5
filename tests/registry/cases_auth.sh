# cases_auth.sh — login, logout and authenticated push/pull: htpasswd basic auth on
# docker-registry, and the bearer-token flow with tokenserver.py as the realm.
# Sourced by driver.sh.

PW='s3cret-PW-4711'
AUTHJSON() { echo "$XDG_RUNTIME_DIR/containers/auth.json"; }

# no_password_in DESC FILE...: the password appears in none of the files
no_password_in() {
    local desc=$1; shift
    if grep -qF -- "$PW" "$@" 2>/dev/null; then fail "$desc: the password was printed"; else pass "$desc"; fi
}

case_basic_auth() {
    need htpasswd skopeo
    htpasswd -Bin alice <<<"$PW" >"$T/htpasswd" 2>/dev/null || fatal "htpasswd -B failed"
    start_registry reg http "" "auth:
  htpasswd:
    realm: wbx-realm
    path: $T/htpasswd"
    image demo/hello
    "$W" tag demo/hello "$REG/wbx/hello:1"
    fails_with "push without login: 401 and a hint" "run 'wasmbox login $REG'" "$W" push --tls-verify=false "$REG/wbx/hello:1"
    grep -q 401 "$T/err" && pass "the error names the status" || fail "no 401 in: $(cat "$T/err")"

    fails_with "login with a wrong password" "401 Unauthorized" \
        sh -c "echo wrong-password | '$W' login --tls-verify=false -u alice --password-stdin '$REG'"
    [ -e "$(AUTHJSON)" ] && fail "a failed login wrote $(AUTHJSON)" || pass "a failed login writes nothing"
    "$W" login --tls-verify=false -u alice "$REG" </dev/null >/dev/null 2>&1
    eq "login without a terminal and without --password-stdin: usage error" "$?" 125

    local out
    out=$(echo "$PW" | "$W" login --tls-verify=false -u alice --password-stdin "$REG" 2>&1)
    eq "login --password-stdin" "$out" "Login Succeeded"
    [ -f "$(AUTHJSON)" ] && pass "credentials in \$XDG_RUNTIME_DIR/containers/auth.json" || fatal "no $(AUTHJSON)"
    eq "auth.json mode" "$(stat -c %a "$(AUTHJSON)")" 600
    eq "auth.json entry (podman's format)" "$(jq -r ".auths[\"$REG\"].auth" "$(AUTHJSON)" | base64 -d)" "alice:$PW"

    out=$("$W" push --tls-verify=false "$REG/wbx/hello:1" 2>&1) && pass "push after login" || fail "push after login: $out"
    ok "pull after login" with "$T/r2" "$W" pull -q --tls-verify=false "$REG/wbx/hello:1"
    ok "skopeo reads the credentials wasmbox stored" skopeo inspect --tls-verify=false "docker://$REG/wbx/hello:1"
    ok "podman's own login file works for wasmbox (skopeo login, wasmbox pull)" sh -c \
        "echo '$PW' | skopeo login --tls-verify=false -u alice --password-stdin --authfile '$T/skopeo-auth.json' '$REG' >/dev/null &&
         WASMBOX_ROOT='$T/r3' '$W' pull -q --tls-verify=false --authfile '$T/skopeo-auth.json' '$REG/wbx/hello:1'"

    eq "logout" "$("$W" logout "$REG" 2>&1)" "Removing login credentials for $REG"
    eq "logout removed the entry" "$(jq -r ".auths[\"$REG\"] // \"gone\"" "$(AUTHJSON)")" gone
    WASMBOX_ROOT=$T/r4 fails_with "pull after logout fails" "not logged in" "$W" pull --tls-verify=false "$REG/wbx/hello:1"
    fails_with "logout twice" "not logged in to $REG" "$W" logout "$REG"

    mkdir -p "$HOME/.docker"
    printf '{"auths":{"http://%s/v1/":{"auth":"%s"}}}\n' "$REG" "$(printf 'alice:%s' "$PW" | base64 -w0)" >"$HOME/.docker/config.json"
    ok "credentials from ~/.docker/config.json" with "$T/r5" "$W" pull -q --tls-verify=false "$REG/wbx/hello:1"
    fails_with "logout of docker's credentials: points at the other tool" "$HOME/.docker/config.json" "$W" logout "$REG"
    printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$(printf 'alice:nope' | base64 -w0)" >"$HOME/.docker/config.json"
    WASMBOX_ROOT=$T/r6 fails_with "stored wrong credentials: says which user and file" "user alice from $HOME/.docker/config.json" \
        "$W" pull --tls-verify=false "$REG/wbx/hello:1"
    rm -f "$HOME/.docker/config.json"

    echo "$PW" | REGISTRY_AUTH_FILE=$T/custom/auth.json "$W" login --tls-verify=false -u alice --password-stdin "$REG" >/dev/null 2>&1
    eq "REGISTRY_AUTH_FILE is honoured (mode 0600)" "$(stat -c %a "$T/custom/auth.json" 2>&1)" 600
    ok "--authfile" with "$T/r7" "$W" pull -q --tls-verify=false --authfile "$T/custom/auth.json" "$REG/wbx/hello:1"
    eq "logout --all" "$("$W" logout --authfile "$T/custom/auth.json" --all)" "Removed login credentials for all registries"

    no_password_in "no output shows the password" "$T/out" "$T/err"
}

case_token_auth() {
    need skopeo
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tok.key" -out "$T/tok.crt" -days 2 \
        -subj /CN=wbx-token-signer >/dev/null 2>&1 || fatal "openssl: cannot make the token key"
    python3 "$HERE/tokenserver.py" --port-file "$T/tok.port" --key "$T/tok.key" --cert "$T/tok.crt" \
        --user "alice:$PW" --issuer wbx-issuer --service wbx-registry --log "$T/token.log" &
    PIDS+=($!)
    local TP; TP=$(wait_port_file "$T/tok.port") || fatal "token server did not start"
    start_registry reg http "" "auth:
  token:
    realm: http://127.0.0.1:$TP/token
    service: wbx-registry
    issuer: wbx-issuer
    rootcertbundle: $T/tok.crt"
    image demo/hello
    "$W" tag demo/hello "$REG/wbx/hello:1"
    fails_with "push without login: refused with a hint" "not logged in" "$W" push --tls-verify=false "$REG/wbx/hello:1"
    fails_with "login with a wrong password: the token server says so" "incorrect username or password" \
        sh -c "echo wrong | '$W' login --tls-verify=false -u alice --password-stdin '$REG'"
    eq "login" "$(echo "$PW" | "$W" login --tls-verify=false -u alice --password-stdin "$REG" 2>&1)" "Login Succeeded"
    ok "push with a token" "$W" push --tls-verify=false "$REG/wbx/hello:1"
    grep -q "user=alice scope=repository:wbx/hello:pull,push" "$T/token.log" && pass "token asked for pull,push" ||
        fail "token scopes: $(cat "$T/token.log")"
    ok "pull with a token" with "$T/r2" "$W" pull -q --tls-verify=false "$REG/wbx/hello:1"
    eq "token pull runs" "$(with "$T/r2" "$W" run --rm "$REG/wbx/hello:1")" "hello from wasm"
    local out
    out=$("$W" push --tls-verify=false "$REG/wbx/hello:1" "$REG/public/hello:1" 2>&1)
    has "cross-repository mount with a token" "$out" "Mounted from wbx/hello"
    grep -q "scope=repository:public/hello:pull,push repository:wbx/hello:pull" "$T/token.log" &&
        pass "mount token covers both repositories" || fail "mount scopes: $(cat "$T/token.log")"
    ok "skopeo uses the stored login with the token server" skopeo inspect --tls-verify=false "docker://$REG/wbx/hello:1"
    "$W" logout "$REG" >/dev/null
    ok "anonymous token: pull of a public repository" with "$T/r3" "$W" pull -q --tls-verify=false "$REG/public/hello:1"
    WASMBOX_ROOT=$T/r4 fails_with "anonymous token: a private repository is refused" "401" \
        "$W" pull --tls-verify=false "$REG/wbx/hello:1"
    no_password_in "no output shows the password" "$T/out" "$T/err" "$T/token.log" "$REGDIR/registry.log"
}
