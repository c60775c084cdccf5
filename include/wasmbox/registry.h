/*
 * registry.h — moving images between the store and registries that speak the OCI
 * distribution specification: `wasmbox pull`, `push`, `login` and `logout`.
 *
 * The one idea to hold on to: nothing a registry sends reaches the store unverified.
 * A pull downloads every blob beside the store (resumable partial files under
 * $ROOT/.wasmbox/tmp/pulls, hashed as they arrive), checks each against its digest,
 * and only then renames the blobs into blobs/sha256 and names the image in
 * index.json, in that order, so a failed or killed pull leaves no visible trace.
 *
 * Configuration is read where podman and docker keep it:
 *   credentials  --authfile, else $REGISTRY_AUTH_FILE, else
 *                ${XDG_RUNTIME_DIR}/containers/auth.json (/run/containers/<uid>/auth.json
 *                without XDG_RUNTIME_DIR); also read: $XDG_CONFIG_HOME/containers/auth.json
 *                and ~/.docker/config.json ($DOCKER_CONFIG/config.json)
 *   insecure     $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf,
 *                else /etc/containers/registries.conf (+ the .conf files of registries.conf.d):
 *                [[registry]] location=... insecure=true, or [registries.insecure]
 *   custom CAs   --cert-dir, else ~/.config/containers/certs.d/HOST[:PORT],
 *                /etc/containers/certs.d/HOST[:PORT], /etc/docker/certs.d/HOST[:PORT]
 *                (*.crt: CAs added to the system store; NAME.cert + NAME.key: client cert)
 *
 * Passwords are held only in memory: they are never put on a command line, in a
 * log, or in an error message.
 */
#ifndef WASMBOX_REGISTRY_H
#define WASMBOX_REGISTRY_H

#include <stdbool.h>
#include <stdio.h>

#include "wasmbox/error.h"
#include "wasmbox/image.h"

/* --tls-verify: unset (registries.conf decides), true, or false. */
typedef enum wb_tls_verify {
    WB_TLS_DEFAULT = 0,
    WB_TLS_VERIFY,
    WB_TLS_INSECURE, /* no certificate check, and plain HTTP when TLS fails */
} wb_tls_verify;

typedef struct wb_registry_options {
    const char *platform;   /* pull: "os/arch[/variant]" to pick from an index; NULL: wasi/wasm */
    wb_tls_verify tls;
    const char *cert_dir;   /* NULL: the certs.d directories above */
    const char *auth_file;  /* NULL: the default credential file */
    FILE *out;              /* docker's status lines; NULL for none */
    bool progress;          /* `out` is a terminal: draw one progress bar per layer */
    bool quiet;             /* print only the final line (the name, or the digest) */
} wb_registry_options;

/* Pulls NAME[:TAG|@DIGEST] (docker's defaults: docker.io/library/, tag latest) into
 * the store and names it. On success *out (may be NULL) describes the stored image. */
int wb_registry_pull(wb_image_store *store, const char *ref, const wb_registry_options *o,
                     wb_image_ref *out, wb_error *err);

/* Pushes the local image `src` to `dest` (NULL: to `src` itself, which then names the
 * registry and repository, as docker's push does). Uploads only the blobs the
 * registry lacks, then the manifest. *digest (may be NULL) gets the manifest digest. */
int wb_registry_push(wb_image_store *store, const char *src, const char *dest,
                     const wb_registry_options *o, char digest[WB_DIGEST_LEN], wb_error *err);

/* Checks `user`/`password` against `registry` (basic or bearer-token auth, whichever
 * it asks for) and stores them in the credential file (mode 0600). `registry` may be
 * "docker.io", "127.0.0.1:5000", "https://index.docker.io/v1/", ... */
int wb_registry_login(const char *registry, const char *user, const char *password,
                      const wb_registry_options *o, wb_error *err);

/* Removes the stored credentials of `registry` (all of them when NULL). Fails with
 * "not logged in to X" when there are none. */
int wb_registry_logout(const char *registry, const wb_registry_options *o, wb_error *err);

/* The credential file login writes (for messages). */
int wb_registry_auth_file(const wb_registry_options *o, char *buf, size_t len, wb_error *err);

/* The registry part of a login argument, normalised ("docker.io" for docker hub). */
int wb_registry_normalize_host(const char *registry, char *buf, size_t len, wb_error *err);

#endif
