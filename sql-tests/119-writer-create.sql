-- A writer creates a database only where nothing else is: a folder that holds other objects
-- and no SlateDB database is refused (SQLITE_CANTOPEN, naming the folder and its first other
-- object, which is shown only if it may be: no '@', '?', '#' or control character) and left
-- exactly as it was; so is one with SlateDB's wal/, compacted/ or compactions/ but no manifest
-- (a database whose manifest is missing is not recreated), a hidden file, a symlink, or foreign
-- data inside manifest/. A missing or empty folder, or one holding only an empty manifest/ or
-- our temp files in it (a first create that stopped half-way), becomes a database.
.load @EXT@
.nullvalue NULL
.shell mkdir -p @TMP@/w119/photos/2024 && printf 'jpeg' > @TMP@/w119/photos/IMG_0001.jpg && printf 'x' > @TMP@/w119/photos/2024/a.txt && printf 'k' > @TMP@/w119/photos/.keep
.shell cd @TMP@/w119 && env -u LD_PRELOAD find photos -printf '%p %y %s %T@\n' | env -u LD_PRELOAD sort > before.txt && echo listed before
CREATE VIRTUAL TABLE p1 USING slatedb('@TMP@/w119/photos', mode=writer);
CREATE VIRTUAL TABLE p2 USING slatedb('file://@TMP@/w119/photos', mode=writer, key_type=blob);
.shell cd @TMP@/w119 && env -u LD_PRELOAD find photos -printf '%p %y %s %T@\n' | env -u LD_PRELOAD sort > after.txt && env -u LD_PRELOAD cmp before.txt after.txt && echo 'photos untouched'
-- a folder with one of SlateDB's folder names as a plain file, or a folder of another name
.shell mkdir -p @TMP@/w119/f1 @TMP@/w119/f2/walx && printf 'x' > @TMP@/w119/f1/manifest
CREATE VIRTUAL TABLE p3 USING slatedb('@TMP@/w119/f1', mode=writer);
CREATE VIRTUAL TABLE p4 USING slatedb('@TMP@/w119/f2', mode=writer);
-- the parent of a database (a path one level too short) is no place for another
CREATE VIRTUAL TABLE d1 USING slatedb('@TMP@/w119/p/db', mode=writer);
INSERT INTO d1 VALUES ('a', '1');
CREATE VIRTUAL TABLE d2 USING slatedb('@TMP@/w119/p', mode=writer);
.shell ls -A @TMP@/w119/p @TMP@/w119/f1 @TMP@/w119/f2
-- SlateDB's data folders without a manifest, whatever they hold; foreign data in manifest/;
-- a hidden folder; a symlink named wal (never followed); names not to be repeated
.shell mkdir -p @TMP@/w119/fw/wal @TMP@/w119/lost/wal @TMP@/w119/lost/compactions @TMP@/w119/lost/manifest @TMP@/w119/fm/manifest @TMP@/w119/git/.git @TMP@/w119/sl/root @TMP@/w119/sl/important @TMP@/w119/sec1 @TMP@/w119/sec2 && printf 'x' > @TMP@/w119/fw/wal/notes.txt && printf 'x' > @TMP@/w119/lost/wal/00000000000000000003.sst && printf 'x' > @TMP@/w119/fm/manifest/notes.txt && ln -s ../important @TMP@/w119/sl/root/wal && touch '@TMP@/w119/sec1/https:__admin:hunter2@example.com.url' "@TMP@/w119/sec2/a$(printf '\033')[2J"
CREATE VIRTUAL TABLE e1 USING slatedb('@TMP@/w119/fw', mode=writer);
CREATE VIRTUAL TABLE e2 USING slatedb('@TMP@/w119/lost', mode=writer);
CREATE VIRTUAL TABLE e3 USING slatedb('@TMP@/w119/fm', mode=writer);
CREATE VIRTUAL TABLE e4 USING slatedb('@TMP@/w119/git', mode=writer);
CREATE VIRTUAL TABLE e5 USING slatedb('@TMP@/w119/sl/root', mode=writer);
CREATE VIRTUAL TABLE e6 USING slatedb('@TMP@/w119/sec1', mode=writer);
CREATE VIRTUAL TABLE e7 USING slatedb('@TMP@/w119/sec2', mode=writer);
.shell cd @TMP@/w119 && ls -A fw fw/wal lost lost/manifest fm fm/manifest git sl/root sl/important
-- create=never is told there is no database, as before
CREATE VIRTUAL TABLE p5 USING slatedb('@TMP@/w119/photos', mode=writer, create=never);
-- missing, empty, an empty manifest/, a manifest/ with only a temp file of ours: created
CREATE VIRTUAL TABLE c1 USING slatedb('@TMP@/w119/new/db', mode=writer);
.shell mkdir -p @TMP@/w119/empty @TMP@/w119/hidden/manifest @TMP@/w119/half/manifest && printf 'x' > @TMP@/w119/half/manifest/.tmp-1-2-1733000000000000
CREATE VIRTUAL TABLE c2 USING slatedb('@TMP@/w119/empty', mode=writer);
CREATE VIRTUAL TABLE c3 USING slatedb('@TMP@/w119/hidden', mode=writer);
CREATE VIRTUAL TABLE c4 USING slatedb('@TMP@/w119/half', mode=writer);
INSERT INTO c4 VALUES ('k', 'v');
SELECT 'created', (SELECT count(*) FROM c1), (SELECT count(*) FROM c2), (SELECT count(*) FROM c3), (SELECT group_concat(key || '=' || value) FROM c4);
.shell ls @TMP@/w119/new/db/manifest @TMP@/w119/half/manifest
SELECT 'tables', group_concat(name, ',') FROM (SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name);
