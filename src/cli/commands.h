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
int cmd_build(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_rmi(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_restart(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_container(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_login(int argc, char **argv);
int cmd_logout(int argc, char **argv);
/* lean/delegate.c: runs the command in `wasmbox-tools`, beside this executable. */
int cmd_delegate_to_tools(int argc, char **argv);
/* extract_rootfs.c (wasmbox-tools only): __extract-rootfs ROOT MANIFEST-DIGEST DIR */
int cmd_extract_rootfs(int argc, char **argv);

/* cmd_pull.c: the flags pull, push, login and logout share (getopt_long codes).
 * Returns 1 when `c` was one of them, 0 when not, and minus the exit status after
 * printing a usage error. */
#define WBCLI_OPT_TLS_VERIFY 0x1001
#define WBCLI_OPT_CERT_DIR 0x1002
#define WBCLI_OPT_AUTHFILE 0x1003
struct wb_registry_options;
int wbcli_registry_opt(int c, const char *arg, const char *cmd, struct wb_registry_options *o);

#endif
