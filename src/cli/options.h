/*
 * options.h — the flags of `wasmbox run`, parsed once into wb_run_options.
 *
 * Shared by the direct run of a FILE.wasm (run.c) and the image/container side,
 * which reads the same struct. Parsing only records what was asked; it opens no
 * file and creates no socket (run.c does that), except that `-e K` and
 * `--env-file` are resolved against the host environment at parse time, as docker
 * does, so `env` always holds plain "K=V" strings.
 */
#ifndef WASMBOX_CLI_OPTIONS_H
#define WASMBOX_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasmbox/error.h"

/* Set by `wasmbox --debug`: commands may print internal detail. */
extern bool wb_cli_debug;
/* main.c: which of descriptors 0-2 were closed when wasmbox started (they are
 * held on /dev/null so nothing else lands there; give the guest none of them). */
extern bool wb_stdio_closed[3];

typedef struct wb_strv {
    char **v;
    size_t n, cap;
} wb_strv;

typedef struct wb_volume {
    char *host;  /* as given (relative paths are relative to the current directory) */
    char *guest; /* as given, trailing slashes removed: "/data", ".", "data" */
    bool readonly;
} wb_volume;

typedef struct wb_port {
    char *ip;           /* NULL means every address */
    uint16_t host_port; /* where the host listens */
    uint16_t port;      /* the container's port (metadata for a file run) */
} wb_port;

typedef struct wb_run_options {
    bool rm, detach, interactive, tty, help;
    char *name;
    wb_strv env;        /* "K=V", in order; later ones win, as in docker */
    wb_volume *volumes; /* -v, --volume, --dir, --mapdir, in order */
    size_t nvolumes;
    char *workdir; /* -w */
    wb_port *ports;
    size_t nports;
    uint64_t memory;    /* --memory in bytes; 0 = no limit beyond 4 GiB */
    char *entrypoint;   /* --entrypoint / --invoke; NULL = the default */
    const char *target; /* IMAGE or FILE.wasm (points into argv) */
    char **args;        /* everything after the target, untouched (points into argv) */
    int nargs;
} wb_run_options;

/* Parses `run` flags from argv[1..] (argv[0] is the command name). Options stop at
 * the first non-option word (the target); everything after it is the program's.
 * Returns 0, or < 0 with err naming the bad flag. o->help is set for --help. */
int wb_run_options_parse(int argc, char **argv, wb_run_options *o, wb_error *err);
void wb_run_options_free(wb_run_options *o);

/* Runs o->target as an image (a container). Defined by the image/container side;
 * until it is linked in, `wasmbox run` only runs .wasm files. Returns the exit
 * status for the process. */
int wb_cli_run_image(const wb_run_options *o) __attribute__((weak));

/* "64m", "1g", "512k", "1048576", "2GiB" → bytes. Returns 0 or < 0 with err. */
int wb_parse_size(const char *s, uint64_t *out, wb_error *err);

/* Appends a copy of s; returns 0 or -1 on OOM. */
int wb_strv_push(wb_strv *sv, const char *s);
void wb_strv_free(wb_strv *sv);

#endif
