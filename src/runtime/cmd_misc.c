/*
 * cmd_misc.c — features, update and list.
 *
 * `update --resources -` is how `docker update` changes a running container's
 * limits (a LinuxResources object on stdin); runc's single-value flags are
 * accepted too and turned into the same object. The limits go to the cgroup; the
 * linear-memory cap a guest got at create stays what it was.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rt.h"

/* ---- features ------------------------------------------------------------------------- */

/* What a wasm container gets (classic containers get what the classic runtime
 * offers). Static: the same on every host. */
static const char features_json[] =
    "{\n"
    "    \"ociVersionMin\": \"1.0.0\",\n"
    "    \"ociVersionMax\": \"" RT_OCI_VERSION "\",\n"
    "    \"hooks\": [\"prestart\", \"createRuntime\", \"createContainer\", \"startContainer\", "
    "\"poststart\", \"poststop\"],\n"
    "    \"mountOptions\": [\"bind\", \"rbind\", \"ro\", \"rw\"],\n"
    "    \"linux\": {\n"
    "        \"namespaces\": [\"cgroup\", \"ipc\", \"mount\", \"network\", \"pid\", \"user\", "
    "\"uts\"],\n"
    "        \"capabilities\": [],\n"
    "        \"cgroup\": {\"v1\": true, \"v2\": true, \"systemd\": false, \"systemdUser\": "
    "false},\n"
    "        \"seccomp\": {\"enabled\": false},\n"
    "        \"apparmor\": {\"enabled\": false},\n"
    "        \"selinux\": {\"enabled\": false}\n"
    "    },\n"
    "    \"annotations\": {\n"
    "        \"run.oci.handler\": \"wasm: run process.args[0] as a WebAssembly module\",\n"
    "        \"module.wasm.image/variant\": \"compat (wasm) | compat-smart (wasm if args[0] is a "
    "module)\",\n"
    "        \"io.github.wasmbox.runtime.classic\": \"other bundles run on the classic runtime\"\n"
    "    }\n"
    "}\n";

int rt_cmd_features(rt_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    (void)argc;
    (void)argv;
    fputs(features_json, stdout);
    return 0;
}

/* ---- update --------------------------------------------------------------------------- */

/* "64m", "1g", "1024": bytes. */
static bool parse_size(const char *s, json_int_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    switch (*end | 0x20) {
    case 'k':
        v <<= 10;
        end++;
        break;
    case 'm':
        v <<= 20;
        end++;
        break;
    case 'g':
        v <<= 30;
        end++;
        break;
    default:
        break;
    }
    if ((*end | 0x20) == 'b')
        end++;
    *out = v;
    return end != s && *end == 0;
}

typedef struct update_flags {
    const char *resources, *memory, *swap, *reservation, *shares, *quota, *period, *cpus, *mems,
        *pids, *weight;
} update_flags;

static int set_value(json_t *res, const char *group, const char *key, const char *value, bool size,
                     wb_error *err)
{
    if (!value)
        return 0;
    json_int_t v;
    if (size ? !parse_size(value, &v) : !parse_size(value, &v) || strpbrk(value, "kKmMgG"))
        return wb_error_set(err, "invalid value for %s.%s: %s", group, key, value);
    json_t *g = json_object_get(res, group);
    if (!g)
        json_object_set_new(res, group, (g = json_object()));
    return json_object_set_new(g, key, json_integer(v));
}

static json_t *flags_to_resources(const update_flags *f, wb_error *err)
{
    json_t *res = json_object();
    int ret = res ? 0 : wb_error_oom(err);
    if (ret == 0)
        ret = set_value(res, "memory", "limit", f->memory, true, err);
    if (ret == 0)
        ret = set_value(res, "memory", "swap", f->swap, true, err);
    if (ret == 0)
        ret = set_value(res, "memory", "reservation", f->reservation, true, err);
    if (ret == 0)
        ret = set_value(res, "cpu", "shares", f->shares, false, err);
    if (ret == 0)
        ret = set_value(res, "cpu", "quota", f->quota, false, err);
    if (ret == 0)
        ret = set_value(res, "cpu", "period", f->period, false, err);
    if (ret == 0)
        ret = set_value(res, "pids", "limit", f->pids, false, err);
    if (ret == 0)
        ret = set_value(res, "blockIO", "weight", f->weight, false, err);
    if (ret == 0 && (f->cpus || f->mems)) {
        json_t *cpu = json_object_get(res, "cpu");
        if (!cpu)
            json_object_set_new(res, "cpu", (cpu = json_object()));
        if (f->cpus)
            json_object_set_new(cpu, "cpus", json_string(f->cpus));
        if (f->mems)
            json_object_set_new(cpu, "mems", json_string(f->mems));
    }
    if (ret < 0) {
        json_decref(res);
        return NULL;
    }
    return res;
}

static json_t *read_resources(const char *from, wb_error *err)
{
    int fd = strcmp(from, "-") == 0 ? 0 : open(from, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        wb_error_errno(err, errno, "open %s", from);
        return NULL;
    }
    size_t len;
    _cleanup_free_ char *text = rt_read_fd(fd, 1 << 20, &len);
    if (fd)
        close(fd);
    json_error_t je;
    json_t *j = text ? json_loadb(text, len, 0, &je) : NULL;
    if (!j)
        wb_error_set(err, "resources: %s", text ? je.text : "cannot read");
    return j;
}

int rt_cmd_update(rt_ctx *ctx, int argc, char **argv)
{
    update_flags f = {0};
    const rt_opt opts[] = {
        {"resources", 'r', true, &f.resources, NULL},
        {"memory", 0, true, &f.memory, NULL},
        {"memory-swap", 0, true, &f.swap, NULL},
        {"memory-reservation", 0, true, &f.reservation, NULL},
        {"cpu-share", 0, true, &f.shares, NULL},
        {"cpu-quota", 0, true, &f.quota, NULL},
        {"cpu-period", 0, true, &f.period, NULL},
        {"cpuset-cpus", 0, true, &f.cpus, NULL},
        {"cpuset-mems", 0, true, &f.mems, NULL},
        {"pids-limit", 0, true, &f.pids, NULL},
        {"blkio-weight", 0, true, &f.weight, NULL},
    };
    const char *id;
    int t = rt_target(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], &id);
    if (t < 0)
        return 1;
    if (t == 1)
        return rt_delegate(ctx);
    wb_error err = {0};
    rt_state st;
    rt_cgroup cg = {0};
    json_t *res = NULL;
    int ret = rt_state_load(ctx, id, &st, &err);
    if (ret == 0)
        ret = rt_cgroup_from_json(json_object_get(st.json, "cgroup"), &cg, &err);
    if (ret == 0 &&
        !(res = f.resources ? read_resources(f.resources, &err) : flags_to_resources(&f, &err)))
        ret = -1;
    if (ret == 0)
        ret = rt_cgroup_apply(&cg, res, &err);
    if (ret < 0)
        rt_log_error(ctx, "%s", err.message);
    json_decref(res);
    rt_cgroup_free(&cg);
    rt_state_free(&st);
    return ret < 0;
}

/* ---- list ----------------------------------------------------------------------------- */

int rt_cmd_list(rt_ctx *ctx, int argc, char **argv)
{
    const char *format = "table";
    bool quiet = false;
    const rt_opt opts[] = {{"format", 'f', true, &format, NULL},
                           {"quiet", 'q', false, NULL, &quiet}};
    wb_error err = {0};
    int first;
    if (rt_parse_opts(argc - 1, argv + 1, opts, 2, &first, &err) < 0) {
        rt_log_error(ctx, "%s", err.message);
        return 1;
    }
    bool json = strcmp(format, "json") == 0;
    json_t *all = json_array();
    DIR *d = opendir(ctx->root);
    struct dirent *e;
    if (!json && !quiet)
        printf("%-12s %-8s %-10s %-40s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
    while (d && (e = readdir(d))) {
        rt_state st;
        if (e->d_name[0] == '.' || !rt_state_exists(ctx, e->d_name) ||
            rt_state_load(ctx, e->d_name, &st, NULL) < 0)
            continue;
        rt_status s = rt_state_status(&st);
        if (json)
            json_array_append_new(all, rt_state_oci(&st, s));
        else if (quiet)
            printf("%s\n", st.id);
        else
            printf("%-12s %-8d %-10s %-40s %s\n", st.id, s == RT_STOPPED ? 0 : (int)st.pid,
                   rt_status_name(s), json_string_value(json_object_get(st.json, "bundle")),
                   json_string_value(json_object_get(st.json, "created")));
        rt_state_free(&st);
    }
    if (d)
        closedir(d);
    if (json) {
        char *text = json_dumps(all, JSON_COMPACT);
        printf("%s\n", text ? text : "[]");
        free(text);
    }
    json_decref(all);
    return 0;
}
