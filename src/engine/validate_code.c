/*
 * validate_code.c — validation of function bodies: the algorithm of the spec's
 * validation appendix, in one pass per body.
 *
 * An operand stack of value-type bytes (0 = "unknown", the bottom type that
 * appears in unreachable code) and a stack of control frames, both reused from
 * body to body and grown by doubling: nothing is allocated per instruction.
 * The frequent instructions are read in place by a threaded dispatch loop
 * (run() below); everything else goes through wb_read_instr() (opcodes.h),
 * the one authority on encodings. The guarantees a validated body gives to the
 * translator are listed at the top of validate.c.
 */
#include <stdio.h>
#include <string.h>

#include "opcodes.h"
#include "validate.h"

#define UNKNOWN 0
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

typedef struct vctl {
    const uint8_t *params, *results;
    uint32_t nparams, nresults;
    uint32_t height; /* operand stack height at entry (params excluded) */
    uint16_t kind;   /* WB_OP_BLOCK / LOOP / IF / ELSE; 0 for the function itself */
    bool unreachable;
} vctl;

typedef struct vstate {
    const wb_module *m;
    uint8_t *vals;
    uint32_t nvals, vcap;
    vctl *ctls;
    vctl *cur; /* &ctls[nctls - 1] */
    uint32_t nctls, ccap;
    uint8_t *locals; /* params then declared locals of the current function */
    uint32_t nlocals, lcap;
    /* the first error */
    const char *bad;
    const uint8_t *bad_at;
    bool bad_malformed;
    char msg[96];
} vstate;

/* [t] = t: lets a one-result block type point at a 1-element type list. */
static const uint8_t single_type[256] = {
    [WB_I32] = WB_I32, [WB_I64] = WB_I64,         [WB_F32] = WB_F32,
    [WB_F64] = WB_F64, [WB_FUNCREF] = WB_FUNCREF, [WB_EXTERNREF] = WB_EXTERNREF,
};

/* ---- errors ---------------------------------------------------------------------- */

static bool fail(vstate *v, const uint8_t *at, const char *what)
{
    if (!v->bad) {
        v->bad = what;
        v->bad_at = at;
    }
    return false;
}

static bool fail_malformed(vstate *v, const uint8_t *at, const char *what)
{
    if (!v->bad)
        v->bad_malformed = true;
    return fail(v, at, what);
}

static bool fail_idx(vstate *v, const uint8_t *at, const char *what, uint32_t idx)
{
    if (v->bad) /* keep the first error (and its text in msg) */
        return false;
    snprintf(v->msg, sizeof v->msg, "%s %u", what, idx);
    return fail(v, at, v->msg);
}

static bool mismatch(vstate *v, const uint8_t *at)
{
    return fail(v, at, "type mismatch");
}

static const char *type_name(uint8_t t)
{
    switch (t) {
    case WB_I32:
        return "i32";
    case WB_I64:
        return "i64";
    case WB_F32:
        return "f32";
    case WB_F64:
        return "f64";
    case WB_FUNCREF:
        return "funcref";
    case WB_EXTERNREF:
        return "externref";
    default:
        return "?";
    }
}

/* The spec's "type mismatch", with what was expected and found. */
static bool mismatch_found(vstate *v, const uint8_t *at, uint8_t want, int got)
{
    if (v->bad)
        return false;
    if (got < 0)
        snprintf(v->msg, sizeof v->msg, "type mismatch: expected %s but nothing is on the stack",
                 type_name(want));
    else
        snprintf(v->msg, sizeof v->msg, "type mismatch: expected %s but found %s", type_name(want),
                 type_name((uint8_t)got));
    return fail(v, at, v->msg);
}

/* ---- the two stacks ---------------------------------------------------------------- */

static bool grow_vals(vstate *v, uint64_t need)
{
    if (need > WB_MAX_OPERAND_STACK)
        return fail(v, NULL, "operand stack too deep (implementation limit)");
    uint32_t cap = v->vcap ? v->vcap : 64;
    while (cap < need)
        cap *= 2;
    uint8_t *vals = realloc(v->vals, cap);
    if (!vals)
        return fail(v, NULL, "out of memory");
    v->vals = vals;
    v->vcap = cap;
    return true;
}

static inline vctl *top(vstate *v)
{
    return v->cur;
}

static inline bool push(vstate *v, uint8_t t)
{
    if (UNLIKELY(v->nvals == v->vcap) && !grow_vals(v, (uint64_t)v->nvals + 1))
        return false;
    v->vals[v->nvals++] = t;
    return true;
}

static bool push_vals(vstate *v, const uint8_t *types, uint32_t n)
{
    if (n == 0)
        return true;
    if (UNLIKELY(v->vcap - v->nvals < n) && !grow_vals(v, (uint64_t)v->nvals + n))
        return false;
    memcpy(v->vals + v->nvals, types, n);
    v->nvals += n;
    return true;
}

static inline bool pop_expect(vstate *v, uint8_t want, const uint8_t *at)
{
    vctl *c = top(v);
    if (UNLIKELY(v->nvals == c->height))
        return c->unreachable ? true : mismatch_found(v, at, want, -1);
    uint8_t t = v->vals[--v->nvals];
    return LIKELY(t == want) || t == UNKNOWN ? true : mismatch_found(v, at, want, t);
}

static inline bool pop_any(vstate *v, uint8_t *out, const uint8_t *at)
{
    vctl *c = top(v);
    if (UNLIKELY(v->nvals == c->height)) {
        *out = UNKNOWN;
        return c->unreachable ? true : mismatch(v, at);
    }
    *out = v->vals[--v->nvals];
    return true;
}

static bool pop_vals(vstate *v, const uint8_t *types, uint32_t n, const uint8_t *at)
{
    for (uint32_t i = n; i-- > 0;)
        if (!pop_expect(v, types[i], at))
            return false;
    return true;
}

/* pop_vals then push_vals of the values popped, i.e. a check that leaves the
 * stack as it was (br_table's targets). */
static bool check_vals(vstate *v, const uint8_t *types, uint32_t n, const uint8_t *at)
{
    vctl *c = top(v);
    uint32_t avail = v->nvals - c->height;
    for (uint32_t i = 0; i < n; i++) {
        if (i >= avail)
            return c->unreachable ? true : mismatch(v, at);
        uint8_t t = v->vals[v->nvals - 1 - i];
        if (t != types[n - 1 - i] && t != UNKNOWN)
            return mismatch(v, at);
    }
    return true;
}

static bool push_ctl(vstate *v, uint16_t kind, const uint8_t *params, uint32_t np,
                     const uint8_t *results, uint32_t nr)
{
    if (UNLIKELY(v->nctls == v->ccap)) {
        uint32_t cap = v->ccap ? v->ccap * 2 : 16;
        vctl *ctls = realloc(v->ctls, cap * sizeof *ctls);
        if (!ctls)
            return fail(v, NULL, "out of memory");
        v->ctls = ctls;
        v->ccap = cap;
    }
    v->ctls[v->nctls++] = (vctl){.params = params,
                                 .results = results,
                                 .nparams = np,
                                 .nresults = nr,
                                 .height = v->nvals,
                                 .kind = kind};
    v->cur = &v->ctls[v->nctls - 1];
    return push_vals(v, params, np);
}

static bool pop_ctl(vstate *v, vctl *out, const uint8_t *at)
{
    vctl *c = top(v);
    if (!pop_vals(v, c->results, c->nresults, at))
        return false;
    if (v->nvals != c->height)
        return mismatch(v, at);
    *out = *c;
    v->nctls--;
    v->cur = v->nctls ? c - 1 : NULL;
    return true;
}

static void set_unreachable(vstate *v)
{
    vctl *c = top(v);
    v->nvals = c->height;
    c->unreachable = true;
}

static inline void label_types(const vctl *c, const uint8_t **types, uint32_t *n)
{
    if (c->kind == WB_OP_LOOP) {
        *types = c->params;
        *n = c->nparams;
    } else {
        *types = c->results;
        *n = c->nresults;
    }
}

static bool label(vstate *v, uint32_t depth, const uint8_t *at, const vctl **out)
{
    if (depth >= v->nctls)
        return fail_idx(v, at, "unknown label", depth);
    *out = &v->ctls[v->nctls - 1 - depth];
    return true;
}

/* ---- instructions ------------------------------------------------------------------- */

/* Table-driven stack effect: pop in2, pop in1, push out. */
static inline bool simple(vstate *v, const wb_opinfo *info, const uint8_t *at)
{
    vctl *c = top(v);
    uint32_t n = v->nvals;
    /* Fast path: enough known operands above the frame. */
    if (info->in2) {
        if (LIKELY(n >= c->height + 2 && v->vals[n - 1] == info->in2 &&
                   v->vals[n - 2] == info->in1)) {
            n -= 2;
        } else {
            if (!pop_expect(v, info->in2, at) || !pop_expect(v, info->in1, at))
                return false;
            n = v->nvals;
        }
    } else if (info->in1) {
        if (LIKELY(n >= c->height + 1 && v->vals[n - 1] == info->in1)) {
            n -= 1;
        } else {
            if (!pop_expect(v, info->in1, at))
                return false;
            n = v->nvals;
        }
    }
    v->nvals = n;
    if (info->out)
        return push(v, info->out);
    return true;
}

static bool block_sig(vstate *v, const wb_instr *ins, const uint8_t *at, vctl *sig)
{
    sig->nparams = sig->nresults = 0;
    sig->params = sig->results = NULL;
    switch (ins->block_kind) {
    case WB_BLOCK_EMPTY:
        return true;
    case WB_BLOCK_VALTYPE:
        sig->results = &single_type[ins->block_valtype];
        sig->nresults = 1;
        return true;
    default:
        if (ins->i64 < 0 || ins->i64 >= v->m->ntypes)
            return fail_idx(v, at, "unknown type", (uint32_t)ins->i64);
        const wb_functype *t = &v->m->types[ins->i64];
        sig->params = t->params;
        sig->nparams = t->nparams;
        sig->results = t->results;
        sig->nresults = t->nresults;
        return true;
    }
}

static bool op_block(vstate *v, const wb_instr *ins, const uint8_t *at)
{
    vctl sig;
    if (!block_sig(v, ins, at, &sig))
        return false;
    if (ins->op == WB_OP_IF && !pop_expect(v, WB_I32, at))
        return false;
    if (!pop_vals(v, sig.params, sig.nparams, at))
        return false;
    return push_ctl(v, ins->op, sig.params, sig.nparams, sig.results, sig.nresults);
}

static bool same_types(const uint8_t *a, uint32_t na, const uint8_t *b, uint32_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na) == 0);
}

static bool op_else(vstate *v, const uint8_t *at)
{
    if (top(v)->kind != WB_OP_IF)
        return fail_malformed(v, at, "END opcode expected");
    vctl c;
    if (!pop_ctl(v, &c, at))
        return false;
    return push_ctl(v, WB_OP_ELSE, c.params, c.nparams, c.results, c.nresults);
}

static bool op_end(vstate *v, const uint8_t *at)
{
    vctl c;
    if (!pop_ctl(v, &c, at))
        return false;
    /* An if without else: the missing branch passes its params through. */
    if (c.kind == WB_OP_IF && !same_types(c.params, c.nparams, c.results, c.nresults))
        return mismatch(v, at);
    return push_vals(v, c.results, c.nresults);
}

static bool op_br_table(vstate *v, const wb_instr *ins, const uint8_t *at)
{
    const vctl *target;
    const uint8_t *types;
    uint32_t arity;
    if (!pop_expect(v, WB_I32, at) || !label(v, ins->b, at, &target))
        return false;
    label_types(target, &types, &arity);
    const uint8_t *q = ins->vec;
    for (uint32_t i = 0; i < ins->a; i++) {
        const uint8_t *lt;
        uint32_t n;
        if (!label(v, wb_leb_u32_unchecked(&q), at, &target))
            return false;
        label_types(target, &lt, &n);
        if (n != arity)
            return mismatch(v, at);
        if (!check_vals(v, lt, n, at))
            return false;
    }
    if (!pop_vals(v, types, arity, at))
        return false;
    set_unreachable(v);
    return true;
}

static bool op_branch(vstate *v, const wb_instr *ins, const uint8_t *at)
{
    const vctl *target;
    const uint8_t *types;
    uint32_t n;
    if (!label(v, ins->a, at, &target))
        return false;
    label_types(target, &types, &n);
    if (ins->op == WB_OP_BR) {
        if (!pop_vals(v, types, n, at))
            return false;
        set_unreachable(v);
        return true;
    }
    /* br_if: what remains on the stack is typed by the label (2.0 rule) */
    if (!pop_expect(v, WB_I32, at) || !pop_vals(v, types, n, at))
        return false;
    return push_vals(v, types, n);
}

static bool call_type(vstate *v, const wb_functype *t, const uint8_t *at)
{
    if (!pop_vals(v, t->params, t->nparams, at))
        return false;
    return push_vals(v, t->results, t->nresults);
}

static bool op_call_indirect(vstate *v, const wb_instr *ins, const uint8_t *at)
{
    const wb_module *m = v->m;
    if (ins->b >= m->ntables)
        return fail_idx(v, at, "unknown table", ins->b);
    if (ins->a >= m->ntypes)
        return fail_idx(v, at, "unknown type", ins->a);
    if (m->tables[ins->b].elem != WB_FUNCREF)
        return mismatch(v, at);
    if (!pop_expect(v, WB_I32, at))
        return false;
    return call_type(v, &m->types[ins->a], at);
}

static bool op_select(vstate *v, const wb_instr *ins, const uint8_t *at)
{
    uint8_t t1, t2;
    if (ins->op == WB_OP_SELECT_T) {
        if (ins->a != 1)
            return fail(v, at, "invalid result arity");
        uint8_t t = ins->vec[0];
        return pop_expect(v, WB_I32, at) && pop_expect(v, t, at) && pop_expect(v, t, at) &&
               push(v, t);
    }
    if (!pop_expect(v, WB_I32, at) || !pop_any(v, &t1, at) || !pop_any(v, &t2, at))
        return false;
    if ((t1 != UNKNOWN && !wb_is_numtype(t1)) || (t2 != UNKNOWN && !wb_is_numtype(t2)))
        return mismatch(v, at);
    if (t1 != t2 && t1 != UNKNOWN && t2 != UNKNOWN)
        return mismatch(v, at);
    return push(v, t1 == UNKNOWN ? t2 : t1);
}

static bool op_local(vstate *v, const wb_instr *ins, const uint8_t *at)
{
    if (ins->a >= v->nlocals)
        return fail_idx(v, at, "unknown local", ins->a);
    uint8_t t = v->locals[ins->a];
    switch (ins->op) {
    case WB_OP_LOCAL_GET:
        return push(v, t);
    case WB_OP_LOCAL_SET:
        return pop_expect(v, t, at);
    default: /* tee */
        return pop_expect(v, t, at) && push(v, t);
    }
}

static bool op_global(vstate *v, const wb_instr *ins, const uint8_t *at)
{
    const wb_module *m = v->m;
    if (ins->a >= m->nglobals)
        return fail_idx(v, at, "unknown global", ins->a);
    const wb_globaltype *g = &m->global_types[ins->a];
    if (ins->op == WB_OP_GLOBAL_GET)
        return push(v, g->type);
    if (!g->mutable_)
        return fail(v, at, "global is immutable");
    return pop_expect(v, g->type, at);
}

static bool need_memory(vstate *v, const uint8_t *at)
{
    return v->m->nmemories ? true : fail_idx(v, at, "unknown memory", 0);
}

static bool need_table(vstate *v, uint32_t idx, const uint8_t *at, uint8_t *elem)
{
    if (idx >= v->m->ntables)
        return fail_idx(v, at, "unknown table", idx);
    *elem = v->m->tables[idx].elem;
    return true;
}

static bool need_elem(vstate *v, uint32_t idx, const uint8_t *at, uint8_t *elem)
{
    if (idx >= v->m->nelems)
        return fail_idx(v, at, "unknown elem segment", idx);
    *elem = v->m->elems[idx].elem_type;
    return true;
}

/* Without a data count section memory.init and data.drop are malformed, but
 * in a module without any data segment they cannot be valid either, and
 * "unknown data segment" is then the more useful word (and what the
 * testsuite's text-format tests expect: wast2json omits the empty section). */
static bool need_data(vstate *v, uint32_t idx, const uint8_t *at)
{
    if (!v->m->has_datacount && v->m->ndatas)
        return fail_malformed(v, at, "data count section required");
    if (idx >= v->m->ndatas)
        return fail_idx(v, at, "unknown data segment", idx);
    return true;
}

static bool pop3_i32(vstate *v, const uint8_t *at)
{
    return pop_expect(v, WB_I32, at) && pop_expect(v, WB_I32, at) && pop_expect(v, WB_I32, at);
}

static bool op_table(vstate *v, const wb_instr *ins, const uint8_t *at)
{
    uint8_t t, t2;
    switch (ins->op) {
    case WB_OP_TABLE_GET:
        return need_table(v, ins->a, at, &t) && pop_expect(v, WB_I32, at) && push(v, t);
    case WB_OP_TABLE_SET:
        return need_table(v, ins->a, at, &t) && pop_expect(v, t, at) && pop_expect(v, WB_I32, at);
    case WB_OP_TABLE_SIZE:
        return need_table(v, ins->a, at, &t) && push(v, WB_I32);
    case WB_OP_TABLE_GROW:
        return need_table(v, ins->a, at, &t) && pop_expect(v, WB_I32, at) && pop_expect(v, t, at) &&
               push(v, WB_I32);
    case WB_OP_TABLE_FILL:
        return need_table(v, ins->a, at, &t) && pop_expect(v, WB_I32, at) && pop_expect(v, t, at) &&
               pop_expect(v, WB_I32, at);
    case WB_OP_TABLE_COPY:
        if (!need_table(v, ins->a, at, &t) || !need_table(v, ins->b, at, &t2))
            return false;
        return t == t2 ? pop3_i32(v, at) : mismatch(v, at);
    case WB_OP_TABLE_INIT: /* a = elem segment, b = table */
        if (!need_table(v, ins->b, at, &t) || !need_elem(v, ins->a, at, &t2))
            return false;
        return t == t2 ? pop3_i32(v, at) : mismatch(v, at);
    default: /* elem.drop */
        return need_elem(v, ins->a, at, &t);
    }
}

static bool op_bulk_memory(vstate *v, const wb_instr *ins, const uint8_t *at)
{
    switch (ins->op) {
    case WB_OP_MEMORY_INIT:
        if (!v->m->has_datacount && v->m->ndatas)
            return need_data(v, ins->a, at);
        return need_memory(v, at) && need_data(v, ins->a, at) && pop3_i32(v, at);
    case WB_OP_DATA_DROP:
        return need_data(v, ins->a, at);
    default: /* memory.copy, memory.fill: both [i32 i32 i32] -> [] */
        return need_memory(v, at) && pop3_i32(v, at);
    }
}

static bool op_ref(vstate *v, const wb_instr *ins, const uint8_t *at)
{
    uint8_t t;
    switch (ins->op) {
    case WB_OP_REF_NULL:
        return push(v, (uint8_t)ins->a);
    case WB_OP_REF_IS_NULL:
        if (!pop_any(v, &t, at))
            return false;
        if (t != UNKNOWN && !wb_is_reftype(t))
            return mismatch(v, at);
        return push(v, WB_I32);
    default: /* ref.func */
        if (ins->a >= v->m->nfuncs)
            return fail_idx(v, at, "unknown function", ins->a);
        if (!v->m->func_declared[ins->a])
            return fail(v, at, "undeclared function reference");
        return push(v, WB_FUNCREF);
    }
}

/* Instructions with immediates, and the special ones. */
static bool instr(vstate *v, const wb_instr *ins, const uint8_t *at)
{
    const wb_module *m = v->m;
    const wb_opinfo *info = wb_opinfo_of(ins->op);
    if (!info->special) { /* loads, stores, constants, memory.size/grow, trunc_sat */
        if (info->imm == WB_IMM_MEMARG || info->imm == WB_IMM_MEM) {
            if (!need_memory(v, at))
                return false;
            if (info->imm == WB_IMM_MEMARG && ins->a > info->align)
                return fail(v, at, "alignment must not be larger than natural");
        }
        return simple(v, info, at);
    }
    uint8_t t;
    switch (ins->op) {
    case WB_OP_UNREACHABLE:
        set_unreachable(v);
        return true;
    case WB_OP_BLOCK:
    case WB_OP_LOOP:
    case WB_OP_IF:
        return op_block(v, ins, at);
    case WB_OP_ELSE:
        return op_else(v, at);
    case WB_OP_END:
        return op_end(v, at);
    case WB_OP_BR:
    case WB_OP_BR_IF:
        return op_branch(v, ins, at);
    case WB_OP_BR_TABLE:
        return op_br_table(v, ins, at);
    case WB_OP_RETURN:
        if (!pop_vals(v, v->ctls[0].results, v->ctls[0].nresults, at))
            return false;
        set_unreachable(v);
        return true;
    case WB_OP_CALL:
        if (ins->a >= m->nfuncs)
            return fail_idx(v, at, "unknown function", ins->a);
        return call_type(v, wb_module_func_type(m, ins->a), at);
    case WB_OP_CALL_INDIRECT:
        return op_call_indirect(v, ins, at);
    case WB_OP_DROP:
        return pop_any(v, &t, at);
    case WB_OP_SELECT:
    case WB_OP_SELECT_T:
        return op_select(v, ins, at);
    case WB_OP_LOCAL_GET:
    case WB_OP_LOCAL_SET:
    case WB_OP_LOCAL_TEE:
        return op_local(v, ins, at);
    case WB_OP_GLOBAL_GET:
    case WB_OP_GLOBAL_SET:
        return op_global(v, ins, at);
    case WB_OP_REF_NULL:
    case WB_OP_REF_IS_NULL:
    case WB_OP_REF_FUNC:
        return op_ref(v, ins, at);
    case WB_OP_MEMORY_INIT:
    case WB_OP_DATA_DROP:
    case WB_OP_MEMORY_COPY:
    case WB_OP_MEMORY_FILL:
        return op_bulk_memory(v, ins, at);
    default: /* table.* and elem.drop */
        return op_table(v, ins, at);
    }
}

/* The body ran out before its final `end`. Say what the reference decoder
 * would have said: it reads on into the next bytes of the section. */
static bool fail_eof(vstate *v, const uint8_t *end)
{
    const uint8_t *file_end = v->m->bytes + v->m->len;
    if (v->nctls == 1 && end < file_end)
        return fail_malformed(v, end,
                              *end == WB_OP_END ? "section size mismatch" : "END opcode expected");
    return fail_malformed(v, end, "unexpected end of section or function");
}

/* ---- the dispatch loop ---------------------------------------------------------------- */

/* Stack effects of the numeric instructions, split by shape so that no
 * per-instruction branch depends on which instruction it is. */
static inline bool unary(vstate *v, const wb_opinfo *info, const uint8_t *at)
{
    vctl *c = top(v);
    uint32_t n = v->nvals;
    if (LIKELY(n > c->height && v->vals[n - 1] == info->in1)) {
        v->vals[n - 1] = info->out;
        return true;
    }
    return pop_expect(v, info->in1, at) && push(v, info->out);
}

static inline bool binary(vstate *v, const wb_opinfo *info, const uint8_t *at)
{
    vctl *c = top(v);
    uint32_t n = v->nvals;
    if (LIKELY(n >= c->height + 2 && v->vals[n - 1] == info->in2 && v->vals[n - 2] == info->in1)) {
        v->vals[n - 2] = info->out;
        v->nvals = n - 1;
        return true;
    }
    return pop_expect(v, info->in2, at) && pop_expect(v, info->in1, at) && push(v, info->out);
}

static inline bool store(vstate *v, const wb_opinfo *info, const uint8_t *at)
{
    vctl *c = top(v);
    uint32_t n = v->nvals;
    if (LIKELY(n >= c->height + 2 && v->vals[n - 1] == info->in2 && v->vals[n - 2] == WB_I32)) {
        v->nvals = n - 2;
        return true;
    }
    return pop_expect(v, info->in2, at) && pop_expect(v, WB_I32, at);
}

static inline bool memarg_ok(vstate *v, const wb_opinfo *info, uint32_t align, const uint8_t *at)
{
    if (UNLIKELY(!v->m->nmemories))
        return need_memory(v, at);
    if (UNLIKELY(align > info->align))
        return fail(v, at, "alignment must not be larger than natural");
    return true;
}

static inline bool local_index(vstate *v, uint32_t idx, const uint8_t *at)
{
    return LIKELY(idx < v->nlocals) ? true : fail_idx(v, at, "unknown local", idx);
}

/* The general path: wb_read_instr() (the one authority on encodings), then
 * the instruction's rule. */
static bool general(vstate *v, const uint8_t **pp, const uint8_t *end)
{
    wb_instr ins;
    const uint8_t *at = *pp;
    const char *bad = wb_read_instr(pp, end, &ins);
    if (UNLIKELY(bad != NULL))
        return fail_malformed(v, *pp, bad);
    return instr(v, &ins, at);
}

/* Threaded dispatch: each handler jumps to the next instruction's handler
 * through its own indirect branch, which CPUs predict far better than one
 * shared switch. The frequent instructions are handled in place, reading
 * their immediates with the quick LEB readers (which accept only plainly
 * well-formed numbers); anything else (rare opcodes, odd or malformed
 * encodings) takes the general path, so both agree by construction. */
static bool run(vstate *v, const uint8_t *p, const uint8_t *end)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init" /* the ranges refine [0 ... 255] */
    static const void *const dispatch[256] = {
        [0 ... 255] = &&slow,
        [WB_OP_NOP] = &&nop,
        [WB_OP_END] = &&end,
        [WB_OP_BLOCK] = &&block,
        [WB_OP_LOOP] = &&block,
        [WB_OP_IF] = &&block,
        [WB_OP_BR] = &&branch,
        [WB_OP_BR_IF] = &&branch,
        [WB_OP_CALL] = &&call,
        [WB_OP_LOCAL_GET] = &&local_get,
        [WB_OP_LOCAL_SET] = &&local_set,
        [WB_OP_LOCAL_TEE] = &&local_tee,
        [WB_OP_GLOBAL_GET] = &&global,
        [WB_OP_GLOBAL_SET] = &&global,
        [WB_OP_I32_LOAD... WB_OP_I64_LOAD32_U] = &&load,
        [WB_OP_I32_STORE... WB_OP_I64_STORE32] = &&store,
        [WB_OP_I32_CONST] = &&i32_const,
        [WB_OP_I32_EQZ] = &&unary,
        [WB_OP_I32_EQ... WB_OP_I32_GE_U] = &&binary,
        [WB_OP_I64_EQZ] = &&unary,
        [WB_OP_I64_EQ... WB_OP_F64_GE] = &&binary,
        [WB_OP_I32_CLZ... WB_OP_I32_POPCNT] = &&unary,
        [WB_OP_I32_ADD... WB_OP_I32_ROTR] = &&binary,
        [WB_OP_I64_CLZ... WB_OP_I64_POPCNT] = &&unary,
        [WB_OP_I64_ADD... WB_OP_I64_ROTR] = &&binary,
        [WB_OP_F32_ABS... WB_OP_F32_SQRT] = &&unary,
        [WB_OP_F32_ADD... WB_OP_F32_COPYSIGN] = &&binary,
        [WB_OP_F64_ABS... WB_OP_F64_SQRT] = &&unary,
        [WB_OP_F64_ADD... WB_OP_F64_COPYSIGN] = &&binary,
        [WB_OP_I32_WRAP_I64... WB_OP_I64_EXTEND32_S] = &&unary,
    };
#pragma GCC diagnostic pop
    wb_instr ins;
    const uint8_t *at;
    unsigned n1, n2;
    uint32_t a, b;

#define NEXT(len)                                                                                  \
    do {                                                                                           \
        p += (len);                                                                                \
        if (UNLIKELY(p >= end))                                                                    \
            return fail_eof(v, end);                                                               \
        at = p;                                                                                    \
        goto *dispatch[*p];                                                                        \
    } while (0)
#define CHECK(ok)                                                                                  \
    do {                                                                                           \
        if (UNLIKELY(!(ok))) {                                                                     \
            if (!v->bad_at) /* a failure that did not know where (stack growth) */                 \
                v->bad_at = at;                                                                    \
            return false;                                                                          \
        }                                                                                          \
    } while (0)

    NEXT(0);
nop:
    NEXT(1);
unary:
    CHECK(unary(v, &wb_opinfo_main[*p], at));
    NEXT(1);
binary:
    CHECK(binary(v, &wb_opinfo_main[*p], at));
    NEXT(1);
local_get:
    if (!(n1 = wb_leb_u32_quick(p + 1, end, &a)))
        goto slow;
    CHECK(local_index(v, a, at) && push(v, v->locals[a]));
    NEXT(1 + n1);
local_set:
    if (!(n1 = wb_leb_u32_quick(p + 1, end, &a)))
        goto slow;
    CHECK(local_index(v, a, at) && pop_expect(v, v->locals[a], at));
    NEXT(1 + n1);
local_tee:
    if (!(n1 = wb_leb_u32_quick(p + 1, end, &a)))
        goto slow;
    CHECK(local_index(v, a, at) && pop_expect(v, v->locals[a], at) && push(v, v->locals[a]));
    NEXT(1 + n1);
i32_const:
    if (!(n1 = wb_leb_s32_quick_len(p + 1, end)))
        goto slow;
    CHECK(push(v, WB_I32));
    NEXT(1 + n1);
load:
    if (!(n1 = wb_leb_u32_quick(p + 1, end, &a)) || !(n2 = wb_leb_u32_quick(p + 1 + n1, end, &b)))
        goto slow;
    CHECK(memarg_ok(v, &wb_opinfo_main[*p], a, at) && unary(v, &wb_opinfo_main[*p], at));
    NEXT(1 + n1 + n2);
store:
    if (!(n1 = wb_leb_u32_quick(p + 1, end, &a)) || !(n2 = wb_leb_u32_quick(p + 1 + n1, end, &b)))
        goto slow;
    CHECK(memarg_ok(v, &wb_opinfo_main[*p], a, at) && store(v, &wb_opinfo_main[*p], at));
    NEXT(1 + n1 + n2);
end:
    CHECK(op_end(v, at));
    p++;
    if (v->nctls == 0)
        goto done;
    NEXT(0);
block:
    if (end - p < 2 || (p[1] != 0x40 && !wb_is_valtype(p[1])))
        goto slow;
    ins.op = *p;
    ins.block_kind = p[1] == 0x40 ? WB_BLOCK_EMPTY : WB_BLOCK_VALTYPE;
    ins.block_valtype = p[1];
    CHECK(op_block(v, &ins, at));
    NEXT(2);
branch:
    if (!(n1 = wb_leb_u32_quick(p + 1, end, &ins.a)))
        goto slow;
    ins.op = *p;
    CHECK(op_branch(v, &ins, at));
    NEXT(1 + n1);
call:
    if (!(n1 = wb_leb_u32_quick(p + 1, end, &a)))
        goto slow;
    if (UNLIKELY(a >= v->m->nfuncs))
        return fail_idx(v, at, "unknown function", a);
    CHECK(call_type(v, wb_module_func_type(v->m, a), at));
    NEXT(1 + n1);
global:
    if (!(n1 = wb_leb_u32_quick(p + 1, end, &ins.a)))
        goto slow;
    ins.op = *p;
    CHECK(op_global(v, &ins, at));
    NEXT(1 + n1);
slow:
    CHECK(general(v, &p, end));
    if (v->nctls == 0)
        goto done;
    NEXT(0);
done:
    if (p != end)
        return fail_malformed(v, p, "section size mismatch");
    return true;
#undef NEXT
#undef CHECK
}

static bool body(vstate *v, const wb_func_body *b)
{
    const wb_functype *ft = &v->m->types[b->type];
    uint32_t n = ft->nparams + b->nlocals;
    if (n > v->lcap) {
        uint8_t *l = realloc(v->locals, n);
        if (!l)
            return fail(v, b->code, "out of memory");
        v->locals = l;
        v->lcap = n;
    }
    if (ft->nparams)
        memcpy(v->locals, ft->params, ft->nparams);
    if (b->nlocals)
        memcpy(v->locals + ft->nparams, b->local_types, b->nlocals);
    v->nlocals = n;
    v->nvals = v->nctls = 0;
    if (!push_ctl(v, 0, NULL, 0, ft->results, ft->nresults)) {
        v->bad_at = b->code;
        return false;
    }
    return run(v, b->code, b->code_end);
}

int wb_validate_code(const wb_module *m, uint32_t *failed, wb_error *err)
{
    vstate v = {.m = m};
    uint32_t ndefs = m->nfuncs - m->nfunc_imports;
    int rc = 0;
    for (uint32_t i = 0; i < ndefs; i++) {
        if (body(&v, &m->bodies[i]))
            continue;
        *failed = i;
        size_t off = (size_t)(v.bad_at - m->bytes);
        if (strcmp(v.bad, "out of memory") == 0)
            rc = wb_error_oom(err);
        else if (v.bad_malformed)
            rc = wb_error_set(err, "malformed module: %s at offset 0x%zx", v.bad, off);
        else
            rc = wb_error_set(err, "invalid module: %s in function %u at offset 0x%zx", v.bad,
                              m->nfunc_imports + i, off);
        break;
    }
    free(v.vals);
    free(v.ctls);
    free(v.locals);
    return rc;
}

int wb_check_code_encoding(const wb_module *m, uint32_t from, wb_error *err)
{
    uint32_t ndefs = m->nfuncs - m->nfunc_imports;
    for (uint32_t i = from; i < ndefs; i++) {
        const wb_func_body *b = &m->bodies[i];
        const uint8_t *p = b->code;
        const char *bad = wb_skip_expr(&p, b->code_end, m->has_datacount || !m->ndatas);
        if (!bad && p != b->code_end)
            bad = "section size mismatch";
        if (bad)
            return wb_error_set(err, "malformed module: %s at offset 0x%zx", bad,
                                (size_t)(p - m->bytes));
    }
    return 0;
}
