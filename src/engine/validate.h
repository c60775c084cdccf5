/*
 * validate.h — what validate.c (module level) and validate_code.c (function
 * bodies) share. Engine-internal; the contract a validated module gives is
 * written at the top of validate.c.
 */
#ifndef WASMBOX_ENGINE_VALIDATE_H
#define WASMBOX_ENGINE_VALIDATE_H

#include "module.h"

/* Implementation limits (the spec allows them; real engines have similar ones).
 * They bound the validator's time and memory on hostile input. */
#define WB_MAX_FUNC_PARAMS 1000u        /* params, and results, of a function type */
#define WB_MAX_OPERAND_STACK (1u << 20) /* operand stack height within a function */

/* Validates the bodies of defined functions (m->func_declared must be filled).
 * On failure returns -1 with err set and *failed = the index of the body (in
 * m->bodies) that failed. */
int wb_validate_code(const wb_module *m, uint32_t *failed, wb_error *err);

/* Checks only the encoding of bodies [from, ndefs): opcodes, immediates, the
 * nesting of blocks, the final `end`. Returns 0, or -1 with a
 * "malformed module: ..." error. Used when validation failed, because decoding
 * errors take precedence over validation errors wherever they are. */
int wb_check_code_encoding(const wb_module *m, uint32_t from, wb_error *err);

#endif
