/*
 * spectest_watch.c — the optional --timeout-ms watchdog.
 *
 * The harness runs wasm code without fuel, because assert_exhaustion and many real
 * tests need unbounded execution. A young engine may still loop forever, though,
 * so with --timeout-ms N a timer thread calls wb_store_interrupt() when one
 * instantiation or call has run longer than N ms; the command then fails as a
 * timeout instead of hanging the whole run. The thread sleeps on a condition
 * variable between commands and costs nothing when not armed.
 */
#include <pthread.h>
#include <time.h>

#include "spectest.h"

static struct {
    bool started, quit, armed, fired;
    unsigned timeout_ms;
    wb_store *store;
    struct timespec deadline;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
} watch = {.lock = PTHREAD_MUTEX_INITIALIZER};

static bool before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void *watch_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&watch.lock);
    while (!watch.quit) {
        if (!watch.armed) {
            pthread_cond_wait(&watch.cond, &watch.lock);
            continue;
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (before(&now, &watch.deadline)) {
            pthread_cond_timedwait(&watch.cond, &watch.lock, &watch.deadline);
            continue;
        }
        wb_store_interrupt(watch.store);
        watch.fired = true;
        watch.armed = false;
    }
    pthread_mutex_unlock(&watch.lock);
    return NULL;
}

int st_watch_start(unsigned timeout_ms, wb_error *err)
{
    pthread_condattr_t attr;
    watch.timeout_ms = timeout_ms;
    if (timeout_ms == 0)
        return 0;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&watch.cond, &attr);
    pthread_condattr_destroy(&attr);
    int ret = pthread_create(&watch.thread, NULL, watch_main, NULL);
    if (ret != 0)
        return wb_error_errno(err, ret, "watchdog thread");
    watch.started = true;
    return 0;
}

void st_watch_stop(void)
{
    if (!watch.started)
        return;
    pthread_mutex_lock(&watch.lock);
    watch.quit = true;
    pthread_cond_signal(&watch.cond);
    pthread_mutex_unlock(&watch.lock);
    pthread_join(watch.thread, NULL);
    pthread_cond_destroy(&watch.cond);
    watch.started = false;
}

void st_watch_arm(wb_store *s)
{
    if (!watch.started)
        return;
    pthread_mutex_lock(&watch.lock);
    clock_gettime(CLOCK_MONOTONIC, &watch.deadline);
    watch.deadline.tv_sec += watch.timeout_ms / 1000;
    watch.deadline.tv_nsec += (long)(watch.timeout_ms % 1000) * 1000000L;
    if (watch.deadline.tv_nsec >= 1000000000L) {
        watch.deadline.tv_sec++;
        watch.deadline.tv_nsec -= 1000000000L;
    }
    watch.store = s;
    watch.armed = true;
    watch.fired = false;
    pthread_cond_signal(&watch.cond);
    pthread_mutex_unlock(&watch.lock);
}

bool st_watch_disarm(wb_store *s)
{
    if (!watch.started)
        return false;
    pthread_mutex_lock(&watch.lock);
    bool fired = watch.fired;
    watch.armed = false;
    watch.fired = false;
    pthread_mutex_unlock(&watch.lock);
    /* The interrupt is sticky; clear it so the next command starts clean. */
    if (fired)
        wb_store_clear_interrupt(s);
    return fired;
}
