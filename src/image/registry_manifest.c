/*
 * registry_manifest.c — what a registry answers to GET /v2/<repo>/manifests/<ref>:
 * an image manifest (OCI, or docker schema 2), an image index (OCI, or a docker
 * manifest list), or something we refuse by name (docker schema 1, anything else).
 *
 * The bytes are untrusted (a libFuzzer target covers this file): every descriptor is
 * checked (media type, digest syntax, non-negative size), image manifests must have a
 * config and layers of known media types (the store's own rules, store.c), and an
 * index entry is chosen by platform, wasi/wasm unless the user names another.
 */
#include <stdio.h>
#include <string.h>

#include "registry_internal.h"

const char wbr_manifest_accept[] = WBI_MT_OCI_INDEX ", " WBI_MT_OCI_MANIFEST ", " WBI_MT_DOCKER_LIST
                                   ", " WBI_MT_DOCKER_MANIFEST;

#define WBR_MAX_ITEMS 10000

static bool is_index_type(const char *mt)
{
    return !strcmp(mt, WBI_MT_OCI_INDEX) || !strcmp(mt, WBI_MT_DOCKER_LIST);
}

static bool is_manifest_type(const char *mt)
{
    return !strcmp(mt, WBI_MT_OCI_MANIFEST) || !strcmp(mt, WBI_MT_DOCKER_MANIFEST);
}

/* The media type from the document, else from Content-Type, else from its shape. */
static void media_type(const json_t *j, const char *ctype, char *out, size_t len)
{
    const char *mt = wbi_json_str(j, "mediaType");
    if (mt) {
        snprintf(out, len, "%s", mt);
        return;
    }
    if (ctype && *ctype && strncmp(ctype, "application/json", 16) && strncmp(ctype, "text/plain", 10)) {
        size_t n = strcspn(ctype, "; \t");
        snprintf(out, len, "%.*s", (int)n, ctype);
        return;
    }
    snprintf(out, len, "%s", json_object_get(j, "manifests") ? WBI_MT_OCI_INDEX : WBI_MT_OCI_MANIFEST);
}

static void desc_fill(const json_t *d, wbr_desc *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->media_type, sizeof out->media_type, "%s", wbi_json_str(d, "mediaType"));
    snprintf(out->digest, sizeof out->digest, "%s", wbi_json_str(d, "digest"));
    out->size = (uint64_t)json_integer_value(json_object_get(d, "size"));
    json_t *p = json_object_get(d, "platform");
    const char *os = wbi_json_str(p, "os"), *arch = wbi_json_str(p, "architecture");
    const char *variant = wbi_json_str(p, "variant");
    if (os && arch)
        snprintf(out->platform, sizeof out->platform, "%s/%s%s%s", os, arch, variant ? "/" : "",
                 variant ? variant : "");
}

static int fill_items(const json_t *array, const char *what, wbr_manifest *out, wb_error *err)
{
    size_t n = json_array_size(array);
    if (n > WBR_MAX_ITEMS)
        return wb_error_set(err, "%s: %zu entries (more than %d)", what, n, WBR_MAX_ITEMS);
    out->items = calloc(n ? n : 1, sizeof *out->items);
    if (!out->items)
        return wb_error_oom(err);
    for (size_t i = 0; i < n; i++) {
        const json_t *d = json_array_get(array, i);
        if (wbi_descriptor_check(d, what, err) < 0)
            return -1;
        desc_fill(d, &out->items[i]);
        out->n_items++;
    }
    return 0;
}

static int parse_index(const json_t *j, const char *what, wbr_manifest *out, wb_error *err)
{
    json_t *ms = json_object_get(j, "manifests");
    if (!json_is_array(ms))
        return wb_error_set(err, "%s: image index without a manifests array", what);
    if (json_array_size(ms) == 0)
        return wb_error_set(err, "%s: image index lists no manifests", what);
    out->is_index = true;
    return fill_items(ms, what, out, err);
}

static int parse_image(const json_t *j, const char *what, wbr_manifest *out, wb_error *err)
{
    if (wbi_manifest_check(j, what, err) < 0)
        return -1;
    const json_t *config = json_object_get(j, "config");
    desc_fill(config, &out->config);
    out->artifact = !strcmp(out->config.media_type, WBI_MT_WASM_CONFIG);
    return fill_items(json_object_get(j, "layers"), what, out, err);
}

void wbr_manifest_free(wbr_manifest *m)
{
    free(m->items);
    memset(m, 0, sizeof *m);
}

int wbr_manifest_parse(const char *body, size_t len, const char *content_type, const char *what,
                       wbr_manifest *out, wb_error *err)
{
    memset(out, 0, sizeof *out);
    json_t *j = wbi_json_parse(body, len, what, err);
    if (!j)
        return -1;
    int ret = 0;
    if (!json_is_object(j)) {
        ret = wb_error_set(err, "%s: not a JSON object", what);
    } else {
        media_type(j, content_type, out->media_type, sizeof out->media_type);
        const char *mt = out->media_type;
        json_int_t sv = json_integer_value(json_object_get(j, "schemaVersion"));
        if (!strcmp(mt, WBR_MT_DOCKER_V1) || !strcmp(mt, WBR_MT_DOCKER_V1_SIGNED) || sv == 1)
            ret = wb_error_set(err, "%s: docker schema 1 manifests are not supported", what);
        else if (sv != 2)
            ret = wb_error_set(err, "%s: schemaVersion is not 2", what);
        else if (is_index_type(mt))
            ret = parse_index(j, what, out, err);
        else if (is_manifest_type(mt))
            ret = parse_image(j, what, out, err);
        else
            ret = wb_error_set(err, "%s: unknown media type \"%s\"", what, mt);
    }
    json_decref(j);
    if (ret < 0)
        wbr_manifest_free(out);
    return ret;
}

/* "os/arch[/variant]" matches an entry's platform; no variant asked matches any. */
static bool platform_matches(const char *want, const char *have)
{
    size_t n = strlen(want);
    if (strncmp(want, have, n) != 0)
        return false;
    return have[n] == 0 || (have[n] == '/' && strchr(want, '/') == strrchr(want, '/'));
}

int wbr_index_pick(const wbr_manifest *index, const char *platform, const char *what,
                   const wbr_desc **out, wb_error *err)
{
    const char *want = platform && *platform ? platform : "wasi/wasm";
    const wbr_desc *pick = NULL;
    for (size_t i = 0; i < index->n_items && !pick; i++) {
        const wbr_desc *d = &index->items[i];
        if (is_manifest_type(d->media_type) && platform_matches(want, d->platform))
            pick = d;
    }
    if (!pick && !(platform && *platform) && index->n_items == 1 && is_manifest_type(index->items[0].media_type))
        pick = &index->items[0];
    if (pick) {
        *out = pick;
        return 0;
    }
    char have[512] = "";
    size_t o = 0;
    for (size_t i = 0; i < index->n_items && o + 1 < sizeof have; i++) {
        int w = snprintf(have + o, sizeof have - o, "%s%s", i ? ", " : "",
                         index->items[i].platform[0] ? index->items[i].platform : "(no platform)");
        if (w < 0)
            break;
        o += (size_t)w;
    }
    return wb_error_set(err, "%s: no manifest for %s in the image index (it has %s)", what, want, have);
}
