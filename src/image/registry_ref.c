/*
 * registry_ref.c — a docker reference as a registry sees it: which host to talk to,
 * which repository path to ask for, and which tag or digest.
 *
 * The grammar and the familiar form come from ref.c (the store's names); this file
 * only adds docker's defaults on top: a name without a registry lives on docker.io,
 * and a one-component docker.io name is under library/ ("busybox" is
 * docker.io/library/busybox). docker.io itself is served from registry-1.docker.io.
 */
#include <stdio.h>
#include <string.h>

#include "ref.h"
#include "registry_internal.h"

const char *wbr_endpoint(const char *domain)
{
    return strcmp(domain, "docker.io") ? domain : "registry-1.docker.io";
}

/* Whether `s` spells a tag (a ':' after the last '/', before any '@'). */
static bool has_tag(const char *s)
{
    const char *at = strchr(s, '@');
    size_t n = at ? (size_t)(at - s) : strlen(s);
    const char *slash = NULL, *colon = NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '/')
            slash = s + i;
        else if (s[i] == ':')
            colon = s + i;
    }
    return colon && (!slash || colon > slash);
}

int wbr_ref_parse(const char *s, wbr_ref *out, wb_error *err)
{
    memset(out, 0, sizeof *out);
    wbi_ref r;
    if (wbi_ref_parse(s, &r, err) < 0)
        return -1;
    out->default_tag = !has_tag(s) && !r.digest[0];
    const char *path = r.name;
    if (wbi_ref_has_domain(r.name)) {
        const char *slash = strchr(r.name, '/');
        snprintf(out->domain, sizeof out->domain, "%.*s", (int)(slash - r.name), r.name);
        path = slash + 1;
    } else {
        strcpy(out->domain, "docker.io");
    }
    bool library = !strcmp(out->domain, "docker.io") && !strchr(path, '/');
    int n = snprintf(out->repo, sizeof out->repo, "%s%s", library ? "library/" : "", path);
    if (n < 0 || (size_t)n >= sizeof out->repo)
        return wb_error_set(err, "invalid reference format: repository name too long");
    /* NAME:TAG@DIGEST fetches the digest and names it NAME:TAG */
    strcpy(out->digest, r.digest);
    strcpy(out->tag, r.tag);
    if (out->tag[0] &&
        (size_t)snprintf(out->name, sizeof out->name, "%s:%s", r.name, out->tag) >= sizeof out->name)
        return wb_error_set(err, "invalid reference format: name too long");
    int len = out->digest[0] ? snprintf(out->display, sizeof out->display, "%s/%s@%s", out->domain,
                                        out->repo, out->digest)
                             : snprintf(out->display, sizeof out->display, "%s/%s:%s", out->domain,
                                        out->repo, out->tag);
    if (len < 0 || (size_t)len >= sizeof out->display)
        return wb_error_set(err, "invalid reference format: reference too long");
    return 0;
}
