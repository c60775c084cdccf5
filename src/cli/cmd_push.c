/*
 * cmd_push.c — `wasmbox push [OPTIONS] NAME[:TAG] [DESTINATION]`: an image from the
 * store to a registry. NAME names the registry and repository, as with docker; a
 * second argument (podman's form) pushes NAME under another reference. Ends with
 * docker's "TAG: digest: sha256:... size: N" line.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "image_cli.h"
#include "wasmbox/registry.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: wasmbox push [OPTIONS] NAME[:TAG] [DESTINATION]\n"
               "\n"
               "Upload an image to a registry.\n"
               "\n"
               "Options:\n"
               "      --tls-verify=BOOL   Require HTTPS and verify certificates (default: true, unless\n"
               "                          registries.conf lists the registry as insecure)\n"
               "      --cert-dir DIR      Use the certificates in DIR (*.crt CAs, *.cert/*.key client)\n"
               "      --authfile FILE     Read credentials from FILE\n"
               "      --digestfile FILE   Write the manifest digest to FILE\n"
               "  -q, --quiet             Print nothing on success\n"
               "  -h, --help              Print this help\n");
}

static int write_digest(const char *path, const char *digest, wb_error *err)
{
    FILE *f = fopen(path, "we");
    if (!f)
        return wb_error_errno(err, errno, "open %s", path);
    fprintf(f, "%s", digest);
    if (fclose(f) != 0)
        return wb_error_errno(err, errno, "write %s", path);
    return 0;
}

int cmd_push(int argc, char **argv)
{
    static const struct option opts[] = {
        {"tls-verify", optional_argument, NULL, WBCLI_OPT_TLS_VERIFY},
        {"cert-dir", required_argument, NULL, WBCLI_OPT_CERT_DIR},
        {"authfile", required_argument, NULL, WBCLI_OPT_AUTHFILE},
        {"digestfile", required_argument, NULL, 'D'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    wb_registry_options o = {.out = stdout, .progress = isatty(STDOUT_FILENO)};
    const char *digestfile = NULL;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        int r = wbcli_registry_opt(c, optarg, "push", &o);
        if (r < 0)
            return -r;
        if (r > 0)
            continue;
        if (c == 'D')
            digestfile = optarg;
        else if (c == 'q')
            o.quiet = true;
        else if (c == 'h') {
            usage(stdout);
            return 0;
        } else
            return wbcli_usage_error("push", "unknown flag or missing value");
    }
    if (optind >= argc || argc - optind > 2)
        return wbcli_usage_error("push", "requires 1 or 2 arguments");
    wb_image_store *s = wbcli_open_store();
    if (!s)
        return WBCLI_FAIL;
    wb_error err = {0};
    char digest[WB_DIGEST_LEN];
    const char *dest = argc - optind == 2 ? argv[optind + 1] : NULL;
    int ret = wb_registry_push(s, argv[optind], dest, &o, digest, &err);
    if (ret == 0 && digestfile)
        ret = write_digest(digestfile, digest, &err);
    fflush(stdout);
    int status = ret < 0 ? wbcli_fail(&err) : 0;
    wb_image_store_close(s);
    return status;
}
