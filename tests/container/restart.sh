#!/bin/bash
# restart.sh — restart policies: no, on-failure[:N], always (until stopped), and
# their conflict with --rm. `wasmbox run` takes --restart and --stop-timeout once
# the run flag parser knows them; `wasmbox container run` always does.
. "$(dirname "$0")/lib.sh"
build_probe_image
RUN="$W container run"

id=$($RUN -d --name onfail --restart on-failure:2 test/probe exit 3)
check_match "run -d --restart on-failure:2" '^[0-9a-f]{64}$' "$id"
wait_for '[ "$(inspect_field onfail State.Status)" = exited ]' 10
check_eq "gave up after 2 restarts" "2" "$(inspect_field onfail RestartCount)"
check_eq "last status 3" "3" "$(inspect_field onfail State.ExitCode)"
check_eq "policy recorded" "on-failure" "$(inspect_field onfail HostConfig.RestartPolicy.Name)"
check_eq "max retries recorded" "2" "$(inspect_field onfail HostConfig.RestartPolicy.MaximumRetryCount)"

$RUN -d --name onfail-ok --restart on-failure test/probe exit 0 >/dev/null
wait_for '[ "$(inspect_field onfail-ok State.Status)" = exited ]' 10
check_eq "on-failure: success is not restarted" "0" "$(inspect_field onfail-ok RestartCount)"

$RUN -d --name always --restart always test/probe hello >/dev/null
wait_for '[ "$(inspect_field always RestartCount)" -ge 3 ]' 10
check_eq "always: restarted again and again" "yes" "$([ "$(inspect_field always RestartCount)" -ge 3 ] && echo yes)"
check_match "always: logs of every run" '(hello from probe.*){3}' "$("$W" logs always | tr '\n' ' ')"
check_match "ps lists it (running or restarting)" 'always$' "$("$W" ps)"
check_run "stop ends an always container" 0 '^always$' '' -- "$W" stop always
sleep 0.5
check_eq "stays stopped" "exited" "$(inspect_field always State.Status)"
check_eq "marked manually stopped" "true" "$(inspect_field always State.ManuallyStopped)"

$RUN -d --name norestart test/probe exit 1 >/dev/null
"$W" wait norestart >/dev/null
check_eq "no policy: no restart" "0" "$(inspect_field norestart RestartCount)"

# Foreground with a policy: the CLI returns the first status, the container goes on.
out=$($RUN --name fg --restart on-failure:1 test/probe exit 4)
check_eq "foreground returns the first exit status" "4" "$?"
wait_for '[ "$(inspect_field fg State.Status)" = exited ]' 10
check_eq "then restarted in the background" "1" "$(inspect_field fg RestartCount)"

check_run "--rm with --restart conflicts" 125 '' 'Conflicting options: --restart and --rm' -- \
    $RUN --rm --restart always test/probe
check_run "bad policy" 125 '' 'invalid restart policy' -- $RUN --restart sometimes test/probe
check_run "--stop-timeout recorded" 0 '' '' -- $RUN -d --name st --stop-timeout 3 test/probe exit 0
check_eq "StopTimeout" "3" "$(inspect_field st Config.StopTimeout)"
finish
