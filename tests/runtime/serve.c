/*
 * serve.c — a tiny HTTP responder for the runtime's network tests (wasm32-wasi).
 *
 * WASI preview1 cannot bind or listen, only accept on a socket its host handed it:
 * wasmbox-runtime makes the sockets WASMBOX_LISTEN names inside the container's
 * network namespace and passes them after the preopened directories. This program
 * finds the first such socket, answers N requests (argv[1], default 1) with
 * "hello from wasm server", and exits 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

static int find_listener(void)
{
    for (int fd = 3; fd < 64; fd++) {
        __wasi_fdstat_t st;
        if (__wasi_fd_fdstat_get((__wasi_fd_t)fd, &st) == 0 &&
            st.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM)
            return fd;
    }
    return -1;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1;
    int lfd = find_listener();
    if (lfd < 0) {
        fprintf(stderr, "serve: no listening socket (set WASMBOX_LISTEN)\n");
        return 2;
    }
    printf("serving on fd %d\n", lfd);
    fflush(stdout);
    static const char reply[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                                "Content-Length: 22\r\n\r\nhello from wasm server\n";
    for (int i = 0; i < n; i++) {
        __wasi_fd_t c;
        if (__wasi_sock_accept((__wasi_fd_t)lfd, 0, &c) != 0) {
            fprintf(stderr, "serve: accept failed\n");
            return 1;
        }
        char buf[1024];
        (void)read((int)c, buf, sizeof buf); /* the request; its content does not matter */
        write((int)c, reply, sizeof reply - 1);
        close((int)c);
    }
    return 0;
}
