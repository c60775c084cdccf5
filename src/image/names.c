/*
 * names.c — index entries and their names: the index edits shared by build, load and
 * tag, the "is a container using this image" check, `wasmbox images` and `tag`.
 *
 * Docker's naming model mapped onto an OCI index: each name is one index entry
 * (manifest descriptor + org.opencontainers.image.ref.name); an image with no name
 * left keeps one unnamed entry (a "dangling" image, <none>:<none>) until rmi or
 * prune removes it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ref.h"
#include "store.h"

json_t *wbi_index_descriptor(const char *manifest_digest, uint64_t manifest_size, const char *os,
                             const char *arch)
{
    char now[32];
    wbi_time_format((int64_t)time(NULL), now, sizeof now);
    return json_pack("{s:s, s:s, s:I, s:{s:s, s:s}, s:{s:s}}", "mediaType", WBI_MT_OCI_MANIFEST,
                     "digest", manifest_digest, "size", (json_int_t)manifest_size, "platform",
                     "architecture", arch, "os", os, "annotations", WBI_ANN_CREATED, now);
}

static const char *entry_digest(const json_t *d)
{
    const char *s = wbi_json_str(d, "digest");
    return s ? s : "";
}

/* The entry's normalised name into buf; false when it has none. */
static bool entry_name(const json_t *d, char *buf, size_t len)
{
    const char *n = wbi_json_str(json_object_get(d, "annotations"), WBI_ANN_REF_NAME);
    return n && wbi_ref_normalize(n, buf, len);
}

static void drop_name(json_t *d)
{
    json_t *ann = json_object_get(d, "annotations");
    if (!json_is_object(ann))
        return;
    json_object_del(ann, WBI_ANN_REF_NAME);
    json_object_del(ann, WBI_ANN_CONTAINERD_NAME);
}

/* Removes unnamed entries whose manifest is listed by another entry. */
static void dedupe(json_t *ms)
{
    for (size_t i = json_array_size(ms); i-- > 0;) {
        json_t *d = json_array_get(ms, i);
        char name[300];
        if (entry_name(d, name, sizeof name))
            continue;
        for (size_t j = 0; j < json_array_size(ms); j++) {
            if (j != i && !strcmp(entry_digest(json_array_get(ms, j)), entry_digest(d))) {
                json_array_remove(ms, i);
                break;
            }
        }
    }
}

int wbi_index_set_name(json_t *index, const json_t *desc, const char *name, wb_error *err)
{
    json_t *ms = json_object_get(index, "manifests");
    const char *digest = entry_digest(desc);
    size_t i;
    json_t *d;
    json_array_foreach(ms, i, d)
    {
        char n[300];
        if (entry_name(d, n, sizeof n) && !strcmp(n, name))
            drop_name(d);
    }
    json_t *target = NULL;
    json_array_foreach(ms, i, d)
    {
        char n[300];
        if (!strcmp(entry_digest(d), digest) && !entry_name(d, n, sizeof n)) {
            target = d;
            break;
        }
    }
    if (!target) {
        target = json_deep_copy(desc);
        if (!target || json_array_append_new(ms, target) < 0)
            return wb_error_oom(err);
    }
    json_t *ann = json_object_get(target, "annotations");
    if (!json_is_object(ann)) {
        ann = json_object();
        json_object_set_new(target, "annotations", ann);
    }
    json_object_set_new(ann, WBI_ANN_REF_NAME, json_string(name));
    dedupe(ms);
    return 0;
}

bool wbi_image_in_use(wb_image_store *s, const char *manifest, const char *config, char *who,
                      size_t wholen)
{
    _cleanup_free_ char *dir = wbi_strdup_printf("%s/containers", s->root);
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d)
        return false;
    bool used = false;
    struct dirent *de;
    while (!used && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        _cleanup_free_ char *path = wbi_strdup_printf("%s/%s/config.json", dir, de->d_name);
        _cleanup_free_ char *text = NULL;
        size_t len;
        if (!path || wbi_read_file(path, WBI_JSON_MAX, &text, &len, NULL) < 0)
            continue;
        json_t *j = json_loadb(text, len, 0, NULL);
        const char *img = wbi_json_str(j, "Image");
        if (!img)
            img = wbi_json_str(j, "image");
        if (img) {
            const char *hex = strncmp(img, "sha256:", 7) ? img : img + 7;
            used = (config[0] && !strcmp(hex, config + 7)) ||
                   (manifest[0] && !strcmp(hex, manifest + 7));
        }
        json_decref(j);
        if (used)
            snprintf(who, wholen, "%.12s", de->d_name);
    }
    closedir(d);
    return used;
}

/* ---- images ---- */

static int cmp_info(const void *a, const void *b)
{
    const wb_image_info *x = a, *y = b;
    if (x->created != y->created)
        return x->created > y->created ? -1 : 1;
    if (!x->name || !y->name)
        return !x->name - !y->name;
    return strcmp(x->name, y->name);
}

void wb_image_list_free(wb_image_info *list, size_t count)
{
    for (size_t i = 0; list && i < count; i++) {
        free(list[i].name);
        free(list[i].os);
        free(list[i].architecture);
    }
    free(list);
}

int wb_image_list(wb_image_store *s, wb_image_info **out, size_t *count, wb_error *err)
{
    wbi_entries es;
    if (wbi_entries_load(s, &es, err) < 0)
        return -1;
    wb_image_info *v = calloc(es.n + 1, sizeof *v);
    if (!v) {
        wbi_entries_free(&es);
        return wb_error_oom(err);
    }
    int ret = 0;
    for (size_t i = 0; i < es.n && ret == 0; i++) {
        const wbi_entry *e = &es.v[i];
        wb_image_info *in = &v[i];
        strcpy(in->manifest, e->manifest);
        strcpy(in->config, e->config);
        in->created = e->created;
        in->size = e->size;
        const char *slash = strchr(e->platform, '/');
        in->os = strndup(e->platform, slash ? (size_t)(slash - e->platform) : strlen(e->platform));
        in->architecture = strdup(slash ? slash + 1 : "");
        in->name = e->name[0] ? strdup(e->name) : NULL;
        if (!in->os || !in->architecture || (e->name[0] && !in->name))
            ret = wb_error_oom(err);
    }
    size_t n = es.n;
    wbi_entries_free(&es);
    if (ret < 0) {
        wb_image_list_free(v, n);
        return -1;
    }
    qsort(v, n, sizeof *v, cmp_info);
    *out = v;
    *count = n;
    return 0;
}

/* ---- tag ---- */

typedef struct tag_edit {
    const wb_image_ref *src;
    const char *name;
} tag_edit;

static int edit_tag(wb_image_store *s, json_t *index, void *arg, wb_error *err)
{
    tag_edit *t = arg;
    if (!wbi_blob_exists(s, t->src->manifest))
        return wb_error_set(err, "image %s was removed meanwhile", t->src->manifest);
    json_t *desc = NULL;
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(index, "manifests"), i,
                       d) if (!strcmp(entry_digest(d), t->src->manifest))
    {
        desc = json_deep_copy(d);
        break;
    }
    if (!desc) {
        /* the image sits inside a nested index: point at its manifest directly */
        _cleanup_free_ char *blob = NULL;
        size_t len;
        if (wbi_blob_read(s, t->src->manifest, WBI_JSON_MAX, &blob, &len, err) < 0)
            return -1;
        desc = wbi_index_descriptor(t->src->manifest, len, "wasi", "wasm");
    }
    if (!desc)
        return wb_error_oom(err);
    drop_name(desc);
    int ret = wbi_index_set_name(index, desc, t->name, err);
    json_decref(desc);
    return ret;
}

int wb_image_tag(wb_image_store *s, const char *source, const char *target, wb_error *err)
{
    wb_image_ref src;
    char name[300];
    if (wb_image_lookup(s, source, &src, err) < 0)
        return -1;
    if (!wbi_ref_normalize(target, name, sizeof name)) {
        wbi_ref r;
        if (wbi_ref_parse(target, &r, err) < 0)
            return -1;
        return wb_error_set(err, "tag \"%s\": a name, not a digest", target);
    }
    tag_edit t = {.src = &src, .name = name};
    return wbi_index_update(s, edit_tag, &t, err);
}
