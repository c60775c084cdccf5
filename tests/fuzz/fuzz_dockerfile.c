/*
 * fuzz_dockerfile.c — libFuzzer target for the Dockerfile reader: the parser
 * (directives, continuations, JSON forms, ENV/LABEL pairs), the word expansion the
 * builder applies to every argument, and the .dockerignore/glob matcher fed the same
 * bytes. Any crash, leak, hang or sanitizer report is a bug: untrusted Dockerfiles
 * must only ever produce an error line.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile.h"
#include "match.h"

static const char *getenv_fuzz(void *ctx, const char *name)
{
    (void)ctx;
    return name[0] == 'A' ? "value with spaces" : name[0] == 'E' ? "" : NULL;
}

static void expand_all(const wbi_dockerfile *df)
{
    for (size_t i = 0; i < df->n; i++) {
        const wbi_df_instr *in = &df->v[i];
        for (char **w = in->words; w && *w; w++) {
            char *out = NULL;
            if (wbi_df_expand(*w, df->escape, !in->json, getenv_fuzz, NULL, &out, NULL) == 0)
                free(out);
        }
        for (size_t k = 0; k < in->n_kvs; k++) {
            char *out = NULL;
            if (in->kvs[k].value && wbi_df_expand(in->kvs[k].value, df->escape, true, getenv_fuzz,
                                                  NULL, &out, NULL) == 0)
                free(out);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wbi_dockerfile df;
    wb_error err;
    if (wbi_dockerfile_parse((const char *)data, size, "Dockerfile", &df, &err) == 0) {
        expand_all(&df);
        wbi_dockerfile_free(&df);
    }
    /* the same bytes as .dockerignore rules, matched against a few paths */
    if (size < 4096 && !memchr(data, 0, size)) {
        char *text = malloc(size + 1);
        if (!text)
            return 0;
        memcpy(text, data, size);
        text[size] = 0;
        wbi_ignore ig;
        if (wbi_ignore_parse(text, &ig, NULL) == 0) {
            static const char *const paths[] = {"a", "a/b", "dir/sub/file.wasm", "x.tmp",
                                                ".git/config"};
            for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
                (void)wbi_ignored(&ig, paths[i]);
            for (size_t i = 0; i < ig.n && i < 8; i++)
                (void)wbi_match(ig.v[i].pattern, "dir/sub/file.wasm", i & 1);
            wbi_ignore_free(&ig);
        }
        free(text);
    }
    return 0;
}
