/*
 * fuzz_common.h — shared by the engine's libFuzzer targets (fuzz_module, fuzz_exec).
 *
 * Both targets must instantiate arbitrary modules, so they must supply an object of
 * the right type for every import. engine.h describes a function import's type but
 * not a table's, memory's or global's, and cannot list a module's exports, so
 * fuzz_common.c reads those two sections of the (already validated) binary itself.
 * That reader is deliberately tiny and independent of the engine's decoder: when it
 * cannot make sense of the bytes, the target simply does not instantiate.
 */
#ifndef WASMBOX_TESTS_FUZZ_COMMON_H
#define WASMBOX_TESTS_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasmbox/engine.h"

#define FZ_MAX_DEPTH 100                 /* call-depth limit of the fuzzing stores */
#define FZ_MAX_MEMORY ((uint64_t)64 << 20) /* cap on any memory's size */
#define FZ_FUEL 100000                   /* back-edges + calls per instantiation / call */

typedef struct fz_import {
    wb_externkind kind;
    uint8_t valtype;     /* table element type / global value type */
    bool mutable_;
    uint32_t min, max;
    bool has_max;
} fz_import;

typedef struct fz_export {
    const uint8_t *name; /* points into the fuzzer's input */
    uint32_t name_len;
    wb_externkind kind;
} fz_export;

typedef struct fz_sections {
    fz_import *imports;
    uint32_t nimports;
    fz_export *exports;
    uint32_t nexports;
} fz_sections;

/* Reads the import and export sections. Returns 0, or -1 if the bytes do not parse. */
int fz_read_sections(const uint8_t *data, size_t size, fz_sections *out);
void fz_sections_free(fz_sections *s);

/* Makes a store with the fuzzing limits, instantiates m in it with dummy imports
 * (host functions that return zeros, fresh tables, memories and zero globals), and
 * returns the instance (or NULL if it could not be instantiated). *store is set
 * whenever it was created and must be freed by the caller with wb_store_free(). */
wb_instance *fz_instantiate(const wb_module *m, const fz_sections *secs, wb_store **store);

#endif
