/*
 * logwrite.c — a container's log, in docker's json-file format: one JSON object per
 * line of output,
 *
 *     {"log":"Hello\n","stream":"stdout","time":"2024-05-01T12:00:00.123456789Z"}
 *
 * so existing tools read it, and both streams keep their order and their time.
 * A line longer than 16 KiB is cut into several records (the last without "\n"),
 * as docker does. When the file would pass its size limit it is renamed to
 * <log>.1 (replacing the previous one) and a new file begins: at most two files,
 * never more than twice the limit on disk.
 *
 * Only the supervisor writes the log; it appends whole records with one write(2)
 * each, so a reader following the file never sees half a record unless the
 * supervisor died in the middle of one (the reader skips such a line).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctr.h"

#define LINE_MAX_BYTES 16384

struct ctr_log {
    int fd;
    char *path;
    uint64_t size, max;
    char partial[2][LINE_MAX_BYTES];
    size_t plen[2];
    char *rec; /* record buffer: 6 bytes per input byte at worst, plus framing */
};

size_t ctr_json_escape(const char *in, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        switch (c) {
        case '"':
            out[o++] = '\\', out[o++] = '"';
            break;
        case '\\':
            out[o++] = '\\', out[o++] = '\\';
            break;
        case '\n':
            out[o++] = '\\', out[o++] = 'n';
            break;
        case '\r':
            out[o++] = '\\', out[o++] = 'r';
            break;
        case '\t':
            out[o++] = '\\', out[o++] = 't';
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                memcpy(out + o, "\\u00", 4);
                out[o + 4] = hex[c >> 4];
                out[o + 5] = hex[c & 15];
                o += 6;
            } else {
                out[o++] = (char)c;
            }
        }
    }
    out[o] = 0;
    return o;
}

static int open_log(ctr_log *l, bool truncate)
{
    l->fd =
        open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0640);
    if (l->fd < 0)
        return -1;
    struct stat st;
    l->size = fstat(l->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
    return 0;
}

int ctr_log_open(const char *path, uint64_t max_size, ctr_log **out, wb_error *err)
{
    ctr_log *l = calloc(1, sizeof *l);
    if (!l)
        return wb_error_oom(err);
    l->fd = -1;
    l->path = strdup(path);
    l->rec = malloc(LINE_MAX_BYTES * 6 + 128);
    l->max = max_size ? max_size : CTR_LOG_MAX_DEFAULT;
    if (!l->path || !l->rec) {
        ctr_log_close(l);
        return wb_error_oom(err);
    }
    if (open_log(l, false) < 0) {
        wb_error_errno(err, errno, "open %s", path);
        ctr_log_close(l);
        return -1;
    }
    *out = l;
    return 0;
}

static void rotate(ctr_log *l)
{
    _cleanup_free_ char *old = ctr_strf("%s.1", l->path);
    if (!old)
        return;
    close(l->fd);
    rename(l->path, old);
    if (open_log(l, true) < 0)
        l->fd = -1;
}

static void emit(ctr_log *l, int stream, const char *data, size_t len)
{
    if (l->fd < 0)
        return;
    char ts[40];
    ctr_time_format(ctr_now_ns(), ts);
    size_t o = 0;
    memcpy(l->rec, "{\"log\":\"", 8);
    o = 8;
    o += ctr_json_escape(data, len, l->rec + o);
    o += (size_t)sprintf(l->rec + o, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n",
                         stream == 2 ? "stderr" : "stdout", ts);
    if (l->size && l->size + o > l->max) {
        rotate(l);
        if (l->fd < 0)
            return;
    }
    if (ctr_write_all(l->fd, l->rec, o) == 0)
        l->size += o;
}

void ctr_log_feed(ctr_log *l, int stream, const char *data, size_t len)
{
    int s = stream == 2 ? 1 : 0;
    while (len) {
        const char *nl = memchr(data, '\n', len);
        size_t take = nl ? (size_t)(nl - data) + 1 : len;
        size_t room = LINE_MAX_BYTES - l->plen[s];
        if (take > room)
            take = room;
        memcpy(l->partial[s] + l->plen[s], data, take);
        l->plen[s] += take;
        data += take;
        len -= take;
        if (l->plen[s] == LINE_MAX_BYTES || l->partial[s][l->plen[s] - 1] == '\n') {
            emit(l, stream, l->partial[s], l->plen[s]);
            l->plen[s] = 0;
        }
    }
}

void ctr_log_flush(ctr_log *l, int stream)
{
    int s = stream == 2 ? 1 : 0;
    if (l->plen[s]) {
        emit(l, stream, l->partial[s], l->plen[s]);
        l->plen[s] = 0;
    }
}

void ctr_log_close(ctr_log *l)
{
    if (!l)
        return;
    if (l->fd >= 0) {
        ctr_log_flush(l, 1);
        ctr_log_flush(l, 2);
        close(l->fd);
    }
    free(l->path);
    free(l->rec);
    free(l);
}
