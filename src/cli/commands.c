/*
 * commands.c — the table of `wasmbox` commands (add one line per command).
 *
 * This file is compiled twice. In `wasmbox-tools` every entry runs its command.
 * In the lean `wasmbox` (WB_CLI_LEAN) the commands marked TOOLS(), the only ones
 * that need libarchive or libcurl, re-execute `wasmbox-tools` instead: loading
 * those libraries and their ~40 dependencies costs several milliseconds, which
 * `wasmbox run` must not pay (see docs/performance.md).
 */
#include "commands.h"

#include <stddef.h>

#ifdef WB_CLI_LEAN
#define TOOLS(fn) cmd_delegate_to_tools
#else
#define TOOLS(fn) fn
#endif

const wb_command wb_commands[] = {
    {"run", cmd_run, "Run a WebAssembly module or an image in a new container"},
    {"build", TOOLS(cmd_build), "Build a wasi/wasm image from a Dockerfile"},
    {"images", cmd_images, "List images"},
    {"tag", cmd_tag, "Give an image another name"},
    {"rmi", cmd_rmi, "Remove images"},
    {"inspect", cmd_inspect, "Show images in detail (JSON)"},
    {"save", TOOLS(cmd_save), "Save images to a tar archive"},
    {"load", TOOLS(cmd_load), "Load images from a tar archive"},
    {"image", TOOLS(cmd_image), "Manage images (ls, rm, inspect, prune, ...)"},
    {"ps", cmd_ps, "List containers"},
    {"logs", cmd_logs, "Fetch the logs of a container"},
    {"stop", cmd_stop, "Stop one or more running containers"},
    {"kill", cmd_kill, "Kill one or more running containers"},
    {"rm", cmd_rm, "Remove one or more containers"},
    {"wait", cmd_wait, "Block until containers stop, then print their exit codes"},
    {"stats", cmd_stats, "Display container resource usage"},
    {"restart", cmd_restart, "Restart one or more containers"},
    {"start", cmd_start, "Start one or more stopped containers"},
    {"create", cmd_create, "Create a new container"},
    {"container", cmd_container, "Manage containers (ls, run, inspect, prune, ...)"},
    {"pull", TOOLS(cmd_pull), "Download an image from a registry"},
    {"push", TOOLS(cmd_push), "Upload an image to a registry"},
    {"login", TOOLS(cmd_login), "Log in to a registry"},
    {"logout", TOOLS(cmd_logout), "Log out from a registry"},
#ifndef WB_CLI_LEAN
    /* hidden: the lean binary's wb_image_extract_rootfs() (src/cli/lean/) */
    {"__extract-rootfs", cmd_extract_rootfs, NULL},
#endif
    {NULL, NULL, NULL},
};
