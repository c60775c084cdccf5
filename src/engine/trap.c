/*
 * trap.c — traps as values, and the signal handler that turns a guest's
 * out-of-bounds memory access into one.
 *
 * Loads and stores are not bounds-checked: every linear memory sits at the start of
 * a large PROT_NONE reservation (runtime.h), so an out-of-bounds access faults. The
 * SIGSEGV/SIGBUS handler installed here decides whether a fault is the guest's:
 * the faulting address must lie inside a registered memory reservation AND this
 * thread must be inside wb_func_call() (wb_trap_landing set). Then it siglongjmps to
 * that landing with WB_TRAP_MEMORY_OOB. A fault in the guard zone just below this
 * thread's stack while in guest code is a host stack overflow and becomes
 * WB_TRAP_STACK_EXHAUSTED; the handler runs on an alternate signal stack so that it
 * can run at all in that case. Every other fault goes to the handler that was
 * installed before ours (a sanitizer's, or the default action: a core dump).
 *
 * The registry of reservations is read by the handler while other threads register
 * and unregister memories, so it takes no lock: it is a fixed array of atomic
 * words, each 0 (free) or the base address of one reservation (all reservations
 * have the same size, WB_MEMORY_MAP_SIZE, so one word describes one exactly). A slot
 * is claimed with a compare-and-swap from 0 and released by storing 0; the handler
 * scans slots below a high-water mark. A slot read during a concurrent change shows
 * either the old or the new reservation, and neither can be the faulting thread's
 * own live memory unless it was registered before that thread's guest code ran.
 * 16,384 slots cannot fill up: each live reservation holds 8 GiB of address space
 * and the user half of a 47-bit address space holds fewer than 16,384 of them.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "objects.h"

#define REGISTRY_SLOTS 16384u
#define ALTSTACK_SIZE ((size_t)64 << 10)
/* Faults this far below the lowest stack address count as stack overflow. */
#define STACK_GUARD_ZONE ((uintptr_t)64 << 10)

static _Atomic(uintptr_t) registry[REGISTRY_SLOTS];
static atomic_uint registry_high; /* slots [0, high) may be in use */

_Thread_local sigjmp_buf *wb_trap_landing;

/* This thread's set-up (wb_trap_thread_init). */
static _Thread_local bool thread_ready;
static _Thread_local uintptr_t stack_lo; /* lowest usable stack address, 0 = unknown */

static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static int install_errno;
static struct sigaction prev_segv, prev_bus;
static pthread_key_t altstack_key;

/* ---- the registry ------------------------------------------------------------- */

int wb_trap_track_memory(const wb_memory *m, wb_error *err)
{
    uintptr_t base = (uintptr_t)m->base;
    for (unsigned i = 0; i < REGISTRY_SLOTS; i++) {
        uintptr_t expected = 0;
        if (!atomic_compare_exchange_strong(&registry[i], &expected, base))
            continue;
        unsigned high = atomic_load(&registry_high);
        while (high < i + 1 && !atomic_compare_exchange_weak(&registry_high, &high, i + 1))
            ;
        return 0;
    }
    return wb_error_set(err, "too many linear memories in this process");
}

void wb_trap_register_memory(wb_memory *m)
{
    (void)wb_trap_track_memory(m, NULL);
}

void wb_trap_unregister_memory(wb_memory *m)
{
    uintptr_t base = (uintptr_t)m->base;
    unsigned high = atomic_load(&registry_high);
    for (unsigned i = 0; i < high; i++) {
        uintptr_t expected = base;
        if (atomic_compare_exchange_strong(&registry[i], &expected, 0))
            return;
    }
}

static bool in_guest_memory(uintptr_t addr)
{
    unsigned high = atomic_load_explicit(&registry_high, memory_order_acquire);
    for (unsigned i = 0; i < high; i++) {
        uintptr_t base = atomic_load_explicit(&registry[i], memory_order_acquire);
        if (base && addr - base < WB_MEMORY_MAP_SIZE)
            return true;
    }
    return false;
}

static bool in_stack_guard(uintptr_t addr)
{
    uintptr_t lo = stack_lo;
    return lo && addr < lo + 4096 && addr >= lo - STACK_GUARD_ZONE;
}

/* ---- the handler -------------------------------------------------------------- */

/* Hands a fault that is not ours to whoever handled it before us. */
static void chain(int sig, siginfo_t *info, void *ctx)
{
    const struct sigaction *prev = sig == SIGBUS ? &prev_bus : &prev_segv;
    if ((prev->sa_flags & SA_SIGINFO) && prev->sa_sigaction) {
        prev->sa_sigaction(sig, info, ctx);
        return;
    }
    if (!(prev->sa_flags & SA_SIGINFO) && prev->sa_handler != SIG_DFL &&
        prev->sa_handler != SIG_IGN) {
        prev->sa_handler(sig);
        return;
    }
    /* Default action. Returning re-executes the faulting instruction, which now
     * kills the process with a core dump; a signal sent by kill() is re-raised. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    if (info->si_code <= 0)
        raise(sig);
}

static void on_fault(int sig, siginfo_t *info, void *ctx)
{
    sigjmp_buf *landing = wb_trap_landing;
    if (landing) {
        uintptr_t addr = (uintptr_t)info->si_addr;
        if (in_guest_memory(addr))
            siglongjmp(*landing, WB_TRAP_MEMORY_OOB);
        if (in_stack_guard(addr))
            siglongjmp(*landing, WB_TRAP_STACK_EXHAUSTED);
    }
    chain(sig, info, ctx);
}

static void altstack_release(void *p)
{
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    munmap(p, ALTSTACK_SIZE);
}

/* SA_NODEFER: the signal stays unblocked in the handler, so leaving it with
 * siglongjmp needs no signal-mask restore (and wb_func_call's sigsetjmp need not
 * save the mask, which would cost a system call per call). */
static void install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    int e = pthread_key_create(&altstack_key, altstack_release);
    if (e) {
        install_errno = e;
        return;
    }
    if (sigaction(SIGSEGV, &sa, &prev_segv) < 0 || sigaction(SIGBUS, &sa, &prev_bus) < 0)
        install_errno = errno;
}

int wb_trap_install_handler(wb_error *err)
{
    pthread_once(&install_once, install);
    if (install_errno)
        return wb_error_errno(err, install_errno, "install the fault handler");
    return 0;
}

/* Gives this thread an alternate signal stack unless it has one already (a
 * sanitizer's, or the embedder's). Ours is unmapped when the thread exits. */
static int ensure_altstack(wb_error *err)
{
    stack_t old;
    if (sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE) &&
        old.ss_size >= ALTSTACK_SIZE / 2)
        return 0;
    void *mem =
        mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return wb_error_errno(err, errno, "map the signal stack");
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_sp = mem;
    ss.ss_size = ALTSTACK_SIZE;
    if (sigaltstack(&ss, NULL) < 0) {
        int e = errno;
        munmap(mem, ALTSTACK_SIZE);
        return wb_error_errno(err, e, "sigaltstack");
    }
    pthread_setspecific(altstack_key, mem);
    return 0;
}

/* The lowest address of this thread's stack (0 if unknown: overflow then crashes
 * as it would without us, rather than being misreported). */
static uintptr_t find_stack_lo(void)
{
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return 0;
    void *addr = NULL;
    size_t size = 0;
    uintptr_t lo = 0;
    if (pthread_attr_getstack(&attr, &addr, &size) == 0 && (uintptr_t)addr > STACK_GUARD_ZONE)
        lo = (uintptr_t)addr;
    pthread_attr_destroy(&attr);
    return lo;
}

int wb_trap_thread_init(wb_error *err)
{
    if (thread_ready)
        return 0;
    if (wb_trap_install_handler(err) < 0 || ensure_altstack(err) < 0)
        return -1;
    stack_lo = find_stack_lo();
    thread_ready = true;
    return 0;
}

/* ---- trap values -------------------------------------------------------------- */

static const char *const kind_texts[] = {
    [WB_TRAP_UNREACHABLE] = "unreachable",
    [WB_TRAP_MEMORY_OOB] = "out of bounds memory access",
    [WB_TRAP_TABLE_OOB] = "out of bounds table access",
    [WB_TRAP_UNDEFINED_ELEMENT] = "undefined element",
    [WB_TRAP_UNINITIALIZED_ELEMENT] = "uninitialized element",
    [WB_TRAP_INDIRECT_MISMATCH] = "indirect call type mismatch",
    [WB_TRAP_DIV_BY_ZERO] = "integer divide by zero",
    [WB_TRAP_INT_OVERFLOW] = "integer overflow",
    [WB_TRAP_INVALID_CONVERSION] = "invalid conversion to integer",
    [WB_TRAP_NULL_REFERENCE] = "null reference",
    [WB_TRAP_STACK_EXHAUSTED] = "call stack exhausted",
    [WB_TRAP_INTERRUPTED] = "interrupted",
    [WB_TRAP_HOST] = "host error",
    [WB_TRAP_EXIT] = "exit",
};

const char *wb_trap_kind_text(wb_trap_kind kind)
{
    if ((unsigned)kind < sizeof kind_texts / sizeof kind_texts[0] && kind_texts[kind])
        return kind_texts[kind];
    return "unknown trap";
}

/* Returned when not even a trap can be allocated, so that a trap is never lost as
 * NULL ("continue"). wb_trap_free() leaves it alone; nobody may write to it. */
static wb_trap oom_trap = {
    .kind = WB_TRAP_HOST,
    .func_index = UINT32_MAX,
    .message = "host error: out of memory while reporting a trap",
};

static wb_trap *trap_alloc(wb_trap_kind kind)
{
    wb_trap *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->kind = kind;
    t->func_index = UINT32_MAX;
    return t;
}

wb_trap *wb_trap_new(wb_trap_kind kind, const char *fmt, ...)
{
    wb_trap *t = trap_alloc(kind);
    if (!t)
        return &oom_trap;
    if (fmt && *fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(t->message, sizeof t->message, fmt, ap);
        va_end(ap);
    } else {
        snprintf(t->message, sizeof t->message, "%s", wb_trap_kind_text(kind));
    }
    return t;
}

wb_trap *wb_trap_exit(int exit_code)
{
    wb_trap *t = trap_alloc(WB_TRAP_EXIT);
    if (!t)
        return &oom_trap;
    t->exit_code = exit_code;
    snprintf(t->message, sizeof t->message, "exit");
    return t;
}

void wb_trap_free(wb_trap *t)
{
    if (t != &oom_trap)
        free(t);
}

wb_trap *wb_trap_at(wb_trap_kind kind, const wb_func *where)
{
    wb_trap *t = trap_alloc(kind);
    if (!t)
        return &oom_trap;
    snprintf(t->message, sizeof t->message, "%s", wb_trap_kind_text(kind));
    if (!where || !where->inst)
        return t;
    t->func_index = where->index;
    const char *name = wb_module_func_name(where->inst->module, where->index);
    if (name)
        snprintf(t->func_name, sizeof t->func_name, "%s", name);
    else
        snprintf(t->func_name, sizeof t->func_name, "wasm-function[%u]", where->index);
    return t;
}
