-- A table without mode= is a reader: it writes nothing, writes to it are refused naming
-- mode=writer, writer options need mode=writer, and a reader on a location without a
-- database (a missing path, a typo, an empty folder) is an error, never an empty table.
.load @EXT@
.nullvalue NULL
CREATE VIRTUAL TABLE w USING slatedb('@TMP@/w118/db', mode=writer);
INSERT INTO w VALUES ('a', '1'), ('b', '2');
CREATE VIRTUAL TABLE r USING slatedb('@TMP@/w118/db');
SELECT 'default mode', mode FROM slatedb_handles WHERE path LIKE '%w118/db' ORDER BY mode;
SELECT 'reader reads', group_concat(key || '=' || value, ' ') FROM r;
INSERT INTO r VALUES ('c', '3');
UPDATE r SET value = 'x';
DELETE FROM r;
SELECT 'unchanged', group_concat(key || '=' || value, ' ') FROM w;
CREATE VIRTUAL TABLE c1 USING slatedb('@TMP@/w118/db', durability=async);
CREATE VIRTUAL TABLE c2 USING slatedb('@TMP@/w118/db', mode=reader, create=never);
-- a reader on a copy of a SlateDB fixture writes nothing there (not even a fence)
.shell mkdir -p @TMP@/w118/fix && cp -r @FIX@/keys-text/db @TMP@/w118/fix/ && cd @TMP@/w118/fix && env -u LD_PRELOAD find db -printf '%p %s %T@\n' | env -u LD_PRELOAD sort > ../fix-before.txt
CREATE VIRTUAL TABLE f USING slatedb('@TMP@/w118/fix/db');
SELECT 'fixture', count(*) FROM f;
INSERT INTO f VALUES ('new', 'row');
.shell cd @TMP@/w118/fix && env -u LD_PRELOAD find db -printf '%p %s %T@\n' | env -u LD_PRELOAD sort > ../fix-after.txt && env -u LD_PRELOAD cmp ../fix-before.txt ../fix-after.txt && echo 'fixture copy untouched'
-- a missing path, a typo in a path, an empty folder: errors, and nothing is created
.shell mkdir @TMP@/w118/empty
CREATE VIRTUAL TABLE m1 USING slatedb('@TMP@/w118/nothere/db');
CREATE VIRTUAL TABLE m2 USING slatedb('@TMP@/w118/bd');
CREATE VIRTUAL TABLE m3 USING slatedb('@TMP@/w118/empty');
CREATE VIRTUAL TABLE m4 USING slatedb('file://@TMP@/w118/d');
.shell ls -A @TMP@/w118/empty; test -e @TMP@/w118/nothere || test -e @TMP@/w118/bd || test -e @TMP@/w118/d || echo 'no folder was created'
SELECT 'tables', count(*) FROM sqlite_schema WHERE name LIKE 'm_';
