/*
 * sock.c — sock_accept, sock_recv, sock_send, sock_shutdown.
 *
 * Preview1 cannot create or bind sockets: the guest only accepts on listening
 * sockets the embedder handed it (wasmbox run -p) and talks over what it accepted.
 * Sends use MSG_NOSIGNAL so a peer that went away is EPIPE, not a host SIGPIPE.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wasi_internal.h"

/* The socket descriptor `fd` (ENOTSOCK when it is another kind of file). */
static uint32_t sock_get(wb_wasi *w, uint32_t fd, uint64_t right, wasi_fd_kind kind, wasi_fd **out)
{
    wasi_fd *f = wasi_fd_get(w, fd);
    if (!f)
        return WASI_EBADF;
    if (f->kind != WFD_SOCK && f->kind != WFD_LISTEN)
        return WASI_ENOTSOCK;
    if (f->kind != kind)
        return kind == WFD_LISTEN ? WASI_EINVAL : WASI_ENOTCONN;
    return wasi_fd_check(w, fd, right, out);
}

WASI_IMPL(sock_accept)
{
    wasi_fd *l;
    uint32_t flags = A32(a, 1), out = A32(a, 2);
    uint32_t e = sock_get(w, A32(a, 0), WASI_RIGHT_SOCK_ACCEPT, WFD_LISTEN, &l);
    if (!e)
        e = g_check(m, out, 4, 4);
    if (e)
        return e;
    if (flags & ~WASI_FDFLAG_NONBLOCK)
        return WASI_EINVAL;
    int fd;
    do
        fd = accept4(l->host, NULL, NULL,
                     SOCK_CLOEXEC | ((flags & WASI_FDFLAG_NONBLOCK) ? SOCK_NONBLOCK : 0));
    while (fd < 0 && wasi_retry_eintr(w));
    if (fd < 0)
        return wasi_errno(errno);
    wasi_fd nf = {
        .host = fd,
        .kind = WFD_SOCK,
        .filetype = WASI_FILETYPE_SOCKET_STREAM,
        .type_known = true,
        .flags = (uint16_t)flags,
        .base = WASI_RIGHTS_SOCK & l->inheriting,
        .inheriting = 0,
    };
    uint32_t guest;
    if ((e = wasi_fd_add(w, &nf, &guest)))
        return e;
    return g_put32(m, out, guest);
}

WASI_IMPL(sock_recv)
{
    wasi_fd *f;
    uint32_t iovs = A32(a, 1), n = A32(a, 2), riflags = A32(a, 3);
    uint32_t plen = A32(a, 4), pflags = A32(a, 5);
    uint32_t e = sock_get(w, A32(a, 0), WASI_RIGHT_FD_READ, WFD_SOCK, &f);
    if (!e)
        e = g_check(m, plen, 4, 4);
    if (!e)
        e = g_check(m, pflags, 2, 2);
    if (e)
        return e;
    if (riflags & ~(WASI_RIFLAG_PEEK | WASI_RIFLAG_WAITALL))
        return WASI_EINVAL;
    struct iovec iov[IOV_MAX];
    int cnt;
    if ((e = wasi_iovecs(m, iovs, n, iov, &cnt)))
        return e;
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)cnt};
    int fl = ((riflags & WASI_RIFLAG_PEEK) ? MSG_PEEK : 0) |
             ((riflags & WASI_RIFLAG_WAITALL) ? MSG_WAITALL : 0);
    ssize_t r;
    do
        r = recvmsg(f->host, &msg, fl);
    while (r < 0 && wasi_retry_eintr(w));
    if (r < 0)
        return wasi_errno(errno);
    uint16_t roflags = 0; /* RECV_DATA_TRUNCATED: never, for a stream */
    memcpy(g_ptr(m, pflags, 2), &roflags, 2);
    return g_put32(m, plen, (uint32_t)r);
}

WASI_IMPL(sock_send)
{
    wasi_fd *f;
    uint32_t iovs = A32(a, 1), n = A32(a, 2), siflags = A32(a, 3), out = A32(a, 4);
    uint32_t e = sock_get(w, A32(a, 0), WASI_RIGHT_FD_WRITE, WFD_SOCK, &f);
    if (!e)
        e = g_check(m, out, 4, 4);
    if (e)
        return e;
    if (siflags != 0)
        return WASI_EINVAL;
    struct iovec iov[IOV_MAX];
    int cnt;
    if ((e = wasi_iovecs(m, iovs, n, iov, &cnt)))
        return e;
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)cnt};
    ssize_t r;
    do
        r = sendmsg(f->host, &msg, MSG_NOSIGNAL);
    while (r < 0 && wasi_retry_eintr(w));
    if (r < 0)
        return wasi_errno(errno);
    return g_put32(m, out, (uint32_t)r);
}

WASI_IMPL(sock_shutdown)
{
    (void)m;
    wasi_fd *f;
    uint32_t how = A32(a, 1);
    uint32_t e = sock_get(w, A32(a, 0), WASI_RIGHT_SOCK_SHUTDOWN, WFD_SOCK, &f);
    if (e)
        return e;
    if (how == 0 || (how & ~(WASI_SDFLAG_RD | WASI_SDFLAG_WR)))
        return WASI_EINVAL;
    int h = how == (WASI_SDFLAG_RD | WASI_SDFLAG_WR) ? SHUT_RDWR
            : how == WASI_SDFLAG_RD                  ? SHUT_RD
                                                     : SHUT_WR;
    if (shutdown(f->host, h) < 0)
        return wasi_errno(errno);
    return 0;
}
