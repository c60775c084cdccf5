/*
 * save.c — `wasmbox save`: one tar that every client loads.
 *
 * The archive is an OCI image layout (oci-layout, index.json, blobs/sha256/...) that
 * also carries docker's manifest.json pointing at the same blobs, the combination
 * real-clients.md found accepted by podman load, docker load, ctr images import and
 * skopeo (oci-archive: and docker-archive:). Entries are sorted and have fixed
 * times and owners, so saving the same images twice gives the same bytes. Every blob
 * is re-hashed while it is copied: a corrupt store makes save fail, not a bad archive.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ref.h"
#include "rootfs.h"
#include "store.h"

typedef struct saved_image {
    wb_image_ref ref;
    json_t *manifest; /* resolved manifest */
    size_t manifest_size;
    char name[300]; /* normalised, "" when saved by ID */
} saved_image;

static int add_blob_name(json_t *blobs, const char *digest)
{
    if (!digest || !wbi_digest_valid(digest))
        return -1;
    return json_object_set_new(blobs, digest, json_true());
}

static int write_header(struct archive *a, const char *path, bool dir, int64_t size, wb_error *err)
{
    struct archive_entry *e = archive_entry_new();
    if (!e)
        return wb_error_oom(err);
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e, dir ? 0755 : 0644);
    archive_entry_set_size(e, dir ? 0 : size);
    archive_entry_set_mtime(e, 0, 0);
    int r = archive_write_header(a, e);
    archive_entry_free(e);
    if (r != ARCHIVE_OK)
        return wb_error_set(err, "save: %s", archive_error_string(a));
    return 0;
}

static int write_text(struct archive *a, const char *path, const char *text, wb_error *err)
{
    size_t n = strlen(text);
    if (write_header(a, path, false, (int64_t)n, err) < 0)
        return -1;
    if (archive_write_data(a, text, n) != (la_ssize_t)n)
        return wb_error_set(err, "save: %s", archive_error_string(a));
    return 0;
}

static int write_blob(wb_image_store *s, struct archive *a, const char *digest, wb_error *err)
{
    _cleanup_free_ char *path = wbi_blob_path(s, digest);
    if (!path)
        return wb_error_oom(err);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return wb_error_errno(err, errno, "blob %s", digest);
    char name[128];
    snprintf(name, sizeof name, "blobs/sha256/%s", wbi_digest_hex(digest));
    if (write_header(a, name, false, st.st_size, err) < 0)
        return -1;
    wbi_sha256 h;
    if (wbi_sha256_init(&h, err) < 0)
        return -1;
    char buf[65536];
    off_t left = st.st_size;
    while (left > 0) {
        ssize_t n = read(fd, buf, sizeof buf < (size_t)left ? sizeof buf : (size_t)left);
        if (n <= 0) {
            wbi_sha256_free(&h);
            return n < 0 ? wb_error_errno(err, errno, "read blob %s", digest)
                         : wb_error_set(err, "blob %s shrank while it was saved", digest);
        }
        wbi_sha256_update(&h, buf, (size_t)n);
        if (archive_write_data(a, buf, (size_t)n) != n) {
            wbi_sha256_free(&h);
            return wb_error_set(err, "save: %s", archive_error_string(a));
        }
        left -= n;
    }
    char got[WB_DIGEST_LEN];
    wbi_sha256_final(&h, got);
    if (strcmp(got, digest))
        return wb_error_set(err, "blob %s is corrupt: its content hashes to %s", digest, got);
    return 0;
}

static json_t *oci_index(saved_image *imgs, size_t n)
{
    json_t *ms = json_array();
    for (size_t i = 0; i < n; i++) {
        bool artifact = wbi_manifest_is_artifact(imgs[i].manifest);
        const char *mt = wbi_json_str(imgs[i].manifest, "mediaType");
        json_t *d =
            json_pack("{s:s, s:s, s:I}", "mediaType", mt ? mt : WBI_MT_OCI_MANIFEST, "digest",
                      imgs[i].ref.manifest, "size", (json_int_t)imgs[i].manifest_size);
        /* no "platform" here: ctr images import would filter a wasi/wasm entry out
         * unless given --platform (podman's archives leave it out too) */
        (void)artifact;
        if (imgs[i].name[0]) {
            char full[320];
            wbi_ref_qualified(imgs[i].name, full, sizeof full);
            json_object_set_new(d, "annotations",
                                json_pack("{s:s, s:s}", WBI_ANN_CONTAINERD_NAME, full,
                                          WBI_ANN_REF_NAME, imgs[i].name));
        }
        json_array_append_new(ms, d);
    }
    return json_pack("{s:i, s:s, s:o}", "schemaVersion", 2, "mediaType", WBI_MT_OCI_INDEX,
                     "manifests", ms);
}

/* docker's manifest.json: one entry per image (artifacts have no docker form). */
static json_t *docker_manifest(saved_image *imgs, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        if (wbi_manifest_is_artifact(imgs[i].manifest))
            continue;
        json_t *entry = NULL;
        size_t j;
        json_t *e;
        const char *cfg = wbi_json_str(json_object_get(imgs[i].manifest, "config"), "digest");
        char cpath[100];
        snprintf(cpath, sizeof cpath, "blobs/sha256/%s", wbi_digest_hex(cfg));
        json_array_foreach(list, j, e) if (!strcmp(wbi_json_str(e, "Config"), cpath)) entry = e;
        if (!entry) {
            json_t *layers = json_array();
            size_t k;
            json_t *l;
            json_array_foreach(json_object_get(imgs[i].manifest, "layers"), k, l)
            {
                char lpath[100];
                snprintf(lpath, sizeof lpath, "blobs/sha256/%s",
                         wbi_digest_hex(wbi_json_str(l, "digest")));
                json_array_append_new(layers, json_string(lpath));
            }
            entry = json_pack("{s:s, s:[], s:o}", "Config", cpath, "RepoTags", "Layers", layers);
            json_array_append_new(list, entry);
        }
        if (imgs[i].name[0])
            json_array_append_new(json_object_get(entry, "RepoTags"), json_string(imgs[i].name));
    }
    return list;
}

static int collect_images(wb_image_store *s, const char **refs, size_t count, saved_image *imgs,
                          json_t *blobs, wb_error *err)
{
    for (size_t i = 0; i < count; i++) {
        saved_image *im = &imgs[i];
        if (wb_image_lookup(s, refs[i], &im->ref, err) < 0)
            return -1;
        snprintf(im->name, sizeof im->name, "%s", im->ref.name);
        if (wbi_manifest_load(s, im->ref.manifest, &im->manifest, im->ref.manifest, err) < 0)
            return -1;
        _cleanup_free_ char *p = wbi_blob_path(s, im->ref.manifest);
        struct stat st;
        if (!p || stat(p, &st) < 0)
            return wb_error_errno(err, errno, "blob %s", im->ref.manifest);
        im->manifest_size = (size_t)st.st_size;
        add_blob_name(blobs, im->ref.manifest);
        add_blob_name(blobs, wbi_json_str(json_object_get(im->manifest, "config"), "digest"));
        size_t k;
        json_t *l;
        json_array_foreach(json_object_get(im->manifest, "layers"), k, l)
            add_blob_name(blobs, wbi_json_str(l, "digest"));
    }
    return 0;
}

static int write_archive(wb_image_store *s, struct archive *a, saved_image *imgs, size_t count,
                         json_t *blobs, wb_error *err)
{
    if (write_header(a, "blobs/", true, 0, err) < 0 ||
        write_header(a, "blobs/sha256/", true, 0, err) < 0)
        return -1;
    /* json objects keep insertion order: sort the digests for a reproducible archive */
    size_t n = json_object_size(blobs), i = 0;
    const char **names = calloc(n + 1, sizeof *names);
    if (!names)
        return wb_error_oom(err);
    const char *k;
    json_t *v;
    json_object_foreach(blobs, k, v) names[i++] = k;
    qsort(names, n, sizeof *names, wbi_strcmp_ptr);
    int ret = 0;
    for (i = 0; i < n && ret == 0; i++)
        ret = write_blob(s, a, names[i], err);
    free(names);
    if (ret < 0)
        return -1;
    json_t *index = oci_index(imgs, count), *dm = docker_manifest(imgs, count);
    char *itext = index ? wbi_json_dump(index) : NULL, *dtext = dm ? wbi_json_dump(dm) : NULL;
    if (!itext || !dtext)
        ret = wb_error_oom(err);
    if (ret == 0)
        ret = write_text(a, "index.json", itext, err);
    if (ret == 0 && json_array_size(dm))
        ret = write_text(a, "manifest.json", dtext, err);
    if (ret == 0)
        ret = write_text(a, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", err);
    free(itext);
    free(dtext);
    json_decref(index);
    json_decref(dm);
    return ret;
}

int wb_image_save(wb_image_store *s, const char **refs, size_t count, int fd, wb_error *err)
{
    if (count == 0)
        return wb_error_set(err, "save: no image given");
    saved_image *imgs = calloc(count, sizeof *imgs);
    json_t *blobs = json_object();
    struct archive *a = archive_write_new();
    int ret = imgs && blobs && a ? 0 : wb_error_oom(err);
    if (ret == 0)
        ret = collect_images(s, refs, count, imgs, blobs, err);
    if (ret == 0 && (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
                     archive_write_open_fd(a, fd) != ARCHIVE_OK))
        ret = wb_error_set(err, "save: %s", archive_error_string(a));
    if (ret == 0)
        ret = write_archive(s, a, imgs, count, blobs, err);
    if (ret == 0 && archive_write_close(a) != ARCHIVE_OK)
        ret = wb_error_set(err, "save: %s", archive_error_string(a));
    if (a)
        archive_write_free(a);
    for (size_t i = 0; imgs && i < count; i++)
        json_decref(imgs[i].manifest);
    free(imgs);
    json_decref(blobs);
    return ret;
}
