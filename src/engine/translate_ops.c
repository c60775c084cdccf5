/*
 * translate_ops.c — translation of the value-computing instructions: numeric
 * operators, conversions, loads and stores, bulk memory, tables, references.
 *
 * The numeric opcodes 0x45..0xC4 are regular enough to be table-driven: each
 * maps to an internal op with a shape (unary, binary, integer compare, no-op)
 * and, for the hot integer operators, an immediate form used when the right
 * (or, if commutative, the left) operand is a constant.
 */
#include "translate_impl.h"

enum { NK_NONE, NK_UN, NK_BIN, NK_ICMP, NK_NOP };
enum { NF_COMM = 1, NF_SUB = 2, NF_SH = 4, NF_64 = 8 };

typedef struct num_info {
    uint16_t op;  /* wb_iop; for NK_ICMP the plain compare of its width */
    uint8_t kind;
    uint8_t flags;
    uint16_t kop; /* immediate form, 0 if none */
} num_info;

#define UN(o) { WB_IOP_##o, NK_UN, 0, 0 }
#define BIN(o) { WB_IOP_##o, NK_BIN, 0, 0 }
#define BINK(o, f) { WB_IOP_##o, NK_BIN, f, WB_IOP_##o##_K }
#define ICMP(o) { WB_IOP_##o, NK_ICMP, 0, 0 }

static const num_info num_table[256] = {
    [0x45] = UN(I32_EQZ),
    [0x46] = ICMP(I32_EQ), [0x47] = ICMP(I32_NE), [0x48] = ICMP(I32_LT_S), [0x49] = ICMP(I32_LT_U),
    [0x4a] = ICMP(I32_GT_S), [0x4b] = ICMP(I32_GT_U), [0x4c] = ICMP(I32_LE_S),
    [0x4d] = ICMP(I32_LE_U), [0x4e] = ICMP(I32_GE_S), [0x4f] = ICMP(I32_GE_U),
    [0x50] = UN(I64_EQZ),
    [0x51] = ICMP(I64_EQ), [0x52] = ICMP(I64_NE), [0x53] = ICMP(I64_LT_S), [0x54] = ICMP(I64_LT_U),
    [0x55] = ICMP(I64_GT_S), [0x56] = ICMP(I64_GT_U), [0x57] = ICMP(I64_LE_S),
    [0x58] = ICMP(I64_LE_U), [0x59] = ICMP(I64_GE_S), [0x5a] = ICMP(I64_GE_U),
    [0x5b] = BIN(F32_EQ), [0x5c] = BIN(F32_NE), [0x5d] = BIN(F32_LT), [0x5e] = BIN(F32_GT),
    [0x5f] = BIN(F32_LE), [0x60] = BIN(F32_GE),
    [0x61] = BIN(F64_EQ), [0x62] = BIN(F64_NE), [0x63] = BIN(F64_LT), [0x64] = BIN(F64_GT),
    [0x65] = BIN(F64_LE), [0x66] = BIN(F64_GE),
    [0x67] = UN(I32_CLZ), [0x68] = UN(I32_CTZ), [0x69] = UN(I32_POPCNT),
    [0x6a] = BINK(I32_ADD, NF_COMM), [0x6b] = { WB_IOP_I32_SUB, NK_BIN, NF_SUB, WB_IOP_I32_ADD_K },
    [0x6c] = BINK(I32_MUL, NF_COMM), [0x6d] = BIN(I32_DIV_S), [0x6e] = BIN(I32_DIV_U),
    [0x6f] = BIN(I32_REM_S), [0x70] = BIN(I32_REM_U), [0x71] = BINK(I32_AND, NF_COMM),
    [0x72] = BINK(I32_OR, NF_COMM), [0x73] = BINK(I32_XOR, NF_COMM), [0x74] = BINK(I32_SHL, NF_SH),
    [0x75] = BINK(I32_SHR_S, NF_SH), [0x76] = BINK(I32_SHR_U, NF_SH), [0x77] = BINK(I32_ROTL, NF_SH),
    [0x78] = BINK(I32_ROTR, NF_SH),
    [0x79] = UN(I64_CLZ), [0x7a] = UN(I64_CTZ), [0x7b] = UN(I64_POPCNT),
    [0x7c] = BINK(I64_ADD, NF_COMM | NF_64),
    [0x7d] = { WB_IOP_I64_SUB, NK_BIN, NF_SUB | NF_64, WB_IOP_I64_ADD_K },
    [0x7e] = BINK(I64_MUL, NF_COMM | NF_64), [0x7f] = BIN(I64_DIV_S), [0x80] = BIN(I64_DIV_U),
    [0x81] = BIN(I64_REM_S), [0x82] = BIN(I64_REM_U), [0x83] = BINK(I64_AND, NF_COMM | NF_64),
    [0x84] = BINK(I64_OR, NF_COMM | NF_64), [0x85] = BINK(I64_XOR, NF_COMM | NF_64),
    [0x86] = BINK(I64_SHL, NF_SH | NF_64), [0x87] = BINK(I64_SHR_S, NF_SH | NF_64),
    [0x88] = BINK(I64_SHR_U, NF_SH | NF_64), [0x89] = BINK(I64_ROTL, NF_SH | NF_64), [0x8a] = BINK(I64_ROTR, NF_SH | NF_64),
    [0x8b] = UN(F32_ABS), [0x8c] = UN(F32_NEG), [0x8d] = UN(F32_CEIL), [0x8e] = UN(F32_FLOOR),
    [0x8f] = UN(F32_TRUNC), [0x90] = UN(F32_NEAREST), [0x91] = UN(F32_SQRT), [0x92] = BIN(F32_ADD),
    [0x93] = BIN(F32_SUB), [0x94] = BIN(F32_MUL), [0x95] = BIN(F32_DIV), [0x96] = BIN(F32_MIN),
    [0x97] = BIN(F32_MAX), [0x98] = BIN(F32_COPYSIGN),
    [0x99] = UN(F64_ABS), [0x9a] = UN(F64_NEG), [0x9b] = UN(F64_CEIL), [0x9c] = UN(F64_FLOOR),
    [0x9d] = UN(F64_TRUNC), [0x9e] = UN(F64_NEAREST), [0x9f] = UN(F64_SQRT), [0xa0] = BIN(F64_ADD),
    [0xa1] = BIN(F64_SUB), [0xa2] = BIN(F64_MUL), [0xa3] = BIN(F64_DIV), [0xa4] = BIN(F64_MIN),
    [0xa5] = BIN(F64_MAX), [0xa6] = BIN(F64_COPYSIGN),
    [0xa7] = UN(ZEXT32), [0xa8] = UN(I32_TRUNC_F32_S), [0xa9] = UN(I32_TRUNC_F32_U),
    [0xaa] = UN(I32_TRUNC_F64_S), [0xab] = UN(I32_TRUNC_F64_U), [0xac] = UN(I64_EXTEND32_S),
    [0xad] = UN(ZEXT32), [0xae] = UN(I64_TRUNC_F32_S), [0xaf] = UN(I64_TRUNC_F32_U),
    [0xb0] = UN(I64_TRUNC_F64_S), [0xb1] = UN(I64_TRUNC_F64_U), [0xb2] = UN(F32_CONVERT_I32_S),
    [0xb3] = UN(F32_CONVERT_I32_U), [0xb4] = UN(F32_CONVERT_I64_S), [0xb5] = UN(F32_CONVERT_I64_U),
    [0xb6] = UN(F32_DEMOTE_F64), [0xb7] = UN(F64_CONVERT_I32_S), [0xb8] = UN(F64_CONVERT_I32_U),
    [0xb9] = UN(F64_CONVERT_I64_S), [0xba] = UN(F64_CONVERT_I64_U), [0xbb] = UN(F64_PROMOTE_F32),
    /* reinterpretations keep the bits: the value stays where it is */
    [0xbc] = { 0, NK_NOP, 0, 0 }, [0xbd] = { 0, NK_NOP, 0, 0 }, [0xbe] = { 0, NK_NOP, 0, 0 },
    [0xbf] = { 0, NK_NOP, 0, 0 },
    [0xc0] = UN(I32_EXTEND8_S), [0xc1] = UN(I32_EXTEND16_S), [0xc2] = UN(I64_EXTEND8_S),
    [0xc3] = UN(I64_EXTEND16_S), [0xc4] = UN(I64_EXTEND32_S),
    [0xd1] = UN(I64_EQZ), /* ref.is_null: a null reference is 0 */
};

/* Emits "op d a" or "op d a b" (b is a slot or an immediate) and offers it for fusion. */
static void emit_dab(tr *t, wb_iop op, uint32_t d, uint32_t a, const wb_word *b)
{
    size_t pos = tr_op(t, op);
    tr_put(t, d);
    tr_put(t, a);
    if (b)
        tr_put(t, *b);
    tr_set_last(t, pos + 1);
}

static void emit_words(tr *t, wb_iop op, const wb_word *w, unsigned n)
{
    tr_op(t, op);
    for (unsigned i = 0; i < n; i++)
        tr_put(t, w[i]);
    tr_done(t);
}

static void unary(tr *t, wb_iop op)
{
    tr_val v = tr_pop(t);
    uint32_t a = tr_slot(t, v, t->sh);
    uint32_t d = tr_push_stk(t);
    emit_dab(t, op, d, a, NULL);
}

/* Immediate operand of a K form, normalised so the handler needs no masking. */
static wb_word imm(const num_info *ni, wb_val k)
{
    if (ni->flags & NF_SUB)
        k = 0 - k;
    if (ni->flags & NF_SH)
        k &= (ni->flags & NF_64) ? 63 : 31;
    return (ni->flags & NF_64) ? k : (uint32_t)k;
}

static void icmp(tr *t, const num_info *ni, tr_val a, tr_val b, uint32_t ha)
{
    /* eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u, operands swapped */
    static const uint8_t mirror[10] = { 0, 1, 4, 5, 2, 3, 8, 9, 6, 7 };
    bool w64 = ni->op >= WB_IOP_I64_EQ;
    wb_iop block = w64 ? WB_IOP_I64_EQ : WB_IOP_I32_EQ;
    unsigned c = ni->op - block;
    wb_word k;
    uint32_t x;
    wb_iop op;
    if (b.kind == TV_CONST) {
        x = tr_slot(t, a, ha);
        k = w64 ? b.k : (uint32_t)b.k;
        op = block + 10 + c;
    } else if (a.kind == TV_CONST) {
        x = tr_slot(t, b, ha + 1);
        k = w64 ? a.k : (uint32_t)a.k;
        op = block + 10 + mirror[c];
    } else {
        x = tr_slot(t, a, ha);
        k = tr_slot(t, b, ha + 1);
        op = ni->op;
    }
    uint32_t d = tr_push_stk(t);
    emit_dab(t, op, d, x, &k);
}

static void binary(tr *t, const num_info *ni)
{
    tr_val b = tr_pop(t);
    tr_val a = tr_pop(t);
    uint32_t ha = t->sh;
    if (ni->kind == NK_ICMP) {
        icmp(t, ni, a, b, ha);
        return;
    }
    wb_iop op = ni->op;
    uint32_t x;
    wb_word y;
    if (ni->kop && b.kind == TV_CONST) {
        x = tr_slot(t, a, ha);
        y = imm(ni, b.k);
        op = ni->kop;
    } else if (ni->kop && (ni->flags & NF_COMM) && a.kind == TV_CONST) {
        x = tr_slot(t, b, ha + 1);
        y = imm(ni, a.k);
        op = ni->kop;
    } else {
        x = tr_slot(t, a, ha);
        y = tr_slot(t, b, ha + 1);
    }
    uint32_t d = tr_push_stk(t);
    emit_dab(t, op, d, x, &y);
}

bool tr_numeric(tr *t, uint8_t op)
{
    if (op == 0xd2) { /* ref.func */
        wb_word f = tr_u32(t);
        uint32_t d = tr_push_stk(t);
        emit_words(t, WB_IOP_REF_FUNC, (wb_word[]){ d, f }, 2);
        return true;
    }
    const num_info *ni = &num_table[op];
    switch (ni->kind) {
    case NK_UN: unary(t, ni->op); return true;
    case NK_BIN:
    case NK_ICMP: binary(t, ni); return true;
    case NK_NOP: return true;
    default: return false;
    }
}

/* ---- memory --------------------------------------------------------------------------- */

static const uint16_t load_ops[14] = {
    WB_IOP_LD32, WB_IOP_LD64, WB_IOP_LD32, WB_IOP_LD64, WB_IOP_LD8_S32, WB_IOP_LD8_U, WB_IOP_LD16_S32,
    WB_IOP_LD16_U, WB_IOP_LD8_S64, WB_IOP_LD8_U, WB_IOP_LD16_S64, WB_IOP_LD16_U, WB_IOP_LD32_S64,
    WB_IOP_LD32,
};
static const uint16_t store_ops[9] = {
    WB_IOP_ST32, WB_IOP_ST64, WB_IOP_ST32, WB_IOP_ST64, WB_IOP_ST8, WB_IOP_ST16, WB_IOP_ST8, WB_IOP_ST16,
    WB_IOP_ST32,
};

/* Pops n operands (the last pushed first) into slots[0..n) in push order. */
static void pop_slots(tr *t, uint32_t *slots, unsigned n)
{
    for (unsigned i = n; i-- > 0;) {
        tr_val v = tr_pop(t);
        slots[i] = tr_slot(t, v, t->sh);
    }
}

bool tr_memory(tr *t, uint8_t op)
{
    uint32_t s[2];
    if (op == 0x25) { /* table.get */
        wb_word tab = tr_u32(t);
        pop_slots(t, s, 1);
        uint32_t d = tr_push_stk(t);
        emit_words(t, WB_IOP_TABLE_GET, (wb_word[]){ d, tab, s[0] }, 3);
        return true;
    }
    if (op == 0x26) { /* table.set */
        wb_word tab = tr_u32(t);
        pop_slots(t, s, 2);
        emit_words(t, WB_IOP_TABLE_SET, (wb_word[]){ tab, s[0], s[1] }, 3);
        return true;
    }
    if (op == 0x3f || op == 0x40) { /* memory.size / memory.grow */
        t->p++;
        if (op == 0x40)
            pop_slots(t, s, 1);
        uint32_t d = tr_push_stk(t);
        tr_op(t, op == 0x3f ? WB_IOP_MEM_SIZE : WB_IOP_MEM_GROW);
        tr_put(t, d);
        if (op == 0x40)
            tr_put(t, s[0]);
        return true;
    }
    if (op < 0x28 || op > 0x3e)
        return false;
    tr_u32(t); /* alignment: a hint only */
    wb_word offset = tr_u32(t);
    if (op <= 0x35) {
        pop_slots(t, s, 1);
        uint32_t d = tr_push_stk(t);
        emit_dab(t, load_ops[op - 0x28], d, s[0], &offset);
        return true;
    }
    pop_slots(t, s, 2);
    emit_words(t, store_ops[op - 0x36], (wb_word[]){ s[0], offset, s[1] }, 3);
    return true;
}

/* ---- 0xFC: saturating truncation, bulk memory, tables ------------------------------------ */

bool tr_prefixed(tr *t, uint32_t sub)
{
    static const uint16_t sat[8] = {
        WB_IOP_I32_TRUNC_SAT_F32_S, WB_IOP_I32_TRUNC_SAT_F32_U, WB_IOP_I32_TRUNC_SAT_F64_S,
        WB_IOP_I32_TRUNC_SAT_F64_U, WB_IOP_I64_TRUNC_SAT_F32_S, WB_IOP_I64_TRUNC_SAT_F32_U,
        WB_IOP_I64_TRUNC_SAT_F64_S, WB_IOP_I64_TRUNC_SAT_F64_U,
    };
    uint32_t s[3];
    wb_word a, b;
    if (sub < 8) {
        unary(t, sat[sub]);
        return true;
    }
    switch (sub) {
    case 8: /* memory.init seg mem */
        a = tr_u32(t);
        t->p++;
        pop_slots(t, s, 3);
        emit_words(t, WB_IOP_MEM_INIT, (wb_word[]){ a, s[0], s[1], s[2] }, 4);
        return true;
    case 9: emit_words(t, WB_IOP_DATA_DROP, (wb_word[]){ tr_u32(t) }, 1); return true;
    case 10:
        t->p += 2;
        pop_slots(t, s, 3);
        emit_words(t, WB_IOP_MEM_COPY, (wb_word[]){ s[0], s[1], s[2] }, 3);
        return true;
    case 11:
        t->p++;
        pop_slots(t, s, 3);
        emit_words(t, WB_IOP_MEM_FILL, (wb_word[]){ s[0], s[1], s[2] }, 3);
        return true;
    case 12: /* table.init seg table */
        a = tr_u32(t);
        b = tr_u32(t);
        pop_slots(t, s, 3);
        emit_words(t, WB_IOP_TABLE_INIT, (wb_word[]){ b, a, s[0], s[1], s[2] }, 5);
        return true;
    case 13: emit_words(t, WB_IOP_ELEM_DROP, (wb_word[]){ tr_u32(t) }, 1); return true;
    case 14: /* table.copy dst src */
        a = tr_u32(t);
        b = tr_u32(t);
        pop_slots(t, s, 3);
        emit_words(t, WB_IOP_TABLE_COPY, (wb_word[]){ a, b, s[0], s[1], s[2] }, 5);
        return true;
    case 15: { /* table.grow: init, n -> old size */
        a = tr_u32(t);
        pop_slots(t, s, 2);
        uint32_t d = tr_push_stk(t);
        emit_words(t, WB_IOP_TABLE_GROW, (wb_word[]){ d, a, s[0], s[1] }, 4);
        return true;
    }
    case 16: {
        a = tr_u32(t);
        uint32_t d = tr_push_stk(t);
        emit_words(t, WB_IOP_TABLE_SIZE, (wb_word[]){ d, a }, 2);
        return true;
    }
    case 17: /* table.fill: i, v, n */
        a = tr_u32(t);
        pop_slots(t, s, 3);
        emit_words(t, WB_IOP_TABLE_FILL, (wb_word[]){ a, s[0], s[1], s[2] }, 4);
        return true;
    default: return false;
    }
}
