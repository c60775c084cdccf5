/*
 * registry_pull.c — `wasmbox pull`: registry -> store.
 *
 * Order of events, each step checked before the next:
 *   1. the manifest (or index) named by the tag or digest, verified against the digest
 *      asked for or the one the registry claims; from an index, the wasi/wasm entry
 *      (or --platform's), fetched by digest and verified the same way;
 *   2. the config and every layer the store lacks, each downloaded beside the store
 *      (registry_blob.c: resumable, hashed while written, renamed when verified);
 *   3. under the store's transaction (gc.lock held shared from the start, so that
 *      `image prune` cannot remove anything underneath), the manifest is staged, the
 *      verified blobs are renamed into blobs/sha256, and last index.json names the
 *      image.
 * A failure anywhere before step 3's final rename leaves index.json and blobs/ as
 * they were; downloaded bytes stay in .wasmbox/tmp/pulls for the next attempt.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "registry_internal.h"

typedef struct puller {
    wb_image_store *s;
    const wb_registry_options *o;
    wbr_ref ref;
    wbr_client *c;
    wbr_progress pg;
    wbi_txn txn;
    char *pulls;                     /* .wasmbox/tmp/pulls */
    char *body;                      /* the image manifest */
    size_t len;
    char *ctype;
    char digest[WB_DIGEST_LEN];      /* its digest */
    char top[WB_DIGEST_LEN];         /* what the reference resolved to (index or manifest) */
    wbr_manifest m;
    char os[64], arch[64];
    bool downloaded;                 /* some blob came over the network */
} puller;

static void puller_free(puller *p)
{
    if (p->txn.store)
        wbi_txn_end(&p->txn);
    wbr_progress_done(&p->pg);
    wbr_client_free(p->c);
    wbr_manifest_free(&p->m);
    free(p->pulls);
    free(p->body);
    free(p->ctype);
}

/* Step 1: the image manifest, through an index when the reference names one. */
static int resolve(puller *p, wb_error *err)
{
    const char *ref = p->ref.digest[0] ? p->ref.digest : p->ref.tag;
    if (wbr_manifest_fetch(p->c, p->ref.repo, ref, &p->body, &p->len, &p->ctype, p->top, err) < 0)
        return -1;
    strcpy(p->digest, p->top);
    char what[128];
    snprintf(what, sizeof what, "manifest %.19s", p->top);
    if (wbr_manifest_parse(p->body, p->len, p->ctype, what, &p->m, err) < 0)
        return -1;
    if (!p->m.is_index)
        return 0;
    const wbr_desc *pick;
    if (wbr_index_pick(&p->m, p->o->platform, what, &pick, err) < 0)
        return -1;
    char child[WB_DIGEST_LEN];
    strcpy(child, pick->digest);
    wbr_manifest_free(&p->m);
    free(p->body);
    free(p->ctype);
    p->body = p->ctype = NULL;
    if (wbr_manifest_fetch(p->c, p->ref.repo, child, &p->body, &p->len, &p->ctype, p->digest, err) < 0)
        return -1;
    snprintf(what, sizeof what, "manifest %.19s", p->digest);
    if (wbr_manifest_parse(p->body, p->len, p->ctype, what, &p->m, err) < 0)
        return -1;
    if (p->m.is_index)
        return wb_error_set(err, "%s: an image index inside an image index is not supported", what);
    return 0;
}

/* Step 2, one blob: nothing to do when the store (or an earlier pull) has it. */
static int fetch(puller *p, const wbr_desc *d, bool layer, wb_error *err)
{
    if (wbi_blob_exists(p->s, d->digest)) {
        if (layer)
            wbr_progress_status(&p->pg, wbr_progress_add(&p->pg, d->digest, "Already exists"),
                                "Already exists", true);
        return 0;
    }
    int row = layer ? wbr_progress_add(&p->pg, d->digest, "Pulling fs layer") : -1;
    if (wbr_blob_fetch(p->c, p->ref.repo, d, p->pulls, &p->pg, row, err) < 0)
        return -1;
    p->downloaded = true;
    wbr_progress_status(&p->pg, row, "Pull complete", true);
    return 0;
}

/* Where a verified blob is now: the store, or the pulls directory. */
static char *blob_at(puller *p, const char *digest)
{
    if (wbi_blob_exists(p->s, digest))
        return wbi_blob_path(p->s, digest);
    return wbi_strdup_printf("%s/%s", p->pulls, wbi_digest_hex(digest));
}

/* The platform the index entry will carry, from the (verified) config. */
static int read_config(puller *p, wb_error *err)
{
    _cleanup_free_ char *path = blob_at(p, p->m.config.digest);
    _cleanup_free_ char *text = NULL;
    size_t len;
    if (!path)
        return wb_error_oom(err);
    if (wbi_read_file(path, WBI_JSON_MAX, &text, &len, err) < 0)
        return wb_error_prefix(err, "config %.19s", p->m.config.digest);
    char what[64];
    snprintf(what, sizeof what, "config %.19s", p->m.config.digest);
    json_t *j = wbi_json_parse(text, len, what, err);
    if (!j)
        return -1;
    const char *os = wbi_json_str(j, "os"), *arch = wbi_json_str(j, "architecture");
    snprintf(p->os, sizeof p->os, "%s", p->m.artifact || !os ? "wasi" : os);
    snprintf(p->arch, sizeof p->arch, "%s", p->m.artifact || !arch ? "wasm" : arch);
    json_decref(j);
    return 0;
}

typedef struct pull_edit {
    json_t *desc;
    const char *name;
} pull_edit;

static int edit_pulled(wb_image_store *s, json_t *index, void *arg, wb_error *err)
{
    (void)s;
    pull_edit *e = arg;
    if (e->name[0])
        return wbi_index_set_name(index, e->desc, e->name, err);
    const char *digest = wbi_json_str(e->desc, "digest");
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(index, "manifests"), i, d)
        if (wbi_json_str(d, "digest") && !strcmp(wbi_json_str(d, "digest"), digest))
            return 1; /* pulled by digest and already listed */
    return json_array_append(json_object_get(index, "manifests"), e->desc) < 0 ? wb_error_oom(err) : 0;
}

/* Step 3. */
static int commit(puller *p, wb_error *err)
{
    char staged[WB_DIGEST_LEN];
    if (wbi_txn_put(&p->txn, p->body, p->len, staged, err) < 0)
        return -1;
    size_t n = p->m.n_items + 2;
    char(*digests)[WB_DIGEST_LEN] = calloc(n, WB_DIGEST_LEN);
    if (!digests)
        return wb_error_oom(err);
    strcpy(digests[0], p->digest);
    strcpy(digests[1], p->m.config.digest);
    for (size_t i = 0; i < p->m.n_items; i++)
        strcpy(digests[i + 2], p->m.items[i].digest);
    int ret = 0;
    for (size_t i = 1; i < n && ret == 0; i++) {
        if (wbi_blob_exists(p->s, digests[i]))
            continue;
        _cleanup_free_ char *from = wbi_strdup_printf("%s/%s", p->pulls, wbi_digest_hex(digests[i]));
        _cleanup_free_ char *to = wbi_blob_path(p->s, digests[i]);
        if (!from || !to)
            ret = wb_error_oom(err);
        /* ENOENT with the blob in place: a concurrent pull of the same blob got there first */
        else if (rename(from, to) < 0 && !(errno == ENOENT && wbi_blob_exists(p->s, digests[i])))
            ret = wb_error_errno(err, errno, "move blob into %s", p->s->blobs);
    }
    json_t *desc = wbi_index_descriptor(p->digest, p->len, p->os, p->arch);
    if (ret == 0 && !desc)
        ret = wb_error_oom(err);
    if (ret == 0) {
        json_object_set_new(desc, "mediaType", json_string(p->m.media_type));
        pull_edit e = {.desc = desc, .name = p->ref.name};
        ret = wbi_txn_commit(&p->txn, digests, n, edit_pulled, &e, err);
    }
    if (ret == 0)
        wbr_sources_add(p->s, p->ref.domain, p->ref.repo, (const char(*)[WB_DIGEST_LEN])(digests + 1), n - 1);
    json_decref(desc);
    free(digests);
    return ret;
}

static int pull(puller *p, wb_error *err)
{
    if (p->ref.default_tag)
        wbr_progress_line(&p->pg, "Using default tag: latest");
    if (wbr_client_open(p->ref.domain, p->ref.repo, p->o, &p->c, err) < 0 || resolve(p, err) < 0)
        return -1;
    wbr_progress_line(&p->pg, "%s: Pulling from %s", p->ref.digest[0] ? p->ref.digest : p->ref.tag,
                      p->ref.repo);
    p->pulls = wbi_strdup_printf("%s/tmp/pulls", p->s->priv);
    if (!p->pulls)
        return wb_error_oom(err);
    if (wbi_txn_begin(p->s, &p->txn, err) < 0 || wbi_mkdir_p(p->pulls, 0700, err) < 0)
        return -1;
    for (size_t i = 0; i < p->m.n_items; i++)
        if (fetch(p, &p->m.items[i], true, err) < 0)
            return -1;
    if (fetch(p, &p->m.config, false, err) < 0 || read_config(p, err) < 0)
        return -1;
    wb_image_ref before;
    bool same = p->ref.name[0] && wb_image_lookup(p->s, p->ref.name, &before, NULL) == 0 &&
                !strcmp(before.manifest, p->digest);
    if (commit(p, err) < 0)
        return -1;
    wbr_progress_done(&p->pg);
    wbr_progress_line(&p->pg, "Digest: %s", p->top);
    wbr_progress_line(&p->pg, "Status: %s for %s", same && !p->downloaded ? "Image is up to date" : "Downloaded newer image",
                      p->ref.display);
    return 0;
}

int wb_registry_pull(wb_image_store *s, const char *ref, const wb_registry_options *o,
                     wb_image_ref *out, wb_error *err)
{
    static const wb_registry_options none = {0};
    puller p = {.s = s, .o = o ? o : &none};
    if (wbr_ref_parse(ref, &p.ref, err) < 0)
        return -1;
    wbr_progress_init(&p.pg, p.o);
    int ret = pull(&p, err);
    if (ret == 0 && out) {
        memset(out, 0, sizeof *out);
        strcpy(out->manifest, p.digest);
        strcpy(out->config, p.m.config.digest);
        snprintf(out->name, sizeof out->name, "%.*s", (int)sizeof out->name - 1, p.ref.name);
        out->size = p.m.config.size;
        for (size_t i = 0; i < p.m.n_items; i++)
            out->size += p.m.items[i].size;
    }
    puller_free(&p);
    return ret < 0 ? wb_error_prefix(err, "pull %s", p.ref.display) : 0;
}
