/*
 * exec.c — `exec`: another process in a running wasm container.
 *
 * A wasm container has no shell and no native programs, so what can be exec'd is
 * another WebAssembly module from the container's files (`podman exec C
 * /tool.wasm args`, `ctr tasks exec`, kubectl exec). It runs as the container's
 * process does: the same rootfs and bind mounts as preopens, the container's
 * namespaces (joined through the init's /proc/PID/ns entries), its cgroup, and the Process
 * object engines pass with --process (args, env, cwd, user, rlimits, terminal).
 * With --detach the runtime returns once it runs and the engine's subreaper reaps
 * it; otherwise the runtime waits and returns its status.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt.h"

typedef struct exec_opts {
    const char *process, *pid_file, *console_socket, *cwd, *env, *user, *preserve_fds, *label,
        *apparmor, *cap;
    bool detach, tty, no_new_privs, ignore_paused, no_subreaper;
} exec_opts;

/* The Process object: --process FILE, or built from the operands after the id. */
static json_t *exec_process(const exec_opts *o, const rt_config *cfg, int argc, char **argv,
                            const char *id, wb_error *err)
{
    if (o->process) {
        json_error_t je;
        json_t *p = json_load_file(o->process, 0, &je);
        if (!p)
            wb_error_set(err, "process %s: %s", o->process, je.text);
        return p;
    }
    int i = 1;
    while (i < argc && strcmp(argv[i], id) != 0)
        i++;
    json_t *args = json_array();
    for (i++; args && i < argc; i++)
        json_array_append_new(args, json_string(argv[i]));
    if (!json_array_size(args)) {
        json_decref(args);
        wb_error_set(err, "exec: nothing to run (give --process FILE or ARGS after the id)");
        return NULL;
    }
    json_t *env = json_deep_copy(json_object_get(cfg->process, "env"));
    if (env && o->env)
        json_array_append_new(env, json_string(o->env));
    return json_pack("{s:o, s:o*, s:s, s:b, s:O*}", "args", args, "env", env, "cwd",
                     o->cwd ? o->cwd : "/", "terminal", o->tty, "user",
                     json_object_get(cfg->process, "user"));
}

typedef struct exec_child {
    const rt_ctx *ctx;
    rt_ns ns;
    rt_guest *guest;
    json_t *process;
    const char *console_socket;
    int go[2], sync[2];
} exec_child;

static _Noreturn void child_fail(exec_child *c, const wb_error *err)
{
    char msg[1 + WB_ERROR_MAX];
    msg[0] = 'e';
    size_t n = strnlen(err->message, WB_ERROR_MAX - 1);
    memcpy(msg + 1, err->message, n);
    rt_write_all(c->sync[1], msg, n + 1);
    _exit(1);
}

static _Noreturn void child_main(exec_child *c)
{
    wb_error err = {0};
    char g;
    close(c->go[1]);
    close(c->sync[0]);
    if (read(c->go[0], &g, 1) != 1)
        _exit(1);
    if (rt_ns_join(&c->ns, &err) < 0)
        child_fail(c, &err);
    setsid();
    if (json_is_true(json_object_get(c->process, "terminal"))) {
        if (!c->console_socket) {
            wb_error_set(&err, "process.terminal is set but no --console-socket was given");
            child_fail(c, &err);
        }
        if (rt_proc_console(c->console_socket, c->process, &err) < 0)
            child_fail(c, &err);
    }
    rt_close_fds_except(&c->sync[1], 1);
    if (rt_proc_rlimits(c->process, &err) < 0 || rt_guest_open_dirs(c->guest, &err) < 0 ||
        rt_proc_user(c->process, &err) < 0 || rt_proc_no_new_privs(c->process, &err) < 0)
        child_fail(c, &err);
    rt_proc_set_title(c->ctx, c->process);
    rt_write_all(c->sync[1], "r", 1);
    close(c->sync[1]);
    _exit(rt_guest_run(c->guest));
}

static int await_child(exec_child *c, pid_t pid, wb_error *err)
{
    char buf[1 + WB_ERROR_MAX];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof buf - 1 && ((n = read(c->sync[0], buf + got, sizeof buf - 1 - got)) > 0 ||
                                    (n < 0 && errno == EINTR)))
        got += n > 0 ? (size_t)n : 0;
    buf[got] = 0;
    if (got && buf[0] == 'r')
        return 0;
    if (got && buf[0] == 'e')
        return wb_error_set(err, "%s", buf + 1);
    waitpid(pid, NULL, 0);
    return wb_error_set(err, "exec: the process ended before it was ready");
}

/* Puts pid into the container's cgroup (every hierarchy). */
static int join_cgroup(const rt_state *st, pid_t pid, wb_error *err)
{
    rt_cgroup cg;
    if (rt_cgroup_from_json(json_object_get(st->json, "cgroup"), &cg, err) < 0)
        return -1;
    char num[24];
    snprintf(num, sizeof num, "%d", (int)pid);
    int ret = 0;
    for (size_t i = 0; ret == 0 && i < cg.n; i++) {
        _cleanup_free_ char *procs = rt_strf("%s/cgroup.procs", cg.dirs[i]);
        ret = procs ? rt_write_str(procs, num, err) : wb_error_oom(err);
    }
    rt_cgroup_free(&cg);
    return ret;
}

static volatile sig_atomic_t g_child;

static void forward(int sig)
{
    if (g_child > 0)
        kill((pid_t)g_child, sig);
}

static int spawn(exec_child *c, const rt_state *st, pid_t *pid, wb_error *err)
{
    if (pipe2(c->go, O_CLOEXEC) < 0 || pipe2(c->sync, O_CLOEXEC) < 0)
        return wb_error_errno(err, errno, "pipe");
    int saved_pidns;
    if (rt_ns_enter_pid(&c->ns, &saved_pidns, err) < 0)
        return -1;
    *pid = fork();
    if (*pid == 0)
        child_main(c);
    int e = errno;
    rt_ns_leave_pid(&saved_pidns);
    if (*pid < 0)
        return wb_error_errno(err, e, "fork");
    close(c->go[0]);
    close(c->sync[1]);
    c->go[0] = c->sync[1] = -1;
    if (join_cgroup(st, *pid, err) < 0)
        return -1;
    if (rt_write_all(c->go[1], "g", 1) < 0)
        return wb_error_errno(err, errno, "exec");
    return await_child(c, *pid, err);
}

/* Loads the process and its module; errors carry runc's words (podman maps them). */
static int prepare(rt_ctx *ctx, const exec_opts *o, const rt_state *st, rt_config *cfg,
                   exec_child *c, int argc, char **argv, wb_error *err)
{
    const char *bundle = json_string_value(json_object_get(st->json, "bundle"));
    if (rt_config_load(bundle, cfg, err) < 0)
        return -1;
    if (!(c->process = exec_process(o, cfg, argc, argv, st->id, err)))
        return -1;
    int status;
    int fd = rt_open_program(cfg, c->process, &status, err);
    if (fd < 0)
        return -1;
    uint8_t head[4];
    if (pread(fd, head, 4, 0) != 4 || memcmp(head, "\0asm", 4) != 0) {
        close(fd);
        const char *prog =
            json_string_value(json_array_get(json_object_get(c->process, "args"), 0));
        return wb_error_set(err,
                            "exec: \"%s\": not a WebAssembly module (a wasm container runs "
                            "only .wasm programs)",
                            prog);
    }
    uint64_t memory = rt_resources_memory_limit(json_object_get(cfg->linux_, "resources"));
    if (rt_guest_prepare(ctx, cfg, c->process, fd, memory, &c->guest, &status, err) < 0)
        return -1;
    return rt_ns_of_pid(st->pid, &c->ns, err);
}

int rt_cmd_exec(rt_ctx *ctx, int argc, char **argv)
{
    exec_opts o = {0};
    const rt_opt opts[] = {
        {"process", 'p', true, &o.process, NULL},
        {"pid-file", 0, true, &o.pid_file, NULL},
        {"console-socket", 0, true, &o.console_socket, NULL},
        {"cwd", 0, true, &o.cwd, NULL},
        {"env", 'e', true, &o.env, NULL},
        {"user", 'u', true, &o.user, NULL},
        {"preserve-fds", 0, true, &o.preserve_fds, NULL},
        {"process-label", 0, true, &o.label, NULL},
        {"apparmor", 0, true, &o.apparmor, NULL},
        {"cap", 'c', true, &o.cap, NULL},
        {"detach", 'd', false, NULL, &o.detach},
        {"tty", 't', false, NULL, &o.tty},
        {"no-new-privs", 0, false, NULL, &o.no_new_privs},
        {"ignore-paused", 0, false, NULL, &o.ignore_paused},
        {"no-subreaper", 0, false, NULL, &o.no_subreaper},
    };
    const char *id;
    int t = rt_target(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], &id);
    if (t < 0)
        return 1;
    if (t == 1)
        return rt_delegate(ctx);
    wb_error err = {0};
    rt_state st;
    rt_config cfg = {0};
    exec_child c = {.ctx = ctx,
                    .ns = {.pid_fd = -1},
                    .go = {-1, -1},
                    .sync = {-1, -1},
                    .console_socket = o.console_socket};
    pid_t pid = 0;
    int ret = rt_state_load(ctx, id, &st, &err);
    if (ret == 0) {
        rt_status s = rt_state_status(&st);
        if (s != RT_RUNNING && s != RT_CREATED)
            ret = wb_error_set(&err, "cannot exec in a %s container", rt_status_name(s));
    }
    if (ret == 0)
        ret = prepare(ctx, &o, &st, &cfg, &c, argc, argv, &err);
    if (ret == 0)
        ret = spawn(&c, &st, &pid, &err);
    if (ret == 0 && o.pid_file) {
        char num[24];
        int n = snprintf(num, sizeof num, "%d", (int)pid);
        ret = rt_write_file(o.pid_file, num, (size_t)n, &err);
    }
    int status = ret < 0 ? 1 : 0;
    if (ret < 0) {
        rt_log_error(ctx, "%s", err.message);
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
    } else if (!o.detach) {
        g_child = pid;
        struct sigaction sa = {.sa_handler = forward};
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        int ws = 0;
        while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
            ;
        status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    }
    for (int i = 0; i < 2; i++) {
        if (c.go[i] >= 0)
            close(c.go[i]);
        if (c.sync[i] >= 0)
            close(c.sync[i]);
    }
    rt_ns_close(&c.ns);
    rt_guest_free(c.guest);
    json_decref(c.process);
    rt_config_free(&cfg);
    rt_state_free(&st);
    return status;
}
