#!/usr/bin/env bash
# hygiene.sh: what the extension must not carry (part of `make test`).
#   - no test or fuzz switch in slatedb.so (they exist only in -DSDB_FUZZING /
#     -DSDB_TESTHOOKS builds), while the fuzz replays do get the CRC switch;
#   - the extension does not link libcurl, libcrypto or libsnappy (loaded on first use);
#   - core/ and ext/ read no environment variable but AWS_* ones and HOME;
#   - no dead function: core/ and ext/ are compiled with -ffunction-sections
#     into a scratch folder and linked from sqlite3_slatedb_init with
#     --gc-sections; every function the linker drops is reported, except the
#     few below that are kept as API the tests exercise.
# Environment: SDB_SO (the extension), SDB_BUILD (build dir), CC.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
SO=${SDB_SO:-$SRC/slatedb.so}
BUILD=${SDB_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$SRC/$BUILD" ;; esac
CC=${CC:-cc}

# Functions no path from sqlite3_slatedb_init reaches, kept on purpose:
#   sdb_db_scan           public engine API (slatedb.h); ext/ uses the overlay form
#   sdb_config_alloc      public engine API (slatedb.h): an embedder's allocator
#   sdbCompactionsDecode sdbManifestDecode
#                         decoder entries of the .compactions and manifest
#                         formats (the engine decodes through their
#                         versioned-object kinds, meta/vobj.c); fuzz targets
#   sdbSstGetInfo sdbSstFormatVersion sdbSstBlockCount sdbSstObjectSize
#                         read-only accessors of the opaque SdbSst (tests)
#   sdbSstVerify          integrity check of every SST section (needs the
#                         reader's private state; t_sst and fuzz_sst)
#   sdbBloomProbes        the probe sequence the filter builder and lookups
#                         share, which t_format checks against the spec vector
KEEP="sdb_db_scan sdb_config_alloc sdbCompactionsDecode sdbManifestDecode sdbSstGetInfo sdbSstFormatVersion sdbSstBlockCount
      sdbSstObjectSize sdbSstVerify sdbBloomProbes"

# 1. Test switches (any symbol defined in the extension, local ones included),
# and the one exported symbol (ext/slatedb.map).
bad=$(nm "$SO" 2>/dev/null | awk '$2 ~ /^[A-Za-z]$/ && $2 != "U" {print $3}' |
      grep -iE 'fuzz|testhook|sdbExtTest|NoOmit' | tr '\n' ' ')
if [ ! -f "$SO" ]; then echo "FAIL hygiene: no test switch in the extension: $SO missing"
elif [ -n "$bad" ]; then echo "FAIL hygiene: no test switch in the extension: $bad"
else echo "PASS hygiene: no test switch in the extension"; fi
exported=$(nm -D --defined-only "$SO" 2>/dev/null | awk '{print $3}' | sort | tr '\n' ' ')
if [ "$exported" = "sqlite3_slatedb_init " ]; then
  echo "PASS hygiene: the extension exports only sqlite3_slatedb_init"
else
  echo "FAIL hygiene: the extension exports only sqlite3_slatedb_init: it exports ${exported:-nothing}"
fi
# libcurl (and the TLS, Kerberos, LDAP... libraries it needs) and libcrypto are loaded when S3
# is first used (store/curlapi.c, store/sigv4.c), libsnappy (and the C++ runtime) when a snappy
# section is (table/compress.c), not when the extension is: a process that needs none of them
# never pays for loading them.
needed=$(readelf -d "$SO" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
case "$needed" in
  *libcurl*|*libssl*|*libcrypto*|*libsnappy*|*libstdc++*|"")
    echo "FAIL hygiene: the extension loads libcurl, libcrypto and libsnappy on first use: it needs ${needed:-nothing (readelf failed)}" ;;
  *) echo "PASS hygiene: the extension loads libcurl, libcrypto and libsnappy on first use" ;;
esac
if nm "$BUILD/fuzzing/libsdbcore.a" 2>/dev/null | grep -q ' [BD] sdbSstFuzzIgnoreCrc$'; then
  echo "PASS hygiene: the fuzz replays' core has the CRC switch"
else
  echo "FAIL hygiene: the fuzz replays' core has the CRC switch: not in $BUILD/fuzzing/libsdbcore.a"
fi

# 2. Environment variables.
# (s3.c's s3Env/s3EnvTrue and creds.c's credEnvDup wrap getenv.)
env=$(cd "$SRC" && grep -rhoE '(getenv|s3Env|s3EnvTrue|credEnvDup)\("[^"]*"[,)]' core ext |
      grep -vE '\("(AWS_[A-Z0-9_]*|HOME)"[,)]' | tr '\n' ' ')
calls=$(cd "$SRC" && grep -rlE '\bgetenv\(' core ext | sort | tr '\n' ' ')
if [ -z "$env" ] && [ "$calls" = "core/store/creds.c core/store/s3.c " ]; then
  echo "PASS hygiene: core and ext read only AWS_* variables and HOME"
else
  echo "FAIL hygiene: core and ext read only AWS_* variables and HOME: $env (getenv in: $calls)"
fi

# 3. Dead functions.
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sdbhyg.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
ok=1
for f in "$SRC"/core/*/*.c "$SRC"/ext/*.c; do
  o="$TMP/$(echo "${f#$SRC/}" | tr / _).o"
  $CC -std=c11 -D_GNU_SOURCE -O1 -fPIC -pthread -I"$SRC/core" -ffunction-sections \
      -c -o "$o" "$f" 2>>"$TMP/cc.log" || { ok=0; echo "# cannot compile $f"; }
done
echo '{ global: sqlite3_slatedb_init; local: *; };' >"$TMP/v.map"
$CC -shared -o "$TMP/t.so" "$TMP"/*.o -Wl,--gc-sections,--print-gc-sections \
    -Wl,--version-script="$TMP/v.map" -lcrypto -lsnappy -llz4 -lzstd -lz -lxxhash \
    -lpthread -lm -ldl 2>"$TMP/ld.log" || { ok=0; echo "# link failed: $(tail -1 "$TMP/ld.log")"; }
# Dropped global functions (static ones go with the function that calls them).
nm "$TMP"/*.o | awk '$2 == "T" {print $3}' | sort -u >"$TMP/global"
dead=$(sed -n "s/.*removing unused section '\.text\.\([A-Za-z0-9_]*\)' in file '.*\/\([^/']*\)\.o'.*/\1 (\2)/p" \
       "$TMP/ld.log" | sort -u |
       while read -r fn where; do
         grep -qx "$fn" "$TMP/global" || continue
         case " $(echo $KEEP) " in *" $fn "*) ;; *) echo "$fn $where";; esac
       done)
if [ "$ok" = 1 ] && [ -z "$dead" ]; then
  echo "PASS hygiene: no dead function in core or ext"
else
  echo "FAIL hygiene: no dead function in core or ext: $(echo $dead)"
fi
