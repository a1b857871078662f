-- A UTF-16 database whose text does not survive the trip to UTF-8 and back.
-- SQLite's UTF-16 to UTF-8 conversion is not one to one: a lone high
-- surrogate takes the next code unit with it (00D8 6100, U+D800 'a', becomes
-- the UTF-8 of U+10061, which reads back as 00D8 61DC). The engine looks a
-- pushed = or IN up by the UTF-8 of the value, so SQLite must re-check the
-- term: before, key = CAST(x'00D86100' AS TEXT) returned the row 00D861DC,
-- which is not equal to it (+key, evaluated by SQLite, found nothing).
.nullvalue NULL
PRAGMA encoding = 'UTF-16le';
.load @EXT@
CREATE VIRTUAL TABLE kv USING slatedb('@TMP@/utf16lossy/w', mode=writer, key_type=text, value_type=text);
INSERT INTO kv VALUES (CAST(x'00D861DC' AS TEXT), 'pair'), ('a', 'a');
SELECT 'stored', hex(key), value FROM kv ORDER BY key;
SELECT '= lone', count(*), (SELECT count(*) FROM kv WHERE +key = CAST(x'00D86100' AS TEXT)) FROM kv WHERE key = CAST(x'00D86100' AS TEXT);
SELECT '= pair', count(*), (SELECT count(*) FROM kv WHERE +key = CAST(x'00D861DC' AS TEXT)) FROM kv WHERE key = CAST(x'00D861DC' AS TEXT);
SELECT 'IN lone', count(*) FROM kv WHERE key IN (CAST(x'00D86100' AS TEXT), 'zz');
SELECT 'IN pair', count(*) FROM kv WHERE key IN (CAST(x'00D861DC' AS TEXT), 'a');
CREATE TABLE q(k TEXT);
INSERT INTO q VALUES (CAST(x'00D86100' AS TEXT)), ('a');
SELECT 'join', group_concat(hex(kv.key), ',') FROM q JOIN kv ON kv.key = q.k;
SELECT 'join native', group_concat(hex(q2.k), ',') FROM q JOIN (SELECT key AS k FROM kv) q2 ON +q2.k = +q.k;
