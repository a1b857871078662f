#!/usr/bin/env python3
"""sigv4_client.py: a small, deliberately mutable SigV4 signer and raw HTTP client
for testing S3 servers and the strict verifier in s3proxy.py. Standard library only.

Library use (scripts/s3/selftest.sh imports it):
  aws_encode(b"a/b c", keep_slash=True)      -> "a/b%20c"
  canonical_query({"list-type": "2", "prefix": "a/"}) -> "list-type=2&prefix=a%2F"
  authorization(method, raw_path, raw_query, headers, payload_hash, key, secret,
                region, amzdate, signed=None, unsent=None) -> "AWS4-HMAC-SHA256 ..."
      Signs exactly the strings given (no re-encoding, no sorting of the query),
      so a test can sign a wrong request "correctly" and see the server refuse
      it. signed = header names to sign (default: host, content-type,
      content-md5, range, if-*, x-amz-*, whatever is sent); unsent = extra
      {name: value} that are signed but NOT sent.
  signed_headers(...) -> the list of headers to send, Authorization included.
  send(host, port, method, target, headers, body, conn=None, timeout=10)
      -> (status, headers, body, conn): one raw request; keeps the connection.

CLI (reads AWS_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
AWS_SESSION_TOKEN from the environment):
  sigv4_client.py GET '/bkt?list-type=2&prefix=a%2F'
  sigv4_client.py PUT /bkt/key --data 'hello' -H 'If-None-Match: *'
  sigv4_client.py PUT /bkt/key --data @file --unsigned-payload
The target is sent and signed exactly as given (encode it yourself).
"""
import argparse
import hashlib
import hmac
import http.client
import os
import sys
import time
from urllib.parse import urlsplit

UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def aws_encode(data, keep_slash):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return "".join(chr(b) if b in UNRESERVED or (keep_slash and b == 0x2F) else "%%%02X" % b
                   for b in data)


def canonical_query(params):
    """params: dict or list of (name, value), decoded. Returns the sorted, encoded query."""
    items = params.items() if isinstance(params, dict) else params
    enc = sorted((aws_encode(k, False), aws_encode(v, False)) for k, v in items)
    return "&".join(f"{k}={v}" for k, v in enc)


def amz_now():
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())


def _default_signed(name):
    n = name.lower()
    return (n in ("host", "content-type", "content-md5", "range") or n.startswith("x-amz-")
            or n.startswith("if-"))


def authorization(method, raw_path, raw_query, headers, payload_hash, key, secret, region,
                  amzdate, signed=None, unsent=None, service="s3"):
    values = {}
    for k, v in headers:
        values.setdefault(k.lower(), []).append(v)
    for k, v in (unsent or {}).items():
        values.setdefault(k.lower(), []).append(v)
    if signed is None:
        signed = sorted({k.lower() for k, _ in headers if _default_signed(k)}
                        | {k.lower() for k in (unsent or {})})
    canon_headers = "".join(
        h + ":" + ",".join(" ".join(v.split()) for v in values.get(h, [])) + "\n" for h in signed)
    creq = "\n".join([method, raw_path, raw_query, canon_headers, ";".join(signed), payload_hash])
    date = amzdate[:8]
    scope = f"{date}/{region}/{service}/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amzdate, scope,
                     hashlib.sha256(creq.encode("latin-1")).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    return (f"AWS4-HMAC-SHA256 Credential={key}/{scope}, "
            f"SignedHeaders={';'.join(signed)}, Signature={sig}")


def signed_headers(method, target, host, body=b"", key=None, secret=None, region=None,
                   extra=None, payload_hash=None, amzdate=None, token=None, signed=None,
                   unsent=None, send_payload_header=True, content_length=True):
    """Headers (list) for a request to `target` (raw, sent as is), Authorization included."""
    key = key if key is not None else os.environ.get("AWS_ACCESS_KEY_ID", "")
    secret = secret if secret is not None else os.environ.get("AWS_SECRET_ACCESS_KEY", "")
    region = region or os.environ.get("AWS_REGION", "us-east-1")
    amzdate = amzdate or amz_now()
    if payload_hash is None:
        payload_hash = hashlib.sha256(body).hexdigest()
    hdrs = [("Host", host), ("x-amz-date", amzdate)]
    if send_payload_header:
        hdrs.append(("x-amz-content-sha256", payload_hash))
    if token:
        hdrs.append(("x-amz-security-token", token))
    hdrs += list(extra or [])
    if content_length and (body or method in ("PUT", "POST")):
        hdrs.append(("Content-Length", str(len(body))))
    path, _, query = target.partition("?")
    auth = authorization(method, path, query, hdrs, payload_hash, key, secret, region, amzdate,
                         signed=signed, unsent=unsent)
    return hdrs + [("Authorization", auth)]


def send(host, port, method, target, headers, body=b"", conn=None, timeout=10):
    """One raw request. Headers are sent exactly as given (nothing added)."""
    if conn is None:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
    for k, v in headers:
        conn.putheader(k, v)
    conn.endheaders(body if body else None)
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, resp.getheaders(), data, conn


def main():
    ap = argparse.ArgumentParser(description="send one SigV4-signed request (target sent as is)")
    ap.add_argument("method")
    ap.add_argument("target")
    ap.add_argument("--data", default="", help="body, or @FILE")
    ap.add_argument("-H", "--header", action="append", default=[], help="'Name: value'")
    ap.add_argument("--unsigned-payload", action="store_true")
    ap.add_argument("--endpoint", default=os.environ.get("AWS_ENDPOINT", "http://127.0.0.1:9000"))
    a = ap.parse_args()
    body = (open(a.data[1:], "rb").read() if a.data.startswith("@") else a.data.encode())
    u = urlsplit(a.endpoint)
    host = u.netloc
    extra = [tuple(x.strip() for x in h.split(":", 1)) for h in a.header]
    hdrs = signed_headers(a.method, a.target, host, body, extra=extra,
                          payload_hash="UNSIGNED-PAYLOAD" if a.unsigned_payload else None,
                          token=os.environ.get("AWS_SESSION_TOKEN"))
    status, rh, data, conn = send(u.hostname, u.port or 80, a.method, a.target, hdrs, body)
    print(status)
    for k, v in rh:
        print(f"{k}: {v}")
    print()
    sys.stdout.buffer.write(data)
    if data and not data.endswith(b"\n"):
        print()
    conn.close()
    return 0 if status < 400 else 1


if __name__ == "__main__":
    sys.exit(main())
