/*
 * cgroup.c — putting the container where linux.cgroupsPath says, with its limits.
 *
 * Engines never ask the runtime for statistics: podman stats, docker stats, the
 * CRI's ContainerStats and ctr tasks metrics read the cgroup themselves, and docker
 * update writes new limits through `update`. So a wasm container's process must sit
 * in the same cgroup a runc container would, in every mounted hierarchy: on the
 * cgroups v1 "hybrid" layout of these hosts that is each v1 controller's directory,
 * the name=systemd one and the empty unified (v2) one, as runc does; on a pure v2
 * host it is one directory with the controllers enabled above it.
 *
 * Two v1 traps handled here: a new cpuset directory starts with empty cpus/mems
 * (a task cannot join it until they are copied from the parent), and memory and
 * memory+swap limits must be written in the order that keeps limit <= memsw.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt.h"

void rt_cgroup_free(rt_cgroup *cg)
{
    for (size_t i = 0; i < cg->n; i++)
        free(cg->dirs[i]);
    free(cg->dirs);
    free(cg->mnt_len);
    memset(cg, 0, sizeof *cg);
    cg->unified = -1;
}

/* ---- where the hierarchies are ------------------------------------------------------ */

/* The mount points of cgroup hierarchies, from /proc/self/mountinfo: one per
 * hierarchy (a hierarchy mounted twice counts once, by its super options). */
static int hierarchies(char ***mnts, bool **v2, size_t *n, wb_error *err)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return wb_error_errno(err, errno, "open /proc/self/mountinfo");
    char line[4096], seen[32][128];
    size_t cap = 32;
    *mnts = calloc(cap, sizeof **mnts);
    *v2 = calloc(cap, sizeof **v2);
    *n = 0;
    int ret = *mnts && *v2 ? 0 : wb_error_oom(err);
    while (ret == 0 && *n < cap && fgets(line, sizeof line, f)) {
        char *sep = strstr(line, " - ");
        char mnt[1024], fstype[32], source[64], opts[128];
        if (!sep || sscanf(line, "%*s %*s %*s %*s %1023s", mnt) != 1 ||
            sscanf(sep + 3, "%31s %63s %127s", fstype, source, opts) != 3)
            continue;
        bool is_v2 = strcmp(fstype, "cgroup2") == 0;
        if (!is_v2 && strcmp(fstype, "cgroup") != 0)
            continue;
        bool dup = false;
        for (size_t i = 0; i < *n && !dup; i++)
            dup = strcmp(seen[i], is_v2 ? "cgroup2" : opts) == 0;
        if (dup)
            continue;
        snprintf(seen[*n], sizeof seen[*n], "%s", is_v2 ? "cgroup2" : opts);
        if (!((*mnts)[*n] = strdup(mnt)))
            ret = wb_error_oom(err);
        else
            (*v2)[(*n)++] = is_v2;
    }
    fclose(f);
    return ret;
}

/* systemd's "slice:prefix:name" as the cgroupfs path systemd would have made:
 * "machine.slice:libpod:ID" -> "/machine.slice/libpod-ID.scope", and a nested
 * slice "a-b.slice" lives under "a.slice". */
static char *systemd_path(const char *spec)
{
    char slice[256], prefix[256], name[512];
    if (sscanf(spec, "%255[^:]:%255[^:]:%511s", slice, prefix, name) != 3)
        return NULL;
    char path[1024] = "";
    size_t len = 0;
    if (strcmp(slice, "-.slice") != 0) {
        char *dot = strstr(slice, ".slice");
        if (dot)
            *dot = 0;
        for (char *dash = slice;; dash++) {
            dash = strchr(dash, '-');
            len += (size_t)snprintf(path + len, sizeof path - len, "/%.*s.slice",
                                    (int)(dash ? (size_t)(dash - slice) : strlen(slice)), slice);
            if (!dash || len >= sizeof path)
                break;
        }
    }
    const char *dot = strrchr(name, '.');
    if (dot && strcmp(dot, ".slice") == 0)
        return rt_strf("%s/%s", path, name);
    return rt_strf("%s/%s-%s.scope", path, prefix, name);
}

int rt_cgroup_resolve(const char *path, bool systemd, rt_cgroup *cg, wb_error *err)
{
    memset(cg, 0, sizeof *cg);
    cg->unified = -1;
    if (!path || !*path)
        return 0;
    bool systemd_form = systemd || (path[0] != '/' && strchr(path, ':'));
    _cleanup_free_ char *rel = systemd_form     ? systemd_path(path)
                               : path[0] == '/' ? strdup(path)
                                                : rt_strf("/%s", path);
    if (!rel)
        return systemd_form ? wb_error_set(err, "invalid systemd cgroup path %s", path)
                            : wb_error_oom(err);
    char **mnts = NULL;
    bool *v2 = NULL;
    size_t n = 0;
    int ret = hierarchies(&mnts, &v2, &n, err);
    cg->dirs = calloc(n + 1, sizeof *cg->dirs);
    cg->mnt_len = calloc(n + 1, sizeof *cg->mnt_len);
    if (ret == 0 && (!cg->dirs || !cg->mnt_len))
        ret = wb_error_oom(err);
    cg->v2_only = n > 0;
    for (size_t i = 0; ret == 0 && i < n; i++) {
        if (!(cg->dirs[i] = rt_strf("%s%s", mnts[i], rel))) {
            ret = wb_error_oom(err);
            break;
        }
        cg->mnt_len[i] = strlen(mnts[i]);
        cg->n++;
        if (v2[i])
            cg->unified = (int)i;
        else
            cg->v2_only = false;
    }
    for (size_t i = 0; i < n; i++)
        free(mnts[i]);
    free(mnts);
    free(v2);
    if (ret < 0)
        rt_cgroup_free(cg);
    return ret;
}

/* ---- creating ------------------------------------------------------------------------ */

static void copy_if_empty(const char *parent, const char *child, const char *file)
{
    char path[4200], buf[4096];
    snprintf(path, sizeof path, "%s/%s", child, file);
    if (rt_read_str(path, buf, sizeof buf) != 0)
        return; /* not a cpuset hierarchy, or already set */
    char ppath[4200];
    snprintf(ppath, sizeof ppath, "%s/%s", parent, file);
    if (rt_read_str(ppath, buf, sizeof buf) > 0)
        rt_write_str(path, buf, NULL);
}

/* On pure v2, a child sees a controller only if its parent enables it. */
static void enable_controllers(const char *dir)
{
    char path[4200], buf[1024];
    snprintf(path, sizeof path, "%s/cgroup.controllers", dir);
    if (rt_read_str(path, buf, sizeof buf) <= 0)
        return;
    snprintf(path, sizeof path, "%s/cgroup.subtree_control", dir);
    char *save = NULL;
    for (char *c = strtok_r(buf, " ", &save); c; c = strtok_r(NULL, " ", &save)) {
        char plus[64];
        snprintf(plus, sizeof plus, "+%s", c);
        rt_write_str(path, plus, NULL);
    }
}

static int make_dir(const rt_cgroup *cg, size_t i, wb_error *err)
{
    char *dir = cg->dirs[i];
    size_t len = strlen(dir);
    for (size_t at = cg->mnt_len[i] + 1; at <= len; at++) {
        if (dir[at] != '/' && dir[at] != 0)
            continue;
        char saved = dir[at];
        dir[at] = 0;
        char *slash = strrchr(dir, '/');
        *slash = 0; /* dir is now the parent */
        if (cg->v2_only)
            enable_controllers(dir);
        *slash = '/';
        int made = mkdir(dir, 0755);
        int e = errno;
        if (made == 0 && !cg->v2_only) {
            *slash = 0;
            char parent[4096];
            snprintf(parent, sizeof parent, "%s", dir);
            *slash = '/';
            copy_if_empty(parent, dir, "cpuset.cpus");
            copy_if_empty(parent, dir, "cpuset.mems");
        }
        dir[at] = saved;
        if (made < 0 && e != EEXIST)
            return wb_error_errno(err, e, "cgroup: mkdir %s", dir);
    }
    return 0;
}

int rt_cgroup_enter(const rt_cgroup *cg, json_t *resources, pid_t pid, wb_error *err)
{
    for (size_t i = 0; i < cg->n; i++)
        if (make_dir(cg, i, err) < 0)
            return -1;
    if (rt_cgroup_apply(cg, resources, err) < 0)
        return -1;
    char num[24];
    snprintf(num, sizeof num, "%d", (int)pid);
    for (size_t i = 0; i < cg->n; i++) {
        _cleanup_free_ char *procs = rt_strf("%s/cgroup.procs", cg->dirs[i]);
        if (!procs)
            return wb_error_oom(err);
        if (rt_write_str(procs, num, err) < 0)
            return wb_error_prefix(err, "cgroup: join");
    }
    return 0;
}

/* ---- limits ------------------------------------------------------------------------- */

/* Writes value to `file` in the hierarchy that has it. A file no hierarchy has is an
 * error only when required (a limit that was asked for and cannot be kept). */
static int cg_set(const rt_cgroup *cg, const char *file, const char *value, bool required,
                  wb_error *err)
{
    for (size_t i = 0; i < cg->n; i++) {
        _cleanup_free_ char *path = rt_strf("%s/%s", cg->dirs[i], file);
        if (!path)
            return wb_error_oom(err);
        if (access(path, F_OK) == 0)
            return rt_write_str(path, value, err) < 0 ? wb_error_prefix(err, "cgroup") : 0;
    }
    return required ? wb_error_set(err, "cgroup: %s is not available on this host", file) : 0;
}

static int cg_set_int(const rt_cgroup *cg, const char *file, int64_t v, bool required,
                      wb_error *err)
{
    char num[24];
    snprintf(num, sizeof num, "%" PRId64, v);
    return cg_set(cg, file, num, required, err);
}

/* An integer field that is present and non-zero (runc skips zeros: `update` sends them
 * for everything it does not change). */
static bool get_int(json_t *obj, const char *key, int64_t *v)
{
    json_t *j = json_object_get(obj, key);
    if (!json_is_integer(j) || json_integer_value(j) == 0)
        return false;
    *v = json_integer_value(j);
    return true;
}

static int apply_memory_v1(const rt_cgroup *cg, json_t *mem, wb_error *err)
{
    int64_t limit = 0, swap = 0, v;
    bool has_limit = get_int(mem, "limit", &limit), has_swap = get_int(mem, "swap", &swap);
    if (has_limit && has_swap) {
        /* limit <= memsw at every moment: lower the limit first, or raise memsw first. */
        wb_error first = {0};
        if (cg_set_int(cg, "memory.limit_in_bytes", limit, true, &first) == 0) {
            if (cg_set_int(cg, "memory.memsw.limit_in_bytes", swap, false, err) < 0)
                return -1;
        } else if (cg_set_int(cg, "memory.memsw.limit_in_bytes", swap, false, err) < 0 ||
                   cg_set_int(cg, "memory.limit_in_bytes", limit, true, err) < 0) {
            return -1;
        }
    } else if (has_limit && cg_set_int(cg, "memory.limit_in_bytes", limit, true, err) < 0) {
        return -1;
    } else if (has_swap && cg_set_int(cg, "memory.memsw.limit_in_bytes", swap, false, err) < 0) {
        return -1;
    }
    if (get_int(mem, "reservation", &v) &&
        cg_set_int(cg, "memory.soft_limit_in_bytes", v, false, err) < 0)
        return -1;
    json_t *sw = json_object_get(mem, "swappiness");
    if (json_is_integer(sw) && json_integer_value(sw) >= 0 && json_integer_value(sw) <= 100 &&
        cg_set_int(cg, "memory.swappiness", json_integer_value(sw), false, err) < 0)
        return -1;
    if (json_is_true(json_object_get(mem, "disableOOMKiller")) &&
        cg_set(cg, "memory.oom_control", "1", false, err) < 0)
        return -1;
    return 0;
}

static int apply_cpu_v1(const rt_cgroup *cg, json_t *cpu, wb_error *err)
{
    int64_t v;
    if (get_int(cpu, "shares", &v) && cg_set_int(cg, "cpu.shares", v, true, err) < 0)
        return -1;
    if (get_int(cpu, "period", &v) && cg_set_int(cg, "cpu.cfs_period_us", v, true, err) < 0)
        return -1;
    if (get_int(cpu, "quota", &v) && cg_set_int(cg, "cpu.cfs_quota_us", v, true, err) < 0)
        return -1;
    if (get_int(cpu, "realtimePeriod", &v) && cg_set_int(cg, "cpu.rt_period_us", v, true, err) < 0)
        return -1;
    if (get_int(cpu, "realtimeRuntime", &v) &&
        cg_set_int(cg, "cpu.rt_runtime_us", v, true, err) < 0)
        return -1;
    return 0;
}

static int apply_cpuset(const rt_cgroup *cg, json_t *cpu, wb_error *err)
{
    const char *cpus = json_string_value(json_object_get(cpu, "cpus"));
    const char *mems = json_string_value(json_object_get(cpu, "mems"));
    if (cpus && *cpus && cg_set(cg, "cpuset.cpus", cpus, true, err) < 0)
        return -1;
    if (mems && *mems && cg_set(cg, "cpuset.mems", mems, true, err) < 0)
        return -1;
    return 0;
}

static int apply_v2(const rt_cgroup *cg, json_t *res, wb_error *err)
{
    json_t *mem = json_object_get(res, "memory"), *cpu = json_object_get(res, "cpu");
    int64_t limit = 0, v = 0, period = 0, quota = 0;
    if (get_int(mem, "limit", &limit) &&
        (limit < 0 ? cg_set(cg, "memory.max", "max", true, err)
                   : cg_set_int(cg, "memory.max", limit, true, err)) < 0)
        return -1;
    if (get_int(mem, "reservation", &v) && cg_set_int(cg, "memory.low", v, false, err) < 0)
        return -1;
    if (get_int(mem, "swap", &v)) {
        int ret = v < 0 ? cg_set(cg, "memory.swap.max", "max", false, err)
                        : cg_set_int(cg, "memory.swap.max", limit > 0 ? v - limit : v, false, err);
        if (ret < 0)
            return -1;
    }
    if (get_int(cpu, "shares", &v) &&
        cg_set_int(cg, "cpu.weight", 1 + ((v - 2) * 9999) / 262142, true, err) < 0)
        return -1;
    get_int(cpu, "period", &period);
    if (get_int(cpu, "quota", &quota) || period) {
        char max[64];
        if (quota <= 0)
            snprintf(max, sizeof max, "max %" PRId64, period ? period : 100000);
        else
            snprintf(max, sizeof max, "%" PRId64 " %" PRId64, quota, period ? period : 100000);
        if (cg_set(cg, "cpu.max", max, true, err) < 0)
            return -1;
    }
    json_t *unified = json_object_get(res, "unified");
    const char *key;
    json_t *val;
    json_object_foreach(unified, key, val)
    {
        if (json_is_string(val) && cg_set(cg, key, json_string_value(val), true, err) < 0)
            return -1;
    }
    return 0;
}

int rt_cgroup_apply(const rt_cgroup *cg, json_t *res, wb_error *err)
{
    if (!cg->n || !json_is_object(res))
        return 0;
    json_t *pids = json_object_get(res, "pids");
    json_t *limit = json_object_get(pids, "limit");
    if (json_is_integer(limit)) {
        int64_t v = json_integer_value(limit);
        int ret = v > 0 ? cg_set_int(cg, "pids.max", v, true, err)
                        : cg_set(cg, "pids.max", "max", false, err);
        if (ret < 0)
            return -1;
    }
    int64_t weight;
    if (get_int(json_object_get(res, "blockIO"), "weight", &weight) &&
        cg_set_int(cg, cg->v2_only ? "io.weight" : "blkio.weight", weight, false, err) < 0)
        return -1;
    if (apply_cpuset(cg, json_object_get(res, "cpu"), err) < 0)
        return -1;
    if (cg->v2_only)
        return apply_v2(cg, res, err);
    if (apply_memory_v1(cg, json_object_get(res, "memory"), err) < 0)
        return -1;
    return apply_cpu_v1(cg, json_object_get(res, "cpu"), err);
}

uint64_t rt_resources_memory_limit(json_t *resources)
{
    int64_t limit;
    return get_int(json_object_get(resources, "memory"), "limit", &limit) && limit > 0
               ? (uint64_t)limit
               : 0;
}

/* ---- freezing, listing, removing ---------------------------------------------------- */

static char *find_file(const rt_cgroup *cg, const char *file)
{
    for (size_t i = 0; i < cg->n; i++) {
        char *path = rt_strf("%s/%s", cg->dirs[i], file);
        if (path && access(path, F_OK) == 0)
            return path;
        free(path);
    }
    return NULL;
}

bool rt_cgroup_frozen(const rt_cgroup *cg)
{
    char buf[32];
    _cleanup_free_ char *v1 = cg->v2_only ? NULL : find_file(cg, "freezer.state");
    if (v1)
        return rt_read_str(v1, buf, sizeof buf) > 0 && strcmp(buf, "THAWED") != 0;
    _cleanup_free_ char *v2 = cg->unified >= 0 ? find_file(cg, "cgroup.freeze") : NULL;
    return v2 && rt_read_str(v2, buf, sizeof buf) > 0 && strcmp(buf, "1") == 0;
}

int rt_cgroup_freeze(const rt_cgroup *cg, bool frozen, wb_error *err)
{
    _cleanup_free_ char *v1 = cg->v2_only ? NULL : find_file(cg, "freezer.state");
    _cleanup_free_ char *v2 = v1 ? NULL : find_file(cg, "cgroup.freeze");
    if (!v1 && !v2)
        return wb_error_set(err, "cgroup: no freezer for this container");
    if (rt_write_str(v1 ? v1 : v2, v1 ? (frozen ? "FROZEN" : "THAWED") : (frozen ? "1" : "0"),
                     err) < 0)
        return wb_error_prefix(err, "cgroup");
    for (int i = 0; v1 && frozen && i < 1000; i++) { /* FREEZING until every task stopped */
        char buf[32];
        if (rt_read_str(v1, buf, sizeof buf) > 0 && strcmp(buf, "FROZEN") == 0)
            break;
        usleep(1000);
    }
    return 0;
}

int rt_cgroup_pids(const rt_cgroup *cg, pid_t **pids, size_t *n)
{
    *pids = NULL;
    *n = 0;
    for (size_t i = 0; i < cg->n && *n == 0; i++) {
        _cleanup_free_ char *path = rt_strf("%s/cgroup.procs", cg->dirs[i]);
        int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
        if (fd < 0)
            continue;
        size_t len;
        _cleanup_free_ char *text = rt_read_fd(fd, 1 << 20, &len);
        close(fd);
        if (!text)
            continue;
        size_t cap = 0;
        for (char *p = text; *p; p++)
            cap += *p == '\n';
        if (!cap || !(*pids = calloc(cap, sizeof **pids)))
            continue;
        char *save = NULL;
        for (char *t = strtok_r(text, "\n", &save); t && *n < cap; t = strtok_r(NULL, "\n", &save))
            (*pids)[(*n)++] = (pid_t)atoi(t);
        if (!*n) {
            free(*pids);
            *pids = NULL;
        }
    }
    return 0;
}

void rt_cgroup_remove(const rt_cgroup *cg)
{
    for (size_t i = 0; i < cg->n; i++) {
        /* The last task may still be leaving (exit is asynchronous to its reaping). */
        for (int tries = 0; tries < 200; tries++) {
            if (rmdir(cg->dirs[i]) == 0 || errno != EBUSY)
                break;
            usleep(5000);
        }
    }
}

json_t *rt_cgroup_to_json(const rt_cgroup *cg)
{
    json_t *dirs = json_array();
    for (size_t i = 0; dirs && i < cg->n; i++)
        json_array_append_new(dirs, json_string(cg->dirs[i]));
    return json_pack("{s:o?, s:b, s:i}", "dirs", dirs, "v2_only", cg->v2_only, "unified",
                     cg->unified);
}

int rt_cgroup_from_json(json_t *j, rt_cgroup *cg, wb_error *err)
{
    memset(cg, 0, sizeof *cg);
    cg->unified = -1;
    json_t *dirs = json_object_get(j, "dirs");
    size_t n = json_array_size(dirs);
    cg->dirs = calloc(n + 1, sizeof *cg->dirs);
    cg->mnt_len = calloc(n + 1, sizeof *cg->mnt_len);
    if (!cg->dirs || !cg->mnt_len) {
        rt_cgroup_free(cg);
        return wb_error_oom(err);
    }
    for (size_t i = 0; i < n; i++) {
        const char *d = json_string_value(json_array_get(dirs, i));
        if (d && !(cg->dirs[cg->n++] = strdup(d))) {
            rt_cgroup_free(cg);
            return wb_error_oom(err);
        }
    }
    cg->v2_only = json_is_true(json_object_get(j, "v2_only"));
    cg->unified = (int)json_integer_value(json_object_get(j, "unified"));
    if (!json_is_integer(json_object_get(j, "unified")))
        cg->unified = -1;
    return 0;
}
