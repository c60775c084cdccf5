/*
 * interp.c — the direct-threaded interpreter over the compact code of translate.c.
 *
 * The one idea: a wasm call does not recurse in C. `run` keeps the machine in a
 * handful of locals (ip, fp, the instance and its memory-0 base) and a call just
 * moves them: the callee's frame starts where the caller left the arguments (no
 * copy), its results come back in the same slots, and the caller's ip, fp and
 * function are saved in a 3-slot record between the callee's locals and its
 * operand stack. A host function call, and the compiled tier's native code later,
 * are the only C calls.
 *
 * Dispatch: each code word that starts an instruction is the address of its
 * handler label; a handler ends by jumping to the next one (vmbreak). The loop is
 * written once with Lua-style macros (vmdispatch / vmcase / vmbreak). Hot pairs
 * of instructions have a handler of their own (interp_super.h).
 *
 * Interruption: loop back-edges (the BRL_* branches and br_table) and calls poll
 * the store's interrupt flag; `fuel_on` folds the fuel test into the same branch,
 * so an unlimited store pays one load and one test per back-edge.
 *
 * Traps are values: a handler that traps makes a wb_trap naming the running
 * function and leaves through `out`, which restores the store's execution state.
 * Out-of-bounds loads and stores are not checked here: they fault in the guard
 * region and trap.c unwinds to wb_func_call's landing.
 */
#include <stdatomic.h>
#include <stdio.h>

#include "interp_num.h"
#include "interp_ops.h"
#include "translate.h"

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* slot access: operand n of the current instruction names a slot */
#define SLOT(n) (fp[ip[n]])
#define U32(n) ((uint32_t)SLOT(n))
#define I32(n) ((int32_t)U32(n))
#define U64(n) (SLOT(n))
#define I64(n) ((int64_t)SLOT(n))
#define F32(n) wb_f32(SLOT(n))
#define F64(n) wb_f64(SLOT(n))
#define SET32(n, v) (SLOT(n) = (uint32_t)(v)) /* i32 results are kept zero-extended */
#define SET64(n, v) (SLOT(n) = (uint64_t)(v))
#define SETF32(n, v) (SLOT(n) = wb_bits32(v))
#define SETF64(n, v) (SLOT(n) = wb_bits64(v))

#ifdef WB_INTERP_PROFILE
#define vmdispatch()                                                                           \
    do {                                                                                       \
        profile_hit(*ip);                                                                      \
        goto *(const void *)*ip;                                                               \
    } while (0)
#else
#define vmdispatch() goto *(const void *)*ip
#endif
#define vmcase(op) L_##op:
#define vmbreak vmdispatch()
#define NEXT(len)                                                                              \
    do {                                                                                       \
        ip += (len);                                                                           \
        vmbreak;                                                                               \
    } while (0)
#define JUMP(n)                                                                                \
    do {                                                                                       \
        ip = (const wb_word *)(uintptr_t)ip[n];                                                \
        vmbreak;                                                                               \
    } while (0)
/* a loop back-edge: the host may want us to stop */
#define POLL()                                                                                 \
    do {                                                                                       \
        if (UNLIKELY(atomic_load_explicit(&s->interrupt, memory_order_relaxed) | fuel_on))     \
            goto poll_slow;                                                                    \
    } while (0)
#define JUMP_POLL(n)                                                                           \
    do {                                                                                       \
        ip = (const wb_word *)(uintptr_t)ip[n];                                                \
        POLL();                                                                                \
        vmbreak;                                                                               \
    } while (0)
#define TRAP(kind)                                                                             \
    do {                                                                                       \
        trap = wb_trap_at(WB_TRAP_##kind, func);                                               \
        goto out;                                                                              \
    } while (0)
#define CHECK(expr)                                                                            \
    do {                                                                                       \
        wb_trap *t_ = (expr);                                                                  \
        if (UNLIKELY(t_ != NULL)) {                                                            \
            trap = t_;                                                                         \
            goto out;                                                                          \
        }                                                                                      \
    } while (0)
/* Return to the caller saved in this frame's record (at slot `rec`). The record is
 * read before the results are written: results may overwrite it. */
#define RETURN_FROM(rec, WRITE_RESULTS)                                                        \
    do {                                                                                       \
        const wb_val *rec_ = fp + (rec);                                                       \
        const wb_word *rip_ = (const wb_word *)(uintptr_t)rec_[0];                             \
        wb_val *rfp_ = (wb_val *)(uintptr_t)rec_[1];                                           \
        func = (const wb_func *)(uintptr_t)rec_[2];                                            \
        WRITE_RESULTS;                                                                         \
        ip = rip_;                                                                             \
        fp = rfp_;                                                                             \
        depth--;                                                                               \
        if (UNLIKELY(func->inst != inst)) {                                                    \
            inst = func->inst;                                                                 \
            mem = memory_base(inst);                                                           \
        }                                                                                      \
        ex->current = func;                                                                    \
        vmbreak;                                                                               \
    } while (0)

#include "interp_super.h"

#ifdef WB_INTERP_PROFILE
/* Development aid (build with -DWB_INTERP_PROFILE): counts executed instructions and
 * pairs of consecutive instructions, and prints the hottest at exit. This is how
 * the fused instructions were chosen. Single-threaded use only. */
static uint64_t profile_pairs[WB_IOP_COUNT_][WB_IOP_COUNT_];
static unsigned profile_prev;

static int profile_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

static void profile_report(void)
{
    static uint64_t rows[WB_IOP_COUNT_ * WB_IOP_COUNT_][2];
    size_t n = 0;
    uint64_t total = 0;
    for (unsigned i = 0; i < WB_IOP_COUNT_; i++)
        for (unsigned j = 0; j < WB_IOP_COUNT_; j++)
            if (profile_pairs[i][j]) {
                rows[n][0] = profile_pairs[i][j];
                rows[n++][1] = i * WB_IOP_COUNT_ + j;
                total += profile_pairs[i][j];
            }
    static uint64_t ops[WB_IOP_COUNT_][2];
    for (unsigned j = 0; j < WB_IOP_COUNT_; j++) {
        ops[j][1] = j;
        for (unsigned i = 0; i < WB_IOP_COUNT_; i++)
            ops[j][0] += profile_pairs[i][j];
    }
    qsort(ops, WB_IOP_COUNT_, sizeof ops[0], profile_cmp);
    qsort(rows, n, sizeof rows[0], profile_cmp);
    fprintf(stderr, "interp profile: %llu instructions\n", (unsigned long long)total);
    for (size_t k = 0; k < WB_IOP_COUNT_ && k < 25 && ops[k][0]; k++)
        fprintf(stderr, "%6.2f%%  %s\n", 100.0 * ops[k][0] / total, wb_iop_name(ops[k][1]));
    for (size_t k = 0; k < n && k < 70; k++)
        fprintf(stderr, "%6.2f%%  %-18s %s\n", 100.0 * rows[k][0] / total,
                wb_iop_name(rows[k][1] / WB_IOP_COUNT_), wb_iop_name(rows[k][1] % WB_IOP_COUNT_));
}

static void profile_hit(wb_word handler)
{
    static const void *const *h;
    if (!h) {
        h = wb_interp_handlers();
        atexit(profile_report);
    }
    unsigned op = 0;
    while (op < WB_IOP_COUNT_ && (wb_word)(uintptr_t)h[op] != handler)
        op++;
    if (op < WB_IOP_COUNT_) {
        profile_pairs[profile_prev][op]++;
        profile_prev = op;
    }
}
#endif

static uint8_t *memory_base(const wb_instance *inst)
{
    if (!inst || inst->module->nmemories == 0)
        return NULL;
    return inst->memories[0]->base;
}

/* Slow half of the interrupt/fuel poll. Returns -1 to stop, else whether fuel is on. */
static int poll_stop(wb_store *s)
{
    if (atomic_load_explicit(&s->interrupt, memory_order_relaxed))
        return -1;
    if (s->fuel != 0 && --s->fuel == 0)
        return -1;
    return s->fuel != 0;
}

/* A trap whose message names the element, as the spec's reference interpreter does
 * ("uninitialized element 2"). */
static wb_trap *trap_with_index(wb_trap_kind kind, const wb_func *func, uint32_t index)
{
    wb_trap *t = wb_trap_at(kind, func);
    if (t->kind == kind) {
        size_t len = strlen(t->message);
        snprintf(t->message + len, sizeof t->message - len, " %u", index);
    }
    return t;
}

static struct wb_code *code_of(const wb_func *f, wb_trap **trap)
{
    wb_error err;
    struct wb_code *c = wb_translate(f->inst->module, f->index, &err);
    if (!c)
        *trap = wb_trap_new(WB_TRAP_HOST, "%s", err.message);
    return c;
}

static wb_val *args_end(wb_val *args, const wb_functype *ft)
{
    return args + (ft->nparams > ft->nresults ? ft->nparams : ft->nresults);
}

/* Integer compares: set, set-with-immediate, branch, loop branch, for both widths. */
#define ICMP_HANDLERS(NAME, T32, T64, OP)                                                      \
    vmcase(I32_##NAME) { SET32(1, (T32)U64(2) OP (T32)U64(3)); NEXT(4); }                      \
    vmcase(I32_##NAME##_K) { SET32(1, (T32)U64(2) OP (T32)ip[3]); NEXT(4); }                   \
    vmcase(I64_##NAME) { SET32(1, (T64)U64(2) OP (T64)U64(3)); NEXT(4); }                      \
    vmcase(I64_##NAME##_K) { SET32(1, (T64)U64(2) OP (T64)ip[3]); NEXT(4); }                   \
    vmcase(BR_I32_##NAME) { BRC_(0, T32, OP, JUMP); NEXT(4); }                                 \
    vmcase(BR_I32_##NAME##_K) { BRCK_(0, T32, OP, JUMP); NEXT(4); }                            \
    vmcase(BR_I64_##NAME) { BRC_(0, T64, OP, JUMP); NEXT(4); }                                 \
    vmcase(BR_I64_##NAME##_K) { BRCK_(0, T64, OP, JUMP); NEXT(4); }                            \
    vmcase(BRL_I32_##NAME) { BRC_(0, T32, OP, JUMP_POLL); NEXT(4); }                           \
    vmcase(BRL_I32_##NAME##_K) { BRCK_(0, T32, OP, JUMP_POLL); NEXT(4); }                      \
    vmcase(BRL_I64_##NAME) { BRC_(0, T64, OP, JUMP_POLL); NEXT(4); }                           \
    vmcase(BRL_I64_##NAME##_K) { BRCK_(0, T64, OP, JUMP_POLL); NEXT(4); }

/* Instructions that also appear in superinstructions (interp_super.h). */
#define PLAIN(NAME)                                                                            \
    vmcase(NAME) {                                                                             \
        OPB_##NAME(0);                                                                         \
        NEXT(1 + NOPS_##NAME);                                                                 \
    }
#define SUPER_HANDLER_(X, a, b)                                                                \
    vmcase(a##__##b) {                                                                         \
        OPB_##a(0);                                                                            \
        OPB_##b(NOPS_##a);                                                                     \
        NEXT(1 + NOPS_##a + NOPS_##b);                                                         \
    }

/* Binary integer operators with an optional immediate form: x, y are the operands. */
#define IBIN(NAME, T, SET, EXPR)                                                               \
    vmcase(NAME) {                                                                             \
        T x = (T)U64(2), y = (T)U64(3);                                                        \
        SET(1, EXPR);                                                                          \
        NEXT(4);                                                                               \
    }
#define IBINK(NAME, T, SET, EXPR)                                                              \
    IBIN(NAME, T, SET, EXPR)                                                                   \
    IBIN_K(NAME, T, SET, EXPR)
#define IBIN_K(NAME, T, SET, EXPR)                                                             \
    vmcase(NAME##_K) {                                                                         \
        T x = (T)U64(2), y = (T)ip[3];                                                         \
        SET(1, EXPR);                                                                          \
        NEXT(4);                                                                               \
    }
#define UNOP(NAME, EXPR)                                                                       \
    vmcase(NAME) { EXPR; NEXT(3); }
#define FBIN(NAME, GET, SET, EXPR)                                                             \
    vmcase(NAME) {                                                                             \
        __auto_type x = GET(2);                                                                \
        __auto_type y = GET(3);                                                                \
        SET(1, EXPR);                                                                          \
        NEXT(4);                                                                               \
    }
/* float -> int: NaN is an invalid conversion, out of range an overflow; the range
 * test comes first so the C conversion is always defined. */
#define TRUNC(NAME, GET, IT, SET, LOOK, LO, HI)                                                \
    vmcase(NAME) {                                                                             \
        __auto_type x = GET(2);                                                                \
        if (UNLIKELY(x != x))                                                                  \
            TRAP(INVALID_CONVERSION);                                                          \
        if (UNLIKELY(!(x LOOK LO && x < HI)))                                                  \
            TRAP(INT_OVERFLOW);                                                                \
        SET(1, (IT)x);                                                                         \
        NEXT(3);                                                                               \
    }
#define TRUNC_SAT(NAME, GET, IT, SET, LOOK, LO, HI, MINV, MAXV)                                \
    vmcase(NAME) {                                                                             \
        __auto_type x = GET(2);                                                                \
        IT r;                                                                                  \
        if (x != x)                                                                            \
            r = 0;                                                                             \
        else if (!(x LOOK LO))                                                                 \
            r = MINV;                                                                          \
        else if (!(x < HI))                                                                    \
            r = MAXV;                                                                          \
        else                                                                                   \
            r = (IT)x;                                                                         \
        SET(1, r);                                                                             \
        NEXT(3);                                                                               \
    }
#define LOAD(NAME, T, WIDEN)                                                                   \
    vmcase(NAME) {                                                                             \
        LOAD_(0, T, WIDEN);                                                                    \
        NEXT(4);                                                                               \
    }
#define STORE(NAME, T)                                                                         \
    vmcase(NAME) {                                                                             \
        STORE_(0, T);                                                                          \
        NEXT(4);                                                                               \
    }

#define HANDLER_ADDRESS_(name) [WB_IOP_##name] = &&L_##name,

/* Runs f with its arguments in slots; when handlers_out is set, only returns the
 * table of handler addresses (the labels are local to this function). */
static wb_trap *run(wb_store *s, const wb_func *f, wb_val *slots, const void *const **handlers_out)
{
    static const void *const handlers[WB_IOP_COUNT_] = { WB_OPS(HANDLER_ADDRESS_) };
    if (handlers_out) {
        *handlers_out = handlers;
        return NULL;
    }

    wb_exec *ex = &s->exec;
    const uint32_t depth0 = ex->depth;
    const wb_func *const current0 = ex->current;
    wb_val *const sp0 = ex->sp;
    const uint32_t max_depth = ex->max_depth ? ex->max_depth : WB_DEFAULT_MAX_CALL_DEPTH;
    wb_val *const stack_end = ex->stack_end;
    /* the outermost frame returns here */
    const wb_word exit_code[1] = { (wb_word)(uintptr_t)&&L_EXIT };

    wb_trap *trap = NULL;
    uint32_t depth = depth0;
    int fuel_on = s->fuel != 0;
    const wb_func *func = f;
    wb_instance *inst = f->inst;
    uint8_t *mem = memory_base(inst);
    wb_val *fp = slots;
    const wb_word *ip = exit_code;

    /* operands of do_call / enter */
    struct wb_code *code = NULL;
    wb_word *cache = NULL;
    const wb_func *callee = f;
    wb_val *nfp = slots;
    const wb_word *ret_ip = exit_code;
    goto do_call;

    /* ---- control ---------------------------------------------------------- */
    vmcase(UNREACHABLE) TRAP(UNREACHABLE);
    vmcase(EXIT) goto out;
    vmcase(BR) JUMP(1);
    vmcase(BRL) JUMP_POLL(1);
    vmcase(BR_NZ) { if (U32(1)) JUMP(2); NEXT(3); }
    PLAIN(BR_Z)
    PLAIN(BRL_NZ)
    vmcase(BRL_Z) { if (!U32(1)) JUMP_POLL(2); NEXT(3); }
    vmcase(BR_TABLE) {
        uint64_t i = U32(1);
        if (i > ip[2])
            i = ip[2];
        JUMP_POLL(3 + i);
    }
    vmcase(RET0) RETURN_FROM(ip[1], (void)0);
    PLAIN(RET1)
    vmcase(RETN) RETURN_FROM(ip[1], {
        const wb_val *src = fp + ip[2];
        for (uint64_t i = 0, n = ip[3]; i < n; i++)
            fp[i] = src[i];
    });
    vmcase(CALL) {
        callee = inst->funcs[ip[1]];
        nfp = fp + ip[2];
        ret_ip = ip + 3;
        goto do_call;
    }
    PLAIN(CALL_LOCAL)
    vmcase(CALL_INDIRECT) {
        const wb_table *tab = inst->tables[ip[2]];
        uint32_t i = U32(4);
        if (UNLIKELY(i >= tab->size))
            TRAP(UNDEFINED_ELEMENT);
        callee = (const wb_func *)(uintptr_t)tab->elems[i];
        if (UNLIKELY(!callee)) {
            trap = trap_with_index(WB_TRAP_UNINITIALIZED_ELEMENT, func, i);
            goto out;
        }
        if (UNLIKELY(callee->sig != inst->sigs[ip[1]]))
            TRAP(INDIRECT_MISMATCH);
        nfp = fp + ip[3];
        ret_ip = ip + 5;
        goto do_call;
    }

    /* ---- data movement -------------------------------------------------------- */
    PLAIN(COPY)
    PLAIN(CONST)
    PLAIN(SELECT)
    vmcase(GLOBAL_GET) { SLOT(1) = inst->globals[ip[2]]->value; NEXT(3); }
    vmcase(GLOBAL_SET) { inst->globals[ip[1]]->value = SLOT(2); NEXT(3); }

    /* ---- integers ------------------------------------------------------------- */
    ICMP_HANDLERS(EQ, uint32_t, uint64_t, ==)
    ICMP_HANDLERS(NE, uint32_t, uint64_t, !=)
    ICMP_HANDLERS(LT_S, int32_t, int64_t, <)
    ICMP_HANDLERS(LT_U, uint32_t, uint64_t, <)
    ICMP_HANDLERS(GT_S, int32_t, int64_t, >)
    ICMP_HANDLERS(GT_U, uint32_t, uint64_t, >)
    ICMP_HANDLERS(LE_S, int32_t, int64_t, <=)
    ICMP_HANDLERS(LE_U, uint32_t, uint64_t, <=)
    ICMP_HANDLERS(GE_S, int32_t, int64_t, >=)
    ICMP_HANDLERS(GE_U, uint32_t, uint64_t, >=)
    UNOP(I32_EQZ, SET32(1, U32(2) == 0))
    UNOP(I64_EQZ, SET32(1, U64(2) == 0))

    PLAIN(I32_ADD)
    PLAIN(I32_ADD_K)
    IBIN(I32_SUB, uint32_t, SET32, x - y)
    PLAIN(I32_MUL)
    IBIN_K(I32_MUL, uint32_t, SET32, x * y)
    IBIN(I32_AND, uint32_t, SET32, x & y)
    PLAIN(I32_AND_K)
    IBINK(I32_OR, uint32_t, SET32, x | y)
    PLAIN(I32_XOR)
    PLAIN(I32_XOR_K)
    IBIN(I32_SHL, uint32_t, SET32, x << (y & 31))
    PLAIN(I32_SHL_K)
    IBINK(I32_SHR_S, uint32_t, SET32, wb_sar32(x, y))
    IBIN(I32_SHR_U, uint32_t, SET32, x >> (y & 31))
    PLAIN(I32_SHR_U_K)
    IBINK(I32_ROTL, uint32_t, SET32, wb_rotl32(x, y))
    IBINK(I32_ROTR, uint32_t, SET32, wb_rotr32(x, y))
    PLAIN(I64_ADD)
    PLAIN(I64_ADD_K)
    IBIN(I64_SUB, uint64_t, SET64, x - y)
    IBINK(I64_MUL, uint64_t, SET64, x * y)
    IBINK(I64_AND, uint64_t, SET64, x & y)
    IBINK(I64_OR, uint64_t, SET64, x | y)
    IBINK(I64_XOR, uint64_t, SET64, x ^ y)
    IBINK(I64_SHL, uint64_t, SET64, x << (y & 63))
    IBINK(I64_SHR_S, uint64_t, SET64, wb_sar64(x, y))
    IBINK(I64_SHR_U, uint64_t, SET64, x >> (y & 63))
    IBINK(I64_ROTL, uint64_t, SET64, wb_rotl64(x, y))
    IBINK(I64_ROTR, uint64_t, SET64, wb_rotr64(x, y))

    vmcase(I32_DIV_S) {
        int32_t x = I32(2), y = I32(3);
        if (UNLIKELY(y == 0))
            TRAP(DIV_BY_ZERO);
        if (UNLIKELY(x == INT32_MIN && y == -1))
            TRAP(INT_OVERFLOW);
        SET32(1, x / y);
        NEXT(4);
    }
    vmcase(I32_DIV_U) {
        uint32_t y = U32(3);
        if (UNLIKELY(y == 0))
            TRAP(DIV_BY_ZERO);
        SET32(1, U32(2) / y);
        NEXT(4);
    }
    vmcase(I32_REM_S) {
        int32_t x = I32(2), y = I32(3);
        if (UNLIKELY(y == 0))
            TRAP(DIV_BY_ZERO);
        SET32(1, y == -1 ? 0 : x % y); /* INT32_MIN % -1 is 0 in wasm, UB in C */
        NEXT(4);
    }
    vmcase(I32_REM_U) {
        uint32_t y = U32(3);
        if (UNLIKELY(y == 0))
            TRAP(DIV_BY_ZERO);
        SET32(1, U32(2) % y);
        NEXT(4);
    }
    vmcase(I64_DIV_S) {
        int64_t x = I64(2), y = I64(3);
        if (UNLIKELY(y == 0))
            TRAP(DIV_BY_ZERO);
        if (UNLIKELY(x == INT64_MIN && y == -1))
            TRAP(INT_OVERFLOW);
        SET64(1, x / y);
        NEXT(4);
    }
    vmcase(I64_DIV_U) {
        uint64_t y = U64(3);
        if (UNLIKELY(y == 0))
            TRAP(DIV_BY_ZERO);
        SET64(1, U64(2) / y);
        NEXT(4);
    }
    vmcase(I64_REM_S) {
        int64_t x = I64(2), y = I64(3);
        if (UNLIKELY(y == 0))
            TRAP(DIV_BY_ZERO);
        SET64(1, y == -1 ? 0 : x % y);
        NEXT(4);
    }
    vmcase(I64_REM_U) {
        uint64_t y = U64(3);
        if (UNLIKELY(y == 0))
            TRAP(DIV_BY_ZERO);
        SET64(1, U64(2) % y);
        NEXT(4);
    }

    UNOP(I32_CLZ, { uint32_t x = U32(2); SET32(1, x ? __builtin_clz(x) : 32); })
    UNOP(I32_CTZ, { uint32_t x = U32(2); SET32(1, x ? __builtin_ctz(x) : 32); })
    UNOP(I32_POPCNT, SET32(1, __builtin_popcount(U32(2))))
    UNOP(I64_CLZ, { uint64_t x = U64(2); SET64(1, x ? __builtin_clzll(x) : 64); })
    UNOP(I64_CTZ, { uint64_t x = U64(2); SET64(1, x ? __builtin_ctzll(x) : 64); })
    UNOP(I64_POPCNT, SET64(1, __builtin_popcountll(U64(2))))
    UNOP(I32_EXTEND8_S, SET32(1, (int8_t)U64(2)))
    UNOP(I32_EXTEND16_S, SET32(1, (int16_t)U64(2)))
    UNOP(I64_EXTEND8_S, SET64(1, (int64_t)(int8_t)U64(2)))
    UNOP(I64_EXTEND16_S, SET64(1, (int64_t)(int16_t)U64(2)))
    UNOP(I64_EXTEND32_S, SET64(1, (int64_t)(int32_t)U64(2)))
    UNOP(ZEXT32, SET64(1, U32(2)))

    /* ---- floating point ----------------------------------------------------------- */
    FBIN(F32_EQ, F32, SET32, x == y)
    FBIN(F32_NE, F32, SET32, x != y)
    FBIN(F32_LT, F32, SET32, x < y)
    FBIN(F32_GT, F32, SET32, x > y)
    FBIN(F32_LE, F32, SET32, x <= y)
    FBIN(F32_GE, F32, SET32, x >= y)
    FBIN(F64_EQ, F64, SET32, x == y)
    FBIN(F64_NE, F64, SET32, x != y)
    FBIN(F64_LT, F64, SET32, x < y)
    FBIN(F64_GT, F64, SET32, x > y)
    FBIN(F64_LE, F64, SET32, x <= y)
    FBIN(F64_GE, F64, SET32, x >= y)
    /* abs, neg and copysign act on the sign bit alone, NaNs included */
    UNOP(F32_ABS, SET32(1, U32(2) & 0x7fffffffu))
    UNOP(F32_NEG, SET32(1, U32(2) ^ 0x80000000u))
    UNOP(F32_CEIL, SETF32(1, wb_ceilf(F32(2))))
    UNOP(F32_FLOOR, SETF32(1, wb_floorf(F32(2))))
    UNOP(F32_TRUNC, SETF32(1, wb_truncf(F32(2))))
    UNOP(F32_NEAREST, SETF32(1, wb_nearestf(F32(2))))
    UNOP(F32_SQRT, SETF32(1, sqrtf(F32(2))))
    UNOP(F64_ABS, SET64(1, U64(2) & 0x7fffffffffffffffull))
    UNOP(F64_NEG, SET64(1, U64(2) ^ 0x8000000000000000ull))
    UNOP(F64_CEIL, SETF64(1, wb_ceil(F64(2))))
    UNOP(F64_FLOOR, SETF64(1, wb_floor(F64(2))))
    UNOP(F64_TRUNC, SETF64(1, wb_trunc(F64(2))))
    UNOP(F64_NEAREST, SETF64(1, wb_nearest(F64(2))))
    UNOP(F64_SQRT, SETF64(1, sqrt(F64(2))))
    FBIN(F32_ADD, F32, SETF32, x + y)
    FBIN(F32_SUB, F32, SETF32, x - y)
    FBIN(F32_MUL, F32, SETF32, x * y)
    FBIN(F32_DIV, F32, SETF32, x / y)
    FBIN(F32_MIN, F32, SETF32, wb_fminf(x, y))
    FBIN(F32_MAX, F32, SETF32, wb_fmaxf(x, y))
    FBIN(F64_ADD, F64, SETF64, x + y)
    FBIN(F64_SUB, F64, SETF64, x - y)
    FBIN(F64_MUL, F64, SETF64, x * y)
    FBIN(F64_DIV, F64, SETF64, x / y)
    FBIN(F64_MIN, F64, SETF64, wb_fmin(x, y))
    FBIN(F64_MAX, F64, SETF64, wb_fmax(x, y))
    vmcase(F32_COPYSIGN) {
        SET32(1, (U32(2) & 0x7fffffffu) | (U32(3) & 0x80000000u));
        NEXT(4);
    }
    vmcase(F64_COPYSIGN) {
        SET64(1, (U64(2) & 0x7fffffffffffffffull) | (U64(3) & 0x8000000000000000ull));
        NEXT(4);
    }

    /* ---- conversions -------------------------------------------------------------- */
    TRUNC(I32_TRUNC_F32_S, F32, int32_t, SET32, >=, -2147483648.0f, 2147483648.0f)
    TRUNC(I32_TRUNC_F32_U, F32, uint32_t, SET32, >, -1.0f, 4294967296.0f)
    TRUNC(I32_TRUNC_F64_S, F64, int32_t, SET32, >, -2147483649.0, 2147483648.0)
    TRUNC(I32_TRUNC_F64_U, F64, uint32_t, SET32, >, -1.0, 4294967296.0)
    TRUNC(I64_TRUNC_F32_S, F32, int64_t, SET64, >=, -9223372036854775808.0f, 9223372036854775808.0f)
    TRUNC(I64_TRUNC_F32_U, F32, uint64_t, SET64, >, -1.0f, 18446744073709551616.0f)
    TRUNC(I64_TRUNC_F64_S, F64, int64_t, SET64, >=, -9223372036854775808.0, 9223372036854775808.0)
    TRUNC(I64_TRUNC_F64_U, F64, uint64_t, SET64, >, -1.0, 18446744073709551616.0)
    TRUNC_SAT(I32_TRUNC_SAT_F32_S, F32, int32_t, SET32, >=, -2147483648.0f, 2147483648.0f,
              INT32_MIN, INT32_MAX)
    TRUNC_SAT(I32_TRUNC_SAT_F32_U, F32, uint32_t, SET32, >, -1.0f, 4294967296.0f, 0, UINT32_MAX)
    TRUNC_SAT(I32_TRUNC_SAT_F64_S, F64, int32_t, SET32, >, -2147483649.0, 2147483648.0,
              INT32_MIN, INT32_MAX)
    TRUNC_SAT(I32_TRUNC_SAT_F64_U, F64, uint32_t, SET32, >, -1.0, 4294967296.0, 0, UINT32_MAX)
    TRUNC_SAT(I64_TRUNC_SAT_F32_S, F32, int64_t, SET64, >=, -9223372036854775808.0f,
              9223372036854775808.0f, INT64_MIN, INT64_MAX)
    TRUNC_SAT(I64_TRUNC_SAT_F32_U, F32, uint64_t, SET64, >, -1.0f, 18446744073709551616.0f, 0,
              UINT64_MAX)
    TRUNC_SAT(I64_TRUNC_SAT_F64_S, F64, int64_t, SET64, >=, -9223372036854775808.0,
              9223372036854775808.0, INT64_MIN, INT64_MAX)
    TRUNC_SAT(I64_TRUNC_SAT_F64_U, F64, uint64_t, SET64, >, -1.0, 18446744073709551616.0, 0,
              UINT64_MAX)
    UNOP(F32_CONVERT_I32_S, SETF32(1, (float)I32(2)))
    UNOP(F32_CONVERT_I32_U, SETF32(1, (float)U32(2)))
    UNOP(F32_CONVERT_I64_S, SETF32(1, (float)I64(2)))
    UNOP(F32_CONVERT_I64_U, SETF32(1, (float)U64(2)))
    UNOP(F64_CONVERT_I32_S, SETF64(1, (double)I32(2)))
    UNOP(F64_CONVERT_I32_U, SETF64(1, (double)U32(2)))
    UNOP(F64_CONVERT_I64_S, SETF64(1, (double)I64(2)))
    UNOP(F64_CONVERT_I64_U, SETF64(1, (double)U64(2)))
    UNOP(F32_DEMOTE_F64, SETF32(1, (float)F64(2)))
    UNOP(F64_PROMOTE_F32, SETF64(1, (double)F32(2)))

    /* ---- memory: no bounds checks, the guard region faults ---------------------------------- */
    PLAIN(LD32)
    LOAD(LD64, uint64_t, v)
    LOAD(LD8_S32, int8_t, (uint32_t)(int32_t)v)
    PLAIN(LD8_U)
    PLAIN(LD16_S32)
    LOAD(LD16_U, uint16_t, v)
    LOAD(LD8_S64, int8_t, (uint64_t)(int64_t)v)
    LOAD(LD16_S64, int16_t, (uint64_t)(int64_t)v)
    LOAD(LD32_S64, int32_t, (uint64_t)(int64_t)v)
    STORE(ST8, uint8_t)
    STORE(ST16, uint16_t)
    PLAIN(ST32)
    STORE(ST64, uint64_t)
    vmcase(MEM_SIZE) { SET32(1, inst->memories[0]->pages); NEXT(2); }
    vmcase(MEM_GROW) {
        SET32(1, (uint32_t)wb_memory_grow(inst->memories[0], U32(2))); /* -1 on failure */
        NEXT(3);
    }
    /* bulk operations check the whole range before writing anything, as 2.0 says */
    vmcase(MEM_COPY) {
        uint64_t d = U32(1), src = U32(2), n = U32(3), size = inst->memories[0]->size;
        if (UNLIKELY(d + n > size || src + n > size))
            TRAP(MEMORY_OOB);
        if (n)
            memmove(mem + d, mem + src, n);
        NEXT(4);
    }
    vmcase(MEM_FILL) {
        uint64_t d = U32(1), n = U32(3);
        if (UNLIKELY(d + n > inst->memories[0]->size))
            TRAP(MEMORY_OOB);
        if (n)
            memset(mem + d, (uint8_t)U32(2), n);
        NEXT(4);
    }
    vmcase(MEM_INIT) {
        CHECK(wb_memory_init(inst, 0, (uint32_t)ip[1], U32(2), U32(3), U32(4)));
        NEXT(5);
    }
    vmcase(DATA_DROP) { inst->datas[ip[1]].len = 0; NEXT(2); }

    /* ---- references and tables --------------------------------------------------------- */
    vmcase(REF_FUNC) { SLOT(1) = (wb_val)(uintptr_t)inst->funcs[ip[2]]; NEXT(3); }
    vmcase(TABLE_GET) {
        const wb_table *tab = inst->tables[ip[2]];
        uint32_t i = U32(3);
        if (UNLIKELY(i >= tab->size))
            TRAP(TABLE_OOB);
        SLOT(1) = tab->elems[i];
        NEXT(4);
    }
    vmcase(TABLE_SET) {
        wb_table *tab = inst->tables[ip[1]];
        uint32_t i = U32(2);
        if (UNLIKELY(i >= tab->size))
            TRAP(TABLE_OOB);
        tab->elems[i] = SLOT(3);
        NEXT(4);
    }
    vmcase(TABLE_SIZE) { SET32(1, inst->tables[ip[2]]->size); NEXT(3); }
    vmcase(TABLE_GROW) {
        SET32(1, (uint32_t)wb_table_grow(inst->tables[ip[2]], SLOT(3), U32(4)));
        NEXT(5);
    }
    vmcase(TABLE_FILL) {
        CHECK(wb_table_fill(inst->tables[ip[1]], U32(2), SLOT(3), U32(4)));
        NEXT(5);
    }
    vmcase(TABLE_COPY) {
        CHECK(wb_table_copy(inst->tables[ip[1]], inst->tables[ip[2]], U32(3), U32(4), U32(5)));
        NEXT(6);
    }
    vmcase(TABLE_INIT) {
        CHECK(wb_table_init(inst, (uint32_t)ip[1], (uint32_t)ip[2], U32(3), U32(4), U32(5)));
        NEXT(6);
    }
    vmcase(ELEM_DROP) { inst->elems[ip[1]].count = 0; NEXT(2); }

    /* ---- superinstructions ------------------------------------------------------------- */
    WB_SUPERS(SUPER_HANDLER_, _)

    /* ---- calls ------------------------------------------------------------------------- */
call_local_slow: /* CALL_LOCAL without cached code, or with native code */
    if (!code) {
        code = code_of(callee, &trap);
        if (!code)
            goto out;
        __atomic_store_n(cache, (wb_word)(uintptr_t)code, __ATOMIC_RELEASE);
    }
    goto do_call;

    /* the general call: host functions, native code, first translation */
do_call:
    if (UNLIKELY(callee->host != NULL)) {
        if (UNLIKELY(depth >= max_depth))
            TRAP(STACK_EXHAUSTED);
        /* a re-entrant wb_func_call from the host starts above the slots in use */
        ex->sp = args_end(nfp, callee->type);
        ex->depth = depth + 1;
        struct wb_caller caller = { .store = s, .inst = inst };
        CHECK(callee->host(&caller, callee->env, nfp));
        fuel_on = s->fuel != 0;
        ip = ret_ip;
        vmbreak;
    }
    code = atomic_load_explicit(&callee->body->compiled, memory_order_acquire);
    if (UNLIKELY(!code)) {
        code = code_of(callee, &trap);
        if (!code)
            goto out;
    }
    {
        wb_native_fn native = atomic_load_explicit(&code->native, memory_order_relaxed);
        if (UNLIKELY(native != NULL)) {
            if (UNLIKELY(depth >= max_depth))
                TRAP(STACK_EXHAUSTED);
            ex->sp = args_end(nfp, callee->type);
            ex->depth = depth + 1;
            ex->current = callee;
            trap = native(s, callee, nfp);
            ex->current = func;
            if (trap)
                goto out;
            fuel_on = s->fuel != 0;
            ip = ret_ip;
            vmbreak;
        }
    }
    /* push an interpreted frame: callee, code, nfp and ret_ip are set */
enter:
    if (UNLIKELY(depth >= max_depth))
        TRAP(STACK_EXHAUSTED);
    if (UNLIKELY(atomic_load_explicit(&s->interrupt, memory_order_relaxed) | fuel_on)) {
        fuel_on = poll_stop(s);
        if (fuel_on < 0)
            TRAP(INTERRUPTED);
    }
    if (UNLIKELY((size_t)(stack_end - nfp) < code->frame_slots))
        TRAP(STACK_EXHAUSTED);
    {
        wb_val *rec = nfp + code->record;
        rec[0] = (wb_val)(uintptr_t)ret_ip;
        rec[1] = (wb_val)(uintptr_t)fp;
        rec[2] = (wb_val)(uintptr_t)func;
        wb_val *l = nfp + code->nparams;
        switch (code->nlocals) { /* most functions have a few: avoid a memset call */
        default: memset(l, 0, code->nlocals * sizeof *l); break;
        case 4: l[3] = 0; /* fall through */
        case 3: l[2] = 0; /* fall through */
        case 2: l[1] = 0; /* fall through */
        case 1: l[0] = 0; /* fall through */
        case 0: break;
        }
    }
    depth++;
    fp = nfp;
    if (UNLIKELY(callee->inst != inst)) {
        inst = callee->inst;
        mem = memory_base(inst);
    }
    func = callee;
    ex->current = callee;
    ip = code->words;
    vmbreak;

poll_slow:
    fuel_on = poll_stop(s);
    if (fuel_on < 0)
        TRAP(INTERRUPTED);
    vmbreak;

out:
    ex->depth = depth0;
    ex->current = current0;
    ex->sp = sp0;
    return trap;
}

wb_trap *wb_interp_call(wb_store *s, const wb_func *f, wb_val *slots)
{
    return run(s, f, slots, NULL);
}

const void *const *wb_interp_handlers(void)
{
    static const void *const *table;
    const void *const *t = __atomic_load_n(&table, __ATOMIC_ACQUIRE);
    if (!t) {
        run(NULL, NULL, NULL, &t);
        __atomic_store_n(&table, t, __ATOMIC_RELEASE);
    }
    return t;
}

const char *wb_iop_name(wb_iop op)
{
#define OP_NAME_(name) #name,
    static const char *const names[] = { WB_OPS(OP_NAME_) };
#undef OP_NAME_
    return (unsigned)op < WB_IOP_COUNT_ ? names[op] : "?";
}
