/*
 * memory.c — linear memories, globals and host functions: the objects an embedder
 * can make on its own (tables are in table.c).
 *
 * A linear memory is one fixed mapping that never moves: WB_MEMORY_MAP_SIZE bytes
 * reserved PROT_NONE with MAP_NORESERVE (address space only, no commit charge), of
 * which the first `size` bytes are made readable and writable. Growing is an
 * mprotect of the next pages; an access beyond `size` faults and trap.c turns the
 * fault into "out of bounds memory access". So the reservation is registered with
 * trap.c for as long as it exists.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "objects.h"

/* ---- linear memories ---------------------------------------------------------- */

/* Growth limit of every memory of s, in pages: 65536, or fewer under the store's cap. */
static uint32_t store_page_cap(const wb_store *s)
{
    uint64_t cap = WB_MAX_PAGES;
    if (s->limits.max_memory_bytes && s->limits.max_memory_bytes / WB_PAGE_SIZE < cap)
        cap = s->limits.max_memory_bytes / WB_PAGE_SIZE;
    return (uint32_t)cap;
}

int wb_memory_new(wb_store *s, uint32_t min_pages, uint32_t max_pages, bool has_max,
                  wb_memory **out, wb_error *err)
{
    *out = NULL;
    if (min_pages > WB_MAX_PAGES || (has_max && max_pages > WB_MAX_PAGES))
        return wb_error_set(err, "memory size must be at most 65536 pages (4 GiB)");
    if (has_max && max_pages < min_pages)
        return wb_error_set(err, "memory maximum %u is below its minimum %u", max_pages, min_pages);
    uint32_t limit = store_page_cap(s);
    if (has_max && max_pages < limit)
        limit = max_pages;
    if (min_pages > limit)
        return wb_error_set(err, "memory of %u pages exceeds the limit of %u pages", min_pages,
                            limit);
    if (wb_trap_install_handler(err) < 0)
        return -1;

    wb_memory *m = calloc(1, sizeof *m);
    if (!m)
        return wb_error_oom(err);
    void *base = mmap(NULL, WB_MEMORY_MAP_SIZE, PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) {
        free(m);
        return wb_error_errno(err, errno, "reserve linear memory");
    }
    m->base = base;
    size_t bytes = (size_t)min_pages * WB_PAGE_SIZE;
    int ret = 0;
    if (bytes && mprotect(base, bytes, PROT_READ | PROT_WRITE) < 0)
        ret = wb_error_errno(err, errno, "commit linear memory");
    else
        ret = wb_trap_track_memory(m, err);
    if (ret < 0) {
        munmap(base, WB_MEMORY_MAP_SIZE);
        free(m);
        return ret;
    }
    m->pages = min_pages;
    m->size = bytes;
    m->max_pages = limit;
    m->has_max = has_max;
    m->declared_max = has_max ? max_pages : 0;
    wb_store_add_memory(s, m);
    *out = m;
    return 0;
}

void wb_memory_release(wb_memory *m)
{
    wb_trap_unregister_memory(m);
    munmap(m->base, WB_MEMORY_MAP_SIZE);
    free(m);
}

int64_t wb_memory_grow(wb_memory *mem, uint32_t delta)
{
    uint32_t old = mem->pages;
    if (delta == 0)
        return old;
    if ((uint64_t)old + delta > mem->max_pages)
        return -1;
    if (mprotect(mem->base + mem->size, (size_t)delta * WB_PAGE_SIZE, PROT_READ | PROT_WRITE) < 0)
        return -1;
    mem->pages = old + delta;
    mem->size = (uint64_t)mem->pages * WB_PAGE_SIZE;
    return old;
}

uint8_t *wb_memory_data(wb_memory *mem)
{
    return mem->base;
}

uint64_t wb_memory_size(const wb_memory *mem)
{
    return mem->size;
}

uint32_t wb_memory_pages(const wb_memory *mem)
{
    return mem->pages;
}

void *wb_memory_ptr(wb_memory *mem, uint64_t offset, uint64_t len)
{
    if (offset > mem->size || len > mem->size - offset)
        return NULL;
    return mem->base + offset;
}

/* ---- globals ------------------------------------------------------------------ */

static bool valtype_known(wb_valtype t)
{
    switch (t) {
    case WB_I32:
    case WB_I64:
    case WB_F32:
    case WB_F64:
    case WB_V128:
    case WB_FUNCREF:
    case WB_EXTERNREF:
        return true;
    }
    return false;
}

int wb_global_new(wb_store *s, wb_valtype type, bool mutable_, wb_val value, wb_global **out,
                  wb_error *err)
{
    *out = NULL;
    if (!valtype_known(type))
        return wb_error_set(err, "unknown global type 0x%02x", (unsigned)type);
    wb_global *g = wb_store_own(s, calloc(1, sizeof *g));
    if (!g)
        return wb_error_oom(err);
    g->type = (uint8_t)type;
    g->mutable_ = mutable_;
    g->value = value;
    *out = g;
    return 0;
}

wb_val wb_global_get(const wb_global *g)
{
    return g->value;
}

wb_valtype wb_global_type(const wb_global *g)
{
    return (wb_valtype)g->type;
}

bool wb_global_mutable(const wb_global *g)
{
    return g->mutable_;
}

void wb_global_set(wb_global *g, wb_val v)
{
    g->value = v;
}

/* ---- host functions ------------------------------------------------------------ */

/* A host function and its own copy of its type, in one store-owned block. */
typedef struct host_func_block {
    wb_func func;
    wb_functype type;
    uint8_t bytes[]; /* params then results */
} host_func_block;

int wb_func_new_host(wb_store *s, const wb_functype *type, wb_host_fn fn, void *env, wb_func **out,
                     wb_error *err)
{
    *out = NULL;
    if (!fn)
        return wb_error_set(err, "host function without code");
    for (uint32_t i = 0; i < type->nparams + (uint64_t)type->nresults; i++) {
        uint8_t t = i < type->nparams ? type->params[i] : type->results[i - type->nparams];
        if (!valtype_known((wb_valtype)t))
            return wb_error_set(err, "host function type has unknown value type 0x%02x", t);
    }
    size_t nbytes = (size_t)type->nparams + type->nresults;
    host_func_block *b = wb_store_own(s, calloc(1, sizeof *b + nbytes));
    if (!b)
        return wb_error_oom(err);
    if (type->nparams)
        memcpy(b->bytes, type->params, type->nparams);
    if (type->nresults)
        memcpy(b->bytes + type->nparams, type->results, type->nresults);
    b->type = (wb_functype){
        .nparams = type->nparams,
        .nresults = type->nresults,
        .params = b->bytes,
        .results = b->bytes + type->nparams,
    };
    if (wb_store_intern_sig(s, &b->type, &b->func.sig, err) < 0)
        return -1;
    b->func.type = &b->type;
    b->func.index = UINT32_MAX;
    b->func.host = fn;
    b->func.env = env;
    *out = &b->func;
    return 0;
}

const wb_functype *wb_func_type(const wb_func *f)
{
    return f->type;
}
