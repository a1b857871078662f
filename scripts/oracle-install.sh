#!/usr/bin/env bash
# oracle-install.sh: install the test oracle, the real SlateDB 0.12.1 as the npm package
# @slatedb/uniffi@0.12.1, into .oracle/ at the repository root (gitignored), exactly as
# scripts/oracle/package-lock.json pins it.
#
# Idempotent: does nothing when .oracle/ already holds a complete install from the same lock
# file (an interrupted install is redone).
#
# Exit status: 0 installed (or already there); 3 the oracle cannot be had here, after one
# line "SKIP-REASON: <why>" (no Node >= 20, no npm, registry unreachable, no prebuilt binary
# for this platform); 1 any other failure.
#
# Environment: SDB_ORACLE_DIR (default <repo>/.oracle), SDB_NPM_TIMEOUT (seconds, default 600).
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
PKG="$SRC/scripts/oracle"
DEST=${SDB_ORACLE_DIR:-$SRC/.oracle}
WANT=0.12.1
LIMIT=${SDB_NPM_TIMEOUT:-600}

skip() { echo "SKIP-REASON: $*"; exit 3; }

command -v node >/dev/null 2>&1 || skip "node is not installed (Node.js 20 or newer is needed)"
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
case "$major" in ''|*[!0-9]*) skip "cannot tell the Node.js version" ;; esac
[ "$major" -ge 20 ] || skip "Node.js $(node --version) is too old (20 or newer is needed)"
command -v npm >/dev/null 2>&1 || skip "npm is not installed"

# The package bundles native libraries for these platforms only.
plat=$(node -p 'process.platform + "-" + process.arch')
case "$plat" in
  linux-x64|linux-arm64)
    if [ -n "$(node -p 'process.report.getReport().header.glibcVersionRuntime || ""')" ]; then :
    else skip "no prebuilt SlateDB library for musl libc ($plat)"; fi ;;
  darwin-x64|darwin-arm64|win32-x64|win32-arm64) ;;
  *) skip "no prebuilt SlateDB library for $plat" ;;
esac

# .oracle/.installed is written last, from the lock file: its presence means a complete
# install from exactly this lock.
installed_version() {
  node -p "require('$1/node_modules/@slatedb/uniffi/package.json').version" 2>/dev/null
}
ready() {
  cmp -s "$PKG/package-lock.json" "$DEST/.installed" && [ "$(installed_version "$DEST")" = "$WANT" ]
}

if ready; then
  echo "oracle: @slatedb/uniffi@$WANT already installed in $DEST"
  exit 0
fi

# One install at a time (two test runs may start together).
mkdir -p "$DEST" || { echo "oracle: cannot create $DEST"; exit 1; }
if command -v flock >/dev/null 2>&1; then
  exec 9>"$DEST/.lock"
  flock -w "$LIMIT" 9 || { echo "oracle: another install holds $DEST/.lock"; exit 1; }
  if ready; then echo "oracle: @slatedb/uniffi@$WANT installed in $DEST by another run"; exit 0; fi
fi

rm -rf "$DEST/node_modules" "$DEST/.installed"
cp "$PKG/package.json" "$PKG/package-lock.json" "$DEST/" || exit 1
echo "oracle: installing @slatedb/uniffi@$WANT into $DEST (npm ci)"
LOG="$DEST/npm.log"
if ! (cd "$DEST" && timeout "$LIMIT" npm ci --no-audit --no-fund --loglevel=error) >"$LOG" 2>&1; then
  # Tell "the registry cannot be reached" (skip) apart from a real failure.
  if ! (cd "$DEST" && timeout 60 npm ping) >/dev/null 2>&1; then
    skip "the npm registry is unreachable ($(npm config get registry 2>/dev/null))"
  fi
  echo "oracle: npm ci failed:"
  tail -n 20 "$LOG"
  exit 1
fi

# The binding must load (it opens its bundled native library at import time).
if ! (cd "$DEST" && node --input-type=module -e \
      'const m = await import("@slatedb/uniffi"); m.Settings.default().to_json_string();') >"$LOG" 2>&1; then
  echo "oracle: @slatedb/uniffi installed but does not load:"
  tail -n 20 "$LOG"
  exit 1
fi
[ "$(installed_version "$DEST")" = "$WANT" ] || { echo "oracle: npm installed the wrong version"; exit 1; }
rm -f "$LOG"
cp "$PKG/package-lock.json" "$DEST/.installed"
echo "oracle: installed @slatedb/uniffi@$WANT in $DEST"
