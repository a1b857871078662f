#!/usr/bin/env bash
# creds-chain-test.sh: where the S3 store finds credentials (docs/s3.md,
# core/store/creds.c), end to end through the sqlite3 shell.
#
# Fake credential servers (scripts/s3/credserver.py on loopback: IMDSv2 that
# requires its session token, a container endpoint that checks Authorization,
# STS that checks the role ARN and the web-identity token) hand out fresh
# credentials and register each set with the strict SigV4 proxy in front of
# moto (s3proxy.py /__proxy/creds), which accepts nothing else; so a statement
# that works was signed, with the session token, by what a source handed out.
#
#   web identity / container / IMDS   each source alone works
#   container token file              the file wins over AWS_CONTAINER_AUTHORIZATION_TOKEN
#   wrong web token / container token the open fails naming the source and the problem
#   container host                    plain http to a non-loopback host is refused
#   IMDS disabled / unreachable       skipped for that reason, quickly
#   no credentials                    the 403 lists every source and why it was skipped
#   order                             environment > profile > web identity > container > IMDS
#   binding                           provider credentials are bound to the environment's endpoint
#   secrets                           no secret, session token or web token in any output
#   renew                             credentials revoked at the proxy: renewed once, no failure
#   rotation                          a session running across the refresh (5 min before
#                                     Expiration) with the old set revoked at rotation
#
# Uses the suite's moto + proxy (scripts/test.sh) when SDB_TEST_PROXY is set,
# else starts its own. Prints PASS/FAIL/SKIP lines.
set -u
SQL_PRELOAD=${SDB_SQL_PRELOAD:-${LD_PRELOAD:-}}   # for the sqlite3 shells only
unset LD_PRELOAD
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SO=${SDB_SO:-$SRC/slatedb.so}
T=s3-creds-chain
W=$(mktemp -d "${TMPDIR:-/tmp}/sdbchain.XXXXXX")
CPID=""
OWN_S3=0
. "$SRC/scripts/s3/lib.sh"
cleanup() {
  [ -n "$CPID" ] && kill "$CPID" 2>/dev/null && wait "$CPID" 2>/dev/null
  [ "$OWN_S3" = 1 ] && s3_stop "$W/s3" >/dev/null 2>&1
  rm -rf "$W"
}
trap cleanup EXIT

check() {   # check NAME STATUS DETAIL
  if [ "$2" = 0 ]; then echo "PASS $T $1"; else echo "FAIL $T $1: $3"; fi
}

if [ -z "${SDB_TEST_PROXY:-}" ]; then
  s3_start "$W/s3" >/dev/null 2>&1 || { echo "SKIP $T: $S3_ERROR"; exit 0; }
  OWN_S3=1
fi
B=sdb-chain-$$
s3_make_bucket "$B" || { echo "FAIL $T: cannot create bucket $B"; exit 1; }
ENVKEY=$AWS_ACCESS_KEY_ID ENVSECRET=$AWS_SECRET_ACCESS_KEY ENVTOKEN=${AWS_SESSION_TOKEN:-}

WEBTOK="web-identity-token-$RANDOM-Zx9"
CTAUTH="container-auth-$RANDOM-Qp4"
ROLE=arn:aws:iam::123456789012:role/sdb-chain
printf '%s\n' "$WEBTOK" >"$W/webtoken"
printf '%s' "$CTAUTH" >"$W/cttoken"
mkdir -p "$W/home"
start_creds() {   # start_creds TTL: (re)start credserver.py
  [ -n "$CPID" ] && kill "$CPID" 2>/dev/null && wait "$CPID" 2>/dev/null
  rm -f "$W/cport"
  python3 "$SRC/scripts/s3/credserver.py" --port-file "$W/cport" --proxy "$SDB_TEST_PROXY" \
    --ttl "$1" --revoke-old --container-auth "$CTAUTH" --role-arn "$ROLE" \
    --web-token-file "$W/webtoken" --log "$W/creds.log" >"$W/creds.err" 2>&1 &
  CPID=$!
  for _ in $(seq 100); do [ -s "$W/cport" ] && break; sleep 0.1; done
  CP=http://127.0.0.1:$(cat "$W/cport")
}
start_creds 3600
cstat() { curl --noproxy '*' -s "$CP/__ctl/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# The environment of every run: no keys, an empty HOME, the suite's endpoint, IMDS off.
BASE=(-u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_TOKEN
      -u AWS_PROFILE -u AWS_SHARED_CREDENTIALS_FILE -u AWS_WEB_IDENTITY_TOKEN_FILE -u AWS_ROLE_ARN
      -u AWS_CONTAINER_CREDENTIALS_RELATIVE_URI -u AWS_CONTAINER_CREDENTIALS_FULL_URI
      -u AWS_CONTAINER_AUTHORIZATION_TOKEN -u AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
      -u AWS_EC2_METADATA_SERVICE_ENDPOINT HOME="$W/home" AWS_EC2_METADATA_DISABLED=true)
WEBID=(AWS_WEB_IDENTITY_TOKEN_FILE="$W/webtoken" AWS_ROLE_ARN="$ROLE" AWS_ENDPOINT_URL_STS="$CP/sts/")
CT=(AWS_CONTAINER_CREDENTIALS_FULL_URI="$CP/container/creds" AWS_CONTAINER_AUTHORIZATION_TOKEN="$CTAUTH")
IMDS=(AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$CP")

# sq ENV... -- SQL: the sqlite3 shell with the extension; output in $W/out, status in RC.
sq() {
  local envs=(); while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
  printf '.load %s\n%s\n' "$SO" "$1" >"$W/in.sql"
  env "${BASE[@]}" "${envs[@]}" LD_PRELOAD="$SQL_PRELOAD" timeout 120 sqlite3 -batch -init /dev/null \
    :memory: <"$W/in.sql" >"$W/out" 2>&1
  RC=$?
  cat "$W/out" >>"$W/all-out"
}
RW="CREATE VIRTUAL TABLE temp.t USING slatedb('s3://$B/db', mode=writer); INSERT OR REPLACE INTO t VALUES('k','v'); SELECT key||value FROM t;"
RD="CREATE VIRTUAL TABLE temp.t USING slatedb('s3://$B/db', mode=reader); SELECT key||value FROM t;"
ok_kv() { [ "$RC" = 0 ] && [ "$(cat "$W/out")" = kv ]; }
out() { echo "status $RC: $(head -c 400 "$W/out")"; }

# --- each source alone
n0=$(cstat sts)
sq "${WEBID[@]}" -- "$RW"
ok_kv && [ "$(cstat sts)" -gt "$n0" ]
check "web identity (STS AssumeRoleWithWebIdentity)" $? "$(out)"
n0=$(cstat container)
sq "${CT[@]}" -- "$RD"
ok_kv && [ "$(cstat container)" -gt "$n0" ]
check "container (FULL_URI + AUTHORIZATION_TOKEN)" $? "$(out)"
sq AWS_CONTAINER_CREDENTIALS_FULL_URI="$CP/container/creds" AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong \
   AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$W/cttoken" -- "$RD"
ok_kv
check "container token file wins over AWS_CONTAINER_AUTHORIZATION_TOKEN" $? "$(out)"
n0=$(cstat imds)
sq "${IMDS[@]}" -- "$RD"
ok_kv && [ "$(cstat imds)" -gt "$n0" ]
check "IMDSv2" $? "$(out)"

# --- configured sources that fail say which and why
echo wrong-token >"$W/badtoken"
sq AWS_WEB_IDENTITY_TOKEN_FILE="$W/badtoken" AWS_ROLE_ARN="$ROLE" AWS_ENDPOINT_URL_STS="$CP/sts/" -- "$RD"
[ "$RC" != 0 ] && grep -q 'web identity.*InvalidIdentityToken' "$W/out"
check "web identity: a refused token names the source and STS's code" $? "$(out)"
sq AWS_WEB_IDENTITY_TOKEN_FILE="$W/webtoken" AWS_ROLE_ARN=arn:aws:iam::1:role/other AWS_ENDPOINT_URL_STS="$CP/sts/" -- "$RD"
[ "$RC" != 0 ] && grep -q 'web identity.*AccessDenied' "$W/out"
check "web identity: another role ARN is refused by STS" $? "$(out)"
sq AWS_WEB_IDENTITY_TOKEN_FILE="$W/missing" AWS_ROLE_ARN="$ROLE" AWS_ENDPOINT_URL_STS="$CP/sts/" -- "$RD"
[ "$RC" != 0 ] && grep -q 'AWS_WEB_IDENTITY_TOKEN_FILE.*missing: No such file' "$W/out"
check "web identity: a missing token file is named" $? "$(out)"
sq AWS_CONTAINER_CREDENTIALS_FULL_URI="$CP/container/creds" AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong -- "$RD"
[ "$RC" != 0 ] && grep -q 'container.*HTTP 401.*AWS_CONTAINER_AUTHORIZATION_TOKEN' "$W/out"
check "container: a wrong Authorization token names the variable" $? "$(out)"
n0=$(grep -c . "$W/creds.log")
for url in http://192.0.2.10/creds "http://169.254.169.254/creds" "http://[fd00:ec2::24]/creds"; do
  sq AWS_CONTAINER_CREDENTIALS_FULL_URI="$url" -- "$RD"
  [ "$RC" != 0 ] && grep -q 'AWS_CONTAINER_CREDENTIALS_FULL_URI.*refused: plain http is allowed only to' "$W/out"
  check "container: plain http to $url is refused" $? "$(out)"
done

# --- skipped sources, order
start=$(date +%s%N)
sq AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1 -- "$RD"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$RC" != 0 ] && grep -q 'no credentials found' "$W/out" && grep -q 'IMDS (.*127.0.0.1:1' "$W/out" && [ "$ms" -lt 5000 ]
check "IMDS unreachable: skipped within seconds (${ms} ms), reason given" $? "$(out)"
n0=$(cstat imds)
sq AWS_EC2_METADATA_SERVICE_ENDPOINT="$CP" -- "$RD"
[ "$RC" != 0 ] && grep -q 'IMDS (AWS_EC2_METADATA_DISABLED=true)' "$W/out" && [ "$(cstat imds)" = "$n0" ]
check "IMDS disabled: not asked" $? "$(out)"
sq -- "$RD"
[ "$RC" != 0 ] && grep -q 'environment (AWS_ACCESS_KEY_ID unset), profile default (~/.aws/credentials: No such file or directory), web identity (AWS_WEB_IDENTITY_TOKEN_FILE unset), container (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/_FULL_URI unset), IMDS (AWS_EC2_METADATA_DISABLED=true)' "$W/out"
check "no credentials: the 403 lists every source and why it was skipped" $? "$(out)"

before() { echo "$(cstat sts) $(cstat container) $(cstat imds)"; }
b=$(before)
sq AWS_ACCESS_KEY_ID="$ENVKEY" AWS_SECRET_ACCESS_KEY="$ENVSECRET" AWS_SESSION_TOKEN="$ENVTOKEN" \
   "${WEBID[@]}" "${CT[@]}" "${IMDS[@]}" -- "$RD"
ok_kv && [ "$(before)" = "$b" ]
check "order: environment first (no credential server asked)" $? "$(out) servers $b -> $(before)"
mkdir -p "$W/home/.aws"
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$ENVKEY" "$ENVSECRET" >"$W/home/.aws/credentials"
[ -n "$ENVTOKEN" ] && printf 'aws_session_token = %s\n' "$ENVTOKEN" >>"$W/home/.aws/credentials"
b=$(before)
sq "${WEBID[@]}" "${CT[@]}" "${IMDS[@]}" -- "$RD"
ok_kv && [ "$(before)" = "$b" ]
check "order: profile before web identity, container, IMDS" $? "$(out) servers $b -> $(before)"
rm -rf "$W/home/.aws"
n0=$(cstat sts) n1=$(cstat container)
sq "${WEBID[@]}" "${CT[@]}" "${IMDS[@]}" -- "$RD"
ok_kv && [ "$(cstat sts)" -gt "$n0" ] && [ "$(cstat container)" = "$n1" ]
check "order: web identity before container" $? "$(out)"
n0=$(cstat container) n1=$(cstat imds)
sq "${CT[@]}" "${IMDS[@]}" -- "$RD"
ok_kv && [ "$(cstat container)" -gt "$n0" ] && [ "$(cstat imds)" = "$n1" ]
check "order: container before IMDS" $? "$(out)"

# --- binding: provider credentials go only to the environment's endpoint
n0=$(grep -c . "$W/creds.log")
sq "${IMDS[@]}" -- "CREATE VIRTUAL TABLE temp.t USING slatedb('s3://$B/db', mode=reader, endpoint='$CP');"
[ "$RC" != 0 ] && grep -q 'is not .*the endpoint the AWS credentials are for' "$W/out" &&
  ! grep -q "^[A-Z]* /db\|/$B" "$W/creds.log"
check "binding: IMDS credentials are not sent to another endpoint" $? "$(out)"

# --- renewal: the store revokes the set in use; the next request renews it once
sq "${IMDS[@]}" -- "CREATE VIRTUAL TABLE temp.t USING slatedb('s3://$B/db', mode=writer); INSERT OR REPLACE INTO t VALUES('k','v');
SELECT key||value FROM t;
.shell sleep 1.1
.shell env -u LD_PRELOAD curl --noproxy 127.0.0.1 --max-time 10 -s -X POST $CP/__ctl/revoke >/dev/null
INSERT OR REPLACE INTO t VALUES('k2','v2');
SELECT count(*) FROM t;"
[ "$RC" = 0 ] && [ "$(tail -1 "$W/out")" = 2 ]
check "renew: revoked credentials are renewed once, the statement succeeds" $? "$(out)"

# --- rotation across the refresh margin (5 min before Expiration): sets that
# expire 5 min + 6 s after they are handed out are refreshed after 6 s; the
# credential server revokes the old set at the proxy as it hands out the new.
start_creds 306
IMDS=(AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$CP")
cat >"$W/rot.sql" <<EOF
CREATE VIRTUAL TABLE temp.t USING slatedb('s3://$B/db', mode=reader);
EOF
for i in $(seq 25); do
  echo "INSERT INTO t(t) VALUES ('refresh'); SELECT count(*) FROM t;" >>"$W/rot.sql"
done
s3_rules '[{"method":"GET","delay_ms":250}]' >/dev/null
n0=$(cstat imds)
start=$(date +%s)
sq "${IMDS[@]}" -- "$(cat "$W/rot.sql")"
el=$(( $(date +%s) - start ))
s3_rules '[]' >/dev/null
keys=$(curl --noproxy '*' -s "$SDB_TEST_PROXY/__proxy/creds")
[ "$RC" = 0 ] && ! grep -qi 'error\|denied' "$W/out" && [ "$(cstat imds)" -ge $((n0 + 2)) ] &&
  [ "$el" -ge 7 ]
check "rotation: a ${el} s session across the refresh never fails, old set revoked" $? \
  "$(out); sets handed out $n0 -> $(cstat imds); proxy keys $keys"

# --- nothing secret was printed
grep -qF -e "$WEBTOK" -e "$CTAUTH" -e "tok/" "$W/all-out"
[ $? != 0 ]
check "no web-identity token, container token or session token in any output" $? \
  "$(grep -F -e "$WEBTOK" -e "$CTAUTH" -e "tok/" "$W/all-out" | head -c 300)"
curl --noproxy '*' -s -X POST "$CP/__ctl/revoke" >/dev/null
exit 0
