#!/usr/bin/env bash
# docs-test.sh: every page tried as written. Runs the SQL examples of README.md
# and docs/*.md with the sqlite3 shell and the built extension, and prints one
# "PASS docs: <page>:<line>", "FAIL docs: <page>:<line>: why" or
# "SKIP docs: <page>:<line>: why" line per example.
#
# The convention (docs/testing.md, "Examples in the documentation"):
#   - every fenced block opened with ```sql is run; other blocks (```sh,
#     plain ```) are not;
#   - the blocks of one page run in order, each in its own sqlite3 process
#     with -bail, on one database file per page (docs.db), in a fresh
#     temporary working directory per page: a virtual table created by one
#     block is in docs.db's schema for the later blocks of the page, and
#     relative paths such as './data/kv' land in that directory;
#   - a ".load ./slatedb" line loads the built extension ($SDB_SO); a block
#     without a .load line gets one in front;
#   - "/tmp/docs/" in a block stands for the page's working directory (for
#     examples that need an absolute path, such as file:/// URLs);
#   - a line "<!-- docs-test: skip: REASON -->" right before the fence skips
#     the block with a SKIP line (S3 examples); "<!-- docs-test: error -->"
#     makes the block pass only if sqlite3 reports an error.
# A block fails when sqlite3 exits non-zero or writes anything to stderr.
# Exits 1 if any block failed. SDB_DOCS_KEEP=1 keeps the temporary directory.
#
# Environment: SDB_SO (the extension, default ./slatedb.so of the checkout).
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
SO=${SDB_SO:-$SRC/slatedb.so}
SO=${SO%.so}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sdbdocs.XXXXXX")
[ -n "${SDB_DOCS_KEEP:-}" ] || trap 'rm -rf "$TMP"' EXIT
[ -e "$SO.so" ] || { echo "FAIL docs: no extension at $SO.so (run make)"; exit 1; }

# extract PAGE OUTDIR: write each ```sql block of PAGE to OUTDIR/NNN.sql and
# print "NNN LINE MARK" per block (MARK: run, error, or skip:REASON).
extract() {
  awk -v out="$2" '
    /^<!-- docs-test: / {
      m = $0; sub(/^<!-- docs-test: */, "", m); sub(/ *-->.*$/, "", m); mark = m; next
    }
    inblk && /^```/ { inblk = 0; close(f); next }
    inblk { print > f; next }
    /^```sql *$/ {
      n++; f = sprintf("%s/%03d.sql", out, n); printf "" > f
      printf "%03d %d %s\n", n, NR, (mark == "" ? "run" : mark)
      inblk = 1; mark = ""; next
    }
    { if ($0 != "") mark = "" }
  ' "$1"
}

# runblock WORK FILE: run one block in WORK; its stderr goes to FILE.err.
runblock() {
  local work=$1 f=$2
  if grep -q '^\.load ' "$f"; then
    sed -i "s|^\.load \./slatedb *\$|.load $SO|" "$f"
  else
    sed -i "1i .load $SO" "$f"
  fi
  sed -i "s|/tmp/docs/|$work/|g" "$f"
  (cd "$work" && sqlite3 -batch -bail -init /dev/null docs.db <"$f" >"$f.out" 2>"$f.err")
}

fails=0
for page in "$SRC/README.md" "$SRC"/docs/*.md; do
  [ -f "$page" ] || continue
  rel=${page#"$SRC"/}
  blocks="$TMP/blocks/${rel//\//_}"
  work="$TMP/work/${rel//\//_}"
  mkdir -p "$blocks" "$work"
  extract "$page" "$blocks" >"$blocks.list"
  while read -r n line mark; do
    name="docs: $rel:$line"
    case "$mark" in
      skip:*) r=${mark#skip:}; echo "SKIP $name: ${r# }"; continue ;;
      run|error) ;;
      *) echo "FAIL $name: unknown docs-test marker '$mark'"; fails=$((fails + 1)); continue ;;
    esac
    runblock "$work" "$blocks/$n.sql"
    rc=$?
    err=$(head -c 300 "$blocks/$n.sql.err" | head -2 | paste -sd ' ')
    if [ "$mark" = error ]; then
      if [ $rc -ne 0 ] && [ -n "$err" ]; then echo "PASS $name (error as documented)"
      else echo "FAIL $name: the example should fail but ran without error"; fails=$((fails + 1)); fi
    elif [ $rc -ne 0 ] || [ -n "$err" ]; then
      echo "FAIL $name: ${err:-sqlite3 exit status $rc}"; fails=$((fails + 1))
    else
      echo "PASS $name"
    fi
  done <"$blocks.list"
done
[ "$fails" -eq 0 ]
