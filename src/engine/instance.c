/*
 * instance.c — instantiation (spec 2.0, "Instantiation"), exports, and the two
 * bulk operations that read an instance's segments (memory.init, table.init).
 *
 * wb_instance_new() runs in two phases. Linking checks every import against the
 * module's declaration and allocates nothing, so a link error leaves no trace.
 * Building then creates the instance and its objects, each owned by the store the
 * moment it exists (so a later failure just returns), and finally applies the
 * active element segments, then the active data segments, then runs the start
 * function. Those last steps may trap; as in 2.0, what a segment wrote before a
 * later one failed stays written (visible through imported tables and memories).
 */
#include <stdio.h>
#include <string.h>

#include "objects.h"

/* ---- import matching ------------------------------------------------------------ */

static const char *kind_name(wb_externkind k)
{
    switch (k) {
    case WB_EXTERN_FUNC:
        return "function";
    case WB_EXTERN_TABLE:
        return "table";
    case WB_EXTERN_MEMORY:
        return "memory";
    case WB_EXTERN_GLOBAL:
        return "global";
    }
    return "extern";
}

/* Printable copy of a byte-string name (it may hold NUL or control bytes). */
static void name_format(const char *s, size_t n, char *buf, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, len - o, "\\%02x", c);
    }
    buf[o] = 0;
}

static void import_label(const wb_import *imp, char *buf, size_t len)
{
    char mod[96], name[96];
    name_format(imp->module, imp->module_len, mod, sizeof mod);
    name_format(imp->name, imp->name_len, name, sizeof name);
    snprintf(buf, len, "\"%s\".\"%s\"", mod, name);
}

static bool functype_equal(const wb_functype *a, const wb_functype *b)
{
    return a->nparams == b->nparams && a->nresults == b->nresults &&
           (a->nparams == 0 || memcmp(a->params, b->params, a->nparams) == 0) &&
           (a->nresults == 0 || memcmp(a->results, b->results, a->nresults) == 0);
}

/* Limits matching: the actual {min, max} must lie within the declared ones. */
static bool limits_match(uint32_t cur, bool has_max, uint32_t max, const wb_limits *want)
{
    if (cur < want->min)
        return false;
    return !want->has_max || (has_max && max <= want->max);
}

static const char *extern_pointer_missing(const wb_extern *x)
{
    switch (x->kind) {
    case WB_EXTERN_FUNC:
        return x->of.func ? NULL : "function";
    case WB_EXTERN_TABLE:
        return x->of.table ? NULL : "table";
    case WB_EXTERN_MEMORY:
        return x->of.memory ? NULL : "memory";
    case WB_EXTERN_GLOBAL:
        return x->of.global ? NULL : "global";
    }
    return "value";
}

/* Why x does not match imp, or NULL if it does. */
static const char *import_mismatch(const wb_module *m, const wb_import *imp, const wb_extern *x)
{
    switch (imp->kind) {
    case WB_EXTERN_FUNC:
        return functype_equal(x->of.func->type, &m->types[imp->desc.func_type])
                   ? NULL
                   : "function type differs";
    case WB_EXTERN_TABLE: {
        const wb_table *t = x->of.table;
        if (t->elem_type != imp->desc.table.elem)
            return "table element type differs";
        return limits_match(t->size, t->has_max, t->max, &imp->desc.table.limits)
                   ? NULL
                   : "table limits do not match";
    }
    case WB_EXTERN_MEMORY: {
        const wb_memory *mem = x->of.memory;
        return limits_match(mem->pages, mem->has_max, mem->declared_max, &imp->desc.memory)
                   ? NULL
                   : "memory limits do not match";
    }
    case WB_EXTERN_GLOBAL: {
        const wb_global *g = x->of.global;
        if (g->type != imp->desc.global.type)
            return "global type differs";
        return g->mutable_ == imp->desc.global.mutable_ ? NULL : "global mutability differs";
    }
    }
    return "unknown import kind";
}

static int check_import(const wb_module *m, uint32_t i, const wb_extern *x, wb_error *err)
{
    const wb_import *imp = &m->imports[i];
    char label[256];
    import_label(imp, label, sizeof label);
    const char *missing = extern_pointer_missing(x);
    if (missing)
        return wb_error_set(err, "unknown import %s: no %s supplied", label, missing);
    if (x->kind != imp->kind)
        return wb_error_set(err, "incompatible import type for %s: expected a %s, got a %s", label,
                            kind_name(imp->kind), kind_name(x->kind));
    const char *why = import_mismatch(m, imp, x);
    if (why)
        return wb_error_set(err, "incompatible import type for %s: %s", label, why);
    return 0;
}

static int check_imports(const wb_module *m, const wb_extern *imports, size_t n, wb_error *err)
{
    if (n != m->nimports)
        return wb_error_set(err, "incompatible import count: the module has %u imports, %zu given",
                            m->nimports, n);
    for (uint32_t i = 0; i < m->nimports; i++)
        if (check_import(m, i, &imports[i], err) < 0)
            return -1;
    return 0;
}

/* ---- constant expressions ------------------------------------------------------- */

#define CONST_STACK 64

typedef struct const_reader {
    const uint8_t *p, *end;
} const_reader;

static bool read_uleb(const_reader *r, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; r->p < r->end && shift < 70; shift += 7) {
        uint8_t b = *r->p++;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

static bool read_sleb(const_reader *r, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; r->p < r->end && shift < 70; shift += 7) {
        uint8_t b = *r->p++;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (shift + 7 < 64 && (b & 0x40))
                v |= ~(uint64_t)0 << (shift + 7);
            *out = v;
            return true;
        }
    }
    return false;
}

static bool read_bytes(const_reader *r, unsigned n, uint64_t *out)
{
    if ((size_t)(r->end - r->p) < n)
        return false;
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)r->p[i] << (8 * i);
    r->p += n;
    *out = v;
    return true;
}

/* The value of one operand-free instruction (a constant, a reference or a global). */
static bool const_leaf(const wb_instance *inst, uint8_t op, const_reader *r, wb_val *v)
{
    const wb_module *m = inst->module;
    uint64_t x;
    switch (op) {
    case 0x41: /* i32.const */
        if (!read_sleb(r, &x))
            return false;
        *v = (uint32_t)x;
        return true;
    case 0x42: /* i64.const */
        return read_sleb(r, v);
    case 0x43: /* f32.const */
        return read_bytes(r, 4, v);
    case 0x44: /* f64.const */
        return read_bytes(r, 8, v);
    case 0xd0: /* ref.null t */
        *v = 0;
        return read_bytes(r, 1, &x);
    case 0xd2: /* ref.func f */
        if (!read_uleb(r, &x) || x >= m->nfuncs || !inst->funcs[x])
            return false;
        *v = (wb_val)(uintptr_t)inst->funcs[x];
        return true;
    case 0x23: /* global.get g: imported, or defined earlier */
        if (!read_uleb(r, &x) || x >= m->nglobals || !inst->globals[x])
            return false;
        *v = inst->globals[x]->value;
        return true;
    }
    return false;
}

/* Extended-constant arithmetic (i32/i64 add, sub, mul) on the top two values. */
static bool const_binary(uint8_t op, wb_val a, wb_val b, wb_val *out)
{
    switch (op) {
    case 0x6a:
        *out = (uint32_t)(a + b);
        return true;
    case 0x6b:
        *out = (uint32_t)(a - b);
        return true;
    case 0x6c:
        *out = (uint32_t)((uint32_t)a * (uint32_t)b);
        return true;
    case 0x7c:
        *out = a + b;
        return true;
    case 0x7d:
        *out = a - b;
        return true;
    case 0x7e:
        *out = a * b;
        return true;
    }
    return false;
}

/* Evaluates an already-validated constant expression. */
static int eval_const(const wb_instance *inst, const wb_constexpr *e, wb_val *out, wb_error *err)
{
    wb_val stack[CONST_STACK];
    unsigned n = 0;
    const_reader r = {e->start, e->end};
    while (r.p < r.end) {
        const uint8_t *at = r.p;
        uint8_t op = *r.p++;
        bool ok;
        if (n >= 2 && const_binary(op, stack[n - 2], stack[n - 1], &stack[n - 2])) {
            n--;
            continue;
        }
        ok = n < CONST_STACK && const_leaf(inst, op, &r, &stack[n]);
        if (!ok)
            return wb_error_set(err,
                                "cannot evaluate constant expression: opcode 0x%02x at "
                                "offset 0x%zx",
                                op, e->offset + (size_t)(at - e->start));
        n++;
    }
    if (n != 1)
        return wb_error_set(err, "constant expression at offset 0x%zx leaves %u values", e->offset,
                            n);
    *out = stack[0];
    return 0;
}

/* ---- building ------------------------------------------------------------------- */

/* Allocates the instance and its index-space arrays, and joins it to the store. */
static int inst_alloc(wb_store *s, const wb_module *m, wb_instance **out, wb_error *err)
{
    wb_instance *inst = calloc(1, sizeof *inst);
    if (!inst)
        return wb_error_oom(err);
    inst->store = s;
    inst->module = m;
    wb_store_add_instance(s, inst);
    *out = inst;
    /* calloc(0) may return NULL: allocate at least one element of each. */
#define ARRAY(field, count) (inst->field = calloc((count) ? (count) : 1, sizeof *inst->field))
    if (!ARRAY(funcs, m->nfuncs) || !ARRAY(tables, m->ntables) || !ARRAY(memories, m->nmemories) ||
        !ARRAY(globals, m->nglobals) || !ARRAY(sigs, m->ntypes) || !ARRAY(elems, m->nelems) ||
        !ARRAY(datas, m->ndatas))
        return wb_error_oom(err);
#undef ARRAY
    return 0;
}

/* Frees what inst holds apart from store-owned blocks. It does not look at the
 * module, which the embedder may already have freed along with the store. */
void wb_instance_release(wb_instance *inst)
{
    free(inst->funcs);
    free(inst->tables);
    free(inst->memories);
    free(inst->globals);
    free(inst->sigs);
    free(inst->elems);
    free(inst->datas);
    free(inst);
}

static int intern_types(wb_instance *inst, wb_error *err)
{
    const wb_module *m = inst->module;
    for (uint32_t i = 0; i < m->ntypes; i++)
        if (wb_store_intern_sig(inst->store, &m->types[i], &inst->sigs[i], err) < 0)
            return -1;
    return 0;
}

static void bind_imports(wb_instance *inst, const wb_extern *imports)
{
    const wb_module *m = inst->module;
    uint32_t nf = 0, nt = 0, nm = 0, ng = 0;
    for (uint32_t i = 0; i < m->nimports; i++) {
        const wb_extern *x = &imports[i];
        switch (x->kind) {
        case WB_EXTERN_FUNC:
            inst->funcs[nf++] = x->of.func;
            break;
        case WB_EXTERN_TABLE:
            inst->tables[nt++] = x->of.table;
            break;
        case WB_EXTERN_MEMORY:
            inst->memories[nm++] = x->of.memory;
            break;
        case WB_EXTERN_GLOBAL:
            inst->globals[ng++] = x->of.global;
            break;
        }
    }
}

/* The module's own functions, in one store-owned block. */
static int make_funcs(wb_instance *inst, wb_error *err)
{
    const wb_module *m = inst->module;
    uint32_t n = m->nfuncs - m->nfunc_imports;
    if (!n)
        return 0;
    wb_func *fs = wb_store_own(inst->store, calloc(n, sizeof *fs));
    if (!fs)
        return wb_error_oom(err);
    for (uint32_t j = 0; j < n; j++) {
        uint32_t index = m->nfunc_imports + j, type = m->func_types[index];
        fs[j] = (wb_func){
            .type = &m->types[type],
            .sig = inst->sigs[type],
            .inst = inst,
            .index = index,
            .body = &m->bodies[j],
        };
        inst->funcs[index] = &fs[j];
    }
    return 0;
}

static int make_tables(wb_instance *inst, wb_error *err)
{
    const wb_module *m = inst->module;
    for (uint32_t i = m->ntable_imports; i < m->ntables; i++) {
        const wb_tabletype *tt = &m->tables[i];
        if (wb_table_new(inst->store, (wb_valtype)tt->elem, tt->limits.min, tt->limits.max,
                         tt->limits.has_max, &inst->tables[i], err) < 0)
            return wb_error_prefix(err, "table %u", i);
    }
    return 0;
}

static int make_memories(wb_instance *inst, wb_error *err)
{
    const wb_module *m = inst->module;
    for (uint32_t i = m->nmemory_imports; i < m->nmemories; i++) {
        const wb_limits *l = &m->memories[i];
        if (wb_memory_new(inst->store, l->min, l->max, l->has_max, &inst->memories[i], err) < 0)
            return wb_error_prefix(err, "memory %u", i);
    }
    return 0;
}

static int make_globals(wb_instance *inst, wb_error *err)
{
    const wb_module *m = inst->module;
    uint32_t n = m->nglobals - m->nglobal_imports;
    if (!n)
        return 0;
    wb_global *gs = wb_store_own(inst->store, calloc(n, sizeof *gs));
    if (!gs)
        return wb_error_oom(err);
    for (uint32_t j = 0; j < n; j++) {
        const wb_global_decl *d = &m->globals[j];
        if (eval_const(inst, &d->init, &gs[j].value, err) < 0)
            return wb_error_prefix(err, "global %u", m->nglobal_imports + j);
        gs[j].type = d->type.type;
        gs[j].mutable_ = d->type.mutable_;
        inst->globals[m->nglobal_imports + j] = &gs[j];
    }
    return 0;
}

/* Resolves every element segment to reference values, all in one store-owned block.
 * Declarative segments are dropped at once (the spec's elem.drop after
 * instantiation); so are active ones, but only once applied (run_elem_segments). */
static int make_elems(wb_instance *inst, wb_error *err)
{
    const wb_module *m = inst->module;
    uint64_t total = 0;
    for (uint32_t i = 0; i < m->nelems; i++)
        if (m->elems[i].mode != WB_SEG_DECLARATIVE)
            total += m->elems[i].count;
    if (!total)
        return 0;
    wb_val *values = total <= SIZE_MAX / sizeof *values
                         ? wb_store_own(inst->store, calloc((size_t)total, sizeof *values))
                         : NULL;
    if (!values)
        return wb_error_oom(err);
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wb_elem_segment *seg = &m->elems[i];
        if (seg->mode == WB_SEG_DECLARATIVE)
            continue;
        wb_elem_inst *e = &inst->elems[i];
        e->values = values;
        values += seg->count;
        for (uint32_t k = 0; k < seg->count; k++) {
            if (seg->func_indices) {
                uint32_t f = seg->func_indices[k];
                if (f >= m->nfuncs)
                    return wb_error_set(err, "element segment %u: function %u out of range", i, f);
                e->values[k] = (wb_val)(uintptr_t)inst->funcs[f];
            } else if (eval_const(inst, &seg->exprs[k], &e->values[k], err) < 0) {
                return wb_error_prefix(err, "element segment %u", i);
            }
        }
        e->count = seg->count;
    }
    return 0;
}

static void make_datas(wb_instance *inst)
{
    const wb_module *m = inst->module;
    for (uint32_t i = 0; i < m->ndatas; i++) {
        inst->datas[i].bytes = m->datas[i].bytes;
        inst->datas[i].len = m->datas[i].len;
    }
}

static int build(wb_instance *inst, const wb_extern *imports, wb_error *err)
{
    if (intern_types(inst, err) < 0)
        return -1;
    bind_imports(inst, imports);
    if (make_funcs(inst, err) < 0 || make_tables(inst, err) < 0 || make_memories(inst, err) < 0 ||
        make_globals(inst, err) < 0 || make_elems(inst, err) < 0)
        return -1;
    make_datas(inst);
    return 0;
}

/* ---- initialisation: segments and start ----------------------------------------- */

/* Evaluates an active segment's offset (an i32). */
static int segment_offset(wb_instance *inst, const wb_constexpr *e, uint32_t *out, wb_error *err)
{
    wb_val v;
    if (eval_const(inst, e, &v, err) < 0)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* Applies the active element segments in order: table.init then elem.drop. */
static int run_elem_segments(wb_instance *inst, wb_trap **trap, wb_error *err)
{
    const wb_module *m = inst->module;
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wb_elem_segment *seg = &m->elems[i];
        if (seg->mode != WB_SEG_ACTIVE)
            continue;
        uint32_t dst;
        if (segment_offset(inst, &seg->offset, &dst, err) < 0)
            return wb_error_prefix(err, "element segment %u", i);
        if (seg->table >= m->ntables)
            return wb_error_set(err, "element segment %u: table %u out of range", i, seg->table);
        *trap = wb_table_init(inst, seg->table, i, dst, 0, seg->count);
        inst->elems[i].count = 0;
        if (*trap)
            return wb_error_set(err, "element segment %u: %s", i, (*trap)->message);
    }
    return 0;
}

/* Applies the active data segments in order: memory.init then data.drop. */
static int run_data_segments(wb_instance *inst, wb_trap **trap, wb_error *err)
{
    const wb_module *m = inst->module;
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const wb_data_segment *seg = &m->datas[i];
        if (seg->mode != WB_SEG_ACTIVE)
            continue;
        uint32_t dst;
        if (segment_offset(inst, &seg->offset, &dst, err) < 0)
            return wb_error_prefix(err, "data segment %u", i);
        if (seg->memory >= m->nmemories)
            return wb_error_set(err, "data segment %u: memory %u out of range", i, seg->memory);
        *trap = wb_memory_init(inst, seg->memory, i, dst, 0, seg->len);
        inst->datas[i].len = 0;
        if (*trap)
            return wb_error_set(err, "data segment %u: %s", i, (*trap)->message);
    }
    return 0;
}

static int run_start(wb_instance *inst, wb_trap **trap, wb_error *err)
{
    const wb_module *m = inst->module;
    if (!m->has_start)
        return 0;
    if (m->start >= m->nfuncs)
        return wb_error_set(err, "start function %u out of range", m->start);
    *trap = wb_func_call(inst->store, inst->funcs[m->start], NULL, NULL);
    if (*trap)
        return wb_error_set(err, "start function: %s", (*trap)->message);
    return 0;
}

int wb_instance_new(wb_store *s, const wb_module *m, const wb_extern *imports, size_t nimports,
                    wb_instance **out, wb_trap **trap, wb_error *err)
{
    *out = NULL;
    *trap = NULL;
    if (nimports && !imports)
        return wb_error_set(err, "no imports given for %zu import(s)", nimports);
    if (check_imports(m, imports, nimports, err) < 0)
        return -1;
    wb_instance *inst = NULL;
    if (inst_alloc(s, m, &inst, err) < 0 || build(inst, imports, err) < 0)
        return -1;
    if (run_elem_segments(inst, trap, err) < 0 || run_data_segments(inst, trap, err) < 0 ||
        run_start(inst, trap, err) < 0)
        return -1;
    *out = inst;
    return 0;
}

/* ---- exports and callers -------------------------------------------------------- */

bool wb_instance_export(wb_instance *inst, const char *name, size_t name_len, wb_extern *out)
{
    const wb_module *m = inst->module;
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wb_export *x = &m->exports[i];
        if (x->name_len != name_len || (name_len && memcmp(x->name, name, name_len) != 0))
            continue;
        out->kind = x->kind;
        switch (x->kind) {
        case WB_EXTERN_FUNC:
            out->of.func = inst->funcs[x->index];
            break;
        case WB_EXTERN_TABLE:
            out->of.table = inst->tables[x->index];
            break;
        case WB_EXTERN_MEMORY:
            out->of.memory = inst->memories[x->index];
            break;
        case WB_EXTERN_GLOBAL:
            out->of.global = inst->globals[x->index];
            break;
        }
        return true;
    }
    return false;
}

wb_memory *wb_instance_memory(wb_instance *inst)
{
    return inst && inst->module->nmemories ? inst->memories[0] : NULL;
}

wb_memory *wb_caller_memory(wb_caller *c)
{
    return wb_instance_memory(c->inst);
}

wb_instance *wb_caller_instance(wb_caller *c)
{
    return c->inst;
}

/* ---- memory.init and table.init --------------------------------------------------- */

/* Their traps name exec.current: the function running them, or none while the
 * segments of a new instance are applied outside any call. */

wb_trap *wb_memory_init(wb_instance *inst, uint32_t mem, uint32_t seg, uint32_t dst, uint32_t src,
                        uint32_t n)
{
    wb_memory *m = inst->memories[mem];
    const wb_data_inst *d = &inst->datas[seg];
    if ((uint64_t)src + n > d->len || (uint64_t)dst + n > m->size)
        return wb_trap_at(WB_TRAP_MEMORY_OOB, inst->store->exec.current);
    if (n)
        memcpy(m->base + dst, d->bytes + src, n);
    return NULL;
}

wb_trap *wb_table_init(wb_instance *inst, uint32_t table, uint32_t seg, uint32_t dst, uint32_t src,
                       uint32_t n)
{
    wb_table *t = inst->tables[table];
    const wb_elem_inst *e = &inst->elems[seg];
    if ((uint64_t)src + n > e->count || (uint64_t)dst + n > t->size)
        return wb_trap_at(WB_TRAP_TABLE_OOB, inst->store->exec.current);
    if (n)
        memcpy(t->elems + dst, e->values + src, (size_t)n * sizeof(wb_val));
    return NULL;
}
