/*
 * fuzz_manifest.c — libFuzzer target for what a registry answers to a manifest
 * request: the manifest / image index parser (registry_manifest.c) and the platform
 * choice from an index. The first input byte picks the Content-Type the "registry"
 * sent (it decides when the document has no mediaType); the rest is the body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const ctypes[] = {
        NULL,
        "application/json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json; charset=utf-8",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
    };
    if (size == 0)
        return 0;
    const char *ctype = ctypes[data[0] % (sizeof ctypes / sizeof *ctypes)];
    wbr_manifest m;
    wb_error err;
    if (wbr_manifest_parse((const char *)data + 1, size - 1, ctype, "fuzz", &m, &err) < 0)
        return 0;
    if (m.is_index) {
        static const char *const platforms[] = {NULL, "wasi/wasm", "linux/amd64", "linux/arm64/v8", "linux"};
        for (size_t i = 0; i < sizeof platforms / sizeof *platforms; i++) {
            const wbr_desc *d;
            if (wbr_index_pick(&m, platforms[i], "fuzz", &d, &err) == 0 &&
                (d < m.items || d >= m.items + m.n_items))
                abort(); /* the pick must be one of the entries */
        }
    }
    wbr_manifest_free(&m);
    return 0;
}
