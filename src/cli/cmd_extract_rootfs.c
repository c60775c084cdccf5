/*
 * cmd_extract_rootfs.c — `wasmbox-tools __extract-rootfs ROOT MANIFEST DIR`, hidden.
 *
 * The lean `wasmbox` binary does not link libarchive; when a container run finds
 * an image not yet unpacked, it runs this (src/cli/lean/extract_proxy.c) and
 * reports our last stderr line as its error.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "wasmbox/image.h"

int cmd_extract_rootfs(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "wasmbox: __extract-rootfs: usage: __extract-rootfs ROOT MANIFEST DIR\n");
        return 125;
    }
    wb_error err = {0};
    wb_image_store *store = NULL;
    wb_image_ref ref;
    if (wb_image_store_open(argv[1], &store, &err) < 0 ||
        wb_image_lookup(store, argv[2], &ref, &err) < 0 ||
        wb_image_extract_rootfs(store, &ref, argv[3], &err) < 0) {
        wb_image_store_close(store);
        fprintf(stderr, "wasmbox: %s\n", err.message);
        return 125;
    }
    wb_image_store_close(store);
    return 0;
}
