/*
 * registry_blob.c — downloads that never trust what arrives.
 *
 * A blob is written to DIR/<hex>.partial while it is hashed, and renamed to DIR/<hex>
 * only once its size and sha256 match the descriptor (fsynced first). The .partial
 * file outlives a killed or failed pull: the next attempt — a retry after a cut
 * connection in the same run, or the next `wasmbox pull` — hashes what is there and
 * asks only for the rest with "Range: bytes=N-". A registry that ignores the range
 * (200 instead of 206) or answers a different one simply gets the blob re-read from
 * the start. An flock on the .partial file keeps two concurrent pulls of the same
 * blob from writing into each other; the second one finds the finished blob.
 *
 * Manifests are small documents fetched into memory (4 MiB cap) and checked against
 * the digest they were asked by, or the Docker-Content-Digest the registry claims.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "registry_internal.h"

/* Consecutive attempts that make no progress before giving up. */
#define WBR_MAX_STALLS 3

typedef struct blob_dl {
    int fd;
    const char *path;
    const wbr_desc *d;
    wbi_sha256 hash;
    uint64_t have;        /* bytes in the file (and in the hash) */
    bool started;         /* this attempt's body has begun */
    bool fatal;           /* the sink failed in a way a retry cannot fix */
    wbr_progress *pg;
    int row;
} blob_dl;

/* Empties the partial file and the hash. */
static int restart(blob_dl *b, wb_error *err)
{
    if (ftruncate(b->fd, 0) < 0)
        return wb_error_errno(err, errno, "truncate %s", b->path);
    wbi_sha256_free(&b->hash);
    b->have = 0;
    return wbi_sha256_init(&b->hash, err);
}

/* Hashes the bytes a previous attempt left (a truncated file if it is too long). */
static int resume_from_file(blob_dl *b, wb_error *err)
{
    struct stat st;
    if (fstat(b->fd, &st) < 0)
        return wb_error_errno(err, errno, "stat %s", b->path);
    if ((uint64_t)st.st_size > b->d->size)
        return restart(b, err);
    char buf[1 << 16];
    uint64_t off = 0;
    while (off < (uint64_t)st.st_size) {
        ssize_t n = pread(b->fd, buf, sizeof buf, (off_t)off);
        if (n < 0)
            return wb_error_errno(err, errno, "read %s", b->path);
        if (n == 0)
            break;
        wbi_sha256_update(&b->hash, buf, (size_t)n);
        off += (uint64_t)n;
    }
    b->have = off;
    return 0;
}

/* "bytes START-END/TOTAL" -> START, or UINT64_MAX. */
static uint64_t range_start(const char *cr)
{
    if (!cr || strncmp(cr, "bytes ", 6))
        return UINT64_MAX;
    char *end;
    unsigned long long v = strtoull(cr + 6, &end, 10);
    return end != cr + 6 && *end == '-' ? (uint64_t)v : UINT64_MAX;
}

static int blob_sink(void *arg, const wbr_resp *resp, const char *data, size_t len, wb_error *err)
{
    blob_dl *b = arg;
    if (!b->started) {
        b->started = true;
        /* a 200 is the whole blob again; a 206 must start where we are */
        if ((resp->status != 206 || range_start(resp->content_range) != b->have) && b->have > 0 &&
            restart(b, err) < 0) {
            b->fatal = true;
            return -1;
        }
        wbr_progress_status(b->pg, b->row, "Downloading", false);
    }
    if (b->have + len > b->d->size) {
        b->fatal = true;
        return wb_error_set(err, "the registry sent more than the %" PRIu64 " bytes its descriptor says",
                            b->d->size);
    }
    if (wbi_write_all(b->fd, data, len, b->path, err) < 0) {
        b->fatal = true;
        return -1;
    }
    wbi_sha256_update(&b->hash, data, len);
    b->have += len;
    wbr_progress_bytes(b->pg, b->row, b->have, b->d->size);
    return 0;
}

/* One GET of the rest of the blob. Returns 0 when the attempt ended (complete or
 * not), <0 with a fatal error, 1 with a retryable one (in *err). */
static int attempt(wbr_client *c, const char *repo, blob_dl *b, wb_error *err)
{
    _cleanup_free_ char *url = wbi_strdup_printf("/v2/%s/blobs/%s", repo, b->d->digest);
    _cleanup_free_ char *scope = wbi_strdup_printf("repository:%s:pull", repo);
    char range[48];
    snprintf(range, sizeof range, "%" PRIu64 "-", b->have);
    if (!url || !scope)
        return wb_error_oom(err);
    wbr_req r = {.method = "GET", .url = url, .scope = scope, .range = b->have ? range : NULL,
                 .sink = blob_sink, .sink_arg = b, .follow = true};
    wbr_resp resp;
    b->started = false;
    int ret = wbr_request(c, &r, &resp, err);
    if (ret < 0) {
        wbr_resp_free(&resp);
        return b->fatal ? -1 : 1;
    }
    if (resp.status == 416 && b->have) {
        ret = restart(b, err) < 0 ? -1 : 1; /* our partial file does not fit: start over */
        if (ret > 0)
            wb_error_set(err, "the registry refused to resume at byte %s", range);
    } else if (resp.status != 200 && resp.status != 206) {
        ret = wbr_status_error(c, &r, &resp, err);
    } else if (b->have < b->d->size) {
        ret = 1;
        wb_error_set(err, "truncated: received %" PRIu64 " of %" PRIu64 " bytes", b->have, b->d->size);
    }
    wbr_resp_free(&resp);
    return ret;
}

/* Renames a verified partial file into place, durably. */
static int publish(blob_dl *b, const char *final, wb_error *err)
{
    char got[WB_DIGEST_LEN];
    wbi_sha256_final(&b->hash, got);
    if (strcmp(got, b->d->digest)) {
        unlink(b->path);
        return wb_error_set(err, "digest mismatch: the content hashes to %s", got);
    }
    if (fsync(b->fd) < 0)
        return wb_error_errno(err, errno, "fsync %s", b->path);
    if (rename(b->path, final) < 0)
        return wb_error_errno(err, errno, "rename %s", b->path);
    return 0;
}

static int download(wbr_client *c, const char *repo, blob_dl *b, const char *final, wb_error *err)
{
    if (resume_from_file(b, err) < 0)
        return -1;
    if (b->have)
        wbr_progress_status(b->pg, b->row, "Resuming", false);
    int stalls = 0;
    while (b->have < b->d->size || b->d->size == 0) {
        uint64_t before = b->have;
        int r = attempt(c, repo, b, err);
        if (r < 0) {
            if (b->fatal && ftruncate(b->fd, 0) < 0)
                unlink(b->path); /* bad bytes must not seed the next resume */
            return -1;
        }
        if (r == 0)
            break;
        stalls = b->have > before ? 0 : stalls + 1;
        if (stalls >= WBR_MAX_STALLS)
            return -1;
        struct timespec pause = {0, 100000000L * stalls};
        nanosleep(&pause, NULL);
    }
    if (b->have != b->d->size)
        return wb_error_set(err, "truncated: received %" PRIu64 " of %" PRIu64 " bytes", b->have, b->d->size);
    return publish(b, final, err);
}

int wbr_blob_fetch(wbr_client *c, const char *repo, const wbr_desc *d, const char *dir,
                   wbr_progress *pg, int row, wb_error *err)
{
    _cleanup_free_ char *final = wbi_strdup_printf("%s/%s", dir, wbi_digest_hex(d->digest));
    _cleanup_free_ char *partial = wbi_strdup_printf("%s/%s.partial", dir, wbi_digest_hex(d->digest));
    if (!final || !partial)
        return wb_error_oom(err);
    if (access(final, F_OK) == 0)
        return 0;
    blob_dl b = {.path = partial, .d = d, .pg = pg, .row = row};
    b.fd = open(partial, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (b.fd < 0)
        return wb_error_errno(err, errno, "open %s", partial);
    int ret = 0;
    if (flock(b.fd, LOCK_EX) < 0)
        ret = wb_error_errno(err, errno, "lock %s", partial);
    /* a concurrent pull may have finished it while we waited for the lock */
    if (ret == 0 && access(final, F_OK) == 0) {
        close(b.fd);
        return 0;
    }
    if (ret == 0)
        ret = wbi_sha256_init(&b.hash, err);
    if (ret == 0)
        ret = download(c, repo, &b, final, err);
    if (b.hash.ctx)
        wbi_sha256_free(&b.hash);
    close(b.fd);
    return ret < 0 ? wb_error_prefix(err, "blob %.19s", d->digest) : 0;
}

int wbr_manifest_fetch(wbr_client *c, const char *repo, const char *ref, char **body,
                       size_t *len, char **ctype, char digest_out[WB_DIGEST_LEN], wb_error *err)
{
    _cleanup_free_ char *url = wbi_strdup_printf("/v2/%s/manifests/%s", repo, ref);
    _cleanup_free_ char *scope = wbi_strdup_printf("repository:%s:pull", repo);
    if (!url || !scope)
        return wb_error_oom(err);
    wbr_req r = {.method = "GET", .url = url, .scope = scope, .accept = wbr_manifest_accept,
                 .max = WBR_MANIFEST_MAX, .follow = true};
    wbr_resp resp;
    int ret = wbr_request(c, &r, &resp, err);
    if (ret == 0 && resp.status != 200)
        ret = wbr_status_error(c, &r, &resp, err);
    char got[WB_DIGEST_LEN] = "";
    if (ret == 0) {
        wbi_sha256_buf(resp.body ? resp.body : "", resp.len, got);
        bool by_digest = !strncmp(ref, "sha256:", 7);
        if (by_digest && strcmp(ref, got))
            ret = wb_error_set(err, "digest mismatch: the content hashes to %s", got);
        else if (!by_digest && resp.digest && !strncmp(resp.digest, "sha256:", 7) && strcmp(resp.digest, got))
            ret = wb_error_set(err, "digest mismatch: the registry says %.80s, the content hashes to %s",
                               resp.digest, got);
    }
    if (ret == 0) {
        *body = resp.body ? resp.body : strdup("");
        *len = resp.len;
        *ctype = resp.content_type;
        resp.body = resp.content_type = NULL;
        strcpy(digest_out, got);
        if (!*body) {
            free(*ctype);
            ret = wb_error_oom(err);
        }
    }
    wbr_resp_free(&resp);
    return ret < 0 ? wb_error_prefix(err, "manifest %s", ref) : 0;
}
