/*
 * inspect.c — looking at containers: `inspect` (docker's JSON object) and the
 * list behind `ps`.
 *
 * Both go through ctr_probe, so a container whose supervisor died is reported —
 * and recorded — as exited, with the reason, the first time anyone looks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctr.h"

/* docker's key order: Id, Created, Path, Args, State, Image, then the rest. */
static json_t *inspect_object(const ctr *c, const ctr_state *st)
{
    json_t *o = json_object();
    json_t *state = ctr_state_json(st);
    if (!o || !state) {
        json_decref(o);
        json_decref(state);
        return NULL;
    }
    static const char *const first[] = {"Id", "Created", "Path", "Args"};
    for (size_t i = 0; i < 4; i++)
        json_object_set(o, first[i], json_object_get(c->config, first[i]));
    json_object_set_new(o, "State", state);
    const char *key;
    json_t *v;
    json_object_foreach(c->config, key, v)
    {
        if (!json_object_get(o, key))
            json_object_set(o, key, v);
    }
    json_object_set_new(o, "RestartCount", json_integer(st->restart_count));
    return o;
}

int wb_container_inspect_json(const char *root_opt, const char *ref, char **json, wb_error *err)
{
    _cleanup_free_ char *root = ctr_root(root_opt, err);
    if (!root)
        return -1;
    char id[WB_CTR_ID_LEN + 1];
    if (wb_container_resolve(root, ref, id, err) < 0)
        return -1;
    ctr_state st;
    bool removed;
    if (ctr_probe(root, id, &st, &removed, err) < 0)
        return -1;
    if (removed)
        return wb_error_set(err, "No such container: %s", ref);
    ctr c;
    if (ctr_open(root, id, &c, err) < 0)
        return -1;
    json_t *o = inspect_object(&c, &st);
    ctr_close(&c);
    if (!o)
        return wb_error_oom(err);
    *json = json_dumps(o, JSON_INDENT(4));
    json_decref(o);
    return *json ? 0 : wb_error_oom(err);
}

/* ---- ps ------------------------------------------------------------------------- */

static char *command_of(json_t *config)
{
    const char *path = json_string_value(json_object_get(config, "Path"));
    size_t len = 3 + (path ? strlen(path) : 0);
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(config, "Args"), i, a) len +=
        1 + strlen(json_string_value(a) ? json_string_value(a) : "");
    char *s = malloc(len);
    if (!s)
        return NULL;
    size_t o = (size_t)sprintf(s, "\"%s", path ? path : "");
    json_array_foreach(json_object_get(config, "Args"), i, a) o +=
        (size_t)sprintf(s + o, " %s", json_string_value(a) ? json_string_value(a) : "");
    strcpy(s + o, "\"");
    return s;
}

static char *ports_of(json_t *config)
{
    json_t *pb = json_object_get(json_object_get(config, "HostConfig"), "PortBindings");
    size_t cap = 1;
    const char *key;
    json_t *list, *b;
    size_t i;
    json_object_foreach(pb, key, list) cap += json_array_size(list) * (strlen(key) + 64);
    char *s = malloc(cap);
    if (!s)
        return NULL;
    size_t o = 0;
    s[0] = 0;
    json_object_foreach(pb, key, list)
    {
        json_array_foreach(list, i, b)
        {
            const char *ip = json_string_value(json_object_get(b, "HostIp"));
            const char *hp = json_string_value(json_object_get(b, "HostPort"));
            o += (size_t)snprintf(s + o, cap - o, "%s%s:%s->%s", o ? ", " : "",
                                  ip && *ip ? ip : "0.0.0.0", hp ? hp : "", key);
        }
    }
    return s;
}

static void info_free(wb_ctr_info *info)
{
    free(info->name);
    free(info->image);
    free(info->command);
    free(info->ports);
    free(info->reason);
}

static int fill_info(const char *root, const char *id, const ctr_state *st, wb_ctr_info *info)
{
    ctr c;
    if (ctr_open(root, id, &c, NULL) < 0)
        return -1;
    memset(info, 0, sizeof *info);
    memcpy(info->id, id, WB_CTR_ID_LEN + 1);
    const char *name = json_string_value(json_object_get(c.config, "Name"));
    const char *image =
        json_string_value(json_object_get(json_object_get(c.config, "Config"), "Image"));
    info->name = strdup(name ? (name[0] == '/' ? name + 1 : name) : "");
    info->image = strdup(image ? image : "");
    info->command = command_of(c.config);
    info->ports = ports_of(c.config);
    info->reason = strdup(st->reason);
    info->status = st->status;
    info->exit_code = st->exit_code;
    info->created = ctr_time_parse(json_string_value(json_object_get(c.config, "Created")));
    info->started = st->started;
    info->finished = st->finished;
    info->restart_count = st->restart_count;
    ctr_close(&c);
    if (!info->name || !info->image || !info->command || !info->ports || !info->reason) {
        info_free(info);
        return -1;
    }
    return 0;
}

void wb_container_list_free(wb_ctr_info *list, size_t count)
{
    for (size_t i = 0; list && i < count; i++)
        info_free(&list[i]);
    free(list);
}

static int newest_first(const void *a, const void *b)
{
    const wb_ctr_info *x = a, *y = b;
    return x->created < y->created ? 1 : x->created > y->created ? -1 : strcmp(x->id, y->id);
}

int wb_container_list(const char *root_opt, bool all, wb_ctr_info **out, size_t *count,
                      wb_error *err)
{
    *out = NULL;
    *count = 0;
    _cleanup_free_ char *root = ctr_root(root_opt, err);
    if (!root)
        return -1;
    char(*ids)[WB_CTR_ID_LEN + 1];
    size_t n;
    if (ctr_list_ids(root, &ids, &n, err) < 0)
        return -1;
    wb_ctr_info *list = calloc(n ? n : 1, sizeof *list);
    if (!list) {
        free(ids);
        return wb_error_oom(err);
    }
    size_t got = 0;
    for (size_t i = 0; i < n; i++) {
        ctr_state st;
        bool removed;
        if (ctr_probe(root, ids[i], &st, &removed, NULL) < 0 || removed)
            continue; /* half-created or being removed */
        bool running = st.status == WB_CTR_RUNNING || st.status == WB_CTR_RESTARTING;
        if (!all && !running)
            continue;
        if (fill_info(root, ids[i], &st, &list[got]) == 0)
            got++;
    }
    free(ids);
    qsort(list, got, sizeof *list, newest_first);
    *out = list;
    *count = got;
    return 0;
}
