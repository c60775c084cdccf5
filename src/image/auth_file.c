/*
 * auth_file.c — registry credentials where podman and docker keep them.
 *
 * Both tools use the same JSON shape, {"auths": {"<registry>": {"auth": base64("user:pass")}}},
 * so reading one reads the other. login writes podman's file
 * (${XDG_RUNTIME_DIR}/containers/auth.json, or /run/containers/<uid>/auth.json
 * without XDG_RUNTIME_DIR; $REGISTRY_AUTH_FILE or --authfile override it); lookups
 * fall back to $XDG_CONFIG_HOME/containers/auth.json and then docker's
 * ~/.docker/config.json, as containers/image does. Keys may carry a scheme and a
 * path (docker's "https://index.docker.io/v1/") or a repository namespace
 * ("quay.io/team"); the longest key that covers the repository wins.
 *
 * The file is replaced atomically (temporary file, fsync, rename) with mode 0600,
 * and every decoded password is zeroed before it is freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry_internal.h"

void wbr_secret_free(char *s)
{
    if (!s)
        return;
    explicit_bzero(s, strlen(s));
    free(s);
}

char *wbr_basic_token(const char *user, const char *pass)
{
    size_t n = strlen(user) + 1 + strlen(pass);
    char *plain = malloc(n + 1);
    char *b64 = malloc(4 * ((n + 2) / 3) + 1);
    if (plain && b64) {
        snprintf(plain, n + 1, "%s:%s", user, pass);
        EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)plain, (int)n);
    } else {
        free(b64);
        b64 = NULL;
    }
    wbr_secret_free(plain);
    return b64;
}

int wbr_basic_decode(const char *b64, char **user, char **pass)
{
    size_t n = strlen(b64);
    if (n == 0 || n % 4 != 0 || n > (1u << 16))
        return -1;
    unsigned char *plain = malloc(n / 4 * 3 + 1);
    if (!plain)
        return -1;
    int len = EVP_DecodeBlock(plain, (const unsigned char *)b64, (int)n);
    int ret = -1;
    if (len >= 0) {
        /* EVP_DecodeBlock counts the padding as zero bytes */
        for (size_t i = n; i > 0 && b64[i - 1] == '='; i--)
            len--;
        plain[len] = 0;
        char *colon = memchr(plain, ':', (size_t)len);
        if (colon && strlen((char *)plain) == (size_t)len) {
            *colon = 0;
            *user = strdup((char *)plain);
            *pass = strdup(colon + 1);
            ret = *user && *pass ? 0 : -1;
            if (ret < 0) {
                free(*user);
                wbr_secret_free(*pass);
                *user = *pass = NULL;
            }
        }
    }
    explicit_bzero(plain, n / 4 * 3 + 1);
    free(plain);
    return ret;
}

int wbr_auth_path(const char *auth_file, char *buf, size_t len, wb_error *err)
{
    const char *env = getenv("REGISTRY_AUTH_FILE");
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    int n;
    if (auth_file && *auth_file)
        n = snprintf(buf, len, "%s", auth_file);
    else if (env && *env)
        n = snprintf(buf, len, "%s", env);
    else if (xdg && *xdg)
        n = snprintf(buf, len, "%s/containers/auth.json", xdg);
    else
        n = snprintf(buf, len, "/run/containers/%u/auth.json", (unsigned)getuid());
    if (n < 0 || (size_t)n >= len)
        return wb_error_set(err, "credential file path too long");
    return 0;
}

/* The files lookups read, in order (at most 3). */
static size_t read_paths(const char *auth_file, char paths[3][4096])
{
    size_t n = 0;
    if (wbr_auth_path(auth_file, paths[n], sizeof paths[n], NULL) == 0)
        n++;
    if (auth_file && *auth_file)
        return n; /* --authfile: only that file, as podman */
    const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME"), *dc = getenv("DOCKER_CONFIG");
    if (xdg && *xdg)
        snprintf(paths[n++], 4096, "%s/containers/auth.json", xdg);
    else if (home && *home)
        snprintf(paths[n++], 4096, "%s/.config/containers/auth.json", home);
    if (dc && *dc)
        snprintf(paths[n++], 4096, "%s/config.json", dc);
    else if (home && *home)
        snprintf(paths[n++], 4096, "%s/.docker/config.json", home);
    return n;
}

/* A key of "auths" reduced to "host[/path]": scheme and docker's /v1/ suffix dropped,
 * docker hub's aliases mapped to docker.io. */
static void key_normalize(const char *key, char *out, size_t len)
{
    const char *k = key;
    if (!strncmp(k, "https://", 8))
        k += 8;
    else if (!strncmp(k, "http://", 7))
        k += 7;
    snprintf(out, len, "%s", k);
    size_t n = strlen(out);
    while (n && out[n - 1] == '/')
        out[--n] = 0;
    if (n >= 3 && (!strcmp(out + n - 3, "/v1") || !strcmp(out + n - 3, "/v2")))
        out[n - 3] = 0;
    const char *aliases[] = {"index.docker.io", "registry-1.docker.io"};
    for (size_t i = 0; i < 2; i++) {
        size_t an = strlen(aliases[i]);
        if (!strncmp(out, aliases[i], an) && (out[an] == 0 || out[an] == '/')) {
            /* "docker.io" is shorter than either alias: shift the rest left */
            memcpy(out, "docker.io", 9);
            memmove(out + 9, out + an, strlen(out + an) + 1);
        }
    }
}

/* How well key (normalised) covers domain/repo: 0 for not at all, else its length. */
static size_t key_match(const char *key, const char *domain, const char *repo)
{
    size_t dn = strlen(domain);
    if (strncmp(key, domain, dn) != 0)
        return 0;
    if (key[dn] == 0)
        return dn;
    if (key[dn] != '/' || !repo)
        return 0;
    const char *ns = key + dn + 1;
    size_t nn = strlen(ns);
    if (strncmp(repo, ns, nn) != 0 || (repo[nn] != 0 && repo[nn] != '/'))
        return 0;
    return dn + 1 + nn;
}

static json_t *load_json(const char *path, wb_error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    if (wbi_read_file(path, 1u << 20, &text, &len, err) < 0)
        return NULL;
    json_t *j = wbi_json_parse(text, len, path, err);
    explicit_bzero(text, len);
    if (j && !json_is_object(j)) {
        json_decref(j);
        wb_error_set(err, "%s: not a JSON object", path);
        return NULL;
    }
    return j;
}

/* The best entry of one file; 1 when found, 0 when not, <0 on a broken file. */
static int lookup_file(const char *path, const char *domain, const char *repo, char **user,
                       char **pass, wb_error *err)
{
    if (access(path, F_OK) != 0)
        return 0;
    json_t *j = load_json(path, err);
    if (!j)
        return -1;
    json_t *auths = json_object_get(j, "auths"), *best = NULL, *v;
    size_t best_len = 0;
    const char *key;
    json_object_foreach(auths, key, v) {
        char norm[512];
        key_normalize(key, norm, sizeof norm);
        size_t m = key_match(norm, domain, repo);
        if (m > best_len && wbi_json_str(v, "auth") && *wbi_json_str(v, "auth")) {
            best = v;
            best_len = m;
        }
    }
    int ret = 0;
    if (best) {
        if (wbr_basic_decode(wbi_json_str(best, "auth"), user, pass) < 0)
            ret = wb_error_set(err, "%s: the credentials of %s cannot be decoded", path, domain);
        else
            ret = 1;
    }
    json_decref(j);
    return ret;
}

int wbr_auth_lookup(const char *auth_file, const char *domain, const char *repo, char **user,
                    char **pass, char *from, size_t fromlen, wb_error *err)
{
    *user = *pass = NULL;
    char paths[3][4096];
    size_t n = read_paths(auth_file, paths);
    for (size_t i = 0; i < n; i++) {
        int r = lookup_file(paths[i], domain, repo, user, pass, err);
        if (r < 0)
            return -1;
        if (r > 0) {
            if (from)
                snprintf(from, fromlen, "%s", paths[i]);
            return 0;
        }
    }
    return 0;
}

/* Writes `j` to `path` atomically with mode 0600, creating its directory (0700). */
static int write_private(const char *path, const json_t *j, wb_error *err)
{
    _cleanup_free_ char *dir = strdup(path);
    if (!dir)
        return wb_error_oom(err);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = 0;
        if (wbi_mkdir_p(dir, 0700, err) < 0)
            return -1;
    }
    char *text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
    _cleanup_free_ char *tmp = wbi_strdup_printf("%s.tmp-XXXXXX", path);
    if (!text || !tmp) {
        free(text);
        return wb_error_oom(err);
    }
    size_t len = strlen(text);
    int fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
    int ret = fd < 0 ? wb_error_errno(err, errno, "create %s", tmp) : 0;
    if (ret == 0 && fchmod(fd, 0600) < 0)
        ret = wb_error_errno(err, errno, "chmod %s", tmp);
    if (ret == 0)
        ret = wbi_write_all(fd, text, len, tmp, err);
    if (ret == 0 && (write(fd, "\n", 1) != 1 || fsync(fd) < 0))
        ret = wb_error_errno(err, errno, "write %s", tmp);
    if (fd >= 0)
        close(fd);
    if (ret == 0 && rename(tmp, path) < 0)
        ret = wb_error_errno(err, errno, "rename %s", path);
    if (ret < 0 && fd >= 0)
        unlink(tmp);
    explicit_bzero(text, len);
    free(text);
    return ret;
}

/* Removes every key of `auths` that names `domain` exactly (any spelling). */
static bool remove_domain(json_t *auths, const char *domain)
{
    bool removed = false;
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(auths, tmp, key, v) {
        char norm[512];
        key_normalize(key, norm, sizeof norm);
        if (!strcmp(norm, domain)) {
            json_object_del(auths, key);
            removed = true;
        }
    }
    return removed;
}

int wbr_auth_store(const char *auth_file, const char *domain, const char *user,
                   const char *pass, wb_error *err)
{
    char path[4096];
    if (wbr_auth_path(auth_file, path, sizeof path, err) < 0)
        return -1;
    json_t *j = access(path, F_OK) == 0 ? load_json(path, err) : json_object();
    if (!j)
        return -1;
    json_t *auths = json_object_get(j, "auths");
    if (!json_is_object(auths)) {
        auths = json_object();
        json_object_set_new(j, "auths", auths);
    }
    int ret = 0;
    if (user) {
        remove_domain(auths, domain);
        char *b64 = wbr_basic_token(user, pass);
        if (!b64 || json_object_set_new(auths, domain, json_pack("{s:s}", "auth", b64)) < 0)
            ret = wb_error_oom(err);
        wbr_secret_free(b64);
    } else if (domain) {
        ret = remove_domain(auths, domain) ? 0 : 1;
    } else {
        ret = json_object_size(auths) ? 0 : 1;
        json_object_clear(auths);
    }
    if (ret == 0)
        ret = write_private(path, j, err);
    json_decref(j);
    return ret;
}
