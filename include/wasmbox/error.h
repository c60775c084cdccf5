/*
 * error.h — the one error style of wasmbox.
 *
 * Every fallible function outside the interpreter's hot loop returns 0 on success
 * or a negative value on failure, and fills the caller's wb_error once with a
 * single human-readable line ("decode: unexpected end of section at offset 0x1f").
 * Callers usually just `return ret;` and let the outermost caller print the line.
 * The message is stored inline, so an error never needs to be freed.
 */
#ifndef WASMBOX_ERROR_H
#define WASMBOX_ERROR_H

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#define WB_ERROR_MAX 512

typedef struct wb_error {
    int code;                  /* errno value when the failure came from the OS, else 0 */
    char message[WB_ERROR_MAX];
} wb_error;

/* Fills *err (if not NULL) and returns -1. printf-style. */
int wb_error_set(wb_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, with ": strerror(errnum)" appended and err->code = errnum. */
int wb_error_errno(wb_error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "out of memory" */
int wb_error_oom(wb_error *err);
/* Prepends "prefix: " to an already-filled message. Returns -1. */
int wb_error_prefix(wb_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Owned-resource helpers (crun's style): the variable is released when it leaves scope. */
static inline void wb_freep(void *p) { free(*(void **)p); }
static inline void wb_closep(int *fd) { if (*fd >= 0) close(*fd); }
#define _cleanup_free_ __attribute__((cleanup(wb_freep)))
#define _cleanup_close_ __attribute__((cleanup(wb_closep)))

#endif
