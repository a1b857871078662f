-- A statement's scan reads the transaction's uncommitted rows as they were when the scan started
-- (xFilter): its own later writes, made through another table of the same database, are not
-- seen (the Halloween problem: INSERT ... SELECT looped until a key grew too long). SQLite itself
-- copies the rows first when a statement reads the table it writes (EXPLAIN shows OpenEphemeral).
.load @EXT@
.nullvalue NULL
CREATE VIRTUAL TABLE kv USING slatedb('@TMP@/w122/db', mode=writer);
CREATE VIRTUAL TABLE kv2 USING slatedb('@TMP@/w122/db', mode=writer);
CREATE VIRTUAL TABLE kv3 USING slatedb('@TMP@/w122/db', mode=writer);
INSERT INTO kv VALUES ('c', '3');
BEGIN;
INSERT INTO kv VALUES ('a', '1'), ('b', '2');
INSERT INTO kv2 SELECT key || 'x', value FROM kv;
SELECT 'text keys, ascending', group_concat(key || '=' || value, ' ') FROM kv;
INSERT INTO kv2 SELECT '0' || key, value FROM (SELECT key, value FROM kv ORDER BY key DESC);
SELECT 'descending', count(*), group_concat(key, ',') FROM kv;
-- a key the scan has not reached yet keeps the value it had when the scan started (range scan,
-- then IN-list lookups, which read as of the xFilter too)
INSERT OR REPLACE INTO kv2 SELECT CASE key WHEN 'a' THEN 'c' ELSE key || 'w' END,
  CASE key WHEN 'a' THEN 'changed' ELSE value END FROM kv WHERE key BETWEEN 'a' AND 'c';
SELECT 'not reached yet', group_concat(key || '=' || value, ' ') FROM kv WHERE key IN ('c', 'cw');
INSERT OR REPLACE INTO kv2 SELECT CASE key WHEN 'a' THEN 'c' ELSE key || 'i' END,
  CASE key WHEN 'a' THEN 'again' ELSE value END FROM kv WHERE key IN ('a', 'b', 'c');
SELECT 'IN list', group_concat(key || '=' || value, ' ') FROM kv WHERE key IN ('c', 'ci');
-- a join's inner table, filtered once per outer row, does not see the statement's own writes
INSERT INTO kv3 SELECT CASE o.key WHEN 'a' THEN 'bq' ELSE o.key || 'r' END,
  CASE o.key WHEN 'a' THEN 'from a' ELSE coalesce(i.value, 'none') END
  FROM kv o LEFT JOIN kv2 i ON i.key = o.key || 'q' WHERE o.key IN ('a', 'b');
SELECT 'join', group_concat(key || '=' || value, ' ') FROM kv WHERE key IN ('bq', 'br');
COMMIT;
SELECT 'committed', count(*), group_concat(key, ',') FROM kv;
-- the same table: SQLite copies the rows first
INSERT INTO kv SELECT key || 'z', value FROM kv WHERE key < 'b';
SELECT 'same table', group_concat(key, ',') FROM kv WHERE key < 'b';

-- a cursor whose first xFilter scans nothing (a NULL key, a contradictory range) takes its view
-- there: the inner table does not see the row the statement wrote for the first outer row
BEGIN;
INSERT INTO kv3 SELECT o.key || 'n', coalesce('saw ' || i.value, 'none') FROM kv o
  LEFT JOIN kv2 i ON i.key = (CASE o.key WHEN 'a' THEN NULL ELSE 'an' END) WHERE o.key IN ('a', 'b');
INSERT INTO kv3 SELECT o.key || 'e', coalesce('saw ' || i.value, 'none') FROM kv o
  LEFT JOIN kv2 i ON i.key = 'ae' AND i.key = (CASE o.key WHEN 'a' THEN 'zz' ELSE 'ae' END)
  WHERE o.key IN ('a', 'b');
COMMIT;
INSERT INTO kv3 SELECT o.key || 'm', coalesce('saw ' || i.value, 'none') FROM kv o
  LEFT JOIN kv2 i ON i.key IN (CASE o.key WHEN 'a' THEN NULL ELSE 'am' END) WHERE o.key IN ('a', 'b');
SELECT 'first filter empty', group_concat(key || '=' || value, ' ') FROM kv
  WHERE key IN ('an', 'bn', 'ae', 'be', 'am', 'bm');

-- int64 keys: key + 1000 would loop for ever, with memory growing
CREATE VIRTUAL TABLE ki USING slatedb('@TMP@/w122/dbi', mode=writer, key_type=int64);
CREATE VIRTUAL TABLE ki2 USING slatedb('@TMP@/w122/dbi', mode=writer, key_type=int64);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 500)
INSERT INTO ki SELECT i, 'v' || i FROM c;
BEGIN;
INSERT INTO ki VALUES (501, 'v501');
INSERT INTO ki2 SELECT key + 1000, value FROM ki;
SELECT 'int keys', count(*), min(key), max(key) FROM ki;
INSERT INTO ki2 SELECT key - 2000, value FROM ki ORDER BY key DESC;
SELECT 'int keys, descending', count(*), min(key), max(key) FROM ki;
-- UPDATE and DELETE scan while they write
UPDATE ki SET value = value || 'u';
SELECT 'update', count(*), sum(value GLOB '*u'), sum(value GLOB '*uu') FROM ki;
UPDATE ki SET key = key + 10000 WHERE key BETWEEN 1 AND 100;
SELECT 'update of the key', count(*), sum(key > 10000), max(key) FROM ki;
DELETE FROM ki WHERE key > 1250;
SELECT 'delete', count(*), max(key) FROM ki;
UPDATE ki2 SET value = 'via ki2' WHERE key IN (SELECT key FROM ki WHERE key < 0);
SELECT 'update through another table', count(*) FROM ki WHERE value = 'via ki2';
COMMIT;
SELECT 'committed', count(*), min(key), max(key), sum(value = 'via ki2') FROM ki;
