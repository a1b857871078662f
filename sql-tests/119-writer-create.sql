-- A writer creates a database only where nothing else is: a folder that holds other objects
-- and no SlateDB database is refused (SQLITE_CANTOPEN, naming the folder and its first other
-- object) and left exactly as it was; a missing or empty folder, or one that holds only
-- SlateDB's folders (a first create that stopped half-way), becomes a database.
.load @EXT@
.nullvalue NULL
.shell mkdir -p @TMP@/w116/photos/2024 && printf 'jpeg' > @TMP@/w116/photos/IMG_0001.jpg && printf 'x' > @TMP@/w116/photos/2024/a.txt && printf 'k' > @TMP@/w116/photos/.keep
.shell cd @TMP@/w116 && find photos -printf '%p %y %s %T@\n' | sort > before.txt && echo listed before
CREATE VIRTUAL TABLE p1 USING slatedb('@TMP@/w116/photos', mode=writer);
CREATE VIRTUAL TABLE p2 USING slatedb('file://@TMP@/w116/photos', mode=writer, key_type=blob);
.shell cd @TMP@/w116 && find photos -printf '%p %y %s %T@\n' | sort > after.txt && cmp before.txt after.txt && echo 'photos untouched'
-- a folder with one of SlateDB's folder names as a plain file, or a folder of another name
.shell mkdir -p @TMP@/w116/f1 @TMP@/w116/f2/walx && printf 'x' > @TMP@/w116/f1/manifest
CREATE VIRTUAL TABLE p3 USING slatedb('@TMP@/w116/f1', mode=writer);
CREATE VIRTUAL TABLE p4 USING slatedb('@TMP@/w116/f2', mode=writer);
-- the parent of a database (a path one level too short) is no place for another
CREATE VIRTUAL TABLE d1 USING slatedb('@TMP@/w116/p/db', mode=writer);
INSERT INTO d1 VALUES ('a', '1');
CREATE VIRTUAL TABLE d2 USING slatedb('@TMP@/w116/p', mode=writer);
.shell ls -A @TMP@/w116/p @TMP@/w116/f1 @TMP@/w116/f2
-- create=never is told there is no database, as before
CREATE VIRTUAL TABLE p5 USING slatedb('@TMP@/w116/photos', mode=writer, create=never);
-- missing, empty, hidden files only, SlateDB's folders only: created
CREATE VIRTUAL TABLE c1 USING slatedb('@TMP@/w116/new/db', mode=writer);
.shell mkdir -p @TMP@/w116/empty @TMP@/w116/hidden @TMP@/w116/half/wal @TMP@/w116/half/compacted && printf 'x' > @TMP@/w116/hidden/.DS_Store
CREATE VIRTUAL TABLE c2 USING slatedb('@TMP@/w116/empty', mode=writer);
CREATE VIRTUAL TABLE c3 USING slatedb('@TMP@/w116/hidden', mode=writer);
CREATE VIRTUAL TABLE c4 USING slatedb('@TMP@/w116/half', mode=writer);
INSERT INTO c4 VALUES ('k', 'v');
SELECT 'created', (SELECT count(*) FROM c1), (SELECT count(*) FROM c2), (SELECT count(*) FROM c3), (SELECT group_concat(key || '=' || value) FROM c4);
.shell ls @TMP@/w116/new/db/manifest @TMP@/w116/half/manifest
SELECT 'tables', group_concat(name, ',') FROM (SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name);
