/* Odds and ends, one mode per run (argv[1]):
 *   exit N      proc_exit(N)
 *   trap        reaches `unreachable` inside a function named trap_here
 *   raise SIG   proc_raise(SIG)
 *   prestat     the preopens' names and the prestat errnos (expects -v X:/data, --dir Y::cfg)
 *   workdir     relative paths land in the -w directory
 *   memory      a 1 GiB allocation fails under --memory 16m, small ones work */
#include "t.h"

#include <fcntl.h>
#include <unistd.h>

__attribute__((noinline)) void trap_here(volatile int x)
{
    if (x)
        __builtin_trap();
}

static int prestat(void)
{
    __wasi_prestat_t ps;
    char name[64];
    EQ(__wasi_fd_prestat_get(3, &ps), 0);
    EQ(ps.tag, __WASI_PREOPENTYPE_DIR);
    EQ(ps.u.dir.pr_name_len, 5);
    EQ(__wasi_fd_prestat_dir_name(3, (uint8_t *)name, 5), 0);
    CHECK(memcmp(name, "/data", 5) == 0);
    EQ(__wasi_fd_prestat_dir_name(3, (uint8_t *)name, 4), __WASI_ERRNO_NAMETOOLONG);
    EQ(raw_fd_prestat_dir_name(3, BAD, 5), __WASI_ERRNO_FAULT);
    EQ(raw_fd_prestat_get(3, BAD), __WASI_ERRNO_FAULT);
    EQ(__wasi_fd_prestat_get(4, &ps), 0);
    EQ(ps.u.dir.pr_name_len, 3);
    EQ(__wasi_fd_prestat_dir_name(4, (uint8_t *)name, 3), 0);
    CHECK(memcmp(name, "cfg", 3) == 0);
    EQ(__wasi_fd_prestat_get(5, &ps), __WASI_ERRNO_BADF);
    EQ(__wasi_fd_prestat_get(0, &ps), __WASI_ERRNO_BADF);
    EQ(__wasi_fd_prestat_dir_name(1, (uint8_t *)name, 3), __WASI_ERRNO_BADF);
    /* wasi-libc finds both, whatever their spelling */
    CHECK(access("/data/marker", F_OK) == 0);
    CHECK(access("cfg/marker2", F_OK) == 0);
    OK("fd_prestat_get");
    OK("fd_prestat_dir_name");
    return 0;
}

static int workdir(void)
{
    int fd = open("rel.txt", O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, "w", 1) == 1);
    close(fd);
    CHECK(access("/data/sub/rel.txt", F_OK) == 0);
    CHECK(access("/data/marker", F_OK) == 0);
    OK("workdir");
    return 0;
}

static int memory(void)
{
    /* volatile: otherwise the compiler may assume malloc succeeds and drop it */
    void *volatile big = malloc(1u << 30);
    CHECK(big == NULL);
    CHECK(__builtin_wasm_memory_grow(0, 16384) == (size_t)-1);
    void *volatile small = malloc(1 << 20);
    CHECK(small != NULL);
    memset(small, 1, 1 << 20);
    OK("memory_limit");
    return 0;
}

int main(int argc, char **argv)
{
    CHECK(argc >= 2);
    const char *mode = argv[1];
    if (strcmp(mode, "exit") == 0)
        __wasi_proc_exit((unsigned)atoi(argv[2]));
    if (strcmp(mode, "trap") == 0) {
        printf("before trap\n");
        fflush(stdout);
        trap_here(1);
        return 0;
    }
    if (strcmp(mode, "raise") == 0) {
        EQ(raw_proc_raise(0), 0);
        EQ(raw_proc_raise(99), __WASI_ERRNO_INVAL);
        EQ(raw_proc_raise(16), 0); /* SIGCHLD: ignored */
        printf("raising\n");
        fflush(stdout);
        raw_proc_raise(atoi(argv[2]));
        return 3;
    }
    if (strcmp(mode, "prestat") == 0)
        return prestat();
    if (strcmp(mode, "workdir") == 0)
        return workdir();
    if (strcmp(mode, "memory") == 0)
        return memory();
    return 2;
}
