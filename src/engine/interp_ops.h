/*
 * interp_ops.h — the instruction set of the interpreter's compact code.
 *
 * One X-macro list names every internal instruction; interp.c turns it into the
 * table of handler addresses (computed-goto labels) and translate.c into an enum
 * it emits through that table. Operands follow each handler word, one 64-bit
 * word each: d = destination slot, a/b/c = source slots, k = immediate,
 * t = branch target (a resolved code pointer), o = memory offset.
 * CALL_LOCAL (a call to a function the module defines) carries a cache word
 * that the interpreter fills with the callee's wb_code on the first call.
 *
 * The integer compares come in six regular blocks of ten (plain, with an
 * immediate right operand, each as "set", "branch if", and "branch if at a loop
 * back-edge"), laid out identically so the translator can turn a compare into
 * its fused branch by arithmetic on the opcode (see translate.c).
 */
#ifndef WASMBOX_ENGINE_INTERP_OPS_H
#define WASMBOX_ENGINE_INTERP_OPS_H

/* The ten integer compares, in the order every compare block uses. */
#define WB_ICMP_BLOCK(X, pre, suf)                                                             \
    X(pre##EQ##suf) X(pre##NE##suf) X(pre##LT_S##suf) X(pre##LT_U##suf) X(pre##GT_S##suf)      \
    X(pre##GT_U##suf) X(pre##LE_S##suf) X(pre##LE_U##suf) X(pre##GE_S##suf) X(pre##GE_U##suf)

#define WB_ICMP_SETS(X, pre)                                                                   \
    WB_ICMP_BLOCK(X, pre##I32_, ) WB_ICMP_BLOCK(X, pre##I32_, _K)                              \
    WB_ICMP_BLOCK(X, pre##I64_, ) WB_ICMP_BLOCK(X, pre##I64_, _K)

#define WB_INT_BINOPS(X, T)                                                                    \
    X(T##_ADD) X(T##_SUB) X(T##_MUL) X(T##_DIV_S) X(T##_DIV_U) X(T##_REM_S) X(T##_REM_U)        \
    X(T##_AND) X(T##_OR) X(T##_XOR) X(T##_SHL) X(T##_SHR_S) X(T##_SHR_U) X(T##_ROTL)            \
    X(T##_ROTR)                                                                                \
    X(T##_ADD_K) X(T##_MUL_K) X(T##_AND_K) X(T##_OR_K) X(T##_XOR_K) X(T##_SHL_K)                \
    X(T##_SHR_S_K) X(T##_SHR_U_K) X(T##_ROTL_K) X(T##_ROTR_K)

#define WB_FLOAT_OPS(X, T)                                                                     \
    X(T##_EQ) X(T##_NE) X(T##_LT) X(T##_GT) X(T##_LE) X(T##_GE)                                \
    X(T##_ABS) X(T##_NEG) X(T##_CEIL) X(T##_FLOOR) X(T##_TRUNC) X(T##_NEAREST) X(T##_SQRT)      \
    X(T##_ADD) X(T##_SUB) X(T##_MUL) X(T##_DIV) X(T##_MIN) X(T##_MAX) X(T##_COPYSIGN)

/* Superinstructions: pairs of consecutive instructions (no label between them)
 * executed by one handler, A's operands followed by B's. The pairs are the hottest
 * of a dynamic pair count (build with -DWB_INTERP_PROFILE) over fib (uint64,
 * recursive), a quicksort of int32 and CoreMark, all clang -O2 for wasm32-wasi,
 * taken after the compare+branch fusion and local.get/const aliasing of
 * translate.c; the share of all executed instructions a pair had is noted where
 * it is above 2% (qs = quicksort, cm = CoreMark, fib). Each removes a dispatch;
 * together they cut executed dispatches by 32% (CoreMark) to 39% (quicksort).
 * Pairing is greedy, left to right, and never spans a label. */
#define WB_SUPERS(M, X)                                                                        \
    /* address arithmetic and loads/stores */                                                  \
    M(X, I32_ADD_K, LD32)            /* qs 11.9% */                                            \
    M(X, LD32, I32_ADD_K)            /* qs 6.1% */                                             \
    M(X, I32_ADD_K, I32_ADD_K)       /* qs 6.0%, cm 3.5%: induction variables */               \
    M(X, I32_ADD_K, COPY)            /* qs 5.8% */                                             \
    M(X, COPY, I32_ADD_K)            /* qs 4.4% */                                             \
    M(X, I32_ADD, COPY)              /* qs 4.4% */                                             \
    M(X, I32_SHL_K, I32_ADD)         /* qs 4.4%: base + index << k */                          \
    M(X, COPY, COPY)                 /* qs 3.6% */                                             \
    M(X, ST32, I32_ADD_K)            /* qs 2.5% */                                             \
    M(X, I32_ADD_K, ST32)            /* qs 2.1% */                                             \
    M(X, ST32, COPY)                 /* qs 2.1%, cm 2.1% */                                    \
    M(X, I32_ADD_K, I32_SHL_K)       /* qs 2.4% */                                             \
    M(X, I32_SHR_U_K, I32_AND_K)     /* cm 3.4%: bit-field extract */                          \
    M(X, I32_ADD, I32_ADD_K)         /* cm 2.6% */                                             \
    M(X, COPY, LD32)                 /* cm 2.1% */                                             \
    M(X, CONST, COPY)                                                                          \
    M(X, LD32, ST32)                                                                           \
    M(X, LD32, LD8_U)                                                                          \
    M(X, I32_MUL, I32_ADD)                                                                     \
    M(X, I32_AND_K, I32_XOR_K)                                                                 \
    M(X, I32_ADD_K, LD8_U)                                                                     \
    M(X, I32_XOR, I32_AND_K)                                                                   \
    M(X, I32_XOR_K, I32_SHR_U_K)                                                               \
    M(X, I32_ADD_K, I32_AND_K)                                                                 \
    M(X, I32_SHR_U_K, I32_XOR)                                                                 \
    M(X, SELECT, I32_SHR_U_K)                                                                  \
    M(X, I32_AND_K, SELECT)                                                                    \
    M(X, LD16_S32, I32_MUL)                                                                    \
    M(X, I64_ADD, I64_ADD_K)         /* fib 10.4% */                                           \
    /* into a branch */                                                                        \
    M(X, LD32, BRL_I32_LT_S)         /* qs 5.8% */                                             \
    M(X, COPY, BRL_I32_GT_S)         /* qs 5.7% */                                             \
    M(X, I32_ADD_K, BR_I32_GT_S)     /* qs 2.2% */                                             \
    M(X, COPY, BRL_I32_LE_S)         /* qs 2.1% */                                             \
    M(X, I32_AND_K, BR_I32_EQ_K)     /* cm 2.1% */                                             \
    M(X, COPY, BRL_NZ)                                                                         \
    M(X, LD32, BRL_NZ)                                                                         \
    M(X, LD8_U, BR_Z)                                                                          \
    M(X, COPY, BRL_I32_NE_K)                                                                   \
    M(X, I32_ADD_K, BRL_I32_NE)                                                                \
    M(X, I64_ADD_K, BRL_I64_GT_U_K)  /* fib 10.4% */                                           \
    /* out of a branch not taken */                                                            \
    M(X, BRL_I32_LT_S, I32_ADD_K)    /* qs 5.8% */                                             \
    M(X, BRL_I32_GT_S, I32_ADD_K)    /* qs 5.7% */                                             \
    M(X, BRL_NZ, COPY)                                                                         \
    M(X, BRL_NZ, LD32)                                                                         \
    M(X, BR_Z, COPY)                                                                           \
    M(X, BRL_I32_NE_K, I32_AND_K)                                                              \
    M(X, BR_I64_LT_U_K, CONST)       /* fib 6.4% */                                            \
    /* into a call or return */                                                                \
    M(X, I64_ADD_K, CALL_LOCAL)      /* fib 10.4% */                                           \
    M(X, I32_ADD_K, CALL_LOCAL)                                                                \
    M(X, COPY, CALL_LOCAL)                                                                     \
    M(X, I64_ADD, RET1)              /* fib 10.4% */                                           \
    M(X, I32_ADD, RET1)

#define WB_SUPER_NAME_(X, a, b) X(a##__##b)

#define WB_OPS(X)                                                                              \
    /* control */                                                                              \
    X(UNREACHABLE) X(EXIT) X(BR) X(BRL) X(BR_NZ) X(BR_Z) X(BRL_NZ) X(BRL_Z) X(BR_TABLE)        \
    X(CALL) X(CALL_LOCAL) X(CALL_INDIRECT) X(RET0) X(RET1) X(RETN)                                           \
    /* data movement */                                                                        \
    X(COPY) X(CONST) X(SELECT) X(GLOBAL_GET) X(GLOBAL_SET)                                     \
    /* integer compares: set, branch, loop branch */                                          \
    WB_ICMP_SETS(X, ) WB_ICMP_SETS(X, BR_) WB_ICMP_SETS(X, BRL_)                               \
    X(I32_EQZ) X(I64_EQZ)                                                                      \
    /* integer arithmetic */                                                                   \
    WB_INT_BINOPS(X, I32) WB_INT_BINOPS(X, I64)                                                \
    X(I32_CLZ) X(I32_CTZ) X(I32_POPCNT) X(I64_CLZ) X(I64_CTZ) X(I64_POPCNT)                    \
    X(I32_EXTEND8_S) X(I32_EXTEND16_S) X(I64_EXTEND8_S) X(I64_EXTEND16_S) X(I64_EXTEND32_S)    \
    X(ZEXT32)                                                                                  \
    /* floating point */                                                                       \
    WB_FLOAT_OPS(X, F32) WB_FLOAT_OPS(X, F64)                                                  \
    /* conversions */                                                                          \
    X(I32_TRUNC_F32_S) X(I32_TRUNC_F32_U) X(I32_TRUNC_F64_S) X(I32_TRUNC_F64_U)                \
    X(I64_TRUNC_F32_S) X(I64_TRUNC_F32_U) X(I64_TRUNC_F64_S) X(I64_TRUNC_F64_U)                \
    X(I32_TRUNC_SAT_F32_S) X(I32_TRUNC_SAT_F32_U) X(I32_TRUNC_SAT_F64_S)                       \
    X(I32_TRUNC_SAT_F64_U) X(I64_TRUNC_SAT_F32_S) X(I64_TRUNC_SAT_F32_U)                       \
    X(I64_TRUNC_SAT_F64_S) X(I64_TRUNC_SAT_F64_U)                                              \
    X(F32_CONVERT_I32_S) X(F32_CONVERT_I32_U) X(F32_CONVERT_I64_S) X(F32_CONVERT_I64_U)        \
    X(F64_CONVERT_I32_S) X(F64_CONVERT_I32_U) X(F64_CONVERT_I64_S) X(F64_CONVERT_I64_U)        \
    X(F32_DEMOTE_F64) X(F64_PROMOTE_F32)                                                       \
    /* memory: loads (d, a, o), stores (a, o, v) */                                            \
    X(LD32) X(LD64) X(LD8_S32) X(LD8_U) X(LD16_S32) X(LD16_U) X(LD8_S64) X(LD16_S64)           \
    X(LD32_S64) X(ST8) X(ST16) X(ST32) X(ST64) X(MEM_SIZE) X(MEM_GROW)                         \
    X(MEM_INIT) X(DATA_DROP) X(MEM_COPY) X(MEM_FILL)                                           \
    /* references and tables */                                                                \
    X(REF_FUNC) X(TABLE_GET) X(TABLE_SET) X(TABLE_SIZE) X(TABLE_GROW) X(TABLE_FILL)            \
    X(TABLE_COPY) X(TABLE_INIT) X(ELEM_DROP)                                                  \
    WB_SUPERS(WB_SUPER_NAME_, X)

#define WB_IOP_ENUM_(name) WB_IOP_##name,
typedef enum wb_iop { WB_OPS(WB_IOP_ENUM_) WB_IOP_COUNT_ } wb_iop;
#undef WB_IOP_ENUM_

/* The superinstruction executing a then b, or 0 (translate.c). */
wb_iop wb_iop_pair(wb_iop a, wb_iop b);

/* Handler addresses indexed by wb_iop (interp.c). */
const void *const *wb_interp_handlers(void);
/* Name of an op, for disassembly and profiles. */
const char *wb_iop_name(wb_iop op);

#endif
