/*
 * store.c — the store: owner of every run-time object, and its canonical signatures.
 *
 * A store keeps three intrusive lists (instances, memories, tables: objects that
 * hold further blocks or mappings) and one array of plain heap blocks (functions,
 * globals, copied types) that are freed in bulk. Objects join the store the moment
 * they are created, so no error path elsewhere has anything to undo.
 *
 * Signatures are interned: every distinct function type gets a small id, so
 * call_indirect compares two integers. The ids live in an open-addressing hash
 * (sig_buckets) over sig_types, whose parameter bytes the store owns.
 */
#include <string.h>

#include "objects.h"

int wb_store_new(const wb_limits_config *limits, wb_store **out, wb_error *err)
{
    *out = NULL;
    wb_store *s = calloc(1, sizeof *s);
    if (!s)
        return wb_error_oom(err);
    if (limits)
        s->limits = *limits;
    s->exec.max_depth =
        s->limits.max_call_depth ? s->limits.max_call_depth : WB_DEFAULT_MAX_CALL_DEPTH;
    atomic_init(&s->interrupt, 0);
    *out = s;
    return 0;
}

void wb_store_free(wb_store *s)
{
    if (!s)
        return;
    for (wb_instance *i = s->instances, *next; i; i = next) {
        next = i->next_in_store;
        wb_instance_release(i);
    }
    for (wb_memory *m = s->memories, *next; m; m = next) {
        next = m->next_in_store;
        wb_memory_release(m);
    }
    for (wb_table *t = s->tables, *next; t; t = next) {
        next = t->next_in_store;
        wb_table_release(t);
    }
    for (size_t i = 0; i < s->nallocs; i++)
        free(s->allocs[i]);
    free(s->allocs);
    for (uint32_t i = 0; i < s->nsigs; i++)
        free((void *)s->sig_types[i].params); /* params and results share one block */
    free(s->sig_types);
    free(s->sig_buckets);
    wb_exec_release(&s->exec);
    free(s);
}

void wb_store_interrupt(wb_store *s)
{
    atomic_store(&s->interrupt, 1);
}

void wb_store_clear_interrupt(wb_store *s)
{
    atomic_store(&s->interrupt, 0);
}

bool wb_store_interrupted(const wb_store *s)
{
    return atomic_load_explicit(&((wb_store *)s)->interrupt, memory_order_relaxed) != 0;
}

void wb_store_set_fuel(wb_store *s, uint64_t fuel)
{
    s->fuel = fuel;
}

/* ---- ownership ---------------------------------------------------------------- */

void *wb_store_own(wb_store *s, void *p)
{
    if (!p)
        return NULL;
    if (s->nallocs == s->alloc_cap) {
        size_t cap = s->alloc_cap ? s->alloc_cap * 2 : 64;
        void **a = realloc(s->allocs, cap * sizeof *a);
        if (!a) {
            free(p);
            return NULL;
        }
        s->allocs = a;
        s->alloc_cap = cap;
    }
    s->allocs[s->nallocs++] = p;
    return p;
}

void wb_store_add_memory(wb_store *s, wb_memory *m)
{
    m->next_in_store = s->memories;
    s->memories = m;
}

void wb_store_add_table(wb_store *s, wb_table *t)
{
    t->next_in_store = s->tables;
    s->tables = t;
}

void wb_store_add_instance(wb_store *s, wb_instance *inst)
{
    inst->next_in_store = s->instances;
    s->instances = inst;
}

/* ---- canonical signatures ------------------------------------------------------ */

static uint32_t sig_hash(const wb_functype *t)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    h = (h ^ t->nparams) * 16777619u;
    h = (h ^ t->nresults) * 16777619u;
    for (uint32_t i = 0; i < t->nparams; i++)
        h = (h ^ t->params[i]) * 16777619u;
    for (uint32_t i = 0; i < t->nresults; i++)
        h = (h ^ t->results[i]) * 16777619u;
    return h;
}

static bool sig_equal(const wb_functype *a, const wb_functype *b)
{
    return a->nparams == b->nparams && a->nresults == b->nresults &&
           (a->nparams == 0 || memcmp(a->params, b->params, a->nparams) == 0) &&
           (a->nresults == 0 || memcmp(a->results, b->results, a->nresults) == 0);
}

/* Puts id into the first free bucket of its probe sequence. */
static void bucket_put(uint32_t *buckets, uint32_t n, uint32_t hash, uint32_t id)
{
    for (uint32_t i = hash & (n - 1);; i = (i + 1) & (n - 1)) {
        if (!buckets[i]) {
            buckets[i] = id + 1;
            return;
        }
    }
}

/* Keeps the table at most half full. */
static int buckets_reserve(wb_store *s, wb_error *err)
{
    if ((uint64_t)(s->nsigs + 1) * 2 <= s->sig_nbuckets)
        return 0;
    uint32_t n = s->sig_nbuckets ? s->sig_nbuckets * 2 : 64;
    if (n < s->sig_nbuckets)
        return wb_error_oom(err);
    uint32_t *b = calloc(n, sizeof *b);
    if (!b)
        return wb_error_oom(err);
    for (uint32_t id = 0; id < s->nsigs; id++)
        bucket_put(b, n, sig_hash(&s->sig_types[id]), id);
    free(s->sig_buckets);
    s->sig_buckets = b;
    s->sig_nbuckets = n;
    return 0;
}

/* Appends a copy of t as signature s->nsigs. */
static int sig_append(wb_store *s, const wb_functype *t, wb_error *err)
{
    if (s->nsigs == s->sig_cap) {
        uint32_t cap = s->sig_cap ? s->sig_cap * 2 : 32;
        wb_functype *a = cap > s->sig_cap ? realloc(s->sig_types, cap * sizeof *a) : NULL;
        if (!a)
            return wb_error_oom(err);
        s->sig_types = a;
        s->sig_cap = cap;
    }
    uint8_t *bytes = malloc((size_t)t->nparams + t->nresults + 1);
    if (!bytes)
        return wb_error_oom(err);
    if (t->nparams)
        memcpy(bytes, t->params, t->nparams);
    if (t->nresults)
        memcpy(bytes + t->nparams, t->results, t->nresults);
    s->sig_types[s->nsigs] = (wb_functype){
        .nparams = t->nparams,
        .nresults = t->nresults,
        .params = bytes,
        .results = bytes + t->nparams,
    };
    s->nsigs++;
    return 0;
}

int wb_store_intern_sig(wb_store *s, const wb_functype *t, uint32_t *out, wb_error *err)
{
    uint32_t h = sig_hash(t);
    uint32_t n = s->sig_nbuckets;
    for (uint32_t i = n ? h & (n - 1) : 0; n && s->sig_buckets[i]; i = (i + 1) & (n - 1)) {
        uint32_t id = s->sig_buckets[i] - 1;
        if (sig_equal(&s->sig_types[id], t)) {
            *out = id;
            return 0;
        }
    }
    if (s->nsigs == UINT32_MAX - 1)
        return wb_error_set(err, "too many function signatures in one store");
    if (buckets_reserve(s, err) < 0 || sig_append(s, t, err) < 0)
        return -1;
    uint32_t id = s->nsigs - 1;
    bucket_put(s->sig_buckets, s->sig_nbuckets, h, id);
    *out = id;
    return 0;
}
