/*
 * fdtable.c — the guest's descriptor table.
 *
 * Guest fd N is w->fds[N]; it maps to a host descriptor the WASI context owns (or,
 * for stdio, borrows). The guest can only name entries of this table, so a host
 * descriptor that is not in it (the module file, a log, anything inherited) is
 * unreachable from the guest.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wasi_internal.h"

/* A guest cannot hold more than this many descriptors (the host limit usually
 * bites first). */
#define WASI_MAX_FDS (1u << 20)

wasi_fd *wasi_fd_get(wb_wasi *w, uint32_t fd)
{
    if (fd >= w->nfds || !w->fds[fd].open)
        return NULL;
    return &w->fds[fd];
}

uint32_t wasi_fd_check(wb_wasi *w, uint32_t fd, uint64_t need, wasi_fd **out)
{
    wasi_fd *f = wasi_fd_get(w, fd);
    if (!f)
        return WASI_EBADF;
    if (!f->type_known)
        wasi_fd_probe(f);
    if ((f->base & need) != need)
        return WASI_ENOTCAPABLE;
    *out = f;
    return 0;
}

uint32_t wasi_fd_add(wb_wasi *w, const wasi_fd *proto, uint32_t *out)
{
    uint32_t fd = 3;
    while (fd < w->nfds && w->fds[fd].open)
        fd++;
    if (fd >= w->capfds) {
        if (w->capfds >= WASI_MAX_FDS)
            goto full;
        uint32_t cap = w->capfds * 2;
        wasi_fd *n = realloc(w->fds, cap * sizeof(*n));
        if (!n)
            goto full;
        memset(n + w->capfds, 0, (cap - w->capfds) * sizeof(*n));
        w->fds = n;
        w->capfds = cap;
    }
    if (fd >= w->nfds)
        w->nfds = fd + 1;
    w->fds[fd] = *proto;
    w->fds[fd].open = true;
    *out = fd;
    return 0;
full:
    if (proto->host >= 0)
        close(proto->host);
    return WASI_EMFILE;
}

void wasi_fd_release(wasi_fd *f)
{
    if (f->kind != WFD_STDIO && f->host >= 0)
        close(f->host);
    free(f->preopen);
    free(f->dir_pos);
    memset(f, 0, sizeof(*f));
    f->host = -1;
}

uint8_t wasi_filetype_of_mode(unsigned mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG:
        return WASI_FILETYPE_REGULAR_FILE;
    case S_IFDIR:
        return WASI_FILETYPE_DIRECTORY;
    case S_IFCHR:
        return WASI_FILETYPE_CHARACTER_DEVICE;
    case S_IFBLK:
        return WASI_FILETYPE_BLOCK_DEVICE;
    case S_IFLNK:
        return WASI_FILETYPE_SYMBOLIC_LINK;
    case S_IFSOCK:
        return WASI_FILETYPE_SOCKET_STREAM;
    default:
        return WASI_FILETYPE_UNKNOWN; /* FIFOs have no WASI type */
    }
}

void wasi_fd_probe(wasi_fd *f)
{
    f->type_known = true;
    /* wasi-libc's isatty() is "a character device without seek/tell rights", so a
     * character device that is not a terminal (/dev/null, and the empty stdin that
     * stands for it when -i is not given) keeps seek and tell: otherwise every
     * program would believe its stdin is a terminal. */
    if (f->kind == WFD_EMPTY) {
        f->filetype = WASI_FILETYPE_CHARACTER_DEVICE;
        f->base = WASI_RIGHTS_TTY | WASI_RIGHT_FD_SEEK | WASI_RIGHT_FD_TELL;
        return;
    }
    struct stat st;
    if (fstat(f->host, &st) < 0) {
        f->filetype = WASI_FILETYPE_UNKNOWN;
        f->base = WASI_RIGHTS_TTY;
        return;
    }
    f->filetype = wasi_filetype_of_mode(st.st_mode);
    if (S_ISSOCK(st.st_mode)) {
        int type = 0;
        socklen_t len = sizeof(type);
        if (getsockopt(f->host, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_DGRAM)
            f->filetype = WASI_FILETYPE_SOCKET_DGRAM;
    }
    /* Redirected to a file: seekable like any file (but never a directory's rights). */
    if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
        f->base = WASI_RIGHTS_FILE;
    else if (S_ISCHR(st.st_mode) && !isatty(f->host))
        f->base = WASI_RIGHTS_TTY | WASI_RIGHT_FD_SEEK | WASI_RIGHT_FD_TELL;
    else
        f->base = WASI_RIGHTS_TTY;
}

uint32_t wasi_iovecs(wb_memory *m, uint32_t iovs, uint32_t count, struct iovec *out, int *n)
{
    if (iovs & 3)
        return WASI_EINVAL;
    const uint8_t *v = g_ptr(m, iovs, (uint64_t)count * WASI_IOVEC_SIZE);
    if (!v)
        return WASI_EFAULT;
    if (count > IOV_MAX)
        count = IOV_MAX;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t buf = ld32(v, i * 8), len = ld32(v, i * 8 + 4);
        void *p = g_ptr(m, buf, len);
        if (!p)
            return WASI_EFAULT;
        out[i].iov_base = p;
        out[i].iov_len = len;
    }
    *n = (int)count;
    return 0;
}
