/* commands.c — the table of `wasmbox` commands (add one line per command). */
#include "commands.h"

#include <stddef.h>

const wb_command wb_commands[] = {
    {"run", cmd_run, "Run a WebAssembly module or an image in a new container"},
    {NULL, NULL, NULL},
};
