/*
 * fuzz_www_authenticate.c — libFuzzer target for the WWW-Authenticate parser
 * (auth_challenge.c), which reads a header any server the client talks to — the
 * registry, a redirect target, a token realm — may send.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *header = malloc(size + 1);
    if (!header)
        return 0;
    memcpy(header, data, size);
    header[size] = 0; /* libcurl hands over NUL-terminated header values */
    wbr_challenge c;
    if (wbr_challenge_parse(header, &c) == 0) {
        if (c.scheme != WBR_AUTH_BASIC && c.scheme != WBR_AUTH_BEARER)
            abort();
        /* every value found is a proper string inside the input's length */
        const char *vals[] = {c.realm, c.service, c.scope, c.error};
        for (size_t i = 0; i < 4; i++)
            if (vals[i] && strlen(vals[i]) > size)
                abort();
    }
    wbr_challenge_free(&c);
    free(header);
    return 0;
}
