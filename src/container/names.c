/*
 * names.c — container names and ids.
 *
 * A name is a symlink $ROOT/names/<name> -> <id>. symlink() either creates it or
 * fails with EEXIST, atomically, so two `run --name x` racing each other cannot
 * both win. The id is written in base64url (43 characters), not hex (64): ext4
 * keeps a target under 60 bytes inside the inode, where a longer one costs a data
 * block — and on a filesystem mounted with discard, a synchronous TRIM when the
 * name is released. A link whose container directory is gone (a crash between the two
 * steps of create or rm) is stale and may be taken over.
 *
 * References resolve as docker resolves them: a full id, then an exact name, then
 * a unique id prefix.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctr.h"

int ctr_name_check(const char *name, wb_error *err)
{
    size_t n = strlen(name);
    bool ok = n >= 2 && n < 200;
    for (size_t i = 0; ok && i < n; i++) {
        char c = name[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        ok = alnum || (i > 0 && (c == '_' || c == '.' || c == '-'));
    }
    if (!ok)
        return wb_error_set(err,
                            "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
                            "allowed",
                            name);
    return 0;
}

static bool container_exists(const char *root, const char *id)
{
    _cleanup_free_ char *dir = ctr_dir(root, id);
    struct stat st;
    return dir && stat(dir, &st) == 0;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* 64 hex digits <-> 43 base64url characters (256 bits, no padding). */
static void id_to_b64(const char *id, char out[44])
{
    unsigned acc = 0;
    int bits = 0, o = 0;
    for (int i = 0; i < WB_CTR_ID_LEN; i++) {
        char c = id[i];
        acc = (acc << 4) | (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
        bits += 4;
        if (bits >= 6) {
            out[o++] = b64[(acc >> (bits - 6)) & 63];
            bits -= 6;
        }
    }
    if (bits)
        out[o++] = b64[(acc << (6 - bits)) & 63];
    out[o] = 0;
}

static bool b64_to_id(const char *in, char id[WB_CTR_ID_LEN + 1])
{
    unsigned acc = 0;
    int bits = 0, o = 0;
    for (int i = 0; in[i] && o < WB_CTR_ID_LEN; i++) {
        const char *p = strchr(b64, in[i]);
        if (!p || !in[i])
            return false;
        acc = (acc << 6) | (unsigned)(p - b64);
        bits += 6;
        while (bits >= 4 && o < WB_CTR_ID_LEN) {
            id[o++] = "0123456789abcdef"[(acc >> (bits - 4)) & 15];
            bits -= 4;
        }
    }
    id[o] = 0;
    return o == WB_CTR_ID_LEN;
}

/* The id a name points at, or "" when none. */
static void name_target(const char *root, const char *name, char id[WB_CTR_ID_LEN + 1])
{
    id[0] = 0;
    _cleanup_free_ char *link = ctr_strf("%s/names/%s", root, name);
    if (!link)
        return;
    char buf[WB_CTR_ID_LEN + 2];
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    if (n <= 0)
        return;
    buf[n] = 0;
    if (n == 43 && b64_to_id(buf, id))
        return;
    if (n == WB_CTR_ID_LEN && ctr_is_hex(buf, (size_t)n))
        memcpy(id, buf, WB_CTR_ID_LEN + 1);
    else
        id[0] = 0;
}

static int link_name(const char *id, const char *link)
{
    char target[44];
    id_to_b64(id, target);
    return symlink(target, link);
}

/* A link whose container is gone is replaced under $ROOT/names/.lock, re-checked
 * there: two claimers of the same stale name must not both unlink and relink it.
 * (A fresh claim never points at a missing directory: create makes the directory
 * before it claims the name.) 0 claimed, 1 taken (holder set), < 0 error. */
static int take_over_stale(const char *root, const char *name, const char *link, const char *id,
                           char holder[WB_CTR_ID_LEN + 1], wb_error *err)
{
    _cleanup_free_ char *lockpath = ctr_strf("%s/names/.lock", root);
    if (!lockpath)
        return wb_error_oom(err);
    _cleanup_close_ int fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return wb_error_errno(err, errno, "open %s", lockpath);
    while (flock(fd, LOCK_EX) < 0)
        if (errno != EINTR)
            return wb_error_errno(err, errno, "lock %s", lockpath);
    name_target(root, name, holder);
    if (holder[0] && container_exists(root, holder))
        return 1;
    holder[0] = 0;
    unlink(link);
    if (link_name(id, link) == 0)
        return 0;
    if (errno != EEXIST)
        return wb_error_errno(err, errno, "claim name %s", name);
    name_target(root, name, holder);
    return 1;
}

/* 0 claimed, 1 taken (by *holder), < 0 error. */
static int try_claim(const char *root, const char *name, const char *id,
                     char holder[WB_CTR_ID_LEN + 1], wb_error *err)
{
    _cleanup_free_ char *link = ctr_strf("%s/names/%s", root, name);
    if (!link)
        return wb_error_oom(err);
    for (int attempt = 0; attempt < 3; attempt++) {
        if (link_name(id, link) == 0)
            return 0;
        if (errno == ENOENT) {
            _cleanup_free_ char *dir = ctr_strf("%s/names", root);
            if (!dir || ctr_mkdir_p(dir, 0755, err) < 0)
                return dir ? -1 : wb_error_oom(err);
            continue;
        }
        if (errno != EEXIST)
            return wb_error_errno(err, errno, "claim name %s", name);
        name_target(root, name, holder);
        if (holder[0] && container_exists(root, holder))
            return 1;
        int ret = take_over_stale(root, name, link, id, holder, err);
        if (ret <= 0 || holder[0])
            return ret;
    }
    return 1;
}

/* docker's generator: an adjective and a notable scientist or hacker. */
/* clang-format off */
static const char *const left[] = {
    "admiring", "agitated", "amazing", "angry", "awesome", "blissful", "bold", "boring",
    "brave", "busy", "charming", "clever", "compassionate", "dazzling", "determined", "eager",
    "ecstatic", "elastic", "elated", "epic", "festive", "focused", "friendly", "gallant",
    "gifted", "goofy", "happy", "hopeful", "inspiring", "jolly", "keen", "kind", "laughing",
    "loving", "lucid", "magical", "modest", "nice", "nifty", "nostalgic", "peaceful", "pensive",
    "quirky", "relaxed", "serene", "sharp", "stoic", "sweet", "tender", "trusting", "upbeat",
    "vibrant", "wizardly", "youthful", "zealous",
};
/* clang-format on */
/* clang-format off */
static const char *const right[] = {
    "agnesi", "albattani", "allen", "archimedes", "babbage", "bardeen", "bell", "bhabha",
    "blackwell", "bohr", "booth", "borg", "brahmagupta", "cannon", "cerf", "chandrasekhar",
    "curie", "darwin", "dijkstra", "einstein", "euclid", "euler", "fermat", "fermi", "feynman",
    "franklin", "galileo", "gauss", "goldberg", "goodall", "hamilton", "hawking", "hodgkin",
    "hopper", "hypatia", "johnson", "kepler", "knuth", "lamarr", "leavitt", "lovelace",
    "mccarthy", "meitner", "mirzakhani", "newton", "noether", "pascal", "ritchie", "shannon",
    "thompson", "torvalds", "turing", "wozniak", "wright", "yonath",
};
/* clang-format on */

static int generate_and_claim(const char *root, const char *id, char *out, size_t outlen,
                              wb_error *err)
{
    char holder[WB_CTR_ID_LEN + 1];
    for (int attempt = 0; attempt < 64; attempt++) {
        char hex[9];
        if (ctr_random_hex(hex, 4, err) < 0)
            return -1;
        unsigned long r = strtoul(hex, NULL, 16);
        const char *l = left[r % (sizeof left / sizeof left[0])];
        const char *rt = right[(r >> 8) % (sizeof right / sizeof right[0])];
        if (attempt < 8)
            snprintf(out, outlen, "%s_%s", l, rt);
        else
            snprintf(out, outlen, "%s_%s%lu", l, rt, (r >> 16) % 100);
        int ret = try_claim(root, out, id, holder, err);
        if (ret <= 0)
            return ret;
    }
    return wb_error_set(err, "could not generate a unique container name");
}

int ctr_name_claim(const char *root, const char *name, const char *id, char *out, size_t outlen,
                   wb_error *err)
{
    if (!name)
        return generate_and_claim(root, id, out, outlen, err);
    if (name[0] == '/')
        name++;
    if (ctr_name_check(name, err) < 0)
        return -1;
    char holder[WB_CTR_ID_LEN + 1];
    int ret = try_claim(root, name, id, holder, err);
    if (ret < 0)
        return ret;
    if (ret > 0)
        return wb_error_set(err,
                            "Conflict. The container name \"/%s\" is already in use by container "
                            "\"%s\". You have to remove (or rename) that container to be able to "
                            "reuse that name.",
                            name, holder);
    snprintf(out, outlen, "%s", name);
    return 0;
}

void ctr_name_release(const char *root, const char *name, const char *id)
{
    char holder[WB_CTR_ID_LEN + 1];
    name_target(root, name, holder);
    if (strcmp(holder, id) != 0)
        return;
    _cleanup_free_ char *link = ctr_strf("%s/names/%s", root, name);
    if (link)
        unlink(link);
}

/* ---- ids ------------------------------------------------------------------------ */

static int cmp_ids(const void *a, const void *b)
{
    return strcmp(a, b);
}

int ctr_list_ids(const char *root, char (**ids)[WB_CTR_ID_LEN + 1], size_t *n, wb_error *err)
{
    *ids = NULL;
    *n = 0;
    _cleanup_free_ char *path = ctr_strf("%s/containers", root);
    if (!path)
        return wb_error_oom(err);
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT ? 0 : wb_error_errno(err, errno, "open %s", path);
    size_t cap = 0;
    struct dirent *e;
    int ret = 0;
    while ((e = readdir(d))) {
        if (strlen(e->d_name) != WB_CTR_ID_LEN || !ctr_is_hex(e->d_name, WB_CTR_ID_LEN))
            continue;
        struct stat st;
        if (e->d_type == DT_LNK && fstatat(dirfd(d), e->d_name, &st, 0) < 0 && errno == ENOENT) {
            /* An ephemeral container whose runtime directory went away with a
             * reboot: it was --rm, so nothing is left to show. */
            unlinkat(dirfd(d), e->d_name, 0);
            continue;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            void *p = realloc(*ids, cap * sizeof **ids);
            if (!p) {
                ret = wb_error_oom(err);
                break;
            }
            *ids = p;
        }
        memcpy((*ids)[(*n)++], e->d_name, WB_CTR_ID_LEN + 1);
    }
    closedir(d);
    if (ret < 0) {
        free(*ids);
        *ids = NULL;
        *n = 0;
        return ret;
    }
    if (*n)
        qsort(*ids, *n, sizeof **ids, cmp_ids);
    return 0;
}

int wb_container_resolve(const char *root_opt, const char *ref, char id[WB_CTR_ID_LEN + 1],
                         wb_error *err)
{
    _cleanup_free_ char *root = ctr_root(root_opt, err);
    if (!root)
        return -1;
    size_t len = strlen(ref);
    if (len == WB_CTR_ID_LEN && ctr_is_hex(ref, len) && container_exists(root, ref)) {
        memcpy(id, ref, WB_CTR_ID_LEN + 1);
        return 0;
    }
    const char *name = ref[0] == '/' ? ref + 1 : ref;
    if (name[0] && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..")) {
        name_target(root, name, id);
        if (id[0] && container_exists(root, id))
            return 0;
    }
    if (len == 0 || len > WB_CTR_ID_LEN || !ctr_is_hex(ref, len))
        return wb_error_set(err, "No such container: %s", ref);
    char(*ids)[WB_CTR_ID_LEN + 1];
    size_t n;
    if (ctr_list_ids(root, &ids, &n, err) < 0)
        return -1;
    size_t found = 0;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(ids[i], ref, len) == 0) {
            if (found++ == 0)
                memcpy(id, ids[i], WB_CTR_ID_LEN + 1);
        }
    }
    free(ids);
    if (found == 1)
        return 0;
    id[0] = 0;
    if (found > 1)
        return wb_error_set(err, "multiple IDs found with provided prefix: %s", ref);
    return wb_error_set(err, "No such container: %s", ref);
}
