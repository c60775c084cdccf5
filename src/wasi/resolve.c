/*
 * resolve.c — the sandbox: resolving a guest path beneath a directory descriptor.
 *
 * A path is split into its directory part and its last component. The directory
 * part is opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), which the
 * kernel resolves atomically and refuses (EXDEV) whenever `..`, an absolute path
 * or a symlink would leave the starting directory — also if a directory is
 * swapped for a symlink while it resolves. Where openat2 is missing (Linux < 5.6,
 * or a seccomp filter that denies it) a user-space walk does the same: one
 * component at a time with O_NOFOLLOW relative to a held descriptor, symlinks
 * read with readlinkat and spliced into the rest of the path, and `..` answered by
 * popping a stack of held descriptors, never by asking the host for "..". Either
 * way nothing the guest names is ever looked up relative to anything but a
 * descriptor beneath its starting directory.
 *
 * The last component is handed back as a plain name (never containing '/', never
 * "..") for the caller's *at() call, which always passes the no-follow flavour;
 * when the caller wants symlinks followed, the last component is followed here,
 * one readlinkat at a time, by re-resolving "dir/target" from the start.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wasi_internal.h"

#define MAX_SYMLINK_HOPS 40
#define MAX_WALK_DEPTH 512

uint32_t wasi_path_read(wb_memory *m, uint32_t ptr, uint32_t len, char *buf, size_t cap)
{
    const char *p = g_ptr(m, ptr, len);
    if (!p)
        return WASI_EFAULT;
    if (len >= cap)
        return WASI_ENAMETOOLONG;
    if (memchr(p, 0, len))
        return WASI_EILSEQ;
    memcpy(buf, p, len);
    buf[len] = 0;
    return 0;
}

void wasi_path_done(wasi_path *p)
{
    if (p->parent >= 0)
        close(p->parent);
    p->parent = -1;
}

/* ---- the fallback walk --------------------------------------------------------- */

typedef struct walk {
    int stack[MAX_WALK_DEPTH]; /* held directories below the start, innermost last */
    int depth;
} walk;

static void walk_clear(walk *k)
{
    while (k->depth > 0)
        close(k->stack[--k->depth]);
}

/* Replaces the unread rest of `path` (from `rest` on) by "target/rest". */
static uint32_t splice_target(char *path, size_t cap, const char **rest, const char *target)
{
    size_t tl = strlen(target), rl = strlen(*rest);
    if (tl + 1 + rl + 1 > cap)
        return WASI_ENAMETOOLONG;
    char tmp[PATH_MAX * 2];
    memcpy(tmp, target, tl);
    tmp[tl] = '/';
    memcpy(tmp + tl + 1, *rest, rl + 1);
    memcpy(path, tmp, tl + rl + 2);
    *rest = path;
    return 0;
}

static uint32_t walk_step(walk *k, int start, const char *comp, char *path, size_t cap,
                          const char **rest, int *hops)
{
    if (strcmp(comp, ".") == 0)
        return 0;
    if (strcmp(comp, "..") == 0) {
        if (k->depth == 0)
            return WASI_ENOTCAPABLE;
        close(k->stack[--k->depth]);
        return 0;
    }
    int cur = k->depth ? k->stack[k->depth - 1] : start;
    int fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
        if (k->depth == MAX_WALK_DEPTH) {
            close(fd);
            return WASI_ENAMETOOLONG;
        }
        k->stack[k->depth++] = fd;
        return 0;
    }
    int err = errno;
    if (err != ENOTDIR && err != ELOOP)
        return wasi_errno(err);
    char target[PATH_MAX];
    ssize_t n = readlinkat(cur, comp, target, sizeof(target) - 1);
    if (n < 0)
        return wasi_errno(err); /* not a symlink: a file on the way */
    target[n] = 0;
    if (++*hops > MAX_SYMLINK_HOPS)
        return WASI_ELOOP;
    if (target[0] == '/')
        return WASI_ENOTCAPABLE;
    return splice_target(path, cap, rest, target);
}

static uint32_t walk_beneath(int start, const char *dir, int *out)
{
    char path[PATH_MAX * 2];
    size_t len = strlen(dir);
    if (len >= sizeof(path))
        return WASI_ENAMETOOLONG;
    memcpy(path, dir, len + 1);
    walk *k = malloc(sizeof(*k));
    if (!k)
        return WASI_ENOMEM;
    k->depth = 0;
    const char *rest = path;
    int hops = 0;
    uint32_t e = 0;
    while (!e && *rest) {
        while (*rest == '/')
            rest++;
        size_t cl = strcspn(rest, "/");
        if (cl == 0)
            break;
        char comp[NAME_MAX + 1];
        if (cl > NAME_MAX) {
            e = WASI_ENAMETOOLONG;
            break;
        }
        memcpy(comp, rest, cl);
        comp[cl] = 0;
        rest += cl;
        e = walk_step(k, start, comp, path, sizeof(path), &rest, &hops);
    }
    if (!e) {
        int fd =
            k->depth ? k->stack[--k->depth] : openat(start, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            e = wasi_errno(errno);
        *out = fd;
    }
    walk_clear(k);
    free(k);
    return e;
}

/* ---- openat2 ------------------------------------------------------------------- */

static bool want_openat2(wb_wasi *w)
{
    if (w->use_openat2 < 0) {
        /* WASMBOX_WASI_RESOLVE=walk forces the fallback (the tests run both). */
        const char *v = getenv("WASMBOX_WASI_RESOLVE");
        w->use_openat2 = !(v && strcmp(v, "walk") == 0);
    }
    return w->use_openat2 == 1;
}

/* Opens directory `dir` beneath `start` as an O_PATH descriptor. */
static uint32_t open_beneath(wb_wasi *w, int start, const char *dir, int *out)
{
    if (want_openat2(w)) {
        struct open_how how = {
            .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
            .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
        };
        for (int tries = 0; tries < 16; tries++) {
            long fd = syscall(SYS_openat2, start, dir, &how, sizeof(how));
            if (fd >= 0) {
                *out = (int)fd;
                return 0;
            }
            if (errno == EAGAIN || errno == EINTR)
                continue; /* a concurrent rename; the kernel asks us to retry */
            if (errno == ENOSYS || errno == EPERM || errno == E2BIG) {
                w->use_openat2 = 0;
                break;
            }
            return errno == EXDEV ? WASI_ENOTCAPABLE : wasi_errno(errno);
        }
        if (w->use_openat2)
            return WASI_EAGAIN;
    }
    return walk_beneath(start, dir, out);
}

/* ---- splitting and following ---------------------------------------------------- */

static bool is_dot(const char *s)
{
    return s[0] == '.' && (!s[1] || (s[1] == '.' && !s[2]));
}

/* Splits `buf` in place into its directory part (returned) and *name. */
static const char *split(char *buf, const char **name, bool *slash)
{
    size_t len = strlen(buf);
    *slash = false;
    while (len > 1 && buf[len - 1] == '/') {
        buf[--len] = 0;
        *slash = true;
    }
    char *last = strrchr(buf, '/');
    if (is_dot(last ? last + 1 : buf)) {
        *name = ".";
        return buf; /* "x/.." names a directory: open all of it */
    }
    if (!last) {
        *name = buf;
        return ".";
    }
    *last = 0;
    *name = last + 1;
    return buf;
}

uint32_t wasi_path_resolve(wb_wasi *w, int dirfd, const char *path, bool follow, wasi_path *out)
{
    char buf[PATH_MAX];
    out->parent = -1;
    if (!path[0])
        return WASI_ENOENT;
    if (path[0] == '/')
        return WASI_ENOTCAPABLE;
    size_t plen = strlen(path);
    if (plen >= sizeof(buf))
        return WASI_ENAMETOOLONG;
    memcpy(buf, path, plen + 1);
    for (int hops = 0;; hops++) {
        const char *name;
        bool slash;
        const char *dir = split(buf, &name, &slash);
        size_t nl = strlen(name);
        if (nl >= sizeof(out->name))
            return WASI_ENAMETOOLONG;
        uint32_t e = open_beneath(w, dirfd, dir, &out->parent);
        if (e)
            return e;
        memcpy(out->name, name, nl + 1);
        out->trailing_slash = slash;
        if ((!follow && !slash) || strcmp(name, ".") == 0)
            return 0;
        char target[PATH_MAX];
        ssize_t n = readlinkat(out->parent, name, target, sizeof(target) - 1);
        if (n < 0)
            return 0; /* not a symlink (or absent): the name itself is the answer */
        target[n] = 0;
        wasi_path_done(out);
        if (hops >= MAX_SYMLINK_HOPS)
            return WASI_ELOOP;
        if (target[0] == '/')
            return WASI_ENOTCAPABLE;
        /* The link's target is relative to the directory holding it: re-resolve
         * "dir/target" from the start so every step stays beneath dirfd. */
        char next[PATH_MAX];
        int len = strcmp(dir, ".") == 0
                      ? snprintf(next, sizeof(next), "%s%s", target, slash ? "/" : "")
                      : snprintf(next, sizeof(next), "%s/%s%s", dir, target, slash ? "/" : "");
        if (len < 0 || (size_t)len >= sizeof(next))
            return WASI_ENAMETOOLONG;
        memcpy(buf, next, (size_t)len + 1);
    }
}
