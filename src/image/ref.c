/*
 * ref.c — docker's reference grammar (distribution/reference), written out by hand:
 *
 *   reference := name [":" tag] ["@" digest]
 *   name      := [domain "/"] component ("/" component)*
 *   component := [a-z0-9]+ (separator [a-z0-9]+)*   separator := "." | "_" | "__" | "-"+
 *   tag       := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *
 * The first component is a domain when it contains "." or ":", is "localhost", or has
 * an upper-case letter; otherwise the name lives on docker.io. We keep the familiar
 * form (what `docker images` prints) because that is what users type and what
 * `skopeo inspect oci:$ROOT:NAME:TAG` then finds verbatim in the store's index.
 */
#include "ref.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: [a-z0-9]+ (sep [a-z0-9]+)* */
static bool component_valid(const char *s, size_t n)
{
    if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (is_lower_alnum(s[i]))
            continue;
        if (s[i] == '.' && is_lower_alnum(s[i + 1]))
            continue;
        if (s[i] == '_' &&
            (is_lower_alnum(s[i + 1]) || (s[i + 1] == '_' && is_lower_alnum(s[i + 2])))) {
            if (s[i + 1] == '_')
                i++;
            continue;
        }
        if (s[i] == '-') {
            while (s[i + 1] == '-')
                i++;
            if (is_lower_alnum(s[i + 1]))
                continue;
        }
        return false;
    }
    return true;
}

/* domain-component ("." domain-component)* [":" port] */
static bool domain_valid(const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    size_t host = colon ? (size_t)(colon - s) : n;
    if (host == 0)
        return false;
    for (size_t i = 0; i < host; i++) {
        char c = s[i];
        if (!(isalnum((unsigned char)c) || c == '-' || c == '.'))
            return false;
        if ((c == '.' || c == '-') && (i == 0 || i + 1 == host || s[i - 1] == '.'))
            return false;
    }
    if (colon) {
        if (host + 1 == n)
            return false;
        for (size_t i = host + 1; i < n; i++)
            if (!isdigit((unsigned char)s[i]))
                return false;
    }
    return true;
}

static bool tag_valid(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > 128 || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
            return false;
    return true;
}

static bool first_is_domain(const char *name)
{
    const char *slash = strchr(name, '/');
    if (!slash)
        return false;
    size_t n = (size_t)(slash - name);
    if (memchr(name, '.', n) || memchr(name, ':', n) || (n == 9 && !strncmp(name, "localhost", 9)))
        return true;
    for (size_t i = 0; i < n; i++)
        if (isupper((unsigned char)name[i]))
            return true;
    return false;
}

bool wbi_ref_has_domain(const char *name)
{
    return first_is_domain(name);
}

/* Validates the repository part and writes its familiar form. */
static int name_familiar(const char *name, char *out, size_t outlen, wb_error *err)
{
    const char *path = name;
    bool docker_io = true;
    if (first_is_domain(name)) {
        const char *slash = strchr(name, '/');
        size_t dn = (size_t)(slash - name);
        if (!domain_valid(name, dn))
            return wb_error_set(err, "invalid reference format: bad registry in \"%s\"", name);
        docker_io = (dn == 9 && !strncmp(name, "docker.io", 9)) ||
                    (dn == 15 && !strncmp(name, "index.docker.io", 15));
        if (docker_io)
            path = slash + 1;
    }
    /* validate components after the domain */
    const char *p = docker_io ? path : strchr(name, '/') + 1;
    for (;;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        for (size_t i = 0; i < n; i++)
            if (isupper((unsigned char)p[i]))
                return wb_error_set(
                    err, "invalid reference format: repository name \"%s\" must be lowercase",
                    name);
        if (!component_valid(p, n))
            return wb_error_set(err, "invalid reference format: \"%s\"", name);
        if (!e)
            break;
        p = e + 1;
    }
    if (docker_io && !strncmp(path, "library/", 8) && !strchr(path + 8, '/'))
        path += 8;
    if (strlen(path) >= outlen || strlen(name) > 255)
        return wb_error_set(err, "invalid reference format: repository name too long");
    strcpy(out, path);
    return 0;
}

int wbi_ref_parse(const char *s, wbi_ref *out, wb_error *err)
{
    memset(out, 0, sizeof *out);
    if (!s || !*s)
        return wb_error_set(err, "invalid reference format: empty name");
    char buf[512];
    if (strlen(s) >= sizeof buf)
        return wb_error_set(err, "invalid reference format: too long");
    strcpy(buf, s);
    char *at = strchr(buf, '@');
    if (at) {
        *at = 0;
        if (!wbi_digest_valid(at + 1))
            return wb_error_set(err, "invalid reference format: bad digest in \"%s\"", s);
        strcpy(out->digest, at + 1);
    }
    char *slash = strrchr(buf, '/');
    char *colon = strrchr(buf, ':');
    if (colon && (!slash || colon > slash)) {
        *colon = 0;
        if (!tag_valid(colon + 1))
            return wb_error_set(err, "invalid reference format: bad tag in \"%s\"", s);
        strcpy(out->tag, colon + 1);
    }
    if (name_familiar(buf, out->name, sizeof out->name, err) < 0)
        return -1;
    if (!out->tag[0] && !out->digest[0])
        strcpy(out->tag, "latest");
    return 0;
}

void wbi_ref_format(const wbi_ref *ref, char *buf, size_t len)
{
    snprintf(buf, len, "%s:%s", ref->name, ref->tag[0] ? ref->tag : "latest");
}

bool wbi_ref_normalize(const char *s, char *buf, size_t len)
{
    wbi_ref r;
    if (wbi_ref_parse(s, &r, NULL) < 0 || r.digest[0])
        return false;
    wbi_ref_format(&r, buf, len);
    return true;
}

void wbi_ref_qualified(const char *familiar, char *buf, size_t len)
{
    if (first_is_domain(familiar))
        snprintf(buf, len, "%s", familiar);
    else if (strchr(familiar, '/'))
        snprintf(buf, len, "docker.io/%s", familiar);
    else
        snprintf(buf, len, "docker.io/library/%s", familiar);
}
