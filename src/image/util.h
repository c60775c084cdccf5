/*
 * util.h — small helpers shared by the image module: SHA-256 digests, paths, whole
 * files, atomic writes, directory removal and JSON conveniences.
 *
 * Everything here follows error.h's convention (0 / <0 with *err filled). Strings
 * returned as `char *` are owned by the caller (free()).
 */
#ifndef WB_IMAGE_UTIL_H
#define WB_IMAGE_UTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "wasmbox/error.h"
#include "wasmbox/image.h"

/* Biggest JSON document (index, manifest, config) we agree to read into memory. */
#define WBI_JSON_MAX (16u << 20)

/* ---- SHA-256 ---- */
typedef struct wbi_sha256 {
    void *ctx; /* EVP_MD_CTX */
} wbi_sha256;

int wbi_sha256_init(wbi_sha256 *h, wb_error *err);
void wbi_sha256_update(wbi_sha256 *h, const void *data, size_t len);
/* Writes "sha256:<hex>" and releases the context. */
void wbi_sha256_final(wbi_sha256 *h, char out[WB_DIGEST_LEN]);
void wbi_sha256_free(wbi_sha256 *h);
void wbi_sha256_buf(const void *data, size_t len, char out[WB_DIGEST_LEN]);

/* "sha256:" followed by exactly 64 lowercase hex digits. */
bool wbi_digest_valid(const char *digest);
/* The hex part of a valid digest. */
static inline const char *wbi_digest_hex(const char *digest)
{
    return digest + 7;
}

/* ---- paths and files ---- */
char *wbi_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int wbi_mkdir_p(const char *path, mode_t mode, wb_error *err);
/* Removes a file or a whole tree without following symlinks. Missing is fine. */
int wbi_rm_rf(const char *path, wb_error *err);
/* Same for the entry `name` of the directory open as `dfd`. */
int wbi_rm_rf_at(int dfd, const char *name, wb_error *err);
int wbi_fsync_dir(const char *dir, wb_error *err);
/* Reads a whole file (at most `max` bytes, else an error naming the file); *out is
 * NUL-terminated. */
int wbi_read_file(const char *path, size_t max, char **out, size_t *len, wb_error *err);
/* Reads a whole descriptor the same way. */
int wbi_read_fd(int fd, const char *what, size_t max, char **out, size_t *len, wb_error *err);
/* Writes `path` atomically: a temporary file beside it, fsync, rename, fsync of the
 * directory. */
int wbi_write_atomic(const char *path, const void *data, size_t len, wb_error *err);
/* write(2) all of it. */
int wbi_write_all(int fd, const void *data, size_t len, const char *what, wb_error *err);

/* strcmp for qsort over an array of `const char *`. */
int wbi_strcmp_ptr(const void *a, const void *b);

/* ---- JSON ---- */
/* Parses `len` bytes as one JSON value; errors read "<what>: malformed JSON: ...". */
json_t *wbi_json_parse(const char *buf, size_t len, const char *what, wb_error *err);
/* Compact, sorted keys: the canonical form of everything we hash. Caller frees. */
char *wbi_json_dump(const json_t *value);
/* obj[key] as a string, or NULL when absent or not a string. */
const char *wbi_json_str(const json_t *obj, const char *key);
/* A NULL-terminated copy of a JSON array of strings (NULL json: empty array).
 * Returns NULL on OOM or when an element is not a string. */
char **wbi_strv_from_json(const json_t *array);
void wbi_strv_free(char **v);
size_t wbi_strv_len(char *const *v);

/* RFC 3339 UTC text of a unix time ("2024-01-02T03:04:05Z"); buf >= 32 bytes. */
void wbi_time_format(int64_t t, char *buf, size_t len);
/* Parses RFC 3339 (fractions and offsets allowed); -1 when not a time. */
int64_t wbi_time_parse(const char *s);

#endif
