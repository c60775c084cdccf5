/*
 * load.c — `wasmbox load`: OCI archives, docker-archives (docker save, podman save
 * --format docker-archive) and wasm OCI artifacts, trusted for nothing.
 *
 * Pass 1 streams the tar once: every regular file is copied into the load's staging
 * area while being hashed (files named blobs/sha256/<hex> must hash to that name);
 * links are remembered and resolved later inside the archive only; names with "..",
 * device nodes and the like fail the load. Pass 2 reads the metadata (index.json +
 * oci-layout, or manifest.json), checks every descriptor (media type, size, digest),
 * every config, and every layer's diff_id against the uncompressed content, and only
 * then commits the needed blobs and the new names. Any failure leaves the store as it
 * was.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer.h"
#include "ref.h"
#include "rootfs.h"
#include "store.h"

typedef struct afile {
    char *path;                 /* cleaned archive path */
    char digest[WB_DIGEST_LEN]; /* regular files */
    uint64_t size;
    char *link; /* links: cleaned target path */
} afile;

typedef struct loaded {
    json_t *desc;           /* index descriptor for the manifest */
    char id[WB_DIGEST_LEN]; /* config digest */
    char **names;           /* normalised */
    size_t n_names;
} loaded;

typedef struct loader {
    wb_image_store *store;
    wbi_txn txn;
    afile *files;
    size_t n_files, cap_files;
    loaded *images;
    size_t n_images;
    char (*commit)[WB_DIGEST_LEN];
    size_t n_commit, cap_commit;
    wb_error *err;
} loader;

/* ---- pass 1: the tar stream ---- */

static int add_file(loader *l, const char *path, const char *digest, uint64_t size,
                    const char *link)
{
    if (l->n_files == l->cap_files) {
        size_t cap = l->cap_files ? l->cap_files * 2 : 32;
        afile *v = realloc(l->files, cap * sizeof *v);
        if (!v)
            return wb_error_oom(l->err);
        l->files = v;
        l->cap_files = cap;
    }
    afile *f = &l->files[l->n_files];
    memset(f, 0, sizeof *f);
    f->path = strdup(path);
    f->link = link ? strdup(link) : NULL;
    if (!f->path || (link && !f->link)) {
        free(f->path);
        free(f->link);
        return wb_error_oom(l->err);
    }
    if (digest)
        strcpy(f->digest, digest);
    f->size = size;
    l->n_files++;
    return 0;
}

static bool blob_name(const char *path, char digest[WB_DIGEST_LEN])
{
    if (strncmp(path, "blobs/sha256/", 13))
        return false;
    if (strlen(path + 13) != 64)
        return false;
    snprintf(digest, WB_DIGEST_LEN, "sha256:%.64s", path + 13);
    return wbi_digest_valid(digest);
}

static int stage_entry(loader *l, struct archive *a, const char *path, wb_error *err)
{
    wbi_blob_writer w;
    if (wbi_blob_writer_open(&l->txn, &w, err) < 0)
        return -1;
    const void *buf;
    size_t size;
    la_int64_t off;
    for (;;) {
        int r = archive_read_data_block(a, &buf, &size, &off);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK) {
            wbi_blob_writer_abort(&w);
            return wb_error_set(err, "archive: %s: %s", path, archive_error_string(a));
        }
        if ((uint64_t)off != w.size) {
            wbi_blob_writer_abort(&w);
            return wb_error_set(err, "archive: %s: sparse entries are not supported", path);
        }
        if (wbi_blob_writer_write(&w, buf, size, err) < 0) {
            wbi_blob_writer_abort(&w);
            return -1;
        }
    }
    char expect[WB_DIGEST_LEN], got[WB_DIGEST_LEN];
    bool named = blob_name(path, expect);
    uint64_t n;
    if (wbi_blob_writer_finish(&w, named ? expect : NULL, got, &n, err) < 0)
        return wb_error_prefix(err, "archive: %s", path);
    return add_file(l, path, got, n, NULL);
}

static int read_entry(loader *l, struct archive *a, struct archive_entry *ae, wb_error *err)
{
    const char *raw = archive_entry_pathname(ae);
    char path[PATH_MAX];
    if (!raw || strlen(raw) >= 4096)
        return wb_error_set(err, "archive: entry with a missing or over-long name");
    if (wbi_path_clean(raw, path, sizeof path, err) < 0)
        return wb_error_prefix(err, "archive: hostile entry");
    if (raw[0] == '/')
        return wb_error_set(err, "archive: hostile entry \"%s\": absolute name", raw);
    mode_t type = archive_entry_filetype(ae);
    const char *hl = archive_entry_hardlink(ae);
    if (!path[0] || (type == AE_IFDIR && !hl))
        return 0;
    if (hl || type == AE_IFLNK) {
        const char *target = hl ? hl : archive_entry_symlink(ae);
        char joined[PATH_MAX * 2], clean[PATH_MAX];
        if (!target || !*target || target[0] == '/' || (!hl && !wbi_symlink_inside(path, target)))
            return wb_error_set(err,
                                "archive: hostile link \"%s\" -> \"%s\" points outside the archive",
                                raw, target ? target : "");
        const char *slash = strrchr(path, '/');
        if (hl)
            snprintf(joined, sizeof joined, "%s", target);
        else
            snprintf(joined, sizeof joined, "%.*s%s%s", slash ? (int)(slash - path) : 0, path,
                     slash ? "/" : "", target);
        if (wbi_path_clean_dots(joined, clean, sizeof clean) < 0)
            return wb_error_set(err,
                                "archive: hostile link \"%s\" -> \"%s\" points outside the archive",
                                raw, target);
        return add_file(l, path, NULL, 0, clean);
    }
    if (type != AE_IFREG)
        return wb_error_set(err, "archive: entry \"%s\" is a device, fifo or socket", raw);
    return stage_entry(l, a, path, err);
}

static int read_archive(loader *l, int fd, wb_error *err)
{
    struct archive *a = archive_read_new();
    if (!a)
        return wb_error_oom(err);
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_bzip2(a);
    archive_read_support_filter_xz(a);
    archive_read_support_filter_zstd(a);
    int ret = 0;
    if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
        ret = wb_error_set(err, "archive: not a tar archive: %s", archive_error_string(a));
    } else {
        struct archive_entry *ae;
        size_t count = 0;
        for (;;) {
            int r = archive_read_next_header(a, &ae);
            if (r == ARCHIVE_EOF)
                break;
            if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
                ret = wb_error_set(err, "archive: broken tar: %s", archive_error_string(a));
                break;
            }
            if (++count > 100000) {
                ret = wb_error_set(err, "archive: more than 100000 entries");
                break;
            }
            if ((ret = read_entry(l, a, ae, err)) < 0)
                break;
        }
        if (ret == 0 && count == 0)
            ret = wb_error_set(err, "archive: empty or not a tar archive");
    }
    archive_read_free(a);
    return ret;
}

/* ---- pass 2: metadata ---- */

/* The archive file at `path`, following links inside the archive. */
static const afile *find_file(loader *l, const char *path)
{
    char cur[PATH_MAX];
    if (wbi_path_clean_dots(path, cur, sizeof cur) < 0)
        return NULL;
    for (int hops = 0; hops < 16; hops++) {
        const afile *hit = NULL;
        for (size_t i = l->n_files; i-- > 0 && !hit;)
            if (!strcmp(l->files[i].path, cur))
                hit = &l->files[i];
        if (!hit || !hit->link)
            return hit;
        snprintf(cur, sizeof cur, "%s", hit->link);
    }
    return NULL;
}

static int read_json_file(loader *l, const char *path, json_t **out, wb_error *err)
{
    const afile *f = find_file(l, path);
    if (!f)
        return wb_error_set(err, "archive: %s is missing", path);
    _cleanup_free_ char *p = wbi_txn_blob_path(&l->txn, f->digest);
    _cleanup_free_ char *text = NULL;
    size_t len;
    if (!p)
        return wb_error_oom(err);
    if (wbi_read_file(p, WBI_JSON_MAX, &text, &len, err) < 0)
        return wb_error_prefix(err, "archive: %s", path);
    char what[300];
    snprintf(what, sizeof what, "archive: %s", path);
    return (*out = wbi_json_parse(text, len, what, err)) ? 0 : -1;
}

static int want_commit(loader *l, const char *digest, wb_error *err)
{
    for (size_t i = 0; i < l->n_commit; i++)
        if (!strcmp(l->commit[i], digest))
            return 0;
    if (l->n_commit == l->cap_commit) {
        size_t cap = l->cap_commit ? l->cap_commit * 2 : 32;
        void *v = realloc(l->commit, cap * WB_DIGEST_LEN);
        if (!v)
            return wb_error_oom(err);
        l->commit = v;
        l->cap_commit = cap;
    }
    strcpy(l->commit[l->n_commit++], digest);
    return 0;
}

/* A descriptor's blob: present in the archive (or already in the store), right size. */
static int check_blob(loader *l, const json_t *desc, const char *what, wb_error *err)
{
    if (wbi_descriptor_check(desc, what, err) < 0)
        return -1;
    const char *digest = wbi_json_str(desc, "digest");
    uint64_t size = (uint64_t)json_integer_value(json_object_get(desc, "size"));
    char path[100];
    snprintf(path, sizeof path, "blobs/sha256/%s", wbi_digest_hex(digest));
    const afile *f = find_file(l, path);
    if (f && strcmp(f->digest, digest))
        return wb_error_set(err, "%s: %s is a link to a different blob", what, path);
    if (f && f->size != size)
        return wb_error_set(err, "%s: blob %.19s has %llu bytes, the descriptor says %llu", what,
                            digest, (unsigned long long)f->size, (unsigned long long)size);
    if (!f && !wbi_txn_has(&l->txn, digest))
        return wb_error_set(err, "%s: blob %s is missing from the archive", what, digest);
    return want_commit(l, digest, err);
}

static int blob_json(loader *l, const char *digest, const char *what, json_t **out, wb_error *err)
{
    _cleanup_free_ char *p = wbi_txn_blob_path(&l->txn, digest);
    _cleanup_free_ char *text = NULL;
    size_t len;
    if (!p)
        return wb_error_oom(err);
    if (wbi_read_file(p, WBI_JSON_MAX, &text, &len, err) < 0)
        return wb_error_prefix(err, "%s", what);
    json_t *v = wbi_json_parse(text, len, what, err);
    if (v && !json_is_object(v)) {
        json_decref(v);
        return wb_error_set(err, "%s: not a JSON object", what);
    }
    *out = v;
    return v ? 0 : -1;
}

/* The SHA-256 of a layer's uncompressed tar (its diff_id). */
static int layer_diff_id(loader *l, const char *digest, const char *mt, char out[WB_DIGEST_LEN],
                         wb_error *err)
{
    if (!strcmp(mt, WBI_MT_OCI_LAYER) || !strcmp(mt, WBI_MT_DOCKER_LAYER)) {
        strcpy(out, digest);
        return 0;
    }
    _cleanup_free_ char *p = wbi_txn_blob_path(&l->txn, digest);
    struct archive *a = archive_read_new();
    if (!p || !a) {
        if (a)
            archive_read_free(a);
        return wb_error_oom(err);
    }
    archive_read_support_format_raw(a);
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_zstd(a);
    wbi_sha256 h;
    int ret = wbi_sha256_init(&h, err);
    struct archive_entry *ae;
    if (ret == 0 && (archive_read_open_filename(a, p, 65536) != ARCHIVE_OK ||
                     archive_read_next_header(a, &ae) != ARCHIVE_OK))
        ret = wb_error_set(err, "layer %.19s: cannot decompress: %s", digest,
                           archive_error_string(a));
    char buf[65536];
    while (ret == 0) {
        la_ssize_t n = archive_read_data(a, buf, sizeof buf);
        if (n < 0)
            ret = wb_error_set(err, "layer %.19s: broken compressed data: %s", digest,
                               archive_error_string(a));
        if (n <= 0)
            break;
        wbi_sha256_update(&h, buf, (size_t)n);
    }
    if (ret == 0)
        wbi_sha256_final(&h, out);
    else if (h.ctx)
        wbi_sha256_free(&h);
    archive_read_free(a);
    return ret;
}

/* Layers and config of one manifest, every digest checked. */
static int check_image(loader *l, const json_t *m, const char *what, json_t **config_out,
                       wb_error *err)
{
    if (wbi_manifest_check(m, what, err) < 0)
        return -1;
    json_t *cdesc = json_object_get(m, "config");
    if (check_blob(l, cdesc, what, err) < 0)
        return -1;
    json_t *config;
    char cwhat[128];
    snprintf(cwhat, sizeof cwhat, "%s: config", what);
    if (blob_json(l, wbi_json_str(cdesc, "digest"), cwhat, &config, err) < 0)
        return -1;
    bool artifact = wbi_manifest_is_artifact(m);
    json_t *layers = json_object_get(m, "layers"),
           *diff = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
    int ret = 0;
    if (!artifact && (!json_is_array(diff) || json_array_size(diff) != json_array_size(layers)))
        ret = wb_error_set(err, "%s: config rootfs.diff_ids does not list one digest per layer",
                           what);
    if (artifact && json_array_size(layers) != 1)
        ret = wb_error_set(err, "%s: a wasm artifact must have exactly one layer", what);
    size_t i;
    json_t *layer;
    json_array_foreach(layers, i, layer)
    {
        if (ret < 0)
            break;
        const char *mt = wbi_json_str(layer, "mediaType");
        if ((ret = check_blob(l, layer, what, err)) < 0)
            break;
        if (!strcmp(mt, WBI_MT_WASM_LAYER) != artifact) {
            ret = wb_error_set(err, "%s: layer media type %s does not fit a %s", what, mt,
                               artifact ? "wasm artifact" : "container image");
            break;
        }
        if (artifact)
            continue;
        char id[WB_DIGEST_LEN];
        const char *want = json_string_value(json_array_get(diff, i));
        if ((ret = layer_diff_id(l, wbi_json_str(layer, "digest"), mt, id, err)) < 0)
            break;
        if (!want || strcmp(want, id))
            ret = wb_error_set(
                err, "%s: layer %zu: diff_id mismatch: config says %s, content hashes to %s", what,
                i + 1, want ? want : "(none)", id);
    }
    if (ret < 0) {
        json_decref(config);
        return -1;
    }
    *config_out = config;
    return 0;
}

static int add_image(loader *l, const char *manifest, uint64_t msize, const char *mt,
                     const json_t *m, const json_t *config, wb_error *err)
{
    loaded *v = realloc(l->images, (l->n_images + 1) * sizeof *v);
    if (!v)
        return wb_error_oom(err);
    l->images = v;
    loaded *im = &v[l->n_images];
    memset(im, 0, sizeof *im);
    bool artifact = wbi_manifest_is_artifact(m);
    snprintf(im->id, sizeof im->id, "%s", wbi_json_str(json_object_get(m, "config"), "digest"));
    const char *os = wbi_json_str(config, "os"), *arch = wbi_json_str(config, "architecture");
    im->desc = wbi_index_descriptor(manifest, msize, artifact || !os ? "wasi" : os,
                                    artifact || !arch ? "wasm" : arch);
    if (!im->desc)
        return wb_error_oom(err);
    json_object_set_new(im->desc, "mediaType", json_string(mt));
    l->n_images++;
    return want_commit(l, manifest, err);
}

static int add_name(loader *l, const char *name)
{
    loaded *im = &l->images[l->n_images - 1];
    char norm[300];
    if (!name || !wbi_ref_normalize(name, norm, sizeof norm))
        return 0; /* a bare tag or an invalid name: the image stays unnamed */
    for (size_t i = 0; i < im->n_names; i++)
        if (!strcmp(im->names[i], norm))
            return 0;
    char **v = realloc(im->names, (im->n_names + 1) * sizeof *v);
    if (!v)
        return wb_error_oom(l->err);
    im->names = v;
    if (!(v[im->n_names] = strdup(norm)))
        return wb_error_oom(l->err);
    im->n_names++;
    return 0;
}

/* An index descriptor of the archive: a manifest, or an index to pick from. */
static int oci_descriptor(loader *l, const json_t *d, const char *names[2], int depth,
                          wb_error *err)
{
    char what[64];
    snprintf(what, sizeof what, "archive: index.json");
    if (check_blob(l, d, what, err) < 0)
        return -1;
    const char *digest = wbi_json_str(d, "digest"), *mt = wbi_json_str(d, "mediaType");
    snprintf(what, sizeof what, "archive: manifest %.19s", digest);
    json_t *m;
    if (blob_json(l, digest, what, &m, err) < 0)
        return -1;
    const char *inner = wbi_json_str(m, "mediaType");
    if (!inner)
        inner = mt;
    int ret = 0;
    if (!strcmp(mt, WBI_MT_OCI_INDEX) || !strcmp(mt, WBI_MT_DOCKER_LIST)) {
        /* a multi-platform index: keep the wasi/wasm image (or the only one) */
        json_t *ms = json_object_get(m, "manifests"),
               *pick = json_array_size(ms) == 1 ? json_array_get(ms, 0) : NULL;
        size_t i;
        json_t *c;
        json_array_foreach(ms, i, c)
        {
            json_t *p = json_object_get(c, "platform");
            if (!strcmp(wbi_json_str(p, "os") ? wbi_json_str(p, "os") : "", "wasi"))
                pick = c;
        }
        if (depth > 2)
            ret = wb_error_set(err, "%s: image indexes nested too deeply", what);
        else if (!pick)
            ret = wb_error_set(err, "%s: image index without a wasi/wasm manifest", what);
        else
            ret = oci_descriptor(l, pick, names, depth + 1, err);
        json_decref(m);
        return ret;
    }
    if (strcmp(mt, WBI_MT_OCI_MANIFEST) && strcmp(mt, WBI_MT_DOCKER_MANIFEST)) {
        json_decref(m);
        return wb_error_set(err, "archive: index.json: unknown media type \"%s\"", mt);
    }
    json_t *config = NULL;
    ret = check_image(l, m, what, &config, err);
    if (ret == 0)
        ret = add_image(l, digest, (uint64_t)json_integer_value(json_object_get(d, "size")), mt, m,
                        config, err);
    for (int i = 0; ret == 0 && i < 2; i++)
        ret = add_name(l, names[i]);
    json_decref(config);
    json_decref(m);
    return ret;
}

static int load_oci(loader *l, wb_error *err)
{
    json_t *layout = NULL, *index = NULL;
    int ret = read_json_file(l, "oci-layout", &layout, err);
    if (ret == 0 && !wbi_json_str(layout, "imageLayoutVersion"))
        ret = wb_error_set(err, "archive: oci-layout has no imageLayoutVersion");
    if (ret == 0)
        ret = read_json_file(l, "index.json", &index, err);
    json_t *ms = json_object_get(index, "manifests");
    if (ret == 0 && !json_is_array(ms))
        ret = wb_error_set(err, "archive: index.json has no manifests array");
    if (ret == 0 && json_array_size(ms) == 0)
        ret = wb_error_set(err, "archive: index.json lists no image");
    size_t i;
    json_t *d;
    json_array_foreach(ms, i, d)
    {
        if (ret < 0)
            break;
        json_t *ann = json_object_get(d, "annotations");
        const char *names[2] = {wbi_json_str(ann, WBI_ANN_CONTAINERD_NAME),
                                wbi_json_str(ann, WBI_ANN_REF_NAME)};
        if (names[0] && names[1])
            names[1] = NULL; /* ref.name is then usually just the tag */
        ret = oci_descriptor(l, d, names, 0, err);
    }
    json_decref(layout);
    json_decref(index);
    return ret;
}

static const char *layer_media_type(loader *l, const char *digest)
{
    _cleanup_free_ char *p = wbi_txn_blob_path(&l->txn, digest);
    unsigned char head[4] = {0};
    _cleanup_close_ int fd = p ? open(p, O_RDONLY | O_CLOEXEC) : -1;
    if (fd >= 0 && read(fd, head, sizeof head) == 4) {
        if (head[0] == 0x1f && head[1] == 0x8b)
            return WBI_MT_OCI_LAYER_GZ;
        if (head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd)
            return WBI_MT_OCI_LAYER_ZSTD;
    }
    return WBI_MT_OCI_LAYER;
}

/* One manifest.json entry: build the OCI manifest docker-archive lacks. */
static int docker_image(loader *l, const json_t *e, size_t idx, wb_error *err)
{
    char what[64];
    snprintf(what, sizeof what, "archive: manifest.json entry %zu", idx + 1);
    const char *cpath = wbi_json_str(e, "Config");
    json_t *layers = json_object_get(e, "Layers"), *tags = json_object_get(e, "RepoTags");
    if (!cpath || !json_is_array(layers))
        return wb_error_set(err, "%s: needs Config and Layers", what);
    const afile *cf = find_file(l, cpath);
    if (!cf)
        return wb_error_set(err, "%s: config %s is missing from the archive", what, cpath);
    json_t *m = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[]}", "schemaVersion", 2, "mediaType",
                          WBI_MT_OCI_MANIFEST, "config", "mediaType", WBI_MT_OCI_CONFIG, "digest",
                          cf->digest, "size", (json_int_t)cf->size, "layers");
    if (!m)
        return wb_error_oom(err);
    int ret = 0;
    size_t i;
    json_t *lp;
    json_array_foreach(layers, i, lp)
    {
        const afile *lf = json_is_string(lp) ? find_file(l, json_string_value(lp)) : NULL;
        if (!lf) {
            ret = wb_error_set(err, "%s: layer %s is missing from the archive", what,
                               json_is_string(lp) ? json_string_value(lp) : "(not a string)");
            break;
        }
        json_array_append_new(json_object_get(m, "layers"),
                              json_pack("{s:s, s:s, s:I}", "mediaType",
                                        layer_media_type(l, lf->digest), "digest", lf->digest,
                                        "size", (json_int_t)lf->size));
    }
    json_t *config = NULL;
    char mdigest[WB_DIGEST_LEN];
    char *text = ret == 0 ? wbi_json_dump(m) : NULL;
    if (ret == 0 && !text)
        ret = wb_error_oom(err);
    if (ret == 0)
        ret = wbi_txn_put(&l->txn, text, strlen(text), mdigest, err);
    if (ret == 0)
        ret = check_image(l, m, what, &config, err);
    if (ret == 0)
        ret = add_image(l, mdigest, strlen(text), WBI_MT_OCI_MANIFEST, m, config, err);
    json_t *t;
    json_array_foreach(tags, i, t) if (ret == 0) ret = add_name(l, json_string_value(t));
    free(text);
    json_decref(config);
    json_decref(m);
    return ret;
}

static int load_docker(loader *l, wb_error *err)
{
    json_t *list;
    if (read_json_file(l, "manifest.json", &list, err) < 0)
        return -1;
    int ret = 0;
    if (!json_is_array(list) || json_array_size(list) == 0)
        ret = wb_error_set(err, "archive: manifest.json is not a non-empty array");
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) if (ret == 0) ret = docker_image(l, e, i, err);
    json_decref(list);
    return ret;
}

/* ---- commit ---- */

static int edit_loaded(wb_image_store *s, json_t *index, void *arg, wb_error *err)
{
    (void)s;
    loader *l = arg;
    for (size_t i = 0; i < l->n_images; i++) {
        loaded *im = &l->images[i];
        for (size_t k = 0; k < im->n_names; k++)
            if (wbi_index_set_name(index, im->desc, im->names[k], err) < 0)
                return -1;
        if (im->n_names)
            continue;
        const char *digest = wbi_json_str(im->desc, "digest");
        bool listed = false;
        size_t j;
        json_t *d;
        json_array_foreach(json_object_get(index, "manifests"), j, d) listed |=
            wbi_json_str(d, "digest") && !strcmp(wbi_json_str(d, "digest"), digest);
        if (!listed)
            json_array_append(json_object_get(index, "manifests"), im->desc);
    }
    return 0;
}

static void loader_free(loader *l)
{
    for (size_t i = 0; i < l->n_files; i++) {
        free(l->files[i].path);
        free(l->files[i].link);
    }
    free(l->files);
    for (size_t i = 0; i < l->n_images; i++) {
        json_decref(l->images[i].desc);
        for (size_t k = 0; k < l->images[i].n_names; k++)
            free(l->images[i].names[k]);
        free(l->images[i].names);
    }
    free(l->images);
    free(l->commit);
    if (l->txn.store)
        wbi_txn_end(&l->txn);
}

int wb_image_load(wb_image_store *s, int fd, void (*cb)(const char *name, void *arg), void *arg,
                  wb_error *err)
{
    loader l = {.store = s, .err = err};
    int ret = wbi_txn_begin(s, &l.txn, err);
    if (ret == 0)
        ret = read_archive(&l, fd, err);
    if (ret == 0) {
        if (find_file(&l, "index.json"))
            ret = load_oci(&l, err);
        else if (find_file(&l, "manifest.json"))
            ret = load_docker(&l, err);
        else
            ret = wb_error_set(err, "archive: neither an OCI archive (index.json) nor a "
                                    "docker-archive (manifest.json)");
    }
    if (ret == 0)
        ret = wbi_txn_commit(&l.txn, l.commit, l.n_commit, edit_loaded, &l, err);
    for (size_t i = 0; ret == 0 && cb && i < l.n_images; i++) {
        loaded *im = &l.images[i];
        for (size_t k = 0; k < im->n_names; k++)
            cb(im->names[k], arg);
        if (!im->n_names)
            cb(im->id, arg);
    }
    loader_free(&l);
    return ret;
}
