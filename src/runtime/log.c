/*
 * log.c — how the runtime reports.
 *
 * Engines read a runtime's errors in two places: podman shows its stderr, while
 * containerd's shims (docker, ctr, the CRI plugin) show the `msg` of the last JSON
 * line in the file given by --log. So an error goes to both: one plain line on
 * stderr and, with --log, a line in the format --log-format asks for, json
 * ({"level":"error","msg":"...","time":"..."}) or logrus' text form, as runc writes.
 * Warnings and debug lines go only to the log file: during create, stderr is the
 * container's own stderr (a pipe the engine copies into the container's log).
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rt.h"

static void log_file(const rt_ctx *ctx, const char *level, const char *msg)
{
    if (!ctx || !ctx->log_path || !*ctx->log_path)
        return;
    char now[40];
    rt_time_now(now);
    char *line = NULL;
    if (ctx->log_json) {
        json_t *j = json_pack("{s:s, s:s, s:s}", "level", level, "msg", msg, "time", now);
        char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        line = text ? rt_strf("%s\n", text) : NULL;
        free(text);
        json_decref(j);
    } else {
        /* logrus quotes the message and escapes its quotes and backslashes */
        char esc[2 * WB_ERROR_MAX + 1];
        size_t n = 0;
        for (const char *p = msg; *p && n + 2 < sizeof esc; p++) {
            if (*p == '"' || *p == '\\')
                esc[n++] = '\\';
            esc[n++] = *p == '\n' ? ' ' : *p;
        }
        esc[n] = 0;
        line = rt_strf("time=\"%s\" level=%s msg=\"%s\"\n", now, level, esc);
    }
    if (!line)
        return;
    int fd = open(ctx->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        rt_write_all(fd, line, strlen(line));
        close(fd);
    }
    free(line);
}

void rt_log_error(const rt_ctx *ctx, const char *fmt, ...)
{
    char msg[WB_ERROR_MAX + 128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_file(ctx, "error", msg);
    dprintf(2, "%s\n", msg);
}

void rt_log_warn(const rt_ctx *ctx, const char *fmt, ...)
{
    char msg[WB_ERROR_MAX + 128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_file(ctx, "warning", msg);
}

void rt_log_debug(const rt_ctx *ctx, const char *fmt, ...)
{
    if (!ctx || !ctx->debug)
        return;
    char msg[WB_ERROR_MAX + 128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_file(ctx, "debug", msg);
}
