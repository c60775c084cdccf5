/*
 * translate_impl.h — the translator's private state, shared by translate.c
 * (stack model, control flow, calls, the main loop) and translate_ops.c
 * (numeric, memory, table and reference instructions).
 *
 * The one idea: the translator runs the wasm operand stack abstractly. Each
 * entry is either a value already in its "home" slot (slot L + 3 + height, where
 * L = params + declared locals and 3 slots hold the call record), an alias of a local (local.get emits nothing),
 * or a constant (i32/i64/f32/f64.const emit nothing). An instruction reads its
 * operands wherever they are and writes its result to the home of the result's
 * height. Aliases are materialised (copied to their homes) only when they would
 * otherwise go stale: before a local.set/tee of the aliased local, at block
 * boundaries, and when a value must sit in a fixed slot (call arguments, branch
 * values).
 */
#ifndef WASMBOX_ENGINE_TRANSLATE_IMPL_H
#define WASMBOX_ENGINE_TRANSLATE_IMPL_H

#include "interp_ops.h"
#include "translate.h"

enum { TV_STK, TV_LOCAL, TV_CONST };

typedef struct tr_val {
    uint8_t kind;   /* TV_* */
    uint32_t local; /* TV_LOCAL */
    wb_val k;       /* TV_CONST: the bits, i32/f32 zero-extended */
} tr_val;

enum { CTL_FUNC, CTL_BLOCK, CTL_LOOP, CTL_IF };

#define TR_NIL UINT64_MAX /* end of a forward-branch patch chain */

typedef struct tr_ctl {
    uint8_t kind;
    bool unreachable;  /* the rest of this block is dead code: skipped */
    uint32_t np, nr;   /* block type */
    uint32_t base;     /* stack height below the block's params */
    size_t label;      /* CTL_LOOP: code index of the loop head */
    wb_word patches;   /* forward branches to the end: chain through the code words */
    wb_word else_patch;/* CTL_IF: the branch around the then-arm, until `else` binds it */
} tr_ctl;

/* The last instruction emitted, while nothing else has been emitted after it and no
 * label has been bound: it may become the first half of a superinstruction, its
 * result may still be retargeted to a local (local.set folding), or a compare may
 * be replaced by a fused compare-and-branch. */
typedef struct tr_last {
    bool valid;   /* complete, and no label since */
    bool has_dst; /* code[dpos] is its destination slot */
    wb_iop op;    /* as emitted (a superinstruction if it was fused) */
    size_t pos;   /* first word (the handler) */
    size_t dpos;
} tr_last;

typedef struct tr {
    const wb_module *m;
    const void *const *h; /* handler addresses by wb_iop */
    const uint8_t *p, *end;

    wb_word *code;
    size_t n, cap;

    tr_val *stk;
    uint32_t sh, scap, max_h;

    tr_ctl *ctl;
    uint32_t nctl, ccap;
    uint32_t dead_depth; /* nesting of blocks inside skipped dead code */

    uint32_t L, nparams, nresults;
    uint32_t *alias; /* [L] TV_LOCAL entries on the stack per local */

    size_t *relocs, nrelocs, relcap; /* words holding branch targets (code indices) */

    tr_last last;
    tr_last prev;    /* `last` as it was when the last instruction began */
    wb_iop cur_op;   /* the instruction being emitted (after pairing) */
    size_t cur_pos;
    bool oom; /* an allocation failed: stop and report */
    bool bad; /* the body is not what validation promised: stop and report */
} tr;

/* translate.c: emission and the stack model, used by translate_ops.c */
void tr_put(tr *t, wb_word w);
size_t tr_op(tr *t, wb_iop op);
void tr_set_last(tr *t, size_t dpos);
void tr_done(tr *t);
uint32_t tr_home(const tr *t, uint32_t height);
uint32_t tr_push_stk(tr *t);
void tr_push_const(tr *t, wb_val k);
tr_val tr_pop(tr *t);
uint32_t tr_slot(tr *t, tr_val v, uint32_t height);
uint32_t tr_u32(tr *t);
int64_t tr_s64(tr *t);

/* translate_ops.c: the instructions that are not control flow, locals or calls.
 * Returns false if `op` (or the 0xFC sub-opcode) is unknown. */
bool tr_numeric(tr *t, uint8_t op);
bool tr_memory(tr *t, uint8_t op);
bool tr_prefixed(tr *t, uint32_t sub);
bool tr_is_icmp_set(wb_iop op);

#endif
