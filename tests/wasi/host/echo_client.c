/* echo_client.c — the host side of the socket test.
 *   echo_client port          prints a free loopback TCP port
 *   echo_client PORT N BYTES  connects N times to 127.0.0.1:PORT (retrying while
 *                             the server starts), sends BYTES bytes each time,
 *                             shuts down its write side and checks the echo. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0)
        return perror("port"), 1;
    printf("%d\n", ntohs(a.sin_port));
    close(fd);
    return 0;
}

static int connect_retry(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    for (int i = 0; i < 200; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
            return fd;
        close(fd);
        usleep(25000);
    }
    return -1;
}

static int one(int port, size_t bytes, unsigned seed)
{
    int fd = connect_retry(port);
    if (fd < 0)
        return fprintf(stderr, "echo_client: cannot connect to port %d\n", port), 1;
    unsigned char *out = malloc(bytes), *in = malloc(bytes);
    for (size_t i = 0; i < bytes; i++)
        out[i] = (unsigned char)(i * 31 + seed);
    size_t sent = 0, got = 0;
    /* interleave sending and receiving so neither side's buffers fill up */
    while (got < bytes) {
        struct pollfd p = {.fd = fd, .events = POLLIN | (sent < bytes ? POLLOUT : 0)};
        if (poll(&p, 1, 10000) <= 0)
            return fprintf(stderr, "echo_client: timeout (%zu sent, %zu back)\n", sent, got), 1;
        if ((p.revents & POLLOUT) && sent < bytes) {
            ssize_t n = send(fd, out + sent, bytes - sent > 65536 ? 65536 : bytes - sent, 0);
            if (n < 0)
                return perror("send"), 1;
            sent += (size_t)n;
            if (sent == bytes)
                shutdown(fd, SHUT_WR);
        }
        if (p.revents & (POLLIN | POLLHUP)) {
            ssize_t n = recv(fd, in + got, bytes - got, 0);
            if (n <= 0)
                return fprintf(stderr, "echo_client: connection ended after %zu bytes\n", got), 1;
            got += (size_t)n;
        }
    }
    char extra;
    if (recv(fd, &extra, 1, 0) != 0 || memcmp(in, out, bytes) != 0)
        return fprintf(stderr, "echo_client: echo differs\n"), 1;
    close(fd);
    free(out);
    free(in);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "port") == 0)
        return free_port();
    if (argc != 4)
        return fprintf(stderr, "usage: echo_client PORT N BYTES\n"), 2;
    int port = atoi(argv[1]), n = atoi(argv[2]);
    for (int i = 0; i < n; i++)
        if (one(port, (size_t)atoll(argv[3]), (unsigned)i))
            return 1;
    printf("echo_client: %d connections echoed\n", n);
    return 0;
}
