-- Two connections of one process (.connection) share the database and its writer lock: the
-- second waits busy_timeout, then SQLITE_BUSY; commits become visible; no self-fencing. Then a
-- writer in another process fences ours: writes fail with SQLITE_READONLY, reads keep working.
.load @EXT@
.nullvalue NULL
CREATE VIRTUAL TABLE kv USING slatedb('@TMP@/w109/db', mode=writer, busy_timeout=200);
INSERT INTO kv VALUES ('a', '1');
.connection 1
.load @EXT@
.nullvalue NULL
CREATE VIRTUAL TABLE kv USING slatedb('@TMP@/w109/db', mode=writer, busy_timeout=100);
SELECT 'second connection, one handle', count(*), refs FROM slatedb_handles;
.connection 0
BEGIN;
INSERT INTO kv VALUES ('b', 'uncommitted');
.connection 1
SELECT 'the other connection reads committed rows', group_concat(key, ',') FROM kv;
INSERT INTO kv VALUES ('c', 'blocked');
BEGIN;
DELETE FROM kv WHERE key = 'a';
INSERT INTO kv(kv) VALUES ('flush');
COMMIT;
.connection 0
INSERT INTO kv VALUES ('b2', 'still ours');
COMMIT;
.connection 1
INSERT INTO kv VALUES ('c', 'after the commit');
SELECT 'the other connection sees the commit', group_concat(key, ',') FROM kv;
.connection 0
SELECT 'no self-fencing', group_concat(key, ','), (SELECT writer_epoch || ' ' || fenced FROM slatedb_handles) FROM kv;
.system sqlite3 -batch -init /dev/null :memory: ".load @EXT@" "CREATE VIRTUAL TABLE kv USING slatedb('@TMP@/w109/db', mode=writer)" "INSERT INTO kv VALUES ('z', 'newer writer')" "SELECT 'newer writer', group_concat(key, ',') FROM kv" > @TMP@/w109.out 2>&1
SELECT CAST(readfile('@TMP@/w109.out') AS TEXT);
INSERT INTO kv(kv) VALUES ('refresh');
INSERT INTO kv VALUES ('after', 'fenced');
BEGIN;
INSERT INTO kv VALUES ('after2', 'fenced');
COMMIT;
.connection 1
DELETE FROM kv;
SELECT 'reads keep working', group_concat(key, ','), (SELECT writer_epoch || ' ' || fenced FROM slatedb_handles) FROM kv;
.connection 0
.system sqlite3 -batch -init /dev/null :memory: ".load @EXT@" "CREATE VIRTUAL TABLE r USING slatedb('@TMP@/w109/db', mode=reader)" "SELECT 'the store', group_concat(key, ',') FROM r" > @TMP@/w109r.out 2>&1
SELECT CAST(readfile('@TMP@/w109r.out') AS TEXT);
