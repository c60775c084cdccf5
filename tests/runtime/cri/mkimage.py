#!/usr/bin/python3
"""Pack a directory into a single-layer linux/amd64 OCI image-layout tarball that
`ctr -n k8s.io images import` accepts (the CRI test's pause image). Stdlib only;
deterministic (root-owned entries, mtime 0).
usage: mkimage.py NAME ROOTFS_DIR OUT.tar ENTRYPOINT_JSON CMD_JSON
"""
import gzip, hashlib, io, json, os, sys, tarfile

name, rootfs, out, entrypoint, cmd = sys.argv[1:6]


def blob(data):
    return "sha256:" + hashlib.sha256(data).hexdigest(), data


raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
    for dirpath, dirnames, filenames in os.walk(rootfs):
        dirnames.sort()
        for n in sorted(dirnames) + sorted(filenames):
            full = os.path.join(dirpath, n)
            ti = t.gettarinfo(full, os.path.relpath(full, rootfs))
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = ""
            ti.mtime = 0
            if ti.isreg():
                with open(full, "rb") as f:
                    t.addfile(ti, f)
            else:
                t.addfile(ti)
layer_tar = raw.getvalue()
diff_id = "sha256:" + hashlib.sha256(layer_tar).hexdigest()
layer_dgst, layer = blob(gzip.compress(layer_tar, mtime=0))
config = {
    "architecture": "amd64", "os": "linux",
    "config": {"Entrypoint": json.loads(entrypoint), "Cmd": json.loads(cmd),
               "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
               "WorkingDir": "/"},
    "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    "history": [{"created_by": "mkimage.py"}],
}
cfg_dgst, cfg = blob(json.dumps(config, sort_keys=True).encode())
manifest = {
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg_dgst,
               "size": len(cfg)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_dgst,
                "size": len(layer)}],
}
man_dgst, man = blob(json.dumps(manifest, sort_keys=True).encode())
tag = name.rsplit(":", 1)[1] if ":" in name.rsplit("/", 1)[-1] else "latest"
index = {
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": man_dgst,
                   "size": len(man), "platform": {"architecture": "amd64", "os": "linux"},
                   "annotations": {"io.containerd.image.name": name,
                                   "org.opencontainers.image.ref.name": tag}}],
}


def add(t, path, data):
    ti = tarfile.TarInfo(path)
    ti.size = len(data)
    ti.mtime = 0
    ti.mode = 0o644
    t.addfile(ti, io.BytesIO(data))


with tarfile.open(out, "w") as t:
    add(t, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
    add(t, "index.json", json.dumps(index).encode())
    for d, data in ((layer_dgst, layer), (cfg_dgst, cfg), (man_dgst, man)):
        add(t, "blobs/sha256/" + d.split(":")[1], data)
