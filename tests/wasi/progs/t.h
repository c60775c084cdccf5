/*
 * t.h — the small harness every WASI test program shares.
 *
 * CHECK(cond) fails the program (exit 1, the failing line on stderr); EQ(a, b)
 * also prints both values. OK(name) prints "ok name", which the driver counts.
 * The raw_* declarations import preview1 functions with plain i32 "pointers", so
 * tests can hand the host hostile addresses and lengths that wasi-libc's typed
 * wrappers would not let through.
 */
#ifndef WB_T_H
#define WB_T_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "FAIL %s:%d: %s (errno %d: %s)\n", __FILE__, __LINE__, #c, errno,      \
                    strerror(errno));                                                              \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)
#define EQ(a, b)                                                                                   \
    do {                                                                                           \
        long long _a = (long long)(a), _b = (long long)(b);                                        \
        if (_a != _b) {                                                                            \
            fprintf(stderr, "FAIL %s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__,   \
                    #a, _a, #b, _b);                                                               \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)
#define OK(name) (printf("ok %s\n", name), fflush(stdout))

#define RAW(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))
typedef int32_t P; /* a guest address, passed unchecked */
int32_t raw_args_get(P argv, P buf) RAW(args_get);
int32_t raw_args_sizes_get(P argc, P size) RAW(args_sizes_get);
int32_t raw_environ_get(P env, P buf) RAW(environ_get);
int32_t raw_environ_sizes_get(P n, P size) RAW(environ_sizes_get);
int32_t raw_clock_time_get(int32_t id, int64_t prec, P out) RAW(clock_time_get);
int32_t raw_clock_res_get(int32_t id, P out) RAW(clock_res_get);
int32_t raw_fd_write(int32_t fd, P iovs, int32_t n, P out) RAW(fd_write);
int32_t raw_fd_read(int32_t fd, P iovs, int32_t n, P out) RAW(fd_read);
int32_t raw_fd_pread(int32_t fd, P iovs, int32_t n, int64_t off, P out) RAW(fd_pread);
int32_t raw_fd_fdstat_get(int32_t fd, P out) RAW(fd_fdstat_get);
int32_t raw_fd_filestat_get(int32_t fd, P out) RAW(fd_filestat_get);
int32_t raw_fd_prestat_get(int32_t fd, P out) RAW(fd_prestat_get);
int32_t raw_fd_prestat_dir_name(int32_t fd, P buf, int32_t len) RAW(fd_prestat_dir_name);
int32_t raw_fd_readdir(int32_t fd, P buf, int32_t len, int64_t cookie, P out) RAW(fd_readdir);
int32_t raw_fd_seek(int32_t fd, int64_t off, int32_t whence, P out) RAW(fd_seek);
int32_t raw_fd_tell(int32_t fd, P out) RAW(fd_tell);
int32_t raw_path_open(int32_t fd, int32_t dirflags, P path, int32_t len, int32_t oflags,
                      int64_t base, int64_t inh, int32_t fdflags, P out) RAW(path_open);
int32_t raw_path_create_directory(int32_t fd, P path, int32_t len) RAW(path_create_directory);
int32_t raw_path_filestat_get(int32_t fd, int32_t flags, P path, int32_t len, P out)
    RAW(path_filestat_get);
int32_t raw_path_readlink(int32_t fd, P path, int32_t len, P buf, int32_t cap, P out)
    RAW(path_readlink);
int32_t raw_path_symlink(P old, int32_t oldlen, int32_t fd, P path, int32_t len) RAW(path_symlink);
int32_t raw_poll_oneoff(P in, P out, int32_t n, P nevents) RAW(poll_oneoff);
int32_t raw_random_get(P buf, int32_t len) RAW(random_get);
int32_t raw_proc_raise(int32_t sig) RAW(proc_raise);
int32_t raw_sock_recv(int32_t fd, P iovs, int32_t n, int32_t flags, P len, P oflags) RAW(sock_recv);
int32_t raw_sock_send(int32_t fd, P iovs, int32_t n, int32_t flags, P len) RAW(sock_send);
int32_t raw_sock_accept(int32_t fd, int32_t flags, P out) RAW(sock_accept);
int32_t raw_sock_shutdown(int32_t fd, int32_t how) RAW(sock_shutdown);

#define ADDR(p) ((P)(uintptr_t)(p))
/* An address past the end of linear memory (memory is far below 4 GiB in tests). */
#define BAD ((P)0xfffffff0)

/* The preopened directory whose guest name is `name`, or -1. */
static inline int t_preopen(const char *name)
{
    for (int fd = 3; fd < 64; fd++) {
        __wasi_prestat_t ps;
        if (__wasi_fd_prestat_get(fd, &ps) != 0)
            return -1;
        char buf[256] = {0};
        if (ps.u.dir.pr_name_len < sizeof(buf) &&
            __wasi_fd_prestat_dir_name(fd, (uint8_t *)buf, ps.u.dir.pr_name_len) == 0 &&
            strcmp(buf, name) == 0)
            return fd;
    }
    return -1;
}

/* path_open with every right, through the typed wrapper. */
static inline __wasi_errno_t t_open(int dir, const char *path, int oflags, uint64_t rights,
                                    int fdflags, __wasi_fd_t *out)
{
    return __wasi_path_open(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, oflags, rights, rights,
                            fdflags, out);
}
#define R_ALL ((uint64_t)((1ull << 30) - 1))

#endif
