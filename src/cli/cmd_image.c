/*
 * cmd_image.c — `wasmbox image COMMAND` (docker's management form: ls, rm, inspect,
 * prune, tag, save, load, build). The helpers every image command shares are in
 * image_cli.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "wasmbox/container.h"
#include "image_cli.h"


static void prune_usage(FILE *f)
{
    fprintf(f, "Usage: wasmbox image prune [OPTIONS]\n"
               "\n"
               "Remove untagged images (with -a, every image no container uses), then delete\n"
               "blobs nothing references and what killed builds left behind.\n"
               "\n"
               "Options:\n"
               "  -a, --all     Remove all images not used by a container\n"
               "  -f, --force   Do not ask for confirmation\n"
               "  -h, --help    Print this help\n");
}

int cmd_image_prune(int argc, char **argv)
{
    static const struct option opts[] = {
        {"all", no_argument, NULL, 'a'},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool all = false, force = false;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "afh", opts, NULL)) != -1) {
        if (c == 'a')
            all = true;
        else if (c == 'f')
            force = true;
        else if (c == 'h') {
            prune_usage(stdout);
            return 0;
        } else
            return wbcli_usage_error("image prune", "unknown flag");
    }
    if (optind != argc)
        return wbcli_usage_error("image prune", "accepts no arguments");
    if (!force) {
        printf("WARNING! This will remove all %s.\nAre you sure you want to continue? [y/N] ",
               all ? "images without at least one container associated to them"
                   : "dangling images");
        fflush(stdout);
        char line[16] = "";
        if (!fgets(line, sizeof line, stdin) || (line[0] != 'y' && line[0] != 'Y'))
            return 0;
    }
    wb_image_store *s = wbcli_open_store();
    if (!s)
        return WBCLI_FAIL;
    wb_error err = {0};
    uint64_t freed = 0;
    int status = 0;
    if (wb_image_prune(s, all, stdout, &freed, &err) < 0 ||
        wb_container_rootfs_prune(s, &freed, &err) < 0) {
        status = wbcli_fail(&err);
    } else {
        char size[32];
        wbcli_human_size(freed, size, sizeof size);
        printf("Total reclaimed space: %s\n", size);
    }
    wb_image_store_close(s);
    return status;
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: wasmbox image COMMAND\n"
               "\n"
               "Manage images.\n"
               "\n"
               "Commands:\n"
               "  build     Build an image from a Dockerfile\n"
               "  inspect   Show images in detail (JSON)\n"
               "  load      Load images from an archive\n"
               "  ls        List images\n"
               "  prune     Remove unused images and blobs\n"
               "  rm        Remove images\n"
               "  save      Save images to an archive\n"
               "  tag       Give an image another name\n");
}

int cmd_image(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } subs[] = {
        {"build", cmd_build}, {"inspect", cmd_inspect}, {"load", cmd_load},
        {"ls", cmd_images},   {"list", cmd_images},     {"prune", cmd_image_prune},
        {"rm", cmd_rmi},      {"save", cmd_save},       {"tag", cmd_tag},
    };
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? WBCLI_USAGE : 0;
    }
    for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
        if (!strcmp(argv[1], subs[i].name))
            return subs[i].run(argc - 1, argv + 1);
    fprintf(stderr, "wasmbox image: unknown command \"%s\"\nSee 'wasmbox image --help'.\n",
            argv[1]);
    return WBCLI_USAGE;
}
