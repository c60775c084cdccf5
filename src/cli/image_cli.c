/*
 * image_cli.c — the helpers every image command shares (image_cli.h): opening the
 * store, printing an error, human sizes and ages. Linked into both wasmbox and
 * wasmbox-tools.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "image_cli.h"

wb_image_store *wbcli_open_store(void)
{
    wb_image_store *s;
    wb_error err = {0};
    if (wb_image_store_open(NULL, &s, &err) < 0) {
        wbcli_fail(&err);
        return NULL;
    }
    return s;
}

int wbcli_fail(const wb_error *err)
{
    fprintf(stderr, "wasmbox: %s\n", err->message[0] ? err->message : "failed");
    return WBCLI_FAIL;
}

int wbcli_usage_error(const char *cmd, const char *msg)
{
    fprintf(stderr, "wasmbox %s: %s\nSee 'wasmbox %s --help'.\n", cmd, msg, cmd);
    return WBCLI_USAGE;
}

void wbcli_human_size(uint64_t bytes, char *buf, size_t len)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1000 && u + 1 < sizeof units / sizeof *units) {
        v /= 1000;
        u++;
    }
    snprintf(buf, len, "%.4g%s", v, units[u]);
}

void wbcli_human_age(int64_t t, char *buf, size_t len)
{
    if (t < 0) {
        snprintf(buf, len, "N/A");
        return;
    }
    int64_t d = (int64_t)time(NULL) - t;
    if (d < 1)
        snprintf(buf, len, "Less than a second ago");
    else if (d < 60)
        snprintf(buf, len, "%lld second%s ago", (long long)d, d == 1 ? "" : "s");
    else if (d < 120)
        snprintf(buf, len, "About a minute ago");
    else if (d < 3600)
        snprintf(buf, len, "%lld minutes ago", (long long)(d / 60));
    else if (d < 7200)
        snprintf(buf, len, "About an hour ago");
    else if (d < 2 * 86400)
        snprintf(buf, len, "%lld hours ago", (long long)(d / 3600));
    else if (d < 14 * 86400)
        snprintf(buf, len, "%lld days ago", (long long)(d / 86400));
    else if (d < 60 * 86400)
        snprintf(buf, len, "%lld weeks ago", (long long)(d / (7 * 86400)));
    else if (d < 2 * 365 * 86400)
        snprintf(buf, len, "%lld months ago", (long long)(d / (30 * 86400)));
    else
        snprintf(buf, len, "%lld years ago", (long long)(d / (365 * 86400)));
}
