/*
 * commands.h — the `wasmbox` command table. One file per command under src/cli/
 * (crun's layout); each exports `int cmd_<name>(int argc, char **argv)` where
 * argv[0] is the command name, and returns the process exit status.
 */
#ifndef WASMBOX_CLI_COMMANDS_H
#define WASMBOX_CLI_COMMANDS_H

typedef struct wb_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} wb_command;

/* commands.c: the table, terminated by a {NULL} entry. */
extern const wb_command wb_commands[];

int cmd_run(int argc, char **argv);

#endif
