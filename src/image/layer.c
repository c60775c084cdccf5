/*
 * layer.c — reproducible layer writing (see layer.h), and the path rules shared by
 * writing and unpacking.
 *
 * Two libarchive writers are chained: a pax tar whose output callback hashes the
 * uncompressed bytes (the diff_id) and feeds them as the data of one "raw" entry to
 * a second writer with a gzip filter (no timestamp), whose callback hashes and stores
 * the compressed bytes (the blob digest). One pass, no temporary tar on disk.
 */
#include "layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- entry lists ---- */

int wbi_fslist_add(wbi_fslist *l, const char *path, wbi_ftype type, unsigned mode, unsigned uid,
                   unsigned gid, const char *source, const char *link, wb_error *err)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        wbi_fsent *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return wb_error_oom(err);
        l->v = v;
        l->cap = cap;
    }
    wbi_fsent *e = &l->v[l->n];
    memset(e, 0, sizeof *e);
    e->path = strdup(path);
    e->source = source ? strdup(source) : NULL;
    e->link = link ? strdup(link) : NULL;
    if (!e->path || (source && !e->source) || (link && !e->link)) {
        free(e->path);
        free(e->source);
        free(e->link);
        return wb_error_oom(err);
    }
    e->type = type;
    e->mode = mode & 07777;
    e->uid = uid;
    e->gid = gid;
    l->n++;
    return 0;
}

int wbi_fslist_extend(wbi_fslist *l, const wbi_fslist *from, wb_error *err)
{
    for (size_t i = 0; i < from->n; i++) {
        const wbi_fsent *e = &from->v[i];
        if (wbi_fslist_add(l, e->path, e->type, e->mode, e->uid, e->gid, e->source, e->link, err) <
            0)
            return -1;
    }
    return 0;
}

static void fsent_free(wbi_fsent *e)
{
    free(e->path);
    free(e->source);
    free(e->link);
}

void wbi_fslist_free(wbi_fslist *l)
{
    for (size_t i = 0; i < l->n; i++)
        fsent_free(&l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

/* Entries with their insertion order, so that sorting by path is stable and the last
 * entry added for a path wins. */
typedef struct indexed {
    wbi_fsent e;
    size_t order;
} indexed;

static int cmp_indexed(const void *a, const void *b)
{
    const indexed *x = a, *y = b;
    int c = strcmp(x->e.path, y->e.path);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static bool has_path(const wbi_fslist *l, const char *path)
{
    /* l is sorted: binary search */
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(l->v[mid].path, path);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* Sorts stably by path and keeps only the last entry for each path. */
static int sort_unique(wbi_fslist *l, wb_error *err)
{
    if (l->n == 0)
        return 0;
    indexed *tmp = malloc(l->n * sizeof *tmp);
    if (!tmp)
        return wb_error_oom(err);
    for (size_t i = 0; i < l->n; i++) {
        tmp[i].e = l->v[i];
        tmp[i].order = i;
    }
    qsort(tmp, l->n, sizeof *tmp, cmp_indexed);
    size_t out = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (i + 1 < l->n && !strcmp(tmp[i].e.path, tmp[i + 1].e.path)) {
            fsent_free(&tmp[i].e);
            continue;
        }
        l->v[out++] = tmp[i].e;
    }
    l->n = out;
    free(tmp);
    return 0;
}

int wbi_fslist_normalize(wbi_fslist *l, wb_error *err)
{
    if (sort_unique(l, err) < 0)
        return -1;
    size_t n = l->n;
    for (size_t i = 0; i < n; i++) {
        char parent[PATH_MAX];
        snprintf(parent, sizeof parent, "%s", l->v[i].path);
        char *slash;
        while ((slash = strrchr(parent, '/'))) {
            *slash = 0;
            if (has_path(l, parent))
                break;
            /* appended entries are unsorted; check them too */
            bool dup = false;
            for (size_t j = n; j < l->n && !dup; j++)
                dup = !strcmp(l->v[j].path, parent);
            if (dup)
                break;
            if (wbi_fslist_add(l, parent, WBI_DIR, 0755, 0, 0, NULL, NULL, err) < 0)
                return -1;
        }
    }
    return l->n == n ? 0 : sort_unique(l, err);
}

/* ---- path rules ---- */

int wbi_path_clean(const char *in, char *out, size_t outlen, wb_error *err)
{
    size_t n = 0;
    const char *p = in;
    while (*p) {
        while (*p == '/')
            p++;
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 0)
            break;
        if (len == 1 && p[0] == '.') {
            p += len;
            continue;
        }
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return wb_error_set(err, "path \"%s\" has a \"..\" component", in);
        if (n + len + 2 > outlen)
            return wb_error_set(err, "path \"%.64s...\" is too long", in);
        if (n)
            out[n++] = '/';
        memcpy(out + n, p, len);
        n += len;
        p += len;
    }
    out[n] = 0;
    return 0;
}

int wbi_path_clean_dots(const char *in, char *out, size_t outlen)
{
    size_t n = 0;
    const char *p = in;
    while (*p) {
        while (*p == '/')
            p++;
        size_t l = strcspn(p, "/");
        if (!l)
            break;
        if (l == 2 && !strncmp(p, "..", 2)) {
            if (n == 0)
                return -1;
            while (n && out[n - 1] != '/')
                n--;
            if (n)
                n--;
        } else if (!(l == 1 && *p == '.')) {
            if (n + l + 2 > outlen)
                return -1;
            if (n)
                out[n++] = '/';
            memcpy(out + n, p, l);
            n += l;
        }
        p += l;
    }
    out[n] = 0;
    return 0;
}

bool wbi_symlink_inside(const char *path, const char *target)
{
    if (target[0] == '/')
        return true;
    /* depth of the directory holding the link */
    int depth = 0;
    for (const char *p = path; *p; p++)
        depth += *p == '/';
    const char *p = target;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            if (--depth < 0)
                return false;
        } else if (len && !(len == 1 && p[0] == '.')) {
            depth++;
        }
        p += len;
        while (*p == '/')
            p++;
    }
    return true;
}

int wbi_resolve_in_root(const char *root, const char *path, bool follow_last, char **host,
                        wb_error *err)
{
    char rest[PATH_MAX], cur[PATH_MAX] = "";
    if (wbi_path_clean(path, rest, sizeof rest, NULL) < 0) {
        /* ".." is allowed here, resolved lexically against the root */
        snprintf(rest, sizeof rest, "%s", path);
    }
    int hops = 0;
    char *p = rest;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char comp[NAME_MAX + 1];
        if (len > NAME_MAX)
            return wb_error_set(err, "%s: name too long", path);
        memcpy(comp, p, len);
        comp[len] = 0;
        p += len;
        if (!strcmp(comp, "."))
            continue;
        if (!strcmp(comp, "..")) {
            char *s = strrchr(cur, '/');
            if (s)
                *s = 0;
            else
                cur[0] = 0;
            continue;
        }
        char next[PATH_MAX];
        if ((size_t)snprintf(next, sizeof next, "%s%s%s", cur, cur[0] ? "/" : "", comp) >=
            sizeof next)
            return wb_error_set(err, "%s: path too long", path);
        _cleanup_free_ char *full = wbi_strdup_printf("%s/%s", root, next);
        if (!full)
            return wb_error_oom(err);
        struct stat st;
        if (lstat(full, &st) < 0)
            return wb_error_set(err, "%s: not found", path);
        bool last = !*p || !p[strspn(p, "/")];
        if (S_ISLNK(st.st_mode) && (!last || follow_last)) {
            if (++hops > 40)
                return wb_error_set(err, "%s: too many levels of symbolic links", path);
            char target[PATH_MAX];
            ssize_t n = readlink(full, target, sizeof target - 1);
            if (n < 0)
                return wb_error_errno(err, errno, "readlink %s", full);
            target[n] = 0;
            char joined[PATH_MAX];
            if ((size_t)snprintf(joined, sizeof joined, "%s/%s", target, p) >= sizeof joined)
                return wb_error_set(err, "%s: path too long", path);
            if (target[0] == '/')
                cur[0] = 0;
            strcpy(rest, joined);
            p = rest;
            continue;
        }
        strcpy(cur, next);
    }
    *host = cur[0] ? wbi_strdup_printf("%s/%s", root, cur) : strdup(root);
    return *host ? 0 : wb_error_oom(err);
}

/* ---- writing ---- */

typedef struct gz_sink {
    wbi_blob_writer blob;
    wb_error *err;
    int failed;
} gz_sink;

typedef struct tar_sink {
    struct archive *gz;
    wbi_sha256 diff;
} tar_sink;

static la_ssize_t gz_write_cb(struct archive *a, void *arg, const void *buf, size_t n)
{
    gz_sink *s = arg;
    if (wbi_blob_writer_write(&s->blob, buf, n, s->err) < 0) {
        s->failed = 1;
        archive_set_error(a, EIO, "%s", s->err ? s->err->message : "write failed");
        return -1;
    }
    return (la_ssize_t)n;
}

static la_ssize_t tar_write_cb(struct archive *a, void *arg, const void *buf, size_t n)
{
    tar_sink *s = arg;
    wbi_sha256_update(&s->diff, buf, n);
    la_ssize_t w = archive_write_data(s->gz, buf, n);
    if (w < 0 || (size_t)w != n) {
        archive_set_error(a, EIO, "%s", archive_error_string(s->gz));
        return -1;
    }
    return (la_ssize_t)n;
}

static int copy_file_data(struct archive *tar, int fd, uint64_t size, const char *src,
                          wb_error *err)
{
    char buf[65536];
    uint64_t done = 0;
    while (done < size) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return wb_error_errno(err, errno, "read %s", src);
        if (r == 0)
            return wb_error_set(err, "%s: file shrank while it was being copied", src);
        if ((uint64_t)r > size - done)
            r = (ssize_t)(size - done);
        if (archive_write_data(tar, buf, (size_t)r) != r)
            return wb_error_set(err, "layer: %s", archive_error_string(tar));
        done += (uint64_t)r;
    }
    return 0;
}

static int write_entry(struct archive *tar, struct archive_entry *ae, const wbi_fsent *e,
                       int64_t mtime, wb_error *err)
{
    archive_entry_clear(ae);
    archive_entry_set_pathname(ae, e->path);
    archive_entry_set_uid(ae, e->uid);
    archive_entry_set_gid(ae, e->gid);
    archive_entry_set_mtime(ae, mtime, 0);
    _cleanup_close_ int fd = -1;
    switch (e->type) {
    case WBI_DIR:
        archive_entry_set_filetype(ae, AE_IFDIR);
        archive_entry_set_perm(ae, e->mode);
        break;
    case WBI_SYMLINK:
        archive_entry_set_filetype(ae, AE_IFLNK);
        archive_entry_set_perm(ae, 0777);
        archive_entry_set_symlink(ae, e->link);
        break;
    case WBI_FILE: {
        fd = open(e->source, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0)
            return wb_error_errno(err, errno, "open %s", e->source);
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
            return wb_error_set(err, "%s: not a regular file", e->source);
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_perm(ae, e->mode);
        archive_entry_set_size(ae, st.st_size);
        if (archive_write_header(tar, ae) != ARCHIVE_OK)
            return wb_error_set(err, "layer: %s: %s", e->path, archive_error_string(tar));
        return copy_file_data(tar, fd, (uint64_t)st.st_size, e->source, err);
    }
    }
    if (archive_write_header(tar, ae) != ARCHIVE_OK)
        return wb_error_set(err, "layer: %s: %s", e->path, archive_error_string(tar));
    return 0;
}

static struct archive *open_gz(gz_sink *sink, wb_error *err)
{
    struct archive *gz = archive_write_new();
    struct archive_entry *raw = archive_entry_new();
    if (!gz || !raw) {
        archive_write_free(gz);
        archive_entry_free(raw);
        wb_error_oom(err);
        return NULL;
    }
    archive_entry_set_filetype(raw, AE_IFREG);
    archive_entry_set_pathname(raw, "layer.tar");
    if (archive_write_set_format_raw(gz) != ARCHIVE_OK ||
        archive_write_add_filter_gzip(gz) != ARCHIVE_OK ||
        archive_write_set_filter_option(gz, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
        archive_write_set_bytes_per_block(gz, 0) != ARCHIVE_OK ||
        archive_write_open(gz, sink, NULL, gz_write_cb, NULL) != ARCHIVE_OK ||
        archive_write_header(gz, raw) != ARCHIVE_OK) {
        wb_error_set(err, "layer: gzip: %s", archive_error_string(gz));
        archive_entry_free(raw);
        archive_write_free(gz);
        return NULL;
    }
    archive_entry_free(raw);
    return gz;
}

int wbi_layer_write(wbi_txn *txn, wbi_fslist *l, int64_t mtime, wbi_layer_out *out, wb_error *err)
{
    if (wbi_fslist_normalize(l, err) < 0)
        return -1;
    gz_sink gs = {.err = err};
    tar_sink ts = {0};
    if (wbi_blob_writer_open(txn, &gs.blob, err) < 0)
        return -1;
    if (wbi_sha256_init(&ts.diff, err) < 0) {
        wbi_blob_writer_abort(&gs.blob);
        return -1;
    }
    struct archive *tar = NULL;
    struct archive_entry *ae = archive_entry_new();
    int ret = -1;
    ts.gz = open_gz(&gs, err);
    if (!ts.gz || !ae)
        goto out;
    tar = archive_write_new();
    if (!tar || archive_write_set_format_pax_restricted(tar) != ARCHIVE_OK ||
        archive_write_open(tar, &ts, NULL, tar_write_cb, NULL) != ARCHIVE_OK) {
        ret = tar ? wb_error_set(err, "layer: %s", archive_error_string(tar)) : wb_error_oom(err);
        goto out;
    }
    for (size_t i = 0; i < l->n; i++)
        if (write_entry(tar, ae, &l->v[i], mtime, err) < 0)
            goto out;
    if (archive_write_close(tar) != ARCHIVE_OK) {
        ret = wb_error_set(err, "layer: %s", archive_error_string(tar));
        goto out;
    }
    if (archive_write_close(ts.gz) != ARCHIVE_OK || gs.failed) {
        ret = gs.failed ? -1 : wb_error_set(err, "layer: gzip: %s", archive_error_string(ts.gz));
        goto out;
    }
    wbi_sha256_final(&ts.diff, out->diff_id);
    ret = wbi_blob_writer_finish(&gs.blob, NULL, out->digest, &out->size, err);
    gs.blob.path = NULL;
out:
    if (ret < 0) {
        /* the writers flush into the sink when freed: keep the first error message */
        wb_error saved = err ? *err : (wb_error){0};
        gs.err = NULL;
        if (tar)
            archive_write_free(tar);
        if (ts.gz)
            archive_write_free(ts.gz);
        tar = ts.gz = NULL;
        if (err)
            *err = saved;
        if (gs.blob.path)
            wbi_blob_writer_abort(&gs.blob);
        if (ts.diff.ctx)
            wbi_sha256_free(&ts.diff);
    }
    archive_entry_free(ae);
    if (tar)
        archive_write_free(tar);
    if (ts.gz)
        archive_write_free(ts.gz);
    return ret;
}
