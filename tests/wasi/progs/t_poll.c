/* poll_oneoff: clocks alone (relative and absolute), descriptors and clocks at
 * once, readiness of stdin (the driver writes "abc" to it after ~1.5 s, then
 * closes it), of stdout and of files, and the per-subscription errors. Run with -i. */
#include "t.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

static uint64_t mono(void)
{
    __wasi_timestamp_t t;
    EQ(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t), 0);
    return t;
}

static __wasi_subscription_t clock_sub(uint64_t ud, __wasi_clockid_t id, uint64_t ns, int flags)
{
    __wasi_subscription_t s;
    memset(&s, 0, sizeof(s));
    s.userdata = ud;
    s.u.tag = __WASI_EVENTTYPE_CLOCK;
    s.u.u.clock.id = id;
    s.u.u.clock.timeout = ns;
    s.u.u.clock.flags = flags;
    return s;
}

static __wasi_subscription_t fd_sub(uint64_t ud, int type, int fd)
{
    __wasi_subscription_t s;
    memset(&s, 0, sizeof(s));
    s.userdata = ud;
    s.u.tag = type;
    s.u.u.fd_read.file_descriptor = fd;
    return s;
}

static int poll_n(__wasi_subscription_t *s, int n, __wasi_event_t *ev)
{
    __wasi_size_t got = 0;
    EQ(__wasi_poll_oneoff(s, ev, n, &got), 0);
    CHECK(got >= 1 && got <= (__wasi_size_t)n);
    return (int)got;
}

int main(void)
{
    __wasi_subscription_t s[4];
    __wasi_event_t ev[4];
    __wasi_size_t got;

    /* errors of the call itself */
    EQ(__wasi_poll_oneoff(s, ev, 0, &got), __WASI_ERRNO_INVAL);
    s[0] = clock_sub(1, __WASI_CLOCKID_MONOTONIC, 0, 0);
    EQ(raw_poll_oneoff(BAD, ADDR(ev), 1, ADDR(&got)), __WASI_ERRNO_FAULT);
    EQ(raw_poll_oneoff(ADDR(s), BAD, 1, ADDR(&got)), __WASI_ERRNO_FAULT);
    EQ(raw_poll_oneoff(ADDR(s), ADDR(ev), 1, BAD), __WASI_ERRNO_FAULT);
    EQ(raw_poll_oneoff(ADDR(s), ADDR(ev), 0x7fffffff, ADDR(&got)), __WASI_ERRNO_NOMEM);
    OK("poll_oneoff_errors");

    /* a relative clock sleeps at least its timeout */
    uint64_t t0 = mono();
    s[0] = clock_sub(42, __WASI_CLOCKID_MONOTONIC, 50000000, 0);
    EQ(poll_n(s, 1, ev), 1);
    uint64_t dt = mono() - t0;
    CHECK(dt >= 50000000 && dt < 2000000000);
    EQ(ev[0].userdata, 42);
    EQ(ev[0].error, 0);
    EQ(ev[0].type, __WASI_EVENTTYPE_CLOCK);
    /* an absolute deadline on the realtime clock */
    __wasi_timestamp_t now;
    EQ(__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &now), 0);
    t0 = mono();
    s[0] = clock_sub(7, __WASI_CLOCKID_REALTIME, now + 30000000,
                     __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    EQ(poll_n(s, 1, ev), 1);
    CHECK(mono() - t0 >= 20000000);
    /* a deadline in the past fires at once */
    s[0] =
        clock_sub(8, __WASI_CLOCKID_MONOTONIC, 1, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    EQ(poll_n(s, 1, ev), 1);
    EQ(ev[0].userdata, 8);
    /* usleep goes through poll_oneoff in wasi-libc */
    t0 = mono();
    CHECK(usleep(20000) == 0);
    CHECK(mono() - t0 >= 20000000);
    OK("poll_oneoff_clocks");

    /* stdin has no data yet: the short clock wins */
    s[0] = fd_sub(100, __WASI_EVENTTYPE_FD_READ, 0);
    s[1] = clock_sub(101, __WASI_CLOCKID_MONOTONIC, 20000000, 0);
    EQ(poll_n(s, 2, ev), 1);
    EQ(ev[0].userdata, 101);
    /* then stdin becomes readable before the long clock */
    t0 = mono();
    s[1] = clock_sub(101, __WASI_CLOCKID_MONOTONIC, 10000000000ull, 0);
    EQ(poll_n(s, 2, ev), 1);
    EQ(ev[0].userdata, 100);
    EQ(ev[0].type, __WASI_EVENTTYPE_FD_READ);
    EQ(ev[0].error, 0);
    CHECK(ev[0].fd_readwrite.nbytes >= 1 && ev[0].fd_readwrite.nbytes <= 3);
    CHECK(mono() - t0 < 5000000000ull);
    char buf[8] = {0};
    size_t have = 0;
    while (have < 3) {
        ssize_t r = read(0, buf + have, 3 - have);
        CHECK(r > 0);
        have += (size_t)r;
    }
    CHECK(memcmp(buf, "abc", 3) == 0);
    /* at end of file stdin is readable with a hang-up */
    EQ(poll_n(s, 2, ev), 1);
    EQ(ev[0].userdata, 100);
    EQ(ev[0].fd_readwrite.nbytes, 0);
    EQ(ev[0].fd_readwrite.flags, __WASI_EVENTRWFLAGS_FD_READWRITE_HANGUP);
    OK("poll_oneoff_stdin");

    /* stdout is writable; a file is always ready, reporting what is left to read */
    s[0] = fd_sub(200, __WASI_EVENTTYPE_FD_WRITE, 1);
    EQ(poll_n(s, 1, ev), 1);
    EQ(ev[0].userdata, 200);
    EQ(ev[0].type, __WASI_EVENTTYPE_FD_WRITE);
    int fd = open("/data/pollfile", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, "12345", 5) == 5 && lseek(fd, 1, SEEK_SET) == 1);
    s[0] = fd_sub(300, __WASI_EVENTTYPE_FD_READ, fd);
    s[1] = fd_sub(301, __WASI_EVENTTYPE_FD_WRITE, fd);
    s[2] = clock_sub(302, __WASI_CLOCKID_MONOTONIC, 5000000000ull, 0);
    EQ(poll_n(s, 3, ev), 2);
    for (int i = 0; i < 2; i++) {
        EQ(ev[i].error, 0);
        if (ev[i].userdata == 300)
            EQ(ev[i].fd_readwrite.nbytes, 4);
        else
            EQ(ev[i].userdata, 301);
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    EQ(poll(&p, 1, 1000), 1);
    close(fd);
    OK("poll_oneoff_fds");

    /* per-subscription errors come back as events, at once */
    t0 = mono();
    s[0] = fd_sub(400, __WASI_EVENTTYPE_FD_READ, 99);
    s[1] = clock_sub(401, 9, 1000, 0);
    s[2] = clock_sub(402, __WASI_CLOCKID_MONOTONIC, 5000000000ull, 0);
    s[3] = fd_sub(403, 5, 1);
    EQ(poll_n(s, 4, ev), 3);
    CHECK(mono() - t0 < 1000000000ull);
    int seen = 0;
    for (int i = 0; i < 3; i++) {
        if (ev[i].userdata == 400) {
            EQ(ev[i].error, __WASI_ERRNO_BADF);
            seen |= 1;
        }
        if (ev[i].userdata == 401) {
            EQ(ev[i].error, __WASI_ERRNO_INVAL);
            seen |= 2;
        }
        if (ev[i].userdata == 403) {
            EQ(ev[i].error, __WASI_ERRNO_INVAL);
            seen |= 4;
        }
    }
    EQ(seen, 7);
    /* a descriptor without the poll right */
    fd = open("/data/pollfile", O_RDONLY);
    CHECK(fd >= 0);
    EQ(__wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READ, 0), 0);
    s[0] = fd_sub(500, __WASI_EVENTTYPE_FD_READ, fd);
    EQ(poll_n(s, 1, ev), 1);
    EQ(ev[0].error, __WASI_ERRNO_NOTCAPABLE);
    OK("poll_oneoff_subscription_errors");
    return 0;
}
