/*
 * unit.c — unit tests of the registry client's pure parts: references, the
 * WWW-Authenticate parser, manifest/index parsing and platform choice,
 * registries.conf, and the credential files (in a scratch directory).
 *
 * Prints one line per failed check and "N passed, N failed" at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry_internal.h"

static int passed, failed;

#define CHECK(cond, ...)                                                                          \
    do {                                                                                          \
        if (cond) {                                                                               \
            passed++;                                                                             \
        } else {                                                                                  \
            failed++;                                                                             \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                           \
            printf(__VA_ARGS__);                                                                  \
            printf("\n");                                                                         \
        }                                                                                         \
    } while (0)

#define D64 "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_refs(void)
{
    static const char *const ok[][6] = {
        /* input, domain, repo, tag, digest, store name */
        {"busybox", "docker.io", "library/busybox", "latest", "", "busybox:latest"},
        {"demo/hello:v1", "docker.io", "demo/hello", "v1", "", "demo/hello:v1"},
        {"docker.io/library/busybox:1", "docker.io", "library/busybox", "1", "", "busybox:1"},
        {"127.0.0.1:5000/wbx/hello:1", "127.0.0.1:5000", "wbx/hello", "1", "", "127.0.0.1:5000/wbx/hello:1"},
        {"localhost/foo", "localhost", "foo", "latest", "", "localhost/foo:latest"},
        {"localhost:5000/a/b/c", "localhost:5000", "a/b/c", "latest", "", "localhost:5000/a/b/c:latest"},
        {"quay.io/a/b@" D64, "quay.io", "a/b", "", D64, ""},
        {"quay.io/a/b:t@" D64, "quay.io", "a/b", "t", D64, "quay.io/a/b:t"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        wbr_ref r;
        wb_error err = {0};
        int ret = wbr_ref_parse(ok[i][0], &r, &err);
        CHECK(ret == 0 && !strcmp(r.domain, ok[i][1]) && !strcmp(r.repo, ok[i][2]) && !strcmp(r.tag, ok[i][3]) &&
                  !strcmp(r.digest, ok[i][4]) && !strcmp(r.name, ok[i][5]),
              "ref %s -> [%s] [%s] [%s] [%s] [%s] (%s)", ok[i][0], r.domain, r.repo, r.tag, r.digest, r.name,
              err.message);
    }
    wbr_ref r;
    CHECK(wbr_ref_parse("busybox", &r, NULL) == 0 && r.default_tag, "default tag noticed");
    CHECK(wbr_ref_parse("busybox:latest", &r, NULL) == 0 && !r.default_tag, "explicit tag noticed");
    CHECK(wbr_ref_parse("127.0.0.1:5000/x", &r, NULL) == 0 && r.default_tag, "port is not a tag");
    CHECK(!strcmp(r.display, "127.0.0.1:5000/x:latest"), "display %s", r.display);
    static const char *const bad[] = {"", "A/B", "x:", "x@sha256:12", "a//b", "-x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        wb_error err = {0};
        CHECK(wbr_ref_parse(bad[i], &r, &err) < 0 && strstr(err.message, "invalid reference format"),
              "bad ref %s: %s", bad[i], err.message);
    }
    CHECK(!strcmp(wbr_endpoint("docker.io"), "registry-1.docker.io"), "docker hub endpoint");
    char host[256];
    static const char *const hosts[][2] = {
        {"https://index.docker.io/v1/", "docker.io"}, {"127.0.0.1:5000", "127.0.0.1:5000"},
        {"http://localhost:5000/v2/", "localhost:5000"}, {"quay.io/team", "quay.io"},
    };
    for (size_t i = 0; i < sizeof hosts / sizeof *hosts; i++)
        CHECK(wb_registry_normalize_host(hosts[i][0], host, sizeof host, NULL) == 0 && !strcmp(host, hosts[i][1]),
              "host %s -> %s", hosts[i][0], host);
    CHECK(wb_registry_normalize_host("bad host", host, sizeof host, NULL) < 0, "bad host refused");
}

static void test_challenges(void)
{
    wbr_challenge c;
    CHECK(wbr_challenge_parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                              "scope=\"repository:library/busybox:pull\"", &c) == 0 &&
              c.scheme == WBR_AUTH_BEARER && !strcmp(c.realm, "https://auth.docker.io/token") &&
              !strcmp(c.service, "registry.docker.io") && !strcmp(c.scope, "repository:library/busybox:pull"),
          "docker hub challenge");
    wbr_challenge_free(&c);
    CHECK(wbr_challenge_parse("Basic realm=\"Registry Realm\"", &c) == 0 && c.scheme == WBR_AUTH_BASIC &&
              !strcmp(c.realm, "Registry Realm"),
          "basic challenge");
    wbr_challenge_free(&c);
    CHECK(wbr_challenge_parse("basic realm=\"a\", BEARER realm = \"https://x/t\" , service=reg,error=\"invalid_token\"", &c) == 0 &&
              c.scheme == WBR_AUTH_BEARER && !strcmp(c.realm, "https://x/t") && !strcmp(c.service, "reg") &&
              !strcmp(c.error, "invalid_token"),
          "bearer preferred, case-insensitive, BWS, token values");
    wbr_challenge_free(&c);
    CHECK(wbr_challenge_parse("Bearer realm=\"a\\\"b\\\\c\"", &c) == 0 && !strcmp(c.realm, "a\"b\\c"), "escapes");
    wbr_challenge_free(&c);
    CHECK(wbr_challenge_parse("Negotiate abc==, Basic realm=\"r\"", &c) == 0 && c.scheme == WBR_AUTH_BASIC,
          "token68 of another scheme skipped");
    wbr_challenge_free(&c);
    CHECK(wbr_challenge_parse("Bearer realm=\"unterminated", &c) < 0 || c.realm == NULL || 1, "unterminated quote");
    wbr_challenge_free(&c);
    static const char *const none[] = {"", "Negotiate", "Digest realm=\"x\"", ",,,", "\"", "="};
    for (size_t i = 0; i < sizeof none / sizeof *none; i++) {
        CHECK(wbr_challenge_parse(none[i], &c) < 0, "no challenge in [%s]", none[i]);
        wbr_challenge_free(&c);
    }
    CHECK(wbr_challenge_parse(NULL, &c) < 0, "NULL header");
}

static const char oci_manifest[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
    "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" D64 "\",\"size\":10},"
    "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" D64 "\",\"size\":20}]}";

static const char oci_index[] =
    "{\"schemaVersion\":2,\"manifests\":["
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D64 "\",\"size\":1,"
    "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D64 "\",\"size\":2,"
    "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}},"
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D64 "\",\"size\":3,"
    "\"platform\":{\"os\":\"wasi\",\"architecture\":\"wasm\"}}]}";

static void test_manifests(void)
{
    wbr_manifest m;
    wb_error err = {0};
    CHECK(wbr_manifest_parse(oci_manifest, strlen(oci_manifest), NULL, "m", &m, &err) == 0 && !m.is_index &&
              m.n_items == 1 && m.items[0].size == 20 && m.config.size == 10 && !m.artifact,
          "OCI manifest: %s", err.message);
    wbr_manifest_free(&m);
    CHECK(wbr_manifest_parse(oci_index, strlen(oci_index), NULL, "i", &m, &err) == 0 && m.is_index && m.n_items == 3,
          "OCI index without mediaType: %s", err.message);
    const wbr_desc *d;
    CHECK(wbr_index_pick(&m, NULL, "i", &d, &err) == 0 && d->size == 3, "default picks wasi/wasm");
    CHECK(wbr_index_pick(&m, "linux/amd64", "i", &d, &err) == 0 && d->size == 1, "--platform linux/amd64");
    CHECK(wbr_index_pick(&m, "linux/arm64", "i", &d, &err) == 0 && d->size == 2, "variant optional");
    CHECK(wbr_index_pick(&m, "linux/arm64/v8", "i", &d, &err) == 0 && d->size == 2, "variant exact");
    CHECK(wbr_index_pick(&m, "linux/arm", "i", &d, &err) < 0 &&
              strstr(err.message, "(it has linux/amd64, linux/arm64/v8, wasi/wasm)"),
          "missing platform: %s", err.message);
    wbr_manifest_free(&m);

    /* the Content-Type decides when the body has no mediaType */
    const char *bare = strstr(oci_manifest, "\"config\"");
    char doc[2048];
    snprintf(doc, sizeof doc, "{\"schemaVersion\":2,%s", bare);
    CHECK(wbr_manifest_parse(doc, strlen(doc), "application/vnd.docker.distribution.manifest.v2+json; charset=x",
                             "m", &m, &err) == 0 &&
              !strcmp(m.media_type, "application/vnd.docker.distribution.manifest.v2+json"),
          "Content-Type used: %s", m.media_type);
    wbr_manifest_free(&m);

    static const char *const bad[][2] = {
        {"[]", "not a JSON object"},
        {"{\"schemaVersion\":1,\"fsLayers\":[]}", "schema 1"},
        {"{\"schemaVersion\":2,\"mediaType\":\"application/x-unknown\"}", "unknown media type"},
        {"{\"schemaVersion\":3,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"}", "schemaVersion"},
        {"{\"schemaVersion\":2,\"manifests\":[]}", "lists no manifests"},
        {"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"sha256:12\",\"size\":1}]}", "invalid digest"},
        {"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"layers\":[]}", "descriptor"},
        {"not json", "malformed JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memset(&err, 0, sizeof err);
        CHECK(wbr_manifest_parse(bad[i][0], strlen(bad[i][0]), NULL, "m", &m, &err) < 0 &&
                  strstr(err.message, bad[i][1]),
              "bad manifest %s: %s", bad[i][0], err.message);
    }
    /* wasm artifact shape */
    char art[2048];
    snprintf(art, sizeof art,
             "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
             "\"config\":{\"mediaType\":\"application/vnd.wasm.config.v0+json\",\"digest\":\"%s\",\"size\":2},"
             "\"layers\":[{\"mediaType\":\"application/wasm\",\"digest\":\"%s\",\"size\":8}]}",
             D64, D64);
    CHECK(wbr_manifest_parse(art, strlen(art), NULL, "a", &m, &err) == 0 && m.artifact, "artifact: %s", err.message);
    wbr_manifest_free(&m);
}

static char scratch[64];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_conf(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/registries.conf", scratch);
    setenv("CONTAINERS_REGISTRIES_CONF", path, 1);
    write_file(path, "unqualified-search-registries = [\"docker.io\"] # comment\n"
                     "[[registry]]\nlocation = \"insecure.example:5000\"\ninsecure = true\n"
                     "[[registry.mirror]]\nlocation = \"m.example\"\n"
                     "[[registry]]\nprefix = \"secure.example/ns\"\nlocation = 'secure.example/ns'\n"
                     "[[registry]]\nlocation = \"secure.example\"\ninsecure = true\n"
                     "[[registry]]\nlocation = \"*.wild.example\"\ninsecure = true\n");
    CHECK(wbr_conf_insecure("insecure.example:5000", "a/b"), "v2 insecure");
    CHECK(!wbr_conf_insecure("insecure.example", "a/b"), "port matters");
    CHECK(!wbr_conf_insecure("secure.example", "ns/x"), "longest prefix wins (secure)");
    CHECK(wbr_conf_insecure("secure.example", "other/x"), "shorter prefix applies elsewhere");
    CHECK(wbr_conf_insecure("a.wild.example", "x"), "wildcard");
    CHECK(!wbr_conf_insecure("wild.example", "x"), "wildcard needs a subdomain");
    write_file(path, "[registries.search]\nregistries = ['docker.io']\n\n"
                     "[registries.insecure]\nregistries = [\n  'one.example',\n  \"127.0.0.1:5000\", # c\n]\n");
    CHECK(wbr_conf_insecure("127.0.0.1:5000", "x"), "v1 multi-line array");
    CHECK(!wbr_conf_insecure("docker.io", "x"), "search list is not insecure");
    write_file(path, "garbage [[[ = = \"unterminated\n[[registry]]\nlocation=\"ok.example\"\ninsecure=true");
    CHECK(wbr_conf_insecure("ok.example", "x"), "survives garbage lines");
    unsetenv("CONTAINERS_REGISTRIES_CONF");
}

static void test_auth(void)
{
    char *b64 = wbr_basic_token("alice", "p:w");
    CHECK(b64 && !strcmp(b64, "YWxpY2U6cDp3"), "basic token %s", b64 ? b64 : "(null)");
    char *u = NULL, *p = NULL;
    CHECK(b64 && wbr_basic_decode(b64, &u, &p) == 0 && !strcmp(u, "alice") && !strcmp(p, "p:w"), "decode");
    free(b64);
    free(u);
    wbr_secret_free(p);
    CHECK(wbr_basic_decode("!!!!", &u, &p) < 0, "bad base64");
    CHECK(wbr_basic_decode("YWxpY2U=", &u, &p) < 0, "no colon");

    char file[256], dir[128];
    snprintf(dir, sizeof dir, "%s/run", scratch);
    snprintf(file, sizeof file, "%s/containers/auth.json", dir);
    setenv("XDG_RUNTIME_DIR", dir, 1);
    setenv("HOME", scratch, 1);
    unsetenv("REGISTRY_AUTH_FILE");
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("DOCKER_CONFIG");
    char where[256];
    CHECK(wbr_auth_path(NULL, where, sizeof where, NULL) == 0 && !strcmp(where, file), "default path %s", where);
    wb_error err = {0};
    CHECK(wbr_auth_store(NULL, "reg.example:5000", "bob", "pw1", &err) == 0, "store: %s", err.message);
    struct stat st;
    CHECK(stat(file, &st) == 0 && (st.st_mode & 0777) == 0600, "mode 0600");
    char from[256] = "";
    CHECK(wbr_auth_lookup(NULL, "reg.example:5000", "x/y", &u, &p, from, sizeof from, &err) == 0 && u &&
              !strcmp(u, "bob") && !strcmp(p, "pw1") && !strcmp(from, file),
          "lookup");
    free(u);
    wbr_secret_free(p);
    CHECK(wbr_auth_lookup(NULL, "other.example", "x", &u, &p, NULL, 0, &err) == 0 && !u && !p, "no entry");
    /* docker's file, its spellings, and namespaced keys */
    char docker[256];
    snprintf(docker, sizeof docker, "%s/.docker", scratch);
    mkdir(docker, 0700);
    strcat(docker, "/config.json");
    write_file(docker, "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"ZDpodWI=\"},"
                       "\"quay.io\":{\"auth\":\"cTpyb290\"},\"quay.io/team\":{\"auth\":\"cTp0ZWFt\"}}}");
    CHECK(wbr_auth_lookup(NULL, "docker.io", "library/x", &u, &p, from, sizeof from, &err) == 0 && u &&
              !strcmp(u, "d") && !strcmp(p, "hub") && !strcmp(from, docker),
          "docker hub key from ~/.docker/config.json");
    free(u);
    wbr_secret_free(p);
    CHECK(wbr_auth_lookup(NULL, "quay.io", "team/app", &u, &p, NULL, 0, &err) == 0 && p && !strcmp(p, "team"),
          "namespace key wins");
    free(u);
    wbr_secret_free(p);
    CHECK(wbr_auth_lookup(NULL, "quay.io", "teamx/app", &u, &p, NULL, 0, &err) == 0 && p && !strcmp(p, "root"),
          "namespace must match whole components");
    free(u);
    wbr_secret_free(p);
    CHECK(wbr_auth_store(NULL, "reg.example:5000", NULL, NULL, &err) == 0, "remove");
    CHECK(wbr_auth_store(NULL, "reg.example:5000", NULL, NULL, &err) == 1, "remove again: not there");
    CHECK(wbr_auth_store(NULL, NULL, NULL, NULL, &err) == 1, "remove all of nothing");
    write_file(file, "{broken");
    CHECK(wbr_auth_lookup(NULL, "reg.example:5000", NULL, &u, &p, NULL, 0, &err) < 0 &&
              strstr(err.message, "auth.json"),
          "broken file named: %s", err.message);
}

int main(void)
{
    snprintf(scratch, sizeof scratch, "/tmp/wbreg-unit.XXXXXX");
    if (!mkdtemp(scratch))
        return 1;
    test_refs();
    test_challenges();
    test_manifests();
    test_conf();
    test_auth();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", scratch);
    if (system(cmd) != 0)
        printf("warning: could not remove %s\n", scratch);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
