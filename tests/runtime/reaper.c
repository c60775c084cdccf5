/*
 * reaper.c — a stand-in for the engine's subreaper in the runtime's direct tests.
 *
 * conmon and the containerd shims are child subreapers: the container's init,
 * orphaned when `create` exits, becomes their child, and they read its exit status.
 * A test that drives wasmbox-runtime by hand needs the same, so it runs under this
 * program: `reaper CMD ARGS...` marks itself a subreaper, runs CMD with
 * $REAPER_LOG naming a file, and appends "PID STATUS" to that file for every
 * orphan it reaps (STATUS as a shell reports it: the exit code, or 128+signal). It
 * exits with CMD's status once CMD and every orphan are gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: reaper CMD [ARGS...]\n");
        return 2;
    }
    char log[64];
    snprintf(log, sizeof log, "/tmp/reaper.%d.log", (int)getpid());
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0 || prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
        perror("reaper");
        return 2;
    }
    setenv("REAPER_LOG", log, 1);
    pid_t child = fork();
    if (child == 0) {
        execvp(argv[1], argv + 1);
        perror(argv[1]);
        _exit(127);
    }
    int result = 1;
    for (;;) {
        int st;
        pid_t pid = waitpid(-1, &st, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break; /* ECHILD: nothing left */
        }
        int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (pid == child) {
            result = code;
            continue;
        }
        dprintf(fd, "%d %d\n", (int)pid, code);
    }
    close(fd);
    unlink(log);
    return result;
}
