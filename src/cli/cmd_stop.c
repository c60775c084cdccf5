/*
 * cmd_stop.c — `wasmbox stop [-t N] CONTAINER...`: interrupts the program (even a
 * busy loop), and after N seconds (default: the container's --stop-timeout, 10)
 * has its supervisor kill it. Prints each container as named once it has stopped.
 */
#include <stdio.h>

#include "commands.h"
#include "run_container.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: wasmbox stop [OPTIONS] CONTAINER [CONTAINER...]\n"
               "\n"
               "Stop one or more running containers.\n"
               "\n"
               "Options:\n"
               "  -t, --time N     Seconds to wait before killing it (default: the\n"
               "                   container's --stop-timeout, else 10)\n"
               "  -h, --help       Print this help\n");
}

static int stop_one(const char *id, void *arg, wb_error *err)
{
    return wb_container_stop(NULL, id, *(int *)arg, err);
}

int cmd_stop(int argc, char **argv)
{
    return wb_ctr_cli_each_timed(argc, argv, "stop", usage, stop_one);
}
