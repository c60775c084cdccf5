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
