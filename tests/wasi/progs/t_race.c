/* The race: while the host swaps $T/sandbox/swap between a real directory and a
 * symlink to $T/outside (and swapf between a file and a symlink to the secret),
 * the guest opens swap/secret and swapf again and again. It must never read the
 * secret. Prints how often each outcome happened. */
#include "t.h"

int main(int argc, char **argv)
{
    int data = t_preopen("/data");
    CHECK(data >= 3);
    int rounds = argc > 1 ? atoi(argv[1]) : 20000;
    int opened = 0, refused = 0, other = 0;
    for (int i = 0; i < rounds; i++) {
        const char *path = (i & 1) ? "swapf" : "swap/secret";
        __wasi_fd_t fd;
        __wasi_errno_t e = __wasi_path_open(data, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, 0,
                                            __WASI_RIGHTS_FD_READ, 0, 0, &fd);
        if (e == 0) {
            char buf[16] = {0};
            __wasi_iovec_t iov = {(uint8_t *)buf, sizeof(buf) - 1};
            __wasi_size_t n;
            EQ(__wasi_fd_read(fd, &iov, 1, &n), 0);
            if (strstr(buf, "SECRET")) {
                fprintf(stderr, "FAIL: read the secret through %s\n", path);
                return 1;
            }
            (void)!__wasi_fd_close(fd);
            opened++;
        } else if (e == __WASI_ERRNO_NOTCAPABLE || e == __WASI_ERRNO_LOOP) {
            refused++;
        } else {
            other++; /* ENOENT etc. while a rename is half-way */
        }
    }
    printf("race: %d opened inside, %d refused, %d other\n", opened, refused, other);
    CHECK(opened + refused > 0);
    OK("escape_race");
    return 0;
}
