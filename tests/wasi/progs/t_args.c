/* Arguments and environment: argv[0] is the module's name, flags after the module
 * reach the guest untouched, only asked-for variables are present, and the raw
 * calls fail cleanly on bad pointers. Expects the driver's exact command line. */
#include "t.h"

extern char **environ;

static const char *env_get(const char *k)
{
    size_t n = strlen(k);
    for (char **e = environ; *e; e++)
        if (strncmp(*e, k, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

int main(int argc, char **argv)
{
    EQ(argc, 6);
    CHECK(strcmp(argv[0], "t_args.wasm") == 0);
    CHECK(strcmp(argv[1], "-q") == 0);
    CHECK(strcmp(argv[2], "-o") == 0);
    CHECK(strcmp(argv[3], "--env=X") == 0);
    CHECK(strcmp(argv[4], "a b") == 0);
    CHECK(strcmp(argv[5], "") == 0);
    OK("args");

    CHECK(env_get("FOO") && strcmp(env_get("FOO"), "bar") == 0);
    CHECK(env_get("EMPTY") && strcmp(env_get("EMPTY"), "") == 0);
    CHECK(env_get("WB_T_INHERIT") && strcmp(env_get("WB_T_INHERIT"), "from-host") == 0);
    CHECK(env_get("FROM_FILE") && strcmp(env_get("FROM_FILE"), "1 2 3") == 0);
    CHECK(env_get("WT") && strcmp(env_get("WT"), "wasmtime") == 0);
    CHECK(!env_get("PATH"));       /* the host environment is not passed through */
    CHECK(!env_get("WB_T_UNSET")); /* -e K for a K the host lacks: absent */
    CHECK(!env_get("# comment"));
    OK("environ");

    /* sizes agree with the strings */
    __wasi_size_t n, size;
    EQ(__wasi_args_sizes_get(&n, &size), 0);
    EQ(n, 6);
    EQ(size, strlen("t_args.wasm") + 1 + 3 + 3 + 8 + 4 + 1);
    EQ(__wasi_environ_sizes_get(&n, &size), 0);
    EQ(n, 5);
    OK("sizes");

    /* hostile pointers: EFAULT, misaligned: EINVAL, and nothing written */
    EQ(raw_args_sizes_get(BAD, ADDR(&size)), __WASI_ERRNO_FAULT);
    EQ(raw_args_sizes_get(ADDR(&n), BAD), __WASI_ERRNO_FAULT);
    EQ(raw_args_sizes_get(ADDR(&n) + 1, ADDR(&size)), __WASI_ERRNO_INVAL);
    char *buf = malloc(1024);
    uint32_t *vec = malloc(64);
    EQ(raw_args_get(BAD, ADDR(buf)), __WASI_ERRNO_FAULT);
    EQ(raw_args_get(ADDR(vec), BAD), __WASI_ERRNO_FAULT);
    EQ(raw_args_get(ADDR(vec), -4), __WASI_ERRNO_FAULT);
    EQ(raw_environ_get(BAD, ADDR(buf)), __WASI_ERRNO_FAULT);
    EQ(raw_environ_sizes_get(BAD, BAD), __WASI_ERRNO_FAULT);
    EQ(raw_args_get(ADDR(vec), ADDR(buf)), 0);
    CHECK(strcmp((char *)(uintptr_t)vec[0], "t_args.wasm") == 0);
    EQ(raw_environ_get(ADDR(vec), ADDR(buf)), 0);
    OK("args_faults");
    return 0;
}
