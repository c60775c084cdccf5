/*
 * opcodes.h — the WebAssembly 2.0 instruction set as one table, and the one
 * reader of instructions and their immediates.
 *
 * The table (WB_OPCODES / WB_OPCODES_FC below, an X-macro) gives every opcode
 * its name, the kind of its immediates and, for the "simple" instructions, its
 * stack effect (e.g. II_I: pops i32 i32, pushes i32). The decoder (constant
 * expressions), the validator, the translator and any disassembler all use it:
 * wb_read_instr() reads one instruction with its immediates, checking every LEB
 * and reserved byte; wb_opinfo() gives its table row.
 *
 * Instructions are named by a 16-bit `op`: the opcode byte for one-byte opcodes,
 * and 0xFC00 | sub-opcode for the 0xFC prefix (WB_OP_MEMORY_INIT = 0xFC08 …).
 * SIMD (0xFD) is not supported: it is reported as "SIMD not supported yet".
 *
 * Stack-effect letters: I i32, L i64, F f32, D f64, V nothing. SPECIAL means the
 * validator/translator handle the instruction by hand (control, variables,
 * calls, references, tables, bulk memory, select, drop).
 */
#ifndef WASMBOX_ENGINE_OPCODES_H
#define WASMBOX_ENGINE_OPCODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leb128.h"
#include "wasmbox/engine.h"

/* Kinds of immediates. */
typedef enum wb_immkind {
    WB_IMM_NONE,
    WB_IMM_BLOCK,         /* blocktype (s33) -> ins.block */
    WB_IMM_LABEL,         /* br, br_if: u32 label depth -> a */
    WB_IMM_BR_TABLE,      /* vec(u32) + u32: a = count, b = default, vec = first label */
    WB_IMM_FUNC,          /* call, ref.func: u32 function index -> a */
    WB_IMM_CALL_INDIRECT, /* u32 type index -> a, u32 table index -> b */
    WB_IMM_LOCAL,         /* u32 -> a */
    WB_IMM_GLOBAL,        /* u32 -> a */
    WB_IMM_TABLE,         /* u32 table index -> a */
    WB_IMM_MEMARG,        /* u32 align (log2) -> a, u32 offset -> b */
    WB_IMM_MEM,           /* one reserved zero byte (memory 0): memory.size/grow/fill */
    WB_IMM_I32,           /* s32 -> i64 (sign-extended) */
    WB_IMM_I64,           /* s64 -> i64 */
    WB_IMM_F32,           /* 4 bytes little-endian -> bits */
    WB_IMM_F64,           /* 8 bytes little-endian -> bits */
    WB_IMM_SELECT_T,      /* vec(valtype): a = count, vec = the type bytes */
    WB_IMM_REFTYPE,       /* ref.null: reference type byte -> a */
    WB_IMM_MEMORY_INIT,   /* u32 data index -> a, then a zero byte */
    WB_IMM_DATA,          /* data.drop: u32 data index -> a */
    WB_IMM_MEMORY_COPY,   /* two zero bytes */
    WB_IMM_TABLE_INIT,    /* u32 elem index -> a, u32 table index -> b */
    WB_IMM_ELEM,          /* elem.drop: u32 elem index -> a */
    WB_IMM_TABLE_COPY,    /* u32 destination table -> a, u32 source table -> b */
} wb_immkind;

/* X(opcode, ID, "name", immediate kind, stack effect, natural alignment log2) */
/* clang-format off */
#define WB_OPCODES(X)                                                          \
    X(0x00, UNREACHABLE, "unreachable", NONE, SPECIAL, 0)                      \
    X(0x01, NOP, "nop", NONE, V_V, 0)                                          \
    X(0x02, BLOCK, "block", BLOCK, SPECIAL, 0)                                 \
    X(0x03, LOOP, "loop", BLOCK, SPECIAL, 0)                                   \
    X(0x04, IF, "if", BLOCK, SPECIAL, 0)                                       \
    X(0x05, ELSE, "else", NONE, SPECIAL, 0)                                    \
    X(0x0b, END, "end", NONE, SPECIAL, 0)                                      \
    X(0x0c, BR, "br", LABEL, SPECIAL, 0)                                       \
    X(0x0d, BR_IF, "br_if", LABEL, SPECIAL, 0)                                 \
    X(0x0e, BR_TABLE, "br_table", BR_TABLE, SPECIAL, 0)                        \
    X(0x0f, RETURN, "return", NONE, SPECIAL, 0)                                \
    X(0x10, CALL, "call", FUNC, SPECIAL, 0)                                    \
    X(0x11, CALL_INDIRECT, "call_indirect", CALL_INDIRECT, SPECIAL, 0)         \
    X(0x1a, DROP, "drop", NONE, SPECIAL, 0)                                    \
    X(0x1b, SELECT, "select", NONE, SPECIAL, 0)                                \
    X(0x1c, SELECT_T, "select", SELECT_T, SPECIAL, 0)                          \
    X(0x20, LOCAL_GET, "local.get", LOCAL, SPECIAL, 0)                         \
    X(0x21, LOCAL_SET, "local.set", LOCAL, SPECIAL, 0)                         \
    X(0x22, LOCAL_TEE, "local.tee", LOCAL, SPECIAL, 0)                         \
    X(0x23, GLOBAL_GET, "global.get", GLOBAL, SPECIAL, 0)                      \
    X(0x24, GLOBAL_SET, "global.set", GLOBAL, SPECIAL, 0)                      \
    X(0x25, TABLE_GET, "table.get", TABLE, SPECIAL, 0)                         \
    X(0x26, TABLE_SET, "table.set", TABLE, SPECIAL, 0)                         \
    X(0x28, I32_LOAD, "i32.load", MEMARG, I_I, 2)                              \
    X(0x29, I64_LOAD, "i64.load", MEMARG, I_L, 3)                              \
    X(0x2a, F32_LOAD, "f32.load", MEMARG, I_F, 2)                              \
    X(0x2b, F64_LOAD, "f64.load", MEMARG, I_D, 3)                              \
    X(0x2c, I32_LOAD8_S, "i32.load8_s", MEMARG, I_I, 0)                        \
    X(0x2d, I32_LOAD8_U, "i32.load8_u", MEMARG, I_I, 0)                        \
    X(0x2e, I32_LOAD16_S, "i32.load16_s", MEMARG, I_I, 1)                      \
    X(0x2f, I32_LOAD16_U, "i32.load16_u", MEMARG, I_I, 1)                      \
    X(0x30, I64_LOAD8_S, "i64.load8_s", MEMARG, I_L, 0)                        \
    X(0x31, I64_LOAD8_U, "i64.load8_u", MEMARG, I_L, 0)                        \
    X(0x32, I64_LOAD16_S, "i64.load16_s", MEMARG, I_L, 1)                      \
    X(0x33, I64_LOAD16_U, "i64.load16_u", MEMARG, I_L, 1)                      \
    X(0x34, I64_LOAD32_S, "i64.load32_s", MEMARG, I_L, 2)                      \
    X(0x35, I64_LOAD32_U, "i64.load32_u", MEMARG, I_L, 2)                      \
    X(0x36, I32_STORE, "i32.store", MEMARG, II_V, 2)                           \
    X(0x37, I64_STORE, "i64.store", MEMARG, IL_V, 3)                           \
    X(0x38, F32_STORE, "f32.store", MEMARG, IF_V, 2)                           \
    X(0x39, F64_STORE, "f64.store", MEMARG, ID_V, 3)                           \
    X(0x3a, I32_STORE8, "i32.store8", MEMARG, II_V, 0)                         \
    X(0x3b, I32_STORE16, "i32.store16", MEMARG, II_V, 1)                       \
    X(0x3c, I64_STORE8, "i64.store8", MEMARG, IL_V, 0)                         \
    X(0x3d, I64_STORE16, "i64.store16", MEMARG, IL_V, 1)                       \
    X(0x3e, I64_STORE32, "i64.store32", MEMARG, IL_V, 2)                       \
    X(0x3f, MEMORY_SIZE, "memory.size", MEM, V_I, 0)                           \
    X(0x40, MEMORY_GROW, "memory.grow", MEM, I_I, 0)                           \
    X(0x41, I32_CONST, "i32.const", I32, V_I, 0)                               \
    X(0x42, I64_CONST, "i64.const", I64, V_L, 0)                               \
    X(0x43, F32_CONST, "f32.const", F32, V_F, 0)                               \
    X(0x44, F64_CONST, "f64.const", F64, V_D, 0)                               \
    X(0x45, I32_EQZ, "i32.eqz", NONE, I_I, 0)                                  \
    X(0x46, I32_EQ, "i32.eq", NONE, II_I, 0)                                   \
    X(0x47, I32_NE, "i32.ne", NONE, II_I, 0)                                   \
    X(0x48, I32_LT_S, "i32.lt_s", NONE, II_I, 0)                               \
    X(0x49, I32_LT_U, "i32.lt_u", NONE, II_I, 0)                               \
    X(0x4a, I32_GT_S, "i32.gt_s", NONE, II_I, 0)                               \
    X(0x4b, I32_GT_U, "i32.gt_u", NONE, II_I, 0)                               \
    X(0x4c, I32_LE_S, "i32.le_s", NONE, II_I, 0)                               \
    X(0x4d, I32_LE_U, "i32.le_u", NONE, II_I, 0)                               \
    X(0x4e, I32_GE_S, "i32.ge_s", NONE, II_I, 0)                               \
    X(0x4f, I32_GE_U, "i32.ge_u", NONE, II_I, 0)                               \
    X(0x50, I64_EQZ, "i64.eqz", NONE, L_I, 0)                                  \
    X(0x51, I64_EQ, "i64.eq", NONE, LL_I, 0)                                   \
    X(0x52, I64_NE, "i64.ne", NONE, LL_I, 0)                                   \
    X(0x53, I64_LT_S, "i64.lt_s", NONE, LL_I, 0)                               \
    X(0x54, I64_LT_U, "i64.lt_u", NONE, LL_I, 0)                               \
    X(0x55, I64_GT_S, "i64.gt_s", NONE, LL_I, 0)                               \
    X(0x56, I64_GT_U, "i64.gt_u", NONE, LL_I, 0)                               \
    X(0x57, I64_LE_S, "i64.le_s", NONE, LL_I, 0)                               \
    X(0x58, I64_LE_U, "i64.le_u", NONE, LL_I, 0)                               \
    X(0x59, I64_GE_S, "i64.ge_s", NONE, LL_I, 0)                               \
    X(0x5a, I64_GE_U, "i64.ge_u", NONE, LL_I, 0)                               \
    X(0x5b, F32_EQ, "f32.eq", NONE, FF_I, 0)                                   \
    X(0x5c, F32_NE, "f32.ne", NONE, FF_I, 0)                                   \
    X(0x5d, F32_LT, "f32.lt", NONE, FF_I, 0)                                   \
    X(0x5e, F32_GT, "f32.gt", NONE, FF_I, 0)                                   \
    X(0x5f, F32_LE, "f32.le", NONE, FF_I, 0)                                   \
    X(0x60, F32_GE, "f32.ge", NONE, FF_I, 0)                                   \
    X(0x61, F64_EQ, "f64.eq", NONE, DD_I, 0)                                   \
    X(0x62, F64_NE, "f64.ne", NONE, DD_I, 0)                                   \
    X(0x63, F64_LT, "f64.lt", NONE, DD_I, 0)                                   \
    X(0x64, F64_GT, "f64.gt", NONE, DD_I, 0)                                   \
    X(0x65, F64_LE, "f64.le", NONE, DD_I, 0)                                   \
    X(0x66, F64_GE, "f64.ge", NONE, DD_I, 0)                                   \
    X(0x67, I32_CLZ, "i32.clz", NONE, I_I, 0)                                  \
    X(0x68, I32_CTZ, "i32.ctz", NONE, I_I, 0)                                  \
    X(0x69, I32_POPCNT, "i32.popcnt", NONE, I_I, 0)                            \
    X(0x6a, I32_ADD, "i32.add", NONE, II_I, 0)                                 \
    X(0x6b, I32_SUB, "i32.sub", NONE, II_I, 0)                                 \
    X(0x6c, I32_MUL, "i32.mul", NONE, II_I, 0)                                 \
    X(0x6d, I32_DIV_S, "i32.div_s", NONE, II_I, 0)                             \
    X(0x6e, I32_DIV_U, "i32.div_u", NONE, II_I, 0)                             \
    X(0x6f, I32_REM_S, "i32.rem_s", NONE, II_I, 0)                             \
    X(0x70, I32_REM_U, "i32.rem_u", NONE, II_I, 0)                             \
    X(0x71, I32_AND, "i32.and", NONE, II_I, 0)                                 \
    X(0x72, I32_OR, "i32.or", NONE, II_I, 0)                                   \
    X(0x73, I32_XOR, "i32.xor", NONE, II_I, 0)                                 \
    X(0x74, I32_SHL, "i32.shl", NONE, II_I, 0)                                 \
    X(0x75, I32_SHR_S, "i32.shr_s", NONE, II_I, 0)                             \
    X(0x76, I32_SHR_U, "i32.shr_u", NONE, II_I, 0)                             \
    X(0x77, I32_ROTL, "i32.rotl", NONE, II_I, 0)                               \
    X(0x78, I32_ROTR, "i32.rotr", NONE, II_I, 0)                               \
    X(0x79, I64_CLZ, "i64.clz", NONE, L_L, 0)                                  \
    X(0x7a, I64_CTZ, "i64.ctz", NONE, L_L, 0)                                  \
    X(0x7b, I64_POPCNT, "i64.popcnt", NONE, L_L, 0)                            \
    X(0x7c, I64_ADD, "i64.add", NONE, LL_L, 0)                                 \
    X(0x7d, I64_SUB, "i64.sub", NONE, LL_L, 0)                                 \
    X(0x7e, I64_MUL, "i64.mul", NONE, LL_L, 0)                                 \
    X(0x7f, I64_DIV_S, "i64.div_s", NONE, LL_L, 0)                             \
    X(0x80, I64_DIV_U, "i64.div_u", NONE, LL_L, 0)                             \
    X(0x81, I64_REM_S, "i64.rem_s", NONE, LL_L, 0)                             \
    X(0x82, I64_REM_U, "i64.rem_u", NONE, LL_L, 0)                             \
    X(0x83, I64_AND, "i64.and", NONE, LL_L, 0)                                 \
    X(0x84, I64_OR, "i64.or", NONE, LL_L, 0)                                   \
    X(0x85, I64_XOR, "i64.xor", NONE, LL_L, 0)                                 \
    X(0x86, I64_SHL, "i64.shl", NONE, LL_L, 0)                                 \
    X(0x87, I64_SHR_S, "i64.shr_s", NONE, LL_L, 0)                             \
    X(0x88, I64_SHR_U, "i64.shr_u", NONE, LL_L, 0)                             \
    X(0x89, I64_ROTL, "i64.rotl", NONE, LL_L, 0)                               \
    X(0x8a, I64_ROTR, "i64.rotr", NONE, LL_L, 0)                               \
    X(0x8b, F32_ABS, "f32.abs", NONE, F_F, 0)                                  \
    X(0x8c, F32_NEG, "f32.neg", NONE, F_F, 0)                                  \
    X(0x8d, F32_CEIL, "f32.ceil", NONE, F_F, 0)                                \
    X(0x8e, F32_FLOOR, "f32.floor", NONE, F_F, 0)                              \
    X(0x8f, F32_TRUNC, "f32.trunc", NONE, F_F, 0)                              \
    X(0x90, F32_NEAREST, "f32.nearest", NONE, F_F, 0)                          \
    X(0x91, F32_SQRT, "f32.sqrt", NONE, F_F, 0)                                \
    X(0x92, F32_ADD, "f32.add", NONE, FF_F, 0)                                 \
    X(0x93, F32_SUB, "f32.sub", NONE, FF_F, 0)                                 \
    X(0x94, F32_MUL, "f32.mul", NONE, FF_F, 0)                                 \
    X(0x95, F32_DIV, "f32.div", NONE, FF_F, 0)                                 \
    X(0x96, F32_MIN, "f32.min", NONE, FF_F, 0)                                 \
    X(0x97, F32_MAX, "f32.max", NONE, FF_F, 0)                                 \
    X(0x98, F32_COPYSIGN, "f32.copysign", NONE, FF_F, 0)                       \
    X(0x99, F64_ABS, "f64.abs", NONE, D_D, 0)                                  \
    X(0x9a, F64_NEG, "f64.neg", NONE, D_D, 0)                                  \
    X(0x9b, F64_CEIL, "f64.ceil", NONE, D_D, 0)                                \
    X(0x9c, F64_FLOOR, "f64.floor", NONE, D_D, 0)                              \
    X(0x9d, F64_TRUNC, "f64.trunc", NONE, D_D, 0)                              \
    X(0x9e, F64_NEAREST, "f64.nearest", NONE, D_D, 0)                          \
    X(0x9f, F64_SQRT, "f64.sqrt", NONE, D_D, 0)                                \
    X(0xa0, F64_ADD, "f64.add", NONE, DD_D, 0)                                 \
    X(0xa1, F64_SUB, "f64.sub", NONE, DD_D, 0)                                 \
    X(0xa2, F64_MUL, "f64.mul", NONE, DD_D, 0)                                 \
    X(0xa3, F64_DIV, "f64.div", NONE, DD_D, 0)                                 \
    X(0xa4, F64_MIN, "f64.min", NONE, DD_D, 0)                                 \
    X(0xa5, F64_MAX, "f64.max", NONE, DD_D, 0)                                 \
    X(0xa6, F64_COPYSIGN, "f64.copysign", NONE, DD_D, 0)                       \
    X(0xa7, I32_WRAP_I64, "i32.wrap_i64", NONE, L_I, 0)                        \
    X(0xa8, I32_TRUNC_F32_S, "i32.trunc_f32_s", NONE, F_I, 0)                  \
    X(0xa9, I32_TRUNC_F32_U, "i32.trunc_f32_u", NONE, F_I, 0)                  \
    X(0xaa, I32_TRUNC_F64_S, "i32.trunc_f64_s", NONE, D_I, 0)                  \
    X(0xab, I32_TRUNC_F64_U, "i32.trunc_f64_u", NONE, D_I, 0)                  \
    X(0xac, I64_EXTEND_I32_S, "i64.extend_i32_s", NONE, I_L, 0)                \
    X(0xad, I64_EXTEND_I32_U, "i64.extend_i32_u", NONE, I_L, 0)                \
    X(0xae, I64_TRUNC_F32_S, "i64.trunc_f32_s", NONE, F_L, 0)                  \
    X(0xaf, I64_TRUNC_F32_U, "i64.trunc_f32_u", NONE, F_L, 0)                  \
    X(0xb0, I64_TRUNC_F64_S, "i64.trunc_f64_s", NONE, D_L, 0)                  \
    X(0xb1, I64_TRUNC_F64_U, "i64.trunc_f64_u", NONE, D_L, 0)                  \
    X(0xb2, F32_CONVERT_I32_S, "f32.convert_i32_s", NONE, I_F, 0)              \
    X(0xb3, F32_CONVERT_I32_U, "f32.convert_i32_u", NONE, I_F, 0)              \
    X(0xb4, F32_CONVERT_I64_S, "f32.convert_i64_s", NONE, L_F, 0)              \
    X(0xb5, F32_CONVERT_I64_U, "f32.convert_i64_u", NONE, L_F, 0)              \
    X(0xb6, F32_DEMOTE_F64, "f32.demote_f64", NONE, D_F, 0)                    \
    X(0xb7, F64_CONVERT_I32_S, "f64.convert_i32_s", NONE, I_D, 0)              \
    X(0xb8, F64_CONVERT_I32_U, "f64.convert_i32_u", NONE, I_D, 0)              \
    X(0xb9, F64_CONVERT_I64_S, "f64.convert_i64_s", NONE, L_D, 0)              \
    X(0xba, F64_CONVERT_I64_U, "f64.convert_i64_u", NONE, L_D, 0)              \
    X(0xbb, F64_PROMOTE_F32, "f64.promote_f32", NONE, F_D, 0)                  \
    X(0xbc, I32_REINTERPRET_F32, "i32.reinterpret_f32", NONE, F_I, 0)          \
    X(0xbd, I64_REINTERPRET_F64, "i64.reinterpret_f64", NONE, D_L, 0)          \
    X(0xbe, F32_REINTERPRET_I32, "f32.reinterpret_i32", NONE, I_F, 0)          \
    X(0xbf, F64_REINTERPRET_I64, "f64.reinterpret_i64", NONE, L_D, 0)          \
    X(0xc0, I32_EXTEND8_S, "i32.extend8_s", NONE, I_I, 0)                      \
    X(0xc1, I32_EXTEND16_S, "i32.extend16_s", NONE, I_I, 0)                    \
    X(0xc2, I64_EXTEND8_S, "i64.extend8_s", NONE, L_L, 0)                      \
    X(0xc3, I64_EXTEND16_S, "i64.extend16_s", NONE, L_L, 0)                    \
    X(0xc4, I64_EXTEND32_S, "i64.extend32_s", NONE, L_L, 0)                    \
    X(0xd0, REF_NULL, "ref.null", REFTYPE, SPECIAL, 0)                         \
    X(0xd1, REF_IS_NULL, "ref.is_null", NONE, SPECIAL, 0)                      \
    X(0xd2, REF_FUNC, "ref.func", FUNC, SPECIAL, 0)

/* X(sub-opcode, ID, "name", immediate kind, stack effect, 0); op = 0xFC00 | sub. */
#define WB_OPCODES_FC(X)                                                       \
    X(0x00, I32_TRUNC_SAT_F32_S, "i32.trunc_sat_f32_s", NONE, F_I, 0)          \
    X(0x01, I32_TRUNC_SAT_F32_U, "i32.trunc_sat_f32_u", NONE, F_I, 0)          \
    X(0x02, I32_TRUNC_SAT_F64_S, "i32.trunc_sat_f64_s", NONE, D_I, 0)          \
    X(0x03, I32_TRUNC_SAT_F64_U, "i32.trunc_sat_f64_u", NONE, D_I, 0)          \
    X(0x04, I64_TRUNC_SAT_F32_S, "i64.trunc_sat_f32_s", NONE, F_L, 0)          \
    X(0x05, I64_TRUNC_SAT_F32_U, "i64.trunc_sat_f32_u", NONE, F_L, 0)          \
    X(0x06, I64_TRUNC_SAT_F64_S, "i64.trunc_sat_f64_s", NONE, D_L, 0)          \
    X(0x07, I64_TRUNC_SAT_F64_U, "i64.trunc_sat_f64_u", NONE, D_L, 0)          \
    X(0x08, MEMORY_INIT, "memory.init", MEMORY_INIT, SPECIAL, 0)               \
    X(0x09, DATA_DROP, "data.drop", DATA, SPECIAL, 0)                          \
    X(0x0a, MEMORY_COPY, "memory.copy", MEMORY_COPY, SPECIAL, 0)               \
    X(0x0b, MEMORY_FILL, "memory.fill", MEM, SPECIAL, 0)                       \
    X(0x0c, TABLE_INIT, "table.init", TABLE_INIT, SPECIAL, 0)                  \
    X(0x0d, ELEM_DROP, "elem.drop", ELEM, SPECIAL, 0)                          \
    X(0x0e, TABLE_COPY, "table.copy", TABLE_COPY, SPECIAL, 0)                  \
    X(0x0f, TABLE_GROW, "table.grow", TABLE, SPECIAL, 0)                       \
    X(0x10, TABLE_SIZE, "table.size", TABLE, SPECIAL, 0)                       \
    X(0x11, TABLE_FILL, "table.fill", TABLE, SPECIAL, 0)
/* clang-format on */

#define WB_OP_PREFIX_FC 0xfc
#define WB_OP_PREFIX_SIMD 0xfd
#define WB_OP_FC_COUNT 0x12 /* sub-opcodes 0x00..0x11 */

/* WB_OP_I32_ADD = 0x6a, WB_OP_MEMORY_INIT = 0xfc08, … */
#define WB_OP_ENUM_(code, id, name, imm, sig, align) WB_OP_##id = (code),
#define WB_OP_ENUM_FC_(code, id, name, imm, sig, align) WB_OP_##id = 0xfc00 | (code),
/* clang-format off */
enum wb_op {
    WB_OPCODES(WB_OP_ENUM_)
    WB_OPCODES_FC(WB_OP_ENUM_FC_)
};
/* clang-format on */
#undef WB_OP_ENUM_
#undef WB_OP_ENUM_FC_

/* One row of the table. For simple instructions (special == false) the stack
 * effect is: pop in2 (if nonzero), pop in1 (if nonzero), push out (if nonzero),
 * all wb_valtype bytes. `align` is the natural alignment (log2) of memory
 * accesses. Unused opcodes have name == NULL. */
typedef struct wb_opinfo {
    const char *name;
    uint8_t imm; /* wb_immkind */
    bool special;
    uint8_t in1, in2, out;
    uint8_t align;
} wb_opinfo;

extern const wb_opinfo wb_opinfo_main[256];
extern const wb_opinfo wb_opinfo_fc[WB_OP_FC_COUNT];

/* Row of a 16-bit op (as in wb_instr.op); NULL if there is no such instruction. */
static inline const wb_opinfo *wb_opinfo_of(uint16_t op)
{
    const wb_opinfo *info;
    if (op < 0x100)
        info = &wb_opinfo_main[op];
    else if ((op >> 8) == WB_OP_PREFIX_FC && (op & 0xff) < WB_OP_FC_COUNT)
        info = &wb_opinfo_fc[op & 0xff];
    else
        return NULL;
    return info->name ? info : NULL;
}

/* Block type of block/loop/if, as the binary gives it. */
typedef enum wb_blockkind {
    WB_BLOCK_EMPTY,   /* [] -> [] */
    WB_BLOCK_VALTYPE, /* [] -> [valtype] */
    WB_BLOCK_TYPEIDX, /* a function type: its params -> its results */
} wb_blockkind;

/* One decoded instruction (see wb_immkind for which fields hold what). */
typedef struct wb_instr {
    uint16_t op;
    uint8_t block_kind;    /* WB_IMM_BLOCK: wb_blockkind */
    uint8_t block_valtype; /* WB_BLOCK_VALTYPE */
    uint32_t a, b;         /* indices, label depths, memarg align/offset, counts */
    int64_t i64;           /* i32 (sign-extended) / i64 constants; block type index */
    uint64_t bits;         /* f32 / f64 constants, as bit patterns */
    const uint8_t *vec;    /* br_table: first label LEB; select t: the types */
} wb_instr;

/* Value-type byte helpers. */
static inline bool wb_is_numtype(uint8_t t)
{
    return t == WB_I32 || t == WB_I64 || t == WB_F32 || t == WB_F64;
}
static inline bool wb_is_reftype(uint8_t t)
{
    return t == WB_FUNCREF || t == WB_EXTERNREF;
}
static inline bool wb_is_valtype(uint8_t t)
{
    return wb_is_numtype(t) || wb_is_reftype(t);
}

/* Reads one instruction at *pp (never at or past `end`) with its immediates.
 * Returns NULL and advances *pp past it, or returns the spec's wording of what is
 * malformed ("illegal opcode", "zero byte expected", "integer too large",
 * "unexpected end of section or function", "SIMD not supported yet", …) with
 * *pp at the offending byte. Only the encoding is checked here: indices,
 * alignment and types are the validator's business. */
const char *wb_read_instr(const uint8_t **pp, const uint8_t *end, wb_instr *ins);

/* Reads the label depths of a br_table read by wb_read_instr (already checked):
 *   const uint8_t *q = ins.vec;
 *   for (uint32_t i = 0; i < ins.a; i++) { uint32_t depth = wb_leb_u32_unchecked(&q); … }
 * and ins.b is the default depth. */

/* Skips a whole expression: instructions up to and including the `end` that
 * closes it, checking the nesting of block/loop/if/else/end like the spec's
 * decoder ("END opcode expected" for a misplaced else). On success *pp is just
 * past that `end`. `data_ops_ok` is false when memory.init/data.drop must be
 * rejected ("data count section required"). Returns NULL or the wording, with
 * *pp at the offending byte. */
const char *wb_skip_expr(const uint8_t **pp, const uint8_t *end, bool data_ops_ok);

/* Name of an op for messages and disassembly ("i32.add"); "?" if none. */
const char *wb_op_name(uint16_t op);

#endif
