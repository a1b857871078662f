#!/usr/bin/env bash
# python-test.sh: the Python package, installed the way the README says (part
# of `make test`). With Debian's python3 (its sqlite3 module can load
# extensions; a pyenv or source-built Python often cannot) and without PyPI:
#   1. copy the checkout (without build folders) to a scratch folder;
#   2. python3 -m venv --system-site-packages --without-pip (pip, setuptools
#      and wheel come from Debian's python3-pip, python3-setuptools and
#      python3-wheel);
#   3. pip install --no-build-isolation --no-index . (builds slatedb.so with
#      the Makefile into the package);
#   4. python/tests/smoke.py with the venv's Python, from outside the source.
# Prints SKIP with the reason when Debian's python3, venv or pip are missing
# (scripts/deps.sh --test installs them as root).
# Environment: SDB_PYTHON (default /usr/bin/python3).
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
PY=${SDB_PYTHON:-/usr/bin/python3}
unset LD_PRELOAD   # the package builds and loads its own, uninstrumented slatedb.so
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sdbpython.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

if [ ! -x "$PY" ]; then
  echo "SKIP python: no $PY (apt-get install python3)"; exit 0
fi
for m in venv pip setuptools wheel; do
  if ! "$PY" -c "import $m" >/dev/null 2>&1; then
    echo "SKIP python: $PY has no $m module (scripts/deps.sh --test installs python3-venv," \
         "python3-pip, python3-setuptools, python3-wheel)"
    exit 0
  fi
done
if ! "$PY" -c 'import sqlite3; sqlite3.connect(":memory:").enable_load_extension' >/dev/null 2>&1; then
  echo "SKIP python: the sqlite3 module of $PY cannot load extensions"; exit 0
fi

mkdir -p "$WORK/src" "$WORK/run"
(cd "$SRC" && tar --exclude=./.git --exclude=./build --exclude=./build-asan --exclude=./.oracle \
   --exclude=node_modules --exclude='*.egg-info' --exclude=./slatedb.so -cf - .) | tar -xf - -C "$WORK/src"
if ! "$PY" -m venv --system-site-packages --without-pip "$WORK/venv" >"$WORK/venv.log" 2>&1; then
  echo "SKIP python: $PY -m venv failed: $(tail -1 "$WORK/venv.log")"; exit 0
fi
VPY=$WORK/venv/bin/python
if ! (cd "$WORK/src" && PIP_DISABLE_PIP_VERSION_CHECK=1 "$VPY" -m pip install --no-build-isolation \
        --no-index . >"$WORK/pip.log" 2>&1); then
  echo "FAIL python: pip install --no-build-isolation --no-index . failed:"
  tail -20 "$WORK/pip.log"
  exit 1
fi
echo "PASS python: pip install --no-build-isolation --no-index . from the checkout"
loc=$(cd "$WORK/run" && "$VPY" -m pip show -f sqlite-slatedb 2>/dev/null | grep -c 'sqlite_slatedb/slatedb.so$')
[ "$loc" = 1 ] && echo "PASS python: the installed package holds slatedb.so" ||
  echo "FAIL python: the installed package holds slatedb.so: pip show -f lists it $loc times"
(cd "$WORK/run" && "$VPY" "$SRC/python/tests/smoke.py" "$WORK/run")
