/*
 * call.c — wb_func_call(): the one door from the embedder into guest code.
 *
 * Host functions are called directly. A wasm function runs on the store's value
 * stack: the arguments are copied to exec->sp, which becomes the callee's frame
 * base, and the interpreter writes the results back there. Around the run we set a
 * sigsetjmp landing that trap.c's fault handler unwinds to when the guest touches a
 * guard page; the landing, the stack pointer, the depth and the current function
 * are saved and restored, so a host function may call wb_func_call() again (nested
 * landings) and the store is usable after any trap.
 *
 * The value stack is WB_VALUE_STACK_SLOTS slots of address space mapped with
 * MAP_NORESERVE on the first call (pages are committed as they are touched), with
 * a PROT_NONE page after it.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "objects.h"

#define VALUE_STACK_BYTES (WB_VALUE_STACK_SLOTS * sizeof(wb_val))

static size_t guard_bytes(void)
{
    long page = sysconf(_SC_PAGESIZE);
    return page > 0 ? (size_t)page : 4096;
}

int wb_exec_prepare(wb_store *s, wb_error *err)
{
    if (wb_trap_thread_init(err) < 0)
        return -1;
    wb_exec *e = &s->exec;
    if (e->stack)
        return 0;
    size_t total = VALUE_STACK_BYTES + guard_bytes();
    uint8_t *p = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return wb_error_errno(err, errno, "reserve the value stack");
    if (mprotect(p, VALUE_STACK_BYTES, PROT_READ | PROT_WRITE) < 0) {
        int en = errno;
        munmap(p, total);
        return wb_error_errno(err, en, "commit the value stack");
    }
    e->stack = (wb_val *)p;
    e->stack_end = e->stack + WB_VALUE_STACK_SLOTS;
    e->sp = e->stack;
    return 0;
}

void wb_exec_release(wb_exec *e)
{
    if (e->stack)
        munmap(e->stack, VALUE_STACK_BYTES + guard_bytes());
    e->stack = e->stack_end = e->sp = NULL;
}

static wb_trap *call_host(wb_store *s, wb_func *f, const wb_val *args, wb_val *results)
{
    const wb_functype *t = f->type;
    size_t n = t->nparams > t->nresults ? t->nparams : t->nresults;
    wb_val small[16];
    wb_val *slots = n <= 16 ? small : malloc(n * sizeof *slots);
    if (!slots)
        return wb_trap_new(WB_TRAP_HOST, "host error: out of memory");
    if (t->nparams)
        memcpy(slots, args, t->nparams * sizeof *slots);
    wb_caller caller = {.store = s, .inst = NULL};
    wb_trap *trap = f->host(&caller, f->env, slots);
    if (!trap && t->nresults)
        memcpy(results, slots, t->nresults * sizeof *slots);
    if (slots != small)
        free(slots);
    return trap;
}

/* Runs f over the frame at `slots` under a fresh landing. Kept apart from its caller
 * so that nothing live across sigsetjmp is modified after it. */
static wb_trap *run_guarded(wb_store *s, const wb_func *f, wb_val *slots)
{
    wb_exec *e = &s->exec;
    sigjmp_buf landing;
    e->landing = &landing;
    wb_trap_landing = &landing;
    e->current = f;
    int kind = sigsetjmp(landing, 0);
    if (kind == 0)
        return wb_interp_call(s, f, slots);
    return wb_trap_at((wb_trap_kind)kind, e->current);
}

static wb_trap *call_wasm(wb_store *s, wb_func *f, const wb_val *args, wb_val *results)
{
    wb_error err;
    if (wb_exec_prepare(s, &err) < 0)
        return wb_trap_new(WB_TRAP_HOST, "host error: %s", err.message);
    wb_exec *e = &s->exec;
    const wb_functype *t = f->type;
    size_t n = t->nparams > t->nresults ? t->nparams : t->nresults;
    wb_val *base = e->sp;
    if ((size_t)(e->stack_end - base) < n || e->depth >= e->max_depth)
        return wb_trap_at(WB_TRAP_STACK_EXHAUSTED, f);
    if (t->nparams)
        memcpy(base, args, t->nparams * sizeof *base);

    uint32_t depth = e->depth;
    const wb_func *current = e->current;
    sigjmp_buf *landing = e->landing, *thread_landing = wb_trap_landing;
    wb_trap *trap = run_guarded(s, f, base);
    e->sp = base;
    e->depth = depth;
    e->current = current;
    e->landing = landing;
    wb_trap_landing = thread_landing;

    if (!trap && t->nresults)
        memcpy(results, base, t->nresults * sizeof *base);
    return trap;
}

wb_trap *wb_func_call(wb_store *s, wb_func *f, const wb_val *args, wb_val *results)
{
    if (f->host)
        return call_host(s, f, args, results);
    return call_wasm(s, f, args, results);
}
