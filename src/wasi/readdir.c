/*
 * readdir.c — fd_readdir.
 *
 * A cookie is an entry's index (1 = after the first entry), not the host's
 * directory offset: on ext4 those are 64-bit hashes, and wasi-libc's telldir()
 * keeps cookies in a 32-bit long. Each directory descriptor remembers the host
 * offset after every entry it has read, so resuming at a cookie is one lseek();
 * only a cookie past everything read so far makes it read forward. The guest
 * buffer is filled with 24-byte dirent headers each followed by the name; the
 * last entry may be cut short, and a full buffer tells wasi-libc there may be
 * more (it then resumes at the last complete entry's d_next, or grows its buffer
 * if one entry is larger).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wasi_internal.h"

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static uint8_t dtype_to_wasi(int dirfd, const char *name, unsigned char t)
{
    switch (t) {
    case DT_REG:
        return WASI_FILETYPE_REGULAR_FILE;
    case DT_DIR:
        return WASI_FILETYPE_DIRECTORY;
    case DT_LNK:
        return WASI_FILETYPE_SYMBOLIC_LINK;
    case DT_CHR:
        return WASI_FILETYPE_CHARACTER_DEVICE;
    case DT_BLK:
        return WASI_FILETYPE_BLOCK_DEVICE;
    case DT_SOCK:
        return WASI_FILETYPE_SOCKET_STREAM;
    case DT_FIFO:
        return WASI_FILETYPE_UNKNOWN;
    default: {
        /* Some file systems do not fill d_type. */
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return WASI_FILETYPE_UNKNOWN;
        return wasi_filetype_of_mode(st.st_mode);
    }
    }
}

/* Records that entry `index` ends at host offset `off` (where entry index+1 begins). */
static uint32_t remember(wasi_fd *f, uint64_t index, int64_t off)
{
    if (index < f->dir_npos) {
        f->dir_pos[index] = (uint64_t)off;
        return 0;
    }
    if (index != f->dir_npos || index >= UINT32_MAX)
        return 0;
    if (f->dir_npos == f->dir_cap) {
        uint32_t cap = f->dir_cap ? f->dir_cap * 2 : 64;
        uint64_t *p = realloc(f->dir_pos, (size_t)cap * sizeof(*p));
        if (!p)
            return WASI_ENOMEM;
        f->dir_pos = p;
        f->dir_cap = cap;
    }
    f->dir_pos[f->dir_npos++] = (uint64_t)off;
    return 0;
}

/* Positions the host directory at entry `cookie`: at once if its start is known,
 * else by reading forward from the furthest known entry. *at is where it ended up
 * (less than cookie only at end of directory). */
static uint32_t seek_entry(wasi_fd *f, uint64_t cookie, char *buf, size_t size, uint64_t *at)
{
    uint64_t known = cookie < f->dir_npos ? cookie : f->dir_npos;
    off_t pos = known == 0 ? 0 : (off_t)f->dir_pos[known - 1];
    if (lseek(f->host, pos, SEEK_SET) < 0)
        return wasi_errno(errno);
    while (known < cookie) {
        long n = syscall(SYS_getdents64, f->host, buf, size);
        if (n < 0)
            return wasi_errno(errno);
        if (n == 0)
            break;
        for (long off = 0; off < n && known < cookie;) {
            const struct linux_dirent64 *d = (const void *)(buf + off);
            off += d->d_reclen;
            uint32_t e = remember(f, known++, d->d_off);
            if (e)
                return e;
            if (known == cookie && lseek(f->host, d->d_off, SEEK_SET) < 0)
                return wasi_errno(errno);
        }
    }
    *at = known;
    return 0;
}

/* Appends one entry at *used, cutting it at cap. Returns false once the buffer is full. */
static bool put_entry(uint8_t *buf, uint32_t cap, uint32_t *used, int dirfd, uint64_t next,
                      const struct linux_dirent64 *d)
{
    uint8_t hdr[WASI_DIRENT_SIZE] = {0};
    size_t namelen = strlen(d->d_name);
    st64(hdr, 0, next);
    st64(hdr, 8, d->d_ino);
    st32(hdr, 16, (uint32_t)namelen);
    st8(hdr, 20, dtype_to_wasi(dirfd, d->d_name, d->d_type));
    uint32_t room = cap - *used;
    uint32_t n = room < WASI_DIRENT_SIZE ? room : WASI_DIRENT_SIZE;
    memcpy(buf + *used, hdr, n);
    *used += n;
    room -= n;
    n = room < namelen ? room : (uint32_t)namelen;
    memcpy(buf + *used, d->d_name, n);
    *used += n;
    return *used < cap;
}

WASI_IMPL(fd_readdir)
{
    uint32_t fd = A32(a, 0), bufp = A32(a, 1), cap = A32(a, 2), out = A32(a, 4);
    uint64_t cookie = A64(a, 3);
    wasi_fd *any = wasi_fd_get(w, fd), *f;
    if (any && any->kind != WFD_DIR)
        return WASI_ENOTDIR;
    uint32_t e = wasi_fd_check(w, fd, WASI_RIGHT_FD_READDIR, &f);
    if (!e)
        e = g_check(m, out, 4, 4);
    if (e)
        return e;
    uint8_t *buf = g_ptr(m, bufp, cap);
    if (!buf)
        return WASI_EFAULT;
    _Alignas(8) char host[16384];
    uint64_t index = 0;
    if ((e = seek_entry(f, cookie, host, sizeof(host), &index)))
        return e;
    uint32_t used = 0;
    bool eof = index < cookie;
    while (used < cap && !eof) {
        long n = syscall(SYS_getdents64, f->host, host, sizeof(host));
        if (n < 0)
            return wasi_errno(errno);
        if (n == 0)
            break;
        for (long off = 0; off < n;) {
            const struct linux_dirent64 *d = (const void *)(host + off);
            off += d->d_reclen;
            if ((e = remember(f, index, d->d_off)))
                return e;
            index++;
            if (!put_entry(buf, cap, &used, f->host, index, d))
                break;
        }
    }
    return g_put32(m, out, used);
}
