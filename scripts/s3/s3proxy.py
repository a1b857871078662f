#!/usr/bin/env python3
"""s3proxy.py: a keep-alive HTTP/1.1 proxy for S3 tests, in front of moto.

Python 3.11 standard library only (asyncio). Listens on 127.0.0.1 only.

Why: moto_server answers every request with "Connection: close". This proxy
keeps client connections alive (it opens one upstream connection per request),
checks AWS Signature Version 4 the strict way AWS does (moto's own check is
loose and wrong on encoded keys), injects faults from rules, and logs every
request.

Usage:
  s3proxy.py --upstream 127.0.0.1:PORT [--listen 127.0.0.1:0] [--port-file F]
             [--log F] [--verify KEY:SECRET[:SESSION_TOKEN]] [--region R]
             [--max-skew SECONDS] [--seed N]
Prints the listening port on stdout (one line) once it accepts connections,
and writes it to --port-file (atomically) if given. SIGTERM/SIGINT stop it.

Strict SigV4 (--verify). The canonical request is re-derived from the RAW
request line; nothing is decoded and re-encoded leniently:
  * no Authorization header                       -> 403 AccessDenied
  * malformed Authorization / credential scope    -> 400 AuthorizationHeaderMalformed
    (scope date != x-amz-date date, service != s3, terminator != aws4_request,
     region != --region when --region is given)
  * access key not one of the --verify sets       -> 403 InvalidAccessKeyId
  * x-amz-content-sha256 missing                  -> 400 InvalidRequest
    "Missing required header for this request: x-amz-content-sha256"
  * x-amz-content-sha256 not 64 lower-case hex nor UNSIGNED-PAYLOAD
                                                  -> 400 InvalidArgument
    (STREAMING-* payloads                         -> 501 NotImplemented)
  * x-amz-date missing or malformed               -> 403 AccessDenied
  * x-amz-date more than --max-skew (900 s) away  -> 403 RequestTimeTooSkewed
  * host, x-amz-date, x-amz-content-sha256 or any x-amz-* header sent but not
    in SignedHeaders                              -> 403 AccessDenied
  * a header in SignedHeaders that was not sent, SignedHeaders not lower-case
    / sorted / unique                             -> 403 SignatureDoesNotMatch
  * path not in AWS canonical form (every byte outside A-Za-z0-9-_.~ and '/'
    must be %XX with upper-case hex; e.g. lower-case %2f, a raw '+')
                                                  -> 403 SignatureDoesNotMatch
  * query: a parameter without '=' (?location), a name/value not AWS-encoded
    (a raw '/' must be %2F)                       -> 403 SignatureDoesNotMatch
    The canonical query is the sent parameters sorted by name, then value (as
    AWS does; boto3 sends them unsorted), so a client that signs an unsorted
    query gets 403 SignatureDoesNotMatch (with a hint in the message).
  * signature differs                             -> 403 SignatureDoesNotMatch
    (the error XML carries <CanonicalRequest> and <StringToSign> as AWS does)
  * x-amz-security-token: must equal the token of the key's set (third part of
    --verify); sent when that set has none        -> 403 InvalidToken
  * body SHA-256 differs from x-amz-content-sha256 -> 400 XAmzContentSHA256Mismatch
Header values are trimmed and inner whitespace runs collapsed; repeated
headers are joined with ','. Every failure counts in stats "sigv4_fail".

HTTP handling: request bodies by Content-Length only (Transfer-Encoding on a
request -> 501 NotImplemented, connection closed); "Expect: 100-continue" gets
"100 Continue"; HEAD/204/304 answers carry no body; connections stay open
unless the client sends "Connection: close" (or speaks HTTP/1.0 without
keep-alive). Upstream failures -> 502 BadGateway. A client that disconnects at
any moment only ends its own connection.

Control endpoints (answered here, never forwarded, never signature-checked,
not counted in "requests"):
  GET  /__proxy/stats   -> {"requests":N,"by_method":{..},"by_status":{..},
                            "faults":{..},"sigv4_fail":N,"connections":N,
                            "body_bytes":N (bytes of forwarded answer bodies),
                            "request_body_bytes":N (bytes of the request bodies of
                            requests answered in full),
                            "rules":[{"matched":N,"fired":N},..]}
  GET  /__proxy/rules   -> the current rules
  POST /__proxy/rules[?seed=N]  body: JSON list of rules (or
                        {"rules":[..],"seed":N}); replaces the rules and their
                        counters; reseeds the RNG when a seed is given
  GET  /__proxy/creds   -> the access key ids accepted (sorted JSON list)
  POST /__proxy/creds   body {"add":[[KEY,SECRET,TOKEN or null],..],"remove":[KEY,..]}:
                        accept more credential sets / revoke some (credential
                        rotation tests); not undone by /__proxy/reset
  POST /__proxy/reset[?seed=N]  clear rules and all counters, reseed the RNG
                        (to --seed unless ?seed=N)

Rules. All fields optional. For each request the rules are tried in order; a
rule matches when method (string or list, case-insensitive), path (Python
regex searched in the raw request target) and header (the request has that
header) all match and its "times" budget is not used up. A matching rule then
counts the match; while matches <= "skip" the request passes this rule, and
with "prob" < 1 the seeded RNG decides; a rule that passes lets the next
rules try. The first rule that fires is the only one applied:
  "delay_ms": 200, "jitter_ms": 50   sleep delay + uniform(0, jitter) first,
                                     then apply the rest of the rule (or
                                     forward normally if nothing else is set)
  "status": 503, "code": "SlowDown"  answer this S3 XML error instead of
                                     forwarding (code defaults from status)
  "after_forward": true              forward first (the write is applied),
                                     then answer the error / hang
  "drop": "before"                   close the connection without forwarding
  "drop": "after"                    forward, then close without answering
  "drop": "mid_body"                 forward, send the headers (full
                                     Content-Length) and half the body, close
  "hang": true                       never answer; keep the connection open
                                     until the client gives up
  "short_body": true                 forward, answer only the first half of
                                     the body with a matching Content-Length
  "times": N   fire at most N times     "skip": N   pass the first N matches
  "prob": 0.3  fire with this probability (seeded RNG, --seed, default 0)
Fired faults are counted in stats "faults" by kind: delay, status_503,
status_500_after_forward, drop_before, drop_after, drop_mid_body, hang,
short_body.

Request log (--log F): one line per request:
  TIME METHOD TARGET range=.. inm=.. im=.. len=.. putid=.. status=.. fault=.. ms=..
(inm = If-None-Match, im = If-Match, len = request Content-Length,
 putid = x-amz-meta-slatedbputid; '-' when absent). SigV4 failures add
 "sigv4=<reason>".
"""
import argparse
import asyncio
import calendar
import hashlib
import hmac
import json
import os
import random
import re
import signal
import sys
import time
from urllib.parse import parse_qs, unquote_to_bytes

UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization",
              "proxy-authenticate", "te", "trailer", "trailers", "transfer-encoding",
              "upgrade", "expect"}
REASONS = {100: "Continue", 200: "OK", 204: "No Content", 206: "Partial Content",
           304: "Not Modified", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 409: "Conflict", 411: "Length Required",
           412: "Precondition Failed", 416: "Range Not Satisfiable",
           431: "Request Header Fields Too Large", 500: "Internal Server Error",
           501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
           504: "Gateway Timeout"}
DEFAULT_CODES = {400: "InvalidRequest", 403: "AccessDenied", 404: "NoSuchKey",
                 409: "ConditionalRequestConflict", 412: "PreconditionFailed",
                 416: "InvalidRange", 500: "InternalError", 501: "NotImplemented",
                 502: "BadGateway", 503: "SlowDown", 504: "GatewayTimeout"}
RULE_KEYS = {"method", "path", "header", "prob", "times", "skip", "delay_ms", "jitter_ms",
             "status", "code", "after_forward", "drop", "hang", "short_body", "comment"}
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UPSTREAM_TIMEOUT = 120.0


def aws_encode(data: bytes, keep_slash: bool) -> str:
    """AWS URI encoding: every byte outside A-Za-z0-9-_.~ as %XX (upper-case)."""
    out = []
    for b in data:
        if b in UNRESERVED or (keep_slash and b == 0x2F):
            out.append(chr(b))
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def xml_escape(s: str) -> str:
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
             .replace('"', "&quot;"))


class HttpError(Exception):
    """An error answered to the client as S3 XML."""

    def __init__(self, status, code, message, extra=None, close=False):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.extra = extra or {}
        self.close = close


class Request:
    def __init__(self, method, target, version, headers, body=b""):
        self.method, self.target, self.version = method, target, version
        self.headers = headers            # list of (name, value) as sent
        self.body = body
        self.lower = {}                   # lower-case name -> [values]
        for k, v in headers:
            self.lower.setdefault(k.lower(), []).append(v)

    def get(self, name, default=None):
        v = self.lower.get(name.lower())
        return v[0] if v else default


class Response:
    def __init__(self, status, reason, headers, body):
        self.status, self.reason, self.headers, self.body = status, reason, headers, body


class Rule:
    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise ValueError("a rule must be a JSON object")
        unknown = set(spec) - RULE_KEYS
        if unknown:
            raise ValueError("unknown rule field(s): " + ", ".join(sorted(unknown)))
        self.spec = spec
        m = spec.get("method")
        if m is None:
            self.methods = None
        elif isinstance(m, str):
            self.methods = {m.upper()}
        else:
            self.methods = {str(x).upper() for x in m}
        self.path_re = re.compile(spec["path"]) if spec.get("path") is not None else None
        self.header = spec["header"].lower() if spec.get("header") else None
        self.prob = float(spec.get("prob", 1.0))
        self.times = int(spec["times"]) if spec.get("times") is not None else None
        self.skip = int(spec.get("skip", 0))
        self.delay_ms = float(spec.get("delay_ms", 0))
        self.jitter_ms = float(spec.get("jitter_ms", 0))
        self.status = int(spec["status"]) if spec.get("status") is not None else None
        self.code = spec.get("code") or (DEFAULT_CODES.get(self.status, "InjectedError")
                                         if self.status else None)
        self.after_forward = bool(spec.get("after_forward", False))
        self.drop = spec.get("drop")
        if self.drop not in (None, "before", "after", "mid_body"):
            raise ValueError("drop must be before, after or mid_body")
        self.hang = bool(spec.get("hang", False))
        self.short_body = bool(spec.get("short_body", False))
        self.matched = 0
        self.fired = 0

    def matches(self, req):
        if self.methods is not None and req.method.upper() not in self.methods:
            return False
        if self.path_re is not None and not self.path_re.search(req.target):
            return False
        if self.header is not None and self.header not in req.lower:
            return False
        if self.times is not None and self.fired >= self.times:
            return False
        return True


class Proxy:
    def __init__(self, args):
        self.args = args
        host, _, port = args.upstream.rpartition(":")
        self.up_host, self.up_port = host or "127.0.0.1", int(port)
        self.verify = {}       # access key id -> (secret, session token or None)
        for v in args.verify or []:
            parts = v.split(":", 2)
            if len(parts) < 2:
                sys.exit("s3proxy: --verify needs KEY:SECRET")
            self.verify[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else None)
        self.seed = args.seed
        self.rng = random.Random(self.seed)
        self.rules = []
        self.log_file = open(args.log, "a", buffering=1) if args.log else None
        self.reset_stats()

    # ------------------------------------------------------------ bookkeeping
    def reset_stats(self):
        self.stats = {"requests": 0, "by_method": {}, "by_status": {}, "faults": {},
                      "sigv4_fail": 0, "connections": 0, "body_bytes": 0,
                      "request_body_bytes": 0}

    def count(self, field, key):
        d = self.stats[field]
        d[key] = d.get(key, 0) + 1

    def log(self, line):
        if self.log_file:
            t = time.time()
            stamp = time.strftime("%H:%M:%S", time.localtime(t)) + ".%03d" % (int(t * 1000) % 1000)
            try:
                self.log_file.write(stamp + " " + line + "\n")
            except OSError:
                pass

    def log_request(self, req, status, fault, t0, extra=""):
        def h(name):
            v = req.get(name)
            return "-" if v is None else v.replace(" ", "_")
        ms = (time.monotonic() - t0) * 1000
        self.log(f"{req.method} {req.target} range={h('range')} inm={h('if-none-match')} "
                 f"im={h('if-match')} len={h('content-length')} "
                 f"putid={h('x-amz-meta-slatedbputid')} status={status} "
                 f"fault={fault or '-'} ms={ms:.1f}{extra}")

    # ------------------------------------------------------------ HTTP output
    @staticmethod
    def error_response(status, code, message, extra=None):
        parts = [f"<Code>{xml_escape(code)}</Code>", f"<Message>{xml_escape(message)}</Message>"]
        for k, v in (extra or {}).items():
            parts.append(f"<{k}>{xml_escape(str(v))}</{k}>")
        parts.append("<RequestId>s3proxy</RequestId>")
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error>' + "".join(parts)
                + "</Error>").encode("utf-8")
        return Response(status, REASONS.get(status, "Error"),
                        [("Content-Type", "application/xml")], body)

    @staticmethod
    def json_response(status, obj):
        body = (json.dumps(obj, sort_keys=True) + "\n").encode()
        return Response(status, REASONS.get(status, "Error"),
                        [("Content-Type", "application/json")], body)

    @staticmethod
    def head_bytes(resp, keep_alive, method, content_length=None):
        """Status line + headers. Content-Length is recomputed from the body except
        for body-less answers (HEAD, 1xx, 204, 304), which keep upstream's."""
        no_body = method == "HEAD" or resp.status in (204, 304) or resp.status < 200
        lines = [f"HTTP/1.1 {resp.status} {resp.reason}"]
        upstream_cl = None
        for k, v in resp.headers:
            lk = k.lower()
            if lk in HOP_BY_HOP:
                continue
            if lk == "content-length":
                upstream_cl = v
                continue
            lines.append(f"{k}: {v}")
        if content_length is not None:
            lines.append(f"Content-Length: {content_length}")
        elif no_body:
            if upstream_cl is not None:
                lines.append(f"Content-Length: {upstream_cl}")
            elif resp.status not in (204, 304) and resp.status >= 200:
                lines.append("Content-Length: 0")
        else:
            lines.append(f"Content-Length: {len(resp.body)}")
        lines.append("Connection: " + ("keep-alive" if keep_alive else "close"))
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def send(self, writer, resp, keep_alive, method):
        no_body = method == "HEAD" or resp.status in (204, 304)
        data = self.head_bytes(resp, keep_alive, method)
        if not no_body:
            data += resp.body
        writer.write(data)
        await writer.drain()

    # ------------------------------------------------------------ connections
    async def handle_conn(self, reader, writer):
        self.stats["connections"] += 1
        try:
            while await self.one_request(reader, writer):
                pass
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError,
                TimeoutError, OSError):
            pass
        except Exception as e:  # never let one connection take the proxy down
            self.log(f"internal error: {type(e).__name__}: {e}")
        finally:
            try:
                writer.close()
            except Exception:
                pass

    async def read_request_head(self, reader):
        try:
            data = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None                      # client closed (cleanly or mid-head)
        except asyncio.LimitOverrunError:
            raise HttpError(431, "RequestHeaderSectionTooLarge",
                            "request header section too large", close=True)
        text = data[:-4].decode("latin-1").lstrip("\r\n")
        lines = text.split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise HttpError(400, "BadRequest", "malformed request line", close=True)
        method, target, version = parts
        headers = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip() or " " in name:
                raise HttpError(400, "BadRequest", f"malformed header line {line!r}", close=True)
            headers.append((name, value.strip(" \t")))
        return Request(method, target, version, headers)

    async def one_request(self, reader, writer):
        """Serve one request; returns True to keep the connection open."""
        try:
            req = await self.read_request_head(reader)
        except HttpError as e:
            await self.send(writer, self.error_response(e.status, e.code, e.message), False, "GET")
            return False
        if req is None:
            return False
        t0 = time.monotonic()
        conn_tokens = {t.strip().lower() for v in req.lower.get("connection", [])
                       for t in v.split(",")}
        if req.version == "HTTP/1.0":
            keep = "keep-alive" in conn_tokens
        else:
            keep = "close" not in conn_tokens
        control = req.target.startswith("/__proxy/")
        if not control:
            self.stats["requests"] += 1
            self.count("by_method", req.method.upper())

        # ---- body framing
        if "transfer-encoding" in req.lower:
            resp = self.error_response(501, "NotImplemented",
                                       "A header you provided implies functionality that is not "
                                       "implemented (Transfer-Encoding); send Content-Length",
                                       {"Header": "Transfer-Encoding"})
            if not control:
                self.count("by_status", "501")
                self.log_request(req, 501, None, t0)
            await self.send(writer, resp, False, req.method)
            return False
        cls = {v.strip() for v in req.lower.get("content-length", [])}
        clen = 0
        if cls:
            if len(cls) != 1 or not next(iter(cls)).isdigit():
                resp = self.error_response(400, "BadRequest", "invalid Content-Length")
                await self.send(writer, resp, False, req.method)
                return False
            clen = int(next(iter(cls)))
        if clen > 0 and any(v.strip().lower() == "100-continue" for v in req.lower.get("expect", [])):
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            await writer.drain()
        req.body = await reader.readexactly(clen) if clen else b""

        if control:
            resp = self.control(req)
            await self.send(writer, resp, keep, req.method)
            return keep

        # ---- signature
        if self.verify:
            try:
                self.check_sigv4(req)
            except HttpError as e:
                self.stats["sigv4_fail"] += 1
                self.count("by_status", str(e.status))
                self.log_request(req, e.status, None, t0, f" sigv4={e.code}:{e.message!r}")
                await self.send(writer, self.error_response(e.status, e.code, e.message, e.extra),
                                keep, req.method)
                return keep

        # ---- fault rules
        rule = self.pick_rule(req)
        faults = []
        if rule is not None and (rule.delay_ms or rule.jitter_ms):
            await asyncio.sleep((rule.delay_ms + self.rng.uniform(0, rule.jitter_ms)) / 1000.0)
            faults.append("delay")

        def fire(kind):
            faults.append(kind)

        def done(status):
            for f in faults:
                self.count("faults", f)
            self.count("by_status", str(status))
            self.log_request(req, status, "+".join(faults), t0)

        r = rule
        if r is not None and not r.after_forward:
            if r.hang:
                fire("hang")
                done("hang")
                await self.hang(reader)
                return False
            if r.drop == "before":
                fire("drop_before")
                done("drop")
                return False
            if r.status is not None:
                fire(f"status_{r.status}")
                done(r.status)
                await self.send(writer, self.error_response(
                    r.status, r.code, "injected by s3proxy"), keep, req.method)
                return keep

        try:
            resp = await asyncio.wait_for(self.forward(req), UPSTREAM_TIMEOUT)
        except Exception as e:
            done(502)
            await self.send(writer, self.error_response(
                502, "BadGateway", f"s3proxy: upstream failed: {type(e).__name__}: {e}"),
                keep, req.method)
            return keep

        if r is not None:
            if r.after_forward and r.hang:
                fire("hang_after_forward")
                done("hang")
                await self.hang(reader)
                return False
            if r.drop == "after":
                fire("drop_after")
                done("drop")
                return False
            if r.after_forward and r.status is not None:
                fire(f"status_{r.status}_after_forward")
                done(r.status)
                await self.send(writer, self.error_response(
                    r.status, r.code, "injected by s3proxy after forwarding"), keep, req.method)
                return keep
            if r.drop == "mid_body":
                fire("drop_mid_body")
                done(f"{resp.status}-drop")
                half = resp.body[:len(resp.body) // 2] if req.method != "HEAD" else b""
                writer.write(self.head_bytes(resp, False, req.method) + half)
                await writer.drain()
                return False
            if r.short_body and req.method != "HEAD" and resp.status not in (204, 304):
                fire("short_body")
                done(f"{resp.status}-short")
                half = resp.body[:len(resp.body) // 2]
                writer.write(self.head_bytes(resp, keep, req.method, len(half)) + half)
                await writer.drain()
                return keep
        done(resp.status)
        if req.method != "HEAD":
            self.stats["body_bytes"] += len(resp.body)
        self.stats["request_body_bytes"] += len(req.body)
        await self.send(writer, resp, keep, req.method)
        return keep

    @staticmethod
    async def hang(reader):
        while True:
            data = await reader.read(65536)
            if not data:
                return

    def pick_rule(self, req):
        for rule in self.rules:
            if not rule.matches(req):
                continue
            rule.matched += 1
            if rule.matched <= rule.skip:
                continue
            if rule.prob < 1.0 and self.rng.random() >= rule.prob:
                continue
            rule.fired += 1
            return rule
        return None

    # ------------------------------------------------------------ upstream
    async def forward(self, req):
        reader, writer = await asyncio.open_connection(self.up_host, self.up_port, limit=1 << 20)
        try:
            lines = [f"{req.method} {req.target} HTTP/1.1"]
            for k, v in req.headers:
                if k.lower() not in HOP_BY_HOP:
                    lines.append(f"{k}: {v}")
            lines.append("Connection: close")
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + req.body)
            await writer.drain()
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                hl = head[:-4].decode("latin-1").split("\r\n")
                sp = hl[0].split(" ", 2)
                if len(sp) < 2 or not sp[1].isdigit():
                    raise ValueError(f"bad upstream status line {hl[0]!r}")
                status = int(sp[1])
                reason = sp[2] if len(sp) > 2 and sp[2] else REASONS.get(status, "Unknown")
                headers = []
                for line in hl[1:]:
                    k, _, v = line.partition(":")
                    headers.append((k.strip(), v.strip()))
                if 100 <= status < 200:
                    continue                 # 100 Continue (moto sends it twice)
                break
            hmap = {k.lower(): v for k, v in headers}
            if req.method == "HEAD" or status in (204, 304):
                body = b""
            elif "chunked" in hmap.get("transfer-encoding", "").lower():
                body = await self.read_chunked(reader)
            elif "content-length" in hmap:
                body = await reader.readexactly(int(hmap["content-length"]))
            else:
                body = await reader.read()
            return Response(status, reason, headers, body)
        finally:
            try:
                writer.close()
            except Exception:
                pass

    @staticmethod
    async def read_chunked(reader):
        out = bytearray()
        while True:
            line = await reader.readuntil(b"\r\n")
            size = int(line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                return bytes(out)
            out += await reader.readexactly(size)
            await reader.readexactly(2)

    # ------------------------------------------------------------ control
    def control(self, req):
        path, _, query = req.target.partition("?")
        qs = parse_qs(query)
        seed = None
        if "seed" in qs:
            try:
                seed = int(qs["seed"][0])
            except ValueError:
                return self.json_response(400, {"error": "seed must be an integer"})
        if path == "/__proxy/stats" and req.method == "GET":
            s = dict(self.stats)
            s["rules"] = [{"matched": r.matched, "fired": r.fired} for r in self.rules]
            return self.json_response(200, s)
        if path == "/__proxy/rules" and req.method == "GET":
            return self.json_response(200, [r.spec for r in self.rules])
        if path == "/__proxy/rules" and req.method in ("POST", "PUT"):
            try:
                spec = json.loads(req.body.decode("utf-8") or "[]")
                if isinstance(spec, dict):
                    if seed is None and spec.get("seed") is not None:
                        seed = int(spec["seed"])
                    spec = spec.get("rules", [])
                if not isinstance(spec, list):
                    raise ValueError("expected a JSON list of rules")
                rules = [Rule(x) for x in spec]
            except (ValueError, TypeError, re.error) as e:
                return self.json_response(400, {"error": str(e)})
            self.rules = rules
            if seed is not None:
                self.rng = random.Random(seed)
            self.log(f"rules set ({len(rules)}), seed={seed}: {json.dumps(spec)}")
            return self.json_response(200, {"ok": True, "rules": len(rules), "seed": seed})
        if path == "/__proxy/creds" and req.method == "GET":
            return self.json_response(200, sorted(self.verify))
        if path == "/__proxy/creds" and req.method == "POST":
            try:
                spec = json.loads(req.body.decode("utf-8") or "{}")
                add = [(str(k), str(s), None if t is None else str(t))
                       for k, s, t in spec.get("add", [])]
                remove = [str(k) for k in spec.get("remove", [])]
            except (ValueError, TypeError, AttributeError) as e:
                return self.json_response(400, {"error": str(e)})
            for k in remove:
                self.verify.pop(k, None)
            for k, s, t in add:
                self.verify[k] = (s, t)
            self.log(f"creds: +{[k for k, _, _ in add]} -{remove}")
            return self.json_response(200, {"ok": True, "keys": sorted(self.verify)})
        if path == "/__proxy/reset" and req.method == "POST":
            self.rules = []
            self.reset_stats()
            self.rng = random.Random(self.seed if seed is None else seed)
            self.log("reset")
            return self.json_response(200, {"ok": True})
        return self.json_response(404, {"error": f"unknown control request {req.method} {path}"})

    # ------------------------------------------------------------ SigV4
    def check_sigv4(self, req):
        auth = req.get("authorization")
        if auth is None:
            raise HttpError(403, "AccessDenied", "Access Denied (no Authorization header; "
                            "presigned URLs are not supported by s3proxy)")
        algo, _, rest = auth.strip().partition(" ")
        if algo != "AWS4-HMAC-SHA256":
            raise HttpError(400, "AuthorizationHeaderMalformed",
                            f"unsupported authorization algorithm {algo!r}; expecting AWS4-HMAC-SHA256")
        fields = {}
        for comp in rest.split(","):
            k, sep, v = comp.strip().partition("=")
            if not sep or k in fields:
                raise HttpError(400, "AuthorizationHeaderMalformed",
                                f"malformed Authorization component {comp.strip()!r}")
            fields[k] = v
        if set(fields) != {"Credential", "SignedHeaders", "Signature"}:
            raise HttpError(400, "AuthorizationHeaderMalformed",
                            "Authorization must have exactly Credential, SignedHeaders, Signature")
        cred = fields["Credential"].split("/")
        if len(cred) != 5:
            raise HttpError(400, "AuthorizationHeaderMalformed",
                            "Credential must be KEY/YYYYMMDD/REGION/s3/aws4_request")
        ak, cdate, region, service, term = cred
        if ak not in self.verify:
            raise HttpError(403, "InvalidAccessKeyId",
                            "The AWS Access Key Id you provided does not exist in our records.",
                            {"AWSAccessKeyId": ak})
        secret, token = self.verify[ak]
        payload = req.get("x-amz-content-sha256")
        if payload is None:
            raise HttpError(400, "InvalidRequest",
                            "Missing required header for this request: x-amz-content-sha256")
        if payload.startswith("STREAMING-"):
            raise HttpError(501, "NotImplemented", f"s3proxy does not support {payload}")
        if payload != "UNSIGNED-PAYLOAD" and not re.fullmatch(r"[0-9a-f]{64}", payload):
            raise HttpError(400, "InvalidArgument",
                            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, or a valid "
                            "sha256 value (64 lower-case hex digits).")
        amzdate = req.get("x-amz-date")
        if amzdate is None or not re.fullmatch(r"\d{8}T\d{6}Z", amzdate):
            raise HttpError(403, "AccessDenied",
                            "AWS authentication requires a valid Date or X-Amz-Date header "
                            "(x-amz-date: YYYYMMDD'T'HHMMSS'Z')")
        try:
            t = calendar.timegm(time.strptime(amzdate, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            raise HttpError(403, "AccessDenied", f"invalid x-amz-date {amzdate!r}")
        if cdate != amzdate[:8]:
            raise HttpError(400, "AuthorizationHeaderMalformed",
                            f"Invalid credential date {cdate!r}. Date is not the same as X-Amz-Date.")
        if service != "s3":
            raise HttpError(400, "AuthorizationHeaderMalformed",
                            f"service {service!r} in the credential scope is wrong; expecting 's3'")
        if term != "aws4_request":
            raise HttpError(400, "AuthorizationHeaderMalformed",
                            "the credential scope must end with aws4_request")
        if self.args.region and region != self.args.region:
            raise HttpError(400, "AuthorizationHeaderMalformed",
                            f"the region {region!r} is wrong; expecting {self.args.region!r}",
                            {"Region": self.args.region})
        if self.args.max_skew > 0 and abs(time.time() - t) > self.args.max_skew:
            raise HttpError(403, "RequestTimeTooSkewed",
                            "The difference between the request time and the current time "
                            "is too large.", {"RequestTime": amzdate})

        signed = fields["SignedHeaders"].split(";")
        if (any(not h or h != h.lower() for h in signed) or signed != sorted(signed)
                or len(set(signed)) != len(signed)):
            raise HttpError(403, "SignatureDoesNotMatch",
                            "SignedHeaders must be lower-case, sorted and unique: "
                            + fields["SignedHeaders"])
        must = {"host", "x-amz-date", "x-amz-content-sha256"}
        must |= {h for h in req.lower if h.startswith("x-amz-")}
        unsigned = sorted(must - set(signed))
        if unsigned:
            raise HttpError(403, "AccessDenied",
                            "There were headers present in the request which were not signed",
                            {"HeadersNotSigned": ", ".join(unsigned)})
        missing = [h for h in signed if h not in req.lower]
        if missing:
            raise HttpError(403, "SignatureDoesNotMatch",
                            "header(s) listed in SignedHeaders were not sent: " + ", ".join(missing))
        sent_token = req.get("x-amz-security-token")
        if token is None and sent_token is not None:
            raise HttpError(403, "InvalidToken", "x-amz-security-token sent but the proxy "
                            "has no session token configured")
        if token is not None and sent_token != token:
            raise HttpError(403, "InvalidToken",
                            "The provided token is malformed or otherwise invalid.")

        raw_path, qmark, raw_query = req.target.partition("?")
        if not raw_path.startswith("/"):
            raise HttpError(403, "SignatureDoesNotMatch", "request target must start with '/'")
        want = aws_encode(unquote_to_bytes(raw_path), True)
        if want != raw_path:
            raise HttpError(403, "SignatureDoesNotMatch",
                            f"request path is not in AWS canonical encoding; expected {want}")
        pairs = []
        if raw_query:
            for p in raw_query.split("&"):
                name, eq, value = p.partition("=")
                if not eq:
                    raise HttpError(403, "SignatureDoesNotMatch",
                                    f"query parameter {p!r} has no '='; send it as '{p}='")
                for part in (name, value):
                    w = aws_encode(unquote_to_bytes(part), False)
                    if w != part:
                        raise HttpError(403, "SignatureDoesNotMatch",
                                        f"query component {part!r} is not AWS-encoded; expected {w}")
                if not name:
                    raise HttpError(403, "SignatureDoesNotMatch", "empty query parameter name")
                pairs.append((name, value))
        canon_query = "&".join(f"{n}={v}" for n, v in sorted(pairs))
        canon_headers = "".join(
            h + ":" + ",".join(" ".join(v.split()) for v in req.lower[h]) + "\n" for h in signed)
        creq = "\n".join([req.method, raw_path, canon_query, canon_headers,
                          ";".join(signed), payload])
        scope = f"{cdate}/{region}/{service}/{term}"
        sts = "\n".join(["AWS4-HMAC-SHA256", amzdate, scope,
                         hashlib.sha256(creq.encode("latin-1")).hexdigest()])
        k = ("AWS4" + secret).encode()
        for part in (cdate, region, service, term):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(sig, fields["Signature"]):
            raise HttpError(403, "SignatureDoesNotMatch",
                            "The request signature we calculated does not match the signature "
                            "you provided. Check your key and signing method."
                            + ("" if canon_query == raw_query else
                               " (The query as sent is not in canonical order; the canonical "
                               "query sorts the parameters by name, then value.)"),
                            {"AWSAccessKeyId": ak, "StringToSign": sts,
                             "SignatureProvided": fields["Signature"], "CanonicalRequest": creq})
        if payload != "UNSIGNED-PAYLOAD":
            got = hashlib.sha256(req.body).hexdigest()
            if got != payload:
                raise HttpError(400, "XAmzContentSHA256Mismatch",
                                "The provided 'x-amz-content-sha256' header does not match "
                                "what was computed.",
                                {"ClientComputedContentSHA256": payload,
                                 "S3ComputedContentSHA256": got})


async def main_async(args):
    proxy = Proxy(args)
    host, _, port = args.listen.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("s3proxy: refusing to listen on a non-loopback address")
    server = await asyncio.start_server(proxy.handle_conn, host, int(port), limit=1 << 20,
                                        reuse_address=True)
    real_port = server.sockets[0].getsockname()[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{real_port}\n")
        os.replace(tmp, args.port_file)
    print(real_port, flush=True)
    proxy.log(f"listening on {host}:{real_port}, upstream {args.upstream}, "
              f"verify={'on' if proxy.verify else 'off'}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    await stop.wait()
    server.close()
    proxy.log("stopped")


def main():
    ap = argparse.ArgumentParser(description="keep-alive, fault-injecting, SigV4-verifying "
                                 "HTTP proxy for S3 tests (see the module docstring)")
    ap.add_argument("--upstream", required=True, help="HOST:PORT of moto")
    ap.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT (loopback only)")
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--verify", metavar="KEY:SECRET[:TOKEN]", action="append",
                    help="accepted credentials; repeatable (any of them signs)")
    ap.add_argument("--region", help="with --verify: required credential-scope region")
    ap.add_argument("--max-skew", type=int, default=900,
                    help="with --verify: max |x-amz-date - now| in seconds (0: no check)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    try:
        asyncio.run(main_async(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
