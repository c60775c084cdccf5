/*
 * guest.c — running a container's module in the current process.
 *
 * This is the only place guest code runs. It runs either in the `wasmbox run --rm`
 * process itself (the fast path) or in a child that a supervisor forked for one
 * run. Either way, stopping must work on a program that never calls WASI: the
 * signals that stop a container (SIGTERM, SIGINT, ..., and the supervisor's request
 * signal) are caught here and call wb_store_interrupt(), which is async-signal-safe
 * and makes the engine trap at the next loop back-edge or call. The status is then
 * 128+signo, as if the signal had killed a native process.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctr.h"

static _Atomic(wb_store *) g_store;
static volatile sig_atomic_t g_signo;
static int g_req_sig;

int ctr_req_signal(void)
{
    return SIGRTMIN + 1;
}

/* Signals whose default action is to do nothing: `kill -s` of them leaves the
 * container alone, as it would a native process. */
static bool ignorable(int sig)
{
    return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH || sig == 0;
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int s = sig;
    if (sig == g_req_sig) {
        int v = si->si_code == SI_QUEUE ? si->si_value.sival_int : (CTR_REQ_STOP << 16);
        s = (v >> 16) == CTR_REQ_KILL ? (v & 0xffff) : SIGTERM;
        if (ignorable(s))
            return;
    }
    if (!g_signo)
        g_signo = s;
    wb_store *st = atomic_load(&g_store);
    if (st)
        wb_store_interrupt(st);
}

static const int stop_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

static void handlers_install(void)
{
    g_req_sig = ctr_req_signal();
    struct sigaction sa = {0};
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO; /* no SA_RESTART: a blocked read returns and the guest stops */
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++)
        sigaction(stop_signals[i], &sa, NULL);
    sigaction(g_req_sig, &sa, NULL);
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++)
        sigaddset(&set, stop_signals[i]);
    sigaddset(&set, g_req_sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void handlers_remove(void)
{
    for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++)
        signal(stop_signals[i], SIG_DFL);
    signal(g_req_sig, SIG_IGN);
}

/* Sanitizer builds run without the filter: LeakSanitizer stops the world with
 * clone and ptrace at exit, which the filter (rightly) refuses. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

bool ctr_seccomp_wanted(void)
{
#ifdef SANITIZED
    return false;
#endif
    const char *e = getenv("WASMBOX_SECCOMP");
    return !(e && strcmp(e, "0") == 0);
}

static void end_error(ctr_result *res, int status, const wb_error *err)
{
    res->kind = CTR_END_ERROR;
    res->exit_code = status;
    ctr_fmt(res->message, sizeof res->message, "%s", err->message);
}

static void end_trap(const ctr_runnable *r, wb_trap *t, ctr_result *res)
{
    if (t->kind == WB_TRAP_EXIT) {
        res->kind = CTR_END_EXIT;
        res->exit_code = t->exit_code & 0xff;
    } else if (t->kind == WB_TRAP_INTERRUPTED && g_signo) {
        res->kind = CTR_END_SIGNAL;
        res->exit_code = 128 + g_signo;
        ctr_fmt(res->message, sizeof res->message, "stopped by signal %d", (int)g_signo);
    } else {
        const char *what = t->message[0] ? t->message : wb_trap_kind_text(t->kind);
        res->kind = CTR_END_TRAP;
        res->exit_code = WB_CTR_EXIT_TRAP;
        if (t->func_name[0])
            ctr_fmt(res->message, sizeof res->message, "%s: trap: %s in function '%s'", r->program,
                    what, t->func_name);
        else
            ctr_fmt(res->message, sizeof res->message, "%s: trap: %s", r->program, what);
    }
    wb_trap_free(t);
}

typedef struct guest_objs {
    wb_wasi *wasi;
    wb_store *store;
    wb_extern *imports;
    int *listen;
    size_t nlisten;
} guest_objs;

static int make_wasi(const ctr_runnable *r, const wb_ctr_stdio *io, guest_objs *g, wb_error *err)
{
    /* The runnable keeps its sockets (a restart needs them): WASI gets duplicates. */
    if (r->nlisten && !(g->listen = calloc(r->nlisten, sizeof(int))))
        return wb_error_oom(err);
    for (size_t i = 0; i < r->nlisten; i++) {
        g->listen[i] = dup(r->listen_fds[i]);
        if (g->listen[i] < 0)
            return wb_error_errno(err, errno, "dup");
        g->nlisten++;
    }
    wb_wasi_config cfg = {
        .argv = (const char *const *)r->argv,
        .argc = r->argc,
        .envp = (const char *const *)r->envp,
        .envc = r->envc,
        .preopens = r->preopens,
        .npreopens = r->npreopens,
        .listen_fds = g->listen,
        .nlisten = g->nlisten,
        .stdin_fd = r->interactive && io->in >= 0 ? io->in : WB_WASI_STDIN_EMPTY,
        .stdout_fd = io->out,
        .stderr_fd = io->err,
    };
    int ret = wb_wasi_new(&cfg, &g->wasi, err);
    g->nlisten = 0; /* owned by the WASI context now, even on failure */
    return ret;
}

static void guest_objs_free(guest_objs *g)
{
    atomic_store(&g_store, NULL);
    free(g->imports);
    wb_store_free(g->store);
    wb_wasi_free(g->wasi);
    for (size_t i = 0; i < g->nlisten; i++)
        close(g->listen[i]);
    free(g->listen);
}

static void instantiate_and_run(const ctr_runnable *r, guest_objs *g, ctr_result *res)
{
    wb_error err = {0};
    uint32_t n = wb_module_import_count(r->module);
    g->imports = calloc(n ? n : 1, sizeof *g->imports);
    if (!g->imports)
        return end_error(res, WB_CTR_EXIT_ERROR, (wb_error_oom(&err), &err));
    if (wb_wasi_link(g->wasi, g->store, r->module, g->imports, &err) < 0)
        return end_error(res, WB_CTR_EXIT_CANNOT_RUN,
                         (wb_error_prefix(&err, "%s", r->program), &err));
    wb_instance *inst;
    wb_trap *trap = NULL;
    if (wb_instance_new(g->store, r->module, g->imports, n, &inst, &trap, &err) < 0) {
        if (trap)
            return end_trap(r, trap, res);
        return end_error(res, WB_CTR_EXIT_CANNOT_RUN,
                         (wb_error_prefix(&err, "%s", r->program), &err));
    }
    int code = 0;
    if (wb_wasi_run(g->wasi, g->store, inst, NULL, &code, &trap, &err) < 0)
        return end_error(res, WB_CTR_EXIT_CANNOT_RUN,
                         (wb_error_prefix(&err, "%s", r->program), &err));
    if (trap)
        return end_trap(r, trap, res);
    res->kind = CTR_END_EXIT;
    res->exit_code = code & 0xff;
}

void ctr_guest_run(const ctr_runnable *r, const wb_ctr_stdio *io, bool seccomp, ctr_result *res)
{
    memset(res, 0, sizeof *res);
    g_signo = 0;
    handlers_install();
    guest_objs g = {0};
    wb_error err = {0};
    wb_limits_config limits = {.max_memory_bytes = r->memory};
    if (make_wasi(r, io, &g, &err) < 0 || wb_store_new(&limits, &g.store, &err) < 0) {
        end_error(res, WB_CTR_EXIT_ERROR, &err);
    } else {
        atomic_store(&g_store, g.store);
        if (g_signo) /* a stop that came before the store existed */
            wb_store_interrupt(g.store);
        if (seccomp && ctr_seccomp_apply(r->root, &err) < 0)
            end_error(res, WB_CTR_EXIT_ERROR, &err);
        else
            instantiate_and_run(r, &g, res);
    }
    guest_objs_free(&g);
    handlers_remove();
    if ((res->kind == CTR_END_TRAP || res->kind == CTR_END_ERROR) && io->err >= 0)
        dprintf(io->err, "wasmbox: %s\n", res->message);
}

int wb_ctr_process_run(const wb_ctr_process *p, const wb_ctr_stdio *io)
{
    /* ctr_guest_run only reads these; the casts drop const for its owning struct */
    ctr_runnable r = {
        .program = (char *)p->program,
        .argv = (char **)p->argv,
        .argc = p->argc,
        .envp = (char **)p->envp,
        .envc = p->envc,
        .preopens = (wb_wasi_preopen *)p->preopens,
        .npreopens = p->npreopens,
        .listen_fds = (int *)p->listen_fds,
        .nlisten = p->nlisten,
        .module = p->module,
        .memory = p->memory,
        .root = (char *)p->cache_dir,
    };
    ctr_result res;
    ctr_guest_run(&r, io, ctr_seccomp_wanted(), &res);
    return res.exit_code;
}
