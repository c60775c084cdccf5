/*
 * rootfs.h — unpacking an image's layers (rootfs.c), shared by the public
 * wb_image_extract_rootfs() and the builder's materialised stages.
 */
#ifndef WB_IMAGE_ROOTFS_H
#define WB_IMAGE_ROOTFS_H

#include "store.h"

/* Unpacks the layers of `manifest` in order under `dirfd`, verifying each blob.
 * Blobs are read from the transaction's staging area first when `txn` is given. */
int wbi_extract_layers(const wb_image_store *s, wbi_txn *txn, const json_t *manifest, int dirfd,
                       wb_error *err);
/* Whether the manifest is the wasm OCI artifact shape. */
bool wbi_manifest_is_artifact(const json_t *manifest);
/* The file name the artifact's module gets in the rootfs. */
void wbi_artifact_module_name(const json_t *manifest, char *buf, size_t len);

#endif
