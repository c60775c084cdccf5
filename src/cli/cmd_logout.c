/*
 * cmd_logout.c — `wasmbox logout [-a] [REGISTRY]`: forgets the stored credentials
 * of a registry (docker.io when none is given), or of every registry with -a.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "image_cli.h"
#include "wasmbox/registry.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: wasmbox logout [OPTIONS] [REGISTRY]\n"
               "\n"
               "Remove the stored credentials of a registry (docker.io when none is given).\n"
               "\n"
               "Options:\n"
               "  -a, --all            Remove the credentials of every registry\n"
               "      --authfile FILE  Remove them from FILE\n"
               "  -h, --help           Print this help\n");
}

int cmd_logout(int argc, char **argv)
{
    static const struct option opts[] = {
        {"all", no_argument, NULL, 'a'},
        {"authfile", required_argument, NULL, WBCLI_OPT_AUTHFILE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    wb_registry_options o = {0};
    bool all = false;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "ah", opts, NULL)) != -1) {
        int r = wbcli_registry_opt(c, optarg, "logout", &o);
        if (r < 0)
            return -r;
        if (r > 0)
            continue;
        if (c == 'a')
            all = true;
        else if (c == 'h') {
            usage(stdout);
            return 0;
        } else
            return wbcli_usage_error("logout", "unknown flag or missing value");
    }
    if (argc - optind > 1 || (all && argc - optind > 0))
        return wbcli_usage_error("logout", "accepts one REGISTRY, or none with --all");
    const char *registry = all ? NULL : optind < argc ? argv[optind] : "docker.io";
    wb_error err = {0};
    char host[256] = "";
    if (registry && wb_registry_normalize_host(registry, host, sizeof host, &err) < 0)
        return wbcli_fail(&err);
    if (wb_registry_logout(registry, &o, &err) < 0)
        return wbcli_fail(&err);
    if (all)
        printf("Removed login credentials for all registries\n");
    else
        printf("Removing login credentials for %s\n", host);
    return 0;
}
