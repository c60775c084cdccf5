/*
 * delegate.c — how the lean `wasmbox` reaches the commands it does not carry.
 *
 * `wasmbox-tools` (same sources, every command, linked with libarchive and
 * libcurl) sits beside `wasmbox` in build/ and in the install prefix. The lean
 * binary finds it through /proc/self/exe, so a copy of the pair works from any
 * directory, and $WASMBOX_TOOLS overrides the path (tests, odd layouts).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../commands.h"
#include "../options.h"
#include "lean.h"

int wb_tools_path(char *buf, size_t len)
{
    const char *env = getenv("WASMBOX_TOOLS");
    if (env && *env) {
        if (strlen(env) >= len)
            return -1;
        strcpy(buf, env);
        return 0;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return -1;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    if ((size_t)snprintf(buf, len, "%s/wasmbox-tools", self) >= len)
        return -1;
    return 0;
}

int cmd_delegate_to_tools(int argc, char **argv)
{
    char path[PATH_MAX];
    if (wb_tools_path(path, sizeof path) < 0) {
        fprintf(stderr, "wasmbox: %s: cannot locate wasmbox-tools\n", argv[0]);
        return 125;
    }
    /* argv[0..argc) is the command and its arguments; keep --debug. */
    char **args = calloc((size_t)argc + 3, sizeof *args);
    if (!args) {
        fprintf(stderr, "wasmbox: out of memory\n");
        return 125;
    }
    int k = 0;
    args[k++] = "wasmbox";
    if (wb_cli_debug)
        args[k++] = "--debug";
    for (int i = 0; i < argc; i++)
        args[k++] = argv[i];
    args[k] = NULL;
    fflush(NULL);
    execv(path, args);
    fprintf(stderr, "wasmbox: %s: cannot run %s: %s\n", argv[0], path, strerror(errno));
    free(args);
    return 125;
}
