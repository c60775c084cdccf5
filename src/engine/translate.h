/*
 * translate.h — the interpreter's compact code, and the translator that makes it.
 *
 * Each function body is translated once, on its first call, from wasm bytes into
 * a wb_code: an array of 64-bit words in which every instruction is a handler
 * address (a computed-goto label of interp.c) followed by its operands — frame
 * slot offsets, immediates, and branch targets already resolved to code
 * pointers. Every value lives in an 8-byte frame slot: a frame is the params,
 * then the declared locals, then a 3-slot call record (the caller's ip, frame
 * and function, written by the call), then the operand stack, whose height is
 * known at every instruction, so each operand is a fixed slot. A callee's frame
 * begins at the arguments on top of its caller's operand stack, so the record
 * sits below anything a callee can overwrite.
 *
 * The translated code is per module (shared by all instances of it and by all
 * threads); wb_func_body.compiled points to it once made. A later compiled tier
 * may fill `native` and the interpreter will call that instead.
 */
#ifndef WASMBOX_ENGINE_TRANSLATE_H
#define WASMBOX_ENGINE_TRANSLATE_H

#include "runtime.h"

typedef uint64_t wb_word;

/* Slots of the call record between a frame's locals and its operand stack. */
#define WB_FRAME_RECORD 3

/* Native replacement of a function (compiled tier): same contract as wb_interp_call. */
typedef wb_trap *(*wb_native_fn)(wb_store *s, const wb_func *f, wb_val *slots);

struct wb_code {
    wb_word *words;          /* the code; entry point is words[0] */
    size_t nwords;
    uint32_t nparams;        /* frame slots [0, nparams) hold the arguments */
    uint32_t nresults;       /* results are written to slots [0, nresults) */
    uint32_t nlocals;        /* declared locals, zeroed at entry: [nparams, nparams+nlocals) */
    uint32_t record;         /* = nparams + nlocals: where the call record goes */
    uint32_t frame_slots;    /* slots the frame needs: locals, record, operand stack */
    _Atomic(wb_native_fn) native; /* NULL until a compiled tier supplies one */
};

/* Returns the code of defined function `func_index` of m, translating it on first
 * use (thread-safe: double-checked under m->translate_lock). NULL on failure
 * (out of memory) with *err filled. */
struct wb_code *wb_translate(const wb_module *m, uint32_t func_index, wb_error *err);

/* Frees a translated body (module.c calls it for each body at wb_module_free). */
void wb_code_free(struct wb_code *code);

#endif
