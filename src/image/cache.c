/*
 * cache.c — the refs cache and image lookup.
 *
 * `wasmbox run NAME` must resolve NAME in well under a millisecond even with a
 * thousand images, which rules out parsing a large index.json (and opening every
 * manifest for sizes) on each call. .wasmbox/refs holds one text line per index entry
 * with everything lookup and `wasmbox images` need. Its first line records the
 * identity (device, inode, size, mtime) of the index.json it was made from; a reader
 * compares that with one fstat of index.json and rebuilds the cache when another tool
 * (skopeo, umoci, an editor) changed the index. Lines are keyed by manifest digest,
 * which is immutable, so a rebuild only opens manifests it has not seen before.
 *
 *   wbrefs1 <dev> <ino> <size> <mtime_s> <mtime_ns>
 *   <manifest> <config|-> <size> <config_created> <os/arch> <stored_created> <name|->
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ref.h"
#include "store.h"

#define CACHE_MAGIC "wbrefs1"

typedef struct cache_line {
    wbi_entry e;
    int64_t config_created; /* from the config, -1 if none */
    int64_t stored_created; /* from the index annotation, -1 if none */
} cache_line;

typedef struct cache {
    cache_line *v;
    size_t n, cap;
} cache;

static int cache_push(cache *c, const cache_line *l)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        cache_line *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return -1;
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = *l;
    return 0;
}

static bool stat_matches(const char *header, const struct stat *st)
{
    char want[160];
    snprintf(want, sizeof want, CACHE_MAGIC " %llu %llu %lld %lld %ld",
             (unsigned long long)st->st_dev, (unsigned long long)st->st_ino, (long long)st->st_size,
             (long long)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec);
    return !strcmp(header, want);
}

/* Parses one entry line in place; false when malformed. */
static bool parse_line(char *line, cache_line *out)
{
    char *f[7];
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(line, " ", &save); tok && n < 7;
         tok = strtok_r(NULL, " ", &save))
        f[n++] = tok;
    /* our own file: a shape check is enough (blobs are verified when read) */
    if (n != 7 || strlen(f[0]) != WB_DIGEST_LEN - 1 || strncmp(f[0], "sha256:", 7) ||
        strlen(f[4]) >= sizeof out->e.platform || strlen(f[6]) >= sizeof out->e.name)
        return false;
    memset(out, 0, sizeof *out);
    strcpy(out->e.manifest, f[0]);
    if (strcmp(f[1], "-")) {
        if (strlen(f[1]) != WB_DIGEST_LEN - 1 || strncmp(f[1], "sha256:", 7))
            return false;
        strcpy(out->e.config, f[1]);
    }
    out->e.size = strtoull(f[2], NULL, 10);
    out->config_created = strtoll(f[3], NULL, 10);
    strcpy(out->e.platform, f[4]);
    out->stored_created = strtoll(f[5], NULL, 10);
    if (strcmp(f[6], "-"))
        strcpy(out->e.name, f[6]);
    out->e.created = out->config_created >= 0 ? out->config_created : out->stored_created;
    return true;
}

/* The cache file in memory; body points at the first entry line. */
typedef struct cache_file {
    char *buf;
    char *body;
    bool fresh; /* describes the index.json whose stat was given */
} cache_file;

/* Reads the cache file. A missing or damaged cache reads as empty, never fresh. */
static void cache_file_read(wb_image_store *s, const struct stat *st, cache_file *cf)
{
    memset(cf, 0, sizeof *cf);
    _cleanup_free_ char *path = wbi_strdup_printf("%s/refs", s->priv);
    size_t len;
    if (!path || wbi_read_file(path, WBI_JSON_MAX, &cf->buf, &len, NULL) < 0)
        return;
    char *nl = strchr(cf->buf, '\n');
    if (!nl || strncmp(cf->buf, CACHE_MAGIC " ", sizeof CACHE_MAGIC)) {
        free(cf->buf);
        cf->buf = NULL;
        return;
    }
    *nl = 0;
    cf->fresh = stat_matches(cf->buf, st);
    cf->body = nl + 1;
}

/* Parses every line of a cache file (consuming its body). */
static void cache_parse(cache_file *cf, cache *c, bool *fresh)
{
    *fresh = false;
    if (!cf->buf)
        return;
    char *save = NULL;
    for (char *line = strtok_r(cf->body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cache_line l;
        if (!parse_line(line, &l) || cache_push(c, &l) < 0) {
            c->n = 0;
            return;
        }
    }
    *fresh = cf->fresh;
}

static void cache_read(wb_image_store *s, const struct stat *st, cache *c, bool *fresh)
{
    cache_file cf;
    cache_file_read(s, st, &cf);
    cache_parse(&cf, c, fresh);
    free(cf.buf);
}

/* The line whose last field is exactly `name`, without parsing the others: the
 * lookup that `run` pays stays a file read and a memmem. */
static bool cache_find_name(const cache_file *cf, const char *name, cache_line *out)
{
    char needle[320];
    int n = snprintf(needle, sizeof needle, " %s\n", name);
    if (n < 0 || (size_t)n >= sizeof needle)
        return false;
    const char *hit = strstr(cf->body, needle);
    if (!hit)
        return false;
    const char *start = hit;
    while (start > cf->body && start[-1] != '\n')
        start--;
    char line[1024];
    size_t len = (size_t)(hit - start) + (size_t)n - 1;
    if (len >= sizeof line)
        return false;
    memcpy(line, start, len);
    line[len] = 0;
    return parse_line(line, out);
}

static const cache_line *memo_find(const cache *memo, const char *manifest)
{
    for (size_t i = 0; i < memo->n; i++)
        if (!strcmp(memo->v[i].e.manifest, manifest))
            return &memo->v[i];
    return NULL;
}

/* Fills manifest-derived fields by reading the blobs; a damaged image keeps config "". */
static void describe_manifest(wb_image_store *s, const char *digest, cache_line *l)
{
    json_t *m = NULL, *cfg = NULL;
    char resolved[WB_DIGEST_LEN];
    snprintf(l->e.manifest, sizeof l->e.manifest, "%s", digest);
    strcpy(l->e.platform, "?/?");
    l->config_created = -1;
    if (wbi_manifest_load(s, digest, &m, resolved, NULL) < 0)
        return;
    strcpy(l->e.manifest, resolved);
    json_t *cd = json_object_get(m, "config");
    const char *cdigest = wbi_json_str(cd, "digest");
    uint64_t size = (uint64_t)json_integer_value(json_object_get(cd, "size"));
    size_t i;
    json_t *layer;
    json_array_foreach(json_object_get(m, "layers"), i, layer) size +=
        (uint64_t)json_integer_value(json_object_get(layer, "size"));
    l->e.size = size;
    if (wbi_blob_json(s, cdigest, "config", &cfg, NULL) == 0) {
        strcpy(l->e.config, cdigest);
        const char *os = wbi_json_str(cfg, "os"), *arch = wbi_json_str(cfg, "architecture");
        snprintf(l->e.platform, sizeof l->e.platform, "%s/%s", os ? os : "?", arch ? arch : "?");
        for (char *p = l->e.platform; *p; p++)
            if (isspace((unsigned char)*p))
                *p = '_';
        l->config_created = wbi_time_parse(wbi_json_str(cfg, "created"));
        json_decref(cfg);
    }
    json_decref(m);
}

/* Builds the lines for `index`, reusing what `memo` already knows. */
static int cache_build(wb_image_store *s, const json_t *index, const cache *memo, cache *out,
                       wb_error *err)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(index, "manifests"), i, d)
    {
        const char *digest = wbi_json_str(d, "digest");
        if (!wbi_digest_valid(digest))
            continue;
        cache_line l;
        memset(&l, 0, sizeof l);
        const cache_line *known = memo_find(memo, digest);
        if (known && known->e.config[0])
            l = *known;
        else
            describe_manifest(s, digest, &l);
        json_t *ann = json_object_get(d, "annotations");
        const char *name = wbi_json_str(ann, WBI_ANN_REF_NAME);
        l.e.name[0] = 0;
        if (name && !wbi_ref_normalize(name, l.e.name, sizeof l.e.name))
            l.e.name[0] = 0; /* a name docker's grammar rejects (a bare tag, say) */
        l.stored_created = wbi_time_parse(wbi_json_str(ann, WBI_ANN_CREATED));
        l.e.created = l.config_created >= 0 ? l.config_created : l.stored_created;
        if (cache_push(out, &l) < 0)
            return wb_error_oom(err);
    }
    return 0;
}

static int cache_store(wb_image_store *s, const cache *c, const struct stat *st, wb_error *err)
{
    size_t cap = 160 + c->n * 400, n = 0;
    _cleanup_free_ char *buf = malloc(cap);
    _cleanup_free_ char *path = wbi_strdup_printf("%s/refs", s->priv);
    _cleanup_free_ char *tmp = wbi_strdup_printf("%s/refs.tmp-%d", s->priv, (int)getpid());
    if (!buf || !path || !tmp)
        return wb_error_oom(err);
    n += (size_t)snprintf(buf, cap, CACHE_MAGIC " %llu %llu %lld %lld %ld\n",
                          (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
                          (long long)st->st_size, (long long)st->st_mtim.tv_sec,
                          (long)st->st_mtim.tv_nsec);
    for (size_t i = 0; i < c->n; i++) {
        const cache_line *l = &c->v[i];
        n += (size_t)snprintf(buf + n, cap - n, "%s %s %llu %lld %s %lld %s\n", l->e.manifest,
                              l->e.config[0] ? l->e.config : "-", (unsigned long long)l->e.size,
                              (long long)l->config_created, l->e.platform,
                              (long long)l->stored_created, l->e.name[0] ? l->e.name : "-");
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return wb_error_errno(err, errno, "create %s", tmp);
    int ret = wbi_write_all(fd, buf, n, tmp, err);
    close(fd);
    if (ret == 0 && rename(tmp, path) < 0)
        ret = wb_error_errno(err, errno, "rename %s", path);
    if (ret < 0)
        unlink(tmp);
    return ret;
}

int wbi_cache_write(wb_image_store *s, const json_t *index, const struct stat *st, wb_error *err)
{
    cache memo = {0}, fresh = {0};
    bool ignored;
    cache_read(s, st, &memo, &ignored);
    int ret = cache_build(s, index, &memo, &fresh, err);
    if (ret == 0)
        ret = cache_store(s, &fresh, st, err);
    free(memo.v);
    free(fresh.v);
    return ret;
}

int wbi_entries_load(wb_image_store *s, wbi_entries *out, wb_error *err)
{
    struct stat st;
    if (stat(s->index_path, &st) < 0)
        return wb_error_errno(err, errno, "stat %s", s->index_path);
    cache c = {0};
    bool fresh;
    cache_read(s, &st, &c, &fresh);
    if (!fresh) {
        json_t *index;
        if (wbi_index_load(s, &index, &st, err) < 0) {
            free(c.v);
            return -1;
        }
        cache rebuilt = {0};
        int ret = cache_build(s, index, &c, &rebuilt, err);
        if (ret == 0)
            cache_store(s, &rebuilt, &st, NULL); /* best effort */
        json_decref(index);
        free(c.v);
        if (ret < 0) {
            free(rebuilt.v);
            return -1;
        }
        c = rebuilt;
    }
    out->n = c.n;
    out->v = calloc(c.n ? c.n : 1, sizeof *out->v);
    if (!out->v) {
        free(c.v);
        return wb_error_oom(err);
    }
    for (size_t i = 0; i < c.n; i++)
        out->v[i] = c.v[i].e;
    free(c.v);
    return 0;
}

void wbi_entries_free(wbi_entries *e)
{
    free(e->v);
    e->v = NULL;
    e->n = 0;
}

/* ---- lookup ---- */

static void fill_ref(const wbi_entry *e, bool by_name, wb_image_ref *out)
{
    memset(out, 0, sizeof *out);
    strcpy(out->manifest, e->manifest);
    strcpy(out->config, e->config);
    if (by_name)
        strcpy(out->name, e->name);
    out->size = e->size;
}

static const wbi_entry *find_name(const wbi_entries *es, const char *name)
{
    for (size_t i = 0; i < es->n; i++)
        if (!strcmp(es->v[i].name, name))
            return &es->v[i];
    return NULL;
}

/* "sha256:<hex>" or bare hex: an ID prefix (or a full manifest digest). */
static int find_id(const wbi_entries *es, const char *q, const wbi_entry **hit, wb_error *err)
{
    const char *hex = strncmp(q, "sha256:", 7) ? q : q + 7;
    size_t n = strlen(hex);
    if (n == 0 || n > 64 || strspn(hex, "0123456789abcdef") != n)
        return 0;
    *hit = NULL;
    for (size_t i = 0; i < es->n; i++) {
        const wbi_entry *e = &es->v[i];
        if (n == 64 && !strcmp(e->manifest + 7, hex)) {
            *hit = e;
            return 1;
        }
        if (!e->config[0] || strncmp(e->config + 7, hex, n))
            continue;
        if (*hit && strcmp((*hit)->config, e->config))
            return wb_error_set(err, "image ID prefix \"%s\" is ambiguous", q);
        if (!*hit)
            *hit = e;
    }
    return *hit ? 1 : 0;
}

/* By name through a fresh cache, without building the entry list: 1 if found. */
static int lookup_fast(wb_image_store *s, const char *q, wb_image_ref *out)
{
    wbi_ref r;
    struct stat st;
    if (wbi_ref_parse(q, &r, NULL) < 0 || r.digest[0] || stat(s->index_path, &st) < 0)
        return 0;
    char name[300], local[320];
    wbi_ref_format(&r, name, sizeof name);
    snprintf(local, sizeof local, "localhost/%s", name);
    cache_file cf;
    cache_file_read(s, &st, &cf);
    cache_line l;
    int found = cf.fresh && (cache_find_name(&cf, name, &l) ||
                             (!wbi_ref_has_domain(r.name) && cache_find_name(&cf, local, &l)));
    free(cf.buf);
    if (found)
        fill_ref(&l.e, true, out);
    return found;
}

int wb_image_lookup(wb_image_store *s, const char *q, wb_image_ref *out, wb_error *err)
{
    if (lookup_fast(s, q, out))
        return 0;
    wbi_entries es;
    if (wbi_entries_load(s, &es, err) < 0)
        return -1;
    int ret = -1;
    const wbi_entry *hit = NULL;
    wbi_ref r;
    wb_error perr;
    bool parsed = wbi_ref_parse(q, &r, &perr) == 0;
    if (parsed && r.digest[0]) {
        for (size_t i = 0; i < es.n && !hit; i++)
            if (!strcmp(es.v[i].manifest, r.digest))
                hit = &es.v[i];
    } else if (parsed) {
        char name[300];
        wbi_ref_format(&r, name, sizeof name);
        hit = find_name(&es, name);
        if (!hit && !wbi_ref_has_domain(r.name)) {
            char local[320];
            snprintf(local, sizeof local, "localhost/%s", name);
            hit = find_name(&es, local);
        }
    }
    if (hit) {
        fill_ref(hit, true, out);
        ret = 0;
    } else {
        int found = find_id(&es, q, &hit, err);
        if (found > 0) {
            fill_ref(hit, false, out);
            ret = 0;
        } else if (found == 0 && !parsed && strncmp(q, "sha256:", 7)) {
            if (err)
                *err = perr;
        } else if (found == 0) {
            wb_error_set(err, "image \"%s\" not found", q);
        }
    }
    wbi_entries_free(&es);
    return ret;
}
