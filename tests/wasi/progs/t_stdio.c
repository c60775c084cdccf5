/* stdio: `big` writes 4 MiB of numbered lines through printf, raw fd_write with
 * many iovecs (more than the host takes at once, so writes come back partial and
 * the loop resumes) and one huge iovec; `stdin` reads all of standard input and
 * reports its size and sum; `closed` runs with the host's stdout closed. */
#include "t.h"

#include <unistd.h>

#define LINE 64

static void line(char *buf, int n)
{
    snprintf(buf, LINE + 1, "%08d %-54s\n", n, "the quick brown fox jumps over the lazy dog");
}

static void write_all_raw(__wasi_ciovec_t *iov, int n)
{
    int partial = 0;
    while (n > 0) {
        __wasi_size_t w;
        EQ(__wasi_fd_write(1, iov, n, &w), 0);
        size_t total = 0;
        for (int i = 0; i < n; i++)
            total += iov[i].buf_len;
        partial += w < total;
        while (n > 0 && w >= iov->buf_len) {
            w -= iov->buf_len;
            iov++, n--;
        }
        if (n > 0) {
            iov->buf += w;
            iov->buf_len -= w;
        }
    }
    fprintf(stderr, "partial writes: %d\n", partial);
}

static int big(void)
{
    char buf[LINE + 1];
    int n = 0;
    /* 1: printf, 16384 lines (1 MiB) */
    for (int i = 0; i < 16384; i++, n++) {
        line(buf, n);
        CHECK(fputs(buf, stdout) >= 0);
    }
    CHECK(fflush(stdout) == 0);
    /* 2: 3000 iovecs of one line each, resumed after partial writes */
    int k = 3000;
    char *lines = malloc((size_t)k * LINE + 1);
    __wasi_ciovec_t *iov = malloc(sizeof(*iov) * k);
    for (int i = 0; i < k; i++, n++) {
        line(lines + (size_t)i * LINE, n);
        iov[i] = (__wasi_ciovec_t){(const uint8_t *)lines + (size_t)i * LINE, LINE};
    }
    write_all_raw(iov, k);
    /* 3: one 2 MiB iovec plus empty ones */
    int m = 32768;
    char *huge = malloc((size_t)m * LINE + 1);
    for (int i = 0; i < m; i++, n++)
        line(huge + (size_t)i * LINE, n);
    __wasi_ciovec_t v[3] = {{NULL, 0}, {(const uint8_t *)huge, (size_t)m * LINE}, {NULL, 0}};
    write_all_raw(v, 3);
    /* 4: the rest through write(2) in odd-sized pieces */
    for (int i = 0; i < 13384; i++, n++) {
        line(buf, n);
        size_t off = 0;
        while (off < LINE) {
            size_t want = (size_t)(i % 7) + 1 < LINE - off ? (size_t)(i % 7) + 1 : LINE - off;
            ssize_t w = write(1, buf + off, want);
            CHECK(w > 0);
            off += (size_t)w;
        }
    }
    fprintf(stderr, "lines: %d\n", n);
    return 0;
}

static int read_stdin(void)
{
    static char buf[65536];
    unsigned long long total = 0, sum = 0;
    for (;;) {
        ssize_t r = read(0, buf, sizeof(buf));
        CHECK(r >= 0);
        if (r == 0)
            break;
        for (ssize_t i = 0; i < r; i++)
            sum += (unsigned char)buf[i];
        total += (unsigned long long)r;
    }
    printf("stdin: %llu bytes, sum %llu\n", total, sum);
    return 0;
}

static int closed(void)
{
    __wasi_ciovec_t iov = {(const uint8_t *)"x\n", 2};
    __wasi_size_t n;
    __wasi_fdstat_t st;
    EQ(__wasi_fd_write(1, &iov, 1, &n), __WASI_ERRNO_BADF);
    EQ(__wasi_fd_fdstat_get(1, &st), __WASI_ERRNO_BADF);
    int p = printf("lost\n");
    int f = fflush(stdout);
    CHECK(p < 0 || f != 0 || ferror(stdout)); /* the failure shows somewhere */
    fprintf(stderr, "ok stdout_closed\n");
    return 0;
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    if (strcmp(argv[1], "big") == 0)
        return big();
    if (strcmp(argv[1], "stdin") == 0)
        return read_stdin();
    if (strcmp(argv[1], "closed") == 0)
        return closed();
    return 2;
}
