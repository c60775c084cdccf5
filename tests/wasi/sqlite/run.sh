#!/bin/sh
# run.sh WASMBOX SQLITE_DIR — runs the SQLite workload under `wasmbox run` on a
# database file in a preopened directory, twice (create, then query in a second
# process), and compares every line with the native build's output.
set -u
wasmbox=$1 dir=$2
[ -f "$dir/sqlite_demo.wasm" ] || { echo "sqlite_demo.wasm not built: cannot run the SQLite test" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/wasi-sqlite.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir "$T/wasm" "$T/native"
"$wasmbox" run -v "$T/wasm:/data" "$dir/sqlite_demo.wasm" create /data/test.db 10000 >"$T/wasm.out" || { echo "FAIL: create exit $?"; exit 1; }
"$wasmbox" run -v "$T/wasm:/data" "$dir/sqlite_demo.wasm" query /data/test.db >>"$T/wasm.out" || { echo "FAIL: query exit $?"; exit 1; }
"$dir/sqlite_demo_native" create "$T/native/test.db" 10000 >"$T/native.out" || exit 1
"$dir/sqlite_demo_native" query "$T/native/test.db" >>"$T/native.out" || exit 1
cat "$T/wasm.out"
if ! cmp -s "$T/wasm.out" "$T/native.out"; then
    echo "FAIL: output differs from the native build:"; diff "$T/native.out" "$T/wasm.out"; exit 1
fi
grep -qx ok "$T/wasm.out" || { echo "FAIL: integrity_check"; exit 1; }
[ -s "$T/wasm/test.db" ] || { echo "FAIL: no database file on the host"; exit 1; }
echo "sqlite: $(wc -l <"$T/wasm.out") lines identical to the native build; db $(wc -c <"$T/wasm/test.db") bytes"
