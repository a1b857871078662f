-- Reads with key = / IN / ranges / GLOB / LIKE / prefix / ORDER BY / LIMIT /
-- OFFSET on keys-text. Each line: NAME|<the vtab's rows, quoted, in order>|
-- <1 if a native WITHOUT ROWID table holding expected.txt gives the same>.
.load @EXT@
.nullvalue NULL
.read @TMP@/ref/keys-text.sql
CREATE TABLE nt(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO nt SELECT CAST(k AS TEXT), CAST(v AS TEXT) FROM ref_keys_text;
CREATE VIRTUAL TABLE kv USING slatedb('@FIX@/keys-text/db', mode=reader);
SELECT 'eq', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) || '=' || quote(value) AS c FROM kv WHERE key = 'abc')),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) || '=' || quote(value) AS c FROM kv WHERE key = 'abc')) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) || '=' || quote(value) AS c FROM nt WHERE key = 'abc'));
SELECT 'eq-int', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key = 5)),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key = 5)) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt WHERE key = 5));
SELECT 'eq-real', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key = -3.0)),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key = -3.0)) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt WHERE key = -3.0));
SELECT 'eq-expr', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key = '5' || '')),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key = '5' || '')) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt WHERE key = '5' || ''));
SELECT 'in', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key IN ('abc', 5, 'zzz', x'616263', NULL, 'abc', 10))),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key IN ('abc', 5, 'zzz', x'616263', NULL, 'abc', 10))) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt WHERE key IN ('abc', 5, 'zzz', x'616263', NULL, 'abc', 10)));
SELECT 'in-desc', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key IN ('abc', 5, 'ab', 10, -3) ORDER BY key DESC)),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key IN ('abc', 5, 'ab', 10, -3) ORDER BY key DESC)) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt WHERE key IN ('abc', 5, 'ab', 10, -3) ORDER BY key DESC));
SELECT 'gt', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key > '😀w')),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key > '😀w')) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt WHERE key > '😀w'));
SELECT 'range', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key >= 'a' AND key < 'ab')),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key >= 'a' AND key < 'ab')) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt WHERE key >= 'a' AND key < 'ab'));
SELECT 'between', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key BETWEEN 'b' AND 'bb')),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key BETWEEN 'b' AND 'bb')) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt WHERE key BETWEEN 'b' AND 'bb'));
SELECT 'glob', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key GLOB 'ab*')),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key GLOB 'ab*')) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt WHERE key GLOB 'ab*'));
SELECT 'glob-mid', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key GLOB 'a*b*')),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key GLOB 'a*b*')) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt WHERE key GLOB 'a*b*'));
SELECT 'like', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key LIKE 'ab%')),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key LIKE 'ab%')) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt WHERE key LIKE 'ab%'));
SELECT 'range-desc-limit-offset', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key >= 'a' AND key < 'b' ORDER BY key DESC LIMIT 3 OFFSET 2)),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key >= 'a' AND key < 'b' ORDER BY key DESC LIMIT 3 OFFSET 2)) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt WHERE key >= 'a' AND key < 'b' ORDER BY key DESC LIMIT 3 OFFSET 2));
SELECT 'desc-limit', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv ORDER BY key DESC LIMIT 5)),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv ORDER BY key DESC LIMIT 5)) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt ORDER BY key DESC LIMIT 5));
SELECT 'tail', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv LIMIT 3 OFFSET 1963)),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv LIMIT 3 OFFSET 1963)) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt LIMIT 3 OFFSET 1963));
SELECT 'offset-past-end', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv LIMIT 3 OFFSET 5000)),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv LIMIT 3 OFFSET 5000)) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt LIMIT 3 OFFSET 5000));
SELECT 'limit-0', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv LIMIT 0)),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv LIMIT 0)) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt LIMIT 0));
SELECT 'limit-negative', (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM (SELECT key FROM kv LIMIT -1 OFFSET 1960))),
  (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM (SELECT key FROM kv LIMIT -1 OFFSET 1960))) IS (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM (SELECT key FROM nt LIMIT -1 OFFSET 1960)));
SELECT 'count-lt', (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM kv WHERE key < 'a')),
  (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM kv WHERE key < 'a')) IS (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM nt WHERE key < 'a'));
SELECT 'multi-bounds', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key > 'a' AND key > 'b' AND key < 'c' AND key <= 'bc')),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key > 'a' AND key > 'b' AND key < 'c' AND key <= 'bc')) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt WHERE key > 'a' AND key > 'b' AND key < 'c' AND key <= 'bc'));
SELECT 'empty-range', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key > 'b' AND key < 'a')),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key > 'b' AND key < 'a')) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt WHERE key > 'b' AND key < 'a'));
SELECT 'nocase', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key = 'ABC' COLLATE NOCASE)),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key = 'ABC' COLLATE NOCASE)) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt WHERE key = 'ABC' COLLATE NOCASE));
SELECT 'blob-gt', (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM kv WHERE key > x'00')),
  (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM kv WHERE key > x'00')) IS (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM nt WHERE key > x'00'));
SELECT 'blob-lt', (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM kv WHERE key < x'00')),
  (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM kv WHERE key < x'00')) IS (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM nt WHERE key < x'00'));
SELECT 'null', (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM kv WHERE key > NULL OR key = NULL OR key IN (NULL))),
  (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM kv WHERE key > NULL OR key = NULL OR key IN (NULL))) IS (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM nt WHERE key > NULL OR key = NULL OR key IN (NULL)));
SELECT 'int-lt', (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM kv WHERE key < 5)),
  (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM kv WHERE key < 5)) IS (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM nt WHERE key < 5));
SELECT 'real-ge', (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM kv WHERE key >= 2.5)),
  (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM kv WHERE key >= 2.5)) IS (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM nt WHERE key >= 2.5));
SELECT 'value-trap', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE value = 'r0.22' LIMIT 1)),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE value = 'r0.22' LIMIT 1)) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt WHERE value = 'r0.22' LIMIT 1));
SELECT 'value-trap-offset', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE value GLOB 'r0.2*' LIMIT 2 OFFSET 1)),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE value GLOB 'r0.2*' LIMIT 2 OFFSET 1)) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt WHERE value GLOB 'r0.2*' LIMIT 2 OFFSET 1));
SELECT 'in-subquery', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key IN (SELECT key FROM kv WHERE key GLOB 'ab*' LIMIT 2))),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key IN (SELECT key FROM kv WHERE key GLOB 'ab*' LIMIT 2))) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt WHERE key IN (SELECT key FROM nt WHERE key GLOB 'ab*' LIMIT 2)));
SELECT 'group-by', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) || ':' || count(*) AS c FROM kv WHERE key < '1' GROUP BY key ORDER BY key DESC LIMIT 4)),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) || ':' || count(*) AS c FROM kv WHERE key < '1' GROUP BY key ORDER BY key DESC LIMIT 4)) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) || ':' || count(*) AS c FROM nt WHERE key < '1' GROUP BY key ORDER BY key DESC LIMIT 4));
SELECT 'distinct', (SELECT group_concat(c, ' ') FROM (SELECT DISTINCT quote(substr(key, 1, 1)) AS c FROM kv WHERE key >= 'x' ORDER BY 1)),
  (SELECT group_concat(c, ' ') FROM (SELECT DISTINCT quote(substr(key, 1, 1)) AS c FROM kv WHERE key >= 'x' ORDER BY 1)) IS (SELECT group_concat(c, ' ') FROM (SELECT DISTINCT quote(substr(key, 1, 1)) AS c FROM nt WHERE key >= 'x' ORDER BY 1));
SELECT 'or', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key = 'abc' OR key = 'ab' OR key > '🙂o')),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv WHERE key = 'abc' OR key = 'ab' OR key > '🙂o')) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt WHERE key = 'abc' OR key = 'ab' OR key > '🙂o'));
SELECT 'not-in', (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM kv WHERE key NOT IN ('abc', 5))),
  (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM kv WHERE key NOT IN ('abc', 5))) IS (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM nt WHERE key NOT IN ('abc', 5)));
SELECT 'prefix', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv('ab'))),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv('ab'))) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt WHERE substr(CAST(key AS BLOB), 1, 2) = CAST('ab' AS BLOB)));
SELECT 'prefix-column', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) || '/' || quote(prefix) AS c FROM kv WHERE prefix = 'ab' LIMIT 2)),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) || '/' || quote(prefix) AS c FROM kv WHERE prefix = 'ab' LIMIT 2)) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) || '/' || quote('ab') AS c FROM nt WHERE substr(CAST(key AS BLOB), 1, 2) = CAST('ab' AS BLOB) LIMIT 2));
SELECT 'prefix-desc-limit', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv('a') ORDER BY key DESC LIMIT 3)),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv('a') ORDER BY key DESC LIMIT 3)) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt WHERE substr(CAST(key AS BLOB), 1, 1) = CAST('a' AS BLOB) ORDER BY key DESC LIMIT 3));
SELECT 'prefix-and-range', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv('a') WHERE key > 'ax')),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv('a') WHERE key > 'ax')) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt WHERE substr(CAST(key AS BLOB), 1, 1) = CAST('a' AS BLOB) AND key > 'ax'));
SELECT 'prefix-emoji', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv('🙂'))),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv('🙂'))) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt WHERE substr(CAST(key AS BLOB), 1, 4) = CAST('🙂' AS BLOB)));
SELECT 'prefix-empty', (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM kv(''))),
  (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM kv(''))) IS (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM nt));
SELECT 'prefix-null', (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM kv(NULL))),
  (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM kv(NULL))) IS (SELECT group_concat(c, ' ') FROM (SELECT 0 AS c));
SELECT 'prefix-number', (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv(12))),
  (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM kv(12))) IS (SELECT group_concat(c, ' ') FROM (SELECT quote(key) AS c FROM nt WHERE substr(CAST(key AS BLOB), 1, 2) = CAST('12' AS BLOB)));
SELECT 'two-prefixes', (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM kv('a') WHERE prefix = 'ab')),
  (SELECT group_concat(c, ' ') FROM (SELECT count(*) AS c FROM kv('a') WHERE prefix = 'ab')) IS (SELECT group_concat(c, ' ') FROM (SELECT 0 AS c));
