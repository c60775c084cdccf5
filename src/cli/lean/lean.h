/* lean.h — what the lean `wasmbox` binary adds (see delegate.c). */
#ifndef WASMBOX_CLI_LEAN_H
#define WASMBOX_CLI_LEAN_H

#include <stddef.h>

/* Path of wasmbox-tools: $WASMBOX_TOOLS, else beside /proc/self/exe. */
int wb_tools_path(char *buf, size_t len);

#endif
