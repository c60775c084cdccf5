/*
 * module.h — the decoded form of a WebAssembly module (engine-internal).
 *
 * decode.c fills a wb_module from bytes; validate.c checks it (including every
 * function body) before wb_module_new() returns it; translate.c turns a body into
 * the interpreter's compact code on its first call; instance.c instantiates it.
 * After wb_module_new() returns, everything here is read-only except the lazily
 * filled `code` pointer of each body (see translate.h).
 *
 * Index spaces follow the spec: imported functions/tables/memories/globals come
 * first, then the module's own. All arrays below that are indexed by an index
 * space cover the whole space (imports included).
 *
 * Function bodies and constant expressions are kept as byte ranges into
 * `bytes` (the module's own copy of the binary), with their file offsets, so that
 * the validator and the translator can re-read them and errors can name offsets.
 */
#ifndef WASMBOX_ENGINE_MODULE_H
#define WASMBOX_ENGINE_MODULE_H

#include <pthread.h>
#include <stdatomic.h>

#include "wasmbox/engine.h"

#define WB_PAGE_SIZE 65536u
#define WB_MAX_PAGES 65536u /* 4 GiB */

typedef struct wb_limits {
    uint32_t min, max;
    bool has_max;
} wb_limits;

typedef struct wb_tabletype {
    uint8_t elem; /* WB_FUNCREF or WB_EXTERNREF */
    wb_limits limits;
} wb_tabletype;

typedef struct wb_globaltype {
    uint8_t type;
    bool mutable_;
} wb_globaltype;

/* A constant expression: bytes [start, end) excluding the final `end` opcode,
 * already validated. Evaluated by instance.c. */
typedef struct wb_constexpr {
    const uint8_t *start, *end;
    size_t offset; /* file offset of start */
} wb_constexpr;

typedef struct wb_import {
    char *module;
    uint32_t module_len;
    char *name;
    uint32_t name_len;
    wb_externkind kind;
    union {
        uint32_t func_type;  /* type index */
        wb_tabletype table;
        wb_limits memory;
        wb_globaltype global;
    } desc;
} wb_import;

typedef struct wb_export {
    char *name;
    uint32_t name_len;
    wb_externkind kind;
    uint32_t index;
} wb_export;

typedef struct wb_global_decl {
    wb_globaltype type;
    wb_constexpr init;
} wb_global_decl;

typedef enum wb_segmode {
    WB_SEG_ACTIVE,
    WB_SEG_PASSIVE,
    WB_SEG_DECLARATIVE,
} wb_segmode;

typedef struct wb_elem_segment {
    wb_segmode mode;
    uint8_t elem_type;      /* WB_FUNCREF or WB_EXTERNREF */
    uint32_t table;         /* active only */
    wb_constexpr offset;    /* active only */
    uint32_t count;
    /* Exactly one of the two is used: the function-index form of the binary
     * (flags 0..3) gives func_indices; the expression form (flags 4..7) gives
     * exprs (each ref.func N / ref.null t / global.get G). */
    uint32_t *func_indices;
    wb_constexpr *exprs;
} wb_elem_segment;

typedef struct wb_data_segment {
    wb_segmode mode;        /* ACTIVE or PASSIVE */
    uint32_t memory;
    wb_constexpr offset;    /* active only */
    const uint8_t *bytes;
    uint32_t len;
} wb_data_segment;

struct wb_code; /* translate.h: the compact code of one function */

/* A function defined by the module (not imported). */
typedef struct wb_func_body {
    uint32_t type;             /* type index */
    uint32_t nlocals;          /* declared locals, excluding params */
    uint8_t *local_types;      /* nlocals value types */
    const uint8_t *code;       /* first instruction after the locals declaration */
    const uint8_t *code_end;   /* one past the final `end` opcode */
    size_t code_offset;        /* file offset of `code` */
    /* Filled on first call by translate.c; NULL until then. */
    _Atomic(struct wb_code *) compiled;
} wb_func_body;

struct wb_module {
    uint8_t *bytes;            /* owned copy of the binary */
    size_t len;

    wb_functype *types;        /* params/results point into type_storage */
    uint32_t ntypes;
    uint8_t *type_storage;

    wb_import *imports;
    uint32_t nimports;

    /* function index space */
    uint32_t nfuncs, nfunc_imports;
    uint32_t *func_types;      /* [nfuncs] type index of every function */
    wb_func_body *bodies;      /* [nfuncs - nfunc_imports] */

    uint32_t ntables, ntable_imports;
    wb_tabletype *tables;      /* [ntables] */

    uint32_t nmemories, nmemory_imports;
    wb_limits *memories;       /* [nmemories] */

    uint32_t nglobals, nglobal_imports;
    wb_globaltype *global_types; /* [nglobals] */
    wb_global_decl *globals;   /* [nglobals - nglobal_imports] */

    wb_export *exports;
    uint32_t nexports;

    bool has_start;
    uint32_t start;

    wb_elem_segment *elems;
    uint32_t nelems;

    wb_data_segment *datas;
    uint32_t ndatas;
    bool has_datacount;
    uint32_t datacount;

    /* Functions referenced outside function bodies (exports, elem segments,
     * global initialisers): the only ones `ref.func` may name in code. */
    uint8_t *func_declared;    /* [nfuncs] booleans */

    char **func_names;         /* [nfuncs] from the name section, entries may be NULL */

    pthread_mutex_t translate_lock; /* serialises lazy translation */
};

/* decode.c: fills *m from bytes (m->bytes/len already set). Does not validate
 * function bodies. Errors start with "malformed module: " or
 * "invalid module: " (for the index/limit checks the spec classes as validation). */
int wb_decode(wb_module *m, wb_error *err);
/* validate.c: validates every function body and constant expression.
 * Errors start with "invalid module: ". */
int wb_validate(wb_module *m, wb_error *err);
/* module.c: frees everything decode allocated (not m itself). */
void wb_module_release(wb_module *m);

/* Little helpers shared by decode, validate and translate. */
static inline const wb_functype *wb_module_func_type(const wb_module *m, uint32_t func_index)
{
    return &m->types[m->func_types[func_index]];
}

#endif
