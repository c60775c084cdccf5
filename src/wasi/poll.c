/*
 * poll.c — poll_oneoff: waiting on clocks and descriptors at once.
 *
 * Subscriptions that can be answered at once are: a bad descriptor or clock (an
 * event carrying the error), a regular file (always ready, as POSIX poll says),
 * and the empty stdin (end-of-file is ready). Everything else goes into one
 * ppoll() whose timeout is the nearest clock deadline, at nanosecond precision.
 * When anything is already ready the ppoll only looks (timeout zero), so all
 * events that are ready at the same moment are reported together.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wasi_internal.h"

#define MAX_SUBSCRIPTIONS (1u << 20)

typedef struct poll_state {
    const uint8_t *in;
    uint8_t *out;
    uint32_t nsubs, nevents;
    struct pollfd *pfds; /* one per descriptor subscription that must wait */
    uint32_t *pidx;      /* subscription index of each pfd */
    uint32_t npfds;
    int64_t *deadline; /* per subscription: monotonic ns deadline, -1 if not a clock */
    int64_t nearest;   /* nearest deadline, INT64_MAX if none */
} poll_state;

static int64_t mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void emit(poll_state *s, uint32_t i, uint16_t error, uint64_t nbytes, uint16_t flags)
{
    const uint8_t *sub = s->in + (size_t)i * WASI_SUBSCRIPTION_SIZE;
    uint8_t *ev = s->out + (size_t)s->nevents++ * WASI_EVENT_SIZE;
    memset(ev, 0, WASI_EVENT_SIZE);
    st64(ev, 0, ld64(sub, 0));
    st16(ev, 8, error);
    st8(ev, 10, sub[8]);
    st64(ev, 16, nbytes);
    st16(ev, 24, flags);
}

/* A clock subscription: its deadline on the monotonic clock, or an errno. */
static uint32_t clock_deadline(const uint8_t *sub, int64_t now, int64_t *out)
{
    uint32_t id = ld32(sub, 16), flags = ld16(sub, 40);
    uint64_t timeout = ld64(sub, 24);
    if (id != WASI_CLOCK_REALTIME && id != WASI_CLOCK_MONOTONIC)
        return WASI_EINVAL;
    if (flags & ~WASI_SUBCLOCK_ABSTIME)
        return WASI_EINVAL;
    int64_t rel;
    if (flags & WASI_SUBCLOCK_ABSTIME) {
        struct timespec ts;
        clock_gettime(id == WASI_CLOCK_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts);
        uint64_t cur = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
        rel = timeout > cur
                  ? (int64_t)((timeout - cur) > INT64_MAX / 2 ? INT64_MAX / 2 : timeout - cur)
                  : 0;
    } else {
        rel = timeout > (uint64_t)INT64_MAX / 2 ? INT64_MAX / 2 : (int64_t)timeout;
    }
    *out = now + rel;
    return 0;
}

/* Readiness that needs no waiting; returns true if the subscription was answered. */
static bool fd_immediate(wb_wasi *w, poll_state *s, uint32_t i, const uint8_t *sub)
{
    uint8_t type = sub[8];
    wasi_fd *f;
    uint32_t e = wasi_fd_check(w, ld32(sub, 16), WASI_RIGHT_POLL_FD_READWRITE, &f);
    if (e) {
        emit(s, i, (uint16_t)e, 0, 0);
        return true;
    }
    if (f->kind == WFD_EMPTY) {
        emit(s, i, type == WASI_EVENT_FD_READ ? 0 : WASI_EBADF, 0, 0);
        return true;
    }
    if (f->kind == WFD_FILE || f->kind == WFD_DIR) {
        uint64_t n = 0;
        struct stat st;
        off_t pos = lseek(f->host, 0, SEEK_CUR);
        if (type == WASI_EVENT_FD_READ && pos >= 0 && fstat(f->host, &st) == 0 && st.st_size > pos)
            n = (uint64_t)(st.st_size - pos);
        emit(s, i, 0, n, 0);
        return true;
    }
    s->pidx[s->npfds] = i;
    s->pfds[s->npfds].fd = f->host;
    s->pfds[s->npfds].events = type == WASI_EVENT_FD_READ ? POLLIN : POLLOUT;
    s->pfds[s->npfds].revents = 0;
    s->npfds++;
    return false;
}

static void scan(wb_wasi *w, poll_state *s)
{
    int64_t now = mono_now();
    for (uint32_t i = 0; i < s->nsubs; i++) {
        const uint8_t *sub = s->in + (size_t)i * WASI_SUBSCRIPTION_SIZE;
        s->deadline[i] = -1;
        if (sub[8] == WASI_EVENT_CLOCK) {
            uint32_t e = clock_deadline(sub, now, &s->deadline[i]);
            if (e) {
                s->deadline[i] = -1;
                emit(s, i, (uint16_t)e, 0, 0);
            } else if (s->deadline[i] < s->nearest) {
                s->nearest = s->deadline[i];
            }
        } else if (sub[8] == WASI_EVENT_FD_READ || sub[8] == WASI_EVENT_FD_WRITE) {
            fd_immediate(w, s, i, sub);
        } else {
            emit(s, i, WASI_EINVAL, 0, 0);
        }
    }
}

/* Waits (unless something is already ready) and reports the ready descriptors. */
static uint32_t wait_fds(const wb_wasi *w, poll_state *s)
{
    for (;;) {
        struct timespec ts = {0, 0}, *tp = &ts;
        if (s->nevents == 0) {
            if (s->nearest == INT64_MAX) {
                tp = NULL;
            } else {
                int64_t rel = s->nearest - mono_now();
                if (rel < 0)
                    rel = 0;
                ts.tv_sec = rel / 1000000000;
                ts.tv_nsec = rel % 1000000000;
            }
        }
        int r = ppoll(s->pfds, s->npfds, tp, NULL);
        if (r < 0 && wasi_retry_eintr(w))
            continue;
        if (r < 0)
            return wasi_errno(errno);
        break;
    }
    for (uint32_t k = 0; k < s->npfds; k++) {
        short re = s->pfds[k].revents;
        if (!re)
            continue;
        uint32_t i = s->pidx[k];
        if (re & POLLNVAL) {
            emit(s, i, WASI_EBADF, 0, 0);
            continue;
        }
        int avail = 0;
        if ((re & POLLIN) && ioctl(s->pfds[k].fd, FIONREAD, &avail) < 0)
            avail = 0;
        uint16_t flags = (re & POLLHUP) ? WASI_EVENT_FD_HANGUP : 0;
        emit(s, i, (re & POLLERR) && !(re & (POLLIN | POLLOUT)) ? WASI_EIO : 0,
             avail > 0 ? (uint64_t)avail : 0, flags);
    }
    return 0;
}

static void report_clocks(poll_state *s, bool timed_out)
{
    int64_t now = mono_now();
    bool any = false;
    for (uint32_t i = 0; i < s->nsubs; i++)
        if (s->deadline[i] >= 0 && s->deadline[i] <= now) {
            emit(s, i, 0, 0, 0);
            any = true;
        }
    /* ppoll never wakes before its timeout; this only guards clock granularity. */
    if (timed_out && !any)
        for (uint32_t i = 0; i < s->nsubs; i++)
            if (s->deadline[i] == s->nearest) {
                emit(s, i, 0, 0, 0);
                break;
            }
}

WASI_IMPL(poll_oneoff)
{
    uint32_t in = A32(a, 0), out = A32(a, 1), n = A32(a, 2), pn = A32(a, 3);
    if (n == 0)
        return WASI_EINVAL;
    if (n > MAX_SUBSCRIPTIONS)
        return WASI_ENOMEM;
    uint32_t e = g_check(m, in, (uint64_t)n * WASI_SUBSCRIPTION_SIZE, 8);
    if (!e)
        e = g_check(m, out, (uint64_t)n * WASI_EVENT_SIZE, 8);
    if (!e)
        e = g_check(m, pn, 4, 4);
    if (e)
        return e;
    poll_state s = {
        .in = g_ptr(m, in, (uint64_t)n * WASI_SUBSCRIPTION_SIZE),
        .out = g_ptr(m, out, (uint64_t)n * WASI_EVENT_SIZE),
        .nsubs = n,
        .nearest = INT64_MAX,
    };
    /* The subscriptions are copied first: the events may overlap them in guest memory. */
    void *block = malloc((size_t)n * (WASI_SUBSCRIPTION_SIZE + sizeof(struct pollfd) +
                                      sizeof(uint32_t) + sizeof(int64_t)));
    if (!block)
        return WASI_ENOMEM;
    uint8_t *copy = block;
    memcpy(copy, s.in, (size_t)n * WASI_SUBSCRIPTION_SIZE);
    s.in = copy;
    s.deadline = (int64_t *)(copy + (size_t)n * WASI_SUBSCRIPTION_SIZE);
    s.pfds = (struct pollfd *)(s.deadline + n);
    s.pidx = (uint32_t *)(s.pfds + n);
    scan(w, &s);
    uint32_t before = s.nevents;
    e = wait_fds(w, &s);
    if (!e)
        report_clocks(&s, s.nevents == before && before == 0);
    free(block);
    if (e)
        return e;
    return g_put32(m, pn, s.nevents);
}
