/* Clocks, randomness and sched_yield: monotonicity, resolution, realtime near the
 * host's (the driver passes its time in HOST_NOW), errno for a bad clock. */
#include "t.h"

#include <sched.h>
#include <time.h>

static uint64_t now(__wasi_clockid_t id)
{
    __wasi_timestamp_t t;
    EQ(__wasi_clock_time_get(id, 1, &t), 0);
    return t;
}

int main(void)
{
    __wasi_timestamp_t res;
    EQ(__wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, &res), 0);
    CHECK(res > 0 && res <= 1000000);
    EQ(__wasi_clock_res_get(__WASI_CLOCKID_REALTIME, &res), 0);
    CHECK(res > 0 && res <= 1000000);
    EQ(__wasi_clock_res_get(__WASI_CLOCKID_PROCESS_CPUTIME_ID, &res), 0);
    EQ(__wasi_clock_res_get(__WASI_CLOCKID_THREAD_CPUTIME_ID, &res), 0);
    EQ(__wasi_clock_res_get(4, &res), __WASI_ERRNO_INVAL);
    EQ(raw_clock_res_get(0, BAD), __WASI_ERRNO_FAULT);
    OK("clock_res_get");

    uint64_t prev = now(__WASI_CLOCKID_MONOTONIC);
    for (int i = 0; i < 100000; i++) {
        uint64_t t = now(__WASI_CLOCKID_MONOTONIC);
        CHECK(t >= prev);
        prev = t;
    }
    OK("monotonic");

    const char *host = getenv("HOST_NOW");
    CHECK(host);
    uint64_t real = now(__WASI_CLOCKID_REALTIME) / 1000000000ull;
    uint64_t h = strtoull(host, NULL, 10);
    CHECK(real + 5 >= h && real <= h + 60);
    struct timespec ts;
    CHECK(clock_gettime(CLOCK_REALTIME, &ts) == 0 && (uint64_t)ts.tv_sec + 60 >= h);
    CHECK(now(__WASI_CLOCKID_PROCESS_CPUTIME_ID) > 0);
    CHECK(now(__WASI_CLOCKID_THREAD_CPUTIME_ID) > 0);
    __wasi_timestamp_t t;
    EQ(__wasi_clock_time_get(99, 1, &t), __WASI_ERRNO_INVAL);
    EQ(raw_clock_time_get(1, 0, BAD), __WASI_ERRNO_FAULT);
    EQ(raw_clock_time_get(1, 0, ADDR(&t) + 4), __WASI_ERRNO_INVAL);
    OK("clock_time_get");

    /* random: fills everything, differs between calls, large buffers work */
    size_t len = 1 << 20;
    uint8_t *a = calloc(len, 1), *b = calloc(len, 1);
    EQ(__wasi_random_get(a, len), 0);
    EQ(__wasi_random_get(b, len), 0);
    CHECK(memcmp(a, b, len) != 0);
    size_t zeros = 0;
    for (size_t i = 0; i < len; i++)
        zeros += a[i] == 0;
    CHECK(zeros < len / 128); /* about 1/256 expected */
    EQ(__wasi_random_get(a, 0), 0);
    EQ(raw_random_get(BAD, 100), __WASI_ERRNO_FAULT);
    EQ(raw_random_get(ADDR(a), -1), __WASI_ERRNO_FAULT);
    OK("random_get");

    EQ(__wasi_sched_yield(), 0);
    CHECK(sched_yield() == 0);
    OK("sched_yield");
    return 0;
}
