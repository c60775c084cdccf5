/*
 * decode.c — the binary format: bytes to a wb_module (module.h).
 *
 * One forward pass over the sections. Each section is read through a window
 * [p, end) that stops at the section's declared end, so no reader can run past
 * it ("unexpected end of section or function"), and a section must be consumed
 * exactly ("section size mismatch"). Counts are checked against the bytes left
 * before anything is allocated, so a hostile count cannot make us allocate more
 * than a small multiple of the input.
 *
 * What is decoded here is only the structure: function bodies are kept as byte
 * ranges (their locals are decoded), constant expressions are skipped over with
 * the shared instruction reader so that their extent is known. Index bounds,
 * limits, types and everything else the spec classes as validation are left to
 * validate.c. Error texts are the reference interpreter's, which the spec
 * testsuite quotes. Names point into m->bytes (not NUL-terminated).
 */
#include <stdio.h>
#include <string.h>

#include "leb128.h"
#include "module.h"
#include "opcodes.h"

#define EOF_SECTION "unexpected end of section or function"

/* Implementation limits (the spec allows them): locals of one function, and of
 * all functions together (local_types is stored expanded, one byte per local). */
#define MAX_FUNC_LOCALS 50000u
#define MAX_MODULE_LOCALS (1u << 25)

typedef struct dec {
    wb_module *m;
    const uint8_t *base, *file_end;
    const uint8_t *p, *end; /* the window: the current section */
    wb_error *err;
    bool has_funcs, has_code, has_data;
    uint32_t nfunc_defs;
    uint64_t total_locals;
    const uint8_t *names, *names_end; /* the "name" custom section, parsed last */
} dec;

static int malformed(dec *d, const uint8_t *at, const char *what)
{
    return wb_error_set(d->err, "malformed module: %s at offset 0x%zx", what,
                        (size_t)(at - d->base));
}

/* ---- primitive readers on the window ----------------------------------------- */

static int rd_byte(dec *d, uint8_t *out)
{
    if (d->p >= d->end) {
        *out = 0;
        return malformed(d, d->p, EOF_SECTION);
    }
    *out = *d->p++;
    return 0;
}

/* The number may not extend past the window, but is read as far as the file
 * goes, so that an over-long encoding is reported as such (as the reference
 * decoder, which reads on, does) rather than as the end of the section. */
static int rd_u32(dec *d, uint32_t *out)
{
    const uint8_t *at = d->p;
    int rc = wb_leb_u32(&d->p, d->file_end, out);
    if (rc)
        return malformed(d, d->p, wb_leb_error_text(rc, EOF_SECTION));
    if (d->p > d->end) {
        d->p = at;
        return malformed(d, d->end, EOF_SECTION);
    }
    return 0;
}

/* A vector length: every element takes at least one byte, so a count larger
 * than what is left cannot be right (and must not size an allocation). */
static int rd_count(dec *d, uint32_t *out)
{
    const uint8_t *at = d->p;
    if (rd_u32(d, out) < 0)
        return -1;
    if (*out > (size_t)(d->end - d->p))
        return malformed(d, at, EOF_SECTION);
    return 0;
}

static bool utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
            return false;
        if (len == 4 && (cp < 0x10000 || cp > 0x10ffff))
            return false;
        i += len;
    }
    return true;
}

/* A name: length-prefixed UTF-8. Points into the module's bytes. */
static int rd_name(dec *d, char **out, uint32_t *len)
{
    const uint8_t *at = d->p;
    int rc = wb_leb_u32(&d->p, d->file_end, len);
    if (rc)
        return malformed(d, d->p, wb_leb_error_text(rc, EOF_SECTION));
    /* Like the reference: a length beyond the whole input is "out of bounds",
     * one that merely overruns the section is an unexpected end. */
    if (*len > (size_t)(d->file_end - d->p))
        return malformed(d, at, "length out of bounds");
    if (d->p > d->end || *len > (size_t)(d->end - d->p))
        return malformed(d, d->end, EOF_SECTION);
    if (!utf8_valid(d->p, *len))
        return malformed(d, d->p, "malformed UTF-8 encoding");
    *out = (char *)d->p;
    d->p += *len;
    return 0;
}

/* Type codes are one-byte signed LEBs in the reference decoder (s7): a
 * continuation bit makes them "integer representation too long". */
static int rd_typecode(dec *d, uint8_t *out)
{
    if (rd_byte(d, out) < 0)
        return -1;
    if (*out & 0x80)
        return malformed(d, d->p, "integer representation too long");
    return 0;
}

static int rd_valtype(dec *d, uint8_t *out)
{
    const uint8_t *at = d->p;
    if (rd_typecode(d, out) < 0)
        return -1;
    if (wb_is_valtype(*out))
        return 0;
    return malformed(d, at, *out == WB_V128 ? "SIMD not supported yet" : "malformed value type");
}

static int rd_reftype(dec *d, uint8_t *out)
{
    const uint8_t *at = d->p;
    if (rd_typecode(d, out) < 0)
        return -1;
    if (!wb_is_reftype(*out))
        return malformed(d, at, "malformed reference type");
    return 0;
}

static int rd_limits(dec *d, wb_limits *out)
{
    uint32_t flag;
    int rc = wb_leb_u1(&d->p, d->end, &flag);
    if (rc)
        return malformed(d, d->p, wb_leb_error_text(rc, EOF_SECTION));
    out->has_max = flag == 1;
    if (rd_u32(d, &out->min) < 0)
        return -1;
    out->max = 0;
    if (out->has_max && rd_u32(d, &out->max) < 0)
        return -1;
    return 0;
}

static int rd_tabletype(dec *d, wb_tabletype *out)
{
    if (rd_reftype(d, &out->elem) < 0)
        return -1;
    return rd_limits(d, &out->limits);
}

static int rd_globaltype(dec *d, wb_globaltype *out)
{
    if (rd_valtype(d, &out->type) < 0)
        return -1;
    const uint8_t *at = d->p;
    uint8_t mut;
    if (rd_byte(d, &mut) < 0)
        return -1;
    if (mut > 1)
        return malformed(d, at, "malformed mutability");
    out->mutable_ = mut == 1;
    return 0;
}

/* A constant expression: its instructions are only skipped here (validate.c
 * checks them); the range excludes the final `end`. */
static int rd_constexpr(dec *d, wb_constexpr *out)
{
    out->start = d->p;
    out->offset = (size_t)(d->p - d->base);
    const char *bad = wb_skip_expr(&d->p, d->end, true);
    if (bad)
        return malformed(d, d->p, bad);
    out->end = d->p - 1;
    return 0;
}

/* calloc that tolerates n == 0 (returning a harmless non-NULL pointer is not
 * needed: callers test the count, not the pointer). */
static void *alloc_array(size_t n, size_t size)
{
    return n ? calloc(n, size) : NULL;
}

#define ALLOC_OR_FAIL(d, ptr, n)                                                                   \
    do {                                                                                           \
        if ((n) && !((ptr) = alloc_array((n), sizeof *(ptr))))                                     \
            return wb_error_oom((d)->err);                                                         \
    } while (0)

/* ---- sections ------------------------------------------------------------------ */

static int sec_type(dec *d)
{
    wb_module *m = d->m;
    uint32_t n;
    if (rd_count(d, &n) < 0)
        return -1;
    ALLOC_OR_FAIL(d, m->types, n);
    /* Every value type is one byte of this section: its size bounds them all. */
    size_t room = (size_t)(d->end - d->p);
    ALLOC_OR_FAIL(d, m->type_storage, room);
    uint8_t *store = m->type_storage;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *at = d->p;
        uint8_t form;
        if (rd_typecode(d, &form) < 0)
            return -1;
        if (form != 0x60)
            return malformed(d, at, "malformed function type");
        wb_functype *t = &m->types[i];
        for (int part = 0; part < 2; part++) {
            uint32_t cnt;
            if (rd_count(d, &cnt) < 0)
                return -1;
            if (part == 0) {
                t->nparams = cnt;
                t->params = store;
            } else {
                t->nresults = cnt;
                t->results = store;
            }
            for (uint32_t k = 0; k < cnt; k++)
                if (rd_valtype(d, store++) < 0)
                    return -1;
        }
        m->ntypes = i + 1;
    }
    return 0;
}

static int import_desc(dec *d, wb_import *imp)
{
    wb_module *m = d->m;
    const uint8_t *at = d->p;
    uint8_t kind;
    if (rd_byte(d, &kind) < 0)
        return -1;
    switch (kind) {
    case WB_EXTERN_FUNC:
        m->nfunc_imports++;
        imp->kind = WB_EXTERN_FUNC;
        return rd_u32(d, &imp->desc.func_type);
    case WB_EXTERN_TABLE:
        m->ntable_imports++;
        imp->kind = WB_EXTERN_TABLE;
        return rd_tabletype(d, &imp->desc.table);
    case WB_EXTERN_MEMORY:
        m->nmemory_imports++;
        imp->kind = WB_EXTERN_MEMORY;
        return rd_limits(d, &imp->desc.memory);
    case WB_EXTERN_GLOBAL:
        m->nglobal_imports++;
        imp->kind = WB_EXTERN_GLOBAL;
        return rd_globaltype(d, &imp->desc.global);
    default:
        return malformed(d, at, "malformed import kind");
    }
}

static int sec_import(dec *d)
{
    wb_module *m = d->m;
    uint32_t n;
    if (rd_count(d, &n) < 0)
        return -1;
    ALLOC_OR_FAIL(d, m->imports, n);
    for (uint32_t i = 0; i < n; i++) {
        wb_import *imp = &m->imports[i];
        if (rd_name(d, &imp->module, &imp->module_len) < 0 ||
            rd_name(d, &imp->name, &imp->name_len) < 0 || import_desc(d, imp) < 0)
            return -1;
        m->nimports = i + 1;
    }
    return 0;
}

/* The index spaces: imports first. Called once each space's own definitions
 * are known (their section, or the end of the module when it is absent). */
static int make_func_space(dec *d, uint32_t ndefs)
{
    wb_module *m = d->m;
    m->nfuncs = m->nfunc_imports + ndefs;
    if (m->nfuncs < m->nfunc_imports)
        return malformed(d, d->p, "too many functions");
    ALLOC_OR_FAIL(d, m->func_types, m->nfuncs);
    ALLOC_OR_FAIL(d, m->bodies, ndefs);
    uint32_t k = 0;
    for (uint32_t i = 0; i < m->nimports; i++)
        if (m->imports[i].kind == WB_EXTERN_FUNC)
            m->func_types[k++] = m->imports[i].desc.func_type;
    return 0;
}

static int make_table_space(dec *d, uint32_t ndefs)
{
    wb_module *m = d->m;
    m->ntables = m->ntable_imports + ndefs;
    ALLOC_OR_FAIL(d, m->tables, m->ntables);
    uint32_t k = 0;
    for (uint32_t i = 0; i < m->nimports; i++)
        if (m->imports[i].kind == WB_EXTERN_TABLE)
            m->tables[k++] = m->imports[i].desc.table;
    return 0;
}

static int make_memory_space(dec *d, uint32_t ndefs)
{
    wb_module *m = d->m;
    m->nmemories = m->nmemory_imports + ndefs;
    ALLOC_OR_FAIL(d, m->memories, m->nmemories);
    uint32_t k = 0;
    for (uint32_t i = 0; i < m->nimports; i++)
        if (m->imports[i].kind == WB_EXTERN_MEMORY)
            m->memories[k++] = m->imports[i].desc.memory;
    return 0;
}

static int make_global_space(dec *d, uint32_t ndefs)
{
    wb_module *m = d->m;
    m->nglobals = m->nglobal_imports + ndefs;
    ALLOC_OR_FAIL(d, m->global_types, m->nglobals);
    ALLOC_OR_FAIL(d, m->globals, ndefs);
    uint32_t k = 0;
    for (uint32_t i = 0; i < m->nimports; i++)
        if (m->imports[i].kind == WB_EXTERN_GLOBAL)
            m->global_types[k++] = m->imports[i].desc.global;
    return 0;
}

static int sec_function(dec *d)
{
    wb_module *m = d->m;
    uint32_t n;
    if (rd_count(d, &n) < 0 || make_func_space(d, n) < 0)
        return -1;
    d->has_funcs = true;
    d->nfunc_defs = n;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t *t = &m->func_types[m->nfunc_imports + i];
        if (rd_u32(d, t) < 0)
            return -1;
        m->bodies[i].type = *t;
    }
    return 0;
}

static int sec_table(dec *d)
{
    wb_module *m = d->m;
    uint32_t n;
    if (rd_count(d, &n) < 0 || make_table_space(d, n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++)
        if (rd_tabletype(d, &m->tables[m->ntable_imports + i]) < 0)
            return -1;
    return 0;
}

static int sec_memory(dec *d)
{
    wb_module *m = d->m;
    uint32_t n;
    if (rd_count(d, &n) < 0 || make_memory_space(d, n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++)
        if (rd_limits(d, &m->memories[m->nmemory_imports + i]) < 0)
            return -1;
    return 0;
}

static int sec_global(dec *d)
{
    wb_module *m = d->m;
    uint32_t n;
    if (rd_count(d, &n) < 0 || make_global_space(d, n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        wb_global_decl *g = &m->globals[i];
        if (rd_globaltype(d, &g->type) < 0 || rd_constexpr(d, &g->init) < 0)
            return -1;
        m->global_types[m->nglobal_imports + i] = g->type;
    }
    return 0;
}

static int sec_export(dec *d)
{
    wb_module *m = d->m;
    uint32_t n;
    if (rd_count(d, &n) < 0)
        return -1;
    ALLOC_OR_FAIL(d, m->exports, n);
    for (uint32_t i = 0; i < n; i++) {
        wb_export *e = &m->exports[i];
        if (rd_name(d, &e->name, &e->name_len) < 0)
            return -1;
        const uint8_t *at = d->p;
        uint8_t kind;
        if (rd_byte(d, &kind) < 0)
            return -1;
        if (kind > WB_EXTERN_GLOBAL)
            return malformed(d, at, "malformed export kind");
        e->kind = (wb_externkind)kind;
        if (rd_u32(d, &e->index) < 0)
            return -1;
        m->nexports = i + 1;
    }
    return 0;
}

static int sec_start(dec *d)
{
    d->m->has_start = true;
    return rd_u32(d, &d->m->start);
}

/* The items of an element segment: function indices (flags 0..3) or constant
 * expressions (flags 4..7). */
static int elem_items(dec *d, wb_elem_segment *seg, bool exprs)
{
    uint32_t n;
    if (rd_count(d, &n) < 0)
        return -1;
    if (exprs) {
        ALLOC_OR_FAIL(d, seg->exprs, n);
        for (uint32_t i = 0; i < n; i++) {
            if (rd_constexpr(d, &seg->exprs[i]) < 0)
                return -1;
            seg->count = i + 1;
        }
        return 0;
    }
    ALLOC_OR_FAIL(d, seg->func_indices, n);
    for (uint32_t i = 0; i < n; i++) {
        if (rd_u32(d, &seg->func_indices[i]) < 0)
            return -1;
        seg->count = i + 1;
    }
    return 0;
}

/* flags: bit 0 passive/declarative, bit 1 explicit table (active) or
 * declarative (otherwise), bit 2 expressions instead of function indices. */
static int elem_segment(dec *d, wb_elem_segment *seg)
{
    const uint8_t *at = d->p;
    uint32_t flags;
    if (rd_u32(d, &flags) < 0)
        return -1;
    if (flags > 7)
        return malformed(d, at, "malformed elements segment kind");
    bool exprs = flags & 4;
    if (flags & 1) {
        seg->mode = (flags & 2) ? WB_SEG_DECLARATIVE : WB_SEG_PASSIVE;
    } else {
        seg->mode = WB_SEG_ACTIVE;
        seg->table = 0;
        if ((flags & 2) && rd_u32(d, &seg->table) < 0)
            return -1;
        if (rd_constexpr(d, &seg->offset) < 0)
            return -1;
    }
    seg->elem_type = WB_FUNCREF;
    if (flags & 3) { /* an explicit element kind or reference type follows */
        if (exprs) {
            if (rd_reftype(d, &seg->elem_type) < 0)
                return -1;
        } else {
            at = d->p;
            uint8_t kind;
            if (rd_byte(d, &kind) < 0)
                return -1;
            if (kind != 0x00)
                return malformed(d, at, "malformed element kind");
        }
    }
    return elem_items(d, seg, exprs);
}

static int sec_elem(dec *d)
{
    wb_module *m = d->m;
    uint32_t n;
    if (rd_count(d, &n) < 0)
        return -1;
    ALLOC_OR_FAIL(d, m->elems, n);
    for (uint32_t i = 0; i < n; i++) {
        m->nelems = i + 1; /* counted first: a half-read segment must be freed */
        if (elem_segment(d, &m->elems[i]) < 0)
            return -1;
    }
    return 0;
}

static int sec_datacount(dec *d)
{
    d->m->has_datacount = true;
    return rd_u32(d, &d->m->datacount);
}

/* Locals: vec((count, valtype)), expanded into one byte per local. Two passes:
 * the first sums the counts (rejecting overflow before allocating). */
static int body_locals(dec *d, wb_func_body *body, const uint8_t *body_start)
{
    uint32_t groups;
    if (rd_count(d, &groups) < 0)
        return -1;
    const uint8_t *decls = d->p;
    uint64_t total = 0;
    for (uint32_t i = 0; i < groups; i++) {
        uint32_t cnt;
        uint8_t t;
        if (rd_u32(d, &cnt) < 0 || rd_valtype(d, &t) < 0)
            return -1;
        total += cnt;
    }
    if (total > MAX_FUNC_LOCALS || d->total_locals + total > MAX_MODULE_LOCALS)
        return malformed(d, body_start, "too many locals");
    d->total_locals += total;
    body->nlocals = (uint32_t)total;
    ALLOC_OR_FAIL(d, body->local_types, total);
    const uint8_t *q = decls;
    uint8_t *out = body->local_types;
    for (uint32_t i = 0; i < groups; i++) {
        uint32_t cnt = wb_leb_u32_unchecked(&q);
        uint8_t t = *q++;
        if (cnt) {
            memset(out, t, cnt);
            out += cnt;
        }
    }
    return 0;
}

static int sec_code(dec *d)
{
    wb_module *m = d->m;
    const uint8_t *at = d->p;
    uint32_t n;
    if (rd_count(d, &n) < 0)
        return -1;
    if (n != d->nfunc_defs)
        return malformed(d, at, "function and code section have inconsistent lengths");
    d->has_code = true;
    for (uint32_t i = 0; i < n; i++) {
        wb_func_body *body = &m->bodies[i];
        uint32_t size;
        at = d->p;
        if (rd_u32(d, &size) < 0)
            return -1;
        if (size > (size_t)(d->end - d->p))
            return malformed(d, at, "length out of bounds");
        const uint8_t *section_end = d->end;
        const uint8_t *body_start = d->p;
        d->end = d->p + size; /* the window narrows to the body */
        int rc = body_locals(d, body, body_start);
        body->code = d->p;
        body->code_end = d->end;
        body->code_offset = (size_t)(d->p - d->base);
        d->p = d->end;
        d->end = section_end;
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int data_segment(dec *d, wb_data_segment *seg)
{
    const uint8_t *at = d->p;
    uint32_t flags;
    if (rd_u32(d, &flags) < 0)
        return -1;
    if (flags > 2)
        return malformed(d, at, "malformed data segment kind");
    seg->mode = flags == 1 ? WB_SEG_PASSIVE : WB_SEG_ACTIVE;
    seg->memory = 0;
    if (flags == 2 && rd_u32(d, &seg->memory) < 0)
        return -1;
    if (flags != 1 && rd_constexpr(d, &seg->offset) < 0)
        return -1;
    if (rd_u32(d, &seg->len) < 0)
        return -1;
    if (seg->len > (size_t)(d->end - d->p))
        return malformed(d, d->end, EOF_SECTION);
    seg->bytes = d->p;
    d->p += seg->len;
    return 0;
}

static int sec_data(dec *d)
{
    wb_module *m = d->m;
    const uint8_t *at = d->p;
    uint32_t n;
    if (rd_count(d, &n) < 0)
        return -1;
    if (m->has_datacount && n != m->datacount)
        return malformed(d, at, "data count and data section have inconsistent lengths");
    d->has_data = true;
    ALLOC_OR_FAIL(d, m->datas, n);
    for (uint32_t i = 0; i < n; i++) {
        if (data_segment(d, &m->datas[i]) < 0)
            return -1;
        m->ndatas = i + 1;
    }
    return 0;
}

static int sec_custom(dec *d)
{
    char *name;
    uint32_t len;
    if (rd_name(d, &name, &len) < 0)
        return -1;
    if (len == 4 && memcmp(name, "name", 4) == 0 && !d->names) {
        d->names = d->p;
        d->names_end = d->end;
    }
    d->p = d->end;
    return 0;
}

/* ---- the name section (best effort: a malformed one is ignored) ------------------ */

static void free_func_names(wb_module *m)
{
    if (!m->func_names)
        return;
    for (uint32_t i = 0; i < m->nfuncs; i++)
        free(m->func_names[i]);
    free(m->func_names);
    m->func_names = NULL;
}

static bool function_names(wb_module *m, const uint8_t *p, const uint8_t *end)
{
    uint32_t n;
    if (wb_leb_u32(&p, end, &n) || n > (size_t)(end - p))
        return false;
    if (!m->func_names && m->nfuncs && !(m->func_names = calloc(m->nfuncs, sizeof(char *))))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t idx, len;
        if (wb_leb_u32(&p, end, &idx) || wb_leb_u32(&p, end, &len) || len > (size_t)(end - p))
            return false;
        if (idx < m->nfuncs && utf8_valid(p, len)) {
            char *s = malloc((size_t)len + 1);
            if (!s)
                return false;
            memcpy(s, p, len);
            s[len] = '\0';
            free(m->func_names[idx]);
            m->func_names[idx] = s;
        }
        p += len;
    }
    return p == end;
}

static void parse_names(dec *d)
{
    const uint8_t *p = d->names, *end = d->names_end;
    while (p < end) {
        uint8_t id = *p++;
        uint32_t size;
        if (wb_leb_u32(&p, end, &size) || size > (size_t)(end - p))
            break;
        if (id == 1 && !function_names(d->m, p, p + size)) {
            free_func_names(d->m);
            return;
        }
        p += size;
    }
    if (p != end)
        free_func_names(d->m);
}

/* ---- the module ------------------------------------------------------------------ */

typedef int (*section_fn)(dec *d);

static const section_fn section_fns[13] = {
    sec_custom, sec_type,  sec_import, sec_function, sec_table, sec_memory,    sec_global,
    sec_export, sec_start, sec_elem,   sec_code,     sec_data,  sec_datacount,
};

/* Position of each section id in the required order (custom sections: 0, anywhere). */
static const uint8_t section_rank[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};

static int header(dec *d)
{
    static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6d};
    static const uint8_t version[4] = {0x01, 0x00, 0x00, 0x00};
    size_t len = (size_t)(d->file_end - d->base);
    if (len < 4)
        return malformed(d, d->file_end, "unexpected end");
    if (memcmp(d->base, magic, 4) != 0)
        return malformed(d, d->base, "magic header not detected");
    if (len < 8)
        return malformed(d, d->file_end, "unexpected end");
    if (memcmp(d->base + 4, version, 4) != 0)
        return malformed(d, d->base + 4, "unknown binary version");
    return 0;
}

static int one_section(dec *d, const uint8_t **pp, uint8_t *last_rank)
{
    const uint8_t *start = *pp;
    uint8_t id = *(*pp)++;
    if (id > 12)
        return malformed(d, start, "malformed section id");
    const uint8_t *at = *pp;
    uint32_t size;
    int rc = wb_leb_u32(pp, d->file_end, &size);
    if (rc)
        return malformed(d, *pp, wb_leb_error_text(rc, "unexpected end"));
    if (size > (size_t)(d->file_end - *pp))
        return malformed(d, at, "length out of bounds");
    if (id != 0) {
        if (section_rank[id] <= *last_rank)
            return malformed(d, start, "unexpected content after last section");
        *last_rank = section_rank[id];
    }
    d->p = *pp;
    d->end = *pp + size;
    if (section_fns[id](d) < 0)
        return -1;
    if (d->p != d->end)
        return malformed(d, d->p, "section size mismatch");
    *pp = d->end;
    return 0;
}

/* What must hold once every section is read; absent sections get their index
 * spaces here. */
static int finish(dec *d)
{
    wb_module *m = d->m;
    if (!d->has_funcs && make_func_space(d, 0) < 0)
        return -1;
    if (!m->tables && make_table_space(d, 0) < 0)
        return -1;
    if (!m->memories && make_memory_space(d, 0) < 0)
        return -1;
    if (!m->global_types && make_global_space(d, 0) < 0)
        return -1;
    if (d->nfunc_defs && !d->has_code)
        return malformed(d, d->file_end, "function and code section have inconsistent lengths");
    if (m->has_datacount && !d->has_data && m->datacount != 0)
        return malformed(d, d->file_end, "data count and data section have inconsistent lengths");
    if (d->names)
        parse_names(d);
    return 0;
}

int wb_decode(wb_module *m, wb_error *err)
{
    dec d = {.m = m, .base = m->bytes, .file_end = m->bytes + m->len, .err = err};
    if (header(&d) < 0)
        return -1;
    const uint8_t *p = m->bytes + 8;
    uint8_t last_rank = 0;
    while (p < d.file_end)
        if (one_section(&d, &p, &last_rank) < 0)
            return -1;
    return finish(&d);
}
