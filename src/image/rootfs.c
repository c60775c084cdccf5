/*
 * rootfs.c — what running an image needs from the store: its config (entrypoint, cmd,
 * env, ...) and its layers unpacked into a directory. Every blob read here is
 * checked against its digest: a flipped bit on disk is an error, never a run.
 *
 * The wasm OCI artifact shape (config application/vnd.wasm.config.v0+json, one raw
 * application/wasm layer) has no runnable config; it is presented as an image whose
 * rootfs holds the module at /<title> (the layer's org.opencontainers.image.title,
 * else /module.wasm) and whose entrypoint is that file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer.h"
#include "rootfs.h"

void wb_image_config_free(wb_image_config *c)
{
    if (!c)
        return;
    wbi_strv_free(c->entrypoint);
    wbi_strv_free(c->cmd);
    wbi_strv_free(c->env);
    wbi_strv_free(c->labels);
    wbi_strv_free(c->exposed_ports);
    free(c->workdir);
    free(c->user);
    free(c->os);
    free(c->architecture);
    free(c);
}

bool wbi_manifest_is_artifact(const json_t *manifest)
{
    const char *mt = wbi_json_str(json_object_get(manifest, "config"), "mediaType");
    return mt && !strcmp(mt, WBI_MT_WASM_CONFIG);
}

void wbi_artifact_module_name(const json_t *manifest, char *buf, size_t len)
{
    json_t *layer = json_array_get(json_object_get(manifest, "layers"), 0);
    const char *title = wbi_json_str(json_object_get(layer, "annotations"), WBI_ANN_TITLE);
    const char *base = title ? strrchr(title, '/') : NULL;
    base = base ? base + 1 : title;
    bool ok = base && *base && strcmp(base, ".") && strcmp(base, "..") && strlen(base) < len;
    snprintf(buf, len, "%s", ok ? base : "module.wasm");
}

static int string_array(const json_t *obj, const char *key, char ***out, wb_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (v && !json_is_null(v) && !json_is_array(v))
        return wb_error_set(err, "image config: %s is not an array of strings", key);
    *out = wbi_strv_from_json(v);
    if (!*out)
        return wb_error_set(err, "image config: %s is not an array of strings", key);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Labels ("k=v") and ExposedPorts ("80/tcp") from JSON objects, sorted. */
static int object_strings(const json_t *obj, const char *key, bool values, char ***out,
                          wb_error *err)
{
    json_t *o = json_object_get(obj, key);
    if (o && !json_is_null(o) && !json_is_object(o))
        return wb_error_set(err, "image config: %s is not an object", key);
    size_t n = json_is_object(o) ? json_object_size(o) : 0, i = 0;
    char **v = calloc(n + 1, sizeof *v);
    if (!v)
        return wb_error_oom(err);
    const char *k;
    json_t *val;
    json_object_foreach(o, k, val)
    {
        if (values && !json_is_string(val)) {
            wbi_strv_free(v);
            return wb_error_set(err, "image config: %s.%s is not a string", key, k);
        }
        v[i] = values ? wbi_strdup_printf("%s=%s", k, json_string_value(val)) : strdup(k);
        if (!v[i++]) {
            wbi_strv_free(v);
            return wb_error_oom(err);
        }
    }
    qsort(v, n, sizeof *v, cmp_str);
    *out = v;
    return 0;
}

static char *str_or_empty(const json_t *obj, const char *key)
{
    const char *s = wbi_json_str(obj, key);
    return strdup(s ? s : "");
}

static int config_from_json(const json_t *cfg, wb_image_config *c, wb_error *err)
{
    json_t *cc = json_object_get(cfg, "config");
    if (cc && !json_is_null(cc) && !json_is_object(cc))
        return wb_error_set(err, "image config: \"config\" is not an object");
    if (string_array(cc, "Entrypoint", &c->entrypoint, err) < 0 ||
        string_array(cc, "Cmd", &c->cmd, err) < 0 || string_array(cc, "Env", &c->env, err) < 0 ||
        object_strings(cc, "Labels", true, &c->labels, err) < 0 ||
        object_strings(cc, "ExposedPorts", false, &c->exposed_ports, err) < 0)
        return -1;
    c->workdir = str_or_empty(cc, "WorkingDir");
    c->user = str_or_empty(cc, "User");
    c->os = str_or_empty(cfg, "os");
    c->architecture = str_or_empty(cfg, "architecture");
    if (!c->workdir || !c->user || !c->os || !c->architecture)
        return wb_error_oom(err);
    return 0;
}

static int config_from_artifact(const json_t *manifest, wb_image_config *c, wb_error *err)
{
    char name[256];
    wbi_artifact_module_name(manifest, name, sizeof name);
    c->entrypoint = calloc(2, sizeof(char *));
    c->cmd = calloc(1, sizeof(char *));
    c->env = calloc(1, sizeof(char *));
    c->labels = calloc(1, sizeof(char *));
    c->exposed_ports = calloc(1, sizeof(char *));
    c->workdir = strdup("/");
    c->user = strdup("");
    c->os = strdup("wasi");
    c->architecture = strdup("wasm");
    if (!c->entrypoint || !c->cmd || !c->env || !c->labels || !c->exposed_ports || !c->workdir ||
        !c->user || !c->os || !c->architecture ||
        !(c->entrypoint[0] = wbi_strdup_printf("/%s", name)))
        return wb_error_oom(err);
    return 0;
}

int wb_image_config_read(wb_image_store *s, const wb_image_ref *image, wb_image_config **out,
                         wb_error *err)
{
    json_t *manifest = NULL, *cfg = NULL;
    if (wbi_manifest_load(s, image->manifest, &manifest, NULL, err) < 0)
        return -1;
    wb_image_config *c = calloc(1, sizeof *c);
    int ret = c ? 0 : wb_error_oom(err);
    const char *cdigest = wbi_json_str(json_object_get(manifest, "config"), "digest");
    if (ret == 0)
        ret = wbi_blob_json(s, cdigest, "config", &cfg, err);
    if (ret == 0)
        ret = wbi_manifest_is_artifact(manifest) ? config_from_artifact(manifest, c, err)
                                                 : config_from_json(cfg, c, err);
    json_decref(cfg);
    json_decref(manifest);
    if (ret < 0) {
        wb_image_config_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

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
