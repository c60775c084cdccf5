#!/bin/bash
# concurrent.sh — 50 containers started at once: unique ids and names, all of them
# run to completion, each with its own output; a trap in one affects no other.
. "$(dirname "$0")/lib.sh"
build_probe_image
N=${N:-50}

for i in $(seq 1 $N); do
    if [ "$i" -eq 7 ]; then
        "$W" run -d test/probe trap >"$SCRATCH/id.$i" 2>&1 &
    else
        "$W" run -d -e N=$i test/probe tick 3 50 >"$SCRATCH/id.$i" 2>&1 &
    fi
done
wait
ids=$(cat "$SCRATCH"/id.* | grep -cE '^[0-9a-f]{64}$')
check_eq "$N run -d succeed" "$N" "$ids"
check_eq "ids are unique" "$N" "$(cat "$SCRATCH"/id.* | sort -u | wc -l)"
check_eq "ps -a lists $N" "$N" "$("$W" ps -aq | wc -l)"
names=$("$W" ps -a | tail -n +2 | awk '{print $NF}' | sort -u | wc -l)
check_eq "generated names are unique" "$N" "$names"
wait_for '[ -z "$("$W" ps -q)" ]' 30
check_eq "all finished" "" "$("$W" ps -q)"
codes=$("$W" wait $(cat "$SCRATCH"/id.*) | sort | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')
check_eq "49 exited 0, the trapping one 134" "0x$((N - 1)) 134x1 " "$codes"
id5=$(cat "$SCRATCH/id.5")
check_eq "each has its own log" "tick 1 tick 2 tick 3 " "$("$W" logs "$id5" | tr '\n' ' ')"
check_match "the trap is in its log" 'trap: unreachable' "$("$W" logs "$(cat "$SCRATCH/id.7")" 2>&1)"
"$W" rm $(cat "$SCRATCH"/id.*) >/dev/null
check_eq "all removed" "" "$("$W" ps -aq)"

# 50 foreground --rm runs at once.
for i in $(seq 1 $N); do
    "$W" run --rm test/probe hello >"$SCRATCH/out.$i" 2>&1 &
done
wait
check_eq "$N concurrent run --rm" "$N" "$(cat "$SCRATCH"/out.* | grep -c '^hello from probe$')"
check_eq "none left" "" "$("$W" ps -aq)"
finish
