/*
 * match.c — glob matching and .dockerignore rules (see match.h), written as a small
 * backtracking matcher rather than a translation to regular expressions. Each
 * (pattern position, path position) pair that failed once is remembered, so patterns
 * like "*a*a*a*a*b" cost O(pattern x path) instead of exponential time.
 */
#include "match.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer.h"

bool wbi_has_glob(const char *s)
{
    return strpbrk(s, "*?[\\") != NULL;
}

/* Matches one character class at *pp (just after '['); advances *pp past ']'. */
static bool match_class(const char **pp, char c, bool *ok)
{
    const char *p = *pp;
    bool negate = *p == '^' || *p == '!';
    if (negate)
        p++;
    bool hit = false, first = true;
    while (*p && (*p != ']' || first)) {
        first = false;
        char lo = *p == '\\' && p[1] ? *++p : *p;
        p++;
        char hi = lo;
        if (*p == '-' && p[1] && p[1] != ']') {
            p++;
            hi = *p == '\\' && p[1] ? *++p : *p;
            p++;
        }
        if (c >= lo && c <= hi)
            hit = true;
    }
    if (*p != ']') {
        *ok = false; /* malformed pattern: matches nothing */
        return false;
    }
    *pp = p + 1;
    return hit != negate;
}

typedef struct matcher {
    const char *pat, *str;
    size_t slen;
    bool ds;
    unsigned char *failed; /* bit (p * (slen + 1) + s): known not to match */
} matcher;

static bool match_here(matcher *m, const char *p, const char *s, int depth);

/* match_here with memory of failures (only where recursion happens). */
static bool match_at(matcher *m, const char *p, const char *s, int depth)
{
    size_t bit = (size_t)(p - m->pat) * (m->slen + 1) + (size_t)(s - m->str);
    if (m->failed && (m->failed[bit / 8] >> (bit % 8)) & 1)
        return false;
    bool r = match_here(m, p, s, depth);
    if (!r && m->failed)
        m->failed[bit / 8] |= (unsigned char)(1u << (bit % 8));
    return r;
}

static bool match_here(matcher *m, const char *p, const char *s, int depth)
{
    bool ds = m->ds;
    if (depth > 64)
        return false;
    while (*p) {
        switch (*p) {
        case '*':
            if (ds && p[1] == '*') {
                const char *rest = p + 2;
                bool dirs = *rest == '/'; /* "**" + "/": zero or more whole directories */
                if (dirs)
                    rest++;
                for (const char *t = s;; t++) {
                    if ((!dirs || t == s || t[-1] == '/') && match_at(m, rest, t, depth + 1))
                        return true;
                    if (!*t)
                        return false;
                }
            }
            for (const char *t = s;; t++) {
                if (match_at(m, p + 1, t, depth + 1))
                    return true;
                if (!*t || *t == '/')
                    return false;
            }
        case '?':
            if (!*s || *s == '/')
                return false;
            p++;
            s++;
            break;
        case '[': {
            bool ok = true;
            p++;
            if (!*s || *s == '/' || !match_class(&p, *s, &ok) || !ok)
                return false;
            s++;
            break;
        }
        case '\\':
            if (p[1])
                p++;
            /* fall through */
        default:
            if (*p != *s)
                return false;
            p++;
            s++;
        }
    }
    return *s == 0;
}

bool wbi_match(const char *pattern, const char *path, bool doublestar)
{
    matcher m = {.pat = pattern, .str = path, .slen = strlen(path), .ds = doublestar};
    size_t bits = (strlen(pattern) + 1) * (m.slen + 1);
    if (strchr(pattern, '*'))
        m.failed = calloc(bits / 8 + 1, 1); /* without it (OOM): plain backtracking */
    bool r = match_here(&m, pattern, path, 0);
    free(m.failed);
    return r;
}

int wbi_ignore_parse(const char *text, wbi_ignore *out, wb_error *err)
{
    memset(out, 0, sizeof *out);
    const char *p = text;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[PATH_MAX];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), p);
        p = nl ? nl + 1 : NULL;
        char *s = line, *e = line + strlen(line);
        while (e > s && isspace((unsigned char)e[-1]))
            *--e = 0;
        while (isspace((unsigned char)*s))
            s++;
        if (!*s || *s == '#')
            continue;
        bool negate = *s == '!';
        if (negate)
            for (s++; isspace((unsigned char)*s); s++)
                ;
        char clean[PATH_MAX];
        if (wbi_path_clean(s, clean, sizeof clean, NULL) < 0 || !clean[0])
            continue; /* ".." and "." rules can match nothing inside the context */
        wbi_ignore_rule *v = realloc(out->v, (out->n + 1) * sizeof *v);
        if (!v || !(v[out->n].pattern = strdup(clean))) {
            if (v)
                out->v = v;
            wbi_ignore_free(out);
            return wb_error_oom(err);
        }
        v[out->n].negate = negate;
        out->v = v;
        out->n++;
        out->has_negations |= negate;
    }
    return 0;
}

void wbi_ignore_free(wbi_ignore *ig)
{
    for (size_t i = 0; i < ig->n; i++)
        free(ig->v[i].pattern);
    free(ig->v);
    ig->v = NULL;
    ig->n = 0;
}

/* The rule matches the path or one of its parent directories. */
static bool rule_matches(const char *pattern, const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (;;) {
        if (wbi_match(pattern, buf, true))
            return true;
        char *slash = strrchr(buf, '/');
        if (!slash)
            return false;
        *slash = 0;
    }
}

bool wbi_ignored(const wbi_ignore *ig, const char *path)
{
    bool excluded = false;
    for (size_t i = 0; i < ig->n; i++)
        if (excluded == ig->v[i].negate && rule_matches(ig->v[i].pattern, path))
            excluded = !ig->v[i].negate;
    return excluded;
}
