/*
 * record.c — a container's directory: config.json (written once at create),
 * state.json (rewritten at every transition), and the lock that tells a live
 * supervisor from a dead one.
 *
 * The lock is the source of truth for "is it running": a supervisor takes an
 * exclusive flock on the container's directory itself before it writes "running"
 * and holds it until it has written the final state (a directory can be flocked
 * like a file, which saves creating and removing a lock file per container). The kernel drops the
 * lock when the process dies, however it dies, and a reboot drops every lock. So a reader that sees
 * "running" and can take the lock knows the supervisor is gone, and rewrites the state as exited
 * with the reason (ctr_probe) — the state never says running forever.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "ctr.h"

static const char *const status_names[] = {
    [WB_CTR_CREATED] = "created",       [WB_CTR_RUNNING] = "running",
    [WB_CTR_RESTARTING] = "restarting", [WB_CTR_EXITED] = "exited",
    [WB_CTR_REMOVING] = "removing",     [WB_CTR_DEAD] = "dead",
};

const char *wb_ctr_status_name(wb_ctr_status s)
{
    if ((unsigned)s >= sizeof status_names / sizeof status_names[0])
        return "unknown";
    return status_names[s];
}

static wb_ctr_status status_parse(const char *s)
{
    for (unsigned i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
        if (s && strcmp(s, status_names[i]) == 0)
            return (wb_ctr_status)i;
    return WB_CTR_DEAD;
}

char *ctr_dir(const char *root, const char *id)
{
    return ctr_strf("%s/containers/%s", root, id);
}

int ctr_open(const char *root, const char *id, ctr *c, wb_error *err)
{
    memset(c, 0, sizeof *c);
    snprintf(c->id, sizeof c->id, "%s", id);
    c->root = strdup(root);
    c->dir = ctr_dir(root, id);
    _cleanup_free_ char *path = ctr_strf("%s/containers/%s/config.json", root, id);
    if (!c->root || !c->dir || !path) {
        ctr_close(c);
        return wb_error_oom(err);
    }
    if (ctr_read_json(path, &c->config, err) < 0) {
        int code = err ? err->code : 0;
        ctr_close(c);
        if (code == ENOENT)
            return wb_error_set(err, "No such container: %s", id);
        return -1;
    }
    return 0;
}

void ctr_close(ctr *c)
{
    free(c->root);
    free(c->dir);
    json_decref(c->config);
    memset(c, 0, sizeof *c);
}

/* ---- state.json ----------------------------------------------------------------- */

json_t *ctr_state_json(const ctr_state *st)
{
    char started[40], finished[40];
    ctr_time_format(st->started, started);
    ctr_time_format(st->finished, finished);
    bool running = st->status == WB_CTR_RUNNING || st->status == WB_CTR_RESTARTING;
    return json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, s:s,"
                     " s:i, s:i, s:b, s:s, s:s}",
                     "Status", wb_ctr_status_name(st->status), "Running", running, "Paused", 0,
                     "Restarting", st->status == WB_CTR_RESTARTING, "OOMKilled", st->oom_killed,
                     "Dead", st->status == WB_CTR_DEAD, "Pid", running ? st->pid : 0, "ExitCode",
                     st->exit_code, "Error", st->error, "StartedAt", started, "FinishedAt",
                     finished, "SupervisorPid", running ? st->supervisor_pid : 0, "RestartCount",
                     st->restart_count, "ManuallyStopped", st->manually_stopped, "Reason",
                     st->reason, "BootId", st->boot_id);
}

static void copy_str(char *dst, size_t len, json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    snprintf(dst, len, "%s", s ? s : "");
}

int ctr_state_read(const char *dir, ctr_state *st, wb_error *err)
{
    memset(st, 0, sizeof *st);
    _cleanup_free_ char *path = ctr_strf("%s/state.json", dir);
    if (!path)
        return wb_error_oom(err);
    json_t *j;
    if (ctr_read_json(path, &j, err) < 0)
        return -1;
    st->status = status_parse(json_string_value(json_object_get(j, "Status")));
    st->pid = (int)json_integer_value(json_object_get(j, "Pid"));
    st->supervisor_pid = (int)json_integer_value(json_object_get(j, "SupervisorPid"));
    st->exit_code = (int)json_integer_value(json_object_get(j, "ExitCode"));
    st->restart_count = (int)json_integer_value(json_object_get(j, "RestartCount"));
    st->manually_stopped = json_is_true(json_object_get(j, "ManuallyStopped"));
    st->oom_killed = json_is_true(json_object_get(j, "OOMKilled"));
    st->started = ctr_time_parse(json_string_value(json_object_get(j, "StartedAt")));
    st->finished = ctr_time_parse(json_string_value(json_object_get(j, "FinishedAt")));
    copy_str(st->error, sizeof st->error, j, "Error");
    copy_str(st->reason, sizeof st->reason, j, "Reason");
    copy_str(st->boot_id, sizeof st->boot_id, j, "BootId");
    json_decref(j);
    return 0;
}

int ctr_state_write(const char *dir, const ctr_state *st, bool sync, wb_error *err)
{
    _cleanup_free_ char *path = ctr_strf("%s/state.json", dir);
    json_t *j = ctr_state_json(st);
    if (!path || !j) {
        json_decref(j);
        return wb_error_oom(err);
    }
    int ret = ctr_write_json(path, j, sync, err);
    json_decref(j);
    return ret;
}

void ctr_state_exited(ctr_state *st, int code, const char *reason)
{
    st->status = WB_CTR_EXITED;
    st->exit_code = code;
    st->finished = ctr_now_ns();
    st->pid = 0;
    st->supervisor_pid = 0;
    snprintf(st->reason, sizeof st->reason, "%s", reason ? reason : "");
}

/* ---- the lock ------------------------------------------------------------------- */

int ctr_lock_open(const char *dir, wb_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return wb_error_errno(err, ENOENT, "No such container: %s", strrchr(dir, '/') + 1);
        return wb_error_errno(err, errno, "open %s", dir);
    }
    return fd;
}

int ctr_lock_try(int fd)
{
    while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EINTR)
            continue;
        return errno == EWOULDBLOCK ? 1 : -1;
    }
    return 0;
}

int ctr_lock_wait(int fd, int ms)
{
    for (int waited = 0;; waited += 5) {
        int r = ctr_lock_try(fd);
        if (r <= 0 || waited >= ms)
            return r;
        ctr_sleep_ms(5);
    }
}

bool ctr_is_locked(const char *dir)
{
    _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    /* A shared probe never blocks another prober, only conflicts with the holder. */
    while (flock(fd, LOCK_SH | LOCK_NB) < 0) {
        if (errno != EINTR)
            return errno == EWOULDBLOCK;
    }
    return false;
}

static bool claims_running(const ctr_state *st)
{
    return st->status == WB_CTR_RUNNING || st->status == WB_CTR_RESTARTING;
}

/* Called with the lock held and the state claiming running: the supervisor is gone. */
static int fix_dead(const char *root, const char *id, const char *dir, ctr_state *st, bool *removed,
                    wb_error *err)
{
    char boot[40];
    ctr_boot_id(boot);
    char reason[256];
    if (st->boot_id[0] && boot[0] && strcmp(boot, st->boot_id) != 0)
        snprintf(reason, sizeof reason, "host rebooted while it ran");
    else
        snprintf(reason, sizeof reason, "supervisor (pid %d) died", st->supervisor_pid);
    ctr_state_exited(st, CTR_EXIT_UNKNOWN, reason);
    ctr c;
    if (ctr_open(root, id, &c, err) < 0)
        return -1;
    int ret;
    json_t *hc = json_object_get(c.config, "HostConfig");
    if (json_is_true(json_object_get(hc, "AutoRemove"))) {
        ret = ctr_destroy(root, id, c.config, err);
        if (ret == 0 && removed)
            *removed = true;
    } else {
        ret = ctr_state_write(dir, st, true, err);
    }
    ctr_close(&c);
    return ret;
}

int ctr_probe(const char *root, const char *id, ctr_state *st, bool *removed, wb_error *err)
{
    if (removed)
        *removed = false;
    _cleanup_free_ char *dir = ctr_dir(root, id);
    if (!dir)
        return wb_error_oom(err);
    if (ctr_state_read(dir, st, err) < 0) {
        if (err && err->code == ENOENT)
            return wb_error_set(err, "No such container: %s", id);
        return -1;
    }
    if (!claims_running(st))
        return 0;
    if (!ctr_is_locked(dir)) {
        /* Take the lock exclusively to fix the record; if someone (a new supervisor,
         * another prober) got it first, leave it to them. */
        _cleanup_close_ int fd = ctr_lock_open(dir, err);
        if (fd < 0)
            return -1;
        if (ctr_lock_try(fd) != 0)
            return 0;
        if (ctr_state_read(dir, st, err) < 0)
            return -1;
        if (claims_running(st))
            return fix_dead(root, id, dir, st, removed, err);
    }
    return 0;
}

/* ---- removal -------------------------------------------------------------------- */

int ctr_destroy(const char *root, const char *id, json_t *config, wb_error *err)
{
    _cleanup_free_ char *dir = ctr_dir(root, id);
    _cleanup_free_ char *trash = ctr_strf("%s/containers/.removing-%s", root, id);
    if (!dir || !trash)
        return wb_error_oom(err);
    /* A fast-path container's directory lives in the runtime directory, behind a
     * symlink: remember where, to delete the directory and not just the link. */
    char target[4096];
    ssize_t tl = readlink(dir, target, sizeof target - 1);
    if (tl > 0)
        target[tl] = 0;
    /* Disappear at once (a rename), then free the name, then delete at leisure. */
    if (rename(dir, trash) < 0) {
        if (errno == ENOENT)
            return 0;
        return wb_error_errno(err, errno, "remove %s", dir);
    }
    const char *name = json_string_value(json_object_get(config, "Name"));
    if (name)
        ctr_name_release(root, name[0] == '/' ? name + 1 : name, id);
    if (tl > 0 && target[0] == '/' && ctr_rm_rf(target, err) < 0)
        return -1;
    return ctr_rm_rf(trash, err);
}

/* ---- the runtime directory ------------------------------------------------------ */

/* A private directory on a tmpfs, or NULL. Checked like any directory in a shared
 * place: ours, not a symlink, closed to others. */
static char *usable_runtime_dir(const char *path)
{
    if (mkdir(path, 0700) < 0 && errno != EEXIST)
        return NULL;
    struct stat st;
    struct statfs fs;
    if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
        (st.st_mode & 077) || statfs(path, &fs) < 0 || fs.f_type != TMPFS_MAGIC)
        return NULL;
    return strdup(path);
}

const char *ctr_runtime_dir(void)
{
    static char *dir;
    static bool looked;
    if (looked)
        return dir;
    looked = true;
    const char *env = getenv("WASMBOX_RUNTIME_DIR");
    if (env) /* "" turns the runtime directory off */
        return dir = *env ? usable_runtime_dir(env) : NULL;
    char path[4096];
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    if (xdg && *xdg) {
        snprintf(path, sizeof path, "%s/wasmbox", xdg);
        if ((dir = usable_runtime_dir(path)))
            return dir;
    }
    if (getuid() == 0 && (dir = usable_runtime_dir("/run/wasmbox")))
        return dir;
    snprintf(path, sizeof path, "/dev/shm/wasmbox-%u", (unsigned)getuid());
    return dir = usable_runtime_dir(path);
}
