-- Writes per key_type: what each accepts (as a native column of that type would) and rejects.
.load @EXT@
.nullvalue NULL
CREATE VIRTUAL TABLE ki USING slatedb('@TMP@/w102/int64', mode=writer, key_type=int64);
INSERT INTO ki VALUES (-9223372036854775808, 'min'), (9223372036854775807, 'max'), (0, 'zero'), (-1, 'minus one');
INSERT INTO ki VALUES ('42', 'text 42'), (7.0, 'real 7'), (' 8 ', 'spaced 8'), ('1e3', 'text 1e3');
SELECT 'int64', key, typeof(key), value FROM ki ORDER BY key;
INSERT INTO ki VALUES (2.5, 'x');
INSERT INTO ki VALUES ('abc', 'x');
INSERT INTO ki VALUES (x'01', 'x');
INSERT INTO ki VALUES (9223372036854775808.0, 'x');
INSERT INTO ki VALUES ('9223372036854775808', 'x');
INSERT OR IGNORE INTO ki VALUES ('abc', 'x');
INSERT INTO ki VALUES (42, 'dup');
UPDATE ki SET key = key + 1 WHERE key = 0;
UPDATE ki SET key = key + 1 WHERE key = -1;
SELECT 'int64 renamed', group_concat(key, ','), changes() FROM ki WHERE key BETWEEN -5 AND 5;
DELETE FROM ki WHERE key < 0;
SELECT 'int64 after delete', group_concat(key, ',') FROM ki;
CREATE VIRTUAL TABLE ku USING slatedb('@TMP@/w102/uint64', mode=writer, key_type=uint64, value_type=blob);
INSERT INTO ku VALUES (0, 'zero'), (9223372036854775807, x'ff00'), ('17', 17);
INSERT INTO ku VALUES (-1, 'x');
SELECT 'uint64', key, quote(value), typeof(value) FROM ku ORDER BY key DESC;
CREATE VIRTUAL TABLE kb USING slatedb('@TMP@/w102/blob', mode=writer, key_type=blob, value_type=blob);
INSERT INTO kb VALUES (x'00', 'a'), (x'ff', 'b'), (x'0000', 'c'), (CAST('text' AS BLOB), 'd');
INSERT INTO kb VALUES ('text', 'x');
INSERT INTO kb VALUES (5, 'x');
INSERT INTO kb VALUES (x'', 'x');
INSERT INTO kb VALUES (zeroblob(65536), 'x');
INSERT INTO kb VALUES (zeroblob(65535), 'longest');
SELECT 'blob', hex(key), quote(value) FROM kb WHERE length(key) < 100 ORDER BY key;
SELECT 'blob longest', length(key), CAST(value AS TEXT) FROM kb WHERE length(key) > 100;
UPDATE kb SET key = x'01' WHERE key = x'00';
UPDATE kb SET key = 'one' WHERE key = x'01';
SELECT 'blob renamed', group_concat(hex(key), ',') FROM kb WHERE length(key) < 100;
