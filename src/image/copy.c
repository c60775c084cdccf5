/*
 * copy.c — what a COPY or ADD puts into a layer, following docker's rules:
 *
 *  - sources are relative to the context (or, with --from, to a stage's or an
 *    image's tree); globs are expanded (Go's filepath.Match); paths may not leave the
 *    root; .dockerignore'd context files do not exist for COPY;
 *  - a directory source copies its contents, not the directory itself;
 *  - several sources (or a glob) need a destination directory ending in "/";
 *  - a destination ending in "/" (or ".") is a directory; otherwise a single file
 *    source is copied to exactly that path;
 *  - ADD unpacks local tar archives (plain, gzip, bzip2, xz, zstd) into the
 *    destination directory; ADD from a URL is refused;
 *  - symlinks inside copied directories stay symlinks (and may not point out of the
 *    image); a source path that is itself a symlink is followed, inside the root.
 *
 * Context files get normalised modes (0755 when any execute bit is set, else 0644;
 * directories 0755) so that umask and checkout differences between machines do not
 * change the image digest. Owners are 0:0 unless --chown says otherwise.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"

typedef struct matches {
    char **v; /* root-relative, cleaned ("" = the root itself) */
    size_t n;
} matches;

static int matches_add(matches *m, const char *rel, wb_error *err)
{
    char **v = realloc(m->v, (m->n + 1) * sizeof *v);
    if (!v)
        return wb_error_oom(err);
    m->v = v;
    if (!(v[m->n] = strdup(rel)))
        return wb_error_oom(err);
    m->n++;
    return 0;
}

static void matches_free(matches *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i]);
    free(m->v);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entry names of a host directory (reproducible order). */
static int list_dir(const char *dir, char ***names, size_t *n, wb_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return wb_error_errno(err, errno, "open directory %s", dir);
    char **v = NULL;
    size_t count = 0;
    struct dirent *de;
    int ret = 0;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char **nv = realloc(v, (count + 1) * sizeof *nv);
        if (!nv || !(nv[count] = strdup(de->d_name))) {
            if (nv)
                v = nv;
            ret = wb_error_oom(err);
            break;
        }
        v = nv;
        count++;
    }
    closedir(d);
    if (ret < 0) {
        for (size_t i = 0; i < count; i++)
            free(v[i]);
        free(v);
        return -1;
    }
    if (count)
        qsort(v, count, sizeof *v, cmp_name);
    *names = v;
    *n = count;
    return 0;
}

static void names_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static bool is_ignored(const wbi_copy *c, const char *rel)
{
    return c->ignore && rel[0] && wbi_ignored(c->ignore, rel);
}

/* Expands the pattern components of `pat` (root-relative, cleaned) under `rel`. */
static int glob_walk(const wbi_copy *c, const char *rel, const char *pat, matches *m, wb_error *err)
{
    if (!*pat) {
        _cleanup_free_ char *host = NULL;
        if (is_ignored(c, rel) ||
            wbi_resolve_in_root(c->root, rel[0] ? rel : "/", true, &host, NULL) < 0)
            return 0;
        return matches_add(m, rel, err);
    }
    const char *slash = strchr(pat, '/');
    char comp[NAME_MAX + 1];
    size_t len = slash ? (size_t)(slash - pat) : strlen(pat);
    if (len > NAME_MAX)
        return 0;
    memcpy(comp, pat, len);
    comp[len] = 0;
    const char *rest = slash ? slash + 1 : "";
    char next[PATH_MAX];
    if (!wbi_has_glob(comp)) {
        snprintf(next, sizeof next, "%s%s%s", rel, rel[0] ? "/" : "", comp);
        return glob_walk(c, next, rest, m, err);
    }
    _cleanup_free_ char *host = NULL;
    if (wbi_resolve_in_root(c->root, rel[0] ? rel : "/", true, &host, NULL) < 0)
        return 0;
    struct stat st;
    if (stat(host, &st) < 0 || !S_ISDIR(st.st_mode))
        return 0;
    char **names;
    size_t n;
    if (list_dir(host, &names, &n, err) < 0)
        return -1;
    int ret = 0;
    for (size_t i = 0; i < n && ret == 0; i++) {
        if (!wbi_match(comp, names[i], false))
            continue;
        snprintf(next, sizeof next, "%s%s%s", rel, rel[0] ? "/" : "", names[i]);
        ret = glob_walk(c, next, rest, m, err);
    }
    names_free(names, n);
    return ret;
}

/* Root-relative path of a source as written; fails for paths that leave the root
 * (docker clamps them silently, which hides mistakes). */
static int clean_source(const char *src, char *out, size_t len, wb_error *err)
{
    if (wbi_path_clean_dots(src, out, len) < 0)
        return wb_error_set(err, "forbidden path outside the build context: %s", src);
    return 0;
}

static unsigned file_mode(const wbi_copy *c, mode_t m, bool dir)
{
    if (c->chmod >= 0)
        return (unsigned)c->chmod;
    if (!c->from_context)
        return m & 07777;
    return dir || (m & 0111) ? 0755 : 0644;
}

/* Adds the tree at host path `host` (root-relative `rel`) as `dest` (cleaned). */
static int add_tree(wbi_builder *b, const wbi_copy *c, const char *host, const char *rel,
                    const char *dest, bool top, wbi_fslist *out, wb_error *err);

static int add_dir_contents(wbi_builder *b, const wbi_copy *c, const char *host, const char *rel,
                            const char *dest, wbi_fslist *out, wb_error *err)
{
    char **names;
    size_t n;
    if (list_dir(host, &names, &n, err) < 0)
        return -1;
    int ret = 0;
    for (size_t i = 0; i < n && ret == 0; i++) {
        char chost[PATH_MAX], crel[PATH_MAX], cdest[PATH_MAX];
        snprintf(chost, sizeof chost, "%s/%s", host, names[i]);
        snprintf(crel, sizeof crel, "%s%s%s", rel, rel[0] ? "/" : "", names[i]);
        snprintf(cdest, sizeof cdest, "%s%s%s", dest, dest[0] ? "/" : "", names[i]);
        if (is_ignored(c, crel) && !(c->ignore && c->ignore->has_negations))
            continue;
        ret = add_tree(b, c, chost, crel, cdest, false, out, err);
    }
    names_free(names, n);
    return ret;
}

static int add_tree(wbi_builder *b, const wbi_copy *c, const char *host, const char *rel,
                    const char *dest, bool top, wbi_fslist *out, wb_error *err)
{
    struct stat st;
    if ((top ? stat(host, &st) : lstat(host, &st)) < 0)
        return wb_error_errno(err, errno, "stat %s", rel[0] ? rel : ".");
    bool ignored = is_ignored(c, rel);
    if (S_ISDIR(st.st_mode)) {
        if (!ignored && dest[0] &&
            wbi_fslist_add(out, dest, WBI_DIR, file_mode(c, st.st_mode, true), c->uid, c->gid, NULL,
                           NULL, err) < 0)
            return -1;
        return add_dir_contents(b, c, host, rel, dest, out, err);
    }
    if (ignored)
        return 0;
    if (!dest[0])
        return wb_error_set(err, "cannot copy file %s over the image root", rel);
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlink(host, target, sizeof target - 1);
        if (n < 0)
            return wb_error_errno(err, errno, "readlink %s", rel);
        target[n] = 0;
        if (!wbi_symlink_inside(dest, target))
            return wb_error_set(err, "symlink %s -> %s points outside the image", rel, target);
        return wbi_fslist_add(out, dest, WBI_SYMLINK, 0777, c->uid, c->gid, NULL, target, err);
    }
    if (!S_ISREG(st.st_mode))
        return wb_error_set(err, "%s is not a regular file, directory or symlink", rel);
    return wbi_fslist_add(out, dest, WBI_FILE, file_mode(c, st.st_mode, false), c->uid, c->gid,
                          host, NULL, err);
}

/* ADD of a local archive: unpack it into the staging area, then copy that tree. */
static int add_archive(wbi_builder *b, const wbi_copy *c, int fd, const char *rel, const char *dest,
                       wbi_fslist *out, wb_error *err)
{
    char *dir = wbi_txn_tmp_path(&b->txn, "add");
    if (!dir)
        return wb_error_oom(err);
    int ret = wbi_mkdir_p(dir, 0755, err);
    _cleanup_close_ int dfd = ret == 0 ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (ret == 0 && dfd < 0)
        ret = wb_error_errno(err, errno, "open %s", dir);
    if (ret == 0)
        ret = wbi_extract_fd(fd, dfd, rel, 0, NULL, NULL, err);
    if (ret == 0) {
        wbi_copy sub = *c;
        sub.root = dir;
        sub.ignore = NULL;
        sub.from_context = false;
        ret = add_dir_contents(b, &sub, dir, "", dest, out, err);
    }
    free(dir);
    return ret;
}

static bool dest_is_dir(const char *dest)
{
    size_t n = strlen(dest);
    return n && (dest[n - 1] == '/' || (dest[n - 1] == '.' && (n == 1 || dest[n - 2] == '/')));
}

static const char *base_name(const char *rel)
{
    const char *s = strrchr(rel, '/');
    return s ? s + 1 : rel;
}

/* One matched source. */
static int copy_one(wbi_builder *b, const wbi_copy *c, const char *rel, const char *dest,
                    bool into_dir, wbi_fslist *out, wb_error *err)
{
    _cleanup_free_ char *host = NULL;
    if (wbi_resolve_in_root(c->root, rel[0] ? rel : "/", true, &host, err) < 0)
        return -1;
    struct stat st;
    if (stat(host, &st) < 0)
        return wb_error_errno(err, errno, "stat %s", rel);
    if (S_ISDIR(st.st_mode))
        return add_tree(b, c, host, rel, dest, true, out, err);
    if (c->add && S_ISREG(st.st_mode)) {
        _cleanup_close_ int fd = open(host, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return wb_error_errno(err, errno, "open %s", rel);
        if (wbi_is_archive(fd))
            return add_archive(b, c, fd, rel, dest, out, err);
    }
    char target[PATH_MAX];
    int n = into_dir ? snprintf(target, sizeof target, "%s%s%s", dest, dest[0] ? "/" : "",
                                base_name(rel))
                     : snprintf(target, sizeof target, "%s", dest);
    if (n < 0 || (size_t)n >= sizeof target)
        return wb_error_set(err, "%s: destination path too long", rel);
    return add_tree(b, c, host, rel, target, true, out, err);
}

int wbi_copy_collect(wbi_builder *b, const wbi_copy *c, wbi_fslist *out, wb_error *err)
{
    char dest[PATH_MAX];
    if (wbi_path_clean(c->dest, dest, sizeof dest, err) < 0)
        return -1;
    bool dir = dest_is_dir(c->dest) || !dest[0];
    matches m = {0};
    int ret = 0;
    size_t nsrc = 0;
    for (char **s = c->sources; *s && ret == 0; s++, nsrc++) {
        if (strstr(*s, "://") || !strncmp(*s, "git@", 4)) {
            ret = wb_error_set(
                err, "%s: sources from URLs are not supported (download into the context first)",
                *s);
            break;
        }
        char rel[PATH_MAX];
        if ((ret = clean_source(*s, rel, sizeof rel, err)) < 0)
            break;
        size_t before = m.n;
        if (wbi_has_glob(rel)) {
            ret = glob_walk(c, "", rel, &m, err);
        } else {
            _cleanup_free_ char *host = NULL;
            struct stat st;
            bool found = wbi_resolve_in_root(c->root, rel[0] ? rel : "/", true, &host, NULL) == 0;
            /* an excluded directory still exists when an exception ("!") keeps some of it */
            bool hidden = is_ignored(c, rel) && !(found && c->ignore->has_negations &&
                                                  stat(host, &st) == 0 && S_ISDIR(st.st_mode));
            if (!found || hidden)
                ret = wb_error_set(err, "%s: not found in %s%s", *s,
                                   c->ignore ? "the build context" : "the source stage",
                                   hidden ? " (excluded by .dockerignore)" : "");
            else
                ret = matches_add(&m, rel, err);
        }
        if (ret == 0 && m.n == before)
            ret = wb_error_set(err, "%s: no source files match", *s);
    }
    if (ret == 0 && m.n > 1 && !dir)
        ret = wb_error_set(
            err,
            "with more than one source file, the destination must be a directory ending in \"/\"");
    for (size_t i = 0; i < m.n && ret == 0; i++)
        ret = copy_one(b, c, m.v[i], dest, dir || m.n > 1, out, err);
    if (ret == 0 && nsrc && dir && dest[0] && out->n == 0)
        ret = wbi_fslist_add(out, dest, WBI_DIR, 0755, c->uid, c->gid, NULL, NULL, err);
    matches_free(&m);
    return ret;
}
