/*
 * registry_sources.c — where each blob is known to live, so that a push can ask the
 * registry to mount it from another repository instead of uploading it again
 * (POST /v2/<repo>/blobs/uploads/?mount=<digest>&from=<other>), as docker does.
 *
 * The record is $ROOT/.wasmbox/registry-sources.json:
 *   {"sha256:...": ["127.0.0.1:5000/wbx/hello", ...], ...}
 * written after each successful pull and push. It is only a hint (a registry that
 * no longer has the blob just answers the mount with a normal upload session), so
 * every error here is ignored and the file is kept small: at most 8 repositories per
 * blob and 4096 blobs, the oldest dropped first.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "registry_internal.h"

#define MAX_REPOS 8
#define MAX_BLOBS 4096

static char *sources_path(wb_image_store *s)
{
    return wbi_strdup_printf("%s/registry-sources.json", s->priv);
}

static json_t *sources_load(const char *path)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    if (wbi_read_file(path, 8u << 20, &text, &len, NULL) < 0)
        return json_object();
    json_t *j = json_loadb(text, len, 0, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        return json_object();
    }
    return j;
}

bool wbr_sources_find(wb_image_store *s, const char *domain, const char *repo, const char *digest,
                      char *out, size_t outlen)
{
    _cleanup_free_ char *path = sources_path(s);
    if (!path)
        return false;
    json_t *j = sources_load(path);
    size_t dn = strlen(domain), i;
    json_t *v;
    bool found = false;
    json_array_foreach(json_object_get(j, digest), i, v) {
        const char *where = json_string_value(v);
        if (!where || strncmp(where, domain, dn) || where[dn] != '/' || !strcmp(where + dn + 1, repo))
            continue;
        snprintf(out, outlen, "%s", where + dn + 1);
        found = true;
        break;
    }
    json_decref(j);
    return found;
}

static void add_one(json_t *j, const char *digest, const char *where)
{
    json_t *list = json_object_get(j, digest);
    if (!json_is_array(list)) {
        list = json_array();
        json_object_set_new(j, digest, list);
    }
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
        if (json_string_value(v) && !strcmp(json_string_value(v), where)) {
            json_array_remove(list, i);
            break;
        }
    json_array_insert_new(list, 0, json_string(where));
    while (json_array_size(list) > MAX_REPOS)
        json_array_remove(list, json_array_size(list) - 1);
}

void wbr_sources_add(wb_image_store *s, const char *domain, const char *repo,
                     const char (*digests)[WB_DIGEST_LEN], size_t n)
{
    _cleanup_free_ char *path = sources_path(s);
    _cleanup_free_ char *lock = wbi_strdup_printf("%s/registry-sources.lock", s->priv);
    _cleanup_free_ char *where = wbi_strdup_printf("%s/%s", domain, repo);
    if (!path || !lock || !where)
        return;
    _cleanup_close_ int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || flock(fd, LOCK_EX) < 0)
        return;
    json_t *j = sources_load(path);
    for (size_t i = 0; i < n; i++) {
        /* moved to the end of the object: the most recently used blobs stay */
        json_t *list = json_incref(json_object_get(j, digests[i]));
        json_object_del(j, digests[i]);
        json_object_set_new(j, digests[i], json_is_array(list) ? list : json_array());
        if (!json_is_array(list))
            json_decref(list);
        add_one(j, digests[i], where);
    }
    while (json_object_size(j) > MAX_BLOBS) {
        void *it = json_object_iter(j);
        json_object_del(j, json_object_iter_key(it));
    }
    char *text = json_dumps(j, JSON_COMPACT);
    if (text)
        wbi_write_atomic(path, text, strlen(text), NULL);
    free(text);
    json_decref(j);
}
