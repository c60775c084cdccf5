/*
 * interp_super.h — bodies of the instructions that take part in superinstructions
 * (the WB_SUPERS pairs of interp_ops.h), for interp.c only.
 *
 * OPB_<op>(o) performs <op> with its operands at ip[o + 1 ...] and does not
 * dispatch unless it branches (a taken branch, a call, a return leave through the
 * dispatch themselves). NOPS_<op> is its operand count. A plain handler is
 * OPB_<op>(0) then NEXT(1 + NOPS_<op>); the pair (a, b) is OPB_a(0), OPB_b(NOPS_a),
 * then NEXT over both. Each body is written once here and used by both.
 *
 * These macros use run()'s locals (ip, fp, mem, inst, ...) and its JUMP,
 * JUMP_POLL and RETURN_FROM macros.
 */
#ifndef WASMBOX_ENGINE_INTERP_SUPER_H
#define WASMBOX_ENGINE_INTERP_SUPER_H

#define S_(o, n) (fp[ip[(o) + (n)]]) /* slot named by operand n */
#define K_(o, n) (ip[(o) + (n)])     /* operand n itself */

#define BIN32_(o, e)                                                                           \
    do {                                                                                       \
        uint32_t x = (uint32_t)S_(o, 2), y = (uint32_t)S_(o, 3);                               \
        S_(o, 1) = (uint32_t)(e);                                                              \
    } while (0)
#define BIN32K_(o, e)                                                                          \
    do {                                                                                       \
        uint32_t x = (uint32_t)S_(o, 2), y = (uint32_t)K_(o, 3);                               \
        S_(o, 1) = (uint32_t)(e);                                                              \
    } while (0)
#define LOAD_(o, T, WIDEN)                                                                     \
    do {                                                                                       \
        T v;                                                                                   \
        memcpy(&v, mem + (uint64_t)(uint32_t)S_(o, 2) + K_(o, 3), sizeof v);                   \
        S_(o, 1) = WIDEN;                                                                      \
    } while (0)
#define STORE_(o, T)                                                                           \
    do {                                                                                       \
        T v = (T)S_(o, 3);                                                                     \
        memcpy(mem + (uint64_t)(uint32_t)S_(o, 1) + K_(o, 2), &v, sizeof v);                   \
    } while (0)
/* compare-and-branch: a OP b (slot) or a OP k (immediate), target operand 3 */
#define BRC_(o, T, OP, J)                                                                      \
    do {                                                                                       \
        if ((T)S_(o, 1) OP (T)S_(o, 2))                                                        \
            J((o) + 3);                                                                        \
    } while (0)
#define BRCK_(o, T, OP, J)                                                                     \
    do {                                                                                       \
        if ((T)S_(o, 1) OP (T)K_(o, 2))                                                        \
            J((o) + 3);                                                                        \
    } while (0)

#define NOPS_COPY 2
#define OPB_COPY(o) (S_(o, 1) = S_(o, 2))
#define NOPS_CONST 2
#define OPB_CONST(o) (S_(o, 1) = K_(o, 2))
#define NOPS_SELECT 4
#define OPB_SELECT(o) (S_(o, 1) = (uint32_t)S_(o, 2) ? S_(o, 3) : S_(o, 4))

#define NOPS_I32_ADD 3
#define OPB_I32_ADD(o) BIN32_(o, x + y)
#define NOPS_I32_ADD_K 3
#define OPB_I32_ADD_K(o) BIN32K_(o, x + y)
#define NOPS_I32_MUL 3
#define OPB_I32_MUL(o) BIN32_(o, x * y)
#define NOPS_I32_XOR 3
#define OPB_I32_XOR(o) BIN32_(o, x ^ y)
#define NOPS_I32_AND_K 3
#define OPB_I32_AND_K(o) BIN32K_(o, x & y)
#define NOPS_I32_XOR_K 3
#define OPB_I32_XOR_K(o) BIN32K_(o, x ^ y)
#define NOPS_I32_SHL_K 3
#define OPB_I32_SHL_K(o) BIN32K_(o, x << (y & 31))
#define NOPS_I32_SHR_U_K 3
#define OPB_I32_SHR_U_K(o) BIN32K_(o, x >> (y & 31))
#define NOPS_I64_ADD 3
#define OPB_I64_ADD(o) (S_(o, 1) = S_(o, 2) + S_(o, 3))
#define NOPS_I64_ADD_K 3
#define OPB_I64_ADD_K(o) (S_(o, 1) = S_(o, 2) + K_(o, 3))

#define NOPS_LD32 3
#define OPB_LD32(o) LOAD_(o, uint32_t, v)
#define NOPS_LD8_U 3
#define OPB_LD8_U(o) LOAD_(o, uint8_t, v)
#define NOPS_LD16_S32 3
#define OPB_LD16_S32(o) LOAD_(o, int16_t, (uint32_t)(int32_t)v)
#define NOPS_ST32 3
#define OPB_ST32(o) STORE_(o, uint32_t)

#define NOPS_BRL_NZ 2
#define OPB_BRL_NZ(o)                                                                          \
    do {                                                                                       \
        if ((uint32_t)S_(o, 1))                                                                \
            JUMP_POLL((o) + 2);                                                                \
    } while (0)
#define NOPS_BR_Z 2
#define OPB_BR_Z(o)                                                                            \
    do {                                                                                       \
        if (!(uint32_t)S_(o, 1))                                                               \
            JUMP((o) + 2);                                                                     \
    } while (0)
#define NOPS_BRL_I32_LT_S 3
#define OPB_BRL_I32_LT_S(o) BRC_(o, int32_t, <, JUMP_POLL)
#define NOPS_BRL_I32_GT_S 3
#define OPB_BRL_I32_GT_S(o) BRC_(o, int32_t, >, JUMP_POLL)
#define NOPS_BR_I32_GT_S 3
#define OPB_BR_I32_GT_S(o) BRC_(o, int32_t, >, JUMP)
#define NOPS_BRL_I32_LE_S 3
#define OPB_BRL_I32_LE_S(o) BRC_(o, int32_t, <=, JUMP_POLL)
#define NOPS_BRL_I32_NE 3
#define OPB_BRL_I32_NE(o) BRC_(o, uint32_t, !=, JUMP_POLL)
#define NOPS_BR_I32_EQ_K 3
#define OPB_BR_I32_EQ_K(o) BRCK_(o, uint32_t, ==, JUMP)
#define NOPS_BRL_I32_NE_K 3
#define OPB_BRL_I32_NE_K(o) BRCK_(o, uint32_t, !=, JUMP_POLL)
#define NOPS_BRL_I64_GT_U_K 3
#define OPB_BRL_I64_GT_U_K(o) BRCK_(o, uint64_t, >, JUMP_POLL)
#define NOPS_BR_I64_LT_U_K 3
#define OPB_BR_I64_LT_U_K(o) BRCK_(o, uint64_t, <, JUMP)

/* A call to a function of this module: its code (shared by every instance of the
 * module) is cached in operand 1 on the first call, so later calls skip the
 * wb_func lookups. Operands: cache, function index, argument base. */
#define NOPS_CALL_LOCAL 3
#define OPB_CALL_LOCAL(o)                                                                      \
    do {                                                                                       \
        code = (struct wb_code *)(uintptr_t)__atomic_load_n(&ip[(o) + 1], __ATOMIC_ACQUIRE);   \
        callee = inst->funcs[ip[(o) + 2]];                                                     \
        nfp = fp + ip[(o) + 3];                                                                \
        ret_ip = ip + (o) + 4;                                                                 \
        if (LIKELY(code != NULL &&                                                             \
                   atomic_load_explicit(&code->native, memory_order_relaxed) == NULL))         \
            goto enter;                                                                        \
        cache = (wb_word *)(uintptr_t)&ip[(o) + 1];                                            \
        goto call_local_slow;                                                                  \
    } while (0)

/* Operands: the record's slot, the result's slot. */
#define NOPS_RET1 2
#define OPB_RET1(o) RETURN_FROM(K_(o, 1), fp[0] = S_(o, 2))

#endif
