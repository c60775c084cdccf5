/*
 * run_container.h — `wasmbox run IMAGE` and what the container commands (ps, logs,
 * stop, kill, rm, wait, stats, restart, start, create, container) share. Defined in
 * run_container.c.
 */
#ifndef WASMBOX_CLI_RUN_CONTAINER_H
#define WASMBOX_CLI_RUN_CONTAINER_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "options.h"
#include "wasmbox/container.h"

/* Runs IMAGE as a container with the flags in opts; argv[0..argc) are the program's
 * arguments (those after IMAGE). Returns the exit status: the program's, or 125
 * (wasmbox failed), 126 (not a runnable module), 127 (entrypoint not found). */
int wb_cli_run_container(const wb_run_options *opts, const char *image, int argc, char **argv);

/* The container flags wb_run_options does not hold (--restart, --stop-timeout):
 * removes them from argv[1..] up to the first non-flag word, and keeps them for the
 * next wb_cli_run_container(). Returns 0, or 125 after printing the error. */
int wb_cli_run_take_container_flags(int *argc, char **argv);
/* What it took: the --restart policy ("" if none) and --stop-timeout (-1 if none). */
const char *wb_cli_run_restart(void);
int wb_cli_run_stop_timeout(void);

/* ---- shared by the container commands ------------------------------------------- */

/* Exit statuses of the commands other than run: docker's 1 when the command failed,
 * 125 for a bad flag. */
#define WB_CTR_CLI_FAIL 1
#define WB_CTR_CLI_USAGE 125

/* Prints "wasmbox: <message>" and returns WB_CTR_CLI_FAIL. */
int wb_ctr_cli_fail(const wb_error *err);
/* "wasmbox CMD: MSG\nSee 'wasmbox CMD --help'." and WB_CTR_CLI_USAGE. */
int wb_ctr_cli_usage(const char *cmd, const char *msg);
/* getopt_long with docker-style messages for unknown flags and missing values
 * (shorts must begin with ':'). Returns the option, -1 at the end, or '?' after
 * printing the error. Set optind = 1 before the first call. */
int wb_ctr_cli_getopt(int argc, char **argv, const char *shorts, const struct option *longs);
/* Resolves a reference, printing the error on failure. */
int wb_ctr_cli_resolve(const char *ref, char id[WB_CTR_ID_LEN + 1]);
/* What stop, kill, rm, start and restart do to one container. */
typedef int (*wb_ctr_cli_action)(const char *id, void *arg, wb_error *err);
/* Applies `act` to each CONTAINER argument argv[first..argc), docker's way: every
 * container is tried, each success prints the name as given, each failure one
 * error line; returns 0 or WB_CTR_CLI_FAIL. */
int wb_ctr_cli_each(int argc, char **argv, int first, wb_ctr_cli_action act, void *arg);
/* stop and restart: parses [-t|--time|--timeout N] [-h] CONTAINER... and calls act
 * for each with arg pointing at the timeout (an int, -1 when not given). */
int wb_ctr_cli_each_timed(int argc, char **argv, const char *verb, void (*usage)(FILE *),
                          wb_ctr_cli_action act);
/* docker's sizes in binary units for memory ("1.5MiB"). */
void wb_ctr_cli_mem_size(uint64_t bytes, char *buf, size_t len);

int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_container_prune(int argc, char **argv);
int cmd_container_inspect(int argc, char **argv);

#endif
