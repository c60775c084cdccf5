/*
 * image_cli.h — what the image commands (build, images, tag, rmi, inspect, save,
 * load, image) share: opening the store, printing the one-line error, and docker's
 * human formats for sizes and ages. Defined in cmd_image.c.
 */
#ifndef WASMBOX_CLI_IMAGE_CLI_H
#define WASMBOX_CLI_IMAGE_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "wasmbox/image.h"

/* Exit statuses: docker's 1 for a failed command, 125 for bad usage. */
#define WBCLI_FAIL 1
#define WBCLI_USAGE 125

/* Opens the store at the default root; on failure prints the error and returns NULL. */
wb_image_store *wbcli_open_store(void);
/* Prints "wasmbox: <message>" on stderr and returns WBCLI_FAIL. */
int wbcli_fail(const wb_error *err);
/* Prints "wasmbox CMD: <msg>\nSee 'wasmbox CMD --help'." and returns WBCLI_USAGE. */
int wbcli_usage_error(const char *cmd, const char *msg);
/* docker's sizes: "123B", "1.234kB", "12.35MB" (decimal units, 4 significant digits). */
void wbcli_human_size(uint64_t bytes, char *buf, size_t len);
/* docker's ages: "About a minute ago", "3 hours ago", "N/A" for t < 0. */
void wbcli_human_age(int64_t t, char *buf, size_t len);

/* The commands `image` dispatches to (besides the ones in commands.h). */
int cmd_image_prune(int argc, char **argv);

#endif
