/*
 * extract_proxy.c — wb_image_extract_rootfs() for the lean `wasmbox` binary.
 *
 * Unpacking layers needs libarchive, which the lean binary does not link (it is
 * the run path: see commands.c). A container run unpacks an image once, into the
 * rootfs cache, so the rare first run pays for one exec of `wasmbox-tools
 * __extract-rootfs` instead of every run paying for loading libarchive. Linked
 * before libwbimage.a, this definition keeps the archive's extract_rootfs.o out.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lean.h"
#include "wasmbox/image.h"

extern char **environ;

/* The child's last stderr line becomes our error message. */
static void last_line(char *buf, size_t n)
{
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    char *nl = strrchr(buf, '\n');
    if (nl)
        memmove(buf, nl + 1, strlen(nl + 1) + 1);
}

int wb_image_extract_rootfs(wb_image_store *store, const wb_image_ref *image, const char *dir,
                            wb_error *err)
{
    char tools[PATH_MAX];
    if (wb_tools_path(tools, sizeof tools) < 0)
        return wb_error_set(err, "cannot locate wasmbox-tools to unpack image %.19s",
                            image->manifest);
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return wb_error_errno(err, errno, "pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
    char *argv[] = {"wasmbox-tools", "__extract-rootfs", (char *)wb_image_store_root(store),
                    (char *)image->manifest, (char *)dir, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, tools, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    if (rc != 0) {
        close(pipefd[0]);
        return wb_error_errno(err, rc, "cannot run %s", tools);
    }
    char msg[WB_ERROR_MAX] = "";
    size_t used = 0;
    ssize_t n;
    while (used + 1 < sizeof msg &&
           ((n = read(pipefd[0], msg + used, sizeof msg - 1 - used)) > 0 ||
            (n < 0 && errno == EINTR)))
        if (n > 0)
            used += (size_t)n;
    msg[used] = '\0';
    close(pipefd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return wb_error_errno(err, errno, "wait for %s", tools);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    last_line(msg, used);
    const char *text = msg;
    if (strncmp(text, "wasmbox: ", 9) == 0)
        text += 9;
    return wb_error_set(err, "%s", *text ? text : "unpacking the image failed");
}
