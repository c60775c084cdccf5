/*
 * load_bench.c — in-process cost of turning a .wasm file into a live instance.
 *
 * Times, inside one process, what `wasmbox run` pays before the guest's first
 * instruction: wb_module_new (decode + validate), wb_store_new and
 * wb_instance_new with every imported function bound to a stub. The file is read
 * once up front, so disk I/O is not counted. Each of ITERATIONS rounds builds and
 * frees everything; the medians per round are printed (the first round, which
 * also pays one-time set-up such as installing the trap handler, is shown apart).
 * Only function imports are supported, which is all a WASI command imports.
 *
 * Usage: load_bench FILE.wasm [ITERATIONS]   (default 1000)
 * Built by bench/run-startup.sh against the build directory's libwbengine.a.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wasmbox/engine.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Reads a whole file; returns NULL (with errno) on failure. The caller frees. */
static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    *len = n;
    return buf;
}

static wb_trap *stub(wb_caller *caller, void *env, wb_val *slots)
{
    (void)caller;
    (void)env;
    (void)slots;
    return wb_trap_new(WB_TRAP_HOST, "load_bench: imported function called");
}

/* Binds every import of m to a stub made in s. imports has room for all of them. */
static int bind_stubs(wb_store *s, const wb_module *m, wb_extern *imports, wb_error *err)
{
    uint32_t n = wb_module_import_count(m);
    for (uint32_t i = 0; i < n; i++) {
        wb_import_desc d;
        wb_module_import(m, i, &d);
        if (d.kind != WB_EXTERN_FUNC)
            return wb_error_set(err, "import %u (%.*s.%.*s) is not a function", i,
                                (int)d.module_len, d.module, (int)d.name_len, d.name);
        imports[i].kind = WB_EXTERN_FUNC;
        if (wb_func_new_host(s, &d.type, stub, NULL, &imports[i].of.func, err) < 0)
            return -1;
    }
    return 0;
}

typedef struct sample {
    double module_new, instantiate, teardown;
} sample;

/* One round: module, store, stubs, instance; then free it all. */
static int one_round(const uint8_t *bytes, size_t len, wb_extern *imports, sample *out,
                     wb_error *err)
{
    double t0 = now_us();
    wb_module *m;
    if (wb_module_new(bytes, len, &m, err) < 0)
        return -1;
    double t1 = now_us();
    wb_store *s;
    if (wb_store_new(NULL, &s, err) < 0) {
        wb_module_free(m);
        return -1;
    }
    wb_instance *inst;
    wb_trap *trap = NULL;
    int ret = bind_stubs(s, m, imports, err);
    if (ret == 0)
        ret = wb_instance_new(s, m, imports, wb_module_import_count(m), &inst, &trap, err);
    double t2 = now_us();
    if (trap) {
        wb_error_set(err, "instantiation trapped: %s", trap->message);
        wb_trap_free(trap);
    }
    wb_store_free(s);
    wb_module_free(m);
    double t3 = now_us();
    out->module_new = t1 - t0;
    out->instantiate = t2 - t1;
    out->teardown = t3 - t2;
    return ret;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: load_bench FILE.wasm [ITERATIONS]\n");
        return 2;
    }
    long iterations = argc > 2 ? strtol(argv[2], NULL, 10) : 1000;
    if (iterations < 1)
        iterations = 1;
    size_t len;
    uint8_t *bytes = read_file(argv[1], &len);
    if (!bytes) {
        fprintf(stderr, "load_bench: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    sample first = {0};
    double *dec = calloc((size_t)iterations, sizeof(double));
    double *ins = calloc((size_t)iterations, sizeof(double));
    double *tot = calloc((size_t)iterations, sizeof(double));
    double *tear = calloc((size_t)iterations, sizeof(double));
    wb_extern *imports = NULL;
    int status = 1;
    wb_error err = {0};
    if (!dec || !ins || !tot || !tear) {
        fprintf(stderr, "load_bench: out of memory\n");
        goto out;
    }
    {
        /* Size the import array from a module made once outside the timing. */
        wb_module *m;
        if (wb_module_new(bytes, len, &m, &err) < 0) {
            fprintf(stderr, "load_bench: %s\n", err.message);
            goto out;
        }
        uint32_t nimports = wb_module_import_count(m);
        wb_module_free(m);
        imports = calloc(nimports ? nimports : 1, sizeof *imports);
        if (!imports) {
            fprintf(stderr, "load_bench: out of memory\n");
            goto out;
        }
    }
    for (long i = 0; i < iterations; i++) {
        sample smp;
        if (one_round(bytes, len, imports, &smp, &err) < 0) {
            fprintf(stderr, "load_bench: %s\n", err.message);
            goto out;
        }
        if (i == 0)
            first = smp;
        dec[i] = smp.module_new;
        ins[i] = smp.instantiate;
        tot[i] = smp.module_new + smp.instantiate;
        tear[i] = smp.teardown;
    }
    printf("load_bench: %s (%zu bytes), %ld iterations, median per iteration\n", argv[1], len,
           iterations);
    printf("decode+validate (wb_module_new): %.1f us\n", median(dec, (size_t)iterations));
    printf("store+stubs+instantiate: %.1f us\n", median(ins, (size_t)iterations));
    printf("load+validate+instantiate: %.1f us (first iteration %.1f us)\n",
           median(tot, (size_t)iterations), first.module_new + first.instantiate);
    printf("teardown (store_free+module_free): %.1f us\n", median(tear, (size_t)iterations));
    status = 0;
out:
    free(imports);
    free(dec);
    free(ins);
    free(tot);
    free(tear);
    free(bytes);
    return status;
}
