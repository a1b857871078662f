-- mode=reader: every write that reaches a row fails with SQLITE_READONLY (8); one that matches
-- no row succeeds (xBegin admits the 'refresh' command); the data is unchanged.
.load @EXT@
CREATE VIRTUAL TABLE kv USING slatedb('@FIX@/keys-text/db', mode=reader);
INSERT INTO kv VALUES ('new', 'row');
INSERT OR REPLACE INTO kv VALUES ('abc', 'x');
REPLACE INTO kv(key, value) VALUES ('abc', 'x');
UPDATE kv SET value = 'x' WHERE key = 'abc';
UPDATE kv SET key = 'abd' WHERE key = 'abc';
DELETE FROM kv WHERE key = 'abc';
DELETE FROM kv WHERE key = 'no such key';
DELETE FROM kv;
BEGIN;
INSERT INTO kv VALUES ('in', 'txn');
COMMIT;
SELECT 'unchanged', count(*), (SELECT value FROM kv WHERE key = 'abc') FROM kv;
