-- slatedb_cost: what the last statement that used a slatedb table and the
-- connection cost; slatedb_cost_reset(). Exact counts where the engine's
-- work is fixed (a WAL PUT per commit), comparisons where it depends on the
-- read path's windows.
.load @EXT@
.nullvalue NULL
CREATE VIRTUAL TABLE sr USING slatedb('@FIX@/sorted-runs/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
CREATE TEMP TABLE c(what TEXT, requests, gets, puts, lists, deletes, heads, bytes_in, bytes_out,
  retries, disk_cache_hits, disk_cache_misses, disk_cache_bytes, cache_hits, cache_misses);
-- Opening the table (at its first statement) lists and reads the manifest.
SELECT 'columns', group_concat(name, ',') FROM pragma_table_info('slatedb_cost');
SELECT slatedb_cost_reset();
SELECT 'after reset', * FROM slatedb_cost;
-- A point read, then a full scan, then the same scan again (from the cache).
SELECT 'open', count(*) FROM sr WHERE key = x'00';
SELECT slatedb_cost_reset();
SELECT 'point', hex(value) FROM sr WHERE key = x'6b3030303030303730';
INSERT INTO c SELECT 'point', requests, gets, puts, lists, deletes, heads, bytes_in, bytes_out,
  retries, disk_cache_hits, disk_cache_misses, disk_cache_bytes, cache_hits, cache_misses
  FROM slatedb_cost WHERE scope = 'last statement';
SELECT 'scan', count(*) FROM sr;
INSERT INTO c SELECT 'scan', requests, gets, puts, lists, deletes, heads, bytes_in, bytes_out,
  retries, disk_cache_hits, disk_cache_misses, disk_cache_bytes, cache_hits, cache_misses
  FROM slatedb_cost WHERE scope = 'last statement';
-- Reading slatedb_cost again, or a statement without slatedb tables, leaves
-- the last statement as it was.
SELECT 'not a statement', 1 + 1;
SELECT 'same again', (SELECT gets FROM slatedb_cost WHERE scope = 'last statement') = (SELECT gets FROM c WHERE what = 'scan');
SELECT 'rescan', count(*) FROM sr;
INSERT INTO c SELECT 'rescan', requests, gets, puts, lists, deletes, heads, bytes_in, bytes_out,
  retries, disk_cache_hits, disk_cache_misses, disk_cache_bytes, cache_hits, cache_misses
  FROM slatedb_cost WHERE scope = 'last statement';
INSERT INTO c SELECT 'connection', requests, gets, puts, lists, deletes, heads, bytes_in, bytes_out,
  retries, disk_cache_hits, disk_cache_misses, disk_cache_bytes, cache_hits, cache_misses
  FROM slatedb_cost WHERE scope = 'connection';
-- Reads only GET; the scan reads more than the point; the rescan GETs nothing
-- and finds every block in the cache.
SELECT what, requests = gets, gets > 0, bytes_in > 0, puts + lists + deletes + heads, cache_hits > 0, cache_misses > 0 FROM c;
SELECT 'scan > point', s.gets > p.gets, s.bytes_in > p.bytes_in, s.cache_misses > p.cache_misses
  FROM c s, c p WHERE s.what = 'scan' AND p.what = 'point';
SELECT 'connection = sum', n.gets = (SELECT sum(gets) FROM c WHERE what <> 'connection'),
  n.bytes_in = (SELECT sum(bytes_in) FROM c WHERE what <> 'connection'),
  n.cache_hits = (SELECT sum(cache_hits) FROM c WHERE what <> 'connection')
  FROM c n WHERE what = 'connection';
-- Writes: a durable commit's WAL PUT is the statement's (autocommit) or the
-- COMMIT's.
CREATE VIRTUAL TABLE kv USING slatedb('@TMP@/w115/db', mode=writer, key_type=int64, value_type=text);
INSERT INTO kv VALUES (1, 'a'), (2, 'b');
SELECT 'insert', requests, puts, bytes_out > 0 FROM slatedb_cost WHERE scope = 'last statement';
SELECT 'connection >= insert', (SELECT puts FROM slatedb_cost WHERE scope = 'connection') > 1;
BEGIN;
INSERT INTO kv VALUES (3, 'c');
SELECT 'in transaction', requests, puts FROM slatedb_cost WHERE scope = 'last statement';
INSERT INTO kv VALUES (4, 'd');
COMMIT;
SELECT 'commit', requests, puts, bytes_out > 0 FROM slatedb_cost WHERE scope = 'last statement';
-- An UPDATE reads through a cursor, then commits: one statement.
UPDATE kv SET value = 'x' WHERE key = 1;
SELECT 'update', requests, puts FROM slatedb_cost WHERE scope = 'last statement';
BEGIN;
UPDATE kv SET value = 'y' WHERE key = 2;
SELECT 'update in transaction', requests FROM slatedb_cost WHERE scope = 'last statement';
DELETE FROM kv WHERE key = 2;
COMMIT;
SELECT 'commit', requests, puts FROM slatedb_cost WHERE scope = 'last statement';
-- Statements without cursors in a transaction: each INSERT checks that its
-- key is new (an L0 lookup) and counts only its own check.
INSERT INTO kv VALUES (100, 'h'), (200, 'i');
INSERT INTO kv(kv) VALUES ('flush-memtable');
BEGIN;
INSERT INTO kv VALUES (110, 'j');
CREATE TEMP TABLE t1 AS SELECT cache_hits + cache_misses AS n FROM slatedb_cost WHERE scope = 'last statement';
INSERT INTO kv VALUES (120, 'k');
INSERT INTO kv VALUES (130, 'l');
SELECT 'third insert alone', (SELECT n FROM t1) > 0,
  (SELECT cache_hits + cache_misses FROM slatedb_cost WHERE scope = 'last statement') = (SELECT n FROM t1);
COMMIT;
SELECT 'read own rows', count(*) FROM kv;
SELECT 'read, its L0 block cached', requests, cache_hits + cache_misses FROM slatedb_cost WHERE scope = 'last statement';
-- The disk cache: parts fetched, then (a new handle, an empty block cache)
-- parts read from disk instead of GETs.
CREATE VIRTUAL TABLE d USING slatedb('@FIX@/keys-text/db', mode=reader, disk_cache='@TMP@/dc115');
SELECT 'disk: cold', count(*) FROM d;
SELECT 'disk: cold', gets > 0, disk_cache_misses > 0 FROM slatedb_cost WHERE scope = 'last statement';
DROP TABLE d;
CREATE VIRTUAL TABLE d USING slatedb('@FIX@/keys-text/db', mode=reader, disk_cache='@TMP@/dc115');
SELECT 'disk: warm', count(*) FROM d;
SELECT 'disk: warm', gets, disk_cache_misses, disk_cache_hits > 0, disk_cache_bytes > 0 FROM slatedb_cost WHERE scope = 'last statement';
SELECT slatedb_cost_reset();
SELECT 'reset', scope, requests, bytes_in, bytes_out, cache_hits, cache_misses FROM slatedb_cost;
-- Not in a view or trigger stored in the database, and read-only.
CREATE VIEW v AS SELECT * FROM slatedb_cost;
SELECT * FROM v;
DELETE FROM slatedb_cost;
SELECT slatedb_cost_reset(1);
