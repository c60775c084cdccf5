/*
 * opcodes.c — the opcode table rows (generated from the X-macro of opcodes.h),
 * the instruction reader, and the expression skipper.
 *
 * wb_read_instr() is the only place that knows how immediates are encoded, so
 * the decoder, the validator and the translator cannot disagree about where an
 * instruction ends. Its error texts are the spec testsuite's.
 */
#include "opcodes.h"

#include <stdlib.h>
#include <string.h>

#define EOF_TEXT "unexpected end of section or function"

/* Stack effects: in1, in2, out (see wb_opinfo). */
#define SIG_V_V 0, 0, 0
#define SIG_V_I 0, 0, WB_I32
#define SIG_V_L 0, 0, WB_I64
#define SIG_V_F 0, 0, WB_F32
#define SIG_V_D 0, 0, WB_F64
#define SIG_I_I WB_I32, 0, WB_I32
#define SIG_I_L WB_I32, 0, WB_I64
#define SIG_I_F WB_I32, 0, WB_F32
#define SIG_I_D WB_I32, 0, WB_F64
#define SIG_L_I WB_I64, 0, WB_I32
#define SIG_L_L WB_I64, 0, WB_I64
#define SIG_L_F WB_I64, 0, WB_F32
#define SIG_L_D WB_I64, 0, WB_F64
#define SIG_F_I WB_F32, 0, WB_I32
#define SIG_F_L WB_F32, 0, WB_I64
#define SIG_F_F WB_F32, 0, WB_F32
#define SIG_F_D WB_F32, 0, WB_F64
#define SIG_D_I WB_F64, 0, WB_I32
#define SIG_D_L WB_F64, 0, WB_I64
#define SIG_D_F WB_F64, 0, WB_F32
#define SIG_D_D WB_F64, 0, WB_F64
#define SIG_II_I WB_I32, WB_I32, WB_I32
#define SIG_LL_I WB_I64, WB_I64, WB_I32
#define SIG_LL_L WB_I64, WB_I64, WB_I64
#define SIG_FF_I WB_F32, WB_F32, WB_I32
#define SIG_FF_F WB_F32, WB_F32, WB_F32
#define SIG_DD_I WB_F64, WB_F64, WB_I32
#define SIG_DD_D WB_F64, WB_F64, WB_F64
#define SIG_II_V WB_I32, WB_I32, 0
#define SIG_IL_V WB_I32, WB_I64, 0
#define SIG_IF_V WB_I32, WB_F32, 0
#define SIG_ID_V WB_I32, WB_F64, 0
#define SIG_SPECIAL 0, 0, 0
/* special flag of a stack-effect token: true only for SPECIAL. */
#define SPECIAL_FLAG(sig) SPECIAL_FLAG_##sig
#define SPECIAL_FLAG_SPECIAL true
#define SPECIAL_FLAG_V_V false
#define SPECIAL_FLAG_V_I false
#define SPECIAL_FLAG_V_L false
#define SPECIAL_FLAG_V_F false
#define SPECIAL_FLAG_V_D false
#define SPECIAL_FLAG_I_I false
#define SPECIAL_FLAG_I_L false
#define SPECIAL_FLAG_I_F false
#define SPECIAL_FLAG_I_D false
#define SPECIAL_FLAG_L_I false
#define SPECIAL_FLAG_L_L false
#define SPECIAL_FLAG_L_F false
#define SPECIAL_FLAG_L_D false
#define SPECIAL_FLAG_F_I false
#define SPECIAL_FLAG_F_L false
#define SPECIAL_FLAG_F_F false
#define SPECIAL_FLAG_F_D false
#define SPECIAL_FLAG_D_I false
#define SPECIAL_FLAG_D_L false
#define SPECIAL_FLAG_D_F false
#define SPECIAL_FLAG_D_D false
#define SPECIAL_FLAG_II_I false
#define SPECIAL_FLAG_LL_I false
#define SPECIAL_FLAG_LL_L false
#define SPECIAL_FLAG_FF_I false
#define SPECIAL_FLAG_FF_F false
#define SPECIAL_FLAG_DD_I false
#define SPECIAL_FLAG_DD_D false
#define SPECIAL_FLAG_II_V false
#define SPECIAL_FLAG_IL_V false
#define SPECIAL_FLAG_IF_V false
#define SPECIAL_FLAG_ID_V false

#define ROW_(code, id, nm, imm_, sig, al)                                                          \
    [code] = {.name = nm,                                                                          \
              .imm = WB_IMM_##imm_,                                                                \
              .special = SPECIAL_FLAG(sig),                                                        \
              .in1 = ROW_IN1_(sig),                                                                \
              .in2 = ROW_IN2_(sig),                                                                \
              .out = ROW_OUT_(sig),                                                                \
              .align = al},
#define PICK1_(a, b, c) a
#define PICK2_(a, b, c) b
#define PICK3_(a, b, c) c
#define ROW_IN1_(sig) CALL_(PICK1_, SIG_##sig)
#define ROW_IN2_(sig) CALL_(PICK2_, SIG_##sig)
#define ROW_OUT_(sig) CALL_(PICK3_, SIG_##sig)
#define CALL_(f, ...) f(__VA_ARGS__)

const wb_opinfo wb_opinfo_main[256] = {WB_OPCODES(ROW_)};
const wb_opinfo wb_opinfo_fc[WB_OP_FC_COUNT] = {WB_OPCODES_FC(ROW_)};

const char *wb_op_name(uint16_t op)
{
    const wb_opinfo *info = wb_opinfo_of(op);
    return info ? info->name : "?";
}

/* ---- immediates --------------------------------------------------------------- */

static const char *leb_text(int rc)
{
    return wb_leb_error_text(rc, EOF_TEXT);
}

static const char *zero_byte(const uint8_t **pp, const uint8_t *end)
{
    if (*pp >= end)
        return EOF_TEXT;
    if (**pp != 0)
        return "zero byte expected";
    (*pp)++;
    return NULL;
}

static const char *u32_imm(const uint8_t **pp, const uint8_t *end, uint32_t *out)
{
    int rc = wb_leb_u32(pp, end, out);
    return rc ? leb_text(rc) : NULL;
}

/* A value type byte in a position where SIMD's v128 would be legal. */
static const char *valtype_byte(uint8_t b)
{
    if (wb_is_valtype(b))
        return NULL;
    if (b & 0x80) /* a multi-byte type code: the reference reads an s7 */
        return "integer representation too long";
    return b == WB_V128 ? "SIMD not supported yet" : "malformed value type";
}

/* blocktype: 0x40, a one-byte value type, or a non-negative s33 type index. A
 * negative index other than those is kept (the validator calls it unknown). */
static const char *block_type(const uint8_t **pp, const uint8_t *end, wb_instr *ins)
{
    if (*pp >= end)
        return EOF_TEXT;
    uint8_t b = **pp;
    if (b == 0x40) {
        ins->block_kind = WB_BLOCK_EMPTY;
        (*pp)++;
        return NULL;
    }
    if ((b & 0xc0) == 0x40) {
        const char *bad = valtype_byte(b);
        if (bad)
            return bad;
        ins->block_kind = WB_BLOCK_VALTYPE;
        ins->block_valtype = b;
        (*pp)++;
        return NULL;
    }
    int rc = wb_leb_s33(pp, end, &ins->i64);
    if (rc)
        return leb_text(rc);
    ins->block_kind = WB_BLOCK_TYPEIDX;
    return NULL;
}

static const char *br_table(const uint8_t **pp, const uint8_t *end, wb_instr *ins)
{
    const char *bad = u32_imm(pp, end, &ins->a);
    if (bad)
        return bad;
    ins->vec = *pp;
    /* Every label takes at least one byte: a larger count cannot be satisfied. */
    if (ins->a > (size_t)(end - *pp))
        return EOF_TEXT;
    for (uint32_t i = 0; i < ins->a; i++) {
        uint32_t depth;
        if ((bad = u32_imm(pp, end, &depth)))
            return bad;
    }
    return u32_imm(pp, end, &ins->b);
}

static const char *select_types(const uint8_t **pp, const uint8_t *end, wb_instr *ins)
{
    const char *bad = u32_imm(pp, end, &ins->a);
    if (bad)
        return bad;
    ins->vec = *pp;
    for (uint32_t i = 0; i < ins->a; i++) {
        if (*pp >= end)
            return EOF_TEXT;
        if ((bad = valtype_byte(**pp)))
            return bad;
        (*pp)++;
    }
    return NULL;
}

static const char *fixed_bytes(const uint8_t **pp, const uint8_t *end, unsigned n, uint64_t *out)
{
    if ((size_t)(end - *pp) < n)
        return EOF_TEXT;
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)(*pp)[i] << (8 * i);
    *pp += n;
    *out = v;
    return NULL;
}

static const char *read_imm(const uint8_t **pp, const uint8_t *end, wb_immkind kind, wb_instr *ins)
{
    const char *bad = NULL;
    int rc;
    switch (kind) {
    case WB_IMM_NONE:
        return NULL;
    case WB_IMM_BLOCK:
        return block_type(pp, end, ins);
    case WB_IMM_LABEL:
    case WB_IMM_FUNC:
    case WB_IMM_LOCAL:
    case WB_IMM_GLOBAL:
    case WB_IMM_TABLE:
    case WB_IMM_DATA:
    case WB_IMM_ELEM:
        return u32_imm(pp, end, &ins->a);
    case WB_IMM_BR_TABLE:
        return br_table(pp, end, ins);
    case WB_IMM_CALL_INDIRECT:
    case WB_IMM_MEMARG:
    case WB_IMM_TABLE_INIT:
    case WB_IMM_TABLE_COPY:
        if ((bad = u32_imm(pp, end, &ins->a)))
            return bad;
        return u32_imm(pp, end, &ins->b);
    case WB_IMM_MEM:
        return zero_byte(pp, end);
    case WB_IMM_MEMORY_INIT:
        if ((bad = u32_imm(pp, end, &ins->a)))
            return bad;
        return zero_byte(pp, end);
    case WB_IMM_MEMORY_COPY:
        if ((bad = zero_byte(pp, end)))
            return bad;
        return zero_byte(pp, end);
    case WB_IMM_I32: {
        int32_t v;
        if ((rc = wb_leb_s32(pp, end, &v)))
            return leb_text(rc);
        ins->i64 = v;
        return NULL;
    }
    case WB_IMM_I64:
        if ((rc = wb_leb_s64(pp, end, &ins->i64)))
            return leb_text(rc);
        return NULL;
    case WB_IMM_F32:
        return fixed_bytes(pp, end, 4, &ins->bits);
    case WB_IMM_F64:
        return fixed_bytes(pp, end, 8, &ins->bits);
    case WB_IMM_SELECT_T:
        return select_types(pp, end, ins);
    case WB_IMM_REFTYPE:
        if (*pp >= end)
            return EOF_TEXT;
        if (!wb_is_reftype(**pp))
            return (**pp & 0x80) ? "integer representation too long" : "malformed reference type";
        ins->a = *(*pp)++;
        return NULL;
    }
    return "illegal opcode";
}

const char *wb_read_instr(const uint8_t **pp, const uint8_t *end, wb_instr *ins)
{
    const uint8_t *start = *pp;
    if (start >= end)
        return EOF_TEXT;
    uint8_t b = *start;
    const wb_opinfo *info = &wb_opinfo_main[b];
    const uint8_t *p = start + 1;
    uint16_t op = b;
    if (b == WB_OP_PREFIX_FC) {
        uint32_t sub;
        const char *bad = u32_imm(&p, end, &sub);
        if (bad) {
            *pp = p;
            return bad;
        }
        if (sub >= WB_OP_FC_COUNT) {
            *pp = start;
            return "illegal opcode";
        }
        info = &wb_opinfo_fc[sub];
        op = (uint16_t)(0xfc00 | sub);
    } else if (!info->name) {
        *pp = start;
        return b == WB_OP_PREFIX_SIMD ? "SIMD not supported yet" : "illegal opcode";
    }
    ins->op = op;
    const char *bad = read_imm(&p, end, (wb_immkind)info->imm, ins);
    *pp = p;
    return bad;
}

/* ---- skipping expressions ----------------------------------------------------- */

/* Open constructs, innermost last: 'b' block/loop, 'i' if (else still allowed),
 * 'e' if after its else. Small expressions use the array on the stack. */
typedef struct nest {
    uint8_t small[128];
    uint8_t *kinds;
    size_t depth, cap;
} nest;

static bool nest_push(nest *n, uint8_t kind)
{
    if (n->depth == n->cap) {
        size_t cap = n->cap * 2;
        uint8_t *k = malloc(cap);
        if (!k)
            return false;
        memcpy(k, n->kinds, n->depth);
        if (n->kinds != n->small)
            free(n->kinds);
        n->kinds = k;
        n->cap = cap;
    }
    n->kinds[n->depth++] = kind;
    return true;
}

static const char *skip_loop(const uint8_t **pp, const uint8_t *end, bool data_ops_ok, nest *n)
{
    wb_instr ins;
    for (;;) {
        const uint8_t *at = *pp;
        const char *bad = wb_read_instr(pp, end, &ins);
        if (bad)
            return bad;
        switch (ins.op) {
        case WB_OP_BLOCK:
        case WB_OP_LOOP:
        case WB_OP_IF:
            if (!nest_push(n, ins.op == WB_OP_IF ? 'i' : 'b'))
                return "out of memory";
            break;
        case WB_OP_ELSE:
            if (n->depth == 0 || n->kinds[n->depth - 1] != 'i') {
                *pp = at;
                return "END opcode expected";
            }
            n->kinds[n->depth - 1] = 'e';
            break;
        case WB_OP_END:
            if (n->depth == 0)
                return NULL;
            n->depth--;
            break;
        case WB_OP_MEMORY_INIT:
        case WB_OP_DATA_DROP:
            if (!data_ops_ok) {
                *pp = at;
                return "data count section required";
            }
            break;
        default:
            break;
        }
    }
}

const char *wb_skip_expr(const uint8_t **pp, const uint8_t *end, bool data_ops_ok)
{
    nest n = {.depth = 0, .cap = sizeof n.small};
    n.kinds = n.small;
    const char *bad = skip_loop(pp, end, data_ops_ok, &n);
    if (n.kinds != n.small)
        free(n.kinds);
    return bad;
}
