/*
 * registry_progress.c — docker's pull/push output: one row per blob.
 *
 * On a terminal every row is redrawn in place (cursor-up, clear line), at most ten
 * times a second, as
 *     3f2a9c0d1e2b: Downloading [=============>                     ]  7.34MB/20.97MB  41.2MB/s
 * Elsewhere (a pipe, a log) only the final status of each row is printed, once
 * ("3f2a9c0d1e2b: Pull complete"), so logs stay readable. With no output stream
 * nothing is printed at all (-q).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "registry_internal.h"

#define BAR_WIDTH 50

double wbr_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void wbr_progress_init(wbr_progress *p, const wb_registry_options *o)
{
    memset(p, 0, sizeof *p);
    p->out = o && !o->quiet ? o->out : NULL;
    p->bars = p->out && o->progress;
}

/* docker's units: decimal, "B", "kB", "MB", "GB", three or four significant digits. */
static void human(double v, char *buf, size_t len)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    size_t u = 0;
    while (v >= 1000 && u + 1 < sizeof units / sizeof *units) {
        v /= 1000;
        u++;
    }
    snprintf(buf, len, u ? "%.4g%s" : "%.0f%s", v, units[u]);
}

static void format_row(const wbr_row *r, char *buf, size_t len)
{
    bool moving = !strcmp(r->status, "Downloading") || !strcmp(r->status, "Pushing");
    if (!moving || r->total == 0) {
        snprintf(buf, len, "%s: %s", r->id, r->status);
        return;
    }
    char bar[BAR_WIDTH + 1];
    size_t fill = r->done >= r->total ? BAR_WIDTH : (size_t)((double)r->done / (double)r->total * BAR_WIDTH);
    for (size_t i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
    bar[BAR_WIDTH] = 0;
    char done[16], total[16], rate[16];
    human((double)r->done, done, sizeof done);
    human((double)r->total, total, sizeof total);
    double dt = wbr_now() - r->start;
    human(dt > 0.05 ? (double)r->done / dt : 0, rate, sizeof rate);
    snprintf(buf, len, "%s: %s [%s] %8s/%s  %s/s", r->id, r->status, bar, done, total, rate);
}

static void redraw(wbr_progress *p)
{
    if (p->drawn)
        fprintf(p->out, "\033[%zuA", p->drawn);
    for (size_t i = 0; i < p->n_rows; i++) {
        char line[256];
        format_row(&p->rows[i], line, sizeof line);
        fprintf(p->out, "\r\033[2K%s\n", line);
    }
    p->drawn = p->n_rows;
    p->last = wbr_now();
    fflush(p->out);
}

int wbr_progress_add(wbr_progress *p, const char *digest, const char *status)
{
    if (!p->out)
        return -1;
    wbr_row *v = realloc(p->rows, (p->n_rows + 1) * sizeof *v);
    if (!v)
        return -1;
    p->rows = v;
    wbr_row *r = &v[p->n_rows];
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "%.12s", strncmp(digest, "sha256:", 7) ? digest : digest + 7);
    snprintf(r->status, sizeof r->status, "%s", status);
    p->n_rows++;
    if (p->bars)
        redraw(p);
    return (int)(p->n_rows - 1);
}

void wbr_progress_status(wbr_progress *p, int row, const char *status, bool final)
{
    if (!p->out || row < 0 || (size_t)row >= p->n_rows)
        return;
    wbr_row *r = &p->rows[row];
    snprintf(r->status, sizeof r->status, "%s", status);
    if (!strcmp(status, "Downloading") || !strcmp(status, "Pushing"))
        r->start = wbr_now();
    if (p->bars) {
        redraw(p);
    } else if (final && !r->shown) {
        fprintf(p->out, "%s: %s\n", r->id, r->status);
        r->shown = true;
        fflush(p->out);
    }
}

void wbr_progress_bytes(wbr_progress *p, int row, uint64_t done, uint64_t total)
{
    if (!p->out || row < 0 || (size_t)row >= p->n_rows)
        return;
    p->rows[row].done = done;
    p->rows[row].total = total;
    if (p->bars && (wbr_now() - p->last >= 0.1 || done == total))
        redraw(p);
}

void wbr_progress_line(wbr_progress *p, const char *fmt, ...)
{
    if (!p->out)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(p->out, fmt, ap);
    va_end(ap);
    fputc('\n', p->out);
    p->drawn = 0; /* the rows above are history now */
    fflush(p->out);
}

void wbr_progress_done(wbr_progress *p)
{
    if (p->bars && p->n_rows)
        redraw(p);
    free(p->rows);
    p->rows = NULL;
    p->n_rows = p->drawn = 0;
}
