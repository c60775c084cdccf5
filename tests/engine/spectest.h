/*
 * spectest.h — shared declarations of the spec testsuite harness (build/spectest).
 *
 * The harness runs the JSON command lists that wast2json made from the official
 * WebAssembly testsuite (/work/shared/spectest, see its README.md) against the
 * engine's public API only (wasmbox/engine.h). It is split by concern:
 *   spectest.c         options, the per-file loop, counting and reporting
 *   spectest_cmds.c    one function per command type, and the file's state rules
 *   spectest_link.c    the `spectest` host module, the registry and import resolution
 *   spectest_values.c  JSON values <-> wb_val, result comparison, printing
 *   spectest_watch.c   the optional --timeout-ms watchdog thread
 *   spectest_isolate.c the optional --isolate mode (one child process per file)
 *
 * The one idea to hold on to: a st_file is the state of one JSON file, with one
 * wb_store that every module of that file shares (the README's "one store per JSON
 * file"), so memories and tables of `spectest` and of registered modules carry over
 * from command to command.
 */
#ifndef WASMBOX_TESTS_SPECTEST_H
#define WASMBOX_TESTS_SPECTEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasmbox/engine.h"

/* ---- options ------------------------------------------------------------------ */

typedef struct st_options {
    int verbosity;          /* -1 = -q, 0 = default, 1 = -v */
    unsigned timeout_ms;    /* 0 = no watchdog */
    bool simd_unsupported;  /* --expect-simd-rejected */
    bool strict_text;       /* --strict-text: also compare malformed/invalid texts */
    bool isolate;           /* --isolate: run each file in a child process */
} st_options;

extern st_options st_opt;

/* ---- values (spectest_values.c) -------------------------------------------------- */

/* Host reference N is passed to the engine as N + 1: never 0 (null), distinct per N. */
#define ST_EXTERNREF(n) ((wb_val)(n) + 1)

typedef enum st_expect_kind {
    ST_EXPECT_BITS,         /* exact bit pattern (numbers), or exact handle (refs) */
    ST_EXPECT_NAN_CANONICAL,
    ST_EXPECT_NAN_ARITHMETIC,
    ST_EXPECT_ANY,          /* type-only entry (assert_trap, action): value not checked */
} st_expect_kind;

typedef struct st_value {
    uint8_t type;           /* wb_valtype */
    st_expect_kind kind;
    wb_val bits;
} st_value;

/* Parses {"type": T, "value": V}. With `expected` set, NaN patterns and missing
 * values are allowed. Returns 0, or -1 with why[] filled. */
int st_value_parse(json_t *jv, bool expected, st_value *out, char *why, size_t whylen);
/* Does the engine's result `got` of type `type` match *want? */
bool st_value_matches(const st_value *want, uint8_t type, wb_val got);
/* "i32 42 (0x2a)", "f32 0x7fc00000 (nan)", "externref 3", "funcref null". */
void st_value_format(uint8_t type, wb_val v, char *buf, size_t len);
void st_expect_format(const st_value *want, char *buf, size_t len);
const char *st_type_name(uint8_t type);
/* Printable form of a byte-string name (names may hold NUL and control bytes). */
void st_name_format(const char *s, size_t n, char *buf, size_t len);

/* ---- per-file state ------------------------------------------------------------- */

typedef struct st_named {
    char *name;             /* "$M1" */
    wb_instance *inst;      /* NULL when its module was rejected */
    bool simd;              /* rejected as SIMD (--expect-simd-rejected) */
} st_named;

typedef struct st_registered {
    char *as;               /* import module name; may hold NUL */
    size_t as_len;
    wb_instance *inst;
} st_registered;

/* The spectest host module's objects, made afresh in every file's store. */
typedef struct st_host {
    wb_func *print[7];
    wb_global *global_i32, *global_i64, *global_f32, *global_f64;
    wb_table *table;
    wb_memory *memory;
} st_host;

typedef struct st_file {
    const char *json_path;
    char *dir;              /* modules are resolved relative to this */
    char *label;            /* "core/i32.json", for the summary line */
    char *wast_label;       /* "core/i32.wast", for failure lines (lines are .wast lines) */

    wb_store *store;
    st_host host;

    wb_module **modules;    /* every module created; they must outlive the store's instances */
    size_t nmodules, modules_cap;

    wb_instance *current;   /* last module that instantiated; NULL before or after a failure */
    bool current_simd;      /* the last `module` was rejected as SIMD */
    st_named *named;
    size_t nnamed, named_cap;
    st_registered *registered;
    size_t nregistered, registered_cap;

    unsigned passed, failed, skipped;
    bool printed_header;    /* -v: whether the file name was printed */
} st_file;

/* ---- results of one command ------------------------------------------------------ */

typedef enum st_verdict {
    ST_PASS,
    ST_FAIL,
    ST_SKIP,
    ST_QUIET_OK,    /* succeeded but is not an assertion (module/register/action) */
} st_verdict;

/* Reports one command's verdict: counts it and prints it as the options ask.
 * `detail` says what differed (failures) or why skipped. Printf-style. */
void st_report(st_file *f, int line, const char *type, st_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* ---- commands (spectest_cmds.c) ---------------------------------------------------- */

/* Runs one command object of the JSON file. */
void st_run_command(st_file *f, json_t *cmd);

/* ---- linking (spectest_link.c) ---------------------------------------------------- */

/* Makes the spectest module's objects in f->store. Returns 0 or -1 with err. */
int st_host_init(st_file *f, wb_error *err);
/* Resolves the imports of m against `spectest` and the registry into a malloc'd array
 * (*out, caller frees; NULL when there are none). An import whose module or name is
 * not found gives -1 with "unknown import M.N" in err (the engine cannot resolve what
 * the embedder does not supply; kind and type checks are left to the engine). */
int st_resolve_imports(st_file *f, const wb_module *m, wb_extern **out, wb_error *err);

/* ---- files (spectest.c) ------------------------------------------------------------- */

/* Runs one JSON file in this process, adding to the totals. */
void st_run_file(const char *path, unsigned totals[3]);
/* "parent/name" (name defaults to path's own file name); malloc'd, NULL on OOM. */
char *st_make_label(const char *path, const char *name);

/* ---- isolation (spectest_isolate.c) ------------------------------------------------ */

/* Runs st_run_file(path) in a child process. A crash, a non-zero exit or (with
 * --timeout-ms) a command that ignores the interrupt and runs on for more than a
 * second past the limit is reported as a failure of the command that was running;
 * the assertions the child never reached count as failed too. */
void st_run_file_isolated(const char *path, unsigned totals[3]);
/* Child side: record which command runs (type NULL: none) and the file's counts. */
void st_progress_command(size_t index, int line, const char *type);
void st_progress_counts(const st_file *f);

/* ---- watchdog (spectest_watch.c) ------------------------------------------------- */

int st_watch_start(unsigned timeout_ms, wb_error *err);
void st_watch_stop(void);
/* Arms the timer for one action on store s. No-op without --timeout-ms. */
void st_watch_arm(wb_store *s);
/* Disarms it; returns true if it fired (and then clears the store's interrupt). */
bool st_watch_disarm(wb_store *s);

#endif
