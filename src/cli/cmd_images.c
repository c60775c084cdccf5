/*
 * cmd_images.c — `wasmbox images [-q] [--no-trunc] [--digests] [REPOSITORY[:TAG]]`:
 * docker's table (REPOSITORY, TAG, IMAGE ID, CREATED, SIZE), newest first. SIZE is
 * what the image occupies in the store: config plus compressed layers, which for a
 * wasm image is close to the gzip-compressed size of its .wasm.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "image_cli.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: wasmbox images [OPTIONS] [REPOSITORY[:TAG]]\n"
               "\n"
               "List images.\n"
               "\n"
               "Options:\n"
               "  -a, --all        Show all images (the default)\n"
               "      --digests    Show manifest digests\n"
               "      --no-trunc   Do not truncate IDs\n"
               "  -q, --quiet      Only show image IDs\n"
               "  -h, --help       Print this help\n");
}

/* "demo/hello:latest" -> repository "demo/hello", tag "latest". */
static void split_name(const char *name, char *repo, size_t rlen, const char **tag)
{
    const char *colon = strrchr(name, ':');
    if (!colon || strchr(colon, '/')) {
        snprintf(repo, rlen, "%s", name);
        *tag = "<none>";
        return;
    }
    snprintf(repo, rlen, "%.*s", (int)(colon - name), name);
    *tag = colon + 1;
}

static bool filter_matches(const char *filter, const char *name)
{
    if (!filter)
        return true;
    if (!name)
        return false;
    char repo[300];
    const char *tag;
    split_name(name, repo, sizeof repo, &tag);
    if (strchr(filter, ':') && !strchr(strrchr(filter, ':'), '/'))
        return !strcmp(filter, name);
    return !strcmp(filter, repo);
}

/* The table (or -q's IDs) for the images that pass the filter. */
static void print_table(const wb_image_info *list, size_t n, const char *filter, bool quiet,
                        bool digests, bool notrunc)
{
    /* docker's tabwriter: columns as wide as their widest cell, three spaces apart */
    enum { NCOL = 6 };
    const char *heads[NCOL] = {"REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"};
    char(*cells)[NCOL][320] = calloc(n + 1, sizeof *cells);
    size_t rows = 0, width[NCOL] = {0};
    const char *last_q = "";
    for (size_t i = 0; cells && i < n; i++) {
        const wb_image_info *im = &list[i];
        if (!filter_matches(filter, im->name))
            continue;
        const char *id = im->config[0] ? im->config + 7 : im->manifest + 7;
        if (quiet) {
            if (strcmp(last_q, id))
                printf("%.*s\n", notrunc ? 64 : 12, id);
            last_q = id;
            continue;
        }
        char repo[300];
        const char *tag = "<none>";
        if (im->name)
            split_name(im->name, repo, sizeof repo, &tag);
        else
            snprintf(repo, sizeof repo, "<none>");
        char(*r)[320] = cells[rows++];
        snprintf(r[0], sizeof r[0], "%s", repo);
        snprintf(r[1], sizeof r[1], "%s", tag);
        snprintf(r[2], sizeof r[2], "%s", im->manifest);
        snprintf(r[3], sizeof r[3], notrunc ? "sha256:%.64s" : "%.12s", id);
        wbcli_human_age(im->created, r[4], sizeof r[4]);
        wbcli_human_size(im->size, r[5], sizeof r[5]);
    }
    for (size_t c = 0; !quiet && c < NCOL; c++) {
        width[c] = strlen(heads[c]);
        for (size_t i = 0; i < rows; i++)
            if (strlen(cells[i][c]) > width[c])
                width[c] = strlen(cells[i][c]);
    }
    for (size_t i = 0; !quiet && i <= rows; i++) {
        for (size_t c = 0; c < NCOL; c++) {
            if (c == 2 && !digests)
                continue;
            const char *cell = i == 0 ? heads[c] : cells[i - 1][c];
            if (c + 1 == NCOL)
                printf("%s\n", cell);
            else
                printf("%-*s   ", (int)width[c], cell);
        }
    }
    free(cells);
}

int cmd_images(int argc, char **argv)
{
    static const struct option opts[] = {
        {"all", no_argument, NULL, 'a'},      {"digests", no_argument, NULL, 'd'},
        {"no-trunc", no_argument, NULL, 'n'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},     {NULL, 0, NULL, 0},
    };
    bool quiet = false, digests = false, notrunc = false;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "aqh", opts, NULL)) != -1) {
        if (c == 'q')
            quiet = true;
        else if (c == 'd')
            digests = true;
        else if (c == 'n')
            notrunc = true;
        else if (c == 'h') {
            usage(stdout);
            return 0;
        } else if (c != 'a')
            return wbcli_usage_error("images", "unknown flag");
    }
    if (argc - optind > 1)
        return wbcli_usage_error("images", "accepts at most one argument");
    const char *filter = optind < argc ? argv[optind] : NULL;
    wb_image_store *s = wbcli_open_store();
    if (!s)
        return WBCLI_FAIL;
    wb_image_info *list;
    size_t n;
    wb_error err = {0};
    if (wb_image_list(s, &list, &n, &err) < 0) {
        wb_image_store_close(s);
        return wbcli_fail(&err);
    }
    print_table(list, n, filter, quiet, digests, notrunc);
    wb_image_list_free(list, n);
    wb_image_store_close(s);
    return 0;
}
