/*
 * wasi_internal.h — what the src/wasi files share: the descriptor table, the
 * guest-memory accessors and the signatures of the preview1 implementations.
 *
 * Every preview1 function is implemented as a `wasi_impl`: it receives the
 * wb_wasi, the caller's memory (possibly NULL) and the argument slots, and returns
 * a WASI errno (or WASI_EXIT_REQUEST, which the trampoline in wasi.c turns into
 * proc_exit's trap). Guest pointers are only ever dereferenced through g_ptr() and
 * the g_get/g_put helpers below, which check bounds (EFAULT) and the alignment the
 * witx types require (EINVAL), so a hostile guest cannot make the host touch
 * memory outside its own linear memory.
 */
#ifndef WASMBOX_WASI_INTERNAL_H
#define WASMBOX_WASI_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "wasi_abi.h"
#include "wasmbox/wasi.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "guest memory is little-endian; a big-endian host needs byte swaps here");

/* Returned by an implementation to end the program with w->exit_code. */
#define WASI_EXIT_REQUEST 0x10000u

typedef enum wasi_fd_kind {
    WFD_FILE,   /* regular file or device opened by path_open */
    WFD_DIR,    /* directory: preopen or opened by path_open */
    WFD_STDIO,  /* host stdio descriptor, not ours to close */
    WFD_EMPTY,  /* stdin without -i: reads end-of-file, no host descriptor */
    WFD_LISTEN, /* listening socket (sock_accept) */
    WFD_SOCK,   /* connected stream socket */
} wasi_fd_kind;

typedef struct wasi_fd {
    int host; /* host descriptor (-1 for WFD_EMPTY) */
    bool open;
    bool readonly;    /* under a read-only preopen: every write is EROFS */
    uint8_t kind;     /* wasi_fd_kind */
    uint8_t filetype; /* WASI filetype; WASI_FILETYPE_UNKNOWN until known for stdio */
    bool type_known;
    uint16_t flags;            /* fdflags as the guest set them */
    uint64_t base, inheriting; /* rights */
    char *preopen;             /* guest name of a preopened directory (owned), else NULL */
    uint32_t preopen_len;
    /* readdir cookies are entry indices (wasi-libc's telldir keeps them in a 32-bit
     * long); dir_pos[i] is the host offset just after entry i, for resuming. */
    uint64_t *dir_pos;
    uint32_t dir_npos, dir_cap;
} wasi_fd;

typedef struct wb_wasi wb_wasi;
typedef uint32_t (*wasi_impl)(wb_wasi *w, wb_memory *m, const wb_val *a);

typedef struct wasi_bind {
    wb_wasi *w;
    wasi_impl fn;
} wasi_bind;

struct wb_wasi {
    wasi_fd *fds;
    uint32_t nfds, capfds;
    char *args; /* argv strings, each NUL-terminated, back to back */
    uint32_t args_size, argc;
    char *env; /* same for the environment */
    uint32_t env_size, envc;
    int exit_code;
    int use_openat2;  /* 1 yes, 0 no (fallback walk), -1 not yet probed */
    wasi_bind *binds; /* env of each linked host function */
    uint32_t nbinds;
    wb_store *store;  /* the store wb_wasi_link() linked into: for interrupt checks */
};

/* A blocking call that failed with EINTR is retried, unless the store was
 * interrupted (a container being stopped): then WASI_EINTR goes back to the guest,
 * whose next loop back-edge or call ends it. */
static inline bool wasi_retry_eintr(const struct wb_wasi *w)
{
    return errno == EINTR && !(w->store && wb_store_interrupted(w->store));
}

/* ---- guest memory ---------------------------------------------------------------- */

static inline void *g_ptr(wb_memory *m, uint32_t off, uint64_t len)
{
    return m ? wb_memory_ptr(m, off, len) : NULL;
}

/* Checks that [off, off+len) may be written with `align` alignment, returns errno. */
static inline uint32_t g_check(wb_memory *m, uint32_t off, uint64_t len, uint32_t align)
{
    if (off & (align - 1))
        return WASI_EINVAL;
    return g_ptr(m, off, len) ? 0 : WASI_EFAULT;
}

static inline uint32_t g_put32(wb_memory *m, uint32_t off, uint32_t v)
{
    if (off & 3)
        return WASI_EINVAL;
    void *p = g_ptr(m, off, 4);
    if (!p)
        return WASI_EFAULT;
    memcpy(p, &v, 4);
    return 0;
}

static inline uint32_t g_put64(wb_memory *m, uint32_t off, uint64_t v)
{
    if (off & 7)
        return WASI_EINVAL;
    void *p = g_ptr(m, off, 8);
    if (!p)
        return WASI_EFAULT;
    memcpy(p, &v, 8);
    return 0;
}

/* Little-endian field access inside an already-checked host pointer. */
static inline void st8(uint8_t *p, uint32_t at, uint8_t v)
{
    p[at] = v;
}
static inline void st16(uint8_t *p, uint32_t at, uint16_t v)
{
    memcpy(p + at, &v, 2);
}
static inline void st32(uint8_t *p, uint32_t at, uint32_t v)
{
    memcpy(p + at, &v, 4);
}
static inline void st64(uint8_t *p, uint32_t at, uint64_t v)
{
    memcpy(p + at, &v, 8);
}
static inline uint16_t ld16(const uint8_t *p, uint32_t at)
{
    uint16_t v;
    memcpy(&v, p + at, 2);
    return v;
}
static inline uint32_t ld32(const uint8_t *p, uint32_t at)
{
    uint32_t v;
    memcpy(&v, p + at, 4);
    return v;
}
static inline uint64_t ld64(const uint8_t *p, uint32_t at)
{
    uint64_t v;
    memcpy(&v, p + at, 8);
    return v;
}

#define A32(a, i) ((uint32_t)(a)[i])
#define A64(a, i) ((uint64_t)(a)[i])

/* ---- errno.c ------------------------------------------------------------------- */

/* Host errno to WASI errno. */
uint32_t wasi_errno(int host_errno);

/* ---- fdtable.c ----------------------------------------------------------------- */

/* The open descriptor `fd`, or NULL (then *e is EBADF). */
wasi_fd *wasi_fd_get(wb_wasi *w, uint32_t fd);
/* Looks up fd and checks it holds every right in `need` (ENOTCAPABLE otherwise). */
uint32_t wasi_fd_check(wb_wasi *w, uint32_t fd, uint64_t need, wasi_fd **out);
/* Adds a descriptor at the lowest free guest number >= 3. Returns errno; on
 * failure the host descriptor is closed. */
uint32_t wasi_fd_add(wb_wasi *w, const wasi_fd *proto, uint32_t *out);
/* Closes and forgets guest fd (closing the host side unless it is stdio). */
void wasi_fd_release(wasi_fd *f);
/* Fills in filetype and rights of a stdio descriptor on first use. */
void wasi_fd_probe(wasi_fd *f);
uint8_t wasi_filetype_of_mode(unsigned mode);
/* Copies guest iovecs (8 bytes each) into host iovecs; at most IOV_MAX are taken
 * (a shorter read or write is allowed). Returns errno; *n is the count. */
struct iovec;
uint32_t wasi_iovecs(wb_memory *m, uint32_t iovs, uint32_t count, struct iovec *out, int *n);

/* ---- path resolution (resolve.c) --------------------------------------------- */

typedef struct wasi_path {
    int parent;          /* O_PATH directory beneath the starting fd (owned) */
    char name[256];      /* last component: a plain name, or "." */
    bool trailing_slash; /* the guest wrote "name/": it must be a directory */
} wasi_path;

/* Copies the guest's path string (checked, NUL-free) into a host buffer. */
uint32_t wasi_path_read(wb_memory *m, uint32_t ptr, uint32_t len, char *buf, size_t cap);
/* Resolves path beneath dirfd: directories on the way may be symlinks that stay
 * beneath; with `follow`, so may the last component. Escapes give ENOTCAPABLE.
 * On success out->parent must be closed by the caller (wasi_path_done). */
uint32_t wasi_path_resolve(wb_wasi *w, int dirfd, const char *path, bool follow, wasi_path *out);
void wasi_path_done(wasi_path *p);

/* ---- implementations (one group per file) ------------------------------------- */

#define WASI_IMPL(name) uint32_t wasi_##name(wb_wasi *w, wb_memory *m, const wb_val *a)

/* args.c: arguments, environment, clocks, random, proc, sched */
WASI_IMPL(args_get);
WASI_IMPL(args_sizes_get);
WASI_IMPL(environ_get);
WASI_IMPL(environ_sizes_get);
WASI_IMPL(clock_res_get);
WASI_IMPL(clock_time_get);
WASI_IMPL(proc_exit);
WASI_IMPL(proc_raise);
WASI_IMPL(random_get);
WASI_IMPL(sched_yield);
/* fd.c */
WASI_IMPL(fd_advise);
WASI_IMPL(fd_allocate);
WASI_IMPL(fd_close);
WASI_IMPL(fd_datasync);
WASI_IMPL(fd_fdstat_get);
WASI_IMPL(fd_fdstat_set_flags);
WASI_IMPL(fd_fdstat_set_rights);
WASI_IMPL(fd_filestat_get);
WASI_IMPL(fd_filestat_set_size);
WASI_IMPL(fd_filestat_set_times);
WASI_IMPL(fd_pread);
WASI_IMPL(fd_prestat_get);
WASI_IMPL(fd_prestat_dir_name);
WASI_IMPL(fd_pwrite);
WASI_IMPL(fd_read);
WASI_IMPL(fd_readdir);
WASI_IMPL(fd_renumber);
WASI_IMPL(fd_seek);
WASI_IMPL(fd_sync);
WASI_IMPL(fd_tell);
WASI_IMPL(fd_write);
/* path.c */
WASI_IMPL(path_create_directory);
WASI_IMPL(path_filestat_get);
WASI_IMPL(path_filestat_set_times);
WASI_IMPL(path_link);
WASI_IMPL(path_open);
WASI_IMPL(path_readlink);
WASI_IMPL(path_remove_directory);
WASI_IMPL(path_rename);
WASI_IMPL(path_symlink);
WASI_IMPL(path_unlink_file);
/* poll.c */
WASI_IMPL(poll_oneoff);
/* sock.c */
WASI_IMPL(sock_accept);
WASI_IMPL(sock_recv);
WASI_IMPL(sock_send);
WASI_IMPL(sock_shutdown);

/* Shared by fd.c and path.c: a filestat from a host stat, written at p (64 bytes). */
struct stat;
void wasi_put_filestat(uint8_t *p, const struct stat *st);
/* Builds host timespecs for futimens/utimensat from fstflags; errno. */
struct timespec;
uint32_t wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec ts[2]);

#endif
