/*
 * build_image.c — the parts of a build that deal with whole images: a store image as
 * a base, stage trees on disk for COPY --from, the check that the entrypoint is a
 * WebAssembly module, and writing config, manifest and index at the end.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "ref.h"
#include "rootfs.h"

int wbi_stage_from_image(wbi_builder *b, wbi_stage *st, const char *ref, wb_error *err)
{
    wb_image_ref img;
    if (wb_image_lookup(b->store, ref, &img, NULL) < 0)
        return wb_error_set(err,
                            "FROM %s: image not found in the store (wasmbox builds from local "
                            "images only: wasmbox load or wasmbox pull it first)",
                            ref);
    json_t *manifest = NULL, *config = NULL;
    if (wbi_manifest_load(b->store, img.manifest, &manifest, NULL, err) < 0)
        return -1;
    int ret = 0;
    if (wbi_manifest_is_artifact(manifest))
        ret = wb_error_set(
            err, "FROM %s: a wasm OCI artifact cannot be a base image; use COPY --from=%s", ref,
            ref);
    if (ret == 0)
        ret = wbi_blob_json(b->store, wbi_json_str(json_object_get(manifest, "config"), "digest"),
                            "config", &config, err);
    if (ret == 0) {
        json_t *rootfs = json_object_get(config, "rootfs");
        json_t *diff = json_object_get(rootfs, "diff_ids");
        if (!json_is_array(diff) ||
            json_array_size(diff) != json_array_size(json_object_get(manifest, "layers")))
            ret = wb_error_set(
                err, "FROM %s: config rootfs.diff_ids does not match the manifest's layers", ref);
    }
    if (ret == 0) {
        st->config = config;
        config = NULL;
        json_object_set_new(st->config, "os", json_string("wasi"));
        json_object_set_new(st->config, "architecture", json_string("wasm"));
        json_object_del(st->config, "created");
        json_object_del(st->config, "os.version");
        json_object_del(st->config, "variant");
        st->layers = json_deep_copy(json_object_get(manifest, "layers"));
        snprintf(st->base_image, sizeof st->base_image, "%s", img.manifest);
        if (!st->layers)
            ret = wb_error_oom(err);
    }
    json_decref(config);
    json_decref(manifest);
    return ret;
}

static int make_dir(wbi_builder *b, const char *what, char **dir, int *fd, wb_error *err)
{
    *dir = wbi_txn_tmp_path(&b->txn, what);
    if (!*dir)
        return wb_error_oom(err);
    if (mkdir(*dir, 0755) < 0)
        return wb_error_errno(err, errno, "mkdir %s", *dir);
    *fd = open(*dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*fd < 0)
        return wb_error_errno(err, errno, "open %s", *dir);
    return 0;
}

int wbi_stage_rootfs(wbi_builder *b, wbi_stage *st, const char **dir, wb_error *err)
{
    if (!st->rootfs) {
        char *path = NULL;
        int fd = -1;
        json_t *m = json_pack("{s:O}", "layers", st->layers);
        int ret = m ? make_dir(b, "stage", &path, &fd, err) : wb_error_oom(err);
        if (ret == 0)
            ret = wbi_extract_layers(b->store, &b->txn, m, fd, err);
        json_decref(m);
        if (fd >= 0)
            close(fd);
        if (ret < 0) {
            free(path);
            return -1;
        }
        st->rootfs = path;
    }
    *dir = st->rootfs;
    return 0;
}

int wbi_image_rootfs(wbi_builder *b, const char *ref, const char **dir, wb_error *err)
{
    const char *known = wbi_vars_get(&b->image_roots, ref, NULL);
    if (known) {
        *dir = known;
        return 0;
    }
    wb_image_ref img;
    if (wb_image_lookup(b->store, ref, &img, err) < 0)
        return -1;
    _cleanup_free_ char *path = NULL;
    int fd = -1;
    if (make_dir(b, "image", &path, &fd, err) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    if (wb_image_extract_rootfs(b->store, &img, path, err) < 0 ||
        wbi_vars_set(&b->image_roots, ref, path, err) < 0)
        return -1;
    *dir = wbi_vars_get(&b->image_roots, ref, NULL);
    return 0;
}

/* ---- the entrypoint check ---- */

typedef struct found {
    int kind; /* 0 missing, 1 file, 2 symlink, 3 directory */
    unsigned char head[8];
    size_t head_len;
    char link[PATH_MAX];
} found;

static int read_head(const char *host, found *f, wb_error *err)
{
    _cleanup_close_ int fd = open(host, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return wb_error_errno(err, errno, "open %s", host);
    ssize_t n = read(fd, f->head, sizeof f->head);
    f->head_len = n > 0 ? (size_t)n : 0;
    f->kind = 1;
    return 0;
}

/* Looks `path` up in one layer blob; stops at the first matching entry or whiteout. */
static int find_in_layer(const char *blob, const char *path, found *f, wb_error *err)
{
    struct archive *a = archive_read_new();
    if (!a)
        return wb_error_oom(err);
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_zstd(a);
    int ret = 0;
    if (archive_read_open_filename(a, blob, 65536) != ARCHIVE_OK) {
        ret = wb_error_set(err, "layer %s: %s", blob, archive_error_string(a));
        archive_read_free(a);
        return ret;
    }
    char wh[PATH_MAX + 16];
    const char *slash = strrchr(path, '/');
    snprintf(wh, sizeof wh, "%.*s%s.wh.%s", slash ? (int)(slash - path) : 0, path, slash ? "/" : "",
             slash ? slash + 1 : path);
    struct archive_entry *ae;
    while (archive_read_next_header(a, &ae) == ARCHIVE_OK) {
        char name[PATH_MAX];
        if (wbi_path_clean(archive_entry_pathname(ae), name, sizeof name, NULL) < 0)
            continue;
        if (!strcmp(name, wh)) {
            f->kind = -1; /* deleted here: stop looking below */
            break;
        }
        if (strcmp(name, path))
            continue;
        mode_t type = archive_entry_filetype(ae);
        if (type == AE_IFLNK) {
            f->kind = 2;
            snprintf(f->link, sizeof f->link, "%s", archive_entry_symlink(ae));
        } else if (type == AE_IFDIR) {
            f->kind = 3;
        } else {
            la_ssize_t n = archive_read_data(a, f->head, sizeof f->head);
            f->head_len = n > 0 ? (size_t)n : 0;
            f->kind = 1;
        }
    }
    archive_read_free(a);
    return ret;
}

/* Finds `path` (cleaned) in the stage: files it added first, then its layers, top down. */
static int stage_find(wbi_builder *b, wbi_stage *st, const char *path, found *f, wb_error *err)
{
    memset(f, 0, sizeof *f);
    for (size_t i = st->files.n; i-- > 0;) {
        const wbi_fsent *e = &st->files.v[i];
        if (strcmp(e->path, path))
            continue;
        if (e->type == WBI_FILE)
            return read_head(e->source, f, err);
        if (e->type == WBI_SYMLINK) {
            f->kind = 2;
            snprintf(f->link, sizeof f->link, "%s", e->link);
        } else {
            f->kind = 3;
        }
        return 0;
    }
    for (size_t i = json_array_size(st->layers); i-- > 0;) {
        const char *digest = wbi_json_str(json_array_get(st->layers, i), "digest");
        const char *mt = wbi_json_str(json_array_get(st->layers, i), "mediaType");
        if (!strcmp(mt, WBI_MT_WASM_LAYER))
            continue;
        _cleanup_free_ char *blob = wbi_txn_blob_path(&b->txn, digest);
        if (!blob)
            return wb_error_oom(err);
        if (find_in_layer(blob, path, f, err) < 0)
            return -1;
        if (f->kind) {
            if (f->kind < 0)
                f->kind = 0;
            return 0;
        }
    }
    return 0;
}

int wbi_check_entrypoint(wbi_builder *b, wbi_stage *st, wb_error *err)
{
    json_t *c = json_object_get(st->config, "config");
    json_t *ep = json_object_get(c, "Entrypoint");
    json_t *argv = json_array_size(ep) ? ep : json_object_get(c, "Cmd");
    const char *prog = json_string_value(json_array_get(argv, 0));
    const char *what = argv == ep ? "ENTRYPOINT" : "CMD";
    if (!prog) {
        if (b->opts->warnings)
            fprintf(b->opts->warnings,
                    "warning: the image has no ENTRYPOINT or CMD; give one when running it\n");
        return 0;
    }
    const char *wd = wbi_json_str(c, "WorkingDir");
    char joined[PATH_MAX * 2], path[PATH_MAX];
    snprintf(joined, sizeof joined, "%s/%s", prog[0] == '/' || !wd ? "" : wd, prog);
    for (int hops = 0;; hops++) {
        if (wbi_path_clean(joined, path, sizeof path, err) < 0 || !path[0])
            return wb_error_set(err, "%s %s: not a file path inside the image", what, prog);
        found f;
        if (stage_find(b, st, path, &f, err) < 0)
            return -1;
        if (f.kind == 0)
            return wb_error_set(err,
                                "%s %s: no such file in the image (COPY the .wasm module to /%s)",
                                what, prog, path);
        if (f.kind == 3)
            return wb_error_set(err, "%s %s: is a directory, not a WebAssembly module", what, prog);
        if (f.kind == 2) {
            if (hops > 16)
                return wb_error_set(err, "%s %s: too many symlinks", what, prog);
            const char *slash = strrchr(path, '/');
            if (f.link[0] == '/')
                snprintf(joined, sizeof joined, "%s", f.link);
            else
                snprintf(joined, sizeof joined, "%.*s/%s", slash ? (int)(slash - path) : 0, path,
                         f.link);
            continue;
        }
        if (f.head_len < 8 || memcmp(f.head, "\0asm", 4))
            return wb_error_set(
                err,
                "%s %s is not a WebAssembly module (it does not start with \\0asm); "
                "a wasm image runs a .wasm file",
                what, prog);
        if (memcmp(f.head + 4, "\1\0\0\0", 4))
            return wb_error_set(err,
                                "%s %s is a WebAssembly component or an unknown binary version "
                                "(version bytes %02x %02x %02x %02x); wasmbox runs core modules",
                                what, prog, f.head[4], f.head[5], f.head[6], f.head[7]);
        return 0;
    }
}

/* ---- finishing ---- */

typedef struct name_edit {
    json_t *desc;
    const char **names; /* normalised */
    size_t n;
} name_edit;

static int edit_names(wb_image_store *s, json_t *index, void *arg, wb_error *err)
{
    (void)s;
    name_edit *e = arg;
    for (size_t i = 0; i < e->n; i++)
        if (wbi_index_set_name(index, e->desc, e->names[i], err) < 0)
            return -1;
    if (e->n == 0) {
        /* an untagged build: add it unless that manifest is already listed */
        const char *digest = wbi_json_str(e->desc, "digest");
        size_t i;
        json_t *d;
        json_array_foreach(
            json_object_get(index, "manifests"), i,
            d) if (!strcmp(wbi_json_str(d, "digest") ? wbi_json_str(d, "digest") : "",
                           digest)) return 0;
        json_array_append(json_object_get(index, "manifests"), e->desc);
    }
    return 0;
}

static int put_json(wbi_builder *b, json_t *v, char digest[WB_DIGEST_LEN], size_t *size,
                    wb_error *err)
{
    char *text = wbi_json_dump(v);
    if (!text)
        return wb_error_oom(err);
    *size = strlen(text);
    int ret = wbi_txn_put(&b->txn, text, *size, digest, err);
    free(text);
    return ret;
}

static int apply_labels(wbi_builder *b, wbi_stage *st, wb_error *err)
{
    for (const char **l = b->opts->labels; l && *l; l++) {
        const char *eq = strchr(*l, '=');
        if (!eq || eq == *l)
            return wb_error_set(err, "--label \"%s\": expected KEY=VALUE", *l);
        char key[512];
        snprintf(key, sizeof key, "%.*s", (int)(eq - *l), *l);
        json_t *c = json_object_get(st->config, "config");
        json_t *labels = json_object_get(c, "Labels");
        if (!json_is_object(labels)) {
            labels = json_object();
            json_object_set_new(c, "Labels", labels);
        }
        json_object_set_new(labels, key, json_string(eq + 1));
    }
    return 0;
}

int wbi_build_finish(wbi_builder *b, wbi_stage *st, wb_image_ref *out, wb_error *err)
{
    const char **names = NULL;
    char(*norm)[300] = NULL;
    size_t n = 0;
    for (const char **t = b->opts->tags; t && *t; t++)
        n++;
    names = calloc(n + 1, sizeof *names);
    norm = calloc(n + 1, sizeof *norm);
    int ret = names && norm ? 0 : wb_error_oom(err);
    for (size_t i = 0; ret == 0 && i < n; i++) {
        if (!wbi_ref_normalize(b->opts->tags[i], norm[i], sizeof norm[i])) {
            wbi_ref r;
            ret = wbi_ref_parse(b->opts->tags[i], &r, err) < 0
                      ? wb_error_prefix(err, "-t %s", b->opts->tags[i])
                      : wb_error_set(err, "-t %s: a name, not a digest", b->opts->tags[i]);
        }
        names[i] = norm[i];
    }
    if (ret == 0)
        ret = apply_labels(b, st, err);
    if (ret == 0 && b->epoch >= 0) {
        char t[32];
        wbi_time_format(b->epoch, t, sizeof t);
        json_object_set_new(st->config, "created", json_string(t));
    }
    char cdigest[WB_DIGEST_LEN], mdigest[WB_DIGEST_LEN];
    size_t csize = 0, msize = 0;
    json_t *manifest = NULL, *desc = NULL;
    if (ret == 0)
        ret = put_json(b, st->config, cdigest, &csize, err);
    if (ret == 0) {
        manifest = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2, "mediaType",
                             WBI_MT_OCI_MANIFEST, "config", "mediaType", WBI_MT_OCI_CONFIG,
                             "digest", cdigest, "size", (json_int_t)csize, "layers", st->layers);
        ret = manifest ? put_json(b, manifest, mdigest, &msize, err) : wb_error_oom(err);
    }
    size_t nl = json_array_size(st->layers);
    char(*digests)[WB_DIGEST_LEN] = ret == 0 ? calloc(nl + 2, WB_DIGEST_LEN) : NULL;
    if (ret == 0 && !digests)
        ret = wb_error_oom(err);
    if (ret == 0) {
        strcpy(digests[0], cdigest);
        strcpy(digests[1], mdigest);
        for (size_t i = 0; i < nl; i++)
            snprintf(digests[2 + i], WB_DIGEST_LEN, "%s",
                     wbi_json_str(json_array_get(st->layers, i), "digest"));
        desc = wbi_index_descriptor(mdigest, msize, "wasi", "wasm");
        if (!desc)
            ret = wb_error_oom(err);
    }
    if (ret == 0) {
        name_edit e = {.desc = desc, .names = names, .n = n};
        ret = wbi_txn_commit(&b->txn, digests, nl + 2, edit_names, &e, err);
    }
    if (ret == 0) {
        memset(out, 0, sizeof *out);
        strcpy(out->manifest, mdigest);
        strcpy(out->config, cdigest);
        snprintf(out->name, sizeof out->name, "%s", n ? names[0] : "");
        out->size = csize;
        for (size_t i = 0; i < nl; i++)
            out->size += (uint64_t)json_integer_value(
                json_object_get(json_array_get(st->layers, i), "size"));
    }
    free(digests);
    json_decref(desc);
    json_decref(manifest);
    free(names);
    free(norm);
    return ret;
}
