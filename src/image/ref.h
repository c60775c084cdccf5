/*
 * ref.h — image references in docker's grammar, normalised to the familiar form the
 * store keeps in its ref.name annotations ("demo/hello:latest"; docker.io/ and
 * docker.io's library/ dropped; other registries, localhost/ included, kept).
 */
#ifndef WB_IMAGE_REF_H
#define WB_IMAGE_REF_H

#include <stdbool.h>
#include <stddef.h>

#include "wasmbox/error.h"
#include "wasmbox/image.h"

typedef struct wbi_ref {
    char name[256];             /* familiar repository: "demo/hello", "localhost/a/b" */
    char tag[130];              /* "" when only a digest was given */
    char digest[WB_DIGEST_LEN]; /* "" unless NAME@sha256:... */
} wbi_ref;

/* Parses `s`; fails with `invalid reference format: ...`. */
int wbi_ref_parse(const char *s, wbi_ref *out, wb_error *err);
/* "name:tag" with the tag defaulting to "latest". */
void wbi_ref_format(const wbi_ref *ref, char *buf, size_t len);
/* Normalises any stored name to "name:tag"; false when `s` is not a valid name. */
bool wbi_ref_normalize(const char *s, char *buf, size_t len);
/* The fully qualified form ("docker.io/demo/hello:latest") of a familiar "name:tag",
 * for io.containerd.image.name annotations. */
void wbi_ref_qualified(const char *familiar, char *buf, size_t len);
/* True when `name` (familiar) has an explicit registry (or localhost). */
bool wbi_ref_has_domain(const char *name);

#endif
