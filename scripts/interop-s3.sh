#!/usr/bin/env bash
# interop-s3.sh: live interoperability of the S3 backend with the real SlateDB 0.12.1, through a
# real S3 server (moto on 127.0.0.1) behind the project's strict SigV4-verifying,
# fault-injecting proxy (scripts/s3/s3proxy.py). Both sides use the same AWS_* variables.
#
#  s1  SlateDB writes a database (puts, overwrites, deletes, merges, L0s and a WAL tail) into
#      s3://sdb-interop/theirs/db; our mode=reader table lists exactly SlateDB's dump.
#  s2  We write through SQL (several L0s with l0_sst_size_bytes='16KiB', deletes), compact
#      them into one run and run 'gc 0' through the bucket, then a WAL tail; SlateDB's dump
#      equals our own listing.
#  s3  A prefix with awkward bytes ('+', '=', '%', non-ASCII): SlateDB writes, we
#      read and continue, SlateDB reads our rows.
#  s4  20 % injected faults (503 SlowDown, 500 after the write was applied, connections
#      dropped before/after the request and mid-body): 200 acknowledged commits from SQL,
#      each inserting one row and appending to a log row; SlateDB then sees every
#      acknowledged row, and the log row shows each commit applied exactly once. Our
#      reader reads the same rows through the faults. The proxy saw retries.
#  s5  SlateDB fences us through the bucket: our next INSERT fails with "fenced".
#  s6  Errors from SQL: wrong secret (SignatureDoesNotMatch, SQLITE_PERM), a missing bucket,
#      an endpoint that never answers (request_timeout='2s' -> error within 5 s), an
#      unreachable endpoint, http:// without allow_http, and a credential option in CREATE.
#  s7  Request counters: slatedb_handles shows the GETs, PUTs and LISTs a query cost.
#
# Prints "PASS interop-s3 <check>" / "FAIL interop-s3 <check>: why", or "SKIP interop-s3: why"
# when Node/the oracle or moto is not available. Uses the running servers named by
# SDB_TEST_PROXY / SDB_TEST_MOTO (scripts/test.sh starts them), else starts its own.
set -u
if [ -n "${LD_PRELOAD:-}" ]; then exec env -u LD_PRELOAD bash "$0" "$@"; fi
SRC=$(cd "$(dirname "$0")/.." && pwd)
SO=${SDB_SO:-$SRC/slatedb.so}
case "$SO" in /*) ;; *) SO="$PWD/$SO" ;; esac
T=interop-s3
BUCKET=sdb-interop

. "$SRC/scripts/oracle/require.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sdbis3.XXXXXX")
. "$SRC/scripts/s3/lib.sh"
OWN_SERVERS=0
cleanup() {
  [ "$OWN_SERVERS" = 1 ] && s3_stop "$WORK/srv"
  rm -rf "$WORK"
}
trap cleanup EXIT
if [ -z "${SDB_TEST_PROXY:-}" ]; then
  if ! s3_start "$WORK/srv" >"$WORK/start.log" 2>&1; then
    echo "SKIP $T: the S3 test servers did not start: $(tail -1 "$WORK/start.log")"; exit 0
  fi
  OWN_SERVERS=1
fi
s3_reset >/dev/null
s3_make_bucket "$BUCKET" >/dev/null || { fail "setup: cannot create bucket $BUCKET"; exit 1; }

# sql FILE: run the sqlite3 shell on FILE (stdout FILE.out, stderr FILE.err, status SQL_RC).
sql() {
  timeout 300 sqlite3 -batch -init /dev/null :memory: <"$1" >"$1.out" 2>"$1.err"
  SQL_RC=$?
}
# listing URL OUT [extra options]: our mode=reader listing "<key hex> <value hex>" (lower case).
listing() {
  cat >"$WORK/list.sql" <<EOF
.load $SO
CREATE VIRTUAL TABLE temp.t USING slatedb('$1', mode=reader, key_type=blob, value_type=blob, merge_operator=concat${3:-});
SELECT lower(hex(key)) || ' ' || lower(hex(value)) FROM t;
EOF
  sql "$WORK/list.sql"
  sed 's/ $/ /' "$WORK/list.sql.out" >"$2"
}
# same NAME A B: PASS if the files are equal, else FAIL with the first difference.
same() {
  if cmp -s "$2" "$3"; then pass "$1"; return 0; fi
  fail "$1: listings differ: $(diff "$2" "$3" | head -5 | tr '\n' ' ')"
  return 1
}

# ------------------------------------------------------------------ s1 SlateDB writes, we read
U1="s3://$BUCKET/theirs/db"
if tool gen "$U1" --keys 300 --deletes 40 --merges 30 --rounds 3 --end memtable,wal --seed 7 \
     >"$WORK/gen1.log" 2>&1; then
  tool dump "$U1" --out "$WORK/theirs.txt" >"$WORK/dump1.log" 2>&1
  listing "$U1" "$WORK/ours1.txt"
  if [ "$SQL_RC" -ne 0 ]; then fail "s1: our reader failed: $(oneline "$WORK/list.sql.err")"
  elif [ ! -s "$WORK/theirs.txt" ]; then fail "s1: SlateDB's dump is empty: $(oneline "$WORK/dump1.log")"
  else same "s1 SlateDB writes to S3, we read ($(wc -l <"$WORK/theirs.txt") rows)" "$WORK/theirs.txt" "$WORK/ours1.txt"
  fi
else
  fail "s1: SlateDB gen failed: $(oneline "$WORK/gen1.log")"
fi

# ------------------------------------------------------------------ s2 we write, SlateDB reads
U2="s3://$BUCKET/ours/db"
{
  echo ".load $SO"
  echo "CREATE VIRTUAL TABLE temp.w USING slatedb('$U2', mode=writer, key_type=blob, value_type=blob, l0_sst_size_bytes='16KiB', compactor_poll_interval='1h');"
  for r in 1 2 3 4; do
    echo "BEGIN;"
    for i in $(seq 1 150); do
      echo "INSERT OR REPLACE INTO w VALUES(x'$(printf '%04x' $(( (i * 37 + r) % 400 )))', randomblob($(( 20 + i % 60 ))));"
    done
    echo "DELETE FROM w WHERE key BETWEEN x'0010' AND x'0020';"
    echo "COMMIT;"
  done
  echo "INSERT INTO w(w) VALUES('flush-memtable');"
  echo "SELECT 'l0=' || l0_ssts FROM slatedb_handles WHERE path = '$U2';"
  echo "INSERT INTO w(w) VALUES('compact');"
  echo "INSERT INTO w(w) VALUES('gc 0');"
  echo "SELECT 'runs=' || sorted_runs || ',gc=' || (gc_deleted > 0) FROM slatedb_handles WHERE path = '$U2';"
  echo "INSERT INTO w VALUES(x'ffff', x'7461696c');"
  echo "SELECT lower(hex(key)) || ' ' || lower(hex(value)) FROM w;"
} >"$WORK/w2.sql"
sql "$WORK/w2.sql"
if [ "$SQL_RC" -ne 0 ]; then
  fail "s2: our writer failed: $(oneline "$WORK/w2.sql.err")"
else
  grep -v -E '^(l0|runs)=' "$WORK/w2.sql.out" >"$WORK/ours2.txt"
  nl0=$(sed -n 's/^l0=//p' "$WORK/w2.sql.out")
  runs=$(sed -n 's/^runs=//p' "$WORK/w2.sql.out")
  tool dump "$U2" --out "$WORK/theirs2.txt" >"$WORK/dump2.log" 2>&1 ||
    fail "s2: SlateDB dump failed: $(oneline "$WORK/dump2.log")"
  if [ "${nl0:-0}" -lt 2 ]; then fail "s2: expected several L0 SSTs, the manifest lists ${nl0:-none}"
  elif [ "$runs" != "1,gc=1" ]; then fail "s2: expected one sorted run after 'compact' and GC deletions, got $runs"
  else same "s2 we write to S3 ($nl0 L0s), compact them and collect garbage; SlateDB reads" "$WORK/ours2.txt" "$WORK/theirs2.txt"
  fi
fi

# ------------------------------------------------------------------ s3 awkward prefix
U3="s3://$BUCKET/a+b=c%25x/%C3%A9t%C3%A9/db"
if tool gen "$U3" --keys 50 --rounds 1 --seed 3 >"$WORK/gen3.log" 2>&1; then
  cat >"$WORK/w3.sql" <<EOF
.load $SO
CREATE VIRTUAL TABLE temp.w USING slatedb('$U3', mode=writer, key_type=blob, value_type=blob, merge_operator=concat);
INSERT INTO w VALUES(x'61776b77617264', x'6f6b');
SELECT lower(hex(key)) || ' ' || lower(hex(value)) FROM w;
EOF
  sql "$WORK/w3.sql"
  keys=$(curl -s "$SDB_TEST_MOTO/$BUCKET?list-type=2&prefix=a" | grep -o '<Key>[^<]*</Key>' | head -1)
  if [ "$SQL_RC" -ne 0 ]; then fail "s3: our writer failed: $(oneline "$WORK/w3.sql.err")"
  else
    tool dump "$U3" --out "$WORK/theirs3.txt" >"$WORK/dump3.log" 2>&1
    n=$(wc -l <"$WORK/w3.sql.out")
    if ! grep -q '^61776b77617264 6f6b$' "$WORK/theirs3.txt"; then
      fail "s3: SlateDB does not see our row under the awkward prefix ($keys): $(oneline "$WORK/dump3.log")"
    else same "s3 awkward prefix ${keys} ($n rows)" "$WORK/w3.sql.out" "$WORK/theirs3.txt"
    fi
  fi
else
  fail "s3: SlateDB gen under an awkward prefix failed: $(oneline "$WORK/gen3.log")"
fi

# ------------------------------------------------------------------ s4 faults
U4="s3://$BUCKET/faults/db"
s3_rules '[{"status":503,"code":"SlowDown","prob":0.08},
           {"method":"PUT","status":500,"code":"InternalError","after_forward":true,"prob":0.05},
           {"drop":"before","prob":0.03},
           {"method":"PUT","drop":"after","prob":0.03},
           {"method":"GET","drop":"mid_body","prob":0.03}]' >/dev/null
{
  echo ".load $SO"
  echo "CREATE VIRTUAL TABLE temp.w USING slatedb('$U4', mode=writer, key_type=text, value_type=text, l0_sst_size_bytes='8KiB', request_timeout='60s');"
  echo "INSERT INTO w VALUES('log', '');"
  for i in $(seq 1 200); do
    echo "BEGIN; INSERT INTO w VALUES('k$(printf %04d "$i")', 'v$i-' || hex(randomblob(20)));"
    echo "UPDATE w SET value = value || '$i;' WHERE key = 'log'; COMMIT;"
    echo "SELECT 'ack $i';"
  done
  echo "SELECT 'log ' || value FROM w WHERE key = 'log';"
} >"$WORK/w4.sql"
sql "$WORK/w4.sql"
stats=$(s3_stats)
s3_reset >/dev/null
acks=$(grep -c '^ack ' "$WORK/w4.sql.out")
tool dump "$U4" --out "$WORK/theirs4.raw" >"$WORK/dump4.log" 2>&1
want_log=$(for i in $(seq 1 "$acks"); do printf '%s;' "$i"; done)
got_log=$(grep '^6c6f67 ' "$WORK/theirs4.raw" | cut -d' ' -f2 |
          python3 -c 'import sys; print(bytes.fromhex(sys.stdin.read().strip()).decode(), end="")')
nk=$(grep -c '^6b' "$WORK/theirs4.raw")
faults=$(printf '%s' "$stats" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(d.get("faults",{}).values()))' 2>/dev/null)
if [ "$acks" -ne 200 ]; then
  fail "s4: only $acks of 200 commits were acknowledged under faults: $(oneline "$WORK/w4.sql.err")"
elif [ "$nk" -ne "$acks" ]; then
  fail "s4: SlateDB sees $nk rows after $acks acknowledged commits: $(oneline "$WORK/dump4.log")"
elif [ "$got_log" != "$want_log" ]; then
  fail "s4: the log row is not each commit exactly once: $(printf '%s' "$got_log" | head -c 200)"
elif [ "${faults:-0}" -lt 20 ]; then
  fail "s4: the proxy injected only ${faults:-0} faults (stats: $stats)"
else
  pass "s4 200 commits under 20% faults ($faults injected): all acknowledged rows seen by SlateDB, each applied once"
fi
s3_rules '[{"method":"GET","drop":"mid_body","prob":0.2},{"status":503,"code":"SlowDown","prob":0.1}]' >/dev/null
listing "$U4" "$WORK/ours4.txt" ", request_timeout='60s'"
s3_reset >/dev/null
if [ "$SQL_RC" -ne 0 ]; then fail "s4 reader: failed under faults: $(oneline "$WORK/list.sql.err")"
else
  grep -v '^6c6f67 ' "$WORK/theirs4.raw" >"$WORK/theirs4.txt"
  grep -v '^6c6f67 ' "$WORK/ours4.txt" >"$WORK/ours4b.txt"
  same "s4 reader under 30% GET faults reads what SlateDB reads" "$WORK/theirs4.txt" "$WORK/ours4b.txt"
fi

# ------------------------------------------------------------------ s5 fencing
U5="s3://$BUCKET/fence/db"
printf '6b31 7631\n' >"$WORK/put5.txt"
cat >"$WORK/w5.sql" <<EOF
.load $SO
.bail off
CREATE VIRTUAL TABLE temp.w USING slatedb('$U5', mode=writer, key_type=blob, value_type=blob);
INSERT INTO w VALUES(x'6b30', x'7630');
.system node $SRC/scripts/oracle/slatedb-tool.mjs put $U5 $WORK/put5.txt >$WORK/put5.log 2>&1
INSERT INTO w VALUES(x'6b32', x'7632');
EOF
sql "$WORK/w5.sql"
tool dump "$U5" --out "$WORK/theirs5.txt" >/dev/null 2>&1
if grep -qi 'fenced' "$WORK/w5.sql.err" && grep -q '^6b30 7630$' "$WORK/theirs5.txt" &&
   grep -q '^6b31 7631$' "$WORK/theirs5.txt" && ! grep -q '^6b32' "$WORK/theirs5.txt"; then
  pass "s5 SlateDB fences our writer through the bucket"
else
  fail "s5: expected a fenced error and rows k0, k1 only: $(oneline "$WORK/w5.sql.err") / $(oneline "$WORK/theirs5.txt")"
fi

# ------------------------------------------------------------------ s6 errors
err_case() {   # err_case NAME PATTERN MAXSEC ENV... -- SQL
  local name=$1 pat=$2 maxs=$3; shift 3
  local envs=(); while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
  printf '.load %s\n%s\n' "$SO" "$1" >"$WORK/e.sql"
  local t0=$(date +%s%N)
  env "${envs[@]}" timeout 60 sqlite3 -batch -init /dev/null :memory: <"$WORK/e.sql" >"$WORK/e.out" 2>&1
  local rc=$? ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  if [ $rc -ge 124 ]; then fail "s6 $name: sqlite3 crashed or hung (status $rc)"
  elif ! grep -qiE "$pat" "$WORK/e.out"; then fail "s6 $name: expected /$pat/, got: $(oneline "$WORK/e.out")"
  elif [ "$ms" -gt $(( maxs * 1000 )) ]; then fail "s6 $name: took $ms ms (limit $maxs s)"
  else pass "s6 $name ($ms ms): $(head -1 "$WORK/e.out" | head -c 160)"
  fi
}
err_case "wrong secret" "SignatureDoesNotMatch" 20 AWS_SECRET_ACCESS_KEY=wrong -- \
  "CREATE VIRTUAL TABLE temp.x USING slatedb('s3://$BUCKET/ours/db', mode=reader); SELECT count(*) FROM x;"
err_case "missing bucket" "does not exist|NoSuchBucket" 20 X=1 -- \
  "CREATE VIRTUAL TABLE temp.x USING slatedb('s3://no-such-bucket-sdb/db', mode=reader); SELECT count(*) FROM x;"
s3_rules '[{"hang":true}]' >/dev/null
err_case "endpoint never answers" "within|timed out|timeout" 8 X=1 -- \
  "CREATE VIRTUAL TABLE temp.x USING slatedb('s3://$BUCKET/ours/db', mode=reader, request_timeout='2s'); SELECT count(*) FROM x;"
s3_reset >/dev/null
err_case "unreachable endpoint" "127.0.0.1:1|connect" 10 AWS_ENDPOINT=http://127.0.0.1:1 -- \
  "CREATE VIRTUAL TABLE temp.x USING slatedb('s3://$BUCKET/ours/db', mode=reader, request_timeout='2s'); SELECT count(*) FROM x;"
err_case "http without allow_http" "allow_http|AWS_ALLOW_HTTP" 5 AWS_ALLOW_HTTP=false -- \
  "CREATE VIRTUAL TABLE temp.x USING slatedb('s3://$BUCKET/ours/db', mode=reader); SELECT count(*) FROM x;"
err_case "credential option refused" "plain text" 5 X=1 -- \
  "CREATE VIRTUAL TABLE temp.x USING slatedb('s3://$BUCKET/ours/db', secret_access_key='abc');"

# ------------------------------------------------------------------ s7 counters
cat >"$WORK/w7.sql" <<EOF
.load $SO
CREATE VIRTUAL TABLE temp.r USING slatedb('$U2', mode=reader, key_type=blob, value_type=blob);
SELECT count(*) FROM r;
SELECT 'gets=' || gets, 'lists=' || lists, 'puts=' || puts, 'bytes_in=' || bytes_in FROM slatedb_handles WHERE path = '$U2';
EOF
sql "$WORK/w7.sql"
if grep -q 'gets=[1-9]' "$WORK/w7.sql.out" && grep -q 'lists=[1-9]' "$WORK/w7.sql.out" &&
   grep -q 'puts=0' "$WORK/w7.sql.out"; then
  pass "s7 request counters: $(tail -1 "$WORK/w7.sql.out")"
else
  fail "s7: counters: $(oneline "$WORK/w7.sql.out") $(oneline "$WORK/w7.sql.err")"
fi
