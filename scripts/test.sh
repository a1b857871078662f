#!/usr/bin/env bash
# test.sh: the whole test suite (what `make test` runs).
#
# Every suite prints one line per check: "PASS <name>", "FAIL <name>: why" or
# "SKIP <name>: why". This script runs the suites, counts those lines, turns a
# crash or non-zero exit without a FAIL line into a FAIL, and ends with
# "N passed, N failed, N skipped". It exits 1 if anything failed.
#
# Environment: SDB_BUILD (build dir, default build), SDB_SO (the extension),
# SDB_ASAN=1 (sanitizer run: preload the runtime for the sqlite3 shell).
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SDB_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$SRC/$BUILD" ;; esac
export SDB_SRCDIR="$SRC"
export SDB_SO=${SDB_SO:-$SRC/slatedb.so}
export TMPDIR=${TMPDIR:-/tmp}
LOG=$(mktemp "$TMPDIR/sdbtest.XXXXXX")
trap 'rm -f "$LOG"' EXIT

# run NAME TIMEOUT CMD...: run one suite, echo and record its lines.
run() {
  local name=$1 limit=$2; shift 2
  local out; out=$(mktemp "$TMPDIR/sdbsuite.XXXXXX")
  echo "== $name"
  timeout "$limit" "$@" >"$out" 2>&1
  local rc=$?
  cat "$out"
  grep -E '^(PASS|FAIL|SKIP) ' "$out" >>"$LOG"
  if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$out"; then
    if [ $rc -eq 124 ]; then why="timed out after $limit"; else why="exit status $rc"; fi
    echo "FAIL $name: $why" | tee -a "$LOG"
  fi
  if [ $rc -eq 0 ] && ! grep -qE '^(PASS|SKIP) ' "$out"; then
    echo "FAIL $name: ran no check" | tee -a "$LOG"
  fi
  rm -f "$out"
}

# The layering rules of core/ and ext/ (scripts/layers.py) on the objects of
# $BUILD: one line, PASS layers or FAIL layers with the problems.
echo "== layers"
layers_out=$(cd "$SRC" && python3 scripts/layers.py "$BUILD" 2>&1)
printf '%s\n' "$layers_out"
layers_bad=$(printf '%s\n' "$layers_out" | grep -v '^layers: [0-9]* problems$')
if [ -z "$layers_bad" ]; then
  echo "PASS layers" | tee -a "$LOG"
else
  echo "FAIL layers: $(printf '%s\n' "$layers_bad" | head -3 | paste -sd ';')" | tee -a "$LOG"
fi

# No test asks the real instance metadata service (169.254.169.254): the
# credential-chain test points IMDS at its own fake server.
export AWS_EC2_METADATA_DISABLED=true

# One moto S3 server behind the project's verifying, fault-injecting proxy for
# every S3 test (t_s3, interop-s3), started here and stopped by PID at exit.
. "$SRC/scripts/s3/lib.sh"
# A session token with awkward characters, so that every S3 client of the suite
# (ours, SlateDB's) must send and sign x-amz-security-token.
export SDB_TEST_SESSION_TOKEN=${SDB_TEST_SESSION_TOKEN:-"sdb session/token+with=odd chars"}
S3DIR=$(mktemp -d "$TMPDIR/sdbs3.XXXXXX")
trap 's3_stop "$S3DIR" >/dev/null 2>&1; rm -rf "$S3DIR" "$LOG"' EXIT
if s3_start "$S3DIR" >"$S3DIR/start.log" 2>&1; then
  echo "== S3 test servers: moto at $SDB_TEST_MOTO, proxy at $SDB_TEST_PROXY"
else
  echo "SKIP s3-servers: moto could not start: $(tail -1 "$S3DIR/start.log")" | tee -a "$LOG"
fi
[ -x "$SRC/scripts/s3/selftest.sh" ] && run s3-proxy-selftest 300 "$SRC/scripts/s3/selftest.sh"

for t in "$BUILD"/c-tests/t_*; do
  [ -x "$t" ] || continue
  run "c-tests/$(basename "$t")" 900 "$t"
done

[ -x "$SRC/scripts/hygiene.sh" ] && run hygiene 300 env SDB_BUILD="$BUILD" "$SRC/scripts/hygiene.sh"

for f in "$BUILD"/fuzz-replay/fuzz_*; do
  [ -x "$f" ] || continue
  name=$(basename "$f"); corpus="$SRC/fuzz/corpus/${name#fuzz_}"
  run "fuzz-replay/$name" 300 "$f" "$corpus"
done

if [ "${SDB_ASAN:-0}" = 1 ]; then
  # The sqlite3 shell is not instrumented: preload the sanitizer runtime.
  export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
fi
[ -x "$SRC/sql-tests/run.sh" ] && run sql-tests 900 "$SRC/sql-tests/run.sh"
[ -x "$SRC/scripts/docs-test.sh" ] && run docs 120 "$SRC/scripts/docs-test.sh"
[ -x "$SRC/scripts/s3/tls-creds-test.sh" ] && run s3-tls-creds 300 "$SRC/scripts/s3/tls-creds-test.sh"
[ -x "$SRC/scripts/s3/creds-binding-test.sh" ] && run s3-creds-binding 300 "$SRC/scripts/s3/creds-binding-test.sh"
# The chain test's own bash must not carry the sanitizer runtime (LeakSanitizer
# reports bash's own allocations at its exit): only its sqlite3 shells get it.
[ -x "$SRC/scripts/s3/creds-chain-test.sh" ] && run s3-creds-chain 300 \
  env -u LD_PRELOAD SDB_SQL_PRELOAD="${LD_PRELOAD:-}" "$SRC/scripts/s3/creds-chain-test.sh"
# make install / uninstall into a staging folder; the installed extension loaded by sqlite3.
[ -x "$SRC/scripts/install-test.sh" ] && run install 300 \
  env -u LD_PRELOAD SDB_SQL_PRELOAD="${LD_PRELOAD:-}" SDB_BUILD="$BUILD" "$SRC/scripts/install-test.sh"
# The Python package: pip install from a copy of the checkout into a venv of
# Debian's python3, then a session through it (builds its own slatedb.so).
[ -x "$SRC/scripts/python-test.sh" ] && run python 600 env -u LD_PRELOAD "$SRC/scripts/python-test.sh"
[ -x "$SRC/scripts/s3/answers-test.sh" ] && run s3-answers 300 "$SRC/scripts/s3/answers-test.sh"
[ -x "$SRC/scripts/s3/diskcache-test.sh" ] && run s3-diskcache 300 "$SRC/scripts/s3/diskcache-test.sh"
if [ "${SDB_ASAN:-0}" != 1 ] || [ "${SDB_ASAN_INTEROP:-0}" = 1 ]; then
  [ -x "$SRC/scripts/interop-live.sh" ] && run interop-live 1800 "$SRC/scripts/interop-live.sh"
  [ -x "$SRC/scripts/interop-write.sh" ] && run interop-write 900 "$SRC/scripts/interop-write.sh"
  [ -x "$SRC/scripts/interop-s3.sh" ] && run interop-s3 900 "$SRC/scripts/interop-s3.sh"
  [ -x "$SRC/scripts/interop-compact.sh" ] && run interop-compact 900 "$SRC/scripts/interop-compact.sh"
  [ -x "$SRC/scripts/difftest/test.sh" ] && run difftest 900 "$SRC/scripts/difftest/test.sh"
else
  echo "SKIP interop-live: not run under sanitizers (Node would load the preloaded runtime)" | tee -a "$LOG"
  [ -x "$SRC/scripts/interop-write.sh" ] &&
    echo "SKIP interop-write: not run under sanitizers (Node would load the preloaded runtime)" | tee -a "$LOG"
  [ -x "$SRC/scripts/interop-s3.sh" ] &&
    echo "SKIP interop-s3: not run under sanitizers (Node would load the preloaded runtime)" | tee -a "$LOG"
  [ -x "$SRC/scripts/interop-compact.sh" ] &&
    echo "SKIP interop-compact: not run under sanitizers (Node would load the preloaded runtime)" | tee -a "$LOG"
  [ -x "$SRC/scripts/difftest/test.sh" ] &&
    echo "SKIP difftest: not run under sanitizers (Node would load the preloaded runtime)" | tee -a "$LOG"
fi
unset LD_PRELOAD

pass=$(grep -c '^PASS ' "$LOG"); fail=$(grep -c '^FAIL ' "$LOG"); skip=$(grep -c '^SKIP ' "$LOG")
echo
if [ "$fail" -gt 0 ]; then echo "Failures:"; grep '^FAIL ' "$LOG" | sed 's/^/  /'; fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
