/*
 * probe.c — the test program of the container tests (compiled to wasm32-wasi): one
 * module whose first argument says what to do, so one image covers every case.
 *
 *   hello              print a greeting          args A...    print each argument
 *   env                print the environment     cat FILE     print a file
 *   write FILE TEXT    create FILE with TEXT     ls DIR       list a directory
 *   exit N             exit with status N        trap         execute `unreachable`
 *   spin               print "spinning", then loop forever without a WASI call
 *   tick N MS          print "tick I" N times (0: forever), MS milliseconds apart
 *   grow MIB           allocate MiB one at a time, print how many succeeded
 *   stderr TEXT        print TEXT on stderr      lines N      print N numbered lines
 *   tty                print isatty() of stdout, stderr and stdin
 *   echo               copy stdin to stdout until end of file (or "quit")
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int cat(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("cat %s: %s\n", path, strerror(errno));
        return 1;
    }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stdout);
    fclose(f);
    return 0;
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        printf("write %s: %s\n", path, strerror(errno));
        return 1;
    }
    fputs(text, f);
    fclose(f);
    printf("wrote %s\n", path);
    return 0;
}

static int ls(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        printf("ls %s: %s\n", path, strerror(errno));
        return 1;
    }
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            printf("%s\n", e->d_name);
    closedir(d);
    return 0;
}

static volatile unsigned long counter;
/* Where grow keeps its blocks: a global the compiler cannot prove unused, or it
 * would remove the allocations altogether. */
char *volatile blocks[4096];

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "hello";
    if (!strcmp(cmd, "hello")) {
        printf("hello from probe\n");
    } else if (!strcmp(cmd, "args")) {
        for (int i = 0; i < argc; i++)
            printf("argv[%d]=%s\n", i, argv[i]);
    } else if (!strcmp(cmd, "env")) {
        for (char **e = environ; *e; e++)
            printf("%s\n", *e);
    } else if (!strcmp(cmd, "cat") && argc > 2) {
        return cat(argv[2]);
    } else if (!strcmp(cmd, "write") && argc > 3) {
        return write_file(argv[2], argv[3]);
    } else if (!strcmp(cmd, "ls") && argc > 2) {
        return ls(argv[2]);
    } else if (!strcmp(cmd, "exit") && argc > 2) {
        return atoi(argv[2]);
    } else if (!strcmp(cmd, "trap")) {
        __builtin_trap();
    } else if (!strcmp(cmd, "spin")) {
        printf("spinning\n");
        fflush(stdout);
        for (;;)
            counter++;
    } else if (!strcmp(cmd, "tick") && argc > 3) {
        int n = atoi(argv[2]), ms = atoi(argv[3]);
        for (int i = 1; n == 0 || i <= n; i++) {
            printf("tick %d\n", i);
            fflush(stdout);
            struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
            nanosleep(&ts, NULL);
        }
    } else if (!strcmp(cmd, "grow") && argc > 2) {
        int want = atoi(argv[2]), got = 0;
        while (got < want && got < 4096) {
            char *p = malloc(1 << 20);
            if (!p)
                break;
            memset(p, 1, 1 << 20);
            blocks[got++] = p;
        }
        printf("allocated %d MiB\n", got);
        return got == want ? 0 : 3;
    } else if (!strcmp(cmd, "stderr") && argc > 2) {
        fprintf(stderr, "%s\n", argv[2]);
    } else if (!strcmp(cmd, "lines") && argc > 2) {
        for (int i = 1; i <= atoi(argv[2]); i++)
            printf("line %d\n", i);
    } else if (!strcmp(cmd, "tty")) {
        printf("isatty(1)=%d isatty(2)=%d isatty(0)=%d\n", isatty(1), isatty(2), isatty(0));
    } else if (!strcmp(cmd, "echo")) {
        char line[256];
        while (fgets(line, sizeof line, stdin) && strncmp(line, "quit", 4) != 0) {
            printf("got: %s", line);
            fflush(stdout);
        }
    } else {
        fprintf(stderr, "probe: unknown command %s\n", cmd);
        return 2;
    }
    return 0;
}
