/*
 * image.h — wasmbox's image store: an OCI image layout on disk, and what is built on it.
 *
 * The store is a plain OCI image layout under the root directory (oci-layout,
 * index.json, blobs/sha256/...), so skopeo, umoci and oci-image-tool read it as it
 * is. Image names live in index.json as org.opencontainers.image.ref.name
 * annotations, written in docker's familiar form with the tag always present:
 *
 *     `demo/hello`                    -> "demo/hello:latest"
 *     `docker.io/library/busybox`     -> "busybox:latest"
 *     `localhost/wbx-ci/hello-wasi:1` -> "localhost/wbx-ci/hello-wasi:1"
 *
 * so that `skopeo inspect oci:$ROOT:demo/hello:latest` and
 * `umoci stat --image $ROOT:demo/hello:latest` name the same image as `wasmbox run
 * demo/hello`. A short name that is not found is also tried under "localhost/"
 * (podman's names for its own images).
 *
 * The one idea to hold on to: the store is content-addressed and append-only until
 * garbage collection. Blobs are verified and renamed into place before index.json
 * names them; index.json is replaced atomically under a lock; only `image prune` (and
 * rmi, when no build is running) deletes blobs. A reader never needs a lock.
 *
 * Image identity: an image's ID is its config digest (docker's and podman's "IMAGE
 * ID"); the manifest digest is what the index and archives point at.
 *
 * Ownership: wb_image_store and wb_image_config are allocated by the functions here
 * and released with their _close/_free; every string inside them is owned by them.
 */
#ifndef WASMBOX_IMAGE_H
#define WASMBOX_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wasmbox/error.h"

typedef struct wb_image_store wb_image_store;

/* "sha256:" + 64 hex digits + NUL */
#define WB_DIGEST_LEN 72

/* A resolved image. */
typedef struct wb_image_ref {
    char manifest[WB_DIGEST_LEN]; /* manifest digest, "sha256:..." */
    char config[WB_DIGEST_LEN];   /* config digest = the image ID */
    char name[256];               /* the stored name that matched, "" when found by ID */
    uint64_t size;                /* config + compressed layers, bytes */
} wb_image_ref;

/* The parts of an image config that running it needs. Arrays are NULL-terminated
 * (never NULL themselves); strings are never NULL ("" when unset). */
typedef struct wb_image_config {
    char **entrypoint;
    char **cmd;
    char **env;           /* "KEY=VALUE" */
    char **labels;        /* "key=value", sorted by key */
    char **exposed_ports; /* "80/tcp", sorted */
    char *workdir;
    char *user;
    char *os;           /* "wasi" for our images */
    char *architecture; /* "wasm" */
} wb_image_config;

/* ---- store ---------------------------------------------------------------------- */

/* The root directory: $WASMBOX_ROOT, else /var/lib/wasmbox for root, else
 * $XDG_DATA_HOME/wasmbox (~/.local/share/wasmbox). */
int wb_image_default_root(char *buf, size_t len, wb_error *err);

/* Opens the store at `root` (NULL: the default root), creating an empty layout if
 * there is none. Cheap when the layout exists (one stat). */
int wb_image_store_open(const char *root, wb_image_store **out, wb_error *err);
void wb_image_store_close(wb_image_store *store);
const char *wb_image_store_root(const wb_image_store *store);

/* Resolves a reference: a name ("demo/hello", "demo/hello:v1",
 * "docker.io/demo/hello:v1", "name@sha256:..."), an image ID or a unique prefix of one
 * ("3f2a9c", "sha256:3f2a..."), or a manifest digest. Fast: a small cache next to
 * index.json, revalidated by one fstat, avoids parsing index.json.
 * Fails with `image "X" not found` when nothing matches. */
int wb_image_lookup(wb_image_store *store, const char *ref, wb_image_ref *out, wb_error *err);

/* Reads the config of an image, verifying the manifest and config blobs against their
 * digests. Also understands the wasm OCI artifact shape
 * (application/vnd.wasm.config.v0+json + one application/wasm layer), whose entrypoint
 * is the module's file in the rootfs wb_image_extract_rootfs() writes. */
int wb_image_config_read(wb_image_store *store, const wb_image_ref *image, wb_image_config **out,
                         wb_error *err);
void wb_image_config_free(wb_image_config *config);

/* Unpacks every layer of the image, in order, into `dir` (created if missing; it
 * should be empty), applying whiteouts and verifying each layer blob against its
 * digest. Hostile entries (".." components, links that leave the root, device files,
 * writes through symlinks) fail the whole call; `dir` is then left partly filled and
 * should be removed by the caller. File owners are not applied. */
int wb_image_extract_rootfs(wb_image_store *store, const wb_image_ref *image, const char *dir,
                            wb_error *err);

/* ---- management (the `wasmbox` image commands) ---------------------------------- */

/* One line of `wasmbox images`. */
typedef struct wb_image_info {
    char *name; /* "demo/hello:latest", or NULL for an untagged image */
    char manifest[WB_DIGEST_LEN];
    char config[WB_DIGEST_LEN];
    int64_t created; /* unix seconds: the config's "created", else when it was stored; -1 */
    uint64_t size;
    char *os, *architecture;
} wb_image_info;

/* Lists every index entry. *out is an array of *count entries, freed with
 * wb_image_list_free. */
int wb_image_list(wb_image_store *store, wb_image_info **out, size_t *count, wb_error *err);
void wb_image_list_free(wb_image_info *list, size_t count);

/* Gives the image `source` the additional name `target` (replacing whatever image had
 * that name). */
int wb_image_tag(wb_image_store *store, const char *source, const char *target, wb_error *err);

/* Removes a name (or, given an ID, the image and all its names). Refuses an image a
 * container uses ($ROOT/containers/<id>/config.json "Image") and an ID with several
 * names unless `force`. Prints "Untagged: ..." / "Deleted: ..." lines to `out`. */
int wb_image_remove(wb_image_store *store, const char *ref, bool force, FILE *out, wb_error *err);

/* `image prune`: drops untagged images (every image no container uses, with `all`),
 * then deletes unreferenced blobs and leftovers of killed builds. Prints what it
 * removed to `out`; *reclaimed gets the bytes freed. */
int wb_image_prune(wb_image_store *store, bool all, FILE *out, uint64_t *reclaimed, wb_error *err);

/* Writes the image's docker-shaped `inspect` object as JSON text (caller frees). */
int wb_image_inspect_json(wb_image_store *store, const wb_image_ref *image, char **json,
                          wb_error *err);

/* Options of wb_image_build (docker build's flags). */
typedef struct wb_build_options {
    const char *context;     /* directory */
    const char *dockerfile;  /* NULL: CONTEXT/Dockerfile, else CONTEXT/Containerfile */
    const char **tags;       /* NULL-terminated, may be NULL */
    const char **build_args; /* "K=V" or "K" (value from the environment) */
    const char **labels;     /* "K=V" */
    const char *target;      /* stage name, NULL: the last stage */
    bool squash;             /* all new layers in one */
    FILE *progress;          /* step lines, NULL for none */
    FILE *warnings;          /* warnings (unused --build-arg, ...), NULL for none */
} wb_build_options;

/* Builds an image from a Dockerfile. On success *out names it. */
int wb_image_build(wb_image_store *store, const wb_build_options *opts, wb_image_ref *out,
                   wb_error *err);

/* Writes an archive holding the named images: an OCI image layout that also carries a
 * docker manifest.json, so podman load, docker load, ctr images import and skopeo
 * (oci-archive: and docker-archive:) all accept it. `fd` must be writable. */
int wb_image_save(wb_image_store *store, const char **refs, size_t count, int fd, wb_error *err);

/* Reads an OCI archive (oci-archive), a docker-archive (docker save / podman save) or
 * a wasm OCI artifact layout from `fd`, verifying every digest, and adds its images.
 * Calls `loaded(name_or_id, arg)` for each image stored. The store is unchanged on
 * failure. */
int wb_image_load(wb_image_store *store, int fd, void (*loaded)(const char *name, void *arg),
                  void *arg, wb_error *err);

#endif
