/* The sandbox: every way out of the preopened directories is refused (`..`,
 * absolute paths, absolute and relative symlinks, chains, hard links, renames,
 * symlink creation), the read-only volume refuses every write, and the guest sees
 * no descriptor it was not given. The driver prepares $T/sandbox (/data), $T/ro
 * (/ro, read-only) and $T/outside/secret, and checks the host side afterwards. */
#include "t.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOTCAP __WASI_ERRNO_NOTCAPABLE

static int data, ro;

static __wasi_errno_t try_open(int dir, const char *path, int follow, int oflags, uint64_t rights)
{
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(dir, follow ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW : 0, path,
                                        oflags, rights, rights, 0, &fd);
    if (e == 0) {
        char buf[16] = {0};
        __wasi_iovec_t iov = {(uint8_t *)buf, sizeof(buf) - 1};
        __wasi_size_t n;
        if (__wasi_fd_read(fd, &iov, 1, &n) == 0)
            CHECK(strstr(buf, "SECRET") == NULL);
        (void)!__wasi_fd_close(fd);
    }
    return e;
}

static void dotdot_and_absolute(void)
{
    uint64_t r = __WASI_RIGHTS_FD_READ;
    EQ(try_open(data, "../outside/secret", 1, 0, r), NOTCAP);
    EQ(try_open(data, "sub/../../outside/secret", 1, 0, r), NOTCAP);
    EQ(try_open(data, "..", 1, __WASI_OFLAGS_DIRECTORY, r), NOTCAP);
    EQ(try_open(data, "sub/../..", 1, __WASI_OFLAGS_DIRECTORY, r), NOTCAP);
    EQ(try_open(data, "/etc/passwd", 1, 0, r), NOTCAP);
    EQ(try_open(data, "//etc/passwd", 0, 0, r), NOTCAP);
    EQ(try_open(data, "sub/../file", 1, 0, r), 0); /* `..` that stays inside is fine */
    EQ(try_open(data, "./sub/./../file", 1, 0, r), 0);
    CHECK(open("/etc/passwd", O_RDONLY) < 0 && errno == ENOTCAPABLE);
    CHECK(open("/data/../outside/secret", O_RDONLY) < 0);
    __wasi_filestat_t st;
    EQ(__wasi_path_filestat_get(data, 0, "..", &st), NOTCAP);
    EQ(__wasi_path_filestat_get(data, 0, "../outside", &st), NOTCAP);
    EQ(__wasi_path_create_directory(data, "../newdir"), NOTCAP);
    EQ(__wasi_path_remove_directory(data, ".."), NOTCAP);
    EQ(__wasi_path_unlink_file(data, "../outside/secret"), NOTCAP);
    EQ(__wasi_path_filestat_set_times(data, 0, "../outside/secret", 0, 0, __WASI_FSTFLAGS_MTIM_NOW),
       NOTCAP);
    char buf[64];
    __wasi_size_t n;
    EQ(__wasi_path_readlink(data, "../outside/link", (uint8_t *)buf, sizeof(buf), &n), NOTCAP);
    OK("escape_dotdot_absolute");
}

static void symlinks(void)
{
    uint64_t r = __WASI_RIGHTS_FD_READ;
    /* prepared by the host: abs_dir -> $T/outside, abs_file -> $T/outside/secret,
     * up -> ../outside, chain1 -> chain2 -> sub/../up, sub/deep -> ../../outside/secret,
     * dotdot -> .. */
    EQ(try_open(data, "abs_dir/secret", 1, 0, r), NOTCAP);
    EQ(try_open(data, "abs_dir/secret", 0, 0, r), NOTCAP);
    EQ(try_open(data, "abs_file", 1, 0, r), NOTCAP);
    EQ(try_open(data, "abs_file", 0, 0, r), __WASI_ERRNO_LOOP);
    EQ(try_open(data, "up/secret", 1, 0, r), NOTCAP);
    EQ(try_open(data, "chain1/secret", 1, 0, r), NOTCAP);
    EQ(try_open(data, "sub/deep", 1, 0, r), NOTCAP);
    EQ(try_open(data, "dotdot/outside/secret", 1, 0, r), NOTCAP);
    EQ(try_open(data, "dotdot", 1, __WASI_OFLAGS_DIRECTORY, r), NOTCAP);
    EQ(try_open(data, "abs_file", 1, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, R_ALL), NOTCAP);
    __wasi_filestat_t st;
    EQ(__wasi_path_filestat_get(data, 0, "up", &st), 0); /* the link itself is ours */
    EQ(st.filetype, __WASI_FILETYPE_SYMBOLIC_LINK);
    EQ(__wasi_path_filestat_get(data, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "up", &st), NOTCAP);
    EQ(__wasi_path_filestat_get(data, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "abs_file", &st), NOTCAP);
    EQ(__wasi_path_filestat_set_times(data, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "abs_file", 0, 0,
                                      __WASI_FSTFLAGS_MTIM_NOW),
       NOTCAP);
    EQ(__wasi_path_create_directory(data, "up/newdir"), NOTCAP);
    EQ(__wasi_path_unlink_file(data, "up/secret"), NOTCAP);
    CHECK(open("/data/up/secret", O_RDONLY) < 0 && errno == ENOTCAPABLE);
    CHECK(open("/data/abs_file", O_RDONLY) < 0 && errno == ENOTCAPABLE);

    /* links the guest makes: absolute targets are refused, relative ones that
     * point out can be made but never followed */
    EQ(__wasi_path_symlink("/etc/passwd", data, "mine_abs"), NOTCAP);
    EQ(__wasi_path_symlink("../../outside/secret", data, "sub/mine_up"), 0);
    EQ(try_open(data, "sub/mine_up", 1, 0, r), NOTCAP);
    EQ(__wasi_path_symlink("x", data, "../outside/planted"), NOTCAP);
    OK("escape_symlinks");
}

static void links_and_renames(void)
{
    EQ(__wasi_path_link(data, 0, "../outside/secret", data, "stolen"), NOTCAP);
    EQ(__wasi_path_link(data, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "up/secret", data, "stolen"),
       NOTCAP);
    EQ(__wasi_path_link(data, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "abs_file", data, "stolen"),
       NOTCAP);
    EQ(__wasi_path_link(data, 0, "file", data, "../outside/planted"), NOTCAP);
    EQ(__wasi_path_link(data, 0, "abs_file", data, "hardlink_to_link"), 0); /* the link itself */
    EQ(try_open(data, "hardlink_to_link", 1, 0, __WASI_RIGHTS_FD_READ), NOTCAP);
    OK("escape_hard_links");

    EQ(__wasi_path_rename(data, "file", data, "../stolen"), NOTCAP);
    EQ(__wasi_path_rename(data, "../outside/secret", data, "here"), NOTCAP);
    EQ(__wasi_path_rename(data, "up/secret", data, "here"), NOTCAP);
    EQ(__wasi_path_rename(data, "sub", data, "sub/inner"), __WASI_ERRNO_INVAL);
    /* across preopens: allowed between writable ones, never out of or into /ro */
    EQ(__wasi_path_rename(data, "file", ro, "file2"), __WASI_ERRNO_ROFS);
    EQ(__wasi_path_rename(ro, "file", data, "from_ro"), __WASI_ERRNO_ROFS);
    EQ(__wasi_path_link(ro, 0, "file", data, "linked_from_ro"), __WASI_ERRNO_ROFS);
    EQ(__wasi_path_link(data, 0, "file", ro, "linked_into_ro"), __WASI_ERRNO_ROFS);
    OK("escape_renames");
}

static void readonly(void)
{
    __wasi_fd_t fd;
    uint64_t w = __WASI_RIGHTS_FD_WRITE;
    EQ(try_open(ro, "file", 1, 0, __WASI_RIGHTS_FD_READ), 0);
    EQ(try_open(ro, "file", 1, 0, w), __WASI_ERRNO_ROFS);
    EQ(try_open(ro, "new", 1, __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_READ), __WASI_ERRNO_ROFS);
    EQ(try_open(ro, "file", 1, __WASI_OFLAGS_TRUNC, __WASI_RIGHTS_FD_READ), __WASI_ERRNO_ROFS);
    EQ(__wasi_path_open(ro, 0, "file", 0, w, 0, __WASI_FDFLAGS_APPEND, &fd), __WASI_ERRNO_ROFS);
    EQ(__wasi_path_create_directory(ro, "newdir"), __WASI_ERRNO_ROFS);
    EQ(__wasi_path_remove_directory(ro, "dir"), __WASI_ERRNO_ROFS);
    EQ(__wasi_path_unlink_file(ro, "file"), __WASI_ERRNO_ROFS);
    EQ(__wasi_path_symlink("file", ro, "newlink"), __WASI_ERRNO_ROFS);
    EQ(__wasi_path_rename(ro, "file", ro, "file3"), __WASI_ERRNO_ROFS);
    EQ(__wasi_path_filestat_set_times(ro, 0, "file", 0, 0, __WASI_FSTFLAGS_MTIM_NOW),
       __WASI_ERRNO_ROFS);
    /* a directory opened below /ro stays read-only */
    __wasi_fd_t sub;
    EQ(__wasi_path_open(ro, 0, "dir", __WASI_OFLAGS_DIRECTORY,
                        R_ALL & ~w &
                            ~(__WASI_RIGHTS_FD_DATASYNC | __WASI_RIGHTS_FD_ALLOCATE |
                              __WASI_RIGHTS_FD_FILESTAT_SET_SIZE),
                        R_ALL, 0, &sub),
       0);
    EQ(__wasi_path_create_directory(sub, "x"), __WASI_ERRNO_ROFS);
    EQ(try_open(sub, "f", 1, __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_READ), __WASI_ERRNO_ROFS);
    EQ(__wasi_fd_close(sub), 0);
    EQ(__wasi_path_open(ro, 0, "file", 0,
                        __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_FILESTAT_SET_TIMES, 0, 0, &fd),
       0);
    EQ(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW), __WASI_ERRNO_ROFS);
    __wasi_ciovec_t iov = {(const uint8_t *)"x", 1};
    __wasi_size_t n;
    CHECK(__wasi_fd_write(fd, &iov, 1, &n) != 0);
    CHECK(__wasi_fd_allocate(fd, 0, 10) != 0);
    CHECK(__wasi_fd_filestat_set_size(fd, 0) != 0);
    EQ(__wasi_fd_close(fd), 0);
    CHECK(open("/ro/file", O_WRONLY) < 0 && errno == EROFS);
    CHECK(mkdir("/ro/x", 0755) < 0 && errno == EROFS);
    OK("readonly_volume");
}

static void no_leaks(void)
{
    /* 0-2 and the two preopens exist; nothing the host had open is visible */
    __wasi_fdstat_t st;
    for (int fd = 0; fd < 1024; fd++) {
        __wasi_errno_t e = __wasi_fd_fdstat_get(fd, &st);
        if (fd <= 2 || fd == data || fd == ro)
            EQ(e, 0);
        else
            EQ(e, __WASI_ERRNO_BADF);
    }
    EQ(__wasi_fd_prestat_get(5, &(__wasi_prestat_t){0}), __WASI_ERRNO_BADF);
    OK("no_fd_leaks");
}

int main(void)
{
    data = t_preopen("/data");
    ro = t_preopen("/ro");
    CHECK(data >= 3 && ro >= 3);
    no_leaks();
    dotdot_and_absolute();
    symlinks();
    links_and_renames();
    readonly();
    return 0;
}
