#!/usr/bin/env bash
# bench.sh: `make bench`. The same workloads, side by side, on
#   ours     this project through SQL: bench/sqlbench.c links libsqlite3, loads ./slatedb.so and
#            runs prepared statements against `CREATE VIRTUAL TABLE kv USING slatedb(...)`
#   slatedb  the real SlateDB 0.12.1 through its Node binding @slatedb/uniffi
#            (scripts/oracle/bench.mjs; installed by scripts/oracle-install.sh, SKIP if it cannot be)
#   sqlite   a native SQLite table `kv(key BLOB PRIMARY KEY, value BLOB) WITHOUT ROWID` in a file,
#            journal_mode=WAL, through the same C driver as ours
# with 16-byte keys (random order) and 100-byte values, on a local directory.
#
# Workloads: 1 bulk load in transactions; 2 durable single-row commits (p50/p99); 3 random point
# lookups, warm and cold; 4 full scan and 1,000-row range scans ascending and descending; 5 mixed
# 90% reads / 10% writes; 6 S3: the same on moto behind the project's verifying proxy
# (scripts/s3/lib.sh; SKIP when moto is unavailable), ours and SlateDB on s3://, native SQLite on a
# local file as a reference only, with the object-store requests each operation costs (counted by
# the proxy for both, and by our slatedb_handles); 7 peak RSS of every run, and a full scan of a
# database at least 10x larger than a small cache; 8 compaction keeps reads flat: ours writes
# BENCH_COMPACT_ROUNDS rounds of overwrites and new keys with small L0 SSTs, compactor=true vs
# compactor=false, and after each round a fresh reader measures point lookups and 1,000-row range
# scans (native SQLite: the same rounds, as a reference); 9 issue 16's targets, each figure a new
# sqlite3 shell process against native SQLite, best of 3, written to build/bench/results.tsv
# (scripts/bench-proc.sh, its own BENCH16_* sizes; compare two runs with scripts/bench-compare.sh).
#
# Workloads 1-5 and 7 run without compaction on both sides (ours compactor=false, gc=false,
# l0_max_ssts=100000; SlateDB compactor_options and garbage_collector_options null): the same
# layout, L0 SSTs only, whatever the timing of a background compactor. Workload 8 measures it.
#
# Each figure is the median of several runs (BENCH_REPS; the long bulk loads and SlateDB's full
# scan BENCH_SLOW_REPS), engines interleaved within a round. Ratios are speed ratios: ours
# relative to the other, > 1 means ours is faster (throughput ours/other, latency other/ours).
#
# Environment (defaults in brackets):
#   BENCH_N [1000000] rows loaded and read     BENCH_TXN [10000] rows per load transaction
#   BENCH_REPS [3] runs per figure             BENCH_SLOW_REPS [1] runs of the loads, SlateDB's full scan
#   BENCH_COMMITS [300] durable commits        BENCH_AWAIT_COMMITS [30] SlateDB await_durable=true commits
#   BENCH_LOOKUPS [50000] warm lookups         BENCH_WARMUP [50000] warm-up lookups before them
#   BENCH_COLD [1000] cold lookups             BENCH_RANGES [200] range scans per direction (after 4x as
#                                              many unmeasured ones, so that caches are full)
#   BENCH_SLATEDB_RANGES [50] idem for SlateDB BENCH_MIXED [20000] mixed operations
#   BENCH_CACHE [64MiB] block cache of ours (cache_size) and page cache of sqlite (SlateDB's
#                default block cache is 64 MiB too)
#   BENCH_SMALL_CACHE [4MiB] cache of the "scan >= 10x cache" figure
#   BENCH_ENGINES ["ours slatedb sqlite"]      BENCH_OUT [bench-results.txt] summary file
#   BENCH_WORKLOADS ["1 2 3 4 5 6 7 8 9"]        BENCH_RUN_TIMEOUT [900] seconds, then a run FAILs
#   S3 (workload 6): BENCH_S3_N [20000] rows    BENCH_S3_TXN [2000] rows per load transaction
#   BENCH_S3_COMMITS [100] ours (and SlateDB put+flush) durable commits
#   BENCH_S3_AWAIT_COMMITS [20] SlateDB await_durable=true commits (one 100 ms flush tick each)
#   BENCH_S3_COLD [100] cold lookups (fresh process)  BENCH_S3_LOOKUPS [5000] warm lookups after
#   BENCH_S3_N warm-up lookups                 BENCH_S3_INLISTS [10] IN-list queries of 100 keys
#   BENCH_S3_PARALLEL [8] ours parallel_reads, SlateDB gets in flight / scan fetch tasks
#   BENCH_S3_DELAY_MS [0] added latency of every request at the proxy (0 = moto on loopback)
#   (workload 6 also measures the store's own ceiling in the same run: bench/s3ceiling.c reads the
#   same SSTs as BENCH_S3_PARALLEL parallel 1 MiB ranged GETs, no decoding; the full scan's bytes
#   per second are reported as a fraction of it, target >= 0.70)
#   compaction (workload 8): BENCH_COMPACT_N [BENCH_N] rows written over all rounds
#   BENCH_COMPACT_ROUNDS [5]  BENCH_COMPACT_L0 [1MiB] l0_sst_size_bytes
#   BENCH_COMPACT_LOOKUPS [20000] lookups per reader (after as many warm-up lookups)
#   BENCH_COMPACT_RANGES [200] 1,000-row range scans per direction (after as many warm-up ones)
#   BENCH_DIR [${TMPDIR:-/tmp}/sdb-bench.PID] work folder (removed at the end unless BENCH_KEEP=1)
#   SDB_SO [./slatedb.so]
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
START_DIR=$(pwd)
N=${BENCH_N:-1000000}
TXN=${BENCH_TXN:-10000}
REPS=${BENCH_REPS:-3}
SLOW_REPS=${BENCH_SLOW_REPS:-1}
COMMITS=${BENCH_COMMITS:-300}
AWAIT_COMMITS=${BENCH_AWAIT_COMMITS:-30}
LOOKUPS=${BENCH_LOOKUPS:-50000}
WARMUP=${BENCH_WARMUP:-50000}
COLD=${BENCH_COLD:-1000}
RANGES=${BENCH_RANGES:-200}
SLATEDB_RANGES=${BENCH_SLATEDB_RANGES:-50}
MIXED=${BENCH_MIXED:-20000}
CACHE=${BENCH_CACHE:-64MiB}
SMALL_CACHE=${BENCH_SMALL_CACHE:-4MiB}
ENGINES=${BENCH_ENGINES:-ours slatedb sqlite}
WORKLOADS=${BENCH_WORKLOADS:-1 2 3 4 5 6 7 8 9}
RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-900}
S3_N=${BENCH_S3_N:-20000}
S3_TXN=${BENCH_S3_TXN:-2000}
S3_COMMITS=${BENCH_S3_COMMITS:-100}
S3_AWAIT_COMMITS=${BENCH_S3_AWAIT_COMMITS:-20}
S3_COLD=${BENCH_S3_COLD:-100}
S3_LOOKUPS=${BENCH_S3_LOOKUPS:-5000}
S3_INLISTS=${BENCH_S3_INLISTS:-10}
S3_PARALLEL=${BENCH_S3_PARALLEL:-8}
S3_DELAY_MS=${BENCH_S3_DELAY_MS:-0}
C_N=${BENCH_COMPACT_N:-$N}
C_ROUNDS=${BENCH_COMPACT_ROUNDS:-5}
C_L0=${BENCH_COMPACT_L0:-1MiB}
C_LOOKUPS=${BENCH_COMPACT_LOOKUPS:-20000}
C_RANGES=${BENCH_COMPACT_RANGES:-200}
OUT=${BENCH_OUT:-bench-results.txt}
case "$OUT" in /*) ;; *) OUT="$START_DIR/$OUT" ;; esac
WORK=${BENCH_DIR:-${TMPDIR:-/tmp}/sdb-bench.$$}
SO=${SDB_SO:-$SRC/slatedb.so}
case "$SO" in /*) ;; *) SO="$START_DIR/$SO" ;; esac
DRV="$SRC/build/bench/sqlbench"
CEIL="$SRC/build/bench/s3ceiling"
MJS="$SRC/scripts/oracle/bench.mjs"

COMMAND="BENCH_N=$N BENCH_TXN=$TXN BENCH_REPS=$REPS BENCH_SLOW_REPS=$SLOW_REPS BENCH_COMMITS=$COMMITS"
COMMAND+=" BENCH_AWAIT_COMMITS=$AWAIT_COMMITS BENCH_LOOKUPS=$LOOKUPS BENCH_WARMUP=$WARMUP BENCH_COLD=$COLD"
COMMAND+=" BENCH_RANGES=$RANGES BENCH_SLATEDB_RANGES=$SLATEDB_RANGES BENCH_MIXED=$MIXED BENCH_CACHE=$CACHE"
COMMAND+=" BENCH_SMALL_CACHE=$SMALL_CACHE BENCH_ENGINES='$ENGINES'"
[ "$WORKLOADS" != "1 2 3 4 5 6 7 8 9" ] && COMMAND+=" BENCH_WORKLOADS='$WORKLOADS'"
COMMAND+=" BENCH_S3_N=$S3_N BENCH_S3_TXN=$S3_TXN BENCH_S3_COMMITS=$S3_COMMITS BENCH_S3_AWAIT_COMMITS=$S3_AWAIT_COMMITS"
COMMAND+=" BENCH_S3_COLD=$S3_COLD BENCH_S3_LOOKUPS=$S3_LOOKUPS BENCH_S3_INLISTS=$S3_INLISTS BENCH_S3_PARALLEL=$S3_PARALLEL"
[ "$S3_DELAY_MS" != 0 ] && COMMAND+=" BENCH_S3_DELAY_MS=$S3_DELAY_MS"
COMMAND+=" BENCH_COMPACT_N=$C_N BENCH_COMPACT_ROUNDS=$C_ROUNDS BENCH_COMPACT_L0=$C_L0"
COMMAND+=" BENCH_COMPACT_LOOKUPS=$C_LOOKUPS BENCH_COMPACT_RANGES=$C_RANGES"
[ -n "${SDB_SO:-}" ] && COMMAND+=" SDB_SO=$SDB_SO"
COMMAND+=" bash scripts/bench.sh"

for v in N TXN REPS SLOW_REPS COMMITS AWAIT_COMMITS LOOKUPS WARMUP COLD RANGES SLATEDB_RANGES MIXED RUN_TIMEOUT \
         S3_N S3_TXN S3_COMMITS S3_AWAIT_COMMITS S3_COLD S3_LOOKUPS S3_INLISTS S3_PARALLEL C_N C_ROUNDS C_LOOKUPS C_RANGES; do
  case "${!v}" in ''|*[!0-9]*|0) echo "bench: BENCH_$v must be a positive integer" >&2; exit 2 ;; esac
done
case "$S3_DELAY_MS" in ''|*[!0-9]*) echo "bench: BENCH_S3_DELAY_MS must be an integer" >&2; exit 2 ;; esac
# workload 9 alone: scripts/bench-proc.sh only
[ "$(echo $WORKLOADS)" = 9 ] && exec bash "$SRC/scripts/bench-proc.sh"
has() { case " $ENGINES " in *" $1 "*) return 0 ;; esac; return 1; }
want() { case " $WORKLOADS " in *" $1 "*) return 0 ;; esac; return 1; }

# ------------------------------------------------------------------ setup
[ -f "$SO" ] || { echo "bench: $SO is missing; run make first" >&2; exit 2; }
mkdir -p "$SRC/build/bench"
if [ ! -x "$DRV" ] || [ "$SRC/bench/sqlbench.c" -nt "$DRV" ]; then
  ${CC:-cc} -std=c11 -O2 -g -Wall -Wextra -Wno-unused-parameter -o "$DRV" "$SRC/bench/sqlbench.c" -lsqlite3 \
    || { echo "bench: cannot build $DRV (needs libsqlite3-dev)" >&2; exit 2; }
fi
# the store's own read ceiling (workload 6): bench/s3ceiling.c on the engine's core library
if want 6 && { [ ! -x "$CEIL" ] || [ "$SRC/bench/s3ceiling.c" -nt "$CEIL" ] || [ "$SRC/build/libsdbcore.a" -nt "$CEIL" ]; }; then
  make -s -C "$SRC" build/libsdbcore.a && ${CC:-cc} -std=c11 -O2 -g -Wall -Wextra -Wno-unused-parameter \
    -I"$SRC/core" -o "$CEIL" "$SRC/bench/s3ceiling.c" "$SRC/build/libsdbcore.a" \
    -lcrypto -lsnappy -llz4 -lzstd -lz -lxxhash -lpthread -lm -ldl \
    || { echo "bench: cannot build $CEIL" >&2; exit 2; }
fi
SLATEDB_SKIP=""
if has slatedb; then
  inst=$(bash "$SRC/scripts/oracle-install.sh" 2>&1); rc=$?
  if [ $rc -eq 3 ]; then SLATEDB_SKIP=$(printf '%s\n' "$inst" | sed -n 's/^SKIP-REASON: //p' | head -1)
  elif [ $rc -ne 0 ]; then SLATEDB_SKIP="scripts/oracle-install.sh failed (exit $rc)"; fi
  if [ -n "$SLATEDB_SKIP" ]; then
    echo "SKIP slatedb: $SLATEDB_SKIP"
    ENGINES=$(echo " $ENGINES " | sed 's/ slatedb / /')
  fi
fi

rm -rf "$WORK"
mkdir -p "$WORK"
RAW="$WORK/raw.txt"
: > "$RAW"
S3DIR="$WORK/s3srv"
S3_UP=0
. "$SRC/scripts/s3/lib.sh"
cleanup() {
  [ "$S3_UP" = 1 ] && s3_stop "$S3DIR"
  [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT
FAILS=0
T_START=$(date +%s)

# run STEP ENGINE REP cmd...: run one benchmark process, keep its RESULT line (plus its peak
# RSS) in $RAW as "STEP ENGINE REP k=v ...".
run() {
  local step=$1 eng=$2 rep=$3
  shift 3
  local out="$WORK/out.$$" err="$WORK/err.$$"
  [ -n "${PRE_HOOK:-}" ] && $PRE_HOOK
  # (a new bash: the helpers below are exported functions)
  if timeout "$RUN_TIMEOUT" bash -c '"$@"' bench-run "$@" > "$out" 2> "$err"; then
    local res rss extra=""
    res=$(grep '^RESULT op=' "$out" | grep -v 'op=rusage' | tail -1 | sed 's/^RESULT //')
    rss=$(sed -n 's/^RESULT op=rusage //p' "$out" | tail -1)
    [ -n "${POST_HOOK:-}" ] && extra=$($POST_HOOK)
    echo "$step $eng $rep $res $rss$extra" >> "$RAW"
    printf '  %-11s %-14s run %s: %s %s%s\n' "$step" "$eng" "$rep" "$res" "$rss" "$extra" | cut -c1-220
  else
    FAILS=$((FAILS + 1))
    echo "FAIL $step $eng run $rep: $(tail -3 "$err" | tr '\n' ' ')"
    echo "$step $eng $rep FAILED" >> "$RAW"
  fi
}

evict() { "$DRV" evict --path "$1"; }

# Workloads 1-5, 7: no compaction on either side (see the header); writers only take these options.
OURS_W="compactor=false, gc=false, l0_max_ssts=100000"
ours() { local op=$1; shift; "$DRV" "$op" --engine slatedb --path "$WORK/ours" --so "$SO" --n "$N" --cache "$CACHE" "$@"; }
native() { local op=$1; shift; "$DRV" "$op" --engine sqlite --path "$WORK/sqlite" --n "$N" --cache "$CACHE" "$@"; }
slate() { local op=$1; shift; node "$MJS" "$op" --path "$WORK/slatedb" --n "$N" "$@"; }
export DRV SO WORK N CACHE MJS S3_N
export -f ours native slate

echo "bench: N=$N rows (16-byte keys, 100-byte values), $TXN rows per transaction, $REPS runs per figure"
echo "bench: engines: $ENGINES; work folder $WORK"
echo "command: $COMMAND"

# ------------------------------------------------------------------ 1. bulk load
# (the reads of 3, 4, 5 and 7 need the databases this loads)
if want 1 || want 3 || want 4 || want 5 || want 7; then
echo "== 1. bulk load"
for r in $(seq 1 "$SLOW_REPS"); do
  has ours && run load ours "$r" ours load --txn "$TXN" --durability commit --opts "$OURS_W"
  has slatedb && run load slatedb "$r" slate load --txn "$TXN" --durable flush
  has sqlite && run load sqlite "$r" native load --txn "$TXN" --sync full
done
fi

# ------------------------------------------------------------------ 2. durable commits
if want 2 || want 6; then
echo "== 2. durable single-row commits"
for r in $(seq 1 "$REPS"); do
  has ours && run commit ours "$r" "$DRV" commit --engine slatedb --path "$WORK/ours-commit" --so "$SO" --ops "$COMMITS" --durability commit --opts "$OURS_W"
  has slatedb && run commit slatedb "$r" node "$MJS" commit --path "$WORK/slatedb-commit" --ops "$COMMITS" --durable flush
  has slatedb && run commit slatedb-await "$r" node "$MJS" commit --path "$WORK/slatedb-commit" --ops "$AWAIT_COMMITS" --durable await
  has sqlite && run commit sqlite "$r" "$DRV" commit --engine sqlite --path "$WORK/sqlite-commit" --ops "$COMMITS" --sync full
  has sqlite && run commit sqlite-normal "$r" "$DRV" commit --engine sqlite --path "$WORK/sqlite-commit" --ops "$COMMITS" --sync normal
done
has slatedb && run floor slatedb 1 node "$MJS" floor --path "$WORK/slatedb-floor" --ops 20000
rm -rf "$WORK"/*-commit "$WORK"/slatedb-floor
fi

# ------------------------------------------------------------------ 3.-4. reads
if want 3; then
echo "== 3. point lookups (warm: after $WARMUP lookups in the same process; cold: fresh process, files evicted from the page cache)"
for r in $(seq 1 "$REPS"); do
  seed=$((r * 7919))
  has ours && run get-warm ours "$r" ours get --ops "$LOOKUPS" --warmup "$WARMUP" --seed "$seed"
  has slatedb && run get-warm slatedb "$r" slate get --ops "$LOOKUPS" --warmup "$WARMUP" --seed "$seed"
  has sqlite && run get-warm sqlite "$r" native get --ops "$LOOKUPS" --warmup "$WARMUP" --seed "$seed"
done
for r in $(seq 1 "$REPS"); do
  seed=$((r * 104729))
  has ours && { evict "$WORK/ours"; run get-cold ours "$r" ours get --ops "$COLD" --seed "$seed"; }
  has slatedb && { evict "$WORK/slatedb"; run get-cold slatedb "$r" slate get --ops "$COLD" --seed "$seed"; }
  has sqlite && { evict "$WORK/sqlite"; run get-cold sqlite "$r" native get --ops "$COLD" --seed "$seed"; }
done
fi

if want 4; then
echo "== 4. scans (full scan, then $RANGES range scans of 1,000 rows per direction after $((RANGES * 4)) unmeasured ones (caches filled); SlateDB: $SLATEDB_RANGES after $((SLATEDB_RANGES / 5)))"
for r in $(seq 1 "$REPS"); do
  has ours && run scan ours "$r" ours scan
  if has slatedb && [ "$r" -le "$SLOW_REPS" ]; then
    run scan slatedb "$r" slate scan --cache-blocks 0 --read-ahead 1048576
  fi
  has sqlite && run scan sqlite "$r" native scan
done
for r in $(seq 1 "$REPS"); do
  seed=$((r * 31337))
  has ours && run range ours "$r" ours range --ops "$RANGES" --warmup $((RANGES * 4)) --seed "$seed"
  has slatedb && run range slatedb "$r" slate range --ops "$SLATEDB_RANGES" --warmup $((SLATEDB_RANGES / 5)) --seed "$seed"
  has sqlite && run range sqlite "$r" native range --ops "$RANGES" --warmup $((RANGES * 4)) --seed "$seed"
done
fi

if want 7; then
echo "== 7. full scan with a $SMALL_CACHE cache"
for r in $(seq 1 "$REPS"); do
  has ours && run scan-small ours "$r" ours scan --cache "$SMALL_CACHE"
  has sqlite && run scan-small sqlite "$r" native scan --cache "$SMALL_CACHE"
done
fi

# ------------------------------------------------------------------ 5. mixed (writes: last)
if want 5; then
echo "== 5. mixed 90% point reads / 10% single-row upserts (async durability)"
for r in $(seq 1 "$REPS"); do
  seed=$((r * 65537))
  has ours && run mixed ours "$r" ours mixed --ops "$MIXED" --seed "$seed" --durability async --opts "$OURS_W"
  has slatedb && run mixed slatedb "$r" slate mixed --ops "$MIXED" --seed "$seed"
  has sqlite && run mixed sqlite "$r" native mixed --ops "$MIXED" --seed "$seed" --sync normal
done
fi

# ------------------------------------------------------------------ 6. S3
# moto behind the verifying proxy (scripts/s3/lib.sh). PRE_HOOK/POST_HOOK around every S3 run:
# clear the proxy's counters, then append the whole process's requests from the proxy's log
# (all_get: GETs of objects, all_list: ListObjectsV2, all_put, all_other: HEAD and DELETE).
S3_SKIP=""
s3_pre() { S3_LOG_AT=$(wc -l < "$S3DIR/proxy.log" 2>/dev/null || echo 0); }
# (open_req: GETs and LISTs of the process outside the measured phase, px_get, of get/inlist)
s3_post() {
  local px
  px=$(grep '^RESULT op=' "$WORK/out.$$" | grep -v op=rusage | tail -1 | sed -n 's/.* px_get=\([0-9]*\).*/\1/p')
  tail -n +"$((S3_LOG_AT + 1))" "$S3DIR/proxy.log" 2>/dev/null | awk -v px="${px:-}" '
    $2 == "GET" && $3 ~ /list-type=/ { l++; next }
    $2 == "GET" { g++ } $2 == "PUT" { p++ } $2 == "HEAD" || $2 == "DELETE" || $2 == "POST" { o++ }
    END {
      printf " all_get=%d all_list=%d all_put=%d all_other=%d all_getlist=%d", g, l, p, o, g + l
      if (px != "") printf " open_req=%d", g + l - px
    }'
}
if want 6; then
  echo "== 6. S3: $S3_N rows on moto behind the proxy"
  if ! has ours && ! has slatedb; then S3_SKIP="neither ours nor slatedb is in BENCH_ENGINES"
  elif s3_start "$S3DIR" 2>"$WORK/s3start.err"; then
    S3_UP=1
    if ! s3_make_bucket sdb-bench; then S3_SKIP="cannot create the bucket in moto"; fi
    if [ -z "$S3_SKIP" ] && [ "$S3_DELAY_MS" -gt 0 ]; then
      s3_rules "[{\"delay_ms\": $S3_DELAY_MS}]" || S3_SKIP="cannot set the proxy's delay rule"
    fi
  else
    S3_SKIP=${S3_ERROR:-moto or the proxy did not start}
  fi
  [ -n "$S3_SKIP" ] && echo "SKIP s3: $S3_SKIP"
fi
if want 6 && [ -z "$S3_SKIP" ]; then
  export SDB_BENCH_PROXY=$SDB_TEST_PROXY
  PRE_HOOK=s3_pre POST_HOOK=s3_post
  U=s3://sdb-bench
  PAR="parallel_reads=$S3_PARALLEL"
  o3() { local op=$1; shift; "$DRV" "$op" --engine slatedb --so "$SO" --n "$S3_N" --cache "$CACHE" "$@"; }
  s3n() { local op=$1; shift; "$DRV" "$op" --engine sqlite --path "$WORK/s3ref" --n "$S3_N" --cache "$CACHE" "$@"; }
  sl3() { local op=$1; shift; node "$MJS" "$op" --n "$S3_N" "$@"; }
  export -f o3 s3n sl3
  for r in $(seq 1 "$REPS"); do
    has ours && run s3-load ours "$r" o3 load --url "$U/ours-load$r/db" --txn "$S3_TXN" --durability commit --opts "$OURS_W"
    has slatedb && run s3-load slatedb "$r" sl3 load --url "$U/slatedb-load$r/db" --txn "$S3_TXN" --durable flush
    has sqlite && PRE_HOOK= POST_HOOK= run s3-load sqlite "$r" s3n load --txn "$S3_TXN" --sync full
  done
  for r in $(seq 1 "$REPS"); do
    has ours && run s3-commit ours "$r" o3 commit --url "$U/ours-commit$r/db" --ops "$S3_COMMITS" --durability commit --opts "$OURS_W"
    has slatedb && run s3-commit slatedb-await "$r" sl3 commit --url "$U/slatedb-await$r/db" --ops "$S3_AWAIT_COMMITS" --durable await
    has slatedb && run s3-commit slatedb "$r" sl3 commit --url "$U/slatedb-commit$r/db" --ops "$S3_COMMITS" --durable flush
  done
  # reads: every run a new process on the databases of load run 1 (nothing cached)
  for r in $(seq 1 "$REPS"); do
    seed=$((r * 104729))
    has ours && run s3-get-cold ours "$r" o3 get --url "$U/ours-load1/db" --ops "$S3_COLD" --seed "$seed" --opts "$PAR"
    has slatedb && run s3-get-cold slatedb "$r" sl3 get --url "$U/slatedb-load1/db" --ops "$S3_COLD" --seed "$seed"
    has sqlite && { evict "$WORK/s3ref"; PRE_HOOK= POST_HOOK= run s3-get-cold sqlite "$r" s3n get --ops "$S3_COLD" --seed "$seed"; }
  done
  for r in $(seq 1 "$REPS"); do
    seed=$((r * 7919))
    has ours && run s3-get-warm ours "$r" o3 get --url "$U/ours-load1/db" --ops "$S3_LOOKUPS" --warmup "$S3_N" --seed "$seed" --opts "$PAR"
    has slatedb && run s3-get-warm slatedb "$r" sl3 get --url "$U/slatedb-load1/db" --ops "$S3_LOOKUPS" --warmup "$S3_N" --seed "$seed"
    has sqlite && PRE_HOOK= POST_HOOK= run s3-get-warm sqlite "$r" s3n get --ops "$S3_LOOKUPS" --warmup "$S3_N" --seed "$seed"
  done
  for r in $(seq 1 "$REPS"); do
    seed=$((r * 31337))
    has ours && run s3-inlist ours "$r" o3 inlist --url "$U/ours-load1/db" --ops "$S3_INLISTS" --rows 100 --seed "$seed" --opts "$PAR"
    has slatedb && run s3-inlist slatedb "$r" sl3 inlist --url "$U/slatedb-load1/db" --ops "$S3_INLISTS" --rows 100 --seed "$seed" --fetch-tasks "$S3_PARALLEL"
    has sqlite && { evict "$WORK/s3ref"; PRE_HOOK= POST_HOOK= run s3-inlist sqlite "$r" s3n inlist --ops "$S3_INLISTS" --rows 100 --seed "$seed"; }
  done
  for r in $(seq 1 "$REPS"); do
    has ours && run s3-scan ours "$r" o3 scan --url "$U/ours-load1/db" --opts "$PAR"
    # the ceiling: the same SST bytes as parallel 1 MiB ranged GETs, no decoding, same proxy rule
    has ours && run s3-ceiling ours "$r" "$CEIL" --url "$U/ours-load1/db" --parallel "$S3_PARALLEL" --reps 1
    has slatedb && run s3-scan slatedb "$r" sl3 scan --url "$U/slatedb-load1/db" --cache-blocks 0 --read-ahead 1048576 --fetch-tasks "$S3_PARALLEL"
    has sqlite && { evict "$WORK/s3ref"; PRE_HOOK= POST_HOOK= run s3-scan sqlite "$r" s3n scan; }
  done
  PRE_HOOK= POST_HOOK=
  unset SDB_BENCH_PROXY
  s3_stop "$S3DIR"; S3_UP=0
  rm -rf "$WORK/s3ref"
fi

# ------------------------------------------------------------------ 8. compaction keeps reads flat
# Round r: a writer process writes C_N/C_ROUNDS rows (see sqlbench.c "round"), flushes its
# memtable and, with the compactor, stays open until the compactor has caught up; then new
# reader processes measure lookups and range scans over all keys written so far.
C_ON="compactor=true, compactor_poll_interval='1s', gc=false, l0_sst_size_bytes='$C_L0'"
C_OFF="compactor=false, gc=false, l0_max_ssts=100000, l0_sst_size_bytes='$C_L0'"
C_ENG=""
has ours && C_ENG="ours-compact ours-nocompact"
has sqlite && C_ENG="$C_ENG sqlite"
if want 8 && [ -n "$C_ENG" ]; then
  echo "== 8. compaction: $C_ROUNDS rounds of $((C_N / C_ROUNDS)) rows, l0_sst_size_bytes='$C_L0'; after each: $C_LOOKUPS lookups, $C_RANGES range scans per direction on a fresh reader"
  per=$((C_N / C_ROUNDS))
  for rd in $(seq 0 $((C_ROUNDS - 1))); do
    keys=$((per + rd * (per / 2)))
    for e in $C_ENG; do
      case $e in
        ours-compact)   cw=("$DRV" --engine slatedb --path "$WORK/c-on" --so "$SO" --cache "$CACHE"); copt=(--opts "$C_ON" --wait-compaction 1) ;;
        ours-nocompact) cw=("$DRV" --engine slatedb --path "$WORK/c-off" --so "$SO" --cache "$CACHE"); copt=(--opts "$C_OFF") ;;
        sqlite)         cw=("$DRV" --engine sqlite --path "$WORK/c-sqlite" --cache "$CACHE"); copt=() ;;
      esac
      run "c-write$rd" "$e" 1 "${cw[0]}" round "${cw[@]:1}" --n "$C_N" --rounds "$C_ROUNDS" --round "$rd" --txn "$TXN" "${copt[@]}"
      for r in $(seq 1 "$REPS"); do
        run "c-get$rd" "$e" "$r" "${cw[0]}" get "${cw[@]:1}" --n "$keys" --ops "$C_LOOKUPS" --warmup "$C_LOOKUPS" --seed $((r * 7919 + rd))
        run "c-range$rd" "$e" "$r" "${cw[0]}" range "${cw[@]:1}" --n "$keys" --ops "$C_RANGES" --warmup "$C_RANGES" --seed $((r * 31337 + rd))
      done
    done
  done
  C_SZ_ON=$(du -sk "$WORK/c-on/db" 2>/dev/null | awk '{print $1}'); C_SZ_OFF=$(du -sk "$WORK/c-off/db" 2>/dev/null | awk '{print $1}')
  rm -rf "$WORK/c-on" "$WORK/c-off" "$WORK/c-sqlite"
fi

# sizes on disk (after the loads; WAL SSTs are never deleted without a garbage collector)
dsize() { du -sk "$1" 2>/dev/null | awk '{print $1}'; }
SZ_OURS_SST=$(dsize "$WORK/ours/db/compacted"); SZ_OURS_ALL=$(dsize "$WORK/ours/db")
SZ_SDB_SST=$(dsize "$WORK/slatedb/db/compacted"); SZ_SDB_ALL=$(dsize "$WORK/slatedb/db")
SZ_SQLITE=$(dsize "$WORK/sqlite")
T_END=$(date +%s)

# ------------------------------------------------------------------ report
med() {  # med STEP ENGINE KEY: median over the runs, or "-"; KEY "a/b" is the ratio of two keys
  awk -v s="$1" -v e="$2" -v k="$3" '
    $1 == s && $2 == e {
      delete f
      for (i = 4; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
      if (index(k, "/")) { split(k, ab, "/"); if ((ab[1] in f) && (ab[2] in f) && f[ab[2]] + 0 != 0) v[n++] = f[ab[1]] / f[ab[2]] }
      else if (k in f) v[n++] = f[k] + 0
    }
    END {
      if (!n) { print "-"; exit }
      for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
      print (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
    }' "$RAW"
}
runs() { awk -v s="$1" -v e="$2" '$1 == s && $2 == e && $4 != "FAILED" { n++ } END { print n + 0 }' "$RAW"; }
maxv() {  # maxv STEP ENGINE KEY: the largest value over the runs (peak RSS)
  awk -v s="$1" -v e="$2" -v k="$3" '
    $1 == s && $2 == e { for (i = 4; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k && (m == "" || kv[2] + 0 > m)) m = kv[2] + 0 } }
    END { print (m == "") ? "-" : m }' "$RAW"
}
# ratio A B HIGHER: speed ratio of ours (A) to the other (B); HIGHER=1 when larger is better
ratio() {
  awk -v a="$1" -v b="$2" -v h="$3" 'BEGIN {
    if (a == "-" || b == "-" || a + 0 == 0 || b + 0 == 0) { print "-"; exit }
    r = h ? a / b : b / a
    printf "%.2fx\n", r }'
}
fmt() {  # fmt VALUE DECIMALS
  awk -v v="$1" -v d="$2" 'BEGIN { if (v == "-") print "-"; else printf "%.*f\n", d, v }'
}

SUMMARY="$WORK/summary.txt"
: > "$SUMMARY"
TABLE="$WORK/table.txt"
: > "$TABLE"
# fig ID LABEL UNIT HIGHER DECIMALS STEP KEY [ENGINE-OVERRIDES] [TARGET]
#   one table row: ours, slatedb, sqlite columns and the two ratios; TARGET is "half" (ours at
#   least half the speed of sqlite) or "lt:<value>" (ours below value)
fig() {
  local id=$1 label=$2 unit=$3 higher=$4 dec=$5 step=$6 key=$7 target=${8:-} note=${9:-}
  local vo vs vq ro rq tgt="" e v
  vo=$(med "$step" ours "$key"); vs=$(med "$step" "${SDB_ENG:-slatedb}" "$key"); vq=$(med "$step" "${SQL_ENG:-sqlite}" "$key")
  [ -n "${SDB_STEP:-}" ] && vs=$(med "$SDB_STEP" "${SDB_ENG:-slatedb}" "$key")
  [ -n "${SQL_STEP:-}" ] && vq=$(med "$SQL_STEP" "${SQL_ENG:-sqlite}" "$key")
  rq=$(ratio "$vo" "$vq" "$higher"); rs=$(ratio "$vo" "$vs" "$higher")
  [ "${NO_RQ:-0}" = 1 ] && rq="-"
  case "$target" in
    half) if [ "$rq" = "-" ]; then tgt="target >=0.5x sqlite: n/a"
          elif awk -v r="${rq%x}" 'BEGIN { exit !(r >= 0.5) }'; then tgt="target >=0.5x sqlite: met"
          else tgt="target >=0.5x sqlite: MISSED"; fi ;;
    lt:*) local lim=${target#lt:}
          if [ "$vo" = "-" ]; then tgt="target <$lim $unit: n/a"
          elif awk -v v="$vo" -v l="$lim" 'BEGIN { exit !(v < l) }'; then tgt="target <$lim $unit: met"
          else tgt="target <$lim $unit: MISSED"; fi ;;
  esac
  printf '%-44s %-7s %12s %12s %12s %10s %10s  %s\n' "$label" "$unit" "$(fmt "$vo" "$dec")" "$(fmt "$vs" "$dec")" \
    "$(fmt "$vq" "$dec")" "$rq" "$rs" "$tgt${note:+ $note}" >> "$TABLE"
  for e in ours slatedb sqlite; do
    case $e in ours) v=$vo; st=$step; en=ours ;; slatedb) v=$vs; st=${SDB_STEP:-$step}; en=${SDB_ENG:-slatedb} ;;
                sqlite) v=$vq; st=${SQL_STEP:-$step}; en=${SQL_ENG:-sqlite} ;; esac
    [ "$v" = "-" ] && continue
    echo "figure=$id engine=$e value=$v unit=$unit runs=$(runs "$st" "$en") variant=$en" >> "$SUMMARY"
  done
  [ "$rq" != "-" ] && echo "figure=$id ratio=ours/sqlite value=${rq%x}" >> "$SUMMARY"
  [ "$rs" != "-" ] && echo "figure=$id ratio=ours/slatedb value=${rs%x}" >> "$SUMMARY"
  if [ -n "$tgt" ]; then
    t=${tgt%%:*}
    echo "figure=$id target=\"${t#target }\" status=${tgt##*: }" >> "$SUMMARY"
  fi
  return 0
}
section() { printf '%s\n' "$1" >> "$TABLE"; }

section "1. bulk load, $N rows, $TXN per transaction (ours durability=commit; SlateDB WriteBatch + flush(Wal) per batch; sqlite synchronous=FULL)"
fig load.rows_per_s "  load rate" rows/s 1 0 load rows_per_s half
fig load.settle_s "  then memtable->L0 / WAL checkpoint" s 0 2 load settle_s
section "2. durable single-row commits, $COMMITS (ours durability=commit; SlateDB put + flush(Wal); sqlite synchronous=FULL)"
fig commit.p50_us "  p50" us 0 1 commit p50_us lt:2000
fig commit.p99_us "  p99" us 0 1 commit p99_us
section "   variants: SlateDB put(await_durable=true), $AWAIT_COMMITS commits, flush_interval 100 ms; sqlite synchronous=NORMAL (WAL: not durable on power loss)"
SDB_ENG=slatedb-await SQL_ENG=sqlite-normal fig commit.variant.p50_us "  p50 (ours: as above)" us 0 1 commit p50_us
SDB_ENG=slatedb-await SQL_ENG=sqlite-normal fig commit.variant.p99_us "  p99 (ours: as above)" us 0 1 commit p99_us
section "3. random point lookups of existing keys (cache $CACHE each)"
fig get_warm.ops_per_s "  warm: lookups/s ($LOOKUPS after $WARMUP)" ops/s 1 0 get-warm ops_per_s half
fig get_warm.p50_us "  warm: p50" us 0 2 get-warm p50_us
fig get_cold.mean_us "  cold: mean of $COLD, new process, evicted" us 0 1 get-cold mean_us half
fig get_cold.open_s "  cold: open" s 0 4 get-cold open_s
section "4. scans"
fig scan.rows_per_s "  full scan" rows/s 1 0 scan rows_per_s half "(SlateDB: $SLOW_REPS run(s), cache_blocks=false)"
fig range_asc.rows_per_s "  1,000-row range, ascending" rows/s 1 0 range asc_rows_per_s half
fig range_asc.p50_us "  1,000-row range, ascending: p50 per scan" us 0 1 range asc_p50_us
fig range_desc.rows_per_s "  1,000-row range, descending" rows/s 1 0 range desc_rows_per_s half
fig range_desc.p50_us "  1,000-row range, descending: p50 per scan" us 0 1 range desc_p50_us
section "5. mixed 90% reads / 10% upserts, $MIXED ops (ours durability=async; SlateDB await_durable=false; sqlite synchronous=NORMAL)"
fig mixed.ops_per_s "  throughput" ops/s 1 0 mixed ops_per_s
fig mixed.read_p50_us "  read p50" us 0 2 mixed read_p50_us
fig mixed.write_p50_us "  write p50" us 0 2 mixed write_p50_us
fig mixed.write_p99_us "  write p99" us 0 2 mixed write_p99_us
section "6. S3: $S3_N rows on moto (127.0.0.1) behind the verifying proxy$( [ "$S3_DELAY_MS" -gt 0 ] && echo ", +$S3_DELAY_MS ms per request"); no compaction; sqlite column: a local file, reference only (no ratio)"
if ! want 6; then
  section "  not run (BENCH_WORKLOADS)"
elif [ -n "$S3_SKIP" ]; then
  section "  SKIP s3: $S3_SKIP"
  echo "figure=s3 status=SKIP reason=\"$S3_SKIP\"" >> "$SUMMARY"
else
  export NO_RQ=1
  fig s3.load.rows_per_s "  bulk load ($S3_TXN-row transactions)" rows/s 1 0 s3-load rows_per_s
  SQL_STEP=commit SDB_ENG=slatedb-await fig s3.commit.p50_us "  durable commit p50" us 0 1 s3-commit p50_us
  SQL_STEP=commit SDB_ENG=slatedb-await fig s3.commit.p99_us "  durable commit p99" us 0 1 s3-commit p99_us
  section "   ours durability=commit, $S3_COMMITS commits; SlateDB put(await_durable=true), $S3_AWAIT_COMMITS commits (flush tick 100 ms); sqlite: workload 2 (local, FULL)"
  section "   variant: SlateDB put(await_durable=false) + flush_with_options(Wal), $S3_COMMITS commits"
  SQL_ENG=none fig s3.commit.flush_p50_us "  (SlateDB put + flush(Wal)) p50" us 0 1 s3-commit p50_us
  SQL_ENG=none fig s3.commit.flush_p99_us "  (SlateDB put + flush(Wal)) p99" us 0 1 s3-commit p99_us
  fig s3.get_cold.mean_us "  cold lookups: mean of $S3_COLD, new process" us 0 1 s3-get-cold mean_us
  fig s3.get_cold.first_us "  cold: first lookup after open" us 0 1 s3-get-cold first_us
  fig s3.get_cold.open_s "  cold: open" s 0 4 s3-get-cold open_s
  fig s3.get_warm.ops_per_s "  warm lookups/s ($S3_LOOKUPS after $S3_N)" ops/s 1 0 s3-get-warm ops_per_s
  fig s3.inlist.mean_us "  IN-list of 100 keys, new process: per query" us 0 0 s3-inlist mean_us
  fig s3.inlist.first_us "  IN-list of 100 keys: first query" us 0 0 s3-inlist first_us
  fig s3.scan.rows_per_s "  full scan, new process" rows/s 1 0 s3-scan rows_per_s
  # full-scan throughput as a fraction of the store's ceiling (target >= 70%)
  v_scan=$(med s3-scan ours store_bytes_in/scan_s); v_ceil=$(med s3-ceiling ours mb_per_s)
  # the median over the runs of scan / ceiling, each scan paired with the ceiling measured right
  # after it (the machine's load moves both)
  frac=$(awk '
    $1 == "s3-scan" && $2 == "ours" { delete f; for (i = 4; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
      if (f["scan_s"] + 0 > 0) sc[$3] = f["store_bytes_in"] / f["scan_s"] / 1e6 }
    $1 == "s3-ceiling" && $2 == "ours" { for (i = 4; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "mb_per_s") ce[$3] = kv[2] + 0 } }
    END {
      n = 0; for (r in sc) if ((r in ce) && ce[r] > 0) v[n++] = sc[r] / ce[r]
      if (!n) { print "-"; exit }
      for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
      printf "%.2f\n", (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2 }' "$RAW")
  ftgt="target >=0.70 of the ceiling: n/a"
  [ "$frac" != "-" ] && { awk -v f="$frac" 'BEGIN { exit !(f >= 0.7) }' && ftgt="target >=0.70 of the ceiling: met" || ftgt="target >=0.70 of the ceiling: MISSED"; }
  printf '%-44s %-7s %12s\n' "  full scan: bytes in / scan time" MB/s "$(awk -v a="$v_scan" 'BEGIN { if (a == "-") print "-"; else printf "%.1f\n", a / 1e6 }')" >> "$TABLE"
  printf '%-44s %-7s %12s\n' "  store ceiling ($S3_PARALLEL parallel 1 MiB GETs)" MB/s "$(fmt "$v_ceil" 1)" >> "$TABLE"
  printf '%-44s %-7s %12s %12s %12s %10s %10s  %s\n' "  full scan / ceiling (median of the runs)" ratio "$frac" - - - - "$ftgt" >> "$TABLE"
  [ "$v_ceil" != "-" ] && echo "figure=s3.ceiling.mb_per_s engine=store value=$v_ceil unit=MB/s runs=$(runs s3-ceiling ours)" >> "$SUMMARY"
  if [ "$frac" != "-" ]; then
    echo "figure=s3.scan.ceiling_fraction engine=ours value=$frac" >> "$SUMMARY"
    echo "figure=s3.scan.ceiling_fraction target=\">=0.70 of the ceiling\" status=${ftgt##*: }" >> "$SUMMARY"
  fi
  section "  requests (proxy counts; GET includes ListObjectsV2 in the measured phases); fewer = better"
  SQL_ENG=none fig s3.req.cold_get "  GET per cold lookup" req 0 2 s3-get-cold px_get/lookups
  SQL_ENG=none fig s3.req.warm_get "  GET per warm lookup" req 0 4 s3-get-warm px_get/lookups
  SQL_ENG=none fig s3.req.inlist_get "  GET per IN-list query (100 keys)" req 0 1 s3-inlist px_get/queries
  SQL_ENG=none fig s3.req.open "  open: GET+LIST (process minus lookups)" req 0 0 s3-get-cold open_req
  SQL_ENG=none fig s3.req.scan_get "  full scan: GET (whole process)" req 0 0 s3-scan all_get
  SQL_ENG=none SDB_ENG=slatedb-await fig s3.req.commit_put "  PUT per durable commit (whole process)" req 0 2 s3-commit all_put/commits
  SQL_ENG=none fig s3.req.commit_flush_put "  (SlateDB put + flush(Wal)) PUT per commit" req 0 2 s3-commit all_put/commits
  SQL_ENG=none fig s3.req.load_put "  load: PUT (whole process)" req 0 0 s3-load all_put
  SQL_ENG=none fig s3.req.load_get "  load: GET+LIST (whole process)" req 0 0 s3-load all_getlist
  unset NO_RQ
fi
mb() { awk -v v="$1" 'BEGIN { if (v == "-") print "-"; else printf "%.1f\n", v / 1024 }'; }
section "7. peak RSS (MB, largest over the runs; SlateDB figures include Node.js itself)"
for st in load commit get-warm get-cold scan range mixed; do
  vo=$(maxv "$st" ours maxrss_kb); vs=$(maxv "$st" slatedb maxrss_kb); vq=$(maxv "$st" sqlite maxrss_kb)
  printf '%-44s %-7s %12s %12s %12s\n' "  $st" MB "$(mb "$vo")" "$(mb "$vs")" "$(mb "$vq")" >> "$TABLE"
  for e in ours slatedb sqlite; do
    v=$(maxv "$st" $e maxrss_kb); [ "$v" = "-" ] || echo "figure=rss.$st engine=$e value=$v unit=KiB" >> "$SUMMARY"
  done
done
mbk() { awk -v v="${1:-}" 'BEGIN { if (v == "") print "-"; else printf "%.0f\n", v / 1024 }'; }
section "  full scan with cache $SMALL_CACHE, data $(mbk "$SZ_OURS_SST") MB (ours SSTs) / $(mbk "$SZ_SQLITE") MB (sqlite file): speed and peak RSS"
SDB_STEP=scan fig scan_small.rows_per_s "  full scan, small cache" rows/s 1 0 scan-small rows_per_s half "(SlateDB: its full scan, cache_blocks=false)"
vo=$(maxv scan-small ours maxrss_kb); vs=$(maxv scan slatedb maxrss_kb); vq=$(maxv scan-small sqlite maxrss_kb)
printf '%-44s %-7s %12s %12s %12s\n' "  full scan, small cache: peak RSS" MB "$(mb "$vo")" "$(mb "$vs")" "$(mb "$vq")" >> "$TABLE"
for e in ours sqlite; do v=$(maxv scan-small $e maxrss_kb); [ "$v" = "-" ] || echo "figure=rss.scan_small engine=$e value=$v unit=KiB" >> "$SUMMARY"; done
section "8. compaction keeps reads flat: $C_ROUNDS write rounds of $((C_N / C_ROUNDS)) rows (round 0 new keys, then half overwrites, half new keys), l0_sst_size_bytes='$C_L0'"
if ! want 8; then
  section "  not run (BENCH_WORKLOADS)"
elif [ -z "$C_ENG" ]; then
  section "  not run: neither ours nor sqlite is in BENCH_ENGINES"
else
  section "  after each round a new reader: $C_LOOKUPS lookups/s after as many warm-up, 1,000-row ascending range scans/s ($C_RANGES after $C_RANGES); medians of $REPS"
  section "  ours compactor=true (compactor_poll_interval='1s', the writer waits until fewer than 4 L0s) vs compactor=false (l0_max_ssts=100000); sqlite: the same rounds"
  TR=$(printf '  %-5s %8s | %-34s | %-34s | %-20s' round keys "compactor=true: L0 runs look/s scan/s" "compactor=false: L0 runs look/s scan/s" "sqlite: look/s scan/s")
  section "$TR"
  per=$((C_N / C_ROUNDS))
  for rd in $(seq 0 $((C_ROUNDS - 1))); do
    keys=$((per + rd * (per / 2)))
    line=$(printf '  %-5s %8s |' "$rd" "$keys")
    for e in ours-compact ours-nocompact sqlite; do
      l0=$(med "c-get$rd" "$e" l0_ssts); runs_=$(med "c-get$rd" "$e" sorted_runs)
      g=$(med "c-get$rd" "$e" ops_per_s); sc=$(med "c-range$rd" "$e" asc_rows_per_s/rows)
      if [ "$e" = sqlite ]; then
        line+=$(printf ' %9s %9s            |' "$(fmt "$g" 0)" "$(fmt "$sc" 0)")
      else
        line+=$(printf ' %4s %4s %11s %9s   |' "$(fmt "$l0" 0)" "$(fmt "$runs_" 0)" "$(fmt "$g" 0)" "$(fmt "$sc" 0)")
        ws=$(med "c-write$rd" "$e" settle_s); wc_=$(med "c-write$rd" "$e" compactions)
        echo "figure=compact.r$rd.write engine=$e settle_s=$ws compactions=$wc_ write_rows_per_s=$(med "c-write$rd" "$e" rows_per_s)" >> "$SUMMARY"
      fi
      echo "figure=compact.r$rd engine=$e keys=$keys l0_ssts=$l0 sorted_runs=$runs_ lookups_per_s=$g scans_per_s=$sc runs=$(runs "c-get$rd" "$e")" >> "$SUMMARY"
    done
    section "$line"
  done
  last=$((C_ROUNDS - 1))
  flat=""
  for e in ours-compact ours-nocompact sqlite; do
    g0=$(med c-get0 "$e" ops_per_s); g1=$(med "c-get$last" "$e" ops_per_s)
    s0=$(med c-range0 "$e" asc_rows_per_s); s1=$(med "c-range$last" "$e" asc_rows_per_s)
    rg=$(ratio "$g1" "$g0" 1); rs_=$(ratio "$s1" "$s0" 1)
    flat+=" $e: lookups ${rg}, scans ${rs_};"
    [ "$rg" != "-" ] && echo "figure=compact.last_vs_first engine=$e lookups=${rg%x} scans=${rs_%x}" >> "$SUMMARY"
  done
  section "  round $last relative to round 0:${flat%;}"
  section "  store after round $last: compactor=true $(mbk "${C_SZ_ON:-}") MB, compactor=false $(mbk "${C_SZ_OFF:-}") MB (gc=false: compacted inputs stay until GC)"
fi
section "notes"
if has slatedb; then
  fl=$(med floor slatedb mean_us)
  section "  SlateDB runs through Node: one awaited binding call costs $(fmt "$fl" 1) us (mean get of a memtable key: the floor of every"
  section "  SlateDB per-operation figure); WriteBatch.put and DbIterator.next are one binding call per row."
fi
section "  disk after the runs: ours $(mbk "$SZ_OURS_ALL") MB (SSTs $(mbk "$SZ_OURS_SST") MB, the rest WAL SSTs: no GC), SlateDB $(mbk "$SZ_SDB_ALL") MB (SSTs $(mbk "$SZ_SDB_SST") MB), sqlite $(mbk "$SZ_SQLITE") MB"
section "  ratios: speed of ours relative to the other engine, > 1 = ours faster (throughput ours/other, latency other/ours)"
section "  medians of $REPS runs ($SLOW_REPS for the loads and SlateDB's full scan); machine: $(nproc) cores, $(uname -sr); total $((T_END - T_START)) s"
[ -n "$SLATEDB_SKIP" ] && section "  SKIP slatedb: $SLATEDB_SKIP"

{
  echo
  printf '%-44s %-7s %12s %12s %12s %10s %10s\n' "workload" "unit" "ours" "slatedb" "sqlite" "vs sqlite" "vs slatedb"
  printf '%s\n' "------------------------------------------------------------------------------------------------------------------"
  cat "$TABLE"
  echo
  echo "command: $COMMAND"
  echo "summary: $OUT"
} | tee "$WORK/report.txt"

{
  echo "# sqlite-slatedb make bench, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, N=$N, commit $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "# command: $COMMAND"
  echo "# one line per figure: figure=<id> engine=<ours|slatedb|sqlite> value=<median> unit runs variant=<run label>;"
  echo "# ratio lines: speed ratio of ours to the other engine (> 1 = ours faster)"
  cat "$SUMMARY"
  echo "# raw runs: step engine run k=v ..."
  sed 's/^/# raw /' "$RAW"
} > "$OUT"
if want 9; then
  echo; echo "9. issue 16's targets, a new sqlite3 process per figure (scripts/bench-proc.sh)"
  bash "$SRC/scripts/bench-proc.sh" || FAILS=$((FAILS + 1))
fi
[ "$FAILS" -eq 0 ] || { echo "bench: $FAILS run(s) failed" >&2; exit 1; }
exit 0
