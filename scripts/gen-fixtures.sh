#!/usr/bin/env bash
# gen-fixtures.sh: regenerate c-tests/fixtures/ with the real SlateDB 0.12.1.
#
#   scripts/gen-fixtures.sh            rebuild every fixture (the folder is replaced)
#   scripts/gen-fixtures.sh NAME...    rebuild only these fixtures
#   scripts/gen-fixtures.sh --list     list the fixtures and what each covers
#
# Each fixture c-tests/fixtures/<name>/ holds
#   db/                the database, written by SlateDB 0.12.1 (scripts/oracle/slatedb-tool.mjs)
#   expected.txt       SlateDB's own dump of it: "<key hex> <value hex>" per visible key, sorted
#                      by key bytes; an empty value leaves the line ending in a space
#   expected-meta.txt  the same with "<seq> <create_ts> <expire_ts|->" appended (not for the
#                      large keys-* and edge fixtures)
#   meta.txt           line 1: what it covers; then the generator command and the layout
#
# The workloads are seeded, so keys, values and operations are the same on every run; the
# object names (ULIDs) and timestamps are not.  Each dump is made on a copy of the database
# (opening a reader writes manifests), and checked against a writer's dump (a descending
# scan is compared too, but SlateDB 0.12.1 gets it wrong over multi-SST sorted runs, so a
# difference is only reported).  Each fixture's layout (L0s, sorted runs, WAL SSTs after the replay point) is
# asserted, so a fixture always covers what meta.txt says.
#
# Needs Node >= 20 and the npm registry (scripts/oracle-install.sh).  Optional:
# SDB_FIXTURE_CHECK="cmd args" runs "cmd args <db dir>" on every new database (for example an
# independent SST decoder) and fails if it fails.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT="$SRC/c-tests/fixtures"
TOOL=(node "$SRC/scripts/oracle/slatedb-tool.mjs")
export TMPDIR=${TMPDIR:-/tmp}

# name | what it covers | slatedb-tool arguments | layout assertion (JS over the "info" JSON)
#   | "meta" to write expected-meta.txt (left out of the large fixtures to keep the folder small)
# Layout fields: l0, sorted_runs (SSTs per run), wal_after_replay_point (WAL SSTs that replay
# must read), compacted_ssts, wal_ssts.
FIXTURES=(
"codec-none|codec none, 4 KiB blocks: 2 L0s + WAL tail; overwrites, deletes, merges, far-future TTL, empty values|gen --seed 101 --codec none --block-size 4k --keys 200 --rounds 3 --deletes 15 --merges 15 --ttl-long 5 --empty 3 --end memtable,memtable,wal|l.l0 == 2 && l.wal_after_replay_point >= 1|meta"
"codec-snappy|codec snappy, 1 KiB blocks: 2 L0s + WAL tail; overwrites, deletes, merges, far-future TTL, empty values|gen --seed 102 --codec snappy --block-size 1k --keys 200 --rounds 3 --deletes 15 --merges 15 --ttl-long 5 --empty 3 --end memtable,memtable,wal|l.l0 == 2 && l.wal_after_replay_point >= 1|meta"
"codec-zlib|codec zlib, 4 KiB blocks: 2 L0s + WAL tail; overwrites, deletes, merges, far-future TTL, empty values|gen --seed 103 --codec zlib --block-size 4k --keys 200 --rounds 3 --deletes 15 --merges 15 --ttl-long 5 --empty 3 --end memtable,memtable,wal|l.l0 == 2 && l.wal_after_replay_point >= 1|meta"
"codec-lz4|codec lz4, 1 KiB blocks: 2 L0s + WAL tail; overwrites, deletes, merges, far-future TTL, empty values|gen --seed 104 --codec lz4 --block-size 1k --keys 200 --rounds 3 --deletes 15 --merges 15 --ttl-long 5 --empty 3 --end memtable,memtable,wal|l.l0 == 2 && l.wal_after_replay_point >= 1|meta"
"codec-zstd|codec zstd, 1 KiB blocks: 2 L0s + WAL tail; overwrites, deletes, merges, far-future TTL, empty values|gen --seed 105 --codec zstd --block-size 1k --keys 200 --rounds 3 --deletes 15 --merges 15 --ttl-long 5 --empty 3 --end memtable,memtable,wal|l.l0 == 2 && l.wal_after_replay_point >= 1|meta"
"l0-only|5 L0 SSTs and nothing to replay (compactor off): overwrites, deletes and merges spread over L0s, newest L0 wins|gen --seed 111 --codec none --block-size 1k --keys 150 --rounds 5 --puts 150,60 --deletes 10 --merges 10 --empty 2 --end memtable|l.l0 == 5 && l.sorted_runs.length == 0 && l.wal_after_replay_point == 0|meta"
"sorted-runs|compactor on: 2 sorted runs of 2+ SSTs each (the newer run keeps tombstones), 2 L0s above them, a WAL tail; unreferenced compacted SSTs and compactor checkpoints in the manifest; lz4, 1 KiB blocks|gen --seed 112 --compactor --set compactor_options.max_sst_size=2048 --codec lz4 --block-size 1k --keys 150 --value-size 8-30 --rounds 11 --puts 150,150,150,150,40 --deletes 8 --merges 8 --runs-after 4,8 --end memtable,memtable,memtable,memtable,memtable,memtable,memtable,memtable,memtable,memtable,wal|l.sorted_runs.length == 2 && l.sorted_runs.every((n) => n >= 2) && l.l0 == 2 && l.wal_after_replay_point >= 1|meta"
"wal-only|no L0 at all: every row is in WAL SSTs that replay must read (3 WAL flushes); overwrites, deletes, merges, TTL (short: expired but still visible; long), empty values|gen --seed 113 --codec snappy --keys 150 --rounds 3 --puts 150,50 --deletes 10 --merges 10 --ttl-short 5 --ttl-long 5 --empty 3 --end wal|l.l0 == 0 && l.sorted_runs.length == 0 && l.wal_after_replay_point >= 3|meta"
"ttl|TTL puts: 5 ms TTLs that an L0 flush turned into tombstones, 5 ms TTLs still listed after expiry (in an L0 and in the WAL tail), far-future TTLs (ExpireAt 2100-01-01); 0.12.1 does not hide expired rows at read time|gen --seed 114 --codec none --keys 120 --rounds 3 --puts 40 --ttl-short 15 --ttl-long 10 --short-ttl 5 --sleep 30 --end wal,memtable,wal|l.l0 == 1 && l.wal_after_replay_point >= 1|meta"
"merges|merge operands (concatenation operator): on absent keys, on values, after deletes, several per key in one write batch, spread over 2 L0s and the WAL|gen --seed 115 --codec zlib --block-size 1k --keys 60 --rounds 4 --puts 10 --deletes 6 --merges 80 --batch 7 --end memtable,memtable,wal,wal|l.l0 == 2 && l.wal_after_replay_point >= 2|meta"
"edge|SST edge cases (zstd): 65535-byte key, 100000-byte value, 300-byte keys, binary keys with 00/ff and prefix relations, empty values, two keys with 3 versions each in one L0, kept by a snapshot (one ends deleted, one re-put), L0s of 999 rows (no bloom filter) and 1000 rows (bloom filter)|edge --codec zstd|l.l0 == 3|"
"empty|a database that was created and closed without any write|gen --seed 116 --keys 0 --rounds 0|l.l0 == 0 && l.sorted_runs.length == 0|meta"
"keys-text|~2000 text keys (numeric-looking strings like 5, 10, -3, unicode, punctuation) with text values, for SQL differential tests; L0s from automatic flushes (l0_sst_size_bytes 32 KiB) + WAL tail, some overwrites, deletes, empty values; snappy|gen --seed 201 --key-kind text --keys 2000 --puts 2300 --deletes 40 --empty 10 --value-size 4-24 --codec snappy --l0-sst-size 32768 --end wal|l.l0 >= 2 && l.wal_after_replay_point >= 1|"
"keys-int64|~2000 int64 keys (8-byte big endian, sign bit flipped; negatives, 0, INT64_MIN/MAX) with text values, for SQL differential tests; L0s + WAL tail, some overwrites and deletes|gen --seed 202 --key-kind int64 --keys 2000 --puts 2300 --deletes 40 --empty 5 --value-size 4-24 --codec none --l0-sst-size 32768 --end wal|l.l0 >= 2 && l.wal_after_replay_point >= 1|"
"keys-uint64|~2000 uint64 keys (8-byte big endian, 0 .. 2^63-1) with text values, for SQL differential tests; L0s + WAL tail, some overwrites and deletes; lz4|gen --seed 203 --key-kind uint64 --keys 2000 --puts 2300 --deletes 40 --empty 5 --value-size 4-24 --codec lz4 --l0-sst-size 32768 --end wal|l.l0 >= 2 && l.wal_after_replay_point >= 1|"
"keys-blob|~2000 random binary keys (1-24 bytes, many 00/ff bytes, prefix pairs) with binary values, for SQL differential tests; L0s + WAL tail, some overwrites and deletes; zlib|gen --seed 204 --key-kind binary --value-kind binary --keys 2000 --puts 2300 --deletes 40 --empty 5 --value-size 0-24 --codec zlib --l0-sst-size 32768 --end wal|l.l0 >= 2 && l.wal_after_replay_point >= 1|"
)

list=0; wanted=()
for a in "$@"; do
  case "$a" in
    --list) list=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "gen-fixtures: unknown option $a" >&2; exit 2 ;;
    *) wanted+=("$a") ;;
  esac
done
if [ "$list" = 1 ]; then
  for f in "${FIXTURES[@]}"; do IFS='|' read -r n d _ <<<"$f"; printf '%-12s %s\n' "$n" "$d"; done
  exit 0
fi
for w in "${wanted[@]+"${wanted[@]}"}"; do
  printf '%s\n' "${FIXTURES[@]}" | grep -q "^$w|" || { echo "gen-fixtures: no fixture named $w" >&2; exit 2; }
done

set +e
bash "$SRC/scripts/oracle-install.sh"; rc=$?
set -e
if [ $rc -ne 0 ]; then echo "gen-fixtures: the oracle is not available, fixtures not regenerated" >&2; exit 1; fi

WORK=$(mktemp -d "$TMPDIR/sdbfix.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

build() {   # build NAME DESCRIPTION ARGS ASSERTION FILES -> $WORK/NAME
  local name=$1 desc=$2 args=$3 cond=$4 files=$5 dir="$WORK/$1"
  local -a argv
  read -r -a argv <<<"$args"
  local cmd=${argv[0]}; argv=("${argv[@]:1}")
  mkdir -p "$dir"
  echo "== $name: slatedb-tool $args"
  "${TOOL[@]}" "$cmd" "$dir/db" "${argv[@]}" >"$dir/gen.json"
  "${TOOL[@]}" dump "$dir/db" --out "$dir/expected.txt"
  "${TOOL[@]}" dump "$dir/db" --meta --out "$dir/expected-meta.txt"
  "${TOOL[@]}" dump "$dir/db" --writer --out "$dir/writer.txt"
  cmp -s "$dir/expected.txt" "$dir/writer.txt" || { echo "$name: a writer sees other rows than a reader" >&2; return 1; }
  # SlateDB 0.12.1 scans sorted runs of several SSTs wrongly backwards: only a note.
  if ! "${TOOL[@]}" dump "$dir/db" --descending --out "$dir/desc.txt" 2>"$dir/desc.err" ||
     ! cmp -s "$dir/expected.txt" "$dir/desc.txt"; then
    echo "   note: SlateDB's descending scan disagrees here ($(tail -1 "$dir/desc.err"))"
  fi
  cut -d' ' -f1,2 "$dir/expected-meta.txt" | cmp -s - "$dir/expected.txt" || { echo "$name: --meta dump disagrees" >&2; return 1; }
  [ "$files" = meta ] || rm "$dir/expected-meta.txt"
  local info; info=$("${TOOL[@]}" info "$dir/db")
  node -e 'const l = JSON.parse(process.argv[1]); if (!(eval(process.argv[2]))) { console.error(`layout ${process.argv[1]} fails: ${process.argv[2]}`); process.exit(1); }' \
    "$info" "$cond" || { echo "$name: the layout is not what the fixture promises" >&2; return 1; }
  if [ -n "${SDB_FIXTURE_CHECK:-}" ]; then
    # shellcheck disable=SC2086
    $SDB_FIXTURE_CHECK "$dir/db" >"$dir/check.log" 2>&1 || { tail -5 "$dir/check.log"; echo "$name: SDB_FIXTURE_CHECK failed" >&2; return 1; }
  fi
  {
    echo "$desc"
    echo "generator: scripts/oracle/slatedb-tool.mjs $cmd db ${argv[*]}"
    echo "layout: $info"
    echo "rows: $(wc -l <"$dir/expected.txt") visible keys"
  } >"$dir/meta.txt"
  rm -f "$dir/gen.json" "$dir/writer.txt" "$dir/desc.txt" "$dir/desc.err" "$dir/check.log"
  echo "   $(wc -l <"$dir/expected.txt") keys, $(du -sk "$dir/db" | cut -f1) KiB on disk"
}

for f in "${FIXTURES[@]}"; do
  IFS='|' read -r name desc args cond files <<<"$f"
  if [ ${#wanted[@]} -gt 0 ]; then
    skip=1; for w in "${wanted[@]}"; do [ "$w" = "$name" ] && skip=0; done
    [ $skip = 1 ] && continue
  fi
  build "$name" "$desc" "$args" "$cond" "$files"
done

# Install the new fixtures: all of them replace the folder, a selection replaces its own.
if [ ${#wanted[@]} -eq 0 ]; then
  rm -rf "$OUT"
  mkdir -p "$OUT"
fi
for d in "$WORK"/*/; do
  name=$(basename "$d")
  rm -rf "${OUT:?}/$name"
  mkdir -p "$OUT"
  cp -r "$d" "$OUT/$name"
done
echo "gen-fixtures: $(ls "$WORK" | wc -l) fixture(s) written to c-tests/fixtures ($(du -sk "$OUT" | cut -f1) KiB in all)"
