/* The path_* functions inside /data: directories, files, links, symlinks, renames,
 * stat and times, path_open's flags, with the errno of each documented failure. */
#include "t.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static int dir;

static void create_file(const char *name, const char *data)
{
    __wasi_fd_t fd;
    EQ(t_open(dir, name, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, R_ALL, 0, &fd), 0);
    __wasi_ciovec_t iov = {(const uint8_t *)data, strlen(data)};
    __wasi_size_t n;
    EQ(__wasi_fd_write(fd, &iov, 1, &n), 0);
    EQ(__wasi_fd_close(fd), 0);
}

static __wasi_filetype_t type_of(const char *path, int follow)
{
    __wasi_filestat_t st;
    EQ(__wasi_path_filestat_get(dir, follow ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW : 0, path, &st), 0);
    return st.filetype;
}

static void directories(void)
{
    EQ(__wasi_path_create_directory(dir, "d"), 0);
    EQ(__wasi_path_create_directory(dir, "d"), __WASI_ERRNO_EXIST);
    EQ(__wasi_path_create_directory(dir, "d/e/"), 0);
    EQ(__wasi_path_create_directory(dir, "nope/x"), __WASI_ERRNO_NOENT);
    EQ(__wasi_path_create_directory(dir, ""), __WASI_ERRNO_NOENT);
    EQ(__wasi_path_create_directory(dir, "."), __WASI_ERRNO_EXIST);
    EQ(type_of("d/e", 0), __WASI_FILETYPE_DIRECTORY);
    EQ(raw_path_create_directory(dir, BAD, 4), __WASI_ERRNO_FAULT);
    EQ(raw_path_create_directory(dir, ADDR("x"), -1), __WASI_ERRNO_FAULT);
    OK("path_create_directory");

    create_file("d/e/file", "abc");
    EQ(__wasi_path_remove_directory(dir, "d/e"), __WASI_ERRNO_NOTEMPTY);
    EQ(__wasi_path_remove_directory(dir, "d/e/file"), __WASI_ERRNO_NOTDIR);
    EQ(__wasi_path_remove_directory(dir, "missing"), __WASI_ERRNO_NOENT);
    EQ(__wasi_path_remove_directory(dir, "."), __WASI_ERRNO_BUSY);
    EQ(__wasi_path_unlink_file(dir, "d/e"), __WASI_ERRNO_ISDIR);
    EQ(__wasi_path_unlink_file(dir, "d/e/file/"), __WASI_ERRNO_NOTDIR);
    EQ(__wasi_path_unlink_file(dir, "d/e/file"), 0);
    EQ(__wasi_path_unlink_file(dir, "d/e/file"), __WASI_ERRNO_NOENT);
    EQ(__wasi_path_remove_directory(dir, "d/e/"), 0);
    OK("path_remove_directory");
    OK("path_unlink_file");
}

static void opening(void)
{
    __wasi_fd_t fd;
    EQ(t_open(dir, "new", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, R_ALL, 0, &fd), 0);
    EQ(__wasi_fd_close(fd), 0);
    EQ(t_open(dir, "new", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, R_ALL, 0, &fd),
       __WASI_ERRNO_EXIST);
    EQ(t_open(dir, "missing", 0, R_ALL, 0, &fd), __WASI_ERRNO_NOENT);
    EQ(t_open(dir, "new", __WASI_OFLAGS_DIRECTORY, R_ALL, 0, &fd), __WASI_ERRNO_NOTDIR);
    EQ(t_open(dir, "new/", 0, R_ALL, 0, &fd), __WASI_ERRNO_NOTDIR);
    EQ(t_open(dir, "d", 0, __WASI_RIGHTS_FD_WRITE, 0, &fd), __WASI_ERRNO_ISDIR);
    EQ(t_open(dir, "new", 0x10, R_ALL, 0, &fd), __WASI_ERRNO_INVAL);
    EQ(t_open(dir, "new", 0, R_ALL, 0x40, &fd), __WASI_ERRNO_INVAL);
    EQ(__wasi_path_open(dir, 2, "new", 0, R_ALL, R_ALL, 0, &fd), __WASI_ERRNO_INVAL);
    EQ(raw_path_open(dir, 0, ADDR("new"), 3, 0, R_ALL, R_ALL, 0, BAD), __WASI_ERRNO_FAULT);
    EQ(raw_path_open(dir, 0, BAD, 3, 0, R_ALL, R_ALL, 0, ADDR(&fd)), __WASI_ERRNO_FAULT);
    EQ(raw_path_open(dir, 0, ADDR("n\0w"), 3, 0, R_ALL, R_ALL, 0, ADDR(&fd)), __WASI_ERRNO_ILSEQ);
    EQ(raw_path_open(1, 0, ADDR("new"), 3, 0, R_ALL, R_ALL, 0, ADDR(&fd)), __WASI_ERRNO_NOTDIR);
    EQ(raw_path_open(99, 0, ADDR("new"), 3, 0, R_ALL, R_ALL, 0, ADDR(&fd)), __WASI_ERRNO_BADF);
    char longname[300];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[299] = 0;
    EQ(t_open(dir, longname, __WASI_OFLAGS_CREAT, R_ALL, 0, &fd), __WASI_ERRNO_NAMETOOLONG);

    /* trunc empties, a directory opens with O_DIRECTORY */
    create_file("t", "0123456789");
    EQ(t_open(dir, "t", __WASI_OFLAGS_TRUNC, R_ALL, 0, &fd), 0);
    __wasi_filestat_t st;
    EQ(__wasi_fd_filestat_get(fd, &st), 0);
    EQ(st.size, 0);
    EQ(__wasi_fd_close(fd), 0);
    EQ(t_open(dir, "d", __WASI_OFLAGS_DIRECTORY, R_ALL, 0, &fd), 0);
    __wasi_fdstat_t fs;
    EQ(__wasi_fd_fdstat_get(fd, &fs), 0);
    EQ(fs.fs_filetype, __WASI_FILETYPE_DIRECTORY);
    /* relative to the new directory descriptor, and bounded by it */
    __wasi_fd_t inner;
    EQ(t_open(fd, "inner", __WASI_OFLAGS_CREAT, R_ALL, 0, &inner), 0);
    EQ(__wasi_fd_close(inner), 0);
    EQ(t_open(fd, "../new", 0, R_ALL, 0, &inner), __WASI_ERRNO_NOTCAPABLE);
    EQ(type_of("d/inner", 0), __WASI_FILETYPE_REGULAR_FILE);

    /* rights: what a directory can pass on */
    EQ(__wasi_fd_fdstat_set_rights(fd, fs.fs_rights_base, __WASI_RIGHTS_FD_READ), 0);
    EQ(t_open(fd, "inner", 0, __WASI_RIGHTS_FD_WRITE, 0, &inner), __WASI_ERRNO_NOTCAPABLE);
    EQ(__wasi_path_open(fd, 0, "inner", 0, __WASI_RIGHTS_FD_READ, 0, 0, &inner), 0);
    EQ(__wasi_fd_close(inner), 0);
    EQ(__wasi_fd_fdstat_set_rights(fd, 0, 0), 0);
    EQ(__wasi_path_open(fd, 0, "inner", 0, 0, 0, 0, &inner), __WASI_ERRNO_NOTCAPABLE);
    EQ(__wasi_fd_close(fd), 0);

    /* through wasi-libc */
    int lfd = open("/data/libc.txt", O_CREAT | O_WRONLY | O_EXCL, 0644);
    CHECK(lfd >= 0);
    CHECK(write(lfd, "xyz", 3) == 3);
    CHECK(close(lfd) == 0);
    CHECK(open("/data/libc.txt", O_CREAT | O_WRONLY | O_EXCL, 0644) < 0 && errno == EEXIST);
    CHECK(open("/data/nope/x", O_RDONLY) < 0 && errno == ENOENT);
    CHECK(open("/elsewhere/x", O_RDONLY) < 0 && errno == ENOTCAPABLE);
    OK("path_open");
}

static void stats(void)
{
    __wasi_filestat_t st;
    EQ(__wasi_path_filestat_get(dir, 0, "libc.txt", &st), 0);
    EQ(st.size, 3);
    EQ(st.filetype, __WASI_FILETYPE_REGULAR_FILE);
    EQ(__wasi_path_filestat_get(dir, 0, "missing", &st), __WASI_ERRNO_NOENT);
    EQ(__wasi_path_filestat_get(dir, 0, "libc.txt/", &st), __WASI_ERRNO_NOTDIR);
    EQ(__wasi_path_filestat_get(dir, 0, "libc.txt/x", &st), __WASI_ERRNO_NOTDIR);
    EQ(__wasi_path_filestat_get(dir, 0, ".", &st), 0);
    EQ(st.filetype, __WASI_FILETYPE_DIRECTORY);
    EQ(__wasi_path_filestat_get(dir, 0, "d/..", &st), 0);
    EQ(__wasi_path_filestat_get(dir, 4, "d", &st), __WASI_ERRNO_INVAL);
    EQ(raw_path_filestat_get(dir, 0, ADDR("d"), 1, BAD), __WASI_ERRNO_FAULT);
    struct stat s;
    CHECK(stat("/data/libc.txt", &s) == 0 && s.st_size == 3);
    OK("path_filestat_get");

    EQ(__wasi_path_filestat_set_times(dir, 0, "libc.txt", 7000000000ull, 9000000000ull,
                                      __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM),
       0);
    EQ(__wasi_path_filestat_get(dir, 0, "libc.txt", &st), 0);
    EQ(st.atim, 7000000000ull);
    EQ(st.mtim, 9000000000ull);
    EQ(__wasi_path_filestat_set_times(dir, 0, "libc.txt", 0, 0,
                                      __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
       __WASI_ERRNO_INVAL);
    EQ(__wasi_path_filestat_set_times(dir, 0, "missing", 0, 0, __WASI_FSTFLAGS_MTIM_NOW),
       __WASI_ERRNO_NOENT);
    OK("path_filestat_set_times");
}

static void links(void)
{
    /* symlinks: created verbatim, followed only when asked */
    EQ(__wasi_path_symlink("libc.txt", dir, "sl"), 0);
    EQ(__wasi_path_symlink("libc.txt", dir, "sl"), __WASI_ERRNO_EXIST);
    EQ(__wasi_path_symlink("d", dir, "sd"), 0);
    EQ(__wasi_path_symlink("nowhere", dir, "dangling"), 0);
    EQ(__wasi_path_symlink("loop2", dir, "loop1"), 0);
    EQ(__wasi_path_symlink("loop1", dir, "loop2"), 0);
    EQ(type_of("sl", 0), __WASI_FILETYPE_SYMBOLIC_LINK);
    EQ(type_of("sl", 1), __WASI_FILETYPE_REGULAR_FILE);
    EQ(type_of("sd/inner", 1), __WASI_FILETYPE_REGULAR_FILE);
    char buf[64];
    __wasi_size_t n;
    EQ(__wasi_path_readlink(dir, "sl", (uint8_t *)buf, sizeof(buf), &n), 0);
    EQ(n, 8);
    CHECK(memcmp(buf, "libc.txt", 8) == 0);
    EQ(__wasi_path_readlink(dir, "sl", (uint8_t *)buf, 4, &n), 0); /* cut short */
    EQ(n, 4);
    EQ(__wasi_path_readlink(dir, "libc.txt", (uint8_t *)buf, sizeof(buf), &n), __WASI_ERRNO_INVAL);
    EQ(__wasi_path_readlink(dir, "missing", (uint8_t *)buf, sizeof(buf), &n), __WASI_ERRNO_NOENT);
    EQ(raw_path_readlink(dir, ADDR("sl"), 2, BAD, 10, ADDR(&n)), __WASI_ERRNO_FAULT);
    EQ(raw_path_readlink(dir, ADDR("sl"), 2, ADDR(buf), 10, BAD), __WASI_ERRNO_FAULT);
    OK("path_readlink");

    __wasi_fd_t fd;
    EQ(__wasi_path_open(dir, 0, "sl", 0, R_ALL, R_ALL, 0, &fd), __WASI_ERRNO_LOOP);
    EQ(t_open(dir, "sl", 0, R_ALL, 0, &fd), 0);
    EQ(__wasi_fd_close(fd), 0);
    EQ(t_open(dir, "loop1", 0, R_ALL, 0, &fd), __WASI_ERRNO_LOOP);
    EQ(t_open(dir, "loop1/x", 0, R_ALL, 0, &fd), __WASI_ERRNO_LOOP);
    EQ(t_open(dir, "dangling", 0, R_ALL, 0, &fd), __WASI_ERRNO_NOENT);
    /* creating through a dangling symlink creates its target, beneath the dir */
    EQ(t_open(dir, "dangling", __WASI_OFLAGS_CREAT, R_ALL, 0, &fd), 0);
    EQ(__wasi_fd_close(fd), 0);
    EQ(type_of("nowhere", 0), __WASI_FILETYPE_REGULAR_FILE);
    EQ(t_open(dir, "sl", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, R_ALL, 0, &fd),
       __WASI_ERRNO_EXIST);
    EQ(__wasi_path_symlink("x", dir, "missing/dir/link"), __WASI_ERRNO_NOENT);
    OK("path_symlink");

    /* hard links */
    EQ(__wasi_path_link(dir, 0, "libc.txt", dir, "hard"), 0);
    __wasi_filestat_t st;
    EQ(__wasi_path_filestat_get(dir, 0, "hard", &st), 0);
    EQ(st.nlink, 2);
    EQ(__wasi_path_link(dir, 0, "libc.txt", dir, "hard"), __WASI_ERRNO_EXIST);
    EQ(__wasi_path_link(dir, 0, "missing", dir, "hard2"), __WASI_ERRNO_NOENT);
    EQ(__wasi_path_link(dir, 0, "d", dir, "hard2"), __WASI_ERRNO_PERM);
    EQ(__wasi_path_link(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "sl", dir, "hard3"), 0);
    EQ(type_of("hard3", 0), __WASI_FILETYPE_REGULAR_FILE);
    EQ(__wasi_path_link(dir, 0, "sl", dir, "hard4"), 0);
    EQ(type_of("hard4", 0), __WASI_FILETYPE_SYMBOLIC_LINK);
    OK("path_link");

    /* renames */
    EQ(__wasi_path_rename(dir, "hard", dir, "d/moved"), 0);
    EQ(__wasi_path_filestat_get(dir, 0, "hard", &st), __WASI_ERRNO_NOENT);
    EQ(type_of("d/moved", 0), __WASI_FILETYPE_REGULAR_FILE);
    EQ(__wasi_path_rename(dir, "missing", dir, "x"), __WASI_ERRNO_NOENT);
    EQ(__wasi_path_create_directory(dir, "full"), 0);
    create_file("full/f", "");
    EQ(__wasi_path_rename(dir, "d", dir, "full"), __WASI_ERRNO_NOTEMPTY);
    EQ(__wasi_path_rename(dir, "d", dir, "libc.txt"), __WASI_ERRNO_NOTDIR);
    EQ(__wasi_path_rename(dir, "libc.txt", dir, "d"), __WASI_ERRNO_ISDIR);
    EQ(__wasi_path_rename(dir, "libc.txt/", dir, "z"), __WASI_ERRNO_NOTDIR);
    EQ(__wasi_path_rename(dir, "d", dir, "d/sub"), __WASI_ERRNO_INVAL);
    EQ(__wasi_path_rename(dir, "d", dir, "d2"), 0);
    EQ(type_of("d2/moved", 0), __WASI_FILETYPE_REGULAR_FILE);
    CHECK(rename("/data/d2", "/data/d") == 0);
    OK("path_rename");
}

int main(void)
{
    dir = t_preopen("/data");
    CHECK(dir >= 3);
    directories();
    opening();
    stats();
    links();
    return 0;
}
