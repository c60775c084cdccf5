/*
 * run.c — creating containers and starting them: `run`, `create`, `start`.
 *
 * A container comes into being in this order, each step visible to others only
 * when complete: its directory (with the lock taken), its name (an atomic
 * symlink), config.json, state.json. Then it starts in one of three ways:
 *
 *  - detached (-d): a supervisor process of its own (supervise.c);
 *  - foreground: this process supervises it, copying its output to the terminal
 *    and the log;
 *  - foreground with --rm, the fast path that `wasmbox run --rm IMAGE` takes: the
 *    module runs in this very process, with the terminal as its stdio, and the
 *    directory is removed afterwards. No fork, no pipes, no fsync (the container
 *    does not outlive the process, so there is nothing to make durable), and its
 *    directory lives on a tmpfs (ctr_runtime_dir), but the state still says
 *    "running" with our pid under our lock, so `ps`, `stop` and `kill` from
 *    another terminal see it and act on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctr.h"

/* Creates `path` as a directory, or for an ephemeral container as a symlink to a
 * new directory in the runtime directory. */
static int make_entry(const char *path, const char *id, bool ephemeral)
{
    const char *rt = ephemeral ? ctr_runtime_dir() : NULL;
    if (!rt)
        return mkdir(path, 0711);
    /* 32 hex digits name it well enough (128 random bits) and keep the link's
     * target short enough for ext4 to store inside the inode (< 60 bytes). */
    _cleanup_free_ char *target = ctr_strf("%s/%.32s", rt, id);
    if (!target) {
        errno = ENOMEM;
        return -1;
    }
    if (mkdir(target, 0711) < 0)
        return -1;
    if (symlink(target, path) < 0) {
        int e = errno;
        rmdir(target);
        errno = e;
        return -1;
    }
    return 0;
}

/* The container's directory (see ctr_runtime_dir for ephemeral ones); the first
 * container under a root makes containers/. */
static int make_dir(const char *root, const char *dir, const char *id, bool ephemeral,
                    wb_error *err)
{
    if (make_entry(dir, id, ephemeral) == 0)
        return 0;
    if (errno != ENOENT)
        return wb_error_errno(err, errno, "mkdir %s", dir);
    _cleanup_free_ char *parent = ctr_strf("%s/containers", root);
    if (!parent)
        return wb_error_oom(err);
    if (ctr_mkdir_p(parent, 0711, err) < 0)
        return -1;
    if (make_entry(dir, id, ephemeral) < 0)
        return wb_error_errno(err, errno, "mkdir %s", dir);
    return 0;
}

/* Makes the directory, takes the lock, claims the name, writes config and state. On
 * success *lock_fd holds the lock and c is open. */
static int create_record(const char *root, const wb_ctr_spec *spec, bool sync, ctr *c, int *lock_fd,
                         char id[WB_CTR_ID_LEN + 1], wb_error *err)
{
    ctr_image ii;
    if (ctr_image_get(root, spec->image, &ii, err) < 0)
        return -1;
    int ret = ctr_random_hex(id, WB_CTR_ID_LEN / 2, err);
    _cleanup_free_ char *dir = ret == 0 ? ctr_dir(root, id) : NULL;
    if (ret == 0 && !dir)
        ret = wb_error_oom(err);
    if (ret == 0)
        ret = make_dir(root, dir, id, !sync, err);
    if (ret < 0) {
        ctr_image_free(&ii);
        id[0] = 0;
        return -1;
    }
    *lock_fd = ctr_lock_open(dir, err);
    char name[256];
    json_t *config = NULL;
    ret = *lock_fd < 0 ? -1 : ctr_lock_try(*lock_fd) == 0 ? 0 : wb_error_set(err, "lock %s", dir);
    if (ret == 0)
        ret = ctr_name_claim(root, spec->name, id, name, sizeof name, err);
    bool named = ret == 0;
    if (ret == 0)
        ret = ctr_config_build(root, spec, &ii, id, name, &config, err);
    _cleanup_free_ char *cpath = ctr_strf("%s/config.json", dir);
    if (ret == 0)
        ret = cpath ? ctr_write_json(cpath, config, sync, err) : wb_error_oom(err);
    /* The fast path writes its one state ("running") itself: replacing a file
     * costs ext4 a flush of the new data (auto_da_alloc). */
    ctr_state st = {.status = WB_CTR_CREATED};
    if (ret == 0 && sync)
        ret = ctr_state_write(dir, &st, sync, err);
    ctr_image_free(&ii);
    if (ret < 0) {
        json_decref(config);
        if (named)
            ctr_name_release(root, name, id);
        ctr_destroy(root, id, NULL, NULL);
        if (*lock_fd >= 0)
            close(*lock_fd);
        *lock_fd = -1;
        id[0] = 0;
        return -1;
    }
    memset(c, 0, sizeof *c);
    memcpy(c->id, id, WB_CTR_ID_LEN + 1);
    c->root = strdup(root);
    c->dir = dir;
    dir = NULL;
    c->config = config;
    return c->root ? 0 : wb_error_oom(err);
}

/* A start that failed before the program ran: docker keeps the container, with the
 * error and the status in its state (or removes it, for --rm). */
static void start_failed(ctr *c, int lock_fd, bool auto_remove, int status, const wb_error *err)
{
    if (auto_remove) {
        ctr_destroy(c->root, c->id, c->config, NULL);
    } else {
        ctr_state st;
        if (ctr_state_read(c->dir, &st, NULL) < 0)
            memset(&st, 0, sizeof st);
        st.exit_code = status;
        ctr_fmt(st.error, sizeof st.error, "%s", err->message);
        if (st.status == WB_CTR_RUNNING || st.status == WB_CTR_RESTARTING)
            st.status = WB_CTR_EXITED;
        ctr_state_write(c->dir, &st, true, NULL);
    }
    if (lock_fd >= 0)
        close(lock_fd);
}

static int run_inline(ctr *c, ctr_runnable *r, int lock_fd, const wb_ctr_stdio *io, int *status,
                      wb_error *errp)
{
    ctr_state st = {.status = WB_CTR_RUNNING,
                    .pid = getpid(),
                    .supervisor_pid = getpid(),
                    .started = ctr_now_ns()};
    ctr_boot_id(st.boot_id);
    wb_error err;
    if (ctr_state_write(c->dir, &st, false, &err) < 0)
        fprintf(stderr, "wasmbox: %s\n", err.message);
    /* -t: the guest's stdio is a pty that a thread relays to ours. */
    wb_tty *tty = NULL;
    wb_ctr_stdio tio = *io;
    if (r->tty) {
        int slave;
        if (wb_tty_open(io->in, io->out, r->interactive, &tty, &slave, errp) < 0) {
            *status = WB_CTR_EXIT_ERROR;
            ctr_destroy(c->root, c->id, c->config, NULL);
            close(lock_fd);
            return -1;
        }
        tio = (wb_ctr_stdio){r->interactive ? slave : io->in, slave, slave};
    }
    ctr_result res;
    ctr_guest_run(r, &tio, ctr_seccomp_wanted(), &res);
    wb_tty_close(tty);
    *status = res.exit_code;
    ctr_destroy(c->root, c->id, c->config, NULL);
    close(lock_fd);
    return 0;
}

static int check_spec(const wb_ctr_spec *spec, wb_error *err)
{
    if (spec->auto_remove && spec->restart.kind != WB_RESTART_NO)
        return wb_error_set(err, "Conflicting options: --restart and --rm");
    if (!spec->image || !spec->image[0])
        return wb_error_set(err, "\"run\" requires an image");
    return 0;
}

int wb_container_run(const char *root_opt, const wb_ctr_spec *spec, bool detach,
                     const wb_ctr_stdio *stdio, char id[WB_CTR_ID_LEN + 1], int *status,
                     wb_error *err)
{
    id[0] = 0;
    *status = WB_CTR_EXIT_ERROR;
    _cleanup_free_ char *root = ctr_root(root_opt, err);
    if (!root || check_spec(spec, err) < 0)
        return -1;
    bool fast = spec->auto_remove && !detach;
    ctr c;
    int lock_fd;
    if (create_record(root, spec, !fast, &c, &lock_fd, id, err) < 0)
        return -1;
    ctr_runnable r;
    int ret = ctr_prepare(&c, &r, status, err);
    if (ret < 0) {
        start_failed(&c, lock_fd, spec->auto_remove, *status, err);
    } else if (detach) {
        ret = ctr_spawn_supervisor(&c, &r, lock_fd, err);
        if (ret < 0)
            start_failed(&c, lock_fd, spec->auto_remove, WB_CTR_EXIT_ERROR, err);
        else
            close(lock_fd);
        *status = ret < 0 ? WB_CTR_EXIT_ERROR : 0;
    } else if (fast) {
        ret = run_inline(&c, &r, lock_fd, stdio, status, err);
    } else {
        ctr_sup_opts o = {.foreground = true,
                          .tee_out = stdio->out,
                          .tee_err = stdio->err,
                          .stdin_fd = spec->interactive ? stdio->in : -1,
                          .ready_fd = -1};
        /* -i -t: every key goes to the guest's terminal, which echoes it. */
        bool raw = r.tty && o.stdin_fd >= 0 && isatty(o.stdin_fd);
        ret = raw ? ctr_tty_raw(o.stdin_fd, err) : 0;
        if (ret < 0)
            start_failed(&c, lock_fd, spec->auto_remove, WB_CTR_EXIT_ERROR, err);
        else
            ret = ctr_supervise(&c, &r, lock_fd, &o, status, err);
        if (raw)
            ctr_tty_restore();
    }
    ctr_runnable_free(&r); /* zeroed by a failed ctr_prepare */
    ctr_close(&c);
    return ret;
}

int wb_container_create(const char *root_opt, const wb_ctr_spec *spec, char id[WB_CTR_ID_LEN + 1],
                        int *status, wb_error *err)
{
    id[0] = 0;
    *status = WB_CTR_EXIT_ERROR;
    _cleanup_free_ char *root = ctr_root(root_opt, err);
    if (!root || check_spec(spec, err) < 0)
        return -1;
    ctr c;
    int lock_fd;
    if (create_record(root, spec, true, &c, &lock_fd, id, err) < 0)
        return -1;
    close(lock_fd);
    ctr_close(&c);
    *status = 0;
    return 0;
}

int wb_container_start(const char *root_opt, const char *id, wb_error *err)
{
    _cleanup_free_ char *root = ctr_root(root_opt, err);
    if (!root)
        return -1;
    ctr c;
    if (ctr_open(root, id, &c, err) < 0)
        return -1;
    int lock_fd = ctr_lock_open(c.dir, err);
    int ret = lock_fd < 0 ? -1 : 0;
    if (ret == 0 && ctr_lock_wait(lock_fd, 200) != 0) {
        /* Held: it runs (or is being started or removed right now). */
        close(lock_fd);
        ctr_close(&c);
        return 0;
    }
    ctr_runnable r;
    int status;
    if (ret == 0)
        ret = ctr_prepare(&c, &r, &status, err);
    if (ret == 0) {
        ret = ctr_spawn_supervisor(&c, &r, lock_fd, err);
        ctr_runnable_free(&r);
        if (ret < 0)
            start_failed(&c, lock_fd, false, WB_CTR_EXIT_ERROR, err);
        else
            close(lock_fd);
    } else if (lock_fd >= 0) {
        start_failed(&c, lock_fd, false, status, err);
    }
    ctr_close(&c);
    return ret;
}
