/*
 * txn.c — how new blobs enter the store.
 *
 * A build or a load writes every blob into its own staging directory
 * (.wasmbox/tmp/txn-*), hashing as it writes, while holding gc.lock shared so that no
 * garbage collection can run underneath it. Only when the whole result is known to be
 * good does wbi_txn_commit() rename the needed blobs into blobs/sha256 (each new one
 * fsynced first — blobs the store already has, and scratch layers of intermediate
 * stages, never cost an fsync — then one fsync of the directory) and, last, rewrite
 * index.json. A failure or a kill
 * at any point before that final rename leaves the store exactly as it was; leftover
 * staging directories are removed by `image prune`.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int wbi_txn_begin(wb_image_store *s, wbi_txn *txn, wb_error *err)
{
    memset(txn, 0, sizeof *txn);
    txn->store = s;
    txn->gc_fd = wbi_lock(s, "gc.lock", LOCK_SH, err);
    if (txn->gc_fd < 0)
        return -1;
    txn->dir = wbi_strdup_printf("%s/tmp/txn-%d-XXXXXX", s->priv, (int)getpid());
    if (!txn->dir) {
        wbi_txn_end(txn);
        return wb_error_oom(err);
    }
    _cleanup_free_ char *tmp = wbi_strdup_printf("%s/tmp", s->priv);
    if (!tmp || wbi_mkdir_p(tmp, 0700, err) < 0 || !mkdtemp(txn->dir)) {
        int e = errno;
        free(txn->dir);
        txn->dir = NULL;
        wbi_txn_end(txn);
        return tmp ? wb_error_errno(err, e, "create staging directory in %s", s->priv)
                   : wb_error_oom(err);
    }
    return 0;
}

void wbi_txn_end(wbi_txn *txn)
{
    if (txn->dir)
        wbi_rm_rf(txn->dir, NULL);
    free(txn->dir);
    txn->dir = NULL;
    for (size_t i = 0; i < txn->n_staged; i++)
        free(txn->staged[i].path);
    free(txn->staged);
    txn->staged = NULL;
    txn->n_staged = txn->cap_staged = 0;
    if (txn->gc_fd >= 0)
        close(txn->gc_fd);
    txn->gc_fd = -1;
}

char *wbi_txn_tmp_path(wbi_txn *txn, const char *what)
{
    return wbi_strdup_printf("%s/%s-%u", txn->dir, what, txn->seq++);
}

static wbi_staged *find_staged(wbi_txn *txn, const char *digest)
{
    for (size_t i = 0; i < txn->n_staged; i++)
        if (!strcmp(txn->staged[i].digest, digest))
            return &txn->staged[i];
    return NULL;
}

bool wbi_txn_has(wbi_txn *txn, const char *digest)
{
    return find_staged(txn, digest) || wbi_blob_exists(txn->store, digest);
}

char *wbi_txn_blob_path(wbi_txn *txn, const char *digest)
{
    wbi_staged *st = find_staged(txn, digest);
    return st ? strdup(st->path) : wbi_blob_path(txn->store, digest);
}

int wbi_blob_writer_open(wbi_txn *txn, wbi_blob_writer *w, wb_error *err)
{
    memset(w, 0, sizeof *w);
    w->txn = txn;
    w->path = wbi_txn_tmp_path(txn, "blob");
    if (!w->path)
        return wb_error_oom(err);
    if (wbi_sha256_init(&w->hash, err) < 0) {
        free(w->path);
        return -1;
    }
    w->fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        int e = errno;
        wb_error_errno(err, e, "create %s", w->path);
        wbi_sha256_free(&w->hash);
        free(w->path);
        w->path = NULL;
        return -1;
    }
    return 0;
}

int wbi_blob_writer_write(wbi_blob_writer *w, const void *data, size_t len, wb_error *err)
{
    wbi_sha256_update(&w->hash, data, len);
    w->size += len;
    return wbi_write_all(w->fd, data, len, w->path, err);
}

void wbi_blob_writer_abort(wbi_blob_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    if (w->path)
        unlink(w->path);
    free(w->path);
    w->path = NULL;
    if (w->hash.ctx)
        wbi_sha256_free(&w->hash);
}

static int stage(wbi_txn *txn, const char *from, const char *digest, wb_error *err)
{
    if (find_staged(txn, digest)) {
        unlink(from);
        return 0;
    }
    if (txn->n_staged == txn->cap_staged) {
        size_t cap = txn->cap_staged ? txn->cap_staged * 2 : 16;
        wbi_staged *v = realloc(txn->staged, cap * sizeof *v);
        if (!v)
            return wb_error_oom(err);
        txn->staged = v;
        txn->cap_staged = cap;
    }
    char *path = wbi_strdup_printf("%s/sha256-%s", txn->dir, wbi_digest_hex(digest));
    if (!path)
        return wb_error_oom(err);
    if (rename(from, path) < 0) {
        int e = errno;
        free(path);
        return wb_error_errno(err, e, "rename %s", from);
    }
    wbi_staged *st = &txn->staged[txn->n_staged++];
    strcpy(st->digest, digest);
    st->path = path;
    return 0;
}

int wbi_blob_writer_finish(wbi_blob_writer *w, const char *expect, char digest[WB_DIGEST_LEN],
                           uint64_t *size, wb_error *err)
{
    char got[WB_DIGEST_LEN];
    wbi_sha256_final(&w->hash, got);
    int ret = 0;
    if (expect && strcmp(expect, got) != 0)
        ret = wb_error_set(err, "digest mismatch: expected %s, content hashes to %s", expect, got);
    close(w->fd); /* made durable at commit, and only if the store lacks it */
    w->fd = -1;
    if (ret == 0)
        ret = stage(w->txn, w->path, got, err);
    if (ret < 0) {
        wbi_blob_writer_abort(w);
        return -1;
    }
    free(w->path);
    w->path = NULL;
    if (digest)
        strcpy(digest, got);
    if (size)
        *size = w->size;
    return 0;
}

int wbi_txn_put(wbi_txn *txn, const void *data, size_t len, char digest[WB_DIGEST_LEN],
                wb_error *err)
{
    wbi_blob_writer w;
    if (wbi_blob_writer_open(txn, &w, err) < 0)
        return -1;
    if (wbi_blob_writer_write(&w, data, len, err) < 0) {
        wbi_blob_writer_abort(&w);
        return -1;
    }
    return wbi_blob_writer_finish(&w, NULL, digest, NULL, err);
}

int wbi_txn_commit(wbi_txn *txn, char (*digests)[WB_DIGEST_LEN], size_t n, wbi_index_edit_fn edit,
                   void *arg, wb_error *err)
{
    wb_image_store *s = txn->store;
    for (size_t i = 0; i < n; i++) {
        const char *d = digests[i];
        _cleanup_free_ char *dest = wbi_blob_path(s, d);
        if (!dest)
            return wb_error_oom(err);
        wbi_staged *st = find_staged(txn, d);
        if (access(dest, F_OK) == 0)
            continue; /* content-addressed: an existing blob is the same bytes */
        if (!st)
            return wb_error_set(err, "blob %s is missing from the store", d);
        _cleanup_close_ int fd = open(st->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0)
            return wb_error_errno(err, errno, "fsync %s", st->path);
        if (rename(st->path, dest) < 0)
            return wb_error_errno(err, errno, "move blob into %s", s->blobs);
    }
    if (wbi_fsync_dir(s->blobs, err) < 0)
        return -1;
    return wbi_index_update(s, edit, arg, err);
}
