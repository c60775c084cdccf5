/*
 * util.c — small helpers of the container module: paths, atomic files, directory
 * trees, random ids, time stamps in docker's formats, descriptors.
 *
 * Every file a container writes goes through ctr_write_file: a temporary file in
 * the same directory, optionally fsync'd, renamed over the target, so a reader sees
 * either the old or the new content, never half of one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ctr.h"

char *ctr_strf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    return n < 0 ? NULL : s;
}

void ctr_fmt(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

char **ctr_strv_from_json(json_t *a, size_t *n)
{
    size_t len = json_array_size(a);
    char **v = calloc(len + 1, sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        if (!(v[i] = strdup(s ? s : ""))) {
            for (size_t j = 0; j < i; j++)
                free(v[j]);
            free(v);
            return NULL;
        }
    }
    if (n)
        *n = len;
    return v;
}

int ctr_write_all(int fd, const void *buf, size_t len)
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

int ctr_write_file(const char *path, const char *data, size_t len, bool sync, wb_error *err)
{
    char hex[17];
    if (ctr_random_hex(hex, 8, err) < 0)
        return -1;
    _cleanup_free_ char *tmp = ctr_strf("%s.tmp-%s", path, hex);
    if (!tmp)
        return wb_error_oom(err);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return wb_error_errno(err, errno, "create %s", tmp);
    int ret = ctr_write_all(fd, data, len);
    if (ret == 0 && sync)
        ret = fsync(fd);
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

int ctr_write_json(const char *path, const json_t *j, bool sync, wb_error *err)
{
    char *text = json_dumps(j, JSON_COMPACT);
    if (!text)
        return wb_error_oom(err);
    size_t n = strlen(text);
    int ret = ctr_write_file(path, text, n, sync, err);
    free(text);
    return ret;
}

int ctr_read_json(const char *path, json_t **out, wb_error *err)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j) {
        if (access(path, F_OK) < 0 && errno == ENOENT)
            return wb_error_errno(err, ENOENT, "%s", path);
        return wb_error_set(err, "%s: %s", path, je.text);
    }
    if (!json_is_object(j)) {
        json_decref(j);
        return wb_error_set(err, "%s: not a JSON object", path);
    }
    *out = j;
    return 0;
}

int ctr_mkdir_p(const char *path, mode_t mode, wb_error *err)
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
    if (ctr_mkdir_p(parent, mode, err) < 0)
        return -1;
    if (mkdir(path, mode) < 0 && errno != EEXIST)
        return wb_error_errno(err, errno, "mkdir %s", path);
    return 0;
}

static int rm_rf_at(int dfd, const char *name, wb_error *err)
{
    if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return wb_error_errno(err, errno, "remove %s", name);
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : wb_error_errno(err, errno, "open %s", name);
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return wb_error_errno(err, errno, "open %s", name);
    }
    int ret = 0;
    struct dirent *e;
    while (ret == 0 && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            ret = rm_rf_at(dirfd(d), e->d_name, err);
    }
    closedir(d);
    if (ret == 0 && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return wb_error_errno(err, errno, "remove %s", name);
    return ret;
}

int ctr_rm_rf(const char *path, wb_error *err)
{
    return rm_rf_at(AT_FDCWD, path, err);
}

int ctr_random_hex(char *out, size_t nbytes, wb_error *err)
{
    unsigned char buf[64];
    if (nbytes > sizeof buf)
        return wb_error_set(err, "random: too many bytes");
    size_t got = 0;
    while (got < nbytes) {
        ssize_t n = getrandom(buf + got, nbytes - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return wb_error_errno(err, errno, "getrandom");
        got += (size_t)n;
    }
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = digits[buf[i] >> 4];
        out[2 * i + 1] = digits[buf[i] & 15];
    }
    out[2 * nbytes] = 0;
    return 0;
}

bool ctr_is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

int64_t ctr_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t ctr_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Civil dates from days since 1970-01-01 and back (Howard Hinnant's algorithms):
 * glibc's gmtime_r/timegm consult the time zone database on every call, which
 * costs a file read on the path of every run. */
static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400) + (*m <= 2);
}

static int64_t days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void ctr_time_format(int64_t ns, char *buf)
{
    if (ns <= 0) {
        strcpy(buf, "0001-01-01T00:00:00Z");
        return;
    }
    int64_t sec = ns / 1000000000, days = sec / 86400, rem = sec % 86400;
    int y;
    unsigned mo, d;
    civil_from_days(days, &y, &mo, &d);
    ctr_fmt(buf, 40, "%04d-%02u-%02uT%02d:%02d:%02d.%09ldZ", y, mo, d, (int)(rem / 3600),
            (int)(rem / 60 % 60), (int)(rem % 60), (long)(ns % 1000000000));
}

int64_t ctr_time_parse(const char *s)
{
    int y, mo, d, h, mi, se, n = 0;
    if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 || y < 1970 ||
        mo < 1 || mo > 12 || d < 1 || d > 31)
        return 0;
    const char *p = s + n;
    int64_t frac = 0;
    if (*p == '.') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            if (digits < 9)
                frac = frac * 10 + (*p - '0');
        for (; digits < 9; digits++)
            frac *= 10;
    }
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    return ((days * 86400) + h * 3600 + mi * 60 + se) * 1000000000 + frac;
}

void ctr_human_duration(int64_t ns, char *buf, size_t len)
{
    int64_t s = ns / 1000000000;
    int64_t m = s / 60, h = m / 60;
    if (s < 1)
        snprintf(buf, len, "Less than a second");
    else if (s == 1)
        snprintf(buf, len, "1 second");
    else if (s < 60)
        snprintf(buf, len, "%lld seconds", (long long)s);
    else if (m == 1)
        snprintf(buf, len, "About a minute");
    else if (m < 60)
        snprintf(buf, len, "%lld minutes", (long long)m);
    else if (h == 1)
        snprintf(buf, len, "About an hour");
    else if (h < 48)
        snprintf(buf, len, "%lld hours", (long long)h);
    else if (h < 24 * 7 * 2)
        snprintf(buf, len, "%lld days", (long long)(h / 24));
    else if (h < 24 * 30 * 2)
        snprintf(buf, len, "%lld weeks", (long long)(h / 24 / 7));
    else if (h < 24 * 365 * 2)
        snprintf(buf, len, "%lld months", (long long)(h / 24 / 30));
    else
        snprintf(buf, len, "%lld years", (long long)(h / 24 / 365));
}

void ctr_boot_id(char *buf)
{
    buf[0] = 0;
    int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, 39);
    close(fd);
    if (n <= 0)
        n = 0;
    buf[n] = 0;
    char *nl = strchr(buf, '\n');
    if (nl)
        *nl = 0;
}

static bool kept(int fd, const int *keep, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (keep[i] == fd)
            return true;
    return false;
}

void ctr_close_fds_except(const int *keep, size_t n)
{
    /* Collect first: closing while reading /proc/self/fd would disturb the listing. */
    int fds[1024];
    size_t nfds = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d) {
        for (int fd = 3; fd < 1024; fd++)
            if (!kept(fd, keep, n))
                close(fd);
        return;
    }
    int self = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) && nfds < sizeof fds / sizeof fds[0]) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && fd >= 3 && fd != self &&
            !kept(fd, keep, n))
            fds[nfds++] = fd;
    }
    closedir(d);
    for (size_t i = 0; i < nfds; i++)
        close(fds[i]);
}

void ctr_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

void wb_ctr_human_duration(int64_t ns, char *buf, size_t len)
{
    ctr_human_duration(ns, buf, len);
}

int64_t wb_ctr_now(void)
{
    return ctr_now_ns();
}
