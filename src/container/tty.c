/*
 * tty.c — pseudo-terminals for `run -t`, as docker's -t gives them.
 *
 * The guest gets the slave side of a new pty as its stdout and stderr (and stdin
 * with -i), so isatty() is true inside (WASI reports a CHARACTER_DEVICE) and its
 * output goes through the terminal line discipline (\n becomes \r\n). wasmbox holds
 * the master and relays: master -> our stdout (or the log), our stdin -> master.
 *
 * Two relays exist because guests run in two places. A supervisor (supervise.c)
 * relays in its own poll loop. A guest run in the wasmbox process itself (`run
 * --rm -t IMAGE`, `run -t FILE.wasm`) needs someone else to copy while it runs: a
 * thread (wb_tty_open) that blocks every signal, so stop signals still reach the
 * thread running the guest, and that is created before the guest's seccomp filter
 * is applied (the filter is per thread, without TSYNC), so it may resize the pty.
 *
 * With -i our own stdin, a terminal, is put in raw mode (every key goes to the
 * guest's terminal, which echoes and edits lines itself) and restored however we
 * end: normally (by the relay thread, which the guest's seccomp filter does not
 * confine), or by a terminating signal (restored, then re-raised). Since the
 * pty has no session, its line discipline cannot signal anyone: the relay turns
 * the interrupt and quit characters into SIGINT/SIGQUIT for the guest itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "ctr.h"

/* ---- the pty, window sizes, interrupt characters -------------------------------- */

int ctr_pty_open(int size_from, int *master, int *slave, wb_error *err)
{
    struct winsize ws;
    bool sized = size_from >= 0 && ioctl(size_from, TIOCGWINSZ, &ws) == 0;
    if (openpty(master, slave, NULL, NULL, sized ? &ws : NULL) < 0)
        return wb_error_errno(err, errno, "openpty");
    fcntl(*master, F_SETFD, FD_CLOEXEC);
    fcntl(*slave, F_SETFD, FD_CLOEXEC);
    return 0;
}

void ctr_pty_resize(int size_from, int master)
{
    struct winsize ws;
    if (size_from >= 0 && ioctl(size_from, TIOCGWINSZ, &ws) == 0)
        ioctl(master, TIOCSWINSZ, &ws);
}

int ctr_tty_size_source(int in, int out)
{
    if (out >= 0 && isatty(out))
        return out;
    return in >= 0 && isatty(in) ? in : -1;
}

size_t ctr_pty_take_signals(int master, char *buf, size_t n, int *sigs, size_t *nsigs)
{
    *nsigs = 0;
    struct termios t;
    if (tcgetattr(master, &t) < 0 || !(t.c_lflag & ISIG))
        return n;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        cc_t c = (cc_t)buf[i];
        int sig = 0;
        if (c != _POSIX_VDISABLE && c == t.c_cc[VINTR])
            sig = SIGINT;
        else if (c != _POSIX_VDISABLE && c == t.c_cc[VQUIT])
            sig = SIGQUIT;
        if (!sig)
            buf[kept++] = buf[i];
        else if (*nsigs < CTR_PTY_MAX_SIGS)
            sigs[(*nsigs)++] = sig;
    }
    return kept;
}

/* ---- raw mode ------------------------------------------------------------------- */

static struct termios g_saved;
static volatile sig_atomic_t g_raw_fd = -1;
static const int restore_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
static struct sigaction g_old_actions[4];

static void restore_and_reraise(int sig)
{
    int fd = g_raw_fd;
    if (fd >= 0)
        tcsetattr(fd, TCSADRAIN, &g_saved);
    g_raw_fd = -1;
    signal(sig, SIG_DFL);
    raise(sig); /* delivered when the handler returns: the default action */
}

int ctr_tty_raw(int fd, wb_error *err)
{
    if (g_raw_fd >= 0)
        return 0;
    struct termios t;
    if (tcgetattr(fd, &g_saved) < 0)
        return wb_error_errno(err, errno, "the input device is not a TTY");
    t = g_saved;
    cfmakeraw(&t);
    struct sigaction sa = {0};
    sa.sa_handler = restore_and_reraise;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < 4; i++)
        sigaction(restore_signals[i], &sa, &g_old_actions[i]);
    g_raw_fd = fd;
    if (tcsetattr(fd, TCSADRAIN, &t) < 0) {
        int e = errno;
        ctr_tty_restore();
        return wb_error_errno(err, e, "tcsetattr");
    }
    return 0;
}

void ctr_tty_restore(void)
{
    int fd = g_raw_fd;
    if (fd < 0)
        return;
    tcsetattr(fd, TCSADRAIN, &g_saved);
    g_raw_fd = -1;
    for (size_t i = 0; i < 4; i++)
        sigaction(restore_signals[i], &g_old_actions[i], NULL);
}

/* ---- the relay thread of a guest run in this process ---------------------------- */

struct wb_tty {
    int master, slave;
    int in, out;  /* ours: relayed from when interactive (-1: not), relayed to */
    int size_src; /* the terminal whose size the pty follows, -1: none */
    int wake[2];  /* SIGWINCH -> 'w' */
    pthread_t thread;
    bool started, raw;
    struct sigaction old_winch;
};

static volatile sig_atomic_t g_wake_fd = -1;

static void on_winch(int sig)
{
    (void)sig;
    int e = errno;
    if (g_wake_fd >= 0 && write(g_wake_fd, "w", 1) < 0) {
        /* a full pipe already has a resize pending */
    }
    errno = e;
}

/* Copies what the guest's terminal wrote to `out`: false once the slave closed. */
static bool relay_out(wb_tty *t)
{
    char buf[16384];
    ssize_t n = read(t->master, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0)
        return false; /* EIO: every slave descriptor is closed, and all was read */
    if (t->out >= 0 && ctr_write_all(t->out, buf, (size_t)n) < 0)
        t->out = -1; /* our stdout went away: keep draining so the guest never blocks */
    return true;
}

static void relay_in(wb_tty *t)
{
    char buf[4096];
    ssize_t n = read(t->in, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        t->in = -1;
        return;
    }
    int sigs[CTR_PTY_MAX_SIGS];
    size_t nsigs;
    size_t kept = ctr_pty_take_signals(t->master, buf, (size_t)n, sigs, &nsigs);
    for (size_t i = 0; i < nsigs; i++)
        kill(getpid(), sigs[i]); /* this thread blocks them: the guest's thread gets them */
    if (kept)
        ctr_write_all(t->master, buf, kept);
}

static void *relay_main(void *arg)
{
    wb_tty *t = arg;
    for (;;) {
        struct pollfd p[3] = {{t->master, POLLIN, 0}, {t->wake[0], POLLIN, 0}, {t->in, POLLIN, 0}};
        if (poll(p, t->in >= 0 ? 3 : 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents) {
            char c[64];
            if (read(t->wake[0], c, sizeof c) > 0)
                ctr_pty_resize(t->size_src, t->master);
        }
        if (t->in >= 0 && p[2].revents)
            relay_in(t);
        if (p[0].revents && !relay_out(t))
            break;
    }
    /* Here, not in wb_tty_close: the guest's thread may be under the seccomp
     * filter by now, which refuses the ioctl that sets terminal modes. */
    if (t->raw)
        ctr_tty_restore();
    t->raw = false;
    return NULL;
}

static int start_relay(wb_tty *t, wb_error *err)
{
    if (pipe2(t->wake, O_CLOEXEC | O_NONBLOCK) < 0)
        return wb_error_errno(err, errno, "pipe");
    g_wake_fd = t->wake[1];
    struct sigaction sa = {0};
    sa.sa_handler = on_winch;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGWINCH, &sa, &t->old_winch);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&t->thread, NULL, relay_main, t);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0)
        return wb_error_errno(err, e, "pthread_create");
    t->started = true;
    return 0;
}

int wb_tty_open(int in, int out, bool interactive, wb_tty **out_tty, int *guest_fd, wb_error *err)
{
    *out_tty = NULL;
    *guest_fd = -1;
    wb_tty *t = calloc(1, sizeof *t);
    if (!t)
        return wb_error_oom(err);
    *t = (wb_tty){.master = -1,
                  .slave = -1,
                  .in = interactive ? in : -1,
                  .out = out,
                  .size_src = ctr_tty_size_source(in, out),
                  .wake = {-1, -1}};
    int ret = ctr_pty_open(t->size_src, &t->master, &t->slave, err);
    if (ret == 0 && t->in >= 0 && isatty(t->in)) {
        ret = ctr_tty_raw(t->in, err);
        t->raw = ret == 0;
    }
    if (ret == 0)
        ret = start_relay(t, err);
    if (ret < 0) {
        wb_tty_close(t);
        return -1;
    }
    *out_tty = t;
    *guest_fd = t->slave;
    return 0;
}

void wb_tty_close(wb_tty *t)
{
    if (!t)
        return;
    /* With the last slave descriptor closed, the master reads what is left, then
     * EIO: the relay has copied everything when it ends. */
    if (t->slave >= 0)
        close(t->slave);
    if (t->started) {
        pthread_join(t->thread, NULL);
        g_wake_fd = -1;
        sigaction(SIGWINCH, &t->old_winch, NULL);
    }
    if (t->raw)
        ctr_tty_restore();
    for (int i = 0; i < 2; i++)
        if (t->wake[i] >= 0)
            close(t->wake[i]);
    if (t->master >= 0)
        close(t->master);
    free(t);
}
