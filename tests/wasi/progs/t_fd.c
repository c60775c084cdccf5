/* The fd_* functions on files in the preopened /data: reading and writing
 * (positioned or not), seek/tell, fdstat and its flags and rights, filestat and
 * sizes and times, advise/allocate/sync, renumber and close, with their errnos. */
#include "t.h"

#include <fcntl.h>
#include <unistd.h>

static int dir;

static __wasi_fd_t open_file(const char *name, int oflags, uint64_t rights, int fdflags)
{
    __wasi_fd_t fd;
    EQ(t_open(dir, name, oflags, rights, fdflags, &fd), 0);
    return fd;
}

static void rw(void)
{
    __wasi_fd_t fd = open_file("f.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, R_ALL, 0);
    const char *parts[] = {"hello ", "", "world", "\n"};
    __wasi_ciovec_t iov[4];
    for (int i = 0; i < 4; i++)
        iov[i] = (__wasi_ciovec_t){(const uint8_t *)parts[i], strlen(parts[i])};
    __wasi_size_t n;
    EQ(__wasi_fd_write(fd, iov, 4, &n), 0);
    EQ(n, 12);
    __wasi_filesize_t pos;
    EQ(__wasi_fd_tell(fd, &pos), 0);
    EQ(pos, 12);
    EQ(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos), 0);
    EQ(pos, 0);
    char a[6] = {0}, b[16] = {0};
    __wasi_iovec_t rio[2] = {{(uint8_t *)a, 5}, {(uint8_t *)b, 16}};
    EQ(__wasi_fd_read(fd, rio, 2, &n), 0);
    EQ(n, 12);
    CHECK(memcmp(a, "hello", 5) == 0 && memcmp(b, " world\n", 7) == 0);
    EQ(__wasi_fd_read(fd, rio, 2, &n), 0); /* end of file */
    EQ(n, 0);
    EQ(__wasi_fd_seek(fd, -6, __WASI_WHENCE_END, &pos), 0);
    EQ(pos, 6);
    EQ(__wasi_fd_seek(fd, 2, __WASI_WHENCE_CUR, &pos), 0);
    EQ(pos, 8);
    EQ(__wasi_fd_seek(fd, -100, __WASI_WHENCE_CUR, &pos), __WASI_ERRNO_INVAL);
    EQ(__wasi_fd_seek(fd, 0, 3, &pos), __WASI_ERRNO_INVAL);
    EQ(raw_fd_seek(fd, 0, 0, BAD), __WASI_ERRNO_FAULT);
    EQ(raw_fd_tell(fd, BAD), __WASI_ERRNO_FAULT);
    OK("fd_read_write_seek_tell");

    /* pread/pwrite leave the position alone */
    __wasi_ciovec_t pw = {(const uint8_t *)"W", 1};
    EQ(__wasi_fd_pwrite(fd, &pw, 1, 6, &n), 0);
    EQ(n, 1);
    char c[5] = {0};
    __wasi_iovec_t pr = {(uint8_t *)c, 5};
    EQ(__wasi_fd_pread(fd, &pr, 1, 6, &n), 0);
    EQ(n, 5);
    CHECK(memcmp(c, "World", 5) == 0);
    EQ(__wasi_fd_tell(fd, &pos), 0);
    EQ(pos, 8);
    EQ(__wasi_fd_pread(fd, &pr, 1, 100, &n), 0);
    EQ(n, 0);
    EQ(__wasi_fd_pread(fd, &pr, 1, (uint64_t)-1, &n), __WASI_ERRNO_INVAL);
    OK("fd_pread_pwrite");

    /* iovecs outside memory: EFAULT, nothing read or written */
    uint32_t badiov[2] = {(uint32_t)BAD, 100};
    EQ(raw_fd_write(fd, ADDR(badiov), 1, ADDR(&n)), __WASI_ERRNO_FAULT);
    EQ(raw_fd_write(fd, BAD, 1, ADDR(&n)), __WASI_ERRNO_FAULT);
    EQ(raw_fd_write(fd, ADDR(iov), 0x20000000, ADDR(&n)), __WASI_ERRNO_FAULT);
    EQ(raw_fd_read(fd, ADDR(badiov), 1, ADDR(&n)), __WASI_ERRNO_FAULT);
    EQ(raw_fd_read(fd, ADDR(rio), 2, BAD), __WASI_ERRNO_FAULT);
    EQ(raw_fd_pread(fd, ADDR(badiov), 1, 0, ADDR(&n)), __WASI_ERRNO_FAULT);
    EQ(__wasi_fd_tell(fd, &pos), 0);
    EQ(pos, 8);
    OK("fd_iovec_faults");
    EQ(__wasi_fd_close(fd), 0);
    EQ(__wasi_fd_close(fd), __WASI_ERRNO_BADF);
    EQ(__wasi_fd_write(fd, iov, 1, &n), __WASI_ERRNO_BADF);
    OK("fd_close");
}

static void stat_and_flags(void)
{
    __wasi_fd_t fd = open_file("f.txt", 0, R_ALL, 0);
    __wasi_fdstat_t st;
    EQ(__wasi_fd_fdstat_get(fd, &st), 0);
    EQ(st.fs_filetype, __WASI_FILETYPE_REGULAR_FILE);
    EQ(st.fs_flags, 0);
    CHECK(st.fs_rights_base & __WASI_RIGHTS_FD_READ);
    CHECK(!(st.fs_rights_base & __WASI_RIGHTS_PATH_OPEN)); /* dropped: not for files */
    EQ(raw_fd_fdstat_get(fd, BAD), __WASI_ERRNO_FAULT);
    EQ(raw_fd_fdstat_get(fd, ADDR(&st) + 4), __WASI_ERRNO_INVAL);
    EQ(__wasi_fd_fdstat_get(77, &st), __WASI_ERRNO_BADF);
    EQ(__wasi_fd_fdstat_get(dir, &st), 0);
    EQ(st.fs_filetype, __WASI_FILETYPE_DIRECTORY);
    OK("fd_fdstat_get");

    /* append: writes land at the end whatever the position */
    EQ(__wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND), 0);
    EQ(__wasi_fd_fdstat_get(fd, &st), 0);
    EQ(st.fs_flags, __WASI_FDFLAGS_APPEND);
    __wasi_filesize_t pos;
    EQ(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos), 0);
    __wasi_ciovec_t iov = {(const uint8_t *)"+", 1};
    __wasi_size_t n;
    EQ(__wasi_fd_write(fd, &iov, 1, &n), 0);
    __wasi_filestat_t fs;
    EQ(__wasi_fd_filestat_get(fd, &fs), 0);
    EQ(fs.size, 13);
    EQ(__wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_NONBLOCK), 0);
    EQ(__wasi_fd_fdstat_set_flags(fd, 0), 0);
    EQ(__wasi_fd_fdstat_set_flags(fd, 0x100), __WASI_ERRNO_INVAL);
    EQ(__wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_SYNC), __WASI_ERRNO_NOTSUP);
    CHECK(fcntl(fd, F_GETFL) >= 0);
    OK("fd_fdstat_set_flags");

    /* append as an open flag, through wasi-libc */
    int lfd = open("/data/f.txt", O_WRONLY | O_APPEND);
    CHECK(lfd >= 0);
    CHECK(write(lfd, "!", 1) == 1);
    CHECK(fcntl(lfd, F_GETFL) & O_APPEND);
    close(lfd);

    /* rights only shrink */
    EQ(__wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_FILESTAT_GET, 0),
       0);
    EQ(__wasi_fd_write(fd, &iov, 1, &n), __WASI_ERRNO_NOTCAPABLE);
    EQ(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos), __WASI_ERRNO_NOTCAPABLE);
    EQ(__wasi_fd_tell(fd, &pos), __WASI_ERRNO_NOTCAPABLE);
    EQ(__wasi_fd_fdstat_set_rights(fd, R_ALL, 0), __WASI_ERRNO_NOTCAPABLE);
    EQ(__wasi_fd_fdstat_get(fd, &st), 0);
    EQ(st.fs_rights_base, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_FILESTAT_GET);
    EQ(__wasi_fd_filestat_set_size(fd, 0), __WASI_ERRNO_NOTCAPABLE);
    EQ(__wasi_fd_sync(fd), __WASI_ERRNO_NOTCAPABLE);
    OK("fd_fdstat_set_rights");
    EQ(__wasi_fd_close(fd), 0);

    fd = open_file("f.txt", 0, R_ALL, 0);
    EQ(__wasi_fd_filestat_get(fd, &fs), 0);
    EQ(fs.filetype, __WASI_FILETYPE_REGULAR_FILE);
    EQ(fs.size, 14);
    EQ(fs.nlink, 1);
    CHECK(fs.ino != 0 && fs.mtim > 0);
    EQ(raw_fd_filestat_get(fd, BAD), __WASI_ERRNO_FAULT);
    OK("fd_filestat_get");

    EQ(__wasi_fd_filestat_set_size(fd, 3), 0);
    EQ(__wasi_fd_filestat_get(fd, &fs), 0);
    EQ(fs.size, 3);
    EQ(__wasi_fd_filestat_set_size(fd, 100000), 0);
    EQ(__wasi_fd_filestat_get(fd, &fs), 0);
    EQ(fs.size, 100000);
    EQ(__wasi_fd_filestat_set_size(fd, (uint64_t)-1), __WASI_ERRNO_INVAL);
    OK("fd_filestat_set_size");

    EQ(__wasi_fd_filestat_set_times(fd, 1000000000ull * 1000, 1000000000ull * 2000 + 5,
                                    __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM),
       0);
    EQ(__wasi_fd_filestat_get(fd, &fs), 0);
    EQ(fs.atim, 1000000000ull * 1000);
    EQ(fs.mtim, 1000000000ull * 2000 + 5);
    EQ(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW), 0);
    EQ(__wasi_fd_filestat_get(fd, &fs), 0);
    CHECK(fs.mtim > 1000000000ull * 1600000000ull);
    EQ(fs.atim, 1000000000ull * 1000); /* untouched */
    EQ(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
       __WASI_ERRNO_INVAL);
    EQ(__wasi_fd_filestat_set_times(fd, 0, 0, 0x10), __WASI_ERRNO_INVAL);
    OK("fd_filestat_set_times");

    EQ(__wasi_fd_advise(fd, 0, 100, __WASI_ADVICE_SEQUENTIAL), 0);
    EQ(__wasi_fd_advise(fd, 0, 0, __WASI_ADVICE_DONTNEED), 0);
    EQ(__wasi_fd_advise(fd, 0, 100, 6), __WASI_ERRNO_INVAL);
    OK("fd_advise");
    EQ(__wasi_fd_allocate(fd, 0, 300000), 0);
    EQ(__wasi_fd_filestat_get(fd, &fs), 0);
    EQ(fs.size, 300000);
    EQ(__wasi_fd_allocate(fd, 0, 0), __WASI_ERRNO_INVAL);
    OK("fd_allocate");
    EQ(__wasi_fd_datasync(fd), 0);
    EQ(__wasi_fd_sync(fd), 0);
    EQ(__wasi_fd_sync(99), __WASI_ERRNO_BADF);
    OK("fd_sync_datasync");

    /* renumber: `to` is replaced, `from` disappears */
    __wasi_fd_t g = open_file("g.txt", __WASI_OFLAGS_CREAT, R_ALL, 0);
    EQ(__wasi_fd_renumber(fd, g), 0);
    EQ(__wasi_fd_fdstat_get(fd, &st), __WASI_ERRNO_BADF);
    EQ(__wasi_fd_filestat_get(g, &fs), 0);
    EQ(fs.size, 300000);
    EQ(__wasi_fd_renumber(g, 200), __WASI_ERRNO_BADF);
    EQ(__wasi_fd_renumber(200, g), __WASI_ERRNO_BADF);
    EQ(__wasi_fd_renumber(g, g), 0);
    OK("fd_renumber");
    EQ(__wasi_fd_close(g), 0);

    /* directories are not files and files are not directories */
    EQ(__wasi_fd_read(dir, NULL, 0, &n), __WASI_ERRNO_ISDIR);
    __wasi_fd_t f2 = open_file("f.txt", 0, R_ALL, 0);
    uint8_t buf[64];
    EQ(__wasi_fd_readdir(f2, buf, sizeof(buf), 0, &n), __WASI_ERRNO_NOTDIR);
    EQ(__wasi_path_create_directory(f2, "x"), __WASI_ERRNO_NOTDIR);
    EQ(__wasi_fd_close(f2), 0);
    OK("fd_kind_errors");
}

static void stdio(void)
{
    __wasi_fdstat_t st;
    EQ(__wasi_fd_fdstat_get(0, &st), 0); /* stdin without -i: empty */
    __wasi_size_t n;
    char c;
    __wasi_iovec_t iov = {(uint8_t *)&c, 1};
    EQ(__wasi_fd_read(0, &iov, 1, &n), 0);
    EQ(n, 0);
    __wasi_ciovec_t w = {(const uint8_t *)"x", 1};
    EQ(__wasi_fd_write(0, &w, 1, &n), __WASI_ERRNO_BADF);
    EQ(__wasi_fd_fdstat_get(1, &st), 0);
    CHECK(st.fs_rights_base & __WASI_RIGHTS_FD_WRITE);
    EQ(__wasi_fd_prestat_get(1, &(__wasi_prestat_t){0}), __WASI_ERRNO_BADF);
    OK("stdio_fdstat");
}

int main(void)
{
    dir = t_preopen("/data");
    CHECK(dir >= 3);
    rw();
    stat_and_flags();
    stdio();
    return 0;
}
