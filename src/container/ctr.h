/*
 * ctr.h — internals of the container module, shared by its files.
 *
 *   util.c      paths, atomic JSON files, directories, ids, time stamps, fds
 *   record.c    a container's directory: config.json, state.json, the lock, probing
 *   names.c     unique names, generated names, resolving ids and prefixes
 *   spec.c      docker's merge of `run` flags with the image config -> config.json
 *   rootfs.c    each image's files, extracted once, shared read-only
 *   prepare.c   config.json -> what running needs (argv, env, preopens, module, sockets)
 *   guest.c     running the module in the current process
 *   seccomp.c   the syscall filter of the process that runs guest code
 *   logwrite.c / logread.c   docker's json-file log
 *   supervise.c the supervisor: one process per running container
 *   tty.c       pseudo-terminals for `run -t`: the pty, raw mode, the in-process relay
 *   run.c, control.c, inspect.c, stats.c   the public operations
 *
 * Who owns state.json: whoever holds the container's lock (its supervisor, or a
 * command that found the lock free). Nobody else writes it.
 */
#ifndef WB_CONTAINER_CTR_H
#define WB_CONTAINER_CTR_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "wasmbox/container.h"
#include "wasmbox/engine.h"
#include "wasmbox/image.h"
#include "wasmbox/wasi.h"

/* Default size at which a log is rotated (docker's max-size), overridable per
 * container at create time by $WASMBOX_LOG_MAX_SIZE (bytes). */
#define CTR_LOG_MAX_DEFAULT ((uint64_t)10 << 20)
/* Exit status recorded when the supervisor vanished and the real status is unknown. */
#define CTR_EXIT_UNKNOWN 255

/* ---- util.c --------------------------------------------------------------------- */

/* The root directory: `root`, or the default one. Caller frees. */
char *ctr_root(const char *root, wb_error *err);
/* A copy of a JSON array of strings as a NULL-terminated vector (non-strings become
 * ""); *n gets the count when n is not NULL. NULL when out of memory. */
char **ctr_strv_from_json(json_t *a, size_t *n);
/* snprintf that truncates silently (messages are cut to their buffers on purpose). */
void ctr_fmt(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* malloc'd printf; NULL on OOM. */
char *ctr_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes data to path atomically (tmp + [fsync] + rename). */
int ctr_write_file(const char *path, const char *data, size_t len, bool sync, wb_error *err);
int ctr_write_json(const char *path, const json_t *j, bool sync, wb_error *err);
/* Reads a JSON object; err->code = ENOENT when the file is missing. */
int ctr_read_json(const char *path, json_t **out, wb_error *err);
int ctr_mkdir_p(const char *path, mode_t mode, wb_error *err);
int ctr_rm_rf(const char *path, wb_error *err);
/* nbytes random bytes as 2*nbytes hex digits + NUL. */
int ctr_random_hex(char *out, size_t nbytes, wb_error *err);
bool ctr_is_hex(const char *s, size_t n);
int64_t ctr_now_ns(void);
int64_t ctr_mono_ns(void);
/* RFC 3339 with nanoseconds, UTC ("2024-05-01T12:00:00.123456789Z"); 0 gives
 * docker's zero time "0001-01-01T00:00:00Z". buf must hold 40 bytes. */
void ctr_time_format(int64_t ns, char *buf);
int64_t ctr_time_parse(const char *s);
/* docker's "About a minute", "3 hours" (units.HumanDuration). */
void ctr_human_duration(int64_t ns, char *buf, size_t len);
/* This boot's id (/proc/sys/kernel/random/boot_id), "" if unknown. buf: 40 bytes. */
void ctr_boot_id(char *buf);
/* Closes every descriptor >= 3 not in keep[0..n). */
void ctr_close_fds_except(const int *keep, size_t n);
/* Writes all of buf (retrying on EINTR/short writes). */
int ctr_write_all(int fd, const void *buf, size_t len);
void ctr_sleep_ms(int ms);

/* ---- record.c ------------------------------------------------------------------- */

typedef struct ctr_state {
    wb_ctr_status status;
    int pid;            /* process running the guest (docker's State.Pid) */
    int supervisor_pid; /* holder of the lock; == pid for the in-process fast path */
    int exit_code;
    int restart_count;
    bool manually_stopped, oom_killed;
    int64_t started, finished; /* ns */
    char error[256];           /* docker's State.Error: why it could not start */
    char reason[256];          /* why it ended abnormally */
    char boot_id[40];
} ctr_state;

/* An open container: its directory and parsed config.json. */
typedef struct ctr {
    char *root;
    char *dir;
    char id[WB_CTR_ID_LEN + 1];
    json_t *config;
} ctr;

char *ctr_dir(const char *root, const char *id);
int ctr_open(const char *root, const char *id, ctr *c, wb_error *err);
void ctr_close(ctr *c);

int ctr_state_read(const char *dir, ctr_state *st, wb_error *err);
int ctr_state_write(const char *dir, const ctr_state *st, bool sync, wb_error *err);
json_t *ctr_state_json(const ctr_state *st);

/* Opens the container's directory, whose flock is the container's lock. */
int ctr_lock_open(const char *dir, wb_error *err);
/* flock(LOCK_EX|LOCK_NB): 0 taken, 1 busy, < 0 error. */
int ctr_lock_try(int fd);
/* Takes the lock, retrying for up to ms milliseconds: 0 taken, 1 still busy. */
int ctr_lock_wait(int fd, int ms);

/* Reads the state, correcting it if it says running but nobody holds the lock
 * (then *st is the corrected state; an auto-remove container is removed and
 * *removed set). `removed` may be NULL. */
int ctr_probe(const char *root, const char *id, ctr_state *st, bool *removed, wb_error *err);
/* Whether the supervisor holds the lock right now. */
bool ctr_is_locked(const char *dir);
/* Records the end of a run in st (status exited, code, reason, finished = now). */
void ctr_state_exited(ctr_state *st, int code, const char *reason);

/* Where containers that cannot outlive their process (run --rm in the foreground)
 * keep their directory: a private directory on a tmpfs ($WASMBOX_RUNTIME_DIR,
 * $XDG_RUNTIME_DIR/wasmbox, /run/wasmbox, /dev/shm/wasmbox-UID; "" turns it off),
 * reached through the symlink $ROOT/containers/<id>. NULL when there is none. On
 * a disk filesystem, creating and deleting a directory per run costs block
 * allocation, journal writes and (with online discard) a synchronous TRIM. */
const char *ctr_runtime_dir(void);

/* Removes the directory and the name (caller holds the lock or knows nobody runs it). */
int ctr_destroy(const char *root, const char *id, json_t *config, wb_error *err);

/* ---- names.c -------------------------------------------------------------------- */

int ctr_name_check(const char *name, wb_error *err);
/* Claims `name` (or a generated one when name is NULL) for id; out gets the name. */
int ctr_name_claim(const char *root, const char *name, const char *id, char *out, size_t outlen,
                   wb_error *err);
void ctr_name_release(const char *root, const char *name, const char *id);
/* Every container id under root (sorted), as a malloc'd array of 65-byte strings. */
int ctr_list_ids(const char *root, char (**ids)[WB_CTR_ID_LEN + 1], size_t *n, wb_error *err);

/* ---- rootfs.c ------------------------------------------------------------------- */

/* The extracted files of `image` ($ROOT/rootfs/<manifest-hex>), extracting them
 * first if needed. Caller frees *path. */
int ctr_rootfs_get(wb_image_store *store, const wb_image_ref *image, char **path, wb_error *err);

/* An image as a run needs it: its identity, its files, and its config. The config
 * fields are owned here (allocated by rootfs.c, freed by ctr_image_free, never by
 * wb_image_config_free). */
typedef struct ctr_image {
    wb_image_ref ref;
    wb_image_config ic;
    char *rootfs;
} ctr_image;

/* Looks `ref` up and returns the image, unpacked. Fast when it ran before. */
int ctr_image_get(const char *root, const char *ref, ctr_image *im, wb_error *err);
void ctr_image_free(ctr_image *im);

/* ---- spec.c --------------------------------------------------------------------- */

/* docker's rules: --entrypoint replaces the image's ENTRYPOINT and drops its CMD;
 * arguments replace CMD. Results are JSON arrays or null. */
int ctr_merge_command(char *const *img_entry, char *const *img_cmd, const char *entry_flag,
                      const char *const *args, size_t nargs, json_t **entrypoint, json_t **cmd,
                      wb_error *err);
/* docker's ReplaceOrAppendEnvValues: `over` entries replace same-key entries of
 * `base` in place, others are appended. Adds to the array `base` (a JSON array of
 * "K=V" strings). A "K" without "=" removes K. Returns 0 or -1 on OOM. */
int ctr_env_overlay(json_t *base, const char *const *over, size_t n);
/* Builds config.json for a new container. */
int ctr_config_build(const char *root, const wb_ctr_spec *spec, const ctr_image *im, const char *id,
                     const char *name, json_t **out, wb_error *err);

/* ---- prepare.c ------------------------------------------------------------------ */

typedef struct ctr_runnable {
    char *program; /* Path, for messages */
    char **argv;   /* NULL-terminated */
    size_t argc;
    char **envp;
    size_t envc;
    wb_wasi_preopen *preopens;
    size_t npreopens;
    char **preopen_paths; /* owned strings behind preopens[] */
    int *listen_fds;      /* owned */
    size_t nlisten;
    wb_module *module;
    uint64_t memory;
    int stop_timeout;
    wb_restart_policy restart;
    bool auto_remove, interactive, tty;
    char *log_path;
    uint64_t log_max;
    char *root; /* for the cached seccomp filter */
} ctr_runnable;

/* Everything needed to run a container, from its config. *status gets 125/126/127
 * on failure (err says why). */
int ctr_prepare(const ctr *c, ctr_runnable *r, int *status, wb_error *err);
void ctr_runnable_free(ctr_runnable *r);

/* ---- guest.c -------------------------------------------------------------------- */

typedef enum ctr_end_kind {
    CTR_END_EXIT = 0, /* returned or proc_exit */
    CTR_END_TRAP,
    CTR_END_SIGNAL, /* interrupted by a stop/kill */
    CTR_END_ERROR,  /* could not be instantiated */
} ctr_end_kind;

typedef struct ctr_result {
    int kind;
    int exit_code;
    char message[400];
} ctr_result;

/* The request a signal carries to a supervisor (sigqueue value): kind << 16 | arg. */
#define CTR_REQ_STOP 1    /* arg: timeout seconds, 0xffff = the container's */
#define CTR_REQ_KILL 2    /* arg: signal number */
int ctr_req_signal(void); /* SIGRTMIN + 1 */

/* Runs the module in this process with stdio io and writes how it ended to res.
 * Signals SIGTERM, SIGINT, SIGHUP, SIGQUIT and request signals interrupt the guest
 * (status 128+signo). seccomp: apply the syscall filter before guest code runs. */
void ctr_guest_run(const ctr_runnable *r, const wb_ctr_stdio *io, bool seccomp, ctr_result *res);
/* Whether the seccomp filter is wanted ($WASMBOX_SECCOMP=0 turns it off). */
bool ctr_seccomp_wanted(void);

/* ---- seccomp.c ------------------------------------------------------------------ */

/* Applies the filter, from the compiled copy under root when there is one
 * (root NULL: always compile). */
int ctr_seccomp_apply(const char *root, wb_error *err);

/* ---- logwrite.c ----------------------------------------------------------------- */

typedef struct ctr_log ctr_log;
int ctr_log_open(const char *path, uint64_t max_size, ctr_log **out, wb_error *err);
/* Appends what a stream produced: complete lines become records; a partial line is
 * kept until its newline, 16 KiB, or ctr_log_flush. stream: 1 stdout, 2 stderr. */
void ctr_log_feed(ctr_log *l, int stream, const char *data, size_t len);
void ctr_log_flush(ctr_log *l, int stream);
void ctr_log_close(ctr_log *l);
/* JSON-escapes len bytes into out (needs 6*len+1); returns the length written. */
size_t ctr_json_escape(const char *in, size_t len, char *out);

/* ---- tty.c ---------------------------------------------------------------------- */

/* A new pty, both ends close-on-exec, sized as the terminal size_from (-1: default). */
int ctr_pty_open(int size_from, int *master, int *slave, wb_error *err);
/* Gives the pty the current size of the terminal size_from (after a SIGWINCH). */
void ctr_pty_resize(int size_from, int master);
/* Which of our descriptors is the terminal whose size the guest's follows: out, else in, else -1. */
int ctr_tty_size_source(int in, int out);
/* Input for the guest's terminal: removes its interrupt/quit characters (when ISIG
 * is on) from buf and returns the new length; sigs gets the signals they stand for. */
#define CTR_PTY_MAX_SIGS 8
size_t ctr_pty_take_signals(int master, char *buf, size_t n, int *sigs, size_t *nsigs);
/* Puts terminal fd in raw mode until ctr_tty_restore (or a terminating signal,
 * which restores it before it takes effect). One terminal per process. */
int ctr_tty_raw(int fd, wb_error *err);
void ctr_tty_restore(void);

/* ---- supervise.c ---------------------------------------------------------------- */

typedef struct ctr_sup_opts {
    bool foreground; /* this is the CLI: tee output, return after the first exit */
    int tee_out, tee_err;
    int stdin_fd; /* the guest's stdin when interactive, else -1 */
    int ready_fd; /* written "ok\n" once the first run started, then closed; -1 */
} ctr_sup_opts;

/* Supervises c until it ends for good (or, in the foreground, until its first exit
 * after which it detaches if a restart is due). lock_fd is held and owned. Returns
 * the first run's exit status in *status. */
int ctr_supervise(ctr *c, ctr_runnable *r, int lock_fd, const ctr_sup_opts *o, int *status,
                  wb_error *err);
/* Forks a detached supervisor for c (the lock is passed to it). Waits until it runs. */
int ctr_spawn_supervisor(ctr *c, ctr_runnable *r, int lock_fd, wb_error *err);

#endif
