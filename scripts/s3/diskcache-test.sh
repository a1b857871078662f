#!/usr/bin/env bash
# diskcache-test.sh: disk_cache= against S3 (moto behind the verifying proxy of
# scripts/s3/lib.sh; those of scripts/test.sh when it exported them, else our own).
#
#  second-process  a writer stores a database of about 4 MB; a reader process
#                  without a disk cache scans it (for the record), one with
#                  disk_cache=DIR scans it all, then a second reader process
#                  with the same DIR does: the second downloads under a tenth of
#                  the first's bytes (answer bodies counted at the proxy), gets
#                  the same rows, and shows disk_cache_hits in slatedb_handles
#  first-once      the first process with the cache downloads at most 10% more
#                  than the one without (read-ahead windows that share a part
#                  fetch it once: 5.6 MB for 4.5 MB before)
#  no-manifest     no manifest or compactions file is in DIR
#  signed          the proxy saw no SigV4 failure
#
# Prints PASS/FAIL/SKIP lines, and the byte counts ("# ...").
set -u
SQL_PRELOAD=${LD_PRELOAD:-}
unset LD_PRELOAD            # only the sqlite3 shell gets the sanitizer runtime
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SO=${SDB_SO:-$SRC/slatedb.so}
T=s3-diskcache
W=$(mktemp -d "${TMPDIR:-/tmp}/sdbdc.XXXXXX")
. "$SRC/scripts/s3/lib.sh"
OWN=0
cleanup() { [ "$OWN" = 1 ] && s3_stop "$W/s3" >/dev/null 2>&1; rm -rf "$W"; }
trap cleanup EXIT
check() { if [ "$2" = 0 ]; then echo "PASS $T $1"; else echo "FAIL $T $1: $3"; fi; }
sq() {   # sq SQL: the shell with the extension; output in $W/out, status in RC
  printf '.load %s\n%s\n' "$SO" "$1" >"$W/in.sql"
  env LD_PRELOAD="$SQL_PRELOAD" timeout 300 sqlite3 -batch -init /dev/null :memory: \
    <"$W/in.sql" >"$W/out" 2>&1
  RC=$?
}
bytes() { s3_stat body_bytes; }

if [ -z "${SDB_TEST_PROXY:-}" ]; then
  s3_start "$W/s3" >"$W/start.log" 2>&1 || { echo "SKIP $T: $(tail -1 "$W/start.log")"; exit 0; }
  OWN=1
fi
BUCKET=sdbdcache-$$
s3_make_bucket "$BUCKET" || { echo "FAIL $T bucket: cannot create $BUCKET"; exit 1; }
URL="s3://$BUCKET/db"
DC="$W/cache"

sq "CREATE VIRTUAL TABLE kv USING slatedb('$URL', mode=writer, compactor=false, gc=false, l0_sst_size_bytes='1MiB');
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO kv SELECT printf('key%08d', i), printf('%0200d', i) FROM n;"
check write "$RC" "$(tail -3 "$W/out")"

SCAN0="SELECT 'rows', count(*) FROM kv;"
SCAN="SELECT 'rows', count(*), sum(length(value)) FROM kv;
SELECT 'handle', disk_cache_hits, disk_cache_misses, disk_cache_bytes FROM slatedb_handles;"
fail0=$(s3_stat sigv4_fail)
bn=$(bytes)
sq "CREATE VIRTUAL TABLE kv USING slatedb('$URL', mode=reader); $SCAN0"
b0=$(bytes)
sq "CREATE VIRTUAL TABLE kv USING slatedb('$URL', mode=reader, disk_cache='$DC'); $SCAN"
rows1=$(grep '^rows' "$W/out"); h1=$(grep '^handle' "$W/out"); rc1=$RC
b1=$(bytes)
sq "CREATE VIRTUAL TABLE kv USING slatedb('$URL', mode=reader, disk_cache='$DC'); $SCAN"
rows2=$(grep '^rows' "$W/out"); h2=$(grep '^handle' "$W/out"); rc2=$RC
b2=$(bytes)
first=$((b1 - b0)); second=$((b2 - b1))
echo "# without a disk cache: $((b0 - bn)) bytes downloaded"
echo "# first process: $first bytes downloaded ($h1); second: $second bytes ($h2); $rows1"
hits2=$(echo "$h2" | cut -d'|' -f2)
ok=1
[ "$rc1" = 0 ] && [ "$rc2" = 0 ] && [ "$rows1" = "rows|20000|4000000" ] && [ "$rows1" = "$rows2" ] &&
  [ "$first" -gt 0 ] && [ $((second * 10)) -lt "$first" ] && [ "${hits2:-0}" -gt 0 ] && ok=0
check second-process "$ok" "rc $rc1/$rc2 rows '$rows1'/'$rows2' bytes $first/$second handle $h2"
nocache=$((b0 - bn))
ok=1; [ "$first" -gt 0 ] && [ $((first * 10)) -le $((nocache * 11)) ] && ok=0
check first-once "$ok" "the first process downloaded $first bytes, $nocache without the cache"

n=$(find "$DC" -name '*manifest*' -o -name '*compactions*' | wc -l)
check no-manifest "$n" "$n manifest or compactions files cached"
fail1=$(s3_stat sigv4_fail)
check signed $((fail1 - fail0)) "$((fail1 - fail0)) SigV4 failures"
