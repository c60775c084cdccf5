#!/bin/bash
# names.sh — names are unique; ids are 64 hex digits and every command accepts a
# unique prefix, the full id or the name (with or without a leading "/").
. "$(dirname "$0")/lib.sh"
build_probe_image

id=$("$W" create --name alpha test/probe hello)
check_match "64-hex id" '^[0-9a-f]{64}$' "$id"
check_run "name in use: 125" 125 '' 'Conflict. The container name "/alpha" is already in use by container "'"$id"'"' -- \
    "$W" run --name alpha test/probe
check_run "name in use with --rm too" 125 '' 'already in use' -- "$W" run --rm --name alpha test/probe
check_run "invalid name: 125" 125 '' 'Invalid container name \(-bad\)' -- "$W" run --name -bad test/probe
check_run "invalid name characters" 125 '' 'Invalid container name' -- "$W" run --name 'a b' test/probe
check_eq "by name" "$id" "$(inspect_field alpha Id)"
check_eq "by /name" "$id" "$(inspect_field /alpha Id)"
check_eq "by full id" "$id" "$(inspect_field "$id" Id)"
check_eq "by 12-char prefix" "$id" "$(inspect_field "${id:0:12}" Id)"
check_eq "by 4-char prefix" "$id" "$(inspect_field "${id:0:4}" Id)"
check_run "start by prefix" 0 "^${id:0:6}\$" '' -- "$W" start "${id:0:6}"
check_run "wait by prefix" 0 '^0$' '' -- "$W" wait "${id:0:5}"
check_run "logs by prefix" 0 'hello from probe' '' -- "$W" logs "${id:0:8}"

# An ambiguous prefix: make containers until two share a first hex digit.
for i in $(seq 1 20); do "$W" create test/probe >/dev/null; done
p=$("$W" ps -aq --no-trunc | cut -c1 | sort | uniq -d | head -1)
check_run "ambiguous prefix" 1 '' "multiple IDs found with provided prefix: $p" -- "$W" logs "$p"
check_run "unknown reference" 1 '' 'No such container: zzz' -- "$W" logs zzz
check_run "unknown hex prefix" 1 '' 'No such container: ' -- "$W" stop 0123456789abcdef0123
check_run "rm by name" 0 '^alpha$' '' -- "$W" rm alpha
check_run "name reusable after rm" 0 '' '' -- "$W" create --name alpha test/probe
check_run "concurrent claims: one wins" 0 '' '' -- bash -c '
    for i in 1 2 3 4 5 6 7 8; do "$0" create --name race test/probe >/dev/null 2>&1 & done; wait' "$W"
check_eq "exactly one race" "1" "$("$W" ps -a | grep -c ' race$')"
finish
