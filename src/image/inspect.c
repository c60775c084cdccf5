/*
 * inspect.c — `wasmbox inspect IMAGE`: docker's image inspect object (Id, RepoTags,
 * RepoDigests, Created, Config, Architecture, Os, Size, RootFS, ...), with podman's
 * Digest and ManifestMediaType added, built from the verified manifest and config.
 */
#include <stdio.h>
#include <string.h>

#include "ref.h"
#include "rootfs.h"
#include "store.h"

static json_t *repo_lists(wb_image_store *s, const wb_image_ref *img, json_t **digests,
                          int64_t *stored)
{
    json_t *tags = json_array();
    *digests = json_array();
    *stored = -1;
    wbi_entries es;
    if (wbi_entries_load(s, &es, NULL) < 0)
        return tags;
    for (size_t i = 0; i < es.n; i++) {
        const wbi_entry *e = &es.v[i];
        if (strcmp(e->manifest, img->manifest))
            continue;
        if (*stored < 0)
            *stored = e->created;
        if (!e->name[0])
            continue;
        json_array_append_new(tags, json_string(e->name));
        char repo[300];
        snprintf(repo, sizeof repo, "%s", e->name);
        char *colon = strrchr(repo, ':');
        if (colon && !strchr(colon, '/'))
            *colon = 0;
        char *rd = wbi_strdup_printf("%s@%s", repo, img->manifest);
        if (rd)
            json_array_append_new(*digests, json_string(rd));
        free(rd);
    }
    wbi_entries_free(&es);
    return tags;
}

static json_t *artifact_config(const json_t *manifest)
{
    char name[256], path[300];
    wbi_artifact_module_name(manifest, name, sizeof name);
    snprintf(path, sizeof path, "/%s", name);
    return json_pack("{s:[s], s:s}", "Entrypoint", path, "WorkingDir", "/");
}

int wb_image_inspect_json(wb_image_store *s, const wb_image_ref *img, char **out, wb_error *err)
{
    json_t *manifest = NULL, *config = NULL;
    if (wbi_manifest_load(s, img->manifest, &manifest, NULL, err) < 0)
        return -1;
    json_t *cdesc = json_object_get(manifest, "config");
    if (wbi_blob_json(s, wbi_json_str(cdesc, "digest"), "config", &config, err) < 0) {
        json_decref(manifest);
        return -1;
    }
    bool artifact = wbi_manifest_is_artifact(manifest);
    json_t *digests;
    int64_t stored;
    json_t *tags = repo_lists(s, img, &digests, &stored);
    const char *created = wbi_json_str(config, "created");
    char when[32] = "";
    if (created)
        snprintf(when, sizeof when, "%s", created);
    else if (stored >= 0)
        wbi_time_format(stored, when, sizeof when);
    uint64_t size = (uint64_t)json_integer_value(json_object_get(cdesc, "size"));
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(manifest, "layers"), i, l) size +=
        (uint64_t)json_integer_value(json_object_get(l, "size"));
    json_t *cc =
        artifact ? artifact_config(manifest) : json_incref(json_object_get(config, "config"));
    if (!cc || !json_is_object(cc)) {
        json_decref(cc);
        cc = json_object();
    }
    json_t *diff = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
    diff = json_is_array(diff) ? json_incref(diff) : json_array();
    const char *os = wbi_json_str(config, "os"), *arch = wbi_json_str(config, "architecture");
    const char *mt = wbi_json_str(manifest, "mediaType");
    json_t *o =
        json_pack("{s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:I, s:I, s:{s:s, s:o}, "
                  "s:s, s:{s:s}}",
                  "Id", wbi_json_str(cdesc, "digest"), "Digest", img->manifest, "RepoTags", tags,
                  "RepoDigests", digests, "Parent", "", "Comment",
                  artifact ? "wasm OCI artifact" : "", "Created", when, "Author",
                  wbi_json_str(config, "author") ? wbi_json_str(config, "author") : "", "Config",
                  cc, "Architecture", artifact ? "wasm" : (arch ? arch : ""), "Os",
                  artifact ? "wasi" : (os ? os : ""), "Size", (json_int_t)size, "VirtualSize",
                  (json_int_t)size, "RootFS", "Type", "layers", "Layers", diff, "ManifestMediaType",
                  mt ? mt : WBI_MT_OCI_MANIFEST, "Metadata", "LastTagTime", "");
    json_decref(config);
    json_decref(manifest);
    if (!o)
        return wb_error_oom(err);
    *out = json_dumps(o, JSON_INDENT(4));
    json_decref(o);
    return *out ? 0 : wb_error_oom(err);
}
