/*
 * fuzz_module.c — libFuzzer target: decode, validate and instantiate any bytes.
 *
 * Whatever the input, wb_module_new() must either accept it or fail with one error
 * line, and an accepted module must instantiate or fail cleanly (link error or
 * trap) with dummy imports of the right types. Crashes, leaks, UB and hangs are
 * the findings; the start function runs under fuel, so it cannot hang.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wb_module *m = NULL;
    wb_error err;
    if (wb_module_new(data, size, &m, &err) < 0)
        return 0;
    fz_sections secs;
    if (fz_read_sections(data, size, &secs) == 0) {
        wb_store *store = NULL;
        fz_instantiate(m, &secs, &store);
        if (store)
            wb_store_free(store);
        fz_sections_free(&secs);
    }
    wb_module_free(m);
    return 0;
}
