-- Each key_type decodes its fixture: SQL types, order, and equality with the
-- stored bytes (int64: big-endian with the sign bit flipped; uint64: plain
-- big-endian), checked against expected.txt (ref_* tables from run.sh).
.load @EXT@
.nullvalue NULL
.read @TMP@/ref/keys-text.sql
.read @TMP@/ref/keys-int64.sql
.read @TMP@/ref/keys-uint64.sql
.read @TMP@/ref/keys-blob.sql
CREATE VIRTUAL TABLE kt USING slatedb('@FIX@/keys-text/db', key_type=text, value_type=text, mode=reader);
CREATE VIRTUAL TABLE ktb USING slatedb('@FIX@/keys-text/db', value_type=blob, mode=reader);
CREATE VIRTUAL TABLE ki USING slatedb('@FIX@/keys-int64/db', key_type=int64, mode=reader);
CREATE VIRTUAL TABLE ku USING slatedb('@FIX@/keys-uint64/db', key_type=uint64, mode=reader);
CREATE VIRTUAL TABLE kb USING slatedb('@FIX@/keys-blob/db', key_type=blob, value_type=blob, mode=reader);
-- text
SELECT 'kt types', typeof(key), typeof(value), count(*) FROM kt GROUP BY 2, 3;
SELECT 'ktb types', typeof(key), typeof(value), count(*) FROM ktb GROUP BY 2, 3;
SELECT 'kt same bytes', count(*) FROM kt JOIN ref_keys_text ON CAST(kt.key AS BLOB) = k AND CAST(value AS BLOB) = v;
SELECT 'kt first', key, value FROM kt LIMIT 3;
SELECT 'kt last', key, value FROM kt ORDER BY key DESC LIMIT 3;
SELECT 'kt empty values', count(*) FROM kt WHERE value = '';
-- int64
SELECT 'ki types', typeof(key), typeof(value), count(*) FROM ki GROUP BY 2, 3;
SELECT 'ki same bytes', count(*) FROM ki JOIN ref_keys_int64
  ON substr('89abcdef01234567', instr('0123456789abcdef', substr(printf('%016x', key), 1, 1)), 1)
     || substr(printf('%016x', key), 2) = lower(hex(k)) AND CAST(value AS BLOB) = v;
SELECT 'ki first', key FROM ki LIMIT 3;
SELECT 'ki last', key FROM ki ORDER BY key DESC LIMIT 3;
SELECT 'ki signs', sum(key < 0), sum(key = 0), sum(key > 0), min(key), max(key) FROM ki;
-- uint64
SELECT 'ku types', typeof(key), typeof(value), count(*) FROM ku GROUP BY 2, 3;
SELECT 'ku same bytes', count(*) FROM ku JOIN ref_keys_uint64
  ON printf('%016x', key) = lower(hex(k)) AND CAST(value AS BLOB) = v;
SELECT 'ku first', key FROM ku LIMIT 3;
SELECT 'ku last', key FROM ku ORDER BY key DESC LIMIT 3;
SELECT 'ku range', min(key), max(key) FROM ku;
-- blob
SELECT 'kb types', typeof(key), typeof(value), count(*) FROM kb GROUP BY 2, 3;
SELECT 'kb same bytes', count(*) FROM kb JOIN ref_keys_blob ON key = k AND value = v;
SELECT 'kb first', hex(key), hex(value) FROM kb LIMIT 3;
SELECT 'kb last', hex(key), hex(value) FROM kb ORDER BY key DESC LIMIT 3;
SELECT 'kb empty values', count(*) FROM kb WHERE value = x'';
-- int64 and uint64 tables over text keys: a corruption-class error naming the key
CREATE VIRTUAL TABLE bad_i USING slatedb('@FIX@/keys-text/db', key_type=int64, mode=reader);
SELECT count(*) FROM bad_i;
SELECT key FROM bad_i WHERE key > 5 LIMIT 1;
CREATE VIRTUAL TABLE bad_u USING slatedb('@FIX@/keys-int64/db', key_type=uint64, mode=reader);
SELECT 'below 2^63', count(*) FROM bad_u WHERE key < 0x7f00000000000000;
SELECT key FROM bad_u WHERE key > 5 ORDER BY key DESC;
