/*
 * cmd_login.c — `wasmbox login [-u USER] [--password-stdin] [REGISTRY]`: checks the
 * credentials against the registry and stores them where podman keeps them
 * (${XDG_RUNTIME_DIR}/containers/auth.json, mode 0600). The password comes from
 * stdin (--password-stdin) or from a prompt with echo off; -p exists for docker's
 * sake and warns, because a command line is visible to every user of the machine.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "commands.h"
#include "image_cli.h"
#include "wasmbox/registry.h"

#define SECRET_MAX 4096

static void usage(FILE *f)
{
    fprintf(f, "Usage: wasmbox login [OPTIONS] [REGISTRY]\n"
               "\n"
               "Log in to a registry (docker.io when none is given).\n"
               "\n"
               "Options:\n"
               "  -u, --username USER     User name\n"
               "  -p, --password PASS     Password (insecure: prefer --password-stdin)\n"
               "      --password-stdin    Read the password from stdin\n"
               "      --tls-verify=BOOL   Require HTTPS and verify certificates\n"
               "      --cert-dir DIR      Use the certificates in DIR\n"
               "      --authfile FILE     Store the credentials in FILE\n"
               "  -h, --help              Print this help\n");
}

/* Reads one line (or, with all, everything) from stdin, without the line end. */
static bool read_stdin(char *buf, size_t len, bool all)
{
    size_t n = 0;
    for (;;) {
        char ch;
        ssize_t r = read(STDIN_FILENO, &ch, 1);
        if (r <= 0 || (!all && ch == '\n'))
            break;
        if (n + 1 >= len)
            return false;
        buf[n++] = ch;
    }
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = 0;
    return true;
}

/* Prompts on the terminal; echo off for secrets. */
static bool prompt(const char *what, char *buf, size_t len, bool secret)
{
    fprintf(stderr, "%s: ", what);
    fflush(stderr);
    struct termios old, quiet;
    bool restore = secret && tcgetattr(STDIN_FILENO, &old) == 0;
    if (restore) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    bool ok = read_stdin(buf, len, false);
    if (restore) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    return ok;
}

int cmd_login(int argc, char **argv)
{
    static const struct option opts[] = {
        {"username", required_argument, NULL, 'u'},
        {"password", required_argument, NULL, 'p'},
        {"password-stdin", no_argument, NULL, 'S'},
        {"tls-verify", optional_argument, NULL, WBCLI_OPT_TLS_VERIFY},
        {"cert-dir", required_argument, NULL, WBCLI_OPT_CERT_DIR},
        {"authfile", required_argument, NULL, WBCLI_OPT_AUTHFILE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    wb_registry_options o = {0};
    char user[256] = "", pass[SECRET_MAX] = "";
    bool from_stdin = false;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "u:p:h", opts, NULL)) != -1) {
        int r = wbcli_registry_opt(c, optarg, "login", &o);
        if (r < 0)
            return -r;
        if (r > 0)
            continue;
        if (c == 'u')
            snprintf(user, sizeof user, "%s", optarg);
        else if (c == 'p') {
            snprintf(pass, sizeof pass, "%s", optarg);
            fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
        } else if (c == 'S')
            from_stdin = true;
        else if (c == 'h') {
            usage(stdout);
            return 0;
        } else
            return wbcli_usage_error("login", "unknown flag or missing value");
    }
    if (argc - optind > 1)
        return wbcli_usage_error("login", "accepts at most 1 argument");
    if (from_stdin && pass[0])
        return wbcli_usage_error("login", "--password and --password-stdin are mutually exclusive");
    if (from_stdin && !user[0])
        return wbcli_usage_error("login", "--password-stdin needs --username");
    const char *registry = optind < argc ? argv[optind] : "docker.io";
    bool tty = isatty(STDIN_FILENO);
    int status = 0;
    if (from_stdin) {
        if (!read_stdin(pass, sizeof pass, true))
            status = wbcli_usage_error("login", "the password on stdin is too long");
    } else if (!pass[0] || !user[0]) {
        if (!tty)
            status = wbcli_usage_error("login", "cannot prompt for credentials: stdin is not a terminal "
                                                "(use --username and --password-stdin)");
        else if ((!user[0] && !prompt("Username", user, sizeof user, false)) ||
                 (!pass[0] && !prompt("Password", pass, sizeof pass, true)))
            status = wbcli_usage_error("login", "cannot read the credentials");
    }
    if (status == 0) {
        wb_error err = {0};
        if (wb_registry_login(registry, user, pass, &o, &err) < 0)
            status = wbcli_fail(&err);
        else
            printf("Login Succeeded\n");
    }
    explicit_bzero(pass, sizeof pass);
    return status;
}
