/*
 * state.c — a wasm container's record under the root, and its status.
 *
 * $root/<id>/wasmbox.json is written once, by create, when the init is ready; the
 * status is then read from the world on every call (see rt.h): the init's pid plus
 * its kernel start time (field 22 of /proc/<pid>/stat) identify the process even if
 * the pid is reused later, and the FIFO's presence tells created from running.
 * runc keeps its own containers under the same root in $root/<id>/state.json, so an
 * id with no wasmbox.json is simply not ours.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt.h"

static const char *const status_names[] = {"creating", "created", "running", "paused", "stopped"};

const char *rt_status_name(rt_status s)
{
    return status_names[s];
}

char *rt_state_dir(const rt_ctx *ctx, const char *id)
{
    return rt_strf("%s/%s", ctx->root, id);
}

bool rt_state_exists(const rt_ctx *ctx, const char *id)
{
    if (!rt_id_valid(id))
        return false;
    _cleanup_free_ char *path = rt_strf("%s/%s/" RT_STATE_FILE, ctx->root, id);
    return path && access(path, F_OK) == 0;
}

void rt_state_free(rt_state *st)
{
    free(st->id);
    free(st->dir);
    json_decref(st->json);
    memset(st, 0, sizeof *st);
}

int rt_state_load(const rt_ctx *ctx, const char *id, rt_state *st, wb_error *err)
{
    memset(st, 0, sizeof *st);
    if (!rt_id_valid(id))
        return wb_error_set(err, "invalid container id %s", id);
    st->id = strdup(id);
    st->dir = rt_state_dir(ctx, id);
    _cleanup_free_ char *path = st->dir ? rt_strf("%s/" RT_STATE_FILE, st->dir) : NULL;
    if (!st->id || !path)
        return wb_error_oom(err);
    json_error_t je;
    st->json = json_load_file(path, 0, &je);
    if (!st->json) {
        if (access(path, F_OK) < 0 && errno == ENOENT)
            return wb_error_errno(err, ENOENT, "container %s does not exist", id);
        return wb_error_set(err, "%s: %s", path, je.text);
    }
    st->pid = (pid_t)json_integer_value(json_object_get(st->json, "pid"));
    const char *start = json_string_value(json_object_get(st->json, "start_time"));
    st->start_time = start ? strtoull(start, NULL, 10) : 0;
    return 0;
}

int rt_state_save(const rt_state *st, wb_error *err)
{
    json_object_set_new(st->json, "pid", json_integer(st->pid));
    char start[24];
    snprintf(start, sizeof start, "%llu", st->start_time);
    json_object_set_new(st->json, "start_time", json_string(start));
    char *text = json_dumps(st->json, JSON_COMPACT);
    _cleanup_free_ char *path = rt_strf("%s/" RT_STATE_FILE, st->dir);
    int ret = text && path ? rt_write_file(path, text, strlen(text), err) : wb_error_oom(err);
    free(text);
    return ret;
}

unsigned long long rt_proc_start_time(pid_t pid, bool *zombie)
{
    char path[64], buf[1024];
    *zombie = false;
    if (pid <= 0)
        return 0;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (rt_read_str(path, buf, sizeof buf) <= 0)
        return 0;
    /* "pid (comm) S ppid ...": comm may hold spaces and parentheses; the last ')' ends it. */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return 0;
    p += 2;
    *zombie = *p == 'Z' || *p == 'X';
    for (int field = 3; field < 22 && p; field++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    return p ? strtoull(p, NULL, 10) : 0;
}

bool rt_state_alive(const rt_state *st)
{
    bool zombie;
    unsigned long long start = rt_proc_start_time(st->pid, &zombie);
    return start != 0 && start == st->start_time && !zombie;
}

rt_status rt_state_status(const rt_state *st)
{
    if (!rt_state_alive(st))
        return RT_STOPPED;
    _cleanup_free_ char *fifo = rt_strf("%s/" RT_FIFO_FILE, st->dir);
    if (fifo && access(fifo, F_OK) == 0)
        return RT_CREATED;
    rt_cgroup cg;
    if (rt_cgroup_from_json(json_object_get(st->json, "cgroup"), &cg, NULL) == 0) {
        bool frozen = rt_cgroup_frozen(&cg);
        rt_cgroup_free(&cg);
        if (frozen)
            return RT_PAUSED;
    }
    return RT_RUNNING;
}

json_t *rt_state_oci(const rt_state *st, rt_status status)
{
    json_t *ann = json_object_get(st->json, "annotations");
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:i, s:O?, s:O?, s:O?, s:s}", "ociVersion", RT_OCI_VERSION, "id", st->id,
        "status", rt_status_name(status), "pid", status == RT_STOPPED ? 0 : (int)st->pid, "bundle",
        json_object_get(st->json, "bundle"), "rootfs", json_object_get(st->json, "rootfs"),
        "created", json_object_get(st->json, "created"), "owner", "");
    if (j && json_is_object(ann) && json_object_size(ann))
        json_object_set(j, "annotations", ann);
    return j;
}
