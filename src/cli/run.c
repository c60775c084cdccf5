/*
 * run.c — `wasmbox run [OPTIONS] FILE.wasm|IMAGE [ARG...]`.
 *
 * A .wasm file runs directly: read, decode and validate, give it WASI (arguments,
 * only the environment asked for, volumes as preopened directories, published
 * ports as listening sockets), call _start, and exit with the program's status.
 * Anything else is an image, handed to the container side (wb_cli_run_image).
 * With -t either runs with a pseudo-terminal as its stdout and stderr (and stdin
 * with -i), relayed to ours (wb_tty_open).
 * Start-up is on the critical path of every container: nothing here reads or
 * allocates what the run does not need.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "options.h"
#include "run_container.h"
#include "wasmbox/container.h"
#include "wasmbox/engine.h"
#include "wasmbox/wasi.h"

#define EXIT_WASMBOX 125
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND 127
#define EXIT_TRAP 134

static void run_help(void)
{
    printf("Usage: wasmbox run [OPTIONS] FILE.wasm|IMAGE [ARG...]\n"
           "\n"
           "Run a WebAssembly module, or an image in a new container.\n"
           "Everything after FILE.wasm or IMAGE is passed to the program unchanged.\n"
           "\n"
           "Options:\n"
           "  -e, --env K=V|K        Set an environment variable (K alone: from the host)\n"
           "      --env-file FILE    Read KEY=VALUE lines from FILE\n"
           "  -v, --volume HOST:GUEST[:ro]  Give the program directory HOST as GUEST\n"
           "      --dir HOST[::GUEST]       wasmtime's spelling of a read-write volume\n"
           "  -w, --workdir DIR      Working directory (must lie in a volume)\n"
           "  -p, --publish [IP:]HOSTPORT:PORT  Listen on HOSTPORT; the program accepts\n"
           "                         connections on the fd after its preopened directories\n"
           "  -i, --interactive      Attach stdin (otherwise the program reads end-of-file)\n"
           "  -t, --tty              Give the program a pseudo-terminal as its stdout and\n"
           "                         stderr (and stdin with -i, which needs a terminal)\n"
           "  -m, --memory SIZE      Maximum linear memory (e.g. 64m, 1g)\n"
           "      --entrypoint NAME  Exported function to call instead of _start\n"
           "                         (for a .wasm file; --invoke is accepted too)\n"
           "      --rm, -d, --name   Container options (images only)\n"
           "  -h, --help             Print this help\n"
           "\n"
           "Exit status: the program's own (proc_exit or 0); 134 if it traps (one line\n"
           "on stderr names the trap and the function); 125 if wasmbox fails; 126 if\n"
           "the module cannot be executed (invalid, or an unknown import); 127 if the\n"
           "file is not found.\n");
}

static int fail(int status, const wb_error *err)
{
    fprintf(stderr, "wasmbox: %s\n", err->message);
    return status;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int read_file(const char *path, uint8_t **out, size_t *len, wb_error *err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return wb_error_errno(err, errno, "%s", path);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return wb_error_errno(err, errno, "%s", path);
    if (!S_ISREG(st.st_mode))
        return wb_error_set(err, "%s: not a regular file", path);
    uint8_t *buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    if (!buf)
        return wb_error_oom(err);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(buf);
            return wb_error_errno(err, n < 0 ? errno : EIO, "%s", path);
        }
        got += (size_t)n;
    }
    *out = buf;
    *len = got;
    return 0;
}

/* ---- what the guest is given --------------------------------------------------- */

typedef struct run_env {
    wb_wasi_preopen *preopens;
    size_t npreopens;
    int *listeners;
    size_t nlisteners;
    char *workdir_host;
    const char **argv;
    const char **envp;
    size_t nenv;
} run_env;

static void run_env_free(run_env *r)
{
    free(r->preopens);
    for (size_t i = 0; i < r->nlisteners; i++)
        if (r->listeners[i] >= 0)
            close(r->listeners[i]);
    free(r->listeners);
    free(r->workdir_host);
    free(r->argv);
    free(r->envp);
}

/* The host directory behind guest directory `dir` (which must lie in a volume). */
static int workdir_host(const wb_run_options *o, const char *dir, char **out, bool *ro,
                        wb_error *err)
{
    const wb_volume *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < o->nvolumes; i++) {
        const char *g = o->volumes[i].guest;
        size_t l = strcmp(g, "/") == 0 ? 0 : strlen(g);
        bool under = strncmp(dir, g, l) == 0 && (dir[l] == 0 || dir[l] == '/');
        if (under && (!best || l >= best_len)) {
            best = &o->volumes[i];
            best_len = l;
        }
    }
    if (!best)
        return wb_error_set(err, "working directory %s is not inside a volume (-v)", dir);
    const char *rest = dir + best_len;
    while (*rest == '/')
        rest++;
    size_t n = strlen(best->host) + strlen(rest) + 2;
    *out = malloc(n);
    if (!*out)
        return wb_error_oom(err);
    snprintf(*out, n, "%s%s%s", best->host, *rest ? "/" : "", rest);
    *ro = best->readonly;
    return 0;
}

static int build_preopens(const wb_run_options *o, run_env *r, wb_error *err)
{
    r->preopens = calloc(o->nvolumes + 1, sizeof(*r->preopens));
    if (!r->preopens)
        return wb_error_oom(err);
    /* The working directory comes first, as ".": wasi-libc resolves relative paths
     * against the preopen with the longest matching name, and "." matches them all;
     * on a tie a later preopen wins, so an explicit volume still owns its own name. */
    if (o->workdir) {
        bool ro = false;
        if (workdir_host(o, o->workdir, &r->workdir_host, &ro, err) < 0)
            return -1;
        r->preopens[r->npreopens++] = (wb_wasi_preopen){r->workdir_host, -1, ".", ro};
    }
    for (size_t i = 0; i < o->nvolumes; i++) {
        const wb_volume *v = &o->volumes[i];
        r->preopens[r->npreopens++] = (wb_wasi_preopen){v->host, -1, v->guest, v->readonly};
    }
    return 0;
}

static int listen_on(const wb_port *p, int *out, wb_error *err)
{
    struct sockaddr_storage ss = {0};
    socklen_t len;
    const char *ip = p->ip ? p->ip : "0.0.0.0";
    bool v6 = strchr(ip, ':') != NULL;
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(p->host_port);
        len = sizeof(*a);
        if (inet_pton(AF_INET6, ip, &a->sin6_addr) != 1)
            return wb_error_set(err, "invalid address %s", ip);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(p->host_port);
        len = sizeof(*a);
        if (inet_pton(AF_INET, ip, &a->sin_addr) != 1)
            return wb_error_set(err, "invalid address %s", ip);
    }
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return wb_error_errno(err, errno, "socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 128) < 0) {
        int e = errno;
        close(fd);
        return wb_error_errno(err, e, "cannot listen on %s:%u", ip, p->host_port);
    }
    *out = fd;
    return 0;
}

static int build_env(const wb_run_options *o, run_env *r, wb_error *err)
{
    if (o->nports) {
        r->listeners = malloc(o->nports * sizeof(int));
        if (!r->listeners)
            return wb_error_oom(err);
        for (size_t i = 0; i < o->nports; i++) {
            if (listen_on(&o->ports[i], &r->listeners[i], err) < 0)
                return -1;
            r->nlisteners++;
        }
    }
    r->argv = malloc((size_t)(o->nargs + 1) * sizeof(char *));
    r->envp = malloc((o->env.n + 1) * sizeof(char *));
    if (!r->argv || !r->envp)
        return wb_error_oom(err);
    /* argv[0] is the module's name, as a shell would give a native program. */
    const char *slash = strrchr(o->target, '/');
    r->argv[0] = slash ? slash + 1 : o->target;
    for (int i = 0; i < o->nargs; i++)
        r->argv[i + 1] = o->args[i];
    /* A later -e K=... replaces an earlier one (wasi-libc's getenv takes the first). */
    for (size_t i = 0; i < o->env.n; i++) {
        const char *kv = o->env.v[i];
        size_t klen = strcspn(kv, "=");
        bool replaced = false;
        for (size_t j = i + 1; j < o->env.n && !replaced; j++)
            replaced = strncmp(o->env.v[j], kv, klen + 1) == 0;
        if (!replaced)
            r->envp[r->nenv++] = kv;
    }
    return build_preopens(o, r, err);
}

/* ---- running ------------------------------------------------------------------- */

static int report_trap(const char *name, wb_trap *t)
{
    const char *what = t->message[0] ? t->message : wb_trap_kind_text(t->kind);
    if (t->func_name[0])
        fprintf(stderr, "wasmbox: %s: trap: %s in function '%s'\n", name, what, t->func_name);
    else
        fprintf(stderr, "wasmbox: %s: trap: %s\n", name, what);
    if (wb_cli_debug)
        fprintf(stderr, "wasmbox: debug: trap kind %d, function index %u\n", (int)t->kind,
                t->func_index);
    wb_trap_free(t);
    return EXIT_TRAP;
}

typedef struct run_objs {
    wb_module *module;
    wb_store *store;
    wb_wasi *wasi;
    wb_extern *imports;
} run_objs;

static void run_objs_free(run_objs *r)
{
    free(r->imports);
    wb_store_free(r->store);
    wb_wasi_free(r->wasi);
    wb_module_free(r->module);
}

/* The program's stdio: ours, or with -t the pty's slave (tty_fd >= 0). */
static void stdio_fds(const wb_run_options *o, int tty_fd, wb_wasi_config *cfg)
{
    cfg->stdin_fd = !o->interactive      ? WB_WASI_STDIN_EMPTY
                    : tty_fd >= 0        ? tty_fd
                    : wb_stdio_closed[0] ? -1
                                         : 0;
    cfg->stdout_fd = tty_fd >= 0 ? tty_fd : wb_stdio_closed[1] ? -1 : 1;
    cfg->stderr_fd = tty_fd >= 0 ? tty_fd : wb_stdio_closed[2] ? -1 : 2;
}

static int instantiate_and_run(const wb_run_options *o, const char *name, run_objs *r,
                               const run_env *env, int tty_fd)
{
    wb_error err = {0};
    wb_wasi_config cfg = {
        .argv = env->argv,
        .argc = (size_t)o->nargs + 1,
        .envp = env->envp,
        .envc = env->nenv,
        .preopens = env->preopens,
        .npreopens = env->npreopens,
        .listen_fds = env->listeners,
        .nlisten = env->nlisteners,
    };
    stdio_fds(o, tty_fd, &cfg);
    if (wb_wasi_new(&cfg, &r->wasi, &err) < 0)
        return fail(EXIT_WASMBOX, &err);
    /* The listeners now belong to the WASI context. */
    for (size_t i = 0; i < env->nlisteners; i++)
        env->listeners[i] = -1;
    wb_limits_config limits = {.max_memory_bytes = o->memory};
    if (wb_store_new(&limits, &r->store, &err) < 0)
        return fail(EXIT_WASMBOX, &err);
    uint32_t n = wb_module_import_count(r->module);
    r->imports = calloc(n ? n : 1, sizeof(*r->imports));
    if (!r->imports)
        return fail(EXIT_WASMBOX, (wb_error_oom(&err), &err));
    if (wb_wasi_link(r->wasi, r->store, r->module, r->imports, &err) < 0)
        return fail(EXIT_CANNOT_EXEC, (wb_error_prefix(&err, "%s", name), &err));
    wb_instance *inst;
    wb_trap *trap = NULL;
    if (wb_instance_new(r->store, r->module, r->imports, n, &inst, &trap, &err) < 0) {
        if (trap && trap->kind == WB_TRAP_EXIT) {
            int code = trap->exit_code;
            wb_trap_free(trap);
            return code;
        }
        if (trap)
            return report_trap(name, trap);
        return fail(EXIT_CANNOT_EXEC, (wb_error_prefix(&err, "%s", name), &err));
    }
    int code = 0;
    if (wb_wasi_run(r->wasi, r->store, inst, o->entrypoint, &code, &trap, &err) < 0)
        return fail(EXIT_CANNOT_EXEC, (wb_error_prefix(&err, "%s", name), &err));
    if (trap)
        return report_trap(name, trap);
    return code;
}

static int run_file(const wb_run_options *o)
{
    wb_error err = {0};
    if (o->detach)
        return fprintf(stderr, "wasmbox: -d/--detach needs an image, not a .wasm file\n"),
               EXIT_WASMBOX;
    const char *slash = strrchr(o->target, '/');
    const char *name = slash ? slash + 1 : o->target;
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (read_file(o->target, &bytes, &len, &err) < 0)
        return fail(err.code == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC, &err);
    run_objs r = {0};
    int ret = wb_module_new(bytes, len, &r.module, &err);
    free(bytes);
    if (ret < 0)
        return fail(EXIT_CANNOT_EXEC, (wb_error_prefix(&err, "%s", name), &err));
    run_env env = {0};
    wb_tty *tty = NULL;
    int tty_fd = -1;
    int status;
    if (build_env(o, &env, &err) < 0)
        status = fail(EXIT_WASMBOX, &err);
    else if (o->tty && wb_tty_open(wb_stdio_closed[0] ? -1 : 0, wb_stdio_closed[1] ? -1 : 1,
                                   o->interactive, &tty, &tty_fd, &err) < 0)
        status = fail(EXIT_WASMBOX, &err);
    else
        status = instantiate_and_run(o, name, &r, &env, tty_fd);
    /* The WASI context only borrows the terminal: free it first, then let the
     * relay copy the rest and give our terminal back its modes. */
    run_objs_free(&r);
    wb_tty_close(tty);
    run_env_free(&env);
    return status;
}

int cmd_run(int argc, char **argv)
{
    wb_run_options o;
    wb_error err = {0};
    /* --restart and --stop-timeout only mean something to a container; the
     * container module takes them out of argv before the common flags are parsed. */
    if (wb_cli_run_take_container_flags(&argc, argv) != 0)
        return EXIT_WASMBOX;
    if (wb_run_options_parse(argc, argv, &o, &err) < 0) {
        wb_run_options_free(&o);
        fprintf(stderr, "wasmbox: run: %s (see 'wasmbox run --help')\n", err.message);
        return EXIT_WASMBOX;
    }
    int status;
    if (o.help) {
        run_help();
        status = 0;
    } else {
        /* A program writing to a closed pipe gets EPIPE, as it would natively
         * with SIGPIPE ignored, instead of killing wasmbox silently. */
        signal(SIGPIPE, SIG_IGN);
        struct stat st;
        /* docker: -i -t attaches our stdin to the program's terminal, which only
         * a terminal can drive (-t alone works anywhere). */
        if (o.interactive && o.tty && !o.detach && (wb_stdio_closed[0] || !isatty(0))) {
            fprintf(stderr, "wasmbox: the input device is not a TTY\n");
            wb_run_options_free(&o);
            return 1;
        }
        bool is_file = ends_with(o.target, ".wasm") ||
                       (strchr(o.target, '/') && stat(o.target, &st) == 0 && S_ISREG(st.st_mode));
        if (is_file || !wb_cli_run_image)
            status = run_file(&o);
        else
            status = wb_cli_run_image(&o);
    }
    wb_run_options_free(&o);
    return status;
}
