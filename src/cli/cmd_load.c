/*
 * cmd_load.c — `wasmbox load [-i FILE] [-q]`: images from an OCI archive, a
 * docker-archive or a wasm OCI artifact archive (plain or compressed), every digest
 * checked; reads stdin without -i. Prints "Loaded image: NAME" per name, as docker.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "image_cli.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: wasmbox load [OPTIONS]\n"
               "\n"
               "Load images from a tar archive (OCI archive or docker save format).\n"
               "\n"
               "Options:\n"
               "  -i, --input FILE   Read from FILE instead of stdin\n"
               "  -q, --quiet        Print nothing on success\n"
               "  -h, --help         Print this help\n");
}

static void loaded(const char *name, void *arg)
{
    if (*(bool *)arg)
        return;
    if (!strncmp(name, "sha256:", 7))
        printf("Loaded image ID: %s\n", name);
    else
        printf("Loaded image: %s\n", name);
}

int cmd_load(int argc, char **argv)
{
    static const struct option opts[] = {
        {"input", required_argument, NULL, 'i'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *input = NULL;
    bool quiet = false;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "i:qh", opts, NULL)) != -1) {
        if (c == 'i')
            input = optarg;
        else if (c == 'q')
            quiet = true;
        else if (c == 'h') {
            usage(stdout);
            return 0;
        } else
            return wbcli_usage_error("load", "unknown flag or missing value");
    }
    if (optind != argc)
        return wbcli_usage_error("load", "accepts no arguments (use -i FILE)");
    if (!input && isatty(STDIN_FILENO))
        return wbcli_usage_error("load",
                                 "requested load from stdin, but stdin is a terminal: use -i FILE");
    wb_error err = {0};
    int fd = input ? open(input, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
    if (fd < 0) {
        wb_error_errno(&err, errno, "open %s", input);
        return wbcli_fail(&err);
    }
    wb_image_store *s = wbcli_open_store();
    int status = s ? 0 : WBCLI_FAIL;
    if (s && wb_image_load(s, fd, loaded, &quiet, &err) < 0)
        status = wbcli_fail(&err);
    if (input)
        close(fd);
    wb_image_store_close(s);
    return status;
}
