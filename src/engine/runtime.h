/*
 * runtime.h — the run-time objects of the engine (engine-internal).
 *
 * This layout is the contract between instance.c (which builds it), the
 * interpreter (which runs over it) and the compiled tier that will follow (which
 * will load from the same fields). Keep it plain C data: no hidden state the
 * compiled tier could not reach.
 *
 * Everything here is owned by a wb_store (store.c) and freed with it.
 *
 * Linear memory: a memory reserves WB_MEMORY_RESERVE bytes of address space up
 * front, of which the first `size` bytes are readable and writable and the rest
 * PROT_NONE. Any effective address a load or store can form (a 32-bit index plus a
 * 32-bit offset plus the access width) lies inside the reservation, so loads and
 * stores need no bounds check: an out-of-bounds access faults, trap.c's signal
 * handler recognises the address as a guest memory's and unwinds to the nearest
 * wb_func_call() with WB_TRAP_MEMORY_OOB. `base` never moves, so it may be cached.
 */
#ifndef WASMBOX_ENGINE_RUNTIME_H
#define WASMBOX_ENGINE_RUNTIME_H

#include <setjmp.h>

#include "module.h"

/* 4 GiB addressable + 4 GiB for the largest offset + a page for the access width. */
#define WB_MEMORY_RESERVE ((uint64_t)8 << 30)
#define WB_DEFAULT_MAX_CALL_DEPTH 10000u
/* Value-stack slots per store (8 bytes each); reserved lazily with mmap. */
#define WB_VALUE_STACK_SLOTS ((size_t)16 << 20)

struct wb_memory {
    uint8_t *base;           /* start of the reservation; never moves */
    uint64_t size;           /* accessible bytes = pages * WB_PAGE_SIZE */
    uint32_t pages;
    uint32_t max_pages;      /* growth limit: declared max, store cap and 65536 applied */
    bool has_max;            /* declared max (for import matching) */
    uint32_t declared_max;   /* declared max (for import matching) */
    struct wb_memory *next_in_store;
};

struct wb_table {
    wb_val *elems;           /* [size]; 0 is null */
    uint32_t size;
    uint32_t max;            /* declared max, or UINT32_MAX without one */
    bool has_max;
    uint8_t elem_type;       /* WB_FUNCREF or WB_EXTERNREF */
    struct wb_table *next_in_store; /* store.c's list (elems is a second block to free) */
};

struct wb_global {
    wb_val value;
    uint8_t type;
    bool mutable_;
};

struct wb_func {
    const wb_functype *type;
    uint32_t sig;            /* canonical signature id in the store: equal ids <=> equal types */
    wb_instance *inst;       /* defining instance; NULL for host functions */
    uint32_t index;          /* function index within inst->module */
    const wb_func_body *body;/* NULL for host functions */
    wb_host_fn host;
    void *env;
};

typedef struct wb_elem_inst {
    wb_val *values;          /* resolved references */
    uint32_t count;          /* 0 once dropped */
} wb_elem_inst;

typedef struct wb_data_inst {
    const uint8_t *bytes;
    uint32_t len;            /* 0 once dropped */
} wb_data_inst;

struct wb_instance {
    wb_store *store;
    const wb_module *module;
    wb_func **funcs;         /* [module->nfuncs] */
    wb_table **tables;       /* [module->ntables] */
    wb_memory **memories;    /* [module->nmemories] */
    wb_global **globals;     /* [module->nglobals] */
    uint32_t *sigs;          /* [module->ntypes] canonical signature of each type index */
    wb_elem_inst *elems;     /* [module->nelems] */
    wb_data_inst *datas;     /* [module->ndatas] */
    struct wb_instance *next_in_store;
};

/* Passed to host functions. */
struct wb_caller {
    wb_store *store;
    wb_instance *inst;
};

/* Per-store execution state; the interpreter owns its use. */
typedef struct wb_exec {
    wb_val *stack;           /* value stack (frames' locals and operands) */
    wb_val *stack_end;
    wb_val *sp;              /* first free slot: where the next outermost call starts */
    uint32_t depth;          /* current call depth */
    uint32_t max_depth;
    const wb_func *current;  /* innermost executing wasm function, for trap naming */
    sigjmp_buf *landing;     /* where trap.c unwinds a signal trap to */
} wb_exec;

struct wb_store {
    wb_limits_config limits;
    atomic_int interrupt;    /* set by wb_store_interrupt(), polled at back-edges and calls */
    uint64_t fuel;           /* 0 = unlimited; otherwise remaining back-edges + calls */
    wb_exec exec;

    /* canonical signatures (store.c) */
    wb_functype *sig_types;
    uint32_t nsigs, sig_cap;
    uint32_t *sig_buckets;   /* open-addressing hash of sig ids + 1 (0 = empty) */
    uint32_t sig_nbuckets;   /* a power of two, or 0 before the first intern */

    /* owned objects, freed by wb_store_free() */
    wb_instance *instances;
    wb_memory *memories;
    wb_table *tables;
    void **allocs;           /* funcs, tables, globals, copied types: freed in bulk */
    size_t nallocs, alloc_cap;
};

/* store.c: canonical signature id of a function type (interned per store). */
int wb_store_intern_sig(wb_store *s, const wb_functype *t, uint32_t *out, wb_error *err);
/* store.c: remember a heap block to free with the store. Returns p, or NULL (and frees p) on OOM. */
void *wb_store_own(wb_store *s, void *p);

/* trap.c: the trap naming the function that was executing. */
wb_trap *wb_trap_at(wb_trap_kind kind, const wb_func *where);
/* trap.c: installs the SIGSEGV/SIGBUS handler once per process. */
int wb_trap_install_handler(wb_error *err);
/* trap.c: memories are registered so the handler can tell a guest fault from a host bug. */
void wb_trap_register_memory(wb_memory *m);
void wb_trap_unregister_memory(wb_memory *m);

/* interp.c: runs wasm function f with slots as in wb_host_fn (args in, results out).
 * Called by wb_func_call() with exec->landing already set. Returns NULL or a trap. */
wb_trap *wb_interp_call(wb_store *s, const wb_func *f, wb_val *slots);

/* instance.c helpers the interpreter uses for bulk and table operations. Each returns
 * NULL or a trap. */
wb_trap *wb_memory_init(wb_instance *inst, uint32_t mem, uint32_t seg, uint32_t dst,
                        uint32_t src, uint32_t n);
wb_trap *wb_table_init(wb_instance *inst, uint32_t table, uint32_t seg, uint32_t dst,
                       uint32_t src, uint32_t n);
wb_trap *wb_table_copy(wb_table *dst_t, wb_table *src_t, uint32_t dst, uint32_t src, uint32_t n);
/* Returns old size or -1. */
int64_t wb_table_grow(wb_table *t, wb_val init, uint32_t delta);
wb_trap *wb_table_fill(wb_table *t, uint32_t dst, wb_val v, uint32_t n);

#endif
