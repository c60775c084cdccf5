/*
 * wasi.h — WASI preview1 (wasi_snapshot_preview1) on top of the engine.
 *
 * The embedder describes what the guest may see in a wb_wasi_config (arguments,
 * environment, preopened directories, stdio, listening sockets), makes a wb_wasi
 * from it, lets wb_wasi_link() resolve a module's imports, instantiates the module
 * with the engine, and calls wb_wasi_run(). WASI knows nothing of images or
 * containers: a container passes its rootfs as a read-only preopen at "/" plus
 * its volumes.
 *
 * The sandbox: every path a guest names is resolved beneath one of the directory
 * descriptors it was given; no host descriptor other than those in the config is
 * reachable from the guest.
 */
#ifndef WASMBOX_WASI_H
#define WASMBOX_WASI_H

#include <stdbool.h>
#include <stddef.h>

#include "wasmbox/engine.h"
#include "wasmbox/error.h"

/* For stdin_fd: the guest's fd 0 reads end-of-file at once (docker run without -i). */
#define WB_WASI_STDIN_EMPTY (-2)

typedef struct wb_wasi_preopen {
    const char *host_path;  /* directory to open, or NULL when dirfd is given */
    int dirfd;              /* an open directory (ownership passes to wb_wasi_new), or -1 */
    const char *guest_path; /* what the guest sees: "/data", ".", "data", "/" */
    bool readonly;          /* every write below it fails with EROFS */
} wb_wasi_preopen;

typedef struct wb_wasi_config {
    const char *const *argv; /* argv[0] is the program's name */
    size_t argc;
    const char *const *envp; /* "KEY=VALUE" strings */
    size_t envc;
    const wb_wasi_preopen *preopens; /* guest fds 3, 4, ... in this order */
    size_t npreopens;
    const int *listen_fds; /* listening stream sockets (ownership passes); guest fds
                            * follow the preopens, in this order */
    size_t nlisten;
    /* Host descriptors behind guest fds 0, 1, 2; -1 leaves that guest fd closed.
     * They are not closed by wb_wasi_free(); the guest closing them only
     * forgets them. stdin_fd may be WB_WASI_STDIN_EMPTY. */
    int stdin_fd, stdout_fd, stderr_fd;
} wb_wasi_config;

typedef struct wb_wasi wb_wasi;

/* Copies what it needs from cfg and opens the preopened directories. */
int wb_wasi_new(const wb_wasi_config *cfg, wb_wasi **out, wb_error *err);
/* Closes every descriptor the guest still holds (except the host's stdio). */
void wb_wasi_free(wb_wasi *w);

/* Fills imports[0 .. wb_module_import_count(m)) with host functions made in s for
 * every "wasi_snapshot_preview1" import. Fails with "unknown import module::name"
 * for any other import, or "incompatible import type ..." for a wrong signature. */
int wb_wasi_link(wb_wasi *w, wb_store *s, const wb_module *m, wb_extern *imports, wb_error *err);

/* Calls the exported function `entry` (NULL means "_start"), which must take no
 * arguments. On a normal return or proc_exit, *exit_code is the program's status
 * and 0 is returned. If the program trapped, *trap is set (the caller frees it)
 * and 0 is returned with *exit_code untouched. < 0 with err when `entry` is
 * missing or has the wrong type. */
int wb_wasi_run(wb_wasi *w, wb_store *s, wb_instance *inst, const char *entry, int *exit_code,
                wb_trap **trap, wb_error *err);

#endif
