#!/bin/bash
# seed.sh — the user's path: build the seed's greeting into an image and run it
# with --rm; the direct run of the .wasm file keeps working; the seed's Fibonacci
# program as a container.
. "$(dirname "$0")/lib.sh"

ctx=$SCRATCH/hello
mkdir -p "$ctx"
cp "${HELLO_WASM:?}" "$ctx/hello.wasm"
printf 'FROM scratch\nCOPY hello.wasm /hello.wasm\nENTRYPOINT ["/hello.wasm"]\n' >"$ctx/Dockerfile"
check_run "build -t demo/hello" 0 "" "" -- "$W" build -t demo/hello "$ctx"
check_run "run --rm demo/hello prints the greeting" 0 '^Hello WebAssembly in Docker!$' '^$' -- \
    "$W" run --rm demo/hello
check_eq "--rm leaves no container behind" "" "$("$W" ps -aq)"
check_run "run FILE.wasm keeps working" 0 '^Hello WebAssembly in Docker!$' '^$' -- \
    "$W" run "$HELLO_WASM"
image_id=$("$W" inspect -f '{{.Id}}' demo/hello 2>/dev/null)
image_id=${image_id#sha256:}
check_run "run by image id prefix" 0 'Hello WebAssembly' '' -- "$W" run --rm "${image_id:0:12}"

# Without --rm the container stays, exited, with its output in the log.
out=$("$W" run --name greeter demo/hello)
check_eq "foreground run prints the greeting" "Hello WebAssembly in Docker!" "$out"
check_match "ps -a shows it exited (0)" 'Exited \(0\).*greeter' "$("$W" ps -a)"
check_eq "logs shows the greeting" "Hello WebAssembly in Docker!" "$("$W" logs greeter)"
check_eq "inspect State.Status" "exited" "$(inspect_field greeter State.Status)"
check_eq "inspect State.ExitCode" "0" "$(inspect_field greeter State.ExitCode)"
check_eq "inspect Config.Entrypoint" '["/hello.wasm"]' "$(inspect_field greeter Config.Entrypoint)"

# The image's unpacked files live as long as the image: rmi refuses while a
# container uses it, and gives the disk back once it goes.
rootfs=$WASMBOX_ROOT/rootfs/$(ls "$WASMBOX_ROOT/rootfs" | grep -E '^[0-9a-f]{64}$')
check_eq "the first run unpacked the image once" yes "$([ -d "$rootfs" ] && echo yes)"
check_run "rmi of an image a container uses is refused" 1 '' 'used by container' -- \
    "$W" rmi demo/hello
check_eq "... and its files stay" yes "$([ -d "$rootfs" ] && echo yes)"
check_run "rm greeter" 0 '^greeter$' '' -- "$W" rm greeter
"$W" tag demo/hello demo/hello:again
check_run "rmi of one of two names" 0 '^Untagged: demo/hello:again$' '' -- "$W" rmi demo/hello:again
check_eq "... keeps the files" yes "$([ -d "$rootfs" ] && echo yes)"
check_run "rmi demo/hello" 0 'Deleted: sha256:' '' -- "$W" rmi demo/hello
check_eq "... removes its unpacked files" no "$([ -e "$rootfs" ] || [ -e "$rootfs.json" ] && echo yes || echo no)"
"$W" build -t demo/hello "$ctx" >/dev/null 2>&1
"$W" run --rm demo/hello >/dev/null
mkdir "$WASMBOX_ROOT/rootfs/.tmp-crashed" "$WASMBOX_ROOT/rootfs/.tmp-in-progress"
touch -d '2 hours ago' "$WASMBOX_ROOT/rootfs/.tmp-crashed"
check_run "image prune -a" 0 'Total reclaimed space: [1-9]' '' -- "$W" image prune -a -f
check_eq "... removed the unused image's files and an old leftover, not a fresh one" \
    ".tmp-in-progress" "$(ls -A "$WASMBOX_ROOT/rootfs" | tr '\n' ' ' | sed 's/ $//')"
"$W" build -t demo/hello "$ctx" >/dev/null 2>&1

if [ -n "${FIB_WASM:-}" ] && [ -f "$FIB_WASM" ]; then
    fctx=$SCRATCH/fib
    mkdir -p "$fctx"
    cp "$FIB_WASM" "$fctx/fibonacci.wasm"
    printf 'FROM scratch\nCOPY fibonacci.wasm /fibonacci.wasm\nENTRYPOINT ["/fibonacci.wasm"]\n' >"$fctx/Dockerfile"
    "$W" build -t demo/fib "$fctx" >/dev/null 2>&1
    check_run "fibonacci as a container" 0 'Fibonacci\(35\) = 9227465' '' -- "$W" run --rm demo/fib
fi
finish
