/*
 * copy.c — copies a file in 64 KiB blocks: `copy [SRC DST]`, default stdin to stdout.
 *
 * The I/O throughput workload: in the guest every block is one fd_read and one
 * fd_write through WASI, so the run measures the host-call path and the copy in
 * and out of linear memory, not computation. Prints nothing else; the byte count
 * goes to stderr so the output file stays a byte-exact copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static char buf[1 << 16];

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int in = 0, out = 1;
    if (argc == 3) {
        in = open(argv[1], O_RDONLY);
        out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0) {
            perror("open");
            return 1;
        }
    } else if (argc != 1) {
        fprintf(stderr, "usage: copy [SRC DST]\n");
        return 2;
    }
    unsigned long long total = 0;
    for (;;) {
        ssize_t r = read(in, buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            perror("read");
            return 1;
        }
        if (r == 0)
            break;
        if (write_all(out, buf, (size_t)r) < 0) {
            perror("write");
            return 1;
        }
        total += (unsigned long long)r;
    }
    if (out != 1 && close(out) < 0) {
        perror("close");
        return 1;
    }
    fprintf(stderr, "copied %llu bytes\n", total);
    return 0;
}
