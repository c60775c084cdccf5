/*
 * hooks.c — OCI hooks: each one a program run with the container's state JSON on
 * its stdin, its own args and env, and an optional timeout in seconds.
 *
 * docker's only hook, the prestart `libnetwork-setkey`, is dockerd itself reading
 * the state to find the container's pid and network namespace. A hook's output
 * goes to a pipe read here (a hook must not write into the container's stdio,
 * which create holds); on failure its last bytes become part of the error.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rt.h"

static char **strv(json_t *a)
{
    size_t n = json_array_size(a);
    char **v = calloc(n + 1, sizeof *v);
    for (size_t i = 0; v && i < n; i++)
        v[i] = (char *)(json_string_value(json_array_get(a, i))
                            ? json_string_value(json_array_get(a, i))
                            : "");
    return v;
}

static void hook_child(const char *path, char **args, char **env, int in, int out)
{
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    static char *const no_env[] = {NULL};
    execve(path, args, env ? env : no_env);
    dprintf(2, "exec %s: %s", path, strerror(errno));
    _exit(127);
}

/* Waits for the hook, reading its output meanwhile; kills it at the deadline. */
static int hook_wait(pid_t pid, int out, int timeout, char *tail, size_t tail_len, int *status)
{
    size_t used = 0;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        int wait_ms = -1;
        if (timeout > 0) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long elapsed =
                (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
            wait_ms = elapsed >= timeout * 1000L ? 0 : (int)(timeout * 1000L - elapsed);
        }
        struct pollfd p = {out, POLLIN, 0};
        int r = out >= 0 ? poll(&p, 1, wait_ms) : 0;
        if (r == 0 && timeout > 0 && out >= 0) {
            kill(pid, SIGKILL);
            waitpid(pid, status, 0);
            return -ETIMEDOUT;
        }
        if (r > 0) {
            char buf[512];
            ssize_t n = read(out, buf, sizeof buf);
            if (n > 0) {
                size_t k = (size_t)n < tail_len - 1 ? (size_t)n : tail_len - 1;
                if (used + k >= tail_len)
                    used = 0; /* keep the latest bytes */
                memcpy(tail + used, buf + (size_t)n - k, k);
                used += k;
                tail[used] = 0;
                continue;
            }
            out = -1; /* EOF: the hook closed its output, now wait for it */
        }
        if (out < 0 || r < 0) {
            while (waitpid(pid, status, 0) < 0 && errno == EINTR)
                ;
            return 0;
        }
    }
}

static int run_one(json_t *hook, const char *state_json, wb_error *err)
{
    const char *path = json_string_value(json_object_get(hook, "path"));
    if (!path)
        return wb_error_set(err, "hook without a path");
    _cleanup_free_ char **args = strv(json_object_get(hook, "args"));
    _cleanup_free_ char **env =
        json_object_get(hook, "env") ? strv(json_object_get(hook, "env")) : NULL;
    char *default_args[] = {(char *)path, NULL};
    int in[2], out[2];
    if (!args)
        return wb_error_oom(err);
    if (pipe2(in, O_CLOEXEC) < 0)
        return wb_error_errno(err, errno, "pipe");
    if (pipe2(out, O_CLOEXEC) < 0) {
        close(in[0]);
        close(in[1]);
        return wb_error_errno(err, errno, "pipe");
    }
    pid_t pid = fork();
    if (pid == 0)
        hook_child(path, args[0] ? args : default_args, env, in[0], out[1]);
    close(in[0]);
    close(out[1]);
    if (pid < 0) {
        close(in[1]);
        close(out[0]);
        return wb_error_errno(err, errno, "fork");
    }
    signal(SIGPIPE, SIG_IGN); /* a hook that does not read its stdin */
    rt_write_all(in[1], state_json, strlen(state_json));
    close(in[1]);
    char tail[256] = "";
    int status = 0;
    int timeout = (int)json_integer_value(json_object_get(hook, "timeout"));
    int ret = hook_wait(pid, out[0], timeout, tail, sizeof tail, &status);
    close(out[0]);
    if (ret == -ETIMEDOUT)
        return wb_error_set(err, "hook %s timed out after %d s", path, timeout);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    size_t tl = strlen(tail);
    while (tl && (tail[tl - 1] == '\n' || tail[tl - 1] == ' '))
        tail[--tl] = 0;
    if (WIFSIGNALED(status))
        return wb_error_set(err, "hook %s killed by signal %d%s%s", path, WTERMSIG(status),
                            tl ? ": " : "", tail);
    return wb_error_set(err, "hook %s exited with status %d%s%s", path, WEXITSTATUS(status),
                        tl ? ": " : "", tail);
}

int rt_hooks_run(const rt_ctx *ctx, json_t *hooks, const char *name, const char *state_json,
                 wb_error *err)
{
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(hooks, name), i, h)
    {
        rt_log_debug(ctx, "running %s hook %s", name,
                     json_string_value(json_object_get(h, "path")));
        if (run_one(h, state_json, err) < 0)
            return wb_error_prefix(err, "%s hook", name);
    }
    return 0;
}
