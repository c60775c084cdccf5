#!/bin/sh
# driver.sh — runs one WASI test case through `wasmbox run` and checks what only the
# host can see: exit statuses, output, files left behind, escapes that must not
# have happened. Called by CTest:
#   driver.sh CASE WASMBOX PROGS_DIR HOST_TOOLS_DIR
# The test programs (PROGS_DIR/t_*.wasm) check everything visible from inside and
# exit non-zero on the first failure; this script fails (exit 1) on any mismatch.
set -u
case_name=$1 WASMBOX=$2 P=$3 H=$4
T=$(mktemp -d "${TMPDIR:-/tmp}/wasi-test.XXXXXX")
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT

fail() { echo "FAIL [$case_name]: $*" >&2; exit 1; }
# run EXPECTED_STATUS wasmbox-args... : runs wasmbox, output in $T/out and $T/err
run() {
    want=$1; shift
    "$WASMBOX" run "$@" >"$T/out" 2>"$T/err" </dev/null
    got=$?
    cat "$T/out"; cat "$T/err" >&2
    [ "$got" = "$want" ] || fail "exit status $got, expected $want: wasmbox run $*"
}
expect_out() { grep -q -- "$1" "$T/out" || fail "stdout lacks '$1'"; }
expect_err() { grep -q -- "$1" "$T/err" || fail "stderr lacks '$1'"; }

case $case_name in
args)
    printf '# comment\n\nFROM_FILE=1 2 3\n' >"$T/env"
    WB_T_INHERIT=from-host PATH=$PATH run 0 -e FOO=bar -e EMPTY= -e WB_T_INHERIT -e WB_T_UNSET \
        --env-file "$T/env" --env WT=wasmtime "$P/t_args.wasm" -q -o --env=X "a b" ""
    [ "$(grep -c '^ok ' "$T/out")" = 4 ] || fail "expected 4 ok lines" ;;
clock)
    HOST_NOW=$(date +%s) run 0 -e HOST_NOW="$(date +%s)" "$P/t_clock.wasm" ;;
fd)
    mkdir "$T/data" && run 0 -v "$T/data:/data" "$P/t_fd.wasm"
    [ "$(cat "$T/data/f.txt" | wc -c)" = 300000 ] || fail "f.txt has the wrong size on the host" ;;
path)
    mkdir "$T/data" && run 0 -v "$T/data:/data" "$P/t_path.wasm"
    [ -L "$T/data/sl" ] && [ "$(readlink "$T/data/sl")" = libc.txt ] || fail "symlink not on host"
    [ -f "$T/data/d/moved" ] || fail "rename not visible on host" ;;
readdir)
    mkdir "$T/data" && run 0 -v "$T/data:/data" "$P/t_readdir.wasm"
    [ "$(ls "$T/data/big" | wc -l)" = 3002 ] || fail "wrong number of files on the host" ;;
escape|escape-walk)
    [ "$case_name" = escape-walk ] && export WASMBOX_WASI_RESOLVE=walk
    mkdir -p "$T/sandbox/sub" "$T/ro/dir" "$T/outside"
    echo SECRET >"$T/outside/secret"
    echo inside >"$T/sandbox/file"
    echo ro-data >"$T/ro/file"
    ln -s "$T/outside" "$T/sandbox/abs_dir"
    ln -s "$T/outside/secret" "$T/sandbox/abs_file"
    ln -s ../outside "$T/sandbox/up"
    ln -s chain2 "$T/sandbox/chain1"
    ln -s sub/../up "$T/sandbox/chain2"
    ln -s ../../outside/secret "$T/sandbox/sub/deep"
    ln -s .. "$T/sandbox/dotdot"
    ln -s x "$T/outside/link"
    # host descriptors 5 and 9 are open in wasmbox; the guest must not see them
    run 0 -v "$T/sandbox:/data" -v "$T/ro:/ro:ro" "$P/t_escape.wasm" 5</etc/hostname 9>"$T/leak"
    [ "$(cat "$T/outside/secret")" = SECRET ] || fail "the secret was changed"
    [ "$(ls "$T/outside" | tr '\n' ' ')" = "link secret " ] || fail "files appeared outside: $(ls "$T/outside")"
    [ "$(ls "$T" | tr '\n' ' ')" = "err leak out outside ro sandbox " ] || fail "files appeared in $T: $(ls "$T")"
    [ "$(cat "$T/ro/file")" = ro-data ] && [ "$(ls "$T/ro" | tr '\n' ' ')" = "dir file " ] || fail "the read-only volume changed" ;;
race|race-walk)
    [ "$case_name" = race-walk ] && export WASMBOX_WASI_RESOLVE=walk
    mkdir -p "$T/sandbox/swap" "$T/outside"
    echo SECRET >"$T/outside/secret"
    echo inside >"$T/sandbox/swap/secret"
    echo inside >"$T/sandbox/swapf"
    ln -s "$T/outside" "$T/sandbox/swaplink"
    ln -s "$T/outside/secret" "$T/sandbox/swapflink"
    "$H/swapper" "$T/sandbox" 4 &
    swapper=$!
    run 0 -v "$T/sandbox:/data" "$P/t_race.wasm" 30000
    kill "$swapper" 2>/dev/null; wait "$swapper" 2>/dev/null
    expect_out "ok escape_race" ;;
stdio-big)
    "$WASMBOX" run "$P/t_stdio.wasm" big 2>"$T/err" | (sleep 0.2; cat) >"$T/out"
    cat "$T/err" >&2
    [ "$(wc -c <"$T/out")" = 4194304 ] || fail "stdout has $(wc -c <"$T/out") bytes, expected 4194304"
    awk '{ if ($1 + 0 != NR - 1) { print "line " NR " is " $1; exit 1 } }' "$T/out" || fail "lines out of order"
    expect_err "lines: 65536"
    grep -q "partial writes: [1-9]" "$T/err" || fail "no partial write was exercised" ;;
stdio-stdin)
    head -c 1000000 /dev/urandom >"$T/in"
    sum=$(od -An -v -tu1 "$T/in" | tr -s ' ' '\n' | awk '{ s += $1 } END { print s }')
    "$WASMBOX" run -i "$P/t_stdio.wasm" stdin <"$T/in" >"$T/out" || fail "exit status $?"
    expect_out "stdin: 1000000 bytes, sum $sum"
    "$WASMBOX" run "$P/t_stdio.wasm" stdin <"$T/in" >"$T/out" || fail "exit status $?"
    expect_out "stdin: 0 bytes, sum 0" ;;
stdio-closed)
    "$WASMBOX" run "$P/t_stdio.wasm" closed >&- 2>"$T/err"
    st=$?; cat "$T/err" >&2
    [ "$st" = 0 ] || fail "exit status $st"
    expect_err "ok stdout_closed" ;;
poll)
    mkdir "$T/data"
    (sleep 1.5; printf abc) | "$WASMBOX" run -i -v "$T/data:/data" "$P/t_poll.wasm" >"$T/out" 2>"$T/err"
    st=$?; cat "$T/out"; cat "$T/err" >&2
    [ "$st" = 0 ] || fail "exit status $st"
    [ "$(grep -c "^ok " "$T/out")" = 5 ] || fail "expected 5 ok lines" ;;
sock)
    port=$("$H/echo_client" port) || fail "no free port"
    "$WASMBOX" run -p "127.0.0.1:$port:8080" "$P/t_sock.wasm" 3 >"$T/out" 2>"$T/err" &
    server=$!
    # connect only once the guest has checked that a nonblocking accept finds nobody
    i=0
    while ! grep -q "ok sock_errors" "$T/out" 2>/dev/null; do
        i=$((i + 1)); [ $i -lt 400 ] && kill -0 "$server" 2>/dev/null || { cat "$T/err" >&2; fail "server did not start"; }
        sleep 0.025
    done
    "$H/echo_client" "$port" 3 300000 || { kill "$server"; fail "echo client failed"; }
    wait "$server"; st=$?
    cat "$T/out"; cat "$T/err" >&2
    [ "$st" = 0 ] || fail "server exit status $st"
    expect_out "ok sock_echo"
    [ "$(grep -c 'echoed 300000 bytes' "$T/err")" = 3 ] || fail "server did not echo 3 x 300000 bytes" ;;
proc)
    run 42 "$P/t_misc.wasm" exit 42
    run 0 "$P/t_misc.wasm" exit 0
    run 134 "$P/t_misc.wasm" trap
    expect_out "before trap"
    expect_err "trap: unreachable"
    expect_err "trap_here"
    [ "$(wc -l <"$T/err")" = 1 ] || fail "a trap must print exactly one line"
    run 143 "$P/t_misc.wasm" raise 15
    expect_out raising
    run 134 "$P/t_misc.wasm" raise 6 ;;
preopen)
    mkdir -p "$T/a" "$T/b" && touch "$T/a/marker" "$T/b/marker2"
    run 0 -v "$T/a:/data" --dir "$T/b::cfg" "$P/t_misc.wasm" prestat
    # wasmtime's spellings: --dir with a relative host path, --mapdir, --env
    (cd "$T" && "$WASMBOX" run --dir a::/data --mapdir cfg::b "$P/t_misc.wasm" prestat) >"$T/out" || fail "wasmtime spellings"
    mkdir "$T/a/sub"
    run 0 -v "$T/a:/data" -w /data/sub "$P/t_misc.wasm" workdir
    [ -f "$T/a/sub/rel.txt" ] || fail "relative path did not land in the workdir"
    run 125 -w /elsewhere "$P/t_misc.wasm" workdir ;;
memory)
    run 0 --memory 16m "$P/t_misc.wasm" memory
    run 0 -m 64M "$P/t_misc.wasm" memory ;;
cli)
    "$WASMBOX" --version | grep -q "wasmbox version" || fail "--version"
    "$WASMBOX" --help | grep -q "run" || fail "--help"
    "$WASMBOX" run --help | grep -q "134" || fail "run --help documents the trap status"
    "$WASMBOX" nosuchcommand 2>"$T/err"; [ $? = 125 ] || fail "unknown command must exit 125"
    [ "$(wc -l <"$T/err")" = 1 ] || fail "unknown command must print one line"
    "$WASMBOX" run --bogus x.wasm 2>"$T/err"; [ $? = 125 ] || fail "unknown flag must exit 125"
    "$WASMBOX" run "$T/missing.wasm" 2>"$T/err"; [ $? = 127 ] || fail "missing file must exit 127"
    printf 'not wasm' >"$T/bad.wasm"
    "$WASMBOX" run "$T/bad.wasm" 2>"$T/err"; [ $? = 126 ] || fail "invalid module must exit 126"
    expect_err "bad.wasm"
    "$WASMBOX" run "$P/unknown_import.wasm" 2>"$T/err"; [ $? = 126 ] || fail "unknown import must exit 126"
    expect_err "unknown import env::not_wasi"
    "$WASMBOX" run "$P/bad_type.wasm" 2>"$T/err"; [ $? = 126 ] || fail "wrong import type must exit 126"
    expect_err "incompatible import type"
    "$WASMBOX" run -e =x "$P/t_misc.wasm" 2>"$T/err"; [ $? = 125 ] || fail "bad -e must exit 125"
    "$WASMBOX" run -v nocolon "$P/t_misc.wasm" 2>"$T/err"; [ $? = 125 ] || fail "bad -v must exit 125"
    "$WASMBOX" run -v "$T/nonexistent:/x" "$P/t_misc.wasm" exit 0 2>"$T/err"; [ $? = 125 ] || fail "missing volume must exit 125"
    expect_err "nonexistent"
    "$WASMBOX" run --entrypoint nosuch "$P/t_misc.wasm" 2>"$T/err"; [ $? = 126 ] || fail "missing entrypoint must exit 126"
    "$WASMBOX" run --invoke answer "$P/entry.wasm" 2>"$T/err"; [ $? = 42 ] || fail "--invoke must call the export"
    ;;
*)
    fail "unknown case" ;;
esac
exit 0
