/*
 * main.c — the wasmbox-runtime executable: runc's command line (see runtime.h).
 *
 * Engines run the runtime three or four times per container, so its start-up
 * counts. The container module's helpers (src/container/util.c, needed for the guest
 * runner) refer to wb_image_default_root, whose file in the image module would bring
 * the image store and libcrypto (0.6 ms of loading and relocation per run) into a
 * binary that never opens an image store. This definition, linked first, keeps
 * them out; the runtime never calls it. (If the image store is ever linked in for
 * real, the duplicate definition fails the link loudly instead of misbehaving.)
 */
#include "wasmbox/image.h"
#include "wasmbox/runtime.h"

int wb_image_default_root(char *buf, size_t len, wb_error *err)
{
    (void)buf;
    (void)len;
    return wb_error_set(err, "wasmbox-runtime has no image store");
}

int main(int argc, char **argv)
{
    return wb_runtime_main(argc, argv);
}
