/*
 * prepare.c — from a container's config.json to everything a run needs: the
 * program's argv and environment, its preopened directories, the decoded module,
 * the listening sockets and the limits.
 *
 * The same function serves `run` and every later `start`/restart, so a container
 * always runs as its config says. Failures carry docker's statuses: 127 when the
 * entrypoint does not exist, 126 when it is not a runnable module, 125 otherwise.
 *
 * The module is looked up inside the image's files with openat2(RESOLVE_IN_ROOT):
 * a symlink in an image cannot make wasmbox read a file of the host.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ctr.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

void ctr_runnable_free(ctr_runnable *r)
{
    free(r->program);
    for (size_t i = 0; r->argv && r->argv[i]; i++)
        free(r->argv[i]);
    free(r->argv);
    for (size_t i = 0; r->envp && r->envp[i]; i++)
        free(r->envp[i]);
    free(r->envp);
    for (size_t i = 0; i < r->npreopens; i++)
        free(r->preopen_paths[i]);
    free(r->preopen_paths);
    free(r->preopens);
    for (size_t i = 0; i < r->nlisten; i++)
        close(r->listen_fds[i]);
    free(r->listen_fds);
    wb_module_free(r->module);
    free(r->log_path);
    free(r->root);
    memset(r, 0, sizeof *r);
}

static int build_argv(const ctr *c, ctr_runnable *r, wb_error *err)
{
    json_t *argv = json_array();
    if (!argv)
        return wb_error_oom(err);
    json_array_append(argv, json_object_get(c->config, "Path"));
    json_array_extend(argv, json_object_get(c->config, "Args"));
    r->argv = ctr_strv_from_json(argv, &r->argc);
    json_decref(argv);
    return r->argv ? 0 : wb_error_oom(err);
}

/* docker's process environment: PATH and HOSTNAME (and TERM with a tty) first, then
 * Config.Env replacing or appending. */
static int build_env(const ctr *c, ctr_runnable *r, wb_error *err)
{
    json_t *cfg = json_object_get(c->config, "Config");
    const char *host = json_string_value(json_object_get(cfg, "Hostname"));
    json_t *env = json_pack("[s, s+]", "PATH=" DEFAULT_PATH, "HOSTNAME=", host ? host : "");
    if (!env)
        return wb_error_oom(err);
    if (r->tty)
        json_array_append_new(env, json_string("TERM=xterm"));
    json_t *over = json_object_get(cfg, "Env");
    size_t n = json_array_size(over);
    const char **kv = calloc(n + 1, sizeof *kv);
    int ret = kv ? 0 : -1;
    for (size_t i = 0; kv && i < n; i++)
        kv[i] = json_string_value(json_array_get(over, i))
                    ? json_string_value(json_array_get(over, i))
                    : "";
    if (ret == 0)
        ret = ctr_env_overlay(env, kv, n);
    free(kv);
    if (ret == 0 && !(r->envp = ctr_strv_from_json(env, &r->envc)))
        ret = -1;
    json_decref(env);
    return ret < 0 ? wb_error_oom(err) : 0;
}

/* ---- finding the module --------------------------------------------------------- */

static int open_in_root(int rootfd, const char *path)
{
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
    if (fd >= 0 || errno != ENOSYS)
        return fd;
    /* Kernels before 5.6: refuse what could leave the root, follow nothing. */
    while (*path == '/')
        path++;
    if (strstr(path, "..")) {
        errno = EACCES;
        return -1;
    }
    return openat(rootfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

/* The mount (volume) a guest path lies in, or the rootfs: host dir + rest of path. */
static const char *host_dir_of(const ctr *c, const char *rootfs, const char *gpath,
                               const char **rest)
{
    const char *best = rootfs;
    size_t best_len = 0;
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(c->config, "Mounts"), i, m)
    {
        const char *dst = json_string_value(json_object_get(m, "Destination"));
        size_t l = dst ? strlen(dst) : 0;
        if (l > best_len && strncmp(gpath, dst, l) == 0 && (gpath[l] == 0 || gpath[l] == '/')) {
            best = json_string_value(json_object_get(m, "Source"));
            best_len = l;
        }
    }
    *rest = gpath + best_len;
    return best;
}

static int open_guest_file(const ctr *c, const char *rootfs, const char *gpath)
{
    const char *rest;
    const char *dir = host_dir_of(c, rootfs, gpath, &rest);
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    return open_in_root(dfd, *rest ? rest : ".");
}

static const char *env_get(char **envp, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; envp && envp[i]; i++)
        if (strncmp(envp[i], key, kl) == 0 && envp[i][kl] == '=')
            return envp[i] + kl + 1;
    return NULL;
}

/* Opens the program: absolute, relative to the workdir, or searched in $PATH. */
static int open_program(const ctr *c, const ctr_runnable *r, const char *rootfs,
                        const char *workdir, int *status, wb_error *err)
{
    const char *prog = r->argv[0];
    char path[4096];
    int fd = -1;
    if (strchr(prog, '/')) {
        if (prog[0] == '/')
            snprintf(path, sizeof path, "%s", prog);
        else
            snprintf(path, sizeof path, "%s/%s", strcmp(workdir, "/") ? workdir : "", prog);
        fd = open_guest_file(c, rootfs, path);
    } else {
        const char *search = env_get(r->envp, "PATH");
        _cleanup_free_ char *dirs = ctr_strf("%s:%s", search ? search : DEFAULT_PATH, workdir);
        if (!dirs)
            return wb_error_oom(err);
        char *save = NULL;
        for (char *d = strtok_r(dirs, ":", &save); d && fd < 0; d = strtok_r(NULL, ":", &save)) {
            snprintf(path, sizeof path, "%s/%s", strcmp(d, "/") ? d : "", prog);
            fd = open_guest_file(c, rootfs, path);
        }
        if (fd < 0) {
            *status = WB_CTR_EXIT_NOT_FOUND;
            return wb_error_set(err, "exec: \"%s\": executable file not found in $PATH", prog);
        }
    }
    if (fd < 0) {
        int e = errno;
        *status = e == ENOENT || e == ENOTDIR ? WB_CTR_EXIT_NOT_FOUND : WB_CTR_EXIT_CANNOT_RUN;
        return wb_error_set(err, "exec: \"%s\": %s", prog,
                            e == ENOENT ? "no such file or directory" : strerror(e));
    }
    return fd;
}

static int read_all(int fd, uint8_t **out, size_t *len)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -1;
    if (!S_ISREG(st.st_mode)) {
        errno = S_ISDIR(st.st_mode) ? EISDIR : EACCES;
        return -1;
    }
    uint8_t *buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    if (!buf)
        return -1;
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(buf);
            if (n == 0)
                errno = EIO;
            return -1;
        }
        got += (size_t)n;
    }
    *out = buf;
    *len = got;
    return 0;
}

static int load_module(const ctr *c, ctr_runnable *r, const char *rootfs, const char *workdir,
                       int *status, wb_error *err)
{
    int fd = open_program(c, r, rootfs, workdir, status, err);
    if (fd < 0)
        return -1;
    uint8_t *bytes;
    size_t len;
    int ret = read_all(fd, &bytes, &len);
    int e = errno;
    close(fd);
    if (ret < 0) {
        *status = WB_CTR_EXIT_CANNOT_RUN;
        return wb_error_set(err, "exec: \"%s\": %s", r->argv[0], strerror(e));
    }
    ret = wb_module_new(bytes, len, &r->module, err);
    free(bytes);
    if (ret < 0) {
        *status = WB_CTR_EXIT_CANNOT_RUN;
        return wb_error_prefix(err, "%s", r->argv[0]);
    }
    return 0;
}

/* ---- directories and sockets ---------------------------------------------------- */

static int add_preopen(ctr_runnable *r, char *host, const char *guest, bool ro, wb_error *err)
{
    if (!host)
        return wb_error_oom(err);
    r->preopen_paths[r->npreopens] = host;
    r->preopens[r->npreopens++] = (wb_wasi_preopen){host, -1, guest, ro};
    return 0;
}

/* "." (the working directory, when not "/"), "/" (the image, read-only), then the
 * volumes. wasi-libc treats "." and "/" alike and prefers the later preopen on a
 * tie, so absolute paths reach the image's files; the workdir preopen is for guests
 * that look preopens up by name. */
static int build_preopens(const ctr *c, ctr_runnable *r, const char *rootfs, const char *workdir,
                          wb_error *err)
{
    json_t *mounts = json_object_get(c->config, "Mounts");
    size_t n = json_array_size(mounts) + 2;
    r->preopens = calloc(n, sizeof *r->preopens);
    r->preopen_paths = calloc(n, sizeof *r->preopen_paths);
    if (!r->preopens || !r->preopen_paths)
        return wb_error_oom(err);
    if (strcmp(workdir, "/") != 0) {
        const char *rest;
        const char *dir = host_dir_of(c, rootfs, workdir, &rest);
        _cleanup_free_ char *host = ctr_strf("%s%s", dir, rest);
        struct stat st;
        if (!host)
            return wb_error_oom(err);
        bool ro = dir == rootfs;
        if (stat(host, &st) == 0 && S_ISDIR(st.st_mode) &&
            add_preopen(r, strdup(host), ".", ro, err) < 0)
            return -1;
    }
    if (add_preopen(r, strdup(rootfs), "/", true, err) < 0)
        return -1;
    size_t i;
    json_t *m;
    json_array_foreach(mounts, i, m)
    {
        const char *src = json_string_value(json_object_get(m, "Source"));
        const char *dst = json_string_value(json_object_get(m, "Destination"));
        if (!src || !dst)
            continue;
        if (add_preopen(r, strdup(src), dst, !json_is_true(json_object_get(m, "RW")), err) < 0)
            return -1;
    }
    return 0;
}

static int listen_on(const char *ip, const char *port_s, int *out, wb_error *err)
{
    struct sockaddr_storage ss = {0};
    socklen_t len;
    const char *addr = ip && *ip ? ip : "0.0.0.0";
    bool v6 = strchr(addr, ':') != NULL;
    unsigned port = (unsigned)atoi(port_s);
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        len = sizeof *a;
        if (inet_pton(AF_INET6, addr, &a->sin6_addr) != 1)
            return wb_error_set(err, "invalid IP address %s", addr);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        len = sizeof *a;
        if (inet_pton(AF_INET, addr, &a->sin_addr) != 1)
            return wb_error_set(err, "invalid IP address %s", addr);
    }
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return wb_error_errno(err, errno, "socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 128) < 0) {
        int e = errno;
        close(fd);
        if (e == EADDRINUSE)
            return wb_error_set(err, "Bind for %s:%u failed: port is already allocated", addr,
                                port);
        return wb_error_errno(err, e, "Bind for %s:%u failed", addr, port);
    }
    *out = fd;
    return 0;
}

static int bind_ports(const ctr *c, ctr_runnable *r, wb_error *err)
{
    json_t *pb = json_object_get(json_object_get(c->config, "HostConfig"), "PortBindings");
    const char *key;
    json_t *list;
    size_t n = 0, i;
    json_t *b;
    json_object_foreach(pb, key, list) n += json_array_size(list);
    if (!n)
        return 0;
    r->listen_fds = calloc(n, sizeof(int));
    if (!r->listen_fds)
        return wb_error_oom(err);
    json_object_foreach(pb, key, list)
    {
        json_array_foreach(list, i, b)
        {
            const char *ip = json_string_value(json_object_get(b, "HostIp"));
            const char *port = json_string_value(json_object_get(b, "HostPort"));
            if (listen_on(ip, port ? port : "0", &r->listen_fds[r->nlisten], err) < 0)
                return -1;
            r->nlisten++;
        }
    }
    return 0;
}

/* ---- all of it ------------------------------------------------------------------ */

static void read_limits(const ctr *c, ctr_runnable *r)
{
    json_t *hc = json_object_get(c->config, "HostConfig");
    json_t *cfg = json_object_get(c->config, "Config");
    json_t *rp = json_object_get(hc, "RestartPolicy");
    r->memory = (uint64_t)json_integer_value(json_object_get(hc, "Memory"));
    r->auto_remove = json_is_true(json_object_get(hc, "AutoRemove"));
    r->interactive = json_is_true(json_object_get(cfg, "OpenStdin"));
    r->tty = json_is_true(json_object_get(cfg, "Tty"));
    json_t *st = json_object_get(cfg, "StopTimeout");
    r->stop_timeout =
        json_is_integer(st) ? (int)json_integer_value(st) : WB_CTR_DEFAULT_STOP_TIMEOUT;
    if (wb_restart_policy_parse(json_string_value(json_object_get(rp, "Name")), &r->restart, NULL) <
        0)
        r->restart.kind = WB_RESTART_NO;
    r->restart.max_retries = (int)json_integer_value(json_object_get(rp, "MaximumRetryCount"));
    const char *max = json_string_value(
        json_object_get(json_object_get(json_object_get(hc, "LogConfig"), "Config"), "max-size"));
    r->log_max = max ? strtoull(max, NULL, 10) : 0;
    if (!r->log_max)
        r->log_max = CTR_LOG_MAX_DEFAULT;
}

/* The image's files; extracted again if the cache was deleted since create. */
static int rootfs_of(const ctr *c, char **out, wb_error *err)
{
    json_t *gd = json_object_get(json_object_get(c->config, "GraphDriver"), "Data");
    const char *dir = json_string_value(json_object_get(gd, "RootDir"));
    struct stat st;
    if (dir && stat(dir, &st) == 0) {
        *out = strdup(dir);
        return *out ? 0 : wb_error_oom(err);
    }
    const char *manifest = json_string_value(json_object_get(c->config, "ImageManifest"));
    if (!manifest)
        return wb_error_set(err, "container %.12s has no image", c->id);
    wb_image_store *store;
    if (wb_image_store_open(c->root, &store, err) < 0)
        return -1;
    wb_image_ref ref;
    int ret = wb_image_lookup(store, manifest, &ref, err);
    if (ret == 0)
        ret = ctr_rootfs_get(store, &ref, out, err);
    wb_image_store_close(store);
    return ret;
}

int ctr_prepare(const ctr *c, ctr_runnable *r, int *status, wb_error *err)
{
    memset(r, 0, sizeof *r);
    *status = WB_CTR_EXIT_ERROR;
    read_limits(c, r);
    const char *wd =
        json_string_value(json_object_get(json_object_get(c->config, "Config"), "WorkingDir"));
    const char *workdir = wd && wd[0] == '/' ? wd : "/";
    _cleanup_free_ char *rootfs = NULL;
    int ret = rootfs_of(c, &rootfs, err);
    if (ret == 0)
        ret = build_argv(c, r, err);
    if (ret == 0)
        ret = build_env(c, r, err);
    if (ret == 0 && !(r->program = strdup(r->argv[0])))
        ret = wb_error_oom(err);
    if (ret == 0)
        ret = load_module(c, r, rootfs, workdir, status, err);
    if (ret == 0)
        ret = build_preopens(c, r, rootfs, workdir, err);
    if (ret == 0)
        ret = bind_ports(c, r, err);
    const char *log = json_string_value(json_object_get(c->config, "LogPath"));
    if (ret == 0 && !(r->log_path = strdup(log ? log : "")))
        ret = wb_error_oom(err);
    if (ret == 0 && !(r->root = strdup(c->root)))
        ret = wb_error_oom(err);
    if (ret < 0) {
        ctr_runnable_free(r);
        return -1;
    }
    *status = 0;
    return 0;
}
