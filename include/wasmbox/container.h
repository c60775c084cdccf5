/*
 * container.h — containers: an image's entrypoint module run with the image's files,
 * supervised, and kept track of on disk.
 *
 * The one idea to hold on to: everything about a container lives in one directory,
 * $ROOT/containers/<id>/ (config.json, state.json, the log, a lock file), and the
 * process responsible for the container — its supervisor — holds an exclusive flock
 * on <dir>/lock for as long as it lives. A state file that says "running" is only
 * believed while that lock is held: any reader that finds it free (the supervisor
 * was killed, the host rebooted) rewrites the state as exited, with the reason. So
 * the state on disk stays true across crashes without any daemon.
 *
 * Layout under the root (the image store's root, see image.h):
 *   containers/<id>/config.json   docker-shaped: Id, Name, Image (the image ID), Config, HostConfig
 *   containers/<id>/state.json    Status, Pid, ExitCode, StartedAt, FinishedAt, ...
 *   containers/<id>/<id>-json.log docker's json-file log (rotated to .1 at a size limit)
 *   (the directory itself)        flocked by the supervisor
 *   names/<name>                  symlink -> <id>: makes names unique (symlink() is atomic)
 *   rootfs/<manifest-hex>/        an image's files, extracted once, shared read-only
 *   volumes/<name>/_data          named volumes (-v NAME:/path)
 *
 * Every function takes `root` (NULL: wb_image_default_root()). Errors follow
 * error.h; functions that need an exit status for the CLI say so.
 */
#ifndef WASMBOX_CONTAINER_H
#define WASMBOX_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasmbox/engine.h"
#include "wasmbox/error.h"
#include "wasmbox/image.h"
#include "wasmbox/wasi.h"

#define WB_CTR_ID_LEN 64
#define WB_CTR_DEFAULT_STOP_TIMEOUT 10

/* docker's exit statuses for `run`. */
#define WB_CTR_EXIT_ERROR 125      /* wasmbox itself failed */
#define WB_CTR_EXIT_CANNOT_RUN 126 /* the entrypoint is not a runnable module */
#define WB_CTR_EXIT_NOT_FOUND 127  /* the entrypoint does not exist */
#define WB_CTR_EXIT_TRAP 134       /* the program trapped (as `run FILE.wasm`) */

typedef enum wb_restart_kind {
    WB_RESTART_NO = 0,
    WB_RESTART_ON_FAILURE,
    WB_RESTART_ALWAYS,
    WB_RESTART_UNLESS_STOPPED,
} wb_restart_kind;

typedef struct wb_restart_policy {
    wb_restart_kind kind;
    int max_retries; /* on-failure:N; 0 = unlimited */
} wb_restart_policy;

/* "no" | "on-failure[:N]" | "always" | "unless-stopped". */
int wb_restart_policy_parse(const char *s, wb_restart_policy *out, wb_error *err);

typedef struct wb_ctr_volume {
    const char *host;  /* a path (made absolute at create), or a volume name */
    const char *guest; /* absolute path in the container */
    bool readonly;
} wb_ctr_volume;

typedef struct wb_ctr_port {
    const char *ip; /* NULL: every address */
    uint16_t host_port, port;
} wb_ctr_port;

/* What `wasmbox run` asked for. Strings are borrowed for the duration of the call. */
typedef struct wb_ctr_spec {
    const char *image;       /* reference as typed */
    const char *name;        /* NULL: a generated name */
    const char *const *args; /* after IMAGE: replace the image's CMD when nargs > 0 */
    size_t nargs;
    const char *const *env; /* "K=V", later ones win, over the image's ENV */
    size_t nenv;
    const wb_ctr_volume *volumes;
    size_t nvolumes;
    const wb_ctr_port *ports;
    size_t nports;
    const char *workdir;    /* NULL: the image's, else "/" */
    const char *entrypoint; /* NULL: the image's; "" clears it (docker) */
    uint64_t memory;        /* linear-memory cap in bytes; 0 = none */
    int stop_timeout;       /* seconds; < 0: 10 */
    wb_restart_policy restart;
    bool auto_remove, interactive, tty;
} wb_ctr_spec;

/* Where a foreground container's stdio goes: host descriptors (not closed), -1 for a
 * closed guest descriptor. */
typedef struct wb_ctr_stdio {
    int in, out, err;
} wb_ctr_stdio;

/* One guest run in this process, as a container's process runs it: what
 * wasmbox-runtime builds from an OCI bundle (`wasmbox run` builds the same from an
 * image). Everything is borrowed for the duration of wb_ctr_process_run. */
typedef struct wb_ctr_process {
    const char *program; /* the module's path, for messages */
    const char *const *argv;
    size_t argc;
    const char *const *envp;
    size_t envc;
    const wb_wasi_preopen *preopens; /* dirfds pass to the guest's WASI */
    size_t npreopens;
    const int *listen_fds; /* listening sockets, numbered after the preopens (dup'd) */
    size_t nlisten;
    wb_module *module;
    uint64_t memory;       /* cap on linear memory; 0: the engine's */
    const char *cache_dir; /* where the compiled syscall filter is kept; NULL: none */
} wb_ctr_process;

/* Runs p with stdio io. SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2
 * interrupt the guest even in a busy loop; a trap or a failure to start prints one
 * line on io->err. The syscall filter is applied before guest code runs unless
 * $WASMBOX_SECCOMP=0. Returns docker's status: the program's exit code, 128+signo
 * when a signal stopped it, 134 for a trap, 125 when it could not start. */
int wb_ctr_process_run(const wb_ctr_process *p, const wb_ctr_stdio *io);

/* Creates a container from spec and runs it.
 *  - detach: returns once it runs under its own supervisor; prints nothing.
 *  - foreground with auto_remove: runs the module in this process (the fast path)
 *    and removes the container afterwards.
 *  - foreground otherwise: this process supervises it (logs + the terminal); if a
 *    restart policy keeps it going after its first exit, the supervisor detaches.
 * *status is the exit status for the CLI: the program's, or 125/126/127 when
 * returning < 0 (err says why). id receives the container's id (NUL-terminated)
 * as soon as it exists, else "". */
int wb_container_run(const char *root, const wb_ctr_spec *spec, bool detach,
                     const wb_ctr_stdio *stdio, char id[WB_CTR_ID_LEN + 1], int *status,
                     wb_error *err);

/* Creates a container without starting it (`create`). */
int wb_container_create(const char *root, const wb_ctr_spec *spec, char id[WB_CTR_ID_LEN + 1],
                        int *status, wb_error *err);

/* Resolves a full id, a name ("/name" too) or a unique id prefix. Errors:
 * "No such container: X", "multiple IDs found with provided prefix: X". */
int wb_container_resolve(const char *root, const char *ref, char id[WB_CTR_ID_LEN + 1],
                         wb_error *err);

/* ---- terminals (`run -t`) ------------------------------------------------------- */

/* A pseudo-terminal for a program run in this process: *guest_fd is its slave side,
 * for the program's stdout and stderr (and stdin when interactive). A thread copies
 * what the program writes to `out` (-1: discarded) and, when interactive, `in` to the
 * program (`in`, a terminal, is put in raw mode meanwhile); the pty follows the
 * size of our terminal. */
typedef struct wb_tty wb_tty;
int wb_tty_open(int in, int out, bool interactive, wb_tty **tty, int *guest_fd, wb_error *err);
/* After the program ended: closes guest_fd, copies the rest of its output,
 * restores our terminal, frees. NULL is a no-op. */
void wb_tty_close(wb_tty *tty);

/* ---- lifecycle ------------------------------------------------------------------ */

/* Starts a created or exited container under a new supervisor (no-op if running). */
int wb_container_start(const char *root, const char *id, wb_error *err);
/* Interrupts the program (even a busy loop), waits up to timeout seconds (< 0: the
 * container's --stop-timeout), then has it killed. Returns when it has stopped. */
int wb_container_stop(const char *root, const char *id, int timeout, wb_error *err);
/* Sends signo (SIGKILL by default in the CLI): SIGKILL ends it at once, any other
 * terminating signal interrupts it (exit status 128+signo). Fails if not running. */
int wb_container_kill(const char *root, const char *id, int signo, wb_error *err);
/* Removes a stopped container (running ones with force, after killing them). */
int wb_container_remove(const char *root, const char *id, bool force, wb_error *err);
/* Blocks until the container is not running; *exit_code is its last status. */
int wb_container_wait(const char *root, const char *id, int *exit_code, wb_error *err);
/* stop (timeout as above) then start. */
int wb_container_restart(const char *root, const char *id, int timeout, wb_error *err);

/* ---- looking at containers ------------------------------------------------------ */

typedef enum wb_ctr_status {
    WB_CTR_CREATED = 0,
    WB_CTR_RUNNING,
    WB_CTR_RESTARTING,
    WB_CTR_EXITED,
    WB_CTR_REMOVING,
    WB_CTR_DEAD,
} wb_ctr_status;

const char *wb_ctr_status_name(wb_ctr_status s);
/* docker's human durations ("Less than a second", "About a minute", "3 hours"). */
void wb_ctr_human_duration(int64_t ns, char *buf, size_t len);
/* Now, in ns since the epoch: the clock of wb_ctr_info's times. */
int64_t wb_ctr_now(void);

/* One line of `ps`. Strings owned by the list. Times in ns since the epoch (0: never). */
typedef struct wb_ctr_info {
    char id[WB_CTR_ID_LEN + 1];
    char *name;    /* without the leading '/' */
    char *image;   /* as typed at create */
    char *command; /* "\"/hello.wasm arg\"" as docker quotes it */
    char *ports;   /* "0.0.0.0:8080->80/tcp, ..." */
    char *reason;  /* why it ended abnormally ("supervisor died", a trap), "" otherwise */
    wb_ctr_status status;
    int exit_code;
    int64_t created, started, finished;
    int restart_count;
} wb_ctr_info;

/* Every container (all) or the running and restarting ones, newest first. States left
 * "running" by a dead supervisor are corrected on the way. */
int wb_container_list(const char *root, bool all, wb_ctr_info **out, size_t *count, wb_error *err);
void wb_container_list_free(wb_ctr_info *list, size_t count);

/* docker's `inspect` object for one container (ref resolved as above), as JSON text
 * the caller frees. */
int wb_container_inspect_json(const char *root, const char *ref, char **json, wb_error *err);

typedef struct wb_log_options {
    bool follow, timestamps;
    long tail; /* last N lines; < 0: all */
} wb_log_options;

/* Writes the container's log to out_fd (stdout records) and err_fd (stderr records);
 * with follow, keeps going until the container stops (or the reader goes away). */
int wb_container_logs(const char *root, const char *id, const wb_log_options *opts, int out_fd,
                      int err_fd, wb_error *err);

typedef struct wb_ctr_stats {
    char id[WB_CTR_ID_LEN + 1];
    char name[256];
    bool running;
    uint64_t memory;       /* linear memory in use, bytes */
    uint64_t memory_limit; /* --memory, or 4 GiB */
    uint64_t rss;          /* resident memory of the process running the guest */
    uint64_t cpu_ns;       /* CPU time of that process */
} wb_ctr_stats;

int wb_container_stats(const char *root, const char *id, wb_ctr_stats *out, wb_error *err);

/* Deletes the unpacked files ($ROOT/rootfs/<manifest-hex>/) of images the store no
 * longer holds, so that `rmi` and `image prune` give the disk back. Images that
 * containers use stay in the store (rmi refuses them, or keeps them unnamed), so
 * their files stay too. Adds the bytes freed to *reclaimed when it is not NULL. */
int wb_container_rootfs_prune(wb_image_store *store, uint64_t *reclaimed, wb_error *err);

#endif
