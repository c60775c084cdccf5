/*
 * store.c — opening the OCI image layout that is wasmbox's image store, its locks,
 * the atomic rewrite of index.json, and verified reads of blobs.
 *
 * Readers take no lock: index.json is only ever replaced by rename(2), so a reader
 * sees either the old or the new file, and every blob a new index names was made
 * durable before the rename (see txn.c).
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define OCI_LAYOUT "{\"imageLayoutVersion\":\"1.0.0\"}"
#define EMPTY_INDEX "{\"manifests\":[],\"mediaType\":\"" WBI_MT_OCI_INDEX "\",\"schemaVersion\":2}"

int wb_image_default_root(char *buf, size_t len, wb_error *err)
{
    const char *env = getenv("WASMBOX_ROOT");
    int n;
    if (env && *env)
        n = snprintf(buf, len, "%s", env);
    else if (geteuid() == 0)
        n = snprintf(buf, len, "/var/lib/wasmbox");
    else if ((env = getenv("XDG_DATA_HOME")) && *env)
        n = snprintf(buf, len, "%s/wasmbox", env);
    else if ((env = getenv("HOME")) && *env)
        n = snprintf(buf, len, "%s/.local/share/wasmbox", env);
    else
        return wb_error_set(err, "no root directory: set WASMBOX_ROOT");
    if (n < 0 || (size_t)n >= len)
        return wb_error_set(err, "root directory path too long");
    return 0;
}

int wbi_lock(wb_image_store *s, const char *name, int how, wb_error *err)
{
    _cleanup_free_ char *path = wbi_strdup_printf("%s/%s", s->priv, name);
    if (!path)
        return wb_error_oom(err);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return wb_error_errno(err, errno, "open lock %s", path);
    while (flock(fd, how) < 0) {
        if (errno == EINTR)
            continue;
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK && (how & LOCK_NB))
            return -2;
        return wb_error_errno(err, e, "lock %s", path);
    }
    return fd;
}

/* Creates oci-layout and index.json when missing (first use of a root). */
static int store_init(wb_image_store *s, wb_error *err)
{
    _cleanup_free_ char *tmp = wbi_strdup_printf("%s/tmp", s->priv);
    if (!tmp)
        return wb_error_oom(err);
    if (wbi_mkdir_p(s->blobs, 0755, err) < 0 || wbi_mkdir_p(tmp, 0700, err) < 0)
        return -1;
    int lock = wbi_lock(s, "index.lock", LOCK_EX, err);
    if (lock < 0)
        return -1;
    int ret = 0;
    _cleanup_free_ char *layout = wbi_strdup_printf("%s/oci-layout", s->root);
    if (!layout)
        ret = wb_error_oom(err);
    else if (access(layout, F_OK) < 0) {
        if (access(s->index_path, F_OK) < 0)
            ret = wbi_write_atomic(s->index_path, EMPTY_INDEX, strlen(EMPTY_INDEX), err);
        if (ret == 0)
            ret = wbi_write_atomic(layout, OCI_LAYOUT, strlen(OCI_LAYOUT), err);
    }
    close(lock);
    return ret;
}

int wb_image_store_open(const char *root, wb_image_store **out, wb_error *err)
{
    char buf[4096];
    if (!root) {
        if (wb_image_default_root(buf, sizeof buf, err) < 0)
            return -1;
        root = buf;
    }
    wb_image_store *s = calloc(1, sizeof *s);
    if (!s)
        return wb_error_oom(err);
    s->root = strdup(root);
    s->blobs = wbi_strdup_printf("%s/blobs/sha256", root);
    s->priv = wbi_strdup_printf("%s/.wasmbox", root);
    s->index_path = wbi_strdup_printf("%s/index.json", root);
    if (!s->root || !s->blobs || !s->priv || !s->index_path) {
        wb_image_store_close(s);
        return wb_error_oom(err);
    }
    struct stat st;
    bool ready = stat(s->priv, &st) == 0 && stat(s->index_path, &st) == 0;
    if (ready) {
        _cleanup_free_ char *layout = wbi_strdup_printf("%s/oci-layout", root);
        ready = layout && access(layout, F_OK) == 0;
    }
    if (!ready && (wbi_mkdir_p(s->priv, 0755, err) < 0 || store_init(s, err) < 0)) {
        wb_error_prefix(err, "image store %s", root);
        wb_image_store_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

void wb_image_store_close(wb_image_store *s)
{
    if (!s)
        return;
    free(s->root);
    free(s->blobs);
    free(s->priv);
    free(s->index_path);
    free(s);
}

const char *wb_image_store_root(const wb_image_store *s)
{
    return s->root;
}

/* ---- index.json ---- */

int wbi_index_load(wb_image_store *s, json_t **out, struct stat *st, wb_error *err)
{
    _cleanup_close_ int fd = open(s->index_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return wb_error_errno(err, errno, "open %s", s->index_path);
    if (st && fstat(fd, st) < 0)
        return wb_error_errno(err, errno, "stat %s", s->index_path);
    _cleanup_free_ char *buf = NULL;
    size_t len;
    if (wbi_read_fd(fd, s->index_path, WBI_JSON_MAX, &buf, &len, err) < 0)
        return -1;
    json_t *index = wbi_json_parse(buf, len, s->index_path, err);
    if (!index)
        return -1;
    json_t *m = json_object_get(index, "manifests");
    if (!json_is_object(index) || !json_is_array(m)) {
        json_decref(index);
        return wb_error_set(err, "%s: not an OCI image index (no manifests array)", s->index_path);
    }
    *out = index;
    return 0;
}

int wbi_index_update_locked(wb_image_store *s, wbi_index_edit_fn edit, void *arg, wb_error *err)
{
    json_t *index = NULL;
    if (wbi_index_load(s, &index, NULL, err) < 0)
        return -1;
    int ret = edit(s, index, arg, err);
    if (ret != 0) {
        json_decref(index);
        return ret < 0 ? -1 : 0;
    }
    char *text = wbi_json_dump(index);
    if (!text) {
        json_decref(index);
        return wb_error_oom(err);
    }
    ret = wbi_write_atomic(s->index_path, text, strlen(text), err);
    free(text);
    if (ret == 0) {
        struct stat st;
        if (stat(s->index_path, &st) == 0)
            wbi_cache_write(s, index, &st, NULL); /* best effort: readers revalidate */
    }
    json_decref(index);
    return ret;
}

int wbi_index_update(wb_image_store *s, wbi_index_edit_fn edit, void *arg, wb_error *err)
{
    int lock = wbi_lock(s, "index.lock", LOCK_EX, err);
    if (lock < 0)
        return -1;
    int ret = wbi_index_update_locked(s, edit, arg, err);
    close(lock);
    return ret;
}

/* ---- blobs ---- */

char *wbi_blob_path(const wb_image_store *s, const char *digest)
{
    return wbi_strdup_printf("%s/%s", s->blobs, wbi_digest_hex(digest));
}

bool wbi_blob_exists(const wb_image_store *s, const char *digest)
{
    if (!wbi_digest_valid(digest))
        return false;
    _cleanup_free_ char *p = wbi_blob_path(s, digest);
    return p && access(p, F_OK) == 0;
}

int wbi_blob_read(const wb_image_store *s, const char *digest, size_t max, char **out, size_t *len,
                  wb_error *err)
{
    if (!wbi_digest_valid(digest))
        return wb_error_set(err, "invalid digest \"%s\"", digest);
    _cleanup_free_ char *path = wbi_blob_path(s, digest);
    if (!path)
        return wb_error_oom(err);
    char *buf;
    size_t n;
    if (wbi_read_file(path, max, &buf, &n, err) < 0)
        return errno == ENOENT ? wb_error_set(err, "blob %s is missing from the store", digest)
                               : -1;
    char got[WB_DIGEST_LEN];
    wbi_sha256_buf(buf, n, got);
    if (strcmp(got, digest) != 0) {
        free(buf);
        return wb_error_set(err, "blob %s is corrupt: its content hashes to %s", digest, got);
    }
    *out = buf;
    *len = n;
    return 0;
}

int wbi_blob_json(const wb_image_store *s, const char *digest, const char *what, json_t **out,
                  wb_error *err)
{
    _cleanup_free_ char *buf = NULL;
    size_t len;
    if (wbi_blob_read(s, digest, WBI_JSON_MAX, &buf, &len, err) < 0)
        return -1;
    char label[128];
    snprintf(label, sizeof label, "%s %.19s", what, digest);
    json_t *v = wbi_json_parse(buf, len, label, err);
    if (!v)
        return -1;
    if (!json_is_object(v)) {
        json_decref(v);
        return wb_error_set(err, "%s: not a JSON object", label);
    }
    *out = v;
    return 0;
}

bool wbi_layer_media_type_known(const char *mt)
{
    static const char *const known[] = {
        WBI_MT_OCI_LAYER,
        WBI_MT_OCI_LAYER_GZ,
        WBI_MT_OCI_LAYER_ZSTD,
        WBI_MT_DOCKER_LAYER,
        WBI_MT_DOCKER_LAYER_GZ,
        WBI_MT_WASM_LAYER,
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
    };
    for (size_t i = 0; mt && i < sizeof known / sizeof *known; i++)
        if (!strcmp(mt, known[i]))
            return true;
    return false;
}

int wbi_descriptor_check(const json_t *desc, const char *what, wb_error *err)
{
    const char *mt = wbi_json_str(desc, "mediaType");
    const char *digest = wbi_json_str(desc, "digest");
    json_t *size = json_is_object(desc) ? json_object_get(desc, "size") : NULL;
    if (!json_is_object(desc))
        return wb_error_set(err, "%s: descriptor is not a JSON object", what);
    if (!mt)
        return wb_error_set(err, "%s: descriptor has no mediaType", what);
    if (!digest || !wbi_digest_valid(digest))
        return wb_error_set(err, "%s: descriptor has an invalid digest \"%s\"", what,
                            digest ? digest : "");
    if (!json_is_integer(size) || json_integer_value(size) < 0)
        return wb_error_set(err, "%s: descriptor of %.19s has no valid size", what, digest);
    return 0;
}

int wbi_manifest_check(const json_t *m, const char *what, wb_error *err)
{
    json_t *config = json_object_get(m, "config");
    json_t *layers = json_object_get(m, "layers");
    const char *mt = wbi_json_str(m, "mediaType");
    if (mt && strcmp(mt, WBI_MT_OCI_MANIFEST) && strcmp(mt, WBI_MT_DOCKER_MANIFEST))
        return wb_error_set(err, "%s: unknown manifest media type \"%s\"", what, mt);
    if (json_integer_value(json_object_get(m, "schemaVersion")) != 2)
        return wb_error_set(err, "%s: schemaVersion is not 2", what);
    if (wbi_descriptor_check(config, what, err) < 0)
        return -1;
    const char *cmt = wbi_json_str(config, "mediaType");
    if (strcmp(cmt, WBI_MT_OCI_CONFIG) && strcmp(cmt, WBI_MT_DOCKER_CONFIG) &&
        strcmp(cmt, WBI_MT_WASM_CONFIG))
        return wb_error_set(err, "%s: unknown config media type \"%s\"", what, cmt);
    if (!json_is_array(layers))
        return wb_error_set(err, "%s: no layers array", what);
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l)
    {
        if (wbi_descriptor_check(l, what, err) < 0)
            return -1;
        const char *lmt = wbi_json_str(l, "mediaType");
        if (!wbi_layer_media_type_known(lmt))
            return wb_error_set(err, "%s: unknown layer media type \"%s\"", what, lmt);
    }
    return 0;
}

/* From an image index, the manifest for wasi/wasm, else the only one. */
static int pick_from_index(const json_t *index, const char *what, char out[WB_DIGEST_LEN],
                           wb_error *err)
{
    json_t *ms = json_object_get(index, "manifests");
    if (!json_is_array(ms) || json_array_size(ms) == 0)
        return wb_error_set(err, "%s: image index lists no manifests", what);
    size_t i;
    json_t *d;
    const json_t *pick = json_array_size(ms) == 1 ? json_array_get(ms, 0) : NULL;
    json_array_foreach(ms, i, d)
    {
        json_t *p = json_object_get(d, "platform");
        const char *os = wbi_json_str(p, "os"), *arch = wbi_json_str(p, "architecture");
        if (os && arch && !strcmp(os, "wasi") && !strcmp(arch, "wasm"))
            pick = d;
    }
    if (!pick)
        return wb_error_set(err, "%s: image index has no wasi/wasm manifest", what);
    if (wbi_descriptor_check(pick, what, err) < 0)
        return -1;
    strcpy(out, wbi_json_str(pick, "digest"));
    return 0;
}

int wbi_manifest_load(const wb_image_store *s, const char *digest, json_t **manifest,
                      char resolved[WB_DIGEST_LEN], wb_error *err)
{
    char cur[WB_DIGEST_LEN];
    snprintf(cur, sizeof cur, "%s", digest);
    for (int depth = 0; depth < 4; depth++) {
        json_t *m;
        if (wbi_blob_json(s, cur, "manifest", &m, err) < 0)
            return -1;
        const char *mt = wbi_json_str(m, "mediaType");
        if (mt && (!strcmp(mt, WBI_MT_OCI_INDEX) || !strcmp(mt, WBI_MT_DOCKER_LIST))) {
            int r = pick_from_index(m, cur, cur, err);
            json_decref(m);
            if (r < 0)
                return -1;
            continue;
        }
        char what[96];
        snprintf(what, sizeof what, "manifest %.19s", cur);
        if (wbi_manifest_check(m, what, err) < 0) {
            json_decref(m);
            return -1;
        }
        *manifest = m;
        if (resolved)
            strcpy(resolved, cur);
        return 0;
    }
    return wb_error_set(err, "manifest %.19s: image indexes nested too deeply", digest);
}
