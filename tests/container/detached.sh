#!/bin/bash
# detached.sh — containers that outlive the command: -d, ps, logs (-f, --tail, -t),
# stop of a busy loop, kill, wait, rm, restart, start, stats, log rotation.
. "$(dirname "$0")/lib.sh"
build_probe_image

# spin never ends: that run -d returns at all shows it does not wait for the guest
id=$("$W" run -d --name spinner test/probe spin)
st=$?
check_eq "run -d exits 0" 0 "$st"
check_match "run -d prints a 64-hex id" '^[0-9a-f]{64}$' "$id"
check_match "ps shows it Up" "^${id:0:12} +test/probe +\"/bin/probe.wasm spin\" .* Up .* spinner\$" "$("$W" ps --no-trunc | sed "s/^\([0-9a-f]\{12\}\)[0-9a-f]*/\1/")"
check_eq "ps -q" "${id:0:12}" "$("$W" ps -q)"
check_eq "ps -q --no-trunc" "$id" "$("$W" ps -q --no-trunc)"
wait_for '[ "$("$W" logs spinner)" = spinning ]' 5
check_eq "logs" "spinning" "$("$W" logs spinner)"
check_match "logs -t" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z spinning$' "$("$W" logs -t spinner)"
check_eq "inspect State.Status running" "running" "$("$W" container inspect spinner | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["State"]["Status"])')"
pid=$(inspect_field spinner State.Pid)
check_match "State.Pid is a live process" '^[0-9]+$' "$pid"
sleep 0.3
stats=$("$W" stats --no-stream spinner)
check_match "stats: linear memory and CPU" "${id:0:12} +spinner +[0-9.]+% +[0-9.]+s +[0-9.]+[KMG]iB / 4GiB" "$stats"

# logs -f follows until the container stops; stop interrupts the busy loop.
"$W" logs -f spinner >"$SCRATCH/follow.out" 2>&1 &
follower=$!
sleep 0.3
# -t 60: a busy loop that ignored SIGTERM would be killed only after a minute, with 137
check_run "stop prints the name" 0 '^spinner$' '' -- "$W" stop -t 60 spinner
wait_for '! kill -0 $follower 2>/dev/null' 5
check_eq "logs -f ended with the container" "no" "$(kill -0 $follower 2>/dev/null && echo yes || echo no)"
check_eq "logs -f saw the output" "spinning" "$(cat "$SCRATCH/follow.out")"
check_eq "exit 143 (SIGTERM)" "143" "$(inspect_field spinner State.ExitCode)"
check_eq "state exited" "exited" "$(inspect_field spinner State.Status)"
check_eq "guest process gone" "no" "$(kill -0 "$pid" 2>/dev/null && echo yes || echo no)"
check_match "ps -a: Exited (143)" 'Exited \(143\) .* spinner$' "$("$W" ps -a)"
check_eq "ps hides exited containers" "" "$("$W" ps -q)"
check_run "wait prints the status" 0 '^143$' '' -- "$W" wait spinner

# A stop timeout that runs out: the supervisor SIGKILLs. A host call that blocks
# (nanosleep) is interrupted by the signal too, so use -t 0.
"$W" start spinner >/dev/null
wait_for '[ "$(inspect_field spinner State.Status)" = running ]' 5
check_run "stop -t 0 kills at once" 0 '^spinner$' '' -- "$W" stop -t 0 spinner
check_eq "exit 137 (SIGKILL)" "137" "$(inspect_field spinner State.ExitCode)"

# kill
"$W" start spinner >/dev/null
check_run "kill -s TERM" 0 '^spinner$' '' -- "$W" kill -s TERM spinner
check_run "wait after kill -s TERM" 0 '^143$' '' -- "$W" wait spinner
"$W" start spinner >/dev/null
check_run "kill (SIGKILL)" 0 '^spinner$' '' -- "$W" kill spinner
check_run "wait after kill" 0 '^137$' '' -- "$W" wait spinner
check_run "kill a stopped container fails" 1 '' 'is not running' -- "$W" kill spinner
"$W" start spinner >/dev/null
check_run "kill -s WINCH leaves it running" 0 '' '' -- "$W" kill -s WINCH spinner
sleep 0.2
check_eq "still running after WINCH" "running" "$(inspect_field spinner State.Status)"

# rm
check_run "rm of a running container fails" 1 '' 'You cannot remove a running container' -- "$W" rm spinner
check_run "rm -f removes it" 0 '^spinner$' '' -- "$W" rm -f spinner
check_eq "gone from ps -a" "" "$("$W" ps -aq)"
check_run "name is free again" 0 '' '' -- "$W" run --rm --name spinner test/probe hello

# restart of a ticking container: a new run, output appended.
"$W" run -d --name ticker test/probe tick 0 100 >/dev/null
wait_for '"$W" logs ticker | grep -q "tick 2"' 5
started1=$(inspect_field ticker State.StartedAt)
check_run "restart" 0 '^ticker$' '' -- "$W" restart -t 1 ticker
wait_for '[ "$(inspect_field ticker State.Status)" = running ]' 5
check_eq "running again" "running" "$(inspect_field ticker State.Status)"
check_eq "new StartedAt" "yes" "$([ "$(inspect_field ticker State.StartedAt)" != "$started1" ] && echo yes)"
wait_for '[ "$("$W" logs ticker | grep -c "^tick 1$")" = 2 ]' 5
check_eq "log kept across restart" "2" "$("$W" logs ticker | grep -c '^tick 1$')"
check_eq "--tail 1" "1" "$("$W" logs --tail 1 ticker | wc -l)"
"$W" rm -f ticker >/dev/null

# stdout and stderr stay apart.
"$W" run --name streams test/probe stderr "to stderr" >/dev/null 2>&1
check_eq "stderr record goes to stderr" "to stderr" "$("$W" logs streams 2>&1 >/dev/null)"
check_eq "nothing on stdout" "" "$("$W" logs streams 2>/dev/null)"
"$W" rm streams >/dev/null

# Rotation at the size limit: at most two files, the newest lines kept.
WASMBOX_LOG_MAX_SIZE=4096 "$W" run --name rot test/probe lines 400 >/dev/null
logdir=$WASMBOX_ROOT/containers/$(inspect_field rot Id)
check_eq "rotated to two files" "2" "$(ls "$logdir" | grep -c -- '-json.log')"
check_match "rotated file under the limit" '^[0-9]+$' "$(stat -c %s "$logdir"/*-json.log.1)"
check_eq "last line kept" "line 400" "$("$W" logs --tail 1 rot)"
check_eq "each file <= limit" "yes" "$([ "$(stat -c %s "$logdir"/*-json.log)" -le 4096 ] && [ "$(stat -c %s "$logdir"/*-json.log.1)" -le 4096 ] && echo yes)"
"$W" rm rot >/dev/null

# A published port listens for as long as the container runs.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
connect() { python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2)' "$1" 2>/dev/null && echo yes || echo no; }
"$W" run -d --name web -p "127.0.0.1:$port:80" test/probe spin >/dev/null
check_eq "published port accepts connections" "yes" "$(connect "$port")"
check_match "ps shows the port" "127.0.0.1:$port->80/tcp +web\$" "$("$W" ps)"
"$W" rm -f web >/dev/null
check_eq "port closed once removed" "no" "$(connect "$port")"

# create + start
cid=$("$W" create --name later test/probe exit 5)
check_match "create prints an id" '^[0-9a-f]{64}$' "$cid"
check_match "created, not running" 'Created +later$' "$("$W" ps -a)"
check_run "start" 0 '^later$' '' -- "$W" start later
check_run "wait: 5" 0 '^5$' '' -- "$W" wait later

# stop reaches a program blocked in the host (a sleep in poll_oneoff): SIGTERM
# ends it (143); had WASI slept on, the 60 s timeout's SIGKILL would give 137
"$W" run -d --name sleeper test/probe tick 1 60000 >/dev/null
wait_for '[ "$("$W" logs sleeper)" = "tick 1" ]' 5
"$W" stop -t 60 sleeper >/dev/null
check_eq "stop of a sleeping program: ended by the signal, not killed" 143 \
    "$(inspect_field sleeper State.ExitCode)"
"$W" rm sleeper >/dev/null
finish
