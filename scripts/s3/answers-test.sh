#!/usr/bin/env bash
# answers-test.sh: hostile S3 answers, through SQL, from a loopback TLS server
# (scripts/s3/recorder.py with canned answers; certificate made here, trusted
# through AWS_CA_BUNDLE).
#
#  range-wrap   a ranged GET answered "206, Content-Range: bytes 0-18446744073709551615/*"
#               with an empty body: not taken as the object (last - first + 1 once wrapped
#               to 0); the read is retried until request_timeout and fails naming a
#               truncated body
#  token-loop   a listing page that is truncated and hands back the token just sent: the
#               listing fails at once instead of looping
#
# Prints PASS/FAIL/SKIP lines.
set -u
SQL_PRELOAD=${LD_PRELOAD:-}
unset LD_PRELOAD            # only the sqlite3 shell gets the sanitizer runtime
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SO=${SDB_SO:-$SRC/slatedb.so}
T=s3-answers
W=$(mktemp -d "${TMPDIR:-/tmp}/sdbans.XXXXXX")
RPID=""
stop() { [ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null; RPID=""; }
trap 'stop; rm -rf "$W"' EXIT
check() { if [ "$2" = 0 ]; then echo "PASS $T $1"; else echo "FAIL $T $1: $3"; fi; }
sq() {   # sq SQL: the shell against the recorder; output in $W/out, status in RC
  printf '.load %s\n%s\n' "$SO" "$1" >"$W/in.sql"
  env LD_PRELOAD="$SQL_PRELOAD" AWS_ENDPOINT="https://localhost:$PORT" AWS_ENDPOINT_URL= \
    AWS_CA_BUNDLE="$W/cert.pem" AWS_ACCESS_KEY_ID=k AWS_SECRET_ACCESS_KEY=s AWS_SESSION_TOKEN= \
    AWS_REGION=us-east-1 AWS_ALLOW_HTTP= timeout 60 sqlite3 -batch -init /dev/null :memory: \
    <"$W/in.sql" >"$W/out" 2>&1
  RC=$?
}
# serve ANSWERS-JSON: (re)start the recorder with these answers; sets PORT.
serve() {
  stop
  printf '%s' "$1" >"$W/answers.json"
  rm -f "$W/port"; rm -rf "$W/rec"; mkdir -p "$W/rec"
  python3 "$SRC/scripts/s3/recorder.py" "$W/port" "$W/rec" "$W/cert.pem" "$W/key.pem" \
    "$W/answers.json" >"$W/recorder.log" 2>&1 &
  RPID=$!
  for _ in $(seq 1 100); do [ -s "$W/port" ] && break; sleep 0.1; done
  PORT=$(cat "$W/port" 2>/dev/null)
}
http() {   # http STATUS HEADERS BODY: a raw answer as a JSON string
  python3 -c 'import json,sys; st,h,b=sys.argv[1:4]; print(json.dumps("HTTP/1.1 %s\r\n%sContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (st, h, len(b.encode()), b)))' "$1" "$2" "$3"
}

if ! command -v python3 >/dev/null || ! command -v openssl >/dev/null; then
  echo "SKIP $T: needs python3 and openssl"; exit 0
fi
if ! openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/key.pem" -out "$W/cert.pem" -days 2 \
     -subj /CN=localhost -addext "subjectAltName=DNS:localhost" >/dev/null 2>&1; then
  echo "FAIL $T: openssl could not make a test certificate"; exit 1
fi

LIST='<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>db/manifest/00000000000000000001.manifest</Key><Size>100</Size><LastModified>2024-01-01T00:00:00.000Z</LastModified></Contents></ListBucketResult>'
serve "[[\"list-type=2\", $(http "200 OK" 'Content-Type: application/xml\r\n' "$LIST")],
        [\"GET /sdb-ans/db/manifest/\", $(http "206 Partial Content" 'Content-Range: bytes 0-18446744073709551615/*\r\n' '')]]"
sq "CREATE VIRTUAL TABLE temp.t USING slatedb('s3://sdb-ans/db', mode=reader, request_timeout='2s'); SELECT count(*) FROM t;"
grep -q 'truncated body' "$W/out" && [ "$RC" -ne 0 ]
check "range-wrap: an empty 206 body with a wrapped range is not the object" $? \
  "status $RC: $(head -c 300 "$W/out")"

LOOP='<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>t1</NextContinuationToken></ListBucketResult>'
serve "[[\"continuation-token=t1\", $(http "200 OK" 'Content-Type: application/xml\r\n' "$LOOP")],
        [\"list-type=2\", $(http "200 OK" 'Content-Type: application/xml\r\n' "$LOOP")]]"
sq "CREATE VIRTUAL TABLE temp.t USING slatedb('s3://sdb-ans/db', mode=reader, request_timeout='2s'); SELECT count(*) FROM t;"
n=$(ls "$W/rec" | grep -c '^conn-[0-9]*$')
grep -q 'continuation' "$W/out" && [ "$RC" -ne 0 ] && [ "$n" -le 3 ]
check "token-loop: a listing that repeats its token fails ($n requests)" $? \
  "status $RC, $n requests: $(head -c 300 "$W/out")"
