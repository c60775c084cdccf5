#!/bin/bash
# errors.sh — every error path: one line `wasmbox: ...` on stderr, docker's status
# (125 for run's own failures, 126/127 for the entrypoint, 1 for other commands).
. "$(dirname "$0")/lib.sh"
build_probe_image

check_run "unknown image" 125 '^$' '^wasmbox: image "nope/nothing" not found$' -- "$W" run --rm nope/nothing
check_run "unknown image, detached" 125 '^$' 'not found' -- "$W" run -d nope/nothing
check_run "bad flag" 125 '' '^wasmbox: run: unknown flag: --bogus' -- "$W" run --bogus test/probe
check_run "bad memory size" 125 '' 'invalid size' -- "$W" run --memory lots test/probe
check_run "flag without value" 125 '' 'flag needs an argument' -- "$W" run --rm --name
check_run "flags after IMAGE go to the program" 2 '' 'probe: unknown command --name' -- "$W" run --rm test/probe --name
python3 -c 'import socket,time,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1",0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(30)' >"$SCRATCH/port" &
holder=$!
wait_for '[ -s "$SCRATCH/port" ]' 5
port=$(cat "$SCRATCH/port")
check_run "port in use" 125 '' "^wasmbox: Bind for 127.0.0.1:$port failed: port is already allocated$" -- \
    "$W" run --rm -p "127.0.0.1:$port:80" test/probe
check_run "port in use, detached" 125 '' 'port is already allocated' -- "$W" run -d -p "127.0.0.1:$port:80" test/probe
kill $holder 2>/dev/null
# docker keeps a container whose start failed (created, with the error); --rm does not.
check_eq "failed starts: only the detached one is kept" "1" "$("$W" ps -aq | wc -l)"
check_match "its State.Error says why" 'port is already allocated' "$(inspect_field "$("$W" ps -aq)" State.Error)"
"$W" create --name taken test/probe >/dev/null
check_run "name in use" 125 '' 'is already in use' -- "$W" run --rm --name taken test/probe
check_run "relative workdir" 125 '' "the working directory 'rel' is invalid" -- "$W" run --rm -w rel test/probe
check_run "volume to a relative path" 125 '' 'must be absolute' -- "$W" run --rm -v "$SCRATCH:data" test/probe
touch "$SCRATCH/afile"
check_run "volume source a file" 125 '' 'not a directory' -- "$W" run --rm -v "$SCRATCH/afile:/f" test/probe
check_run "no command" 125 '' 'No command specified' -- "$W" run --rm --entrypoint "" test/probe
check_run "stop: no such container" 1 '' '^wasmbox: No such container: ghost$' -- "$W" stop ghost
check_run "kill: no such container" 1 '' 'No such container: ghost' -- "$W" kill ghost
check_run "rm: no such container" 1 '' 'No such container: ghost' -- "$W" rm ghost
check_run "logs: no such container" 1 '' 'No such container: ghost' -- "$W" logs ghost
check_run "wait: no such container" 1 '' 'No such container: ghost' -- "$W" wait ghost
check_run "inspect: no such container" 1 '' 'No such container: ghost' -- "$W" container inspect ghost
check_run "stop: bad flag" 125 '' 'unknown flag: --bogus' -- "$W" stop --bogus x
check_run "stop: no argument" 125 '' 'requires at least 1 argument' -- "$W" stop
check_run "kill: bad signal" 1 '' 'invalid signal: NOPE' -- "$W" kill -s NOPE taken
check_run "ps: bad flag" 125 '' "unknown shorthand flag: 'z'" -- "$W" ps -z
check_run "logs: bad --tail" 125 '' 'invalid --tail' -- "$W" logs --tail x taken
check_run "trap message names the function" 134 '' "trap: unreachable" -- "$W" run --rm test/probe trap
finish
