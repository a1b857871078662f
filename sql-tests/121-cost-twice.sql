-- slatedb_cost after the extension is loaded twice on a connection: the
-- second load registers nothing, so tables created before it and after it
-- count where slatedb_cost reads. Then a statement boundary that the
-- per-row fast path must still see inside a transaction: a statement that
-- failed is not merged with the next INSERT.
.load @EXT@
.nullvalue NULL
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/cost-twice/db', mode=writer, key_type=text, value_type=text);
INSERT INTO t VALUES ('a', '1');
SELECT 'first load', scope, puts FROM slatedb_cost;
.load @EXT@
INSERT INTO t VALUES ('b', '2');
SELECT 'second load, old table', scope, puts FROM slatedb_cost WHERE scope = 'last statement';
CREATE VIRTUAL TABLE u USING slatedb('@TMP@/cost-twice/db2', mode=writer, key_type=text, value_type=text);
INSERT INTO u VALUES ('c', '3');
SELECT 'second load, new table', scope, puts FROM slatedb_cost WHERE scope = 'last statement';
SELECT 'rows', (SELECT group_concat(key) FROM t), (SELECT group_concat(key) FROM u);
-- Rows flushed to an L0: an INSERT's key check of a key there looks its
-- block up in the cache; a new key is ruled out by the bloom filter.
INSERT INTO t(t) VALUES ('flush-memtable');
SELECT 'flushed', count(*) FROM t;
BEGIN;
SELECT slatedb_cost_reset();
INSERT INTO t VALUES ('d', '4'), ('a', 'duplicate');
INSERT INTO t VALUES ('e', '5');
SELECT 'after a failed statement', scope, cache_hits + cache_misses FROM slatedb_cost;
COMMIT;
SELECT 'commit', scope, puts FROM slatedb_cost WHERE scope = 'last statement';
SELECT 'rows', group_concat(key || '=' || value) FROM t;
