/*
 * args.c — arguments, environment, clocks, randomness, sched_yield and the two
 * proc_ functions: the preview1 calls that touch no descriptor.
 *
 * args_get/environ_get write an array of guest pointers plus the strings they
 * point to; both regions are checked in full before anything is written, so a
 * bad pointer leaves guest memory untouched.
 */
#include <errno.h>
#include <sched.h>
#include <sys/random.h>
#include <time.h>

#include "wasi_internal.h"

static uint32_t strings_get(wb_memory *m, uint32_t vec, uint32_t buf, const char *strs,
                            uint32_t size, uint32_t count)
{
    uint32_t e = g_check(m, vec, (uint64_t)count * 4, 4);
    if (e)
        return e;
    uint8_t *dst = g_ptr(m, buf, size);
    if (!dst)
        return WASI_EFAULT;
    uint8_t *v = g_ptr(m, vec, (uint64_t)count * 4);
    memcpy(dst, strs, size);
    uint32_t off = 0;
    for (uint32_t i = 0; i < count; i++) {
        st32(v, i * 4, buf + off);
        off += (uint32_t)strlen(strs + off) + 1;
    }
    return 0;
}

static uint32_t sizes_get(wb_memory *m, uint32_t pcount, uint32_t psize, uint32_t count,
                          uint32_t size)
{
    uint32_t e = g_check(m, pcount, 4, 4);
    if (!e)
        e = g_check(m, psize, 4, 4);
    if (e)
        return e;
    g_put32(m, pcount, count);
    g_put32(m, psize, size);
    return 0;
}

WASI_IMPL(args_get)
{
    return strings_get(m, A32(a, 0), A32(a, 1), w->args, w->args_size, w->argc);
}

WASI_IMPL(args_sizes_get)
{
    return sizes_get(m, A32(a, 0), A32(a, 1), w->argc, w->args_size);
}

WASI_IMPL(environ_get)
{
    return strings_get(m, A32(a, 0), A32(a, 1), w->env, w->env_size, w->envc);
}

WASI_IMPL(environ_sizes_get)
{
    return sizes_get(m, A32(a, 0), A32(a, 1), w->envc, w->env_size);
}

static int host_clock(uint32_t id, clockid_t *out)
{
    switch (id) {
    case WASI_CLOCK_REALTIME:
        *out = CLOCK_REALTIME;
        return 0;
    case WASI_CLOCK_MONOTONIC:
        *out = CLOCK_MONOTONIC;
        return 0;
    case WASI_CLOCK_PROCESS_CPUTIME:
        *out = CLOCK_PROCESS_CPUTIME_ID;
        return 0;
    case WASI_CLOCK_THREAD_CPUTIME:
        *out = CLOCK_THREAD_CPUTIME_ID;
        return 0;
    default:
        return -1;
    }
}

WASI_IMPL(clock_res_get)
{
    (void)w;
    clockid_t id;
    struct timespec ts;
    if (host_clock(A32(a, 0), &id) < 0)
        return WASI_EINVAL;
    uint32_t e = g_check(m, A32(a, 1), 8, 8);
    if (e)
        return e;
    if (clock_getres(id, &ts) < 0)
        return wasi_errno(errno);
    return g_put64(m, A32(a, 1), (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

WASI_IMPL(clock_time_get)
{
    (void)w;
    clockid_t id;
    struct timespec ts;
    if (host_clock(A32(a, 0), &id) < 0)
        return WASI_EINVAL;
    uint32_t e = g_check(m, A32(a, 2), 8, 8);
    if (e)
        return e;
    if (clock_gettime(id, &ts) < 0)
        return wasi_errno(errno);
    return g_put64(m, A32(a, 2), (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

WASI_IMPL(random_get)
{
    (void)w;
    uint8_t *p = g_ptr(m, A32(a, 0), A32(a, 1));
    uint32_t len = A32(a, 1);
    if (!p)
        return WASI_EFAULT;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return wasi_errno(errno);
        }
        p += n;
        len -= (uint32_t)n;
    }
    return 0;
}

WASI_IMPL(sched_yield)
{
    (void)w, (void)m, (void)a;
    sched_yield();
    return 0;
}

WASI_IMPL(proc_exit)
{
    (void)m;
    w->exit_code = (int)A32(a, 0);
    return WASI_EXIT_REQUEST;
}

/* The guest's signal numbers are Linux's for 1..31 except that WASI has no 16
 * (SIGSTKFLT): from 16 on WASI's number is Linux's minus one. Signals whose
 * default action terminates the process end the program with status 128+signal,
 * as a shell reports a killed process; the others are ignored. */
WASI_IMPL(proc_raise)
{
    (void)m;
    uint32_t sig = A32(a, 0);
    if (sig > 30)
        return WASI_EINVAL;
    /* CHLD(16), CONT(17), STOP..TTOU(18-21), URG(22), WINCH(27): nothing to do for
     * a single-threaded guest that cannot be stopped and resumed. */
    if (sig == 0 || (sig >= 16 && sig <= 22) || sig == 27)
        return 0;
    uint32_t host = sig < 16 ? sig : sig + 1;
    w->exit_code = (int)(128 + host);
    return WASI_EXIT_REQUEST;
}
