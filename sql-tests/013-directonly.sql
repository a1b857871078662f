-- DIRECTONLY: a view or trigger stored in the database file cannot use the
-- table (it does I/O with ambient credentials); TEMP views can.
.load @EXT@
CREATE VIRTUAL TABLE kv USING slatedb('@FIX@/keys-text/db', mode=reader);
CREATE VIEW v AS SELECT key, value FROM kv WHERE key = 'abc';
SELECT 'main view', * FROM v;
CREATE TEMP VIEW tv AS SELECT key, value FROM kv WHERE key = 'abc';
SELECT 'temp view', * FROM tv;
CREATE TABLE log(k);
CREATE TRIGGER trg AFTER INSERT ON log BEGIN SELECT count(*) FROM kv; END;
INSERT INTO log VALUES (1);
SELECT 'slatedb_handles in a view';
CREATE VIEW h AS SELECT count(*) FROM slatedb_handles;
SELECT * FROM h;
SELECT 'slatedb_read in a view';
CREATE VIEW r AS SELECT count(*) FROM slatedb_read('@FIX@/keys-text/db');
SELECT * FROM r;
CREATE TEMP VIEW tr AS SELECT count(*) FROM slatedb_read('@FIX@/keys-text/db');
SELECT 'slatedb_read in a temp view', * FROM tr;
