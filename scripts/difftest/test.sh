#!/usr/bin/env bash
# test.sh: the bounded differential run of `make test` (scripts/test.sh), about a minute.
#
#  - fixed seeds, a fixed number of steps each: "PASS difftest seed-N: <steps> steps, <checks>
#    checks" or "FAIL difftest seed-N: <divergence>" followed by the shrunk history that replays it;
#    every run keeps a following reader of each engine open on the live database (the PASS line
#    says how many times each was opened and how many comparisons had to wait for its poll);
#    seed 8 hands off between the engines 6 times: each follower is kept across some and reopened
#    after others (SlateDB's opened 2 times, ours 4);
#  - the step kinds of a known, unfixed divergence (scripts/difftest/KNOWN.md) are excluded from
#    those runs, and the exclusion is printed as a SKIP line with its reason;
#  - every history in scripts/difftest/known/ is replayed: one that no longer diverges is a
#    regression test that passes ("PASS difftest known/<name>"); one that diverges FAILs unless
#    its name is in known/OPEN (a divergence not fixed yet), which is reported as
#    "SKIP difftest known/<name>: still diverges (known divergence, ...)".
# "SKIP difftest: why" when the oracle (Node >= 20, npm registry) is unavailable.
set -u
if [ -n "${LD_PRELOAD:-}" ]; then exec env -u LD_PRELOAD bash "$0" "$@"; fi
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SO=${SDB_SO:-$SRC/slatedb.so}
case "$SO" in /*) ;; *) SO="$PWD/$SO" ;; esac
T=difftest
. "$SRC/scripts/oracle/require.sh"
DT="$SRC/scripts/difftest/difftest.mjs"
OUT=$(mktemp -d "${TMPDIR:-/tmp}/sdbdt.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

# Step kinds excluded from the seeded runs, each with the known divergence it would hit (none
# today: the gc step kind came back once gc0-manifest-aba was fixed).
EXCLUDE=

# seeded NAME SEED STEPS [ARGS...]: one run, a PASS line with its numbers or a FAIL line and
# the run's output (the shrunk history that replays the divergence).
seeded() {
  local name=$1 seed=$2 steps=$3; shift 3
  env -u LD_PRELOAD timeout 600 node "$DT" --so "$SO" --seed "$seed" --steps "$steps" ${EXCLUDE:+--exclude "$EXCLUDE"} \
    --shrink-time 60 --out "$OUT/fail-$name.jsonl" "$@" >"$OUT/run-$name.log" 2>&1
  local rc=$?
  local last; last=$(grep '^difftest: seed' "$OUT/run-$name.log" | tail -1)
  if [ $rc -eq 0 ]; then
    pass "$name: ${last#difftest: }"
  else
    cat "$OUT/run-$name.log"
    fail "$name: exit $rc: $(grep -m1 'DIVERGENCE' "$OUT/run-$name.log" | cut -c1-300)"
  fi
}

# local directory: seeds and steps chosen so that the whole script stays near 90 s on a busy machine
seeded seed-8 8 100
seeded seed-3 3 55

# S3 (moto behind the verifying proxy, which injects faults into 2 % of the requests)
. "$SRC/scripts/s3/lib.sh"
if [ -z "${SDB_TEST_PROXY:-}" ]; then
  export SDB_TEST_SESSION_TOKEN=${SDB_TEST_SESSION_TOKEN:-"sdb session/token+with=odd chars"}
  if s3_start "$OUT/srv" >"$OUT/s3start.log" 2>&1; then
    trap 's3_stop "$OUT/srv" >/dev/null 2>&1; rm -rf "$OUT"' EXIT
  else
    echo "SKIP $T s3-seed-3: the S3 test servers did not start: $(tail -1 "$OUT/s3start.log")"
  fi
fi
if [ -n "${SDB_TEST_PROXY:-}" ]; then
  if s3_make_bucket sdb-difftest >/dev/null; then
    seeded s3-seed-3 3 15 --s3 s3://sdb-difftest/maketest --faults 0.02
  else
    fail "s3-seed-3: cannot create the bucket sdb-difftest"
  fi
fi

for f in "$SRC"/scripts/difftest/known/*.jsonl; do
  [ -f "$f" ] || continue
  name=$(basename "$f" .jsonl)
  env -u LD_PRELOAD timeout 300 node "$DT" --so "$SO" --replay "$f" --no-shrink >"$OUT/known.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    pass "known/$name: replays without divergence"
  elif ! grep -qx "$name" "$SRC/scripts/difftest/known/OPEN"; then
    tail -5 "$OUT/known.log" | cut -c1-2000
    fail "known/$name: a fixed divergence is back (exit $rc): $(grep -m1 DIVERGENCE "$OUT/known.log" | cut -c1-200)"
  elif [ $rc -eq 1 ] && grep -q 'DIVERGENCE' "$OUT/known.log"; then
    echo "SKIP $T known/$name: still diverges (known divergence, see scripts/difftest/KNOWN.md): $(grep -m1 DIVERGENCE "$OUT/known.log" | cut -c1-200)"
  else
    cat "$OUT/known.log"
    fail "known/$name: replay failed (exit $rc)"
  fi
done
