/*
 * cmd_rmi.c — `wasmbox rmi [-f] IMAGE...`: remove names, and images left without
 * one. An image a container uses is refused unless -f. Each argument is handled on
 * its own; the status is 1 if any failed, as with docker.
 */
#include <getopt.h>
#include <stdio.h>

#include "commands.h"
#include "wasmbox/container.h"
#include "image_cli.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: wasmbox rmi [OPTIONS] IMAGE [IMAGE...]\n"
               "\n"
               "Remove one or more images.\n"
               "\n"
               "Options:\n"
               "  -f, --force   Remove images used by containers, and IDs with several names\n"
               "  -h, --help    Print this help\n");
}

int cmd_rmi(int argc, char **argv)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'f'},
        {"no-prune", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool force = false;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
        if (c == 'f')
            force = true;
        else if (c == 'h') {
            usage(stdout);
            return 0;
        } else if (c != 'n')
            return wbcli_usage_error("rmi", "unknown flag");
    }
    if (optind >= argc)
        return wbcli_usage_error("rmi", "requires at least 1 argument");
    wb_image_store *s = wbcli_open_store();
    if (!s)
        return WBCLI_FAIL;
    int status = 0;
    for (int i = optind; i < argc; i++) {
        wb_error err = {0};
        if (wb_image_remove(s, argv[i], force, stdout, &err) < 0)
            status = wbcli_fail(&err);
    }
    /* The unpacked files of the images that went (docker's rmi frees their layers) */
    wb_error err = {0};
    if (wb_container_rootfs_prune(s, NULL, &err) < 0)
        status = wbcli_fail(&err);
    wb_image_store_close(s);
    return status;
}
