/*
 * supervise.c — the supervisor: one small process per running container.
 *
 * Why one per container rather than one shared daemon: a container must outlive
 * the command that started it without any service having been set up first; one
 * supervisor's crash (or kill -9) then affects one container only, and its death
 * is visible to everyone through the lock it held; there is no daemon state to
 * recover, no socket protocol to version, and nothing runs when no container does.
 * It is conmon's and containerd-shim's design, at a cost of ~1 MiB of RSS each.
 *
 * The supervisor never runs guest code. For each run it forks a child that does
 * (guest.c), with stdout and stderr on pipes; it copies them into the log (and to
 * the terminal for a foreground run), waits for the child, records the exit, and
 * applies the restart policy. A trap, a runaway allocation or a crash of the engine
 * ends the child only. The child dies with its supervisor (PR_SET_PDEATHSIG).
 *
 * Requests arrive as signals, read through a signalfd in one poll loop with the
 * pipes: SIGTERM/SIGINT/SIGHUP/SIGQUIT mean "stop" with the container's timeout;
 * the request signal (SIGRTMIN+1, sent with sigqueue by `wasmbox stop/kill`) carries
 * "stop with timeout T" or "kill with signal S". A stop interrupts the program (the
 * child catches the signal and interrupts the engine), and after the timeout the
 * supervisor SIGKILLs the child.
 *
 * With -t the child's stdout and stderr (and stdin, for a foreground -i) are the
 * slave side of a pty (tty.c) instead of pipes: the supervisor reads the master
 * in place of the stdout pipe — one stream, "stdout" in the log, as docker's — and
 * in the foreground copies its own stdin to the master.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctr.h"

typedef struct sup {
    ctr *c;
    ctr_runnable *r;
    int lock_fd;
    int sfd;
    ctr_log *log;
    ctr_state st;
    bool foreground;
    int tee_out, tee_err, stdin_fd;
    /* the current run */
    pid_t child;
    int child_status;
    bool reaped;
    int pipes[3]; /* read ends: stdout, stderr, result; -1 once at EOF */
    int master;   /* -t: the pty's master, also pipes[0] (which owns it); else -1 */
    ctr_result res;
    size_t res_got;
    /* requests */
    bool manual_stop;
    int backoff;     /* consecutive quick restarts */
    int64_t kill_at; /* CLOCK_MONOTONIC ns at which to SIGKILL the child; 0: never */
} sup;

static const int handled[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

static int setup_signals(sup *s, wb_error *err)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++)
        sigaddset(&set, handled[i]);
    sigaddset(&set, ctr_req_signal());
    sigprocmask(SIG_BLOCK, &set, NULL);
    s->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (s->sfd < 0)
        return wb_error_errno(err, errno, "signalfd");
    return 0;
}

/* ---- one run -------------------------------------------------------------------- */

static void child_main(sup *s, int out_w, int err_w, int res_w, pid_t parent)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGPIPE, SIG_IGN); /* the program gets EPIPE, as under `run FILE.wasm` */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(CTR_EXIT_UNKNOWN);
    int keep[8 + 64];
    size_t nkeep = 0;
    keep[nkeep++] = out_w;
    keep[nkeep++] = err_w;
    keep[nkeep++] = res_w;
    for (size_t i = 0; i < s->r->nlisten && nkeep < sizeof keep / sizeof keep[0]; i++)
        keep[nkeep++] = s->r->listen_fds[i];
    ctr_close_fds_except(keep, nkeep);
    /* -t: out_w == err_w is the pty's slave, stdin too when one is attached. */
    wb_ctr_stdio io = {s->master >= 0 && s->stdin_fd >= 0 ? out_w : s->stdin_fd, out_w, err_w};
    ctr_result res;
    ctr_guest_run(s->r, &io, ctr_seccomp_wanted(), &res);
    ctr_write_all(res_w, &res, sizeof res);
    _exit(res.exit_code);
}

/* The child's output channels: two pipes, or with -t one pty whose slave is both
 * write ends (err[] is then {-1, -1}). */
static int open_outputs(sup *s, int out[2], int errp[2], wb_error *err)
{
    if (s->r->tty) {
        int size_from = s->foreground ? ctr_tty_size_source(s->stdin_fd, s->tee_out) : -1;
        return ctr_pty_open(size_from, &out[0], &out[1], err);
    }
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)
        return wb_error_errno(err, errno, "pipe");
    return 0;
}

static void close_pair(int p[2])
{
    for (int i = 0; i < 2; i++)
        if (p[i] >= 0)
            close(p[i]);
}

static int start_child(sup *s, wb_error *err)
{
    int out[2] = {-1, -1}, errp[2] = {-1, -1}, res[2] = {-1, -1};
    if (open_outputs(s, out, errp, err) < 0) {
        close_pair(out), close_pair(errp);
        return -1;
    }
    if (pipe2(res, O_CLOEXEC) < 0) {
        int e = errno;
        close_pair(out), close_pair(errp);
        return wb_error_errno(err, e, "pipe");
    }
    s->master = s->r->tty ? out[0] : -1;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        close(out[0]), close(res[0]);
        if (errp[0] >= 0)
            close(errp[0]);
        child_main(s, out[1], errp[1] >= 0 ? errp[1] : out[1], res[1], parent);
    }
    close(out[1]), close(res[1]);
    if (errp[1] >= 0)
        close(errp[1]);
    if (pid < 0) {
        close(out[0]), close(res[0]);
        if (errp[0] >= 0)
            close(errp[0]);
        s->master = -1;
        return wb_error_errno(err, errno, "fork");
    }
    s->child = pid;
    s->reaped = false;
    s->pipes[0] = out[0];
    s->pipes[1] = errp[0];
    s->pipes[2] = res[0];
    s->res_got = 0;
    s->kill_at = 0;
    for (int i = 0; i < 3; i++)
        fcntl(s->pipes[i], F_SETFL, O_NONBLOCK);
    return 0;
}

static void tee_to(int fd, const char *buf, size_t n, int *slot)
{
    if (fd >= 0 && ctr_write_all(fd, buf, n) < 0)
        *slot = -1; /* the terminal went away: keep logging */
}

static void drain(sup *s, int i)
{
    char buf[65536];
    for (;;) {
        if (i == 2) {
            ssize_t n = read(s->pipes[2], (char *)&s->res + s->res_got, sizeof s->res - s->res_got);
            if (n > 0) {
                s->res_got += (size_t)n;
                if (s->res_got < sizeof s->res)
                    continue;
                n = 0; /* complete */
            }
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
                close(s->pipes[2]);
                s->pipes[2] = -1;
            }
            if (n < 0 && errno == EINTR)
                continue;
            return;
        }
        ssize_t n = read(s->pipes[i], buf, sizeof buf);
        if (n > 0) {
            ctr_log_feed(s->log, i + 1, buf, (size_t)n);
            tee_to(i == 0 ? s->tee_out : s->tee_err, buf, (size_t)n,
                   i == 0 ? &s->tee_out : &s->tee_err);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        /* a pty's master reads EIO once the slave is closed and all was read */
        ctr_log_flush(s->log, i + 1);
        close(s->pipes[i]);
        s->pipes[i] = -1;
        if (i == 0)
            s->master = -1;
        return;
    }
}

/* -t in the foreground: our stdin to the guest's terminal. Its interrupt and quit
 * characters signal the child (the pty has no session to signal). */
static void relay_stdin(sup *s)
{
    char buf[4096];
    ssize_t n = read(s->stdin_fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        s->stdin_fd = -1; /* end of input: the guest reads on until it ends */
        return;
    }
    int sigs[CTR_PTY_MAX_SIGS];
    size_t nsigs;
    size_t kept = ctr_pty_take_signals(s->master, buf, (size_t)n, sigs, &nsigs);
    for (size_t i = 0; i < nsigs; i++)
        if (s->child && !s->reaped)
            kill(s->child, sigs[i]);
    /* The master is non-blocking: what a full terminal input queue cannot take is
     * dropped, as a terminal drops keys typed faster than they are read. */
    size_t off = 0;
    while (off < kept) {
        ssize_t w = write(s->master, buf + off, kept - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
}

/* ---- requests ------------------------------------------------------------------- */

static bool ignorable(int sig)
{
    return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH || sig == 0;
}

static void request_stop(sup *s, int timeout, int sig)
{
    s->manual_stop = true;
    if (!s->child || s->reaped)
        return;
    if (timeout <= 0) {
        kill(s->child, SIGKILL);
        return;
    }
    kill(s->child, sig);
    int64_t at = ctr_mono_ns() + (int64_t)timeout * 1000000000;
    if (!s->kill_at || at < s->kill_at)
        s->kill_at = at;
}

static void request_kill(sup *s, int sig)
{
    if (ignorable(sig))
        return;
    s->manual_stop = true;
    if (s->child && !s->reaped)
        kill(s->child, sig);
}

static void on_signal(sup *s, const struct signalfd_siginfo *si)
{
    int sig = (int)si->ssi_signo;
    if (sig == SIGWINCH) {
        if (s->master >= 0 && s->foreground)
            ctr_pty_resize(ctr_tty_size_source(s->stdin_fd, s->tee_out), s->master);
        return;
    }
    if (sig == SIGCHLD) {
        if (s->child && !s->reaped && waitpid(s->child, &s->child_status, WNOHANG) == s->child)
            s->reaped = true;
        return;
    }
    if (sig == ctr_req_signal() && si->ssi_code == SI_QUEUE) {
        int v = si->ssi_int;
        int kind = v >> 16, arg = v & 0xffff;
        if (kind == CTR_REQ_KILL)
            request_kill(s, arg);
        else
            request_stop(s, arg == 0xffff ? s->r->stop_timeout : arg, SIGTERM);
        return;
    }
    request_stop(s, s->r->stop_timeout, sig == SIGINT ? SIGINT : SIGTERM);
}

static void read_signals(sup *s)
{
    struct signalfd_siginfo si;
    while (read(s->sfd, &si, sizeof si) == sizeof si)
        on_signal(s, &si);
}

/* Polls the pipes and signals until the child is reaped and its pipes are closed,
 * or (with child == 0) until deadline passes or a stop is requested. */
static void event_loop(sup *s, int64_t deadline)
{
    for (;;) {
        bool running =
            s->child && (!s->reaped || s->pipes[0] >= 0 || s->pipes[1] >= 0 || s->pipes[2] >= 0);
        if (s->child && !running)
            return;
        int64_t now = ctr_mono_ns();
        if (!s->child && (s->manual_stop || now >= deadline))
            return;
        if (s->kill_at && now >= s->kill_at && !s->reaped) {
            kill(s->child, SIGKILL);
            s->kill_at = 0;
        }
        int64_t until = s->child ? s->kill_at : deadline;
        int timeout = -1;
        if (until)
            timeout = until > now ? (int)((until - now) / 1000000) + 1 : 0;
        struct pollfd p[5] = {{s->sfd, POLLIN, 0}};
        nfds_t n = 1;
        int which[5];
        for (int i = 0; i < 3; i++) {
            if (s->pipes[i] >= 0) {
                which[n] = i;
                p[n++] = (struct pollfd){s->pipes[i], POLLIN, 0};
            }
        }
        if (s->master >= 0 && s->stdin_fd >= 0) {
            which[n] = 3;
            p[n++] = (struct pollfd){s->stdin_fd, POLLIN, 0};
        }
        if (poll(p, n, timeout) < 0 && errno != EINTR)
            return;
        if (p[0].revents)
            read_signals(s);
        for (nfds_t i = 1; i < n; i++) {
            if (p[i].revents && which[i] == 3)
                relay_stdin(s);
            else if (p[i].revents)
                drain(s, which[i]);
        }
        if (s->child && !s->reaped && waitpid(s->child, &s->child_status, WNOHANG) == s->child)
            s->reaped = true;
    }
}

/* How the run ended, from the child's report, else from its wait status. */
static int run_result(sup *s, char *reason, size_t len)
{
    reason[0] = 0;
    if (s->res_got == sizeof s->res) {
        if (s->res.kind == CTR_END_TRAP || s->res.kind == CTR_END_ERROR)
            ctr_fmt(reason, len, "%s", s->res.message);
        return s->res.exit_code;
    }
    if (WIFEXITED(s->child_status))
        return WEXITSTATUS(s->child_status);
    int sig = WIFSIGNALED(s->child_status) ? WTERMSIG(s->child_status) : SIGKILL;
    if (sig != SIGKILL && sig != SIGTERM && sig != SIGINT)
        snprintf(reason, len, "wasmbox runtime crashed (%s)", strsignal(sig));
    return 128 + sig;
}

static bool want_restart(const sup *s, int code)
{
    if (s->manual_stop || s->r->auto_remove)
        return false;
    switch (s->r->restart.kind) {
    case WB_RESTART_ALWAYS:
    case WB_RESTART_UNLESS_STOPPED:
        return true;
    case WB_RESTART_ON_FAILURE:
        return code != 0 &&
               (s->r->restart.max_retries == 0 || s->st.restart_count < s->r->restart.max_retries);
    default:
        return false;
    }
}

static void write_state(sup *s)
{
    wb_error err;
    if (ctr_state_write(s->c->dir, &s->st, true, &err) < 0)
        fprintf(stderr, "wasmbox: supervisor: %s\n", err.message);
}

static int run_once(sup *s, wb_error *err)
{
    if (start_child(s, err) < 0)
        return -1;
    s->st.status = WB_CTR_RUNNING;
    s->st.pid = s->child;
    s->st.supervisor_pid = getpid();
    s->st.started = ctr_now_ns();
    s->st.error[0] = s->st.reason[0] = 0;
    ctr_boot_id(s->st.boot_id);
    write_state(s);
    return 0;
}

static void finish_run(sup *s, bool *restart, int *code)
{
    char reason[256];
    *code = run_result(s, reason, sizeof reason);
    s->child = 0;
    int64_t ran = ctr_now_ns() - s->st.started;
    ctr_state_exited(&s->st, *code, reason);
    s->st.manually_stopped = s->manual_stop;
    *restart = want_restart(s, *code);
    if (*restart) {
        s->st.status = WB_CTR_RESTARTING;
        s->st.supervisor_pid = getpid();
        /* docker's backoff: doubles from 100 ms, back to 100 ms after a run of 10 s */
        s->backoff = ran >= 10 * (int64_t)1000000000 ? 0 : s->backoff + 1;
    }
    if (!(*restart && s->foreground))
        write_state(s);
}

/* After the first exit of a foreground container that must restart: go on in a
 * detached process, and let the CLI return the first status. Returns true in the
 * process that continues supervising. */
static bool detach_after_first(sup *s)
{
    pid_t pid = fork();
    if (pid != 0)
        return false; /* the CLI (or fork failed: it gives up supervising) */
    setsid();
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, 0), dup2(null, 1), dup2(null, 2);
        close(null);
    }
    s->foreground = false;
    s->tee_out = s->tee_err = -1;
    s->stdin_fd = -1;
    s->st.supervisor_pid = getpid();
    write_state(s);
    return true;
}

static int64_t backoff_ns(int restarts)
{
    int64_t d = 100 * (int64_t)1000000;
    for (int i = 0; i < restarts && d < 60 * (int64_t)1000000000; i++)
        d *= 2;
    return d > 60 * (int64_t)1000000000 ? 60 * (int64_t)1000000000 : d;
}

static int supervise_loop(sup *s, int ready_fd, int *status, bool *detached, wb_error *err)
{
    bool first = true;
    for (;;) {
        bool restart = false;
        int code = 0;
        if (run_once(s, err) < 0)
            return -1;
        if (ready_fd >= 0) {
            ctr_write_all(ready_fd, "ok\n", 3);
            close(ready_fd);
            ready_fd = -1;
        }
        event_loop(s, 0);
        finish_run(s, &restart, &code);
        if (first)
            *status = code;
        if (!restart)
            return 0;
        if (first && s->foreground) {
            if (!detach_after_first(s)) {
                *detached = true;
                return 0;
            }
        }
        first = false;
        int64_t delay = backoff_ns(s->backoff - 1);
        event_loop(s, ctr_mono_ns() + delay);
        if (s->manual_stop) {
            ctr_state_exited(&s->st, s->st.exit_code, s->st.reason);
            s->st.manually_stopped = true;
            write_state(s);
            return 0;
        }
        s->st.restart_count++;
    }
}

int ctr_supervise(ctr *c, ctr_runnable *r, int lock_fd, const ctr_sup_opts *o, int *status,
                  wb_error *err)
{
    sup s = {.c = c,
             .r = r,
             .lock_fd = lock_fd,
             .sfd = -1,
             .foreground = o->foreground,
             .tee_out = o->tee_out,
             .tee_err = o->tee_err,
             .stdin_fd = o->stdin_fd,
             .pipes = {-1, -1, -1},
             .master = -1};
    *status = CTR_EXIT_UNKNOWN;
    /* Keep the restart count of earlier starts (docker counts across `start`s). */
    ctr_state old;
    if (ctr_state_read(c->dir, &old, NULL) == 0)
        s.st.restart_count = old.restart_count;
    bool detached = false;
    /* A reader that went away (the terminal of a foreground run, the CLI waiting
     * for "ok") is an EPIPE to note, not a reason to die. */
    signal(SIGPIPE, SIG_IGN);
    int ret = setup_signals(&s, err);
    if (ret == 0)
        ret = ctr_log_open(r->log_path, r->log_max, &s.log, err);
    if (ret == 0)
        ret = supervise_loop(&s, o->ready_fd, status, &detached, err);
    if (ret < 0 && o->ready_fd >= 0) {
        dprintf(o->ready_fd, "%s\n", err->message);
        close(o->ready_fd);
    }
    ctr_log_close(s.log);
    if (s.sfd >= 0)
        close(s.sfd);
    if (!detached && ret == 0 && r->auto_remove) {
        wb_error e2;
        if (ctr_destroy(c->root, c->id, c->config, &e2) < 0)
            fprintf(stderr, "wasmbox: %s\n", e2.message);
    }
    close(lock_fd);
    /* Leave the caller's signal mask as it was: a foreground CLI returns to main. */
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++)
        sigaddset(&set, handled[i]);
    sigaddset(&set, ctr_req_signal());
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    return ret;
}

/* ---- detached supervisors ------------------------------------------------------- */

static void supervisor_main(ctr *c, ctr_runnable *r, int lock_fd, int ready_w)
{
    setsid();
    if (chdir("/") < 0)
        _exit(CTR_EXIT_UNKNOWN);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    _cleanup_free_ char *slog = ctr_strf("%s/supervisor.log", c->dir);
    int errfd = slog ? open(slog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640) : -1;
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(errfd >= 0 ? errfd : null, 2);
    }
    int keep[4 + 64];
    size_t n = 0;
    keep[n++] = lock_fd;
    keep[n++] = ready_w;
    for (size_t i = 0; i < r->nlisten && n < sizeof keep / sizeof keep[0]; i++)
        keep[n++] = r->listen_fds[i];
    ctr_close_fds_except(keep, n);
    ctr_sup_opts o = {
        .foreground = false, .tee_out = -1, .tee_err = -1, .stdin_fd = -1, .ready_fd = ready_w};
    int status;
    wb_error err = {0};
    if (ctr_supervise(c, r, lock_fd, &o, &status, &err) < 0)
        fprintf(stderr, "wasmbox: supervisor: %s\n", err.message);
    _exit(0);
}

int ctr_spawn_supervisor(ctr *c, ctr_runnable *r, int lock_fd, wb_error *err)
{
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) < 0)
        return wb_error_errno(err, errno, "pipe");
    pid_t pid = fork();
    if (pid == 0) {
        /* Fork twice so that the supervisor is nobody's child but init's (or the
         * nearest subreaper's): the CLI exits without waiting for it. */
        close(ready[0]);
        setsid();
        if (fork() == 0)
            supervisor_main(c, r, lock_fd, ready[1]);
        _exit(0);
    }
    close(ready[1]);
    if (pid < 0) {
        close(ready[0]);
        return wb_error_errno(err, errno, "fork");
    }
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    char buf[WB_ERROR_MAX];
    size_t got = 0;
    for (;;) {
        ssize_t n = read(ready[0], buf + got, sizeof buf - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || (got += (size_t)n) >= sizeof buf - 1)
            break;
    }
    close(ready[0]);
    buf[got] = 0;
    if (strncmp(buf, "ok\n", 3) == 0)
        return 0;
    char *nl = strchr(buf, '\n');
    if (nl)
        *nl = 0;
    return wb_error_set(err, "%s", got ? buf : "the supervisor failed to start");
}
