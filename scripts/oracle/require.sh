# require.sh: sourced by the scripts/interop-*.sh tests before they start.
# Needs SRC (the repository), SO (the extension) and T (the test's name in
# PASS/FAIL/SKIP lines); TOOL_TIMEOUT (120 s) bounds each oracle call. Defines
# tool (the SlateDB 0.12.1 oracle, never under a sanitizer preload), pass and
# fail (a PASS/FAIL line for check "$*") and oneline FILE [N] (its first N
# bytes, 400, on one line), then checks what every interop test needs:
#   - the oracle (scripts/oracle-install.sh: Node >= 20 and @slatedb/uniffi@0.12.1);
#     when it cannot be installed here, prints "SKIP $T: why" and exits 0;
#   - the sqlite3 shell and $SO; when missing, prints "FAIL $T: why" and exits 1.
pass() { echo "PASS $T $*"; }
fail() { echo "FAIL $T $*"; }
oneline() { head -c "${2:-400}" "$1" 2>/dev/null | tr '\n' ' '; }
tool() { env -u LD_PRELOAD timeout "${TOOL_TIMEOUT:-120}" node "$SRC/scripts/oracle/slatedb-tool.mjs" "$@"; }

inst=$(env -u LD_PRELOAD bash "$SRC/scripts/oracle-install.sh" 2>&1); rc=$?
if [ $rc -eq 3 ]; then
  echo "SKIP $T: $(printf '%s\n' "$inst" | sed -n 's/^SKIP-REASON: //p' | tail -1)"
  exit 0
elif [ $rc -ne 0 ]; then
  printf '%s\n' "$inst"
  echo "FAIL $T: scripts/oracle-install.sh failed (exit $rc)"
  exit 1
fi
unset inst rc
if ! command -v sqlite3 >/dev/null 2>&1; then echo "FAIL $T: the sqlite3 shell is not installed"; exit 1; fi
if [ ! -f "$SO" ]; then echo "FAIL $T: $SO does not exist (build it with make)"; exit 1; fi
