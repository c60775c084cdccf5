/*
 * dockerfile.h — parsing Dockerfiles, and the shell-like word expansion docker applies
 * to instruction arguments.
 *
 * The parser only finds structure: instructions with their line numbers, flags,
 * unexpanded words, JSON (exec) forms, and key/value pairs. Variable substitution
 * depends on build state (ARG/ENV values at that point), so the builder calls
 * wbi_df_expand() per word as it executes each instruction.
 */
#ifndef WB_IMAGE_DOCKERFILE_H
#define WB_IMAGE_DOCKERFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "wasmbox/error.h"

typedef enum wbi_df_kind {
    DF_FROM,
    DF_COPY,
    DF_ADD,
    DF_ENTRYPOINT,
    DF_CMD,
    DF_ENV,
    DF_WORKDIR,
    DF_LABEL,
    DF_ARG,
    DF_EXPOSE,
    DF_USER,
    DF_UNSUPPORTED, /* RUN, VOLUME, HEALTHCHECK, ...: known to docker, impossible here */
} wbi_df_kind;

typedef struct wbi_df_kv {
    char *key;   /* unexpanded */
    char *value; /* unexpanded; NULL for "ARG NAME" without a default */
} wbi_df_kv;

typedef struct wbi_df_instr {
    wbi_df_kind kind;
    int line;       /* first line of the instruction, 1-based */
    char *keyword;  /* upper case: "COPY" */
    char *text;     /* "COPY a /b": keyword and arguments on one line (for history) */
    char *rest;     /* the arguments, continuation lines joined */
    char **flags;   /* leading --name[=value] words (FROM, COPY, ADD) */
    char **words;   /* remaining words, unexpanded (quotes kept) */
    bool json;      /* words came from a JSON array (exec form) */
    wbi_df_kv *kvs; /* ENV, LABEL, ARG */
    size_t n_kvs;
} wbi_df_instr;

typedef struct wbi_dockerfile {
    wbi_df_instr *v;
    size_t n;
    char escape;   /* '\\' or '`' (# escape= directive) */
    char name[64]; /* file name used in messages ("Dockerfile") */
} wbi_dockerfile;

/* Parses `len` bytes. Errors read "Dockerfile:LINE: what went wrong". */
int wbi_dockerfile_parse(const char *text, size_t len, const char *name, wbi_dockerfile *out,
                         wb_error *err);
void wbi_dockerfile_free(wbi_dockerfile *df);

/* Variable lookup for expansion: returns the value or NULL when unset. */
typedef const char *(*wbi_df_getenv)(void *ctx, const char *name);

/* Expands $VAR, ${VAR}, ${VAR:-word}, ${VAR-word}, ${VAR:+word}, ${VAR+word} and
 * ${VAR:?message} in `word`. With `quotes`, also removes quotes and escape characters
 * the way a shell word is read (single quotes literal, double quotes expand). */
int wbi_df_expand(const char *word, char escape, bool quotes, wbi_df_getenv get, void *ctx,
                  char **out, wb_error *err);
/* Splits on unquoted whitespace (quotes and escapes are kept for wbi_df_expand). */
int wbi_df_split(const char *s, char escape, char ***words, wb_error *err);

#endif
