#!/usr/bin/env bash
# run.sh: what `make difftest` runs.  One differential run of scripts/difftest/difftest.mjs
# (our engine through SQL, SlateDB 0.12.1 through its Node binding, a model) on a seeded
# random history, after installing the oracle (scripts/oracle-install.sh).
#
#   make difftest [SEED=N] [STEPS=N] [TIME=S] [EXCLUDE=kind,...] [REPLAY=file] [ARGS="..."]
#                 [S3=1 [FAULTS=P]]
#
# SEED defaults to a random seed (printed); without STEPS the run lasts TIME seconds (60).
# REPLAY=file replays a history the tester wrote (a divergence shrunk to its shortest form).
# S3=1 runs on S3: moto behind the project's verifying proxy (scripts/s3/lib.sh, started here
# unless $SDB_TEST_PROXY is set); FAULTS=P lets the proxy inject faults with probability P.
# Exit status: that of difftest.mjs (0 no divergence, 1 divergence, 2 usage or setup error).
set -u
if [ -n "${LD_PRELOAD:-}" ]; then exec env -u LD_PRELOAD bash "$0" "$@"; fi
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SO=${SDB_SO:-$SRC/slatedb.so}
case "$SO" in /*) ;; *) SO="$PWD/$SO" ;; esac
inst=$(bash "$SRC/scripts/oracle-install.sh" 2>&1); rc=$?
if [ $rc -ne 0 ]; then
  printf '%s\n' "$inst"
  echo "difftest: the SlateDB 0.12.1 oracle is not available (scripts/oracle-install.sh exit $rc)"
  exit 2
fi
command -v sqlite3 >/dev/null 2>&1 || { echo "difftest: the sqlite3 shell is not installed"; exit 2; }
args=(--so "$SO")
[ -n "${SEED:-}" ] && args+=(--seed "$SEED")
[ -n "${STEPS:-}" ] && args+=(--steps "$STEPS")
[ -n "${TIME:-}" ] && args+=(--time "$TIME")
[ -n "${EXCLUDE:-}" ] && args+=(--exclude "$EXCLUDE")
[ -n "${REPLAY:-}" ] && args+=(--replay "$REPLAY")
if [ -n "${S3:-}" ] && [ "${S3}" != 0 ]; then
  . "$SRC/scripts/s3/lib.sh"
  export SDB_TEST_SESSION_TOKEN=${SDB_TEST_SESSION_TOKEN:-"sdb session/token+with=odd chars"}
  if [ -z "${SDB_TEST_PROXY:-}" ]; then
    SRV=$(mktemp -d "${TMPDIR:-/tmp}/sdbdts3.XXXXXX")
    trap 's3_stop "$SRV/srv" >/dev/null 2>&1; rm -rf "$SRV"' EXIT
    s3_start "$SRV/srv" >"$SRV/start.log" 2>&1 || { tail -3 "$SRV/start.log"; echo "difftest: the S3 test servers did not start"; exit 2; }
  fi
  s3_make_bucket sdb-difftest >/dev/null || { echo "difftest: cannot create the bucket sdb-difftest"; exit 2; }
  args+=(--s3 s3://sdb-difftest/difftest)
  [ -n "${FAULTS:-}" ] && args+=(--faults "$FAULTS")
  # shellcheck disable=SC2086
  node "$SRC/scripts/difftest/difftest.mjs" "${args[@]}" ${ARGS:-}
  exit $?
fi
# shellcheck disable=SC2086
exec node "$SRC/scripts/difftest/difftest.mjs" "${args[@]}" ${ARGS:-}
