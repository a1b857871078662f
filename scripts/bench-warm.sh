#!/usr/bin/env bash
# bench-warm.sh SO [DIR]: the warm reads of issue 16 for the slatedb.so at SO (path without .so
# ok) against native SQLite, in one process each, for quick before/after comparisons of two builds
# (`make bench` workload 9, scripts/bench-proc.sh, is the full measurement, a new process per
# figure). A 200k-row database is built once in DIR (default /tmp/q16-<hash of SO's path>).
# Prints best-of-6 warm times (s) of: join (50k point lookups, keys from a native table),
# desc (200 descending 1,000-row ranges), asc (the same ascending), scan (full scan).
# (no hardware counters on these VMs: for instruction counts use valgrind --tool=callgrind by hand).
set -eu
SO=${1:?usage: bench-warm.sh path/to/slatedb.so [dir]}; SO=$(cd "$(dirname "$SO")" && pwd)/$(basename "${SO%.so}")
DIR=${2:-/tmp/q16-$(echo "$SO" | md5sum | cut -c1-8)}
N=200000
KEY="printf('k%015x', (value * 2654435761) % 4294967296)"
VAL="substr(hex(randomblob(50)) || '', 1, 100)"
KG="printf('k%015x', ((value * 40503) % $N + 1) * 2654435761 % 4294967296)"
mkdir -p "$DIR"
if [ ! -f "$DIR/keys.db" ]; then
  sqlite3 "$DIR/keys.db" "CREATE TABLE q(k TEXT); INSERT INTO q SELECT $KG FROM generate_series(1, 50000); CREATE TABLE s(k TEXT); INSERT INTO s SELECT $KG FROM generate_series(1, 200);"
  sqlite3 "$DIR/native.db" "PRAGMA journal_mode=WAL; CREATE TABLE kv(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID; INSERT INTO kv SELECT $KEY, $VAL FROM generate_series(1, $N);" > /dev/null
  printf ".load %s sqlite3_slatedb_init\nCREATE VIRTUAL TABLE temp.kv USING slatedb('%s/ours', mode=writer);\nBEGIN; INSERT INTO kv SELECT key, value FROM n.kv; COMMIT;\n" "$SO" "$DIR" \
    | sqlite3 -cmd "ATTACH '$DIR/native.db' AS n" :memory:
fi
declare -A Q
Q[join]="SELECT count(*), sum(length(kv.value)) FROM k.q CROSS JOIN kv ON kv.key = q.k;"
Q[desc]="SELECT sum((SELECT sum(length(value)) FROM (SELECT value FROM kv WHERE key <= s.k ORDER BY key DESC LIMIT 1000))) FROM k.s;"
Q[asc]="SELECT sum((SELECT sum(length(value)) FROM (SELECT value FROM kv WHERE key >= s.k ORDER BY key ASC LIMIT 1000))) FROM k.s;"
Q[scan]="SELECT count(*), sum(length(value)) FROM kv;"
printf '%-5s %8s %8s %6s\n' query ours native ratio
for q in join desc asc scan; do
  o="ATTACH '$DIR/keys.db' AS k;
.load $SO sqlite3_slatedb_init
CREATE VIRTUAL TABLE temp.kv USING slatedb('$DIR/ours', mode=reader, cache_size='64MiB');
${Q[$q]}
.timer on"
  n="ATTACH '$DIR/keys.db' AS k;
PRAGMA cache_size=-65536;
${Q[$q]}
.timer on"
  for i in 1 2 3 4 5 6; do o="$o
${Q[$q]}"; n="$n
${Q[$q]}"; done
  to=$(echo "$o" | sqlite3 :memory: | sed -n 's/^Run Time: real \([0-9.]*\).*/\1/p' | sort -n | head -1)
  tn=$(echo "$n" | sqlite3 "$DIR/native.db" | sed -n 's/^Run Time: real \([0-9.]*\).*/\1/p' | sort -n | head -1)
  printf '%-5s %8s %8s %6.2f\n' "$q" "$to" "$tn" "$(echo "$to $tn" | awk '{ print $1 / $2 }')"
done
