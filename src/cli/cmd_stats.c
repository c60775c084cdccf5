/*
 * cmd_stats.c — `wasmbox stats [--no-stream] [-a] [CONTAINER...]`: for each
 * container, the linear memory its program uses (against its --memory limit), the
 * CPU time of the process running it and the CPU share over the last interval.
 * Streams a fresh table every second until interrupted, or prints one with
 * --no-stream (CPU % then measured over a quarter of a second).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "run_container.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: wasmbox stats [OPTIONS] [CONTAINER...]\n"
               "\n"
               "Display a live stream of container resource usage.\n"
               "\n"
               "Options:\n"
               "  -a, --all         Show all containers (default shows just running)\n"
               "      --no-stream   Print one table and exit\n"
               "  -h, --help        Print this help\n");
}

typedef struct sample {
    char id[WB_CTR_ID_LEN + 1];
    wb_ctr_stats s;
    int64_t at;
    uint64_t prev_cpu;
    int64_t prev_at;
    bool ok;
} sample;

static void take(sample *x)
{
    wb_error err;
    x->prev_cpu = x->s.cpu_ns;
    x->prev_at = x->at;
    x->ok = wb_container_stats(NULL, x->id, &x->s, &err) == 0;
    x->at = wb_ctr_now();
}

static void print(sample *v, size_t n, bool clear)
{
    if (clear)
        printf("\033[2J\033[H");
    printf("%-15s%-28s%-10s%-12s%-24s%-9s%s\n", "CONTAINER ID", "NAME", "CPU %", "CPU TIME",
           "MEM USAGE / LIMIT", "MEM %", "RSS");
    for (size_t i = 0; i < n; i++) {
        if (!v[i].ok)
            continue;
        const wb_ctr_stats *s = &v[i].s;
        double cpu = 0;
        if (v[i].prev_at && v[i].at > v[i].prev_at && s->cpu_ns >= v[i].prev_cpu)
            cpu = 100.0 * (double)(s->cpu_ns - v[i].prev_cpu) / (double)(v[i].at - v[i].prev_at);
        char mem[32], lim[32], rss[32], use[72], cput[32];
        wb_ctr_cli_mem_size(s->memory, mem, sizeof mem);
        wb_ctr_cli_mem_size(s->memory_limit, lim, sizeof lim);
        wb_ctr_cli_mem_size(s->rss, rss, sizeof rss);
        snprintf(use, sizeof use, "%s / %s", mem, lim);
        snprintf(cput, sizeof cput, "%.2fs", (double)s->cpu_ns / 1e9);
        double pct = s->memory_limit ? 100.0 * (double)s->memory / (double)s->memory_limit : 0;
        printf("%-15.12s%-28s%-10s%-12s%-24s%-9s%s\n", s->id, s->name,
               s->running ? (snprintf(mem, sizeof mem, "%.2f%%", cpu), mem) : "--", cput, use,
               (snprintf(lim, sizeof lim, "%.2f%%", pct), lim), rss);
    }
    fflush(stdout);
}

static int collect(int argc, char **argv, bool all, sample **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (argc > 0) {
        sample *v = calloc((size_t)argc, sizeof *v);
        if (!v)
            return -1;
        for (int i = 0; i < argc; i++) {
            if (wb_ctr_cli_resolve(argv[i], v[*n].id) < 0) {
                free(v);
                return -1;
            }
            (*n)++;
        }
        *out = v;
        return 0;
    }
    wb_ctr_info *list;
    size_t count;
    wb_error err = {0};
    if (wb_container_list(NULL, all, &list, &count, &err) < 0)
        return wb_ctr_cli_fail(&err), -1;
    sample *v = calloc(count ? count : 1, sizeof *v);
    for (size_t i = 0; v && i < count; i++)
        memcpy(v[i].id, list[i].id, sizeof v[i].id);
    wb_container_list_free(list, count);
    if (!v)
        return -1;
    *out = v;
    *n = count;
    return 0;
}

int cmd_stats(int argc, char **argv)
{
    static const struct option longs[] = {{"all", no_argument, NULL, 'a'},
                                          {"no-stream", no_argument, NULL, 'S'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    bool all = false, stream = true;
    int c;
    optind = 1;
    while ((c = wb_ctr_cli_getopt(argc, argv, ":ah", longs)) != -1) {
        switch (c) {
        case 'a':
            all = true;
            break;
        case 'S':
            stream = false;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return WB_CTR_CLI_USAGE;
        }
    }
    sample *v;
    size_t n;
    if (collect(argc - optind, argv + optind, all, &v, &n) < 0)
        return WB_CTR_CLI_FAIL;
    for (size_t i = 0; i < n; i++)
        take(&v[i]);
    bool tty = isatty(1);
    for (;;) {
        struct timespec ts = {stream ? 1 : 0, stream ? 0 : 250000000};
        nanosleep(&ts, NULL);
        for (size_t i = 0; i < n; i++)
            take(&v[i]);
        print(v, n, stream && tty);
        if (!stream)
            break;
    }
    free(v);
    return 0;
}
