/*
 * create.c — `create` and `run`: making the container's one process.
 *
 * create (this process)                      init (the clone, the container's pid)
 *   read config.json; wasm? else exec runc
 *   mkdir $root/<id>, mkfifo exec.fifo
 *   decode the module, open namespace paths
 *   [join a pid namespace by path]
 *   clone(new namespaces) ------------------>  waits for "go"
 *   cgroup: mkdir, limits, add the pid
 *   [uid/gid maps]          ---- "go" ----->   [unshare cgroup ns], join namespaces by
 *                                              path, setsid, hostname, sysctl, terminal,
 *                                              rlimits, oom_score_adj, open the preopens
 *                                              and the FIFO, close other fds, user,
 *                                              no_new_privs
 *                           <--- "ready" ---   blocks reading the FIFO
 *   prestart/createRuntime/createContainer hooks
 *   wasmbox.json, --pid-file; exit 0
 *                                 `start` writes a byte into the FIFO
 *                                              startContainer hooks, run the guest,
 *                                              _exit(its status)
 *
 * An error in the init before "ready" travels back on the sync pipe as text and
 * becomes create's error; create then kills the init and removes what it made. The
 * init is create's child until create exits, then the engine's (conmon and the
 * containerd shims are child subreapers), which reaps it and reads its status.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt.h"

typedef struct create_opts {
    const char *bundle, *pid_file, *console_socket, *preserve_fds;
    bool no_pivot, no_new_keyring, detach, keep, no_subreaper;
    const char *id;
} create_opts;

/* What create and the init share (the init gets a copy through the clone). */
typedef struct launch {
    const rt_ctx *ctx;
    const create_opts *o;
    rt_config cfg;
    rt_guest *guest;
    rt_ns ns;
    rt_cgroup cg;
    rt_state st;
    char *fifo;
    int go[2], sync[2]; /* create -> init, init -> create */
} launch;

/* ---- the init ------------------------------------------------------------------------- */

static const int stop_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

/* Until the guest runs, a stop signal ends the init as it would end a waiting runc
 * init. Needed because, as PID 1 of a new pid namespace, the init would otherwise
 * ignore every signal it has no handler for. */
static void on_stop_signal(int sig)
{
    _exit(128 + sig);
}

static int init_setup(launch *l, int *fifo_fd, wb_error *err)
{
    json_t *process = l->cfg.process;
    if (rt_ns_join(&l->ns, err) < 0)
        return -1;
    setsid();
    if (rt_ns_mount_proc(&l->ns, err) < 0 || rt_ns_configure(&l->cfg, &l->ns, err) < 0)
        return -1;
    if (json_is_true(json_object_get(process, "terminal"))) {
        if (!l->o->console_socket)
            return wb_error_set(err, "process.terminal is set but no --console-socket was given");
        if (rt_proc_console(l->o->console_socket, process, err) < 0)
            return -1;
    }
    /* Nothing of the engine's reaches the guest (the shim's socket is fd 3 here). */
    rt_close_fds_except(&l->sync[1], 1);
    if (rt_proc_rlimits(process, err) < 0 || rt_proc_oom_score_adj(process, err) < 0)
        return -1;
    if (rt_guest_open_dirs(l->guest, err) < 0 || rt_guest_listen(l->guest, err) < 0)
        return -1;
    /* O_RDWR: the open does not wait for a writer, and reads block until start writes
     * (the FIFO always has a writer: ourselves). Opened as root, before the user
     * changes, so the state directory can stay private. */
    *fifo_fd = open(l->fifo, O_RDWR | O_CLOEXEC);
    if (*fifo_fd < 0)
        return wb_error_errno(err, errno, "open %s", l->fifo);
    if (rt_proc_user(process, err) < 0 || rt_proc_no_new_privs(process, err) < 0)
        return -1;
    rt_proc_set_title(l->ctx, process);
    return 0;
}

static _Noreturn void init_fail(launch *l, const wb_error *err)
{
    char msg[1 + WB_ERROR_MAX];
    msg[0] = 'e';
    size_t n = strnlen(err->message, WB_ERROR_MAX - 1);
    memcpy(msg + 1, err->message, n);
    rt_write_all(l->sync[1], msg, n + 1);
    _exit(1);
}

static void run_start_hooks(launch *l)
{
    json_t *hooks = json_object_get(l->cfg.json, "hooks");
    if (!json_array_size(json_object_get(hooks, "startContainer")))
        return;
    json_t *state = rt_state_oci(&l->st, RT_RUNNING);
    char *text = state ? json_dumps(state, JSON_COMPACT) : NULL;
    wb_error err = {0};
    if (text && rt_hooks_run(l->ctx, hooks, "startContainer", text, &err) < 0) {
        dprintf(2, "%s\n", err.message);
        _exit(1);
    }
    free(text);
    json_decref(state);
}

static _Noreturn void init_main(launch *l)
{
    wb_error err = {0};
    close(l->go[1]);
    close(l->sync[0]);
    char c;
    if (read(l->go[0], &c, 1) != 1)
        _exit(1); /* create gave up */
    close(l->go[0]);
    struct sigaction sa = {.sa_handler = on_stop_signal};
    for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++)
        sigaction(stop_signals[i], &sa, NULL);
    sigset_t none; /* the engine's blocked signals are not the guest's */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int fifo_fd = -1;
    if (init_setup(l, &fifo_fd, &err) < 0)
        init_fail(l, &err);
    rt_write_all(l->sync[1], "r", 1);
    close(l->sync[1]);
    ssize_t n;
    do
        n = read(fifo_fd, &c, 1);
    while (n < 0 && errno == EINTR);
    close(fifo_fd);
    if (n != 1)
        _exit(1);
    run_start_hooks(l);
    _exit(rt_guest_run(l->guest));
}

/* ---- create's side -------------------------------------------------------------------- */

static int parse_create(int argc, char **argv, create_opts *o, wb_error *err)
{
    const rt_opt opts[] = {
        {"bundle", 'b', true, &o->bundle, NULL},
        {"pid-file", 0, true, &o->pid_file, NULL},
        {"console-socket", 0, true, &o->console_socket, NULL},
        {"preserve-fds", 0, true, &o->preserve_fds, NULL},
        {"no-pivot", 0, false, NULL, &o->no_pivot},
        {"no-new-keyring", 0, false, NULL, &o->no_new_keyring},
        {"detach", 'd', false, NULL, &o->detach}, /* run only; ignored by create */
        {"keep", 0, false, NULL, &o->keep},
        {"no-subreaper", 0, false, NULL, &o->no_subreaper},
    };
    int first;
    if (rt_parse_opts(argc - 1, argv + 1, opts, sizeof opts / sizeof opts[0], &first, err) < 0)
        return -1;
    if (first + 1 >= argc)
        return wb_error_set(err, "%s: container id cannot be empty", argv[0]);
    o->id = argv[first + 1];
    if (!rt_id_valid(o->id))
        return wb_error_set(err, "invalid container id format: %s", o->id);
    return 0;
}

static json_t *make_record(launch *l)
{
    char now[40];
    rt_time_now(now);
    json_t *hooks = json_object_get(l->cfg.json, "hooks");
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:O?, s:o, s:{s:O?, s:O?}}", "id", l->o->id,
                          "bundle", l->cfg.bundle, "rootfs", l->cfg.rootfs, "created", now,
                          "annotations", l->cfg.annotations, "cgroup", rt_cgroup_to_json(&l->cg),
                          "hooks", "poststart", json_object_get(hooks, "poststart"), "poststop",
                          json_object_get(hooks, "poststop"));
    return j;
}

static int write_pid_file(const char *path, pid_t pid, wb_error *err)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%d", (int)pid);
    return rt_write_file(path, num, (size_t)n, err);
}

/* Runs the hooks create is responsible for, in the order the spec gives. */
static int create_hooks(launch *l, wb_error *err)
{
    json_t *hooks = json_object_get(l->cfg.json, "hooks");
    if (!json_object_size(hooks))
        return 0;
    json_t *state = rt_state_oci(&l->st, RT_CREATED);
    char *text = state ? json_dumps(state, JSON_COMPACT) : NULL;
    json_decref(state);
    if (!text)
        return wb_error_oom(err);
    int ret = 0;
    static const char *const order[] = {"prestart", "createRuntime", "createContainer"};
    for (size_t i = 0; ret == 0 && i < sizeof order / sizeof order[0]; i++)
        ret = rt_hooks_run(l->ctx, hooks, order[i], text, err);
    free(text);
    return ret;
}

/* Waits for the init's "ready" (or its error). */
static int await_ready(launch *l, pid_t pid, wb_error *err)
{
    char buf[1 + WB_ERROR_MAX];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof buf - 1) {
        n = read(l->sync[0], buf + got, sizeof buf - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    buf[got] = 0;
    if (got >= 1 && buf[0] == 'r')
        return 0;
    if (got >= 1 && buf[0] == 'e')
        return wb_error_set(err, "%s", buf + 1);
    int status = 0;
    waitpid(pid, &status, 0);
    return wb_error_set(err, "container init exited before it was ready (status %d)",
                        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* The clone: a fork that also makes the new namespaces (raw syscall: glibc's clone()
 * wants a separate stack, fork semantics are what is needed here). */
static pid_t clone_init(int flags)
{
    return (pid_t)syscall(SYS_clone, (unsigned long)flags | SIGCHLD, NULL, NULL, NULL, 0);
}

/* Starts the init and brings it to "ready". *pid is set as soon as it exists. */
static int spawn_init(launch *l, pid_t *pid, wb_error *err)
{
    if (pipe2(l->go, O_CLOEXEC) < 0)
        return wb_error_errno(err, errno, "pipe");
    if (pipe2(l->sync, O_CLOEXEC) < 0)
        return wb_error_errno(err, errno, "pipe");
    int saved_pidns;
    if (rt_ns_enter_pid(&l->ns, &saved_pidns, err) < 0)
        return -1;
    *pid = clone_init(l->ns.clone_flags);
    if (*pid == 0)
        init_main(l);
    int e = errno;
    rt_ns_leave_pid(&saved_pidns);
    if (*pid < 0)
        return wb_error_errno(err, e, "clone");
    close(l->go[0]);
    close(l->sync[1]);
    l->go[0] = l->sync[1] = -1;
    json_t *resources = json_object_get(l->cfg.linux_, "resources");
    if (rt_cgroup_enter(&l->cg, resources, *pid, err) < 0)
        return -1;
    if ((l->ns.clone_flags & CLONE_NEWUSER) && rt_ns_write_maps(l->cfg.linux_, *pid, err) < 0)
        return -1;
    if (rt_write_all(l->go[1], "g", 1) < 0)
        return wb_error_errno(err, errno, "signal the container init");
    close(l->go[1]);
    l->go[1] = -1;
    return await_ready(l, *pid, err);
}

static void launch_free(launch *l)
{
    rt_guest_free(l->guest);
    rt_ns_close(&l->ns);
    rt_cgroup_free(&l->cg);
    rt_state_free(&l->st);
    rt_config_free(&l->cfg);
    free(l->fifo);
    for (int i = 0; i < 2; i++) {
        if (l->go[i] >= 0)
            close(l->go[i]);
        if (l->sync[i] >= 0)
            close(l->sync[i]);
    }
}

/* Everything up to a ready init and its record. On failure, undoes it all. */
static int create_wasm(launch *l, int prog_fd, int *status, wb_error *err)
{
    const rt_ctx *ctx = l->ctx;
    *status = 1;
    l->st.id = strdup(l->o->id);
    l->st.dir = rt_state_dir(ctx, l->o->id);
    l->fifo = l->st.dir ? rt_strf("%s/" RT_FIFO_FILE, l->st.dir) : NULL;
    _cleanup_free_ char *cache = rt_strf("%s/.wasmbox", ctx->root);
    if (!l->st.id || !l->fifo || !cache) {
        close(prog_fd);
        return wb_error_oom(err);
    }
    if (rt_mkdir_p(ctx->root, 0711, err) < 0) {
        close(prog_fd);
        return -1;
    }
    mkdir(cache, 0711); /* the compiled seccomp filter, read by non-root guests too */
    if (mkdir(l->st.dir, 0711) < 0) {
        int e = errno;
        close(prog_fd);
        return e == EEXIST ? wb_error_set(err, "container with id exists: %s", l->o->id)
                           : wb_error_errno(err, e, "mkdir %s", l->st.dir);
    }
    pid_t pid = 0;
    json_t *resources = json_object_get(l->cfg.linux_, "resources");
    int ret = mkfifo(l->fifo, 0600) < 0 ? wb_error_errno(err, errno, "mkfifo %s", l->fifo) : 0;
    if (ret == 0)
        ret = rt_guest_prepare(ctx, &l->cfg, l->cfg.process, prog_fd,
                               rt_resources_memory_limit(resources), &l->guest, status, err);
    else
        close(prog_fd);
    if (ret == 0)
        ret = rt_ns_parse(l->cfg.linux_, &l->ns, err);
    const char *cgpath = json_string_value(json_object_get(l->cfg.linux_, "cgroupsPath"));
    if (ret == 0)
        ret = rt_cgroup_resolve(cgpath, ctx->systemd_cgroup, &l->cg, err);
    if (ret == 0)
        ret = spawn_init(l, &pid, err);
    if (ret == 0) {
        l->st.pid = pid;
        bool zombie;
        l->st.start_time = rt_proc_start_time(pid, &zombie);
        if (!(l->st.json = make_record(l)))
            ret = wb_error_oom(err);
    }
    if (ret == 0)
        ret = create_hooks(l, err);
    if (ret == 0)
        ret = rt_state_save(&l->st, err);
    if (ret == 0 && l->o->pid_file)
        ret = write_pid_file(l->o->pid_file, pid, err);
    if (ret < 0) {
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
        rt_cgroup_remove(&l->cg);
        _cleanup_free_ char *record = rt_strf("%s/" RT_STATE_FILE, l->st.dir);
        if (record)
            unlink(record);
        unlink(l->fifo);
        rmdir(l->st.dir);
        if (*status == 0)
            *status = 1;
        return -1;
    }
    *status = 0;
    return 0;
}

/* Shared by create and run: options, config, the decision, the init. Returns 1 when
 * the command was handed to the classic runtime and failed (status in *status). */
static int create_common(rt_ctx *ctx, int argc, char **argv, create_opts *o, launch *l, int *status)
{
    wb_error err = {0};
    memset(l, 0, sizeof *l);
    l->go[0] = l->go[1] = l->sync[0] = l->sync[1] = -1;
    l->ns.pid_fd = -1;
    l->cg.unified = -1;
    l->ctx = ctx;
    l->o = o;
    *status = 1;
    if (parse_create(argc, argv, o, &err) < 0 || rt_config_load(o->bundle, &l->cfg, &err) < 0) {
        rt_log_error(ctx, "%s", err.message);
        return -1;
    }
    rt_kind kind;
    int prog_fd;
    int ret = rt_config_kind(&l->cfg, &kind, &prog_fd, &err);
    if (ret < 0) {
        *status = 1; /* like runc: the engine maps the message, not the status */
        rt_log_error(ctx, "%s", err.message);
        return -1;
    }
    if (kind == RT_KIND_CLASSIC) {
        launch_free(l);
        *status = rt_delegate(ctx);
        return 1;
    }
    rt_log_debug(ctx, "%s: wasm container, bundle %s", o->id, l->cfg.bundle);
    if (create_wasm(l, prog_fd, status, &err) < 0) {
        rt_log_error(ctx, "%s", err.message);
        return -1;
    }
    return 0;
}

int rt_cmd_create(rt_ctx *ctx, int argc, char **argv)
{
    create_opts o = {0};
    launch l;
    int status;
    int ret = create_common(ctx, argc, argv, &o, &l, &status);
    if (ret == 1)
        return status;
    launch_free(&l);
    return ret < 0 ? status : 0;
}

/* ---- run ------------------------------------------------------------------------------ */

static volatile sig_atomic_t g_forward_pid;

static void forward_signal(int sig)
{
    if (g_forward_pid > 0)
        kill((pid_t)g_forward_pid, sig);
}

/* Starts the init created above (the same as `start`) and, unless detached, waits
 * for it, forwarding stop signals, then deletes the container. */
int rt_cmd_run(rt_ctx *ctx, int argc, char **argv)
{
    create_opts o = {0};
    launch l;
    int status;
    int ret = create_common(ctx, argc, argv, &o, &l, &status);
    if (ret != 0) {
        if (ret < 0)
            launch_free(&l);
        return status;
    }
    wb_error err = {0};
    pid_t pid = l.st.pid;
    g_forward_pid = pid;
    struct sigaction sa = {.sa_handler = forward_signal};
    for (size_t i = 0; !o.detach && i < sizeof stop_signals / sizeof stop_signals[0]; i++)
        sigaction(stop_signals[i], &sa, NULL);
    int fd = open(l.fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 || write(fd, "1", 1) != 1) {
        rt_log_error(ctx, "cannot start the container: %s", strerror(errno));
        status = 1;
    } else {
        unlink(l.fifo);
        status = 0;
    }
    if (fd >= 0)
        close(fd);
    if (o.detach) {
        launch_free(&l);
        return status;
    }
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    if (status == 0)
        status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    if (!o.keep && rt_destroy(ctx, &l.st, &err) < 0)
        rt_log_warn(ctx, "%s", err.message);
    launch_free(&l);
    return status;
}
