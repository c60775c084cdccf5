/*
 * util.c — small helpers of the runtime: formatted strings, whole-file writes (atomic
 * for the files other processes read: the state record, the pid file), one-line
 * writes to cgroup and proc files, directories, time stamps.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "rt.h"

char *rt_strf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    return n < 0 ? NULL : s;
}

int rt_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* tmp file in the same directory + rename: a reader sees the old or the new file. */
int rt_write_file(const char *path, const char *data, size_t len, wb_error *err)
{
    _cleanup_free_ char *tmp = rt_strf("%s.tmp-%d", path, (int)getpid());
    if (!tmp)
        return wb_error_oom(err);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return wb_error_errno(err, errno, "create %s", tmp);
    int ret = rt_write_all(fd, data, len);
    int e = errno;
    close(fd);
    if (ret == 0 && rename(tmp, path) < 0) {
        e = errno;
        ret = -1;
    }
    if (ret < 0) {
        unlink(tmp);
        return wb_error_errno(err, e, "write %s", path);
    }
    return 0;
}

int rt_write_str(const char *path, const char *s, wb_error *err)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return wb_error_errno(err, errno, "open %s", path);
    ssize_t n = write(fd, s, strlen(s));
    int e = errno;
    close(fd);
    if (n < 0)
        return wb_error_errno(err, e, "write %s to %s", s, path);
    return 0;
}

/* Reads a small file into buf (NUL-terminated, trailing newline dropped). */
int rt_read_str(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = 0;
    while (n > 0 && buf[n - 1] == '\n')
        buf[--n] = 0;
    return (int)n;
}

int rt_mkdir_p(const char *path, mode_t mode, wb_error *err)
{
    if (mkdir(path, mode) == 0 || errno == EEXIST)
        return 0;
    if (errno != ENOENT)
        return wb_error_errno(err, errno, "mkdir %s", path);
    _cleanup_free_ char *parent = strdup(path);
    if (!parent)
        return wb_error_oom(err);
    char *slash = strrchr(parent, '/');
    if (!slash || slash == parent)
        return wb_error_errno(err, ENOENT, "mkdir %s", path);
    *slash = 0;
    if (rt_mkdir_p(parent, mode, err) < 0)
        return -1;
    if (mkdir(path, mode) < 0 && errno != EEXIST)
        return wb_error_errno(err, errno, "mkdir %s", path);
    return 0;
}

char *rt_read_fd(int fd, size_t max, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        if (n == cap) {
            char *nb = cap < max ? realloc(buf, (cap *= 2) + 1) : NULL;
            if (!nb)
                break;
            buf = nb;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        if (r == 0) {
            buf[n] = 0;
            if (len)
                *len = n;
            return buf;
        }
        n += (size_t)r;
    }
    free(buf);
    return NULL;
}

bool rt_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    return n > 0 && n <= 1024 && !strchr(id, '/') && strcmp(id, ".") && strcmp(id, "..");
}

void rt_time_now(char *buf)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 40 - n, ".%09ldZ", ts.tv_nsec);
}

void rt_close_fds_except(const int *keep, size_t n)
{
    int lo = 3;
    for (;;) {
        int next = -1; /* the smallest kept fd >= lo */
        for (size_t i = 0; i < n; i++)
            if (keep[i] >= lo && (next < 0 || keep[i] < next))
                next = keep[i];
        if (next < 0) {
            syscall(SYS_close_range, (unsigned)lo, ~0U, 0);
            return;
        }
        if (next > lo)
            syscall(SYS_close_range, (unsigned)lo, (unsigned)next - 1, 0);
        lo = next + 1;
    }
}
