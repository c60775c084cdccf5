/*
 * root.c — the root directory every container command works under.
 *
 * Kept apart from util.c because it is the one helper that reaches into the image
 * module (for the default root): wasmbox-runtime links the container module's
 * guest runner and helpers, and must not drag the image store and libcrypto in
 * with them.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "ctr.h"

char *ctr_root(const char *root, wb_error *err)
{
    /* jansson seeds its hash function from /dev/urandom (open, read, close) the first
     * time an object is made, unless seeded first: getrandom is one system call. */
    static bool seeded;
    if (!seeded) {
        uint32_t seed = 0;
        if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != sizeof seed)
            seed = (uint32_t)ctr_mono_ns() ^ (uint32_t)getpid();
        json_object_seed(seed | 1);
        seeded = true;
    }
    char buf[PATH_MAX], cwd[PATH_MAX];
    if (!root) {
        if (wb_image_default_root(buf, sizeof buf, err) < 0)
            return NULL;
        root = buf;
    }
    /* Absolute: supervisors outlive the command and run from "/". */
    char *r = root[0] == '/'            ? strdup(root)
              : getcwd(cwd, sizeof cwd) ? ctr_strf("%s/%s", cwd, root)
                                        : NULL;
    if (!r)
        wb_error_errno(err, errno ? errno : ENOMEM, "root directory %s", root);
    return r;
}
