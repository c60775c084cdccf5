/*
 * cmd_restart.c — `wasmbox restart [-t N] CONTAINER...`: stop (as `stop -t N`),
 * then start again under a new supervisor, detached.
 */
#include <stdio.h>

#include "commands.h"
#include "run_container.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: wasmbox restart [OPTIONS] CONTAINER [CONTAINER...]\n"
               "\n"
               "Restart one or more containers.\n"
               "\n"
               "Options:\n"
               "  -t, --time N     Seconds to wait for it to stop before killing it\n"
               "  -h, --help       Print this help\n");
}

static int restart_one(const char *id, void *arg, wb_error *err)
{
    return wb_container_restart(NULL, id, *(int *)arg, err);
}

int cmd_restart(int argc, char **argv)
{
    return wb_ctr_cli_each_timed(argc, argv, "restart", usage, restart_one);
}
