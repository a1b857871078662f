-- slatedb_read(url [, options]): ad-hoc reads without CREATE VIRTUAL TABLE,
-- of databases written by SlateDB 0.12.1 (the fixtures); pushdown, options,
-- errors, a join, shared handles, and that it never writes or fences.
.load @EXT@
-- the rows SlateDB lists, with text keys by default
.read @TMP@/ref/keys-text.sql
SELECT 'keys-text', (SELECT count(*) FROM ref_keys_text),
  (SELECT count(*) FROM slatedb_read('@FIX@/keys-text/db')),
  (SELECT count(*) FROM slatedb_read('@FIX@/keys-text/db') r JOIN ref_keys_text f
     ON f.k = CAST(r.key AS BLOB) AND f.v = CAST(r.value AS BLOB));
.read @TMP@/ref/keys-blob.sql
SELECT 'keys-blob', (SELECT count(*) FROM ref_keys_blob),
  (SELECT count(*) FROM slatedb_read('@FIX@/keys-blob/db', 'key_type=blob, value_type=blob') r
     JOIN ref_keys_blob f ON f.k = r.key AND f.v = r.value);
SELECT 'int64', typeof(key), key FROM slatedb_read('@FIX@/keys-int64/db', 'key_type=int64, value_type=blob')
 WHERE key BETWEEN -9223372036854775807 AND -9205789876788917917 ORDER BY key DESC;
-- the hidden columns hold what SlateDB wrote
.read @TMP@/meta/ttl.sql
SELECT 'ttl', (SELECT count(*) FROM meta_ttl),
  (SELECT count(*) FROM slatedb_read('@FIX@/ttl/db', 'key_type=blob, value_type=blob, merge_operator=concat') h
     JOIN meta_ttl m ON h.key = m.k AND h.value = m.v AND h.seq IS m.seq
      AND h.create_ts IS m.create_ts AND h.expire_ts IS m.expire_ts);
SELECT 'arguments as columns', url, options, extra_arg FROM slatedb_read('@FIX@/keys-text/db', 'value_type=blob') LIMIT 1;
SELECT 'select star', * FROM slatedb_read('@FIX@/keys-text/db') WHERE key = 'abc';
-- pushdown, as for a table
EXPLAIN QUERY PLAN SELECT * FROM slatedb_read('@FIX@/keys-text/db') WHERE key = 'abc';
EXPLAIN QUERY PLAN SELECT * FROM slatedb_read('@FIX@/keys-text/db', 'cache_size=1MiB') WHERE key >= 'a' AND key < 'b' ORDER BY key DESC LIMIT 3;
EXPLAIN QUERY PLAN SELECT * FROM slatedb_read('@FIX@/keys-text/db') WHERE key IN ('abc', 'zz');
EXPLAIN QUERY PLAN SELECT * FROM slatedb_read('@FIX@/keys-text/db') WHERE key GLOB 'ab*';
SELECT 'range desc limit', group_concat(key, ','), count(*) FROM
  (SELECT key FROM slatedb_read('@FIX@/keys-text/db') WHERE key >= 'a' AND key < 'b' ORDER BY key DESC LIMIT 3);
SELECT 'glob', count(*) FROM slatedb_read('@FIX@/keys-text/db') WHERE key GLOB 'ab*';
SELECT 'glob ref', count(*) FROM ref_keys_text WHERE k >= CAST('ab' AS BLOB) AND k < CAST('ac' AS BLOB);
SELECT 'in', group_concat(key, ',') FROM slatedb_read('@FIX@/keys-text/db') WHERE key IN ('abc', 'zz', 'nope');
-- a parameter as the URL
.parameter set $db '@FIX@/keys-text/db'
SELECT 'parameter', count(*) FROM slatedb_read($db);
-- a join probes by key
CREATE TABLE wanted(k TEXT);
INSERT INTO wanted VALUES ('abc'), ('nope'), ('zz');
EXPLAIN QUERY PLAN SELECT w.k, r.value FROM wanted w JOIN slatedb_read('@FIX@/keys-text/db') r ON r.key = w.k;
SELECT 'join', w.k, length(r.value) FROM wanted w JOIN slatedb_read('@FIX@/keys-text/db') r ON r.key = w.k ORDER BY w.k;
-- the URL from a table to the left
CREATE TABLE dbs(path TEXT, opts TEXT);
INSERT INTO dbs VALUES ('@FIX@/keys-text/db', ''), ('@FIX@/keys-blob/db', 'key_type=blob');
SELECT 'per row', d.opts, count(*) FROM dbs d, slatedb_read(d.path, d.opts) r GROUP BY d.path ORDER BY d.path;
-- errors
.shell mkdir -p @TMP@/empty120
SELECT * FROM slatedb_read;
SELECT * FROM slatedb_read();
SELECT * FROM slatedb_read(1);
SELECT * FROM slatedb_read(NULL);
SELECT * FROM slatedb_read('@FIX@/keys-text/db', 7);
SELECT * FROM slatedb_read('@FIX@/keys-text/db', '', 'x');
SELECT * FROM slatedb_read('@FIX@/keys-text/db', 'mode=writer');
SELECT * FROM slatedb_read('@FIX@/keys-text/db', 'key_type=float');
SELECT * FROM slatedb_read('@FIX@/keys-text/db', 'nosuch=1');
SELECT * FROM slatedb_read('@FIX@/keys-text/db', 'compactor=false');
SELECT * FROM slatedb_read('@FIX@/keys-text/db', 'key_type=blob, key_type=text');
SELECT * FROM slatedb_read('@FIX@/keys-text/db', 'aws_secret_access_key=x');
SELECT * FROM slatedb_read('@TMP@/empty120');
SELECT * FROM slatedb_read('@TMP@/does/not/exist');
SELECT * FROM slatedb_read('ftp://x/y');
SELECT 'mode=reader and a quoted value', count(*) FROM slatedb_read('@FIX@/keys-text/db', ' mode = reader , cache_size = ''2MiB'' ');
SELECT 'a comma in a quoted value', count(*) FROM slatedb_read('@FIX@/keys-text/db', 'disk_cache="@TMP@/dc,120"');
.shell test -d "@TMP@/dc,120" && echo "disk cache folder with a comma in its name"
-- shared handles: successive statements reuse the connection's kept handle
-- (one row, one reference), and so does a reader table on the same database
SELECT 'uint64', count(*) FROM slatedb_read('@FIX@/keys-uint64/db', 'key_type=uint64');
SELECT 'uint64', key FROM slatedb_read('@FIX@/keys-uint64/db', 'key_type=uint64') ORDER BY key LIMIT 1;
SELECT 'uint64', count(*) FROM slatedb_read('@FIX@/keys-uint64/db', 'key_type=uint64') WHERE key > 1000;
SELECT 'handles', path, mode, refs, manifest_id > 0 FROM slatedb_handles WHERE path LIKE '%keys-uint64%';
CREATE VIRTUAL TABLE ku USING slatedb('@FIX@/keys-uint64/db', key_type=uint64, mode=reader);
SELECT 'uint64 table', count(*) FROM ku;
SELECT 'handles', path, mode, refs FROM slatedb_handles WHERE path LIKE '%keys-uint64%';
SELECT 'kept at most 4', count(*) <= 5 FROM slatedb_handles;
-- the same database with other settings: the idle kept handle gives way
SELECT 'merges', count(*) FROM slatedb_read('@FIX@/merges/db');
SELECT 'merges with concat', count(*) FROM slatedb_read('@FIX@/merges/db', 'merge_operator=concat');
-- nothing is written: the directory is byte-identical after reads
.shell cd @TMP@/copy/db && find . -type f | sort | xargs sha256sum > @TMP@/r120.before
SELECT 'copy', count(*) FROM slatedb_read('@TMP@/copy/db');
SELECT 'copy point', count(*) FROM slatedb_read('@TMP@/copy/db', 'key_type=blob') WHERE key = CAST('abc' AS BLOB);
.shell cd @TMP@/copy/db && find . -type f | sort | xargs sha256sum > @TMP@/r120.after
.shell cmp -s @TMP@/r120.before @TMP@/r120.after && echo "copy unchanged" || echo "copy CHANGED"
-- never fences a writer: a writer table keeps writing, and each statement
-- of slatedb_read sees the latest commit
CREATE VIRTUAL TABLE w USING slatedb('@TMP@/w120/db', mode=writer);
INSERT INTO w VALUES ('a', '1');
SELECT 'reads the writer', group_concat(key || '=' || value, ',') FROM slatedb_read('@TMP@/w120/db');
INSERT INTO w VALUES ('b', '2');
SELECT 'sees the next commit', group_concat(key || '=' || value, ',') FROM slatedb_read('@TMP@/w120/db');
INSERT INTO w VALUES ('c', '3');
SELECT 'writer', group_concat(key, ','), (SELECT fenced FROM slatedb_handles WHERE mode = 'writer') FROM w;
-- key has no declared type: SQLite compares as stored (numbers < text < blob)
SELECT 'text keys > 5', count(*) FROM slatedb_read('@FIX@/keys-text/db') WHERE key > 5;
SELECT 'text keys = 5', count(*) FROM slatedb_read('@FIX@/keys-text/db') WHERE key = 5;
SELECT 'text keys < x''00''', count(*) FROM slatedb_read('@FIX@/keys-text/db') WHERE key < x'00';
SELECT 'int64 keys < ''5''', count(*) FROM slatedb_read('@FIX@/keys-int64/db', 'key_type=int64') WHERE key < '5';
SELECT 'int64 keys = 5.0', count(*) FROM slatedb_read('@FIX@/keys-int64/db', 'key_type=int64') WHERE key = (SELECT min(key) FROM slatedb_read('@FIX@/keys-int64/db', 'key_type=int64')) + 0.0;
-- OR: each branch is planned without the arguments; the plan keeps them
SELECT 'or', group_concat(key, ',') FROM slatedb_read('@FIX@/keys-text/db') WHERE key = 'abc' OR key = 'zz' OR key GLOB 'ab*';
-- closing the connection closes its kept handles; a connection keeps at most 4
.open :memory:
.load @EXT@
SELECT 'after the connection closed', count(*) FROM slatedb_handles;
SELECT 'db 1', count(*) FROM slatedb_read('@FIX@/keys-text/db');
SELECT 'db 2', count(*) FROM slatedb_read('@FIX@/keys-blob/db', 'key_type=blob');
SELECT 'db 3', count(*) FROM slatedb_read('@FIX@/keys-int64/db', 'key_type=int64');
SELECT 'db 4', count(*) FROM slatedb_read('@FIX@/keys-uint64/db', 'key_type=uint64');
SELECT 'db 5', count(*) FROM slatedb_read('@FIX@/codec-lz4/db', 'key_type=blob, merge_operator=concat');
SELECT 'db 6', count(*) FROM slatedb_read('@FIX@/codec-zstd/db', 'key_type=blob, merge_operator=concat');
SELECT 'kept', count(*), sum(refs) FROM slatedb_handles;
SELECT 'the least recently used went first', path FROM slatedb_handles ORDER BY path;
SELECT 'a self-join of 6 databases at once', count(*) FROM
  (SELECT 1 FROM slatedb_read('@FIX@/keys-text/db') LIMIT 1), (SELECT 1 FROM slatedb_read('@FIX@/keys-blob/db', 'key_type=blob') LIMIT 1),
  (SELECT 1 FROM slatedb_read('@FIX@/keys-int64/db', 'key_type=int64') LIMIT 1), (SELECT 1 FROM slatedb_read('@FIX@/keys-uint64/db', 'key_type=uint64') LIMIT 1),
  (SELECT 1 FROM slatedb_read('@FIX@/codec-lz4/db', 'key_type=blob, merge_operator=concat') LIMIT 1), (SELECT 1 FROM slatedb_read('@FIX@/codec-zstd/db', 'key_type=blob, merge_operator=concat') LIMIT 1);
SELECT 'kept after it', count(*) FROM slatedb_handles;
-- slatedb_cost counts slatedb_read's work as a table's: opening and scanning
-- a database not read before in this process, then the kept handle's rescan
-- from the block cache
SELECT slatedb_cost_reset();
SELECT 'cost: open and scan', count(*) FROM slatedb_read('@FIX@/sorted-runs/db', 'key_type=blob, value_type=blob, merge_operator=concat');
SELECT 'cost: counted', gets > 0, lists > 0, bytes_in > 0, requests = gets + lists + heads, cache_misses > 0 FROM slatedb_cost WHERE scope = 'last statement';
SELECT 'cost: rescan', count(*) FROM slatedb_read('@FIX@/sorted-runs/db', 'key_type=blob, value_type=blob, merge_operator=concat');
SELECT 'cost: rescan from the cache', requests, cache_hits > 0 FROM slatedb_cost WHERE scope = 'last statement';
SELECT 'cost: connection', gets > 0, cache_hits > 0 FROM slatedb_cost WHERE scope = 'connection';
-- LIKE: planned before the key type is known; text and blob keys scan the
-- pattern's prefix range (SQLite re-checks the LIKE), integer keys get no
-- range: their LIKE reads the decimal text. Each count equals its unpushed
-- form (SQLite's own like() on blobs depends on its build)
EXPLAIN QUERY PLAN SELECT * FROM slatedb_read('@FIX@/keys-text/db') WHERE key LIKE 'AB%';
SELECT 'like text', (SELECT count(*) FROM slatedb_read('@FIX@/keys-text/db') WHERE key LIKE 'AB%'), (SELECT count(*) FROM slatedb_read('@FIX@/keys-text/db') WHERE key || '' LIKE 'AB%');
SELECT 'like blob', (SELECT count(*) FROM slatedb_read('@FIX@/keys-blob/db', 'key_type=blob') WHERE key LIKE 'a%'), (SELECT count(*) FROM slatedb_read('@FIX@/keys-blob/db', 'key_type=blob') WHERE like('a%', key));
SELECT 'like int64', (SELECT count(*) FROM slatedb_read('@FIX@/keys-int64/db', 'key_type=int64') WHERE key LIKE '1%'), (SELECT count(*) FROM slatedb_read('@FIX@/keys-int64/db', 'key_type=int64') WHERE key + 0 LIKE '1%');
SELECT 'like uint64', (SELECT count(*) FROM slatedb_read('@FIX@/keys-uint64/db', 'key_type=uint64') WHERE key LIKE '1%'), (SELECT count(*) FROM slatedb_read('@FIX@/keys-uint64/db', 'key_type=uint64') WHERE key + 0 LIKE '1%');
SELECT 'like a parameter', count(*) FROM slatedb_read('@FIX@/keys-int64/db', 'key_type=int64') WHERE key LIKE (SELECT '-%');
-- Estimates: planned before its source is open, slatedb_read assumes a
-- million rows and probes its key from a native table; once a kept source
-- matches the constant arguments, the engine's estimate (1964 rows) makes
-- scanning it and searching the native table cheaper
CREATE TABLE big(id INTEGER PRIMARY KEY, name TEXT);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 5000)
  INSERT INTO big SELECT i * 3, 'n' || i FROM s;
ANALYZE big;
EXPLAIN QUERY PLAN SELECT count(*) FROM slatedb_read('@FIX@/keys-int64/db', 'key_type=int64, value_type=blob') r JOIN big ON big.id = r.key;
SELECT 'join, not open yet', count(*) FROM slatedb_read('@FIX@/keys-int64/db', 'key_type=int64, value_type=blob') r JOIN big ON big.id = r.key;
EXPLAIN QUERY PLAN SELECT count(*) FROM slatedb_read('@FIX@/keys-int64/db', 'key_type=int64, value_type=blob') r JOIN big ON big.id = r.key;
SELECT 'join, kept', count(*) FROM slatedb_read('@FIX@/keys-int64/db', 'key_type=int64, value_type=blob') r JOIN big ON big.id = r.key;
-- did you mean: the options string gets the table's suggestions
SELECT * FROM slatedb_read('@FIX@/keys-text/db', 'cache_sise=1MiB');
SELECT * FROM slatedb_read('@FIX@/keys-text/db', 'key_type=txet');
SELECT * FROM slatedb_read('@FIX@/keys-text/db', 'mode=raeder');
SELECT * FROM slatedb_read('@FIX@/keys-text/db', 'value_type=text, keytype=blob');
-- a join whose URL changes from row to row, over more databases than the 4 kept handles: the
-- cursor's iterator must not outlive the handle it reads (it is dropped when the URL changes)
CREATE VIRTUAL TABLE temp.sw1 USING slatedb('@TMP@/sw120/d1', mode=writer);
CREATE VIRTUAL TABLE temp.sw2 USING slatedb('@TMP@/sw120/d2', mode=writer);
CREATE VIRTUAL TABLE temp.sw3 USING slatedb('@TMP@/sw120/d3', mode=writer);
CREATE VIRTUAL TABLE temp.sw4 USING slatedb('@TMP@/sw120/d4', mode=writer);
CREATE VIRTUAL TABLE temp.sw5 USING slatedb('@TMP@/sw120/d5', mode=writer);
CREATE VIRTUAL TABLE temp.sw6 USING slatedb('@TMP@/sw120/d6', mode=writer);
INSERT INTO sw1 SELECT printf('k%03d', value), 'd1-' || value FROM generate_series(1, 300);
INSERT INTO sw2 SELECT printf('k%03d', value), 'd2-' || value FROM generate_series(1, 300);
INSERT INTO sw3 SELECT printf('k%03d', value), 'd3-' || value FROM generate_series(1, 300);
INSERT INTO sw4 SELECT printf('k%03d', value), 'd4-' || value FROM generate_series(1, 300);
INSERT INTO sw5 SELECT printf('k%03d', value), 'd5-' || value FROM generate_series(1, 300);
INSERT INTO sw6 SELECT printf('k%03d', value), 'd6-' || value FROM generate_series(1, 300);
DROP TABLE sw1; DROP TABLE sw2; DROP TABLE sw3; DROP TABLE sw4; DROP TABLE sw5; DROP TABLE sw6;
CREATE TEMP TABLE sw(url, k);
INSERT INTO sw SELECT '@TMP@/sw120/d' || (1 + value % 6), printf('k%03d', 1 + (value * 7) % 300)
  FROM generate_series(1, 600);
SELECT 'url per row', count(*), sum(r.value = 'd' || substr(sw.url, -1) || '-' || CAST(substr(sw.k, 2) AS INT))
  FROM sw JOIN slatedb_read(sw.url) r ON r.key = sw.k;
-- the primary key is (key, url, options): rows of several databases in one statement are told
-- apart as in a native table holding the same rows (an OR's branches are merged on the primary
-- key; DISTINCT key is not redundant)
CREATE VIRTUAL TABLE temp.sw1 USING slatedb('@TMP@/sw120/d1', mode=writer);
INSERT INTO sw1 VALUES ('a', 'd1-a');
DROP TABLE sw1;
CREATE TEMP TABLE nat(key, value, url, options, PRIMARY KEY (key, url, options));
INSERT INTO nat SELECT key, value, url, options FROM slatedb_read WHERE url IN ('@TMP@/sw120/d1', '@TMP@/sw120/d3');
INSERT INTO nat SELECT key, value, url, options FROM slatedb_read('@TMP@/sw120/d1', 'value_type=blob');
SELECT 'native rows', count(*), count(DISTINCT url), count(DISTINCT options) FROM nat;
SELECT 'or', (SELECT group_concat(url || ':' || value, ',') FROM (SELECT url, value FROM slatedb_read
    WHERE (url = '@TMP@/sw120/d1' AND key = 'a') OR (url = '@TMP@/sw120/d3' AND key >= 'k299') ORDER BY 1, 2)),
  (SELECT group_concat(url || ':' || value, ',') FROM (SELECT url, value FROM nat
    WHERE options = '' AND ((url = '@TMP@/sw120/d1' AND key = 'a') OR (url = '@TMP@/sw120/d3' AND key >= 'k299')) ORDER BY 1, 2));
SELECT 'or, same key', (SELECT count(*) FROM slatedb_read WHERE (url = '@TMP@/sw120/d1' AND key = 'k001') OR (url = '@TMP@/sw120/d3' AND key = 'k001')),
  (SELECT count(*) FROM nat WHERE options = '' AND ((url = '@TMP@/sw120/d1' AND key = 'k001') OR (url = '@TMP@/sw120/d3' AND key = 'k001')));
SELECT 'distinct in', (SELECT count(*) FROM (SELECT DISTINCT key FROM slatedb_read WHERE url IN ('@TMP@/sw120/d1', '@TMP@/sw120/d3'))),
  (SELECT count(*) FROM (SELECT DISTINCT key FROM nat WHERE options = '' AND url IN ('@TMP@/sw120/d1', '@TMP@/sw120/d3')));
SELECT 'distinct or', (SELECT count(*) FROM (SELECT DISTINCT key FROM slatedb_read WHERE url = '@TMP@/sw120/d1' OR url = '@TMP@/sw120/d3')),
  (SELECT count(*) FROM (SELECT DISTINCT key FROM nat WHERE options = '' AND (url = '@TMP@/sw120/d1' OR url = '@TMP@/sw120/d3')));
SELECT 'count distinct', (SELECT count(DISTINCT key) FROM slatedb_read WHERE url IN ('@TMP@/sw120/d1', '@TMP@/sw120/d3')),
  (SELECT count(DISTINCT key) FROM nat WHERE options = '' AND url IN ('@TMP@/sw120/d1', '@TMP@/sw120/d3'));
SELECT 'distinct options in', (SELECT count(*) FROM (SELECT DISTINCT key FROM slatedb_read('@TMP@/sw120/d1') WHERE options IN ('', 'value_type=blob'))),
  (SELECT count(*) FROM (SELECT DISTINCT key FROM nat WHERE url = '@TMP@/sw120/d1' AND options IN ('', 'value_type=blob')));
-- options = NULL holds for no row (as in any table; so does slatedb_read(url, NULL)); no options
-- read as ''; url = NULL is the missing-URL error
SELECT 'options = NULL', count(*) FROM slatedb_read('@TMP@/sw120/d1') WHERE options = NULL;
SELECT 'options NULL', count(*) FROM slatedb_read('@TMP@/sw120/d1', NULL);
SELECT 'options IS NULL', count(*) FROM slatedb_read('@TMP@/sw120/d1') WHERE options IS NULL;
SELECT 'no options', quote(options), count(*) FROM slatedb_read('@TMP@/sw120/d1');
SELECT 'url = NULL', count(*) FROM slatedb_read WHERE url = NULL;
-- the kept handles stay at most 4 while a join reads one database per row (plus the one a
-- correlated subquery sees in use)
CREATE TEMP TABLE six(u);
INSERT INTO six SELECT '@TMP@/sw120/d' || value FROM generate_series(1, 6);
SELECT 'handles during a join', max(n), count(*) FROM (SELECT (SELECT count(*) FROM slatedb_handles h
    WHERE h.path <> r.value || random()) AS n FROM six, slatedb_read(six.u) r WHERE r.key = 'k001');
-- a malformed options string never repeats a piece that holds a credential-looking name=
SELECT * FROM slatedb_read('@TMP@/sw120/d1', 'key_type=text aws_secret_access_key=SECRETA');
SELECT * FROM slatedb_read('@TMP@/sw120/d1', '"aws_secret_access_key=SECRETB');
SELECT * FROM slatedb_read('@TMP@/sw120/d1', 'key_type="text session_token=SECRETC"');
CREATE VIRTUAL TABLE temp.sec USING slatedb('@TMP@/sw120/d1', key_type="text aws_secret_access_key=SECRETD");
