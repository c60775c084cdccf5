/*
 * auth_challenge.c — the WWW-Authenticate parser (RFC 7235 §4.1), for the two
 * schemes registries use:
 *
 *   Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"
 *   Basic realm="Registry Realm"
 *
 * The header is untrusted input (a libFuzzer target covers it). The grammar is
 *   challenges = challenge *( "," challenge )
 *   challenge  = scheme [ SP ( token68 / auth-param *( "," auth-param ) ) ]
 *   auth-param = token BWS "=" BWS ( token / quoted-string )
 * which is ambiguous only at a comma: what follows is another auth-param when it is a
 * token followed by "=", and a new challenge otherwise.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "registry_internal.h"

/* RFC 7230 tchar */
static bool is_tchar(char c)
{
    return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static const char *skip_token(const char *p)
{
    while (is_tchar(*p))
        p++;
    return p;
}

/* A quoted-string starting at p (on the opening quote): *out gets the unescaped
 * value; returns the position after the closing quote, or NULL. */
static const char *quoted(const char *p, char **out)
{
    size_t cap = strlen(p), n = 0;
    char *v = malloc(cap + 1);
    if (!v)
        return NULL;
    for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1])
            p++;
        v[n++] = *p;
    }
    if (*p != '"') {
        free(v);
        return NULL;
    }
    v[n] = 0;
    *out = v;
    return p + 1;
}

/* True when p starts "token BWS '=' BWS value" (an auth-param, not a token68 or a
 * new challenge). */
static bool at_param(const char *p)
{
    const char *e = skip_token(p);
    if (e == p)
        return false;
    e = skip_ws(e);
    if (*e != '=')
        return false;
    e = skip_ws(e + 1);
    return *e == '"' || is_tchar(*e);
}

static char **param_slot(wbr_challenge *c, const char *name, size_t n)
{
    static const struct {
        const char *name;
        size_t off;
    } known[] = {
        {"realm", offsetof(wbr_challenge, realm)},
        {"service", offsetof(wbr_challenge, service)},
        {"scope", offsetof(wbr_challenge, scope)},
        {"error", offsetof(wbr_challenge, error)},
    };
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (strlen(known[i].name) == n && !strncasecmp(name, known[i].name, n))
            return (char **)((char *)c + known[i].off);
    return NULL;
}

/* Parses the auth-params after a scheme into c (when c is not NULL); returns where
 * the next challenge starts, or NULL on a syntax error / OOM. */
static const char *params(const char *p, wbr_challenge *c)
{
    p = skip_ws(p);
    if (!at_param(p)) {
        /* token68 (or nothing) */
        while (is_tchar(*p) || *p == '/' || *p == '=')
            p++;
        return skip_ws(p);
    }
    while (at_param(p)) {
        const char *name = p, *e = skip_token(p);
        size_t n = (size_t)(e - name);
        p = skip_ws(skip_ws(e) + 1);
        char *value;
        if (*p == '"') {
            p = quoted(p, &value);
            if (!p)
                return NULL;
        } else {
            const char *v = p;
            p = skip_token(p);
            value = strndup(v, (size_t)(p - v));
            if (!value)
                return NULL;
        }
        char **slot = c ? param_slot(c, name, n) : NULL;
        if (slot && !*slot)
            *slot = value;
        else
            free(value);
        p = skip_ws(p);
        if (*p != ',')
            break;
        const char *q = skip_ws(p + 1);
        while (*q == ',')
            q = skip_ws(q + 1);
        if (!at_param(q))
            break; /* a new challenge after the comma */
        p = q;
    }
    return p;
}

void wbr_challenge_free(wbr_challenge *c)
{
    free(c->realm);
    free(c->service);
    free(c->scope);
    free(c->error);
    memset(c, 0, sizeof *c);
}

int wbr_challenge_parse(const char *header, wbr_challenge *out)
{
    memset(out, 0, sizeof *out);
    if (!header)
        return -1;
    const char *p = header;
    wbr_challenge basic = {0};
    bool have_basic = false;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *scheme = p, *e = skip_token(p);
        if (e == p)
            break; /* garbage: stop, keep what we have */
        size_t n = (size_t)(e - scheme);
        wbr_challenge cur = {0};
        bool bearer = n == 6 && !strncasecmp(scheme, "bearer", 6);
        bool is_basic = n == 5 && !strncasecmp(scheme, "basic", 5);
        bool keep = (bearer && out->scheme == WBR_AUTH_NONE) || (is_basic && !have_basic);
        const char *next = params(e, keep ? &cur : NULL);
        if (!next) {
            wbr_challenge_free(&cur);
            break;
        }
        if (keep && bearer) {
            *out = cur;
            out->scheme = WBR_AUTH_BEARER;
        } else if (keep) {
            basic = cur;
            basic.scheme = WBR_AUTH_BASIC;
            have_basic = true;
        }
        if (next == p)
            break;
        p = next;
    }
    if (out->scheme == WBR_AUTH_BEARER) {
        wbr_challenge_free(&basic);
        return 0;
    }
    if (have_basic) {
        *out = basic;
        return 0;
    }
    return -1;
}
