/*
 * engine.h — the public surface of wasmbox's WebAssembly engine.
 *
 * The engine knows nothing of images, containers or WASI. It turns bytes into a
 * validated module, instantiates it inside a store with imports supplied by the
 * embedder (host functions all share one C signature), and calls its exports.
 *
 * Ownership model (the one idea to hold on to): a wb_store owns every instance,
 * memory, table, global and function created in it, and frees them all in
 * wb_store_free(). A store and everything in it belong to one thread at a time;
 * several threads may each run their own store. A wb_module is immutable after
 * wb_module_new() (functions are translated lazily into the module under a lock),
 * may be shared by stores on several threads, and must outlive every instance
 * made from it.
 *
 * Signals: the engine installs one SIGSEGV/SIGBUS handler (on first use) that
 * turns a fault inside a guest memory's reservation into a trap and chains to the
 * previous handler for every other fault. An embedder that installs its own
 * handler afterwards must chain to the engine's the same way.
 *
 * Values cross the API as 64-bit slots (wb_val): i32 in the low 32 bits, i64 as
 * is, f32/f64 as their IEEE bit patterns, references as opaque 64-bit handles
 * (0 is null; a funcref is a wb_func pointer; an externref is whatever nonzero
 * value the host chose).
 */
#ifndef WASMBOX_ENGINE_H
#define WASMBOX_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasmbox/error.h"

/* Value types, with their binary encodings. */
typedef enum wb_valtype {
    WB_I32 = 0x7f,
    WB_I64 = 0x7e,
    WB_F32 = 0x7d,
    WB_F64 = 0x7c,
    WB_V128 = 0x7b,
    WB_FUNCREF = 0x70,
    WB_EXTERNREF = 0x6f,
} wb_valtype;

typedef uint64_t wb_val;

typedef enum wb_externkind {
    WB_EXTERN_FUNC = 0,
    WB_EXTERN_TABLE = 1,
    WB_EXTERN_MEMORY = 2,
    WB_EXTERN_GLOBAL = 3,
} wb_externkind;

/* Why execution stopped. WB_TRAP_EXIT is not a fault: a host function (WASI's
 * proc_exit) asked the program to end with trap->exit_code. */
typedef enum wb_trap_kind {
    WB_TRAP_UNREACHABLE = 1,
    WB_TRAP_MEMORY_OOB,         /* "out of bounds memory access" */
    WB_TRAP_TABLE_OOB,          /* "out of bounds table access" */
    WB_TRAP_UNDEFINED_ELEMENT,  /* call_indirect index outside the table */
    WB_TRAP_UNINITIALIZED_ELEMENT, /* call_indirect of a null entry */
    WB_TRAP_INDIRECT_MISMATCH,  /* "indirect call type mismatch" */
    WB_TRAP_DIV_BY_ZERO,        /* "integer divide by zero" */
    WB_TRAP_INT_OVERFLOW,       /* "integer overflow" */
    WB_TRAP_INVALID_CONVERSION, /* "invalid conversion to integer" */
    WB_TRAP_NULL_REFERENCE,     /* "null reference" */
    WB_TRAP_STACK_EXHAUSTED,    /* "call stack exhausted" */
    WB_TRAP_INTERRUPTED,        /* wb_store_interrupt() or fuel ran out */
    WB_TRAP_HOST,               /* a host function failed; see message */
    WB_TRAP_EXIT,               /* proc_exit(exit_code) */
} wb_trap_kind;

typedef struct wb_trap {
    wb_trap_kind kind;
    int exit_code;          /* WB_TRAP_EXIT only */
    uint32_t func_index;    /* function executing when it happened, UINT32_MAX if unknown */
    char func_name[128];    /* from the name section, or "wasm-function[N]"; empty if unknown */
    char message[256];      /* the spec's wording, e.g. "integer divide by zero" */
} wb_trap;

typedef struct wb_module wb_module;
typedef struct wb_store wb_store;
typedef struct wb_instance wb_instance;
typedef struct wb_func wb_func;
typedef struct wb_memory wb_memory;
typedef struct wb_table wb_table;
typedef struct wb_global wb_global;
typedef struct wb_caller wb_caller;

/* A function type: params then results, as wb_valtype bytes. */
typedef struct wb_functype {
    uint32_t nparams, nresults;
    const uint8_t *params;
    const uint8_t *results;
} wb_functype;

/* ---- modules ---------------------------------------------------------------- */

/* Decodes and validates `len` bytes (copied; the caller keeps its buffer).
 * On failure err says what and at which byte offset, e.g.
 * "malformed module: unexpected end at offset 0x2a" or
 * "invalid module: type mismatch in function 3 at offset 0x51". The message
 * begins with "malformed" for decoding errors and "invalid" for validation errors
 * so callers can tell the two apart. */
int wb_module_new(const uint8_t *bytes, size_t len, wb_module **out, wb_error *err);
void wb_module_free(wb_module *m);

/* Introspection of imports and exports (for linkers such as WASI and the spectest harness). */
uint32_t wb_module_import_count(const wb_module *m);
/* Fills module/field names (not NUL-terminated copies: pointers into the module, with
 * lengths, since names may hold NUL) and kind. For functions *type is set. */
typedef struct wb_import_desc {
    const char *module;
    size_t module_len;
    const char *name;
    size_t name_len;
    wb_externkind kind;
    wb_functype type; /* WB_EXTERN_FUNC only */
} wb_import_desc;
void wb_module_import(const wb_module *m, uint32_t index, wb_import_desc *out);
/* Name of function `func_index` (name section, else NULL). */
const char *wb_module_func_name(const wb_module *m, uint32_t func_index);

/* ---- stores ----------------------------------------------------------------- */

typedef struct wb_limits_config {
    uint32_t max_call_depth;   /* 0 = default (10,000 frames) */
    uint64_t max_memory_bytes; /* cap on every linear memory's growth; 0 = none beyond 4 GiB */
} wb_limits_config;

int wb_store_new(const wb_limits_config *limits, wb_store **out, wb_error *err);
/* Frees every instance and object created in the store. */
void wb_store_free(wb_store *s);
/* Asks running code to stop with WB_TRAP_INTERRUPTED at its next loop back-edge or
 * call. Safe to call from any thread or a signal handler. Sticky until cleared. */
void wb_store_interrupt(wb_store *s);
void wb_store_clear_interrupt(wb_store *s);
/* True once wb_store_interrupt() was called (until cleared). Host functions that
 * block (WASI's read, accept, poll) use it to give up on EINTR instead of retrying,
 * so that a stop request reaches a program waiting in the host. */
bool wb_store_interrupted(const wb_store *s);
/* Bounds execution: after `fuel` loop back-edges + calls, WB_TRAP_INTERRUPTED.
 * 0 = unlimited (the default). Used by fuzzers. */
void wb_store_set_fuel(wb_store *s, uint64_t fuel);

/* ---- host functions and objects made by the embedder ---------------------------- */

/* The one uniform host-call signature. On entry slots[0..nparams) hold the
 * arguments; the function writes its results to slots[0..nresults) (the array
 * is max(nparams, nresults) long). Returns NULL to continue, or a trap made by
 * wb_trap_new()/wb_trap_exit() (ownership passes to the engine). */
typedef wb_trap *(*wb_host_fn)(wb_caller *caller, void *env, wb_val *slots);

int wb_func_new_host(wb_store *s, const wb_functype *type, wb_host_fn fn, void *env,
                     wb_func **out, wb_error *err);
int wb_memory_new(wb_store *s, uint32_t min_pages, uint32_t max_pages, bool has_max,
                  wb_memory **out, wb_error *err);
int wb_table_new(wb_store *s, wb_valtype elem, uint32_t min, uint32_t max, bool has_max,
                 wb_table **out, wb_error *err);
int wb_global_new(wb_store *s, wb_valtype type, bool mutable_, wb_val value,
                  wb_global **out, wb_error *err);

wb_trap *wb_trap_new(wb_trap_kind kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
wb_trap *wb_trap_exit(int exit_code);
void wb_trap_free(wb_trap *t);

/* Inside a host function: the calling instance's memory 0 (NULL if none). */
wb_memory *wb_caller_memory(wb_caller *c);
wb_instance *wb_caller_instance(wb_caller *c);

/* ---- instances ------------------------------------------------------------------ */

/* One resolved import, in the module's import order. */
typedef struct wb_extern {
    wb_externkind kind;
    union {
        wb_func *func;
        wb_table *table;
        wb_memory *memory;
        wb_global *global;
    } of;
} wb_extern;

/* Instantiates `m` with `imports` (exactly wb_module_import_count() of them, in order).
 * Link errors return < 0 with "unknown import ..." / "incompatible import type ..."
 * in err and *trap == NULL. If an element/data segment is out of bounds or the start
 * function traps, returns < 0 with *trap set (the caller frees it); effects already
 * made on imported memories and tables stay, as the spec says. On success *out is an
 * instance owned by the store. */
int wb_instance_new(wb_store *s, const wb_module *m, const wb_extern *imports, size_t nimports,
                    wb_instance **out, wb_trap **trap, wb_error *err);

/* Looks up an export by byte-string name. Returns false if absent. */
bool wb_instance_export(wb_instance *inst, const char *name, size_t name_len, wb_extern *out);
/* Memory 0 of the instance (imported or defined), or NULL. */
wb_memory *wb_instance_memory(wb_instance *inst);

/* ---- calling ------------------------------------------------------------------- */

const wb_functype *wb_func_type(const wb_func *f);
/* Calls f with args[0..nparams), writes results[0..nresults). Returns NULL on
 * success, or a trap the caller frees with wb_trap_free(). The store stays usable
 * after a trap. */
wb_trap *wb_func_call(wb_store *s, wb_func *f, const wb_val *args, wb_val *results);

/* ---- memories, tables, globals ------------------------------------------------- */

uint8_t *wb_memory_data(wb_memory *mem);
uint64_t wb_memory_size(const wb_memory *mem); /* in bytes */
uint32_t wb_memory_pages(const wb_memory *mem);
/* Grows by `delta` pages; returns the old page count, or -1 if it cannot. */
int64_t wb_memory_grow(wb_memory *mem, uint32_t delta);
/* Bounds-checked guest access: returns a host pointer to [offset, offset+len) or
 * NULL when any byte lies outside the memory. */
void *wb_memory_ptr(wb_memory *mem, uint64_t offset, uint64_t len);

uint32_t wb_table_size(const wb_table *t);
wb_val wb_global_get(const wb_global *g);
wb_valtype wb_global_type(const wb_global *g);
bool wb_global_mutable(const wb_global *g);
void wb_global_set(wb_global *g, wb_val v);

/* A trap kind's spec wording ("integer divide by zero"). */
const char *wb_trap_kind_text(wb_trap_kind kind);

#endif
