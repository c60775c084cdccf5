/*
 * layer.h — image layers: writing them reproducibly, and unpacking them safely.
 *
 * Writing: a layer is described as a list of file-system entries (wbi_fslist) whose
 * data comes from host files; wbi_layer_write() emits a pax tar with the entries
 * sorted, parents added, owners numeric, names and times fixed, gzip-compressed
 * without a timestamp, so the same inputs give the same digest anywhere.
 *
 * Unpacking: wbi_extract_fd() reads a tar stream (plain, gzip or zstd) and recreates
 * it under a directory descriptor without ever following a symlink, refusing ".."
 * components, links that leave the root, device files and over-long names, and
 * hashing every byte it reads so that the caller can check the blob's digest.
 */
#ifndef WB_IMAGE_LAYER_H
#define WB_IMAGE_LAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

typedef enum wbi_ftype { WBI_FILE, WBI_DIR, WBI_SYMLINK } wbi_ftype;

typedef struct wbi_fsent {
    char *path; /* inside the image, cleaned, no leading "/" ("app/x.wasm") */
    wbi_ftype type;
    unsigned mode; /* permission bits */
    unsigned uid, gid;
    char *source; /* WBI_FILE: host file with the data */
    char *link;   /* WBI_SYMLINK: target */
} wbi_fsent;

typedef struct wbi_fslist {
    wbi_fsent *v;
    size_t n, cap;
} wbi_fslist;

/* Appends a copy of the entry (strings duplicated). */
int wbi_fslist_add(wbi_fslist *l, const char *path, wbi_ftype type, unsigned mode, unsigned uid,
                   unsigned gid, const char *source, const char *link, wb_error *err);
/* Appends copies of every entry of `from`. */
int wbi_fslist_extend(wbi_fslist *l, const wbi_fslist *from, wb_error *err);
void wbi_fslist_free(wbi_fslist *l);
/* Sorts by path, keeps the last entry of each path, adds missing parent directories. */
int wbi_fslist_normalize(wbi_fslist *l, wb_error *err);

typedef struct wbi_layer_out {
    char digest[WB_DIGEST_LEN];  /* of the gzip blob */
    char diff_id[WB_DIGEST_LEN]; /* of the uncompressed tar */
    uint64_t size;               /* compressed bytes */
} wbi_layer_out;

/* Writes the (normalised) entries as a tar+gzip blob into the transaction. Every
 * entry gets mtime `mtime`. */
int wbi_layer_write(wbi_txn *txn, wbi_fslist *l, int64_t mtime, wbi_layer_out *out, wb_error *err);

/* Cleans an in-archive or in-image path: strips leading "/" and "./", collapses "//"
 * and "." components and a trailing "/". Fails on ".." components and empty
 * results ("." gives "" with *root = true when allow_root). */
int wbi_path_clean(const char *in, char *out, size_t outlen, wb_error *err);
/* Like wbi_path_clean, but ".." components remove the previous one; fails (without
 * touching err) when the path climbs above the root. */
int wbi_path_clean_dots(const char *in, char *out, size_t outlen);
/* True when a symlink at `path` (cleaned) with target `target` stays inside the root
 * (absolute targets are rooted at the image root). */
bool wbi_symlink_inside(const char *path, const char *target);

enum {
    WBI_X_WHITEOUTS = 1, /* apply .wh. files (image layers) */
    WBI_X_RAW = 2,       /* do not accept compressed input */
};

/* Unpacks a tar from `fd` under the directory `root_fd`. `what` names the input in
 * errors. *digest (may be NULL) gets the SHA-256 of all bytes read from fd (the
 * stream is read to its end) and *bytes their count. */
int wbi_extract_fd(int fd, int root_fd, const char *what, unsigned flags,
                   char digest[WB_DIGEST_LEN], uint64_t *bytes, wb_error *err);
/* True when the file at fd starts like a tar archive, possibly compressed (for ADD). */
bool wbi_is_archive(int fd);

/* Resolves `path` (inside the tree at host directory `root`) to a host path, following
 * symlinks as if `root` were "/", and never leaving it. `follow_last` follows a final
 * symlink. Fails with "... not found" or "... points outside". */
int wbi_resolve_in_root(const char *root, const char *path, bool follow_last, char **host,
                        wb_error *err);

#endif
