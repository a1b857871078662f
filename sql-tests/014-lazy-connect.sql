-- xConnect does no I/O: a database file that declares the table opens (and
-- .schema, DROP TABLE work) while the SlateDB database is missing; only
-- reading it fails, with a clear message. xCreate fails fast instead.
.open @TMP@/lazy.sqlite
.load @EXT@
CREATE VIRTUAL TABLE kv USING slatedb('@TMP@/copy/db', mode=reader);
SELECT 'before', count(*) FROM kv;
.open @TMP@/other.sqlite
.shell mv @TMP@/copy/db @TMP@/copy/moved
.open @TMP@/lazy.sqlite
.load @EXT@
.schema kv
SELECT 'after move', count(*) FROM kv;
.shell mv @TMP@/copy/moved @TMP@/copy/db
SELECT 'moved back', count(*) FROM kv;
DROP TABLE kv;
SELECT 'tables left', count(*) FROM sqlite_schema;
CREATE VIRTUAL TABLE kv2 USING slatedb('@TMP@/copy/nothere', mode=reader);
SELECT 'tables left', count(*) FROM sqlite_schema;
CREATE VIRTUAL TABLE kv3 USING slatedb('@TMP@/copy/db', mode=reader);
.open @TMP@/lazy.sqlite
SELECT 'without the extension', name FROM sqlite_schema;
SELECT count(*) FROM kv3;
