#!/usr/bin/env python3
"""credserver.py: fake AWS credential servers for the credential-chain tests.

Python standard library only. Listens on 127.0.0.1 (one port for all three):

  EC2 IMDSv2
    PUT /latest/api/token            needs X-aws-ec2-metadata-token-ttl-seconds
                                     (1..21600, else 400) -> a session token
    GET /latest/meta-data/iam/security-credentials/        -> "sdb-test-role\\n"
    GET /latest/meta-data/iam/security-credentials/sdb-test-role -> JSON set
                                     both need X-aws-ec2-metadata-token equal to a
                                     token handed out (missing or wrong -> 401)
  container (ECS / EKS Pod Identity)
    GET /container/creds             Authorization must equal --container-auth
                                     (else 401) -> JSON set
  STS
    POST /sts/                       form Action=AssumeRoleWithWebIdentity,
                                     Version=2011-06-15, RoleArn == --role-arn,
                                     RoleSessionName, WebIdentityToken == the
                                     contents of --web-token-file (read at each
                                     request) -> XML set; else 400/403 XML error
  canned answers (for the container tests of c-tests/t_creds.c; no Authorization needed)
    GET /canned/<name>               near: a set expiring in 60 s; past: one that expired
                                     60 s ago; once: a set at the first request, then
                                     HTTP 500; nul: a raw NUL in SecretAccessKey; bigtok:
                                     a Token over 16 KiB; utok: a \\u escape in Token;
                                     noexp: a Token, no Expiration; nullexp: Expiration null
  control (never used by the code under test)
    GET  /__ctl/stats                {"imds":N,"container":N,"sts":N,"denied":N,"keys":[..]}
    POST /__ctl/revoke               revoke every set handed out at the proxy

Every set handed out is new (key ASIA<SOURCE><N>, random secret and token),
expires --ttl seconds from now, and is added to the proxy (--proxy URL, its
POST /__proxy/creds); with --revoke-old the sets handed out before are
removed from the proxy at the same time (a rotation).
"""
import argparse
import datetime
import json
import os
import secrets
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

ROLE = "sdb-test-role"


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.stats = {"imds": 0, "container": 0, "sts": 0, "denied": 0}
        self.keys = []
        self.imds_tokens = set()
        self.canned = {}
        self.n = 0

    def proxy(self, body):
        if not self.args.proxy:
            return
        req = urllib.request.Request(self.args.proxy + "/__proxy/creds", method="POST",
                                     data=json.dumps(body).encode())
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        opener.open(req, timeout=10).read()

    def issue(self, source):
        with self.lock:
            self.n += 1
            key = f"ASIA{source.upper()}{self.n:04d}"
            secret = secrets.token_urlsafe(30)
            token = "tok/" + secrets.token_urlsafe(60) + "+="
            old = list(self.keys) if self.args.revoke_old else []
            self.proxy({"add": [[key, secret, token]], "remove": old})
            self.keys = [k for k in self.keys if k not in old] + [key]
            self.stats[source] += 1
        exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=self.args.ttl)
        return key, secret, token, exp.strftime("%Y-%m-%dT%H:%M:%SZ")

    def revoke(self):
        with self.lock:
            self.proxy({"remove": self.keys})
            self.keys = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        if self.server.state.args.log:
            with open(self.server.state.args.log, "a") as f:
                f.write("%s %s\n" % (self.command, self.path))

    def answer(self, status, body, ctype="text/plain"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def deny(self, status, body="denied", ctype="text/plain"):
        with self.server.state.lock:
            self.server.state.stats["denied"] += 1
        self.answer(status, body, ctype)

    def json_set(self, source):
        key, secret, token, exp = self.server.state.issue(source)
        self.answer(200, json.dumps({"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": key,
                                     "SecretAccessKey": secret, "Token": token,
                                     "Expiration": exp}), "application/json")

    def canned(self, name):
        st = self.server.state
        with st.lock:
            st.canned[name] = st.canned.get(name, 0) + 1
            n = st.canned[name]
        now = datetime.datetime.now(datetime.timezone.utc)
        iso = lambda sec: (now + datetime.timedelta(seconds=sec)).strftime("%Y-%m-%dT%H:%M:%SZ")
        base = {"AccessKeyId": "ASIACANNED", "SecretAccessKey": "canned-secret", "Token": "canned-tok",
                "Expiration": iso(3600)}
        if name == "once" and n > 1:
            return self.answer(500, "down")
        body = {"near": dict(base, Expiration=iso(60)), "past": dict(base, Expiration=iso(-60)),
                "once": base, "bigtok": dict(base, Token="t" * 17000),
                "noexp": {k: v for k, v in base.items() if k != "Expiration"},
                "nullexp": dict(base, Expiration=None)}.get(name)
        if body is not None:
            return self.answer(200, json.dumps(body), "application/json")
        raw = {"nul": json.dumps(base).replace("canned-secret", "se\0c"),
               "utok": json.dumps(base).replace("canned-tok", "ab\\u0041")}.get(name)
        if raw is None:
            return self.deny(404)
        self.answer(200, raw.encode(), "application/json")

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_PUT(self):
        st = self.server.state
        self.body()
        if self.path != "/latest/api/token":
            return self.deny(404)
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self.deny(400, "bad or missing X-aws-ec2-metadata-token-ttl-seconds")
        tok = secrets.token_urlsafe(24)
        with st.lock:
            st.imds_tokens.add(tok)
        self.answer(200, tok)

    def do_GET(self):
        st = self.server.state
        base = "/latest/meta-data/iam/security-credentials/"
        if self.path == "/__ctl/stats":
            with st.lock:
                s = dict(st.stats, keys=list(st.keys))
            return self.answer(200, json.dumps(s), "application/json")
        if self.path.startswith(base):
            if self.headers.get("X-aws-ec2-metadata-token") not in st.imds_tokens:
                return self.deny(401, "IMDSv2 token missing or wrong")
            if self.path == base:
                return self.answer(200, ROLE + "\n")
            if self.path == base + ROLE:
                return self.json_set("imds")
            return self.deny(404)
        if self.path.startswith("/canned/"):
            return self.canned(self.path[len("/canned/"):])
        if self.path == "/__ctl/canned":
            with st.lock:
                return self.answer(200, json.dumps(st.canned), "application/json")
        if self.path == "/container/creds":
            if self.headers.get("Authorization") != st.args.container_auth:
                return self.deny(401, "bad Authorization")
            return self.json_set("container")
        self.deny(404)

    def sts_error(self, status, code, msg):
        self.deny(status, f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
                          f"<Message>{msg}</Message></Error></ErrorResponse>", "text/xml")

    def do_POST(self):
        st = self.server.state
        body = self.body()
        if self.path == "/__ctl/revoke":
            st.revoke()
            return self.answer(200, "{}", "application/json")
        if not self.path.startswith("/sts"):
            return self.deny(404)
        if self.headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
            return self.sts_error(400, "InvalidParameterValue", "not a form")
        form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        try:
            with open(st.args.web_token_file) as f:
                want = f.read().strip()
        except OSError:
            want = None
        if form.get("Action") != "AssumeRoleWithWebIdentity" or form.get("Version") != "2011-06-15":
            return self.sts_error(400, "InvalidAction", "bad Action or Version")
        if not form.get("RoleSessionName"):
            return self.sts_error(400, "ValidationError", "RoleSessionName missing")
        if form.get("RoleArn") != st.args.role_arn:
            return self.sts_error(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
        if want is None or form.get("WebIdentityToken") != want:
            return self.sts_error(400, "InvalidIdentityToken", "The web identity token is not valid")
        key, secret, token, exp = st.issue("sts")
        self.answer(200, "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/"
                    "2011-06-15/\"><AssumeRoleWithWebIdentityResult><Credentials>"
                    f"<AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>"
                    f"<SessionToken>{token}</SessionToken><Expiration>{exp}</Expiration>"
                    "</Credentials></AssumeRoleWithWebIdentityResult>"
                    "</AssumeRoleWithWebIdentityResponse>", "text/xml")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--proxy", help="s3proxy.py base URL whose /__proxy/creds learns each set")
    ap.add_argument("--ttl", type=int, default=3600, help="seconds until a set expires")
    ap.add_argument("--revoke-old", action="store_true")
    ap.add_argument("--container-auth", default="container-auth-token")
    ap.add_argument("--role-arn", default="arn:aws:iam::123456789012:role/sdb-test")
    ap.add_argument("--web-token-file", default="/nonexistent")
    ap.add_argument("--log")
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.state = State(args)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
