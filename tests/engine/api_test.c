/*
 * api_test.c — unit tests of the engine's embedding API (include/wasmbox/engine.h).
 *
 * The spec testsuite proves the engine runs WebAssembly right; this file proves the
 * contract an embedder codes against: bytes -> module -> instance with host imports
 * -> calls -> bounds-checked memory access -> free, with errors and traps as values
 * (a trap names its kind, the spec's wording and the function that was running, and
 * leaves the store usable), interruption from another thread, fuel, call-depth and
 * memory limits, re-entrant host functions, and one module shared by stores on
 * several threads.
 *
 * The guest modules are WAT files in api/, assembled with `wat2wasm --debug-names`
 * at build time into WB_API_WASM_DIR, so that traps can be checked by function name.
 *
 * One thing to know first: cmocka installs its own SIGSEGV/SIGBUS handlers with
 * signal() around every test, which would hide the engine's fault handler (a guest
 * out-of-bounds access would be reported by cmocka as a crash). main() therefore
 * makes the engine install its handler before cmocka runs (so the engine chains to
 * the handler that was there first: the default, or the sanitizer's), records it,
 * and every test starts with begin(), which puts it back.
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "wasmbox/engine.h"

#ifndef WB_API_WASM_DIR
#error "WB_API_WASM_DIR must name the folder of the assembled test modules"
#endif

#define PAGE 65536u

/* ---- fault handler bookkeeping (see the top of the file) ------------------------- */

static struct sigaction engine_segv, engine_bus;

/* Makes the engine install its fault handler, and records it. */
static int prime_engine_handler(void)
{
    wb_error err;
    wb_store *s = NULL;
    wb_memory *m = NULL;
    if (wb_store_new(NULL, &s, &err) < 0 || wb_memory_new(s, 1, 1, true, &m, &err) < 0) {
        fprintf(stderr, "api_test: cannot prime the engine: %s\n", err.message);
        wb_store_free(s);
        return -1;
    }
    wb_store_free(s);
    if (sigaction(SIGSEGV, NULL, &engine_segv) < 0 || sigaction(SIGBUS, NULL, &engine_bus) < 0)
        return -1;
    return 0;
}

static void begin(void)
{
    assert_int_equal(sigaction(SIGSEGV, &engine_segv, NULL), 0);
    assert_int_equal(sigaction(SIGBUS, &engine_bus, NULL), 0);
}

/* ---- helpers -------------------------------------------------------------------- */

/* Reads WB_API_WASM_DIR/<name>.wasm into a malloc'd buffer. */
static uint8_t *read_wasm(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.wasm", WB_API_WASM_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    *len = n;
    return buf;
}

static wb_module *load_module(const char *name)
{
    size_t len;
    uint8_t *bytes = read_wasm(name, &len);
    wb_module *m = NULL;
    wb_error err = {0};
    int rc = wb_module_new(bytes, len, &m, &err);
    free(bytes); /* the module keeps its own copy */
    if (rc < 0)
        fail_msg("%s.wasm: %s", name, err.message);
    return m;
}

static wb_store *new_store(uint32_t max_depth, uint64_t max_memory)
{
    wb_limits_config lim = {.max_call_depth = max_depth, .max_memory_bytes = max_memory};
    wb_store *s = NULL;
    wb_error err = {0};
    if (wb_store_new(&lim, &s, &err) < 0)
        fail_msg("wb_store_new: %s", err.message);
    return s;
}

static wb_instance *instantiate(wb_store *s, const wb_module *m, const wb_extern *imports,
                                size_t n)
{
    wb_instance *inst = NULL;
    wb_trap *trap = NULL;
    wb_error err = {0};
    if (wb_instance_new(s, m, imports, n, &inst, &trap, &err) < 0)
        fail_msg("wb_instance_new: %s", err.message);
    assert_null(trap);
    assert_non_null(inst);
    return inst;
}

static wb_func *export_func(wb_instance *inst, const char *name)
{
    wb_extern x;
    if (!wb_instance_export(inst, name, strlen(name), &x))
        fail_msg("no export %s", name);
    assert_int_equal(x.kind, WB_EXTERN_FUNC);
    return x.of.func;
}

/* Calls export `name` with up to 4 arguments; fails the test if it traps. */
static wb_val call_ok(wb_store *s, wb_instance *inst, const char *name, int nargs, ...)
{
    wb_val args[4] = {0}, res[2] = {0};
    va_list ap;
    va_start(ap, nargs);
    for (int i = 0; i < nargs && i < 4; i++)
        args[i] = va_arg(ap, wb_val);
    va_end(ap);
    wb_trap *t = wb_func_call(s, export_func(inst, name), args, res);
    if (t)
        fail_msg("%s trapped: %s in %s", name, t->message, t->func_name);
    return res[0];
}

/* Calls export `name` expecting a trap; returns it (the caller checks and frees it). */
static wb_trap *call_trap(wb_store *s, wb_instance *inst, const char *name, int nargs, ...)
{
    wb_val args[4] = {0}, res[2] = {0};
    va_list ap;
    va_start(ap, nargs);
    for (int i = 0; i < nargs && i < 4; i++)
        args[i] = va_arg(ap, wb_val);
    va_end(ap);
    wb_trap *t = wb_func_call(s, export_func(inst, name), args, res);
    if (!t)
        fail_msg("%s did not trap (result %llu)", name, (unsigned long long)res[0]);
    return t;
}

/* Checks kind, spec wording and function name of t, then frees it. The message is
 * the spec text, optionally followed by " <index>" as the reference interpreter
 * words element traps ("uninitialized element 2"). */
static void check_trap(wb_trap *t, wb_trap_kind kind, const char *text, const char *func)
{
    assert_non_null(t);
    size_t n = strlen(text);
    if (strncmp(t->message, text, n) != 0)
        fail_msg("trap message \"%s\" does not start with \"%s\"", t->message, text);
    if (t->message[n] != '\0') {
        assert_int_equal(t->message[n], ' ');
        assert_true(t->message[n + 1] != '\0');
        assert_true(strspn(t->message + n + 1, "0123456789") == strlen(t->message + n + 1));
    }
    assert_int_equal(t->kind, kind);
    assert_string_equal(wb_trap_kind_text(kind), text);
    if (func) {
        assert_string_equal(t->func_name, func);
        assert_int_not_equal(t->func_index, UINT32_MAX);
    }
    wb_trap_free(t);
}

#define I32(v) ((wb_val)(uint32_t)(int32_t)(v))
#define I64(v) ((wb_val)(int64_t)(v))

static wb_val f64_bits(double d)
{
    wb_val v;
    memcpy(&v, &d, sizeof v);
    return v;
}

static double bits_f64(wb_val v)
{
    double d;
    memcpy(&d, &v, sizeof d);
    return d;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0)
        ;
}

/* Parses the hexadecimal number after "offset 0x" in msg; -1 if there is none. */
static long long offset_in(const char *msg)
{
    const char *p = strstr(msg, "offset 0x");
    if (!p)
        return -1;
    return strtoll(p + strlen("offset 0x"), NULL, 16);
}

/* ---- 1. the round trip: bytes, validation, instantiation, calls, memory --------- */

static const uint8_t t_i32i32[] = {WB_I32, WB_I32}, t_i32[] = {WB_I32};
static const uint8_t t_i64f64[] = {WB_I64, WB_F64}, t_f64[] = {WB_F64};
static const wb_functype type_add = {2, 1, t_i32i32, t_i32};
static const wb_functype type_scale = {2, 1, t_i64f64, t_f64};

static wb_trap *host_add(wb_caller *caller, void *env, wb_val *slots)
{
    (void)caller;
    (*(int *)env)++;
    slots[0] = (uint32_t)slots[0] + (uint32_t)slots[1];
    return NULL;
}

static wb_trap *host_scale(wb_caller *caller, void *env, wb_val *slots)
{
    (void)caller;
    (void)env;
    slots[0] = f64_bits((double)(int64_t)slots[0] * bits_f64(slots[1]));
    return NULL;
}

/* The two imports of basic.wat, made in s. */
static void basic_imports(wb_store *s, int *counter, wb_extern imports[2])
{
    wb_error err = {0};
    wb_func *add = NULL, *scale = NULL;
    assert_int_equal(wb_func_new_host(s, &type_add, host_add, counter, &add, &err), 0);
    assert_int_equal(wb_func_new_host(s, &type_scale, host_scale, NULL, &scale, &err), 0);
    imports[0] = (wb_extern){.kind = WB_EXTERN_FUNC, .of.func = add};
    imports[1] = (wb_extern){.kind = WB_EXTERN_FUNC, .of.func = scale};
}

static void test_module_introspection(void **state)
{
    (void)state;
    begin();
    wb_module *m = load_module("basic");
    assert_int_equal(wb_module_import_count(m), 2);
    wb_import_desc d;
    wb_module_import(m, 0, &d);
    assert_int_equal(d.kind, WB_EXTERN_FUNC);
    assert_int_equal(d.module_len, 3);
    assert_memory_equal(d.module, "env", 3);
    assert_int_equal(d.name_len, 3);
    assert_memory_equal(d.name, "add", 3);
    assert_int_equal(d.type.nparams, 2);
    assert_int_equal(d.type.nresults, 1);
    assert_int_equal(d.type.params[0], WB_I32);
    wb_module_import(m, 1, &d);
    assert_memory_equal(d.name, "scale", 5);
    assert_int_equal(d.type.params[0], WB_I64);
    assert_int_equal(d.type.params[1], WB_F64);
    assert_int_equal(d.type.results[0], WB_F64);
    /* imports are functions 0 and 1; add_twice is function 2 */
    assert_non_null(wb_module_func_name(m, 2));
    assert_string_equal(wb_module_func_name(m, 2), "add_twice");
    wb_module_free(m);
}

static void test_round_trip(void **state)
{
    (void)state;
    begin();
    wb_module *m = load_module("basic");
    wb_store *s = new_store(0, 0);
    int calls = 0;
    wb_extern imports[2];
    basic_imports(s, &calls, imports);
    wb_instance *inst = instantiate(s, m, imports, 2);

    /* host imports called from wasm, with i32 and i64/f64 values */
    assert_int_equal((uint32_t)call_ok(s, inst, "add_twice", 2, I32(40), I32(1)), 42);
    assert_int_equal(calls, 2);
    assert_int_equal((uint32_t)call_ok(s, inst, "add_twice", 2, I32(-5), I32(2)), (uint32_t)-1);
    assert_true(bits_f64(call_ok(s, inst, "call_scale", 2, I64(-3), f64_bits(1.5))) == -4.5);

    /* the exported function's type */
    const wb_functype *ft = wb_func_type(export_func(inst, "add_twice"));
    assert_int_equal(ft->nparams, 2);
    assert_int_equal(ft->nresults, 1);

    /* a host function can be called directly too */
    wb_val args[2] = {I32(2), I32(3)}, res[1] = {0};
    assert_null(wb_func_call(s, imports[0].of.func, args, res));
    assert_int_equal((uint32_t)res[0], 5);

    /* memory: the exported one is memory 0; the data segment is there */
    wb_extern x;
    assert_true(wb_instance_export(inst, "mem", 3, &x));
    assert_int_equal(x.kind, WB_EXTERN_MEMORY);
    wb_memory *mem = x.of.memory;
    assert_ptr_equal(mem, wb_instance_memory(inst));
    assert_int_equal(wb_memory_size(mem), PAGE);
    assert_int_equal(wb_memory_pages(mem), 1);
    const char *hello = wb_memory_ptr(mem, 16, 7);
    assert_non_null(hello);
    assert_memory_equal(hello, "wasmbox", 7);

    /* host writes, guest reads */
    uint8_t *p = wb_memory_ptr(mem, 1000, 10);
    assert_non_null(p);
    for (int i = 0; i < 10; i++)
        p[i] = (uint8_t)(i + 1);
    assert_int_equal((uint32_t)call_ok(s, inst, "sum_bytes", 2, I32(1000), I32(10)), 55);
    /* the last byte of memory, host side and guest side */
    uint8_t *last = wb_memory_ptr(mem, PAGE - 1, 1);
    assert_non_null(last);
    *last = 200;
    assert_int_equal((uint32_t)call_ok(s, inst, "sum_bytes", 2, I32(PAGE - 1), I32(1)), 200);

    /* guest writes, host reads */
    call_ok(s, inst, "poke", 2, I32(PAGE - 4), I32(0x11223344));
    uint32_t word;
    memcpy(&word, wb_memory_ptr(mem, PAGE - 4, 4), 4);
    assert_int_equal(word, 0x11223344);
    assert_ptr_equal(wb_memory_ptr(mem, 0, 0), wb_memory_data(mem));

    /* bounds of wb_memory_ptr: everything within, nothing past the end, no wrap-around */
    assert_non_null(wb_memory_ptr(mem, 0, PAGE));
    assert_non_null(wb_memory_ptr(mem, PAGE, 0));
    assert_null(wb_memory_ptr(mem, 0, PAGE + 1));
    assert_null(wb_memory_ptr(mem, PAGE, 1));
    assert_null(wb_memory_ptr(mem, PAGE - 1, 2));
    assert_null(wb_memory_ptr(mem, PAGE + 1, 0));
    assert_null(wb_memory_ptr(mem, UINT64_MAX, 0));
    assert_null(wb_memory_ptr(mem, UINT64_MAX, 1));
    assert_null(wb_memory_ptr(mem, 1, UINT64_MAX));
    assert_null(wb_memory_ptr(mem, UINT64_MAX, UINT64_MAX));
    assert_null(wb_memory_ptr(mem, 8, UINT64_MAX - 7)); /* 8 + len wraps to 0 */
    assert_null(wb_memory_ptr(mem, UINT64_MAX - 7, 8));

    /* it follows growth */
    assert_int_equal(wb_memory_grow(mem, 1), 1);
    assert_non_null(wb_memory_ptr(mem, PAGE, PAGE));
    assert_null(wb_memory_ptr(mem, PAGE, PAGE + 1));
    assert_int_equal(wb_memory_grow(mem, 1), -1); /* declared maximum is 2 */

    wb_store_free(s);
    wb_module_free(m);
}

static void test_link_errors(void **state)
{
    (void)state;
    begin();
    wb_module *m = load_module("basic");
    wb_store *s = new_store(0, 0);
    int calls = 0;
    wb_extern imports[2];
    basic_imports(s, &calls, imports);
    wb_instance *inst = NULL;
    wb_trap *trap = NULL;
    wb_error err = {0};

    assert_true(wb_instance_new(s, m, imports, 1, &inst, &trap, &err) < 0);
    assert_null(trap);
    assert_null(inst);
    assert_non_null(strstr(err.message, "incompatible import count"));

    wb_extern wrong[2] = {imports[1], imports[0]}; /* swapped signatures */
    assert_true(wb_instance_new(s, m, wrong, 2, &inst, &trap, &err) < 0);
    assert_null(trap);
    assert_non_null(strstr(err.message, "incompatible import type"));

    wb_memory *mem = NULL;
    assert_int_equal(wb_memory_new(s, 1, 1, true, &mem, &err), 0);
    wrong[0] = (wb_extern){.kind = WB_EXTERN_MEMORY, .of.memory = mem};
    wrong[1] = imports[1];
    assert_true(wb_instance_new(s, m, wrong, 2, &inst, &trap, &err) < 0);
    assert_null(trap);
    assert_non_null(strstr(err.message, "incompatible import type"));

    /* the store is fine afterwards */
    inst = instantiate(s, m, imports, 2);
    assert_int_equal((uint32_t)call_ok(s, inst, "add_twice", 2, I32(1), I32(1)), 3);
    wb_store_free(s);
    wb_module_free(m);
}

static void test_malformed_truncated(void **state)
{
    (void)state;
    begin();
    size_t len;
    uint8_t *bytes = read_wasm("basic", &len);
    wb_module *m = NULL;
    wb_error err = {0};

    /* cut inside the last function body: a decoding error with the offset */
    size_t cut = len - 40;
    assert_true(cut > 8);
    memset(&err, 0, sizeof err);
    assert_true(wb_module_new(bytes, cut, &m, &err) < 0);
    assert_null(m);
    assert_true(strncmp(err.message, "malformed", 9) == 0);
    long long off = offset_in(err.message);
    assert_true(off >= 8);
    assert_true(off <= (long long)cut);

    /* every prefix either decodes (ends on a section boundary) or fails with a
     * "malformed"/"invalid" message; nothing reads past `len` (ASan checks that) */
    for (size_t n = 0; n < len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        assert_non_null(copy);
        memcpy(copy, bytes, n);
        memset(&err, 0, sizeof err);
        m = NULL;
        int rc = wb_module_new(copy, n, &m, &err);
        free(copy);
        if (rc == 0) {
            wb_module_free(m);
            continue;
        }
        assert_null(m);
        assert_true(strncmp(err.message, "malformed", 9) == 0 ||
                    strncmp(err.message, "invalid", 7) == 0);
        off = offset_in(err.message);
        assert_true(off <= (long long)n);
    }
    free(bytes);

    /* not even a header */
    memset(&err, 0, sizeof err);
    assert_true(wb_module_new((const uint8_t *)"\0asm", 4, &m, &err) < 0);
    assert_true(strncmp(err.message, "malformed", 9) == 0);
    assert_true(offset_in(err.message) >= 0);
}

static void test_invalid_module(void **state)
{
    (void)state;
    begin();
    /* (func (result i32)) with an empty body: well-formed, but does not validate */
    static const uint8_t bytes[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,       /* header */
        0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,             /* type () -> i32 */
        0x03, 0x02, 0x01, 0x00,                               /* func 0: type 0 */
        0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,                   /* code: end */
    };
    wb_module *m = NULL;
    wb_error err = {0};
    assert_true(wb_module_new(bytes, sizeof bytes, &m, &err) < 0);
    assert_null(m);
    assert_true(strncmp(err.message, "invalid", 7) == 0);
    assert_true(offset_in(err.message) > 0);
}

static void test_simd_rejected(void **state)
{
    (void)state;
    begin();
    size_t len;
    uint8_t *bytes = read_wasm("simd", &len);
    wb_module *m = NULL;
    wb_error err = {0};
    int rc = wb_module_new(bytes, len, &m, &err);
    free(bytes);
    assert_true(rc < 0);
    assert_null(m);
    assert_non_null(strstr(err.message, "SIMD not supported yet"));
    assert_true(offset_in(err.message) > 0);
}

/* ---- 2. traps -------------------------------------------------------------------- */

typedef struct traps_fixture {
    wb_module *m;
    wb_store *s;
    wb_instance *inst;
    wb_memory *mem;
} traps_fixture;

static int traps_setup(void **state)
{
    traps_fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    fx->m = load_module("traps");
    fx->s = new_store(0, 0);
    fx->inst = instantiate(fx->s, fx->m, NULL, 0);
    fx->mem = wb_instance_memory(fx->inst);
    *state = fx;
    return 0;
}

static int traps_teardown(void **state)
{
    traps_fixture *fx = *state;
    wb_store_free(fx->s);
    wb_module_free(fx->m);
    free(fx);
    return 0;
}

/* After every trap, the same store and instance must still run code. */
static void still_usable(traps_fixture *fx)
{
    assert_int_equal((uint32_t)call_ok(fx->s, fx->inst, "ok", 0), 42);
    assert_int_equal((uint32_t)call_ok(fx->s, fx->inst, "div", 2, I32(85), I32(2)), 42);
}

static void test_trap_unreachable(void **state)
{
    traps_fixture *fx = *state;
    begin();
    check_trap(call_trap(fx->s, fx->inst, "unreachable", 0), WB_TRAP_UNREACHABLE, "unreachable",
               "unreachable_inner");
    still_usable(fx);
}

static void test_trap_memory_oob(void **state)
{
    traps_fixture *fx = *state;
    begin();
    static const uint32_t bad_loads[] = {PAGE, PAGE - 3, PAGE - 1, 0x7fffffff, 0xffffffff};
    for (size_t i = 0; i < sizeof bad_loads / sizeof bad_loads[0]; i++) {
        check_trap(call_trap(fx->s, fx->inst, "load_oob", 1, I32(bad_loads[i])),
                   WB_TRAP_MEMORY_OOB, "out of bounds memory access", "load_oob_inner");
        still_usable(fx);
    }
    /* the last whole word is fine */
    memcpy(wb_memory_ptr(fx->mem, PAGE - 4, 4), "\x01\x02\x03\x04", 4);
    assert_int_equal((uint32_t)call_ok(fx->s, fx->inst, "load_oob", 1, I32(PAGE - 4)),
                     0x04030201);

    /* stores: past the end, far past it, and straddling the end (8 bytes at PAGE-4):
     * a store that traps writes nothing */
    uint8_t *tail = wb_memory_ptr(fx->mem, PAGE - 8, 8);
    assert_non_null(tail);
    memset(tail, 0xab, 8);
    static const uint32_t bad_stores[] = {PAGE, PAGE - 4, PAGE - 7, 0xfffffff9, 0xffffffff};
    for (size_t i = 0; i < sizeof bad_stores / sizeof bad_stores[0]; i++) {
        check_trap(call_trap(fx->s, fx->inst, "store_oob", 1, I32(bad_stores[i])),
                   WB_TRAP_MEMORY_OOB, "out of bounds memory access", "store_oob_inner");
        for (int b = 0; b < 8; b++)
            assert_int_equal(tail[b], 0xab);
        still_usable(fx);
    }
    call_ok(fx->s, fx->inst, "store_oob", 1, I32(PAGE - 8)); /* in bounds */
    for (int b = 0; b < 8; b++)
        assert_int_equal(tail[b], 0xff);
}

static void test_trap_table(void **state)
{
    traps_fixture *fx = *state;
    begin();
    assert_int_equal((uint32_t)call_ok(fx->s, fx->inst, "table_oob", 1, I32(0)), 0);
    assert_int_equal((uint32_t)call_ok(fx->s, fx->inst, "table_oob", 1, I32(1)), 1);
    check_trap(call_trap(fx->s, fx->inst, "table_oob", 1, I32(2)), WB_TRAP_TABLE_OOB,
               "out of bounds table access", "table_oob_inner");
    still_usable(fx);
    check_trap(call_trap(fx->s, fx->inst, "table_oob", 1, I32(-1)), WB_TRAP_TABLE_OOB,
               "out of bounds table access", "table_oob_inner");
    still_usable(fx);
}

static void test_trap_call_indirect(void **state)
{
    traps_fixture *fx = *state;
    begin();
    assert_int_equal((uint32_t)call_ok(fx->s, fx->inst, "call_indirect", 1, I32(0)), 42);
    wb_trap *t = call_trap(fx->s, fx->inst, "call_indirect", 1, I32(1));
    assert_string_equal(t->message, "uninitialized element 1");
    check_trap(t, WB_TRAP_UNINITIALIZED_ELEMENT, "uninitialized element", "call_indirect_inner");
    still_usable(fx);
    check_trap(call_trap(fx->s, fx->inst, "call_indirect", 1, I32(2)), WB_TRAP_UNDEFINED_ELEMENT,
               "undefined element", "call_indirect_inner");
    still_usable(fx);
    check_trap(call_trap(fx->s, fx->inst, "call_indirect", 1, I32(0x80000000)),
               WB_TRAP_UNDEFINED_ELEMENT, "undefined element", "call_indirect_inner");
    still_usable(fx);
    check_trap(call_trap(fx->s, fx->inst, "mismatch", 0), WB_TRAP_INDIRECT_MISMATCH,
               "indirect call type mismatch", "mismatch_inner");
    still_usable(fx);
}

static void test_trap_arithmetic(void **state)
{
    traps_fixture *fx = *state;
    begin();
    check_trap(call_trap(fx->s, fx->inst, "div", 2, I32(1), I32(0)), WB_TRAP_DIV_BY_ZERO,
               "integer divide by zero", "div_inner");
    still_usable(fx);
    check_trap(call_trap(fx->s, fx->inst, "div", 2, I32(INT32_MIN), I32(-1)),
               WB_TRAP_INT_OVERFLOW, "integer overflow", "div_inner");
    still_usable(fx);
    assert_int_equal((uint32_t)call_ok(fx->s, fx->inst, "div", 2, I32(-7), I32(2)),
                     (uint32_t)-3);
    check_trap(call_trap(fx->s, fx->inst, "rem_u64", 2, I64(1), I64(0)), WB_TRAP_DIV_BY_ZERO,
               "integer divide by zero", "rem_u64_inner");
    still_usable(fx);
    assert_int_equal(call_ok(fx->s, fx->inst, "rem_u64", 2, I64(10), I64(3)), 1);
}

static void test_trap_conversion(void **state)
{
    traps_fixture *fx = *state;
    begin();
    check_trap(call_trap(fx->s, fx->inst, "trunc", 1, f64_bits(NAN)), WB_TRAP_INVALID_CONVERSION,
               "invalid conversion to integer", "trunc_inner");
    still_usable(fx);
    check_trap(call_trap(fx->s, fx->inst, "trunc", 1, f64_bits(3e9)), WB_TRAP_INT_OVERFLOW,
               "integer overflow", "trunc_inner");
    still_usable(fx);
    check_trap(call_trap(fx->s, fx->inst, "trunc", 1, f64_bits(-INFINITY)), WB_TRAP_INT_OVERFLOW,
               "integer overflow", "trunc_inner");
    still_usable(fx);
    assert_int_equal((uint32_t)call_ok(fx->s, fx->inst, "trunc", 1, f64_bits(-2.75)),
                     (uint32_t)-2);
}

static void test_trap_stack_exhausted(void **state)
{
    traps_fixture *fx = *state;
    begin();
    for (int i = 0; i < 3; i++) { /* repeatable: depth and stack are restored */
        check_trap(call_trap(fx->s, fx->inst, "recurse", 0), WB_TRAP_STACK_EXHAUSTED,
                   "call stack exhausted", "recurse_inner");
        still_usable(fx);
    }
}

/* ---- 3. interruption, fuel, call depth --------------------------------------------- */

typedef struct interrupter {
    wb_store *s;
    long delay_ms;
} interrupter;

static void *interrupt_later(void *arg)
{
    interrupter *it = arg;
    sleep_ms(it->delay_ms);
    wb_store_interrupt(it->s);
    return NULL;
}

static void test_interrupt_from_thread(void **state)
{
    (void)state;
    begin();
    wb_module *m = load_module("loops");
    wb_store *s = new_store(0, 0);
    wb_instance *inst = instantiate(s, m, NULL, 0);

    for (int round = 0; round < 3; round++) {
        interrupter it = {.s = s, .delay_ms = 50};
        pthread_t th;
        double t0 = now_ms();
        assert_int_equal(pthread_create(&th, NULL, interrupt_later, &it), 0);
        wb_trap *t = call_trap(s, inst, "spin", 0);
        double elapsed = now_ms() - t0;
        assert_int_equal(pthread_join(th, NULL), 0);
        check_trap(t, WB_TRAP_INTERRUPTED, "interrupted", "spin");
        assert_true(elapsed >= 45.0);

        /* sticky until cleared */
        check_trap(call_trap(s, inst, "spin", 0), WB_TRAP_INTERRUPTED, "interrupted", "spin");
        wb_store_clear_interrupt(s);
        assert_int_equal((uint32_t)call_ok(s, inst, "ok", 0), 42);
        assert_int_equal((uint32_t)call_ok(s, inst, "count", 1, I32(100000)), 100000);
    }
    wb_store_free(s);
    wb_module_free(m);
}

static void test_fuel(void **state)
{
    (void)state;
    begin();
    wb_module *m = load_module("loops");
    wb_store *s = new_store(0, 0);
    wb_instance *inst = instantiate(s, m, NULL, 0);

    wb_store_set_fuel(s, 100000);
    check_trap(call_trap(s, inst, "spin", 0), WB_TRAP_INTERRUPTED, "interrupted", "spin");
    wb_store_set_fuel(s, 50);
    check_trap(call_trap(s, inst, "count", 1, I32(1000)), WB_TRAP_INTERRUPTED, "interrupted",
               "count");
    wb_store_set_fuel(s, 100000);
    assert_int_equal((uint32_t)call_ok(s, inst, "count", 1, I32(1000)), 1000);
    /* fuel bounds calls too: a deep recursion with little fuel stops */
    wb_store_set_fuel(s, 20);
    check_trap(call_trap(s, inst, "depth", 1, I32(1000)), WB_TRAP_INTERRUPTED, "interrupted",
               "depth");
    wb_store_set_fuel(s, 0); /* unlimited again */
    assert_int_equal((uint32_t)call_ok(s, inst, "count", 1, I32(1000000)), 1000000);
    assert_int_equal((uint32_t)call_ok(s, inst, "ok", 0), 42);
    wb_store_free(s);
    wb_module_free(m);
}

static void test_call_depth_limit(void **state)
{
    (void)state;
    begin();
    wb_module *m = load_module("loops");

    wb_store *s = new_store(100, 0);
    wb_instance *inst = instantiate(s, m, NULL, 0);
    assert_int_equal((uint32_t)call_ok(s, inst, "depth", 1, I32(50)), 50);
    assert_int_equal((uint32_t)call_ok(s, inst, "depth", 1, I32(98)), 98);
    check_trap(call_trap(s, inst, "depth", 1, I32(100)), WB_TRAP_STACK_EXHAUSTED,
               "call stack exhausted", "depth");
    check_trap(call_trap(s, inst, "depth", 1, I32(1000000)), WB_TRAP_STACK_EXHAUSTED,
               "call stack exhausted", "depth");
    assert_int_equal((uint32_t)call_ok(s, inst, "depth", 1, I32(50)), 50);
    wb_store_free(s);

    /* the default limit: 10,000 frames */
    s = new_store(0, 0);
    inst = instantiate(s, m, NULL, 0);
    assert_int_equal((uint32_t)call_ok(s, inst, "depth", 1, I32(5000)), 5000);
    check_trap(call_trap(s, inst, "depth", 1, I32(20000)), WB_TRAP_STACK_EXHAUSTED,
               "call stack exhausted", "depth");
    assert_int_equal((uint32_t)call_ok(s, inst, "ok", 0), 42);
    wb_store_free(s);
    wb_module_free(m);
}

/* ---- 4. host functions ------------------------------------------------------------- */

typedef struct host_ctx {
    wb_store *s;
    int nesting, max_nesting;
    wb_memory *seen_memory;
} host_ctx;

/* sum_rest(n) = n + sum(n - 1), calling back into the instance that called us. */
static wb_trap *host_sum_rest(wb_caller *caller, void *env, wb_val *slots)
{
    host_ctx *ctx = env;
    uint32_t n = (uint32_t)slots[0];
    ctx->seen_memory = wb_caller_memory(caller);
    wb_extern x;
    if (!wb_instance_export(wb_caller_instance(caller), "sum", 3, &x))
        return wb_trap_new(WB_TRAP_HOST, "host error: no export sum");
    if (++ctx->nesting > ctx->max_nesting)
        ctx->max_nesting = ctx->nesting;
    wb_val arg = n - 1, res = 0;
    wb_trap *t = wb_func_call(ctx->s, x.of.func, &arg, &res);
    ctx->nesting--;
    if (t)
        return t;
    slots[0] = (uint32_t)(n + (uint32_t)res);
    return NULL;
}

static wb_trap *host_exit(wb_caller *caller, void *env, wb_val *slots)
{
    (void)caller;
    (void)env;
    return wb_trap_exit((int)(uint32_t)slots[0]);
}

/* fail(0) = 5; fail(1) is a host trap; fail(2) propagates a guest trap from a
 * re-entrant call. */
static wb_trap *host_fail(wb_caller *caller, void *env, wb_val *slots)
{
    host_ctx *ctx = env;
    switch ((uint32_t)slots[0]) {
    case 0:
        slots[0] = 5;
        return NULL;
    case 1:
        return wb_trap_new(WB_TRAP_HOST, "host error: boom %d", 3);
    default: {
        wb_extern x;
        if (!wb_instance_export(wb_caller_instance(caller), "div0", 4, &x))
            return wb_trap_new(WB_TRAP_HOST, "host error: no export div0");
        wb_val arg = 1, res = 0;
        wb_trap *t = wb_func_call(ctx->s, x.of.func, &arg, &res);
        return t ? t : wb_trap_new(WB_TRAP_HOST, "host error: div0 did not trap");
    }
    }
}

/* peek(ptr) = the i32 at ptr in the caller's memory, bounds-checked. */
static wb_trap *host_peek(wb_caller *caller, void *env, wb_val *slots)
{
    (void)env;
    wb_memory *mem = wb_caller_memory(caller);
    const uint8_t *p = mem ? wb_memory_ptr(mem, (uint32_t)slots[0], 4) : NULL;
    if (!p)
        return wb_trap_new(WB_TRAP_MEMORY_OOB, "%s", wb_trap_kind_text(WB_TRAP_MEMORY_OOB));
    uint32_t v;
    memcpy(&v, p, 4);
    slots[0] = v;
    return NULL;
}

static void test_host_functions(void **state)
{
    (void)state;
    begin();
    wb_module *m = load_module("host");
    wb_store *s = new_store(0, 0);
    host_ctx ctx = {.s = s};
    static const uint8_t none[1] = {0};
    static const wb_functype t_i_i = {1, 1, t_i32, t_i32}, t_i_v = {1, 0, t_i32, none};
    wb_error err = {0};
    wb_func *fs[4];
    assert_int_equal(wb_func_new_host(s, &t_i_i, host_sum_rest, &ctx, &fs[0], &err), 0);
    assert_int_equal(wb_func_new_host(s, &t_i_v, host_exit, &ctx, &fs[1], &err), 0);
    assert_int_equal(wb_func_new_host(s, &t_i_i, host_fail, &ctx, &fs[2], &err), 0);
    assert_int_equal(wb_func_new_host(s, &t_i_i, host_peek, &ctx, &fs[3], &err), 0);
    wb_extern imports[4];
    for (int i = 0; i < 4; i++)
        imports[i] = (wb_extern){.kind = WB_EXTERN_FUNC, .of.func = fs[i]};
    wb_instance *inst = instantiate(s, m, imports, 4);

    /* re-entrancy: wasm -> host -> wasm ... */
    assert_int_equal((uint32_t)call_ok(s, inst, "sum", 1, I32(10)), 55);
    assert_int_equal(ctx.max_nesting, 10);
    assert_ptr_equal(ctx.seen_memory, wb_instance_memory(inst));
    assert_int_equal((uint32_t)call_ok(s, inst, "sum", 1, I32(50)), 1275);
    assert_int_equal(ctx.max_nesting, 50);
    assert_int_equal(ctx.nesting, 0);
    /* Unbounded re-entry ends cleanly: at the 10,000-frame limit (about 5,000 levels,
     * two frames each) or, where C frames are big (about 116 levels in a clang -O0
     * ASan build), at the guard below the thread's C stack. Either way the store
     * stays usable. */
    wb_trap *t = call_trap(s, inst, "sum", 1, I32(1000000));
    assert_int_equal(t->kind, WB_TRAP_STACK_EXHAUSTED);
    assert_string_equal(t->message, "call stack exhausted");
    wb_trap_free(t);
    ctx.nesting = 0;
    assert_int_equal((uint32_t)call_ok(s, inst, "sum", 1, I32(10)), 55);

    /* the host reads guest memory through the caller */
    assert_int_equal((uint32_t)call_ok(s, inst, "do_peek", 1, I32(100)), 42);
    t = call_trap(s, inst, "do_peek", 1, I32(PAGE - 3));
    assert_int_equal(t->kind, WB_TRAP_MEMORY_OOB);
    wb_trap_free(t);

    /* proc_exit-like */
    t = call_trap(s, inst, "do_exit", 1, I32(7));
    assert_int_equal(t->kind, WB_TRAP_EXIT);
    assert_int_equal(t->exit_code, 7);
    wb_trap_free(t);
    assert_int_equal((uint32_t)call_ok(s, inst, "ok", 0), 42);

    /* host traps propagate as they are */
    assert_int_equal((uint32_t)call_ok(s, inst, "do_fail", 1, I32(0)), 6);
    t = call_trap(s, inst, "do_fail", 1, I32(1));
    assert_int_equal(t->kind, WB_TRAP_HOST);
    assert_string_equal(t->message, "host error: boom 3");
    wb_trap_free(t);
    assert_int_equal((uint32_t)call_ok(s, inst, "ok", 0), 42);

    /* a guest trap inside a re-entrant call, returned by the host, reaches the top */
    check_trap(call_trap(s, inst, "do_fail", 1, I32(2)), WB_TRAP_DIV_BY_ZERO,
               "integer divide by zero", "div0");
    assert_int_equal((uint32_t)call_ok(s, inst, "sum", 1, I32(5)), 15);
    assert_int_equal((uint32_t)call_ok(s, inst, "do_fail", 1, I32(0)), 6);

    wb_store_free(s);
    wb_module_free(m);
}

/* A re-entrant chain deeper than the store's call-depth limit stops cleanly. */
static void test_host_reentry_depth_limit(void **state)
{
    (void)state;
    begin();
    wb_module *m = load_module("host");
    wb_store *s = new_store(64, 0);
    host_ctx ctx = {.s = s};
    static const uint8_t none[1] = {0};
    static const wb_functype t_i_i = {1, 1, t_i32, t_i32}, t_i_v = {1, 0, t_i32, none};
    wb_error err = {0};
    wb_func *fs[4];
    assert_int_equal(wb_func_new_host(s, &t_i_i, host_sum_rest, &ctx, &fs[0], &err), 0);
    assert_int_equal(wb_func_new_host(s, &t_i_v, host_exit, &ctx, &fs[1], &err), 0);
    assert_int_equal(wb_func_new_host(s, &t_i_i, host_fail, &ctx, &fs[2], &err), 0);
    assert_int_equal(wb_func_new_host(s, &t_i_i, host_peek, &ctx, &fs[3], &err), 0);
    wb_extern imports[4];
    for (int i = 0; i < 4; i++)
        imports[i] = (wb_extern){.kind = WB_EXTERN_FUNC, .of.func = fs[i]};
    wb_instance *inst = instantiate(s, m, imports, 4);

    assert_int_equal((uint32_t)call_ok(s, inst, "sum", 1, I32(20)), 210);
    wb_trap *t = call_trap(s, inst, "sum", 1, I32(100000));
    assert_int_equal(t->kind, WB_TRAP_STACK_EXHAUSTED);
    assert_string_equal(t->message, "call stack exhausted");
    wb_trap_free(t);
    assert_int_equal(ctx.nesting, 0);
    assert_int_equal((uint32_t)call_ok(s, inst, "sum", 1, I32(20)), 210);
    wb_store_free(s);
    wb_module_free(m);
}

/* ---- 5. one module, several threads, one store each ------------------------------ */

#define NTHREADS 4
#define ITERATIONS 300

typedef struct worker {
    const wb_module *m;
    pthread_barrier_t *start;
    int id;
    int failures;
    char first_failure[300];
} worker;

static void worker_fail(worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void worker_fail(worker *w, const char *fmt, ...)
{
    if (w->failures++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->first_failure, sizeof w->first_failure, fmt, ap);
        va_end(ap);
    }
}

/* One iteration: fill + sum n words, compare with C; an OOB load; compare memory. */
static void worker_iteration(worker *w, wb_store *s, wb_func *work, wb_func *oob, wb_memory *mem,
                             uint32_t it)
{
    uint32_t seed = (uint32_t)w->id * 7919u + it, n = 64 + it % 512;
    uint32_t expect = 0;
    for (uint32_t i = 0; i < n; i++)
        expect += seed * i + 1;
    wb_val args[2] = {seed, n}, res[1] = {0};
    wb_trap *t = wb_func_call(s, work, args, res);
    if (t) {
        worker_fail(w, "thread %d: work trapped: %s", w->id, t->message);
        wb_trap_free(t);
        return;
    }
    if ((uint32_t)res[0] != expect)
        worker_fail(w, "thread %d it %u: sum %u, expected %u", w->id, it, (uint32_t)res[0],
                    expect);
    args[0] = it;
    t = wb_func_call(s, oob, args, res);
    if (!t || t->kind != WB_TRAP_MEMORY_OOB || strcmp(t->func_name, "oob") != 0)
        worker_fail(w, "thread %d it %u: oob gave %s", w->id, it, t ? t->message : "no trap");
    wb_trap_free(t);
    const uint8_t *p = wb_memory_ptr(mem, 0, (uint64_t)n * 4);
    for (uint32_t i = 0; p && i < n; i++) {
        uint32_t v;
        memcpy(&v, p + i * 4, 4);
        if (v != seed * i + 1) {
            worker_fail(w, "thread %d it %u: word %u is %u", w->id, it, i, v);
            break;
        }
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    wb_store *s = NULL;
    wb_instance *inst = NULL;
    wb_trap *trap = NULL;
    wb_error err = {0};
    if (wb_store_new(NULL, &s, &err) < 0 ||
        wb_instance_new(s, w->m, NULL, 0, &inst, &trap, &err) < 0) {
        worker_fail(w, "thread %d: %s", w->id, err.message);
        wb_trap_free(trap);
        wb_store_free(s);
        pthread_barrier_wait(w->start);
        return NULL;
    }
    wb_extern work, oob;
    if (!wb_instance_export(inst, "work", 4, &work) || !wb_instance_export(inst, "oob", 3, &oob)) {
        worker_fail(w, "thread %d: exports missing", w->id);
        wb_store_free(s);
        pthread_barrier_wait(w->start);
        return NULL;
    }
    wb_memory *mem = wb_instance_memory(inst);
    pthread_barrier_wait(w->start); /* all threads translate and run at once */
    for (uint32_t it = 0; it < ITERATIONS && w->failures == 0; it++)
        worker_iteration(w, s, work.of.func, oob.of.func, mem, it);
    wb_store_free(s);
    return NULL;
}

static void test_threads_share_module(void **state)
{
    (void)state;
    begin();
    for (int round = 0; round < 3; round++) { /* a fresh module: translation races again */
        wb_module *m = load_module("threads");
        pthread_barrier_t start;
        assert_int_equal(pthread_barrier_init(&start, NULL, NTHREADS), 0);
        worker ws[NTHREADS];
        pthread_t th[NTHREADS];
        for (int i = 0; i < NTHREADS; i++) {
            ws[i] = (worker){.m = m, .start = &start, .id = i};
            assert_int_equal(pthread_create(&th[i], NULL, worker_main, &ws[i]), 0);
        }
        for (int i = 0; i < NTHREADS; i++)
            assert_int_equal(pthread_join(th[i], NULL), 0);
        pthread_barrier_destroy(&start);
        wb_module_free(m);
        for (int i = 0; i < NTHREADS; i++)
            if (ws[i].failures)
                fail_msg("%d failure(s), first: %s", ws[i].failures, ws[i].first_failure);
    }
}

/* ---- 6. memory limits ---------------------------------------------------------------- */

static void test_memory_limit(void **state)
{
    (void)state;
    begin();
    wb_module *m = load_module("grow");
    wb_store *s = new_store(0, 4 * PAGE); /* at most 4 pages */
    wb_instance *inst = instantiate(s, m, NULL, 0);
    wb_memory *mem = wb_instance_memory(inst);

    assert_int_equal((uint32_t)call_ok(s, inst, "grow", 1, I32(2)), 1);
    assert_int_equal((int32_t)call_ok(s, inst, "grow", 1, I32(2)), -1); /* would be 5 */
    assert_int_equal((uint32_t)call_ok(s, inst, "size", 0), 3);
    assert_int_equal((uint32_t)call_ok(s, inst, "grow", 1, I32(1)), 3);
    assert_int_equal((int32_t)call_ok(s, inst, "grow", 1, I32(1)), -1);
    assert_int_equal((int32_t)call_ok(s, inst, "grow", 1, I32(65536)), -1);
    assert_int_equal((int32_t)call_ok(s, inst, "grow", 1, I32(-1)), -1);
    assert_int_equal((uint32_t)call_ok(s, inst, "grow", 1, I32(0)), 4);
    assert_int_equal((uint32_t)call_ok(s, inst, "size", 0), 4);
    assert_int_equal(wb_memory_size(mem), 4 * PAGE);
    assert_int_equal(wb_memory_grow(mem, 1), -1);
    /* all of the 4 pages are usable, nothing beyond */
    call_ok(s, inst, "store_at", 2, I32(4 * PAGE - 4), I32(77));
    assert_non_null(wb_memory_ptr(mem, 4 * PAGE - 4, 4));
    assert_null(wb_memory_ptr(mem, 4 * PAGE - 3, 4));
    check_trap(call_trap(s, inst, "store_at", 2, I32(4 * PAGE), I32(1)), WB_TRAP_MEMORY_OOB,
               "out of bounds memory access", NULL);

    /* memories made by the embedder obey the cap too */
    wb_memory *own = NULL;
    wb_error err = {0};
    assert_true(wb_memory_new(s, 5, 0, false, &own, &err) < 0);
    assert_int_equal(wb_memory_new(s, 2, 0, false, &own, &err), 0);
    assert_int_equal(wb_memory_grow(own, 2), 2);
    assert_int_equal(wb_memory_grow(own, 1), -1);

    /* a module whose minimum is above the cap does not instantiate */
    wb_module *big = load_module("big");
    wb_trap *trap = NULL;
    memset(&err, 0, sizeof err);
    assert_true(wb_instance_new(s, big, NULL, 0, &inst, &trap, &err) < 0);
    assert_null(trap);
    assert_true(err.message[0] != '\0');
    wb_store_free(s);
    wb_module_free(big);

    /* without a cap the same module grows as far as it asks (within 4 GiB) */
    s = new_store(0, 0);
    inst = instantiate(s, m, NULL, 0);
    assert_int_equal((uint32_t)call_ok(s, inst, "grow", 1, I32(9)), 1);
    assert_int_equal((int32_t)call_ok(s, inst, "grow", 1, I32(65536)), -1);
    assert_int_equal((uint32_t)call_ok(s, inst, "size", 0), 10);
    wb_store_free(s);
    wb_module_free(m);
}

int main(void)
{
    if (prime_engine_handler() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_module_introspection),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_link_errors),
        cmocka_unit_test(test_malformed_truncated),
        cmocka_unit_test(test_invalid_module),
        cmocka_unit_test(test_simd_rejected),
        cmocka_unit_test_setup_teardown(test_trap_unreachable, traps_setup, traps_teardown),
        cmocka_unit_test_setup_teardown(test_trap_memory_oob, traps_setup, traps_teardown),
        cmocka_unit_test_setup_teardown(test_trap_table, traps_setup, traps_teardown),
        cmocka_unit_test_setup_teardown(test_trap_call_indirect, traps_setup, traps_teardown),
        cmocka_unit_test_setup_teardown(test_trap_arithmetic, traps_setup, traps_teardown),
        cmocka_unit_test_setup_teardown(test_trap_conversion, traps_setup, traps_teardown),
        cmocka_unit_test_setup_teardown(test_trap_stack_exhausted, traps_setup, traps_teardown),
        cmocka_unit_test(test_interrupt_from_thread),
        cmocka_unit_test(test_fuel),
        cmocka_unit_test(test_call_depth_limit),
        cmocka_unit_test(test_host_functions),
        cmocka_unit_test(test_host_reentry_depth_limit),
        cmocka_unit_test(test_threads_share_module),
        cmocka_unit_test(test_memory_limit),
    };
    return cmocka_run_group_tests_name("engine_api", tests, NULL, NULL);
}
