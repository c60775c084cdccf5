/*
 * cmd_kill.c — `wasmbox kill [-s SIGNAL] CONTAINER...`: SIGKILL (the default) ends
 * the program at once; any other terminating signal interrupts it, and it exits
 * with 128+signal as a native process would; signals a process ignores by default
 * (SIGCHLD, SIGWINCH, ...) change nothing.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "run_container.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: wasmbox kill [OPTIONS] CONTAINER [CONTAINER...]\n"
               "\n"
               "Kill one or more running containers.\n"
               "\n"
               "Options:\n"
               "  -s, --signal SIG   Signal to send: a name (KILL, SIGTERM, ...) or a number\n"
               "                     (default \"KILL\")\n"
               "  -h, --help         Print this help\n");
}

static const struct {
    const char *name;
    int sig;
} signals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"BUS", SIGBUS},     {"FPE", SIGFPE},
    {"KILL", SIGKILL},     {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE},     {"ALRM", SIGALRM}, {"TERM", SIGTERM},   {"CHLD", SIGCHLD},
    {"CONT", SIGCONT},     {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
    {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

static int parse_signal(const char *s)
{
    char *end;
    long n = strtol(s, &end, 10);
    if (*s && !*end)
        return n > 0 && n < 65 ? (int)n : -1;
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
        if (strcasecmp(s, signals[i].name) == 0)
            return signals[i].sig;
    return -1;
}

static int kill_one(const char *id, void *arg, wb_error *err)
{
    return wb_container_kill(NULL, id, *(int *)arg, err);
}

int cmd_kill(int argc, char **argv)
{
    static const struct option longs[] = {{"signal", required_argument, NULL, 's'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    int sig = SIGKILL, c;
    optind = 1;
    while ((c = wb_ctr_cli_getopt(argc, argv, ":s:h", longs)) != -1) {
        switch (c) {
        case 's':
            if ((sig = parse_signal(optarg)) < 0) {
                fprintf(stderr, "wasmbox: invalid signal: %s\n", optarg);
                return WB_CTR_CLI_FAIL;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return WB_CTR_CLI_USAGE;
        }
    }
    if (optind >= argc)
        return wb_ctr_cli_usage(argv[0], "\"kill\" requires at least 1 argument");
    return wb_ctr_cli_each(argc, argv, optind, kill_one, &sig);
}
