#!/usr/bin/env bash
# interop-live.sh: live interoperability test against the real SlateDB 0.12.1.
#
# For a few seeds, SlateDB 0.12.1 (scripts/oracle/slatedb-tool.mjs, through the npm package
# @slatedb/uniffi) writes a fresh random database: mixed puts, overwrites, deletes, merges
# (concatenation), TTL puts and empty values, with a random codec and block size and a small
# l0_sst_size_bytes, so the data ends up spread over L0 SSTs and a WAL tail.  One case runs the
# compactor (sorted runs); one reopens the database with a second SlateDB writer session and
# writes more.  SlateDB then dumps what it sees (on a copy), and the same database is read
# through our extension in the sqlite3 shell:
#
#   .load $SDB_SO
#   CREATE VIRTUAL TABLE temp.t USING slatedb('<dir>', mode=reader, key_type=blob,
#                                              value_type=blob, merge_operator=concat);
#   SELECT lower(hex(key))||' '||lower(hex(value)) FROM t ORDER BY key;
#
# Both listings must be identical ("<key hex> <value hex>", an empty value leaving a trailing
# space).  ORDER BY key DESC must give the same rows reversed (compared with SlateDB's
# ascending scan: its own descending scan is wrong over multi-SST sorted runs).
#
# Prints "PASS interop-live <case>" or "FAIL interop-live <case>: why" per check, or one
# "SKIP interop-live: why" when Node >= 20 or the npm registry is not available.
#
# Environment: SDB_SO (the extension; default ./slatedb.so), SDB_INTEROP_SEED (first seed;
# default: random, printed), SDB_INTEROP_CASES (default 4), SDB_INTEROP_KEEP=1 (keep the
# work folder).
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
SO=${SDB_SO:-./slatedb.so}
case "$SO" in /*) ;; *) SO="$PWD/$SO" ;; esac
CASES=${SDB_INTEROP_CASES:-4}
SEED=${SDB_INTEROP_SEED:-$(( (RANDOM << 15 | RANDOM) % 1000000 ))}

# Node must not inherit a sanitizer preload meant for the sqlite3 shell.
node_() { env -u LD_PRELOAD timeout 300 node "$@"; }
T=interop-live
TOOL_TIMEOUT=300
. "$SRC/scripts/oracle/require.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sdbinterop.XXXXXX")
if [ "${SDB_INTEROP_KEEP:-0}" = 1 ]; then echo "interop-live: work folder $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi
echo "interop-live: seeds $SEED..$((SEED + CASES - 1)) (set SDB_INTEROP_SEED=$SEED to repeat)"

# Small deterministic generator for the case parameters: rnd N -> 0..N-1 in $R.
rng_state=0
rnd() { rng_state=$(( (rng_state * 1103515245 + 12345) % 2147483648 )); R=$(( (rng_state >> 8) % $1 )); }
pick() { rnd $#; shift "$R"; P=$1; }

# our_listing DIR ORDER OUT: our extension's listing of DIR; stderr in OUT.err, status in OUR_RC
our_listing() {
  local dir=${1//\'/\'\'}
  OUR_RC=0
  timeout 120 sqlite3 -batch -bail -init /dev/null :memory: >"$3" 2>"$3.err" <<SQL
.load '$SO'
CREATE VIRTUAL TABLE temp.t USING slatedb('$dir', mode=reader, key_type=blob, value_type=blob, merge_operator=concat);
SELECT lower(hex(key))||' '||lower(hex(value)) FROM t ORDER BY key $2;
SQL
  OUR_RC=$?
}

# compare NAME WANT GOT: PASS/FAIL line with the first difference
compare() {
  local name=$1 want=$2 got=$3
  if [ "$OUR_RC" -ne 0 ] || [ -s "$got.err" ]; then
    echo "FAIL interop-live $name: sqlite3 exit status $OUR_RC: $(head -c 300 "$got.err" | tr '\n' ' ')"
  elif cmp -s "$want" "$got"; then
    echo "PASS interop-live $name ($(wc -l <"$want") keys)"
  else
    local d; d=$(diff "$want" "$got" | grep -m 2 '^[<>]' | cut -c1-160 | tr '\n' ' ')
    echo "FAIL interop-live $name: $(wc -l <"$want") keys from SlateDB, $(wc -l <"$got") from us; first difference (< SlateDB, > us): $d"
  fi
}

for ((c = 0; c < CASES; c++)); do
  seed=$((SEED + c))
  rng_state=$seed
  pick none snappy zlib lz4 zstd; codec=$P
  pick 1k 4k; block=$P
  pick binary binary counter text int64 uint64; kind=$P
  pick binary text; vkind=$P
  rnd 300; keys=$((80 + R))
  rnd 3; l0size=$(( (R + 1) * 8192 ))
  rnd 12; deletes=$((R + 1)); rnd 12; merges=$R; rnd 6; short=$R; rnd 6; long=$R; rnd 4; empty=$R
  rnd 3; batch=$((R * 20 + 1))
  args=(--seed "$seed" --codec "$codec" --block-size "$block" --key-kind "$kind" --value-kind "$vkind"
        --keys "$keys" --puts "$keys,$((keys / 3))" --deletes "$deletes" --merges "$merges" --ttl-short "$short"
        --ttl-long "$long" --empty "$empty" --value-size 0-60 --batch "$batch" --l0-sst-size "$l0size")
  label="s$seed-$codec-$block-$kind"
  extra=""
  if [ $c -eq 0 ]; then
    # compactor on: 4 memtable flushes make the first sorted run, then more L0s and a WAL tail
    args+=(--compactor --set compactor_options.max_sst_size=4096 --rounds 7 --runs-after 4
           --end memtable,memtable,memtable,memtable,memtable,wal)
    label="$label-compactor"
  else
    rnd 3; rounds=$((R + 2))
    args+=(--rounds "$rounds" --end "memtable,wal")
    [ $c -eq 1 ] && { extra=reopen; label="$label-reopen"; }
  fi
  dir="$WORK/$label/db"
  mkdir -p "$WORK/$label"
  if ! tool gen "$dir" "${args[@]}" >"$WORK/$label/gen.json" 2>"$WORK/$label/gen.err"; then
    echo "FAIL interop-live $label: SlateDB could not write the database: $(tail -c 300 "$WORK/$label/gen.err" | tr '\n' ' ')"
    continue
  fi
  if [ "$extra" = reopen ]; then
    # a second writer session: overwrite every 5th visible key, delete every 7th
    tool dump "$dir" --out "$WORK/$label/first.txt" 2>/dev/null &&
    awk 'NR % 5 == 0 { print $1 " " $2 "2a2a" } NR % 7 == 0 { print $1 " -" }' "$WORK/$label/first.txt" >"$WORK/$label/more.txt" &&
    tool put "$dir" "$WORK/$label/more.txt" --codec "$codec" --batch 16 --end wal >/dev/null 2>"$WORK/$label/put.err" || {
      echo "FAIL interop-live $label: the second SlateDB session failed: $(tail -c 300 "$WORK/$label/put.err" | tr '\n' ' ')"
      continue
    }
  fi
  if ! tool dump "$dir" --out "$WORK/$label/slatedb.txt" 2>"$WORK/$label/dump.err"; then
    echo "FAIL interop-live $label: SlateDB could not dump the database: $(tail -c 300 "$WORK/$label/dump.err" | tr '\n' ' ')"
    continue
  fi
  our_listing "$dir" "" "$WORK/$label/ours.txt"
  compare "$label" "$WORK/$label/slatedb.txt" "$WORK/$label/ours.txt"
  tac "$WORK/$label/slatedb.txt" >"$WORK/$label/slatedb-desc.txt"
  our_listing "$dir" DESC "$WORK/$label/ours-desc.txt"
  compare "$label-desc" "$WORK/$label/slatedb-desc.txt" "$WORK/$label/ours-desc.txt"
done
exit 0
