/*
 * registry_internal.h — the registry client's internals, shared by the registry_*.c
 * and auth_*.c files (and the unit tests and fuzzers, which call the parsers).
 *
 * Layers, bottom up:
 *   registry_ref.c       docker references split into registry, repository, tag, digest
 *   registry_conf.c      registries.conf (insecure list) and certs.d (custom CAs)
 *   auth_file.c          auth.json / ~/.docker/config.json credentials
 *   auth_challenge.c     the WWW-Authenticate parser
 *   registry_http.c      one libcurl handle per registry: requests, redirects, errors
 *   registry_auth.c      the ping, bearer tokens and basic auth on top of it
 *   registry_manifest.c  manifest / index parsing and platform choice
 *   registry_blob.c      resumable, verified blob downloads
 *   registry_progress.c  docker's per-layer status lines and progress bars
 *   registry_sources.c   which repository each blob came from (cross-repository mounts)
 *   registry_pull.c, registry_push.c, registry_login.c   the commands
 */
#ifndef WB_IMAGE_REGISTRY_INTERNAL_H
#define WB_IMAGE_REGISTRY_INTERNAL_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"
#include "wasmbox/registry.h"

/* distribution refuses manifests over 4 MiB; so do we, without reading further. */
#define WBR_MANIFEST_MAX (4u << 20)
/* Error bodies and token responses are small; anything beyond is cut. */
#define WBR_SMALL_MAX (64u << 10)
/* Pushes upload a blob in one request up to this size, in chunks above it. The
 * environment variable WASMBOX_PUSH_CHUNK_SIZE (bytes) overrides it. */
#define WBR_CHUNK_DEFAULT (64u << 20)
#define WBR_USER_AGENT "wasmbox/0.1.0"

#define WBR_MT_DOCKER_V1 "application/vnd.docker.distribution.manifest.v1+json"
#define WBR_MT_DOCKER_V1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"

/* ---- references (registry_ref.c) ---- */

typedef struct wbr_ref {
    char domain[256];              /* "127.0.0.1:5000", "docker.io" */
    char repo[256];                /* "wbx/hello", "library/busybox" */
    char tag[130];                 /* "" when only a digest was given */
    char digest[WB_DIGEST_LEN];    /* "" unless NAME@sha256:... */
    char name[300];                /* the store's familiar "name:tag", "" for a digest pull */
    char display[600];             /* "127.0.0.1:5000/wbx/hello:1" (what docker prints) */
    bool default_tag;              /* no tag and no digest were written */
} wbr_ref;

int wbr_ref_parse(const char *s, wbr_ref *out, wb_error *err);
/* The host:port to connect to for a domain ("registry-1.docker.io" for docker.io). */
const char *wbr_endpoint(const char *domain);

/* ---- registries.conf and certs.d (registry_conf.c) ---- */

/* Whether registries.conf marks domain/repo insecure (longest matching location). */
bool wbr_conf_insecure(const char *domain, const char *repo);
/* The certs.d directory for `domain` (cert_dir if given), or NULL when none exists. */
char *wbr_certs_dir(const char *cert_dir, const char *domain);
/* Tiny TOML subset used by registries.conf: calls `fn(table, key, value)` for every
 * scalar (strings unquoted, booleans and numbers as written) and every element of an
 * array of strings. `table` is the dotted header ("registry" for [[registry]], with
 * "#N" appended so entries of an array of tables can be told apart). */
typedef void (*wbr_toml_fn)(const char *table, const char *key, const char *value, void *arg);
void wbr_toml_walk(const char *text, wbr_toml_fn fn, void *arg);

/* ---- credentials (auth_file.c) ---- */

/* Where login writes (o->auth_file, $REGISTRY_AUTH_FILE, podman's default). */
int wbr_auth_path(const char *auth_file, char *buf, size_t len, wb_error *err);
/* Finds credentials for domain/repo in the write file, then the other files. *user and
 * *pass are set (caller frees, pass with wbr_secret_free) or left NULL. `from` (may be
 * NULL) gets the file they came from. */
int wbr_auth_lookup(const char *auth_file, const char *domain, const char *repo, char **user,
                    char **pass, char *from, size_t fromlen, wb_error *err);
/* Writes (or, with user NULL, removes; with domain NULL too, removes all) an entry of
 * the credential file, atomically and mode 0600. Removing a missing entry returns 1. */
int wbr_auth_store(const char *auth_file, const char *domain, const char *user,
                   const char *pass, wb_error *err);
/* Base64 of "user:pass" for auth.json and Authorization: Basic (caller frees). */
char *wbr_basic_token(const char *user, const char *pass);
/* Decodes an auth.json "auth" value into user and password (callers free). */
int wbr_basic_decode(const char *b64, char **user, char **pass);
/* Zeroes and frees a secret. */
void wbr_secret_free(char *s);

/* ---- WWW-Authenticate (auth_challenge.c) ---- */

typedef enum wbr_scheme { WBR_AUTH_NONE = 0, WBR_AUTH_BASIC, WBR_AUTH_BEARER } wbr_scheme;

typedef struct wbr_challenge {
    wbr_scheme scheme;
    char *realm, *service, *scope, *error;
} wbr_challenge;

/* Parses a WWW-Authenticate value (RFC 7235: one or more challenges, auth-params with
 * token or quoted-string values). Keeps the first Bearer challenge, else the first
 * Basic one. Returns 0, or -1 when the header holds neither (or on OOM). */
int wbr_challenge_parse(const char *header, wbr_challenge *out);
void wbr_challenge_free(wbr_challenge *c);

/* ---- HTTP (registry_http.c) ---- */

typedef struct wbr_token {
    char *scope;
    char *value;
    time_t expires;
} wbr_token;

typedef struct wbr_client {
    CURL *curl;
    char domain[256];
    char endpoint[256];
    char base[300];            /* "https://host:port" once pinged, "" before */
    bool insecure;             /* no certificate check, plain HTTP allowed */
    bool pinged;
    char *ca_blob;             /* system CAs + certs.d CAs (PEM), or NULL */
    size_t ca_len;
    char *cert_file, *key_file;
    char *user, *pass;         /* credentials, may be NULL (pass is secret) */
    char cred_source[300];     /* file the credentials came from, "" if given */
    wbr_challenge chal;        /* what the registry asked for */
    wbr_token *tokens;
    size_t n_tokens;
    char errbuf[CURL_ERROR_SIZE];
} wbr_client;

/* A body to upload: from memory, or a range of a file. */
typedef struct wbr_body {
    const char *data;
    int fd;                    /* used when data is NULL and fd >= 0 */
    uint64_t off, len;
    uint64_t pos;              /* bytes sent in the current attempt */
    void (*sent)(void *arg, uint64_t pos);
    void *sent_arg;
} wbr_body;

struct wbr_resp;
/* Receives the body of a 2xx response. Returns 0, or <0 (with *err set) to abort. */
typedef int (*wbr_sink_fn)(void *arg, const struct wbr_resp *resp, const char *data, size_t len,
                           wb_error *err);

typedef struct wbr_req {
    const char *method;        /* "GET", "HEAD", "PUT", "POST", "PATCH", "DELETE" */
    const char *url;           /* absolute, or a path joined to the client's base */
    const char *scope;         /* token scope ("repository:x:pull"), NULL for none */
    const char *accept;        /* Accept header, NULL for none */
    const char *content_type;  /* of the body */
    const char *range;         /* "bytes=N-" */
    const char *content_range; /* "N-M" (chunked uploads) */
    wbr_body *body;            /* NULL: no body */
    size_t max;                /* cap on a 2xx body kept in memory (0: WBR_SMALL_MAX) */
    wbr_sink_fn sink;          /* stream a 2xx body here instead of memory */
    void *sink_arg;
    bool follow;               /* follow redirects (GET and HEAD of blobs, manifests) */
    bool no_auth;              /* the ping and token requests */
    bool basic_only;           /* send basic credentials (token requests) */
} wbr_req;

typedef struct wbr_resp {
    long status;
    char *body;                /* NUL-terminated, kept for non-2xx and memory 2xx */
    size_t len;
    uint64_t content_length;   /* UINT64_MAX when not given */
    char *content_type, *location, *digest, *www_auth, *content_range, *range;
    char *url;                 /* the URL requested last (after redirects) */
    bool too_big;              /* the body went over the cap */
} wbr_resp;

int wbr_client_open(const char *domain, const char *repo, const wb_registry_options *o,
                    wbr_client **out, wb_error *err);
void wbr_client_free(wbr_client *c);
/* One HTTP exchange, with authentication (token fetch and one retry on 401).
 * Returns 0 whenever a response arrived (any status; check resp->status), <0 for
 * transport failures (connection, TLS, cut transfers, redirect loops, sink errors). */
int wbr_request(wbr_client *c, wbr_req *r, wbr_resp *resp, wb_error *err);
/* The request without authentication handling (registry_auth.c uses it). */
int wbr_perform(wbr_client *c, wbr_req *r, const char *auth_header, wbr_resp *resp,
                wb_error *err);
void wbr_resp_free(wbr_resp *r);
/* Fills err with "<METHOD> <url>: <status> <text>[: registry message][ (auth hint)]"
 * and returns -1. `c` (may be NULL) adds the hint on 401 and 403. */
int wbr_status_error(wbr_client *c, const wbr_req *r, const wbr_resp *resp, wb_error *err);
/* Absolute URL of a path or Location value (caller frees). */
char *wbr_url(wbr_client *c, const char *path_or_url);
/* Appends "name=value" to a URL's query, value escaped (caller frees). */
char *wbr_url_param(const char *url, const char *name, const char *value);
/* The registry's message from an errors JSON body, sanitised to one line. */
void wbr_body_message(const wbr_resp *resp, char *buf, size_t len);

/* ---- authentication (registry_auth.c) ---- */

/* GET /v2/: picks https or (insecure only) http, learns the auth challenge. */
int wbr_ping(wbr_client *c, wb_error *err);
/* The Authorization header for `scope` (fetching a token if needed), "" for none;
 * caller frees. */
int wbr_auth_header(wbr_client *c, const char *scope, char **out, wb_error *err);
/* After a 401: learns the new challenge and drops the cached token for `scope`.
 * Returns 0 when a retry may succeed. */
int wbr_auth_retry(wbr_client *c, const wbr_resp *resp, const char *scope, wb_error *err);

/* ---- manifests (registry_manifest.c) ---- */

typedef struct wbr_desc {
    char media_type[128];
    char digest[WB_DIGEST_LEN];
    uint64_t size;
    char platform[128];        /* "os/arch[/variant]" for index entries, "" otherwise */
} wbr_desc;

typedef struct wbr_manifest {
    char media_type[128];
    bool is_index;
    bool artifact;             /* wasm OCI artifact (application/vnd.wasm.config.v0+json) */
    wbr_desc config;           /* image manifests */
    wbr_desc *items;           /* layers, or an index's manifests */
    size_t n_items;
} wbr_manifest;

/* Parses a manifest or an index. `content_type` (may be NULL) is the HTTP header,
 * used when the document has no mediaType. `what` names it in errors. */
int wbr_manifest_parse(const char *body, size_t len, const char *content_type, const char *what,
                       wbr_manifest *out, wb_error *err);
void wbr_manifest_free(wbr_manifest *m);
/* Picks the entry of an index for `platform` ("os/arch[/variant]"; NULL: wasi/wasm,
 * or the only entry). */
int wbr_index_pick(const wbr_manifest *index, const char *platform, const char *what,
                   const wbr_desc **out, wb_error *err);
/* Accept header listing every manifest type we read. */
extern const char wbr_manifest_accept[];

/* ---- progress (registry_progress.c) ---- */

typedef struct wbr_row {
    char id[16];               /* 12 hex digits of the digest */
    char status[64];
    uint64_t done, total;
    double start;              /* when the transfer started (seconds) */
    bool shown;                /* status line printed (non-terminal mode) */
} wbr_row;

typedef struct wbr_progress {
    FILE *out;                 /* NULL: silent */
    bool bars;                 /* terminal: redraw rows in place */
    wbr_row *rows;
    size_t n_rows;
    size_t drawn;              /* rows on screen (terminal mode) */
    double last;               /* last redraw */
} wbr_progress;

void wbr_progress_init(wbr_progress *p, const wb_registry_options *o);
/* Adds a row for a blob; returns its index, or -1 on OOM (then nothing is shown). */
int wbr_progress_add(wbr_progress *p, const char *digest, const char *status);
/* Sets a row's status; `final` statuses are printed in non-terminal mode. */
void wbr_progress_status(wbr_progress *p, int row, const char *status, bool final);
void wbr_progress_bytes(wbr_progress *p, int row, uint64_t done, uint64_t total);
/* Prints a line above the rows (status messages). */
void wbr_progress_line(wbr_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wbr_progress_done(wbr_progress *p);
double wbr_now(void);

/* ---- blobs (registry_blob.c) ---- */

/* Downloads blob `d` of `repo` into dir/<hex> (verified, fsynced), resuming from
 * dir/<hex>.partial with a Range request when a previous attempt left one. Does
 * nothing when dir/<hex> exists already. */
int wbr_blob_fetch(wbr_client *c, const char *repo, const wbr_desc *d, const char *dir,
                   wbr_progress *pg, int row, wb_error *err);
/* Downloads a small document (a manifest) by digest or tag into memory: *body is
 * NUL-terminated, *ctype the Content-Type, digest_out the sha256 of the bytes. */
int wbr_manifest_fetch(wbr_client *c, const char *repo, const char *ref, char **body,
                       size_t *len, char **ctype, char digest_out[WB_DIGEST_LEN], wb_error *err);

/* ---- blob sources (registry_sources.c) ---- */

/* A repository of the same registry (other than `repo`) known to hold `digest`;
 * false when none is known. */
bool wbr_sources_find(wb_image_store *s, const char *domain, const char *repo, const char *digest,
                      char *out, size_t outlen);
/* Records that domain/repo holds each digest (best effort: errors are ignored). */
void wbr_sources_add(wb_image_store *s, const char *domain, const char *repo,
                     const char (*digests)[WB_DIGEST_LEN], size_t n);

#endif
