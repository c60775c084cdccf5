/*
 * build.c — `wasmbox build`: reading the Dockerfile, splitting it into stages, and
 * executing each instruction of the stages the target needs.
 *
 * Nothing is ever executed: RUN and the other instructions that would need a shell or
 * a running container are refused with the Dockerfile line, before the stage's base
 * image is even looked up (so a Rust build stage gets the RUN message, not "image
 * rust not found"). Everything a build writes goes through one staging transaction
 * (txn.c); the store only changes in wbi_build_finish().
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"

/* ---- variables ---- */

const char *wbi_vars_get(const wbi_vars *vs, const char *name, bool *declared)
{
    for (size_t i = vs->n; i-- > 0;)
        if (!strcmp(vs->v[i].name, name)) {
            if (declared)
                *declared = true;
            return vs->v[i].value;
        }
    if (declared)
        *declared = false;
    return NULL;
}

int wbi_vars_set(wbi_vars *vs, const char *name, const char *value, wb_error *err)
{
    char *v = value ? strdup(value) : NULL;
    if (value && !v)
        return wb_error_oom(err);
    for (size_t i = 0; i < vs->n; i++)
        if (!strcmp(vs->v[i].name, name)) {
            free(vs->v[i].value);
            vs->v[i].value = v;
            return 0;
        }
    wbi_var *nv = realloc(vs->v, (vs->n + 1) * sizeof *nv);
    char *n = strdup(name);
    if (!nv || !n) {
        if (nv)
            vs->v = nv;
        free(n);
        free(v);
        return wb_error_oom(err);
    }
    vs->v = nv;
    vs->v[vs->n].name = n;
    vs->v[vs->n].value = v;
    vs->n++;
    return 0;
}

void wbi_vars_free(wbi_vars *vs)
{
    for (size_t i = 0; i < vs->n; i++) {
        free(vs->v[i].name);
        free(vs->v[i].value);
    }
    free(vs->v);
    vs->v = NULL;
    vs->n = 0;
}

int wbi_build_error(wbi_builder *b, const wbi_df_instr *in, const char *fmt, ...)
{
    char msg[WB_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return wb_error_set(b->err, "%s:%d: %s", b->df.name, in->line, msg);
}

int wbi_build_prefix(wbi_builder *b, const wbi_df_instr *in, wb_error *err)
{
    if (!err)
        return -1;
    size_t k = strlen(in->keyword);
    if (!strncmp(err->message, in->keyword, k) &&
        (err->message[k] == ' ' || err->message[k] == ':'))
        return wb_error_prefix(err, "%s:%d", b->df.name, in->line);
    return wb_error_prefix(err, "%s:%d: %s", b->df.name, in->line, in->keyword);
}

/* ---- expansion contexts ---- */

/* In a stage: ENV first, then ARG. */
static const char *stage_getenv(void *ctx, const char *name)
{
    wbi_stage *st = ctx;
    json_t *env = json_object_get(json_object_get(st->config, "config"), "Env");
    size_t n = strlen(name);
    for (size_t i = json_array_size(env); i-- > 0;) {
        const char *kv = json_string_value(json_array_get(env, i));
        if (kv && !strncmp(kv, name, n) && kv[n] == '=')
            return kv + n + 1;
    }
    return wbi_vars_get(&st->args, name, NULL);
}

static const char *global_getenv(void *ctx, const char *name)
{
    return wbi_vars_get(&((wbi_builder *)ctx)->global_args, name, NULL);
}

static int expand(wbi_builder *b, wbi_stage *st, const wbi_df_instr *in, const char *word,
                  bool quotes, char **out)
{
    int r = st ? wbi_df_expand(word, b->df.escape, quotes, stage_getenv, st, out, b->err)
               : wbi_df_expand(word, b->df.escape, quotes, global_getenv, b, out, b->err);
    return r < 0 ? wbi_build_prefix(b, in, b->err) : 0;
}

/* --build-arg K: its value, marking it used; NULL when not given. */
static const char *build_arg(wbi_builder *b, const char *name)
{
    for (size_t i = b->build_args.n; i-- > 0;)
        if (!strcmp(b->build_args.v[i].name, name)) {
            b->build_arg_used[i] = true;
            return b->build_args.v[i].value;
        }
    return NULL;
}

/* ---- config helpers ---- */

static json_t *cfg(wbi_stage *st)
{
    json_t *c = json_object_get(st->config, "config");
    if (!json_is_object(c)) {
        c = json_object();
        json_object_set_new(st->config, "config", c);
    }
    return c;
}

static json_t *cfg_child(wbi_stage *st, const char *key, bool array)
{
    json_t *c = cfg(st), *v = json_object_get(c, key);
    if (array ? !json_is_array(v) : !json_is_object(v)) {
        v = array ? json_array() : json_object();
        json_object_set_new(c, key, v);
    }
    return v;
}

static int add_history(wbi_builder *b, wbi_stage *st, const wbi_df_instr *in, bool empty)
{
    json_t *h = json_object_get(st->config, "history");
    if (!json_is_array(h)) {
        h = json_array();
        json_object_set_new(st->config, "history", h);
    }
    json_t *e = json_pack("{s:s, s:s}", "created_by", in->text, "comment", "wasmbox build");
    if (!e)
        return wb_error_oom(b->err);
    if (empty)
        json_object_set_new(e, "empty_layer", json_true());
    /* always a time (umoci stat needs one); the epoch keeps builds reproducible */
    char t[32];
    wbi_time_format(b->epoch >= 0 ? b->epoch : 0, t, sizeof t);
    json_object_set_new(e, "created", json_string(t));
    json_array_append_new(h, e);
    return 0;
}

static json_t *empty_config(void)
{
    return json_pack("{s:s, s:s, s:{}, s:{s:s, s:[]}, s:[]}", "architecture", "wasm", "os", "wasi",
                     "config", "rootfs", "type", "layers", "diff_ids", "history");
}

/* ---- instructions ---- */

static int do_env(wbi_builder *b, wbi_stage *st, const wbi_df_instr *in)
{
    /* every value sees the environment as it was before this instruction */
    size_t n = in->n_kvs;
    char **keys = calloc(n, sizeof *keys), **vals = calloc(n, sizeof *vals);
    int ret = keys && vals ? 0 : wb_error_oom(b->err);
    for (size_t i = 0; i < n && ret == 0; i++) {
        ret = expand(b, st, in, in->kvs[i].key, true, &keys[i]);
        if (ret == 0)
            ret = expand(b, st, in, in->kvs[i].value, true, &vals[i]);
        if (ret == 0 && (!keys[i][0] || strchr(keys[i], '=')))
            ret = wbi_build_error(b, in, "ENV: invalid name \"%s\"", keys[i]);
    }
    for (size_t i = 0; i < n && ret == 0; i++) {
        json_t *env = cfg_child(st, "Env", true);
        size_t kl = strlen(keys[i]), j;
        json_t *e;
        char *kv = wbi_strdup_printf("%s=%s", keys[i], vals[i]);
        if (!kv) {
            ret = wb_error_oom(b->err);
            break;
        }
        bool replaced = false;
        json_array_foreach(env, j, e)
        {
            const char *s = json_string_value(e);
            if (s && !strncmp(s, keys[i], kl) && s[kl] == '=') {
                json_array_set_new(env, j, json_string(kv));
                replaced = true;
                break;
            }
        }
        if (!replaced)
            json_array_append_new(env, json_string(kv));
        free(kv);
    }
    for (size_t i = 0; i < n; i++) {
        if (keys)
            free(keys[i]);
        if (vals)
            free(vals[i]);
    }
    free(keys);
    free(vals);
    return ret;
}

static int do_label(wbi_builder *b, wbi_stage *st, const wbi_df_instr *in)
{
    for (size_t i = 0; i < in->n_kvs; i++) {
        _cleanup_free_ char *k = NULL;
        _cleanup_free_ char *v = NULL;
        if (expand(b, st, in, in->kvs[i].key, true, &k) < 0 ||
            expand(b, st, in, in->kvs[i].value, true, &v) < 0)
            return -1;
        if (!k[0])
            return wbi_build_error(b, in, "LABEL: empty key");
        json_object_set_new(cfg_child(st, "Labels", false), k, json_string(v));
    }
    return 0;
}

static int do_arg(wbi_builder *b, wbi_stage *st, const wbi_df_instr *in)
{
    wbi_vars *scope = st ? &st->args : &b->global_args;
    for (size_t i = 0; i < in->n_kvs; i++) {
        const char *name = in->kvs[i].key;
        const char *given = build_arg(b, name);
        _cleanup_free_ char *def = NULL;
        if (!given && in->kvs[i].value && expand(b, st, in, in->kvs[i].value, true, &def) < 0)
            return -1;
        const char *value = given ? given : def;
        if (!value && st) {
            bool declared;
            value = wbi_vars_get(&b->global_args, name, &declared);
        }
        if (wbi_vars_set(scope, name, value, b->err) < 0)
            return -1;
    }
    return 0;
}

static int do_workdir(wbi_builder *b, wbi_stage *st, const wbi_df_instr *in)
{
    _cleanup_free_ char *dir = NULL;
    if (expand(b, st, in, in->words[0], true, &dir) < 0)
        return -1;
    const char *cur = wbi_json_str(cfg(st), "WorkingDir");
    char joined[PATH_MAX], clean[PATH_MAX];
    snprintf(joined, sizeof joined, "%s/%s", dir[0] == '/' || !cur ? "" : cur, dir);
    if (wbi_path_clean(joined, clean, sizeof clean, b->err) < 0)
        return wbi_build_prefix(b, in, b->err);
    char abs[PATH_MAX + 1];
    snprintf(abs, sizeof abs, "/%s", clean);
    json_object_set_new(cfg(st), "WorkingDir", json_string(abs));
    return 0;
}

static int do_user(wbi_builder *b, wbi_stage *st, const wbi_df_instr *in)
{
    _cleanup_free_ char *user = NULL;
    if (expand(b, st, in, in->words[0], true, &user) < 0)
        return -1;
    json_object_set_new(cfg(st), "User", json_string(user));
    return 0;
}

static bool port_valid(const char *p)
{
    /* 80, 80/tcp, 53/udp, 8000-8010/sctp */
    size_t n = strspn(p, "0123456789");
    if (n == 0 || n > 5 || atoi(p) > 65535)
        return false;
    p += n;
    if (*p == '-') {
        size_t m = strspn(p + 1, "0123456789");
        if (m == 0 || m > 5 || atoi(p + 1) > 65535)
            return false;
        p += m + 1;
    }
    return !*p || !strcasecmp(p, "/tcp") || !strcasecmp(p, "/udp") || !strcasecmp(p, "/sctp");
}

static int do_expose(wbi_builder *b, wbi_stage *st, const wbi_df_instr *in)
{
    for (char **w = in->words; *w; w++) {
        _cleanup_free_ char *port = NULL;
        if (expand(b, st, in, *w, true, &port) < 0)
            return -1;
        if (!port_valid(port))
            return wbi_build_error(b, in, "EXPOSE: invalid port \"%s\" (write PORT[/tcp|/udp])",
                                   port);
        char key[64];
        snprintf(key, sizeof key, "%s%s", port, strchr(port, '/') ? "" : "/tcp");
        for (char *c = key; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        json_object_set_new(cfg_child(st, "ExposedPorts", false), key, json_object());
    }
    return 0;
}

static int do_command(wbi_builder *b, wbi_stage *st, const wbi_df_instr *in)
{
    if (!in->json)
        return wbi_build_error(b, in,
                               "%s in shell form needs /bin/sh, which a wasm image does not have; "
                               "use the exec form: %s [\"/app.wasm\", \"arg\"]",
                               in->keyword, in->keyword);
    json_t *argv = json_array();
    for (char **w = in->words; *w; w++)
        json_array_append_new(argv, json_string(*w));
    bool entry = in->kind == DF_ENTRYPOINT;
    json_object_set_new(cfg(st), entry ? "Entrypoint" : "Cmd", argv);
    if (entry && !st->cmd_set)
        json_object_del(cfg(st), "Cmd"); /* docker: ENTRYPOINT resets an inherited CMD */
    if (!entry)
        st->cmd_set = true;
    return 0;
}

/* ---- COPY / ADD ---- */

typedef struct copy_flags {
    char *from;
    char *chown;
    char *chmod;
} copy_flags;

static int parse_copy_flags(wbi_builder *b, wbi_stage *st, const wbi_df_instr *in, copy_flags *f)
{
    for (char **fl = in->flags; fl && *fl; fl++) {
        const char *name = *fl + 2, *eq = strchr(name, '=');
        size_t n = eq ? (size_t)(eq - name) : strlen(name);
        char **slot = NULL;
        if (n == 4 && !strncmp(name, "from", 4) && in->kind == DF_COPY)
            slot = &f->from;
        else if (n == 5 && !strncmp(name, "chown", 5))
            slot = &f->chown;
        else if (n == 5 && !strncmp(name, "chmod", 5))
            slot = &f->chmod;
        else if (n == 4 && !strncmp(name, "link", 4))
            continue; /* every layer here is independent of the ones below */
        else
            return wbi_build_error(b, in, "%s: unsupported flag %s", in->keyword, *fl);
        if (!eq || !eq[1])
            return wbi_build_error(b, in, "%s: flag %s needs a value", in->keyword, *fl);
        free(*slot);
        *slot = NULL;
        if (expand(b, st, in, eq + 1, true, slot) < 0)
            return -1;
    }
    return 0;
}

static int parse_chown(wbi_builder *b, const wbi_df_instr *in, const char *s, unsigned *uid,
                       unsigned *gid)
{
    char *end;
    unsigned long u = strtoul(s, &end, 10), g;
    if (end == s || (*end && *end != ':'))
        goto names;
    g = u;
    if (*end == ':') {
        const char *gs = end + 1;
        g = strtoul(gs, &end, 10);
        if (end == gs || *end)
            goto names;
    }
    if (u > 0x7fffffff || g > 0x7fffffff)
        return wbi_build_error(b, in, "--chown=%s: ID out of range", s);
    *uid = (unsigned)u;
    *gid = (unsigned)g;
    return 0;
names:
    return wbi_build_error(
        b, in,
        "--chown=%s: use numeric IDs (UID[:GID]); a wasm image has no /etc/passwd "
        "to look names up in",
        s);
}

/* The tree a COPY reads from: the context, an earlier stage, or a store image. */
static int copy_root(wbi_builder *b, wbi_stage *st, const wbi_df_instr *in, const char *from,
                     wbi_copy *c)
{
    if (!from) {
        c->root = b->context;
        c->ignore = &b->ignore;
        c->from_context = true;
        return 0;
    }
    wbi_stage *src = wbi_stage_find(b, from, st->index);
    if (src) {
        if (wbi_stage_build(b, src, b->err) < 0)
            return -1;
        if (wbi_stage_rootfs(b, src, &c->root, b->err) < 0)
            return wbi_build_prefix(b, in, b->err);
        return 0;
    }
    if (wbi_image_rootfs(b, from, &c->root, b->err) < 0)
        return wb_error_prefix(b->err, "%s:%d: COPY --from=%s", b->df.name, in->line, from);
    return 0;
}

static int write_layer(wbi_builder *b, wbi_stage *st, wbi_fslist *files, wb_error *err)
{
    wbi_layer_out lo;
    if (wbi_layer_write(&b->txn, files, b->epoch >= 0 ? b->epoch : 0, &lo, err) < 0)
        return -1;
    json_t *desc = json_pack("{s:s, s:s, s:I}", "mediaType", WBI_MT_OCI_LAYER_GZ, "digest",
                             lo.digest, "size", (json_int_t)lo.size);
    json_t *diff_ids = json_object_get(json_object_get(st->config, "rootfs"), "diff_ids");
    if (!desc || !json_is_array(diff_ids)) {
        json_decref(desc);
        return wb_error_oom(err);
    }
    json_array_append_new(st->layers, desc);
    json_array_append_new(diff_ids, json_string(lo.diff_id));
    return 0;
}

static int do_copy(wbi_builder *b, wbi_stage *st, const wbi_df_instr *in, bool squash)
{
    copy_flags f = {0};
    wbi_copy c = {.chmod = -1, .add = in->kind == DF_ADD};
    char **words = NULL;
    size_t n = 0;
    wbi_fslist files = {0};
    int ret = parse_copy_flags(b, st, in, &f);
    while (ret == 0 && in->words[n])
        n++;
    if (ret == 0 && !(words = calloc(n + 1, sizeof *words)))
        ret = wb_error_oom(b->err);
    for (size_t i = 0; ret == 0 && i < n; i++)
        ret = expand(b, st, in, in->words[i], !in->json, &words[i]);
    if (ret == 0 && f.chown)
        ret = parse_chown(b, in, f.chown, &c.uid, &c.gid);
    if (ret == 0 && f.chmod) {
        char *end;
        long m = strtol(f.chmod, &end, 8);
        if (*end || end == f.chmod || m < 0 || m > 07777)
            ret = wbi_build_error(b, in, "--chmod=%s: not an octal mode", f.chmod);
        c.chmod = (int)m;
    }
    if (ret == 0)
        ret = copy_root(b, st, in, f.from, &c);
    char dest[PATH_MAX + 2];
    if (ret == 0) {
        const char *d = words[n - 1], *wd = wbi_json_str(cfg(st), "WorkingDir");
        if (d[0] == '/')
            snprintf(dest, sizeof dest, "%s", d);
        else
            snprintf(dest, sizeof dest, "%s/%s", wd ? wd : "", d);
        c.dest = dest;
        free(words[n - 1]);
        words[n - 1] = NULL;
        c.sources = words;
        if (wbi_copy_collect(b, &c, &files, b->err) < 0)
            ret = wbi_build_prefix(b, in, b->err);
    }
    if (ret == 0)
        ret = wbi_fslist_extend(&st->files, &files, b->err);
    if (ret == 0 && squash)
        ret = wbi_fslist_extend(&st->pending, &files, b->err);
    else if (ret == 0 && write_layer(b, st, &files, b->err) < 0)
        ret = wbi_build_prefix(b, in, b->err);
    if (ret == 0)
        ret = add_history(b, st, in, squash);
    wbi_fslist_free(&files);
    for (size_t i = 0; words && i < n; i++)
        free(words[i]);
    free(words);
    free(f.from);
    free(f.chown);
    free(f.chmod);
    return ret;
}

/* ---- stages ---- */

wbi_stage *wbi_stage_find(wbi_builder *b, const char *name, size_t before)
{
    char *end;
    unsigned long idx = strtoul(name, &end, 10);
    if (*name && !*end && idx < before)
        return &b->stages[idx];
    for (size_t i = 0; i < before; i++)
        if (b->stages[i].name && !strcasecmp(b->stages[i].name, name))
            return &b->stages[i];
    return NULL;
}

static int refuse_unsupported(wbi_builder *b, const wbi_stage *st)
{
    for (size_t i = st->from + 1; i < st->end; i++) {
        const wbi_df_instr *in = &b->df.v[i];
        if (in->kind != DF_UNSUPPORTED)
            continue;
        if (!strcmp(in->keyword, "RUN"))
            return wbi_build_error(
                b, in,
                "RUN is not supported: a wasm image is assembled, not executed "
                "(build the .wasm outside, e.g. cargo build --target wasm32-wasi, "
                "and COPY it in)");
        return wbi_build_error(b, in, "%s is not supported in a wasm image", in->keyword);
    }
    return 0;
}

static int do_from(wbi_builder *b, wbi_stage *st, const wbi_df_instr *in)
{
    for (char **fl = in->flags; fl && *fl; fl++) {
        if (strncmp(*fl, "--platform=", 11))
            return wbi_build_error(b, in, "FROM: unsupported flag %s", *fl);
        _cleanup_free_ char *p = NULL;
        if (expand(b, NULL, in, *fl + 11, true, &p) < 0)
            return -1;
        if (strcmp(p, "wasi/wasm") && strcmp(p, "wasip1/wasm"))
            return wbi_build_error(b, in,
                                   "FROM --platform=%s: wasmbox builds wasi/wasm images only", p);
    }
    _cleanup_free_ char *base = NULL;
    if (expand(b, NULL, in, in->words[0], true, &base) < 0)
        return -1;
    if (!base[0])
        return wbi_build_error(b, in, "FROM: empty image name");
    if (!strcmp(base, "scratch")) {
        st->config = empty_config();
        st->layers = json_array();
        return st->config && st->layers ? 0 : wb_error_oom(b->err);
    }
    wbi_stage *src = wbi_stage_find(b, base, st->index);
    if (src && !isdigit((unsigned char)base[0])) {
        if (wbi_stage_build(b, src, b->err) < 0)
            return -1;
        st->config = json_deep_copy(src->config);
        st->layers = json_deep_copy(src->layers);
        if (!st->config || !st->layers || wbi_fslist_extend(&st->files, &src->files, b->err) < 0)
            return wb_error_oom(b->err);
        st->cmd_set = false;
        return 0;
    }
    if (wbi_stage_from_image(b, st, base, b->err) < 0)
        return wbi_build_prefix(b, in, b->err);
    return 0;
}

static void progress(wbi_builder *b, const wbi_stage *st, const wbi_df_instr *in)
{
    FILE *f = b->opts->progress;
    if (!f)
        return;
    if (st->name)
        fprintf(f, "STEP %zu [%s]: %s\n", ++b->step, st->name, in->text);
    else
        fprintf(f, "STEP %zu: %s\n", ++b->step, in->text);
    fflush(f);
}

static bool is_target(wbi_builder *b, const wbi_stage *st);

int wbi_stage_build(wbi_builder *b, wbi_stage *st, wb_error *err)
{
    (void)err;
    if (st->state == 2)
        return 0;
    if (st->state == 1)
        return wbi_build_error(b, &b->df.v[st->from], "stage refers to itself");
    st->state = 1;
    if (refuse_unsupported(b, st) < 0)
        return -1;
    const wbi_df_instr *from = &b->df.v[st->from];
    progress(b, st, from);
    if (do_from(b, st, from) < 0)
        return -1;
    bool squash = b->opts->squash && is_target(b, st);
    for (size_t i = st->from + 1; i < st->end; i++) {
        const wbi_df_instr *in = &b->df.v[i];
        progress(b, st, in);
        int r = 0;
        bool history = true;
        switch (in->kind) {
        case DF_COPY:
        case DF_ADD:
            r = do_copy(b, st, in, squash);
            history = false; /* do_copy records its own */
            break;
        case DF_ENV:
            r = do_env(b, st, in);
            break;
        case DF_LABEL:
            r = do_label(b, st, in);
            break;
        case DF_ARG:
            r = do_arg(b, st, in);
            history = false;
            break;
        case DF_WORKDIR:
            r = do_workdir(b, st, in);
            break;
        case DF_USER:
            r = do_user(b, st, in);
            break;
        case DF_EXPOSE:
            r = do_expose(b, st, in);
            break;
        case DF_ENTRYPOINT:
        case DF_CMD:
            r = do_command(b, st, in);
            break;
        default:
            r = wbi_build_error(b, in, "unexpected %s", in->keyword);
        }
        if (r == 0 && history)
            r = add_history(b, st, in, true);
        if (r < 0)
            return -1;
    }
    st->state = 2;
    return 0;
}

static bool is_target(wbi_builder *b, const wbi_stage *st)
{
    return st == b->target;
}

/* ---- the build ---- */

static int split_stages(wbi_builder *b)
{
    for (size_t i = 0; i < b->df.n; i++) {
        const wbi_df_instr *in = &b->df.v[i];
        if (in->kind != DF_FROM) {
            if (b->n_stages == 0 && in->kind == DF_ARG && do_arg(b, NULL, in) < 0)
                return -1;
            continue;
        }
        wbi_stage *v = realloc(b->stages, (b->n_stages + 1) * sizeof *v);
        if (!v)
            return wb_error_oom(b->err);
        b->stages = v;
        wbi_stage *st = &v[b->n_stages];
        memset(st, 0, sizeof *st);
        st->index = b->n_stages++;
        st->from = i;
        if (in->words[1]) {
            const char *name = in->words[2];
            if (!isalpha((unsigned char)name[0]) ||
                strspn(name, "abcdefghijklmnopqrstuvwxyz"
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != strlen(name))
                return wbi_build_error(b, in, "invalid stage name \"%s\"", name);
            for (size_t j = 0; j + 1 < b->n_stages; j++)
                if (b->stages[j].name && !strcasecmp(b->stages[j].name, name))
                    return wbi_build_error(b, in, "duplicate stage name \"%s\"", name);
            if (!(st->name = strdup(name)))
                return wb_error_oom(b->err);
            for (char *c = st->name; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        }
    }
    for (size_t i = 0; i < b->n_stages; i++)
        b->stages[i].end = i + 1 < b->n_stages ? b->stages[i + 1].from : b->df.n;
    return 0;
}

/* Builds' automatic platform ARGs (BuildKit's), available to FROM and to stages that
 * declare them. */
static int platform_args(wbi_builder *b)
{
    static const char *const kv[][2] = {
        {"TARGETPLATFORM", "wasi/wasm"},
        {"TARGETOS", "wasi"},
        {"TARGETARCH", "wasm"},
        {"TARGETVARIANT", ""},
#if defined(__x86_64__)
        {"BUILDPLATFORM", "linux/amd64"},
        {"BUILDOS", "linux"},
        {"BUILDARCH", "amd64"},
#elif defined(__aarch64__)
        {"BUILDPLATFORM", "linux/arm64"},
        {"BUILDOS", "linux"},
        {"BUILDARCH", "arm64"},
#endif
    };
    for (size_t i = 0; i < sizeof kv / sizeof *kv; i++)
        if (wbi_vars_set(&b->global_args, kv[i][0], kv[i][1], b->err) < 0)
            return -1;
    return 0;
}

static int read_build_args(wbi_builder *b)
{
    size_t n = 0;
    for (const char **a = b->opts->build_args; a && *a; a++)
        n++;
    b->build_arg_used = calloc(n + 1, sizeof *b->build_arg_used);
    if (!b->build_arg_used)
        return wb_error_oom(b->err);
    for (const char **a = b->opts->build_args; a && *a; a++) {
        const char *eq = strchr(*a, '=');
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(eq ? eq - *a : (long)strlen(*a)), *a);
        const char *value = eq ? eq + 1 : getenv(name);
        if (!name[0])
            return wb_error_set(b->err, "--build-arg \"%s\": empty name", *a);
        if (value && wbi_vars_set(&b->build_args, name, value, b->err) < 0)
            return -1;
    }
    return 0;
}

static int read_dockerfile(wbi_builder *b)
{
    const char *given = b->opts->dockerfile;
    _cleanup_free_ char *path = NULL;
    if (given) {
        path = strdup(given);
    } else {
        path = wbi_strdup_printf("%s/Dockerfile", b->context);
        if (path && access(path, F_OK) < 0) {
            free(path);
            path = wbi_strdup_printf("%s/Containerfile", b->context);
            if (path && access(path, F_OK) < 0)
                return wb_error_set(b->err, "no Dockerfile or Containerfile in %s",
                                    b->opts->context);
        }
    }
    if (!path)
        return wb_error_oom(b->err);
    _cleanup_free_ char *text = NULL;
    size_t len;
    if (wbi_read_file(path, 4u << 20, &text, &len, b->err) < 0)
        return -1;
    const char *slash = strrchr(path, '/');
    return wbi_dockerfile_parse(text, len, slash ? slash + 1 : path, &b->df, b->err);
}

static int read_dockerignore(wbi_builder *b)
{
    _cleanup_free_ char *path = wbi_strdup_printf("%s/.dockerignore", b->context);
    _cleanup_free_ char *text = NULL;
    if (!path)
        return wb_error_oom(b->err);
    if (access(path, F_OK) < 0)
        return 0;
    if (wbi_read_file(path, 1u << 20, &text, NULL, b->err) < 0)
        return -1;
    return wbi_ignore_parse(text, &b->ignore, b->err);
}

static int start(wbi_builder *b)
{
    const char *ctx = b->opts->context;
    struct stat st;
    if (!ctx || stat(ctx, &st) < 0 || !S_ISDIR(st.st_mode))
        return wb_error_set(b->err, "build context \"%s\" is not a directory", ctx ? ctx : "");
    if (!(b->context = realpath(ctx, NULL)))
        return wb_error_errno(b->err, errno, "build context %s", ctx);
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    b->epoch = -1;
    if (sde && *sde) {
        char *end;
        long long v = strtoll(sde, &end, 10);
        if (*end || v < 0)
            return wb_error_set(b->err, "SOURCE_DATE_EPOCH=\"%s\" is not a number of seconds", sde);
        b->epoch = v;
    }
    if (read_dockerfile(b) < 0 || read_dockerignore(b) < 0 || read_build_args(b) < 0 ||
        platform_args(b) < 0 || split_stages(b) < 0)
        return -1;
    b->target = &b->stages[b->n_stages - 1];
    if (b->opts->target) {
        b->target = NULL;
        for (size_t i = 0; i < b->n_stages && !b->target; i++)
            if (b->stages[i].name && !strcasecmp(b->stages[i].name, b->opts->target))
                b->target = &b->stages[i];
        if (!b->target)
            return wb_error_set(b->err, "target stage \"%s\" could not be found", b->opts->target);
    }
    return wbi_txn_begin(b->store, &b->txn, b->err);
}

static void builder_free(wbi_builder *b)
{
    for (size_t i = 0; i < b->n_stages; i++) {
        wbi_stage *st = &b->stages[i];
        free(st->name);
        json_decref(st->config);
        json_decref(st->layers);
        wbi_fslist_free(&st->files);
        wbi_fslist_free(&st->pending);
        free(st->rootfs);
        wbi_vars_free(&st->args);
    }
    free(b->stages);
    if (b->txn.store)
        wbi_txn_end(&b->txn);
    wbi_dockerfile_free(&b->df);
    wbi_vars_free(&b->global_args);
    wbi_vars_free(&b->build_args);
    wbi_vars_free(&b->image_roots);
    free(b->build_arg_used);
    free(b->context);
    wbi_ignore_free(&b->ignore);
}

static void warn_unused_args(wbi_builder *b)
{
    FILE *f = b->opts->warnings;
    for (size_t i = 0; f && i < b->build_args.n; i++)
        if (!b->build_arg_used[i])
            fprintf(f, "warning: build-arg %s was not consumed by any ARG\n",
                    b->build_args.v[i].name);
}

int wb_image_build(wb_image_store *store, const wb_build_options *opts, wb_image_ref *out,
                   wb_error *err)
{
    wbi_builder b = {.store = store, .opts = opts, .err = err};
    int ret = start(&b);
    if (ret == 0)
        ret = wbi_stage_build(&b, b.target, err);
    if (ret == 0 && b.target->pending.n) {
        static const wbi_df_instr squashed = {
            .line = 0, .keyword = "", .text = "squashed layer (wasmbox build --squash)"};
        ret = write_layer(&b, b.target, &b.target->pending, err);
        if (ret < 0)
            wb_error_prefix(err, "--squash");
        else
            ret = add_history(&b, b.target, &squashed, false);
    }
    if (ret == 0)
        ret = wbi_check_entrypoint(&b, b.target, err);
    if (ret == 0)
        ret = wbi_build_finish(&b, b.target, out, err);
    if (ret == 0)
        warn_unused_args(&b);
    builder_free(&b);
    return ret;
}
