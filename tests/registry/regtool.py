#!/usr/bin/env python3
"""regtool.py — pushes hand-made registry content that no installed tool writes.

  regtool.py artifact REGISTRY REPO TAG FILE.wasm
      The wasm OCI artifact shape: config application/vnd.wasm.config.v0+json, one
      application/wasm layer (the module itself).
  regtool.py index REGISTRY REPO TAG WASM_MANIFEST_DIGEST
      A multi-platform OCI index: a linux/amd64 image made here (a tar layer with a
      shell script) first, then the wasi/wasm manifest already in REPO.
Prints the digest of the manifest or index it pushed. Plain HTTP, no auth; the
standard library only.
"""
import hashlib
import io
import json
import sys
import tarfile
import urllib.request


def digest(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def call(method, url, body=None, ctype=None):
    req = urllib.request.Request(url, data=body, method=method)
    req.add_header("Accept", "application/vnd.oci.image.manifest.v1+json")
    if ctype:
        req.add_header("Content-Type", ctype)
    with urllib.request.urlopen(req) as r:
        return r.status, dict(r.headers), r.read()


def blob(reg, repo, data):
    d = digest(data)
    try:
        call("HEAD", "http://%s/v2/%s/blobs/%s" % (reg, repo, d))
        return d
    except urllib.error.HTTPError:
        pass
    _, h, _ = call("POST", "http://%s/v2/%s/blobs/uploads/" % (reg, repo), b"")
    loc = h["Location"]
    if loc.startswith("/"):
        loc = "http://%s%s" % (reg, loc)
    loc += ("&" if "?" in loc else "?") + "digest=" + d
    call("PUT", loc, data, "application/octet-stream")
    return d


def manifest(reg, repo, ref, mt, body):
    call("PUT", "http://%s/v2/%s/manifests/%s" % (reg, repo, ref), body, mt)
    return digest(body)


def desc(mt, data):
    return {"mediaType": mt, "digest": digest(data), "size": len(data)}


def artifact(reg, repo, tag, path):
    wasm = open(path, "rb").read()
    config = json.dumps({"architecture": "wasm", "os": "wasi",
                         "layerDigests": [digest(wasm)]}).encode()
    blob(reg, repo, config)
    blob(reg, repo, wasm)
    m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": desc("application/vnd.wasm.config.v0+json", config),
                    "layers": [dict(desc("application/wasm", wasm),
                                    annotations={"org.opencontainers.image.title": "module.wasm"})]}).encode()
    return manifest(reg, repo, tag, "application/vnd.oci.image.manifest.v1+json", m)


def index(reg, repo, tag, wasm_digest):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as t:
        data = b"#!/bin/sh\necho linux\n"
        info = tarfile.TarInfo("hello.sh")
        info.size, info.mode = len(data), 0o755
        t.addfile(info, io.BytesIO(data))
    layer = raw.getvalue()
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Entrypoint": ["/hello.sh"]},
                         "rootfs": {"type": "layers", "diff_ids": [digest(layer)]}}).encode()
    blob(reg, repo, config)
    blob(reg, repo, layer)
    mt = "application/vnd.oci.image.manifest.v1+json"
    lm = json.dumps({"schemaVersion": 2, "mediaType": mt,
                     "config": desc("application/vnd.oci.image.config.v1+json", config),
                     "layers": [desc("application/vnd.oci.image.layer.v1.tar", layer)]}).encode()
    linux = manifest(reg, repo, digest(lm), mt, lm)
    _, _, wm = call("GET", "http://%s/v2/%s/manifests/%s" % (reg, repo, wasm_digest))
    idx = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                      "manifests": [
                          {"mediaType": mt, "digest": linux, "size": len(lm),
                           "platform": {"architecture": "amd64", "os": "linux"}},
                          {"mediaType": mt, "digest": wasm_digest, "size": len(wm),
                           "platform": {"architecture": "wasm", "os": "wasi"}}]}).encode()
    return manifest(reg, repo, tag, "application/vnd.oci.image.index.v1+json", idx)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    print({"artifact": artifact, "index": index}[cmd](*args))


if __name__ == "__main__":
    main()
