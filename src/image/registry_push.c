/*
 * registry_push.c — `wasmbox push`: store -> registry.
 *
 * For every blob of the image (layers, then config): HEAD first, and nothing more
 * when the registry has it; else a cross-repository mount when registry-sources.json
 * knows another repository of the same registry holding it; else an upload session
 * (POST .../blobs/uploads/) completed in one PUT, or, for blobs over the chunk size,
 * in PATCHes of that size with Content-Range followed by the closing PUT ?digest=.
 * The manifest goes last, byte for byte as stored, so its digest is the one the
 * store knows; the registry's Docker-Content-Digest must agree. An image index is
 * pushed the same way after each of its manifests (pushed by digest).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "registry_internal.h"

typedef struct pusher {
    wb_image_store *s;
    const wb_registry_options *o;
    wbr_ref ref;
    wbr_client *c;
    wbr_progress pg;
    char *scope;          /* repository:<repo>:pull,push */
    uint64_t chunk;
    char (*pushed)[WB_DIGEST_LEN]; /* blobs now in the repository (for registry-sources) */
    size_t n_pushed;
} pusher;

typedef struct sent_arg {
    wbr_progress *pg;
    int row;
    uint64_t base, total;
} sent_arg;

static void on_sent(void *arg, uint64_t pos)
{
    sent_arg *a = arg;
    wbr_progress_bytes(a->pg, a->row, a->base + pos, a->total);
}

/* One request that must answer `want` (0: any 2xx). */
static int call(pusher *p, wbr_req *r, long want, wbr_resp *resp, wb_error *err)
{
    if (!r->scope)
        r->scope = p->scope;
    if (wbr_request(p->c, r, resp, err) < 0)
        return -1;
    bool ok = want ? resp->status == want : resp->status >= 200 && resp->status < 300;
    return ok ? 0 : wbr_status_error(p->c, r, resp, err);
}

/* 1 when the repository has the blob, 0 when not. */
static int blob_exists(pusher *p, const char *digest, wb_error *err)
{
    _cleanup_free_ char *url = wbi_strdup_printf("/v2/%s/blobs/%s", p->ref.repo, digest);
    if (!url)
        return wb_error_oom(err);
    wbr_req r = {.method = "HEAD", .url = url, .follow = true};
    wbr_resp resp;
    int ret = call(p, &r, 0, &resp, err);
    if (ret < 0 && resp.status == 404)
        ret = 0;
    else if (ret == 0)
        ret = 1;
    wbr_resp_free(&resp);
    return ret;
}

/* Tries a cross-repository mount. 1: mounted; 0: not, *location may hold an upload
 * session the registry opened instead. */
static int try_mount(pusher *p, const char *digest, char *from, size_t fromlen, char **location)
{
    if (!wbr_sources_find(p->s, p->ref.domain, p->ref.repo, digest, from, fromlen))
        return 0;
    _cleanup_free_ char *base = wbi_strdup_printf("/v2/%s/blobs/uploads/", p->ref.repo);
    _cleanup_free_ char *u1 = base ? wbr_url_param(base, "mount", digest) : NULL;
    _cleanup_free_ char *url = u1 ? wbr_url_param(u1, "from", from) : NULL;
    _cleanup_free_ char *scope = wbi_strdup_printf("%s repository:%s:pull", p->scope, from);
    if (!url || !scope)
        return 0;
    wbr_req r = {.method = "POST", .url = url, .scope = scope};
    wbr_resp resp;
    wb_error ignored;
    int ret = 0;
    if (wbr_request(p->c, &r, &resp, &ignored) == 0) {
        if (resp.status == 201)
            ret = 1;
        else if (resp.status == 202 && resp.location)
            *location = strdup(resp.location);
    }
    wbr_resp_free(&resp);
    return ret;
}

static int open_session(pusher *p, char **location, wb_error *err)
{
    _cleanup_free_ char *url = wbi_strdup_printf("/v2/%s/blobs/uploads/", p->ref.repo);
    if (!url)
        return wb_error_oom(err);
    wbr_req r = {.method = "POST", .url = url};
    wbr_resp resp;
    int ret = call(p, &r, 202, &resp, err);
    if (ret == 0 && !resp.location)
        ret = wb_error_set(err, "POST %s: the registry gave no upload location", url);
    if (ret == 0)
        *location = strdup(resp.location);
    wbr_resp_free(&resp);
    return ret == 0 && !*location ? wb_error_oom(err) : ret;
}

/* PATCHes [0, size) in chunks; *location follows the session. */
static int upload_chunks(pusher *p, int fd, uint64_t size, char **location, sent_arg *sa, wb_error *err)
{
    for (uint64_t off = 0; off < size;) {
        uint64_t n = size - off < p->chunk ? size - off : p->chunk;
        char cr[64];
        snprintf(cr, sizeof cr, "%" PRIu64 "-%" PRIu64, off, off + n - 1);
        sa->base = off;
        wbr_body body = {.fd = fd, .off = off, .len = n, .sent = on_sent, .sent_arg = sa};
        wbr_req r = {.method = "PATCH", .url = *location, .body = &body,
                     .content_type = "application/octet-stream", .content_range = cr};
        wbr_resp resp;
        int ret = call(p, &r, 202, &resp, err);
        if (ret == 0 && resp.location) {
            free(*location);
            *location = resp.location;
            resp.location = NULL;
        }
        wbr_resp_free(&resp);
        if (ret < 0)
            return -1;
        off += n;
    }
    return 0;
}

static int upload(pusher *p, const wbr_desc *d, char *location, int row, wb_error *err)
{
    _cleanup_free_ char *path = wbi_blob_path(p->s, d->digest);
    if (!path)
        return wb_error_oom(err);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return wb_error_errno(err, errno, "open %s", path);
    wbr_progress_status(&p->pg, row, "Pushing", false);
    sent_arg sa = {.pg = &p->pg, .row = row, .total = d->size};
    char *loc = location;
    bool chunked = d->size > p->chunk;
    if (chunked && upload_chunks(p, fd, d->size, &loc, &sa, err) < 0) {
        free(loc);
        return -1;
    }
    char *url = wbr_url_param(loc, "digest", d->digest);
    free(loc);
    if (!url)
        return wb_error_oom(err);
    wbr_body body = {.fd = fd, .len = chunked ? 0 : d->size, .sent = on_sent, .sent_arg = &sa};
    wbr_req r = {.method = "PUT", .url = url, .body = &body, .content_type = "application/octet-stream"};
    wbr_resp resp;
    int ret = call(p, &r, 201, &resp, err);
    if (ret == 0 && resp.digest && strcmp(resp.digest, d->digest))
        ret = wb_error_set(err, "the registry stored it as %.80s", resp.digest);
    wbr_resp_free(&resp);
    free(url);
    return ret;
}

static void remember(pusher *p, const char *digest)
{
    char(*v)[WB_DIGEST_LEN] = realloc(p->pushed, (p->n_pushed + 1) * WB_DIGEST_LEN);
    if (!v)
        return;
    p->pushed = v;
    strcpy(v[p->n_pushed++], digest);
}

static int push_blob(pusher *p, const wbr_desc *d, wb_error *err)
{
    int row = wbr_progress_add(&p->pg, d->digest, "Preparing");
    if (!wbi_blob_exists(p->s, d->digest))
        return wb_error_set(err, "blob %.19s is missing from the store", d->digest);
    int have = blob_exists(p, d->digest, err);
    if (have < 0)
        return wb_error_prefix(err, "blob %.19s", d->digest);
    if (have) {
        wbr_progress_status(&p->pg, row, "Layer already exists", true);
        remember(p, d->digest);
        return 0;
    }
    char from[300], status[350];
    char *location = NULL;
    if (try_mount(p, d->digest, from, sizeof from, &location) == 1) {
        snprintf(status, sizeof status, "Mounted from %s", from);
        wbr_progress_status(&p->pg, row, status, true);
        remember(p, d->digest);
        return 0;
    }
    if (!location && open_session(p, &location, err) < 0)
        return wb_error_prefix(err, "blob %.19s", d->digest);
    if (upload(p, d, location, row, err) < 0)
        return wb_error_prefix(err, "blob %.19s", d->digest);
    wbr_progress_status(&p->pg, row, "Pushed", true);
    remember(p, d->digest);
    return 0;
}

static int put_manifest(pusher *p, const char *ref, const char *body, size_t len, const char *mt,
                        const char *digest, wb_error *err)
{
    _cleanup_free_ char *url = wbi_strdup_printf("/v2/%s/manifests/%s", p->ref.repo, ref);
    if (!url)
        return wb_error_oom(err);
    wbr_body b = {.data = body, .fd = -1, .len = len};
    wbr_req r = {.method = "PUT", .url = url, .body = &b, .content_type = mt};
    wbr_resp resp;
    int ret = call(p, &r, 201, &resp, err);
    if (ret == 0 && resp.digest && strcmp(resp.digest, digest))
        ret = wb_error_set(err, "PUT %s: the registry stored the manifest as %.80s instead of %s", url,
                           resp.digest, digest);
    wbr_resp_free(&resp);
    return ret < 0 ? wb_error_prefix(err, "manifest %.19s", digest) : 0;
}

/* Reads and parses a stored manifest (verified against its digest). */
static int load_manifest(pusher *p, const char *digest, char **body, size_t *len, wbr_manifest *m,
                         wb_error *err)
{
    if (wbi_blob_read(p->s, digest, WBR_MANIFEST_MAX, body, len, err) < 0)
        return -1;
    char what[64];
    snprintf(what, sizeof what, "manifest %.19s", digest);
    if (wbr_manifest_parse(*body, *len, NULL, what, m, err) < 0) {
        free(*body);
        return -1;
    }
    return 0;
}

/* Blobs, then the manifest itself (under `ref`: the tag, or its digest). */
static int push_manifest(pusher *p, const char *digest, const char *ref, int depth, wb_error *err)
{
    char *body;
    size_t len;
    wbr_manifest m;
    if (load_manifest(p, digest, &body, &len, &m, err) < 0)
        return -1;
    int ret = 0;
    if (m.is_index) {
        for (size_t i = 0; ret == 0 && i < m.n_items; i++) {
            if (depth > 1)
                ret = wb_error_set(err, "manifest %.19s: image indexes nested too deeply", digest);
            else if (!wbi_blob_exists(p->s, m.items[i].digest))
                ret = wb_error_set(err, "manifest %.19s of the image index is not in the store", m.items[i].digest);
            else
                ret = push_manifest(p, m.items[i].digest, m.items[i].digest, depth + 1, err);
        }
    } else {
        for (size_t i = 0; ret == 0 && i < m.n_items; i++)
            ret = push_blob(p, &m.items[i], err);
        if (ret == 0)
            ret = push_blob(p, &m.config, err);
    }
    if (ret == 0)
        ret = put_manifest(p, ref, body, len, m.media_type, digest, err);
    free(body);
    wbr_manifest_free(&m);
    return ret;
}

static uint64_t chunk_size(void)
{
    const char *env = getenv("WASMBOX_PUSH_CHUNK_SIZE");
    char *end;
    unsigned long long v = env ? strtoull(env, &end, 10) : 0;
    return env && *env && !*end && v >= 1024 ? (uint64_t)v : WBR_CHUNK_DEFAULT;
}

static int push(pusher *p, const char *src, char digest[WB_DIGEST_LEN], wb_error *err)
{
    wb_image_ref img;
    if (wb_image_lookup(p->s, src, &img, err) < 0)
        return -1;
    if (p->ref.digest[0])
        return wb_error_set(err, "cannot push to a digest reference; use NAME[:TAG]");
    p->scope = wbi_strdup_printf("repository:%s:pull,push", p->ref.repo);
    if (!p->scope)
        return wb_error_oom(err);
    p->chunk = chunk_size();
    wbr_progress_line(&p->pg, "The push refers to repository [%s/%s]", p->ref.domain, p->ref.repo);
    if (wbr_client_open(p->ref.domain, p->ref.repo, p->o, &p->c, err) < 0)
        return -1;
    if (push_manifest(p, img.manifest, p->ref.tag, 0, err) < 0)
        return -1;
    wbr_sources_add(p->s, p->ref.domain, p->ref.repo, (const char(*)[WB_DIGEST_LEN])p->pushed, p->n_pushed);
    _cleanup_free_ char *m = NULL;
    size_t len = 0;
    if (wbi_blob_read(p->s, img.manifest, WBR_MANIFEST_MAX, &m, &len, err) < 0)
        return -1;
    wbr_progress_done(&p->pg);
    wbr_progress_line(&p->pg, "%s: digest: %s size: %zu", p->ref.tag, img.manifest, len);
    if (digest)
        strcpy(digest, img.manifest);
    return 0;
}

int wb_registry_push(wb_image_store *s, const char *src, const char *dest,
                     const wb_registry_options *o, char digest[WB_DIGEST_LEN], wb_error *err)
{
    static const wb_registry_options none = {0};
    pusher p = {.s = s, .o = o ? o : &none};
    if (wbr_ref_parse(dest ? dest : src, &p.ref, err) < 0)
        return -1;
    wbr_progress_init(&p.pg, p.o);
    int ret = push(&p, src, digest, err);
    wbr_progress_done(&p.pg);
    wbr_client_free(p.c);
    free(p.scope);
    free(p.pushed);
    return ret < 0 ? wb_error_prefix(err, "push %s", p.ref.display) : 0;
}
