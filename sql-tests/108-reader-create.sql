-- mode=reader on a database a writer table writes (same process and another one), and create=.
.load @EXT@
.nullvalue NULL
CREATE VIRTUAL TABLE kv USING slatedb('@TMP@/w108/db', mode=writer);
INSERT INTO kv VALUES ('a', '1'), ('b', '2');
CREATE VIRTUAL TABLE temp.r USING slatedb('@TMP@/w108/db', mode=reader, poll_interval=50);
SELECT 'reader sees the commits', group_concat(key || '=' || value, ' ') FROM r;
INSERT INTO kv VALUES ('c', '3');
UPDATE kv SET value = 'two' WHERE key = 'b';
.shell sleep 0.3
SELECT 'after poll_interval', group_concat(key || '=' || value, ' ') FROM r;
BEGIN;
INSERT INTO kv VALUES ('d', 'uncommitted');
SELECT 'not the open transaction', group_concat(key, ',') FROM r;
COMMIT;
INSERT INTO r VALUES ('x', 'y');
UPDATE r SET value = 'y';
DELETE FROM r WHERE key = 'a';
INSERT OR IGNORE INTO r VALUES ('x', 'y');
.system sqlite3 -batch -init /dev/null :memory: ".load @EXT@" "CREATE VIRTUAL TABLE r2 USING slatedb('@TMP@/w108/db', mode=reader)" "SELECT 'reader process', group_concat(key, ',') FROM r2" > @TMP@/w108.out 2>&1
SELECT CAST(readfile('@TMP@/w108.out') AS TEXT);
INSERT INTO kv VALUES ('e', 'readers never fence');
SELECT 'writer still', writer_epoch, fenced, (SELECT group_concat(key, ',') FROM kv) FROM slatedb_handles WHERE mode = 'writer';
CREATE VIRTUAL TABLE n1 USING slatedb('@TMP@/w108/missing/db', mode=reader);
CREATE VIRTUAL TABLE n2 USING slatedb('@TMP@/w108/missing/db', mode=writer, create=never);
CREATE VIRTUAL TABLE n3 USING slatedb('@TMP@/notadb', mode=writer, create=never);
CREATE VIRTUAL TABLE n4 USING slatedb('@TMP@/notadb', mode=reader);
.shell test -d @TMP@/w108/missing && echo 'missing directory created' || echo 'no directory was created'
CREATE VIRTUAL TABLE n5 USING slatedb('@TMP@/w108/new/nested/db', mode=writer, create=if_missing);
SELECT 'created', count(*) FROM n5;
CREATE VIRTUAL TABLE n6 USING slatedb('@TMP@/notadb', mode=writer);
SELECT 'an empty directory becomes a database', count(*) FROM n6;
CREATE VIRTUAL TABLE n7 USING slatedb('@TMP@/w108/new/nested/db', mode=writer, create=never);
SELECT 'create=never on an open database', count(*) FROM n7;
