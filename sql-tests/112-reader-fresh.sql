-- Readers see every commit this process made before a statement started (whatever poll_interval),
-- and a reader table that starts using an open reader handle sees what a fresh reader would.
.load @EXT@
.nullvalue NULL
CREATE VIRTUAL TABLE kv USING slatedb('@TMP@/w111/db', mode=writer);
INSERT INTO kv VALUES ('a', '1');
CREATE VIRTUAL TABLE temp.r USING slatedb('@TMP@/w111/db', mode=reader, poll_interval='1h');
SELECT 'reader', group_concat(key || '=' || value, ' ') FROM r;
INSERT INTO kv VALUES ('b', '2');
UPDATE kv SET value = 'one' WHERE key = 'a';
SELECT 'the next statement sees the commits', group_concat(key || '=' || value, ' ') FROM r;
BEGIN;
INSERT INTO kv VALUES ('c', 'uncommitted');
SELECT 'not the open transaction', group_concat(key, ',') FROM r;
COMMIT;
SELECT 'after COMMIT', group_concat(key, ',') FROM r;
CREATE VIRTUAL TABLE temp.ka USING slatedb('@TMP@/w111/db', mode=writer, durability=async);
INSERT INTO ka VALUES ('d', 'async');
.shell sleep 0.3
SELECT 'an async commit once its WAL SST is written', group_concat(key, ',') FROM r;
.system sqlite3 -batch -init /dev/null :memory: ".load @EXT@" "CREATE VIRTUAL TABLE w USING slatedb('@TMP@/w111/db', mode=writer)" "INSERT INTO w VALUES ('e', 'other process')" > @TMP@/w111.out 2>&1
SELECT CAST(readfile('@TMP@/w111.out') AS TEXT);
SELECT 'another process''s commit waits for poll_interval', group_concat(key, ',') FROM r;
CREATE VIRTUAL TABLE temp.r2 USING slatedb('@TMP@/w111/db', mode=reader, poll_interval='1h');
SELECT 'a reader table created after it sees it', group_concat(key, ',') FROM r2;
SELECT 'and so does the handle it shares', group_concat(key, ',') FROM r;
SELECT 'one reader handle', count(*) FROM slatedb_handles WHERE mode = 'reader';
