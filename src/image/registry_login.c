/*
 * registry_login.c — `wasmbox login` and `logout`.
 *
 * login proves the credentials before it stores them, in whichever way the registry
 * asks: a registry with basic auth must answer GET /v2/ with 200 once they are sent;
 * one with token auth must hand out a token for them (docker's check: the token
 * request without a scope); one without auth accepts anything, as with docker.
 * Only then is the credential file rewritten (auth_file.c: atomic, mode 0600).
 */
#include <stdio.h>
#include <string.h>

#include "registry_internal.h"

int wb_registry_normalize_host(const char *registry, char *buf, size_t len, wb_error *err)
{
    const char *r = registry ? registry : "docker.io";
    if (!strncmp(r, "https://", 8))
        r += 8;
    else if (!strncmp(r, "http://", 7))
        r += 7;
    size_t n = strcspn(r, "/");
    if (n == 0 || n >= len || n >= 256)
        return wb_error_set(err, "invalid registry \"%s\"", registry);
    for (size_t i = 0; i < n; i++) {
        char ch = r[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '-' || ch == ':' || ch == '[' || ch == ']'))
            return wb_error_set(err, "invalid registry \"%s\"", registry);
    }
    snprintf(buf, len, "%.*s", (int)n, r);
    if (!strcmp(buf, "index.docker.io") || !strcmp(buf, "registry-1.docker.io"))
        snprintf(buf, len, "docker.io");
    return 0;
}

int wb_registry_auth_file(const wb_registry_options *o, char *buf, size_t len, wb_error *err)
{
    return wbr_auth_path(o ? o->auth_file : NULL, buf, len, err);
}

/* Does the registry accept these credentials? */
static int check(wbr_client *c, wb_error *err)
{
    if (wbr_ping(c, err) < 0)
        return -1;
    if (c->chal.scheme == WBR_AUTH_NONE)
        return 0;
    if (c->chal.scheme == WBR_AUTH_BEARER) {
        char *h = NULL;
        int ret = wbr_auth_header(c, NULL, &h, err);
        wbr_secret_free(h);
        return ret;
    }
    wbr_req r = {.method = "GET", .url = "/v2/", .follow = true};
    wbr_resp resp;
    int ret = wbr_request(c, &r, &resp, err);
    if (ret == 0 && resp.status != 200)
        ret = wbr_status_error(c, &r, &resp, err);
    wbr_resp_free(&resp);
    return ret;
}

int wb_registry_login(const char *registry, const char *user, const char *password,
                      const wb_registry_options *o, wb_error *err)
{
    char host[256];
    if (wb_registry_normalize_host(registry, host, sizeof host, err) < 0)
        return -1;
    if (!user || !*user || !password || !*password)
        return wb_error_set(err, "login %s: a user name and a password are needed", host);
    wbr_client *c;
    if (wbr_client_open(host, NULL, o, &c, err) < 0)
        return wb_error_prefix(err, "login %s", host);
    free(c->user);
    wbr_secret_free(c->pass);
    c->user = strdup(user);
    c->pass = strdup(password);
    c->cred_source[0] = 0;
    int ret = c->user && c->pass ? check(c, err) : wb_error_oom(err);
    wbr_client_free(c);
    if (ret == 0)
        ret = wbr_auth_store(o ? o->auth_file : NULL, host, user, password, err);
    return ret < 0 ? wb_error_prefix(err, "login %s", host) : 0;
}

int wb_registry_logout(const char *registry, const wb_registry_options *o, wb_error *err)
{
    const char *file = o ? o->auth_file : NULL;
    char host[256];
    if (registry && wb_registry_normalize_host(registry, host, sizeof host, err) < 0)
        return -1;
    int ret = wbr_auth_store(file, registry ? host : NULL, NULL, NULL, err);
    if (ret < 0)
        return wb_error_prefix(err, "logout");
    if (ret == 0)
        return 0;
    if (!registry)
        return wb_error_set(err, "logout: not logged in to any registry");
    char *u = NULL, *p = NULL, from[4096] = "";
    wbr_auth_lookup(file, host, NULL, &u, &p, from, sizeof from, NULL);
    free(u);
    wbr_secret_free(p);
    if (from[0])
        return wb_error_set(err, "logout: not logged in to %s with wasmbox; the credentials in %s were "
                                 "stored by another tool (use its logout)", host, from);
    return wb_error_set(err, "logout: not logged in to %s", host);
}
