/*
 * options.c — parsing `wasmbox run` flags (docker's spellings, plus wasmtime's
 * --dir/--mapdir/--env/--invoke so scripts written for `wasmtime run` work).
 *
 * One table names every flag, whether it takes a value, and the function that
 * records it. Long flags accept `--flag value` and `--flag=value`; short flags may
 * be bundled (`-it`) and take their value attached or as the next word (`-eK=V`,
 * `-e K=V`). The first word that is not a flag is the target; nothing after it is
 * looked at, so `-q`, `-o` and the like reach the guest.
 */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool wb_cli_debug;

int wb_strv_push(wb_strv *sv, const char *s)
{
    if (sv->n == sv->cap) {
        size_t cap = sv->cap ? sv->cap * 2 : 8;
        char **v = realloc(sv->v, cap * sizeof(*v));
        if (!v)
            return -1;
        sv->v = v;
        sv->cap = cap;
    }
    char *c = strdup(s);
    if (!c)
        return -1;
    sv->v[sv->n++] = c;
    return 0;
}

void wb_strv_free(wb_strv *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    memset(sv, 0, sizeof(*sv));
}

int wb_parse_size(const char *s, uint64_t *out, wb_error *err)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(s, &end, 10);
    if (end == s || errno || s[0] == '-')
        return wb_error_set(err, "invalid size \"%s\"", s);
    uint64_t mul = 1;
    switch (tolower((unsigned char)*end)) {
    case 0:
    case 'b':
        break;
    case 'k':
        mul = 1ull << 10;
        break;
    case 'm':
        mul = 1ull << 20;
        break;
    case 'g':
        mul = 1ull << 30;
        break;
    default:
        return wb_error_set(err, "invalid size \"%s\" (use b, k, m or g)", s);
    }
    if (*end) {
        const char *rest = end + 1;
        if (*rest && strcasecmp(rest, "b") && strcasecmp(rest, "ib"))
            return wb_error_set(err, "invalid size \"%s\"", s);
    }
    if (n > UINT64_MAX / mul)
        return wb_error_set(err, "size \"%s\" is too large", s);
    *out = n * mul;
    return 0;
}

/* ---- recorders ------------------------------------------------------------------ */

typedef int (*recorder)(wb_run_options *o, const char *v, wb_error *err);

static int env_add(wb_run_options *o, const char *kv, wb_error *err)
{
    if (!kv[0] || kv[0] == '=')
        return wb_error_set(err, "invalid environment variable \"%s\"", kv);
    if (strchr(kv, '=')) {
        if (wb_strv_push(&o->env, kv) < 0)
            return wb_error_oom(err);
        return 0;
    }
    /* "-e K": K's value from the host, or nothing if the host has no K. */
    const char *v = getenv(kv);
    if (!v)
        return 0;
    size_t len = strlen(kv) + strlen(v) + 2;
    _cleanup_free_ char *s = malloc(len);
    if (!s)
        return wb_error_oom(err);
    snprintf(s, len, "%s=%s", kv, v);
    if (wb_strv_push(&o->env, s) < 0)
        return wb_error_oom(err);
    return 0;
}

static int rec_env(wb_run_options *o, const char *v, wb_error *err)
{
    return env_add(o, v, err);
}

static int rec_env_file(wb_run_options *o, const char *path, wb_error *err)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return wb_error_errno(err, errno, "cannot read env file %s", path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int ret = 0;
    while (ret == 0 && (n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = 0;
        const char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == 0 || *s == '#')
            continue;
        ret = env_add(o, s, err);
    }
    free(line);
    fclose(f);
    return ret;
}

static char *trim_slashes(const char *s)
{
    char *c = strdup(s);
    if (!c)
        return NULL;
    size_t n = strlen(c);
    while (n > 1 && c[n - 1] == '/')
        c[--n] = 0;
    return c;
}

static int volume_add(wb_run_options *o, const char *host, size_t hostlen, const char *guest,
                      bool ro, wb_error *err)
{
    if (hostlen == 0 || !guest[0])
        return wb_error_set(err, "invalid volume: empty path");
    wb_volume *v = realloc(o->volumes, (o->nvolumes + 1) * sizeof(*v));
    if (!v)
        return wb_error_oom(err);
    o->volumes = v;
    wb_volume *nv = &v[o->nvolumes];
    nv->host = strndup(host, hostlen);
    nv->guest = trim_slashes(guest);
    nv->readonly = ro;
    if (!nv->host || !nv->guest) {
        free(nv->host);
        free(nv->guest);
        return wb_error_oom(err);
    }
    o->nvolumes++;
    return 0;
}

/* -v HOST:GUEST[:ro|:rw] */
static int rec_volume(wb_run_options *o, const char *s, wb_error *err)
{
    const char *c1 = strchr(s, ':');
    if (!c1)
        return wb_error_set(err, "invalid volume \"%s\": expected HOST:GUEST[:ro]", s);
    const char *c2 = strchr(c1 + 1, ':');
    bool ro = false;
    _cleanup_free_ char *guest = strndup(c1 + 1, c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1));
    if (!guest)
        return wb_error_oom(err);
    if (c2) {
        for (const char *opt = c2 + 1; *opt;) {
            size_t l = strcspn(opt, ",");
            if (l == 2 && strncmp(opt, "ro", 2) == 0)
                ro = true;
            else if (l == 2 && strncmp(opt, "rw", 2) == 0)
                ro = false;
            else if (!(l == 1 && (*opt == 'z' || *opt == 'Z')))
                return wb_error_set(err, "invalid volume option \"%.*s\" in \"%s\"", (int)l, opt,
                                    s);
            opt += l + (opt[l] == ',');
        }
    }
    return volume_add(o, s, (size_t)(c1 - s), guest, ro, err);
}

/* wasmtime: --dir HOST[::GUEST] */
static int rec_dir(wb_run_options *o, const char *s, wb_error *err)
{
    const char *sep = strstr(s, "::");
    if (!sep)
        return volume_add(o, s, strlen(s), s, false, err);
    return volume_add(o, s, (size_t)(sep - s), sep + 2, false, err);
}

/* old wasmtime: --mapdir GUEST::HOST */
static int rec_mapdir(wb_run_options *o, const char *s, wb_error *err)
{
    const char *sep = strstr(s, "::");
    if (!sep)
        return wb_error_set(err, "invalid --mapdir \"%s\": expected GUEST::HOST", s);
    _cleanup_free_ char *guest = strndup(s, (size_t)(sep - s));
    if (!guest)
        return wb_error_oom(err);
    return volume_add(o, sep + 2, strlen(sep + 2), guest, false, err);
}

static int parse_port_num(const char *s, size_t len, uint16_t *out)
{
    if (len == 0 || len > 5)
        return -1;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > 65535)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

/* -p [IP:]HOSTPORT:PORT[/tcp] or -p PORT; IPv6 addresses in brackets. */
static int rec_publish(wb_run_options *o, const char *s, wb_error *err)
{
    _cleanup_free_ char *c = strdup(s);
    if (!c)
        return wb_error_oom(err);
    char *proto = strchr(c, '/');
    if (proto) {
        if (strcmp(proto, "/tcp") != 0)
            return wb_error_set(err, "invalid port \"%s\": only tcp is supported", s);
        *proto = 0;
    }
    wb_port p = {0};
    char *ip = NULL, *rest = c;
    if (c[0] == '[') {
        char *close = strchr(c, ']');
        if (!close || close[1] != ':')
            return wb_error_set(err, "invalid port \"%s\"", s);
        *close = 0;
        ip = c + 1;
        rest = close + 2;
    } else {
        char *last = strrchr(c, ':');
        char *first = strchr(c, ':');
        if (first && first != last) {
            *first = 0;
            ip = c;
            rest = first + 1;
        }
    }
    char *colon = strchr(rest, ':');
    int bad;
    if (colon)
        bad = parse_port_num(rest, (size_t)(colon - rest), &p.host_port) ||
              parse_port_num(colon + 1, strlen(colon + 1), &p.port);
    else
        bad = parse_port_num(rest, strlen(rest), &p.port) || (p.host_port = p.port, 0);
    if (bad)
        return wb_error_set(err, "invalid port \"%s\": expected [IP:]HOSTPORT:PORT", s);
    if (ip && *ip && !(p.ip = strdup(ip)))
        return wb_error_oom(err);
    wb_port *v = realloc(o->ports, (o->nports + 1) * sizeof(*v));
    if (!v) {
        free(p.ip);
        return wb_error_oom(err);
    }
    o->ports = v;
    o->ports[o->nports++] = p;
    return 0;
}

static int set_str(char **dst, const char *v, wb_error *err)
{
    free(*dst);
    *dst = strdup(v);
    return *dst ? 0 : wb_error_oom(err);
}

static int rec_name(wb_run_options *o, const char *v, wb_error *err)
{
    return set_str(&o->name, v, err);
}
static int rec_workdir(wb_run_options *o, const char *v, wb_error *err)
{
    if (!v[0])
        return wb_error_set(err, "the working directory cannot be empty");
    return set_str(&o->workdir, v, err);
}
static int rec_entrypoint(wb_run_options *o, const char *v, wb_error *err)
{
    return set_str(&o->entrypoint, v, err);
}
static int rec_memory(wb_run_options *o, const char *v, wb_error *err)
{
    return wb_parse_size(v, &o->memory, err);
}
static int rec_rm(wb_run_options *o, const char *v, wb_error *err)
{
    (void)v, (void)err;
    o->rm = true;
    return 0;
}
static int rec_detach(wb_run_options *o, const char *v, wb_error *err)
{
    (void)v, (void)err;
    o->detach = true;
    return 0;
}
static int rec_interactive(wb_run_options *o, const char *v, wb_error *err)
{
    (void)v, (void)err;
    o->interactive = true;
    return 0;
}
static int rec_tty(wb_run_options *o, const char *v, wb_error *err)
{
    (void)v, (void)err;
    o->tty = true;
    return 0;
}
static int rec_help(wb_run_options *o, const char *v, wb_error *err)
{
    (void)v, (void)err;
    o->help = true;
    return 0;
}

typedef struct flag {
    char short_name; /* 0 if none */
    const char *long_name;
    bool takes_value;
    recorder rec;
} flag;

static const flag run_flags[] = {
    {0, "rm", false, rec_rm},
    {'d', "detach", false, rec_detach},
    {'i', "interactive", false, rec_interactive},
    {'t', "tty", false, rec_tty},
    {'h', "help", false, rec_help},
    {0, "name", true, rec_name},
    {'e', "env", true, rec_env},
    {0, "env-file", true, rec_env_file},
    {'v', "volume", true, rec_volume},
    {'w', "workdir", true, rec_workdir},
    {'p', "publish", true, rec_publish},
    {'m', "memory", true, rec_memory},
    {0, "entrypoint", true, rec_entrypoint},
    /* wasmtime's spellings */
    {0, "dir", true, rec_dir},
    {0, "mapdir", true, rec_mapdir},
    {0, "invoke", true, rec_entrypoint},
    {0, NULL, false, NULL},
};

static const flag *find_long(const char *name, size_t len)
{
    for (const flag *f = run_flags; f->long_name; f++)
        if (strlen(f->long_name) == len && strncmp(f->long_name, name, len) == 0)
            return f;
    return NULL;
}

static const flag *find_short(char c)
{
    for (const flag *f = run_flags; f->long_name; f++)
        if (f->short_name == c)
            return f;
    return NULL;
}

/* One "--name[=value]" word; *i advances past a separate value. */
static int parse_long(int argc, char **argv, int *i, wb_run_options *o, wb_error *err)
{
    const char *arg = argv[*i] + 2;
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    const flag *f = find_long(arg, len);
    if (!f)
        return wb_error_set(err, "unknown flag: --%.*s", (int)len, arg);
    if (!f->takes_value) {
        if (eq)
            return wb_error_set(err, "flag --%s takes no value", f->long_name);
        return f->rec(o, NULL, err);
    }
    if (eq)
        return f->rec(o, eq + 1, err);
    if (*i + 1 >= argc)
        return wb_error_set(err, "flag needs an argument: --%s", f->long_name);
    return f->rec(o, argv[++*i], err);
}

/* One "-abc" word: bundled booleans, the last one possibly taking a value. */
static int parse_short(int argc, char **argv, int *i, wb_run_options *o, wb_error *err)
{
    for (const char *p = argv[*i] + 1; *p; p++) {
        const flag *f = find_short(*p);
        if (!f)
            return wb_error_set(err, "unknown shorthand flag: '%c' in %s", *p, argv[*i]);
        if (!f->takes_value) {
            int ret = f->rec(o, NULL, err);
            if (ret < 0)
                return ret;
            continue;
        }
        if (p[1])
            return f->rec(o, p[1] == '=' ? p + 2 : p + 1, err);
        if (*i + 1 >= argc)
            return wb_error_set(err, "flag needs an argument: -%c", *p);
        return f->rec(o, argv[++*i], err);
    }
    return 0;
}

int wb_run_options_parse(int argc, char **argv, wb_run_options *o, wb_error *err)
{
    memset(o, 0, sizeof(*o));
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        int ret = 0;
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == 0)
            break;
        ret =
            a[1] == '-' ? parse_long(argc, argv, &i, o, err) : parse_short(argc, argv, &i, o, err);
        if (ret < 0)
            return ret;
        if (o->help)
            return 0;
    }
    if (i >= argc)
        return wb_error_set(err, "\"run\" requires an image or a .wasm file");
    o->target = argv[i];
    o->args = argv + i + 1;
    o->nargs = argc - i - 1;
    return 0;
}

void wb_run_options_free(wb_run_options *o)
{
    free(o->name);
    wb_strv_free(&o->env);
    for (size_t i = 0; i < o->nvolumes; i++) {
        free(o->volumes[i].host);
        free(o->volumes[i].guest);
    }
    free(o->volumes);
    free(o->workdir);
    for (size_t i = 0; i < o->nports; i++)
        free(o->ports[i].ip);
    free(o->ports);
    free(o->entrypoint);
    memset(o, 0, sizeof(*o));
}
