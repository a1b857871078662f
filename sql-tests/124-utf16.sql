-- A UTF-16 database (PRAGMA encoding before anything is created): SQLite's
-- BINARY collation compares text with memcmp in UTF-16, whose order differs
-- from the UTF-8 byte order the engine keeps keys in (UTF-16LE: U+0101 is
-- 01 01, 'b' 62 00; UTF-16BE: U+E000..U+FFFF sort above supplementary
-- characters). So a text key gets only = and IN pushed down, and SQLite sorts
-- ORDER BY key. Each query prints its rows and whether they equal the same
-- query on a native WITHOUT ROWID copy (1 = same); a query without ORDER BY
-- key is compared as a set (ORDER BY hex(key), which SQLite evaluates). Keys: a, U+0101, b,
-- U+0100, zz, U+E000, U+1F600, ab, Ab.
.nullvalue NULL
PRAGMA encoding = 'UTF-16le';
.load @EXT@
CREATE VIRTUAL TABLE kv USING slatedb('@TMP@/utf16/le', mode=writer, key_type=text, value_type=text);
CREATE TABLE nat(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE q(k TEXT);
INSERT INTO q VALUES ('a'), (char(257)), ('b'), (char(256)), ('zz'), (char(57344)), (char(128512));
INSERT INTO kv SELECT k, 'v' FROM q;
INSERT INTO kv VALUES ('ab', 'v'), ('Ab', 'v');
INSERT INTO nat SELECT key, value FROM kv;
PRAGMA encoding;
-- The plans: ranges, LIKE and ORDER BY key stay with SQLite; = and IN are pushed.
EXPLAIN QUERY PLAN SELECT key FROM kv WHERE key < 'b';
EXPLAIN QUERY PLAN SELECT key FROM kv WHERE key > 'a' AND key <= 'b';
EXPLAIN QUERY PLAN SELECT key FROM kv ORDER BY key DESC LIMIT 3 OFFSET 2;
EXPLAIN QUERY PLAN SELECT key FROM kv WHERE key LIKE 'a%';
EXPLAIN QUERY PLAN SELECT key FROM kv WHERE key = 'a';
EXPLAIN QUERY PLAN SELECT key FROM kv WHERE key IN ('a', 'b');
EXPLAIN QUERY PLAN SELECT key FROM q JOIN kv ON kv.key < q.k;
EXPLAIN QUERY PLAN SELECT key FROM q JOIN kv ON kv.key = q.k;
SELECT '<', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key < 'b' ORDER BY hex(key))), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key < 'b' ORDER BY hex(key))) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key < 'b' ORDER BY hex(key)));
SELECT '<=', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key <= 'b' ORDER BY hex(key))), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key <= 'b' ORDER BY hex(key))) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key <= 'b' ORDER BY hex(key)));
SELECT '>', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key > 'a' ORDER BY hex(key))), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key > 'a' ORDER BY hex(key))) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key > 'a' ORDER BY hex(key)));
SELECT '>=', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key >= 'a' ORDER BY hex(key))), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key >= 'a' ORDER BY hex(key))) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key >= 'a' ORDER BY hex(key)));
SELECT 'BETWEEN', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key BETWEEN 'a' AND 'b' ORDER BY hex(key))), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key BETWEEN 'a' AND 'b' ORDER BY hex(key))) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key BETWEEN 'a' AND 'b' ORDER BY hex(key)));
SELECT 'range+ORDER', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key > 'a' ORDER BY key)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key > 'a' ORDER BY key)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key > 'a' ORDER BY key));
SELECT 'ORDER', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv ORDER BY key)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv ORDER BY key)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat ORDER BY key));
SELECT 'ORDER DESC', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv ORDER BY key DESC)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv ORDER BY key DESC)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat ORDER BY key DESC));
SELECT 'ORDER LIMIT', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv ORDER BY key LIMIT 3)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv ORDER BY key LIMIT 3)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat ORDER BY key LIMIT 3));
SELECT 'ORDER DESC LIMIT OFFSET', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv ORDER BY key DESC LIMIT 3 OFFSET 2)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv ORDER BY key DESC LIMIT 3 OFFSET 2)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat ORDER BY key DESC LIMIT 3 OFFSET 2));
SELECT '< LIMIT', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key < 'b' ORDER BY key LIMIT 2)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key < 'b' ORDER BY key LIMIT 2)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key < 'b' ORDER BY key LIMIT 2));
SELECT 'LIKE', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key LIKE 'a%' ORDER BY key)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key LIKE 'a%' ORDER BY key)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key LIKE 'a%' ORDER BY key));
SELECT 'GLOB', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key GLOB 'a*' ORDER BY key)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key GLOB 'a*' ORDER BY key)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key GLOB 'a*' ORDER BY key));
SELECT 'GLOB high', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key GLOB char(57344) || '*' ORDER BY key)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key GLOB char(57344) || '*' ORDER BY key)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key GLOB char(57344) || '*' ORDER BY key));
SELECT 'IN', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key IN ('a', char(257), 'b', 'zz') ORDER BY key)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key IN ('a', char(257), 'b', 'zz') ORDER BY key)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key IN ('a', char(257), 'b', 'zz') ORDER BY key));
SELECT '=', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key = char(256) ORDER BY hex(key))), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key = char(256) ORDER BY hex(key))) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key = char(256) ORDER BY hex(key)));
SELECT '> param', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key > (SELECT 'a') ORDER BY key)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key > (SELECT 'a') ORDER BY key)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key > (SELECT 'a') ORDER BY key));
SELECT '> high', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key > char(57344) ORDER BY key)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key > char(57344) ORDER BY key)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key > char(57344) ORDER BY key));
SELECT '< supp', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key < char(128512) ORDER BY key)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key < char(128512) ORDER BY key)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key < char(128512) ORDER BY key));
SELECT 'join <', (SELECT group_concat(t.k, ',') FROM (SELECT q.k FROM q JOIN kv ON kv.key < q.k WHERE kv.key = 'a' ORDER BY q.k) t), (SELECT group_concat(t.k, ',') FROM (SELECT q.k FROM q JOIN kv ON kv.key < q.k WHERE kv.key = 'a' ORDER BY q.k) t) IS (SELECT group_concat(t.k, ',') FROM (SELECT q.k FROM q JOIN nat ON nat.key < q.k WHERE nat.key = 'a' ORDER BY q.k) t);
SELECT 'join =', (SELECT group_concat(t.key, ',') FROM (SELECT kv.key FROM q JOIN kv ON kv.key = q.k ORDER BY kv.key) t), (SELECT group_concat(t.key, ',') FROM (SELECT kv.key FROM q JOIN kv ON kv.key = q.k ORDER BY kv.key) t) IS (SELECT group_concat(t.key, ',') FROM (SELECT nat.key FROM q JOIN nat ON nat.key = q.k ORDER BY nat.key) t);
SELECT 'join > <', (SELECT group_concat(t.k, ',') FROM (SELECT q.k FROM q WHERE EXISTS (SELECT 1 FROM kv WHERE kv.key > q.k AND kv.key < 'b') ORDER BY q.k) t), (SELECT group_concat(t.k, ',') FROM (SELECT q.k FROM q WHERE EXISTS (SELECT 1 FROM kv WHERE kv.key > q.k AND kv.key < 'b') ORDER BY q.k) t) IS (SELECT group_concat(t.k, ',') FROM (SELECT q.k FROM q WHERE EXISTS (SELECT 1 FROM nat WHERE nat.key > q.k AND nat.key < 'b') ORDER BY q.k) t);
-- slatedb_read plans the same way.
EXPLAIN QUERY PLAN SELECT key FROM slatedb_read('@TMP@/utf16/le') WHERE key < 'b' ORDER BY key;
SELECT 'read <', (SELECT group_concat(key, ',') FROM (SELECT key FROM slatedb_read('@TMP@/utf16/le') WHERE key < 'b' ORDER BY key)), (SELECT group_concat(key, ',') FROM (SELECT key FROM slatedb_read('@TMP@/utf16/le') WHERE key < 'b' ORDER BY key)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key < 'b' ORDER BY key));
SELECT 'read ORDER DESC LIMIT', (SELECT group_concat(key, ',') FROM (SELECT key FROM slatedb_read('@TMP@/utf16/le') ORDER BY key DESC LIMIT 4)), (SELECT group_concat(key, ',') FROM (SELECT key FROM slatedb_read('@TMP@/utf16/le') ORDER BY key DESC LIMIT 4)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat ORDER BY key DESC LIMIT 4));
SELECT 'read IN', (SELECT group_concat(key, ',') FROM (SELECT key FROM slatedb_read('@TMP@/utf16/le') WHERE key IN ('a', char(257)) ORDER BY key)), (SELECT group_concat(key, ',') FROM (SELECT key FROM slatedb_read('@TMP@/utf16/le') WHERE key IN ('a', char(257)) ORDER BY key)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key IN ('a', char(257)) ORDER BY key));
-- The same in UTF-16BE, on a new database file.
.open @TMP@/utf16/be.sqlite
PRAGMA encoding = 'UTF-16be';
.load @EXT@
CREATE VIRTUAL TABLE kv USING slatedb('@TMP@/utf16/be', mode=writer, key_type=text, value_type=text);
CREATE TABLE nat(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE q(k TEXT);
INSERT INTO q VALUES ('a'), (char(257)), ('b'), (char(256)), ('zz'), (char(57344)), (char(128512));
INSERT INTO kv SELECT k, 'v' FROM q;
INSERT INTO kv VALUES ('ab', 'v'), ('Ab', 'v');
INSERT INTO nat SELECT key, value FROM kv;
PRAGMA encoding;
EXPLAIN QUERY PLAN SELECT key FROM kv WHERE key > char(57344) ORDER BY key;
SELECT '<', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key < 'b' ORDER BY hex(key))), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key < 'b' ORDER BY hex(key))) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key < 'b' ORDER BY hex(key)));
SELECT '<=', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key <= 'b' ORDER BY hex(key))), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key <= 'b' ORDER BY hex(key))) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key <= 'b' ORDER BY hex(key)));
SELECT '>', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key > 'a' ORDER BY hex(key))), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key > 'a' ORDER BY hex(key))) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key > 'a' ORDER BY hex(key)));
SELECT '>=', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key >= 'a' ORDER BY hex(key))), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key >= 'a' ORDER BY hex(key))) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key >= 'a' ORDER BY hex(key)));
SELECT 'BETWEEN', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key BETWEEN 'a' AND 'b' ORDER BY hex(key))), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key BETWEEN 'a' AND 'b' ORDER BY hex(key))) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key BETWEEN 'a' AND 'b' ORDER BY hex(key)));
SELECT 'range+ORDER', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key > 'a' ORDER BY key)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key > 'a' ORDER BY key)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key > 'a' ORDER BY key));
SELECT 'ORDER', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv ORDER BY key)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv ORDER BY key)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat ORDER BY key));
SELECT 'ORDER DESC', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv ORDER BY key DESC)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv ORDER BY key DESC)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat ORDER BY key DESC));
SELECT 'ORDER LIMIT', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv ORDER BY key LIMIT 3)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv ORDER BY key LIMIT 3)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat ORDER BY key LIMIT 3));
SELECT 'ORDER DESC LIMIT OFFSET', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv ORDER BY key DESC LIMIT 3 OFFSET 2)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv ORDER BY key DESC LIMIT 3 OFFSET 2)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat ORDER BY key DESC LIMIT 3 OFFSET 2));
SELECT '< LIMIT', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key < 'b' ORDER BY key LIMIT 2)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key < 'b' ORDER BY key LIMIT 2)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key < 'b' ORDER BY key LIMIT 2));
SELECT 'LIKE', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key LIKE 'a%' ORDER BY key)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key LIKE 'a%' ORDER BY key)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key LIKE 'a%' ORDER BY key));
SELECT 'GLOB', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key GLOB 'a*' ORDER BY key)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key GLOB 'a*' ORDER BY key)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key GLOB 'a*' ORDER BY key));
SELECT 'GLOB high', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key GLOB char(57344) || '*' ORDER BY key)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key GLOB char(57344) || '*' ORDER BY key)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key GLOB char(57344) || '*' ORDER BY key));
SELECT 'IN', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key IN ('a', char(257), 'b', 'zz') ORDER BY key)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key IN ('a', char(257), 'b', 'zz') ORDER BY key)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key IN ('a', char(257), 'b', 'zz') ORDER BY key));
SELECT '=', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key = char(256) ORDER BY hex(key))), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key = char(256) ORDER BY hex(key))) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key = char(256) ORDER BY hex(key)));
SELECT '> param', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key > (SELECT 'a') ORDER BY key)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key > (SELECT 'a') ORDER BY key)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key > (SELECT 'a') ORDER BY key));
SELECT '> high', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key > char(57344) ORDER BY key)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key > char(57344) ORDER BY key)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key > char(57344) ORDER BY key));
SELECT '< supp', (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key < char(128512) ORDER BY key)), (SELECT group_concat(key, ',') FROM (SELECT key FROM kv WHERE key < char(128512) ORDER BY key)) IS (SELECT group_concat(key, ',') FROM (SELECT key FROM nat WHERE key < char(128512) ORDER BY key));
SELECT 'join <', (SELECT group_concat(t.k, ',') FROM (SELECT q.k FROM q JOIN kv ON kv.key < q.k WHERE kv.key = 'a' ORDER BY q.k) t), (SELECT group_concat(t.k, ',') FROM (SELECT q.k FROM q JOIN kv ON kv.key < q.k WHERE kv.key = 'a' ORDER BY q.k) t) IS (SELECT group_concat(t.k, ',') FROM (SELECT q.k FROM q JOIN nat ON nat.key < q.k WHERE nat.key = 'a' ORDER BY q.k) t);
SELECT 'join =', (SELECT group_concat(t.key, ',') FROM (SELECT kv.key FROM q JOIN kv ON kv.key = q.k ORDER BY kv.key) t), (SELECT group_concat(t.key, ',') FROM (SELECT kv.key FROM q JOIN kv ON kv.key = q.k ORDER BY kv.key) t) IS (SELECT group_concat(t.key, ',') FROM (SELECT nat.key FROM q JOIN nat ON nat.key = q.k ORDER BY nat.key) t);
SELECT 'join > <', (SELECT group_concat(t.k, ',') FROM (SELECT q.k FROM q WHERE EXISTS (SELECT 1 FROM kv WHERE kv.key > q.k AND kv.key < 'b') ORDER BY q.k) t), (SELECT group_concat(t.k, ',') FROM (SELECT q.k FROM q WHERE EXISTS (SELECT 1 FROM kv WHERE kv.key > q.k AND kv.key < 'b') ORDER BY q.k) t) IS (SELECT group_concat(t.k, ',') FROM (SELECT q.k FROM q WHERE EXISTS (SELECT 1 FROM nat WHERE nat.key > q.k AND nat.key < 'b') ORDER BY q.k) t);
-- A blob key is unaffected (memcmp of the bytes in any encoding): pushed.
CREATE VIRTUAL TABLE kb USING slatedb('@TMP@/utf16/blob', mode=writer, key_type=blob);
EXPLAIN QUERY PLAN SELECT key FROM kb WHERE key < x'62' ORDER BY key LIMIT 2;
