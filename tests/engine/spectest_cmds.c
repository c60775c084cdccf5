/*
 * spectest_cmds.c — one function per command type of the testsuite's JSON.
 *
 * Each command ends in exactly one st_report() call, so counting stays honest:
 * assert_* commands count as passed, failed or skipped; module/register/action
 * commands are not assertions and count only when they fail (everything after a
 * failed `module` is meaningless, so the failure must show up in the total).
 *
 * The failure classes are kept apart, since passing the wrong way is not passing:
 * a malformed module must fail in decoding (engine message begins "malformed"), an
 * invalid one in validation ("invalid"), an unlinkable one at instantiation without
 * a trap, an uninstantiable one with a trap; assert_trap compares the trap's text
 * with the expected text as a prefix (the reference interpreter's rule), and
 * assert_exhaustion wants WB_TRAP_STACK_EXHAUSTED.
 *
 * State rules (README "State rules a harness needs"): the current module is the
 * last `module` that instantiated; a failed `module` leaves no current module, so
 * later actions fail loudly instead of running against a stale instance.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "spectest.h"

#define WHY_MAX 640

/* ---- small helpers ------------------------------------------------------------- */

static const char *jstr(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static bool starts_with(const char *s, const char *prefix)
{
    return s && prefix && strncmp(s, prefix, strlen(prefix)) == 0;
}

static int read_binary(const char *path, uint8_t **out, size_t *len, wb_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return wb_error_errno(err, errno, "open %s", path);
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, fp);
        if (n < cap)
            break;
        uint8_t *bigger = realloc(buf, cap * 2);
        if (!bigger)
            free(buf);
        buf = bigger;
        cap *= 2;
    }
    bool failed = ferror(fp);
    fclose(fp);
    if (!buf)
        return wb_error_oom(err);
    if (failed) {
        free(buf);
        return wb_error_set(err, "read %s failed", path);
    }
    *out = buf;
    *len = n;
    return 0;
}

static int keep_module(st_file *f, wb_module *m, wb_error *err)
{
    if (f->nmodules == f->modules_cap) {
        size_t cap = f->modules_cap ? f->modules_cap * 2 : 16;
        wb_module **mods = realloc(f->modules, cap * sizeof *mods);
        if (!mods) {
            wb_module_free(m);
            return wb_error_oom(err);
        }
        f->modules = mods;
        f->modules_cap = cap;
    }
    f->modules[f->nmodules++] = m;
    return 0;
}

/* ---- loading modules ---------------------------------------------------------- */

typedef enum st_stage {
    ST_STAGE_OK,
    ST_STAGE_IO,             /* the harness could not read the file */
    ST_STAGE_MALFORMED,      /* wb_module_new: "malformed ..." */
    ST_STAGE_INVALID,        /* wb_module_new: "invalid ..." */
    ST_STAGE_SIMD,           /* "SIMD not supported yet" under --expect-simd-rejected */
    ST_STAGE_COMPILE_OTHER,  /* wb_module_new failed with neither prefix */
    ST_STAGE_UNKNOWN_IMPORT, /* no one provides an import (harness resolution) */
    ST_STAGE_LINK,           /* wb_instance_new failed without a trap */
    ST_STAGE_TRAP,           /* wb_instance_new trapped */
} st_stage;

typedef struct st_load {
    st_stage stage;
    wb_module *module;       /* owned by st_file once compiled */
    wb_instance *inst;
    wb_trap *trap;           /* ST_STAGE_TRAP; freed by load_done() */
    bool timed_out;
    wb_error err;
} st_load;

static void load_done(st_load *l)
{
    if (l->trap)
        wb_trap_free(l->trap);
    l->trap = NULL;
}

static st_stage classify_compile_error(const char *msg)
{
    if (st_opt.simd_unsupported && strstr(msg, "SIMD not supported yet"))
        return ST_STAGE_SIMD;
    if (starts_with(msg, "malformed"))
        return ST_STAGE_MALFORMED;
    if (starts_with(msg, "invalid"))
        return ST_STAGE_INVALID;
    return ST_STAGE_COMPILE_OTHER;
}

static st_stage compile(st_file *f, const char *filename, st_load *l)
{
    memset(l, 0, sizeof *l);
    if (!filename) {
        wb_error_set(&l->err, "command has no filename");
        return l->stage = ST_STAGE_IO;
    }
    size_t plen = strlen(f->dir) + strlen(filename) + 2;
    _cleanup_free_ char *path = malloc(plen);
    _cleanup_free_ uint8_t *bytes = NULL;
    size_t len = 0;
    if (!path) {
        wb_error_oom(&l->err);
        return l->stage = ST_STAGE_IO;
    }
    snprintf(path, plen, "%s/%s", f->dir, filename);
    if (read_binary(path, &bytes, &len, &l->err) < 0)
        return l->stage = ST_STAGE_IO;
    if (wb_module_new(bytes, len, &l->module, &l->err) < 0)
        return l->stage = classify_compile_error(l->err.message);
    if (keep_module(f, l->module, &l->err) < 0)
        return l->stage = ST_STAGE_IO;
    return l->stage = ST_STAGE_OK;
}

static st_stage instantiate(st_file *f, st_load *l)
{
    _cleanup_free_ wb_extern *imports = NULL;
    if (st_resolve_imports(f, l->module, &imports, &l->err) < 0)
        return l->stage = ST_STAGE_UNKNOWN_IMPORT;
    st_watch_arm(f->store);
    int ret = wb_instance_new(f->store, l->module, imports, wb_module_import_count(l->module),
                              &l->inst, &l->trap, &l->err);
    bool fired = st_watch_disarm(f->store);
    if (ret >= 0)
        return l->stage = ST_STAGE_OK;
    if (!l->trap)
        return l->stage = ST_STAGE_LINK;
    l->timed_out = fired && l->trap->kind == WB_TRAP_INTERRUPTED;
    return l->stage = ST_STAGE_TRAP;
}

/* One line saying how a load ended, for failure reports. */
static void describe_load(const st_load *l, char *buf, size_t len)
{
    switch (l->stage) {
    case ST_STAGE_OK:
        snprintf(buf, len, "module was accepted and instantiated");
        break;
    case ST_STAGE_TRAP:
        if (l->timed_out)
            snprintf(buf, len, "instantiation timed out after %u ms", st_opt.timeout_ms);
        else
            snprintf(buf, len, "instantiation trapped: %s", l->trap->message);
        break;
    case ST_STAGE_IO:
        snprintf(buf, len, "harness error: %s", l->err.message);
        break;
    default:
        snprintf(buf, len, "%s", l->err.message);
        break;
    }
}

/* ---- named modules ---------------------------------------------------------------- */

static st_named *find_named(st_file *f, const char *name)
{
    for (size_t i = 0; i < f->nnamed; i++)
        if (strcmp(f->named[i].name, name) == 0)
            return &f->named[i];
    return NULL;
}

/* Binds name to inst (NULL when its module failed; simd when it was rejected as SIMD). */
static int bind_name(st_file *f, const char *name, wb_instance *inst, bool simd)
{
    st_named *n = find_named(f, name);
    if (!n) {
        if (f->nnamed == f->named_cap) {
            size_t cap = f->named_cap ? f->named_cap * 2 : 8;
            st_named *bigger = realloc(f->named, cap * sizeof *bigger);
            if (!bigger)
                return -1;
            f->named = bigger;
            f->named_cap = cap;
        }
        char *copy = strdup(name);
        if (!copy)
            return -1;
        n = &f->named[f->nnamed++];
        n->name = copy;
    }
    n->inst = inst;
    n->simd = simd;
    return 0;
}

/* ---- module and register ----------------------------------------------------------- */

static void cmd_module(st_file *f, json_t *cmd, int line, const char *type)
{
    const char *name = jstr(cmd, "name");
    char why[WHY_MAX];
    st_load l;
    if (compile(f, jstr(cmd, "filename"), &l) == ST_STAGE_OK)
        instantiate(f, &l);
    bool simd = l.stage == ST_STAGE_SIMD;
    f->current = l.stage == ST_STAGE_OK ? l.inst : NULL;
    f->current_simd = simd;
    if (name && bind_name(f, name, f->current, simd) < 0)
        st_report(f, line, type, ST_FAIL, "out of memory binding %s", name);
    else if (l.stage == ST_STAGE_OK)
        st_report(f, line, type, ST_QUIET_OK, "%s", jstr(cmd, "filename"));
    else if (simd)
        st_report(f, line, type, ST_SKIP, "rejected: %s", l.err.message);
    else {
        describe_load(&l, why, sizeof why);
        st_report(f, line, type, ST_FAIL, "%s: %s", jstr(cmd, "filename"), why);
    }
    load_done(&l);
}

static int add_registration(st_file *f, const char *as, size_t as_len, wb_instance *inst)
{
    if (f->nregistered == f->registered_cap) {
        size_t cap = f->registered_cap ? f->registered_cap * 2 : 8;
        st_registered *bigger = realloc(f->registered, cap * sizeof *bigger);
        if (!bigger)
            return -1;
        f->registered = bigger;
        f->registered_cap = cap;
    }
    char *copy = malloc(as_len + 1);
    if (!copy)
        return -1;
    memcpy(copy, as, as_len);
    copy[as_len] = '\0';
    f->registered[f->nregistered++] = (st_registered){copy, as_len, inst};
    return 0;
}

static void cmd_register(st_file *f, json_t *cmd, int line, const char *type)
{
    json_t *jas = json_object_get(cmd, "as");
    const char *name = jstr(cmd, "name");
    wb_instance *inst = f->current;
    bool simd = f->current_simd;
    if (name) {
        st_named *n = find_named(f, name);
        inst = n ? n->inst : NULL;
        simd = n && n->simd;
    }
    if (!json_is_string(jas))
        st_report(f, line, type, ST_FAIL, "no \"as\" name");
    else if (!inst && simd)
        st_report(f, line, type, ST_SKIP, "module was rejected as SIMD");
    else if (!inst)
        st_report(f, line, type, ST_FAIL, "no module %s to register", name ? name : "(current)");
    else if (add_registration(f, json_string_value(jas), json_string_length(jas), inst) < 0)
        st_report(f, line, type, ST_FAIL, "out of memory");
    else
        st_report(f, line, type, ST_QUIET_OK, "as \"%s\"", json_string_value(jas));
}

/* ---- actions ---------------------------------------------------------------------- */

typedef struct st_call {
    wb_trap *trap;
    bool timed_out;
    uint32_t nresults;
    const uint8_t *types;    /* result types */
    uint8_t global_type;     /* storage for `get` */
    wb_val *results;         /* malloc'd [nresults] */
    char what[160];          /* "invoke \"add\"", for messages */
} st_call;

static void call_done(st_call *c)
{
    if (c->trap)
        wb_trap_free(c->trap);
    free(c->results);
    memset(c, 0, sizeof *c);
}

enum { ACT_RAN = 0, ACT_ERROR = -1, ACT_SKIP = 1 };

/* The instance an action targets. Returns ACT_RAN with *out, or ACT_SKIP / ACT_ERROR. */
static int target(st_file *f, json_t *action, wb_instance **out, char *why, size_t whylen)
{
    const char *name = jstr(action, "module");
    if (name) {
        st_named *n = find_named(f, name);
        *out = n ? n->inst : NULL;
        if (!*out && n && n->simd)
            return ACT_SKIP;
        if (!*out)
            snprintf(why, whylen, "no instance named %s", name);
    } else {
        *out = f->current;
        if (!*out && f->current_simd)
            return ACT_SKIP;
        if (!*out)
            snprintf(why, whylen, "no current module (the last `module` failed)");
    }
    return *out ? ACT_RAN : ACT_ERROR;
}

static int parse_args(json_t *jargs, const wb_functype *ft, wb_val *args, char *why,
                      size_t whylen)
{
    if (json_array_size(jargs) != ft->nparams) {
        snprintf(why, whylen, "function takes %u arguments, JSON gives %zu", ft->nparams,
                 json_array_size(jargs));
        return -1;
    }
    for (uint32_t i = 0; i < ft->nparams; i++) {
        st_value v;
        if (st_value_parse(json_array_get(jargs, i), false, &v, why, whylen) < 0)
            return -1;
        if (v.type != ft->params[i]) {
            snprintf(why, whylen, "argument %u: function wants %s, JSON gives %s", i,
                     st_type_name(ft->params[i]), st_type_name(v.type));
            return -1;
        }
        args[i] = v.bits;
    }
    return 0;
}

static int invoke(st_file *f, wb_instance *inst, json_t *action, const char *field,
                  size_t field_len, st_call *c, char *why, size_t whylen)
{
    wb_extern ext;
    if (!wb_instance_export(inst, field, field_len, &ext) || ext.kind != WB_EXTERN_FUNC) {
        snprintf(why, whylen, "%s: no such exported function", c->what);
        return ACT_ERROR;
    }
    const wb_functype *ft = wb_func_type(ext.of.func);
    _cleanup_free_ wb_val *args = calloc(ft->nparams + 1, sizeof *args);
    c->results = calloc(ft->nresults + 1, sizeof *c->results);
    if (!args || !c->results) {
        snprintf(why, whylen, "out of memory");
        return ACT_ERROR;
    }
    if (parse_args(json_object_get(action, "args"), ft, args, why, whylen) < 0)
        return ACT_ERROR;
    c->nresults = ft->nresults;
    c->types = ft->results;
    st_watch_arm(f->store);
    c->trap = wb_func_call(f->store, ext.of.func, args, c->results);
    bool fired = st_watch_disarm(f->store);
    c->timed_out = fired && c->trap && c->trap->kind == WB_TRAP_INTERRUPTED;
    return ACT_RAN;
}

static int get_global(wb_instance *inst, const char *field, size_t field_len, st_call *c,
                      char *why, size_t whylen)
{
    wb_extern ext;
    if (!wb_instance_export(inst, field, field_len, &ext) || ext.kind != WB_EXTERN_GLOBAL) {
        snprintf(why, whylen, "%s: no such exported global", c->what);
        return ACT_ERROR;
    }
    c->results = calloc(1, sizeof *c->results);
    if (!c->results) {
        snprintf(why, whylen, "out of memory");
        return ACT_ERROR;
    }
    c->results[0] = wb_global_get(ext.of.global);
    c->global_type = (uint8_t)wb_global_type(ext.of.global);
    c->types = &c->global_type;
    c->nresults = 1;
    return ACT_RAN;
}

/* Performs the command's action. Returns ACT_RAN (c->trap may be set), ACT_SKIP
 * (its module was rejected as SIMD) or ACT_ERROR with why[] filled. */
static int perform(st_file *f, json_t *cmd, st_call *c, char *why, size_t whylen)
{
    json_t *action = json_object_get(cmd, "action");
    json_t *jfield = json_object_get(action, "field");
    const char *atype = jstr(action, "type");
    memset(c, 0, sizeof *c);
    if (!json_is_string(jfield) || !atype) {
        snprintf(why, whylen, "malformed action in JSON");
        return ACT_ERROR;
    }
    const char *field = json_string_value(jfield);
    size_t field_len = json_string_length(jfield);
    char name[96];
    st_name_format(field, field_len, name, sizeof name);
    snprintf(c->what, sizeof c->what, "%s \"%s\"", atype, name);
    wb_instance *inst;
    int ret = target(f, action, &inst, why, whylen);
    if (ret != ACT_RAN)
        return ret;
    if (strcmp(atype, "invoke") == 0)
        return invoke(f, inst, action, field, field_len, c, why, whylen);
    if (strcmp(atype, "get") == 0)
        return get_global(inst, field, field_len, c, why, whylen);
    snprintf(why, whylen, "unknown action type \"%s\"", atype);
    return ACT_ERROR;
}

static void describe_trap(const st_call *c, char *buf, size_t len)
{
    if (c->timed_out)
        snprintf(buf, len, "timed out after %u ms", st_opt.timeout_ms);
    else
        snprintf(buf, len, "trap \"%s\" (%s)", c->trap->message,
                 wb_trap_kind_text(c->trap->kind));
}

/* The reference interpreter's rule: the expected text is a prefix of the engine's. */
static bool trap_text_matches(const wb_trap *t, const char *text)
{
    return starts_with(t->message, text) || starts_with(wb_trap_kind_text(t->kind), text);
}

/* Runs the action, reporting ACT_ERROR and ACT_SKIP itself. Returns true when the
 * action ran and the caller must judge *c (and then call call_done). */
static bool run_action(st_file *f, json_t *cmd, int line, const char *type, st_call *c)
{
    char why[WHY_MAX];
    int ret = perform(f, cmd, c, why, sizeof why);
    if (ret == ACT_RAN)
        return true;
    if (ret == ACT_SKIP)
        st_report(f, line, type, ST_SKIP, "%s: module was rejected as SIMD", c->what);
    else
        st_report(f, line, type, ST_FAIL, "%s", why);
    call_done(c);
    return false;
}

static void cmd_action(st_file *f, json_t *cmd, int line, const char *type)
{
    st_call c;
    char why[WHY_MAX];
    if (!run_action(f, cmd, line, type, &c))
        return;
    if (c.trap) {
        describe_trap(&c, why, sizeof why);
        st_report(f, line, type, ST_FAIL, "%s: %s", c.what, why);
    } else {
        st_report(f, line, type, ST_QUIET_OK, "%s", c.what);
    }
    call_done(&c);
}

/* Compares results with `expected`; fills why[] and returns false on the first mismatch. */
static bool results_match(const st_call *c, json_t *expected, char *why, size_t whylen)
{
    if (json_array_size(expected) != c->nresults) {
        snprintf(why, whylen, "%s: expected %zu results, function has %u", c->what,
                 json_array_size(expected), c->nresults);
        return false;
    }
    for (uint32_t i = 0; i < c->nresults; i++) {
        st_value want;
        char ew[128], gw[128];
        if (st_value_parse(json_array_get(expected, i), true, &want, why, whylen) < 0)
            return false;
        if (st_value_matches(&want, c->types[i], c->results[i]))
            continue;
        st_expect_format(&want, ew, sizeof ew);
        st_value_format(c->types[i], c->results[i], gw, sizeof gw);
        snprintf(why, whylen, "%s: result %u: expected %s, got %s", c->what, i, ew, gw);
        return false;
    }
    return true;
}

static void cmd_assert_return(st_file *f, json_t *cmd, int line, const char *type)
{
    st_call c;
    char why[WHY_MAX];
    if (!run_action(f, cmd, line, type, &c))
        return;
    if (c.trap) {
        describe_trap(&c, why, sizeof why);
        st_report(f, line, type, ST_FAIL, "%s: expected results, got %s", c.what, why);
    } else if (!results_match(&c, json_object_get(cmd, "expected"), why, sizeof why)) {
        st_report(f, line, type, ST_FAIL, "%s", why);
    } else {
        st_report(f, line, type, ST_PASS, "%s", c.what);
    }
    call_done(&c);
}

/* assert_trap and assert_exhaustion. */
static void cmd_assert_trap(st_file *f, json_t *cmd, int line, const char *type)
{
    st_call c;
    char why[WHY_MAX];
    const char *text = jstr(cmd, "text");
    bool exhaustion = strcmp(type, "assert_exhaustion") == 0;
    if (!run_action(f, cmd, line, type, &c))
        return;
    if (!c.trap) {
        st_report(f, line, type, ST_FAIL, "%s: expected trap \"%s\", returned normally",
                  c.what, text ? text : "");
        call_done(&c);
        return;
    }
    bool ok = exhaustion ? c.trap->kind == WB_TRAP_STACK_EXHAUSTED
                         : trap_text_matches(c.trap, text);
    if (ok) {
        st_report(f, line, type, ST_PASS, "%s: %s", c.what, c.trap->message);
    } else {
        describe_trap(&c, why, sizeof why);
        st_report(f, line, type, ST_FAIL, "%s: expected trap \"%s\", got %s", c.what,
                  text ? text : "", why);
    }
    call_done(&c);
}

/* ---- module assertions -------------------------------------------------------------- */

/* assert_malformed and assert_invalid: decoding resp. validation must fail. */
static void cmd_assert_bad_module(st_file *f, json_t *cmd, int line, const char *type)
{
    const char *text = jstr(cmd, "text");
    const char *mtype = jstr(cmd, "module_type");
    bool malformed = strcmp(type, "assert_malformed") == 0;
    st_stage want = malformed ? ST_STAGE_MALFORMED : ST_STAGE_INVALID;
    char why[WHY_MAX];
    if (mtype && strcmp(mtype, "text") == 0) {
        st_report(f, line, type, ST_SKIP, "text module (no text-format parser)");
        return;
    }
    st_load l;
    compile(f, jstr(cmd, "filename"), &l);
    if (l.stage == ST_STAGE_SIMD) {
        st_report(f, line, type, ST_SKIP, "rejected as SIMD");
    } else if (l.stage != want) {
        describe_load(&l, why, sizeof why);
        st_report(f, line, type, ST_FAIL, "expected %s (\"%s\"), got: %s",
                  malformed ? "malformed" : "invalid", text ? text : "", why);
    } else if (st_opt.strict_text && text && !strstr(l.err.message, text)) {
        st_report(f, line, type, ST_FAIL, "expected text \"%s\", got: %s", text, l.err.message);
    } else {
        st_report(f, line, type, ST_PASS, "%s", l.err.message);
    }
    load_done(&l);
}

/* assert_unlinkable and assert_uninstantiable: the module compiles, instantiation fails. */
static void cmd_assert_bad_instance(st_file *f, json_t *cmd, int line, const char *type)
{
    const char *text = jstr(cmd, "text");
    bool unlinkable = strcmp(type, "assert_unlinkable") == 0;
    char why[WHY_MAX];
    st_load l;
    if (compile(f, jstr(cmd, "filename"), &l) == ST_STAGE_OK)
        instantiate(f, &l);
    bool ok;
    if (unlinkable)
        ok = (l.stage == ST_STAGE_LINK || l.stage == ST_STAGE_UNKNOWN_IMPORT) &&
             starts_with(l.err.message, text);
    else
        ok = l.stage == ST_STAGE_TRAP && !l.timed_out && trap_text_matches(l.trap, text);
    describe_load(&l, why, sizeof why);
    if (ok)
        st_report(f, line, type, ST_PASS, "%s", why);
    else if (l.stage == ST_STAGE_SIMD)
        st_report(f, line, type, ST_SKIP, "rejected as SIMD");
    else
        st_report(f, line, type, ST_FAIL, "expected %s \"%s\", got: %s",
                  unlinkable ? "link error" : "instantiation trap", text ? text : "", why);
    load_done(&l);
}

/* ---- dispatch ----------------------------------------------------------------------- */

static const struct {
    const char *type;
    void (*run)(st_file *f, json_t *cmd, int line, const char *type);
} commands[] = {
    {"module", cmd_module},
    {"register", cmd_register},
    {"action", cmd_action},
    {"assert_return", cmd_assert_return},
    {"assert_trap", cmd_assert_trap},
    {"assert_exhaustion", cmd_assert_trap},
    {"assert_invalid", cmd_assert_bad_module},
    {"assert_malformed", cmd_assert_bad_module},
    {"assert_unlinkable", cmd_assert_bad_instance},
    {"assert_uninstantiable", cmd_assert_bad_instance},
};

void st_run_command(st_file *f, json_t *cmd)
{
    const char *type = jstr(cmd, "type");
    int line = (int)json_integer_value(json_object_get(cmd, "line"));
    for (size_t i = 0; type && i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(commands[i].type, type) == 0) {
            commands[i].run(f, cmd, line, type);
            return;
        }
    }
    st_report(f, line, type ? type : "(no type)", ST_FAIL, "unknown command type");
}
