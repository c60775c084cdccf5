/*
 * registry_conf.c — which registries may be reached without verified TLS
 * (registries.conf, as podman reads it) and where a registry's own CA certificates
 * live (certs.d, as podman and docker read it).
 *
 * registries.conf is TOML; only a small, well-defined subset matters here, so the
 * walker below understands tables, arrays of tables, quoted and bare keys, strings,
 * booleans and (possibly multi-line) arrays of strings, and skips everything else.
 * Both formats are read:
 *   v2:  [[registry]]  location = "127.0.0.1:5000"  insecure = true   (prefix = ... too)
 *   v1:  [registries.insecure]  registries = ["127.0.0.1:5000"]
 * A v2 entry matches when its prefix (or location) is the registry, or the registry
 * and a leading part of the repository path, or a "*.domain" wildcard; the longest
 * match decides, as in containers/image.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "registry_internal.h"

/* ---- the TOML subset ---- */

typedef struct toml_cursor {
    const char *p;
} toml_cursor;

static void skip_blank(toml_cursor *c, bool newlines)
{
    for (;;) {
        while (*c->p == ' ' || *c->p == '\t' || (newlines && (*c->p == '\n' || *c->p == '\r')))
            c->p++;
        if (*c->p != '#')
            return;
        while (*c->p && *c->p != '\n')
            c->p++;
        if (!newlines)
            return;
    }
}

/* A string (basic "..." with escapes, or literal '...'), a bare word, or NULL. */
static bool scalar(toml_cursor *c, char *out, size_t len)
{
    size_t n = 0;
    char q = *c->p;
    if (q == '"' || q == '\'') {
        for (c->p++; *c->p && *c->p != q && *c->p != '\n'; c->p++) {
            char ch = *c->p;
            if (q == '"' && ch == '\\' && c->p[1]) {
                ch = *++c->p;
                ch = ch == 'n' ? '\n' : ch == 't' ? '\t' : ch;
            }
            if (n + 1 < len)
                out[n++] = ch;
        }
        if (*c->p != q)
            return false;
        c->p++;
    } else {
        while (isalnum((unsigned char)*c->p) || strchr("_-.:+", *c->p)) {
            if (n + 1 < len)
                out[n++] = *c->p;
            c->p++;
        }
        if (n == 0)
            return false;
    }
    out[n] = 0;
    return true;
}

static void skip_line(toml_cursor *c)
{
    while (*c->p && *c->p != '\n')
        c->p++;
}

/* The value after "key =": a scalar, or an array of scalars (others are skipped). */
static void value(toml_cursor *c, const char *table, const char *key, wbr_toml_fn fn, void *arg)
{
    char buf[1024];
    if (*c->p != '[') {
        if (scalar(c, buf, sizeof buf))
            fn(table, key, buf, arg);
        skip_line(c);
        return;
    }
    c->p++;
    for (;;) {
        skip_blank(c, true);
        if (*c->p == ']' || !*c->p)
            break;
        if (*c->p == ',') {
            c->p++;
            continue;
        }
        if (*c->p == '{' || *c->p == '[') { /* nested: not ours, skip to its end */
            char open = *c->p, close = open == '{' ? '}' : ']';
            int depth = 0;
            for (; *c->p; c->p++) {
                depth += (*c->p == open) - (*c->p == close);
                if (depth == 0) {
                    c->p++;
                    break;
                }
            }
            continue;
        }
        if (scalar(c, buf, sizeof buf))
            fn(table, key, buf, arg);
        else
            c->p++;
    }
    if (*c->p == ']')
        c->p++;
    skip_line(c);
}

void wbr_toml_walk(const char *text, wbr_toml_fn fn, void *arg)
{
    toml_cursor c = {text};
    char table[256] = "";
    unsigned tables = 0;
    for (;;) {
        skip_blank(&c, true);
        if (!*c.p)
            return;
        if (*c.p == '[') {
            bool array = c.p[1] == '[';
            c.p += array ? 2 : 1;
            skip_blank(&c, false);
            char name[200];
            size_t n = 0;
            while (*c.p && *c.p != ']' && *c.p != '\n') {
                if (*c.p != ' ' && *c.p != '"' && n + 1 < sizeof name)
                    name[n++] = *c.p;
                c.p++;
            }
            name[n] = 0;
            if (array)
                snprintf(table, sizeof table, "%s#%u", name, tables++);
            else
                snprintf(table, sizeof table, "%s", name);
            skip_line(&c);
            continue;
        }
        char key[200];
        if (!scalar(&c, key, sizeof key)) {
            skip_line(&c);
            continue;
        }
        skip_blank(&c, false);
        if (*c.p != '=') {
            skip_line(&c);
            continue;
        }
        c.p++;
        skip_blank(&c, false);
        value(&c, table, key, fn, arg);
    }
}

/* ---- insecure registries ---- */

typedef struct conf_scan {
    const char *target;     /* "domain/repo" */
    const char *domain;
    char cur_table[256];    /* the [[registry]] entry being read */
    char cur_prefix[512], cur_location[512];
    int cur_insecure;       /* -1 unset */
    size_t best;            /* length of the best match so far */
    bool insecure;
    bool v1_insecure;
} conf_scan;

/* How much of "domain/repo" a registries.conf prefix covers (0: none). */
static size_t prefix_match(const char *prefix, const char *target, const char *domain)
{
    if (!strncmp(prefix, "*.", 2)) {
        size_t dl = strlen(domain), pl = strlen(prefix + 1);
        return dl > pl && !strcmp(domain + dl - pl, prefix + 1) ? pl : 0;
    }
    size_t n = strlen(prefix);
    while (n && prefix[n - 1] == '/')
        n--;
    if (n == 0 || strncmp(target, prefix, n) != 0)
        return 0;
    return target[n] == 0 || target[n] == '/' ? n + 1 : 0;
}

static void finish_entry(conf_scan *s)
{
    if (!s->cur_table[0])
        return;
    const char *prefix = s->cur_prefix[0] ? s->cur_prefix : s->cur_location;
    size_t m = prefix[0] ? prefix_match(prefix, s->target, s->domain) : 0;
    if (m > s->best) {
        s->best = m;
        s->insecure = s->cur_insecure == 1;
    }
    s->cur_table[0] = s->cur_prefix[0] = s->cur_location[0] = 0;
    s->cur_insecure = -1;
}

static void conf_item(const char *table, const char *key, const char *val, void *arg)
{
    conf_scan *s = arg;
    if (!strncmp(table, "registry#", 9)) {
        if (strcmp(table, s->cur_table)) {
            finish_entry(s);
            snprintf(s->cur_table, sizeof s->cur_table, "%s", table);
        }
        if (!strcmp(key, "location"))
            snprintf(s->cur_location, sizeof s->cur_location, "%s", val);
        else if (!strcmp(key, "prefix"))
            snprintf(s->cur_prefix, sizeof s->cur_prefix, "%s", val);
        else if (!strcmp(key, "insecure"))
            s->cur_insecure = !strcmp(val, "true");
        return;
    }
    finish_entry(s);
    if ((!strcmp(table, "registries.insecure") && !strcmp(key, "registries")) ||
        (!strcmp(table, "") && !strcmp(key, "insecure_registries")))
        s->v1_insecure |= prefix_match(val, s->target, s->domain) > 0;
}

static void scan_file(const char *path, conf_scan *s)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    if (wbi_read_file(path, 1u << 20, &text, &len, NULL) < 0)
        return;
    wbr_toml_walk(text, conf_item, s);
    finish_entry(s);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.conf of `dir`, in name order. */
static void scan_dropins(const char *dir, conf_scan *s)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char *names[256];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 256) {
        size_t l = strlen(de->d_name);
        if (l > 5 && !strcmp(de->d_name + l - 5, ".conf") && (names[n] = strdup(de->d_name)))
            n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *p = wbi_strdup_printf("%s/%s", dir, names[i]);
        if (p)
            scan_file(p, s);
        free(names[i]);
    }
}

bool wbr_conf_insecure(const char *domain, const char *repo)
{
    char target[600];
    snprintf(target, sizeof target, "%s/%s", domain, repo ? repo : "");
    conf_scan s = {.target = target, .domain = domain, .cur_insecure = -1};
    const char *env = getenv("CONTAINERS_REGISTRIES_CONF"), *home = getenv("HOME");
    char user[4096] = "";
    if (home && *home)
        snprintf(user, sizeof user, "%s/.config/containers/registries.conf", home);
    if (env && *env) {
        scan_file(env, &s);
    } else if (user[0] && access(user, F_OK) == 0) {
        scan_file(user, &s);
        strcat(user, ".d");
        scan_dropins(user, &s);
    } else {
        scan_file("/etc/containers/registries.conf", &s);
        scan_dropins("/etc/containers/registries.conf.d", &s);
    }
    return s.best ? s.insecure : s.v1_insecure;
}

/* ---- certs.d ---- */

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

char *wbr_certs_dir(const char *cert_dir, const char *domain)
{
    if (cert_dir && *cert_dir)
        return is_dir(cert_dir) ? strdup(cert_dir) : NULL;
    const char *home = getenv("HOME");
    char *cands[3] = {
        home && *home ? wbi_strdup_printf("%s/.config/containers/certs.d/%s", home, domain) : NULL,
        wbi_strdup_printf("/etc/containers/certs.d/%s", domain),
        wbi_strdup_printf("/etc/docker/certs.d/%s", domain),
    };
    char *found = NULL;
    for (size_t i = 0; i < 3; i++) {
        if (!found && cands[i] && is_dir(cands[i]))
            found = cands[i];
        else
            free(cands[i]);
    }
    return found;
}
