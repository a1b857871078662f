#!/bin/sh
# demo.sh: a short SQL session on a local-directory SlateDB database.
# The database is a copy of a fixture that the real SlateDB 0.12.1 wrote.
set -e
SRC=$(cd "$(dirname "$0")/.." && pwd)
DEMO=${TMPDIR:-/tmp}/slatedb-demo
rm -rf "$DEMO" && mkdir -p "$DEMO"
cp -r "$SRC/c-tests/fixtures/keys-text/db" "$DEMO/db"
echo "demo database: $DEMO/db (written by SlateDB 0.12.1)"
echo
sqlite3 -batch -init /dev/null :memory: <<SQL
.load $SRC/slatedb
.headers on
.mode box
CREATE VIRTUAL TABLE kv USING slatedb('$DEMO/db', key_type=text, value_type=text);
SELECT slatedb_version() AS version;
SELECT count(*) AS rows FROM kv;
SELECT key, value FROM kv WHERE key >= 'k' ORDER BY key LIMIT 5;
SELECT key, value FROM kv ORDER BY key DESC LIMIT 3;
SELECT key, length(value) AS len, seq FROM kv WHERE key IN ('5', '10', 'abc');
EXPLAIN QUERY PLAN SELECT * FROM kv WHERE key >= 'a' AND key < 'b' ORDER BY key DESC LIMIT 10;
SQL
