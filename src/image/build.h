/*
 * build.h — the builder's internal state, shared by build.c (stages and
 * instructions), copy.c (COPY/ADD sources) and build_image.c (materialising stages,
 * checking the entrypoint, writing config, manifest and index).
 *
 * A wasm image is assembled, never executed: each stage is a base (scratch, an
 * earlier stage, or an image in the store) plus layers made from COPY/ADD, plus
 * config changes. Stages are built on demand, starting from the target, so a stage
 * nothing depends on is never built (as BuildKit does).
 */
#ifndef WB_IMAGE_BUILD_H
#define WB_IMAGE_BUILD_H

#include <jansson.h>
#include <stdio.h>

#include "dockerfile.h"
#include "layer.h"
#include "match.h"
#include "store.h"

typedef struct wbi_var {
    char *name;
    char *value; /* NULL: declared without a value */
} wbi_var;

typedef struct wbi_vars {
    wbi_var *v;
    size_t n;
} wbi_vars;

typedef struct wbi_stage {
    size_t index;
    char *name;                     /* "AS name", lower case, or NULL */
    size_t from;                    /* index of its FROM instruction */
    size_t end;                     /* one past its last instruction */
    int state;                      /* 0 not built, 1 building, 2 built */
    json_t *config;                 /* image config being assembled (owned) */
    json_t *layers;                 /* layer descriptors (owned JSON array) */
    wbi_fslist files;               /* every entry this stage (and stages it copied) added */
    wbi_fslist pending;             /* --squash: entries of the one new layer */
    char *rootfs;                   /* materialised tree, or NULL */
    wbi_vars args;                  /* ARGs in scope */
    bool cmd_set;                   /* CMD set in this stage (ENTRYPOINT then keeps it) */
    char base_image[WB_DIGEST_LEN]; /* manifest of a store image base, or "" */
} wbi_stage;

typedef struct wbi_builder {
    wb_image_store *store;
    const wb_build_options *opts;
    wbi_txn txn;
    wbi_dockerfile df;
    wbi_stage *stages;
    size_t n_stages;
    wbi_vars global_args; /* ARG before the first FROM */
    wbi_vars build_args;  /* --build-arg */
    bool *build_arg_used;
    int64_t epoch; /* SOURCE_DATE_EPOCH, or -1 */
    char *context; /* real path of the context directory */
    wbi_ignore ignore;
    size_t step;
    /* images materialised for COPY --from=<image>: ref -> dir */
    wbi_vars image_roots;
    wb_error *err;     /* where wbi_build_error() writes */
    wbi_stage *target; /* the stage that becomes the image */
} wbi_builder;

/* Variables */
const char *wbi_vars_get(const wbi_vars *vs, const char *name, bool *declared);
int wbi_vars_set(wbi_vars *vs, const char *name, const char *value, wb_error *err);
void wbi_vars_free(wbi_vars *vs);

/* Errors that name the Dockerfile line of instruction `in`. */
int wbi_build_error(wbi_builder *b, const wbi_df_instr *in, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes an already-set error with the line. */
int wbi_build_prefix(wbi_builder *b, const wbi_df_instr *in, wb_error *err);

/* build.c */
int wbi_stage_build(wbi_builder *b, wbi_stage *st, wb_error *err);
wbi_stage *wbi_stage_find(wbi_builder *b, const char *name, size_t before);

/* copy.c: COPY/ADD. `root` is the context (with ignore rules) or a materialised tree. */
typedef struct wbi_copy {
    const char *root;
    const wbi_ignore *ignore; /* NULL unless root is the context */
    bool from_context;        /* normalise file modes (0644/0755) */
    bool add;                 /* ADD: unpack local archives */
    unsigned uid, gid;
    int chmod;        /* -1: keep */
    char **sources;   /* expanded */
    const char *dest; /* absolute in-image path, may end in "/" */
} wbi_copy;

int wbi_copy_collect(wbi_builder *b, const wbi_copy *c, wbi_fslist *out, wb_error *err);

/* build_image.c */
/* The tree of a stage (or a store image) on disk, for COPY --from. */
int wbi_stage_rootfs(wbi_builder *b, wbi_stage *st, const char **dir, wb_error *err);
int wbi_image_rootfs(wbi_builder *b, const char *ref, const char **dir, wb_error *err);
/* Checks that the image's entrypoint (or first CMD word) is a WebAssembly module. */
int wbi_check_entrypoint(wbi_builder *b, wbi_stage *st, wb_error *err);
/* Writes config and manifest blobs, commits, names the image. */
int wbi_build_finish(wbi_builder *b, wbi_stage *st, wb_image_ref *out, wb_error *err);
/* A store image as a base: loads its config and layers into the stage. */
int wbi_stage_from_image(wbi_builder *b, wbi_stage *st, const char *ref, wb_error *err);

#endif
