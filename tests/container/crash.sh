#!/bin/bash
# crash.sh — the state stays true across crashes: kill -9 of a supervisor ends its
# container (the guest dies with it) and ps shows it exited with the reason; after
# a reboot (simulated: a state written under another boot id, no lock held) too;
# kill -9 of a foreground `run --rm` leaves nothing that claims to run.
. "$(dirname "$0")/lib.sh"
build_probe_image

id=$("$W" run -d --name victim test/probe spin)
wait_for '[ "$(inspect_field victim State.Status)" = running ]' 5
sup=$(inspect_field victim State.SupervisorPid)
guest=$(inspect_field victim State.Pid)
check_match "supervisor pid known" '^[1-9][0-9]*$' "$sup"
check_eq "guest runs in its own process" "yes" "$([ "$sup" != "$guest" ] && echo yes)"
kill -9 "$sup"
wait_for '! kill -0 '"$guest"' 2>/dev/null' 5
check_eq "guest died with its supervisor" "no" "$(kill -0 "$guest" 2>/dev/null && echo yes || echo no)"
check_match "ps -a: exited, with the reason" 'Exited \(255\) .*supervisor \(pid [0-9]+\) died.* victim$' "$("$W" ps -a)"
check_eq "not in ps" "" "$("$W" ps -q)"
check_eq "inspect: exited" "exited" "$(inspect_field victim State.Status)"
check_match "inspect: reason" 'supervisor' "$(inspect_field victim State.Reason)"
check_run "start again after the crash" 0 '^victim$' '' -- "$W" start victim
wait_for '[ "$(inspect_field victim State.Status)" = running ]' 5
check_eq "running again" "running" "$(inspect_field victim State.Status)"
"$W" rm -f victim >/dev/null

# A reboot: the state says running, written in another boot, and no lock is held.
id=$("$W" create --name rebooted test/probe hello)
dir=$WASMBOX_ROOT/containers/$id
python3 - "$dir/state.json" <<'PY'
import json, sys
p = sys.argv[1]
s = json.load(open(p))
s.update(Status="running", Running=True, Pid=999999, SupervisorPid=999999,
         StartedAt="2020-01-01T00:00:00.000000000Z", BootId="00000000-dead-beef-0000-000000000000")
json.dump(s, open(p, "w"))
PY
check_match "after a reboot ps -a lists it exited" 'Exited \(255\) .*host rebooted.* rebooted$' "$("$W" ps -a)"
check_eq "and it stays so" "exited" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Status"])' "$dir/state.json")"

# kill -9 of a foreground --rm run (the fast path runs the guest in-process).
"$W" run --rm --name fg test/probe spin >/dev/null &
runner=$!
wait_for '[ "$(inspect_field fg State.Status)" = running ]' 5
kill -9 $runner
wait $runner 2>/dev/null
check_nomatch "killed foreground --rm is not shown running" ' fg$' "$("$W" ps)"
check_nomatch "and was cleaned up (--rm)" ' fg$' "$("$W" ps -a)"

# A trap in one container takes down neither another container nor a supervisor.
"$W" run -d --name steady test/probe spin >/dev/null
"$W" run --name crasher test/probe trap >/dev/null 2>&1
check_eq "trap status" "134" "$(inspect_field crasher State.ExitCode)"
check_eq "the other one still runs" "running" "$(inspect_field steady State.Status)"
"$W" rm -f steady crasher >/dev/null
finish
