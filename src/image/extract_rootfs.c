/*
 * extract_rootfs.c — unpacking an image's layers into a directory (libarchive).
 *
 * Kept apart from rootfs.c, whose config reading the run path needs, so that the
 * lean `wasmbox` binary can link the store without libarchive: it replaces
 * wb_image_extract_rootfs() with a call to `wasmbox-tools` (src/cli/lean/).
 * Every layer is checked against its digest while it is unpacked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer.h"
#include "rootfs.h"

/* The raw module layer of an artifact, written as one file at the root. */
static int extract_module(int fd, int dirfd, const char *name, const char *digest, wb_error *err)
{
    _cleanup_close_ int out =
        openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0755);
    if (out < 0)
        return wb_error_errno(err, errno, "create %s", name);
    wbi_sha256 h;
    if (wbi_sha256_init(&h, err) < 0)
        return -1;
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || (n > 0 && wbi_write_all(out, buf, (size_t)n, name, err) < 0)) {
            if (n < 0)
                wb_error_errno(err, errno, "read layer %.19s", digest);
            wbi_sha256_free(&h);
            return -1;
        }
        if (n == 0)
            break;
        wbi_sha256_update(&h, buf, (size_t)n);
    }
    char got[WB_DIGEST_LEN];
    wbi_sha256_final(&h, got);
    if (strcmp(got, digest))
        return wb_error_set(err, "layer %s is corrupt: its content hashes to %s", digest, got);
    return 0;
}

static int hash_fd(int fd, char out[WB_DIGEST_LEN])
{
    wbi_sha256 h;
    if (wbi_sha256_init(&h, NULL) < 0)
        return -1;
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        wbi_sha256_update(&h, buf, (size_t)n);
    wbi_sha256_final(&h, out);
    return n < 0 ? -1 : 0;
}

int wbi_extract_layers(const wb_image_store *s, wbi_txn *txn, const json_t *manifest, int dirfd,
                       wb_error *err)
{
    char module[256];
    wbi_artifact_module_name(manifest, module, sizeof module);
    bool artifact = wbi_manifest_is_artifact(manifest);
    size_t i;
    json_t *layer;
    json_array_foreach(json_object_get(manifest, "layers"), i, layer)
    {
        const char *digest = wbi_json_str(layer, "digest");
        const char *mt = wbi_json_str(layer, "mediaType");
        _cleanup_free_ char *path = txn ? wbi_txn_blob_path(txn, digest) : wbi_blob_path(s, digest);
        if (!path)
            return wb_error_oom(err);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return errno == ENOENT ? wb_error_set(err, "layer %s is missing from the store", digest)
                                   : wb_error_errno(err, errno, "open %s", path);
        if (!strcmp(mt, WBI_MT_WASM_LAYER)) {
            if (!artifact || i > 0)
                return wb_error_set(err, "layer %.19s: application/wasm outside a wasm artifact",
                                    digest);
            if (extract_module(fd, dirfd, module, digest, err) < 0)
                return -1;
            continue;
        }
        char what[96], got[WB_DIGEST_LEN];
        snprintf(what, sizeof what, "layer %.19s", digest);
        if (wbi_extract_fd(fd, dirfd, what, WBI_X_WHITEOUTS, got, NULL, err) < 0) {
            /* a damaged blob reads as a broken archive: say which it is */
            if (lseek(fd, 0, SEEK_SET) == 0 && hash_fd(fd, got) == 0 && strcmp(got, digest))
                return wb_error_set(err, "layer %s is corrupt: its content hashes to %s", digest,
                                    got);
            return -1;
        }
        if (strcmp(got, digest))
            return wb_error_set(err, "layer %s is corrupt: its content hashes to %s", digest, got);
    }
    return 0;
}

int wb_image_extract_rootfs(wb_image_store *s, const wb_image_ref *image, const char *dir,
                            wb_error *err)
{
    json_t *manifest;
    if (wbi_manifest_load(s, image->manifest, &manifest, NULL, err) < 0)
        return -1;
    int ret = wbi_mkdir_p(dir, 0755, err);
    _cleanup_close_ int dirfd = ret == 0 ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (ret == 0 && dirfd < 0)
        ret = wb_error_errno(err, errno, "open %s", dir);
    if (ret == 0)
        ret = wbi_extract_layers(s, NULL, manifest, dirfd, err);
    json_decref(manifest);
    return ret;
}
