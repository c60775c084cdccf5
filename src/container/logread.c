/*
 * logread.c — `wasmbox logs`: reading the json-file log back, optionally only its
 * last lines, optionally following it while the container runs.
 *
 * Records are parsed by hand rather than with jansson: the log holds whatever
 * bytes the program wrote (not necessarily UTF-8), and each record is a flat object
 * of three strings, so a small scanner is both simpler and byte-faithful.
 *
 * Following survives rotation: when the path names a new file, the old descriptor
 * is read to its end before the new file is opened from its start.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctr.h"

typedef struct record {
    char *log; /* unescaped, owned by the caller's buffer */
    size_t len;
    int stream; /* 1 stdout, 2 stderr */
    char time[48];
} record;

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

static unsigned hex4(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return 0xfffd;
        v = v * 16 + (unsigned)h;
    }
    return v;
}

/* Unescapes, in place, the JSON string whose body starts at p (just after its
 * opening quote). Returns the position after the closing quote and sets *len, or
 * NULL if the string does not end before `end`. */
static char *unescape_at(char *p, char *end, size_t *len)
{
    char *start = p, *o = p;
    while (p < end && *p != '"') {
        if (*p != '\\') {
            *o++ = *p++;
            continue;
        }
        if (++p >= end)
            return NULL;
        char c = *p++;
        switch (c) {
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'u': {
            if (end - p < 4)
                return NULL;
            unsigned cp = hex4(p);
            p += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                unsigned lo = hex4(p + 2);
                if (lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    p += 6;
                }
            }
            o += put_utf8(o, cp); /* never longer than the escape it replaces */
            break;
        }
        default:
            *o++ = c;
        }
    }
    if (p >= end)
        return NULL;
    *len = (size_t)(o - start);
    return p + 1;
}

static bool key_is(const char *key, size_t klen, const char *want)
{
    return strlen(want) == klen && memcmp(key, want, klen) == 0;
}

/* Parses one record line [p, end) in place. Returns 0, or -1 if malformed. */
static int parse_record(char *p, char *end, record *r)
{
    memset(r, 0, sizeof *r);
    r->stream = 1;
    while (p < end && *p != '{')
        p++;
    if (p++ >= end)
        return -1;
    bool have_log = false;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == ','))
            p++;
        if (p < end && *p == '}')
            break;
        if (p >= end || *p != '"')
            return -1;
        char *key = p + 1;
        char *q = memchr(key, '"', (size_t)(end - key));
        if (!q)
            return -1;
        size_t klen = (size_t)(q - key);
        p = q + 1;
        while (p < end && (*p == ' ' || *p == ':'))
            p++;
        if (p >= end || *p != '"')
            return -1;
        char *val = p + 1;
        size_t vlen;
        p = unescape_at(val, end, &vlen);
        if (!p)
            return -1;
        if (key_is(key, klen, "log")) {
            r->log = val;
            r->len = vlen;
            have_log = true;
        } else if (key_is(key, klen, "stream")) {
            r->stream = vlen == 6 && memcmp(val, "stderr", 6) == 0 ? 2 : 1;
        } else if (key_is(key, klen, "time")) {
            snprintf(r->time, sizeof r->time, "%.*s", (int)(vlen < 47 ? vlen : 47), val);
        }
    }
    return have_log ? 0 : -1;
}

/* ---- output --------------------------------------------------------------------- */

typedef struct reader {
    const wb_log_options *o;
    int out, err;
    bool broken; /* our reader went away */
    char *buf;   /* bytes read but not yet a complete line */
    size_t len, cap;
} reader;

static void emit_line(reader *rd, char *line, char *end)
{
    record r;
    if (rd->broken || parse_record(line, end, &r) < 0)
        return;
    int fd = r.stream == 2 ? rd->err : rd->out;
    if (fd < 0)
        return;
    if (rd->o->timestamps) {
        char ts[64];
        int n = snprintf(ts, sizeof ts, "%s ", r.time);
        if (ctr_write_all(fd, ts, (size_t)n) < 0)
            rd->broken = true;
    }
    if (!rd->broken && ctr_write_all(fd, r.log, r.len) < 0)
        rd->broken = true;
}

static int buf_append(reader *rd, const char *data, size_t n)
{
    if (rd->len + n > rd->cap) {
        size_t cap = rd->cap ? rd->cap : 65536;
        while (cap < rd->len + n)
            cap *= 2;
        char *b = realloc(rd->buf, cap);
        if (!b)
            return -1;
        rd->buf = b;
        rd->cap = cap;
    }
    memcpy(rd->buf + rd->len, data, n);
    rd->len += n;
    return 0;
}

static int read_fd(reader *rd, int fd, wb_error *err)
{
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return wb_error_errno(err, errno, "read log");
        if (n == 0)
            return 0;
        if (buf_append(rd, chunk, (size_t)n) < 0)
            return wb_error_oom(err);
    }
}

/* Emits the complete lines in the buffer; with skip > 0 the first `skip` are dropped.
 * Keeps an incomplete last line for later. */
static void emit_complete(reader *rd, size_t skip)
{
    char *p = rd->buf, *end = rd->buf + rd->len;
    char *nl;
    while (p < end && (nl = memchr(p, '\n', (size_t)(end - p)))) {
        if (skip)
            skip--;
        else
            emit_line(rd, p, nl);
        p = nl + 1;
    }
    rd->len = (size_t)(end - p);
    memmove(rd->buf, p, rd->len);
}

static size_t count_lines(const char *p, size_t len)
{
    size_t n = 0;
    for (const char *q = p; (q = memchr(q, '\n', len - (size_t)(q - p))); q++)
        n++;
    return n;
}

/* ---- the command ---------------------------------------------------------------- */

static bool still_running(const char *root, const char *id)
{
    ctr_state st;
    if (ctr_probe(root, id, &st, NULL, NULL) < 0)
        return false;
    return st.status == WB_CTR_RUNNING || st.status == WB_CTR_RESTARTING;
}

static bool rotated(const char *path, int fd)
{
    struct stat a, b;
    if (stat(path, &a) < 0 || fstat(fd, &b) < 0)
        return false;
    return a.st_ino != b.st_ino || a.st_dev != b.st_dev;
}

static int follow(reader *rd, const char *root, const char *id, const char *path, int fd,
                  wb_error *err)
{
    for (;;) {
        if (read_fd(rd, fd, err) < 0)
            return -1;
        emit_complete(rd, 0);
        if (rd->broken)
            return 0;
        if (rotated(path, fd)) {
            int nfd = open(path, O_RDONLY | O_CLOEXEC);
            if (nfd >= 0) {
                if (read_fd(rd, fd, err) < 0) {
                    close(nfd);
                    return -1;
                }
                emit_complete(rd, 0);
                close(fd);
                fd = nfd;
                continue;
            }
        }
        if (!still_running(root, id)) {
            int ret = read_fd(rd, fd, err);
            emit_complete(rd, 0);
            close(fd);
            return ret;
        }
        ctr_sleep_ms(50);
    }
}

int wb_container_logs(const char *root_opt, const char *id, const wb_log_options *opts, int out_fd,
                      int err_fd, wb_error *err)
{
    _cleanup_free_ char *root = ctr_root(root_opt, err);
    if (!root)
        return -1;
    ctr c;
    if (ctr_open(root, id, &c, err) < 0)
        return -1;
    const char *lp = json_string_value(json_object_get(c.config, "LogPath"));
    _cleanup_free_ char *path = strdup(lp ? lp : "");
    _cleanup_free_ char *old = ctr_strf("%s.1", lp ? lp : "");
    ctr_close(&c);
    if (!path || !old)
        return wb_error_oom(err);
    reader rd = {.o = opts, .out = out_fd, .err = err_fd};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int ofd = open(old, O_RDONLY | O_CLOEXEC);
    int ret = 0;
    if (ofd >= 0) {
        ret = read_fd(&rd, ofd, err);
        close(ofd);
    }
    if (ret == 0 && fd >= 0)
        ret = read_fd(&rd, fd, err);
    if (ret == 0) {
        size_t lines = count_lines(rd.buf, rd.len);
        size_t skip =
            opts->tail >= 0 && (size_t)opts->tail < lines ? lines - (size_t)opts->tail : 0;
        emit_complete(&rd, skip);
    }
    if (ret == 0 && opts->follow && !rd.broken) {
        if (fd < 0)
            fd = open(path, O_RDONLY | O_CLOEXEC | O_CREAT, 0640);
        if (fd >= 0) {
            ret = follow(&rd, root, id, path, fd, err);
            fd = -1;
        }
    }
    if (fd >= 0)
        close(fd);
    free(rd.buf);
    return ret;
}
