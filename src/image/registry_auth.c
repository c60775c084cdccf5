/*
 * registry_auth.c — how the client proves who it is, per the distribution spec's
 * token flow and plain basic auth.
 *
 * The first request to a registry is the ping, GET /v2/. It also settles the scheme:
 * https, or (for an insecure registry only) plain http when TLS does not work. A 401
 * answer carries a WWW-Authenticate challenge:
 *   Basic  -> every request carries "Authorization: Basic base64(user:pass)";
 *   Bearer -> for each scope ("repository:wbx/hello:pull,push") the client asks the
 *             realm for a token (GET realm?service=S&scope=..., with basic credentials
 *             when it has some, anonymously otherwise), caches it until it expires and
 *             sends "Authorization: Bearer <token>".
 * A 401 on a later request (a scope the cached token lacks, an expired token, a
 * registry that only challenges some paths) is answered once: learn the challenge,
 * fetch a fresh token for the union of the scopes, retry.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "registry_internal.h"

static int ping_at(wbr_client *c, const char *scheme, wbr_resp *resp, wb_error *err)
{
    snprintf(c->base, sizeof c->base, "%s://%s", scheme, c->endpoint);
    wbr_req r = {.method = "GET", .url = "/v2/", .follow = true, .no_auth = true};
    return wbr_perform(c, &r, NULL, resp, err);
}

int wbr_ping(wbr_client *c, wb_error *err)
{
    wbr_resp resp;
    int ret = ping_at(c, "https", &resp, err);
    if (ret < 0 && c->insecure) {
        wbr_resp_free(&resp);
        ret = ping_at(c, "http", &resp, err);
    }
    if (ret < 0) {
        wbr_resp_free(&resp);
        return wb_error_prefix(err, "registry %s", c->domain);
    }
    if (resp.status == 401) {
        wbr_challenge_free(&c->chal);
        if (wbr_challenge_parse(resp.www_auth, &c->chal) < 0) {
            wbr_resp_free(&resp);
            return wb_error_set(err, "registry %s: asks for authentication in a way wasmbox does not know "
                                     "(WWW-Authenticate is neither Basic nor Bearer)", c->domain);
        }
    } else if (resp.status != 200) {
        wbr_req r = {.method = "GET", .url = "/v2/"};
        wbr_status_error(c, &r, &resp, err);
        wbr_resp_free(&resp);
        return wb_error_prefix(err, "registry %s is not a registry API v2 endpoint", c->domain);
    }
    wbr_resp_free(&resp);
    c->pinged = true;
    return 0;
}

static wbr_token *find_token(wbr_client *c, const char *scope)
{
    time_t now = time(NULL);
    for (size_t i = 0; i < c->n_tokens; i++)
        if (!strcmp(c->tokens[i].scope, scope ? scope : "") && c->tokens[i].expires > now)
            return &c->tokens[i];
    return NULL;
}

static void drop_token(wbr_client *c, const char *scope)
{
    for (size_t i = 0; i < c->n_tokens; i++) {
        if (strcmp(c->tokens[i].scope, scope ? scope : ""))
            continue;
        free(c->tokens[i].scope);
        wbr_secret_free(c->tokens[i].value);
        c->tokens[i] = c->tokens[--c->n_tokens];
        return;
    }
}

/* The token URL: realm?service=S&scope=A&scope=B&account=U. */
static char *token_url(wbr_client *c, const char *scopes)
{
    char *url = strdup(c->chal.realm);
    if (url && c->chal.service) {
        char *u = wbr_url_param(url, "service", c->chal.service);
        free(url);
        url = u;
    }
    const char *p = scopes ? scopes : "";
    while (url && *p) {
        const char *e = strchr(p, ' ');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        _cleanup_free_ char *one = strndup(p, n);
        char *u = one && n ? wbr_url_param(url, "scope", one) : (one ? strdup(url) : NULL);
        free(url);
        url = u;
        p += n;
        while (*p == ' ')
            p++;
    }
    if (url && c->user) {
        char *u = wbr_url_param(url, "account", c->user);
        free(url);
        url = u;
    }
    return url;
}

/* Asks the realm for a token covering `scopes` and caches it under `key`. */
static int fetch_token(wbr_client *c, const char *scopes, const char *key, wb_error *err)
{
    const char *realm = c->chal.realm;
    if (!realm || (strncmp(realm, "https://", 8) && strncmp(realm, "http://", 7)))
        return wb_error_set(err, "registry %s: the token realm \"%s\" is not an http(s) URL", c->domain,
                            realm ? realm : "");
    _cleanup_free_ char *url = token_url(c, scopes);
    char *basic = c->user ? wbr_basic_token(c->user, c->pass) : NULL;
    char *auth = basic ? wbi_strdup_printf("Basic %s", basic) : NULL;
    wbr_secret_free(basic);
    if (!url || (c->user && !auth)) {
        wbr_secret_free(auth);
        return wb_error_oom(err);
    }
    wbr_req r = {.method = "GET", .url = url, .follow = true, .no_auth = true};
    wbr_resp resp;
    int ret = wbr_perform(c, &r, auth, &resp, err);
    wbr_secret_free(auth);
    if (ret == 0 && resp.status != 200)
        ret = wbr_status_error(c, &r, &resp, err);
    json_t *j = ret == 0 ? json_loadb(resp.body ? resp.body : "", resp.len, 0, NULL) : NULL;
    const char *tok = wbi_json_str(j, "token");
    if (!tok || !*tok)
        tok = wbi_json_str(j, "access_token");
    if (ret == 0 && (!tok || !*tok))
        ret = wb_error_set(err, "token server %s: the answer holds no token", c->chal.realm);
    if (ret == 0) {
        json_int_t ttl = json_integer_value(json_object_get(j, "expires_in"));
        wbr_token *v = realloc(c->tokens, (c->n_tokens + 1) * sizeof *v);
        if (v) {
            c->tokens = v;
            v[c->n_tokens].scope = strdup(key ? key : "");
            v[c->n_tokens].value = strdup(tok);
            /* minus a margin so that a token does not expire mid-request */
            v[c->n_tokens].expires = time(NULL) + (ttl >= 60 ? ttl : 60) - 10;
            if (v[c->n_tokens].scope && v[c->n_tokens].value)
                c->n_tokens++;
            else {
                free(v[c->n_tokens].scope);
                wbr_secret_free(v[c->n_tokens].value);
                ret = wb_error_oom(err);
            }
        } else {
            ret = wb_error_oom(err);
        }
    }
    if (j) {
        /* the token is secret too */
        json_decref(j);
    }
    if (resp.body)
        explicit_bzero(resp.body, resp.len);
    wbr_resp_free(&resp);
    return ret < 0 ? wb_error_prefix(err, "authentication") : 0;
}

int wbr_auth_header(wbr_client *c, const char *scope, char **out, wb_error *err)
{
    *out = NULL;
    if (c->chal.scheme == WBR_AUTH_BASIC && c->user) {
        char *b = wbr_basic_token(c->user, c->pass);
        *out = b ? wbi_strdup_printf("Basic %s", b) : NULL;
        wbr_secret_free(b);
        return *out ? 0 : wb_error_oom(err);
    }
    if (c->chal.scheme != WBR_AUTH_BEARER)
        return 0;
    wbr_token *t = find_token(c, scope);
    if (!t) {
        if (fetch_token(c, scope, scope, err) < 0)
            return -1;
        t = find_token(c, scope);
    }
    *out = t ? wbi_strdup_printf("Bearer %s", t->value) : NULL;
    return *out ? 0 : wb_error_oom(err);
}

/* "a b" + "b c" -> "a b c" (scopes are space-separated). */
static char *scope_union(const char *a, const char *b)
{
    if (!a || !*a)
        return strdup(b ? b : "");
    if (!b || !*b || strstr(a, b))
        return strdup(a);
    return wbi_strdup_printf("%s %s", a, b);
}

int wbr_auth_retry(wbr_client *c, const wbr_resp *resp, const char *scope, wb_error *err)
{
    wbr_challenge ch;
    if (wbr_challenge_parse(resp->www_auth, &ch) < 0)
        return wb_error_set(err, "no usable challenge");
    int ret = -1;
    if (ch.scheme == WBR_AUTH_BASIC) {
        /* retrying only helps if we have credentials we did not send */
        bool sent = c->chal.scheme == WBR_AUTH_BASIC;
        wbr_challenge_free(&c->chal);
        c->chal = ch;
        return c->user && !sent ? 0 : wb_error_set(err, "credentials refused");
    }
    _cleanup_free_ char *want = scope_union(scope, ch.scope);
    bool had_token = find_token(c, scope) != NULL;
    if (c->chal.scheme != WBR_AUTH_BEARER || had_token || (ch.scope && strcmp(ch.scope, scope ? scope : ""))) {
        wbr_challenge_free(&c->chal);
        c->chal = ch;
        drop_token(c, scope);
        if (want)
            ret = fetch_token(c, want, scope, err);
        return ret;
    }
    wbr_challenge_free(&ch);
    return wb_error_set(err, "token refused");
}
