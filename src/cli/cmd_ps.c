/*
 * cmd_ps.c — `wasmbox ps [-a] [-q] [--no-trunc]`: docker's table of containers.
 *
 * STATUS reads as docker's ("Up 3 seconds", "Exited (0) 2 minutes ago",
 * "Restarting (1) 1 second ago", "Created"); a container that ended abnormally
 * (its supervisor died, the host rebooted, it trapped) carries the reason after
 * it in parentheses, so a dead container never passes for a running one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "run_container.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: wasmbox ps [OPTIONS]\n"
               "\n"
               "List containers.\n"
               "\n"
               "Options:\n"
               "  -a, --all         Show all containers (default shows just running)\n"
               "  -q, --quiet       Only display container IDs\n"
               "      --no-trunc    Don't truncate output\n"
               "  -h, --help        Print this help\n");
}

static void ago(int64_t t, char *buf, size_t len)
{
    char d[64];
    wb_ctr_human_duration(wb_ctr_now() - t, d, sizeof d);
    snprintf(buf, len, "%s ago", d);
}

static void status_text(const wb_ctr_info *c, char *buf, size_t len)
{
    char when[80], d[64];
    switch (c->status) {
    case WB_CTR_RUNNING:
        wb_ctr_human_duration(wb_ctr_now() - c->started, d, sizeof d);
        snprintf(buf, len, "Up %s", d);
        return;
    case WB_CTR_RESTARTING:
        ago(c->finished, when, sizeof when);
        snprintf(buf, len, "Restarting (%d) %s", c->exit_code, when);
        return;
    case WB_CTR_EXITED:
        ago(c->finished, when, sizeof when);
        if (c->reason[0])
            snprintf(buf, len, "Exited (%d) %s (%s)", c->exit_code, when, c->reason);
        else
            snprintf(buf, len, "Exited (%d) %s", c->exit_code, when);
        return;
    case WB_CTR_CREATED:
        snprintf(buf, len, "Created");
        return;
    default:
        snprintf(buf, len, "%s", wb_ctr_status_name(c->status));
    }
}

#define NCOLS 7

/* Characters (not bytes) of a UTF-8 string: what a terminal column shows. */
static size_t columns(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* docker's Ellipsis(command, 20): 19 characters and "…" when longer. */
static void trunc_cmd(const char *cmd, bool no_trunc, char *buf, size_t len)
{
    if (no_trunc || columns(cmd) <= 20) {
        snprintf(buf, len, "%s", cmd);
        return;
    }
    size_t bytes = 0;
    for (size_t chars = 0; cmd[bytes] && chars < 19; chars++)
        for (bytes++; ((unsigned char)cmd[bytes] & 0xc0) == 0x80; bytes++)
            ;
    snprintf(buf, len, "%.*s…", (int)bytes, cmd);
}

/* Columns padded to their widest cell plus three spaces, as docker's tabwriter. */
static void print_row(const char *const *cells, const size_t *width)
{
    for (int k = 0; k < NCOLS - 1; k++)
        printf("%s%*s", cells[k], (int)(width[k] - columns(cells[k]) + 3), "");
    printf("%s\n", cells[NCOLS - 1]);
}

static int print_table(wb_ctr_info *list, size_t n, bool no_trunc)
{
    static const char *const head[NCOLS] = {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED",
                                            "STATUS",       "PORTS", "NAMES"};
    char(*cells)[NCOLS][320] = calloc(n ? n : 1, sizeof *cells);
    if (!cells)
        return WB_CTR_CLI_FAIL;
    size_t width[NCOLS];
    for (int k = 0; k < NCOLS; k++)
        width[k] = columns(head[k]);
    for (size_t i = 0; i < n; i++) {
        snprintf(cells[i][0], 320, "%.*s", no_trunc ? 64 : 12, list[i].id);
        snprintf(cells[i][1], 320, "%s", list[i].image);
        trunc_cmd(list[i].command, no_trunc, cells[i][2], 320);
        ago(list[i].created, cells[i][3], 320);
        status_text(&list[i], cells[i][4], 320);
        snprintf(cells[i][5], 320, "%s", list[i].ports);
        snprintf(cells[i][6], 320, "%s", list[i].name);
        for (int k = 0; k < NCOLS; k++) {
            size_t w = columns(cells[i][k]);
            if (w > width[k])
                width[k] = w;
        }
    }
    print_row(head, width);
    for (size_t i = 0; i < n; i++) {
        const char *row[NCOLS];
        for (int k = 0; k < NCOLS; k++)
            row[k] = cells[i][k];
        print_row(row, width);
    }
    free(cells);
    return 0;
}

int cmd_ps(int argc, char **argv)
{
    static const struct option longs[] = {{"all", no_argument, NULL, 'a'},
                                          {"quiet", no_argument, NULL, 'q'},
                                          {"no-trunc", no_argument, NULL, 'T'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    bool all = false, quiet = false, no_trunc = false;
    int c;
    optind = 1;
    while ((c = wb_ctr_cli_getopt(argc, argv, ":aqh", longs)) != -1) {
        switch (c) {
        case 'a':
            all = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'T':
            no_trunc = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return WB_CTR_CLI_USAGE;
        }
    }
    if (optind < argc)
        return wb_ctr_cli_usage(argv[0], "\"ps\" accepts no arguments");
    wb_ctr_info *list;
    size_t n;
    wb_error err = {0};
    if (wb_container_list(NULL, all, &list, &n, &err) < 0)
        return wb_ctr_cli_fail(&err);
    int ret = 0;
    if (quiet) {
        for (size_t i = 0; i < n; i++)
            printf("%.*s\n", no_trunc ? 64 : 12, list[i].id);
    } else {
        ret = print_table(list, n, no_trunc);
    }
    wb_container_list_free(list, n);
    return ret;
}
