-- Joins with native tables, the vtab inner (key = in the inner loop) and
-- outer. A text key compared with an INTEGER column compares numerically in
-- SQLite ('007' = 7): those terms are loose and SQLite re-checks them, so the
-- result does not depend on the plan. Each line: name | vtab result | 1 if a
-- native WITHOUT ROWID table holding expected.txt gives the same.
.load @EXT@
.nullvalue NULL
.read @TMP@/ref/keys-text.sql
CREATE TABLE nt(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO nt SELECT CAST(k AS TEXT), CAST(v AS TEXT) FROM ref_keys_text;
CREATE VIRTUAL TABLE kv USING slatedb('@FIX@/keys-text/db', mode=reader);
CREATE TABLE t(id INTEGER, name TEXT);
INSERT INTO t VALUES (7, 'abc'), (0, 'ab'), (5, 'zzz'), (10, '5'), (-3, 'ABC'), (1, '🙂');
SELECT 'text column', (SELECT group_concat(c, ' ') FROM (SELECT quote(t.name) || '=' || quote(k.value) AS c FROM t JOIN kv k ON k.key = t.name ORDER BY t.rowid)),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(t.name) || '=' || quote(k.value) AS c FROM t JOIN kv k ON k.key = t.name ORDER BY t.rowid)) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(t.name) || '=' || quote(k.value) AS c FROM t JOIN nt k ON k.key = t.name ORDER BY t.rowid));
SELECT 'text column, vtab outer', (SELECT group_concat(c, ' ') FROM (SELECT quote(t.name) || '=' || quote(k.value) AS c FROM kv k CROSS JOIN t ON k.key = t.name ORDER BY t.rowid)),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(t.name) || '=' || quote(k.value) AS c FROM kv k CROSS JOIN t ON k.key = t.name ORDER BY t.rowid)) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(t.name) || '=' || quote(k.value) AS c FROM nt k CROSS JOIN t ON k.key = t.name ORDER BY t.rowid));
SELECT 'expression', (SELECT group_concat(c, ' ') FROM (SELECT quote(t.id) || '=' || quote(k.key) AS c FROM t JOIN kv k ON k.key = t.name || 'c' ORDER BY t.rowid, k.key)),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(t.id) || '=' || quote(k.key) AS c FROM t JOIN kv k ON k.key = t.name || 'c' ORDER BY t.rowid, k.key)) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(t.id) || '=' || quote(k.key) AS c FROM t JOIN nt k ON k.key = t.name || 'c' ORDER BY t.rowid, k.key));
SELECT 'integer column (numeric comparison: ''007'' = 7)', (SELECT group_concat(c, ' ') FROM (SELECT quote(t.id) || '=' || quote(k.key) AS c FROM t JOIN kv k ON k.key = t.id ORDER BY t.rowid, k.key)),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(t.id) || '=' || quote(k.key) AS c FROM t JOIN kv k ON k.key = t.id ORDER BY t.rowid, k.key)) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(t.id) || '=' || quote(k.key) AS c FROM t JOIN nt k ON k.key = t.id ORDER BY t.rowid, k.key));
SELECT 'integer column, vtab outer', (SELECT group_concat(c, ' ') FROM (SELECT quote(t.id) || '=' || quote(k.key) AS c FROM kv k CROSS JOIN t ON k.key = t.id ORDER BY t.rowid, k.key)),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(t.id) || '=' || quote(k.key) AS c FROM kv k CROSS JOIN t ON k.key = t.id ORDER BY t.rowid, k.key)) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(t.id) || '=' || quote(k.key) AS c FROM nt k CROSS JOIN t ON k.key = t.id ORDER BY t.rowid, k.key));
SELECT 'integer column range', (SELECT group_concat(c, ' ') FROM (SELECT quote(t.id) || ':' || count(*) AS c FROM t JOIN kv k ON k.key < t.id GROUP BY t.rowid ORDER BY t.rowid)),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(t.id) || ':' || count(*) AS c FROM t JOIN kv k ON k.key < t.id GROUP BY t.rowid ORDER BY t.rowid)) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(t.id) || ':' || count(*) AS c FROM t JOIN nt k ON k.key < t.id GROUP BY t.rowid ORDER BY t.rowid));
SELECT 'IN subquery of integers', (SELECT group_concat(c, ' ') FROM (SELECT quote(k.key) AS c FROM kv k WHERE k.key IN (SELECT id FROM t) ORDER BY k.key)),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(k.key) AS c FROM kv k WHERE k.key IN (SELECT id FROM t) ORDER BY k.key)) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(k.key) AS c FROM nt k WHERE k.key IN (SELECT id FROM t) ORDER BY k.key));
SELECT 'IN subquery of text', (SELECT group_concat(c, ' ') FROM (SELECT quote(k.key) AS c FROM kv k WHERE k.key IN (SELECT name FROM t) ORDER BY k.key)),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(k.key) AS c FROM kv k WHERE k.key IN (SELECT name FROM t) ORDER BY k.key)) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(k.key) AS c FROM nt k WHERE k.key IN (SELECT name FROM t) ORDER BY k.key));
SELECT 'left join', (SELECT group_concat(c, ' ') FROM (SELECT quote(t.name) || '=' || quote(k.value) AS c FROM t LEFT JOIN kv k ON k.key = t.name ORDER BY t.rowid)),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(t.name) || '=' || quote(k.value) AS c FROM t LEFT JOIN kv k ON k.key = t.name ORDER BY t.rowid)) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(t.name) || '=' || quote(k.value) AS c FROM t LEFT JOIN nt k ON k.key = t.name ORDER BY t.rowid));
SELECT 'count join', (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM t JOIN kv k ON k.key >= t.name AND k.key < t.name || 'z')),
  (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM t JOIN kv k ON k.key >= t.name AND k.key < t.name || 'z')) IS (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM t JOIN nt k ON k.key >= t.name AND k.key < t.name || 'z'));
SELECT 'self join', (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM kv a JOIN kv b ON b.key = a.key || 'c' WHERE a.key GLOB 'a*')),
  (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM kv a JOIN kv b ON b.key = a.key || 'c' WHERE a.key GLOB 'a*')) IS (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM nt a JOIN nt b ON b.key = a.key || 'c' WHERE a.key GLOB 'a*'));
SELECT 'parameter-like expression', (SELECT group_concat(c, ' ') FROM (SELECT quote(k.key) AS c FROM t JOIN kv k ON k.key = t.id + 0 ORDER BY t.rowid, k.key)),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(k.key) AS c FROM t JOIN kv k ON k.key = t.id + 0 ORDER BY t.rowid, k.key)) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(k.key) AS c FROM t JOIN nt k ON k.key = t.id + 0 ORDER BY t.rowid, k.key));
EXPLAIN QUERY PLAN SELECT * FROM t JOIN kv ON kv.key = t.name;
EXPLAIN QUERY PLAN SELECT * FROM kv CROSS JOIN t ON kv.key = t.name;
