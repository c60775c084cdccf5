/*
 * match.h — shell-style patterns as docker uses them: COPY/ADD source globs (Go's
 * filepath.Match: *, ?, [a-z], [^a-z], \x, never crossing "/") and .dockerignore
 * rules (the same plus "**" for any number of directories, "!" exceptions, last
 * matching rule wins, a rule matching a directory excludes everything under it).
 */
#ifndef WB_IMAGE_MATCH_H
#define WB_IMAGE_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "wasmbox/error.h"

/* True when `pattern` matches all of `path`. `doublestar` enables "**". */
bool wbi_match(const char *pattern, const char *path, bool doublestar);
/* True when `s` contains a glob metacharacter. */
bool wbi_has_glob(const char *s);

typedef struct wbi_ignore_rule {
    char *pattern;
    bool negate;
} wbi_ignore_rule;

typedef struct wbi_ignore {
    wbi_ignore_rule *v;
    size_t n;
    bool has_negations;
} wbi_ignore;

/* Parses .dockerignore text (a missing file is an empty rule set). */
int wbi_ignore_parse(const char *text, wbi_ignore *out, wb_error *err);
void wbi_ignore_free(wbi_ignore *ig);
/* True when the context-relative path is excluded. */
bool wbi_ignored(const wbi_ignore *ig, const char *path);

#endif
