/* error.c — filling wb_error values (see include/wasmbox/error.h). */
#include "wasmbox/error.h"

#include <stdio.h>
#include <string.h>

static int error_vset(wb_error *err, int code, const char *fmt, va_list ap)
{
    if (!err)
        return -1;
    err->code = code;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    return -1;
}

int wb_error_set(wb_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, 0, fmt, ap);
    va_end(ap);
    return -1;
}

int wb_error_errno(wb_error *err, int errnum, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, errnum, fmt, ap);
    va_end(ap);
    size_t used = strlen(err->message);
    snprintf(err->message + used, sizeof err->message - used, ": %s", strerror(errnum));
    return -1;
}

int wb_error_oom(wb_error *err)
{
    return wb_error_set(err, "out of memory");
}

int wb_error_prefix(wb_error *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    char prefix[WB_ERROR_MAX], old[WB_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof old);
    /* Assemble by hand: snprintf("%s: %s") of two full buffers trips -Wformat-truncation. */
    size_t plen = strnlen(prefix, sizeof err->message - 3);
    memcpy(err->message, prefix, plen);
    memcpy(err->message + plen, ": ", 2);
    size_t room = sizeof err->message - plen - 3;
    size_t olen = strnlen(old, room);
    memcpy(err->message + plen + 2, old, olen);
    err->message[plen + 2 + olen] = '\0';
    return -1;
}
