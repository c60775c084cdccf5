/*
 * pause.c — the pod sandbox's process for the CRI test (built static for the host):
 * PID 1 of the pod, sleeping until SIGINT/SIGTERM and reaping children. It is a
 * classic Linux program, so wasmbox-runtime hands the sandbox container to runc.
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_down(int sig)
{
    (void)sig;
    _exit(0);
}

static void on_chld(int sig)
{
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_down;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_chld;
    sa.sa_flags = SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    for (;;)
        pause();
}
