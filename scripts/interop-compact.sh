#!/usr/bin/env bash
# interop-compact.sh: compaction, garbage collection and checkpoints against the real SlateDB
# 0.12.1 (scripts/oracle/slatedb-tool.mjs through @slatedb/uniffi), on local directories.
#
#  k1  SQL writes 40 transactions of overwrites and deletes with l0_sst_size_bytes='8KiB' and
#      compactor_poll_interval='100ms', so that the background compactor runs several times;
#      then 'compact' (a full compaction into one run). Our own listing, a fresh mode=reader process and SlateDB's dump (as a
#      reader, and as a writer, whose own compactor then runs on our runs) all agree with the
#      model; the manifest holds sorted runs and no more than a few L0s.
#  k2  SlateDB compacts what we wrote: our writer (compactor=false) leaves 8 L0s, SlateDB's
#      writer with its compactor merges them, we read the sorted run it wrote.
#  k3  kill -9 during compaction, 8 times: a writer commits numbered transactions and compacts
#      while the shell is killed at a random moment; afterwards our reader and SlateDB list the
#      same rows, and every acknowledged transaction is there.
#  k4  Space: every key overwritten ten times, compacted, the compactor's checkpoints deleted, one
#      more L0, and 'gc 0': the compacted/ folder holds about one copy of the data (< 2x), and SlateDB and we
#      still read every key.
#  k5  Checkpoints: 'checkpoint' pins a state; later writes and a compaction do not change what
#      a checkpoint= reader sees; SlateDB sees the checkpoint in the manifest; 'gc 0' keeps
#      what it pins; 'checkpoint-delete' removes it.
#  k6  TTL-expired merge operands: SlateDB writes 4 L0s holding merge operands, some with a 1 ms
#      TTL that has passed by the last L0's clock tick; one copy is compacted by SlateDB's
#      compactor, another by ours ('compact'): SlateDB and our reader read both copies the same,
#      and the expired operands are gone from both.
#  k7  The same at an L0 flush: SlateDB leaves merge operands (one with a 1 ms TTL) in the WAL
#      only; SlateDB's writer and ours each replay and flush them to an L0: both copies read the
#      same, without the expired operand.
#
# Prints "PASS interop-compact <check>" / "FAIL interop-compact <check>: why", or
# "SKIP interop-compact: why" when the oracle (Node >= 20, npm registry) is unavailable.
set -u
if [ -n "${LD_PRELOAD:-}" ]; then exec env -u LD_PRELOAD bash "$0" "$@"; fi
SRC=$(cd "$(dirname "$0")/.." && pwd)
SO=${SDB_SO:-$SRC/slatedb.so}
case "$SO" in /*) ;; *) SO="$PWD/$SO" ;; esac
T=interop-compact

. "$SRC/scripts/oracle/require.sh"
W=$(mktemp -d "${TMPDIR:-/tmp}/sdbic.XXXXXX")
trap 'rm -rf "$W"' EXIT

# sql FILE: the sqlite3 shell on FILE (FILE.out, FILE.err, SQL_RC).
sql() {
  timeout 300 sqlite3 -batch -init /dev/null :memory: <"$1" >"$1.out" 2>"$1.err"
  SQL_RC=$?
}
# ours DB OUT [options]: a fresh mode=reader listing "<key hex> <value hex>".
ours() {
  printf '.load %s\nCREATE VIRTUAL TABLE temp.r USING slatedb(%s, mode=reader, key_type=blob, value_type=blob%s);\nSELECT lower(hex(key)) || %s || lower(hex(value)) FROM r;\n' \
    "$SO" "'$1'" "${3:-}" "' '" >"$W/ours.sql"
  sql "$W/ours.sql"
  cp "$W/ours.sql.out" "$2"
}
# stat DB COLUMN: a slatedb_handles column of a writer opened without maintenance.
info() { tool info "$1" 2>/dev/null; }
same() {   # same NAME A B
  if cmp -s "$2" "$3"; then pass "$1"; return 0; fi
  fail "$1: listings differ ($(wc -l <"$2") vs $(wc -l <"$3") rows): $(diff "$2" "$3" | head -4 | tr '\n' ' ')"
  return 1
}
# model FILE: the expected rows of a writes script's "-- model" comments (see gen_writes).
hexs() { printf %s "$1" | od -An -v -tx1 | tr -d ' \n'; }

# gen_writes DB NTX OPTIONS: SQL of NTX transactions over 500 text keys (overwrites, deletes),
# and the model of the final contents in $W/model.txt (awk keeps the last write per key).
gen_writes() {
  local db=$1 ntx=$2 opts=$3
  echo ".load $SO"
  echo "CREATE VIRTUAL TABLE temp.w USING slatedb('$db', mode=writer, key_type=blob, value_type=blob$opts);"
  for t in $(seq 1 "$ntx"); do
    echo "BEGIN;"
    for i in $(seq 0 7 140); do
      k=$(( (i * 13 + t * 31) % 500 ))
      echo "INSERT OR REPLACE INTO w VALUES(CAST('key$k' AS BLOB), CAST('v$t.$k.$(printf '%040d' "$t")' AS BLOB));"
    done
    [ $((t % 5)) -eq 0 ] && echo "DELETE FROM w WHERE key >= CAST('key1$t' AS BLOB) AND key < CAST('key1${t}5' AS BLOB);"
    echo "COMMIT;"
    echo "SELECT 'ack $t';"
  done
}

# ------------------------------------------------------------------ k1
k1() {
  local db="$W/k1/db"
  gen_writes "$db" 40 ", l0_sst_size_bytes='2KiB', compactor_poll_interval='100ms'" >"$W/k1.sql"
  { echo "SELECT 'compactions-bg', compactions FROM slatedb_handles;"
    echo "INSERT INTO w(w) VALUES('flush-memtable');"
    echo "INSERT INTO w(w) VALUES('compact');"
    echo "SELECT 'state', l0_ssts, sorted_runs, compactions FROM slatedb_handles;"
    echo "SELECT lower(hex(key)) || ' ' || lower(hex(value)) FROM w;"; } >>"$W/k1.sql"
  sql "$W/k1.sql"
  [ "$SQL_RC" = 0 ] || { fail "k1: our writer failed: $(oneline "$W/k1.sql.err")"; return; }
  grep -v -E '^(ack|compactions-bg|state)' "$W/k1.sql.out" >"$W/k1.self"
  local st; st=$(grep '^state' "$W/k1.sql.out")
  local nl0 nrun ncomp
  IFS='|' read -r _ nl0 nrun ncomp <<<"$st"
  ours "$db" "$W/k1.ours"
  tool dump "$db" --out "$W/k1.theirs" >"$W/k1.dump.log" 2>&1 || fail "k1: SlateDB dump: $(oneline "$W/k1.dump.log")"
  tool dump "$db" --writer --out "$W/k1.theirs-w" >"$W/k1.dumpw.log" 2>&1 ||
    fail "k1: SlateDB writer dump: $(oneline "$W/k1.dumpw.log")"
  if [ "${nrun:-0}" != 1 ] || [ "${ncomp:-0}" -lt 3 ] || [ "${nl0:-9}" != 0 ]; then
    fail "k1: expected several compactions into sorted runs, got l0=$nl0 runs=$nrun compactions=$ncomp"
  elif same "k1 our compacted database ($ncomp compactions, $nrun runs): our reader" "$W/k1.self" "$W/k1.ours" &&
       same "k1 SlateDB reads our sorted runs" "$W/k1.self" "$W/k1.theirs"; then
    same "k1 SlateDB's writer (its compactor on) reads our runs" "$W/k1.self" "$W/k1.theirs-w"
  fi
}

# ------------------------------------------------------------------ k2
k2() {
  local db="$W/k2/db"
  gen_writes "$db" 16 ", l0_sst_size_bytes='4KiB', compactor=false, gc=false" >"$W/k2.sql"
  echo "INSERT INTO w(w) VALUES('flush-memtable');" >>"$W/k2.sql"
  sql "$W/k2.sql"
  [ "$SQL_RC" = 0 ] || { fail "k2: our writer failed: $(oneline "$W/k2.sql.err")"; return; }
  ours "$db" "$W/k2.before"
  local l0a; l0a=$(info "$db" | sed -n 's/.*"l0":\([0-9]*\).*/\1/p')
  printf 'sleep 4000\n' >"$W/k2.ops"
  tool write "$db" "$W/k2.ops" --compactor >"$W/k2.write.log" 2>&1 ||
    { fail "k2: SlateDB with its compactor failed: $(oneline "$W/k2.write.log")"; return; }
  local runs; runs=$(info "$db" | sed -n 's/.*"sorted_runs":\[\([0-9,]*\)\].*/\1/p')
  ours "$db" "$W/k2.after"
  if [ -z "$runs" ]; then fail "k2: SlateDB did not compact our $l0a L0s: $(info "$db")"
  else same "k2 SlateDB compacts our $l0a L0s into runs [$runs], we read them" "$W/k2.before" "$W/k2.after"
  fi
}

# ------------------------------------------------------------------ k3
k3() {
  local db="$W/k3/db" lost=0 i
  for i in $(seq 1 8); do
    gen_writes "$db" 30 ", l0_sst_size_bytes='4KiB', compactor_poll_interval='50ms'" |
      sed "s/'ack /'ack $i./" >"$W/k3.$i.sql"
    echo "INSERT INTO w(w) VALUES('compact');" >>"$W/k3.$i.sql"
    # sqlite3 itself in the background, so that the kill reaches the writer (a kill of a
    # timeout wrapper would leave it running on, writing while the listings are taken).
    sqlite3 -batch -init /dev/null :memory: <"$W/k3.$i.sql" >"$W/k3.$i.out" 2>"$W/k3.$i.err" &
    local pid=$!
    sleep "0.$(( RANDOM % 9 + 1 ))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  ours "$db" "$W/k3.ours"
  tool dump "$db" --out "$W/k3.theirs" >"$W/k3.dump.log" 2>&1
  # Every acknowledged transaction's rows that no later write changed must be there: check
  # that the last acknowledged transaction of the last round that acknowledged anything
  # left its values (later rounds rewrite the same keys).
  local last; last=$(cat "$W"/k3.*.out | grep '^ack ' | tail -1 | cut -d' ' -f2)
  if ! same "k3 after 8 kill -9 during compaction: our reader and SlateDB agree" "$W/k3.ours" "$W/k3.theirs"; then
    return
  fi
  [ -n "$last" ] || { fail "k3: no transaction was acknowledged before the kills"; return; }
  local round=${last%%.*} t=${last#*.}
  local want; want=$(hexs "v$t.")
  # rounds after $round acknowledged nothing, so transaction $t of round $round is newest for
  # the keys it wrote unless a later transaction of that round overwrote them before the kill.
  if grep -q " $want" "$W/k3.ours"; then
    pass "k3 the last acknowledged transaction (round $round, tx $t) survived"
  else
    fail "k3: rows of the last acknowledged transaction $last are missing"
  fi
}

# ------------------------------------------------------------------ k4
k4() {
  local db="$W/k4/db"
  {
    echo ".load $SO"
    echo "CREATE VIRTUAL TABLE temp.w USING slatedb('$db', mode=writer, key_type=text, value_type=blob, l0_sst_size_bytes='64KiB', compactor_poll_interval='100ms');"
    for r in $(seq 1 10); do
      echo "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM c WHERE i<1999) INSERT OR REPLACE INTO w SELECT 'key'||i, randomblob(100) FROM c;"
    done
    echo "INSERT INTO w(w) VALUES('flush-memtable');"
    echo "INSERT INTO w(w) VALUES('compact');"
    echo "SELECT 'ckpt ' || id FROM slatedb_checkpoints;"
  } >"$W/k4.sql"
  sql "$W/k4.sql"
  [ "$SQL_RC" = 0 ] || { fail "k4: writes failed: $(oneline "$W/k4.sql.err")"; return; }
  local before; before=$(du -sb "$db/compacted" | cut -f1)
  {
    echo ".load $SO"
    echo "CREATE VIRTUAL TABLE temp.w USING slatedb('$db', mode=writer, key_type=text, value_type=blob);"
    sed -n "s/^ckpt \(.*\)/INSERT INTO w(w) VALUES('checkpoint-delete \1');/p" "$W/k4.sql.out"
    # SlateDB's GC keeps compacted SSTs newer than the newest L0 (they could be the output of
    # a compaction still running): one more L0 lets it collect the last superseded run.
    echo "INSERT OR REPLACE INTO w VALUES('key0', x'00');"
    echo "INSERT INTO w(w) VALUES('flush-memtable');"
    echo "INSERT INTO w(w) VALUES('gc 0');"
    echo "SELECT count(*) FROM w;"
  } >"$W/k4b.sql"
  sql "$W/k4b.sql"
  local after; after=$(du -sb "$db/compacted" | cut -f1)
  local one=$(( 2000 * 110 ))
  local n; n=$(tool dump "$db" 2>/dev/null | wc -l)
  if [ "$SQL_RC" != 0 ]; then fail "k4: gc failed: $(oneline "$W/k4b.sql.err")"
  elif [ "$(cat "$W/k4b.sql.out")" != 2000 ] || [ "$n" != 2000 ]; then
    fail "k4: expected 2000 keys, ours $(cat "$W/k4b.sql.out"), SlateDB $n"
  elif [ "$after" -gt $(( one * 2 )) ]; then
    fail "k4: compacted/ holds $after bytes after GC for about $one bytes of data (before: $before)"
  else
    pass "k4 ten overwrites, compacted and collected: compacted/ $before -> $after bytes for $one bytes of data"
  fi
}

# ------------------------------------------------------------------ k5
k5() {
  local db="$W/k5/db"
  {
    echo ".load $SO"
    echo "CREATE VIRTUAL TABLE temp.w USING slatedb('$db', mode=writer, l0_sst_size_bytes='4KiB');"
    echo "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM c WHERE i<299) INSERT INTO w SELECT 'k'||i, 'old'||i FROM c;"
    echo "INSERT INTO w(w) VALUES('flush-memtable');"
    echo "INSERT INTO w(w) VALUES('checkpoint');"
    echo "SELECT 'ckpt ' || id FROM slatedb_checkpoints;"
    for r in 1 2 3 4 5; do
      echo "UPDATE w SET value = 'new$r' WHERE key < 'k2';"
      echo "INSERT INTO w(w) VALUES('flush-memtable');"
    done
    echo "INSERT INTO w(w) VALUES('compact');"
    echo "INSERT INTO w(w) VALUES('gc 0');"
  } >"$W/k5.sql"
  sql "$W/k5.sql"
  [ "$SQL_RC" = 0 ] || { fail "k5: writes failed: $(oneline "$W/k5.sql.err")"; return; }
  local id; id=$(sed -n 's/^ckpt //p' "$W/k5.sql.out" | head -1)
  printf '.load %s\nCREATE VIRTUAL TABLE temp.r USING slatedb(%s, mode=reader, checkpoint=%s);\nSELECT count(*), sum(value LIKE %s) FROM r;\nCREATE VIRTUAL TABLE temp.l USING slatedb(%s, mode=reader);\nSELECT count(*), sum(value LIKE %s) FROM l;\n' \
    "$SO" "'$db'" "'$id'" "'old%'" "'$db'" "'old%'" >"$W/k5r.sql"
  sql "$W/k5r.sql"
  local ck; ck=$(info "$db" | sed -n 's/.*"checkpoints":\([0-9]*\).*/\1/p')
  if [ "$SQL_RC" != 0 ]; then fail "k5: checkpoint reader failed: $(oneline "$W/k5r.sql.err")"
  elif [ "$(sed -n 1p "$W/k5r.sql.out")" != "300|300" ]; then
    fail "k5: the checkpoint reader sees $(sed -n 1p "$W/k5r.sql.out") (want 300 rows, all old)"
  elif [ "$(sed -n 2p "$W/k5r.sql.out" | cut -d'|' -f2)" = 300 ]; then
    fail "k5: the latest state should have new values: $(sed -n 2p "$W/k5r.sql.out")"
  elif [ "${ck:-0}" -lt 1 ]; then
    fail "k5: SlateDB does not see the checkpoint: $(info "$db")"
  else
    pass "k5 a checkpoint= reader sees the pinned state after overwrites, compaction and gc 0 ($ck checkpoints seen by SlateDB)"
  fi
  printf '.load %s\nCREATE VIRTUAL TABLE temp.w USING slatedb(%s, mode=writer);\nINSERT INTO w(w) VALUES(%s);\nSELECT count(*) FROM slatedb_checkpoints WHERE id = %s;\n' \
    "$SO" "'$db'" "'checkpoint-delete $id'" "'$id'" >"$W/k5d.sql"
  sql "$W/k5d.sql"
  if [ "$SQL_RC" = 0 ] && [ "$(cat "$W/k5d.sql.out")" = 0 ]; then pass "k5 checkpoint-delete removes it"
  else fail "k5: checkpoint-delete: $(oneline "$W/k5d.sql.out") $(oneline "$W/k5d.sql.err")"
  fi
}

# ------------------------------------------------------------------ k6
k6() {
  local db="$W/k6/db"
  # keys m, n, x, z; operands "+a" and "+y" expire after 1 ms, "+z" after an hour.
  cat >"$W/k6.ops" <<'OPS'
put 6d 62617365
merge 6e 2b78
flush memtable
merge 6d 2b61 ttl=1
merge 6e 2b79 ttl=1
flush memtable
sleep 50
merge 6d 2b62
merge 6e 2b7a ttl=3600000
flush memtable
sleep 50
put 78 79
flush memtable
OPS
  tool write "$db" "$W/k6.ops" >"$W/k6.write.log" 2>&1 ||
    { fail "k6: SlateDB write: $(oneline "$W/k6.write.log")"; return; }
  tool dump "$db" --out "$W/k6.before" >"$W/k6.d0.log" 2>&1
  mkdir -p "$W/k6s" "$W/k6o"
  cp -r "$db" "$W/k6s/db"
  cp -r "$db" "$W/k6o/db"
  printf 'sleep 4000\n' >"$W/k6.wait"
  tool write "$W/k6s/db" "$W/k6.wait" --compactor >"$W/k6.s.log" 2>&1 ||
    { fail "k6: SlateDB's compactor: $(oneline "$W/k6.s.log")"; return; }
  printf '.load %s\nCREATE VIRTUAL TABLE temp.w USING slatedb(%s, mode=writer, merge_operator=concat);\nINSERT INTO w(w) VALUES(%s);\n' \
    "$SO" "'$W/k6o/db'" "'compact'" >"$W/k6o.sql"
  sql "$W/k6o.sql"
  [ "$SQL_RC" = 0 ] || { fail "k6: our compaction: $(oneline "$W/k6o.sql.err")"; return; }
  local rs ro
  rs=$(info "$W/k6s/db" | sed -n 's/.*"sorted_runs":\[\([0-9,]*\)\].*/\1/p')
  ro=$(info "$W/k6o/db" | sed -n 's/.*"sorted_runs":\[\([0-9,]*\)\].*/\1/p')
  tool dump "$W/k6s/db" --out "$W/k6.theirs" >"$W/k6.d1.log" 2>&1
  tool dump "$W/k6o/db" --out "$W/k6.ours" >"$W/k6.d2.log" 2>&1
  ours "$W/k6s/db" "$W/k6.theirs-r" ", merge_operator=concat"
  ours "$W/k6o/db" "$W/k6.ours-r" ", merge_operator=concat"
  # m = base+b, n = +x+z, x = y once the expired operands are dropped.
  printf '6d 626173652b62\n6e 2b782b7a\n78 79\n' >"$W/k6.want"
  if [ -z "$rs" ] || [ -z "$ro" ]; then
    fail "k6: expected both copies compacted into sorted runs: SlateDB [$rs], ours [$ro]"
  elif cmp -s "$W/k6.before" "$W/k6.want"; then
    fail "k6: the expired operands were already gone before compaction (test is vacuous)"
  elif same "k6 SlateDB-compacted and we-compacted copies read the same (SlateDB)" "$W/k6.theirs" "$W/k6.ours" &&
       same "k6 SlateDB-compacted and we-compacted copies read the same (our reader)" "$W/k6.theirs-r" "$W/k6.ours-r"; then
    same "k6 TTL-expired merge operands are dropped by both compactors" "$W/k6.want" "$W/k6.ours"
  fi
}

# ------------------------------------------------------------------ k7
k7() {
  local db="$W/k7/db"
  cat >"$W/k7.ops" <<'OPS'
merge 6d 2b61 ttl=1
merge 6e 2b78
sleep 30
merge 6e 2b79 ttl=1
sleep 30
put 78 79
flush wal
OPS
  tool write "$db" "$W/k7.ops" >"$W/k7.write.log" 2>&1 ||
    { fail "k7: SlateDB write: $(oneline "$W/k7.write.log")"; return; }
  mkdir -p "$W/k7s" "$W/k7o"
  cp -r "$db" "$W/k7s/db"
  cp -r "$db" "$W/k7o/db"
  printf 'flush memtable\n' >"$W/k7.flush"
  tool write "$W/k7s/db" "$W/k7.flush" >"$W/k7.s.log" 2>&1 ||
    { fail "k7: SlateDB's flush: $(oneline "$W/k7.s.log")"; return; }
  printf '.load %s\nCREATE VIRTUAL TABLE temp.w USING slatedb(%s, mode=writer, merge_operator=concat, compactor=false);\nINSERT INTO w(w) VALUES(%s);\n' \
    "$SO" "'$W/k7o/db'" "'flush-memtable'" >"$W/k7o.sql"
  sql "$W/k7o.sql"
  [ "$SQL_RC" = 0 ] || { fail "k7: our flush: $(oneline "$W/k7o.sql.err")"; return; }
  local ls lo
  ls=$(info "$W/k7s/db" | sed -n 's/.*"l0":\([0-9]*\).*/\1/p')
  lo=$(info "$W/k7o/db" | sed -n 's/.*"l0":\([0-9]*\).*/\1/p')
  tool dump "$W/k7s/db" --out "$W/k7.theirs" >"$W/k7.d1.log" 2>&1
  tool dump "$W/k7o/db" --out "$W/k7.ours" >"$W/k7.d2.log" 2>&1
  printf '6e 2b78\n78 79\n' >"$W/k7.want"
  if [ "${ls:-0}" = 0 ] || [ "${lo:-0}" = 0 ]; then
    fail "k7: expected an L0 in both copies: SlateDB ${ls:-?}, ours ${lo:-?}"
  elif same "k7 SlateDB-flushed and we-flushed L0s read the same" "$W/k7.theirs" "$W/k7.ours"; then
    same "k7 TTL-expired merge operands are dropped by both L0 flushes" "$W/k7.want" "$W/k7.ours"
  fi
}

k1
k2
k3
k4
k5
k6
k7
