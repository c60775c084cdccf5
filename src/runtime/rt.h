/*
 * rt.h — internals of wasmbox-runtime, the runc-compatible OCI runtime.
 *
 * The one idea to hold on to: a wasm container is one process. `create` forks it
 * (the "init"), the init sets up everything the bundle asks of the host (cgroup,
 * namespaces, rlimits, user, terminal), loads the module and then blocks on a FIFO
 * in the container's state directory; `start` writes a byte into that FIFO and the
 * init runs the guest in place and exits with the guest's status. Its pid is the
 * container's pid, its stdio are create's fds, and the engine that called create
 * (conmon, a containerd shim) reaps it as a subreaper, exactly as with runc.
 * Nothing else runs while the container lives: no supervisor, no daemon.
 *
 * The status is never written down: it is read from the world each time, as runc
 * does — init alive and FIFO present: created; alive, FIFO gone: running (paused
 * if its freezer says so); init gone (or a zombie, or its pid reused): stopped.
 *
 * A bundle that is not wasm (a classic Linux container) is not ours: create
 * execs the classic runtime (runc) with the arguments unchanged, and every later
 * command for an id that has no wasmbox state under the root does the same.
 *
 *   cli.c       global flags, the command table, delegation, --version
 *   log.c       errors and debug lines to stderr and to --log (text or json)
 *   config.c    config.json: loading, the wasm-or-classic decision, module lookup
 *   state.c     the state directory: record, status, pid checks, `state` JSON
 *   cgroup.c    cgroups v1 (hybrid) and v2: create, resources, join, freeze, remove
 *   ns.c        namespaces: by path (setns) or new (clone flags), hostname, sysctl
 *   proc.c      rlimits, user, oom_score_adj, no_new_privs, the console socket
 *   hooks.c     OCI hooks with the state on stdin
 *   guest.c     the bundle as a wb_ctr_process for the container module's guest runner
 *   create.c    `create` and `run`: the init process and its handshake
 *   cmd_*.c     the other commands
 */
#ifndef WB_RUNTIME_RT_H
#define WB_RUNTIME_RT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "wasmbox/error.h"
#include "wasmbox/runtime.h"

#define RT_NAME "wasmbox-runtime"
#define RT_OCI_VERSION "1.0.2-dev"
#define RT_DEFAULT_ROOT "/run/wasmbox-runtime"
#define RT_STATE_FILE "wasmbox.json" /* runc's own file is state.json: never the same */
#define RT_FIFO_FILE "exec.fifo"

/* ---- cli.c / log.c ---------------------------------------------------------------- */

/* What the global flags said, for every command. */
typedef struct rt_ctx {
    const char *root; /* state directory (--root), absolute */
    const char *log_path;
    bool log_json, debug, systemd_cgroup;
    const char *classic; /* the classic runtime (--classic-runtime, $WASMBOX_CLASSIC_RUNTIME) */
    char **argv;         /* the whole command line minus our own flags, for delegation */
    int argc;
    char *argv_area;      /* main()'s argument strings, contiguous: rewritten by the init so */
    size_t argv_area_len; /* that ps and `podman top` show the guest's command line */
} rt_ctx;

/* One line to stderr and, with --log, to the log file (json or text). */
void rt_log_error(const rt_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rt_log_warn(const rt_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Only with --debug, only to the log file (stderr may be the container's). */
void rt_log_debug(const rt_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Replaces this process by the classic runtime with the original arguments. Returns
 * only on failure (after logging it), with the status to exit with. */
int rt_delegate(const rt_ctx *ctx);

/* Command options, parsed the way runc (urfave/cli) accepts them: "--x v", "--x=v",
 * "-x v", booleans alone; the first word that is not an option starts the operands. */
typedef struct rt_opt {
    const char *name; /* long name without dashes */
    char short_name;  /* 0 if none */
    bool takes_value;
    const char **value; /* where a value goes (takes_value) */
    bool *flag;         /* where a boolean goes */
} rt_opt;
/* Fills the options; *first_operand is the index of the first operand. Unknown
 * options are an error ("flag provided but not defined: -x"). */
int rt_parse_opts(int argc, char **argv, const rt_opt *opts, size_t nopts, int *first_operand,
                  wb_error *err);

/* RFC 3339 UTC with nanoseconds into buf (40 bytes). */
void rt_time_now(char *buf);

/* ---- util ------------------------------------------------------------------------- */

char *rt_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Atomic (tmp + rename). */
int rt_write_file(const char *path, const char *data, size_t len, wb_error *err);
/* Writes a short string to an existing (cgroup, proc) file. */
int rt_write_str(const char *path, const char *s, wb_error *err);
int rt_read_str(const char *path, char *buf, size_t len);
int rt_mkdir_p(const char *path, mode_t mode, wb_error *err);
int rt_write_all(int fd, const void *buf, size_t len);
/* Closes every descriptor >= 3 but keep[0..n). */
void rt_close_fds_except(const int *keep, size_t n);
/* Reads the whole file descriptor (a JSON document on stdin). Caller frees. */
char *rt_read_fd(int fd, size_t max, size_t *len);
/* Valid container id: non-empty, no '/', not "." or "..", at most 1024 bytes. */
bool rt_id_valid(const char *id);

/* ---- config.c --------------------------------------------------------------------- */

/* A bind mount of a directory the guest sees (a preopen). Strings borrowed from json. */
typedef struct rt_mount {
    const char *src, *dst;
    bool ro;
} rt_mount;

/* A bundle's config.json with the bits every command needs resolved. */
typedef struct rt_config {
    json_t *json;
    char *bundle; /* absolute */
    char *rootfs; /* absolute root.path (relative ones are relative to the bundle) */
    bool rootfs_readonly;
    json_t *process; /* borrowed from json */
    json_t *annotations;
    json_t *linux_;
    rt_mount *mounts; /* bind mounts of directories outside /proc, /sys, /dev */
    size_t nmounts;
} rt_config;

int rt_config_load(const char *bundle, rt_config *c, wb_error *err);
void rt_config_free(rt_config *c);

typedef enum rt_kind { RT_KIND_CLASSIC = 0, RT_KIND_WASM } rt_kind;

/* Decides who runs the bundle:
 *  - run.oci.handler=wasm or module.wasm.image/variant=compat: wasm (except a pod's
 *    sandbox container, which is the classic pause process);
 *  - module.wasm.image/variant=compat-smart, or no annotation: wasm when
 *    process.args[0] is a WebAssembly module (its magic bytes), else classic.
 * When wasm, *fd is the program opened in the rootfs (caller closes), -1 otherwise.
 * Returns 0, or -(exit status) (127, 126) with err when the annotations ask for wasm
 * and the program is missing or is not a module. */
int rt_config_kind(const rt_config *c, rt_kind *kind, int *fd, wb_error *err);

/* Opens a guest path (as the guest would resolve it: the mount it lies under, else
 * the rootfs; symlinks stay inside). Returns an fd or -1 with errno. */
int rt_open_guest_path(const rt_config *c, const char *gpath);
/* The mount gpath lies under (NULL: the rootfs); *rest is the path below it. */
const rt_mount *rt_config_mount_of(const rt_config *c, const char *gpath, const char **rest);
/* Opens process.args[0] (absolute, relative to cwd, or searched in PATH). Returns the
 * fd, or < 0 with err ("exec: \"x\": executable file not found in $PATH"); *status is
 * 127 (not found) or 126. */
int rt_open_program(const rt_config *c, json_t *process, int *status, wb_error *err);

/* ---- state.c ---------------------------------------------------------------------- */

typedef enum rt_status {
    RT_CREATING = 0,
    RT_CREATED,
    RT_RUNNING,
    RT_PAUSED,
    RT_STOPPED,
} rt_status;

const char *rt_status_name(rt_status s);

/* What create leaves under $root/<id>/wasmbox.json. */
typedef struct rt_state {
    char *id;
    char *dir;    /* $root/<id> */
    json_t *json; /* the record: pid, start_time, bundle, rootfs, created, annotations,
                     cgroup (paths), hooks (poststart, poststop), config (owner) */
    pid_t pid;
    unsigned long long start_time;
} rt_state;

char *rt_state_dir(const rt_ctx *ctx, const char *id);
/* Whether id is a wasm container of ours (its record exists). */
bool rt_state_exists(const rt_ctx *ctx, const char *id);
/* Loads the record; "container does not exist" (err->code ENOENT) if there is none. */
int rt_state_load(const rt_ctx *ctx, const char *id, rt_state *st, wb_error *err);
void rt_state_free(rt_state *st);
int rt_state_save(const rt_state *st, wb_error *err);
rt_status rt_state_status(const rt_state *st);
/* The OCI state object (ociVersion, id, status, pid, bundle, annotations, ...). */
json_t *rt_state_oci(const rt_state *st, rt_status status);
/* The kernel's start time of pid (field 22 of /proc/pid/stat) and whether it is a
 * zombie or dead; 0 if the process does not exist. */
unsigned long long rt_proc_start_time(pid_t pid, bool *zombie);
/* Whether pid is still the init of this container (alive, not a zombie, same start). */
bool rt_state_alive(const rt_state *st);

/* ---- cgroup.c --------------------------------------------------------------------- */

/* The directories of one container's cgroup, one per mounted hierarchy. */
typedef struct rt_cgroup {
    char **dirs;
    size_t *mnt_len; /* dirs[i][0 .. mnt_len[i]) is the hierarchy's mount point (0: unknown) */
    size_t n;
    int unified; /* index of the cgroup2 directory in dirs, or -1 */
    bool v2_only;
} rt_cgroup;

/* Works out where linux.cgroupsPath lives in every hierarchy (systemd's
 * "slice:prefix:name" form too). path NULL or "": no cgroup (n = 0). */
int rt_cgroup_resolve(const char *path, bool systemd, rt_cgroup *cg, wb_error *err);
void rt_cgroup_free(rt_cgroup *cg);
/* Creates the directories (cpuset inherited from the parent, v2 controllers
 * enabled), applies linux.resources and moves pid in. */
int rt_cgroup_enter(const rt_cgroup *cg, json_t *resources, pid_t pid, wb_error *err);
/* Applies a LinuxResources object (create, `update`). */
int rt_cgroup_apply(const rt_cgroup *cg, json_t *resources, wb_error *err);
int rt_cgroup_freeze(const rt_cgroup *cg, bool frozen, wb_error *err);
bool rt_cgroup_frozen(const rt_cgroup *cg);
/* Every pid in the cgroup (from the first hierarchy that lists any). Caller frees. */
int rt_cgroup_pids(const rt_cgroup *cg, pid_t **pids, size_t *n);
/* Removes the leaf directories (retrying while the last task is leaving). */
void rt_cgroup_remove(const rt_cgroup *cg);
/* To and from the record's "cgroup" array. */
json_t *rt_cgroup_to_json(const rt_cgroup *cg);
int rt_cgroup_from_json(json_t *j, rt_cgroup *cg, wb_error *err);
/* The memory limit in linux.resources (0: none). */
uint64_t rt_resources_memory_limit(json_t *resources);

/* ---- ns.c ------------------------------------------------------------------------- */

typedef struct rt_ns {
    int clone_flags;  /* namespaces to create with the init */
    bool new_cgroup;  /* created by unshare once the init is in its cgroup */
    int join_fd[8];   /* by path, in the order joined (user first); -1 = unused */
    int join_type[8]; /* CLONE_NEW* of join_fd[i] */
    size_t njoin;
    int pid_fd; /* pid namespace by path: joined by create before forking */
} rt_ns;

int rt_ns_parse(json_t *linux_, rt_ns *ns, wb_error *err);
void rt_ns_close(rt_ns *ns);
/* A pid namespace by path applies to the children forked after setns: enter it just
 * for the fork, then go back (*saved: our own), so that later children of this
 * process (LeakSanitizer's tracer, hooks) stay in ours. */
int rt_ns_enter_pid(const rt_ns *ns, int *saved, wb_error *err);
void rt_ns_leave_pid(int *saved);
/* The namespaces of a running process that differ from ours (for exec). */
int rt_ns_of_pid(pid_t pid, rt_ns *ns, wb_error *err);
/* In the init, with a new mount and a new pid namespace: a /proc of its own, so that
 * tools that read /proc inside the container's mount namespace (podman top) see the
 * container's processes. The host's mounts are made slaves first: nothing leaks. */
int rt_ns_mount_proc(const rt_ns *ns, wb_error *err);
/* In the init: joins the namespaces given by path (not pid). */
int rt_ns_join(rt_ns *ns, wb_error *err);
/* In the init, once in its namespaces: hostname (new uts only) and linux.sysctl. */
int rt_ns_configure(const rt_config *c, const rt_ns *ns, wb_error *err);
/* In create: writes uid_map/gid_map of a new user namespace. */
int rt_ns_write_maps(json_t *linux_, pid_t pid, wb_error *err);

/* ---- proc.c ----------------------------------------------------------------------- */

int rt_proc_rlimits(json_t *process, wb_error *err);
int rt_proc_oom_score_adj(json_t *process, wb_error *err);
/* setgroups/setgid/setuid (+ umask), then no_new_privs if asked. */
int rt_proc_user(json_t *process, wb_error *err);
int rt_proc_no_new_privs(json_t *process, wb_error *err);
/* Shows process.args as this process's command line (/proc/PID/cmdline, comm). */
void rt_proc_set_title(const rt_ctx *ctx, json_t *process);
/* Makes a pty, sends its master over the unix socket at path, and makes the slave the
 * controlling terminal and fds 0-2 of this process. */
int rt_proc_console(const char *socket_path, json_t *process, wb_error *err);

/* ---- hooks.c ---------------------------------------------------------------------- */

/* Runs hooks[name] of a hooks object with state_json on each one's stdin. */
int rt_hooks_run(const rt_ctx *ctx, json_t *hooks, const char *name, const char *state_json,
                 wb_error *err);

/* ---- guest.c ---------------------------------------------------------------------- */

typedef struct rt_guest rt_guest;

/* Everything the init needs to run process (the container's, or an exec's) from c:
 * argv, env, the module (from fd, which is consumed), the preopens (rootfs at "/",
 * cwd at ".", bind mounts), the linear-memory cap derived from memory (the cgroup's
 * limit; 0: none). */
int rt_guest_prepare(const rt_ctx *ctx, const rt_config *c, json_t *process, int fd,
                     uint64_t memory, rt_guest **out, int *status, wb_error *err);
/* Makes the listening sockets $WASMBOX_LISTEN asks for, in the current network
 * namespace. */
int rt_guest_listen(rt_guest *g, wb_error *err);
/* Opens the preopened directories (as root, before the user is changed). */
int rt_guest_open_dirs(rt_guest *g, wb_error *err);
/* Runs the guest on fds 0-2 in this process; returns its exit status. */
int rt_guest_run(rt_guest *g);
void rt_guest_free(rt_guest *g);

/* ---- create.c --------------------------------------------------------------------- */

int rt_cmd_create(rt_ctx *ctx, int argc, char **argv);
int rt_cmd_run(rt_ctx *ctx, int argc, char **argv);
/* Kills the container's processes and removes everything create made. */
int rt_destroy(const rt_ctx *ctx, rt_state *st, wb_error *err);

/* ---- cmd_*.c ---------------------------------------------------------------------- */

int rt_cmd_start(rt_ctx *ctx, int argc, char **argv);
int rt_cmd_state(rt_ctx *ctx, int argc, char **argv);
int rt_cmd_kill(rt_ctx *ctx, int argc, char **argv);
int rt_cmd_delete(rt_ctx *ctx, int argc, char **argv);
int rt_cmd_features(rt_ctx *ctx, int argc, char **argv);
int rt_cmd_exec(rt_ctx *ctx, int argc, char **argv);
int rt_cmd_ps(rt_ctx *ctx, int argc, char **argv);
int rt_cmd_pause(rt_ctx *ctx, int argc, char **argv);
int rt_cmd_resume(rt_ctx *ctx, int argc, char **argv);
int rt_cmd_update(rt_ctx *ctx, int argc, char **argv);
int rt_cmd_list(rt_ctx *ctx, int argc, char **argv);

/* Parses a signal: a number, "TERM" or "SIGTERM". -1 if unknown. */
int rt_signal_parse(const char *s);

/* For commands that take one container id: finds the operand, and tells whether the
 * id is ours. 0: ours (id set); 1: not ours, delegate; < 0: usage error logged. */
int rt_target(rt_ctx *ctx, int argc, char **argv, const rt_opt *opts, size_t nopts,
              const char **id);

#endif
