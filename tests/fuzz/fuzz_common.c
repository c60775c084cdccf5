/*
 * fuzz_common.c — import/export section reader and dummy-import instantiation for
 * the engine's fuzz targets (see fuzz_common.h for why the targets read sections
 * themselves).
 *
 * Every read is bounds-checked against the input; counts are checked against the
 * bytes left before anything is allocated, so a hostile count cannot make the
 * fuzzer itself allocate gigabytes.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#define FZ_MAX_TABLE 100000u /* larger imported tables are not worth the memory */

typedef struct fz_reader {
    const uint8_t *p, *end;
} fz_reader;

static int rd_u8(fz_reader *r, uint8_t *out)
{
    if (r->p >= r->end)
        return -1;
    *out = *r->p++;
    return 0;
}

static int rd_u32(fz_reader *r, uint32_t *out)
{
    uint32_t v = 0;
    for (unsigned shift = 0; shift < 35; shift += 7) {
        uint8_t b;
        if (rd_u8(r, &b) < 0)
            return -1;
        v |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

static int rd_bytes(fz_reader *r, uint32_t n, const uint8_t **out)
{
    if ((size_t)(r->end - r->p) < n)
        return -1;
    *out = r->p;
    r->p += n;
    return 0;
}

static int rd_name(fz_reader *r, const uint8_t **name, uint32_t *len)
{
    return rd_u32(r, len) < 0 ? -1 : rd_bytes(r, *len, name);
}

static int rd_limits(fz_reader *r, fz_import *im)
{
    uint8_t flags;
    if (rd_u8(r, &flags) < 0 || flags > 1 || rd_u32(r, &im->min) < 0)
        return -1;
    im->has_max = flags == 1;
    return im->has_max ? rd_u32(r, &im->max) : 0;
}

static int rd_import(fz_reader *r, fz_import *im)
{
    const uint8_t *name;
    uint32_t len, index;
    uint8_t kind, mut;
    if (rd_name(r, &name, &len) < 0 || rd_name(r, &name, &len) < 0 || rd_u8(r, &kind) < 0)
        return -1;
    im->kind = (wb_externkind)kind;
    switch (kind) {
    case WB_EXTERN_FUNC:
        return rd_u32(r, &index);
    case WB_EXTERN_TABLE:
        return rd_u8(r, &im->valtype) < 0 ? -1 : rd_limits(r, im);
    case WB_EXTERN_MEMORY:
        return rd_limits(r, im);
    case WB_EXTERN_GLOBAL:
        if (rd_u8(r, &im->valtype) < 0 || rd_u8(r, &mut) < 0 || mut > 1)
            return -1;
        im->mutable_ = mut;
        return 0;
    default:
        return -1;
    }
}

static int rd_count(fz_reader *r, uint32_t *n)
{
    /* Every entry takes at least one byte. */
    return rd_u32(r, n) < 0 || *n > (size_t)(r->end - r->p) ? -1 : 0;
}

static int read_imports(fz_reader *r, fz_sections *s)
{
    uint32_t n;
    if (s->imports || rd_count(r, &n) < 0)
        return -1;
    s->imports = calloc(n + 1, sizeof *s->imports);
    if (!s->imports)
        return -1;
    for (; s->nimports < n; s->nimports++)
        if (rd_import(r, &s->imports[s->nimports]) < 0)
            return -1;
    return 0;
}

static int read_exports(fz_reader *r, fz_sections *s)
{
    uint32_t n, index;
    if (s->exports || rd_count(r, &n) < 0)
        return -1;
    s->exports = calloc(n + 1, sizeof *s->exports);
    if (!s->exports)
        return -1;
    for (; s->nexports < n; s->nexports++) {
        fz_export *e = &s->exports[s->nexports];
        uint8_t kind;
        if (rd_name(r, &e->name, &e->name_len) < 0 || rd_u8(r, &kind) < 0 ||
            rd_u32(r, &index) < 0)
            return -1;
        e->kind = (wb_externkind)kind;
    }
    return 0;
}

int fz_read_sections(const uint8_t *data, size_t size, fz_sections *out)
{
    static const uint8_t header[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
    fz_reader r = {data, data + size};
    memset(out, 0, sizeof *out);
    if (size < 8 || memcmp(data, header, 8) != 0)
        return -1;
    r.p += 8;
    while (r.p < r.end) {
        uint8_t id;
        uint32_t len;
        const uint8_t *body;
        if (rd_u8(&r, &id) < 0 || rd_u32(&r, &len) < 0 || rd_bytes(&r, len, &body) < 0)
            goto fail;
        fz_reader sec = {body, body + len};
        if ((id == 2 && read_imports(&sec, out) < 0) || (id == 7 && read_exports(&sec, out) < 0))
            goto fail;
    }
    return 0;
fail:
    fz_sections_free(out);
    return -1;
}

void fz_sections_free(fz_sections *s)
{
    free(s->imports);
    free(s->exports);
    memset(s, 0, sizeof *s);
}

/* Dummy host function: every result is zero (null for references). */
static wb_trap *zero_results(wb_caller *caller, void *env, wb_val *slots)
{
    (void)caller;
    uint32_t nresults = (uint32_t)(uintptr_t)env;
    memset(slots, 0, nresults * sizeof *slots);
    return NULL;
}

static int make_import(wb_store *s, const wb_import_desc *d, const fz_import *im,
                       wb_extern *out, wb_error *err)
{
    out->kind = d->kind;
    switch (d->kind) {
    case WB_EXTERN_FUNC:
        return wb_func_new_host(s, &d->type, zero_results, (void *)(uintptr_t)d->type.nresults,
                                &out->of.func, err);
    case WB_EXTERN_TABLE:
        if (im->min > FZ_MAX_TABLE)
            return -1;
        return wb_table_new(s, (wb_valtype)im->valtype, im->min, im->max, im->has_max,
                            &out->of.table, err);
    case WB_EXTERN_MEMORY:
        if (im->min > FZ_MAX_MEMORY / 65536)
            return -1;
        return wb_memory_new(s, im->min, im->max, im->has_max, &out->of.memory, err);
    case WB_EXTERN_GLOBAL:
        return wb_global_new(s, (wb_valtype)im->valtype, im->mutable_, 0, &out->of.global, err);
    }
    return -1;
}

wb_instance *fz_instantiate(const wb_module *m, const fz_sections *secs, wb_store **store)
{
    wb_limits_config limits = {.max_call_depth = FZ_MAX_DEPTH, .max_memory_bytes = FZ_MAX_MEMORY};
    wb_error err;
    *store = NULL;
    uint32_t n = wb_module_import_count(m);
    if (n != secs->nimports || wb_store_new(&limits, store, &err) < 0)
        return NULL;
    wb_extern *imports = calloc(n + 1, sizeof *imports);
    if (!imports)
        return NULL;
    for (uint32_t i = 0; i < n; i++) {
        wb_import_desc d;
        wb_module_import(m, i, &d);
        if (d.kind != secs->imports[i].kind ||
            make_import(*store, &d, &secs->imports[i], &imports[i], &err) < 0) {
            free(imports);
            return NULL;
        }
    }
    /* The start function runs here: bound it like any other call. */
    wb_store_set_fuel(*store, FZ_FUEL);
    wb_instance *inst = NULL;
    wb_trap *trap = NULL;
    if (wb_instance_new(*store, m, imports, n, &inst, &trap, &err) < 0)
        inst = NULL;
    if (trap)
        wb_trap_free(trap);
    free(imports);
    return inst;
}
