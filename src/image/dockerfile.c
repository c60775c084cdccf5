/*
 * dockerfile.c — the Dockerfile reader (see dockerfile.h), following docker's own
 * parser: parser directives (# syntax=, # escape=, # check=) at the very top,
 * comments, blank lines, line continuations with the escape character (comment lines
 * inside a continuation are dropped), case-insensitive keywords, JSON (exec) forms,
 * and ENV/LABEL's two spellings (KEY=VALUE pairs, or the legacy "KEY VALUE").
 * Every error names the file and the instruction's first line.
 */
#include "dockerfile.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- growable strings and vectors ---- */

typedef struct sbuf {
    char *s;
    size_t n, cap;
} sbuf;

static int sb_putn(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns)
            return -1;
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
    return 0;
}

static int sb_putc(sbuf *b, char c)
{
    return sb_putn(b, &c, 1);
}

/* Returns the string (never NULL on success: "" for nothing) and resets b. */
static char *sb_take(sbuf *b)
{
    char *s = b->s ? b->s : strdup("");
    b->s = NULL;
    b->n = b->cap = 0;
    return s;
}

static int strv_push(char ***v, size_t *n, char *s)
{
    char **nv = realloc(*v, (*n + 2) * sizeof *nv);
    if (!nv)
        return -1;
    nv[(*n)++] = s;
    nv[*n] = NULL;
    *v = nv;
    return 0;
}

static size_t strv_len(char **v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

static void strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* ---- words ---- */

int wbi_df_split(const char *s, char esc, char ***words, wb_error *err)
{
    char **v = NULL;
    size_t n = 0;
    sbuf b = {0};
    bool in_word = false;
    char quote = 0;
    for (const char *p = s;; p++) {
        char c = *p;
        if (!c || (!quote && isspace((unsigned char)c))) {
            if (quote) {
                free(b.s);
                strv_free(v);
                return wb_error_set(err, "unterminated %s quote in \"%s\"",
                                    quote == '"' ? "double" : "single", s);
            }
            if (in_word && strv_push(&v, &n, sb_take(&b)) < 0)
                goto oom;
            in_word = false;
            if (!c)
                break;
            continue;
        }
        in_word = true;
        if (c == esc && quote != '\'' && p[1]) {
            if (sb_putc(&b, c) < 0 || sb_putc(&b, p[1]) < 0)
                goto oom;
            p++;
            continue;
        }
        if ((c == '"' || c == '\'') && (!quote || quote == c))
            quote = quote ? 0 : c;
        if (sb_putc(&b, c) < 0)
            goto oom;
    }
    if (!v && !(v = calloc(1, sizeof *v)))
        goto oom;
    *words = v;
    return 0;
oom:
    free(b.s);
    strv_free(v);
    return wb_error_oom(err);
}

typedef struct expander {
    char esc;
    wbi_df_getenv get;
    void *ctx;
    wb_error *err;
    int depth;
} expander;

static int expand_into(expander *x, const char *w, size_t len, bool quotes, sbuf *out);

static bool name_start(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

static bool name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* ${...} starting at p (just after "${"); *end gets the position after the "}". */
static int expand_braced(expander *x, const char *p, const char *limit, const char **end, sbuf *out)
{
    const char *q = p;
    while (q < limit && name_char(*q))
        q++;
    if (q == p || !name_start(*p))
        return wb_error_set(x->err, "bad substitution \"${%.*s\"", (int)(limit - p), p);
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)(q - p), p);
    const char *val = x->get(x->ctx, name);
    if (q < limit && *q == '}') {
        *end = q + 1;
        return val ? sb_putn(out, val, strlen(val)) : 0;
    }
    bool colon = q < limit && *q == ':';
    if (colon)
        q++;
    char op = q < limit ? *q : 0;
    if (op != '-' && op != '+' && op != '?')
        return wb_error_set(x->err, "unsupported modifier in \"${%.*s\"", (int)(limit - p), p);
    const char *word = ++q;
    int depth = 1;
    for (; q < limit && depth; q++) {
        if (*q == '{' && q > word && q[-1] == '$')
            depth++;
        else if (*q == '}')
            depth--;
    }
    if (depth)
        return wb_error_set(x->err, "missing \"}\" in \"${%.*s\"", (int)(limit - p), p);
    *end = q;
    size_t wlen = (size_t)(q - 1 - word);
    bool set = val && (!colon || *val);
    if (op == '?' && !set)
        return wb_error_set(x->err, "%s: %.*s", name, (int)wlen, wlen ? word : "is not set");
    if (op == '?' || (op == '-' && set))
        return val ? sb_putn(out, val, strlen(val)) : 0;
    if ((op == '-' && !set) || (op == '+' && set)) {
        if (++x->depth > 16)
            return wb_error_set(x->err, "substitutions nested too deeply");
        int r = expand_into(x, word, wlen, false, out);
        x->depth--;
        return r;
    }
    return 0;
}

/* A "$" at p: a variable, or a literal dollar sign. */
static int expand_dollar(expander *x, const char *p, const char *limit, const char **end, sbuf *out)
{
    if (p + 1 < limit && p[1] == '{')
        return expand_braced(x, p + 2, limit, end, out);
    const char *q = p + 1;
    if (q < limit && name_start(*q)) {
        while (q < limit && name_char(*q))
            q++;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(q - p - 1), p + 1);
        const char *val = x->get(x->ctx, name);
        *end = q;
        return val ? sb_putn(out, val, strlen(val)) : 0;
    }
    *end = p + 1;
    return sb_putc(out, '$');
}

static int expand_into(expander *x, const char *w, size_t len, bool quotes, sbuf *out)
{
    const char *p = w, *limit = w + len;
    char quote = 0;
    while (p < limit) {
        char c = *p;
        if (quotes && c == x->esc && quote != '\'' && p + 1 < limit) {
            /* inside double quotes only \" \$ and the escape itself are escapes */
            if (quote == '"' && p[1] != '"' && p[1] != '$' && p[1] != x->esc) {
                if (sb_putc(out, c) < 0)
                    return wb_error_oom(x->err);
            }
            if (sb_putc(out, p[1]) < 0)
                return wb_error_oom(x->err);
            p += 2;
            continue;
        }
        if (quotes && (c == '\'' || c == '"') && (!quote || quote == c)) {
            quote = quote ? 0 : c;
            p++;
            continue;
        }
        if (c == '$' && quote != '\'') {
            const char *end;
            if (expand_dollar(x, p, limit, &end, out) < 0)
                return -1;
            p = end;
            continue;
        }
        if (sb_putc(out, c) < 0)
            return wb_error_oom(x->err);
        p++;
    }
    if (quote)
        return wb_error_set(x->err, "unterminated quote in \"%.*s\"", (int)len, w);
    return 0;
}

int wbi_df_expand(const char *word, char escape, bool quotes, wbi_df_getenv get, void *ctx,
                  char **out, wb_error *err)
{
    expander x = {.esc = escape, .get = get, .ctx = ctx, .err = err};
    sbuf b = {0};
    if (expand_into(&x, word, strlen(word), quotes, &b) < 0) {
        free(b.s);
        return -1;
    }
    *out = sb_take(&b);
    return *out ? 0 : wb_error_oom(err);
}

/* ---- instructions ---- */

static const struct {
    const char *name;
    wbi_df_kind kind;
} keywords[] = {
    {"FROM", DF_FROM},
    {"COPY", DF_COPY},
    {"ADD", DF_ADD},
    {"ENTRYPOINT", DF_ENTRYPOINT},
    {"CMD", DF_CMD},
    {"ENV", DF_ENV},
    {"WORKDIR", DF_WORKDIR},
    {"LABEL", DF_LABEL},
    {"ARG", DF_ARG},
    {"EXPOSE", DF_EXPOSE},
    {"USER", DF_USER},
    {"RUN", DF_UNSUPPORTED},
    {"VOLUME", DF_UNSUPPORTED},
    {"STOPSIGNAL", DF_UNSUPPORTED},
    {"HEALTHCHECK", DF_UNSUPPORTED},
    {"SHELL", DF_UNSUPPORTED},
    {"ONBUILD", DF_UNSUPPORTED},
    {"MAINTAINER", DF_UNSUPPORTED},
};

static char *wbi_df_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 2);
    if (!s)
        return NULL;
    memcpy(s, a, la);
    s[la] = ' ';
    memcpy(s + la + 1, b, lb + 1);
    return s;
}

static void instr_free(wbi_df_instr *in)
{
    free(in->keyword);
    free(in->text);
    free(in->rest);
    strv_free(in->flags);
    strv_free(in->words);
    for (size_t i = 0; i < in->n_kvs; i++) {
        free(in->kvs[i].key);
        free(in->kvs[i].value);
    }
    free(in->kvs);
}

void wbi_dockerfile_free(wbi_dockerfile *df)
{
    for (size_t i = 0; i < df->n; i++)
        instr_free(&df->v[i]);
    free(df->v);
    df->v = NULL;
    df->n = 0;
}

typedef struct parser {
    wbi_dockerfile *df;
    wb_error *err;
    int line;
    bool seen_from;
} parser;

static int perr(parser *p, const char *fmt, const char *a, const char *b)
{
    char msg[400];
    snprintf(msg, sizeof msg, fmt, a ? a : "", b ? b : "");
    return wb_error_set(p->err, "%s:%d: %s", p->df->name, p->line, msg);
}

/* A JSON array of strings -> words; false when `s` is not one. */
static bool parse_json_words(const char *s, char ***words)
{
    if (*s != '[')
        return false;
    json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_array(j)) {
        json_decref(j);
        return false;
    }
    size_t n = 0;
    char **v = calloc(1, sizeof *v);
    size_t i;
    json_t *e;
    bool ok = v != NULL;
    json_array_foreach(j, i, e)
    {
        char *dup = ok && json_is_string(e) ? strdup(json_string_value(e)) : NULL;
        if (!dup || strlen(json_string_value(e)) != json_string_length(e) ||
            strv_push(&v, &n, dup) < 0) {
            free(dup);
            ok = false;
            break;
        }
    }
    json_decref(j);
    if (!ok) {
        strv_free(v);
        return false;
    }
    *words = v;
    return true;
}

/* Leading "--flag[=value]" words of `rest`; returns the position after them. */
static const char *take_flags(const char *rest, char ***flags, size_t *n, wb_error *err)
{
    const char *p = rest;
    while (p[0] == '-' && p[1] == '-') {
        size_t len = strcspn(p, " \t");
        char *f = strndup(p, len);
        if (!f || strv_push(flags, n, f) < 0) {
            free(f);
            wb_error_oom(err);
            return NULL;
        }
        p += len;
        while (isspace((unsigned char)*p))
            p++;
    }
    return p;
}

static int add_kv(wbi_df_instr *in, char *key, char *value)
{
    wbi_df_kv *v = realloc(in->kvs, (in->n_kvs + 1) * sizeof *v);
    if (!v) {
        free(key);
        free(value);
        return -1;
    }
    in->kvs = v;
    in->kvs[in->n_kvs].key = key;
    in->kvs[in->n_kvs].value = value;
    in->n_kvs++;
    return 0;
}

/* ENV / LABEL: KEY=VALUE pairs, or the legacy "KEY VALUE WITH SPACES". */
static int parse_name_values(parser *p, wbi_df_instr *in)
{
    char **w = NULL;
    if (wbi_df_split(in->rest, p->df->escape, &w, p->err) < 0)
        return wb_error_prefix(p->err, "%s:%d", p->df->name, p->line);
    int ret = 0;
    if (!w[0]) {
        ret = perr(p, "%s requires at least one argument", in->keyword, NULL);
    } else if (!strchr(w[0], '=')) {
        if (!w[1]) {
            ret = perr(p, "%s %s: missing value (write KEY=VALUE)", in->keyword, w[0]);
        } else {
            const char *v = in->rest + strlen(w[0]);
            while (isspace((unsigned char)*v))
                v++;
            char *key = strdup(w[0]), *val = strdup(v);
            ret = (!key || !val || add_kv(in, key, val) < 0) ? wb_error_oom(p->err) : 0;
            if (!key || !val) {
                free(key);
                free(val);
            }
        }
    } else {
        for (size_t i = 0; w[i] && ret == 0; i++) {
            char *eq = strchr(w[i], '=');
            if (!eq || eq == w[i]) {
                ret = perr(p, "%s: \"%s\" is not KEY=VALUE", in->keyword, w[i]);
                break;
            }
            char *key = strndup(w[i], (size_t)(eq - w[i])), *val = strdup(eq + 1);
            if (!key || !val || add_kv(in, key, val) < 0) {
                if (!key || !val) {
                    free(key);
                    free(val);
                }
                ret = wb_error_oom(p->err);
            }
        }
    }
    strv_free(w);
    return ret;
}

static int parse_args(parser *p, wbi_df_instr *in)
{
    char esc = p->df->escape;
    size_t nflags = 0;
    switch (in->kind) {
    case DF_FROM:
    case DF_COPY:
    case DF_ADD: {
        const char *rest = take_flags(in->rest, &in->flags, &nflags, p->err);
        if (!rest)
            return -1;
        if (in->kind != DF_FROM && parse_json_words(rest, &in->words)) {
            in->json = true;
        } else if (wbi_df_split(rest, esc, &in->words, p->err) < 0) {
            return wb_error_prefix(p->err, "%s:%d", p->df->name, p->line);
        }
        size_t n = strv_len(in->words);
        if (in->kind == DF_FROM && !(n == 1 || (n == 3 && !strcasecmp(in->words[1], "AS"))))
            return perr(p, "FROM requires either one argument or three (FROM image AS name)", NULL,
                        NULL);
        if (in->kind != DF_FROM && n < 2)
            return perr(p, "%s requires at least two arguments: a source and a destination",
                        in->keyword, NULL);
        return 0;
    }
    case DF_ENTRYPOINT:
    case DF_CMD:
        if (parse_json_words(in->rest, &in->words)) {
            in->json = true;
            return 0;
        }
        break;
    case DF_ENV:
    case DF_LABEL:
        return parse_name_values(p, in);
    case DF_ARG:
    case DF_EXPOSE:
        if (wbi_df_split(in->rest, esc, &in->words, p->err) < 0)
            return wb_error_prefix(p->err, "%s:%d", p->df->name, p->line);
        if (!in->words[0])
            return perr(p, "%s requires at least one argument", in->keyword, NULL);
        for (size_t i = 0; in->kind == DF_ARG && in->words[i]; i++) {
            char *eq = strchr(in->words[i], '=');
            char *key =
                eq ? strndup(in->words[i], (size_t)(eq - in->words[i])) : strdup(in->words[i]);
            char *val = eq ? strdup(eq + 1) : NULL;
            if (!key || (eq && !val)) {
                free(key);
                free(val);
                return wb_error_oom(p->err);
            }
            if (add_kv(in, key, val) < 0)
                return wb_error_oom(p->err);
            if (!in->kvs[in->n_kvs - 1].key[0])
                return perr(p, "ARG \"%s\": empty name", in->words[i], NULL);
        }
        return 0;
    default:
        break;
    }
    /* the rest of the line as a single word: WORKDIR, USER, shell-form CMD/ENTRYPOINT */
    size_t nwords = 0;
    char *w = strdup(in->rest);
    if (!w || strv_push(&in->words, &nwords, w) < 0) {
        free(w);
        return wb_error_oom(p->err);
    }
    return 0;
}

/* Parses one logical line (an instruction) that started on p->line. */
static int parse_instruction(parser *p, const char *line)
{
    const char *kw = line;
    size_t kwlen = strcspn(kw, " \t");
    const char *rest = kw + kwlen;
    while (isspace((unsigned char)*rest))
        rest++;
    char keyword[32];
    if (kwlen >= sizeof keyword)
        kwlen = sizeof keyword - 1;
    for (size_t i = 0; i < kwlen; i++)
        keyword[i] = (char)toupper((unsigned char)kw[i]);
    keyword[kwlen] = 0;
    size_t k = 0;
    while (k < sizeof keywords / sizeof *keywords && strcmp(keywords[k].name, keyword))
        k++;
    if (k == sizeof keywords / sizeof *keywords) {
        char shown[40];
        snprintf(shown, sizeof shown, "%.*s", (int)strcspn(kw, " \t"), kw);
        return perr(p, "unknown instruction: %s", shown, NULL);
    }
    wbi_df_kind kind = keywords[k].kind;
    if (kind == DF_FROM)
        p->seen_from = true;
    if (kind != DF_ARG && !p->seen_from)
        return perr(p, "%s before the first FROM (only ARG may come before it)", keyword, NULL);
    if (!*rest && kind != DF_UNSUPPORTED)
        return perr(p, "%s requires at least one argument", keyword, NULL);
    wbi_df_instr *v = realloc(p->df->v, (p->df->n + 1) * sizeof *v);
    if (!v)
        return wb_error_oom(p->err);
    p->df->v = v;
    wbi_df_instr *in = &v[p->df->n++];
    memset(in, 0, sizeof *in);
    in->kind = kind;
    in->line = p->line;
    in->keyword = strdup(keyword);
    in->rest = strdup(rest);
    in->text = *rest ? wbi_df_join(keyword, rest) : strdup(keyword);
    if (!in->keyword || !in->rest || !in->text)
        return wb_error_oom(p->err);
    return kind == DF_UNSUPPORTED ? 0 : parse_args(p, in);
}

/* "# name=value" at the top of the file. */
static bool directive(parser *p, const char *line)
{
    const char *s = line;
    if (*s++ != '#')
        return false;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = 0;
    while (isalpha((unsigned char)s[n]))
        n++;
    const char *eq = s + n;
    while (*eq == ' ' || *eq == '\t')
        eq++;
    if (n == 0 || *eq != '=')
        return false;
    const char *val = eq + 1;
    while (*val == ' ' || *val == '\t')
        val++;
    if (n == 6 && !strncasecmp(s, "escape", 6)) {
        if ((val[0] == '\\' || val[0] == '`') && (!val[1] || isspace((unsigned char)val[1])))
            p->df->escape = val[0];
    }
    return true; /* syntax=, check= and others are tolerated */
}

static char *strip_line(char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
        line[--n] = 0;
    while (*line == ' ' || *line == '\t')
        line++;
    return line;
}

int wbi_dockerfile_parse(const char *text, size_t len, const char *name, wbi_dockerfile *out,
                         wb_error *err)
{
    memset(out, 0, sizeof *out);
    out->escape = '\\';
    snprintf(out->name, sizeof out->name, "%s", name ? name : "Dockerfile");
    parser p = {.df = out, .err = err};
    if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
        text += 3;
        len -= 3;
    }
    const char *nul = memchr(text, 0, len);
    if (nul) {
        int line = 1;
        for (const char *c = text; c < nul; c++)
            line += *c == '\n';
        return wb_error_set(err, "%s:%d: contains a NUL byte (not a text file)", out->name, line);
    }
    char *copy = strndup(text, len);
    if (!copy)
        return wb_error_oom(err);
    bool directives = true, cont = false;
    int ret = 0, lineno = 0;
    sbuf logical = {0};
    char *save = NULL;
    for (char *raw = copy; raw && ret == 0; raw = save) {
        char *nl = strchr(raw, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl)
            *nl = 0;
        lineno++;
        char *line = strip_line(raw);
        if (directives && line[0] == '#' && directive(&p, line))
            continue;
        directives = false;
        if (!line[0] || line[0] == '#')
            continue;
        if (!cont)
            p.line = lineno;
        size_t n = strlen(line);
        cont = line[n - 1] == out->escape;
        if (cont)
            line[--n] = 0;
        if (sb_putn(&logical, line, n) < 0) {
            ret = wb_error_oom(err);
            break;
        }
        if (cont)
            continue;
        char *instr = sb_take(&logical);
        ret = instr ? parse_instruction(&p, strip_line(instr)) : wb_error_oom(err);
        free(instr);
    }
    if (ret == 0 && cont && logical.n) {
        char *instr = sb_take(&logical);
        ret = instr ? parse_instruction(&p, strip_line(instr)) : wb_error_oom(err);
        free(instr);
    }
    free(logical.s);
    free(copy);
    if (ret == 0 && out->n == 0)
        ret = wb_error_set(err, "%s: file with no instructions", out->name);
    if (ret == 0) {
        bool from = false;
        for (size_t i = 0; i < out->n; i++)
            from |= out->v[i].kind == DF_FROM;
        if (!from)
            ret = wb_error_set(err, "%s: no FROM instruction", out->name);
    }
    if (ret < 0)
        wbi_dockerfile_free(out);
    return ret;
}
