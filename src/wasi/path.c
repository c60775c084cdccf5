/*
 * path.c — the path_* functions of preview1.
 *
 * Every path is resolved by resolve.c into (parent directory descriptor, plain
 * last name) beneath the guest's directory descriptor, and the host call is the
 * *at() variant on that pair that never follows a symlink in the last component
 * (following, when asked for, was already done safely by the resolver). Writes
 * under a read-only preopen fail with EROFS before anything is attempted.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_internal.h"

/* Checks the directory descriptor and right, reads the guest path and resolves it. */
static uint32_t resolve_arg(wb_wasi *w, wb_memory *m, uint32_t fd, uint64_t right, uint32_t ptr,
                            uint32_t len, bool follow, wasi_fd **dir, wasi_path *out)
{
    char path[PATH_MAX];
    out->parent = -1;
    wasi_fd *any = wasi_fd_get(w, fd);
    if (any && any->kind != WFD_DIR)
        return WASI_ENOTDIR;
    uint32_t e = wasi_fd_check(w, fd, right, dir);
    if (!e)
        e = wasi_path_read(m, ptr, len, path, sizeof(path));
    if (!e)
        e = wasi_path_resolve(w, (*dir)->host, path, follow, out);
    return e;
}

/* "name/" must name a directory: ENOTDIR when it is something else. */
static uint32_t check_slash(const wasi_path *p)
{
    struct stat st;
    if (!p->trailing_slash || fstatat(p->parent, p->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return 0;
    return S_ISDIR(st.st_mode) ? 0 : WASI_ENOTDIR;
}

#define RET_ERRNO(call) return (call) < 0 ? wasi_errno(errno) : 0

WASI_IMPL(path_create_directory)
{
    wasi_fd *d;
    _cleanup_close_ int parent = -1;
    wasi_path p;
    uint32_t e = resolve_arg(w, m, A32(a, 0), WASI_RIGHT_PATH_CREATE_DIRECTORY, A32(a, 1),
                             A32(a, 2), false, &d, &p);
    parent = p.parent;
    if (e)
        return e;
    if (d->readonly)
        return WASI_EROFS;
    RET_ERRNO(mkdirat(p.parent, p.name, 0777));
}

WASI_IMPL(path_remove_directory)
{
    wasi_fd *d;
    _cleanup_close_ int parent = -1;
    wasi_path p;
    uint32_t e = resolve_arg(w, m, A32(a, 0), WASI_RIGHT_PATH_REMOVE_DIRECTORY, A32(a, 1),
                             A32(a, 2), false, &d, &p);
    parent = p.parent;
    if (e)
        return e;
    if (d->readonly)
        return WASI_EROFS;
    if (strcmp(p.name, ".") == 0)
        return WASI_EBUSY; /* a directory the guest names by "." or ".." is in use */
    RET_ERRNO(unlinkat(p.parent, p.name, AT_REMOVEDIR));
}

WASI_IMPL(path_unlink_file)
{
    wasi_fd *d;
    _cleanup_close_ int parent = -1;
    wasi_path p;
    uint32_t e = resolve_arg(w, m, A32(a, 0), WASI_RIGHT_PATH_UNLINK_FILE, A32(a, 1), A32(a, 2),
                             false, &d, &p);
    parent = p.parent;
    if (e)
        return e;
    if (d->readonly)
        return WASI_EROFS;
    if (strcmp(p.name, ".") == 0)
        return WASI_EISDIR;
    if ((e = check_slash(&p)))
        return e;
    RET_ERRNO(unlinkat(p.parent, p.name, 0));
}

WASI_IMPL(path_filestat_get)
{
    wasi_fd *d;
    _cleanup_close_ int parent = -1;
    wasi_path p;
    uint32_t flags = A32(a, 1), out = A32(a, 4);
    if (flags & ~WASI_LOOKUP_SYMLINK_FOLLOW)
        return WASI_EINVAL;
    uint32_t e = resolve_arg(w, m, A32(a, 0), WASI_RIGHT_PATH_FILESTAT_GET, A32(a, 2), A32(a, 3),
                             flags & WASI_LOOKUP_SYMLINK_FOLLOW, &d, &p);
    parent = p.parent;
    if (!e)
        e = g_check(m, out, WASI_FILESTAT_SIZE, 8);
    if (e)
        return e;
    struct stat st;
    if (fstatat(p.parent, p.name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return wasi_errno(errno);
    if (p.trailing_slash && !S_ISDIR(st.st_mode))
        return WASI_ENOTDIR;
    wasi_put_filestat(g_ptr(m, out, WASI_FILESTAT_SIZE), &st);
    return 0;
}

WASI_IMPL(path_filestat_set_times)
{
    wasi_fd *d;
    _cleanup_close_ int parent = -1;
    wasi_path p;
    struct timespec ts[2];
    uint32_t flags = A32(a, 1);
    if (flags & ~WASI_LOOKUP_SYMLINK_FOLLOW)
        return WASI_EINVAL;
    uint32_t e = wasi_times(A64(a, 4), A64(a, 5), A32(a, 6), ts);
    if (e)
        return e;
    e = resolve_arg(w, m, A32(a, 0), WASI_RIGHT_PATH_FILESTAT_SET_TIMES, A32(a, 2), A32(a, 3),
                    flags & WASI_LOOKUP_SYMLINK_FOLLOW, &d, &p);
    parent = p.parent;
    if (e)
        return e;
    if (d->readonly)
        return WASI_EROFS;
    RET_ERRNO(utimensat(p.parent, p.name, ts, AT_SYMLINK_NOFOLLOW));
}

WASI_IMPL(path_readlink)
{
    wasi_fd *d;
    _cleanup_close_ int parent = -1;
    wasi_path p;
    uint32_t buf = A32(a, 3), cap = A32(a, 4), out = A32(a, 5);
    uint32_t e =
        resolve_arg(w, m, A32(a, 0), WASI_RIGHT_PATH_READLINK, A32(a, 1), A32(a, 2), false, &d, &p);
    parent = p.parent;
    if (!e)
        e = g_check(m, out, 4, 4);
    if (e)
        return e;
    char *dst = g_ptr(m, buf, cap);
    if (!dst)
        return WASI_EFAULT;
    /* POSIX readlink: a target longer than the buffer is cut short. */
    char target[PATH_MAX];
    ssize_t n = readlinkat(p.parent, p.name, target, sizeof(target));
    if (n < 0)
        return wasi_errno(errno);
    uint32_t len = (uint32_t)n < cap ? (uint32_t)n : cap;
    memcpy(dst, target, len);
    return g_put32(m, out, len);
}

WASI_IMPL(path_symlink)
{
    char target[PATH_MAX];
    wasi_fd *d;
    _cleanup_close_ int parent = -1;
    wasi_path p;
    uint32_t e = wasi_path_read(m, A32(a, 0), A32(a, 1), target, sizeof(target));
    if (e)
        return e;
    e = resolve_arg(w, m, A32(a, 2), WASI_RIGHT_PATH_SYMLINK, A32(a, 3), A32(a, 4), false, &d, &p);
    parent = p.parent;
    if (e)
        return e;
    if (d->readonly)
        return WASI_EROFS;
    /* The guest could never follow an absolute link; refuse to leave one for the host. */
    if (target[0] == '/')
        return WASI_ENOTCAPABLE;
    if (p.trailing_slash)
        return WASI_ENOENT;
    RET_ERRNO(symlinkat(target, p.parent, p.name));
}

WASI_IMPL(path_link)
{
    wasi_fd *d1, *d2;
    _cleanup_close_ int parent1 = -1, parent2 = -1;
    wasi_path p1, p2;
    uint32_t flags = A32(a, 1);
    if (flags & ~WASI_LOOKUP_SYMLINK_FOLLOW)
        return WASI_EINVAL;
    uint32_t e = resolve_arg(w, m, A32(a, 0), WASI_RIGHT_PATH_LINK_SOURCE, A32(a, 2), A32(a, 3),
                             flags & WASI_LOOKUP_SYMLINK_FOLLOW, &d1, &p1);
    parent1 = p1.parent;
    if (e)
        return e;
    e = resolve_arg(w, m, A32(a, 4), WASI_RIGHT_PATH_LINK_TARGET, A32(a, 5), A32(a, 6), false, &d2,
                    &p2);
    parent2 = p2.parent;
    if (e)
        return e;
    /* A link from a read-only tree into a writable one would make the file writable. */
    if (d1->readonly || d2->readonly)
        return WASI_EROFS;
    if (p2.trailing_slash || (e = check_slash(&p1)))
        return e ? e : WASI_ENOENT;
    RET_ERRNO(linkat(p1.parent, p1.name, p2.parent, p2.name, 0));
}

WASI_IMPL(path_rename)
{
    wasi_fd *d1, *d2;
    _cleanup_close_ int parent1 = -1, parent2 = -1;
    wasi_path p1, p2;
    uint32_t e = resolve_arg(w, m, A32(a, 0), WASI_RIGHT_PATH_RENAME_SOURCE, A32(a, 1), A32(a, 2),
                             false, &d1, &p1);
    parent1 = p1.parent;
    if (e)
        return e;
    e = resolve_arg(w, m, A32(a, 3), WASI_RIGHT_PATH_RENAME_TARGET, A32(a, 4), A32(a, 5), false,
                    &d2, &p2);
    parent2 = p2.parent;
    if (e)
        return e;
    if (d1->readonly || d2->readonly)
        return WASI_EROFS;
    if (strcmp(p1.name, ".") == 0 || strcmp(p2.name, ".") == 0)
        return WASI_EBUSY;
    struct stat st;
    if ((p1.trailing_slash || p2.trailing_slash) &&
        fstatat(p1.parent, p1.name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
        return WASI_ENOTDIR;
    RET_ERRNO(renameat(p1.parent, p1.name, p2.parent, p2.name));
}

/* ---- path_open ------------------------------------------------------------------ */

static uint32_t open_flags(uint32_t oflags, uint32_t fdflags, uint64_t base, bool readonly,
                           int *out)
{
    if (oflags & ~(WASI_O_CREAT | WASI_O_DIRECTORY | WASI_O_EXCL | WASI_O_TRUNC))
        return WASI_EINVAL;
    if (fdflags & ~WASI_FDFLAGS_ALL)
        return WASI_EINVAL;
    bool rd = base & WASI_RIGHTS_READ, wr = base & WASI_RIGHTS_WRITE;
    if ((oflags & WASI_O_DIRECTORY) && (oflags & (WASI_O_CREAT | WASI_O_TRUNC)))
        return WASI_EINVAL;
    if (readonly &&
        (wr || (oflags & (WASI_O_CREAT | WASI_O_TRUNC)) || (fdflags & WASI_FDFLAG_APPEND)))
        return WASI_EROFS;
    int fl = O_CLOEXEC | O_NOCTTY | O_NOFOLLOW;
    if (oflags & WASI_O_DIRECTORY)
        fl |= O_RDONLY | O_DIRECTORY;
    else
        fl |= wr ? (rd ? O_RDWR : O_WRONLY) : O_RDONLY;
    if (oflags & WASI_O_CREAT)
        fl |= O_CREAT;
    if (oflags & WASI_O_EXCL)
        fl |= O_EXCL;
    if (oflags & WASI_O_TRUNC)
        fl |= O_TRUNC;
    if (fdflags & WASI_FDFLAG_APPEND)
        fl |= O_APPEND;
    if (fdflags & WASI_FDFLAG_DSYNC)
        fl |= O_DSYNC;
    if (fdflags & (WASI_FDFLAG_SYNC | WASI_FDFLAG_RSYNC))
        fl |= O_SYNC;
    if (fdflags & WASI_FDFLAG_NONBLOCK)
        fl |= O_NONBLOCK;
    *out = fl;
    return 0;
}

/* Rights the opened descriptor needs from its directory. */
static uint64_t open_needs(uint32_t oflags)
{
    uint64_t need = WASI_RIGHT_PATH_OPEN;
    if (oflags & WASI_O_CREAT)
        need |= WASI_RIGHT_PATH_CREATE_FILE;
    if (oflags & WASI_O_TRUNC)
        need |= WASI_RIGHT_PATH_FILESTAT_SET_SIZE;
    return need;
}

static uint32_t open_host(wasi_path *p, int fl, int *out)
{
    if (p->trailing_slash && !(fl & O_CREAT))
        fl |= O_DIRECTORY;
    else if (p->trailing_slash)
        return WASI_EISDIR;
    int fd;
    do
        fd = openat(p->parent, p->name, fl, 0666);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return wasi_errno(errno);
    *out = fd;
    return 0;
}

WASI_IMPL(path_open)
{
    uint32_t dirfd = A32(a, 0), lookup = A32(a, 1), oflags = A32(a, 4), fdflags = A32(a, 7);
    uint64_t base = A64(a, 5), inh = A64(a, 6);
    uint32_t out = A32(a, 8);
    wasi_fd *d;
    _cleanup_close_ int parent = -1;
    wasi_path p = {.parent = -1};
    int fl = 0, fd = -1;
    if (lookup & ~WASI_LOOKUP_SYMLINK_FOLLOW)
        return WASI_EINVAL;
    wasi_fd *any = wasi_fd_get(w, dirfd);
    if (any && any->kind != WFD_DIR)
        return WASI_ENOTDIR;
    uint32_t e = wasi_fd_check(w, dirfd, open_needs(oflags), &d);
    if (!e)
        e = g_check(m, out, 4, 4);
    if (e)
        return e;
    if ((base | inh) & ~d->inheriting)
        return WASI_ENOTCAPABLE;
    if ((e = open_flags(oflags, fdflags, base, d->readonly, &fl)))
        return e;
    /* O_CREAT|O_EXCL must not follow a final symlink (POSIX). */
    bool follow = (lookup & WASI_LOOKUP_SYMLINK_FOLLOW) &&
                  (oflags & (WASI_O_CREAT | WASI_O_EXCL)) != (WASI_O_CREAT | WASI_O_EXCL);
    char path[PATH_MAX];
    if ((e = wasi_path_read(m, A32(a, 2), A32(a, 3), path, sizeof(path))))
        return e;
    if ((e = wasi_path_resolve(w, d->host, path, follow, &p)))
        return e;
    parent = p.parent;
    if ((e = open_host(&p, fl, &fd)))
        return e;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return wasi_errno(errno);
    }
    bool isdir = S_ISDIR(st.st_mode);
    wasi_fd nf = {
        .host = fd,
        .readonly = d->readonly,
        .kind = isdir ? WFD_DIR : WFD_FILE,
        .filetype = wasi_filetype_of_mode(st.st_mode),
        .type_known = true,
        .flags = (uint16_t)fdflags,
        /* Rights that do not apply to this kind of file are dropped, as the spec allows. */
        .base = base & (isdir ? WASI_RIGHTS_DIR : WASI_RIGHTS_FILE),
        .inheriting = inh,
    };
    if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
        nf.base &= ~(WASI_RIGHT_FD_SEEK | WASI_RIGHT_FD_TELL); /* how isatty() tells */
    uint32_t guest;
    if ((e = wasi_fd_add(w, &nf, &guest)))
        return e;
    return g_put32(m, out, guest);
}
