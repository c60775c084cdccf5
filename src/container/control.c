/*
 * control.c — acting on a running container: stop, kill, rm, wait, restart.
 *
 * Requests go to the container's supervisor as a queued signal (sigqueue) whose
 * value says what to do, so no socket or daemon is needed; the supervisor's pid is
 * trusted only while the container's lock is held (the supervisor holds it for its
 * whole life, so the pid cannot have been reused). Commands then watch the state
 * until the container has stopped. If a supervisor does not end the container in
 * time (or the container runs in the fast path, where the `run` process itself is
 * the supervisor), the command SIGKILLs that process, and the next reader of the
 * state records the exit.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctr.h"

static bool is_running(const ctr_state *st)
{
    return st->status == WB_CTR_RUNNING || st->status == WB_CTR_RESTARTING;
}

static int send_request(const char *dir, const ctr_state *st, int kind, int arg, wb_error *err)
{
    if (st->supervisor_pid <= 0 || !ctr_is_locked(dir))
        return 1; /* ended meanwhile */
    union sigval v = {.sival_int = (kind << 16) | (arg & 0xffff)};
    if (sigqueue(st->supervisor_pid, ctr_req_signal(), v) < 0) {
        if (errno == ESRCH)
            return 1;
        return wb_error_errno(err, errno, "signal the supervisor (pid %d)", st->supervisor_pid);
    }
    return 0;
}

/* Waits until the container no longer runs: 0 stopped (or gone), 1 still running
 * after ms milliseconds (ms < 0: forever). */
static int wait_stopped(const char *root, const char *id, int ms, ctr_state *st)
{
    int64_t until = ctr_mono_ns() + (int64_t)ms * 1000000;
    int nap = 2;
    for (;;) {
        bool removed;
        wb_error err;
        if (ctr_probe(root, id, st, &removed, &err) < 0 || removed)
            return 0;
        if (!is_running(st))
            return 0;
        if (ms >= 0 && ctr_mono_ns() >= until)
            return 1;
        ctr_sleep_ms(nap);
        if (nap < 50)
            nap *= 2;
    }
}

/* The last resort: SIGKILL the process holding the lock, then wait for the lock. */
static void kill_holder(const char *root, const char *id, const ctr_state *st)
{
    _cleanup_free_ char *dir = ctr_dir(root, id);
    if (dir && st->supervisor_pid > 0 && ctr_is_locked(dir))
        kill(st->supervisor_pid, SIGKILL);
    ctr_state now;
    wait_stopped(root, id, 5000, &now);
}

static int stop_timeout_of(const char *root, const char *id)
{
    ctr c;
    if (ctr_open(root, id, &c, NULL) < 0)
        return WB_CTR_DEFAULT_STOP_TIMEOUT;
    json_t *t = json_object_get(json_object_get(c.config, "Config"), "StopTimeout");
    int v = json_is_integer(t) ? (int)json_integer_value(t) : WB_CTR_DEFAULT_STOP_TIMEOUT;
    ctr_close(&c);
    return v;
}

static int stop_in(const char *root, const char *id, int timeout, wb_error *err)
{
    ctr_state st;
    if (ctr_probe(root, id, &st, NULL, err) < 0)
        return -1;
    if (!is_running(&st))
        return 0;
    if (timeout < 0)
        timeout = stop_timeout_of(root, id);
    if (timeout > 0xfffe)
        timeout = 0xfffe;
    _cleanup_free_ char *dir = ctr_dir(root, id);
    if (!dir)
        return wb_error_oom(err);
    int ret = send_request(dir, &st, CTR_REQ_STOP, timeout, err);
    if (ret < 0)
        return -1;
    /* The supervisor kills the program at the timeout; give it a moment more. */
    if (wait_stopped(root, id, timeout * 1000 + 2000, &st) == 1)
        kill_holder(root, id, &st);
    return 0;
}

int wb_container_stop(const char *root_opt, const char *id, int timeout, wb_error *err)
{
    _cleanup_free_ char *root = ctr_root(root_opt, err);
    return root ? stop_in(root, id, timeout, err) : -1;
}

int wb_container_kill(const char *root_opt, const char *id, int signo, wb_error *err)
{
    _cleanup_free_ char *root = ctr_root(root_opt, err);
    if (!root)
        return -1;
    ctr_state st;
    if (ctr_probe(root, id, &st, NULL, err) < 0)
        return -1;
    if (!is_running(&st))
        return wb_error_set(err, "Cannot kill container: %s: Container %s is not running", id, id);
    if (signo <= 0 || signo >= 65)
        return wb_error_set(err, "invalid signal %d", signo);
    _cleanup_free_ char *dir = ctr_dir(root, id);
    if (!dir)
        return wb_error_oom(err);
    bool inline_run = st.pid == st.supervisor_pid;
    if (signo == SIGKILL && inline_run) {
        kill_holder(root, id, &st);
        return 0;
    }
    int ret = send_request(dir, &st, CTR_REQ_KILL, signo, err);
    if (ret < 0)
        return -1;
    if (signo == SIGKILL && ret == 0 && wait_stopped(root, id, 5000, &st) == 1)
        kill_holder(root, id, &st);
    return 0;
}

int wb_container_remove(const char *root_opt, const char *id, bool force, wb_error *err)
{
    _cleanup_free_ char *root = ctr_root(root_opt, err);
    if (!root)
        return -1;
    ctr c;
    if (ctr_open(root, id, &c, err) < 0)
        return -1;
    int fd = ctr_lock_open(c.dir, err);
    int ret = fd < 0 ? -1 : 0;
    if (ret == 0 && ctr_lock_wait(fd, 20) != 0) {
        ctr_state st;
        if (!force) {
            ret = wb_error_set(err,
                               "You cannot remove a running container %s. Stop the "
                               "container before attempting removal or force remove",
                               id);
        } else if (ctr_state_read(c.dir, &st, err) == 0) {
            if (st.pid == st.supervisor_pid ||
                send_request(c.dir, &st, CTR_REQ_KILL, SIGKILL, err) != 0)
                kill_holder(root, id, &st);
            if (ctr_lock_wait(fd, 5000) != 0) {
                kill_holder(root, id, &st);
                if (ctr_lock_wait(fd, 5000) != 0)
                    ret = wb_error_set(err, "could not stop container %s", id);
            }
        } else {
            ret = -1;
        }
    }
    if (ret == 0)
        ret = ctr_destroy(root, id, c.config, err);
    if (fd >= 0)
        close(fd);
    ctr_close(&c);
    return ret;
}

int wb_container_wait(const char *root_opt, const char *id, int *exit_code, wb_error *err)
{
    _cleanup_free_ char *root = ctr_root(root_opt, err);
    if (!root)
        return -1;
    ctr_state st;
    if (ctr_probe(root, id, &st, NULL, err) < 0)
        return -1;
    int last = st.exit_code;
    int nap = 2;
    while (is_running(&st)) {
        ctr_sleep_ms(nap);
        if (nap < 50)
            nap *= 2;
        bool removed;
        if (ctr_probe(root, id, &st, &removed, err) < 0 || removed) {
            /* removed (--rm) while we waited: its last known status */
            st.status = WB_CTR_EXITED;
            st.exit_code = last;
            break;
        }
        last = st.exit_code;
    }
    *exit_code = st.exit_code;
    return 0;
}

int wb_container_restart(const char *root_opt, const char *id, int timeout, wb_error *err)
{
    _cleanup_free_ char *root = ctr_root(root_opt, err);
    if (!root)
        return -1;
    if (stop_in(root, id, timeout, err) < 0)
        return -1;
    return wb_container_start(root, id, err);
}
