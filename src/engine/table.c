/*
 * table.c — tables of references, and the bulk operations on them that need no
 * instance (table.grow, table.fill, table.copy; table.init is in instance.c).
 *
 * A table is a heap array of wb_val (0 = null). Its growth limit is its declared
 * maximum, else UINT32_MAX, and in every case WB_TABLE_MAX_ELEMS (objects.h).
 * Every bulk operation checks its whole range before writing anything, with 64-bit
 * arithmetic, as the 2.0 spec requires: an out-of-bounds operation writes nothing.
 */
#include <string.h>

#include "objects.h"

int wb_table_new(wb_store *s, wb_valtype elem, uint32_t min, uint32_t max, bool has_max,
                 wb_table **out, wb_error *err)
{
    *out = NULL;
    if (elem != WB_FUNCREF && elem != WB_EXTERNREF)
        return wb_error_set(err, "table element type 0x%02x is not a reference type",
                            (unsigned)elem);
    if (has_max && max < min)
        return wb_error_set(err, "table maximum %u is below its minimum %u", max, min);
    if (min > WB_TABLE_MAX_ELEMS)
        return wb_error_set(err, "table of %u elements exceeds the limit of %u", min,
                            WB_TABLE_MAX_ELEMS);
    wb_table *t = calloc(1, sizeof *t);
    if (!t)
        return wb_error_oom(err);
    if (min && !(t->elems = calloc(min, sizeof *t->elems))) {
        free(t);
        return wb_error_oom(err);
    }
    t->size = min;
    t->max = has_max ? max : UINT32_MAX;
    t->has_max = has_max;
    t->elem_type = (uint8_t)elem;
    wb_store_add_table(s, t);
    *out = t;
    return 0;
}

void wb_table_release(wb_table *t)
{
    free(t->elems);
    free(t);
}

uint32_t wb_table_size(const wb_table *t)
{
    return t->size;
}

int64_t wb_table_grow(wb_table *t, wb_val init, uint32_t delta)
{
    uint32_t old = t->size;
    if (delta == 0)
        return old;
    uint64_t n = (uint64_t)old + delta;
    if (n > t->max || n > WB_TABLE_MAX_ELEMS)
        return -1;
    wb_val *e = realloc(t->elems, (size_t)n * sizeof *e);
    if (!e)
        return -1;
    for (uint64_t i = old; i < n; i++)
        e[i] = init;
    t->elems = e;
    t->size = (uint32_t)n;
    return old;
}

wb_trap *wb_table_fill(wb_table *t, uint32_t dst, wb_val v, uint32_t n)
{
    if ((uint64_t)dst + n > t->size)
        return wb_trap_at(WB_TRAP_TABLE_OOB, NULL);
    for (uint32_t i = 0; i < n; i++)
        t->elems[dst + i] = v;
    return NULL;
}

wb_trap *wb_table_copy(wb_table *dst_t, wb_table *src_t, uint32_t dst, uint32_t src, uint32_t n)
{
    if ((uint64_t)dst + n > dst_t->size || (uint64_t)src + n > src_t->size)
        return wb_trap_at(WB_TRAP_TABLE_OOB, NULL);
    if (n)
        memmove(dst_t->elems + dst, src_t->elems + src, (size_t)n * sizeof(wb_val));
    return NULL;
}
