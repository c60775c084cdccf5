/*
 * cmd_save.c — `wasmbox save [-o FILE] IMAGE...`: an archive podman, docker, ctr and
 * skopeo load. With -o the file appears only when complete (written beside it, then
 * renamed); without -o the archive goes to stdout, which must not be a terminal.
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
    fprintf(f, "Usage: wasmbox save [OPTIONS] IMAGE [IMAGE...]\n"
               "\n"
               "Save images to a tar archive (OCI layout + docker manifest.json).\n"
               "\n"
               "Options:\n"
               "  -o, --output FILE   Write to FILE instead of stdout\n"
               "  -h, --help          Print this help\n");
}

int cmd_save(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *output = NULL;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (c == 'o')
            output = optarg;
        else if (c == 'h') {
            usage(stdout);
            return 0;
        } else
            return wbcli_usage_error("save", "unknown flag or missing value");
    }
    if (optind >= argc)
        return wbcli_usage_error("save", "requires at least 1 argument");
    if (!output && isatty(STDOUT_FILENO))
        return wbcli_usage_error(
            "save", "refusing to write an archive to a terminal: use -o FILE or a redirection");
    wb_image_store *s = wbcli_open_store();
    if (!s)
        return WBCLI_FAIL;
    wb_error err = {0};
    char *tmp = NULL;
    int fd = STDOUT_FILENO, status = 0;
    if (output) {
        tmp = malloc(strlen(output) + 32);
        if (tmp)
            sprintf(tmp, "%s.tmp-%d", output, (int)getpid());
        fd = tmp ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
        if (fd < 0) {
            wb_error_errno(&err, errno, "create %s", output);
            status = wbcli_fail(&err);
        }
    }
    if (status == 0 &&
        wb_image_save(s, (const char **)argv + optind, (size_t)(argc - optind), fd, &err) < 0)
        status = wbcli_fail(&err);
    if (output && fd >= 0) {
        if (status == 0 && fsync(fd) < 0) {
            wb_error_errno(&err, errno, "fsync %s", output);
            status = wbcli_fail(&err);
        }
        close(fd);
        if (status == 0 && rename(tmp, output) < 0) {
            wb_error_errno(&err, errno, "rename to %s", output);
            status = wbcli_fail(&err);
        }
        if (status != 0)
            unlink(tmp);
    }
    free(tmp);
    wb_image_store_close(s);
    return status;
}
