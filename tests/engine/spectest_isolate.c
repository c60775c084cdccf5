/*
 * spectest_isolate.c — `--isolate`: each JSON file runs in a child process.
 *
 * While the engine is young a command may crash the process or loop in a way the
 * interrupt cannot stop; without isolation that ends the whole run and hides every
 * later file's results. Here the child runs the file exactly as the plain mode
 * would and publishes its progress (which command runs since when, and the counts
 * so far) in a shared page; the parent waits, kills a child whose command runs on
 * for more than a second past --timeout-ms, and turns a crash or kill into failure
 * lines. The assertions the child never reached count as failed (text-module
 * assert_malformed as skipped, as they would have been), so the total still covers
 * every assertion.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spectest.h"

#define ST_HANG_GRACE_MS 1000 /* how long past --timeout-ms before the kill */
#define ST_POLL_NS 2000000L   /* parent's waitpid polling interval */

typedef struct st_progress {
    _Atomic int64_t started_ns; /* start of the running command; 0 between commands */
    size_t index;               /* the running command's position in "commands" */
    int line;
    char type[32];
    enum { ST_SETUP, ST_RUNNING, ST_CLEANUP } phase;
    unsigned counts[3];         /* passed, failed, skipped so far */
    bool done;                  /* the child finished the file; counts are final */
} st_progress;

static st_progress *progress; /* the shared page, in the child only */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void st_progress_command(size_t index, int line, const char *type)
{
    if (!progress)
        return;
    progress->phase = type ? ST_RUNNING : ST_CLEANUP;
    progress->index = index;
    progress->line = line;
    snprintf(progress->type, sizeof progress->type, "%s", type ? type : "");
    atomic_store(&progress->started_ns, type ? now_ns() : 0);
}

void st_progress_counts(const st_file *f)
{
    if (!progress)
        return;
    progress->counts[0] = f->passed;
    progress->counts[1] = f->failed;
    progress->counts[2] = f->skipped;
}

static void child_main(const char *path)
{
    wb_error err = {0};
    unsigned totals[3] = {0, 0, 0};
    if (st_watch_start(st_opt.timeout_ms, &err) < 0) {
        printf("%s: %s\n", path, err.message);
        exit(3);
    }
    st_run_file(path, totals);
    st_watch_stop();
    memcpy(progress->counts, totals, sizeof totals);
    progress->done = true;
    fflush(stdout);
    exit(0); /* not _exit: let LeakSanitizer check the child */
}

/* Waits for the child; kills it if its current command overstays. Returns the wait
 * status, and sets *killed when the parent killed it. */
static int wait_child(pid_t pid, const st_progress *p, bool *killed)
{
    int64_t limit = ((int64_t)st_opt.timeout_ms + ST_HANG_GRACE_MS) * 1000000;
    struct timespec pause = {0, ST_POLL_NS};
    int status = 0;
    *killed = false;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            return status;
        int64_t started = atomic_load(&p->started_ns);
        if (!*killed && st_opt.timeout_ms && started && now_ns() - started > limit) {
            kill(pid, SIGKILL);
            *killed = true;
        }
        nanosleep(&pause, NULL);
    }
}

/* The assertions from command `first` on that the child never ran: out[1] gets the
 * ones that would have run, out[2] the text-module ones that would have been skipped. */
static void count_unreached(json_t *root, size_t first, unsigned out[3])
{
    json_t *cmds = json_object_get(root, "commands");
    for (size_t i = first; i < json_array_size(cmds); i++) {
        json_t *cmd = json_array_get(cmds, i);
        const char *type = json_string_value(json_object_get(cmd, "type"));
        const char *mtype = json_string_value(json_object_get(cmd, "module_type"));
        if (!type || strncmp(type, "assert_", 7) != 0)
            continue;
        if (mtype && strcmp(mtype, "text") == 0 && strcmp(type, "assert_malformed") == 0)
            out[2]++;
        else
            out[1]++;
    }
}

/* Reports a child that did not finish its file normally. */
static void report_abnormal(const char *path, const st_progress *p, int status, bool killed,
                            unsigned totals[3])
{
    unsigned counts[3];
    memcpy(counts, p->counts, sizeof counts);
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_ALLOW_NUL, &jerr);
    const char *source = json_string_value(json_object_get(root, "source_filename"));
    /* Like the child's lines: the summary names the .json, a command its .wast line. */
    _cleanup_free_ char *label = st_make_label(path, NULL);
    _cleanup_free_ char *wast_label = st_make_label(path, source);
    const char *name = label ? label : path;
    char why[160];
    if (killed)
        snprintf(why, sizeof why, "hung: ignored the interrupt, killed %d ms after --timeout-ms",
                 ST_HANG_GRACE_MS);
    else if (WIFSIGNALED(status))
        snprintf(why, sizeof why, "process died of signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(why, sizeof why, "process exited with status %d", WEXITSTATUS(status));
    if (p->done || p->phase == ST_CLEANUP) {
        /* Ran every command, then failed (freeing the store, LeakSanitizer at exit). */
        printf("%s: after the last command: %s\n", name, why);
        counts[1]++;
    } else {
        unsigned unreached[3] = {0, 0, 0};
        size_t first = p->phase == ST_RUNNING ? p->index + 1 : 0;
        count_unreached(root, first, unreached);
        if (p->phase == ST_RUNNING)
            printf("%s:%d %s: %s; %u later assertions not run, counted as failed\n",
                   wast_label ? wast_label : name, p->line, p->type, why, unreached[1]);
        else
            printf("%s: before the first command: %s; %u assertions not run, counted as "
                   "failed\n", name, why, unreached[1]);
        counts[1] += 1 + unreached[1];
        counts[2] += unreached[2];
    }
    if (!p->done && p->phase != ST_CLEANUP && st_opt.verbosity >= 0)
        printf("%s: %u passed, %u failed, %u skipped\n", name, counts[0], counts[1], counts[2]);
    for (int i = 0; i < 3; i++)
        totals[i] += counts[i];
    json_decref(root);
}

void st_run_file_isolated(const char *path, unsigned totals[3])
{
    st_progress *p = mmap(NULL, sizeof *p, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                          -1, 0);
    if (p == MAP_FAILED) {
        printf("%s: mmap: %s\n", path, strerror(errno));
        totals[1]++;
        return;
    }
    memset(p, 0, sizeof *p);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        printf("%s: fork: %s\n", path, strerror(errno));
        totals[1]++;
    } else if (pid == 0) {
        progress = p;
        child_main(path);
    } else {
        bool killed;
        int status = wait_child(pid, p, &killed);
        if (!killed && WIFEXITED(status) && WEXITSTATUS(status) == 0 && p->done)
            for (int i = 0; i < 3; i++)
                totals[i] += p->counts[i];
        else
            report_abnormal(path, p, status, killed, totals);
    }
    munmap(p, sizeof *p);
}
