-- The declared schema per key_type/value_type, what sqlite_schema stores,
-- and DROP TABLE (which never deletes data).
.load @EXT@
.nullvalue NULL
CREATE VIRTUAL TABLE kt USING slatedb('@FIX@/keys-text/db', mode=reader);
CREATE VIRTUAL TABLE ki USING slatedb('@FIX@/keys-int64/db', key_type=int64, value_type=blob, mode=reader);
CREATE VIRTUAL TABLE ku USING slatedb('@FIX@/keys-uint64/db', key_type=uint64, mode=reader);
CREATE VIRTUAL TABLE kb USING slatedb('@FIX@/keys-blob/db', key_type=blob, value_type=blob, mode=reader);
SELECT type, name, tbl_name, rootpage, sql FROM sqlite_schema ORDER BY name;
SELECT 'kt', * FROM pragma_table_xinfo('kt');
SELECT 'ki', name, type, pk, "notnull", hidden FROM pragma_table_xinfo('ki') WHERE name IN ('key', 'value');
SELECT 'ku', name, type FROM pragma_table_xinfo('ku') WHERE name IN ('key', 'value');
SELECT 'kb', name, type FROM pragma_table_xinfo('kb') WHERE name IN ('key', 'value');
SELECT 'table_info hides', count(*) FROM pragma_table_info('kt');
SELECT 'select star', * FROM kt WHERE key = 'abc';
DROP TABLE kt;
CREATE VIRTUAL TABLE kt USING slatedb('@FIX@/keys-text/db', mode=reader);
SELECT 'rows after DROP and CREATE', count(*) FROM kt;
CREATE VIRTUAL TABLE temp.tt USING slatedb('@FIX@/keys-text/db', mode=reader);
SELECT 'temp table', count(*) FROM temp.tt;
ALTER TABLE kt RENAME TO kt2;
SELECT 'renamed', count(*) FROM kt2;
UPDATE kt2 SET value = 'x' WHERE key = 'abc';
