/*
 * cmd_container.c — `wasmbox container SUBCOMMAND` (docker's management command:
 * ls/ps, run, create, start, stop, kill, rm, wait, logs, stats, restart, inspect,
 * prune), and the plain `create` and `start` commands.
 *
 * `container run` and `create` accept every flag of `run` plus --restart and
 * --stop-timeout.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "options.h"
#include "run_container.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: wasmbox container COMMAND\n"
               "\n"
               "Manage containers.\n"
               "\n"
               "Commands:\n"
               "  create    Create a new container\n"
               "  inspect   Display detailed information on one or more containers\n"
               "  kill      Kill one or more running containers\n"
               "  logs      Fetch the logs of a container\n"
               "  ls        List containers (also: ps, list)\n"
               "  prune     Remove all stopped containers\n"
               "  restart   Restart one or more containers\n"
               "  rm        Remove one or more containers\n"
               "  run       Create and run a new container from an image\n"
               "  start     Start one or more stopped containers\n"
               "  stats     Display resource usage statistics\n"
               "  stop      Stop one or more running containers\n"
               "  wait      Block until containers stop, then print their exit codes\n");
}

/* run/create: the run flags plus --restart/--stop-timeout. */
static int run_like(int argc, char **argv, bool create)
{
    int ret = wb_cli_run_take_container_flags(&argc, argv);
    if (ret)
        return ret;
    if (!create)
        return cmd_run(argc, argv);
    wb_run_options o;
    wb_error err = {0};
    if (wb_run_options_parse(argc, argv, &o, &err) < 0) {
        wb_run_options_free(&o);
        fprintf(stderr, "wasmbox: create: %s (see 'wasmbox create --help')\n", err.message);
        return WB_CTR_EXIT_ERROR;
    }
    if (o.help) {
        wb_run_options_free(&o);
        printf("Usage: wasmbox create [OPTIONS] IMAGE [ARG...]\n\n"
               "Create a new container (the options of 'wasmbox run', plus\n"
               "--restart no|on-failure[:N]|always|unless-stopped and --stop-timeout N).\n");
        return 0;
    }
    /* Reuse the run path's spec building by running with a create-only flag is not
     * possible through wb_run_options, so build the spec here. */
    wb_ctr_volume *vols = calloc(o.nvolumes + 1, sizeof *vols);
    wb_ctr_port *ports = calloc(o.nports + 1, sizeof *ports);
    int status = WB_CTR_EXIT_ERROR;
    if (vols && ports) {
        for (size_t i = 0; i < o.nvolumes; i++)
            vols[i] = (wb_ctr_volume){o.volumes[i].host, o.volumes[i].guest, o.volumes[i].readonly};
        for (size_t i = 0; i < o.nports; i++)
            ports[i] = (wb_ctr_port){o.ports[i].ip, o.ports[i].host_port, o.ports[i].port};
        wb_ctr_spec spec = {.image = o.target,
                            .name = o.name,
                            .args = (const char *const *)o.args,
                            .nargs = (size_t)o.nargs,
                            .env = (const char *const *)o.env.v,
                            .nenv = o.env.n,
                            .volumes = vols,
                            .nvolumes = o.nvolumes,
                            .ports = ports,
                            .nports = o.nports,
                            .workdir = o.workdir,
                            .entrypoint = o.entrypoint,
                            .memory = o.memory,
                            .stop_timeout = wb_cli_run_stop_timeout(),
                            .auto_remove = o.rm,
                            .interactive = o.interactive,
                            .tty = o.tty};
        char id[WB_CTR_ID_LEN + 1];
        if (wb_restart_policy_parse(wb_cli_run_restart(), &spec.restart, &err) < 0 ||
            wb_container_create(NULL, &spec, id, &status, &err) < 0)
            fprintf(stderr, "wasmbox: %s\n", err.message);
        else
            printf("%s\n", id);
    }
    free(vols);
    free(ports);
    wb_run_options_free(&o);
    return status;
}

int cmd_create(int argc, char **argv)
{
    return run_like(argc, argv, true);
}

static int start_one(const char *id, void *arg, wb_error *err)
{
    (void)arg;
    return wb_container_start(NULL, id, err);
}

int cmd_start(int argc, char **argv)
{
    static const struct option longs[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = wb_ctr_cli_getopt(argc, argv, ":h", longs)) != -1) {
        if (c == 'h') {
            printf("Usage: wasmbox start CONTAINER [CONTAINER...]\n\n"
                   "Start one or more stopped containers (detached).\n");
            return 0;
        }
        return WB_CTR_CLI_USAGE;
    }
    if (optind >= argc)
        return wb_ctr_cli_usage(argv[0], "\"start\" requires at least 1 argument");
    return wb_ctr_cli_each(argc, argv, optind, start_one, NULL);
}

int cmd_container_inspect(int argc, char **argv)
{
    if (argc < 2)
        return wb_ctr_cli_usage("container inspect", "requires at least 1 argument");
    int status = 0;
    bool first = true;
    printf("[");
    for (int i = 1; i < argc; i++) {
        char *json;
        wb_error err = {0};
        if (wb_container_inspect_json(NULL, argv[i], &json, &err) < 0) {
            status = wb_ctr_cli_fail(&err);
            continue;
        }
        printf("%s%s", first ? "\n" : ",\n", json);
        first = false;
        free(json);
    }
    printf("%s]\n", first ? "" : "\n");
    return status;
}

int cmd_container_prune(int argc, char **argv)
{
    (void)argc, (void)argv;
    wb_ctr_info *list;
    size_t n;
    wb_error err = {0};
    if (wb_container_list(NULL, true, &list, &n, &err) < 0)
        return wb_ctr_cli_fail(&err);
    printf("Deleted Containers:\n");
    int status = 0;
    for (size_t i = 0; i < n; i++) {
        if (list[i].status == WB_CTR_RUNNING || list[i].status == WB_CTR_RESTARTING)
            continue;
        if (wb_container_remove(NULL, list[i].id, false, &err) < 0)
            status = wb_ctr_cli_fail(&err);
        else
            printf("%s\n", list[i].id);
    }
    wb_container_list_free(list, n);
    printf("\nTotal reclaimed space: 0B\n");
    return status;
}

static const wb_command subcommands[] = {
    {"ls", cmd_ps, NULL},
    {"ps", cmd_ps, NULL},
    {"list", cmd_ps, NULL},
    {"create", cmd_create, NULL},
    {"start", cmd_start, NULL},
    {"stop", cmd_stop, NULL},
    {"kill", cmd_kill, NULL},
    {"rm", cmd_rm, NULL},
    {"remove", cmd_rm, NULL},
    {"wait", cmd_wait, NULL},
    {"logs", cmd_logs, NULL},
    {"stats", cmd_stats, NULL},
    {"restart", cmd_restart, NULL},
    {"inspect", cmd_container_inspect, NULL},
    {"prune", cmd_container_prune, NULL},
    {NULL, NULL, NULL},
};

int cmd_container(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? WB_CTR_CLI_USAGE : 0;
    }
    if (strcmp(argv[1], "run") == 0)
        return run_like(argc - 1, argv + 1, false);
    for (const wb_command *c = subcommands; c->name; c++)
        if (strcmp(c->name, argv[1]) == 0)
            return c->run(argc - 1, argv + 1);
    fprintf(stderr,
            "wasmbox: 'container %s' is not a wasmbox command (see 'wasmbox container "
            "--help')\n",
            argv[1]);
    return WB_CTR_CLI_USAGE;
}
