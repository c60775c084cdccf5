/*
 * fuzz_archive.c — libFuzzer target for the archive readers: each input is offered
 * to `wasmbox load` (OCI archive / docker-archive / wasm artifact, into a scratch
 * store made once per process) and to the layer extractor (into a fresh scratch
 * directory), the two places where wasmbox unpacks tar streams it did not write.
 * Beyond sanitizer reports, the extractor must never create anything outside its
 * directory: the target aborts if the scratch area's parent gains an entry.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer.h"
#include "util.h"
#include "wasmbox/image.h"

static char base[64];
static wb_image_store *store;

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    if (!d)
        return 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static int setup(void)
{
    snprintf(base, sizeof base, "/tmp/wb-fuzz-archive.XXXXXX");
    if (!mkdtemp(base))
        return -1;
    char root[128];
    snprintf(root, sizeof root, "%s/root", base);
    return wb_image_store_open(root, &store, NULL);
}

static int memfd_with(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    if (wbi_write_all(fd, data, size, "memfd", NULL) < 0 || lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!store && setup() < 0)
        abort();
    int fd = memfd_with(data, size);
    if (fd < 0)
        return 0;
    wb_error err;
    (void)wb_image_load(store, fd, NULL, NULL, &err);

    size_t before = count_entries(base);
    char dir[128];
    snprintf(dir, sizeof dir, "%s/x", base);
    if (lseek(fd, 0, SEEK_SET) == 0 && mkdir(dir, 0755) == 0) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            char digest[WB_DIGEST_LEN];
            (void)wbi_extract_fd(fd, dfd, "fuzz", WBI_X_WHITEOUTS, digest, NULL, &err);
            close(dfd);
        }
        wbi_rm_rf(dir, NULL);
    }
    close(fd);
    if (count_entries(base) != before)
        abort(); /* something was written beside the extraction directory */
    return 0;
}
