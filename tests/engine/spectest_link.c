/*
 * spectest_link.c — the `spectest` host module and import resolution.
 *
 * Tests import from a module called "spectest", defined by the reference
 * interpreter (interpreter/host/spectest.ml); the table in the testsuite README
 * lists its exports, and every file gets a fresh set in its own store. Modules that
 * a `register` command named are importable too, through their exports.
 *
 * Resolution here is only by name: the engine gets whatever object the name
 * denotes, and it is the engine's job (wb_instance_new) to reject a wrong kind or
 * type with "incompatible import type". A name nobody provides cannot be passed to
 * the engine at all, so the harness reports "unknown import" itself, as an
 * embedder's linker would.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "spectest.h"

typedef struct print_desc {
    const char *name;
    uint32_t nparams;
    uint8_t params[2];
} print_desc;

static const print_desc prints[7] = {
    {"print", 0, {0, 0}},
    {"print_i32", 1, {WB_I32, 0}},
    {"print_i64", 1, {WB_I64, 0}},
    {"print_f32", 1, {WB_F32, 0}},
    {"print_f64", 1, {WB_F64, 0}},
    {"print_i32_f32", 2, {WB_I32, WB_F32}},
    {"print_f64_f64", 2, {WB_F64, WB_F64}},
};

/* The spectest print functions: the output is never checked, so it is shown only
 * with -v. */
static wb_trap *host_print(wb_caller *caller, void *env, wb_val *slots)
{
    const print_desc *d = env;
    (void)caller;
    if (st_opt.verbosity <= 0)
        return NULL;
    printf("  spectest.%s(", d->name);
    for (uint32_t i = 0; i < d->nparams; i++) {
        char buf[96];
        st_value_format(d->params[i], slots[i], buf, sizeof buf);
        printf("%s%s", i ? ", " : "", buf);
    }
    printf(")\n");
    return NULL;
}

static int make_globals(st_file *f, wb_error *err)
{
    st_host *h = &f->host;
    if (wb_global_new(f->store, WB_I32, false, 666, &h->global_i32, err) < 0 ||
        wb_global_new(f->store, WB_I64, false, 666, &h->global_i64, err) < 0 ||
        wb_global_new(f->store, WB_F32, false, 0x4426a666u, &h->global_f32, err) < 0 ||
        wb_global_new(f->store, WB_F64, false, 0x4084d4cccccccccdull, &h->global_f64, err) < 0)
        return wb_error_prefix(err, "spectest globals");
    return 0;
}

int st_host_init(st_file *f, wb_error *err)
{
    st_host *h = &f->host;
    memset(h, 0, sizeof *h);
    for (size_t i = 0; i < 7; i++) {
        wb_functype type = {prints[i].nparams, 0, prints[i].params, NULL};
        if (wb_func_new_host(f->store, &type, host_print, (void *)&prints[i], &h->print[i],
                             err) < 0)
            return wb_error_prefix(err, "spectest.%s", prints[i].name);
    }
    if (make_globals(f, err) < 0)
        return -1;
    if (wb_table_new(f->store, WB_FUNCREF, 10, 20, true, &h->table, err) < 0)
        return wb_error_prefix(err, "spectest.table");
    if (wb_memory_new(f->store, 1, 2, true, &h->memory, err) < 0)
        return wb_error_prefix(err, "spectest.memory");
    return 0;
}

static bool name_is(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* The spectest module's export called (name, n), if any. */
static bool host_export(const st_host *h, const char *name, size_t n, wb_extern *out)
{
    for (size_t i = 0; i < 7; i++) {
        if (name_is(name, n, prints[i].name)) {
            *out = (wb_extern){.kind = WB_EXTERN_FUNC, .of.func = h->print[i]};
            return true;
        }
    }
    const struct {
        const char *name;
        wb_global *g;
    } globals[] = {{"global_i32", h->global_i32},
                   {"global_i64", h->global_i64},
                   {"global_f32", h->global_f32},
                   {"global_f64", h->global_f64}};
    for (size_t i = 0; i < 4; i++) {
        if (name_is(name, n, globals[i].name)) {
            *out = (wb_extern){.kind = WB_EXTERN_GLOBAL, .of.global = globals[i].g};
            return true;
        }
    }
    if (name_is(name, n, "table")) {
        *out = (wb_extern){.kind = WB_EXTERN_TABLE, .of.table = h->table};
        return true;
    }
    if (name_is(name, n, "memory")) {
        *out = (wb_extern){.kind = WB_EXTERN_MEMORY, .of.memory = h->memory};
        return true;
    }
    return false;
}

/* The newest registration wins, as in the reference interpreter's registry. */
static wb_instance *find_registered(const st_file *f, const char *name, size_t n)
{
    for (size_t i = f->nregistered; i-- > 0;) {
        const st_registered *r = &f->registered[i];
        if (r->as_len == n && memcmp(r->as, name, n) == 0)
            return r->inst;
    }
    return NULL;
}

static int resolve_one(st_file *f, const wb_import_desc *d, wb_extern *out, wb_error *err)
{
    wb_instance *inst = find_registered(f, d->module, d->module_len);
    bool found;
    if (inst)
        found = wb_instance_export(inst, d->name, d->name_len, out);
    else if (name_is(d->module, d->module_len, "spectest"))
        found = host_export(&f->host, d->name, d->name_len, out);
    else
        found = false;
    if (found)
        return 0;
    char mod[128], name[128];
    st_name_format(d->module, d->module_len, mod, sizeof mod);
    st_name_format(d->name, d->name_len, name, sizeof name);
    return wb_error_set(err, "unknown import %s.%s", mod, name);
}

int st_resolve_imports(st_file *f, const wb_module *m, wb_extern **out, wb_error *err)
{
    uint32_t n = wb_module_import_count(m);
    *out = NULL;
    if (n == 0)
        return 0;
    wb_extern *ext = calloc(n, sizeof *ext);
    if (!ext)
        return wb_error_oom(err);
    for (uint32_t i = 0; i < n; i++) {
        wb_import_desc d;
        wb_module_import(m, i, &d);
        if (resolve_one(f, &d, &ext[i], err) < 0) {
            free(ext);
            return -1;
        }
    }
    *out = ext;
    return 0;
}
