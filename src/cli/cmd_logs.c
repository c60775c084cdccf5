/*
 * cmd_logs.c — `wasmbox logs [-f] [--tail N] [-t] CONTAINER`: what the container's
 * program wrote, stdout to stdout and stderr to stderr, from its json-file log.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "run_container.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: wasmbox logs [OPTIONS] CONTAINER\n"
               "\n"
               "Fetch the logs of a container.\n"
               "\n"
               "Options:\n"
               "  -f, --follow         Follow log output until the container stops\n"
               "  -n, --tail N         Number of lines to show from the end (default \"all\")\n"
               "  -t, --timestamps     Show timestamps\n"
               "  -h, --help           Print this help\n");
}

static int parse_tail(const char *s, long *out)
{
    if (strcmp(s, "all") == 0) {
        *out = -1;
        return 0;
    }
    char *end;
    long n = strtol(s, &end, 10);
    if (!*s || *end)
        return -1;
    *out = n < 0 ? -1 : n;
    return 0;
}

int cmd_logs(int argc, char **argv)
{
    static const struct option longs[] = {{"follow", no_argument, NULL, 'f'},
                                          {"tail", required_argument, NULL, 'n'},
                                          {"timestamps", no_argument, NULL, 't'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    wb_log_options o = {.tail = -1};
    int c;
    optind = 1;
    while ((c = wb_ctr_cli_getopt(argc, argv, ":fn:th", longs)) != -1) {
        switch (c) {
        case 'f':
            o.follow = true;
            break;
        case 't':
            o.timestamps = true;
            break;
        case 'n':
            if (parse_tail(optarg, &o.tail) < 0)
                return wb_ctr_cli_usage(argv[0], "invalid --tail value (a number or \"all\")");
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return WB_CTR_CLI_USAGE;
        }
    }
    if (argc - optind != 1)
        return wb_ctr_cli_usage(argv[0], "\"logs\" requires exactly 1 argument");
    char id[WB_CTR_ID_LEN + 1];
    if (wb_ctr_cli_resolve(argv[optind], id) < 0)
        return WB_CTR_CLI_FAIL;
    signal(SIGPIPE, SIG_IGN); /* `logs -f | head` ends with EPIPE, quietly */
    wb_error err = {0};
    fflush(stdout);
    if (wb_container_logs(NULL, id, &o, 1, 2, &err) < 0)
        return wb_ctr_cli_fail(&err);
    return 0;
}
