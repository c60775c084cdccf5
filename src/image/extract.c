/*
 * extract.c — unpacking tar streams into a directory without trusting them.
 *
 * Every entry is created relative to a directory descriptor: parent directories are
 * opened one component at a time with O_NOFOLLOW, so no entry can be written through
 * a symlink (one placed by an earlier entry or layer, or a race), whatever its name.
 * Names are cleaned first and ".." is refused outright; symlinks whose target climbs
 * above the root, hard links to anything but an already unpacked regular file, and
 * device nodes, fifos and sockets are refused. Whiteout files (.wh.NAME,
 * .wh..wh..opq) delete from what lower layers left, as the OCI layer spec says.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

typedef struct reader {
    int fd;
    wbi_sha256 hash;
    uint64_t bytes;
    char buf[65536];
    int errnum;
} reader;

static la_ssize_t read_cb(struct archive *a, void *arg, const void **out)
{
    reader *r = arg;
    for (;;) {
        ssize_t n = read(r->fd, r->buf, sizeof r->buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r->errnum = errno;
            archive_set_error(a, errno, "read error");
            return -1;
        }
        wbi_sha256_update(&r->hash, r->buf, (size_t)n);
        r->bytes += (uint64_t)n;
        *out = r->buf;
        return n;
    }
}

/* Hashes whatever follows the end of the archive, so the digest covers the blob. */
static int drain(reader *r, const char *what, wb_error *err)
{
    for (;;) {
        ssize_t n = read(r->fd, r->buf, sizeof r->buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return wb_error_errno(err, errno, "read %s", what);
        if (n == 0)
            return 0;
        wbi_sha256_update(&r->hash, r->buf, (size_t)n);
        r->bytes += (uint64_t)n;
    }
}

/* Opens the directory that will hold `path` (cleaned, non-empty), creating missing
 * directories, never following a symlink. *base points into path. */
static int open_parent(int root_fd, const char *path, bool create, const char **base,
                       const char *what, wb_error *err)
{
    int cur = dup(root_fd);
    if (cur < 0)
        return wb_error_errno(err, errno, "dup");
    const char *p = path;
    for (;;) {
        const char *slash = strchr(p, '/');
        if (!slash) {
            *base = p;
            return cur;
        }
        char comp[NAME_MAX + 1];
        size_t len = (size_t)(slash - p);
        if (len > NAME_MAX) {
            close(cur);
            return wb_error_set(err, "%s: entry \"%s\": name too long", what, path);
        }
        memcpy(comp, p, len);
        comp[len] = 0;
        int next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0 && errno == ENOENT && create) {
            if (mkdirat(cur, comp, 0755) < 0 && errno != EEXIST) {
                int e = errno;
                close(cur);
                return wb_error_errno(err, e, "%s: mkdir for \"%s\"", what, path);
            }
            next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (next < 0) {
            int e = errno;
            close(cur);
            if (e == ELOOP || e == ENOTDIR)
                return wb_error_set(err,
                                    "%s: entry \"%s\" would be written through a symlink or a file",
                                    what, path);
            return wb_error_errno(err, e, "%s: entry \"%s\"", what, path);
        }
        close(cur);
        cur = next;
        p = slash + 1;
    }
}

/* Removes `name` in `dfd`, whatever it is (a directory with its contents). */
static int remove_at(int dfd, const char *name, const char *what, wb_error *err)
{
    if (wbi_rm_rf_at(dfd, name, err) < 0)
        return wb_error_prefix(err, "%s", what);
    return 0;
}

/* Empties a directory (an opaque whiteout), keeping what this layer already made. */
static int make_opaque(int root_fd, const char *dir, char **made, size_t n_made, const char *what,
                       wb_error *err)
{
    _cleanup_close_ int dfd =
        dir[0] ? openat(root_fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
               : dup(root_fd);
    if (dfd < 0)
        return errno == ENOENT ? 0 : wb_error_errno(err, errno, "%s: opaque %s", what, dir);
    int lfd = dup(dfd);
    DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
    if (!d) {
        if (lfd >= 0)
            close(lfd);
        return wb_error_errno(err, errno, "%s: opaque %s", what, dir);
    }
    struct dirent *de;
    int ret = 0;
    while (ret == 0 && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char child[PATH_MAX];
        int n = snprintf(child, sizeof child, "%s%s%s", dir, dir[0] ? "/" : "", de->d_name);
        if (n < 0 || (size_t)n >= sizeof child)
            continue;
        bool keep = false;
        for (size_t i = 0; i < n_made && !keep; i++)
            keep = !strcmp(made[i], child);
        if (!keep)
            ret = remove_at(dfd, de->d_name, what, err);
    }
    closedir(d);
    return ret;
}

typedef struct xstate {
    int root_fd;
    const char *what;
    unsigned flags;
    char **made; /* paths created by this stream (for opaque whiteouts) */
    size_t n_made, cap_made;
} xstate;

static int remember(xstate *x, const char *path, wb_error *err)
{
    if (!(x->flags & WBI_X_WHITEOUTS))
        return 0;
    if (x->n_made == x->cap_made) {
        size_t cap = x->cap_made ? x->cap_made * 2 : 64;
        char **v = realloc(x->made, cap * sizeof *v);
        if (!v)
            return wb_error_oom(err);
        x->made = v;
        x->cap_made = cap;
    }
    if (!(x->made[x->n_made] = strdup(path)))
        return wb_error_oom(err);
    x->n_made++;
    return 0;
}

static int write_data(struct archive *a, int fd, const char *what, const char *path, wb_error *err)
{
    const void *buf;
    size_t size;
    la_int64_t off;
    la_int64_t pos = 0;
    for (;;) {
        int r = archive_read_data_block(a, &buf, &size, &off);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK)
            return wb_error_set(err, "%s: entry \"%s\": %s", what, path, archive_error_string(a));
        if (off != pos && lseek(fd, off, SEEK_SET) < 0)
            return wb_error_errno(err, errno, "%s: seek in \"%s\"", what, path);
        if (wbi_write_all(fd, buf, size, path, err) < 0)
            return -1;
        pos = off + (la_int64_t)size;
    }
    if (ftruncate(fd, pos) < 0)
        return wb_error_errno(err, errno, "%s: truncate \"%s\"", what, path);
    return 0;
}

/* A whiteout entry: delete from lower layers. */
static int apply_whiteout(xstate *x, const char *path, int pfd, const char *base, wb_error *err)
{
    if (!strcmp(base, WH_OPAQUE)) {
        char dir[PATH_MAX];
        size_t dlen = base == path ? 0 : (size_t)(base - path - 1);
        snprintf(dir, sizeof dir, "%.*s", (int)dlen, path);
        return make_opaque(x->root_fd, dir, x->made, x->n_made, x->what, err);
    }
    const char *victim = base + strlen(WH_PREFIX);
    if (!*victim || !strcmp(victim, ".") || !strcmp(victim, ".."))
        return wb_error_set(err, "%s: bad whiteout \"%s\"", x->what, path);
    return remove_at(pfd, victim, x->what, err);
}

static int extract_entry(xstate *x, struct archive *a, struct archive_entry *ae, wb_error *err)
{
    const char *raw = archive_entry_pathname(ae);
    char path[PATH_MAX];
    if (!raw)
        return wb_error_set(err, "%s: entry without a name", x->what);
    if (strlen(raw) >= 4096)
        return wb_error_set(err, "%s: entry name of %zu bytes is too long", x->what, strlen(raw));
    if (wbi_path_clean(raw, path, sizeof path, err) < 0)
        return wb_error_prefix(err, "%s: hostile entry", x->what);
    if (!path[0])
        return 0; /* "./" itself */
    mode_t type = archive_entry_filetype(ae);
    const char *hl = archive_entry_hardlink(ae);
    if (!hl && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
        return wb_error_set(
            err, "%s: entry \"%s\" is a device, fifo or socket, which an image may not hold",
            x->what, raw);
    const char *base;
    _cleanup_close_ int pfd = open_parent(x->root_fd, path, true, &base, x->what, err);
    if (pfd < 0)
        return -1;
    if ((x->flags & WBI_X_WHITEOUTS) && !strncmp(base, WH_PREFIX, strlen(WH_PREFIX)))
        return apply_whiteout(x, path, pfd, base, err);
    mode_t perm = archive_entry_perm(ae) & 0777;
    if (type == AE_IFDIR && !hl) {
        struct stat st;
        if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) &&
            unlinkat(pfd, base, 0) < 0)
            return wb_error_errno(err, errno, "%s: replace \"%s\"", x->what, raw);
        if (mkdirat(pfd, base, perm | 0700) < 0 && errno != EEXIST)
            return wb_error_errno(err, errno, "%s: mkdir \"%s\"", x->what, raw);
        fchmodat(pfd, base, perm | 0700, 0);
        return remember(x, path, err);
    }
    if (remove_at(pfd, base, x->what, err) < 0)
        return -1;
    if (hl) {
        char target[PATH_MAX];
        const char *tbase;
        if (wbi_path_clean(hl, target, sizeof target, err) < 0 || !target[0])
            return wb_error_set(err, "%s: hostile hard link \"%s\" -> \"%s\"", x->what, raw, hl);
        _cleanup_close_ int tfd = open_parent(x->root_fd, target, false, &tbase, x->what, err);
        struct stat st;
        if (tfd < 0 || fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
            return wb_error_set(
                err, "%s: hard link \"%s\" -> \"%s\": target is not a file in the archive", x->what,
                raw, hl);
        if (linkat(tfd, tbase, pfd, base, 0) < 0)
            return wb_error_errno(err, errno, "%s: link \"%s\"", x->what, raw);
        return remember(x, path, err);
    }
    if (type == AE_IFLNK) {
        const char *target = archive_entry_symlink(ae);
        if (!target || !*target || strlen(target) >= 4096 || !wbi_symlink_inside(path, target))
            return wb_error_set(err, "%s: symlink \"%s\" -> \"%s\" points outside the image",
                                x->what, raw, target ? target : "");
        if (symlinkat(target, pfd, base) < 0)
            return wb_error_errno(err, errno, "%s: symlink \"%s\"", x->what, raw);
        return remember(x, path, err);
    }
    _cleanup_close_ int fd =
        openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, perm | 0600);
    if (fd < 0)
        return wb_error_errno(err, errno, "%s: create \"%s\"", x->what, raw);
    if (write_data(a, fd, x->what, raw, err) < 0)
        return -1;
    if (fchmod(fd, perm) < 0)
        return wb_error_errno(err, errno, "%s: chmod \"%s\"", x->what, raw);
    return remember(x, path, err);
}

static struct archive *open_reader(reader *r, unsigned flags, const char *what, wb_error *err)
{
    struct archive *a = archive_read_new();
    if (!a) {
        wb_error_oom(err);
        return NULL;
    }
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    archive_read_support_format_empty(a);
    if (!(flags & WBI_X_RAW)) {
        archive_read_support_filter_gzip(a);
        archive_read_support_filter_zstd(a);
        archive_read_support_filter_bzip2(a);
        archive_read_support_filter_xz(a);
    }
    if (archive_read_open(a, r, NULL, read_cb, NULL) != ARCHIVE_OK) {
        wb_error_set(err, "%s: not a tar archive: %s", what, archive_error_string(a));
        archive_read_free(a);
        return NULL;
    }
    return a;
}

int wbi_extract_fd(int fd, int root_fd, const char *what, unsigned flags,
                   char digest[WB_DIGEST_LEN], uint64_t *bytes, wb_error *err)
{
    reader *r = calloc(1, sizeof *r);
    if (!r)
        return wb_error_oom(err);
    r->fd = fd;
    if (wbi_sha256_init(&r->hash, err) < 0) {
        free(r);
        return -1;
    }
    xstate x = {.root_fd = root_fd, .what = what, .flags = flags};
    int ret = -1;
    struct archive *a = open_reader(r, flags, what, err);
    if (a) {
        struct archive_entry *ae;
        for (;;) {
            int st = archive_read_next_header(a, &ae);
            if (st == ARCHIVE_EOF) {
                ret = 0;
                break;
            }
            if (st != ARCHIVE_OK && st != ARCHIVE_WARN) {
                wb_error_set(err, "%s: broken tar archive: %s", what, archive_error_string(a));
                break;
            }
            if (extract_entry(&x, a, ae, err) < 0)
                break;
        }
        archive_read_free(a);
    }
    if (ret == 0)
        ret = drain(r, what, err);
    if (ret == 0) {
        if (digest)
            wbi_sha256_final(&r->hash, digest);
        if (bytes)
            *bytes = r->bytes;
    }
    if (r->hash.ctx)
        wbi_sha256_free(&r->hash);
    for (size_t i = 0; i < x.n_made; i++)
        free(x.made[i]);
    free(x.made);
    free(r);
    return ret;
}

bool wbi_is_archive(int fd)
{
    reader r = {.fd = fd};
    if (wbi_sha256_init(&r.hash, NULL) < 0)
        return false;
    struct archive *a = archive_read_new();
    bool yes = false;
    if (a) {
        archive_read_support_format_tar(a);
        archive_read_support_format_gnutar(a);
        archive_read_support_filter_gzip(a);
        archive_read_support_filter_zstd(a);
        archive_read_support_filter_bzip2(a);
        archive_read_support_filter_xz(a);
        struct archive_entry *ae;
        yes = archive_read_open(a, &r, NULL, read_cb, NULL) == ARCHIVE_OK &&
              archive_read_next_header(a, &ae) == ARCHIVE_OK;
        archive_read_free(a);
    }
    wbi_sha256_free(&r.hash);
    lseek(fd, 0, SEEK_SET);
    return yes;
}
