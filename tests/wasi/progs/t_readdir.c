/* fd_readdir over a large directory: every entry exactly once through wasi-libc's
 * readdir and through raw calls with tiny buffers resumed by cookie; dirent
 * layout and types; rewinding; seekdir/telldir; errors. */
#include "t.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#define NFILES 3000

static int dir;

static int index_of(const char *name)
{
    if (strncmp(name, "file-", 5) != 0)
        return -1;
    return atoi(name + 5);
}

static void make_files(void)
{
    EQ(__wasi_path_create_directory(dir, "big"), 0);
    for (int i = 0; i < NFILES; i++) {
        char name[64];
        snprintf(name, sizeof(name), "/data/big/file-%d", i);
        int fd = open(name, O_CREAT | O_WRONLY, 0644);
        CHECK(fd >= 0);
        close(fd);
    }
    EQ(__wasi_path_create_directory(dir, "big/subdir"), 0);
    EQ(__wasi_path_symlink("file-1", dir, "big/link"), 0);
}

static void with_libc(void)
{
    static unsigned char seen[NFILES];
    DIR *d = opendir("/data/big");
    CHECK(d);
    struct dirent *e;
    int files = 0, dots = 0, subdir = 0, link = 0;
    long mid = -1;
    char mid_name[64] = {0};
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            dots++;
            CHECK(e->d_type == DT_DIR);
            continue;
        }
        if (strcmp(e->d_name, "subdir") == 0) {
            subdir++;
            CHECK(e->d_type == DT_DIR);
            continue;
        }
        if (strcmp(e->d_name, "link") == 0) {
            link++;
            CHECK(e->d_type == DT_LNK);
            continue;
        }
        int i = index_of(e->d_name);
        if (i >= 0 && i < NFILES && seen[i])
            fprintf(stderr, "seen twice: %s (after %d files)\n", e->d_name, files);
        CHECK(i >= 0 && i < NFILES && !seen[i]);
        CHECK(e->d_type == DT_REG);
        seen[i] = 1;
        if (++files == NFILES / 2) {
            mid = telldir(d);
            struct dirent *next = readdir(d);
            CHECK(next);
            snprintf(mid_name, sizeof(mid_name), "%s", next->d_name);
            seekdir(d, mid);
        }
    }
    EQ(files, NFILES);
    EQ(dots, 2);
    EQ(subdir, 1);
    EQ(link, 1);
    /* seekdir back to the middle: the same entry comes next */
    seekdir(d, mid);
    e = readdir(d);
    CHECK(e && strcmp(e->d_name, mid_name) == 0);
    rewinddir(d);
    int again = 0;
    while (readdir(d))
        again++;
    EQ(again, NFILES + 4);
    closedir(d);
    OK("readdir_libc_large");
}

static void raw(uint32_t bufsize)
{
    static unsigned char seen[NFILES];
    memset(seen, 0, sizeof(seen));
    __wasi_fd_t fd;
    EQ(__wasi_path_open(dir, 0, "big", __WASI_OFLAGS_DIRECTORY, R_ALL, R_ALL, 0, &fd), 0);
    uint8_t *buf = malloc(bufsize);
    uint64_t cookie = 0;
    int files = 0, calls = 0;
    for (;;) {
        __wasi_size_t used;
        EQ(__wasi_fd_readdir(fd, buf, bufsize, cookie, &used), 0);
        calls++;
        CHECK(used <= bufsize);
        uint32_t off = 0;
        int complete = 0;
        while (off + sizeof(__wasi_dirent_t) <= used) {
            __wasi_dirent_t ent;
            memcpy(&ent, buf + off, sizeof(ent));
            if (off + sizeof(ent) + ent.d_namlen > used)
                break; /* cut short: resume at this entry */
            char name[256] = {0};
            memcpy(name, buf + off + sizeof(ent), ent.d_namlen);
            int i = index_of(name);
            if (i >= 0) {
                CHECK(i < NFILES && !seen[i]);
                seen[i] = 1;
                files++;
                EQ(ent.d_type, __WASI_FILETYPE_REGULAR_FILE);
                CHECK(ent.d_ino != 0);
            }
            cookie = ent.d_next;
            off += sizeof(ent) + ent.d_namlen;
            complete++;
        }
        if (used < bufsize)
            break; /* the end */
        CHECK(complete > 0);
        CHECK(calls < 100000);
    }
    EQ(files, NFILES);

    /* cookie 0 starts again; a header that does not fit fills the buffer */
    __wasi_size_t used;
    EQ(__wasi_fd_readdir(fd, buf, 10, 0, &used), 0);
    EQ(used, 10);
    EQ(__wasi_fd_readdir(fd, buf, 0, 0, &used), 0);
    EQ(used, 0);
    EQ(raw_fd_readdir(fd, BAD, 100, 0, ADDR(&used)), __WASI_ERRNO_FAULT);
    EQ(raw_fd_readdir(fd, ADDR(buf), 10, 0, BAD), __WASI_ERRNO_FAULT);
    EQ(__wasi_fd_readdir(99, buf, 10, 0, &used), __WASI_ERRNO_BADF);
    EQ(__wasi_fd_close(fd), 0);
    free(buf);
}

int main(void)
{
    dir = t_preopen("/data");
    CHECK(dir >= 3);
    make_files();
    with_libc();
    raw(128);
    raw(4096);
    raw(65536);
    OK("fd_readdir_raw_cookies");
    return 0;
}
