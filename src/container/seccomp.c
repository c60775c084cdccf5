/*
 * seccomp.c — defence in depth for the process that runs guest code.
 *
 * WASI already confines the guest to its preopens; this filter confines wasmbox's
 * own code in that process should a bug in the engine or in WASI be exploited: only
 * the system calls the engine (memory mapping, signal-based traps, clocks) and
 * WASI (files below preopened descriptors, accepted sockets, polling) make are
 * allowed. Everything else — execve, ptrace, socket/connect/bind, mount, kill of
 * other processes, namespace and keyring calls — fails with EPERM. It is applied
 * after the preopens and sockets are open, so no new path outside them is needed
 * except through the *at() calls WASI makes relative to them.
 *
 * ioctl is restricted to the two requests WASI uses (isatty's TCGETS, FIONREAD).
 * Compiling the filter with libseccomp costs ~300 us, a third of the whole start-up
 * budget of a container, so the compiled BPF program is kept in a file
 * ($ROOT/seccomp/<key>.bpf, the key naming this list's version, libseccomp's and the
 * architecture) and later runs load it with one seccomp(2) call (~10 us).
 *
 * The filter does not confine paths (openat with AT_FDCWD stays possible: the
 * process needs it to clean up after the program); that is WASI's job.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <termios.h>
#include <unistd.h>

#include "ctr.h"

/* clang-format off */
static const char *const allowed[] = {
    /* memory: linear memories grow by mprotect; malloc */
    "mmap", "munmap", "mprotect", "madvise", "mremap", "brk",
    /* traps unwind through SIGSEGV/SIGBUS handlers; stop requests are signals */
    "rt_sigreturn", "rt_sigaction", "rt_sigprocmask", "sigaltstack", "tgkill", "gettid",
    "getpid",
    /* descriptors */
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2",
    "pwritev2", "lseek", "close", "fcntl", "dup", "fstat", "newfstatat", "statx", "fstatfs",
    "getdents64", "ftruncate", "fallocate", "fsync", "fdatasync", "fadvise64", "flock",
    /* paths, always relative to a preopened directory */
    "openat", "openat2", "mkdirat", "unlinkat", "renameat", "renameat2", "linkat", "symlinkat",
    "readlinkat", "utimensat", "faccessat", "faccessat2",
    /* wasmbox's own clean-up after the program (the in-process fast path removes the
     * container's directory); glibc uses the old path calls on x86-64 */
    "unlink", "rmdir", "rename", "mkdir", "readlink", "access", "stat", "lstat",
    /* sockets handed over by -p */
    "accept", "accept4", "recvfrom", "recvmsg", "sendto", "sendmsg", "shutdown", "getsockopt",
    "getsockname", "getpeername",
    /* time, randomness, scheduling */
    "clock_gettime", "clock_getres", "gettimeofday", "nanosleep", "clock_nanosleep",
    "getrandom", "poll", "ppoll", "sched_yield", "futex", "getrusage", "times",
    "sched_getaffinity",
    /* the end */
    "exit", "exit_group",
};
/* clang-format on */

/* Bump when the list above changes: cached programs are then rebuilt. */
#define FILTER_VERSION 4

static scmp_filter_ctx build(wb_error *err)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (!ctx) {
        wb_error_set(err, "seccomp: cannot initialise the filter");
        return NULL;
    }
    /* A binary tree of syscall numbers rather than a list: the kernel evaluates the
     * filter for every syscall number when it is attached (to fill its action
     * cache), so a shorter path per number makes attaching cheaper too. */
    int ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    for (size_t i = 0; ret == 0 && i < sizeof allowed / sizeof allowed[0]; i++) {
        int nr = seccomp_syscall_resolve_name(allowed[i]);
        if (nr == __NR_SCMP_ERROR)
            continue; /* not a system call on this architecture */
        ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
    }
    /* getrlimit (the engine sizes its native stack use), never setting a limit. */
    if (ret == 0) {
        struct scmp_arg_cmp cmp[2] = {{.arg = 0, .op = SCMP_CMP_EQ, .datum_a = 0, .datum_b = 0},
                                      {.arg = 2, .op = SCMP_CMP_EQ, .datum_a = 0, .datum_b = 0}};
        ret = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 2, cmp);
    }
    if (ret == 0 && seccomp_syscall_resolve_name("getrlimit") != __NR_SCMP_ERROR)
        ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(getrlimit), 0);
    static const unsigned long ioctls[] = {TCGETS, FIONREAD};
    for (size_t i = 0; ret == 0 && i < sizeof ioctls / sizeof ioctls[0]; i++) {
        struct scmp_arg_cmp cmp = {.arg = 1, .op = SCMP_CMP_EQ, .datum_a = ioctls[i], .datum_b = 0};
        ret = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, &cmp);
    }
    if (ret < 0) {
        seccomp_release(ctx);
        wb_error_errno(err, -ret, "seccomp: cannot build the filter");
        return NULL;
    }
    return ctx;
}

static char *cache_path(const char *root)
{
    const struct scmp_version *v = seccomp_version();
    struct utsname u;
    if (uname(&u) < 0)
        return NULL;
    return ctr_strf("%s/seccomp/v%d-%u.%u.%u-%s.bpf", root, FILTER_VERSION, v->major, v->minor,
                    v->micro, u.machine);
}

/* Loads a cached program: 0, or -1 if there is none (or it is not a program). */
static int load_cached(const char *path)
{
    struct sock_filter insns[BPF_MAXINSNS];
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, insns, sizeof insns);
    if (n <= 0 || n % (ssize_t)sizeof insns[0] != 0)
        return -1;
    struct sock_fprog prog = {(unsigned short)(n / (ssize_t)sizeof insns[0]), insns};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -1;
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0 ? 0 : -1;
}

static void save(scmp_filter_ctx ctx, const char *path)
{
    char hex[17];
    _cleanup_free_ char *dir = strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (!slash || ctr_random_hex(hex, 8, NULL) < 0)
        return;
    *slash = 0;
    mkdir(dir, 0755);
    _cleanup_free_ char *tmp = ctr_strf("%s.tmp-%s", path, hex);
    if (!tmp)
        return;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    int ret = seccomp_export_bpf(ctx, fd);
    if (ret == 0)
        ret = fsync(fd);
    close(fd);
    if (ret != 0 || rename(tmp, path) < 0)
        unlink(tmp);
}

int ctr_seccomp_apply(const char *root, wb_error *err)
{
    _cleanup_free_ char *path = root ? cache_path(root) : NULL;
    if (path && load_cached(path) == 0)
        return 0;
    scmp_filter_ctx ctx = build(err);
    if (!ctx)
        return -1;
    if (path)
        save(ctx, path);
    int ret = seccomp_load(ctx);
    seccomp_release(ctx);
    if (ret < 0)
        return wb_error_errno(err, -ret, "seccomp: cannot load the filter");
    return 0;
}
