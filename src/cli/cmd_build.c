/*
 * cmd_build.c — `wasmbox build [-t NAME[:TAG]]... [-f FILE] [--build-arg K=V]
 * [--label K=V] [--target STAGE] [--squash] [-q] CONTEXT`.
 *
 * Steps go to stderr (as BuildKit does) so that stdout carries only the result:
 * "Successfully built ID" / "Successfully tagged NAME", or with -q the full image ID.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "image_cli.h"

static void usage(FILE *f)
{
    fprintf(
        f,
        "Usage: wasmbox build [OPTIONS] CONTEXT\n"
        "\n"
        "Build a wasi/wasm image from a Dockerfile. Instructions: FROM (scratch, an earlier\n"
        "stage or an image in the store), COPY, ADD, ENTRYPOINT, CMD, ENV, WORKDIR, LABEL, ARG,\n"
        "EXPOSE, USER. Nothing is executed: RUN is refused.\n"
        "\n"
        "Options:\n"
        "  -t, --tag NAME[:TAG]   Name the image (repeatable)\n"
        "  -f, --file FILE        Dockerfile (default: CONTEXT/Dockerfile)\n"
        "      --build-arg K=V    Set a build-time variable (repeatable)\n"
        "      --label K=V        Add a label to the image (repeatable)\n"
        "      --target STAGE     Build this stage of a multi-stage Dockerfile\n"
        "      --squash           Put all new files in one layer\n"
        "      --platform P       Only wasi/wasm is accepted\n"
        "  -q, --quiet            Print only the image ID\n"
        "  -h, --help             Print this help\n"
        "\n"
        "SOURCE_DATE_EPOCH, when set, becomes the image's creation time and file times.\n");
}

static int push(const char ***v, size_t *n, const char *s)
{
    const char **nv = realloc(*v, (*n + 2) * sizeof *nv);
    if (!nv)
        return -1;
    nv[(*n)++] = s;
    nv[*n] = NULL;
    *v = nv;
    return 0;
}

typedef struct build_args {
    const char **tags, **args, **labels;
    size_t ntags, nargs, nlabels;
    bool quiet;
} build_args;

/* Parses the flags into *o and *a. Returns 0, -1 after --help, or an exit status. */
static int parse(int argc, char **argv, wb_build_options *o, build_args *a)
{
    static const struct option opts[] = {
        {"tag", required_argument, NULL, 't'},
        {"file", required_argument, NULL, 'f'},
        {"build-arg", required_argument, NULL, 'a'},
        {"label", required_argument, NULL, 'l'},
        {"target", required_argument, NULL, 'T'},
        {"squash", no_argument, NULL, 's'},
        {"platform", required_argument, NULL, 'p'},
        {"quiet", no_argument, NULL, 'q'},
        {"no-cache", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, status = 0;
    optind = 0;
    opterr = 0;
    while (status == 0 && (c = getopt_long(argc, argv, "t:f:qh", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            status = push(&a->tags, &a->ntags, optarg) < 0 ? WBCLI_FAIL : 0;
            break;
        case 'a':
            status = push(&a->args, &a->nargs, optarg) < 0 ? WBCLI_FAIL : 0;
            break;
        case 'l':
            status = push(&a->labels, &a->nlabels, optarg) < 0 ? WBCLI_FAIL : 0;
            break;
        case 'f':
            o->dockerfile = optarg;
            break;
        case 'T':
            o->target = optarg;
            break;
        case 's':
            o->squash = true;
            break;
        case 'q':
            a->quiet = true;
            break;
        case 'n':
            break; /* there is no build cache to bypass */
        case 'p':
            if (strcmp(optarg, "wasi/wasm") && strcmp(optarg, "wasip1/wasm"))
                status = wbcli_usage_error("build", "only --platform wasi/wasm can be built");
            break;
        case 'h':
            usage(stdout);
            status = -1;
            break;
        default:
            status = wbcli_usage_error("build", "unknown flag or missing value");
        }
    }
    return status;
}

int cmd_build(int argc, char **argv)
{
    wb_build_options o = {.progress = stderr, .warnings = stderr};
    build_args a = {0};
    int status = parse(argc, argv, &o, &a);
    const char **tags = a.tags, **args = a.args, **labels = a.labels;
    size_t ntags = a.ntags;
    bool quiet = a.quiet;
    if (status == 0 && optind != argc - 1)
        status = wbcli_usage_error("build", "requires exactly one argument: the build context");
    if (status != 0) {
        free(tags);
        free(args);
        free(labels);
        return status < 0 ? 0 : status;
    }
    o.context = argv[optind];
    o.tags = tags;
    o.build_args = args;
    o.labels = labels;
    if (quiet)
        o.progress = NULL;
    wb_image_store *s = wbcli_open_store();
    wb_error err = {0};
    wb_image_ref ref;
    if (!s)
        status = WBCLI_FAIL;
    else if (wb_image_build(s, &o, &ref, &err) < 0)
        status = wbcli_fail(&err);
    else if (quiet)
        printf("%s\n", ref.config);
    else {
        printf("Successfully built %.12s\n", ref.config + 7);
        for (size_t i = 0; i < ntags; i++) {
            char name[300];
            snprintf(name, sizeof name, "%s%s", tags[i],
                     strchr(strrchr(tags[i], '/') ? strrchr(tags[i], '/') : tags[i], ':')
                         ? ""
                         : ":latest");
            printf("Successfully tagged %s\n", name);
        }
    }
    wb_image_store_close(s);
    free(tags);
    free(args);
    free(labels);
    return status;
}
