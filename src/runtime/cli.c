/*
 * cli.c — runc's command line: global flags, then a command and its own flags.
 *
 * Engines put the global flags before the command in both "--flag value" and
 * "--flag=value" forms (podman mixes them in one call), and daemon configs may add
 * runtime arguments of their own in front; unknown global flags are therefore
 * skipped rather than refused. --classic-runtime is ours and is taken out of the
 * arguments handed to the classic runtime; everything else is passed on unchanged.
 */
#include <errno.h>
#include <limits.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rt.h"

#define RT_VERSION "0.1.0"

/* ---- command options -------------------------------------------------------------- */

static const rt_opt *find_opt(const rt_opt *opts, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        bool match = len == 1
                         ? opts[i].short_name == name[0] ||
                               (opts[i].name[0] == name[0] && opts[i].name[1] == 0)
                         : strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0;
        if (match)
            return &opts[i];
    }
    return NULL;
}

int rt_parse_opts(int argc, char **argv, const rt_opt *opts, size_t nopts, int *first_operand,
                  wb_error *err)
{
    int i = 0;
    while (i < argc) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == 0)
            break;
        const char *name = a + (a[1] == '-' ? 2 : 1);
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const rt_opt *o = find_opt(opts, nopts, name, len);
        if (!o)
            return wb_error_set(err, "flag provided but not defined: -%.*s", (int)len, name);
        if (o->takes_value) {
            if (eq)
                *o->value = eq + 1;
            else if (i + 1 < argc)
                *o->value = argv[++i];
            else
                return wb_error_set(err, "flag needs an argument: -%s", o->name);
        } else if (o->flag) {
            *o->flag = !eq || strcmp(eq + 1, "false") != 0;
        }
        i++;
    }
    *first_operand = i;
    return 0;
}

int rt_target(rt_ctx *ctx, int argc, char **argv, const rt_opt *opts, size_t nopts, const char **id)
{
    wb_error err = {0};
    int first;
    if (rt_parse_opts(argc - 1, argv + 1, opts, nopts, &first, &err) < 0) {
        rt_log_error(ctx, "%s", err.message);
        return -1;
    }
    first++; /* argv[0] is the command */
    if (first >= argc) {
        rt_log_error(ctx, "%s: container id cannot be empty", argv[0]);
        return -1;
    }
    *id = argv[first];
    return rt_state_exists(ctx, *id) ? 0 : 1;
}

/* ---- signals ---------------------------------------------------------------------- */

int rt_signal_parse(const char *s)
{
    char *end;
    long n = strtol(s, &end, 10);
    if (*s && !*end)
        return n > 0 && n < NSIG ? (int)n : -1;
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (int sig = 1; sig < SIGRTMIN; sig++) {
        const char *abbrev = sigabbrev_np(sig);
        if (abbrev && strcasecmp(abbrev, s) == 0)
            return sig;
    }
    if (strncasecmp(s, "RTMIN+", 6) == 0) {
        n = strtol(s + 6, &end, 10);
        if (!*end && n >= 0 && SIGRTMIN + n <= SIGRTMAX)
            return SIGRTMIN + (int)n;
    }
    return -1;
}

/* ---- delegation ------------------------------------------------------------------- */

int rt_delegate(const rt_ctx *ctx)
{
    char **argv = calloc((size_t)ctx->argc + 1, sizeof *argv);
    if (!argv) {
        rt_log_error(ctx, "out of memory");
        return 1;
    }
    argv[0] = (char *)ctx->classic;
    for (int i = 1; i < ctx->argc; i++)
        argv[i] = ctx->argv[i];
    rt_log_debug(ctx, "not a wasm container: handing the command to %s", ctx->classic);
    execvp(ctx->classic, argv);
    int e = errno;
    free(argv);
    if (e == ENOENT)
        rt_log_error(ctx, "classic runtime \"%s\": executable file not found in $PATH",
                     ctx->classic);
    else
        rt_log_error(ctx, "classic runtime \"%s\": %s", ctx->classic, strerror(e));
    return e == ENOENT ? 127 : 126;
}

/* ---- the command table ------------------------------------------------------------ */

/* Commands that have no meaning for a wasm container go to the classic runtime when
 * the id is not ours, and fail clearly when it is. */
static int cmd_unsupported(rt_ctx *ctx, int argc, char **argv)
{
    const char *id = argc > 1 ? argv[argc - 1] : "";
    if (strcmp(argv[0], "spec") == 0 || !rt_state_exists(ctx, id))
        return rt_delegate(ctx);
    rt_log_error(ctx, "%s: not supported for wasm containers", argv[0]);
    return 1;
}

typedef struct rt_command {
    const char *name;
    int (*fn)(rt_ctx *, int, char **);
    const char *help;
} rt_command;

static const rt_command commands[] = {
    {"create", rt_cmd_create, "create a container"},
    {"start", rt_cmd_start, "execute the user defined process in a created container"},
    {"state", rt_cmd_state, "output the state of a container"},
    {"kill", rt_cmd_kill, "send a signal to the container's init process"},
    {"delete", rt_cmd_delete, "delete resources held by the container"},
    {"run", rt_cmd_run, "create and run a container"},
    {"exec", rt_cmd_exec, "run a new process (a .wasm file) inside the container"},
    {"ps", rt_cmd_ps, "list the processes running inside a container"},
    {"pause", rt_cmd_pause, "suspend all processes inside the container"},
    {"resume", rt_cmd_resume, "resume all processes that have been previously paused"},
    {"update", rt_cmd_update, "update container resource constraints"},
    {"list", rt_cmd_list, "list the wasm containers under --root"},
    {"features", rt_cmd_features, "show the enabled features"},
    {"events", cmd_unsupported, "(classic containers only)"},
    {"checkpoint", cmd_unsupported, "(classic containers only)"},
    {"restore", cmd_unsupported, "(classic containers only)"},
    {"spec", cmd_unsupported, "(handed to the classic runtime)"},
};

static void usage(void)
{
    printf("usage: " RT_NAME " [global options] COMMAND [options] ID\n\n"
           "runc-compatible OCI runtime: wasm bundles run on wasmbox, others on the classic\n"
           "runtime.\n\nCommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        printf("  %-11s %s\n", commands[i].name, commands[i].help);
    printf(
        "\nGlobal options:\n"
        "  --root DIR               state directory (default " RT_DEFAULT_ROOT ")\n"
        "  --log FILE               log file (errors are also printed on stderr)\n"
        "  --log-format text|json   format of the log file (default text)\n"
        "  --debug                  log debug lines\n"
        "  --systemd-cgroup         linux.cgroupsPath is slice:prefix:name\n"
        "  --classic-runtime PATH   runtime for non-wasm bundles (default $" WB_RUNTIME_CLASSIC_ENV
        " or runc)\n"
        "  --version, --help\n");
}

static void version(void)
{
    const struct scmp_version *v = seccomp_version();
    const char *classic = getenv(WB_RUNTIME_CLASSIC_ENV);
    printf(RT_NAME " version " RT_VERSION "\n"
                   "spec: " RT_OCI_VERSION "\n"
                   "engine: wasmbox (WebAssembly 2.0, WASI preview1)\n"
                   "classic runtime: %s\n"
                   "libseccomp: %u.%u.%u\n",
           classic && *classic ? classic : "runc", v->major, v->minor, v->micro);
}

/* ---- global flags ----------------------------------------------------------------- */

/* Whether a global flag takes a value, for the flags runc knows. */
static bool global_takes_value(const char *name)
{
    static const char *const with_value[] = {"root", "log",      "log-format",
                                             "criu", "rootless", "classic-runtime"};
    for (size_t i = 0; i < sizeof with_value / sizeof with_value[0]; i++)
        if (strcmp(name, with_value[i]) == 0)
            return true;
    return false;
}

static void global_set(rt_ctx *ctx, const char *name, const char *value)
{
    if (strcmp(name, "root") == 0)
        ctx->root = value;
    else if (strcmp(name, "log") == 0)
        ctx->log_path = value;
    else if (strcmp(name, "log-format") == 0)
        ctx->log_json = strcmp(value, "json") == 0;
    else if (strcmp(name, "classic-runtime") == 0)
        ctx->classic = value;
    else if (strcmp(name, "debug") == 0)
        ctx->debug = !value || strcmp(value, "false") != 0;
    else if (strcmp(name, "systemd-cgroup") == 0)
        ctx->systemd_cgroup = !value || strcmp(value, "false") != 0;
}

/* Parses the global flags into ctx and returns the index of the command (argc if
 * none). ctx->argv keeps every argument except --classic-runtime's. */
static int parse_globals(int argc, char **argv, rt_ctx *ctx, bool *want_version, bool *want_help)
{
    int i = 1;
    ctx->argv[ctx->argc++] = argv[0];
    while (i < argc && argv[i][0] == '-' && argv[i][1]) {
        const char *a = argv[i];
        const char *name = a + (a[1] == '-' ? 2 : 1);
        const char *eq = strchr(name, '=');
        char key[32];
        snprintf(key, sizeof key, "%.*s", (int)(eq ? (size_t)(eq - name) : strlen(name)), name);
        bool ours = strcmp(key, "classic-runtime") == 0;
        const char *value = eq ? eq + 1 : NULL;
        if (!ours)
            ctx->argv[ctx->argc++] = argv[i];
        if (!eq && global_takes_value(key) && i + 1 < argc) {
            value = argv[++i];
            if (!ours)
                ctx->argv[ctx->argc++] = argv[i];
        }
        if (strcmp(key, "version") == 0 || strcmp(key, "v") == 0)
            *want_version = true;
        else if (strcmp(key, "help") == 0 || strcmp(key, "h") == 0)
            *want_help = true;
        else
            global_set(ctx, key, value);
        i++;
    }
    for (int j = i; j < argc; j++)
        ctx->argv[ctx->argc++] = argv[j];
    ctx->argv[ctx->argc] = NULL;
    return i;
}

static char *absolute(const char *path)
{
    char cwd[PATH_MAX];
    if (path[0] == '/')
        return strdup(path);
    return getcwd(cwd, sizeof cwd) ? rt_strf("%s/%s", cwd, path) : NULL;
}

int wb_runtime_main(int argc, char **argv)
{
    const char *classic = getenv(WB_RUNTIME_CLASSIC_ENV);
    rt_ctx ctx = {.root = RT_DEFAULT_ROOT, .classic = classic && *classic ? classic : "runc"};
    ctx.argv = calloc((size_t)argc + 1, sizeof *ctx.argv);
    if (!ctx.argv) {
        dprintf(2, "out of memory\n");
        return 1;
    }
    if (argc > 0) {
        ctx.argv_area = argv[0];
        ctx.argv_area_len = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) + 1 - argv[0]);
    }
    bool want_version = false, want_help = false;
    int cmd = parse_globals(argc, argv, &ctx, &want_version, &want_help);
    int ret = 1;
    _cleanup_free_ char *root = absolute(ctx.root);
    ctx.root = root;
    if (!root) {
        rt_log_error(&ctx, "root directory: %s", strerror(errno));
    } else if (want_version) {
        version();
        ret = 0;
    } else if (want_help || cmd >= argc || strcmp(argv[cmd], "help") == 0) {
        usage();
        ret = cmd >= argc && !want_help;
    } else {
        size_t i = 0;
        while (i < sizeof commands / sizeof commands[0] && strcmp(commands[i].name, argv[cmd]))
            i++;
        if (i < sizeof commands / sizeof commands[0])
            ret = commands[i].fn(&ctx, argc - cmd, argv + cmd);
        else
            rt_log_error(&ctx, "No help topic for '%s'", argv[cmd]);
    }
    free(ctx.argv);
    return ret;
}
