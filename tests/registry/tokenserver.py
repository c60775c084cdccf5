#!/usr/bin/env python3
"""tokenserver.py — a Docker registry token server for the token-auth tests.

  tokenserver.py --port-file F --key token.key --cert token.crt --user USER:PASS \
                 --issuer ISSUER --service SERVICE --log L

GET /token?service=S&scope=repository:NAME:ACTIONS[&scope=...] answers with a JWT
(RS256, the signing certificate in the x5c header, so that the registry's
rootcertbundle = token.crt verifies it) granting:
  - the valid user: every action asked for;
  - an anonymous client: "pull" on repositories under public/ only;
  - wrong credentials: 401.
Signing uses the openssl command (the standard library has no RSA). Requests are
logged as "user=U scope=S" (never the password).
"""
import argparse
import base64
import json
import os
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, obj, extra=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlparse(self.path)
        if url.path != "/token":
            return self.reply(404, {"error": "not found"})
        q = parse_qs(url.query)
        user = ""
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
            except Exception:
                u, p = "", None
            if "%s:%s" % (u, p) != self.server.creds:
                with open(self.server.logfile, "a") as f:
                    f.write("user=%s denied\n" % u)
                return self.reply(401, {"details": "incorrect username or password"},
                                  {"WWW-Authenticate": 'Basic realm="token"'})
            user = u
        access = []
        for scope in q.get("scope", []):
            for one in scope.split(" "):
                parts = one.split(":")
                if len(parts) < 3 or parts[0] != "repository":
                    continue
                name, actions = ":".join(parts[1:-1]), parts[-1].split(",")
                if not user:
                    actions = [a for a in actions if a == "pull" and name.startswith("public/")]
                access.append({"type": "repository", "name": name, "actions": actions})
        with open(self.server.logfile, "a") as f:
            f.write("user=%s scope=%s\n" % (user, " ".join(q.get("scope", []))))
        now = int(time.time())
        claims = {"iss": self.server.issuer, "sub": user, "aud": self.server.service,
                  "exp": now + 300, "nbf": now - 10, "iat": now,
                  "jti": base64.b16encode(os.urandom(8)).decode(), "access": access}
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.server.cert_b64]}
        signing = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.server.key],
                             input=signing.encode(), capture_output=True, check=True).stdout
        token = signing + "." + b64url(sig)
        self.reply(200, {"token": token, "access_token": token, "expires_in": 300})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--log", default="/dev/null")
    args = ap.parse_args()
    der = subprocess.run(["openssl", "x509", "-in", args.cert, "-outform", "DER"],
                         capture_output=True, check=True).stdout
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.creds, srv.key, srv.logfile = args.user, args.key, args.log
    srv.issuer, srv.service = args.issuer, args.service
    srv.cert_b64 = base64.b64encode(der).decode()
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
