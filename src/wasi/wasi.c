/*
 * wasi.c — the WASI context (wb_wasi_new/free), import resolution and running.
 *
 * The one table below names every preview1 function with its wasm signature and
 * its implementation. wb_wasi_link() makes host functions only for the imports a
 * module actually has (start-up cost is per import, not per table entry), each
 * bound through one trampoline that turns an implementation's errno into the
 * function's result and WASI_EXIT_REQUEST into proc_exit's trap.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_internal.h"

#define I WB_I32
#define L WB_I64
#define P(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})
#define P0 NULL, 0

typedef struct wasi_desc {
    const char *name;
    const uint8_t *params;
    uint32_t nparams;
    bool result; /* every function but proc_exit returns one i32 errno */
    wasi_impl fn;
} wasi_desc;

static const wasi_desc wasi_table[] = {
    {"args_get", P(I, I), true, wasi_args_get},
    {"args_sizes_get", P(I, I), true, wasi_args_sizes_get},
    {"environ_get", P(I, I), true, wasi_environ_get},
    {"environ_sizes_get", P(I, I), true, wasi_environ_sizes_get},
    {"clock_res_get", P(I, I), true, wasi_clock_res_get},
    {"clock_time_get", P(I, L, I), true, wasi_clock_time_get},
    {"fd_advise", P(I, L, L, I), true, wasi_fd_advise},
    {"fd_allocate", P(I, L, L), true, wasi_fd_allocate},
    {"fd_close", P(I), true, wasi_fd_close},
    {"fd_datasync", P(I), true, wasi_fd_datasync},
    {"fd_fdstat_get", P(I, I), true, wasi_fd_fdstat_get},
    {"fd_fdstat_set_flags", P(I, I), true, wasi_fd_fdstat_set_flags},
    {"fd_fdstat_set_rights", P(I, L, L), true, wasi_fd_fdstat_set_rights},
    {"fd_filestat_get", P(I, I), true, wasi_fd_filestat_get},
    {"fd_filestat_set_size", P(I, L), true, wasi_fd_filestat_set_size},
    {"fd_filestat_set_times", P(I, L, L, I), true, wasi_fd_filestat_set_times},
    {"fd_pread", P(I, I, I, L, I), true, wasi_fd_pread},
    {"fd_prestat_get", P(I, I), true, wasi_fd_prestat_get},
    {"fd_prestat_dir_name", P(I, I, I), true, wasi_fd_prestat_dir_name},
    {"fd_pwrite", P(I, I, I, L, I), true, wasi_fd_pwrite},
    {"fd_read", P(I, I, I, I), true, wasi_fd_read},
    {"fd_readdir", P(I, I, I, L, I), true, wasi_fd_readdir},
    {"fd_renumber", P(I, I), true, wasi_fd_renumber},
    {"fd_seek", P(I, L, I, I), true, wasi_fd_seek},
    {"fd_sync", P(I), true, wasi_fd_sync},
    {"fd_tell", P(I, I), true, wasi_fd_tell},
    {"fd_write", P(I, I, I, I), true, wasi_fd_write},
    {"path_create_directory", P(I, I, I), true, wasi_path_create_directory},
    {"path_filestat_get", P(I, I, I, I, I), true, wasi_path_filestat_get},
    {"path_filestat_set_times", P(I, I, I, I, L, L, I), true, wasi_path_filestat_set_times},
    {"path_link", P(I, I, I, I, I, I, I), true, wasi_path_link},
    {"path_open", P(I, I, I, I, I, L, L, I, I), true, wasi_path_open},
    {"path_readlink", P(I, I, I, I, I, I), true, wasi_path_readlink},
    {"path_remove_directory", P(I, I, I), true, wasi_path_remove_directory},
    {"path_rename", P(I, I, I, I, I, I), true, wasi_path_rename},
    {"path_symlink", P(I, I, I, I, I), true, wasi_path_symlink},
    {"path_unlink_file", P(I, I, I), true, wasi_path_unlink_file},
    {"poll_oneoff", P(I, I, I, I), true, wasi_poll_oneoff},
    {"proc_exit", P(I), false, wasi_proc_exit},
    {"proc_raise", P(I), true, wasi_proc_raise},
    {"random_get", P(I, I), true, wasi_random_get},
    {"sched_yield", P0, true, wasi_sched_yield},
    {"sock_accept", P(I, I, I), true, wasi_sock_accept},
    {"sock_recv", P(I, I, I, I, I, I), true, wasi_sock_recv},
    {"sock_send", P(I, I, I, I, I), true, wasi_sock_send},
    {"sock_shutdown", P(I, I), true, wasi_sock_shutdown},
};
#define WASI_NFUNCS (sizeof(wasi_table) / sizeof(wasi_table[0]))

static const uint8_t result_i32[1] = {WB_I32};
static const char wasi_module[] = "wasi_snapshot_preview1";

/* ---- context ------------------------------------------------------------------ */

/* Packs strings back to back with their NULs; sizes are checked against u32. */
static int pack_strings(const char *const *v, size_t n, char **out, uint32_t *size, uint32_t *count,
                        wb_error *err)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += strlen(v[i]) + 1;
    if (total > UINT32_MAX / 2 || n > UINT32_MAX / 8)
        return wb_error_set(err, "wasi: arguments or environment too large");
    char *buf = malloc(total ? total : 1);
    if (!buf)
        return wb_error_oom(err);
    char *p = buf;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(v[i]) + 1;
        memcpy(p, v[i], l);
        p += l;
    }
    *out = buf;
    *size = (uint32_t)total;
    *count = (uint32_t)n;
    return 0;
}

static int add_stdio(wb_wasi *w, uint32_t fd, int host)
{
    wasi_fd *f = &w->fds[fd];
    memset(f, 0, sizeof(*f));
    f->host = -1;
    if (host == -1)
        return 0;
    f->open = true;
    f->kind = host == WB_WASI_STDIN_EMPTY ? WFD_EMPTY : WFD_STDIO;
    f->host = host == WB_WASI_STDIN_EMPTY ? -1 : host;
    /* Type and rights are found on first use (wasi_fd_probe): most programs never ask. */
    f->base = WASI_RIGHTS_TTY;
    f->inheriting = 0;
    return 0;
}

static int add_preopen(wb_wasi *w, const wb_wasi_preopen *p, wb_error *err)
{
    int fd = p->dirfd;
    if (fd < 0) {
        fd = open(p->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return wb_error_errno(err, errno, "cannot open directory %s", p->host_path);
    }
    wasi_fd f = {
        .host = fd,
        .open = true,
        .readonly = p->readonly,
        .kind = WFD_DIR,
        .filetype = WASI_FILETYPE_DIRECTORY,
        .type_known = true,
        .base = WASI_RIGHTS_DIR,
        .inheriting = WASI_RIGHTS_ALL,
    };
    size_t len = strlen(p->guest_path);
    f.preopen = malloc(len + 1);
    if (!f.preopen) {
        close(fd);
        return wb_error_oom(err);
    }
    memcpy(f.preopen, p->guest_path, len + 1);
    f.preopen_len = (uint32_t)len;
    uint32_t guest;
    if (wasi_fd_add(w, &f, &guest) != 0) {
        free(f.preopen);
        return wb_error_set(err, "wasi: too many preopened directories");
    }
    return 0;
}

static int add_listener(wb_wasi *w, int fd, wb_error *err)
{
    wasi_fd f = {
        .host = fd,
        .open = true,
        .kind = WFD_LISTEN,
        .filetype = WASI_FILETYPE_SOCKET_STREAM,
        .type_known = true,
        .base = WASI_RIGHTS_LISTEN,
        .inheriting = WASI_RIGHTS_SOCK,
    };
    uint32_t guest;
    if (wasi_fd_add(w, &f, &guest) != 0)
        return wb_error_set(err, "wasi: too many listening sockets");
    return 0;
}

int wb_wasi_new(const wb_wasi_config *cfg, wb_wasi **out, wb_error *err)
{
    wb_wasi *w = calloc(1, sizeof(*w));
    if (!w)
        return wb_error_oom(err);
    w->use_openat2 = -1;
    size_t cap = 3 + cfg->npreopens + cfg->nlisten + 8;
    w->fds = calloc(cap, sizeof(*w->fds));
    if (!w->fds) {
        free(w);
        return wb_error_oom(err);
    }
    w->capfds = (uint32_t)cap;
    w->nfds = 3;
    add_stdio(w, 0, cfg->stdin_fd);
    add_stdio(w, 1, cfg->stdout_fd);
    add_stdio(w, 2, cfg->stderr_fd);
    int ret = pack_strings(cfg->argv, cfg->argc, &w->args, &w->args_size, &w->argc, err);
    if (ret == 0)
        ret = pack_strings(cfg->envp, cfg->envc, &w->env, &w->env_size, &w->envc, err);
    /* Preopens come first and contiguous from fd 3: wasi-libc stops scanning for
     * them at the first fd whose fd_prestat_get fails. */
    for (size_t i = 0; ret == 0 && i < cfg->npreopens; i++)
        ret = add_preopen(w, &cfg->preopens[i], err);
    for (size_t i = 0; ret == 0 && i < cfg->nlisten; i++)
        ret = add_listener(w, cfg->listen_fds[i], err);
    if (ret < 0) {
        wb_wasi_free(w);
        return ret;
    }
    *out = w;
    return 0;
}

void wb_wasi_free(wb_wasi *w)
{
    if (!w)
        return;
    for (uint32_t i = 0; i < w->nfds; i++)
        if (w->fds[i].open)
            wasi_fd_release(&w->fds[i]);
    free(w->fds);
    free(w->args);
    free(w->env);
    free(w->binds);
    free(w);
}

/* ---- linking ------------------------------------------------------------------ */

static wb_trap *wasi_trampoline(wb_caller *c, void *env, wb_val *slots)
{
    const wasi_bind *b = env;
    uint32_t r = b->fn(b->w, wb_caller_memory(c), slots);
    if (r == WASI_EXIT_REQUEST)
        return wb_trap_exit(b->w->exit_code);
    slots[0] = r;
    return NULL;
}

static const wasi_desc *wasi_lookup(const char *name, size_t len)
{
    for (size_t i = 0; i < WASI_NFUNCS; i++)
        if (strlen(wasi_table[i].name) == len && memcmp(wasi_table[i].name, name, len) == 0)
            return &wasi_table[i];
    return NULL;
}

static bool type_matches(const wasi_desc *d, const wb_functype *t)
{
    if (t->nparams != d->nparams || t->nresults != (d->result ? 1u : 0u))
        return false;
    if (d->result && t->results[0] != WB_I32)
        return false;
    return d->nparams == 0 || memcmp(t->params, d->params, d->nparams) == 0;
}

int wb_wasi_link(wb_wasi *w, wb_store *s, const wb_module *m, wb_extern *imports, wb_error *err)
{
    uint32_t n = wb_module_import_count(m);
    w->store = s;
    free(w->binds);
    w->binds = n ? calloc(n, sizeof(*w->binds)) : NULL;
    w->nbinds = 0;
    if (n && !w->binds)
        return wb_error_oom(err);
    for (uint32_t i = 0; i < n; i++) {
        wb_import_desc d;
        wb_module_import(m, i, &d);
        const wasi_desc *fn = NULL;
        bool ours = d.module_len == sizeof(wasi_module) - 1 &&
                    memcmp(d.module, wasi_module, d.module_len) == 0;
        if (ours && d.kind == WB_EXTERN_FUNC)
            fn = wasi_lookup(d.name, d.name_len);
        if (!fn)
            return wb_error_set(err, "unknown import %.*s::%.*s", (int)d.module_len, d.module,
                                (int)d.name_len, d.name);
        if (!type_matches(fn, &d.type))
            return wb_error_set(err, "incompatible import type for %s::%s", wasi_module, fn->name);
        wb_functype type = {fn->nparams, fn->result ? 1 : 0, fn->params, result_i32};
        wasi_bind *b = &w->binds[w->nbinds++];
        b->w = w;
        b->fn = fn->fn;
        imports[i].kind = WB_EXTERN_FUNC;
        if (wb_func_new_host(s, &type, wasi_trampoline, b, &imports[i].of.func, err) < 0)
            return -1;
    }
    return 0;
}

/* ---- running ------------------------------------------------------------------ */

int wb_wasi_run(wb_wasi *w, wb_store *s, wb_instance *inst, const char *entry, int *exit_code,
                wb_trap **trap, wb_error *err)
{
    if (!entry)
        entry = "_start";
    *trap = NULL;
    wb_extern ex;
    if (!wb_instance_export(inst, entry, strlen(entry), &ex) || ex.kind != WB_EXTERN_FUNC)
        return wb_error_set(err, "the module exports no function \"%s\"", entry);
    const wb_functype *t = wb_func_type(ex.of.func);
    if (t->nparams != 0)
        return wb_error_set(err, "function \"%s\" takes arguments; it cannot be an entry point",
                            entry);
    wb_val results[8] = {0};
    wb_val *res = results;
    _cleanup_free_ wb_val *big = NULL;
    if (t->nresults > 8) {
        big = calloc(t->nresults, sizeof(*big));
        if (!big)
            return wb_error_oom(err);
        res = big;
    }
    const wb_val noargs[1] = {0};
    wb_trap *tr = wb_func_call(s, ex.of.func, noargs, res);
    if (!tr) {
        /* _start returns only on success (status 0); another entry point's i32
         * result, if it has one, is taken as the program's status. */
        *exit_code = (t->nresults == 1 && t->results[0] == WB_I32) ? (int)(uint32_t)res[0] : 0;
        return 0;
    }
    if (tr->kind == WB_TRAP_EXIT) {
        *exit_code = tr->exit_code;
        wb_trap_free(tr);
        return 0;
    }
    (void)w;
    *trap = tr;
    return 0;
}
