/*
 * store.h — the image store's internals: paths, locks, index.json, blobs, the
 * staging transactions through which every new blob enters, and the refs cache.
 *
 * Layout under the root:
 *   oci-layout, index.json, blobs/sha256/<hex>   the OCI image layout (shared with tools)
 *   .wasmbox/index.lock   flock: held exclusively while index.json is rewritten
 *   .wasmbox/gc.lock      flock: shared by every transaction, exclusive for garbage collection
 *   .wasmbox/refs         cache of the index (names -> digests, sizes), see cache.c
 *   .wasmbox/tmp/txn-*    staging directories of running (or killed) transactions
 *
 * Lock order is always gc.lock before index.lock.
 */
#ifndef WB_IMAGE_STORE_H
#define WB_IMAGE_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "util.h"
#include "wasmbox/image.h"

#define WBI_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define WBI_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define WBI_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define WBI_MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define WBI_MT_OCI_LAYER_GZ "application/vnd.oci.image.layer.v1.tar+gzip"
#define WBI_MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define WBI_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define WBI_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define WBI_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define WBI_MT_DOCKER_LAYER_GZ "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define WBI_MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar"
#define WBI_MT_WASM_CONFIG "application/vnd.wasm.config.v0+json"
#define WBI_MT_WASM_LAYER "application/wasm"

#define WBI_ANN_REF_NAME "org.opencontainers.image.ref.name"
#define WBI_ANN_CREATED "org.opencontainers.image.created"
#define WBI_ANN_TITLE "org.opencontainers.image.title"
#define WBI_ANN_CONTAINERD_NAME "io.containerd.image.name"

struct wb_image_store {
    char *root;
    char *blobs;      /* root/blobs/sha256 */
    char *priv;       /* root/.wasmbox */
    char *index_path; /* root/index.json */
};

/* ---- locks ---- */
/* Takes an flock on .wasmbox/<name> (LOCK_SH/LOCK_EX, optionally | LOCK_NB) and returns
 * the descriptor to close, or <0. With LOCK_NB a busy lock returns -2, err untouched. */
int wbi_lock(wb_image_store *s, const char *name, int how, wb_error *err);

/* ---- index.json ---- */
/* Reads and shape-checks index.json (schemaVersion 2, a manifests array). If `st` is
 * given, it receives the fstat of the file that was read. */
int wbi_index_load(wb_image_store *s, json_t **out, struct stat *st, wb_error *err);
/* Rewrites index.json under the exclusive index lock: loads it, lets `edit` change it,
 * writes it atomically and refreshes the refs cache. `edit` returning <0 aborts with
 * nothing written; returning 1 means "no change". */
typedef int (*wbi_index_edit_fn)(wb_image_store *s, json_t *index, void *arg, wb_error *err);
int wbi_index_update(wb_image_store *s, wbi_index_edit_fn edit, void *arg, wb_error *err);
/* Same, for a caller that already holds the index lock. */
int wbi_index_update_locked(wb_image_store *s, wbi_index_edit_fn edit, void *arg, wb_error *err);

/* ---- blobs ---- */
char *wbi_blob_path(const wb_image_store *s, const char *digest);
bool wbi_blob_exists(const wb_image_store *s, const char *digest);
/* Reads a whole blob (<= max bytes) and checks it against its digest. */
int wbi_blob_read(const wb_image_store *s, const char *digest, size_t max, char **out, size_t *len,
                  wb_error *err);
/* Reads a blob as JSON (verified); `what` names it in errors ("manifest", "config"). */
int wbi_blob_json(const wb_image_store *s, const char *digest, const char *what, json_t **out,
                  wb_error *err);
/* A manifest's layer descriptors (config + layers) after checking its shape, or the
 * manifest to use from an image index (the wasi/wasm one, else the only one). */
int wbi_manifest_load(const wb_image_store *s, const char *digest, json_t **manifest,
                      char resolved[WB_DIGEST_LEN], wb_error *err);
/* Checks that a manifest object has a config descriptor and a layers array of valid
 * descriptors with known media types. */
int wbi_manifest_check(const json_t *manifest, const char *what, wb_error *err);
/* Checks one descriptor: mediaType string, valid digest, non-negative size. */
int wbi_descriptor_check(const json_t *desc, const char *what, wb_error *err);
bool wbi_layer_media_type_known(const char *mt);

/* ---- transactions ---- */
typedef struct wbi_staged {
    char digest[WB_DIGEST_LEN];
    char *path;
} wbi_staged;

typedef struct wbi_txn {
    wb_image_store *store;
    char *dir;    /* .wasmbox/tmp/txn-<pid>-<n> */
    int gc_fd;    /* shared gc lock, held until wbi_txn_end */
    unsigned seq; /* names of temporary files */
    wbi_staged *staged;
    size_t n_staged, cap_staged;
} wbi_txn;

int wbi_txn_begin(wb_image_store *s, wbi_txn *txn, wb_error *err);
/* Removes the staging directory and releases the gc lock. Safe after a failed begin. */
void wbi_txn_end(wbi_txn *txn);
/* A fresh path inside the staging directory (for scratch files and directories). */
char *wbi_txn_tmp_path(wbi_txn *txn, const char *what);

typedef struct wbi_blob_writer {
    wbi_txn *txn;
    int fd;
    char *path;
    wbi_sha256 hash;
    uint64_t size;
} wbi_blob_writer;

int wbi_blob_writer_open(wbi_txn *txn, wbi_blob_writer *w, wb_error *err);
int wbi_blob_writer_write(wbi_blob_writer *w, const void *data, size_t len, wb_error *err);
/* fsyncs and stages the blob; fails if `expect` (may be NULL) differs from the
 * digest of what was written. */
int wbi_blob_writer_finish(wbi_blob_writer *w, const char *expect, char digest[WB_DIGEST_LEN],
                           uint64_t *size, wb_error *err);
void wbi_blob_writer_abort(wbi_blob_writer *w);
/* Stages a small in-memory blob. */
int wbi_txn_put(wbi_txn *txn, const void *data, size_t len, char digest[WB_DIGEST_LEN],
                wb_error *err);
/* Where a staged (or else a stored) blob can be read; NULL on OOM. */
char *wbi_txn_blob_path(wbi_txn *txn, const char *digest);
bool wbi_txn_has(wbi_txn *txn, const char *digest);
/* Moves the blobs named in `digests` into blobs/sha256 (those not staged must already
 * be stored), makes them durable, then runs the index edit. */
int wbi_txn_commit(wbi_txn *txn, char (*digests)[WB_DIGEST_LEN], size_t n, wbi_index_edit_fn edit,
                   void *arg, wb_error *err);

/* ---- refs cache (cache.c) ---- */
typedef struct wbi_entry {
    char manifest[WB_DIGEST_LEN];
    char config[WB_DIGEST_LEN];
    uint64_t size;
    int64_t created;
    char platform[64]; /* "wasi/wasm" */
    char name[256];    /* normalised, "" when untagged */
} wbi_entry;

typedef struct wbi_entries {
    wbi_entry *v;
    size_t n;
} wbi_entries;

/* The index as a list of entries, from the cache when it matches index.json. */
int wbi_entries_load(wb_image_store *s, wbi_entries *out, wb_error *err);
void wbi_entries_free(wbi_entries *e);
/* Rewrites the cache for `index` (called with the index lock held, after a write). */
int wbi_cache_write(wb_image_store *s, const json_t *index, const struct stat *st, wb_error *err);

/* ---- helpers used by several commands ---- */
/* Index entry edit: set `name` (normalised) on manifest descriptor `desc` (copied),
 * removing the name from any other entry and dropping entries left without a name
 * whose manifest is named elsewhere. */
int wbi_index_set_name(json_t *index, const json_t *desc, const char *name, wb_error *err);
/* An index descriptor for a stored manifest with the platform of its config. */
json_t *wbi_index_descriptor(const char *manifest_digest, uint64_t manifest_size, const char *os,
                             const char *arch);
/* Whether a container under $ROOT/containers uses the image; *who gets its id. */
bool wbi_image_in_use(wb_image_store *s, const char *manifest, const char *config, char *who,
                      size_t wholen);

#endif
