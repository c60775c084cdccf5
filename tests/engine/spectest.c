/*
 * spectest.c — runs the official WebAssembly spec testsuite (wast2json output)
 * against the engine: `spectest [-v|-q] [--timeout-ms N] [--isolate]
 * [--expect-simd-rejected] [--strict-text] FILE.json...`.
 *
 * Every JSON file runs in its own wb_store with a fresh `spectest` host module
 * and an empty registry; module files are resolved relative to the JSON's folder.
 * Output: one line per failure ("core/i32.wast:45 assert_return: ..."; lines are
 * those of the original .wast file, as in the JSON), one summary line per file
 * ("core/i32.json: 459 passed, 0 failed, 0 skipped") and, last and alone,
 * "N passed, M failed, K skipped". The exit status is 1 if anything failed.
 *
 * Counting follows the testsuite README: every assert_* command is one assertion;
 * assert_malformed on a text (.wat) module is skipped, as the engine has no text
 * parser. With --expect-simd-rejected (for simd/), a module the engine rejects with
 * "SIMD not supported yet" is skipped along with every command that needs it, and
 * anything else (a crash, another error, an accepted SIMD module whose v128 values
 * the harness cannot pass) is a failure.
 */
#include <getopt.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "spectest.h"

st_options st_opt;

void st_report(st_file *f, int line, const char *type, st_verdict v, const char *fmt, ...)
{
    static const char *const verdicts[] = {"pass", "FAIL", "skip", "ok"};
    switch (v) {
    case ST_PASS:
        f->passed++;
        break;
    case ST_FAIL:
        f->failed++;
        break;
    case ST_SKIP:
        f->skipped++;
        break;
    case ST_QUIET_OK:
        break;
    }
    st_progress_counts(f);
    if (v != ST_FAIL && st_opt.verbosity <= 0)
        return;
    char detail[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    if (v == ST_FAIL)
        printf("%s:%d %s: %s\n", f->wast_label, line, type, detail);
    else
        printf("%s:%d %s: %s %s\n", f->wast_label, line, type, verdicts[v], detail);
}

/* "parent/name": the JSON's folder name and `name` (default: the JSON's own file name),
 * e.g. "core/i32.json" or, with the source_filename, "core/i32.wast". */
char *st_make_label(const char *path, const char *name)
{
    _cleanup_free_ char *copy1 = strdup(path);
    _cleanup_free_ char *copy2 = strdup(path);
    if (!copy1 || !copy2)
        return NULL;
    const char *parent = basename(dirname(copy1));
    if (!name)
        name = basename(copy2);
    size_t len = strlen(parent) + strlen(name) + 2;
    char *label = malloc(len);
    if (!label)
        return NULL;
    if (strcmp(parent, ".") == 0 || strcmp(parent, "/") == 0)
        snprintf(label, len, "%s", name);
    else
        snprintf(label, len, "%s/%s", parent, name);
    return label;
}

static int file_open(st_file *f, const char *path, json_t *root, wb_error *err)
{
    memset(f, 0, sizeof *f);
    f->json_path = path;
    _cleanup_free_ char *copy = strdup(path);
    if (!copy)
        return wb_error_oom(err);
    f->dir = strdup(dirname(copy));
    f->label = st_make_label(path, NULL);
    const char *source = json_string_value(json_object_get(root, "source_filename"));
    f->wast_label = st_make_label(path, source);
    if (!f->dir || !f->label || !f->wast_label)
        return wb_error_oom(err);
    wb_limits_config limits = {0};
    if (wb_store_new(&limits, &f->store, err) < 0)
        return wb_error_prefix(err, "wb_store_new");
    return st_host_init(f, err);
}

/* Frees the store first: its instances refer to the modules. */
static void file_close(st_file *f)
{
    if (f->store)
        wb_store_free(f->store);
    for (size_t i = 0; i < f->nmodules; i++)
        wb_module_free(f->modules[i]);
    free(f->modules);
    for (size_t i = 0; i < f->nnamed; i++)
        free(f->named[i].name);
    free(f->named);
    for (size_t i = 0; i < f->nregistered; i++)
        free(f->registered[i].as);
    free(f->registered);
    free(f->dir);
    free(f->label);
    free(f->wast_label);
}

static void run_commands(st_file *f, json_t *cmds)
{
    for (size_t i = 0; i < json_array_size(cmds); i++) {
        json_t *cmd = json_array_get(cmds, i);
        st_progress_command(i, (int)json_integer_value(json_object_get(cmd, "line")),
                            json_string_value(json_object_get(cmd, "type")));
        st_run_command(f, cmd);
    }
    st_progress_command(0, 0, NULL);
}

void st_run_file(const char *path, unsigned totals[3])
{
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_ALLOW_NUL, &jerr);
    if (!root) {
        printf("%s:%d: cannot load JSON: %s\n", path, jerr.line, jerr.text);
        totals[1]++;
        return;
    }
    st_file f;
    wb_error err = {0};
    json_t *cmds = json_object_get(root, "commands");
    if (file_open(&f, path, root, &err) < 0) {
        printf("%s: %s\n", path, err.message);
        f.failed++;
    } else if (!json_is_array(cmds)) {
        printf("%s: no \"commands\" array\n", path);
        f.failed++;
    } else {
        run_commands(&f, cmds);
    }
    if (st_opt.verbosity >= 0)
        printf("%s: %u passed, %u failed, %u skipped\n", f.label ? f.label : path, f.passed,
               f.failed, f.skipped);
    totals[0] += f.passed;
    totals[1] += f.failed;
    totals[2] += f.skipped;
    file_close(&f);
    json_decref(root);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: spectest [options] FILE.json...\n"
            "  -v                      print every command\n"
            "  -q                      print only failures and the total line\n"
            "  --timeout-ms N          interrupt any instantiation or call after N ms\n"
            "  --expect-simd-rejected  modules rejected with \"SIMD not supported yet\"\n"
            "                          (and commands needing them) count as skipped\n"
            "  --strict-text           malformed/invalid messages must contain the\n"
            "                          expected text too\n"
            "  --isolate               run each file in a child process, so that a\n"
            "                          crash (or, with --timeout-ms, a hang) fails\n"
            "                          only the rest of that file\n");
}

static int parse_options(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"timeout-ms", required_argument, NULL, 't'},
        {"expect-simd-rejected", no_argument, NULL, 's'},
        {"strict-text", no_argument, NULL, 'x'},
        {"isolate", no_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "vqh", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'v':
            st_opt.verbosity = 1;
            break;
        case 'q':
            st_opt.verbosity = -1;
            break;
        case 't':
            st_opt.timeout_ms = (unsigned)strtoul(optarg, &end, 10);
            if (*end || !*optarg)
                return -1;
            break;
        case 's':
            st_opt.simd_unsupported = true;
            break;
        case 'x':
            st_opt.strict_text = true;
            break;
        case 'i':
            st_opt.isolate = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return -1;
        }
    }
    return optind < argc ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (parse_options(argc, argv) < 0) {
        usage(stderr);
        return 2;
    }
    /* Line-buffered even into a file or pipe, so a crash loses no report line. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    wb_error err = {0};
    /* With --isolate the watchdog thread lives in each child (threads do not survive
     * fork), started there by st_run_file_isolated(). */
    if (!st_opt.isolate && st_watch_start(st_opt.timeout_ms, &err) < 0) {
        fprintf(stderr, "spectest: %s\n", err.message);
        return 2;
    }
    unsigned totals[3] = {0, 0, 0}; /* passed, failed, skipped */
    for (int i = optind; i < argc; i++) {
        if (st_opt.isolate)
            st_run_file_isolated(argv[i], totals);
        else
            st_run_file(argv[i], totals);
    }
    st_watch_stop();
    printf("%u passed, %u failed, %u skipped\n", totals[0], totals[1], totals[2]);
    return totals[1] ? 1 : 0;
}
