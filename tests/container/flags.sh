#!/bin/bash
# flags.sh — `run IMAGE` merges its flags with the image's config as docker does:
# CMD, ENTRYPOINT, ENV, WORKDIR, volumes over the read-only image files, limits,
# and the program's status (its own, 134 for a trap, 126/127 for a bad entrypoint).
. "$(dirname "$0")/lib.sh"
build_probe_image
R() { "$W" run --rm "$@"; }

check_run "image CMD by default" 0 '^hello from probe$' '' -- R test/probe
check_eq "arguments replace CMD" "argv[0]=/bin/probe.wasm argv[1]=args argv[2]=x y " "$(R test/probe args "x y" | tr '\n' ' ')"
check_run "argv[0] is the entrypoint" 0 'argv\[0\]=/bin/probe.wasm' '' -- R test/probe args
check_run "--entrypoint replaces ENTRYPOINT and drops CMD" 0 '^argv\[0\]=/bin/probe.wasm$' '' -- \
    R --entrypoint /bin/probe.wasm test/probe args
check_run "--entrypoint plus arguments" 0 'hello from probe' '' -- \
    R --entrypoint /bin/probe.wasm test/probe hello

env_out=$(R -e MODE=flag -e EXTRA=1 test/probe env)
check_match "image ENV kept" '^GREETING=hello$' "$env_out"
check_match "-e overrides image ENV" '^MODE=flag$' "$env_out"
check_nomatch "overridden value gone" '^MODE=image$' "$env_out"
check_match "-e adds" '^EXTRA=1$' "$env_out"
check_match "HOSTNAME is the short id" '^HOSTNAME=[0-9a-f]{12}$' "$env_out"
check_match "PATH default" '^PATH=/usr/local/sbin' "$env_out"
printf 'FROMFILE=yes\n# comment\nMODE=file\n' >"$SCRATCH/env.list"
env_out=$(R --env-file "$SCRATCH/env.list" -e GREETING=bye test/probe env)
check_match "--env-file" '^FROMFILE=yes$' "$env_out"
check_match "--env-file overrides image" '^MODE=file$' "$env_out"
check_match "-e after --env-file" '^GREETING=bye$' "$env_out"
check_run "-e KEY takes the host's value" 0 '^HOSTVAR=fromhost$' '' -- \
    env HOSTVAR=fromhost "$W" run --rm -e HOSTVAR test/probe env

# The image's files, read-only; volumes over them.
check_run "image files visible at /" 0 '^data from the image$' '' -- R test/probe cat /etc/data.txt
check_run "ls /" 0 'bin' '' -- R test/probe ls /
check_run "image files are read-only" 1 'write /etc/new: (Read-only file system|Permission denied|Not permitted)' '' -- \
    R test/probe write /etc/new x
vol=$SCRATCH/vol
mkdir -p "$vol"
echo "from the host" >"$vol/in.txt"
check_run "volume readable" 0 '^from the host$' '' -- R -v "$vol:/data" test/probe cat /data/in.txt
check_run "volume writable" 0 'wrote /data/out.txt' '' -- R -v "$vol:/data" test/probe write /data/out.txt hi
check_eq "write reached the host" "hi" "$(cat "$vol/out.txt" 2>/dev/null)"
check_run ":ro volume" 1 'Read-only file system|Permission denied|Not permitted' '' -- \
    R -v "$vol:/data:ro" test/probe write /data/no.txt x
check_run "volume mounts over image files" 0 '^in.txt' '' -- R -v "$vol:/etc" test/probe ls /etc
check_run "volume created when missing" 0 'wrote' '' -- R -v "$SCRATCH/newdir:/new" test/probe write /new/f x
check_eq "missing host dir created" "x" "$(cat "$SCRATCH/newdir/f" 2>/dev/null)"
check_run "named volume" 0 'wrote' '' -- R -v myvol:/v test/probe write /v/f named
check_run "named volume persists" 0 '^named$' '' -- R -v myvol:/v test/probe cat /v/f
wd=$("$W" create -w /data -v "$vol:/data" test/probe 2>/dev/null)
check_eq "-w recorded" "/data" "$(inspect_field "$wd" Config.WorkingDir)"
"$W" rm "$wd" >/dev/null 2>&1

# Statuses.
check_run "exit status is the program's" 7 '' '' -- R test/probe exit 7
check_run "trap: 134 and a message" 134 '' 'wasmbox: /bin/probe.wasm: trap: unreachable' -- R test/probe trap
check_run "missing entrypoint: 127" 127 '' 'wasmbox: exec: "/nope.wasm": no such file' -- \
    R --entrypoint /nope.wasm test/probe
check_run "entrypoint not in PATH: 127" 127 '' 'executable file not found in \$PATH' -- \
    R --entrypoint nope.wasm test/probe
check_run "entrypoint not a module: 126" 126 '' 'wasmbox: /etc/data.txt: ' -- \
    R --entrypoint /etc/data.txt test/probe
check_run "entrypoint a directory: 126" 126 '' 'wasmbox: exec: "/etc": ' -- R --entrypoint /etc test/probe

# --memory caps linear memory growth: malloc fails, the program goes on.
check_run "--memory 16m: growth fails" 3 'allocated ([0-9]|1[0-5]) MiB' '' -- R --memory 16m test/probe grow 64
check_run "without --memory it grows" 0 'allocated 64 MiB' '' -- R test/probe grow 64

# inspect, in docker's shape.
id=$("$W" run -d --name insp -e A=B -p 127.0.0.1:0:80 test/probe hello 2>/dev/null)
"$W" wait insp >/dev/null 2>&1
check_match "inspect Id" "^$id\$" "$(inspect_field insp Id)"
check_eq "inspect Name" "/insp" "$(inspect_field insp Name)"
check_eq "inspect Path" "/bin/probe.wasm" "$(inspect_field insp Path)"
check_eq "inspect Args" '["hello"]' "$(inspect_field insp Args)"
check_match "inspect Image is the image ID" '^sha256:[0-9a-f]{64}$' "$(inspect_field insp Image)"
check_eq "inspect Config.Image" "test/probe" "$(inspect_field insp Config.Image)"
check_match "inspect Config.Env" '"A=B"' "$(inspect_field insp Config.Env)"
check_eq "inspect Config.Cmd" '["hello"]' "$(inspect_field insp Config.Cmd)"
check_match "inspect StartedAt" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$' "$(inspect_field insp State.StartedAt)"
check_match "inspect FinishedAt" '^20[0-9]{2}-' "$(inspect_field insp State.FinishedAt)"
check_eq "inspect State.Running" "false" "$(inspect_field insp State.Running)"
check_match "inspect HostConfig.PortBindings" '80/tcp' "$(inspect_field insp HostConfig.PortBindings)"
check_eq "inspect HostConfig.RestartPolicy.Name" "no" "$(inspect_field insp HostConfig.RestartPolicy.Name)"
finish
