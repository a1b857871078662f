#!/usr/bin/env bash
# run.sh: the SQL tests, through the real sqlite3 shell (what users run).
#
# For each sql-tests/NAME.sql: substitute the placeholders, run
#     sqlite3 -batch -init /dev/null :memory: < NAME.sql > out 2>&1
# (from a scratch working directory), turn the absolute paths in the output
# back into placeholders, and diff against NAME.expected. Prints
# "PASS sql NAME" or "FAIL sql NAME" followed by the diff; exits 1 if any
# test failed. Expected files are written and checked by hand; this script
# never rewrites them.
#
# Placeholders:
#   @EXT@  the extension (env SDB_SO, default ./slatedb.so)
#   @FIX@  absolute path of c-tests/fixtures
#   @TMP@  a scratch directory for this run, prepared below:
#            corrupt-sst/db     keys-text with one byte flipped in an SST block
#            corrupt-manifest/db  keys-text with its latest manifest truncated
#            copy/db            a plain copy of keys-text (tests may move it)
#            notadb/            an empty directory
#            rel -> @FIX@       so relative paths resolve from the working dir
#            ref/NAME.sql       table ref_NAME(k BLOB, v BLOB) ('-' in NAME
#                               becomes '_') holding c-tests/fixtures/NAME/
#                               expected.txt: the rows SlateDB 0.12.1 lists
#            meta/NAME.sql      table meta_NAME(k, v, seq, create_ts,
#                               expire_ts) from expected-meta.txt, where the
#                               fixture has one ('-' becomes NULL)
#
# Usage: sql-tests/run.sh [NAME ...]   (default: every test)
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd -P)
SO=${SDB_SO:-$SRC/slatedb.so}
case "$SO" in /*) ;; *) SO="$PWD/$SO" ;; esac
FIX="$SRC/c-tests/fixtures"
SQLITE=${SQLITE3:-sqlite3}

if [ ! -f "$SO" ]; then
  echo "FAIL sql: extension $SO not built (make slatedb.so)"
  exit 1
fi
if ! command -v "$SQLITE" >/dev/null 2>&1; then
  echo "FAIL sql: the sqlite3 shell is not installed (apt-get install sqlite3)"
  exit 1
fi

# Under `make asan` the sanitizer runtime is preloaded for the (uninstrumented)
# sqlite3 shell; keep it away from the helper tools (dd aborts under it).
# The shell dlopen()s the extension and, with it, libraries that use dynamic
# TLS (libcrypto, libstdc++ through snappy): GCC 12's LeakSanitizer misreads
# their DTLS blocks on glibc 2.36 and its tracer crashes at exit ("Tracer
# caught signal 11", depending on memory layout). Not intercepting
# __tls_get_addr avoids that; the c-tests link everything statically.
PRELOAD=${LD_PRELOAD:-}
unset LD_PRELOAD
if [ -n "$PRELOAD" ]; then
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}intercept_tls_get_addr=0"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sdbsql.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
WORK=$(cd "$WORK" && pwd -P)

# flip_byte FILE OFFSET: overwrite one byte with its complement.
flip_byte() {
  local b
  b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  printf "$(printf '\\%03o' $((255 - b)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

prepare() {
  mkdir -p "$WORK/corrupt-sst" "$WORK/corrupt-manifest" "$WORK/copy" "$WORK/notadb" "$WORK/cwd"
  cp -r "$FIX/keys-text/db" "$WORK/corrupt-sst/db"
  cp -r "$FIX/keys-text/db" "$WORK/corrupt-manifest/db"
  cp -r "$FIX/keys-text/db" "$WORK/copy/db"
  local sst man
  sst=$(ls "$WORK/corrupt-sst/db/compacted/"*.sst | sort | head -n 1)
  flip_byte "$sst" 100
  man=$(ls "$WORK/corrupt-manifest/db/manifest/"*.manifest | sort | tail -n 1)
  head -c 40 "$man" > "$man.tmp" && mv "$man.tmp" "$man"
  ln -s "$FIX" "$WORK/cwd/rel"
  mkdir -p "$WORK/ref"
  local d n
  for d in "$FIX"/*/; do
    n=$(basename "$d")
    [ -f "$d/expected.txt" ] || continue
    awk -v t="ref_$(echo "$n" | tr - _)" '
      BEGIN { print "CREATE TABLE " t "(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID;"; print "BEGIN;" }
      { printf "INSERT INTO %s VALUES(x'"'"'%s'"'"', x'"'"'%s'"'"');\n", t, $1, $2 }
      END { print "COMMIT;" }' "$d/expected.txt" > "$WORK/ref/$n.sql"
  done
  mkdir -p "$WORK/meta"
  for d in "$FIX"/*/; do
    n=$(basename "$d")
    [ -f "$d/expected-meta.txt" ] || continue
    awk -F '[ ]' -v t="meta_$(echo "$n" | tr - _)" '
      function num(x) { return x == "-" ? "NULL" : x }
      BEGIN { print "CREATE TABLE " t "(k BLOB PRIMARY KEY, v BLOB, seq, create_ts, expire_ts) WITHOUT ROWID;"
              print "BEGIN;" }
      { printf "INSERT INTO %s VALUES(x'"'"'%s'"'"', x'"'"'%s'"'"', %s, %s, %s);\n", t, $1, $2, num($3), num($4), num($5) }
      END { print "COMMIT;" }' "$d/expected-meta.txt" > "$WORK/meta/$n.sql"
  done
}
prepare

nfail=0
npass=0
if [ $# -gt 0 ]; then
  tests=()
  for n in "$@"; do tests+=("$SRC/sql-tests/${n%.sql}.sql"); done
else
  tests=("$SRC"/sql-tests/*.sql)
fi

for t in "${tests[@]}"; do
  name=$(basename "$t" .sql)
  exp="$SRC/sql-tests/$name.expected"
  out="$WORK/$name.out"
  sed -e "s#@EXT@#$SO#g" -e "s#@FIX@#$FIX#g" -e "s#@TMP@#$WORK#g" "$t" > "$WORK/$name.sql"
  (cd "$WORK/cwd" && LD_PRELOAD="$PRELOAD" "$SQLITE" -batch -init /dev/null :memory: \
     < "$WORK/$name.sql" > "$out" 2>&1)
  sed -i -e "s#$SO#@EXT@#g" -e "s#$FIX#@FIX@#g" -e "s#$WORK#@TMP@#g" "$out"
  if [ ! -f "$exp" ]; then
    echo "FAIL sql $name: no $name.expected; the output was:"
    cat "$out"
    nfail=$((nfail + 1))
  elif diff -u "$exp" "$out" > "$WORK/$name.diff"; then
    echo "PASS sql $name"
    npass=$((npass + 1))
  else
    echo "FAIL sql $name"
    cat "$WORK/$name.diff"
    nfail=$((nfail + 1))
  fi
done

echo "sql-tests: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
