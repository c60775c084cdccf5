/*
 * cmd_tag.c — `wasmbox tag SOURCE TARGET`: one more name for an image.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "image_cli.h"

int cmd_tag(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("Usage: wasmbox tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n"
               "\n"
               "Create a name TARGET_IMAGE that refers to SOURCE_IMAGE.\n");
        return 0;
    }
    if (argc != 3)
        return wbcli_usage_error("tag", "requires exactly 2 arguments");
    wb_image_store *s = wbcli_open_store();
    if (!s)
        return WBCLI_FAIL;
    wb_error err = {0};
    int status = wb_image_tag(s, argv[1], argv[2], &err) < 0 ? wbcli_fail(&err) : 0;
    wb_image_store_close(s);
    return status;
}
