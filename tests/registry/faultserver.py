#!/usr/bin/env python3
"""faultserver.py — misbehaving registries and a throttling proxy for the registry tests.

  faultserver.py serve --port-file F --log L
      A minimal distribution-API server. Every repository serves the same small,
      valid wasi/wasm image (tag "1"), except that the first path component picks
      a fault:
        ok/*          no fault (the control case)
        err500/*      every request: 500 with a plain-text body
        garbage/*     manifest: 200 with random bytes
        badmanifest/* manifest: Docker-Content-Digest differs from the bytes
        badblob/*     layer: the right size, one byte flipped
        truncated/*   layer: Content-Length says all, half is sent, then the connection closes
        short/*       layer: Content-Length and body are half of the blob
        cut/*         layer: a third is sent, then the socket is reset
        bigger/*      layer: more bytes than the descriptor says
        redirect/*    manifest: 302 to itself, forever
        huge/*        manifest: a 100 MB body (Content-Length given)
        hugechunked/* manifest: an endless chunked body
        unknownmt/*   manifest: an unknown media type
        schema1/*     manifest: a docker schema 1 manifest
        slowlayer/*   layer: honours Range, sends slowly (for kill-and-resume)
      Each request is logged as "METHOD PATH range=VALUE".

  faultserver.py proxy --port-file F --upstream HOST:PORT --rate BYTES --throttle-file T --log L
      A TCP proxy. While the file T exists, bytes from the upstream are relayed at
      about BYTES per second; client request headers "Range:" are logged.

Only the standard library is used.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import socket
import sys
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def digest(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def make_image(seed, layer_size):
    """A small valid image: a gzip tar layer holding /hello.wasm and a config."""
    # incompressible but reproducible: a chain of hashes
    blocks, h = [], hashlib.sha256(seed).digest()
    while len(blocks) * 32 < layer_size:
        h = hashlib.sha256(h).digest()
        blocks.append(h)
    payload = b"".join(blocks)[:layer_size]
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        info = tarfile.TarInfo("hello.wasm")
        data = b"\0asm\x01\0\0\0" + payload
        info.size = len(data)
        info.mtime = 0
        t.addfile(info, io.BytesIO(data))
    # mtime 0 and no filename: the same bytes every run
    layer = gzip.compress(raw.getvalue(), compresslevel=1, mtime=0)
    config = json.dumps({
        "architecture": "wasm", "os": "wasi",
        "config": {"Entrypoint": ["/hello.wasm"]},
        "rootfs": {"type": "layers", "diff_ids": [digest(raw.getvalue())]},
    }, sort_keys=True).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MT_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": digest(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": digest(layer), "size": len(layer)}],
    }, sort_keys=True).encode()
    return manifest, config, layer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    images = {}

    def log_message(self, fmt, *args):
        pass

    def note(self):
        with open(self.server.logfile, "a") as f:
            f.write("%s %s range=%s\n" % (self.command, self.path, self.headers.get("Range", "")))

    def send(self, status, body=b"", ctype="application/json", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def image(self, fault):
        if fault not in self.images:
            size = 3 << 20 if fault == "slowlayer" else 200 << 10
            self.images[fault] = make_image(fault.encode(), size)
        return self.images[fault]

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        self.note()
        path = self.path.split("?")[0]
        if path in ("/v2/", "/v2"):
            return self.send(200, b"{}")
        parts = path.split("/")
        if len(parts) < 5 or parts[1] != "v2":
            return self.send(404, b'{"errors":[{"code":"NOT_FOUND","message":"not found"}]}')
        fault = parts[2]
        kind, ref = parts[-2], parts[-1]
        if fault == "err500":
            return self.send(500, b"internal error: the database is on fire\n", "text/plain")
        manifest, config, layer = self.image(fault)
        if kind == "manifests":
            return self.manifest(fault, ref, manifest)
        if kind == "blobs" and ref == digest(config):
            return self.send(200, config, "application/octet-stream")
        if kind == "blobs" and ref == digest(layer):
            return self.layer(fault, layer)
        return self.send(404, b'{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}')

    def manifest(self, fault, ref, manifest):
        h = {"Docker-Content-Digest": digest(manifest)}
        if fault == "garbage":
            return self.send(200, os.urandom(3000), MT_MANIFEST)
        if fault == "badmanifest":
            return self.send(200, manifest, MT_MANIFEST, {"Docker-Content-Digest": digest(b"other")})
        if fault == "redirect":
            self.send_response(302)
            self.send_header("Location", self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if fault == "huge":
            self.send_response(200)
            self.send_header("Content-Type", MT_MANIFEST)
            self.send_header("Content-Length", str(100 << 20))
            self.end_headers()
            try:
                chunk = b" " * (1 << 16)
                for _ in range((100 << 20) // len(chunk)):
                    self.wfile.write(chunk)
            except OSError:
                pass
            return
        if fault == "hugechunked":
            self.send_response(200)
            self.send_header("Content-Type", MT_MANIFEST)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                chunk = b" " * (1 << 16)
                for _ in range(2000):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:
                pass
            self.close_connection = True
            return
        if fault == "unknownmt":
            body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.example.unknown+json",
                               "config": {}, "layers": []}).encode()
            return self.send(200, body, "application/vnd.example.unknown+json", {"Docker-Content-Digest": digest(body)})
        if fault == "schema1":
            body = json.dumps({"schemaVersion": 1, "name": "x", "tag": "1", "fsLayers": []}).encode()
            return self.send(200, body, "application/vnd.docker.distribution.manifest.v1+prettyjws")
        return self.send(200, manifest, MT_MANIFEST, h)

    def layer(self, fault, layer):
        n = len(layer)
        if fault == "badblob":
            bad = bytearray(layer)
            bad[n // 2] ^= 0xFF
            return self.send(200, bytes(bad), "application/octet-stream")
        if fault in ("truncated", "cut"):
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            self.wfile.write(layer[: n // 2 if fault == "truncated" else n // 3])
            self.wfile.flush()
            if fault == "cut":
                # RST instead of FIN: a network cut, not an orderly close
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            self.close_connection = True
            return
        if fault == "short":
            return self.send(200, layer[: n // 2], "application/octet-stream")
        if fault == "bigger":
            return self.send(200, layer + b"extra bytes", "application/octet-stream")
        if fault == "slowlayer":
            return self.slow(layer)
        return self.send(200, layer, "application/octet-stream")

    def slow(self, layer):
        start = 0
        rng = self.headers.get("Range", "")
        if rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
        body = layer[start:]
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(body)))
        if start:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(layer) - 1, len(layer)))
        self.end_headers()
        delay = os.path.exists(self.server.slowfile)
        try:
            for i in range(0, len(body), 32 << 10):
                self.wfile.write(body[i:i + (32 << 10)])
                if delay:
                    time.sleep(0.05)
        except OSError:
            pass


def serve(args):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.logfile = args.log
    srv.slowfile = args.throttle_file or "/nonexistent"
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


def relay(src, dst, throttle, log):
    try:
        while True:
            data = src.recv(16 << 10)
            if not data:
                break
            if log:
                for line in data.split(b"\r\n"):
                    if line.lower().startswith(b"range:"):
                        with open(log, "a") as f:
                            f.write(line.decode(errors="replace") + "\n")
            if throttle and os.path.exists(throttle[0]):
                for i in range(0, len(data), 4096):
                    dst.sendall(data[i:i + 4096])
                    time.sleep(4096 / throttle[1])
            else:
                dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def proxy(args):
    host, port = args.upstream.rsplit(":", 1)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(ls.getsockname()[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    while True:
        c, _ = ls.accept()
        try:
            u = socket.create_connection((host, int(port)))
        except OSError:
            c.close()
            continue
        threading.Thread(target=relay, args=(c, u, None, args.log), daemon=True).start()
        threading.Thread(target=relay, args=(u, c, (args.throttle_file, args.rate), None), daemon=True).start()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["serve", "proxy"])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", default="/dev/null")
    ap.add_argument("--upstream")
    ap.add_argument("--rate", type=float, default=1 << 20)
    ap.add_argument("--throttle-file")
    args = ap.parse_args()
    (serve if args.mode == "serve" else proxy)(args)


if __name__ == "__main__":
    sys.exit(main())
