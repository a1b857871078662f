#!/usr/bin/env bash
# creds-binding-test.sh: CREATE options never steer credentials (docs/s3.md).
#
# A loopback recording server (scripts/s3/recorder.py: TLS with a certificate
# made here and trusted through AWS_CA_BUNDLE, or plain HTTP) keeps every byte
# it is sent. With AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
# AWS_SESSION_TOKEN set, CREATE statements with hostile region=, endpoint=,
# bucket/prefix, allow_http, virtual_hosted_style and environment values try
# to reach it:
#
#  control: ...       the environment names the recorder (AWS_ENDPOINT, else
#                     AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL), with options that
#                     agree with it: it does get signed requests (so the recorder
#                     works and the other checks mean something)
#  <case>             the recorder receives no request at all, the statement fails,
#                     and neither the error nor anything else printed contains the
#                     key id, the secret or the session token
#  handles            (with the test servers of scripts/test.sh) slatedb_handles and
#                     the error of a refused endpoint do not show the credentials
#
# Prints PASS/FAIL/SKIP lines.
set -u
SQL_PRELOAD=${LD_PRELOAD:-}
unset LD_PRELOAD            # only the sqlite3 shell gets the sanitizer runtime
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SO=${SDB_SO:-$SRC/slatedb.so}
T=s3-creds-binding
W=$(mktemp -d "${TMPDIR:-/tmp}/sdbbind.XXXXXX")
RPID=""
cleanup() { [ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT

KEY=AKIDBINDTESTKEY7Q3Z
SECRET=bindtest/Secret+Value9XkQ
TOKEN=bindtest-session-token-Zq81
check() {   # check NAME STATUS DETAIL
  if [ "$2" = 0 ]; then echo "PASS $T $1"; else echo "FAIL $T $1: $3"; fi
}
# sq ENV... -- SQL: the sqlite3 shell with the extension; output in $W/out, status in RC.
sq() {
  local envs=(); while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
  printf '.load %s\n%s\n' "$SO" "$1" >"$W/in.sql"
  env LD_PRELOAD="$SQL_PRELOAD" "${envs[@]}" timeout 60 sqlite3 -batch -init /dev/null :memory: \
    <"$W/in.sql" >"$W/out" 2>&1
  RC=$?
}
leaks() { grep -qF -e "$KEY" -e "$SECRET" -e "$TOKEN" "$@"; }   # 0 if a secret shows

if ! command -v python3 >/dev/null || ! command -v openssl >/dev/null; then
  echo "SKIP $T: needs python3 and openssl"
  exit 0
fi
if ! openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/key.pem" -out "$W/cert.pem" -days 2 \
     -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1; then
  echo "FAIL $T: openssl could not make a test certificate"
  exit 1
fi
mkdir -p "$W/rec"
python3 "$SRC/scripts/s3/recorder.py" "$W/port" "$W/rec" "$W/cert.pem" "$W/key.pem" \
  >"$W/recorder.log" 2>&1 &
RPID=$!
for _ in $(seq 1 100); do [ -s "$W/port" ] && break; sleep 0.1; done
if [ ! -s "$W/port" ]; then
  echo "FAIL $T: the recording server did not start: $(tail -2 "$W/recorder.log")"
  exit 1
fi
PORT=$(cat "$W/port")
R="localhost:$PORT"
recorded() { cat "$W"/rec/conn-* 2>/dev/null; }
reset_rec() { rm -f "$W"/rec/*; }

# The environment every case starts from: credentials, the recorder's CA, no endpoint
# (credentials are then bound to AWS's own https://s3.<region>.amazonaws.com).
E=(AWS_ACCESS_KEY_ID="$KEY" AWS_SECRET_ACCESS_KEY="$SECRET" AWS_SESSION_TOKEN="$TOKEN"
   AWS_CA_BUNDLE="$W/cert.pem" AWS_ENDPOINT= AWS_ENDPOINT_URL= AWS_ENDPOINT_URL_S3= AWS_REGION=us-east-1
   AWS_DEFAULT_REGION= AWS_ALLOW_HTTP= AWS_VIRTUAL_HOSTED_STYLE_REQUEST= AWS_PROFILE=
   AWS_SHARED_CREDENTIALS_FILE=/nonexistent HOME="$W")
OPTS="mode=reader, request_timeout='3s', connect_timeout='1s'"

# ------------------------------------------------------------------ controls
# control NAME ENV... -- SQL-ARGS: the recorder must get signed requests.
control() {
  local name=$1; shift
  local envs=(); while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
  reset_rec
  sq "${E[@]}" "${envs[@]}" -- \
    "CREATE VIRTUAL TABLE temp.t USING slatedb($1); SELECT count(*) FROM t;"
  sleep 0.2
  recorded >"$W/got"
  grep -q "x-amz-security-token: $TOKEN" "$W/got" && grep -q "Credential=$KEY/" "$W/got" &&
    [ "$RC" -ne 0 ] && ! leaks "$W/out"
  check "control: $name" $? "status $RC, recorded $(wc -c <"$W/got") bytes: $(head -c 300 "$W/out")"
}
control "the environment's endpoint gets signed requests" AWS_ENDPOINT="https://$R" -- \
  "'s3://sdb-bind/db', $OPTS"
# The environment's endpoint: AWS_ENDPOINT, else AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL.
control "AWS_ENDPOINT_URL_S3 is preferred to AWS_ENDPOINT_URL" \
  AWS_ENDPOINT_URL_S3="https://$R" AWS_ENDPOINT_URL="https://127.0.0.2:9" -- "'s3://sdb-bind/db', $OPTS"
control "AWS_ENDPOINT is preferred to AWS_ENDPOINT_URL_S3" \
  AWS_ENDPOINT="https://$R" AWS_ENDPOINT_URL_S3="https://127.0.0.2:9" -- "'s3://sdb-bind/db', $OPTS"
control "endpoint option equal to AWS_ENDPOINT_URL_S3" AWS_ENDPOINT_URL_S3="https://$R" -- \
  "'s3://sdb-bind/db', endpoint='https://$R', $OPTS"
# Options that agree with the environment are accepted.
control "allow_http=true with AWS_ALLOW_HTTP=true" AWS_ENDPOINT="http://$R" AWS_ALLOW_HTTP=true -- \
  "'s3://sdb-bind/db', allow_http=true, $OPTS"
control "virtual_hosted_style=true with AWS_VIRTUAL_HOSTED_STYLE_REQUEST=true" \
  AWS_ENDPOINT="http://localhost:$PORT" AWS_ALLOW_HTTP=true AWS_VIRTUAL_HOSTED_STYLE_REQUEST=true -- \
  "'s3://sdb-bind/db', virtual_hosted_style=true, $OPTS"

# case NAME ENV... -- SQL-ARGS: a hostile CREATE; nothing may reach the recorder.
case_() {
  local name=$1; shift
  local envs=(); while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
  reset_rec
  sq "${E[@]}" "${envs[@]}" -- \
    "CREATE VIRTUAL TABLE temp.t USING slatedb($1); SELECT count(*) FROM t; SELECT * FROM slatedb_handles;"
  sleep 0.2
  recorded >"$W/got"
  local nconn; nconn=$(ls "$W/rec" | grep -c '^conn-[0-9]*$')
  [ "$nconn" = 0 ] && [ "$RC" -ne 0 ] && ! leaks "$W/out" "$W/got"
  check "$name" $? "status $RC, $nconn connection(s), $(wc -c <"$W/got") bytes recorded$(leaks "$W/got" && echo ' WITH CREDENTIALS'); output: $(head -c 300 "$W/out")"
}
# says NAME PATTERN: the last case's output matches PATTERN (grep -E).
says() { grep -qE "$2" "$W/out"; check "$1" $? "output: $(head -c 300 "$W/out")"; }

case_ "region option pasted into the AWS host name" -- \
  "'s3://sdb-bind/db', region='x@$R/', $OPTS"
case_ "region option with a path" -- \
  "'s3://sdb-bind/db', region='attacker.example/', $OPTS"
case_ "AWS_REGION from the environment" AWS_REGION="x@$R/" -- \
  "'s3://sdb-bind/db', $OPTS"
case_ "AWS_DEFAULT_REGION from the environment" AWS_REGION= AWS_DEFAULT_REGION="x@$R/" -- \
  "'s3://sdb-bind/db', $OPTS"
case_ "endpoint option other than the credentials' (AWS)" -- \
  "'s3://sdb-bind/db', endpoint='https://$R', $OPTS"
case_ "endpoint option other than AWS_ENDPOINT" AWS_ENDPOINT="https://127.0.0.2:9" -- \
  "'s3://sdb-bind/db', endpoint='https://$R', $OPTS"
case_ "endpoint option other than AWS_ENDPOINT_URL" AWS_ENDPOINT_URL="https://127.0.0.2:9" -- \
  "'s3://sdb-bind/db', endpoint='https://$R', $OPTS"
case_ "endpoint option with virtual_hosted_style" -- \
  "'s3://sdb-bind/db', endpoint='https://$R', virtual_hosted_style=true, $OPTS"
case_ "plain-http endpoint option with allow_http" -- \
  "'s3://sdb-bind/db', endpoint='http://$R', allow_http=true, $OPTS"
case_ "allow_http option under the environment's plain-http endpoint" AWS_ENDPOINT="http://$R" -- \
  "'s3://sdb-bind/db', allow_http=true, $OPTS"
says "... refused naming AWS_ALLOW_HTTP" "allow_http=true refused.*AWS_ALLOW_HTTP"
case_ "virtual_hosted_style option under the environment's endpoint" \
  AWS_ENDPOINT="http://localhost:$PORT" AWS_ALLOW_HTTP=true -- \
  "'s3://sdb-bind/db', virtual_hosted_style=true, $OPTS"
says "... refused naming AWS_VIRTUAL_HOSTED_STYLE_REQUEST" "virtual_hosted_style=true refused.*AWS_VIRTUAL_HOSTED_STYLE_REQUEST"
case_ "virtual_hosted_style=false against AWS_VIRTUAL_HOSTED_STYLE_REQUEST=true" \
  AWS_ENDPOINT="http://localhost:$PORT" AWS_ALLOW_HTTP=true AWS_VIRTUAL_HOSTED_STYLE_REQUEST=true -- \
  "'s3://sdb-bind/db', virtual_hosted_style=false, $OPTS"
case_ "endpoint option naming AWS_ENDPOINT_URL while AWS_ENDPOINT_URL_S3 is set" \
  AWS_ENDPOINT_URL="https://$R" AWS_ENDPOINT_URL_S3="https://127.0.0.2:9" -- \
  "'s3://sdb-bind/db', endpoint='https://$R', $OPTS"
case_ "endpoint option other than AWS_ENDPOINT_URL_S3" AWS_ENDPOINT_URL_S3="https://127.0.0.2:9" -- \
  "'s3://sdb-bind/db', endpoint='https://$R', $OPTS"
case_ "endpoint option with user information" -- \
  "'s3://sdb-bind/db', endpoint='https://$KEY:$SECRET@$R', $OPTS"
case_ "endpoint option with a path" -- \
  "'s3://sdb-bind/db', endpoint='https://$R/x', $OPTS"
case_ "endpoint option with another scheme" -- \
  "'s3://sdb-bind/db', endpoint='ftp://$R', $OPTS"
case_ "endpoint option with a query" -- \
  "'s3://sdb-bind/db', endpoint='https://$R?X-Amz-Security-Token=$TOKEN', $OPTS"
case_ "AWS_ENDPOINT with user information (never echoed)" AWS_ENDPOINT="https://$KEY:$SECRET@$R" -- \
  "'s3://sdb-bind/db', $OPTS"
case_ "bucket with user information" -- \
  "'s3://$KEY:$SECRET@$R/db', $OPTS"
case_ "bucket that is a host name with a port" -- \
  "'s3://$R/db', virtual_hosted_style=true, $OPTS"
case_ "bucket with a leading dot under virtual_hosted_style" -- \
  "'s3://.localhost/db', virtual_hosted_style=true, $OPTS"
case_ "prefix with .. segments" AWS_ENDPOINT="https://127.0.0.2:9" -- \
  "'s3://sdb-bind/../../x', $OPTS"

# ------------------------------------------------------------------ handles (test servers)
if [ -z "${SDB_TEST_PROXY:-}" ]; then
  echo "SKIP $T handles: no S3 test servers (run through make test)"
else
  curl -s -X PUT "$SDB_TEST_MOTO/sdb-bind2" >/dev/null
  sq -- "CREATE VIRTUAL TABLE temp.t USING slatedb('s3://sdb-bind2/db', mode=writer); INSERT INTO t VALUES('k','v');
SELECT * FROM slatedb_handles; SELECT * FROM t;
CREATE VIRTUAL TABLE temp.u USING slatedb('s3://sdb-bind2/db', endpoint='$SDB_TEST_MOTO', mode=reader);"
  S=("$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY")
  [ -n "${AWS_SESSION_TOKEN:-}" ] && S+=("$AWS_SESSION_TOKEN")
  found=0
  for v in "${S[@]}"; do grep -qF -- "$v" "$W/out" && found=1; done
  grep -q '^k|v$' "$W/out" && grep -q "is not http://127.0.0.1" "$W/out" && [ "$found" = 0 ]
  check "handles: slatedb_handles and a refused endpoint show no credentials" $? \
    "found=$found: $(head -c 400 "$W/out")"
fi
