-- EXPLAIN QUERY PLAN goldens: what xBestIndex pushes down. The plan shows
-- idxNum:idxStr; idxStr lists the xFilter arguments in order (a trailing ~
-- marks a loose text-key term that SQLite re-checks), then ORDER ASC|DESC.
.load @EXT@
CREATE VIRTUAL TABLE kv USING slatedb('@FIX@/keys-text/db', mode=reader);
CREATE VIRTUAL TABLE ki USING slatedb('@FIX@/keys-int64/db', key_type=int64, mode=reader);
CREATE TABLE t(id INTEGER, name TEXT);
EXPLAIN QUERY PLAN SELECT * FROM kv;
EXPLAIN QUERY PLAN SELECT * FROM kv WHERE key = 'abc';
EXPLAIN QUERY PLAN SELECT * FROM kv WHERE key = 5;
EXPLAIN QUERY PLAN SELECT * FROM kv WHERE key = ?;
EXPLAIN QUERY PLAN SELECT * FROM ki WHERE key = ?;
EXPLAIN QUERY PLAN SELECT * FROM kv WHERE key IN ('a', 'b');
EXPLAIN QUERY PLAN SELECT * FROM ki WHERE key IN (1, 2) ORDER BY key DESC LIMIT 1;
EXPLAIN QUERY PLAN SELECT * FROM kv WHERE key > 'a' AND key <= 'b';
EXPLAIN QUERY PLAN SELECT * FROM kv WHERE key BETWEEN 'a' AND 'b';
EXPLAIN QUERY PLAN SELECT * FROM kv WHERE key >= 'a' AND key < 'b' ORDER BY key DESC LIMIT 10;
EXPLAIN QUERY PLAN SELECT * FROM kv WHERE key > 'a' ORDER BY key LIMIT 10 OFFSET 5;
EXPLAIN QUERY PLAN SELECT * FROM kv ORDER BY key DESC;
EXPLAIN QUERY PLAN SELECT * FROM kv ORDER BY value;
EXPLAIN QUERY PLAN SELECT * FROM kv ORDER BY key COLLATE NOCASE;
EXPLAIN QUERY PLAN SELECT * FROM kv LIMIT 5;
-- the trap: SQLite offers LIMIT although value = ... is not pushed down
EXPLAIN QUERY PLAN SELECT * FROM kv WHERE value = '3' LIMIT 1;
EXPLAIN QUERY PLAN SELECT * FROM kv WHERE key GLOB 'ab*';
EXPLAIN QUERY PLAN SELECT * FROM kv WHERE key GLOB 'ab*' LIMIT 3;
-- LIKE: the range of its literal prefix (every ASCII case) is pushed down; SQLite re-checks
EXPLAIN QUERY PLAN SELECT * FROM kv WHERE key LIKE 'ab%';
EXPLAIN QUERY PLAN SELECT * FROM kv WHERE key = 'abc' COLLATE NOCASE;
EXPLAIN QUERY PLAN SELECT * FROM kv('ab');
EXPLAIN QUERY PLAN SELECT * FROM kv('ab') ORDER BY key DESC LIMIT 2;
EXPLAIN QUERY PLAN SELECT count(*) FROM kv;
EXPLAIN QUERY PLAN SELECT count(*) FROM kv WHERE key < 'b';
EXPLAIN QUERY PLAN SELECT key, count(*) FROM kv GROUP BY key;
-- joins put key = in the inner loop
EXPLAIN QUERY PLAN SELECT * FROM t JOIN kv ON kv.key = t.name;
EXPLAIN QUERY PLAN SELECT * FROM t JOIN kv ON kv.key = 'user:' || t.id;
EXPLAIN QUERY PLAN SELECT * FROM t JOIN ki ON ki.key = t.id;
EXPLAIN QUERY PLAN SELECT * FROM ki JOIN t ON ki.key = t.id;
-- a prefix argument that cannot be used makes that plan impossible
EXPLAIN QUERY PLAN SELECT * FROM t, kv(t.name);
EXPLAIN QUERY PLAN SELECT * FROM kv(t.name), t;
INSERT INTO t VALUES (1, 'ab'), (2, 'zzz');
SELECT t.id, kv.key FROM t, kv(t.name);
