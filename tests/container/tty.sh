#!/bin/bash
# tty.sh — `run -t` gives the program a pseudo-terminal, as docker's -t does: its
# stdout and stderr (and stdin with -i) are a terminal (isatty() is 1 inside),
# output has the terminal's \r\n, a detached container logs one stdout stream,
# and -i -t without a terminal to read from fails as docker's does. `script`
# (util-linux) gives wasmbox a real terminal for the -i -t cases.
. "$(dirname "$0")/lib.sh"
build_probe_image

# The probe prints "isatty(1)=A isatty(2)=B isatty(0)=C".
check_run "run --rm -t: stdout is a terminal" 0 'isatty\(1\)=1 isatty\(2\)=1' '' -- \
    "$W" run --rm -t test/probe tty
check_run "run --rm: stdout is not a terminal" 0 'isatty\(1\)=0 isatty\(2\)=0' '' -- \
    "$W" run --rm test/probe tty
check_run "run -t (supervised): stdout is a terminal" 0 'isatty\(1\)=1 isatty\(2\)=1' '' -- \
    "$W" run -t test/probe tty
check_run "run (supervised): stdout is not a terminal" 0 'isatty\(1\)=0' '' -- \
    "$W" run test/probe tty
check_run "run -t FILE.wasm: stdout is a terminal" 0 'isatty\(1\)=1 isatty\(2\)=1' '' -- \
    "$W" run -t "$PROBE_WASM" tty
check_run "run FILE.wasm: stdout is not a terminal" 0 'isatty\(1\)=0' '' -- \
    "$W" run "$PROBE_WASM" tty
check_eq "-t output has the terminal's CRLF" "hello from probe<CR>" \
    "$("$W" run --rm -t test/probe hello | sed 's/\r$/<CR>/')"
check_run "-t: stderr goes to the terminal too" 0 '^foo' '^$' -- \
    "$W" run --rm -t test/probe stderr foo
check_run "-t: exit status unchanged" 7 '' '' -- "$W" run --rm -t test/probe exit 7
check_run "-t supervised: exit status unchanged" 7 '' '' -- "$W" run -t test/probe exit 7
check_run "-t: a trap is still 134" 134 'trap: unreachable' '' -- "$W" run --rm -t test/probe trap
check_run "-t with stdin not a terminal works" 0 'isatty\(1\)=1' '' -- \
    sh -c '"$0" run --rm -t test/probe tty </dev/null' "$W"

# docker: "the input device is not a TTY", status 1, when -i -t has no terminal.
before=$("$W" ps -aq | wc -l)
check_run "-i -t without a terminal (image)" 1 '^$' '^wasmbox: the input device is not a TTY$' -- \
    sh -c 'echo x | "$0" run --rm -i -t test/probe tty' "$W"
check_run "-i -t without a terminal (file)" 1 '^$' '^wasmbox: the input device is not a TTY$' -- \
    sh -c 'echo x | "$0" run -i -t "$1" tty' "$W" "$PROBE_WASM"
check_eq "-i -t failure created no container" "$before" "$("$W" ps -aq | wc -l)"

# Detached: the supervisor holds the master; the log is one stdout stream.
id=$("$W" run -d -t test/probe tty 2>/dev/null)
"$W" wait "$id" >/dev/null 2>&1
check_match "-d -t: logs show a terminal" 'isatty\(1\)=1 isatty\(2\)=1' "$("$W" logs "$id" 2>/dev/null)"
log=$(cat "$WASMBOX_ROOT"/containers/"$id"/*-json.log 2>/dev/null)
check_match "-d -t: log record is stdout with \\r\\n" '"log":"isatty[^"]*\\r\\n","stream":"stdout"' "$log"
id=$("$W" run -d -t test/probe stderr oops 2>/dev/null)
"$W" wait "$id" >/dev/null 2>&1
check_eq "-d -t: stderr is logged as stdout" "oops<CR>|" \
    "$("$W" logs "$id" 2>"$SCRATCH/logs.err" | sed 's/\r$/<CR>/')|$(cat "$SCRATCH/logs.err")"
id=$(echo x | "$W" run -d -i -t test/probe tty 2>/dev/null)
check_match "-d -i -t without a terminal starts (docker does)" '^[0-9a-f]{64}$' "$id"
"$W" wait "$id" >/dev/null 2>&1
check_eq "-d -t: Config.Tty" 'true' "$(inspect_field "$id" Config.Tty)"
"$W" rm -f $("$W" ps -aq) >/dev/null 2>&1

# -i -t on a real terminal: input reaches the program through its terminal (which
# echoes it), ^C interrupts it, and our terminal's modes come back afterwards.
if command -v script >/dev/null; then
    term() { # term INPUT-SCRIPT COMMAND: runs COMMAND on a pty fed by INPUT-SCRIPT
        (eval "$1") | timeout 20 script -qec "$2" /dev/null 2>&1 | tr -d '\r'
    }
    for how in "--rm test/probe" "test/probe" "$PROBE_WASM"; do
        out=$(term "sleep 0.5; printf 'abc\n'; sleep 0.3; printf 'quit\n'; sleep 0.3" \
            "$W run -i -t $how echo; echo status=\$?; stty -a")
        check_match "-i -t $how: input reaches the program" '^got: abc$' "$out"
        check_match "-i -t $how: status" '^status=0$' "$out"
        check_match "-i -t $how: terminal modes restored" ' icanon ' "$out"
        out=$(term "sleep 0.5; printf '\003'; sleep 0.5" "$W run -i -t $how echo; echo status=\$?")
        check_match "-i -t $how: ^C interrupts the program" '^status=130$' "$out"
        out=$(term "sleep 1" "$W run -i -t $how tty")
        check_match "-i -t $how: stdin is the terminal" 'isatty\(1\)=1 isatty\(2\)=1 isatty\(0\)=1' "$out"
    done
    out=$(term "sleep 1" "bash -c '(sleep 0.6; kill -TERM \$\$) & exec $W run -i -t --rm test/probe tick 0 100'; echo status=\$?; stty -a")
    check_match "-i -t: stopped by SIGTERM" '^status=143$' "$out"
    check_match "-i -t: terminal modes restored after SIGTERM" ' icanon ' "$out"
else
    echo "# skipped the terminal cases: no script(1)"
fi

finish
