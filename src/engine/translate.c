/*
 * translate.c — turns one validated function body into the interpreter's
 * compact code (see translate.h for the code format, translate_impl.h for the
 * stack model).
 *
 * One forward pass over the wasm bytes. Branch targets are resolved here:
 * backward ones (loops) at once, forward ones through a chain threaded through
 * the not-yet-known target words, bound when the block's `end` is reached; all
 * of them become absolute code pointers in the final relocation step. Dead code
 * (after br, br_table, return, unreachable) is skipped, not translated.
 *
 * Peephole fusions done here:
 *   - local.get / *.const produce no instruction (operands alias locals and
 *     immediates), so "local.get a; local.get b; i32.add" is one instruction;
 *   - local.set / local.tee retarget the destination of the instruction that
 *     produced their operand ("i32.add; local.set x" writes x directly);
 *   - an integer compare (or eqz) followed by br_if / if becomes one
 *     compare-and-branch (see take_compare);
 *   - i32/i64 add/sub/mul/and/or/xor/shifts and compares with a constant operand
 *     use immediate forms;
 *   - the measured hottest pairs of consecutive instructions become one
 *     superinstruction (tr_op; the list and its numbers are in interp_ops.h).
 */
#include <string.h>

#include "opcodes.h"
#include "translate_impl.h"

/* ---- emission ---------------------------------------------------------------- */

void tr_put(tr *t, wb_word w)
{
    if (t->n == t->cap) {
        if (t->oom)
            return;
        size_t ncap = t->cap ? t->cap * 2 : 256;
        wb_word *c = realloc(t->code, ncap * sizeof *c);
        if (!c) {
            t->oom = true;
            return;
        }
        t->code = c;
        t->cap = ncap;
    }
    t->code[t->n++] = w;
}

/* The superinstruction for the pair (a, b), or 0. */
wb_iop wb_iop_pair(wb_iop a, wb_iop b)
{
    switch ((unsigned)a * WB_IOP_COUNT_ + (unsigned)b) {
#define PAIR_CASE_(X, a, b)                                                                    \
    case WB_IOP_##a * WB_IOP_COUNT_ + WB_IOP_##b:                                              \
        return WB_IOP_##a##__##b;
        WB_SUPERS(PAIR_CASE_, _)
#undef PAIR_CASE_
    default:
        return 0;
    }
}

/* Starts an instruction. If the previous one is complete, no label lies between
 * them, and the pair has a superinstruction, the previous handler word becomes the
 * pair's and the new operands follow the previous ones. Returns the index the
 * handler word has, or would have had: its operands start at the next word. */
size_t tr_op(tr *t, wb_iop op)
{
    t->prev = t->last;
    wb_iop pair = t->last.valid ? wb_iop_pair(t->last.op, op) : 0;
    t->last.valid = false;
    if (pair && !t->oom) {
        t->code[t->last.pos] = (wb_word)(uintptr_t)t->h[pair];
        t->cur_op = pair;
        t->cur_pos = t->last.pos;
        return t->n - 1;
    }
    t->cur_op = op;
    t->cur_pos = t->n;
    tr_put(t, (wb_word)(uintptr_t)t->h[op]);
    return t->cur_pos;
}

/* Marks the instruction just completed as a candidate for pairing, local.set
 * folding (its destination is code[dpos]) and compare fusion. */
void tr_set_last(tr *t, size_t dpos)
{
    if (t->oom)
        return;
    t->last = (tr_last){ .valid = true, .has_dst = true, .op = t->cur_op, .pos = t->cur_pos,
                         .dpos = dpos };
}

/* Marks the instruction just completed as a candidate for pairing only. */
void tr_done(tr *t)
{
    if (t->oom)
        return;
    t->last = (tr_last){ .valid = true, .op = t->cur_op, .pos = t->cur_pos };
}

static bool push_index(size_t **v, size_t *n, size_t *cap, size_t x)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        size_t *nv = realloc(*v, ncap * sizeof *nv);
        if (!nv)
            return false;
        *v = nv;
        *cap = ncap;
    }
    (*v)[(*n)++] = x;
    return true;
}

/* A word that will hold a branch target (a code index until relocation). */
static void put_target_word(tr *t, wb_word index)
{
    size_t pos = t->n;
    tr_put(t, index);
    if (!t->oom && !push_index(&t->relocs, &t->nrelocs, &t->relcap, pos))
        t->oom = true;
}

/* A forward target: linked into *chain until bind() fills it. */
static void put_chain(tr *t, wb_word *chain)
{
    size_t pos = t->n;
    put_target_word(t, *chain);
    if (!t->oom)
        *chain = pos;
}

/* Binds every branch on `chain` to the current position: a label. */
static void bind(tr *t, wb_word chain)
{
    if (chain != TR_NIL)
        t->last.valid = false;
    while (chain != TR_NIL && !t->oom && chain < t->n) {
        wb_word next = t->code[chain];
        t->code[chain] = t->n;
        chain = next;
    }
}

static void emit_copy(tr *t, uint32_t d, uint32_t a)
{
    size_t pos = tr_op(t, WB_IOP_COPY);
    tr_put(t, d);
    tr_put(t, a);
    tr_set_last(t, pos + 1);
}

static void emit_const(tr *t, uint32_t d, wb_val k)
{
    size_t pos = tr_op(t, WB_IOP_CONST);
    tr_put(t, d);
    tr_put(t, k);
    tr_set_last(t, pos + 1);
}

/* ---- LEB128 ------------------------------------------------------------------ */

uint32_t tr_u32(tr *t)
{
    uint32_t r = 0;
    for (unsigned shift = 0; t->p < t->end; shift += 7) {
        uint8_t b = *t->p++;
        if (shift < 32)
            r |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
    }
    return r;
}

int64_t tr_s64(tr *t)
{
    uint64_t r = 0;
    unsigned shift = 0;
    uint8_t b = 0;
    while (t->p < t->end) {
        b = *t->p++;
        if (shift < 64)
            r |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    if (shift < 64 && (b & 0x40))
        r |= ~(uint64_t)0 << shift;
    return (int64_t)r;
}

/* ---- the abstract stack -------------------------------------------------------- */

uint32_t tr_home(const tr *t, uint32_t height) { return t->L + WB_FRAME_RECORD + height; }

static bool stk_room(tr *t)
{
    if (t->sh < t->scap)
        return true;
    uint32_t ncap = t->scap ? t->scap * 2 : 64;
    tr_val *s = realloc(t->stk, ncap * sizeof *s);
    if (!s) {
        t->oom = true;
        return false;
    }
    t->stk = s;
    t->scap = ncap;
    return true;
}

static void push(tr *t, tr_val v)
{
    if (!stk_room(t))
        return;
    t->stk[t->sh++] = v;
    if (t->sh > t->max_h)
        t->max_h = t->sh;
    if (v.kind == TV_LOCAL)
        t->alias[v.local]++;
}

uint32_t tr_push_stk(tr *t)
{
    push(t, (tr_val){ .kind = TV_STK });
    return tr_home(t, t->sh - 1);
}

void tr_push_const(tr *t, wb_val k) { push(t, (tr_val){ .kind = TV_CONST, .k = k }); }

tr_val tr_pop(tr *t)
{
    if (t->sh == 0) /* only after an allocation failure: validated code never underflows */
        return (tr_val){ .kind = TV_STK };
    tr_val v = t->stk[--t->sh];
    if (v.kind == TV_LOCAL)
        t->alias[v.local]--;
    return v;
}

/* The slot an operand (just popped from `height`) can be read from. Constants are
 * written to the entry's home first. */
uint32_t tr_slot(tr *t, tr_val v, uint32_t height)
{
    if (v.kind == TV_LOCAL)
        return v.local;
    uint32_t home = tr_home(t, height);
    if (v.kind == TV_CONST)
        emit_const(t, home, v.k);
    return home;
}

/* Validation guarantees the stack holds what an instruction pops; this keeps a
 * broken promise from reading outside the model. */
static bool have(tr *t, uint32_t n)
{
    if (t->sh >= n)
        return true;
    t->bad = true;
    return false;
}

/* Puts stack entry i in its home slot for good (constants only if `consts`). */
static void materialise(tr *t, uint32_t i, bool consts)
{
    tr_val *v = &t->stk[i];
    if (v->kind == TV_LOCAL) {
        emit_copy(t, tr_home(t, i), v->local);
        t->alias[v->local]--;
        v->kind = TV_STK;
    } else if (v->kind == TV_CONST && consts) {
        emit_const(t, tr_home(t, i), v->k);
        v->kind = TV_STK;
    }
}

/* Before entering a block: no alias may survive into it (a local.set inside could
 * only materialise it on one path), and the block's params live in their homes. */
static void materialise_all(tr *t, uint32_t np)
{
    if (!have(t, np))
        return;
    for (uint32_t i = 0; i < t->sh; i++)
        materialise(t, i, i >= t->sh - np);
}

/* Copies the value of entry i into slot d without changing the model (for code
 * on one path only: branch moves, returns). */
static void emit_move(tr *t, uint32_t i, uint32_t d)
{
    const tr_val *v = &t->stk[i];
    if (v->kind == TV_LOCAL)
        emit_copy(t, d, v->local);
    else if (v->kind == TV_CONST)
        emit_const(t, d, v->k);
    else if (tr_home(t, i) != d)
        emit_copy(t, d, tr_home(t, i));
}

/* ---- control ------------------------------------------------------------------- */

static tr_ctl *top_ctl(tr *t) { return &t->ctl[t->nctl - 1]; }

static tr_ctl *label_ctl(tr *t, uint32_t depth)
{
    if (depth >= t->nctl) /* validated code never does this */
        depth = t->nctl - 1;
    return &t->ctl[t->nctl - 1 - depth];
}

static uint32_t label_arity(const tr_ctl *c) { return c->kind == CTL_LOOP ? c->np : c->nr; }

static bool push_ctl(tr *t, uint8_t kind, uint32_t np, uint32_t nr)
{
    if (t->nctl == t->ccap) {
        uint32_t ncap = t->ccap ? t->ccap * 2 : 16;
        tr_ctl *c = realloc(t->ctl, ncap * sizeof *c);
        if (!c) {
            t->oom = true;
            return false;
        }
        t->ctl = c;
        t->ccap = ncap;
    }
    uint32_t base = t->sh >= np ? t->sh - np : 0;
    t->ctl[t->nctl++] = (tr_ctl){ .kind = kind, .np = np, .nr = nr, .base = base,
                                  .label = t->n, .patches = TR_NIL, .else_patch = TR_NIL };
    if (kind == CTL_LOOP) /* its head is a branch target */
        t->last.valid = false;
    return true;
}

static void read_blocktype(tr *t, uint32_t *np, uint32_t *nr)
{
    *np = *nr = 0;
    if (t->p >= t->end)
        return;
    uint8_t b = *t->p;
    if (b == 0x40) {
        t->p++;
    } else if ((b & 0xc0) == 0x40) { /* a single-byte negative s33: a value type */
        t->p++;
        *nr = 1;
    } else {
        int64_t idx = tr_s64(t);
        if (idx >= 0 && (uint64_t)idx < t->m->ntypes) {
            *np = t->m->types[idx].nparams;
            *nr = t->m->types[idx].nresults;
        }
    }
}

/* Pops entries down to the block's base, then the rest of the block is dead. */
static void set_dead(tr *t)
{
    tr_ctl *c = top_ctl(t);
    while (t->sh > c->base)
        tr_pop(t);
    c->unreachable = true;
    t->dead_depth = 0;
    t->last.valid = false;
}

static bool needs_moves(tr *t, uint32_t arity, uint32_t dst_base)
{
    if (!have(t, arity))
        return false;
    for (uint32_t i = 0; i < arity; i++) {
        uint32_t h = t->sh - arity + i;
        if (t->stk[h].kind != TV_STK || h != dst_base + i)
            return true;
    }
    return false;
}

/* Moves the top `arity` values to the homes starting at dst_base. Sources never sit
 * below their destinations, so copying upward never overwrites a pending source. */
static void emit_moves(tr *t, uint32_t arity, uint32_t dst_base)
{
    if (!have(t, arity))
        return;
    for (uint32_t i = 0; i < arity; i++)
        emit_move(t, t->sh - arity + i, tr_home(t, dst_base + i));
}

/* Returns the function's results from the top of the stack (model unchanged). */
static void emit_return(tr *t)
{
    uint32_t nr = t->nresults;
    if (!have(t, nr))
        return;
    if (nr == 0) {
        tr_op(t, WB_IOP_RET0);
        tr_put(t, t->L);
        return;
    }
    if (nr == 1) {
        const tr_val *v = &t->stk[t->sh - 1];
        uint32_t src = tr_home(t, t->sh - 1);
        if (v->kind == TV_LOCAL)
            src = v->local;
        else if (v->kind == TV_CONST)
            emit_const(t, src, v->k);
        tr_op(t, WB_IOP_RET1);
        tr_put(t, t->L);
        tr_put(t, src);
        return;
    }
    /* results go to slots [0, nr): gather them in their homes first, which all lie
     * at or above their destinations, then copy upward */
    for (uint32_t i = t->sh - nr; i < t->sh; i++)
        emit_move(t, i, tr_home(t, i));
    tr_op(t, WB_IOP_RETN);
    tr_put(t, t->L);
    tr_put(t, tr_home(t, t->sh - nr));
    tr_put(t, nr);
}

/* Unconditional transfer to label c with its values (model unchanged). */
static void emit_branch_to(tr *t, tr_ctl *c)
{
    if (c->kind == CTL_FUNC) {
        emit_return(t);
        return;
    }
    emit_moves(t, label_arity(c), c->base);
    if (c->kind == CTL_LOOP) {
        tr_op(t, WB_IOP_BRL);
        put_target_word(t, c->label);
    } else {
        tr_op(t, WB_IOP_BR);
        put_chain(t, &c->patches);
    }
}

/* ---- conditions and compare fusion ---------------------------------------------------
 *
 * Nearly every loop ends in "compare; br_if" and nearly every if starts with a
 * compare. Fused, they save a dispatch and a slot write + read per branch; in the
 * instruction profile (interp_ops.h) the fused compare-branches are about 20% of
 * all instructions executed by the quicksort and 10% by CoreMark. */

typedef struct tr_cond {
    wb_iop op;  /* a branch op: BR_NZ, BR_Z, or one of the BR_I32_EQ.. block */
    wb_word a, b;
    bool two;  /* b is used */
} tr_cond;

bool tr_is_icmp_set(wb_iop op) { return op >= WB_IOP_I32_EQ && op < WB_IOP_I32_EQ + 40; }

/* If the top of the stack is the result of the instruction just emitted and that
 * was an integer compare, removes the instruction and returns the fused branch. */
static bool take_compare(tr *t, tr_cond *out)
{
    if (!t->last.valid || !t->last.has_dst || t->sh == 0 || t->stk[t->sh - 1].kind != TV_STK)
        return false;
    if (t->code[t->last.dpos] != tr_home(t, t->sh - 1))
        return false;
    wb_iop o = t->last.op;
    const wb_word *w = &t->code[t->last.pos];
    if (o == WB_IOP_I32_EQZ)
        *out = (tr_cond){ .op = WB_IOP_BR_Z, .a = w[2] };
    else if (o == WB_IOP_I64_EQZ)
        *out = (tr_cond){ .op = WB_IOP_BR_I64_EQ_K, .a = w[2], .b = 0, .two = true };
    else if (tr_is_icmp_set(o))
        *out = (tr_cond){ .op = WB_IOP_BR_I32_EQ + (o - WB_IOP_I32_EQ), .a = w[2], .b = w[3],
                          .two = true };
    else
        return false;
    t->n = t->last.pos;
    t->last = t->prev; /* the instruction before the compare may pair with the branch */
    tr_pop(t);
    return true;
}

/* Pops a branch condition: a fused compare when possible, else the value's slot. */
static tr_cond pop_cond(tr *t)
{
    tr_cond c;
    if (take_compare(t, &c))
        return c;
    tr_val v = tr_pop(t);
    return (tr_cond){ .op = WB_IOP_BR_NZ, .a = tr_slot(t, v, t->sh) };
}

static tr_cond negate(tr_cond c)
{
    /* eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u */
    static const uint8_t inv[10] = { 1, 0, 8, 9, 6, 7, 4, 5, 2, 3 };
    if (c.op == WB_IOP_BR_NZ) {
        c.op = WB_IOP_BR_Z;
    } else if (c.op == WB_IOP_BR_Z) {
        c.op = WB_IOP_BR_NZ;
    } else {
        unsigned r = c.op - WB_IOP_BR_I32_EQ;
        c.op = WB_IOP_BR_I32_EQ + (r - r % 10) + inv[r % 10];
    }
    return c;
}

static void put_cond(tr *t, tr_cond c, bool loop)
{
    wb_iop op = c.op;
    if (loop)
        op = op == WB_IOP_BR_NZ  ? WB_IOP_BRL_NZ
             : op == WB_IOP_BR_Z ? WB_IOP_BRL_Z
                                : WB_IOP_BRL_I32_EQ + (op - WB_IOP_BR_I32_EQ);
    tr_op(t, op);
    tr_put(t, c.a);
    if (c.two)
        tr_put(t, c.b);
}

/* ---- control instructions ---------------------------------------------------------------- */

static void do_block(tr *t, uint8_t kind)
{
    uint32_t np, nr;
    read_blocktype(t, &np, &nr);
    if (kind == CTL_IF) {
        tr_cond c = pop_cond(t);
        materialise_all(t, np);
        if (!push_ctl(t, CTL_IF, np, nr))
            return;
        put_cond(t, negate(c), false);
        put_chain(t, &top_ctl(t)->else_patch);
        tr_done(t);
        return;
    }
    materialise_all(t, np);
    push_ctl(t, kind, np, nr); /* a loop's label is its first instruction: here */
}

/* Leaves the block's values in their homes and the stack at base + n values. */
static void settle(tr *t, tr_ctl *c, uint32_t n)
{
    while (t->sh > c->base)
        tr_pop(t);
    for (uint32_t i = 0; i < n; i++)
        tr_push_stk(t);
}

static void do_else(tr *t)
{
    tr_ctl *c = top_ctl(t);
    if (!c->unreachable && have(t, c->nr)) {
        for (uint32_t i = t->sh - c->nr; i < t->sh; i++)
            materialise(t, i, true);
        tr_op(t, WB_IOP_BR);
        put_chain(t, &c->patches);
    }
    bind(t, c->else_patch);
    c->else_patch = TR_NIL;
    c->unreachable = false;
    settle(t, c, c->np);
}

static void do_end(tr *t)
{
    tr_ctl *c = top_ctl(t);
    if (c->kind == CTL_FUNC) {
        if (!c->unreachable)
            emit_return(t);
        t->nctl--;
        return;
    }
    if (!c->unreachable && have(t, c->nr))
        for (uint32_t i = t->sh - c->nr; i < t->sh; i++)
            materialise(t, i, true);
    if (c->kind == CTL_IF)
        bind(t, c->else_patch); /* no else: params == results, already in place */
    bind(t, c->patches);
    settle(t, c, c->nr);
    t->nctl--;
}

static void do_br_if(tr *t, uint32_t depth)
{
    tr_cond c = pop_cond(t);
    tr_ctl *lc = label_ctl(t, depth);
    if (lc->kind != CTL_FUNC && !needs_moves(t, label_arity(lc), lc->base)) {
        put_cond(t, c, lc->kind == CTL_LOOP);
        if (lc->kind == CTL_LOOP)
            put_target_word(t, lc->label);
        else
            put_chain(t, &lc->patches);
        tr_done(t);
        return;
    }
    wb_word skip = TR_NIL;
    put_cond(t, negate(c), false);
    put_chain(t, &skip);
    tr_done(t);
    emit_branch_to(t, lc);
    bind(t, skip);
}

/* br_table: targets that need values moved (or are the function's return) go
 * through a stub after the table; one stub per distinct label. */
static void do_br_table(tr *t)
{
    uint32_t n = tr_u32(t);
    tr_val v = tr_pop(t);
    uint32_t a = tr_slot(t, v, t->sh);
    tr_op(t, WB_IOP_BR_TABLE);
    tr_put(t, a);
    tr_put(t, n);
    size_t first = t->n;
    for (uint32_t i = 0; i <= n; i++)
        put_target_word(t, TR_NIL);
    size_t *stub = malloc(t->nctl * sizeof *stub);
    if (!stub)
        t->oom = true;
    for (uint32_t i = 0; i < t->nctl && stub; i++)
        stub[i] = SIZE_MAX;
    for (uint32_t i = 0; i <= n && !t->oom; i++) {
        uint32_t depth = tr_u32(t);
        if (depth >= t->nctl)
            depth = t->nctl - 1;
        tr_ctl *lc = label_ctl(t, depth);
        wb_word *slot = &t->code[first + i];
        if (lc->kind != CTL_FUNC && !needs_moves(t, label_arity(lc), lc->base)) {
            if (lc->kind == CTL_LOOP) {
                *slot = lc->label;
            } else {
                *slot = lc->patches;
                lc->patches = first + i;
            }
            continue;
        }
        if (stub[depth] == SIZE_MAX) {
            stub[depth] = t->n;
            t->last.valid = false; /* a branch target */
            emit_branch_to(t, lc);
        }
        t->code[first + i] = stub[depth];
    }
    free(stub);
    set_dead(t);
}

static void do_call(tr *t, const wb_functype *ft, wb_iop op, uint32_t imm1, uint32_t imm2)
{
    uint32_t index_slot = 0;
    if (op == WB_IOP_CALL_INDIRECT) {
        tr_val iv = tr_pop(t);
        index_slot = tr_slot(t, iv, t->sh);
    }
    uint32_t np = ft->nparams, nr = ft->nresults;
    if (!have(t, np))
        return;
    for (uint32_t i = t->sh - np; i < t->sh; i++)
        materialise(t, i, true);
    uint32_t argbase = tr_home(t, t->sh - np);
    for (uint32_t i = 0; i < np; i++)
        tr_pop(t);
    tr_op(t, op);
    if (op == WB_IOP_CALL_LOCAL)
        tr_put(t, 0); /* the callee's code, cached at run time */
    tr_put(t, imm1);
    if (op == WB_IOP_CALL_INDIRECT)
        tr_put(t, imm2);
    tr_put(t, argbase);
    if (op == WB_IOP_CALL_INDIRECT)
        tr_put(t, index_slot);
    for (uint32_t i = 0; i < nr; i++)
        tr_push_stk(t);
}

/* ---- locals -------------------------------------------------------------------------- */

/* local.set / local.tee: `v` has been popped from height t->sh. */
static void set_local(tr *t, uint32_t n, tr_val v)
{
    if (v.kind == TV_LOCAL && v.local == n)
        return;
    if (t->alias[n] == 0 && v.kind == TV_STK && t->last.valid && t->last.has_dst &&
        t->code[t->last.dpos] == tr_home(t, t->sh)) {
        t->code[t->last.dpos] = n; /* fold: the producer writes the local directly */
        return;
    }
    if (t->alias[n])
        for (uint32_t i = 0; i < t->sh; i++)
            if (t->stk[i].kind == TV_LOCAL && t->stk[i].local == n)
                materialise(t, i, false);
    if (v.kind == TV_CONST)
        emit_const(t, n, v.k);
    else
        emit_copy(t, n, v.kind == TV_LOCAL ? v.local : tr_home(t, t->sh));
}

/* ---- the instruction loop ----------------------------------------------------------------- */

/* Dead code is skipped with the shared instruction reader; only the nesting of
 * blocks matters until the `else` or `end` that makes code live again. */
static void dead(tr *t)
{
    wb_instr ins;
    t->p--; /* back to the opcode */
    if (wb_read_instr(&t->p, t->end, &ins) != NULL) {
        t->bad = true;
        return;
    }
    if (ins.op == WB_OP_BLOCK || ins.op == WB_OP_LOOP || ins.op == WB_OP_IF) {
        t->dead_depth++;
    } else if (ins.op == WB_OP_ELSE) {
        if (t->dead_depth == 0)
            do_else(t);
    } else if (ins.op == WB_OP_END) {
        if (t->dead_depth == 0)
            do_end(t);
        else
            t->dead_depth--;
    }
}

static uint64_t read_bytes(tr *t, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n && t->p < t->end; i++)
        v |= (uint64_t)*t->p++ << (8 * i);
    return v;
}

/* Control, parametric, variable and constant instructions; the rest in translate_ops.c. */
static bool instr(tr *t, uint8_t op)
{
    switch (op) {
    case 0x00: tr_op(t, WB_IOP_UNREACHABLE); set_dead(t); return true;
    case 0x01: return true;
    case 0x02: do_block(t, CTL_BLOCK); return true;
    case 0x03: do_block(t, CTL_LOOP); return true;
    case 0x04: do_block(t, CTL_IF); return true;
    case 0x05: do_else(t); return true;
    case 0x0b: do_end(t); return true;
    case 0x0c: emit_branch_to(t, label_ctl(t, tr_u32(t))); set_dead(t); return true;
    case 0x0d: do_br_if(t, tr_u32(t)); return true;
    case 0x0e: do_br_table(t); return true;
    case 0x0f: emit_return(t); set_dead(t); return true;
    case 0x10: {
        uint32_t f = tr_u32(t);
        if (f >= t->m->nfuncs)
            return false;
        do_call(t, wb_module_func_type(t->m, f),
                f < t->m->nfunc_imports ? WB_IOP_CALL : WB_IOP_CALL_LOCAL, f, 0);
        return true;
    }
    case 0x11: {
        uint32_t type = tr_u32(t), table = tr_u32(t);
        if (type >= t->m->ntypes)
            return false;
        do_call(t, &t->m->types[type], WB_IOP_CALL_INDIRECT, type, table);
        return true;
    }
    case 0x1a: tr_pop(t); return true;
    case 0x1c:
        for (uint32_t n = tr_u32(t); n > 0 && t->p < t->end; n--)
            t->p++;
        /* fall through */
    case 0x1b: {
        tr_val c = tr_pop(t);
        uint32_t cs = tr_slot(t, c, t->sh);
        tr_val b = tr_pop(t);
        uint32_t bs = tr_slot(t, b, t->sh);
        tr_val a = tr_pop(t);
        uint32_t as = tr_slot(t, a, t->sh);
        uint32_t d = tr_push_stk(t);
        size_t pos = tr_op(t, WB_IOP_SELECT);
        tr_put(t, d);
        tr_put(t, cs);
        tr_put(t, as);
        tr_put(t, bs);
        tr_set_last(t, pos + 1);
        return true;
    }
    case 0x20: {
        uint32_t n = tr_u32(t);
        if (n >= t->L)
            return false;
        tr_val v = { .kind = TV_LOCAL, .local = n };
        push(t, v);
        return true;
    }
    case 0x21:
    case 0x22: {
        uint32_t n = tr_u32(t);
        if (n >= t->L)
            return false;
        tr_val v = tr_pop(t);
        set_local(t, n, v);
        if (op == 0x22)
            push(t, v.kind == TV_CONST ? v : (tr_val){ .kind = TV_LOCAL, .local = n });
        return true;
    }
    case 0x23: {
        uint32_t g = tr_u32(t);
        uint32_t d = tr_push_stk(t);
        size_t pos = tr_op(t, WB_IOP_GLOBAL_GET);
        tr_put(t, d);
        tr_put(t, g);
        tr_set_last(t, pos + 1);
        return true;
    }
    case 0x24: {
        uint32_t g = tr_u32(t);
        tr_val v = tr_pop(t);
        uint32_t s = tr_slot(t, v, t->sh);
        tr_op(t, WB_IOP_GLOBAL_SET);
        tr_put(t, g);
        tr_put(t, s);
        return true;
    }
    case 0x41: tr_push_const(t, (uint32_t)tr_s64(t)); return true;
    case 0x42: tr_push_const(t, (uint64_t)tr_s64(t)); return true;
    case 0x43: tr_push_const(t, read_bytes(t, 4)); return true;
    case 0x44: tr_push_const(t, read_bytes(t, 8)); return true;
    case 0xd0: t->p++; tr_push_const(t, 0); return true;
    case 0xfc: return tr_prefixed(t, tr_u32(t));
    default:
        if (op >= 0x25 && op <= 0x40)
            return tr_memory(t, op);
        return tr_numeric(t, op);
    }
}

/* ---- whole functions ------------------------------------------------------------------------ */

static void tr_release(tr *t)
{
    free(t->code);
    free(t->stk);
    free(t->ctl);
    free(t->alias);
    free(t->relocs);
}

/* Fills in frame sizes, turns target indices into pointers, and hands the words over. */
static struct wb_code *finish(tr *t)
{
    struct wb_code *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    uint64_t frame = (uint64_t)t->L + WB_FRAME_RECORD + t->max_h;
    if (frame < t->nresults)
        frame = t->nresults;
    wb_word *words = realloc(t->code, t->n * sizeof *words);
    if (words)
        t->code = words;
    for (size_t i = 0; i < t->nrelocs; i++) {
        wb_word target = t->code[t->relocs[i]];
        t->code[t->relocs[i]] = (wb_word)(uintptr_t)(t->code + (target < t->n ? target : 0));
    }
    c->words = t->code;
    c->nwords = t->n;
    c->nparams = t->nparams;
    c->nresults = t->nresults;
    c->nlocals = t->L - t->nparams;
    c->record = t->L;
    c->frame_slots = (uint32_t)frame;
    t->code = NULL;
    return c;
}

static struct wb_code *translate_body(const wb_module *m, uint32_t func_index, wb_error *err)
{
    const wb_func_body *body = &m->bodies[func_index - m->nfunc_imports];
    const wb_functype *ft = wb_module_func_type(m, func_index);
    uint64_t L = (uint64_t)ft->nparams + body->nlocals;
    if (L > (1u << 26)) {
        wb_error_set(err, "translate: function %u has too many locals", func_index);
        return NULL;
    }
    tr t = { .m = m, .h = wb_interp_handlers(), .p = body->code, .end = body->code_end,
             .L = (uint32_t)L, .nparams = ft->nparams, .nresults = ft->nresults };
    t.alias = calloc(L ? L : 1, sizeof *t.alias);
    if (!t.alias || !push_ctl(&t, CTL_FUNC, 0, ft->nresults)) {
        tr_release(&t);
        wb_error_oom(err);
        return NULL;
    }
    bool ok = true;
    while (t.nctl > 0 && !t.oom && !t.bad) {
        if (t.p >= t.end) {
            ok = false;
            break;
        }
        uint8_t op = *t.p++;
        if (top_ctl(&t)->unreachable)
            dead(&t);
        else if (!instr(&t, op)) {
            ok = false;
            break;
        }
    }
    struct wb_code *c = NULL;
    ok = ok && !t.bad;
    if (!t.oom && ok)
        c = finish(&t);
    if (!c) {
        if (t.oom || ok)
            wb_error_oom(err);
        else
            wb_error_set(err, "translate: cannot translate function %u at offset 0x%zx",
                         func_index, body->code_offset + (size_t)(t.p - body->code));
    }
    tr_release(&t);
    return c;
}

struct wb_code *wb_translate(const wb_module *m, uint32_t func_index, wb_error *err)
{
    if (func_index < m->nfunc_imports || func_index >= m->nfuncs) {
        wb_error_set(err, "translate: function %u has no body", func_index);
        return NULL;
    }
    wb_func_body *body = &m->bodies[func_index - m->nfunc_imports];
    struct wb_code *c = atomic_load_explicit(&body->compiled, memory_order_acquire);
    if (c)
        return c;
    pthread_mutex_t *lock = (pthread_mutex_t *)&m->translate_lock;
    pthread_mutex_lock(lock);
    c = atomic_load_explicit(&body->compiled, memory_order_relaxed);
    if (!c) {
        c = translate_body(m, func_index, err);
        if (c)
            atomic_store_explicit(&body->compiled, c, memory_order_release);
    }
    pthread_mutex_unlock(lock);
    return c;
}

void wb_code_free(struct wb_code *code)
{
    if (!code)
        return;
    free(code->words);
    free(code);
}
