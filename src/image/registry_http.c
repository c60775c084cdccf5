/*
 * registry_http.c — HTTP for the registry client: one libcurl easy handle per
 * registry, reused for every request so that connections stay open (keep-alive)
 * across manifests and blobs; proxies come from the environment (http_proxy,
 * https_proxy, no_proxy), which libcurl reads by itself.
 *
 * A request's 2xx body goes either to memory (manifests, tokens: capped, and the
 * transfer stops the moment the cap is passed, so a 100 MB "manifest" costs 4 MiB at
 * most) or to a sink (blobs, streamed to disk while hashed). Bodies of other statuses
 * are kept (64 KiB at most) for the error line, which names the method, the URL
 * without its query (upload URLs carry opaque state) and the registry's own message.
 *
 * Nothing secret is ever formatted into a message: credentials travel only in the
 * Authorization header, which libcurl does not send on to another host when it
 * follows a redirect.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "registry_internal.h"

/* ---- client ---- */

/* Reads a file into a growing buffer; false on failure. */
static bool append_file(char **buf, size_t *len, const char *path)
{
    _cleanup_free_ char *text = NULL;
    size_t n;
    if (wbi_read_file(path, 4u << 20, &text, &n, NULL) < 0)
        return false;
    char *v = realloc(*buf, *len + n + 2);
    if (!v)
        return false;
    memcpy(v + *len, text, n);
    *len += n;
    v[(*len)++] = '\n';
    v[*len] = 0;
    *buf = v;
    return true;
}

/* certs.d: every *.crt joins the system CAs; NAME.cert + NAME.key is a client
 * certificate (docker's and podman's rules). */
static int load_certs(wbr_client *c, const char *dir, wb_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return wb_error_errno(err, errno, "open certificate directory %s", dir);
    char *sys = NULL;
    curl_easy_getinfo(c->curl, CURLINFO_CAINFO, &sys);
    bool any = false;
    int ret = 0;
    struct dirent *de;
    while (ret == 0 && (de = readdir(d))) {
        size_t n = strlen(de->d_name);
        _cleanup_free_ char *path = wbi_strdup_printf("%s/%s", dir, de->d_name);
        if (!path) {
            ret = wb_error_oom(err);
        } else if (n > 4 && !strcmp(de->d_name + n - 4, ".crt")) {
            if (!any && sys)
                append_file(&c->ca_blob, &c->ca_len, sys);
            if (!append_file(&c->ca_blob, &c->ca_len, path))
                ret = wb_error_set(err, "cannot read CA certificate %s", path);
            any = true;
        } else if (n > 5 && !strcmp(de->d_name + n - 5, ".cert")) {
            char *key = wbi_strdup_printf("%.*s.key", (int)(strlen(path) - 5), path);
            if (!key || access(key, R_OK) != 0) {
                ret = key ? wb_error_set(err, "client certificate %s has no key %s", path, key)
                          : wb_error_oom(err);
                free(key);
            } else {
                free(c->cert_file);
                free(c->key_file);
                c->cert_file = path;
                c->key_file = key;
                path = NULL;
            }
        }
    }
    closedir(d);
    return ret;
}

int wbr_client_open(const char *domain, const char *repo, const wb_registry_options *o,
                    wbr_client **out, wb_error *err)
{
    static const wb_registry_options none = {0};
    if (!o)
        o = &none;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return wb_error_set(err, "cannot initialise libcurl");
    wbr_client *c = calloc(1, sizeof *c);
    if (!c) {
        curl_global_cleanup();
        return wb_error_oom(err);
    }
    snprintf(c->domain, sizeof c->domain, "%s", domain);
    snprintf(c->endpoint, sizeof c->endpoint, "%s", wbr_endpoint(domain));
    c->insecure = o->tls == WB_TLS_INSECURE || (o->tls == WB_TLS_DEFAULT && wbr_conf_insecure(domain, repo));
    c->curl = curl_easy_init();
    int ret = c->curl ? 0 : wb_error_set(err, "cannot initialise libcurl");
    _cleanup_free_ char *certs = ret == 0 ? wbr_certs_dir(o->cert_dir, domain) : NULL;
    if (ret == 0 && o->cert_dir && *o->cert_dir && !certs)
        ret = wb_error_set(err, "certificate directory %s does not exist", o->cert_dir);
    if (ret == 0 && certs)
        ret = load_certs(c, certs, err);
    if (ret == 0)
        ret = wbr_auth_lookup(o->auth_file, domain, repo, &c->user, &c->pass, c->cred_source,
                              sizeof c->cred_source, err);
    if (ret < 0) {
        wbr_client_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

void wbr_client_free(wbr_client *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    free(c->ca_blob);
    free(c->cert_file);
    free(c->key_file);
    free(c->user);
    wbr_secret_free(c->pass);
    wbr_challenge_free(&c->chal);
    for (size_t i = 0; i < c->n_tokens; i++) {
        free(c->tokens[i].scope);
        wbr_secret_free(c->tokens[i].value);
    }
    free(c->tokens);
    free(c);
    curl_global_cleanup();
}

/* ---- URLs ---- */

char *wbr_url(wbr_client *c, const char *p)
{
    if (!strncmp(p, "http://", 7) || !strncmp(p, "https://", 8))
        return strdup(p);
    return wbi_strdup_printf("%s%s%s", c->base, p[0] == '/' ? "" : "/", p);
}

char *wbr_url_param(const char *url, const char *name, const char *value)
{
    char *esc = curl_easy_escape(NULL, value, 0);
    if (!esc)
        return NULL;
    char *r = wbi_strdup_printf("%s%c%s=%s", url, strchr(url, '?') ? '&' : '?', name, esc);
    curl_free(esc);
    return r;
}

/* The URL as shown in messages: no query string, no user info. */
static void url_display(const char *url, char *buf, size_t len)
{
    const char *scheme_end = strstr(url, "://");
    const char *host = scheme_end ? scheme_end + 3 : url;
    const char *at = strchr(host, '@'), *slash = strchr(host, '/');
    if (at && (!slash || at < slash))
        snprintf(buf, len, "%.*s%s", (int)(host - url), url, at + 1);
    else
        snprintf(buf, len, "%s", url);
    char *q = strchr(buf, '?');
    if (q)
        *q = 0;
}

/* ---- responses ---- */

void wbr_resp_free(wbr_resp *r)
{
    free(r->body);
    free(r->content_type);
    free(r->location);
    free(r->digest);
    free(r->www_auth);
    free(r->content_range);
    free(r->range);
    free(r->url);
    memset(r, 0, sizeof *r);
}

static void resp_reset_headers(wbr_resp *r)
{
    char **fields[] = {&r->content_type, &r->location, &r->digest, &r->www_auth, &r->content_range, &r->range};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        free(*fields[i]);
        *fields[i] = NULL;
    }
    free(r->body);
    r->body = NULL;
    r->len = 0;
    r->content_length = UINT64_MAX;
}

static const char *status_text(long s)
{
    switch (s) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "";
    }
}

/* Printable one-line copy of at most `max` characters. */
static void sanitize(const char *s, size_t n, char *buf, size_t len, size_t max)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 4 < len && o < max; i++) {
        unsigned char ch = (unsigned char)s[i];
        buf[o++] = ch >= 0x20 && ch < 0x7f ? (char)ch : ch == '\n' || ch == '\t' || ch == '\r' ? ' ' : '?';
    }
    while (o && buf[o - 1] == ' ')
        o--;
    if (o >= max && o + 4 < len) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = 0;
}

void wbr_body_message(const wbr_resp *resp, char *buf, size_t len)
{
    buf[0] = 0;
    if (!resp->body || !resp->len)
        return;
    json_t *j = json_loadb(resp->body, resp->len, 0, NULL);
    json_t *e0 = json_array_get(json_object_get(j, "errors"), 0);
    const char *msg = wbi_json_str(e0, "message");
    if (!msg)
        msg = wbi_json_str(j, "details");
    if (!msg)
        msg = wbi_json_str(j, "error");
    if (msg)
        sanitize(msg, strlen(msg), buf, len, 200);
    else if (!j)
        sanitize(resp->body, resp->len, buf, len, 100);
    json_decref(j);
}

int wbr_status_error(wbr_client *c, const wbr_req *r, const wbr_resp *resp, wb_error *err)
{
    char url[1024], msg[300], hint[400] = "";
    url_display(resp->url ? resp->url : r->url, url, sizeof url);
    wbr_body_message(resp, msg, sizeof msg);
    const char *text = status_text(resp->status);
    if (c && (resp->status == 401 || resp->status == 403)) {
        if (!c->user)
            snprintf(hint, sizeof hint, " (not logged in: run 'wasmbox login %s')", c->domain);
        else if (c->cred_source[0])
            snprintf(hint, sizeof hint, " (with the credentials of user %s from %s)", c->user, c->cred_source);
        else
            snprintf(hint, sizeof hint, " (with the credentials of user %s)", c->user);
    }
    return wb_error_set(err, "%s %s: %ld%s%s%s%s%s", r->method, url, resp->status, *text ? " " : "", text,
                        msg[0] ? ": " : "", msg, hint);
}

/* ---- one transfer ---- */

typedef struct xfer {
    wbr_req *r;
    wbr_resp *resp;
    wb_error *err;
    size_t cap;          /* memory body cap for 2xx */
    bool sink_failed;
    bool err_body_full;  /* a non-2xx body hit WBR_SMALL_MAX: stop reading, not an error */
} xfer;

static bool ok_status(long s)
{
    return s >= 200 && s < 300;
}

static char *header_value(const char *v, size_t n)
{
    while (n && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
        n--;
    return strndup(v, n);
}

static size_t on_header(char *data, size_t size, size_t nitems, void *arg)
{
    xfer *x = arg;
    size_t n = size * nitems;
    if (n >= 5 && !strncmp(data, "HTTP/", 5)) {
        resp_reset_headers(x->resp);
        const char *sp = memchr(data, ' ', n);
        x->resp->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        return n;
    }
    const char *colon = memchr(data, ':', n);
    if (!colon)
        return n;
    size_t kn = (size_t)(colon - data);
    static const struct {
        const char *name;
        size_t off;
    } keep[] = {
        {"content-type", offsetof(wbr_resp, content_type)},
        {"location", offsetof(wbr_resp, location)},
        {"docker-content-digest", offsetof(wbr_resp, digest)},
        {"www-authenticate", offsetof(wbr_resp, www_auth)},
        {"content-range", offsetof(wbr_resp, content_range)},
        {"range", offsetof(wbr_resp, range)},
    };
    for (size_t i = 0; i < sizeof keep / sizeof *keep; i++) {
        if (strlen(keep[i].name) != kn || strncasecmp(data, keep[i].name, kn))
            continue;
        char **slot = (char **)((char *)x->resp + keep[i].off);
        if (!*slot)
            *slot = header_value(colon + 1, n - kn - 1);
        return n;
    }
    if (kn == 14 && !strncasecmp(data, "content-length", 14)) {
        char *v = header_value(colon + 1, n - kn - 1);
        if (v) {
            x->resp->content_length = strtoull(v, NULL, 10);
            free(v);
        }
        /* refuse an oversized document before reading any of it */
        if (ok_status(x->resp->status) && !x->r->sink && x->resp->content_length != UINT64_MAX &&
            x->resp->content_length > x->cap && strcmp(x->r->method, "HEAD")) {
            x->resp->too_big = true;
            return 0;
        }
    }
    return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    xfer *x = arg;
    size_t n = size * nmemb;
    wbr_resp *resp = x->resp;
    bool ok = ok_status(resp->status);
    if (ok && x->r->sink) {
        if (x->r->sink(x->r->sink_arg, resp, data, n, x->err) < 0) {
            x->sink_failed = true;
            return 0;
        }
        return n;
    }
    size_t cap = ok ? x->cap : WBR_SMALL_MAX;
    if (resp->len + n > cap) {
        if (ok)
            resp->too_big = true;
        else
            x->err_body_full = true;
        return 0;
    }
    char *v = realloc(resp->body, resp->len + n + 1);
    if (!v)
        return 0;
    memcpy(v + resp->len, data, n);
    resp->len += n;
    v[resp->len] = 0;
    resp->body = v;
    return n;
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *arg)
{
    wbr_body *b = arg;
    size_t want = size * nitems;
    uint64_t left = b->len - b->pos;
    if (want > left)
        want = (size_t)left;
    if (want == 0)
        return 0;
    if (b->data) {
        memcpy(buf, b->data + b->off + b->pos, want);
    } else {
        ssize_t got = pread(b->fd, buf, want, (off_t)(b->off + b->pos));
        if (got <= 0)
            return CURL_READFUNC_ABORT;
        want = (size_t)got;
    }
    b->pos += want;
    if (b->sent)
        b->sent(b->sent_arg, b->pos);
    return want;
}

static int on_seek(void *arg, curl_off_t offset, int origin)
{
    wbr_body *b = arg;
    if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > b->len)
        return CURL_SEEKFUNC_CANTSEEK;
    b->pos = (uint64_t)offset;
    return CURL_SEEKFUNC_OK;
}

static size_t on_read_empty(char *buf, size_t size, size_t nitems, void *arg)
{
    (void)buf, (void)size, (void)nitems, (void)arg;
    return 0;
}

static void set_method(CURL *h, wbr_req *r)
{
    const char *m = r->method;
    wbr_body *b = r->body;
    if (!strcmp(m, "HEAD")) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        return;
    }
    if (!strcmp(m, "GET"))
        return;
    if (!strcmp(m, "POST")) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        if (!b)
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(b ? b->len : 0));
    } else if (!strcmp(m, "PUT") || !strcmp(m, "PATCH")) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)(b ? b->len : 0));
        if (!b)
            curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read_empty);
    }
    if (strcmp(m, "POST") && strcmp(m, "PUT"))
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
}

static struct curl_slist *build_headers(wbr_req *r, const char *auth)
{
    struct curl_slist *h = curl_slist_append(NULL, "Expect:");
    char line[512];
    if (auth && *auth) {
        _cleanup_free_ char *a = wbi_strdup_printf("Authorization: %s", auth);
        if (!a) {
            curl_slist_free_all(h);
            return NULL;
        }
        h = curl_slist_append(h, a);
        explicit_bzero(a, strlen(a));
    }
    if (r->accept) {
        snprintf(line, sizeof line, "Accept: %s", r->accept);
        h = curl_slist_append(h, line);
    }
    if (r->content_type) {
        snprintf(line, sizeof line, "Content-Type: %s", r->content_type);
        h = curl_slist_append(h, line);
    }
    if (r->content_range) {
        snprintf(line, sizeof line, "Content-Range: %s", r->content_range);
        h = curl_slist_append(h, line);
    }
    return h;
}

static void set_common(wbr_client *c, wbr_req *r, xfer *x, const char *url)
{
    CURL *h = c->curl;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, WBR_USER_AGENT);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, r->follow ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L); /* a stalled transfer fails after a minute */
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    if (c->insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (c->ca_blob) {
        struct curl_blob blob = {.data = c->ca_blob, .len = c->ca_len, .flags = CURL_BLOB_NOCOPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (c->cert_file) {
        curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert_file);
        curl_easy_setopt(h, CURLOPT_SSLKEY, c->key_file);
    }
    if (r->range)
        curl_easy_setopt(h, CURLOPT_RANGE, r->range);
    if (r->body) {
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, r->body);
        curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
        curl_easy_setopt(h, CURLOPT_SEEKDATA, r->body);
    }
}

static int transport_error(wbr_client *c, wbr_req *r, CURLcode rc, const char *url, wb_error *err)
{
    char shown[1024];
    url_display(url, shown, sizeof shown);
    if (rc == CURLE_TOO_MANY_REDIRECTS)
        return wb_error_set(err, "%s %s: too many redirects (a redirect loop?)", r->method, shown);
    const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
    char clean[CURL_ERROR_SIZE + 8];
    sanitize(why, strlen(why), clean, sizeof clean, CURL_ERROR_SIZE);
    return wb_error_set(err, "%s %s: %s", r->method, shown, clean);
}

int wbr_perform(wbr_client *c, wbr_req *r, const char *auth, wbr_resp *resp, wb_error *err)
{
    memset(resp, 0, sizeof *resp);
    resp->content_length = UINT64_MAX;
    _cleanup_free_ char *url = wbr_url(c, r->url);
    struct curl_slist *headers = url ? build_headers(r, auth) : NULL;
    if (!headers) {
        free(url);
        url = NULL;
        return wb_error_oom(err);
    }
    xfer x = {.r = r, .resp = resp, .err = err, .cap = r->max ? r->max : WBR_SMALL_MAX};
    c->errbuf[0] = 0;
    curl_easy_reset(c->curl);
    set_common(c, r, &x, url);
    set_method(c->curl, r);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
    if (r->body)
        r->body->pos = 0;
    CURLcode rc = curl_easy_perform(c->curl);
    curl_slist_free_all(headers);
    char *last = NULL;
    curl_easy_getinfo(c->curl, CURLINFO_EFFECTIVE_URL, &last);
    resp->url = strdup(last ? last : url);
    if (x.sink_failed)
        return -1;
    if (resp->too_big) {
        char shown[1024];
        url_display(resp->url ? resp->url : url, shown, sizeof shown);
        return wb_error_set(err, "%s %s: the response is larger than %zu bytes (refused)", r->method, shown,
                            x.cap);
    }
    if (rc != CURLE_OK && !(x.err_body_full && rc == CURLE_WRITE_ERROR))
        return transport_error(c, r, rc, url, err);
    return 0;
}

/* ---- with authentication ---- */

int wbr_request(wbr_client *c, wbr_req *r, wbr_resp *resp, wb_error *err)
{
    memset(resp, 0, sizeof *resp); /* callers free it whatever happens */
    if (!r->no_auth && !c->pinged && wbr_ping(c, err) < 0)
        return -1;
    for (int attempt = 0;; attempt++) {
        char *auth = NULL;
        if (!r->no_auth && wbr_auth_header(c, r->scope, &auth, err) < 0)
            return -1;
        int ret = wbr_perform(c, r, auth, resp, err);
        wbr_secret_free(auth);
        if (ret < 0 || resp->status != 401 || r->no_auth || attempt > 0)
            return ret;
        wb_error ignored;
        if (wbr_auth_retry(c, resp, r->scope, &ignored) < 0)
            return 0;
        wbr_resp_free(resp);
    }
}
