/*
 * config.c — a bundle's config.json, and the decision every create starts with:
 * is this a wasm container (ours) or a classic one (the classic runtime's)?
 *
 * The decision follows crun's conventions, because images and clusters already
 * carry them: the annotation run.oci.handler=wasm or module.wasm.image/variant=compat
 * says "wasm"; module.wasm.image/variant=compat-smart, or no annotation at all (docker
 * passes none), means "wasm if process.args[0] is a WebAssembly module". The program
 * is looked up as the guest would see it — the bind mount it lies under, else the
 * rootfs — with openat2(RESOLVE_IN_ROOT), so a symlink in an image cannot make the
 * runtime read a host file; its first four bytes decide.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rt.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const uint8_t wasm_magic[4] = {0x00, 0x61, 0x73, 0x6d};

void rt_config_free(rt_config *c)
{
    json_decref(c->json);
    free(c->bundle);
    free(c->rootfs);
    free(c->mounts);
    memset(c, 0, sizeof *c);
}

static bool has_option(json_t *options, const char *opt)
{
    size_t i;
    json_t *o;
    json_array_foreach(options, i, o)
    {
        const char *s = json_string_value(o);
        if (s && strcmp(s, opt) == 0)
            return true;
    }
    return false;
}

/* Bind mounts of directories become the guest's preopens (and places to look for
 * its program). /proc, /sys and /dev mean nothing to a WASI program. */
static bool guest_visible(const char *dst)
{
    static const char *const hidden[] = {"/proc", "/sys", "/dev"};
    for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++) {
        size_t n = strlen(hidden[i]);
        if (strncmp(dst, hidden[i], n) == 0 && (dst[n] == 0 || dst[n] == '/'))
            return false;
    }
    return dst[0] == '/';
}

static int collect_mounts(rt_config *c, wb_error *err)
{
    json_t *mounts = json_object_get(c->json, "mounts");
    size_t i;
    json_t *m;
    c->mounts = calloc(json_array_size(mounts) + 1, sizeof *c->mounts);
    if (!c->mounts)
        return wb_error_oom(err);
    json_array_foreach(mounts, i, m)
    {
        const char *type = json_string_value(json_object_get(m, "type"));
        const char *src = json_string_value(json_object_get(m, "source"));
        const char *dst = json_string_value(json_object_get(m, "destination"));
        json_t *opts = json_object_get(m, "options");
        bool bind = (type && strcmp(type, "bind") == 0) || has_option(opts, "bind") ||
                    has_option(opts, "rbind");
        struct stat st;
        if (!bind || !src || !dst || !guest_visible(dst) || stat(src, &st) < 0 ||
            !S_ISDIR(st.st_mode))
            continue;
        c->mounts[c->nmounts++] = (rt_mount){src, dst, has_option(opts, "ro")};
    }
    return 0;
}

static char *absolute_in(const char *base, const char *path)
{
    char cwd[PATH_MAX];
    if (path[0] == '/')
        return strdup(path);
    if (!base)
        base = getcwd(cwd, sizeof cwd);
    return base ? rt_strf("%s/%s", base, path) : NULL;
}

int rt_config_load(const char *bundle, rt_config *c, wb_error *err)
{
    memset(c, 0, sizeof *c);
    if (!(c->bundle = absolute_in(NULL, bundle && *bundle ? bundle : ".")))
        return wb_error_errno(err, errno ? errno : ENOMEM, "bundle %s", bundle);
    _cleanup_free_ char *path = rt_strf("%s/config.json", c->bundle);
    if (!path)
        return wb_error_oom(err);
    json_error_t je;
    c->json = json_load_file(path, 0, &je);
    if (!c->json) {
        if (access(path, F_OK) < 0)
            return wb_error_errno(err, errno, "open %s", path);
        return wb_error_set(err, "%s: %s (line %d)", path, je.text, je.line);
    }
    const char *root = json_string_value(json_object_get(json_object_get(c->json, "root"), "path"));
    if (!root)
        return wb_error_set(err, "%s: root.path is missing", path);
    if (!(c->rootfs = absolute_in(c->bundle, root)))
        return wb_error_oom(err);
    c->rootfs_readonly =
        json_is_true(json_object_get(json_object_get(c->json, "root"), "readonly"));
    c->process = json_object_get(c->json, "process");
    c->annotations = json_object_get(c->json, "annotations");
    c->linux_ = json_object_get(c->json, "linux");
    return collect_mounts(c, err);
}

/* ---- looking files up as the guest would ------------------------------------------ */

static int open_beneath(int dirfd, const char *path)
{
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    if (fd >= 0 || errno != ENOSYS)
        return fd;
    while (*path == '/') /* kernels before 5.6: follow nothing, refuse ".." */
        path++;
    if (strstr(path, "..")) {
        errno = EACCES;
        return -1;
    }
    return openat(dirfd, *path ? path : ".", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

const rt_mount *rt_config_mount_of(const rt_config *c, const char *gpath, const char **rest)
{
    const rt_mount *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < c->nmounts; i++) {
        const char *dst = c->mounts[i].dst;
        size_t l = strlen(dst);
        while (l > 1 && dst[l - 1] == '/')
            l--;
        if (l > best_len && strncmp(gpath, dst, l) == 0 && (gpath[l] == 0 || gpath[l] == '/')) {
            best = &c->mounts[i];
            best_len = l;
        }
    }
    *rest = gpath + best_len;
    return best;
}

int rt_open_guest_path(const rt_config *c, const char *gpath)
{
    const char *rest;
    const rt_mount *m = rt_config_mount_of(c, gpath, &rest);
    int dfd = open(m ? m->src : c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    int fd = open_beneath(dfd, *rest ? rest : ".");
    int e = errno;
    close(dfd);
    errno = e;
    return fd;
}

static const char *env_get(json_t *env, const char *key)
{
    size_t kl = strlen(key), i;
    json_t *v;
    json_array_foreach(env, i, v)
    {
        const char *s = json_string_value(v);
        if (s && strncmp(s, key, kl) == 0 && s[kl] == '=')
            return s + kl + 1;
    }
    return NULL;
}

/* A regular file, or -1 (errno EACCES for directories and devices). */
static int regular_or_close(int fd)
{
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
        close(fd);
        errno = S_ISDIR(st.st_mode) ? EISDIR : EACCES;
        return -1;
    }
    return fd;
}

int rt_open_program(const rt_config *c, json_t *process, int *status, wb_error *err)
{
    const char *prog = json_string_value(json_array_get(json_object_get(process, "args"), 0));
    const char *cwd = json_string_value(json_object_get(process, "cwd"));
    char path[PATH_MAX];
    *status = 127;
    if (!prog || !*prog)
        return wb_error_set(err, "args must not be empty");
    if (!cwd || cwd[0] != '/')
        cwd = "/";
    if (strchr(prog, '/')) {
        if (prog[0] == '/')
            snprintf(path, sizeof path, "%s", prog);
        else
            snprintf(path, sizeof path, "%s/%s", strcmp(cwd, "/") ? cwd : "", prog);
        int fd = regular_or_close(rt_open_guest_path(c, path));
        if (fd >= 0)
            return fd;
        int e = errno;
        *status = e == ENOENT || e == ENOTDIR ? 127 : 126;
        return wb_error_set(err, "exec: \"%s\": %s", prog,
                            e == ENOENT ? "no such file or directory" : strerror(e));
    }
    const char *search = env_get(json_object_get(process, "env"), "PATH");
    _cleanup_free_ char *dirs = strdup(search ? search : DEFAULT_PATH);
    if (!dirs)
        return wb_error_oom(err);
    char *save = NULL;
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        if (d[0] != '/')
            continue;
        snprintf(path, sizeof path, "%s/%s", strcmp(d, "/") ? d : "", prog);
        int fd = regular_or_close(rt_open_guest_path(c, path));
        if (fd >= 0)
            return fd;
    }
    return wb_error_set(err, "exec: \"%s\": executable file not found in $PATH", prog);
}

/* ---- wasm or classic ---------------------------------------------------------------- */

static const char *annotation(const rt_config *c, const char *key)
{
    return json_string_value(json_object_get(c->annotations, key));
}

static bool is_sandbox(const rt_config *c)
{
    const char *cri = annotation(c, "io.kubernetes.cri.container-type");
    const char *crio = annotation(c, "io.kubernetes.cri-o.ContainerType");
    return (cri && strcmp(cri, "sandbox") == 0) || (crio && strcmp(crio, "sandbox") == 0);
}

static bool starts_with_magic(int fd)
{
    uint8_t head[4];
    return pread(fd, head, sizeof head, 0) == (ssize_t)sizeof head &&
           memcmp(head, wasm_magic, sizeof head) == 0;
}

int rt_config_kind(const rt_config *c, rt_kind *kind, int *fd, wb_error *err)
{
    const char *handler = annotation(c, "run.oci.handler");
    const char *variant = annotation(c, "module.wasm.image/variant");
    bool forced = (handler && (strcmp(handler, "wasm") == 0 || strcmp(handler, "wasmbox") == 0)) ||
                  (variant && strcmp(variant, "compat") == 0);
    *kind = RT_KIND_CLASSIC;
    *fd = -1;
    if (!c->process || is_sandbox(c))
        return 0;
    int status;
    wb_error lookup = {0};
    int pfd = rt_open_program(c, c->process, &status, &lookup);
    if (pfd < 0) {
        if (!forced)
            return 0; /* the classic runtime reports a missing program its own way */
        *err = lookup;
        return -status;
    }
    if (!starts_with_magic(pfd)) {
        close(pfd);
        if (!forced)
            return 0;
        const char *prog =
            json_string_value(json_array_get(json_object_get(c->process, "args"), 0));
        wb_error_set(err,
                     "exec: \"%s\": not a WebAssembly module (the bundle's annotations ask "
                     "for wasm)",
                     prog);
        return -126;
    }
    *kind = RT_KIND_WASM;
    *fd = pfd;
    return 0;
}
