/*
 * cmd_stop.c — `wasmbox stop [-t N] CONTAINER...`: interrupts the program (even a
 * busy loop), and after N seconds (default: the container's --stop-timeout, 10)
 * has its supervisor kill it. Prints each container as named once it has stopped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    static const struct option longs[] = {{"time", required_argument, NULL, 't'},
                                          {"timeout", required_argument, NULL, 't'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    int timeout = -1, c;
    optind = 1;
    while ((c = wb_ctr_cli_getopt(argc, argv, ":t:h", longs)) != -1) {
        char *end;
        switch (c) {
        case 't':
            timeout = (int)strtol(optarg, &end, 10);
            if (!*optarg || *end || timeout < 0)
                return wb_ctr_cli_usage(argv[0], "invalid --time value");
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return WB_CTR_CLI_USAGE;
        }
    }
    if (optind >= argc)
        return wb_ctr_cli_usage(argv[0], "\"stop\" requires at least 1 argument");
    return wb_ctr_cli_each(argc, argv, optind, stop_one, &timeout);
}
