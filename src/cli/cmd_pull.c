/*
 * cmd_pull.c — `wasmbox pull [OPTIONS] NAME[:TAG|@DIGEST]`: an image from a registry
 * into the store (include/wasmbox/registry.h does the work), printing docker's
 * output: a progress bar per layer on a terminal, the final status lines otherwise,
 * only the reference with -q. Also the registry flags pull, push and login share.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "image_cli.h"
#include "wasmbox/registry.h"

int wbcli_registry_opt(int c, const char *arg, const char *cmd, wb_registry_options *o)
{
    switch (c) {
    case WBCLI_OPT_TLS_VERIFY:
        if (!arg || !strcmp(arg, "true") || !strcmp(arg, "1"))
            o->tls = WB_TLS_VERIFY;
        else if (!strcmp(arg, "false") || !strcmp(arg, "0"))
            o->tls = WB_TLS_INSECURE;
        else
            return -wbcli_usage_error(cmd, "--tls-verify takes true or false");
        return 1;
    case WBCLI_OPT_CERT_DIR:
        o->cert_dir = arg;
        return 1;
    case WBCLI_OPT_AUTHFILE:
        o->auth_file = arg;
        return 1;
    default:
        return 0;
    }
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: wasmbox pull [OPTIONS] NAME[:TAG|@DIGEST]\n"
               "\n"
               "Download an image from a registry.\n"
               "\n"
               "Options:\n"
               "      --platform OS/ARCH  Pick this platform from a multi-platform image (default wasi/wasm)\n"
               "      --tls-verify=BOOL   Require HTTPS and verify certificates (default: true, unless\n"
               "                          registries.conf lists the registry as insecure)\n"
               "      --cert-dir DIR      Use the certificates in DIR (*.crt CAs, *.cert/*.key client)\n"
               "      --authfile FILE     Read credentials from FILE\n"
               "  -q, --quiet             Print only the image name\n"
               "  -h, --help              Print this help\n");
}

int cmd_pull(int argc, char **argv)
{
    static const struct option opts[] = {
        {"platform", required_argument, NULL, 'P'},
        {"tls-verify", optional_argument, NULL, WBCLI_OPT_TLS_VERIFY},
        {"cert-dir", required_argument, NULL, WBCLI_OPT_CERT_DIR},
        {"authfile", required_argument, NULL, WBCLI_OPT_AUTHFILE},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    wb_registry_options o = {.out = stdout, .progress = isatty(STDOUT_FILENO)};
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        int r = wbcli_registry_opt(c, optarg, "pull", &o);
        if (r < 0)
            return -r;
        if (r > 0)
            continue;
        if (c == 'P')
            o.platform = optarg;
        else if (c == 'q')
            o.quiet = true;
        else if (c == 'h') {
            usage(stdout);
            return 0;
        } else
            return wbcli_usage_error("pull", "unknown flag or missing value");
    }
    if (optind + 1 != argc)
        return wbcli_usage_error("pull", "requires exactly 1 argument");
    wb_image_store *s = wbcli_open_store();
    if (!s)
        return WBCLI_FAIL;
    wb_error err = {0};
    wb_image_ref img;
    int status = 0;
    if (wb_registry_pull(s, argv[optind], &o, &img, &err) < 0) {
        fflush(stdout);
        status = wbcli_fail(&err);
    } else {
        printf("%s\n", img.name[0] ? img.name : img.manifest);
    }
    wb_image_store_close(s);
    return status;
}
