-- slatedb_version() and the slatedb_handles table: one shared handle per
-- database and mode in the process, reference-counted by tables.
.load @EXT@
SELECT 'version', slatedb_version() GLOB 'sqlite-slatedb * (SlateDB 0.12.1 format)';
SELECT 'handles columns', group_concat(name, ' ') FROM pragma_table_info('slatedb_handles');
SELECT 'no handles yet', count(*) FROM slatedb_handles;
CREATE VIRTUAL TABLE a USING slatedb('@FIX@/keys-text/db', mode=reader);
CREATE VIRTUAL TABLE b USING slatedb('file://@FIX@/keys-text/db', mode=reader);
CREATE VIRTUAL TABLE temp.c USING slatedb('rel/keys-text/db', mode=reader);
CREATE VIRTUAL TABLE d USING slatedb('@FIX@/keys-int64/db', key_type=int64, merge_operator=concat, mode=reader);
SELECT 'after scans', (SELECT count(*) FROM a), (SELECT count(*) FROM d);
SELECT 'handle', path, mode, merge_operator, refs, gets > 0, manifest_id > 0, last_seq > 0
  FROM slatedb_handles ORDER BY path;
DROP TABLE a;
DROP TABLE b;
SELECT 'after DROP', path, refs FROM slatedb_handles ORDER BY path;
DROP TABLE c;
DROP TABLE d;
SELECT 'all dropped', count(*) FROM slatedb_handles;
SELECT * FROM slatedb_handles('x');
