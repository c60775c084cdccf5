#!/bin/sh
# build.sh OUT_DIR WASI_CC DEMO.c — fetches the SQLite amalgamation that the npm
# package better-sqlite3 ships (into OUT_DIR, once), and builds sqlite_demo twice:
# natively (the oracle) and for wasm32-wasi. Fails loudly (exit 1) when npm or
# the registry cannot be reached.
set -eu
out=$1 cc=$2 demo=$3
PKG=better-sqlite3@12.11.1
mkdir -p "$out"
cd "$out"
if [ ! -f sqlite3.c ]; then
    command -v npm >/dev/null 2>&1 || { echo "npm not found: cannot run the SQLite test" >&2; exit 1; }
    rm -rf pack && mkdir pack
    if ! (cd pack && npm pack "$PKG" --silent >/dev/null 2>&1); then
        echo "npm pack $PKG failed (no registry?): cannot run the SQLite test" >&2; exit 1
    fi
    tar -xzf pack/better-sqlite3-*.tgz -C pack package/deps/sqlite3/sqlite3.c package/deps/sqlite3/sqlite3.h
    mv pack/package/deps/sqlite3/sqlite3.h .
    mv pack/package/deps/sqlite3/sqlite3.c .
    rm -rf pack
fi
grep -m1 '#define SQLITE_VERSION ' sqlite3.h
FLAGS="-DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_DEFAULT_MEMSTATUS=0"
if [ ! -f sqlite3-wasm.o ]; then
    "$cc" --target=wasm32-wasi --sysroot=/usr -O2 $FLAGS -D_WASI_EMULATED_MMAN \
        -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS -c sqlite3.c -o sqlite3-wasm.o.tmp
    mv sqlite3-wasm.o.tmp sqlite3-wasm.o
fi
"$cc" --target=wasm32-wasi --sysroot=/usr -O2 $FLAGS -I. "$demo" sqlite3-wasm.o \
    -lwasi-emulated-mman -lwasi-emulated-signal -lwasi-emulated-process-clocks -o sqlite_demo.wasm
if [ ! -f sqlite3-native.o ]; then
    cc -O1 $FLAGS -c sqlite3.c -o sqlite3-native.o.tmp
    mv sqlite3-native.o.tmp sqlite3-native.o
fi
cc -O1 $FLAGS -I. "$demo" sqlite3-native.o -lm -o sqlite_demo_native
echo "built sqlite_demo.wasm ($(wc -c <sqlite_demo.wasm) bytes)"
