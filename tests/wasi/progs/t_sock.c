/* A socket echo server: the listening socket comes from -p (the first fd after
 * the preopens); it accepts connections and echoes each back until the client
 * shuts down, for as many clients as argv[1] says. Also the sock_* errnos. */
#include "t.h"

static int find_listener(void)
{
    for (int fd = 3; fd < 64; fd++) {
        __wasi_fdstat_t st;
        if (__wasi_fd_fdstat_get(fd, &st) == 0 && st.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM &&
            (st.fs_rights_base & __WASI_RIGHTS_SOCK_ACCEPT))
            return fd;
    }
    return -1;
}

static void errors(int l)
{
    __wasi_fd_t c;
    char buf[4];
    __wasi_iovec_t iov = {(uint8_t *)buf, 4};
    __wasi_size_t n;
    __wasi_roflags_t rf;
    EQ(__wasi_sock_accept(1, 0, &c), __WASI_ERRNO_NOTSOCK);
    EQ(__wasi_sock_accept(99, 0, &c), __WASI_ERRNO_BADF);
    EQ(__wasi_sock_accept(l, 0x10, &c), __WASI_ERRNO_INVAL);
    EQ(raw_sock_accept(l, 0, BAD), __WASI_ERRNO_FAULT);
    EQ(__wasi_sock_recv(1, &iov, 1, 0, &n, &rf), __WASI_ERRNO_NOTSOCK);
    EQ(__wasi_sock_send(1, (__wasi_ciovec_t *)&iov, 1, 0, &n), __WASI_ERRNO_NOTSOCK);
    EQ(__wasi_sock_shutdown(1, __WASI_SDFLAGS_WR), __WASI_ERRNO_NOTSOCK);
    EQ(__wasi_sock_recv(l, &iov, 1, 0, &n, &rf), __WASI_ERRNO_NOTCONN);
    /* nonblocking accept with nobody waiting */
    EQ(__wasi_fd_fdstat_set_flags(l, __WASI_FDFLAGS_NONBLOCK), 0);
    EQ(__wasi_sock_accept(l, 0, &c), __WASI_ERRNO_AGAIN);
    EQ(__wasi_fd_fdstat_set_flags(l, 0), 0);
    OK("sock_errors");
}

static void serve(int l)
{
    __wasi_subscription_t s;
    __wasi_event_t ev;
    __wasi_size_t got;
    memset(&s, 0, sizeof(s));
    s.u.tag = __WASI_EVENTTYPE_FD_READ;
    s.u.u.fd_read.file_descriptor = l;
    EQ(__wasi_poll_oneoff(&s, &ev, 1, &got), 0); /* a pending connection is readiness */
    EQ(got, 1);
    EQ(ev.error, 0);
    __wasi_fd_t c;
    EQ(__wasi_sock_accept(l, 0, &c), 0);
    __wasi_fdstat_t st;
    EQ(__wasi_fd_fdstat_get(c, &st), 0);
    EQ(st.fs_filetype, __WASI_FILETYPE_SOCKET_STREAM);
    char buf[4096];
    size_t total = 0;
    for (;;) {
        __wasi_iovec_t iov = {(uint8_t *)buf, sizeof(buf)};
        __wasi_size_t n;
        __wasi_roflags_t rf;
        EQ(__wasi_sock_recv(c, &iov, 1, 0, &n, &rf), 0);
        EQ(rf, 0);
        if (n == 0)
            break;
        total += n;
        size_t off = 0;
        while (off < n) {
            __wasi_ciovec_t out = {(const uint8_t *)buf + off, n - off};
            __wasi_size_t w;
            EQ(__wasi_sock_send(c, &out, 1, 0, &w), 0);
            off += w;
        }
    }
    EQ(__wasi_sock_shutdown(c, __WASI_SDFLAGS_WR), 0);
    EQ(__wasi_sock_shutdown(c, 0), __WASI_ERRNO_INVAL);
    EQ(__wasi_fd_close(c), 0);
    fprintf(stderr, "echoed %zu bytes\n", total);
}

int main(int argc, char **argv)
{
    int l = find_listener();
    CHECK(l >= 3);
    errors(l);
    int clients = argc > 1 ? atoi(argv[1]) : 1;
    for (int i = 0; i < clients; i++)
        serve(l);
    OK("sock_echo");
    return 0;
}
