/*
 * unit.c — unit tests of the image module's pure parts: docker references, the
 * Dockerfile parser and word expansion, glob and .dockerignore matching, path rules;
 * and `unit bench ROOT N`, which times wb_image_lookup + wb_image_config_read on a
 * store of N images (bench/image.sh runs it).
 *
 * Prints one line per failed check and "N passed, N failed" at the end.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dockerfile.h"
#include "layer.h"
#include "match.h"
#include "ref.h"
#include "wasmbox/image.h"

static int passed, failed;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            passed++;                                                                              \
        } else {                                                                                   \
            failed++;                                                                              \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                            \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
        }                                                                                          \
    } while (0)

static void test_refs(void)
{
    static const char *const ok[][2] = {
        {"demo/hello", "demo/hello:latest"},
        {"demo/hello:v1", "demo/hello:v1"},
        {"docker.io/demo/hello", "demo/hello:latest"},
        {"docker.io/library/busybox", "busybox:latest"},
        {"index.docker.io/library/busybox:1", "busybox:1"},
        {"busybox", "busybox:latest"},
        {"library/busybox", "busybox:latest"},
        {"localhost/wbx-ci/hello-wasi:1", "localhost/wbx-ci/hello-wasi:1"},
        {"localhost:5000/a/b:c", "localhost:5000/a/b:c"},
        {"127.0.0.1:5000/x", "127.0.0.1:5000/x:latest"},
        {"quay.io/a/b__c-d.e:T_1.2-3", "quay.io/a/b__c-d.e:T_1.2-3"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        char buf[300];
        bool r = wbi_ref_normalize(ok[i][0], buf, sizeof buf);
        CHECK(r && !strcmp(buf, ok[i][1]), "normalize %s -> %s (want %s)", ok[i][0],
              r ? buf : "(fail)", ok[i][1]);
    }
    static const char *const bad[] = {
        "",      "demo/Hello", "demo//hello",   "demo/hello:", "demo/hello:-x",
        "-demo", "demo_/x",    "a/b@sha256:12", ":tag",        "demo/hel lo"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        wbi_ref r;
        wb_error err = {0};
        CHECK(wbi_ref_parse(bad[i], &r, &err) < 0 &&
                  strstr(err.message, "invalid reference format"),
              "reject \"%s\" (%s)", bad[i], err.message);
    }
    wbi_ref r;
    const char *d =
        "demo/x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    CHECK(wbi_ref_parse(d, &r, NULL) == 0 && r.digest[0] && !r.tag[0], "digest reference");
    char q[300];
    wbi_ref_qualified("busybox:latest", q, sizeof q);
    CHECK(!strcmp(q, "docker.io/library/busybox:latest"), "qualified %s", q);
    wbi_ref_qualified("localhost/a:1", q, sizeof q);
    CHECK(!strcmp(q, "localhost/a:1"), "qualified %s", q);
}

static const char *env_get(void *ctx, const char *name)
{
    (void)ctx;
    if (!strcmp(name, "A"))
        return "alpha";
    if (!strcmp(name, "EMPTY"))
        return "";
    return NULL;
}

static void test_expand(void)
{
    static const char *const cases[][2] = {
        {"$A", "alpha"},          {"${A}x", "alphax"},   {"${B:-def}", "def"},
        {"${EMPTY:-def}", "def"}, {"${EMPTY-def}", ""},  {"${A:+set}", "set"},
        {"${B:+set}", ""},        {"'$A'", "$A"},        {"\"$A b\"", "alpha b"},
        {"\\$A", "$A"},           {"a\\ b", "a b"},      {"$", "$"},
        {"${B:-${A}}", "alpha"},  {"x$A-y", "xalpha-y"}, {"\"a\\\"b\"", "a\"b"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *out = NULL;
        wb_error err = {0};
        int r = wbi_df_expand(cases[i][0], '\\', true, env_get, NULL, &out, &err);
        CHECK(r == 0 && !strcmp(out, cases[i][1]), "expand %s -> %s (want %s) %s", cases[i][0],
              out ? out : "(null)", cases[i][1], err.message);
        free(out);
    }
    char *out = NULL;
    wb_error err = {0};
    CHECK(wbi_df_expand("${B:?must be set}", '\\', true, env_get, NULL, &out, &err) < 0 &&
              strstr(err.message, "must be set"),
          "${B:?} fails: %s", err.message);
    CHECK(wbi_df_expand("\"open", '\\', true, env_get, NULL, &out, &err) < 0, "unterminated quote");
}

static int parse(const char *text, wbi_dockerfile *df, wb_error *err)
{
    return wbi_dockerfile_parse(text, strlen(text), "Dockerfile", df, err);
}

static void test_dockerfile(void)
{
    wbi_dockerfile df;
    wb_error err = {0};
    const char *good = "# syntax=docker/dockerfile:1\n"
                       "# escape=\\\n"
                       "ARG BASE=scratch\n"
                       "FROM $BASE AS build\n"
                       "# a comment\n"
                       "COPY --chown=1:2 a.wasm \\\n"
                       "  # comment inside a continuation\n"
                       "     /app/\n"
                       "\n"
                       "ENV A=1 B=\"two words\"\n"
                       "ENV LEGACY value with spaces\n"
                       "LABEL org.x=y \"k k\"=v\n"
                       "copy [\"x y\", \"/z/\"]\n"
                       "ENTRYPOINT [\"/app/a.wasm\", \"--flag\"]\n"
                       "CMD echo hi\n"
                       "EXPOSE 80 53/udp\n"
                       "RUN make\n";
    int r = parse(good, &df, &err);
    CHECK(r == 0, "parse good Dockerfile: %s", err.message);
    if (r == 0) {
        CHECK(df.n == 11, "instruction count %zu", df.n);
        CHECK(df.v[1].kind == DF_FROM && df.v[1].line == 4 && !strcmp(df.v[1].words[2], "build"),
              "FROM AS");
        CHECK(df.v[2].kind == DF_COPY && df.v[2].line == 6 &&
                  !strcmp(df.v[2].flags[0], "--chown=1:2") && !strcmp(df.v[2].words[1], "/app/"),
              "COPY with flags and continuation: %s", df.v[2].rest);
        CHECK(df.v[3].n_kvs == 2 && !strcmp(df.v[3].kvs[1].value, "\"two words\""), "ENV pairs");
        CHECK(df.v[4].n_kvs == 1 && !strcmp(df.v[4].kvs[0].value, "value with spaces"),
              "ENV legacy");
        CHECK(df.v[5].n_kvs == 2 && !strcmp(df.v[5].kvs[1].key, "\"k k\""), "LABEL");
        CHECK(df.v[6].json && !strcmp(df.v[6].words[0], "x y"), "COPY json form");
        CHECK(df.v[7].json && !strcmp(df.v[7].words[1], "--flag"), "ENTRYPOINT exec form");
        CHECK(!df.v[8].json, "CMD shell form recorded");
        CHECK(df.v[10].kind == DF_UNSUPPORTED && df.v[10].line == 17, "RUN recorded with its line");
        wbi_dockerfile_free(&df);
    }
    static const char *const bad[][2] = {
        {"FROM scratch\nFOO bar\n", "Dockerfile:2: unknown instruction: FOO"},
        {"COPY a b\n", "Dockerfile:1: COPY before the first FROM"},
        {"FROM a b\n", "Dockerfile:1: FROM requires"},
        {"FROM scratch\nCOPY a\n", "Dockerfile:2: COPY requires at least two"},
        {"FROM scratch\nENV\n", "Dockerfile:2: ENV requires at least one"},
        {"FROM scratch\nENV =x\n", "Dockerfile:2: ENV"},
        {"FROM scratch\nLABEL a=\"b\n", "Dockerfile:2: unterminated"},
        {"", "no instructions"},
        {"# only a comment\n", "no instructions"},
        {"ARG X\n", "no FROM"},
        {"FROM scratch\n\0RUN\n", "NUL byte"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t len = strlen(bad[i][0]);
        if (strstr(bad[i][1], "NUL"))
            len = 18;
        memset(&err, 0, sizeof err);
        r = wbi_dockerfile_parse(bad[i][0], len, "Dockerfile", &df, &err);
        CHECK(r < 0 && strstr(err.message, bad[i][1]),
              "error for case %zu: got \"%s\", want \"%s\"", i, err.message, bad[i][1]);
        if (r == 0)
            wbi_dockerfile_free(&df);
    }
    r = parse("# escape=`\nFROM scratch\nCOPY a `\n  /b\n", &df, &err);
    CHECK(r == 0 && df.n == 2 && !strcmp(df.v[1].words[1], "/b"), "escape directive: %s",
          err.message);
    if (r == 0)
        wbi_dockerfile_free(&df);
}

static void test_match(void)
{
    static const struct {
        const char *pat, *path;
        bool ds, want;
    } cases[] = {
        {"*.wasm", "a.wasm", false, true},
        {"*.wasm", "d/a.wasm", false, false},
        {"d/*.wasm", "d/a.wasm", false, true},
        {"?.c", "a.c", false, true},
        {"[a-c].c", "b.c", false, true},
        {"[^a-c].c", "b.c", false, false},
        {"[!a-c].c", "d.c", false, true},
        {"**/x", "a/b/x", true, true},
        {"**/x", "x", true, true},
        {"a/**", "a/b/c", true, true},
        {"a/**/b", "a/b", true, true},
        {"a/**/b", "a/x/y/b", true, true},
        {"**", "anything/at/all", true, true},
        {"\\*", "*", false, true},
        {"\\*", "a", false, false},
        {"[", "[", false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        CHECK(wbi_match(cases[i].pat, cases[i].path, cases[i].ds) == cases[i].want, "match %s %s",
              cases[i].pat, cases[i].path);
    wbi_ignore ig;
    CHECK(wbi_ignore_parse("# comment\n*.o\nbuild\n!build/keep.wasm\n/abs\n**/*.tmp\n", &ig,
                           NULL) == 0,
          "ignore parse");
    CHECK(wbi_ignored(&ig, "x.o"), "*.o");
    CHECK(!wbi_ignored(&ig, "d/x.o"), "*.o is top-level only");
    CHECK(wbi_ignored(&ig, "build/a"), "dir excludes contents");
    CHECK(!wbi_ignored(&ig, "build/keep.wasm"), "exception");
    CHECK(wbi_ignored(&ig, "abs"), "leading slash");
    CHECK(wbi_ignored(&ig, "a/b/c.tmp"), "**");
    CHECK(!wbi_ignored(&ig, "hello.wasm"), "not ignored");
    wbi_ignore_free(&ig);
}

static void test_paths(void)
{
    char out[256];
    CHECK(wbi_path_clean("/./a//b/", out, sizeof out, NULL) == 0 && !strcmp(out, "a/b"), "clean %s",
          out);
    CHECK(wbi_path_clean("./", out, sizeof out, NULL) == 0 && !strcmp(out, ""), "clean root");
    CHECK(wbi_path_clean("a/../b", out, sizeof out, NULL) < 0, "reject ..");
    CHECK(wbi_path_clean_dots("a/../b", out, sizeof out) == 0 && !strcmp(out, "b"), "dots %s", out);
    CHECK(wbi_path_clean_dots("../b", out, sizeof out) < 0, "dots escape");
    CHECK(wbi_symlink_inside("a/b", "../c"), "inside");
    CHECK(!wbi_symlink_inside("a/b", "../../c"), "outside");
    CHECK(wbi_symlink_inside("a", "/etc/passwd"), "absolute is rooted");
    CHECK(!wbi_symlink_inside("a", ".."), "root's parent");
}

/* `unit bench ROOT N`: lookup + config of N images, averaged. */
static int bench(const char *root, int n)
{
    wb_image_store *s;
    wb_error err = {0};
    if (wb_image_store_open(root, &s, &err) < 0) {
        fprintf(stderr, "bench: %s\n", err.message);
        return 1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rounds = 200;
    for (int i = 0; i < rounds; i++) {
        char name[64];
        snprintf(name, sizeof name, "bench/img%d:latest", 1 + (i * 7919) % n);
        wb_image_ref ref;
        wb_image_config *c;
        if (wb_image_lookup(s, name, &ref, &err) < 0 ||
            wb_image_config_read(s, &ref, &c, &err) < 0) {
            fprintf(stderr, "bench: %s\n", err.message);
            wb_image_store_close(s);
            return 1;
        }
        wb_image_config_free(c);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double us =
        ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3 / rounds;
    printf("lookup+config with %d images: %.1f us per image (mean of %d)\n", n, us, rounds);
    wb_image_store_close(s);
    return 0;
}

/* `unit extract ROOT REF DIR`: wb_image_extract_rootfs, for the shell tests. */
static int extract(const char *root, const char *ref, const char *dir)
{
    wb_image_store *s = NULL;
    wb_error err = {0};
    wb_image_ref img;
    wb_image_config *c = NULL;
    int ret = wb_image_store_open(root, &s, &err);
    if (ret == 0)
        ret = wb_image_lookup(s, ref, &img, &err);
    if (ret == 0)
        ret = wb_image_config_read(s, &img, &c, &err);
    if (ret == 0)
        ret = wb_image_extract_rootfs(s, &img, dir, &err);
    if (ret == 0)
        printf("entrypoint=%s workdir=%s os=%s arch=%s\n", c->entrypoint[0] ? c->entrypoint[0] : "",
               c->workdir, c->os, c->architecture);
    else
        fprintf(stderr, "extract: %s\n", err.message);
    wb_image_config_free(c);
    if (s)
        wb_image_store_close(s);
    return ret < 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "bench"))
        return bench(argv[2], atoi(argv[3]));
    if (argc == 5 && !strcmp(argv[1], "extract"))
        return extract(argv[2], argv[3], argv[4]);
    test_refs();
    test_expand();
    test_dockerfile();
    test_match();
    test_paths();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
