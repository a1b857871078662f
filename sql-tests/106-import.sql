-- .import --csv fills key and value through xUpdate (one transaction); a duplicate row fails alone.
.load @EXT@
.nullvalue NULL
CREATE VIRTUAL TABLE kv USING slatedb('@TMP@/w106/db', mode=writer);
CREATE TEMP TABLE src(key, value);
INSERT INTO src VALUES ('user:1', '{"name":"ada"}'), ('user:2', 'plain'), ('with,comma', 'multi
line'), ('user:1', 'duplicate'), ('user:3', '');
.headers on
.mode csv
.once @TMP@/w106.csv
SELECT * FROM src;
.headers off
.mode list
.import --csv --skip 1 @TMP@/w106.csv kv
SELECT 'imported', count(*), sum(seq = (SELECT max(seq) FROM kv)) FROM kv;
SELECT 'row', key, value FROM kv;
SELECT 'json', value ->> '$.name' FROM kv WHERE key = 'user:1';
.mode csv
SELECT key, value FROM kv;
