/*
 * cmd_wait.c — `wasmbox wait CONTAINER...`: blocks until each container stops and
 * prints its exit status, one per line.
 */
#include <stdio.h>

#include "commands.h"
#include "run_container.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: wasmbox wait CONTAINER [CONTAINER...]\n"
               "\n"
               "Block until one or more containers stop, then print their exit codes.\n");
}

int cmd_wait(int argc, char **argv)
{
    static const struct option longs[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = wb_ctr_cli_getopt(argc, argv, ":h", longs)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        return WB_CTR_CLI_USAGE;
    }
    if (optind >= argc)
        return wb_ctr_cli_usage(argv[0], "\"wait\" requires at least 1 argument");
    int status = 0;
    for (int i = optind; i < argc; i++) {
        char id[WB_CTR_ID_LEN + 1];
        wb_error err = {0};
        int code;
        if (wb_ctr_cli_resolve(argv[i], id) < 0) {
            status = WB_CTR_CLI_FAIL;
            continue;
        }
        if (wb_container_wait(NULL, id, &code, &err) < 0) {
            status = wb_ctr_cli_fail(&err);
            continue;
        }
        printf("%d\n", code);
        fflush(stdout);
    }
    return status;
}
