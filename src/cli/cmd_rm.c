/*
 * cmd_rm.c — `wasmbox rm [-f] CONTAINER...`: removes stopped containers (running
 * ones too with -f, after killing them), their logs and their names.
 */
#include <stdio.h>

#include "commands.h"
#include "run_container.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: wasmbox rm [OPTIONS] CONTAINER [CONTAINER...]\n"
               "\n"
               "Remove one or more containers.\n"
               "\n"
               "Options:\n"
               "  -f, --force     Kill and remove a running container\n"
               "  -v, --volumes   Accepted for docker's sake (named volumes are kept)\n"
               "  -h, --help      Print this help\n");
}

static int remove_one(const char *id, void *arg, wb_error *err)
{
    return wb_container_remove(NULL, id, *(bool *)arg, err);
}

int cmd_rm(int argc, char **argv)
{
    static const struct option longs[] = {{"force", no_argument, NULL, 'f'},
                                          {"volumes", no_argument, NULL, 'v'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    bool force = false;
    int c;
    optind = 1;
    while ((c = wb_ctr_cli_getopt(argc, argv, ":fvh", longs)) != -1) {
        switch (c) {
        case 'f':
            force = true;
            break;
        case 'v':
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return WB_CTR_CLI_USAGE;
        }
    }
    if (optind >= argc)
        return wb_ctr_cli_usage(argv[0], "\"rm\" requires at least 1 argument");
    return wb_ctr_cli_each(argc, argv, optind, remove_one, &force);
}
