/*
 * proc.c — the process attributes of config.json's "process", applied by the init
 * to itself before it waits for start: rlimits, oom_score_adj, user and groups,
 * no_new_privs, and the terminal handed over through --console-socket.
 *
 * Error texts follow runc's where engines match on them: podman turns "operation
 * not permitted" and "permission denied" into exit status 126, and a refused
 * RLIMIT_NOFILE raise reads "error setting rlimit type 7: operation not permitted".
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "rt.h"

/* Go's lower-case error texts ("operation not permitted"), which engines match. */
static const char *go_strerror(int e, char *buf, size_t len)
{
    snprintf(buf, len, "%s", strerror(e));
    if (buf[0] && isupper((unsigned char)buf[0]) && !isupper((unsigned char)buf[1]))
        buf[0] = (char)tolower((unsigned char)buf[0]);
    return buf;
}

static const struct {
    const char *name;
    int resource;
} rlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

int rt_proc_rlimits(json_t *process, wb_error *err)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(process, "rlimits"), i, r)
    {
        const char *type = json_string_value(json_object_get(r, "type"));
        int res = -1;
        for (size_t k = 0; type && k < sizeof rlimits / sizeof rlimits[0]; k++)
            if (strcmp(type, rlimits[k].name) == 0)
                res = rlimits[k].resource;
        if (res < 0)
            return wb_error_set(err, "unknown rlimit type %s", type ? type : "(none)");
        struct rlimit rl = {(rlim_t)json_integer_value(json_object_get(r, "soft")),
                            (rlim_t)json_integer_value(json_object_get(r, "hard"))};
        if (setrlimit(res, &rl) < 0) {
            char buf[128];
            return wb_error_set(err, "error setting rlimit type %d: %s", res,
                                go_strerror(errno, buf, sizeof buf));
        }
    }
    return 0;
}

int rt_proc_oom_score_adj(json_t *process, wb_error *err)
{
    json_t *adj = json_object_get(process, "oomScoreAdj");
    if (!json_is_integer(adj))
        return 0;
    char num[24], buf[128];
    snprintf(num, sizeof num, "%lld", json_integer_value(adj));
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, num, strlen(num)) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return wb_error_set(err, "failed to write %s to /proc/self/oom_score_adj: %s", num,
                            go_strerror(e, buf, sizeof buf));
    }
    close(fd);
    return 0;
}

int rt_proc_user(json_t *process, wb_error *err)
{
    json_t *user = json_object_get(process, "user");
    json_t *umask_j = json_object_get(user, "umask");
    if (json_is_integer(umask_j))
        umask((mode_t)json_integer_value(umask_j));
    json_t *extra = json_object_get(user, "additionalGids");
    gid_t groups[256];
    size_t n = 0, i;
    json_t *g;
    json_array_foreach(extra, i, g)
    {
        if (n < sizeof groups / sizeof groups[0])
            groups[n++] = (gid_t)json_integer_value(g);
    }
    uid_t uid = (uid_t)json_integer_value(json_object_get(user, "uid"));
    gid_t gid = (gid_t)json_integer_value(json_object_get(user, "gid"));
    char buf[128];
    if (setgroups(n, groups) < 0 && !(errno == EPERM && n == 0))
        return wb_error_set(err, "setgroups: %s", go_strerror(errno, buf, sizeof buf));
    if (setresgid(gid, gid, gid) < 0)
        return wb_error_set(err, "setgid %u: %s", (unsigned)gid,
                            go_strerror(errno, buf, sizeof buf));
    if (setresuid(uid, uid, uid) < 0)
        return wb_error_set(err, "setuid %u: %s", (unsigned)uid,
                            go_strerror(errno, buf, sizeof buf));
    return 0;
}

int rt_proc_no_new_privs(json_t *process, wb_error *err)
{
    if (json_is_true(json_object_get(process, "noNewPrivileges")) &&
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return wb_error_errno(err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
    return 0;
}

void rt_proc_set_title(const rt_ctx *ctx, json_t *process)
{
    json_t *args = json_object_get(process, "args");
    const char *prog = json_string_value(json_array_get(args, 0));
    if (!prog || !ctx->argv_area || ctx->argv_area_len < 2)
        return;
    const char *base = strrchr(prog, '/');
    prctl(PR_SET_NAME, base ? base + 1 : prog, 0, 0, 0);
    /* Overwrite main()'s argument strings in place: the kernel shows that area as
     * /proc/PID/cmdline. What does not fit is cut; the last byte stays NUL. */
    size_t used = 0, room = ctx->argv_area_len - 1;
    for (size_t i = 0; i < json_array_size(args) && used < room; i++) {
        const char *a = json_string_value(json_array_get(args, i));
        size_t n = a ? strlen(a) : 0;
        if (n > room - used)
            n = room - used;
        memcpy(ctx->argv_area + used, a ? a : "", n);
        used += n;
        if (used < room)
            ctx->argv_area[used++] = 0;
    }
    memset(ctx->argv_area + used, 0, ctx->argv_area_len - used);
}

/* ---- the terminal --------------------------------------------------------------- */

static int send_fd(int sock, int fd, const char *name)
{
    char cbuf[CMSG_SPACE(sizeof(int))] = {0};
    struct iovec iov = {(void *)name, strlen(name)};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    ssize_t n;
    do
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

static int connect_unix(const char *path, wb_error *err)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path)
        return wb_error_set(err, "console socket path too long: %s", path);
    memcpy(addr.sun_path, path, strlen(path) + 1);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return wb_error_errno(err, errno, "socket");
    if (connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) {
        int e = errno;
        close(s);
        return wb_error_errno(err, e, "connect to console socket %s", path);
    }
    return s;
}

int rt_proc_console(const char *socket_path, json_t *process, wb_error *err)
{
    _cleanup_close_ int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
        return wb_error_errno(err, errno, "open a pty");
    char name[128];
    if (ptsname_r(master, name, sizeof name) != 0)
        return wb_error_errno(err, errno, "ptsname");
    _cleanup_close_ int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0)
        return wb_error_errno(err, errno, "open %s", name);
    json_t *size = json_object_get(process, "consoleSize");
    if (size) {
        struct winsize ws = {
            .ws_row = (unsigned short)json_integer_value(json_object_get(size, "height")),
            .ws_col = (unsigned short)json_integer_value(json_object_get(size, "width"))};
        ioctl(slave, TIOCSWINSZ, &ws);
    }
    _cleanup_close_ int sock = connect_unix(socket_path, err);
    if (sock < 0)
        return -1;
    if (send_fd(sock, master, name) < 0)
        return wb_error_errno(err, errno, "send the pty to %s", socket_path);
    if (ioctl(slave, TIOCSCTTY, 0) < 0)
        return wb_error_errno(err, errno, "make %s the controlling terminal", name);
    for (int fd = 0; fd < 3; fd++)
        if (dup2(slave, fd) < 0)
            return wb_error_errno(err, errno, "dup2 %s", name);
    return 0;
}
