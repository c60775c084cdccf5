/*
 * cmd_inspect.c — `wasmbox inspect [-f TEMPLATE] [--type image|container] NAME...`: a
 * JSON array of docker's objects, or with --format a small subset of Go templates:
 * {{.Field.Sub}}, {{json .Field}}, and plain text around them (what scripts and tests
 * use, e.g. `--format '{{.Os}}/{{.Architecture}}'`).
 *
 * As docker does, a name is looked up as a container first, then as an image. The
 * container side is reached through a weak reference, so this file links (and
 * inspects images) without the container module.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "image_cli.h"

/* include/wasmbox/container.h; weak so that image-only builds link */
int wb_container_inspect_json(const char *root, const char *ref, char **json, wb_error *err)
    __attribute__((weak));

static void usage(FILE *f)
{
    fprintf(f, "Usage: wasmbox inspect [OPTIONS] IMAGE [IMAGE...]\n"
               "\n"
               "Show images in detail.\n"
               "\n"
               "Options:\n"
               "  -f, --format TEMPLATE   {{.Field.Sub}} / {{json .Field}} per image\n"
               "      --type TYPE             Only objects of TYPE (image or container)\n"
               "  -h, --help              Print this help\n");
}

/* Go's default printing of a value: strings raw, arrays "[a b]", objects "map[k:v]". */
static void print_value(FILE *out, const json_t *v)
{
    if (!v || json_is_null(v)) {
        fputs("<no value>", out);
    } else if (json_is_string(v)) {
        fputs(json_string_value(v), out);
    } else if (json_is_array(v)) {
        fputc('[', out);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                fputc(' ', out);
            print_value(out, json_array_get(v, i));
        }
        fputc(']', out);
    } else if (json_is_object(v)) {
        const char *k;
        json_t *e;
        bool first = true;
        fputs("map[", out);
        json_object_foreach((json_t *)v, k, e)
        {
            fprintf(out, "%s%s:", first ? "" : " ", k);
            print_value(out, e);
            first = false;
        }
        fputc(']', out);
    } else {
        char *s = json_dumps(v, JSON_ENCODE_ANY);
        fputs(s ? s : "", out);
        free(s);
    }
}

static const json_t *field(const json_t *o, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    const json_t *cur = o;
    for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok && cur;
         tok = strtok_r(NULL, ".", &save))
        cur = json_object_get(cur, tok);
    return cur;
}

static int apply_template(FILE *out, const char *tmpl, const json_t *o)
{
    const char *p = tmpl;
    while (*p) {
        const char *open = strstr(p, "{{");
        if (!open) {
            fputs(p, out);
            break;
        }
        fwrite(p, 1, (size_t)(open - p), out);
        const char *close = strstr(open, "}}");
        if (!close)
            return -1;
        char expr[256];
        snprintf(expr, sizeof expr, "%.*s", (int)(close - open - 2), open + 2);
        char *e = expr;
        while (*e == ' ')
            e++;
        size_t n = strlen(e);
        while (n && e[n - 1] == ' ')
            e[--n] = 0;
        bool json = !strncmp(e, "json ", 5);
        if (json)
            for (e += 5; *e == ' '; e++)
                ;
        if (*e != '.')
            return -1;
        const json_t *v = e[1] ? field(o, e + 1) : o;
        if (json) {
            char *s = json_dumps(v ? v : json_null(), JSON_ENCODE_ANY | JSON_COMPACT);
            fputs(s ? s : "null", out);
            free(s);
        } else {
            print_value(out, v);
        }
        p = close + 2;
    }
    fputc('\n', out);
    return 0;
}

/* The JSON of NAME: a container's if there is one (unless --type image), else an
 * image's. */
static int inspect_one(wb_image_store *s, const char *name, const char *type, char **text,
                       wb_error *err)
{
    if (wb_container_inspect_json && (!type || !strcmp(type, "container"))) {
        wb_error cerr = {0};
        if (wb_container_inspect_json(NULL, name, text, &cerr) == 0)
            return 0;
        if (type) {
            *err = cerr;
            return -1;
        }
    }
    if (type && !strcmp(type, "container"))
        return wb_error_set(err, "no such container: %s", name);
    wb_image_ref ref;
    if (wb_image_lookup(s, name, &ref, err) < 0)
        return -1;
    return wb_image_inspect_json(s, &ref, text, err);
}

int cmd_inspect(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"type", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *format = NULL, *type = NULL;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
        if (c == 'f')
            format = optarg;
        else if (c == 't') {
            if (strcmp(optarg, "image") && strcmp(optarg, "container"))
                return wbcli_usage_error("inspect", "--type must be image or container");
            type = optarg;
        } else if (c == 'h') {
            usage(stdout);
            return 0;
        } else
            return wbcli_usage_error("inspect", "unknown flag or missing value");
    }
    if (optind >= argc)
        return wbcli_usage_error("inspect", "requires at least 1 argument");
    wb_image_store *s = wbcli_open_store();
    if (!s)
        return WBCLI_FAIL;
    json_t *all = json_array();
    int status = 0;
    for (int i = optind; i < argc; i++) {
        wb_error err = {0};
        char *text = NULL;
        if (inspect_one(s, argv[i], type, &text, &err) < 0) {
            status = wbcli_fail(&err);
            continue;
        }
        json_t *o = json_loads(text, 0, NULL);
        free(text);
        if (format && apply_template(stdout, format, o) < 0) {
            fprintf(stderr,
                    "wasmbox: inspect: unsupported template \"%s\" (use {{.Field}} or {{json "
                    ".Field}})\n",
                    format);
            json_decref(o);
            status = WBCLI_USAGE;
            break;
        }
        json_array_append_new(all, o);
    }
    if (!format) {
        char *text = json_dumps(all, JSON_INDENT(4));
        printf("%s\n", text ? text : "[]");
        free(text);
    }
    json_decref(all);
    wb_image_store_close(s);
    return status;
}
