/*
 * validate.c — validation of a decoded module: everything the spec checks
 * outside function bodies (types, imports, limits, constant expressions,
 * segments, start, exports), then every body (validate_code.c).
 *
 * What a module that passed wb_validate() guarantees — the translator and the
 * instantiator may rely on all of it without checking again:
 *
 *  Module level
 *   - Every type index (imports, functions, call_indirect, block types) is
 *     < ntypes; every function type has at most WB_MAX_FUNC_PARAMS params and
 *     as many results.
 *   - nmemories <= 1; memory limits are <= 65536 pages with min <= max; table
 *     limits have min <= max.
 *   - Constant expressions (global initialisers, elem/data offsets, elem
 *     items) are exactly one of i32/i64/f32/f64.const, ref.null t, ref.func f
 *     (f < nfuncs) or global.get g with g an IMPORTED, IMMUTABLE global, and
 *     produce the expected type (i32 for offsets). The range excludes the `end`.
 *   - Active elem segments name an existing table with the segment's element
 *     type; active data segments name memory 0 (which exists). Function
 *     indices of elem segments are < nfuncs.
 *   - The start function exists and has type [] -> []. Export indices are in
 *     range and export names are distinct.
 *   - func_declared[f] is set for every function named by an export, an elem
 *     segment or a global initialiser (the only ones ref.func may name in code).
 *
 *  Each function body (bytes [code, code_end))
 *   - It decodes: every opcode is known, every immediate is well formed (the
 *     LEB rules, zero bytes) and wb_read_instr() succeeds on each instruction;
 *     block/loop/if/else/end nest properly, `else` only closes the then-arm of
 *     an `if`, and the `end` closing the function is the last byte
 *     (code_end[-1] == 0x0b). memory.init/data.drop imply a data count section.
 *   - All indices are in range: locals (< nparams + nlocals), globals, funcs,
 *     types, tables, elem and data segments, labels (< number of enclosing
 *     blocks, the function body counting as the outermost); memory
 *     instructions only occur with a memory; alignment <= natural alignment;
 *     global.set only on mutable globals; ref.func only on declared functions;
 *     typed select has exactly one type; call_indirect's table is funcref.
 *   - Stack typing: at every REACHABLE instruction the operand stack height and
 *     the type of every slot are statically known and the instruction finds
 *     the operand types it needs; at each `end`/`else` the stack holds exactly
 *     the block's results above the block's entry height; branches find the
 *     label's types (a loop's params, another block's results) on top of the
 *     stack. So a translator can assign every operand a fixed frame slot by
 *     tracking the height. Code after unreachable/br/br_table/return up to the
 *     matching `end`/`else` is unreachable: it is type-correct under the
 *     polymorphic-stack rule, but heights there mean nothing — skip it or
 *     track it leniently (never assume it has operands).
 *   - The operand stack never exceeds WB_MAX_OPERAND_STACK entries.
 */
#include <stdio.h>
#include <string.h>

#include "opcodes.h"
#include "validate.h"

static int invalid(wb_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int invalid(wb_error *err, const char *fmt, ...)
{
    char what[WB_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return wb_error_set(err, "invalid module: %s", what);
}

/* ---- types, imports, limits ----------------------------------------------------------- */

static int check_types(const wb_module *m, wb_error *err)
{
    for (uint32_t i = 0; i < m->ntypes; i++)
        if (m->types[i].nparams > WB_MAX_FUNC_PARAMS || m->types[i].nresults > WB_MAX_FUNC_PARAMS)
            return invalid(err,
                           "too many parameters or results in type %u (implementation limit %u)", i,
                           WB_MAX_FUNC_PARAMS);
    return 0;
}

static int check_limits(const wb_limits *l, bool memory, const char *what, uint32_t idx,
                        wb_error *err)
{
    if (memory && (l->min > WB_MAX_PAGES || (l->has_max && l->max > WB_MAX_PAGES)))
        return invalid(err, "memory size must be at most 65536 pages (4GiB) (%s %u)", what, idx);
    if (l->has_max && l->min > l->max)
        return invalid(err, "size minimum must not be greater than maximum (%s %u)", what, idx);
    return 0;
}

static int check_imports(const wb_module *m, wb_error *err)
{
    for (uint32_t i = 0; i < m->nimports; i++) {
        const wb_import *imp = &m->imports[i];
        switch (imp->kind) {
        case WB_EXTERN_FUNC:
            if (imp->desc.func_type >= m->ntypes)
                return invalid(err, "unknown type %u (import %u)", imp->desc.func_type, i);
            break;
        case WB_EXTERN_TABLE:
            if (check_limits(&imp->desc.table.limits, false, "import", i, err) < 0)
                return -1;
            break;
        case WB_EXTERN_MEMORY:
            if (check_limits(&imp->desc.memory, true, "import", i, err) < 0)
                return -1;
            break;
        default:
            break;
        }
    }
    return 0;
}

static int check_funcs_tables_memories(const wb_module *m, wb_error *err)
{
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++)
        if (m->func_types[i] >= m->ntypes)
            return invalid(err, "unknown type %u (function %u)", m->func_types[i], i);
    for (uint32_t i = m->ntable_imports; i < m->ntables; i++)
        if (check_limits(&m->tables[i].limits, false, "table", i, err) < 0)
            return -1;
    for (uint32_t i = m->nmemory_imports; i < m->nmemories; i++)
        if (check_limits(&m->memories[i], true, "memory", i, err) < 0)
            return -1;
    return 0;
}

/* ---- constant expressions ------------------------------------------------------------ */

static int const_error(wb_error *err, const uint8_t *at, const wb_module *m, const char *fmt,
                       uint32_t idx, bool with_idx)
{
    size_t off = (size_t)(at - m->bytes);
    if (with_idx)
        return wb_error_set(err, "invalid module: %s %u at offset 0x%zx", fmt, idx, off);
    return wb_error_set(err, "invalid module: %s at offset 0x%zx", fmt, off);
}

/* One instruction of a constant expression: its result type, or an error. */
static int const_instr(wb_module *m, const wb_instr *ins, const uint8_t *at, uint8_t *type,
                       wb_error *err)
{
    switch (ins->op) {
    case WB_OP_I32_CONST:
        *type = WB_I32;
        return 0;
    case WB_OP_I64_CONST:
        *type = WB_I64;
        return 0;
    case WB_OP_F32_CONST:
        *type = WB_F32;
        return 0;
    case WB_OP_F64_CONST:
        *type = WB_F64;
        return 0;
    case WB_OP_REF_NULL:
        *type = (uint8_t)ins->a;
        return 0;
    case WB_OP_REF_FUNC:
        if (ins->a >= m->nfuncs)
            return const_error(err, at, m, "unknown function", ins->a, true);
        m->func_declared[ins->a] = 1;
        *type = WB_FUNCREF;
        return 0;
    case WB_OP_GLOBAL_GET:
        /* 2.0: only imported globals are visible to constant expressions */
        if (ins->a >= m->nglobal_imports)
            return const_error(err, at, m, "unknown global", ins->a, true);
        if (m->global_types[ins->a].mutable_)
            return const_error(err, at, m, "constant expression required", 0, false);
        *type = m->global_types[ins->a].type;
        return 0;
    default:
        return const_error(err, at, m, "constant expression required", 0, false);
    }
}

static int check_const(wb_module *m, const wb_constexpr *e, uint8_t want, wb_error *err)
{
    const uint8_t *p = e->start;
    uint32_t n = 0;
    uint8_t type = 0;
    while (p < e->end) {
        const uint8_t *at = p;
        wb_instr ins;
        const char *bad = wb_read_instr(&p, e->end, &ins); /* decoded once already */
        if (bad)
            return wb_error_set(err, "malformed module: %s at offset 0x%zx", bad,
                                (size_t)(p - m->bytes));
        if (const_instr(m, &ins, at, &type, err) < 0)
            return -1;
        n++;
    }
    if (n != 1 || type != want)
        return const_error(err, e->end, m, "type mismatch", 0, false);
    return 0;
}

static int check_globals(wb_module *m, wb_error *err)
{
    for (uint32_t i = 0; i < m->nglobals - m->nglobal_imports; i++)
        if (check_const(m, &m->globals[i].init, m->globals[i].type.type, err) < 0)
            return -1;
    return 0;
}

static int check_elem(wb_module *m, uint32_t i, wb_error *err)
{
    wb_elem_segment *s = &m->elems[i];
    if (s->mode == WB_SEG_ACTIVE) {
        if (s->table >= m->ntables)
            return invalid(err, "unknown table %u (elem segment %u)", s->table, i);
        if (m->tables[s->table].elem != s->elem_type)
            return invalid(err, "type mismatch (elem segment %u and table %u)", i, s->table);
        if (check_const(m, &s->offset, WB_I32, err) < 0)
            return -1;
    }
    for (uint32_t k = 0; k < s->count; k++) {
        if (s->exprs) {
            if (check_const(m, &s->exprs[k], s->elem_type, err) < 0)
                return -1;
            continue;
        }
        uint32_t f = s->func_indices[k];
        if (f >= m->nfuncs)
            return invalid(err, "unknown function %u (elem segment %u)", f, i);
        m->func_declared[f] = 1;
    }
    return 0;
}

static int check_datas(wb_module *m, wb_error *err)
{
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const wb_data_segment *s = &m->datas[i];
        if (s->mode != WB_SEG_ACTIVE)
            continue;
        if (s->memory >= m->nmemories)
            return invalid(err, "unknown memory %u (data segment %u)", s->memory, i);
        if (check_const(m, &s->offset, WB_I32, err) < 0)
            return -1;
    }
    return 0;
}

/* ---- start, exports ------------------------------------------------------------------- */

static int check_start(const wb_module *m, wb_error *err)
{
    if (!m->has_start)
        return 0;
    if (m->start >= m->nfuncs)
        return invalid(err, "unknown function %u (start)", m->start);
    const wb_functype *t = wb_module_func_type(m, m->start);
    if (t->nparams || t->nresults)
        return invalid(err, "start function %u must have type [] -> []", m->start);
    return 0;
}

static int export_cmp(const void *a, const void *b)
{
    const wb_export *x = *(wb_export *const *)a, *y = *(wb_export *const *)b;
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->name, y->name, n);
    if (c)
        return c;
    return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}

static int check_export_names(const wb_module *m, wb_error *err)
{
    if (m->nexports < 2)
        return 0;
    const wb_export **sorted = malloc(m->nexports * sizeof *sorted);
    if (!sorted)
        return wb_error_oom(err);
    for (uint32_t i = 0; i < m->nexports; i++)
        sorted[i] = &m->exports[i];
    qsort(sorted, m->nexports, sizeof *sorted, export_cmp);
    int rc = 0;
    for (uint32_t i = 1; i < m->nexports && rc == 0; i++)
        if (export_cmp(&sorted[i - 1], &sorted[i]) == 0)
            rc = invalid(err, "duplicate export name \"%.*s\"", (int)sorted[i]->name_len,
                         sorted[i]->name);
    free(sorted);
    return rc;
}

/* Bounds of export indices, and the functions they declare for ref.func. */
static int check_exports(wb_module *m, wb_error *err)
{
    static const char *const kinds[] = {"function", "table", "memory", "global"};
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wb_export *e = &m->exports[i];
        uint32_t limit = e->kind == WB_EXTERN_FUNC     ? m->nfuncs
                         : e->kind == WB_EXTERN_TABLE  ? m->ntables
                         : e->kind == WB_EXTERN_MEMORY ? m->nmemories
                                                       : m->nglobals;
        if (e->index >= limit)
            return invalid(err, "unknown %s %u (export %u)", kinds[e->kind], e->index, i);
        if (e->kind == WB_EXTERN_FUNC)
            m->func_declared[e->index] = 1;
    }
    return 0;
}

/* ---- the module ------------------------------------------------------------------------ */

/* Everything but the bodies, in the reference interpreter's order (exports
 * first only for their ref.func declarations' sake: their errors are rarer). */
static int check_module(wb_module *m, wb_error *err)
{
    if (check_types(m, err) < 0 || check_imports(m, err) < 0 ||
        check_funcs_tables_memories(m, err) < 0 || check_exports(m, err) < 0 ||
        check_globals(m, err) < 0)
        return -1;
    for (uint32_t i = 0; i < m->nelems; i++)
        if (check_elem(m, i, err) < 0)
            return -1;
    if (check_datas(m, err) < 0 || check_start(m, err) < 0 || check_export_names(m, err) < 0)
        return -1;
    if (m->nmemories > 1)
        return invalid(err, "multiple memories");
    return 0;
}

int wb_validate(wb_module *m, wb_error *err)
{
    free(m->func_declared);
    m->func_declared = calloc(m->nfuncs ? m->nfuncs : 1, 1);
    if (!m->func_declared)
        return wb_error_oom(err);
    wb_error e;
    uint32_t failed = 0;
    if (check_module(m, &e) == 0 && wb_validate_code(m, &failed, &e) == 0)
        return 0;
    /* A decoding error anywhere in the code outranks a validation error. */
    if (strncmp(e.message, "invalid", 7) == 0)
        wb_check_code_encoding(m, failed, &e);
    if (err)
        *err = e;
    return -1;
}
