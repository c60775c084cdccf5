/*
 * guest.c — the thin adapter between an OCI bundle and the container module's
 * guest runner.
 *
 * The container module already runs a module as a container process should: WASI
 * with the preopens and stdio it is given, stop and kill signals that interrupt
 * even a busy loop (exit status 128+signo), traps reported on stderr (status 134),
 * the syscall filter applied before guest code runs. wasmbox-runtime reuses exactly
 * that (wb_ctr_process_run, container.h), so a container behaves the same whether
 * `wasmbox run` or an engine started it; this file only translates the OCI process
 * and mounts into a wb_ctr_process, owning the strings and descriptors behind it:
 *
 *   process.args      -> argv (args[0] is the program, as the guest sees it)
 *   process.env       -> environment, as is
 *   process.cwd       -> a preopen "." at that directory (when it is not "/")
 *   root.path         -> a preopen "/" (read-only when root.readonly)
 *   bind mounts       -> preopens at their destinations (read-only with "ro")
 *   memory limit      -> the cap on linear memory, less a margin for the engine's own
 *                        memory (1/8 of it, at most 8 MiB): a guest's memory.grow
 *                        then fails before the cgroup's OOM killer would strike
 *   terminal          -> the guest's stdio is the pty create set up
 *   WASMBOX_LISTEN    -> listening sockets, made in the container's network namespace
 *                        (so ports the engine publishes reach them), handed to the
 *                        guest after its preopens: WASI preview1 cannot bind or
 *                        listen by itself, only accept ("80", "0.0.0.0:80,[::]:443")
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasmbox/container.h"
#include "rt.h"

/* What a wb_ctr_process borrows, owned here until rt_guest_free. */
struct rt_guest {
    char *program;
    char **argv;
    size_t argc;
    char **envp;
    size_t envc;
    wb_wasi_preopen *preopens;
    size_t npreopens;
    char **preopen_paths; /* the strings behind preopens[].host_path */
    int *listen_fds;
    size_t nlisten;
    wb_module *module;
    uint64_t memory;
    char *cache_dir; /* the compiled seccomp filter's cache */
};

static char **strv_dup(json_t *a, size_t *n)
{
    size_t len = json_array_size(a);
    char **v = calloc(len + 1, sizeof *v);
    for (size_t i = 0; v && i < len; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        if (!(v[i] = strdup(s ? s : ""))) {
            for (size_t j = 0; j < i; j++)
                free(v[j]);
            free(v);
            return NULL;
        }
    }
    if (v)
        *n = len;
    return v;
}

static int read_module(int fd, const char *prog, wb_module **out, int *status, wb_error *err)
{
    struct stat st;
    *status = 126;
    if (fstat(fd, &st) < 0)
        return wb_error_errno(err, errno, "exec: \"%s\"", prog);
    uint8_t *bytes = malloc(st.st_size ? (size_t)st.st_size : 1);
    if (!bytes)
        return wb_error_oom(err);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = pread(fd, bytes + got, (size_t)st.st_size - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(bytes);
            return wb_error_errno(err, n < 0 ? errno : EIO, "exec: \"%s\"", prog);
        }
        got += (size_t)n;
    }
    int ret = wb_module_new(bytes, got, out, err);
    free(bytes);
    return ret < 0 ? wb_error_prefix(err, "exec: \"%s\"", prog) : 0;
}

static int add_preopen(rt_guest *g, const char *host, const char *guest, bool ro, wb_error *err)
{
    char *h = strdup(host);
    if (!h)
        return wb_error_oom(err);
    g->preopen_paths[g->npreopens] = h;
    g->preopens[g->npreopens++] = (wb_wasi_preopen){h, -1, guest, ro};
    return 0;
}

/* "." first, then "/", then the mounts: wasi-libc resolves a path against the
 * longest matching preopen and prefers the later one on a tie, so absolute paths
 * reach "/" while guests that look for "." find the working directory. */
static int build_preopens(const rt_config *c, json_t *process, rt_guest *g, wb_error *err)
{
    g->preopens = calloc(c->nmounts + 2, sizeof *g->preopens);
    g->preopen_paths = calloc(c->nmounts + 2, sizeof *g->preopen_paths);
    if (!g->preopens || !g->preopen_paths)
        return wb_error_oom(err);
    const char *cwd = json_string_value(json_object_get(process, "cwd"));
    if (cwd && cwd[0] == '/' && strcmp(cwd, "/") != 0) {
        const char *rest;
        const rt_mount *m = rt_config_mount_of(c, cwd, &rest);
        _cleanup_free_ char *host = rt_strf("%s%s", m ? m->src : c->rootfs, rest);
        struct stat st;
        if (!host)
            return wb_error_oom(err);
        if (stat(host, &st) == 0 && S_ISDIR(st.st_mode) &&
            add_preopen(g, host, ".", m ? m->ro : c->rootfs_readonly, err) < 0)
            return -1;
    }
    if (add_preopen(g, c->rootfs, "/", c->rootfs_readonly, err) < 0)
        return -1;
    for (size_t i = 0; i < c->nmounts; i++)
        if (add_preopen(g, c->mounts[i].src, c->mounts[i].dst, c->mounts[i].ro, err) < 0)
            return -1;
    return 0;
}

int rt_guest_prepare(const rt_ctx *ctx, const rt_config *c, json_t *process, int fd,
                     uint64_t memory, rt_guest **out, int *status, wb_error *err)
{
    *status = 1;
    rt_guest *g = calloc(1, sizeof *g);
    if (!g) {
        close(fd);
        return wb_error_oom(err);
    }
    int ret = 0;
    if (!(g->argv = strv_dup(json_object_get(process, "args"), &g->argc)) ||
        !(g->envp = strv_dup(json_object_get(process, "env"), &g->envc)) ||
        !(g->program = strdup(g->argc ? g->argv[0] : "")) ||
        !(g->cache_dir = rt_strf("%s/.wasmbox", ctx->root)))
        ret = wb_error_oom(err);
    if (ret == 0)
        ret = read_module(fd, g->program, &g->module, status, err);
    close(fd);
    if (ret == 0)
        ret = build_preopens(c, process, g, err);
    if (ret < 0) {
        rt_guest_free(g);
        return -1;
    }
    /* stdin is whatever the engine gave create; a terminal, if process.terminal
     * asked for one, is already the stdio (rt_proc_console) */
    uint64_t margin = memory / 8 < (8u << 20) ? memory / 8 : (8u << 20);
    g->memory = memory - margin;
    *status = 0;
    *out = g;
    return 0;
}

/* ---- listening sockets --------------------------------------------------------------- */

static int listen_on(const char *spec, int *out, wb_error *err)
{
    char addr[128] = "0.0.0.0";
    const char *port_s = spec;
    const char *colon = strrchr(spec, ':');
    if (colon) {
        const char *a = spec, *e = colon;
        if (*a == '[' && e > a && e[-1] == ']') { /* [v6]:port */
            a++;
            e--;
        }
        snprintf(addr, sizeof addr, "%.*s", (int)(e - a), a);
        port_s = colon + 1;
    }
    char *end;
    long port = strtol(port_s, &end, 10);
    if (*end || port < 0 || port > 65535)
        return wb_error_set(err, "WASMBOX_LISTEN: invalid port in %s", spec);
    struct sockaddr_storage ss = {0};
    socklen_t len;
    bool v6 = strchr(addr, ':') != NULL;
    if (v6) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        len = sizeof *a6;
        if (inet_pton(AF_INET6, addr, &a6->sin6_addr) != 1)
            return wb_error_set(err, "WASMBOX_LISTEN: invalid address in %s", spec);
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        len = sizeof *a4;
        if (inet_pton(AF_INET, addr, &a4->sin_addr) != 1)
            return wb_error_set(err, "WASMBOX_LISTEN: invalid address in %s", spec);
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return wb_error_errno(err, errno, "socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (v6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 128) < 0) {
        int e = errno;
        close(fd);
        return wb_error_errno(err, e, "listen on %s", spec);
    }
    *out = fd;
    return 0;
}

static const char *listen_spec(const rt_guest *g)
{
    static const char key[] = "WASMBOX_LISTEN=";
    for (size_t i = 0; i < g->envc; i++)
        if (strncmp(g->envp[i], key, sizeof key - 1) == 0)
            return g->envp[i] + sizeof key - 1;
    return NULL;
}

int rt_guest_listen(rt_guest *g, wb_error *err)
{
    const char *spec = listen_spec(g);
    if (!spec || !*spec)
        return 0;
    _cleanup_free_ char *list = strdup(spec);
    if (!list || !(g->listen_fds = calloc(strlen(spec) / 2 + 1, sizeof(int))))
        return wb_error_oom(err);
    char *save = NULL;
    for (char *s = strtok_r(list, ", ", &save); s; s = strtok_r(NULL, ", ", &save)) {
        if (listen_on(s, &g->listen_fds[g->nlisten], err) < 0)
            return -1;
        g->nlisten++;
    }
    return 0;
}

/* ---- directories ------------------------------------------------------------------------ */

int rt_guest_open_dirs(rt_guest *g, wb_error *err)
{
    for (size_t i = 0; i < g->npreopens; i++) {
        wb_wasi_preopen *p = &g->preopens[i];
        if (!p->host_path)
            continue;
        int fd = open(p->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return wb_error_errno(err, errno, "open %s (for %s)", p->host_path, p->guest_path);
        p->dirfd = fd; /* WASI takes it over */
        p->host_path = NULL;
    }
    return 0;
}

int rt_guest_run(rt_guest *g)
{
    wb_ctr_stdio io = {0, 1, 2};
    wb_ctr_process p = {
        .program = g->program,
        .argv = (const char *const *)g->argv,
        .argc = g->argc,
        .envp = (const char *const *)g->envp,
        .envc = g->envc,
        .preopens = g->preopens,
        .npreopens = g->npreopens,
        .listen_fds = g->listen_fds,
        .nlisten = g->nlisten,
        .module = g->module,
        .memory = g->memory,
        .cache_dir = g->cache_dir,
    };
    return wb_ctr_process_run(&p, &io);
}

void rt_guest_free(rt_guest *g)
{
    if (!g)
        return;
    free(g->program);
    for (size_t i = 0; g->argv && g->argv[i]; i++)
        free(g->argv[i]);
    free(g->argv);
    for (size_t i = 0; g->envp && g->envp[i]; i++)
        free(g->envp[i]);
    free(g->envp);
    for (size_t i = 0; i < g->npreopens; i++) {
        free(g->preopen_paths[i]);
        if (g->preopens[i].dirfd >= 0)
            close(g->preopens[i].dirfd);
    }
    free(g->preopen_paths);
    free(g->preopens);
    for (size_t i = 0; i < g->nlisten; i++)
        close(g->listen_fds[i]);
    free(g->listen_fds);
    wb_module_free(g->module);
    free(g->cache_dir);
    free(g);
}
