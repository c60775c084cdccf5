/*
 * cmd_lifecycle.c — start, state, kill, delete: the commands every engine uses on
 * every container, for wasm ids (others were handed to the classic runtime by
 * rt_target before any of this runs).
 *
 * What engines rely on, from their recorded calls: `kill --all ID 9` right after
 * the container exited, and a second `delete --force ID` after the first delete,
 * must both succeed; `start` prints nothing (its stdio are the engine's); a stopped
 * container can be deleted without --force, a running one cannot.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rt.h"

/* For commands that operate on one container: parse, delegate or load. Returns 0
 * with st loaded, 1 when the command was delegated (status in *status), < 0. */
static int open_target(rt_ctx *ctx, int argc, char **argv, const rt_opt *opts, size_t nopts,
                       rt_state *st, int *status)
{
    const char *id;
    int t = rt_target(ctx, argc, argv, opts, nopts, &id);
    *status = 1;
    if (t < 0)
        return -1;
    if (t == 1) {
        *status = rt_delegate(ctx);
        return 1;
    }
    wb_error err = {0};
    if (rt_state_load(ctx, id, st, &err) < 0) {
        rt_log_error(ctx, "%s", err.message);
        rt_state_free(st);
        return -1;
    }
    return 0;
}

static char *state_text(const rt_state *st, rt_status status, size_t flags)
{
    json_t *j = rt_state_oci(st, status);
    char *text = j ? json_dumps(j, flags) : NULL;
    json_decref(j);
    return text;
}

/* ---- start ---------------------------------------------------------------------------- */

int rt_cmd_start(rt_ctx *ctx, int argc, char **argv)
{
    rt_state st;
    int status;
    int t = open_target(ctx, argc, argv, NULL, 0, &st, &status);
    if (t != 0)
        return status;
    rt_status s = rt_state_status(&st);
    const char *why = s == RT_STOPPED ? "cannot start a container that has stopped"
                      : s == RT_RUNNING || s == RT_PAUSED
                          ? "cannot start an already running container"
                          : NULL;
    _cleanup_free_ char *fifo = rt_strf("%s/" RT_FIFO_FILE, st.dir);
    int fd = why || !fifo ? -1 : open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (!why && fd < 0)
        why = errno == ENXIO ? "cannot start a container that has stopped"
                             : "cannot start the container: its FIFO cannot be opened";
    if (!why && write(fd, "1", 1) != 1)
        why = "cannot start the container: its init does not listen";
    if (fd >= 0)
        close(fd);
    if (why) {
        rt_log_error(ctx, "%s", why);
        rt_state_free(&st);
        return 1;
    }
    unlink(fifo);
    json_t *hooks = json_object_get(st.json, "hooks");
    if (json_array_size(json_object_get(hooks, "poststart"))) {
        wb_error err = {0};
        _cleanup_free_ char *text = state_text(&st, RT_RUNNING, JSON_COMPACT);
        if (text && rt_hooks_run(ctx, hooks, "poststart", text, &err) < 0)
            rt_log_warn(ctx, "%s", err.message);
    }
    rt_state_free(&st);
    return 0;
}

/* ---- state ---------------------------------------------------------------------------- */

int rt_cmd_state(rt_ctx *ctx, int argc, char **argv)
{
    rt_state st;
    int status;
    if (open_target(ctx, argc, argv, NULL, 0, &st, &status) != 0)
        return status;
    char *text = state_text(&st, rt_state_status(&st), JSON_INDENT(2));
    if (text)
        printf("%s\n", text);
    free(text);
    rt_state_free(&st);
    return text ? 0 : 1;
}

/* ---- kill ----------------------------------------------------------------------------- */

static void kill_all(const rt_state *st, int sig)
{
    rt_cgroup cg;
    if (rt_cgroup_from_json(json_object_get(st->json, "cgroup"), &cg, NULL) < 0)
        return;
    pid_t *pids;
    size_t n;
    rt_cgroup_pids(&cg, &pids, &n);
    for (size_t i = 0; i < n; i++)
        kill(pids[i], sig);
    free(pids);
    if (sig == SIGKILL && rt_cgroup_frozen(&cg))
        rt_cgroup_freeze(&cg, false, NULL); /* a frozen task dies only once thawed */
    rt_cgroup_free(&cg);
}

int rt_cmd_kill(rt_ctx *ctx, int argc, char **argv)
{
    bool all = false;
    const rt_opt opts[] = {{"all", 'a', false, NULL, &all}};
    rt_state st;
    int status;
    if (open_target(ctx, argc, argv, opts, 1, &st, &status) != 0)
        return status;
    /* the operands: ID [SIGNAL]; find the one after the id */
    const char *sig_s = "SIGTERM";
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], st.id) == 0 && i + 1 < argc)
            sig_s = argv[i + 1];
    int sig = rt_signal_parse(sig_s);
    int ret = 0;
    if (sig < 0) {
        rt_log_error(ctx, "unknown signal \"%s\"", sig_s);
        ret = 1;
    } else if (rt_state_status(&st) == RT_STOPPED) {
        if (!all) {
            rt_log_error(ctx, "container not running");
            ret = 1;
        }
    } else {
        if (kill(st.pid, sig) < 0 && errno != ESRCH) {
            rt_log_error(ctx, "kill %d: %s", (int)st.pid, strerror(errno));
            ret = 1;
        }
        if (all || sig == SIGKILL)
            kill_all(&st, sig);
    }
    rt_state_free(&st);
    return ret;
}

/* ---- delete --------------------------------------------------------------------------- */

/* Removes the state directory: the record last, so an interrupted delete can be
 * retried. */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
                strcmp(e->d_name, RT_STATE_FILE))
                unlinkat(dirfd(d), e->d_name, 0);
        unlinkat(dirfd(d), RT_STATE_FILE, 0);
        closedir(d);
    }
    rmdir(dir);
}

int rt_destroy(const rt_ctx *ctx, rt_state *st, wb_error *err)
{
    (void)err;
    if (rt_state_alive(st)) {
        kill(st->pid, SIGKILL);
        kill_all(st, SIGKILL);
        for (int i = 0; i < 10000 && rt_state_alive(st); i++)
            usleep(1000);
    } else {
        kill_all(st, SIGKILL); /* processes `exec` left behind */
    }
    rt_cgroup cg;
    if (rt_cgroup_from_json(json_object_get(st->json, "cgroup"), &cg, NULL) == 0) {
        rt_cgroup_remove(&cg);
        rt_cgroup_free(&cg);
    }
    json_t *hooks = json_object_get(st->json, "hooks");
    if (json_array_size(json_object_get(hooks, "poststop"))) {
        wb_error herr = {0};
        _cleanup_free_ char *text = state_text(st, RT_STOPPED, JSON_COMPACT);
        if (text && rt_hooks_run(ctx, hooks, "poststop", text, &herr) < 0)
            rt_log_warn(ctx, "%s", herr.message);
    }
    remove_dir(st->dir);
    return 0;
}

int rt_cmd_delete(rt_ctx *ctx, int argc, char **argv)
{
    bool force = false;
    const rt_opt opts[] = {{"force", 'f', false, NULL, &force}};
    rt_state st;
    int status;
    if (open_target(ctx, argc, argv, opts, 1, &st, &status) != 0)
        return status;
    rt_status s = rt_state_status(&st);
    int ret = 0;
    if ((s == RT_RUNNING || s == RT_PAUSED) && !force) {
        rt_log_error(ctx, "cannot delete container %s that is not stopped: %s", st.id,
                     rt_status_name(s));
        ret = 1;
    } else {
        wb_error err = {0};
        if (rt_destroy(ctx, &st, &err) < 0) {
            rt_log_error(ctx, "%s", err.message);
            ret = 1;
        }
    }
    rt_state_free(&st);
    return ret;
}

/* ---- pause, resume -------------------------------------------------------------------- */

static int freeze(rt_ctx *ctx, int argc, char **argv, bool frozen)
{
    rt_state st;
    int status;
    if (open_target(ctx, argc, argv, NULL, 0, &st, &status) != 0)
        return status;
    rt_status s = rt_state_status(&st);
    wb_error err = {0};
    int ret = 0;
    rt_cgroup cg = {0};
    if (s == RT_STOPPED || s == RT_CREATED)
        ret = wb_error_set(&err, "container not running");
    else if (rt_cgroup_from_json(json_object_get(st.json, "cgroup"), &cg, &err) == 0)
        ret = rt_cgroup_freeze(&cg, frozen, &err);
    else
        ret = -1;
    if (ret < 0)
        rt_log_error(ctx, "%s", err.message);
    rt_cgroup_free(&cg);
    rt_state_free(&st);
    return ret < 0;
}

int rt_cmd_pause(rt_ctx *ctx, int argc, char **argv)
{
    return freeze(ctx, argc, argv, true);
}

int rt_cmd_resume(rt_ctx *ctx, int argc, char **argv)
{
    return freeze(ctx, argc, argv, false);
}

/* ---- ps ------------------------------------------------------------------------------- */

int rt_cmd_ps(rt_ctx *ctx, int argc, char **argv)
{
    const char *format = "table";
    const rt_opt opts[] = {{"format", 'f', true, &format, NULL}};
    rt_state st;
    int status;
    if (open_target(ctx, argc, argv, opts, 1, &st, &status) != 0)
        return status;
    pid_t *pids = NULL;
    size_t n = 0;
    rt_cgroup cg;
    if (rt_cgroup_from_json(json_object_get(st.json, "cgroup"), &cg, NULL) == 0) {
        rt_cgroup_pids(&cg, &pids, &n);
        rt_cgroup_free(&cg);
    }
    pid_t self = rt_state_alive(&st) ? st.pid : 0;
    if (!n && self) { /* no cgroup: the init is the whole container */
        pids = &self;
        n = 1;
    }
    bool json = strcmp(format, "json") == 0;
    printf(json ? "[" : "PID\n");
    for (size_t i = 0; i < n; i++)
        printf(json ? "%s%d" : "%s%d\n", json && i ? "," : "", (int)pids[i]);
    printf(json ? "]\n" : "");
    if (pids != &self)
        free(pids);
    rt_state_free(&st);
    return 0;
}
