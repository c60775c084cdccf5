/*
 * cmd_restart.c — `wasmbox restart [-t N] CONTAINER...`: stop (as `stop -t N`),
 * then start again under a new supervisor, detached.
 */
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "run_container.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: wasmbox restart [OPTIONS] CONTAINER [CONTAINER...]\n"
               "\n"
               "Restart one or more containers.\n"
               "\n"
               "Options:\n"
               "  -t, --time N     Seconds to wait for it to stop before killing it\n"
               "  -h, --help       Print this help\n");
}

static int restart_one(const char *id, void *arg, wb_error *err)
{
    return wb_container_restart(NULL, id, *(int *)arg, err);
}

int cmd_restart(int argc, char **argv)
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
        return wb_ctr_cli_usage(argv[0], "\"restart\" requires at least 1 argument");
    return wb_ctr_cli_each(argc, argv, optind, restart_one, &timeout);
}
