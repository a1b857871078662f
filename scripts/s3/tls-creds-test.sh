#!/usr/bin/env bash
# tls-creds-test.sh: HTTPS certificate checks and the credentials file, through SQL.
#
#  tls-untrusted   moto over TLS with a self-signed certificate: without AWS_CA_BUNDLE the
#                  table fails at once with a certificate error naming the host and the CA
#                  bundle in use (never retried, never downgraded to plain HTTP)
#  tls-ca-bundle   with AWS_CA_BUNDLE naming the certificate: write, reopen, read back
#  tls-wrong-host  the certificate names localhost only: the same server reached as
#                  127.0.0.1 is refused (host name verification is on)
#  creds-file      no AWS_* credentials in the environment: ~/.aws/credentials [default] signs
#                  requests the strict proxy accepts; AWS_PROFILE picks another section; a
#                  wrong secret there gives SignatureDoesNotMatch
#
# Needs the servers of scripts/test.sh (SDB_TEST_PROXY, SDB_TEST_MOTO) for creds-file; starts
# its own TLS moto. Prints PASS/FAIL/SKIP lines.
set -u
SQL_PRELOAD=${LD_PRELOAD:-}
unset LD_PRELOAD            # only the sqlite3 shell gets the sanitizer runtime
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SO=${SDB_SO:-$SRC/slatedb.so}
T=s3-tls-creds
W=$(mktemp -d "${TMPDIR:-/tmp}/sdbtls.XXXXXX")
MPID=""
cleanup() { [ -n "$MPID" ] && kill "$MPID" 2>/dev/null && wait "$MPID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT

# sq ENV... -- SQL: run the sqlite3 shell with the extension; output in $W/out, status in RC.
sq() {
  local envs=(); while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
  printf '.load %s\n%s\n' "$SO" "$1" >"$W/in.sql"
  env LD_PRELOAD="$SQL_PRELOAD" "${envs[@]}" timeout 60 sqlite3 -batch -init /dev/null :memory: \
    <"$W/in.sql" >"$W/out" 2>&1
  RC=$?
}
check() {   # check NAME CONDITION-STATUS DETAIL
  if [ "$2" = 0 ]; then echo "PASS $T $1"; else echo "FAIL $T $1: $3"; fi
}

# ------------------------------------------------------------------ TLS
if ! python3 -c 'import moto.server' 2>/dev/null; then
  echo "SKIP $T tls: python3 cannot import moto"
elif ! openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/key.pem" -out "$W/cert.pem" -days 2 \
       -subj /CN=localhost -addext "subjectAltName=DNS:localhost" >/dev/null 2>&1; then
  echo "FAIL $T tls: openssl could not make a test certificate"
else
  PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()')
  python3 -m moto.server -H 127.0.0.1 -p "$PORT" -c "$W/cert.pem" -k "$W/key.pem" >"$W/moto.log" 2>&1 &
  MPID=$!
  for _ in $(seq 1 150); do
    curl -s --cacert "$W/cert.pem" -o /dev/null "https://localhost:$PORT/moto-api/" && break
    sleep 0.1
  done
  curl -s --cacert "$W/cert.pem" -X PUT "https://localhost:$PORT/sdb-tls" >/dev/null
  E=(AWS_ENDPOINT="https://localhost:$PORT" AWS_ALLOW_HTTP=false AWS_ACCESS_KEY_ID=k
     AWS_SECRET_ACCESS_KEY=s AWS_SESSION_TOKEN= AWS_REGION=us-east-1)
  t0=$(date +%s%N)
  sq "${E[@]}" AWS_CA_BUNDLE= -- "CREATE VIRTUAL TABLE temp.t USING slatedb('s3://sdb-tls/db', mode=writer); INSERT INTO t VALUES('a','1');"
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  grep -qi 'certificate' "$W/out" && [ "$RC" -ne 0 ] && [ "$ms" -lt 10000 ] &&
    grep -q "host localhost:$PORT" "$W/out" && grep -q "AWS_CA_BUNDLE is not set" "$W/out"
  ok=$?     # before the command substitutions below, which would set $? to their own status
  check "tls-untrusted ($ms ms): $(head -c 400 "$W/out")" $ok "status $RC: $(head -c 500 "$W/out")"

  sq "${E[@]}" AWS_CA_BUNDLE="$W/cert.pem" -- \
    "CREATE VIRTUAL TABLE temp.t USING slatedb('s3://sdb-tls/db', mode=writer); INSERT INTO t VALUES('a','1'),('b','2');"
  r1=$RC
  sq "${E[@]}" AWS_CA_BUNDLE="$W/cert.pem" -- \
    "CREATE VIRTUAL TABLE temp.t USING slatedb('s3://sdb-tls/db', mode=reader); SELECT group_concat(key||value) FROM t;"
  [ "$r1" = 0 ] && [ "$RC" = 0 ] && [ "$(cat "$W/out")" = "a1,b2" ]
  check "tls-ca-bundle" $? "status $r1/$RC: $(head -c 300 "$W/out")"

  sq "${E[@]}" AWS_ENDPOINT="https://127.0.0.1:$PORT" AWS_CA_BUNDLE="$W/cert.pem" -- \
    "CREATE VIRTUAL TABLE temp.t USING slatedb('s3://sdb-tls/db', mode=reader, request_timeout='5s'); SELECT count(*) FROM t;"
  [ "$RC" -ne 0 ] && grep -qiE 'certificate|SSL|host' "$W/out" && grep -q "AWS_CA_BUNDLE=$W/cert.pem" "$W/out"
  check "tls-wrong-host" $? "status $RC: $(head -c 300 "$W/out")"
fi

# ------------------------------------------------------------------ credentials file
if [ -z "${SDB_TEST_PROXY:-}" ]; then
  echo "SKIP $T creds-file: no S3 test servers (run through make test)"
else
  curl -s -X PUT "$SDB_TEST_MOTO/sdb-creds" >/dev/null
  mkdir -p "$W/home/.aws"
  cat >"$W/home/.aws/credentials" <<EOF
[default]
aws_access_key_id = $AWS_ACCESS_KEY_ID
aws_secret_access_key = $AWS_SECRET_ACCESS_KEY
aws_session_token = ${AWS_SESSION_TOKEN:-}

[wrong]
aws_access_key_id = $AWS_ACCESS_KEY_ID
aws_secret_access_key = not-the-secret
aws_session_token = ${AWS_SESSION_TOKEN:-}
EOF
  [ -z "${AWS_SESSION_TOKEN:-}" ] && sed -i '/aws_session_token = $/d' "$W/home/.aws/credentials"
  C=(HOME="$W/home" AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= AWS_SESSION_TOKEN= AWS_PROFILE=)
  sq "${C[@]}" -- "CREATE VIRTUAL TABLE temp.t USING slatedb('s3://sdb-creds/db', mode=writer); INSERT INTO t VALUES('k','v'); SELECT key||value FROM t;"
  [ "$RC" = 0 ] && [ "$(cat "$W/out")" = "kv" ]
  check "creds-file [default]" $? "status $RC: $(head -c 300 "$W/out")"
  sq "${C[@]}" AWS_PROFILE=wrong -- "CREATE VIRTUAL TABLE temp.t USING slatedb('s3://sdb-creds/db', mode=reader); SELECT count(*) FROM t;"
  [ "$RC" -ne 0 ] && grep -q 'SignatureDoesNotMatch' "$W/out"
  check "creds-file AWS_PROFILE=wrong" $? "status $RC: $(head -c 300 "$W/out")"
fi
