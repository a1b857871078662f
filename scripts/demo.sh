#!/bin/sh
# demo.sh: a short SQL session on local-directory SlateDB databases.
#  1. write a new database through SQL (mode=writer) and query it;
#  2. read it back from a second sqlite3 process (a table without mode= is a reader);
#  3. read a database that the real SlateDB 0.12.1 (Rust) wrote.
set -e
SRC=$(cd "$(dirname "$0")/.." && pwd)
DEMO=${TMPDIR:-/tmp}/slatedb-demo
rm -rf "$DEMO" && mkdir -p "$DEMO"
cp -r "$SRC/c-tests/fixtures/keys-text/db" "$DEMO/from-rust"

echo "== 1. writing $DEMO/db through SQL (mode=writer)"
sqlite3 -batch -init /dev/null :memory: <<SQL
.load $SRC/slatedb
.headers on
.mode box
CREATE VIRTUAL TABLE kv USING slatedb('$DEMO/db', mode=writer, key_type=text, value_type=text);
INSERT INTO kv VALUES ('user:1', '{"name":"ada","lang":"en"}');
BEGIN;
INSERT INTO kv SELECT 'user:' || value, json_object('name', 'user ' || value, 'n', value)
  FROM generate_series(2, 500);
DELETE FROM kv WHERE key >= 'user:40' AND key < 'user:5';
COMMIT;
UPDATE kv SET value = json_set(value, '\$.age', 36) WHERE key = 'user:1';
INSERT INTO kv(key, value, ttl) VALUES ('session:1', 'expires in an hour', 3600000);
SELECT slatedb_version() AS version;
SELECT count(*) AS rows FROM kv;
SELECT key, value ->> '\$.name' AS name, value ->> '\$.age' AS age FROM kv WHERE key >= 'user:1' ORDER BY key LIMIT 4;
SELECT key, value FROM kv ORDER BY key DESC LIMIT 2;
CREATE TEMP TABLE wanted(id TEXT);
INSERT INTO wanted VALUES ('user:7'), ('user:42'), ('user:77');
SELECT w.id, kv.value ->> '\$.n' AS n FROM wanted w JOIN kv ON kv.key = w.id;
EXPLAIN QUERY PLAN SELECT * FROM kv WHERE key >= 'user:2' AND key < 'user:3' ORDER BY key DESC LIMIT 10;
SELECT path, mode, wal_writes, manifest_id, l0_ssts, memtable_rows FROM slatedb_handles;
SQL

echo
echo "== 2. a second process reads it (no mode=: a reader, which never writes)"
sqlite3 -batch -init /dev/null :memory: <<SQL
.load $SRC/slatedb
.headers on
.mode box
CREATE VIRTUAL TABLE kv USING slatedb('$DEMO/db');
SELECT count(*) AS rows, min(key) AS first, max(key) AS last FROM kv;
SELECT key, value, expire_ts IS NOT NULL AS has_ttl FROM kv('session:');
SQL

echo
echo "== 3. a database written by SlateDB 0.12.1 (Rust)"
sqlite3 -batch -init /dev/null :memory: <<SQL
.load $SRC/slatedb
.headers on
.mode box
CREATE VIRTUAL TABLE rust USING slatedb('$DEMO/from-rust');
SELECT count(*) AS rows FROM rust;
SELECT key, value FROM rust WHERE key IN ('5', '10', 'abc');
SQL
