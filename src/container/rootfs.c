/*
 * rootfs.c — an image's files on disk, extracted once and shared by every container
 * of the image, read-only.
 *
 * $ROOT/rootfs/<manifest-hex>/ is complete whenever it exists: it is extracted into
 * a temporary directory beside it and renamed into place, so a run that finds it
 * never sees half an image, and two first runs racing each other both succeed
 * (the loser of the rename throws its copy away). The key is the manifest digest,
 * not the image ID: two wasm artifacts may share a config blob yet carry different
 * layers. The guest only ever gets it as a read-only preopen, so nothing changes it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ctr.h"

static const char *digest_hex(const char *digest)
{
    const char *colon = strchr(digest, ':');
    return colon ? colon + 1 : digest;
}

int ctr_rootfs_get(wb_image_store *store, const wb_image_ref *image, char **path, wb_error *err)
{
    const char *root = wb_image_store_root(store);
    char *dir = ctr_strf("%s/rootfs/%s", root, digest_hex(image->manifest));
    if (!dir)
        return wb_error_oom(err);
    struct stat st;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
        *path = dir;
        return 0;
    }
    char hex[17];
    _cleanup_free_ char *parent = ctr_strf("%s/rootfs", root);
    if (!parent || ctr_random_hex(hex, 8, err) < 0) {
        free(dir);
        return parent ? -1 : wb_error_oom(err);
    }
    _cleanup_free_ char *tmp = ctr_strf("%s/.tmp-%s", parent, hex);
    if (!tmp || ctr_mkdir_p(parent, 0755, err) < 0) {
        free(dir);
        return tmp ? -1 : wb_error_oom(err);
    }
    if (wb_image_extract_rootfs(store, image, tmp, err) < 0) {
        ctr_rm_rf(tmp, NULL);
        free(dir);
        return wb_error_prefix(err, "unpack image");
    }
    chmod(tmp, 0755);
    if (rename(tmp, dir) < 0) {
        int e = errno;
        ctr_rm_rf(tmp, NULL);
        if (e != EEXIST && e != ENOTEMPTY) {
            wb_error_errno(err, e, "install %s", dir);
            free(dir);
            return -1;
        }
    }
    *path = dir;
    return 0;
}

/* ---- the image as a run needs it ------------------------------------------------ */

static char **strv_dup(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    char **c = calloc(n + 1, sizeof *c);
    for (size_t i = 0; c && i < n; i++) {
        if (!(c[i] = strdup(v[i]))) {
            for (size_t j = 0; j < i; j++)
                free(c[j]);
            free(c);
            return NULL;
        }
    }
    return c;
}

static json_t *strv_to_json(char *const *v)
{
    json_t *a = json_array();
    for (size_t i = 0; a && v && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static void strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

void ctr_image_free(ctr_image *im)
{
    strv_free(im->ic.entrypoint);
    strv_free(im->ic.cmd);
    strv_free(im->ic.env);
    strv_free(im->ic.labels);
    strv_free(im->ic.exposed_ports);
    free(im->ic.workdir);
    free(im->ic.user);
    free(im->rootfs);
    memset(im, 0, sizeof *im);
}

static bool image_complete(const ctr_image *im)
{
    const wb_image_config *c = &im->ic;
    return c->entrypoint && c->cmd && c->env && c->labels && c->exposed_ports && c->workdir &&
           c->user;
}

static int meta_read(const char *path, ctr_image *im)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        return -1;
    }
    const char *wd = json_string_value(json_object_get(j, "WorkingDir"));
    const char *user = json_string_value(json_object_get(j, "User"));
    im->ic.entrypoint = ctr_strv_from_json(json_object_get(j, "Entrypoint"), NULL);
    im->ic.cmd = ctr_strv_from_json(json_object_get(j, "Cmd"), NULL);
    im->ic.env = ctr_strv_from_json(json_object_get(j, "Env"), NULL);
    im->ic.labels = ctr_strv_from_json(json_object_get(j, "Labels"), NULL);
    im->ic.exposed_ports = ctr_strv_from_json(json_object_get(j, "ExposedPorts"), NULL);
    im->ic.workdir = strdup(wd ? wd : "");
    im->ic.user = strdup(user ? user : "");
    json_decref(j);
    return image_complete(im) ? 0 : -1;
}

static void meta_write(const char *path, const wb_image_config *c)
{
    json_t *j = json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:s, s:s}", "Entrypoint", strv_to_json(c->entrypoint), "Cmd",
        strv_to_json(c->cmd), "Env", strv_to_json(c->env), "Labels", strv_to_json(c->labels),
        "ExposedPorts", strv_to_json(c->exposed_ports), "WorkingDir", c->workdir, "User", c->user);
    if (j)
        ctr_write_json(path, j, true, NULL);
    json_decref(j);
}

/* The slow path: read (and verify) the config through the image store. */
static int config_from_store(wb_image_store *store, ctr_image *im, const char *meta, wb_error *err)
{
    wb_image_config *c;
    if (wb_image_config_read(store, &im->ref, &c, err) < 0)
        return -1;
    im->ic.entrypoint = strv_dup(c->entrypoint);
    im->ic.cmd = strv_dup(c->cmd);
    im->ic.env = strv_dup(c->env);
    im->ic.labels = strv_dup(c->labels);
    im->ic.exposed_ports = strv_dup(c->exposed_ports);
    im->ic.workdir = strdup(c->workdir ? c->workdir : "");
    im->ic.user = strdup(c->user ? c->user : "");
    if (!image_complete(im)) {
        wb_image_config_free(c);
        return wb_error_oom(err);
    }
    if (ctr_rootfs_get(store, &im->ref, &im->rootfs, err) < 0) {
        wb_image_config_free(c);
        return -1;
    }
    meta_write(meta, c);
    wb_image_config_free(c);
    return 0;
}

int ctr_image_get(const char *root, const char *ref, ctr_image *im, wb_error *err)
{
    memset(im, 0, sizeof *im);
    wb_image_store *store;
    if (wb_image_store_open(root, &store, err) < 0)
        return -1;
    int ret = wb_image_lookup(store, ref, &im->ref, err);
    _cleanup_free_ char *meta = NULL;
    if (ret == 0) {
        im->rootfs = ctr_strf("%s/rootfs/%s", root, digest_hex(im->ref.manifest));
        meta = ctr_strf("%s/rootfs/%s.json", root, digest_hex(im->ref.manifest));
        if (!im->rootfs || !meta)
            ret = wb_error_oom(err);
    }
    struct stat st;
    if (ret == 0 && !(stat(im->rootfs, &st) == 0 && meta_read(meta, im) == 0)) {
        ctr_image_free(im);
        ret = wb_image_lookup(store, ref, &im->ref, err);
        if (ret == 0)
            ret = config_from_store(store, im, meta, err);
    }
    wb_image_store_close(store);
    if (ret < 0)
        ctr_image_free(im);
    return ret;
}

/* ---- giving the disk back ------------------------------------------------------- */

/* A crashed first run leaves its .tmp-* extraction behind; one older than this is
 * nobody's work in progress. */
#define ROOTFS_TMP_MAX_AGE (60 * 60)

static uint64_t du_total;

static int du_add(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path, (void)flag, (void)ftw;
    if (S_ISREG(st->st_mode))
        du_total += (uint64_t)st->st_size;
    return 0;
}

/* Bytes of regular files under dir (not thread-safe: the CLI calls it once). */
static uint64_t disk_usage(const char *dir)
{
    du_total = 0;
    nftw(dir, du_add, 16, FTW_PHYS);
    return du_total;
}

static bool manifest_listed(const wb_image_info *list, size_t n, const char *hex)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(digest_hex(list[i].manifest), hex))
            return true;
    return false;
}

/* Whether rootfs/<name> is to go: a leftover extraction, or the files (and their
 * .json summary) of a manifest that is no longer in the listing. */
static bool rootfs_unused(const char *name, const struct stat *st, const wb_image_info *list,
                          size_t n, time_t now)
{
    if (!strncmp(name, ".tmp-", 5))
        return S_ISDIR(st->st_mode) && now - st->st_mtime > ROOTFS_TMP_MAX_AGE;
    size_t len = strlen(name);
    bool dir = S_ISDIR(st->st_mode) && len == 64;
    bool meta = S_ISREG(st->st_mode) && len == 69 && !strcmp(name + 64, ".json");
    if (!(dir || meta) || !ctr_is_hex(name, 64))
        return false;
    char hex[65];
    memcpy(hex, name, 64);
    hex[64] = 0;
    return !manifest_listed(list, n, hex);
}

static int remove_entry(const char *path, const struct stat *st, wb_error *err)
{
    if (S_ISDIR(st->st_mode))
        return ctr_rm_rf(path, err);
    if (unlink(path) < 0 && errno != ENOENT)
        return wb_error_errno(err, errno, "remove %s", path);
    return 0;
}

int wb_container_rootfs_prune(wb_image_store *store, uint64_t *reclaimed, wb_error *err)
{
    _cleanup_free_ char *parent = ctr_strf("%s/rootfs", wb_image_store_root(store));
    if (!parent)
        return wb_error_oom(err);
    DIR *d = opendir(parent);
    if (!d)
        return errno == ENOENT ? 0 : wb_error_errno(err, errno, "open %s", parent);
    wb_image_info *list = NULL;
    size_t n = 0;
    if (wb_image_list(store, &list, &n, err) < 0) {
        closedir(d);
        return -1;
    }
    time_t now = time(NULL);
    int ret = 0;
    struct dirent *e;
    while (ret == 0 && (e = readdir(d))) {
        struct stat st;
        if (e->d_name[0] == '.' && strncmp(e->d_name, ".tmp-", 5))
            continue;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !rootfs_unused(e->d_name, &st, list, n, now))
            continue;
        _cleanup_free_ char *path = ctr_strf("%s/%s", parent, e->d_name);
        if (!path) {
            ret = wb_error_oom(err);
            break;
        }
        uint64_t size = S_ISDIR(st.st_mode) ? disk_usage(path) : (uint64_t)st.st_size;
        ret = remove_entry(path, &st, err);
        if (ret == 0 && reclaimed)
            *reclaimed += size;
    }
    closedir(d);
    wb_image_list_free(list, n);
    return ret;
}
