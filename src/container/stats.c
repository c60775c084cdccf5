/*
 * stats.c — `wasmbox stats`: the linear memory a container's program uses and the
 * CPU time of the process running it, read from /proc without its cooperation
 * (a program in a busy loop answers no question).
 *
 * Linear memory is recognised in /proc/<pid>/maps by its shape: the engine reserves
 * every linear memory as one anonymous mapping of more than 4 GiB (MAP_NORESERVE,
 * so the kernel never merges it with ordinary heap mappings), of which the first
 * `size` bytes are read-write and the rest PROT_NONE. So an anonymous rw-p mapping
 * immediately followed by an anonymous ---p one, the two together at least 4 GiB
 * long, is a linear memory whose size is the rw-p part; a lone ---p mapping of that
 * size is a memory of zero pages.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctr.h"

#define FOUR_GIB ((uint64_t)4 << 30)

typedef struct mapping {
    uint64_t start, end;
    char perms[5];
    bool anon;
} mapping;

static bool parse_map_line(const char *line, mapping *m)
{
    unsigned long long s, e, off, inode;
    char perms[8], dev[16];
    int path_at = 0;
    if (sscanf(line, "%llx-%llx %7s %llx %15s %llu %n", &s, &e, perms, &off, dev, &inode,
               &path_at) < 6)
        return false;
    m->start = s;
    m->end = e;
    snprintf(m->perms, sizeof m->perms, "%.4s", perms);
    const char *path = path_at ? line + path_at : "";
    m->anon = inode == 0 && (path[0] == 0 || path[0] == '\n');
    return true;
}

static uint64_t linear_memory_of(int pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    char line[512];
    mapping prev = {0};
    bool have_prev = false;
    uint64_t total = 0;
    while (fgets(line, sizeof line, f)) {
        mapping m;
        if (!parse_map_line(line, &m))
            continue;
        if (m.anon && strcmp(m.perms, "---p") == 0) {
            bool joined =
                have_prev && prev.anon && prev.end == m.start && strcmp(prev.perms, "rw-p") == 0;
            uint64_t rw = joined ? prev.end - prev.start : 0;
            if (rw + (m.end - m.start) >= FOUR_GIB)
                total += rw;
        }
        prev = m;
        have_prev = true;
    }
    fclose(f);
    return total;
}

/* utime + stime of pid in ns, and its resident set in bytes. */
static int proc_usage(int pid, uint64_t *cpu_ns, uint64_t *rss)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    /* Fields after the command name, which is in parentheses and may hold spaces. */
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    unsigned long long utime = 0, stime = 0, rss_pages = 0;
    int field = 2;
    for (char *tok = strtok(p + 1, " "); tok; tok = strtok(NULL, " ")) {
        field++;
        if (field == 14)
            utime = strtoull(tok, NULL, 10);
        else if (field == 15)
            stime = strtoull(tok, NULL, 10);
        else if (field == 24) {
            rss_pages = strtoull(tok, NULL, 10);
            break;
        }
    }
    long hz = sysconf(_SC_CLK_TCK);
    *cpu_ns = (utime + stime) * (1000000000ull / (unsigned long long)(hz > 0 ? hz : 100));
    *rss = rss_pages * (uint64_t)sysconf(_SC_PAGESIZE);
    return 0;
}

int wb_container_stats(const char *root_opt, const char *id, wb_ctr_stats *out, wb_error *err)
{
    memset(out, 0, sizeof *out);
    _cleanup_free_ char *root = ctr_root(root_opt, err);
    if (!root)
        return -1;
    ctr_state st;
    if (ctr_probe(root, id, &st, NULL, err) < 0)
        return -1;
    ctr c;
    if (ctr_open(root, id, &c, err) < 0)
        return -1;
    memcpy(out->id, id, WB_CTR_ID_LEN + 1);
    const char *name = json_string_value(json_object_get(c.config, "Name"));
    snprintf(out->name, sizeof out->name, "%s", name ? (name[0] == '/' ? name + 1 : name) : "");
    uint64_t limit = (uint64_t)json_integer_value(
        json_object_get(json_object_get(c.config, "HostConfig"), "Memory"));
    out->memory_limit = limit ? limit : FOUR_GIB;
    ctr_close(&c);
    out->running = st.status == WB_CTR_RUNNING && st.pid > 0;
    if (out->running && proc_usage(st.pid, &out->cpu_ns, &out->rss) == 0)
        out->memory = linear_memory_of(st.pid);
    return 0;
}
