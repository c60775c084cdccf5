/*
 * spec.c — what `wasmbox run` asked for, merged with the image's config as docker
 * merges them, written down as config.json in docker's inspect shape.
 *
 * The rules (docker's, kept in one place so they can be tested case by case):
 *  - ENTRYPOINT: --entrypoint if given (an empty one clears it), else the image's.
 *  - CMD: the arguments after IMAGE if any; else the image's CMD, unless
 *    --entrypoint was given (docker drops the image's CMD then).
 *  - the program is ENTRYPOINT + CMD; its first word is the module to run.
 *  - ENV: the image's, then -e/--env-file in order, a later key replacing an earlier
 *    one where it stood.
 *  - WORKDIR: -w, else the image's, else "/"; it must be absolute.
 *  - volumes: absolute or ./relative host paths are bind mounts (created when
 *    missing, as docker does); a bare name is a named volume under $ROOT/volumes.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctr.h"

static json_t *strv_json(char *const *v)
{
    json_t *a = json_array();
    for (size_t i = 0; a && v && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static size_t strv_len(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

int ctr_merge_command(char *const *img_entry, char *const *img_cmd, const char *entry_flag,
                      const char *const *args, size_t nargs, json_t **entrypoint, json_t **cmd,
                      wb_error *err)
{
    json_t *e = NULL, *c = NULL;
    if (entry_flag) {
        e = entry_flag[0] ? json_pack("[s]", entry_flag) : json_null();
    } else {
        e = strv_len(img_entry) ? strv_json(img_entry) : json_null();
    }
    if (nargs) {
        c = json_array();
        for (size_t i = 0; c && i < nargs; i++)
            json_array_append_new(c, json_string(args[i]));
    } else if (!entry_flag && strv_len(img_cmd)) {
        c = strv_json(img_cmd);
    } else {
        c = json_null();
    }
    if (!e || !c) {
        json_decref(e);
        json_decref(c);
        return wb_error_oom(err);
    }
    *entrypoint = e;
    *cmd = c;
    return 0;
}

static size_t key_len(const char *kv)
{
    const char *eq = strchr(kv, '=');
    return eq ? (size_t)(eq - kv) : strlen(kv);
}

int ctr_env_overlay(json_t *base, const char *const *over, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *kv = over[i];
        size_t kl = key_len(kv);
        bool removal = kv[kl] == 0;
        size_t j;
        json_t *v;
        bool replaced = false;
        json_array_foreach(base, j, v)
        {
            const char *s = json_string_value(v);
            if (s && key_len(s) == kl && strncmp(s, kv, kl) == 0) {
                if (removal)
                    json_array_remove(base, j);
                else if (json_array_set_new(base, j, json_string(kv)) < 0)
                    return -1;
                replaced = true;
                break;
            }
        }
        if (!replaced && !removal && json_array_append_new(base, json_string(kv)) < 0)
            return -1;
    }
    return 0;
}

/* ---- volumes and ports ---------------------------------------------------------- */

static bool is_volume_name(const char *s)
{
    return s[0] && s[0] != '/' && s[0] != '.' && s[0] != '~' && !strchr(s, '/');
}

/* The host directory of a volume, created if missing. */
static char *volume_source(const char *root, const char *host, bool *named, wb_error *err)
{
    *named = is_volume_name(host);
    char *path;
    if (*named) {
        if (ctr_name_check(host, NULL) < 0) {
            wb_error_set(err, "invalid volume name \"%s\"", host);
            return NULL;
        }
        path = ctr_strf("%s/volumes/%s/_data", root, host);
    } else if (host[0] == '/') {
        path = strdup(host);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) {
            wb_error_errno(err, errno, "getcwd");
            return NULL;
        }
        path = ctr_strf("%s/%s", cwd, host);
    }
    if (!path) {
        wb_error_oom(err);
        return NULL;
    }
    struct stat st;
    if (ctr_mkdir_p(path, 0755, err) < 0) {
        free(path);
        return NULL;
    }
    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
        wb_error_set(err,
                     "invalid volume source %s: not a directory (a WASI program is given "
                     "directories only)",
                     path);
        free(path);
        return NULL;
    }
    char real[PATH_MAX];
    if (realpath(path, real)) {
        free(path);
        path = strdup(real);
        if (!path)
            wb_error_oom(err);
    }
    return path;
}

static int add_volumes(const char *root, const wb_ctr_spec *spec, json_t *binds, json_t *mounts,
                       wb_error *err)
{
    for (size_t i = 0; i < spec->nvolumes; i++) {
        const wb_ctr_volume *v = &spec->volumes[i];
        if (v->guest[0] != '/')
            return wb_error_set(err,
                                "invalid volume \"%s:%s\": the container path must be "
                                "absolute",
                                v->host, v->guest);
        if (strcmp(v->guest, "/") == 0)
            return wb_error_set(err, "invalid volume \"%s:%s\": the container path cannot be /",
                                v->host, v->guest);
        bool named;
        _cleanup_free_ char *src = volume_source(root, v->host, &named, err);
        if (!src)
            return -1;
        const char *mode = v->readonly ? "ro" : "rw";
        json_array_append_new(binds,
                              json_sprintf("%s:%s:%s", named ? v->host : src, v->guest, mode));
        json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "Type", named ? "volume" : "bind",
                              "Source", src, "Destination", v->guest, "Mode",
                              v->readonly ? "ro" : "", "RW", !v->readonly, "Propagation", "");
        if (!m)
            return wb_error_oom(err);
        if (named)
            json_object_set_new(m, "Name", json_string(v->host));
        json_array_append_new(mounts, m);
    }
    return 0;
}

static int add_ports(const wb_ctr_spec *spec, json_t *bindings, json_t *exposed, wb_error *err)
{
    for (size_t i = 0; i < spec->nports; i++) {
        const wb_ctr_port *p = &spec->ports[i];
        char key[16], hp[8];
        snprintf(key, sizeof key, "%u/tcp", p->port);
        snprintf(hp, sizeof hp, "%u", p->host_port);
        json_t *list = json_object_get(bindings, key);
        if (!list) {
            list = json_array();
            if (!list || json_object_set_new(bindings, key, list) < 0)
                return wb_error_oom(err);
        }
        json_array_append_new(
            list, json_pack("{s:s, s:s}", "HostIp", p->ip ? p->ip : "", "HostPort", hp));
        json_object_set_new(exposed, key, json_object());
    }
    return 0;
}

/* ---- config.json ---------------------------------------------------------------- */

static const char *restart_name(wb_restart_kind k)
{
    switch (k) {
    case WB_RESTART_ON_FAILURE:
        return "on-failure";
    case WB_RESTART_ALWAYS:
        return "always";
    case WB_RESTART_UNLESS_STOPPED:
        return "unless-stopped";
    default:
        return "no";
    }
}

int wb_restart_policy_parse(const char *s, wb_restart_policy *out, wb_error *err)
{
    *out = (wb_restart_policy){WB_RESTART_NO, 0};
    if (!s || !*s || strcmp(s, "no") == 0)
        return 0;
    if (strcmp(s, "always") == 0)
        out->kind = WB_RESTART_ALWAYS;
    else if (strcmp(s, "unless-stopped") == 0)
        out->kind = WB_RESTART_UNLESS_STOPPED;
    else if (strncmp(s, "on-failure", 10) == 0 && (s[10] == 0 || s[10] == ':')) {
        out->kind = WB_RESTART_ON_FAILURE;
        if (s[10] == ':') {
            char *end;
            errno = 0;
            long n = strtol(s + 11, &end, 10);
            if (!s[11] || *end || errno || n < 0 || n > 1000000)
                return wb_error_set(err,
                                    "invalid restart policy \"%s\": maximum retry count "
                                    "must be a non-negative number",
                                    s);
            out->max_retries = (int)n;
        }
    } else {
        return wb_error_set(err,
                            "invalid restart policy \"%s\" (use no, on-failure[:N], always "
                            "or unless-stopped)",
                            s);
    }
    return 0;
}

/* Image labels "k=v" and exposed ports, as docker's objects. */
static json_t *labels_json(char *const *labels)
{
    json_t *o = json_object();
    for (size_t i = 0; o && labels && labels[i]; i++) {
        size_t kl = key_len(labels[i]);
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)(kl < 255 ? kl : 255), labels[i]);
        json_object_set_new(o, key, json_string(labels[i][kl] ? labels[i] + kl + 1 : ""));
    }
    return o;
}

static json_t *config_section(const wb_ctr_spec *spec, const wb_image_config *ic,
                              const char *hostname, const char *workdir, json_t *entry, json_t *cmd,
                              json_t *env, json_t *exposed)
{
    int stop = spec->stop_timeout < 0 ? WB_CTR_DEFAULT_STOP_TIMEOUT : spec->stop_timeout;
    return json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:o, s:o, s:o, s:s,"
                     " s:s, s:o, s:o, s:i, s:o}",
                     "Hostname", hostname, "Domainname", "", "User", ic->user, "AttachStdin",
                     spec->interactive && !spec->auto_remove, "AttachStdout", 1, "AttachStderr", 1,
                     "Tty", spec->tty, "OpenStdin", spec->interactive, "StdinOnce",
                     spec->interactive, "Env", env, "Cmd", cmd, "Entrypoint", entry, "Image",
                     spec->image, "WorkingDir", workdir, "Labels", labels_json(ic->labels),
                     "ExposedPorts", exposed, "StopTimeout", stop, "Volumes", json_null());
}

static json_t *host_config(const wb_ctr_spec *spec, json_t *binds, json_t *bindings)
{
    uint64_t max_log = CTR_LOG_MAX_DEFAULT;
    const char *env_max = getenv("WASMBOX_LOG_MAX_SIZE");
    if (env_max && strtoull(env_max, NULL, 10) > 0)
        max_log = strtoull(env_max, NULL, 10);
    char max_s[32];
    snprintf(max_s, sizeof max_s, "%llu", (unsigned long long)max_log);
    return json_pack("{s:o, s:o, s:{s:s, s:i}, s:b, s:I, s:{s:s, s:{s:s, s:s}}, s:s}", "Binds",
                     binds, "PortBindings", bindings, "RestartPolicy", "Name",
                     restart_name(spec->restart.kind), "MaximumRetryCount",
                     spec->restart.max_retries, "AutoRemove", spec->auto_remove, "Memory",
                     (json_int_t)spec->memory, "LogConfig", "Type", "json-file", "Config",
                     "max-size", max_s, "max-file", "2", "NetworkMode", "host");
}

/* argv = entrypoint + cmd; sets Path and Args. */
static int set_path_args(json_t *top, json_t *entry, json_t *cmd, wb_error *err)
{
    json_t *argv = json_array();
    if (!argv)
        return wb_error_oom(err);
    if (json_is_array(entry))
        json_array_extend(argv, entry);
    if (json_is_array(cmd))
        json_array_extend(argv, cmd);
    if (json_array_size(argv) == 0) {
        json_decref(argv);
        return wb_error_set(err, "No command specified");
    }
    json_object_set(top, "Path", json_array_get(argv, 0));
    json_array_remove(argv, 0);
    json_object_set_new(top, "Args", argv);
    return 0;
}

int ctr_config_build(const char *root, const wb_ctr_spec *spec, const ctr_image *im, const char *id,
                     const char *name, json_t **out, wb_error *err)
{
    const wb_image_config *ic = &im->ic;
    const wb_image_ref *image = &im->ref;
    const char *rootfs = im->rootfs;
    const char *workdir = spec->workdir ? spec->workdir : ic->workdir[0] ? ic->workdir : "/";
    if (workdir[0] != '/')
        return wb_error_set(err,
                            "the working directory '%s' is invalid, it needs to be an "
                            "absolute path",
                            workdir);
    json_t *entry, *cmd;
    if (ctr_merge_command(ic->entrypoint, ic->cmd, spec->entrypoint, spec->args, spec->nargs,
                          &entry, &cmd, err) < 0)
        return -1;
    json_t *env = strv_json(ic->env);
    json_t *binds = json_array(), *mounts = json_array(), *bindings = json_object();
    json_t *exposed = json_object();
    for (size_t i = 0; exposed && ic->exposed_ports && ic->exposed_ports[i]; i++)
        json_object_set_new(exposed, ic->exposed_ports[i], json_object());
    char hostname[13], created[40];
    snprintf(hostname, sizeof hostname, "%.12s", id);
    ctr_time_format(ctr_now_ns(), created);
    json_t *top = json_object();
    int ret = 0;
    if (!env || !binds || !mounts || !bindings || !exposed || !top ||
        ctr_env_overlay(env, spec->env, spec->nenv) < 0)
        ret = wb_error_oom(err);
    if (ret == 0)
        ret = add_volumes(root, spec, binds, mounts, err);
    if (ret == 0)
        ret = add_ports(spec, bindings, exposed, err);
    if (ret == 0)
        ret = set_path_args(top, entry, cmd, err);
    if (ret < 0) {
        json_decref(entry), json_decref(cmd), json_decref(env), json_decref(binds);
        json_decref(mounts), json_decref(bindings), json_decref(exposed), json_decref(top);
        return ret;
    }
    char logpath[PATH_MAX];
    snprintf(logpath, sizeof logpath, "%s/containers/%s/%s-json.log", root, id, id);
    json_t *rest = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:{s:s}}, s:o, s:o, s:o}", "Id", id,
        "Created", created, "Image", image->config, "ImageManifest", image->manifest, "Name", "",
        "LogPath", logpath, "Driver", "rootfs", "Platform", "wasi", "MountLabel", "", "GraphDriver",
        "Name", "rootfs", "Data", "RootDir", rootfs, "Mounts", mounts, "Config",
        config_section(spec, ic, hostname, workdir, entry, cmd, env, exposed), "HostConfig",
        host_config(spec, binds, bindings));
    if (!rest || json_object_update(top, rest) < 0) {
        json_decref(rest);
        json_decref(top);
        return wb_error_oom(err);
    }
    json_decref(rest);
    json_object_set_new(top, "Name", json_sprintf("/%s", name));
    *out = top;
    return 0;
}
