#!/usr/bin/env bash
# selftest.sh: proves the S3 test infrastructure (scripts/s3/) works: moto starts,
# the proxy keeps connections alive, verifies SigV4 strictly the way AWS does,
# and injects every kind of fault its rules offer.
#
# Prints one "PASS <name>" / "FAIL <name>: why" line per check, or
# "SKIP s3-selftest: <reason>" when moto cannot start. Exits 1 if a check
# failed. moto and the proxy are always stopped (by PID) at the end.
# Runs in about 4 s. SDB_KEEP_S3DIR=1 keeps the work folder (moto.log,
# proxy.log) for inspection.
unset SDB_TEST_SESSION_TOKEN AWS_SESSION_TOKEN   # the self-test signs its own requests
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

DIR=$(mktemp -d "${TMPDIR:-/tmp}/s3selftest.XXXXXX") || { echo "FAIL s3-selftest: mktemp"; exit 1; }
cleanup() {
  s3_stop "$DIR"
  if [ "${SDB_KEEP_S3DIR:-0}" = 1 ]; then echo "kept $DIR" >&2; else rm -rf "$DIR"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! s3_start "$DIR" 2>/dev/null; then
  echo "SKIP s3-selftest: ${S3_ERROR:-moto could not start}"
  exit 0
fi
echo "PASS s3-start (moto $SDB_TEST_MOTO, proxy $SDB_TEST_PROXY)"

if s3_make_bucket selftest-bash && s3_rules '[{"path":"^/nothing","status":500}]' &&
   s3_stats | grep -q '"rules": \[{"fired": 0, "matched": 0}\]' && s3_reset &&
   [ "$(s3_stat sigv4_fail)" = 0 ] && s3_moto_reset; then
  echo "PASS lib-helpers"
else
  echo "FAIL lib-helpers: s3_make_bucket/s3_rules/s3_stats/s3_reset/s3_stat/s3_moto_reset"
fi

PYTHONDONTWRITEBYTECODE=1 "$S3_PYTHON" - "$HERE" "$DIR" <<'PYEOF'
import hashlib, http.client, json, os, socket, subprocess, sys, time
from urllib.parse import urlsplit

sys.path.insert(0, sys.argv[1])
import sigv4_client as sv

DIR = sys.argv[2]
EP = urlsplit(os.environ["AWS_ENDPOINT"])
MOTO = urlsplit(os.environ["SDB_TEST_MOTO"])
PH, PP = EP.hostname, EP.port
HOST = f"{PH}:{PP}"
KEY, SECRET = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
BKT = "selftest-raw"
failures = 0


def report(name, ok, why=""):
    global failures
    if ok:
        print(f"PASS {name}", flush=True)
    else:
        failures += 1
        print(f"FAIL {name}: {why}", flush=True)


def check(name):
    """Decorator: run the function now; it returns None/True (pass) or a reason string."""
    def run(fn):
        try:
            r = fn()
            report(name, r is None or r is True, r if isinstance(r, str) else "check failed")
        except Exception as e:
            report(name, False, f"{type(e).__name__}: {e}")
        return fn
    return run


def ctl(method, path, body=None, conn=None):
    c = conn or http.client.HTTPConnection(PH, PP, timeout=10)
    c.request(method, path, body=body)
    r = c.getresponse()
    data = r.read()
    if conn is None:
        c.close()
    return r.status, json.loads(data) if data else None


def stats(conn=None):
    return ctl("GET", "/__proxy/stats", conn=conn)[1]


def rules(spec, seed=None):
    st, resp = ctl("POST", "/__proxy/rules" + (f"?seed={seed}" if seed is not None else ""),
                   json.dumps(spec))
    assert st == 200, f"setting rules failed: {st} {resp}"


def req(method, target, body=b"", extra=None, conn=None, timeout=10, **kw):
    hdrs = sv.signed_headers(method, target, HOST, body, key=kw.pop("key", KEY),
                             secret=kw.pop("secret", SECRET), region="us-east-1",
                             extra=extra, **kw)
    st, rh, data, c = sv.send(PH, PP, method, target, hdrs, body, conn=conn, timeout=timeout)
    if conn is None:
        c.close()
    return st, dict((k.lower(), v) for k, v in rh), data


def code_of(data):
    s = data.decode("utf-8", "replace")
    a, b = s.find("<Code>"), s.find("</Code>")
    return s[a + 6:b] if a >= 0 and b > a else s[:80]


def expect(st, data, want_status, want_code):
    if st != want_status or (want_code and code_of(data) != want_code):
        return f"got {st} {code_of(data)}, want {want_status} {want_code}"
    return None


# ----------------------------------------------------------------- boto3
try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError
    HAVE_BOTO = True
except Exception as e:
    HAVE_BOTO = False
    print(f"SKIP boto3-checks: boto3 not importable: {e}", flush=True)

KEYS = ["a/b c", "a/b+c", "a/b=c", "a/b%c", "a/é", "a/~!*'()"]
if HAVE_BOTO:
    cfg = Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                 retries={"max_attempts": 1, "mode": "standard"},
                 connect_timeout=5, read_timeout=10)

    def client(secret=SECRET):
        return boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT"], region_name="us-east-1",
                            aws_access_key_id=KEY, aws_secret_access_key=secret, config=cfg)

    s3 = client()
    fail0 = stats()["sigv4_fail"]

    @check("boto3-create-bucket")
    def _():
        s3.create_bucket(Bucket="selftest-boto")

    for i, k in enumerate(KEYS):
        @check(f"boto3-put-get-head[{k}]")
        def _():
            body = f"value {i} of {k}".encode()
            s3.put_object(Bucket="selftest-boto", Key=k, Body=body)
            got = s3.get_object(Bucket="selftest-boto", Key=k)["Body"].read()
            if got != body:
                return f"GET returned {got!r}"
            h = s3.head_object(Bucket="selftest-boto", Key=k)
            if h["ContentLength"] != len(body):
                return f"HEAD length {h['ContentLength']}"

    @check("boto3-list-prefix-pagination")
    def _():
        for j in range(3):
            s3.put_object(Bucket="selftest-boto", Key=f"other/{j}", Body=b"x")
        seen, pages, token = [], 0, None
        while True:
            kw = {"Bucket": "selftest-boto", "Prefix": "a/", "MaxKeys": 2}
            if token:
                kw["ContinuationToken"] = token
            r = s3.list_objects_v2(**kw)
            pages += 1
            seen += [o["Key"] for o in r.get("Contents", [])]
            if not r.get("IsTruncated"):
                break
            token = r["NextContinuationToken"]
        if sorted(seen) != sorted(KEYS):
            return f"listed {seen}"
        if pages != 3:
            return f"{pages} pages, want 3"

    @check("boto3-delete")
    def _():
        for k in KEYS + [f"other/{j}" for j in range(3)]:
            s3.delete_object(Bucket="selftest-boto", Key=k)
        s3.delete_object(Bucket="selftest-boto", Key="never-existed")
        left = s3.list_objects_v2(Bucket="selftest-boto").get("KeyCount", 0)
        if left:
            return f"{left} keys left"

    @check("boto3-sigv4-clean")
    def _():
        n = stats()["sigv4_fail"] - fail0
        if n:
            return f"sigv4_fail rose by {n} for correct boto3 requests (see proxy.log)"

    @check("boto3-wrong-secret-403")
    def _():
        try:
            client("wrong-secret").get_object(Bucket="selftest-boto", Key="x")
            return "request succeeded"
        except ClientError as e:
            c, st = e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
            if (st, c) != (403, "SignatureDoesNotMatch"):
                return f"got {st} {c}"

# ----------------------------------------------------------------- own signer
fail0 = stats()["sigv4_fail"]
expected_fail = 0


@check("raw-create-bucket")
def _():
    st, h, d = req("PUT", f"/{BKT}")
    return expect(st, d, 200, None)


@check("raw-put-get-encoded-key")
def _():
    t = f"/{BKT}/" + sv.aws_encode("dir/obj one+=%é.txt", True)
    st, h, d = req("PUT", t, b"hello world")
    if st != 200:
        return f"PUT {st} {code_of(d)}"
    st, h, d = req("GET", t)
    if (st, d) != (200, b"hello world"):
        return f"GET {st} {d[:60]!r}"


@check("raw-list-prefix-with-slash")
def _():
    t = f"/{BKT}?" + sv.canonical_query({"list-type": "2", "prefix": "dir/obj one"})
    st, h, d = req("GET", t)
    if st != 200 or b"<KeyCount>1</KeyCount>" not in d:
        return f"{st} {d[:200]!r}"


@check("raw-unsigned-payload")
def _():
    st, h, d = req("PUT", f"/{BKT}/unsigned", b"data", payload_hash="UNSIGNED-PAYLOAD")
    return expect(st, d, 200, None)


@check("raw-header-whitespace-collapsed")
def _():
    st, h, d = req("PUT", f"/{BKT}/ws", b"x", extra=[("x-amz-meta-note", "a   b \t c")])
    if st != 200:
        return f"{st} {code_of(d)}"
    st, h, d = req("HEAD", f"/{BKT}/ws")
    if st != 200 or "x-amz-meta-note" not in h:
        return f"HEAD {st} {h}"


def bad(name, status, code, method, target, body=b"", **kw):
    global expected_fail
    expected_fail += 1

    @check(name)
    def _():
        st, h, d = req(method, target, body, **kw)
        return expect(st, d, status, code)


bad("sigv4-wrong-secret-403", 403, "SignatureDoesNotMatch", "GET", f"/{BKT}/unsigned",
    secret="nope")
bad("sigv4-wrong-access-key-403", 403, "InvalidAccessKeyId", "GET", f"/{BKT}/unsigned",
    key="someone-else")
bad("sigv4-missing-content-sha256-400", 400, "InvalidRequest", "GET", f"/{BKT}/unsigned",
    send_payload_header=False)
bad("sigv4-wrong-body-hash-400", 400, "XAmzContentSHA256Mismatch", "PUT", f"/{BKT}/h", b"body",
    payload_hash=hashlib.sha256(b"other body").hexdigest())
bad("sigv4-upper-case-hash-400", 400, "InvalidArgument", "PUT", f"/{BKT}/h", b"body",
    payload_hash=hashlib.sha256(b"body").hexdigest().upper())
bad("sigv4-unsorted-query-403", 403, "SignatureDoesNotMatch", "GET",
    f"/{BKT}?prefix=dir&list-type=2")
bad("sigv4-raw-slash-in-query-403", 403, "SignatureDoesNotMatch", "GET",
    f"/{BKT}?list-type=2&prefix=dir/obj")
bad("sigv4-param-without-equals-403", 403, "SignatureDoesNotMatch", "GET", f"/{BKT}?location")
bad("sigv4-lower-case-pct-in-path-403", 403, "SignatureDoesNotMatch", "GET", f"/{BKT}/dir%2fobj")
bad("sigv4-raw-plus-in-path-403", 403, "SignatureDoesNotMatch", "GET", f"/{BKT}/a+b")
bad("sigv4-over-encoded-path-403", 403, "SignatureDoesNotMatch", "GET", f"/{BKT}/%61bc")
bad("sigv4-signed-header-not-sent-403", 403, "SignatureDoesNotMatch", "GET", f"/{BKT}/unsigned",
    unsent={"x-amz-meta-ghost": "1"})
bad("sigv4-amz-header-not-signed-403", 403, "AccessDenied", "PUT", f"/{BKT}/m", b"x",
    extra=[("x-amz-meta-slatedbputid", "01ABC")],
    signed=["content-length", "host", "x-amz-content-sha256", "x-amz-date"])
bad("sigv4-token-not-signed-403", 403, "AccessDenied", "GET", f"/{BKT}/unsigned",
    extra=[("x-amz-security-token", "tok")],
    signed=["host", "x-amz-content-sha256", "x-amz-date"])
bad("sigv4-unexpected-token-403", 403, "InvalidToken", "GET", f"/{BKT}/unsigned", token="tok")
bad("sigv4-clock-skew-403", 403, "RequestTimeTooSkewed", "GET", f"/{BKT}/unsigned",
    amzdate=time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - 3600)))


@check("sigv4-wrong-region-400")
def _():
    global expected_fail
    expected_fail += 1
    t = f"/{BKT}/unsigned"
    hdrs = sv.signed_headers("GET", t, HOST, b"", key=KEY, secret=SECRET, region="eu-west-1")
    st, rh, d, c = sv.send(PH, PP, "GET", t, hdrs)
    c.close()
    return expect(st, d, 400, "AuthorizationHeaderMalformed")


@check("sigv4-scope-date-mismatch-400")
def _():
    global expected_fail
    expected_fail += 1
    t = f"/{BKT}/unsigned"
    hdrs = sv.signed_headers("GET", t, HOST, b"", key=KEY, secret=SECRET)
    today = [v for k, v in hdrs if k == "x-amz-date"][0][:8]
    hdrs = [(k, v.replace(f"/{today}/", "/20200101/") if k == "Authorization" else v)
            for k, v in hdrs]
    st, rh, d, c = sv.send(PH, PP, "GET", t, hdrs)
    c.close()
    return expect(st, d, 400, "AuthorizationHeaderMalformed")


@check("sigv4-query-sent-unsorted-signed-sorted-200")
def _():
    # AWS sorts the query itself: boto3 sends list-type=2&prefix=..&max-keys=.. unsorted.
    t = f"/{BKT}?prefix=dir&list-type=2"
    amz = sv.amz_now()
    hdrs = [("Host", HOST), ("x-amz-date", amz), ("x-amz-content-sha256", sv.EMPTY_SHA256)]
    auth = sv.authorization("GET", f"/{BKT}", "list-type=2&prefix=dir", hdrs, sv.EMPTY_SHA256,
                            KEY, SECRET, "us-east-1", amz)
    st, rh, d, c = sv.send(PH, PP, "GET", t, hdrs + [("Authorization", auth)])
    c.close()
    return expect(st, d, 200, None)


@check("sigv4-no-authorization-403")
def _():
    global expected_fail
    expected_fail += 1
    st, rh, d, c = sv.send(PH, PP, "GET", f"/{BKT}/unsigned", [("Host", HOST)])
    c.close()
    return expect(st, d, 403, "AccessDenied")


@check("sigv4-error-has-canonical-request")
def _():
    global expected_fail
    expected_fail += 1
    st, h, d = req("GET", f"/{BKT}/unsigned", secret="nope")
    if b"<CanonicalRequest>GET\n/selftest-raw/unsigned\n" not in d or b"<StringToSign>" not in d:
        return f"error body lacks CanonicalRequest/StringToSign: {d[:300]!r}"


@check("sigv4-fail-counted")
def _():
    n = stats()["sigv4_fail"] - fail0
    if n != expected_fail:
        return f"sigv4_fail rose by {n}, want {expected_fail}"

# ----------------------------------------------------------------- HTTP handling


@check("http-expect-100-continue")
def _():
    t = f"/{BKT}/expect"
    body = b"E" * 5000
    hdrs = sv.signed_headers("PUT", t, HOST, body, key=KEY, secret=SECRET,
                             extra=[("Expect", "100-continue")])
    s = socket.create_connection((PH, PP), timeout=5)
    s.sendall((f"PUT {t} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs)
               + "\r\n").encode())
    first = s.recv(4096)
    if not first.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"):
        return f"no 100 Continue first: {first[:60]!r}"
    s.sendall(body)
    rest = first[len(b"HTTP/1.1 100 Continue\r\n\r\n"):]
    while b"\r\n\r\n" not in rest:
        rest += s.recv(4096)
    s.close()
    if not rest.startswith(b"HTTP/1.1 200"):
        return f"final answer {rest[:60]!r}"
    st, h, d = req("GET", t)
    if d != body:
        return "stored body differs"


@check("http-chunked-request-501")
def _():
    t = f"/{BKT}/chunked"
    hdrs = sv.signed_headers("PUT", t, HOST, b"abc", key=KEY, secret=SECRET, content_length=False,
                             extra=[("Transfer-Encoding", "chunked")])
    s = socket.create_connection((PH, PP), timeout=5)
    s.sendall((f"PUT {t} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs)
               + "\r\n3\r\nabc\r\n0\r\n\r\n").encode())
    data = b""
    while True:
        x = s.recv(4096)
        if not x:
            break
        data += x
    s.close()
    if not data.startswith(b"HTTP/1.1 501") or b"<Code>NotImplemented</Code>" not in data:
        return f"got {data[:120]!r}"


@check("http-if-none-match-412")
def _():
    st, h, d = req("PUT", f"/{BKT}/unsigned", b"again", extra=[("If-None-Match", "*")])
    return expect(st, d, 412, "PreconditionFailed")


@check("http-range-206")
def _():
    st, h, d = req("GET", f"/{BKT}/expect", extra=[("Range", "bytes=10-19")])
    if st != 206 or d != b"E" * 10 or not h.get("content-range", "").startswith("bytes 10-19/"):
        return f"{st} {h.get('content-range')} {len(d)}"


@check("http-delete-missing-204")
def _():
    st, h, d = req("DELETE", f"/{BKT}/does-not-exist")
    return expect(st, d, 204, None)


@check("keepalive-one-connection")
def _():
    c = http.client.HTTPConnection(PH, PP, timeout=10)
    s0 = stats(conn=c)
    sock = c.sock
    body = b"K" * 1234
    out = []
    out.append(req("PUT", f"/{BKT}/ka", body, conn=c)[0])
    st, h, d = req("HEAD", f"/{BKT}/ka", conn=c)
    out.append(st)
    if h.get("content-length") != "1234" or d:
        return f"HEAD: content-length {h.get('content-length')}, body {len(d)} bytes"
    st, h, d = req("GET", f"/{BKT}/ka", conn=c)
    out.append(st)
    if d != body:
        return "GET after HEAD on the same connection returned the wrong body"
    out.append(req("GET", f"/{BKT}?list-type=2&prefix=ka", conn=c)[0])
    out.append(req("DELETE", f"/{BKT}/ka", conn=c)[0])
    out.append(req("GET", f"/{BKT}/ka", conn=c)[0])
    s1 = stats(conn=c)
    if c.sock is not sock:
        return "the client had to reconnect"
    c.close()
    if out != [200, 200, 200, 200, 204, 404]:
        return f"statuses {out}"
    if s1["connections"] != s0["connections"]:
        return f"{s1['connections'] - s0['connections']} new connections"


@check("keepalive-connection-close-honoured")
def _():
    t = f"/{BKT}/unsigned"
    hdrs = sv.signed_headers("GET", t, HOST, b"", key=KEY, secret=SECRET)
    s = socket.create_connection((PH, PP), timeout=5)
    s.sendall((f"GET {t} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs)
               + "Connection: close\r\n\r\n").encode())
    data = b""
    while True:
        x = s.recv(4096)
        if not x:
            break
        data += x
    s.close()
    if not data.startswith(b"HTTP/1.1 200") or b"Connection: close" not in data:
        return f"got {data[:100]!r}"

# ----------------------------------------------------------------- fault rules
ctl("POST", "/__proxy/reset")
obj = bytes(range(256)) * 4          # 1024 bytes
st, _, _ = req("PUT", f"/{BKT}/obj", obj)
assert st == 200


@check("rule-status-503")
def _():
    rules([{"method": "GET", "path": "/obj$", "status": 503, "times": 1}])
    a = req("GET", f"/{BKT}/obj")
    b = req("GET", f"/{BKT}/obj")
    if a[0] != 503 or code_of(a[2]) != "SlowDown":
        return f"first GET {a[0]} {code_of(a[2])}"
    if b[0] != 200 or b[2] != obj:
        return f"second GET {b[0]}"
    if stats()["faults"].get("status_503") != 1:
        return f"faults {stats()['faults']}"


@check("rule-after-forward-applies-write")
def _():
    rules([{"method": "PUT", "status": 500, "after_forward": True, "times": 1}])
    st, h, d = req("PUT", f"/{BKT}/af", b"applied", extra=[("x-amz-meta-slatedbputid", "01SELFTESTPUTID")])
    if st != 500 or code_of(d) != "InternalError":
        return f"PUT answered {st} {code_of(d)}"
    st, h, d = req("GET", f"/{BKT}/af")
    if (st, d) != (200, b"applied"):
        return f"object not stored: {st} {d[:60]!r}"


def expect_no_answer(method, target, body=b""):
    try:
        st, h, d = req(method, target, body, timeout=5)
        return f"got an answer {st}"
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
            http.client.BadStatusLine):
        return None


@check("rule-drop-before")
def _():
    rules([{"method": "PUT", "drop": "before", "times": 1}])
    r = expect_no_answer("PUT", f"/{BKT}/db", b"never")
    if r:
        return r
    st, h, d = req("GET", f"/{BKT}/db")
    if st != 404:
        return f"object exists after drop before forwarding ({st})"


@check("rule-drop-after")
def _():
    rules([{"method": "PUT", "drop": "after", "times": 1}])
    r = expect_no_answer("PUT", f"/{BKT}/da", b"stored anyway")
    if r:
        return r
    st, h, d = req("GET", f"/{BKT}/da")
    if (st, d) != (200, b"stored anyway"):
        return f"object not stored: {st}"


@check("rule-drop-mid-body")
def _():
    rules([{"method": "GET", "path": "/obj$", "drop": "mid_body", "times": 1}])
    t = f"/{BKT}/obj"
    hdrs = sv.signed_headers("GET", t, HOST, b"", key=KEY, secret=SECRET)
    c = http.client.HTTPConnection(PH, PP, timeout=5)
    c.putrequest("GET", t, skip_host=True, skip_accept_encoding=True)
    for k, v in hdrs:
        c.putheader(k, v)
    c.endheaders()
    r = c.getresponse()
    if r.status != 200 or r.getheader("Content-Length") != str(len(obj)):
        return f"headers: {r.status} {r.getheader('Content-Length')}"
    try:
        d = r.read()
        return f"read the whole body ({len(d)} bytes)"
    except http.client.IncompleteRead as e:
        if e.partial != obj[:len(obj) // 2]:
            return f"partial body {len(e.partial)} bytes"
    finally:
        c.close()


@check("rule-hang-client-times-out")
def _():
    rules([{"method": "GET", "path": "/obj$", "hang": True, "times": 1}])
    t0 = time.monotonic()
    try:
        req("GET", f"/{BKT}/obj", timeout=0.5)
        return "got an answer"
    except (TimeoutError, socket.timeout):
        pass
    el = time.monotonic() - t0
    if el < 0.45:
        return f"gave up after {el:.2f} s"
    if stats()["faults"].get("hang") != 1:
        return f"faults {stats()['faults']}"
    st, h, d = req("GET", f"/{BKT}/obj")
    if st != 200:
        return f"next GET {st}"


@check("rule-short-body")
def _():
    rules([{"method": "GET", "path": "/obj$", "short_body": True, "times": 2}])
    st, h, d = req("GET", f"/{BKT}/obj")
    if st != 200 or d != obj[:512] or h.get("content-length") != "512":
        return f"{st} len {len(d)} content-length {h.get('content-length')}"
    st, h, d = req("GET", f"/{BKT}/obj", extra=[("Range", "bytes=0-99")])
    if st != 206 or d != obj[:50]:
        return f"ranged: {st} len {len(d)}"


@check("rule-delay")
def _():
    rules([{"method": "GET", "path": "/obj$", "delay_ms": 300, "jitter_ms": 50, "times": 1}])
    t0 = time.monotonic()
    st, h, d = req("GET", f"/{BKT}/obj")
    el = time.monotonic() - t0
    if st != 200 or d != obj:
        return f"status {st}"
    if not 0.3 <= el < 1.5:
        return f"took {el:.3f} s"
    t0 = time.monotonic()
    req("GET", f"/{BKT}/obj")
    if time.monotonic() - t0 > 0.25:
        return "the second request was delayed too (times=1)"


@check("rule-times-skip")
def _():
    rules([{"path": "/obj$", "status": 503, "skip": 2, "times": 2}])
    got = [req("GET", f"/{BKT}/obj")[0] for _ in range(6)]
    if got != [200, 200, 503, 503, 200, 200]:
        return f"statuses {got}"


@check("rule-prob-seeded")
def _():
    spec = [{"path": "/obj$", "status": 503, "prob": 0.5}]
    runs = []
    for _ in range(2):
        rules(spec, seed=42)
        runs.append([req("HEAD", f"/{BKT}/obj")[0] for _ in range(40)])
    n = runs[0].count(503)
    if runs[0] != runs[1]:
        return "the same seed gave different patterns"
    if not 8 <= n <= 32:
        return f"{n}/40 fired at prob 0.5"
    rules(spec, seed=7)
    other = [req("HEAD", f"/{BKT}/obj")[0] for _ in range(40)]
    if other == runs[0]:
        return "a different seed gave the same pattern"


@check("rule-method-header-match")
def _():
    rules([{"method": "PUT", "header": "If-None-Match", "status": 503}])
    a = req("PUT", f"/{BKT}/plain", b"1")[0]
    b = req("PUT", f"/{BKT}/cond", b"1", extra=[("If-None-Match", "*")])[0]
    c = req("GET", f"/{BKT}/plain")[0]
    if (a, b, c) != (200, 503, 200):
        return f"statuses {(a, b, c)}"


@check("rule-first-match-order")
def _():
    rules([{"path": "/obj$", "status": 500, "times": 1},
           {"status": 503, "code": "ConditionalRequestConflict", "times": 1}])
    a = req("GET", f"/{BKT}/obj")
    b = req("GET", f"/{BKT}/obj")
    c = req("GET", f"/{BKT}/obj")
    got = [(a[0], code_of(a[2])), (b[0], code_of(b[2])), c[0]]
    if got != [(500, "InternalError"), (503, "ConditionalRequestConflict"), 200]:
        return f"got {got}"
    r = stats()["rules"]
    if [x["fired"] for x in r] != [1, 1]:
        return f"rule counters {r}"


@check("rule-control-endpoints")
def _():
    spec = [{"method": "GET", "status": 500, "times": 0}]
    rules(spec)
    st, got = ctl("GET", "/__proxy/rules")
    if got != spec:
        return f"GET rules returned {got}"
    st, err = ctl("POST", "/__proxy/rules", json.dumps([{"stauts": 500}]))
    if st != 400:
        return f"a misspelled field was accepted ({st})"
    st, err = ctl("POST", "/__proxy/rules", "not json")
    if st != 400:
        return f"invalid JSON accepted ({st})"
    st, _ = ctl("POST", "/__proxy/reset")
    s = stats()
    if st != 200 or s["requests"] != 0 or s["faults"] or s["rules"] or s["sigv4_fail"]:
        return f"after reset: {s}"
    for k in ("requests", "by_method", "faults", "sigv4_fail"):
        if k not in s:
            return f"stats lacks {k}"
    if ctl("GET", "/__proxy/nothing")[0] != 404:
        return "unknown control path not 404"

# ----------------------------------------------------------------- robustness


@check("robust-client-disconnects")
def _():
    for chunk in (b"GET /selftest-raw/obj HTTP/1.1\r\nHost: x",
                  b"PUT /selftest-raw/half HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123",
                  b"\x00\xff garbage\r\n\r\n"):
        s = socket.create_connection((PH, PP), timeout=5)
        s.sendall(chunk)
        s.close()
    rules([{"path": "/obj$", "hang": True, "times": 1},
           {"path": "/obj$", "drop": "mid_body", "times": 1}])
    for _ in range(2):
        s = socket.create_connection((PH, PP), timeout=5)
        hdrs = sv.signed_headers("GET", f"/{BKT}/obj", HOST, b"", key=KEY, secret=SECRET)
        s.sendall((f"GET /{BKT}/obj HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs)
                   + "\r\n").encode())
        time.sleep(0.05)
        s.close()
    time.sleep(0.1)
    st, h, d = req("GET", f"/{BKT}/obj")
    if st != 200 or d != obj:
        return f"proxy unhealthy after disconnects: {st}"


@check("robust-bad-request-line-400")
def _():
    s = socket.create_connection((PH, PP), timeout=5)
    s.sendall(b"NONSENSE\r\n\r\n")
    data = s.recv(4096)
    s.close()
    if not data.startswith(b"HTTP/1.1 400"):
        return f"got {data[:60]!r}"


@check("robust-upstream-down-502")
def _():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    dead = probe.getsockname()[1]
    probe.close()
    p = subprocess.Popen([sys.executable, os.path.join(sys.argv[1], "s3proxy.py"),
                          "--upstream", f"127.0.0.1:{dead}"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    try:
        port = int(p.stdout.readline())
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/bkt/key")
        r = c.getresponse()
        d = r.read()
        c.request("GET", "/bkt/key2")    # the connection survives a 502
        r2 = c.getresponse()
        r2.read()
        c.close()
        if r.status != 502 or code_of(d) != "BadGateway" or r2.status != 502:
            return f"got {r.status} {code_of(d)}, then {r2.status}"
    finally:
        p.terminate()
        p.wait(5)


@check("request-log")
def _():
    log = open(os.path.join(DIR, "proxy.log"), encoding="utf-8", errors="replace").read()
    for want in ("putid=01SELFTESTPUTID", "fault=status_503", "fault=drop_mid_body",
                 "range=bytes=10-19", "inm=*", "fault=status_500_after_forward",
                 "sigv4=SignatureDoesNotMatch"):
        if want not in log:
            return f"proxy.log lacks {want!r}"

ctl("POST", "/__proxy/reset")
sys.exit(1 if failures else 0)
PYEOF
rc=$?
if [ $rc -ne 0 ]; then
  echo "--- proxy.err:" >&2; tail -n 20 "$DIR/proxy.err" >&2
fi
exit $rc
