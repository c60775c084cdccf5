/*
 * ns.c — the namespaces the bundle asks for.
 *
 * A namespace with a path is joined (setns), which is how a published port reaches
 * the guest: podman puts the container in /run/netns/<name>, a pod's containers
 * share the pause container's /proc/<pid>/ns/net, and the guest's listening socket
 * then lives where the engine forwards traffic. A namespace without a path is made
 * new for the init by the clone that creates it. Three exceptions, from how the
 * kernel works: a pid namespace by path is joined by create itself before the
 * clone (it applies to children only); a new cgroup namespace is unshared by the
 * init after it was moved into its cgroup (so that the cgroup is its root); and a
 * user namespace is joined first, so the others are joined with its privileges.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt.h"

static const struct {
    const char *type;
    int flag;
    const char *proc; /* its name under /proc/<pid>/ns */
} ns_types[] = {
    {"pid", CLONE_NEWPID, "pid"},          {"network", CLONE_NEWNET, "net"},
    {"mount", CLONE_NEWNS, "mnt"},         {"ipc", CLONE_NEWIPC, "ipc"},
    {"uts", CLONE_NEWUTS, "uts"},          {"user", CLONE_NEWUSER, "user"},
    {"cgroup", CLONE_NEWCGROUP, "cgroup"},
};

void rt_ns_close(rt_ns *ns)
{
    for (size_t i = 0; i < ns->njoin; i++)
        if (ns->join_fd[i] >= 0)
            close(ns->join_fd[i]);
    if (ns->pid_fd >= 0)
        close(ns->pid_fd);
    ns->njoin = 0;
    ns->pid_fd = -1;
}

static int add_join(rt_ns *ns, int flag, const char *path, wb_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return wb_error_errno(err, errno, "open namespace %s", path);
    if (flag == CLONE_NEWPID) {
        ns->pid_fd = fd;
        return 0;
    }
    if (flag == CLONE_NEWUSER) { /* first */
        memmove(ns->join_fd + 1, ns->join_fd, ns->njoin * sizeof ns->join_fd[0]);
        memmove(ns->join_type + 1, ns->join_type, ns->njoin * sizeof ns->join_type[0]);
        ns->join_fd[0] = fd;
        ns->join_type[0] = flag;
    } else {
        ns->join_fd[ns->njoin] = fd;
        ns->join_type[ns->njoin] = flag;
    }
    ns->njoin++;
    return 0;
}

int rt_ns_parse(json_t *linux_, rt_ns *ns, wb_error *err)
{
    memset(ns, 0, sizeof *ns);
    ns->pid_fd = -1;
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(linux_, "namespaces"), i, n)
    {
        const char *type = json_string_value(json_object_get(n, "type"));
        const char *path = json_string_value(json_object_get(n, "path"));
        int flag = 0;
        for (size_t t = 0; type && t < sizeof ns_types / sizeof ns_types[0]; t++)
            if (strcmp(type, ns_types[t].type) == 0)
                flag = ns_types[t].flag;
        if (!flag) {
            rt_ns_close(ns);
            return wb_error_set(err, "namespace type %s is not supported", type ? type : "(none)");
        }
        if (path && *path) {
            if (ns->njoin >= sizeof ns->join_fd / sizeof ns->join_fd[0]) {
                rt_ns_close(ns);
                return wb_error_set(err, "too many namespaces");
            }
            if (add_join(ns, flag, path, err) < 0) {
                rt_ns_close(ns);
                return -1;
            }
        } else if (flag == CLONE_NEWCGROUP) {
            ns->new_cgroup = true;
        } else {
            ns->clone_flags |= flag;
        }
    }
    return 0;
}

int rt_ns_of_pid(pid_t pid, rt_ns *ns, wb_error *err)
{
    memset(ns, 0, sizeof *ns);
    ns->pid_fd = -1;
    for (size_t t = 0; t < sizeof ns_types / sizeof ns_types[0]; t++) {
        char theirs[64], ours[64];
        snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", (int)pid, ns_types[t].proc);
        snprintf(ours, sizeof ours, "/proc/self/ns/%s", ns_types[t].proc);
        struct stat a, b;
        if (stat(theirs, &a) < 0) {
            rt_ns_close(ns);
            return wb_error_errno(err, errno, "%s", theirs);
        }
        if (stat(ours, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
            continue; /* shared with us: nothing to join (setns of our own user ns fails) */
        if (add_join(ns, ns_types[t].flag, theirs, err) < 0) {
            rt_ns_close(ns);
            return -1;
        }
    }
    return 0;
}

int rt_ns_enter_pid(const rt_ns *ns, int *saved, wb_error *err)
{
    *saved = -1;
    if (ns->pid_fd < 0)
        return 0;
    *saved = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    if (*saved < 0)
        return wb_error_errno(err, errno, "open /proc/self/ns/pid");
    if (setns(ns->pid_fd, CLONE_NEWPID) < 0) {
        int e = errno;
        close(*saved);
        *saved = -1;
        return wb_error_errno(err, e, "join the pid namespace");
    }
    return 0;
}

void rt_ns_leave_pid(int *saved)
{
    if (*saved < 0)
        return;
    setns(*saved, CLONE_NEWPID); /* our own active namespace: always allowed */
    close(*saved);
    *saved = -1;
}

int rt_ns_mount_proc(const rt_ns *ns, wb_error *err)
{
    if ((ns->clone_flags & (CLONE_NEWNS | CLONE_NEWPID)) != (CLONE_NEWNS | CLONE_NEWPID))
        return 0;
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
        return wb_error_errno(err, errno, "make the mount namespace a slave");
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return wb_error_errno(err, errno, "mount /proc for the new pid namespace");
    return 0;
}

int rt_ns_join(rt_ns *ns, wb_error *err)
{
    for (size_t i = 0; i < ns->njoin; i++) {
        if (setns(ns->join_fd[i], ns->join_type[i]) < 0)
            return wb_error_errno(err, errno, "join namespace (type %#x)", ns->join_type[i]);
        close(ns->join_fd[i]);
        ns->join_fd[i] = -1;
    }
    if (ns->new_cgroup && unshare(CLONE_NEWCGROUP) < 0)
        return wb_error_errno(err, errno, "unshare cgroup namespace");
    return 0;
}

int rt_ns_configure(const rt_config *c, const rt_ns *ns, wb_error *err)
{
    const char *host = json_string_value(json_object_get(c->json, "hostname"));
    if (host && *host && (ns->clone_flags & CLONE_NEWUTS) && sethostname(host, strlen(host)) < 0)
        return wb_error_errno(err, errno, "sethostname %s", host);
    const char *key;
    json_t *val;
    json_object_foreach(json_object_get(c->linux_, "sysctl"), key, val)
    {
        char path[512];
        int n = snprintf(path, sizeof path, "/proc/sys/%s", key);
        for (int i = 10; i < n; i++)
            if (path[i] == '.')
                path[i] = '/';
        const char *v = json_string_value(val);
        if (v && rt_write_str(path, v, err) < 0)
            return wb_error_prefix(err, "sysctl %s", key);
    }
    return 0;
}

static int write_map(json_t *mappings, pid_t pid, const char *file, wb_error *err)
{
    char buf[4096];
    size_t len = 0, i;
    json_t *m;
    json_array_foreach(mappings, i, m)
    {
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%lld %lld %lld\n",
                                json_integer_value(json_object_get(m, "containerID")),
                                json_integer_value(json_object_get(m, "hostID")),
                                json_integer_value(json_object_get(m, "size")));
        if (len >= sizeof buf)
            return wb_error_set(err, "too many id mappings");
    }
    if (!len)
        return 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, buf, len) != (ssize_t)len) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return wb_error_errno(err, e, "write %s", path);
    }
    close(fd);
    return 0;
}

int rt_ns_write_maps(json_t *linux_, pid_t pid, wb_error *err)
{
    if (write_map(json_object_get(linux_, "uidMappings"), pid, "uid_map", err) < 0)
        return -1;
    return write_map(json_object_get(linux_, "gidMappings"), pid, "gid_map", err);
}
