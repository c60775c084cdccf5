/*
 * objects.h — private glue between the files that make and free the engine's
 * run-time objects: store.c (ownership lists, signatures), memory.c (memories,
 * tables, globals, host functions), instance.c (instantiation), trap.c (traps and
 * the fault handler) and call.c (wb_func_call). Nothing outside those files needs it.
 *
 * The one idea: every object is linked into its store the moment it exists, so
 * any later error path may simply return; wb_store_free() releases everything.
 */
#ifndef WASMBOX_ENGINE_OBJECTS_H
#define WASMBOX_ENGINE_OBJECTS_H

#include "runtime.h"

/* Bytes mapped per linear memory. WB_MEMORY_RESERVE is exactly 8 GiB, but an access
 * can reach index (2^32-1) + offset (2^32-1) + width (up to 16): one more page of
 * PROT_NONE keeps every such address inside the reservation, never in a neighbour. */
#define WB_MEMORY_MAP_SIZE (WB_MEMORY_RESERVE + WB_PAGE_SIZE)

/* Implementation limit on table elements (80 MB of slots): the spec allows 2^32-1,
 * but a table that large is a denial of service, not a program. table.grow past it
 * returns -1 as the spec permits. */
#define WB_TABLE_MAX_ELEMS 10000000u

/* ---- store.c: ownership lists ---- */
void wb_store_add_memory(wb_store *s, wb_memory *m);
void wb_store_add_table(wb_store *s, wb_table *t);
void wb_store_add_instance(wb_store *s, wb_instance *inst);

/* ---- memory.c / instance.c: release of one object (store.c calls them) ---- */
void wb_memory_release(wb_memory *m);
void wb_table_release(wb_table *t);
void wb_instance_release(wb_instance *inst);

/* ---- call.c ---- */
/* Maps the store's value stack on first use. */
int wb_exec_prepare(wb_store *s, wb_error *err);
/* Unmaps it (store.c). */
void wb_exec_release(wb_exec *e);

/* ---- trap.c ---- */
/* The innermost landing of wb_func_call on this thread, NULL outside guest code. The
 * fault handler unwinds to it; only call.c writes it. */
extern _Thread_local sigjmp_buf *wb_trap_landing;
/* Registers a memory's reservation with the fault handler; < 0 when the registry is
 * full (it cannot be in practice: see trap.c). */
int wb_trap_track_memory(const wb_memory *m, wb_error *err);
/* Per-thread set-up before running guest code: an alternate signal stack and the
 * thread's stack bounds (for reporting host stack overflow as a trap). Idempotent. */
int wb_trap_thread_init(wb_error *err);

#endif
