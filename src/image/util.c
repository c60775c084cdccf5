/*
 * util.c — helpers shared by the image module (see util.h): digests through OpenSSL's
 * EVP interface, whole-file reads with a size cap (every input here may be hostile),
 * crash-safe atomic replacement of small files, and JSON in one canonical form.
 */
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- SHA-256 ---- */

int wbi_sha256_init(wbi_sha256 *h, wb_error *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return wb_error_oom(err);
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return wb_error_set(err, "sha256: cannot initialise the digest");
    }
    h->ctx = ctx;
    return 0;
}

void wbi_sha256_update(wbi_sha256 *h, const void *data, size_t len)
{
    if (len)
        EVP_DigestUpdate(h->ctx, data, len);
}

static void hex_digest(const unsigned char *md, char out[WB_DIGEST_LEN])
{
    static const char hex[] = "0123456789abcdef";
    memcpy(out, "sha256:", 7);
    for (int i = 0; i < 32; i++) {
        out[7 + 2 * i] = hex[md[i] >> 4];
        out[8 + 2 * i] = hex[md[i] & 15];
    }
    out[71] = 0;
}

void wbi_sha256_final(wbi_sha256 *h, char out[WB_DIGEST_LEN])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(h->ctx, md, &n);
    hex_digest(md, out);
    wbi_sha256_free(h);
}

void wbi_sha256_free(wbi_sha256 *h)
{
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

void wbi_sha256_buf(const void *data, size_t len, char out[WB_DIGEST_LEN])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    hex_digest(md, out);
}

bool wbi_digest_valid(const char *d)
{
    if (!d || strncmp(d, "sha256:", 7) != 0)
        return false;
    size_t i = 0;
    for (; d[7 + i]; i++) {
        char c = d[7 + i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return i == 64;
}

/* ---- paths and files ---- */

char *wbi_strdup_printf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    return n < 0 ? NULL : s;
}

int wbi_mkdir_p(const char *path, mode_t mode, wb_error *err)
{
    _cleanup_free_ char *p = strdup(path);
    if (!p)
        return wb_error_oom(err);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(p, mode) < 0 && errno != EEXIST)
            return wb_error_errno(err, errno, "mkdir %s", p);
        *s = '/';
    }
    if (mkdir(p, mode) < 0 && errno != EEXIST)
        return wb_error_errno(err, errno, "mkdir %s", p);
    return 0;
}

/* Empties the directory open as `dfd` (which this function closes). */
static int rm_tree_at(int dfd, const char *what, wb_error *err)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return wb_error_errno(err, errno, "opendir %s", what);
    }
    int ret = 0;
    struct dirent *de;
    while (ret == 0 && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (unlinkat(dirfd(d), de->d_name, 0) == 0 || errno == ENOENT)
            continue;
        if (errno != EISDIR && errno != EPERM) {
            ret = wb_error_errno(err, errno, "remove %s/%s", what, de->d_name);
            break;
        }
        int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0) {
            ret = wb_error_errno(err, errno, "open %s/%s", what, de->d_name);
            break;
        }
        ret = rm_tree_at(sub, what, err);
        if (ret == 0 && unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
            ret = wb_error_errno(err, errno, "rmdir %s/%s", what, de->d_name);
    }
    closedir(d);
    return ret;
}

int wbi_rm_rf_at(int dfd, const char *name, wb_error *err)
{
    if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return wb_error_errno(err, errno, "remove %s", name);
    int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0)
        return wb_error_errno(err, errno, "open %s", name);
    if (rm_tree_at(sub, name, err) < 0)
        return -1;
    if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return wb_error_errno(err, errno, "rmdir %s", name);
    return 0;
}

int wbi_rm_rf(const char *path, wb_error *err)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : wb_error_errno(err, errno, "stat %s", path);
    if (!S_ISDIR(st.st_mode)) {
        if (unlink(path) < 0 && errno != ENOENT)
            return wb_error_errno(err, errno, "remove %s", path);
        return 0;
    }
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return wb_error_errno(err, errno, "open %s", path);
    if (rm_tree_at(fd, path, err) < 0)
        return -1;
    if (rmdir(path) < 0 && errno != ENOENT)
        return wb_error_errno(err, errno, "rmdir %s", path);
    return 0;
}

int wbi_fsync_dir(const char *dir, wb_error *err)
{
    _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return wb_error_errno(err, errno, "open %s", dir);
    if (fsync(fd) < 0)
        return wb_error_errno(err, errno, "fsync %s", dir);
    return 0;
}

int wbi_read_fd(int fd, const char *what, size_t max, char **out, size_t *len, wb_error *err)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf)
        return wb_error_oom(err);
    for (;;) {
        if (n == cap) {
            if (cap >= max) {
                free(buf);
                return wb_error_set(err, "%s: larger than %zu bytes", what, max);
            }
            cap = cap * 2 > max ? max : cap * 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                return wb_error_oom(err);
            }
            buf = nb;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            return wb_error_errno(err, e, "read %s", what);
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = 0;
    *out = buf;
    if (len)
        *len = n;
    return 0;
}

int wbi_read_file(const char *path, size_t max, char **out, size_t *len, wb_error *err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return wb_error_errno(err, errno, "open %s", path);
    struct stat st;
    if (fstat(fd, &st) == 0 && (uint64_t)st.st_size > max)
        return wb_error_set(err, "%s: larger than %zu bytes", path, max);
    return wbi_read_fd(fd, path, max, out, len, err);
}

int wbi_write_all(int fd, const void *data, size_t len, const char *what, wb_error *err)
{
    const char *p = data;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return wb_error_errno(err, errno, "write %s", what);
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int wbi_write_atomic(const char *path, const void *data, size_t len, wb_error *err)
{
    _cleanup_free_ char *tmp = wbi_strdup_printf("%s.tmp-%d", path, (int)getpid());
    _cleanup_free_ char *dir = strdup(path);
    if (!tmp || !dir)
        return wb_error_oom(err);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return wb_error_errno(err, errno, "create %s", tmp);
    int ret = wbi_write_all(fd, data, len, tmp, err);
    if (ret == 0 && fsync(fd) < 0)
        ret = wb_error_errno(err, errno, "fsync %s", tmp);
    close(fd);
    if (ret == 0 && rename(tmp, path) < 0)
        ret = wb_error_errno(err, errno, "rename %s", path);
    if (ret < 0) {
        unlink(tmp);
        return ret;
    }
    return wbi_fsync_dir(slash ? dir : ".", err);
}

int wbi_strcmp_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- JSON ---- */

json_t *wbi_json_parse(const char *buf, size_t len, const char *what, wb_error *err)
{
    json_error_t je;
    json_t *v = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!v) {
        wb_error_set(err, "%s: malformed JSON at line %d: %s", what, je.line, je.text);
        return NULL;
    }
    return v;
}

char *wbi_json_dump(const json_t *value)
{
    return json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

const char *wbi_json_str(const json_t *obj, const char *key)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

char **wbi_strv_from_json(const json_t *array)
{
    size_t n = json_is_array(array) ? json_array_size(array) : 0;
    char **v = calloc(n + 1, sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(array, i);
        if (!json_is_string(s) || !(v[i] = strdup(json_string_value(s)))) {
            wbi_strv_free(v);
            return NULL;
        }
    }
    return v;
}

void wbi_strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

size_t wbi_strv_len(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

void wbi_time_format(int64_t t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t wbi_time_parse(const char *s)
{
    struct tm tm = {0};
    const char *p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!p)
        return -1;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    int64_t off = 0;
    if (*p == '+' || *p == '-') {
        int hh = 0, mm = 0;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
            return -1;
        off = (hh * 3600 + mm * 60) * (*p == '+' ? 1 : -1);
    } else if (*p != 'Z' && *p != 'z') {
        return -1;
    }
    return (int64_t)timegm(&tm) - off;
}
