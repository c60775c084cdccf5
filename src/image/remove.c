/*
 * remove.c — `rmi`, `image prune` and garbage collection of blobs.
 *
 * Removing names only edits index.json. Blobs are deleted by garbage collection,
 * which holds gc.lock exclusively (so no build or load is half way through staging
 * blobs it will reference) and index.lock (so no tag can name an image between the
 * mark and the sweep). rmi collects opportunistically when no transaction is running;
 * `image prune` waits for them. A manifest that cannot be read stops the collection:
 * we never guess which blobs it referenced.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ref.h"
#include "store.h"

/* ---- garbage collection ---- */

typedef struct digest_set {
    char (*v)[WB_DIGEST_LEN];
    size_t n, cap;
} digest_set;

static bool set_has(const digest_set *s, const char *d)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], d))
            return true;
    return false;
}

static int set_add(digest_set *s, const char *d, wb_error *err)
{
    if (!wbi_digest_valid(d) || set_has(s, d))
        return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        void *v = realloc(s->v, cap * WB_DIGEST_LEN);
        if (!v)
            return wb_error_oom(err);
        s->v = v;
        s->cap = cap;
    }
    strcpy(s->v[s->n++], d);
    return 0;
}

/* Marks a manifest or index blob and everything it references. */
static int mark(wb_image_store *s, const char *digest, digest_set *live, int depth, wb_error *err)
{
    if (set_has(live, digest))
        return 0;
    if (set_add(live, digest, err) < 0)
        return -1;
    if (!wbi_blob_exists(s, digest) || depth > 4)
        return 0; /* a dangling reference: nothing below it to keep */
    json_t *m;
    if (wbi_blob_json(s, digest, "manifest", &m, err) < 0)
        return wb_error_prefix(err, "garbage collection stopped");
    int ret = set_add(live, wbi_json_str(json_object_get(m, "config"), "digest"), err);
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(m, "layers"), i, d) if (ret == 0) ret =
        set_add(live, wbi_json_str(d, "digest"), err);
    json_array_foreach(json_object_get(m, "manifests"), i,
                       d) if (ret == 0 && wbi_json_str(d, "digest")) ret =
        mark(s, wbi_json_str(d, "digest"), live, depth + 1, err);
    json_decref(m);
    return ret;
}

/* Staging directories (txn-*) of killed builds and loads: with gc.lock held
 * exclusively no transaction is running. Other entries of .wasmbox/tmp (a pull's
 * resumable downloads) belong to their owners. Needs index.lock too. */
static void remove_stale_txns(wb_image_store *s)
{
    _cleanup_free_ char *tmp = wbi_strdup_printf("%s/tmp", s->priv);
    DIR *d = tmp ? opendir(tmp) : NULL;
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)))
        if (!strncmp(de->d_name, "txn-", 4))
            wbi_rm_rf_at(dirfd(d), de->d_name, NULL);
    closedir(d);
    /* and half-written index.json / refs replacements (index.lock is held) */
    const char *dirs[] = {s->root, s->priv};
    for (size_t i = 0; i < 2; i++) {
        if (!(d = opendir(dirs[i])))
            continue;
        while ((de = readdir(d)))
            if (!strncmp(de->d_name, "index.json.tmp-", 15) || !strncmp(de->d_name, "refs.tmp-", 9))
                unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
    }
}

/* Deletes unreferenced blobs and staging leftovers. Needs gc.lock (exclusive) and
 * index.lock held. */
static int collect(wb_image_store *s, uint64_t *freed, wb_error *err)
{
    json_t *index;
    if (wbi_index_load(s, &index, NULL, err) < 0)
        return -1;
    digest_set live = {0};
    int ret = 0;
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(index, "manifests"), i,
                       d) if (ret == 0 && wbi_json_str(d, "digest")) ret =
        mark(s, wbi_json_str(d, "digest"), &live, 0, err);
    json_decref(index);
    DIR *dir = ret == 0 ? opendir(s->blobs) : NULL;
    if (ret == 0 && !dir)
        ret = wb_error_errno(err, errno, "open %s", s->blobs);
    struct dirent *de;
    while (dir && (de = readdir(dir))) {
        char digest[WB_DIGEST_LEN + 8];
        if (strlen(de->d_name) != 64)
            continue;
        snprintf(digest, sizeof digest, "sha256:%.64s", de->d_name);
        if (!wbi_digest_valid(digest) || set_has(&live, digest))
            continue;
        struct stat st;
        if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            unlinkat(dirfd(dir), de->d_name, 0) == 0)
            *freed += (uint64_t)st.st_size;
    }
    if (dir) {
        closedir(dir);
        wbi_fsync_dir(s->blobs, NULL);
    }
    free(live.v);
    if (ret == 0)
        remove_stale_txns(s);
    return ret;
}

/* ---- rmi ---- */

typedef struct rm_edit {
    const wb_image_ref *img;
    bool by_name;
    bool force;
    FILE *out;
    wb_error *err;
} rm_edit;

static bool entry_named(const json_t *d, char *buf, size_t len)
{
    const char *n = wbi_json_str(json_object_get(d, "annotations"), WBI_ANN_REF_NAME);
    return n && wbi_ref_normalize(n, buf, len);
}

static const char *desc_digest(const json_t *d)
{
    const char *s = wbi_json_str(d, "digest");
    return s ? s : "";
}

/* rmi NAME removes that name; the image goes too when it was its last name.
 * rmi ID removes the image with all its names (-f needed when it has several).
 * An image a container uses is refused, or with -f kept as an unnamed entry. */
static int edit_remove(wb_image_store *s, json_t *index, void *arg, wb_error *err)
{
    rm_edit *e = arg;
    json_t *ms = json_object_get(index, "manifests");
    const char *manifest = e->img->manifest;
    const char *id = e->img->config[0] ? e->img->config : manifest;
    size_t names = 0, i;
    json_t *d;
    char n[300];
    json_array_foreach(ms, i, d) if (!strcmp(desc_digest(d), manifest) &&
                                     entry_named(d, n, sizeof n)) names++;
    if (!e->by_name && names > 1 && !e->force)
        return wb_error_set(
            err, "image %.19s is referenced by %zu names: remove them by name, or use -f", id,
            names);
    bool whole = !e->by_name || names <= 1; /* the image itself goes, not just a name */
    char who[64];
    bool used = whole && wbi_image_in_use(s, manifest, e->img->config, who, sizeof who);
    if (used && !e->force)
        return wb_error_set(
            err, "image %s is used by container %s: remove the container first, or use -f",
            e->img->name[0] ? e->img->name : id, who);
    bool kept = false;
    for (size_t k = json_array_size(ms); k-- > 0;) {
        d = json_array_get(ms, k);
        if (strcmp(desc_digest(d), manifest))
            continue;
        bool named = entry_named(d, n, sizeof n);
        if (!whole && (!named || strcmp(n, e->img->name)))
            continue; /* rmi NAME touches only that name */
        if (named)
            fprintf(e->out, "Untagged: %s\n", n);
        if (used && !kept) {
            json_t *ann = json_object_get(d, "annotations");
            json_object_del(ann, WBI_ANN_REF_NAME);
            json_object_del(ann, WBI_ANN_CONTAINERD_NAME);
            kept = true;
            continue;
        }
        json_array_remove(ms, k);
    }
    if (whole && !used)
        fprintf(e->out, "Deleted: %s\n", id);
    return 0;
}

static void collect_if_idle(wb_image_store *s)
{
    int gc = wbi_lock(s, "gc.lock", LOCK_EX | LOCK_NB, NULL);
    if (gc < 0)
        return; /* a build or load is staging blobs: leave the sweep to image prune */
    int idx = wbi_lock(s, "index.lock", LOCK_EX, NULL);
    if (idx >= 0) {
        uint64_t freed = 0;
        collect(s, &freed, NULL);
        close(idx);
    }
    close(gc);
}

int wb_image_remove(wb_image_store *s, const char *ref, bool force, FILE *out, wb_error *err)
{
    wb_image_ref img;
    if (wb_image_lookup(s, ref, &img, err) < 0)
        return -1;
    rm_edit e = {.img = &img, .by_name = img.name[0] != 0, .force = force, .out = out, .err = err};
    if (wbi_index_update(s, edit_remove, &e, err) < 0)
        return -1;
    fflush(out);
    collect_if_idle(s);
    return 0;
}

/* ---- prune ---- */

typedef struct prune_edit {
    bool all;
    FILE *out;
    size_t removed;
} prune_edit;

static int edit_prune(wb_image_store *s, json_t *index, void *arg, wb_error *err)
{
    (void)err;
    prune_edit *p = arg;
    json_t *ms = json_object_get(index, "manifests");
    for (size_t k = json_array_size(ms); k-- > 0;) {
        json_t *d = json_array_get(ms, k);
        char n[300], who[64];
        bool named = entry_named(d, n, sizeof n);
        const char *digest = wbi_json_str(d, "digest");
        if ((named && !p->all) || !digest)
            continue;
        char config[WB_DIGEST_LEN] = "";
        json_t *m;
        if (wbi_manifest_load(s, digest, &m, NULL, NULL) == 0) {
            snprintf(config, sizeof config, "%s",
                     wbi_json_str(json_object_get(m, "config"), "digest"));
            json_decref(m);
        }
        if (wbi_image_in_use(s, digest, config, who, sizeof who))
            continue;
        if (p->removed++ == 0)
            fprintf(p->out, "Deleted Images:\n");
        if (named)
            fprintf(p->out, "untagged: %s\n", n);
        fprintf(p->out, "deleted: %s\n", digest);
        json_array_remove(ms, k);
    }
    return p->removed ? 0 : 1;
}

int wb_image_prune(wb_image_store *s, bool all, FILE *out, uint64_t *reclaimed, wb_error *err)
{
    int gc = wbi_lock(s, "gc.lock", LOCK_EX, err);
    if (gc < 0)
        return -1;
    int idx = wbi_lock(s, "index.lock", LOCK_EX, err);
    if (idx < 0) {
        close(gc);
        return -1;
    }
    prune_edit p = {.all = all, .out = out};
    uint64_t freed = 0;
    int ret = wbi_index_update_locked(s, edit_prune, &p, err);
    if (ret == 0)
        ret = collect(s, &freed, err);
    close(idx);
    close(gc);
    if (reclaimed)
        *reclaimed = freed;
    return ret;
}
