/*
 * main.c — the wasmbox-runtime executable: runc's command line (see runtime.h).
 *
 * Engines run the runtime three or four times per container, so its start-up
 * counts: it links the engine, WASI and the container module's guest runner, and
 * nothing of the image store (no libarchive, libcurl or libcrypto to load).
 */
#include "wasmbox/runtime.h"

int main(int argc, char **argv)
{
    return wb_runtime_main(argc, argv);
}
