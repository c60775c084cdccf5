/*
 * main.c — `wasmbox [--debug] COMMAND ...`: global flags, then one command from
 * the table in commands.c.
 *
 * Exit statuses follow docker's convention: 125 when wasmbox itself fails (bad
 * flag, unknown command), 126 when the program cannot be executed (not a valid
 * module, unresolvable import), 127 when it is not found, the program's own status
 * otherwise, and 134 when it traps (see docs/cli.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "options.h"

#ifndef WB_VERSION
#define WB_VERSION "0.1.0"
#endif

static void usage(FILE *out)
{
    fprintf(out, "Usage: wasmbox [OPTIONS] COMMAND [ARG...]\n"
                 "\n"
                 "A WebAssembly container engine.\n"
                 "\n"
                 "Options:\n"
                 "      --debug     Print internal detail on errors\n"
                 "  -h, --help      Print this help\n"
                 "  -v, --version   Print the version\n"
                 "\n"
                 "Commands:\n");
    for (const wb_command *c = wb_commands; c->name; c++)
        if (c->summary)
            fprintf(out, "  %-10s %s\n", c->name, c->summary);
    fprintf(out, "\nRun 'wasmbox COMMAND --help' for more information on a command.\n");
}

/* Descriptors 0-2 that the caller closed are held open on /dev/null (opened for
 * the opposite direction, so using them fails with EBADF): otherwise the next
 * file wasmbox opens would become "stdout". */
bool wb_stdio_closed[3];

static void hold_stdio(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        int n = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
        if (n >= 0 && n != fd) {
            dup2(n, fd);
            close(n);
        }
        wb_stdio_closed[fd] = true;
    }
}

int main(int argc, char **argv)
{
    hold_stdio();
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--debug") == 0 || strcmp(a, "-D") == 0) {
            wb_cli_debug = true;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0 || strcmp(a, "-v") == 0) {
            printf("wasmbox version %s\n", WB_VERSION);
            return 0;
        } else {
            fprintf(stderr, "wasmbox: unknown flag: %s (see 'wasmbox --help')\n", a);
            return 125;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 125;
    }
    for (const wb_command *c = wb_commands; c->name; c++)
        if (strcmp(c->name, argv[i]) == 0)
            return c->run(argc - i, argv + i);
    fprintf(stderr, "wasmbox: '%s' is not a wasmbox command (see 'wasmbox --help')\n", argv[i]);
    return 125;
}
