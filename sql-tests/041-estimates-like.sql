-- Plans from the engine's row estimates (sdb_db_estimate: the manifest and
-- the memtables, no I/O), and `key LIKE` pushed down as the key range of
-- the pattern's literal prefix (SQLite re-checks the LIKE). Results are
-- compared with native tables holding the same rows (1 = same).
.load @EXT@
.nullvalue NULL
-- ---------------------------------------------------------------- LIKE
CREATE VIRTUAL TABLE kv USING slatedb('@TMP@/like/db', key_type=text, value_type=text, mode=writer);
CREATE VIRTUAL TABLE kb USING slatedb('@TMP@/likeb/db', key_type=blob, value_type=text, mode=writer);
CREATE VIRTUAL TABLE ki USING slatedb('@TMP@/likei/db', key_type=int64, value_type=text, mode=writer);
CREATE TABLE keys(k TEXT);
INSERT INTO keys VALUES ('apple'), ('Apple'), ('APPLE'), ('apricot'), ('ap_x'), ('apXx'), ('a%b'),
  ('a%c'), ('a\b'), ('a\\c'), ('A[b'), ('a[b'), ('a_b'), ('_ab'), ('%ab'), ('ab'), ('abc'), ('ABC'),
  ('aBc'), ('abd'), ('b'), ('B'), ('é'), ('éa'), ('Éa'), ('ea'), ('Ea'), ('ñu'), ('5'), ('10'),
  ('-3'), ('5a'), ('z'), ('Z'), ('{'), ('`'), ('@x'), ('~'), ('a' || char(0x7f)), ('A' || char(0x7f)),
  ('ab' || char(0x100)), ('AB' || char(0xe9));
INSERT INTO kv SELECT k, 'v-' || k FROM keys;
INSERT INTO kb SELECT CAST(k AS BLOB), 'v-' || k FROM keys;
INSERT INTO ki VALUES (1, 'a'), (10, 'b'), (12, 'c'), (-1, 'd'), (2, 'e'), (100, 'f');
CREATE TABLE nt(key TEXT PRIMARY KEY NOT NULL, value TEXT) WITHOUT ROWID;
INSERT INTO nt SELECT key, value FROM kv;
CREATE TABLE nb(key BLOB PRIMARY KEY NOT NULL, value TEXT) WITHOUT ROWID;
INSERT INTO nb SELECT key, value FROM kb;
CREATE TABLE ni(key INTEGER PRIMARY KEY, value TEXT);
INSERT INTO ni SELECT key, value FROM ki;
CREATE TABLE pats(p);
INSERT INTO pats VALUES ('ap%'), ('AP%'), ('Ap%'), ('aP%'), ('a%'), ('A%'), ('%'), (''), ('ap_x'),
  ('AP_X'), ('a_b'), ('a\_b'), ('a\%'), ('a\\%'), ('a%b'), ('%b'), ('_b'), ('ab'), ('AB'), ('abc%'),
  ('aBc'), ('ab%d'), ('a%c'), ('%a%'), ('é%'), ('É%'), ('e%'), ('éa'), ('Ea%'), ('ñ%'), ('5%'),
  ('1%'), ('-%'), ('z%'), ('Z%'), ('[%'), ('a[%'), ('A[%'), ('@%'), ('`%'), ('{%'), ('~%'),
  ('a' || char(0x7f) || '%'), ('ab' || char(0x100) || '%'), ('AB%'), (NULL), (5), (1), (x'6170'),
  ('apple'), ('APPLE%');
-- literal patterns: the plan shows the pushed term, "key LIKE"
EXPLAIN QUERY PLAN SELECT * FROM kv WHERE key LIKE 'ap%';
EXPLAIN QUERY PLAN SELECT * FROM kv WHERE key LIKE 'a_b' ORDER BY key DESC;
-- no literal prefix: nothing to push down
EXPLAIN QUERY PLAN SELECT * FROM kv WHERE key LIKE '%p';
EXPLAIN QUERY PLAN SELECT * FROM kv WHERE key LIKE '_p%';
EXPLAIN QUERY PLAN SELECT * FROM kv WHERE key LIKE 'é%';
-- LIKE ... ESCAPE is not offered to virtual tables
EXPLAIN QUERY PLAN SELECT * FROM kv WHERE key LIKE 'a\_%' ESCAPE '\';
-- a LIKE under a LIMIT: the LIKE is re-checked by SQLite, so LIMIT stays with it
EXPLAIN QUERY PLAN SELECT * FROM kv WHERE key LIKE 'a%' LIMIT 2;
-- integer keys: not pushed down
EXPLAIN QUERY PLAN SELECT * FROM ki WHERE key LIKE '1%';
-- a pattern from another table (known only in xFilter) or a parameter
EXPLAIN QUERY PLAN SELECT * FROM pats JOIN kv ON kv.key LIKE pats.p;
.parameter set @p 'AP%'
EXPLAIN QUERY PLAN SELECT * FROM kv WHERE key LIKE @p;
SELECT 'parameter', (SELECT group_concat(key, ',') FROM kv WHERE key LIKE @p),
  (SELECT group_concat(key, ',') FROM kv WHERE key LIKE @p) IS (SELECT group_concat(key, ',') FROM nt WHERE key LIKE @p);
-- every pattern against text, blob and integer keys (correlated: the pattern reaches xFilter)
SELECT 'text ' || quote(p), (SELECT count(*) FROM kv WHERE key LIKE p),
  (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key LIKE p ORDER BY key))
  IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nt WHERE key LIKE p ORDER BY key))
  FROM pats ORDER BY rowid;
SELECT 'blob mismatches', count(*) FROM pats WHERE
  (SELECT group_concat(hex(key), ',') FROM (SELECT key FROM kb WHERE key LIKE p ORDER BY key))
  IS NOT (SELECT group_concat(hex(key), ',') FROM (SELECT key FROM nb WHERE key LIKE p ORDER BY key));
SELECT 'integer mismatches', count(*) FROM pats WHERE
  (SELECT group_concat(key, ',') FROM (SELECT key FROM ki WHERE key LIKE p ORDER BY key))
  IS NOT (SELECT group_concat(key, ',') FROM (SELECT key FROM ni WHERE key LIKE p ORDER BY key));
SELECT 'literal', (SELECT group_concat(key, ',') FROM kv WHERE key LIKE 'Ap%' ORDER BY key DESC),
  (SELECT group_concat(key, ',') FROM kv WHERE key LIKE 'Ap%' ORDER BY key DESC) IS (SELECT group_concat(key, ',') FROM nt WHERE key LIKE 'Ap%' ORDER BY key DESC);
SELECT 'escape', (SELECT group_concat(key, ',') FROM kv WHERE key LIKE 'a\_%' ESCAPE '\'),
  (SELECT group_concat(key, ',') FROM kv WHERE key LIKE 'a\_%' ESCAPE '\') IS (SELECT group_concat(key, ',') FROM nt WHERE key LIKE 'a\_%' ESCAPE '\');
SELECT 'escape %', (SELECT group_concat(key, ',') FROM kv WHERE key LIKE 'a!%%' ESCAPE '!'),
  (SELECT group_concat(key, ',') FROM kv WHERE key LIKE 'a!%%' ESCAPE '!') IS (SELECT group_concat(key, ',') FROM nt WHERE key LIKE 'a!%%' ESCAPE '!');
SELECT 'like with a range', (SELECT group_concat(key, ',') FROM kv WHERE key LIKE 'a%' AND key >= 'ab' AND key < 'b'),
  (SELECT group_concat(key, ',') FROM kv WHERE key LIKE 'a%' AND key >= 'ab' AND key < 'b') IS (SELECT group_concat(key, ',') FROM nt WHERE key LIKE 'a%' AND key >= 'ab' AND key < 'b');
-- case_sensitive_like: SQLite adds BINARY >= and < terms, the range is exact
PRAGMA case_sensitive_like = ON;
EXPLAIN QUERY PLAN SELECT * FROM kv WHERE key LIKE 'ap%';
SELECT 'case-sensitive text mismatches', count(*) FROM pats WHERE
  (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key LIKE p ORDER BY key))
  IS NOT (SELECT group_concat(key, ',') FROM (SELECT key FROM nt WHERE key LIKE p ORDER BY key));
SELECT 'case-sensitive blob mismatches', count(*) FROM pats WHERE
  (SELECT group_concat(hex(key), ',') FROM (SELECT key FROM kb WHERE key LIKE p ORDER BY key))
  IS NOT (SELECT group_concat(hex(key), ',') FROM (SELECT key FROM nb WHERE key LIKE p ORDER BY key));
SELECT 'case-sensitive literal', (SELECT group_concat(key, ',') FROM kv WHERE key LIKE 'ap%'),
  (SELECT group_concat(key, ',') FROM kv WHERE key LIKE 'ap%') IS (SELECT group_concat(key, ',') FROM nt WHERE key LIKE 'ap%');
PRAGMA case_sensitive_like = OFF;
-- ---------------------------------------------------------------- estimates
-- A small database is scanned against a larger native table (probing it by
-- its primary key); a larger database is probed by key from that table. The
-- native table has statistics (ANALYZE), the slatedb tables have none: their
-- rows come from the engine's estimate.
CREATE TABLE big(id INTEGER PRIMARY KEY, name TEXT);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 5000)
  INSERT INTO big SELECT i * 3, 'n' || i FROM s;
ANALYZE big;
CREATE VIRTUAL TABLE small USING slatedb('@TMP@/small/db', key_type=int64, value_type=text, mode=writer);
CREATE VIRTUAL TABLE large USING slatedb('@TMP@/large/db', key_type=int64, value_type=text, mode=writer);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 100)
  INSERT INTO small SELECT i * 7, 'v' || i FROM s;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 20000)
  INSERT INTO large SELECT i * 7, 'v' || i FROM s;
INSERT INTO large(large) VALUES ('flush');
EXPLAIN QUERY PLAN SELECT count(*) FROM small JOIN big ON big.id = small.key;
EXPLAIN QUERY PLAN SELECT count(*) FROM large JOIN big ON big.id = large.key;
SELECT 'small join', (SELECT count(*) FROM small JOIN big ON big.id = small.key);
SELECT 'large join', (SELECT count(*) FROM large JOIN big ON big.id = large.key);
-- The analyst's join: two imported tables (no index, no ANALYZE) and a
-- database: the key is probed in the inner loop.
CREATE TABLE a(id INTEGER, bid INTEGER);
CREATE TABLE b(id INTEGER, name TEXT);
INSERT INTO a VALUES (7, 1), (14, 2), (8, 1), (140000, 2);
INSERT INTO b VALUES (1, 'one'), (2, 'two');
EXPLAIN QUERY PLAN SELECT a.id, kv.value, b.name FROM large kv JOIN a ON a.id = kv.key JOIN b ON b.id = a.bid;
SELECT 'three tables', (SELECT group_concat(c, ' ') FROM (SELECT a.id || '=' || kv.value || '/' || b.name AS c
  FROM large kv JOIN a ON a.id = kv.key JOIN b ON b.id = a.bid ORDER BY a.id));
-- the same with text keys (a loose key= term, re-checked by SQLite)
EXPLAIN QUERY PLAN SELECT * FROM kv JOIN a ON a.id = kv.key JOIN b ON b.id = a.bid;
-- a point lookup is unique: no sorting for DISTINCT, one row
EXPLAIN QUERY PLAN SELECT DISTINCT key FROM large WHERE key = 7;
