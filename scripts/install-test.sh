#!/usr/bin/env bash
# install-test.sh: `make install` and `make uninstall` into a DESTDIR staging
# folder (part of `make test`), and the installed extension loaded from there
# by the sqlite3 shell: a writer table writes, a reader table reads it back.
#
# Environment: SDB_SO (the built extension), SDB_BUILD (its build folder), both
# passed to make so that it installs what the suite tests and rebuilds
# nothing; SDB_SQL_PRELOAD (or LD_PRELOAD) for the sqlite3 shell only (make asan).
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
SO=${SDB_SO:-$SRC/slatedb.so}
BUILD=${SDB_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$SRC/$BUILD" ;; esac
SQL_PRELOAD=${SDB_SQL_PRELOAD:-${LD_PRELOAD:-}}
unset LD_PRELOAD
if [ -n "$SQL_PRELOAD" ]; then
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}intercept_tls_get_addr=0"
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sdbinstall.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# mk TARGET VAR=VALUE...: the project's make with the suite's build; output to $WORK/make.log.
mk() { make -s -C "$SRC" SO="$SO" BUILD="$BUILD" "$@" >"$WORK/make.log" 2>&1; }
# check NAME COND-RESULT WHY: print PASS or FAIL.
check() { if [ "$2" = 0 ]; then echo "PASS install: $1"; else echo "FAIL install: $1: $3"; fi; }

# 1. PREFIX=/usr: the files and their modes, and no header.
D=$WORK/dest
if ! mk install DESTDIR="$D" PREFIX=/usr; then
  echo "FAIL install: make install DESTDIR=... PREFIX=/usr: $(tail -3 "$WORK/make.log" | paste -sd ' ')"
  exit 1
fi
got=$(cd "$D" && find . -type f -printf '%m %p\n' | sort | paste -sd ' ')
want="644 ./usr/share/doc/sqlite-slatedb/ARCHITECTURE.md 644 ./usr/share/doc/sqlite-slatedb/LICENSE"
want="$want 644 ./usr/share/doc/sqlite-slatedb/README.md 755 ./usr/lib/sqlite3/slatedb.so"
for p in "$SRC"/docs/*.md; do
  [ -f "$p" ] && want="$want 644 ./usr/share/doc/sqlite-slatedb/docs/$(basename "$p")"
done
want=$(printf '%s\n' $want | paste -d ' ' - - | sort | paste -sd ' ')
[ "$got" = "$want" ]; check "PREFIX=/usr installs the extension and the docs, nothing else" $? \
  "installed [$got], expected [$want]"
cmp -s "$SO" "$D/usr/lib/sqlite3/slatedb.so"; check "the installed slatedb.so is the built one" $? \
  "$D/usr/lib/sqlite3/slatedb.so differs from $SO"

# 2. The installed extension, loaded by its path without the .so suffix.
DB=$WORK/db
out=$(cd "$WORK" && LD_PRELOAD="$SQL_PRELOAD" sqlite3 -batch -init /dev/null :memory: 2>&1 <<SQL
.load $D/usr/lib/sqlite3/slatedb
CREATE VIRTUAL TABLE w USING slatedb('$DB', mode=writer);
INSERT INTO w VALUES ('k1', 'installed'), ('k2', 'works');
CREATE VIRTUAL TABLE r USING slatedb('$DB', mode=reader);
SELECT group_concat(key || '=' || value, ' ') FROM (SELECT * FROM r ORDER BY key);
SQL
)
[ "$out" = "k1=installed k2=works" ]; check "the installed extension loads, writes and reads" $? \
  "sqlite3 printed: $(printf '%s' "$out" | head -3 | paste -sd ' ')"

# 3. make uninstall removes every file and the folders it made.
if mk uninstall DESTDIR="$D" PREFIX=/usr; then
  left=$(cd "$D" && find . -type f | paste -sd ' ')
  [ -z "$left" ] && [ ! -d "$D/usr/lib/sqlite3" ] && [ ! -d "$D/usr/share/doc/sqlite-slatedb" ]
  check "make uninstall removes what make install put" $? "left: files [$left]; folders: $(cd "$D" && find . -type d | paste -sd ' ')"
else
  echo "FAIL install: make uninstall: $(tail -3 "$WORK/make.log" | paste -sd ' ')"
fi

# 4. The default PREFIX is /usr/local.
D2=$WORK/dest2
if mk install DESTDIR="$D2"; then
  [ -x "$D2/usr/local/lib/sqlite3/slatedb.so" ] && [ -f "$D2/usr/local/share/doc/sqlite-slatedb/LICENSE" ]
  check "the default PREFIX is /usr/local" $? "found: $(cd "$D2" && find . -type f | paste -sd ' ')"
else
  echo "FAIL install: make install DESTDIR=...: $(tail -3 "$WORK/make.log" | paste -sd ' ')"
fi
