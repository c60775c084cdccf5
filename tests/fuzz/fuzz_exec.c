/*
 * fuzz_exec.c — libFuzzer target: instantiate any valid module, then call every
 * exported function with all-zero arguments.
 *
 * Each call (and the start function) gets FZ_FUEL back-edges + calls and the store
 * a call depth of FZ_MAX_DEPTH, so every input finishes quickly; traps of any kind
 * are expected outcomes and ignored. The store stays in use across the calls, so
 * state left behind by one trapping call is exercised by the next.
 */
#include <stdlib.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void call_export(wb_store *store, wb_instance *inst, const fz_export *e)
{
    wb_extern ext;
    if (e->kind != WB_EXTERN_FUNC ||
        !wb_instance_export(inst, (const char *)e->name, e->name_len, &ext) ||
        ext.kind != WB_EXTERN_FUNC)
        return;
    const wb_functype *ft = wb_func_type(ext.of.func);
    wb_val *args = calloc(ft->nparams + 1, sizeof *args);
    wb_val *results = calloc(ft->nresults + 1, sizeof *results);
    if (args && results) {
        wb_store_set_fuel(store, FZ_FUEL);
        wb_trap *trap = wb_func_call(store, ext.of.func, args, results);
        if (trap)
            wb_trap_free(trap);
    }
    free(args);
    free(results);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wb_module *m = NULL;
    wb_error err;
    if (wb_module_new(data, size, &m, &err) < 0)
        return 0;
    fz_sections secs;
    if (fz_read_sections(data, size, &secs) == 0) {
        wb_store *store = NULL;
        wb_instance *inst = fz_instantiate(m, &secs, &store);
        for (uint32_t i = 0; inst && i < secs.nexports; i++)
            call_export(store, inst, &secs.exports[i]);
        if (store)
            wb_store_free(store);
        fz_sections_free(&secs);
    }
    wb_module_free(m);
    return 0;
}
