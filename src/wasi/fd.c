/*
 * fd.c — the fd_* functions of preview1 (fd_readdir lives in readdir.c).
 *
 * Each function first checks the descriptor and its rights (EBADF, ENOTCAPABLE),
 * then every guest pointer it will write (EFAULT, EINVAL for misalignment), and
 * only then acts, so a failed call has no effect on the host.
 *
 * Descriptors the guest borrowed from the host's stdio are shared with the
 * process that started wasmbox (a shell, a terminal), so status flags are never
 * changed on them: fdflags.nonblock is emulated with a zero-timeout poll and
 * fdflags.append is only recorded.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wasi_internal.h"

/* ---- helpers shared with path.c ---------------------------------------------- */

static uint64_t ts_ns(const struct timespec *t)
{
    return (uint64_t)t->tv_sec * 1000000000u + (uint64_t)t->tv_nsec;
}

void wasi_put_filestat(uint8_t *p, const struct stat *st)
{
    st64(p, 0, (uint64_t)st->st_dev);
    st64(p, 8, (uint64_t)st->st_ino);
    st64(p, 16, 0); /* filetype byte plus padding */
    st8(p, 16, wasi_filetype_of_mode(st->st_mode));
    st64(p, 24, (uint64_t)st->st_nlink);
    st64(p, 32, (uint64_t)st->st_size);
    st64(p, 40, ts_ns(&st->st_atim));
    st64(p, 48, ts_ns(&st->st_mtim));
    st64(p, 56, ts_ns(&st->st_ctim));
}

uint32_t wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec ts[2])
{
    if (fst & ~(WASI_FST_ATIM | WASI_FST_ATIM_NOW | WASI_FST_MTIM | WASI_FST_MTIM_NOW))
        return WASI_EINVAL;
    if ((fst & WASI_FST_ATIM) && (fst & WASI_FST_ATIM_NOW))
        return WASI_EINVAL;
    if ((fst & WASI_FST_MTIM) && (fst & WASI_FST_MTIM_NOW))
        return WASI_EINVAL;
    uint64_t t[2] = {atim, mtim};
    uint32_t set[2] = {WASI_FST_ATIM, WASI_FST_MTIM},
             now[2] = {WASI_FST_ATIM_NOW, WASI_FST_MTIM_NOW};
    for (int i = 0; i < 2; i++) {
        ts[i].tv_sec = 0;
        if (fst & now[i]) {
            ts[i].tv_nsec = UTIME_NOW;
        } else if (fst & set[i]) {
            ts[i].tv_sec = (time_t)(t[i] / 1000000000u);
            ts[i].tv_nsec = (long)(t[i] % 1000000000u);
        } else {
            ts[i].tv_nsec = UTIME_OMIT;
        }
    }
    return 0;
}

/* The nonblock emulation for borrowed stdio: is the descriptor ready now? */
static bool would_block(const wasi_fd *f, short events)
{
    if (f->kind != WFD_STDIO || !(f->flags & WASI_FDFLAG_NONBLOCK))
        return false;
    struct pollfd p = {.fd = f->host, .events = events};
    return poll(&p, 1, 0) == 0;
}

/* ---- reading and writing ------------------------------------------------------ */

static uint32_t do_read(wb_wasi *w, wb_memory *m, const wb_val *a, bool positioned)
{
    wasi_fd *f;
    uint64_t need = WASI_RIGHT_FD_READ | (positioned ? WASI_RIGHT_FD_SEEK : 0);
    uint32_t fd = A32(a, 0), iovs = A32(a, 1), n = A32(a, 2);
    uint64_t off = positioned ? A64(a, 3) : 0;
    uint32_t out = positioned ? A32(a, 4) : A32(a, 3);
    wasi_fd *any = wasi_fd_get(w, fd);
    if (any && any->kind == WFD_DIR)
        return WASI_EISDIR;
    uint32_t e = wasi_fd_check(w, fd, need, &f);
    if (!e)
        e = g_check(m, out, 4, 4);
    if (e)
        return e;
    struct iovec iov[IOV_MAX];
    int cnt;
    if ((e = wasi_iovecs(m, iovs, n, iov, &cnt)))
        return e;
    if (f->kind == WFD_EMPTY)
        return g_put32(m, out, 0);
    if (positioned && off > INT64_MAX)
        return WASI_EINVAL;
    if (would_block(f, POLLIN))
        return WASI_EAGAIN;
    ssize_t r;
    do
        r = positioned ? preadv(f->host, iov, cnt, (off_t)off) : readv(f->host, iov, cnt);
    while (r < 0 && wasi_retry_eintr(w));
    if (r < 0)
        return wasi_errno(errno);
    return g_put32(m, out, (uint32_t)r);
}

static ssize_t sock_writev(int fd, struct iovec *iov, int cnt)
{
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)cnt};
    return sendmsg(fd, &msg, MSG_NOSIGNAL);
}

static uint32_t do_write(wb_wasi *w, wb_memory *m, const wb_val *a, bool positioned)
{
    wasi_fd *f;
    uint64_t need = WASI_RIGHT_FD_WRITE | (positioned ? WASI_RIGHT_FD_SEEK : 0);
    uint32_t fd = A32(a, 0), iovs = A32(a, 1), n = A32(a, 2);
    uint64_t off = positioned ? A64(a, 3) : 0;
    uint32_t out = positioned ? A32(a, 4) : A32(a, 3);
    uint32_t e = wasi_fd_check(w, fd, need, &f);
    if (!e)
        e = g_check(m, out, 4, 4);
    if (e)
        return e;
    struct iovec iov[IOV_MAX];
    int cnt;
    if ((e = wasi_iovecs(m, iovs, n, iov, &cnt)))
        return e;
    if (f->kind == WFD_EMPTY)
        return WASI_EBADF;
    if (positioned && off > INT64_MAX)
        return WASI_EINVAL;
    if (would_block(f, POLLOUT))
        return WASI_EAGAIN;
    ssize_t r;
    do {
        if (positioned)
            r = pwritev(f->host, iov, cnt, (off_t)off);
        else if (f->kind == WFD_SOCK)
            r = sock_writev(f->host, iov, cnt);
        else
            r = writev(f->host, iov, cnt);
    } while (r < 0 && wasi_retry_eintr(w));
    if (r < 0)
        return wasi_errno(errno);
    return g_put32(m, out, (uint32_t)r);
}

WASI_IMPL(fd_read)
{
    return do_read(w, m, a, false);
}
WASI_IMPL(fd_pread)
{
    return do_read(w, m, a, true);
}
WASI_IMPL(fd_write)
{
    return do_write(w, m, a, false);
}
WASI_IMPL(fd_pwrite)
{
    return do_write(w, m, a, true);
}

/* ---- positions ---------------------------------------------------------------- */

WASI_IMPL(fd_seek)
{
    int64_t off = (int64_t)A64(a, 1);
    uint32_t whence = A32(a, 2), out = A32(a, 3);
    static const int host_whence[] = {SEEK_SET, SEEK_CUR, SEEK_END};
    /* A pure "where am I" needs only the tell right, as in wasmtime. */
    uint64_t need =
        (off == 0 && whence == WASI_WHENCE_CUR) ? WASI_RIGHT_FD_TELL : WASI_RIGHT_FD_SEEK;
    wasi_fd *f;
    uint32_t e = wasi_fd_check(w, A32(a, 0), need, &f);
    if (!e)
        e = g_check(m, out, 8, 8);
    if (e)
        return e;
    if (whence > WASI_WHENCE_END)
        return WASI_EINVAL;
    if (f->kind == WFD_EMPTY)
        return WASI_ESPIPE;
    off_t r = lseek(f->host, off, host_whence[whence]);
    if (r < 0)
        return wasi_errno(errno);
    return g_put64(m, out, (uint64_t)r);
}

WASI_IMPL(fd_tell)
{
    wasi_fd *f;
    uint32_t e = wasi_fd_check(w, A32(a, 0), WASI_RIGHT_FD_TELL, &f);
    if (!e)
        e = g_check(m, A32(a, 1), 8, 8);
    if (e)
        return e;
    if (f->kind == WFD_EMPTY)
        return WASI_ESPIPE;
    off_t r = lseek(f->host, 0, SEEK_CUR);
    if (r < 0)
        return wasi_errno(errno);
    return g_put64(m, A32(a, 1), (uint64_t)r);
}

/* ---- status -------------------------------------------------------------------- */

WASI_IMPL(fd_fdstat_get)
{
    wasi_fd *f;
    uint32_t e = wasi_fd_check(w, A32(a, 0), 0, &f);
    if (!e)
        e = g_check(m, A32(a, 1), WASI_FDSTAT_SIZE, 8);
    if (e)
        return e;
    uint8_t *p = g_ptr(m, A32(a, 1), WASI_FDSTAT_SIZE);
    st64(p, 0, 0);
    st8(p, 0, f->filetype);
    st16(p, 2, f->flags);
    st64(p, 8, f->base);
    st64(p, 16, f->inheriting);
    return 0;
}

WASI_IMPL(fd_fdstat_set_flags)
{
    (void)m;
    wasi_fd *f;
    uint32_t flags = A32(a, 1);
    uint32_t e = wasi_fd_check(w, A32(a, 0), WASI_RIGHT_FD_FDSTAT_SET_FLAGS, &f);
    if (e)
        return e;
    if (flags & ~WASI_FDFLAGS_ALL)
        return WASI_EINVAL;
    /* Linux cannot change the sync flags of an open file. */
    uint32_t fixed = WASI_FDFLAG_DSYNC | WASI_FDFLAG_RSYNC | WASI_FDFLAG_SYNC;
    if ((flags & fixed) != (f->flags & fixed))
        return WASI_ENOTSUP;
    if (f->kind != WFD_STDIO && f->kind != WFD_EMPTY) {
        int fl = fcntl(f->host, F_GETFL);
        if (fl < 0)
            return wasi_errno(errno);
        fl &= ~(O_APPEND | O_NONBLOCK);
        if (flags & WASI_FDFLAG_APPEND)
            fl |= O_APPEND;
        if (flags & WASI_FDFLAG_NONBLOCK)
            fl |= O_NONBLOCK;
        if (fcntl(f->host, F_SETFL, fl) < 0)
            return wasi_errno(errno);
    }
    f->flags = (uint16_t)flags;
    return 0;
}

WASI_IMPL(fd_fdstat_set_rights)
{
    (void)m;
    wasi_fd *f;
    uint64_t base = A64(a, 1), inh = A64(a, 2);
    uint32_t e = wasi_fd_check(w, A32(a, 0), 0, &f);
    if (e)
        return e;
    /* Rights can only be dropped, never regained. */
    if ((base & ~f->base) || (inh & ~f->inheriting))
        return WASI_ENOTCAPABLE;
    f->base = base;
    f->inheriting = inh;
    return 0;
}

WASI_IMPL(fd_filestat_get)
{
    wasi_fd *f;
    uint32_t e = wasi_fd_check(w, A32(a, 0), WASI_RIGHT_FD_FILESTAT_GET, &f);
    if (!e)
        e = g_check(m, A32(a, 1), WASI_FILESTAT_SIZE, 8);
    if (e)
        return e;
    uint8_t *p = g_ptr(m, A32(a, 1), WASI_FILESTAT_SIZE);
    struct stat st;
    if (f->kind == WFD_EMPTY) {
        memset(&st, 0, sizeof(st));
        st.st_mode = S_IFCHR;
        st.st_nlink = 1;
    } else if (fstat(f->host, &st) < 0) {
        return wasi_errno(errno);
    }
    wasi_put_filestat(p, &st);
    if (f->kind == WFD_SOCK || f->kind == WFD_LISTEN)
        st8(p, 16, f->filetype);
    return 0;
}

WASI_IMPL(fd_filestat_set_size)
{
    (void)m;
    wasi_fd *f;
    uint64_t size = A64(a, 1);
    uint32_t e = wasi_fd_check(w, A32(a, 0), WASI_RIGHT_FD_FILESTAT_SET_SIZE, &f);
    if (e)
        return e;
    if (f->readonly)
        return WASI_EROFS;
    if (size > INT64_MAX)
        return WASI_EINVAL;
    if (f->kind == WFD_EMPTY)
        return WASI_EINVAL;
    if (ftruncate(f->host, (off_t)size) < 0)
        return wasi_errno(errno);
    return 0;
}

WASI_IMPL(fd_filestat_set_times)
{
    (void)m;
    wasi_fd *f;
    struct timespec ts[2];
    uint32_t e = wasi_fd_check(w, A32(a, 0), WASI_RIGHT_FD_FILESTAT_SET_TIMES, &f);
    if (!e)
        e = wasi_times(A64(a, 1), A64(a, 2), A32(a, 3), ts);
    if (e)
        return e;
    if (f->readonly)
        return WASI_EROFS;
    if (f->kind == WFD_EMPTY)
        return WASI_EBADF;
    if (futimens(f->host, ts) < 0)
        return wasi_errno(errno);
    return 0;
}

/* ---- hints and syncing --------------------------------------------------------- */

WASI_IMPL(fd_advise)
{
    (void)m;
    static const int advice[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                                 POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED,   POSIX_FADV_NOREUSE};
    wasi_fd *f;
    uint64_t off = A64(a, 1), len = A64(a, 2);
    uint32_t adv = A32(a, 3);
    uint32_t e = wasi_fd_check(w, A32(a, 0), WASI_RIGHT_FD_ADVISE, &f);
    if (e)
        return e;
    if (adv > WASI_ADVICE_NOREUSE || off > INT64_MAX || len > INT64_MAX)
        return WASI_EINVAL;
    if (f->kind == WFD_EMPTY)
        return WASI_ESPIPE;
    int r = posix_fadvise(f->host, (off_t)off, (off_t)len, advice[adv]);
    return r ? wasi_errno(r) : 0;
}

WASI_IMPL(fd_allocate)
{
    (void)m;
    wasi_fd *f;
    uint64_t off = A64(a, 1), len = A64(a, 2);
    uint32_t e = wasi_fd_check(w, A32(a, 0), WASI_RIGHT_FD_ALLOCATE, &f);
    if (e)
        return e;
    if (f->readonly)
        return WASI_EROFS;
    if (len == 0 || off > INT64_MAX || len > INT64_MAX)
        return WASI_EINVAL;
    if (off > (uint64_t)INT64_MAX - len)
        return WASI_EFBIG;
    if (f->kind != WFD_FILE && f->kind != WFD_STDIO)
        return WASI_EBADF;
    int r = posix_fallocate(f->host, (off_t)off, (off_t)len);
    return r ? wasi_errno(r) : 0;
}

static uint32_t do_sync(wb_wasi *w, uint32_t fd, uint64_t right, bool data)
{
    wasi_fd *f;
    uint32_t e = wasi_fd_check(w, fd, right, &f);
    if (e)
        return e;
    if (f->kind == WFD_EMPTY)
        return WASI_EINVAL;
    if ((data ? fdatasync(f->host) : fsync(f->host)) < 0)
        return wasi_errno(errno);
    return 0;
}

WASI_IMPL(fd_datasync)
{
    (void)m;
    return do_sync(w, A32(a, 0), WASI_RIGHT_FD_DATASYNC, true);
}
WASI_IMPL(fd_sync)
{
    (void)m;
    return do_sync(w, A32(a, 0), WASI_RIGHT_FD_SYNC, false);
}

/* ---- the table itself ---------------------------------------------------------- */

WASI_IMPL(fd_close)
{
    (void)m;
    wasi_fd *f = wasi_fd_get(w, A32(a, 0));
    if (!f)
        return WASI_EBADF;
    wasi_fd_release(f);
    return 0;
}

WASI_IMPL(fd_renumber)
{
    (void)m;
    uint32_t from = A32(a, 0), to = A32(a, 1);
    wasi_fd *src = wasi_fd_get(w, from), *dst = wasi_fd_get(w, to);
    if (!src || !dst)
        return WASI_EBADF;
    if (from == to)
        return 0;
    wasi_fd_release(dst);
    *dst = *src;
    memset(src, 0, sizeof(*src));
    src->host = -1;
    return 0;
}

WASI_IMPL(fd_prestat_get)
{
    wasi_fd *f = wasi_fd_get(w, A32(a, 0));
    if (!f || !f->preopen)
        return WASI_EBADF;
    uint32_t e = g_check(m, A32(a, 1), WASI_PRESTAT_SIZE, 4);
    if (e)
        return e;
    uint8_t *p = g_ptr(m, A32(a, 1), WASI_PRESTAT_SIZE);
    st32(p, 0, 0); /* tag: dir */
    st32(p, 4, f->preopen_len);
    return 0;
}

WASI_IMPL(fd_prestat_dir_name)
{
    wasi_fd *f = wasi_fd_get(w, A32(a, 0));
    uint32_t len = A32(a, 2);
    if (!f || !f->preopen)
        return WASI_EBADF;
    uint8_t *p = g_ptr(m, A32(a, 1), len);
    if (!p)
        return WASI_EFAULT;
    if (len < f->preopen_len)
        return WASI_ENAMETOOLONG;
    memcpy(p, f->preopen, f->preopen_len);
    return 0;
}
