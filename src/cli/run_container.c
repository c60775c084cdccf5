/*
 * run_container.c — `wasmbox run [OPTIONS] IMAGE [ARG...]`: the run flags (parsed
 * by options.c, shared with `run FILE.wasm`) turned into a container spec, handed
 * to the container library, and the outcome reported as docker reports it: the
 * program's own status, or one `wasmbox: ...` line and 125/126/127.
 *
 * Also the few helpers every container command uses (errors, flags, references).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run_container.h"

/* --restart and --stop-timeout, taken out of argv by wb_cli_run_take_container_flags. */
static struct {
    char restart[64];
    int stop_timeout;
    bool set;
} extra = {"", -1, false};

static int take_value(int *argc, char **argv, int i, const char *flag, const char **val)
{
    size_t fl = strlen(flag);
    const char *a = argv[i];
    int words = 1;
    if (a[fl] == '=') {
        *val = a + fl + 1;
    } else if (i + 1 < *argc) {
        *val = argv[i + 1];
        words = 2;
    } else {
        fprintf(stderr, "wasmbox: run: flag needs an argument: %s (see 'wasmbox run --help')\n",
                flag);
        return -1;
    }
    return words;
}

int wb_cli_run_take_container_flags(int *argc, char **argv)
{
    for (int i = 1; i < *argc;) {
        const char *a = argv[i];
        if (a[0] != '-' || strcmp(a, "--") == 0)
            break;
        const char *flag = NULL;
        if (strncmp(a, "--restart", 9) == 0 && (a[9] == 0 || a[9] == '='))
            flag = "--restart";
        else if (strncmp(a, "--stop-timeout", 14) == 0 && (a[14] == 0 || a[14] == '='))
            flag = "--stop-timeout";
        if (!flag) {
            /* Skip a flag's separate value so it is not taken for a flag itself. */
            static const char *const with_value[] = {
                "--name",       "-e",        "--env",    "--env-file", "-v", "--volume",
                "-w",           "--workdir", "-p",       "--publish",  "-m", "--memory",
                "--entrypoint", "--dir",     "--mapdir", "--invoke",   NULL};
            int skip = 1;
            for (int k = 0; with_value[k]; k++)
                if (strcmp(a, with_value[k]) == 0)
                    skip = 2;
            i += skip;
            continue;
        }
        const char *val;
        int words = take_value(argc, argv, i, flag, &val);
        if (words < 0)
            return WB_CTR_EXIT_ERROR;
        if (flag[2] == 'r') {
            snprintf(extra.restart, sizeof extra.restart, "%s", val);
        } else {
            char *end;
            long t = strtol(val, &end, 10);
            if (!*val || *end || t < -1 || t > 0xfffe) {
                fprintf(stderr,
                        "wasmbox: run: invalid --stop-timeout \"%s\" (see 'wasmbox run "
                        "--help')\n",
                        val);
                return WB_CTR_EXIT_ERROR;
            }
            extra.stop_timeout = (int)t;
        }
        extra.set = true;
        memmove(argv + i, argv + i + words, (size_t)(*argc - i - words + 1) * sizeof *argv);
        *argc -= words;
    }
    return 0;
}

const char *wb_cli_run_restart(void)
{
    return extra.restart;
}

int wb_cli_run_stop_timeout(void)
{
    return extra.stop_timeout;
}

static int fail(int status, const wb_error *err)
{
    fprintf(stderr, "wasmbox: %s\n", err->message);
    return status;
}

typedef struct spec_buf {
    wb_ctr_volume *volumes;
    wb_ctr_port *ports;
} spec_buf;

static int build_spec(const wb_run_options *o, const char *image, int argc, char **argv,
                      wb_ctr_spec *spec, spec_buf *b, wb_error *err)
{
    memset(spec, 0, sizeof *spec);
    b->volumes = calloc(o->nvolumes + 1, sizeof *b->volumes);
    b->ports = calloc(o->nports + 1, sizeof *b->ports);
    if (!b->volumes || !b->ports)
        return wb_error_oom(err);
    for (size_t i = 0; i < o->nvolumes; i++)
        b->volumes[i] =
            (wb_ctr_volume){o->volumes[i].host, o->volumes[i].guest, o->volumes[i].readonly};
    for (size_t i = 0; i < o->nports; i++)
        b->ports[i] = (wb_ctr_port){o->ports[i].ip, o->ports[i].host_port, o->ports[i].port};
    spec->image = image;
    spec->name = o->name;
    spec->args = (const char *const *)argv;
    spec->nargs = (size_t)argc;
    spec->env = (const char *const *)o->env.v;
    spec->nenv = o->env.n;
    spec->volumes = b->volumes;
    spec->nvolumes = o->nvolumes;
    spec->ports = b->ports;
    spec->nports = o->nports;
    spec->workdir = o->workdir;
    spec->entrypoint = o->entrypoint;
    spec->memory = o->memory;
    spec->stop_timeout = extra.stop_timeout;
    spec->auto_remove = o->rm;
    spec->interactive = o->interactive;
    spec->tty = o->tty;
    return wb_restart_policy_parse(extra.restart, &spec->restart, err);
}

int wb_cli_run_container(const wb_run_options *opts, const char *image, int argc, char **argv)
{
    wb_ctr_spec spec;
    spec_buf b = {0};
    wb_error err = {0};
    int status;
    if (build_spec(opts, image, argc, argv, &spec, &b, &err) < 0) {
        status = fail(WB_CTR_EXIT_ERROR, &err);
    } else {
        wb_ctr_stdio io = {wb_stdio_closed[0] ? -1 : 0, wb_stdio_closed[1] ? -1 : 1,
                           wb_stdio_closed[2] ? -1 : 2};
        char id[WB_CTR_ID_LEN + 1];
        fflush(stdout);
        if (wb_container_run(NULL, &spec, opts->detach, &io, id, &status, &err) < 0)
            fail(status, &err);
        else if (opts->detach)
            printf("%s\n", id);
    }
    free(b.volumes);
    free(b.ports);
    return status;
}

/* options.h declares this weak: defining it routes `wasmbox run IMAGE` here. */
int wb_cli_run_image(const wb_run_options *o)
{
    return wb_cli_run_container(o, o->target, o->nargs, o->args);
}

/* ---- helpers of the container commands ------------------------------------------ */

int wb_ctr_cli_fail(const wb_error *err)
{
    fprintf(stderr, "wasmbox: %s\n", err->message);
    return WB_CTR_CLI_FAIL;
}

int wb_ctr_cli_usage(const char *cmd, const char *msg)
{
    fprintf(stderr, "wasmbox %s: %s\nSee 'wasmbox %s --help'.\n", cmd, msg, cmd);
    return WB_CTR_CLI_USAGE;
}

int wb_ctr_cli_getopt(int argc, char **argv, const char *shorts, const struct option *longs)
{
    opterr = 0;
    int c = getopt_long(argc, argv, shorts, longs, NULL);
    if (c != '?' && c != ':')
        return c;
    char msg[256];
    const char *word = optind > 0 && optind <= argc && argv[optind - 1] ? argv[optind - 1] : "";
    if (c == ':')
        snprintf(msg, sizeof msg, "flag needs an argument: %s", word);
    else if (strncmp(word, "--", 2) == 0)
        snprintf(msg, sizeof msg, "unknown flag: %.*s", (int)strcspn(word, "="), word);
    else
        snprintf(msg, sizeof msg, "unknown shorthand flag: '%c' in %s", optopt, word);
    wb_ctr_cli_usage(argv[0], msg);
    return '?';
}

int wb_ctr_cli_resolve(const char *ref, char id[WB_CTR_ID_LEN + 1])
{
    wb_error err = {0};
    if (wb_container_resolve(NULL, ref, id, &err) < 0) {
        wb_ctr_cli_fail(&err);
        return -1;
    }
    return 0;
}

int wb_ctr_cli_each(int argc, char **argv, int first, wb_ctr_cli_action act, void *arg)
{
    int status = 0;
    for (int i = first; i < argc; i++) {
        char id[WB_CTR_ID_LEN + 1];
        wb_error err = {0};
        if (wb_ctr_cli_resolve(argv[i], id) < 0) {
            status = WB_CTR_CLI_FAIL;
            continue;
        }
        if (act(id, arg, &err) < 0) {
            status = wb_ctr_cli_fail(&err);
            continue;
        }
        printf("%s\n", argv[i]);
        fflush(stdout);
    }
    return status;
}

int wb_ctr_cli_each_timed(int argc, char **argv, const char *verb, void (*usage)(FILE *),
                          wb_ctr_cli_action act)
{
    static const struct option longs[] = {{"time", required_argument, NULL, 't'},
                                          {"timeout", required_argument, NULL, 't'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    int timeout = -1, c;
    optind = 1;
    while ((c = wb_ctr_cli_getopt(argc, argv, ":t:h", longs)) != -1) {
        char *end;
        switch (c) {
        case 't':
            timeout = (int)strtol(optarg, &end, 10);
            if (!*optarg || *end || timeout < 0)
                return wb_ctr_cli_usage(argv[0], "invalid --time value");
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return WB_CTR_CLI_USAGE;
        }
    }
    if (optind >= argc) {
        char msg[64];
        snprintf(msg, sizeof msg, "\"%s\" requires at least 1 argument", verb);
        return wb_ctr_cli_usage(argv[0], msg);
    }
    return wb_ctr_cli_each(argc, argv, optind, act, &timeout);
}

void wb_ctr_cli_mem_size(uint64_t bytes, char *buf, size_t len)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%lluB", (unsigned long long)bytes);
    else
        snprintf(buf, len, "%.4g%s", v, units[u]);
}
