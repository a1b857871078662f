-- INSERT's uniqueness check skips its read of the database while the database holds nothing
-- (a bulk load into a new table): a key written by the transaction, by an earlier commit, held
-- only by an L0 SST (the memtable empty after flush-memtable) or deleted is still judged right.
.load @EXT@
.nullvalue NULL
CREATE VIRTUAL TABLE kv USING slatedb('@TMP@/w124/db', mode=writer);
BEGIN;
INSERT INTO kv VALUES ('a', '1');
INSERT INTO kv VALUES ('a', 'dup in the transaction');
INSERT OR IGNORE INTO kv VALUES ('a', 'ignored'), ('b', '2');
COMMIT;
SELECT 'new table', group_concat(key || '=' || value, ',') FROM kv;
INSERT INTO kv VALUES ('b', 'dup in the memtable');
INSERT INTO kv(kv) VALUES ('flush-memtable');
SELECT 'flushed', l0_ssts > 0, memtable_rows FROM slatedb_handles;
INSERT INTO kv VALUES ('a', 'dup in an L0');
INSERT OR IGNORE INTO kv VALUES ('b', 'ignored'), ('c', '3');
UPDATE kv SET key = 'a' WHERE key = 'c';
SELECT 'L0 only', group_concat(key || '=' || value, ',') FROM kv;
DELETE FROM kv;
INSERT INTO kv VALUES ('a', 'again'), ('d', '4');
SELECT 'after delete', group_concat(key || '=' || value, ',') FROM kv;
