-- Persistence across sqlite3 processes: write, close, read and write from a second process, reopen.
.open @TMP@/p107.sqlite
.load @EXT@
CREATE VIRTUAL TABLE kv USING slatedb('@TMP@/w107/db', mode=writer, durability=async);
INSERT INTO kv VALUES ('a', 'from process 1');
BEGIN;
INSERT INTO kv VALUES ('b', 'b');
DELETE FROM kv WHERE key = 'a';
INSERT INTO kv VALUES ('a', 'again');
COMMIT;
INSERT INTO kv(key, value, expire_ts) VALUES ('t', 'with expiry', 4102444800000);
SELECT 'process 1', key, value FROM kv;
.open @TMP@/other.sqlite
.system sqlite3 -batch -init /dev/null @TMP@/p107.sqlite ".load @EXT@" "SELECT 'process 2', key, value, expire_ts FROM kv" "INSERT INTO kv VALUES ('c', 'from process 2')" "SELECT 'process 2 epoch', writer_epoch FROM slatedb_handles" > @TMP@/p107.out 2>&1
SELECT CAST(readfile('@TMP@/p107.out') AS TEXT);
.system sqlite3 -batch -init /dev/null :memory: ".load @EXT@" "CREATE VIRTUAL TABLE r USING slatedb('@TMP@/w107/db', mode=reader)" "SELECT 'a reader process', group_concat(key, ',') FROM r" > @TMP@/p107r.out 2>&1
SELECT CAST(readfile('@TMP@/p107r.out') AS TEXT);
.open @TMP@/p107.sqlite
.load @EXT@
SELECT 'process 1 reopened', key, value FROM kv;
SELECT 'epoch', writer_epoch FROM slatedb_handles;
