-- Every fixture, read through the virtual table as raw bytes (key_type=blob,
-- value_type=blob), equals the rows SlateDB 0.12.1 listed (expected.txt,
-- loaded into ref_* by run.sh): same count, no row missing or extra either
-- way, ascending and descending order. merge_operator=concat everywhere:
-- most fixtures hold merge operands (SlateDB wrote them with concatenation).
-- Columns: name | rows | ref rows | extra | missing | asc order ok | desc order ok
.load @EXT@
.read @TMP@/ref/codec-lz4.sql
CREATE VIRTUAL TABLE f_codec_lz4 USING slatedb('@FIX@/codec-lz4/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'codec-lz4', (SELECT count(*) FROM f_codec_lz4), (SELECT count(*) FROM ref_codec_lz4),
  (SELECT count(*) FROM (SELECT key, value FROM f_codec_lz4 EXCEPT SELECT k, v FROM ref_codec_lz4)),
  (SELECT count(*) FROM (SELECT k, v FROM ref_codec_lz4 EXCEPT SELECT key, value FROM f_codec_lz4)),
  (SELECT group_concat(hex(key), ',') FROM f_codec_lz4) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_codec_lz4 ORDER BY k)),
  (SELECT group_concat(hex(key), ',') FROM (SELECT key FROM f_codec_lz4 ORDER BY key DESC)) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_codec_lz4 ORDER BY k DESC));
.read @TMP@/ref/codec-none.sql
CREATE VIRTUAL TABLE f_codec_none USING slatedb('@FIX@/codec-none/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'codec-none', (SELECT count(*) FROM f_codec_none), (SELECT count(*) FROM ref_codec_none),
  (SELECT count(*) FROM (SELECT key, value FROM f_codec_none EXCEPT SELECT k, v FROM ref_codec_none)),
  (SELECT count(*) FROM (SELECT k, v FROM ref_codec_none EXCEPT SELECT key, value FROM f_codec_none)),
  (SELECT group_concat(hex(key), ',') FROM f_codec_none) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_codec_none ORDER BY k)),
  (SELECT group_concat(hex(key), ',') FROM (SELECT key FROM f_codec_none ORDER BY key DESC)) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_codec_none ORDER BY k DESC));
.read @TMP@/ref/codec-snappy.sql
CREATE VIRTUAL TABLE f_codec_snappy USING slatedb('@FIX@/codec-snappy/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'codec-snappy', (SELECT count(*) FROM f_codec_snappy), (SELECT count(*) FROM ref_codec_snappy),
  (SELECT count(*) FROM (SELECT key, value FROM f_codec_snappy EXCEPT SELECT k, v FROM ref_codec_snappy)),
  (SELECT count(*) FROM (SELECT k, v FROM ref_codec_snappy EXCEPT SELECT key, value FROM f_codec_snappy)),
  (SELECT group_concat(hex(key), ',') FROM f_codec_snappy) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_codec_snappy ORDER BY k)),
  (SELECT group_concat(hex(key), ',') FROM (SELECT key FROM f_codec_snappy ORDER BY key DESC)) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_codec_snappy ORDER BY k DESC));
.read @TMP@/ref/codec-zlib.sql
CREATE VIRTUAL TABLE f_codec_zlib USING slatedb('@FIX@/codec-zlib/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'codec-zlib', (SELECT count(*) FROM f_codec_zlib), (SELECT count(*) FROM ref_codec_zlib),
  (SELECT count(*) FROM (SELECT key, value FROM f_codec_zlib EXCEPT SELECT k, v FROM ref_codec_zlib)),
  (SELECT count(*) FROM (SELECT k, v FROM ref_codec_zlib EXCEPT SELECT key, value FROM f_codec_zlib)),
  (SELECT group_concat(hex(key), ',') FROM f_codec_zlib) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_codec_zlib ORDER BY k)),
  (SELECT group_concat(hex(key), ',') FROM (SELECT key FROM f_codec_zlib ORDER BY key DESC)) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_codec_zlib ORDER BY k DESC));
.read @TMP@/ref/codec-zstd.sql
CREATE VIRTUAL TABLE f_codec_zstd USING slatedb('@FIX@/codec-zstd/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'codec-zstd', (SELECT count(*) FROM f_codec_zstd), (SELECT count(*) FROM ref_codec_zstd),
  (SELECT count(*) FROM (SELECT key, value FROM f_codec_zstd EXCEPT SELECT k, v FROM ref_codec_zstd)),
  (SELECT count(*) FROM (SELECT k, v FROM ref_codec_zstd EXCEPT SELECT key, value FROM f_codec_zstd)),
  (SELECT group_concat(hex(key), ',') FROM f_codec_zstd) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_codec_zstd ORDER BY k)),
  (SELECT group_concat(hex(key), ',') FROM (SELECT key FROM f_codec_zstd ORDER BY key DESC)) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_codec_zstd ORDER BY k DESC));
.read @TMP@/ref/edge.sql
CREATE VIRTUAL TABLE f_edge USING slatedb('@FIX@/edge/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'edge', (SELECT count(*) FROM f_edge), (SELECT count(*) FROM ref_edge),
  (SELECT count(*) FROM (SELECT key, value FROM f_edge EXCEPT SELECT k, v FROM ref_edge)),
  (SELECT count(*) FROM (SELECT k, v FROM ref_edge EXCEPT SELECT key, value FROM f_edge)),
  (SELECT group_concat(hex(key), ',') FROM f_edge) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_edge ORDER BY k)),
  (SELECT group_concat(hex(key), ',') FROM (SELECT key FROM f_edge ORDER BY key DESC)) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_edge ORDER BY k DESC));
.read @TMP@/ref/empty.sql
CREATE VIRTUAL TABLE f_empty USING slatedb('@FIX@/empty/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'empty', (SELECT count(*) FROM f_empty), (SELECT count(*) FROM ref_empty),
  (SELECT count(*) FROM (SELECT key, value FROM f_empty EXCEPT SELECT k, v FROM ref_empty)),
  (SELECT count(*) FROM (SELECT k, v FROM ref_empty EXCEPT SELECT key, value FROM f_empty)),
  (SELECT group_concat(hex(key), ',') FROM f_empty) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_empty ORDER BY k)),
  (SELECT group_concat(hex(key), ',') FROM (SELECT key FROM f_empty ORDER BY key DESC)) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_empty ORDER BY k DESC));
.read @TMP@/ref/keys-blob.sql
CREATE VIRTUAL TABLE f_keys_blob USING slatedb('@FIX@/keys-blob/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'keys-blob', (SELECT count(*) FROM f_keys_blob), (SELECT count(*) FROM ref_keys_blob),
  (SELECT count(*) FROM (SELECT key, value FROM f_keys_blob EXCEPT SELECT k, v FROM ref_keys_blob)),
  (SELECT count(*) FROM (SELECT k, v FROM ref_keys_blob EXCEPT SELECT key, value FROM f_keys_blob)),
  (SELECT group_concat(hex(key), ',') FROM f_keys_blob) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_keys_blob ORDER BY k)),
  (SELECT group_concat(hex(key), ',') FROM (SELECT key FROM f_keys_blob ORDER BY key DESC)) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_keys_blob ORDER BY k DESC));
.read @TMP@/ref/keys-int64.sql
CREATE VIRTUAL TABLE f_keys_int64 USING slatedb('@FIX@/keys-int64/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'keys-int64', (SELECT count(*) FROM f_keys_int64), (SELECT count(*) FROM ref_keys_int64),
  (SELECT count(*) FROM (SELECT key, value FROM f_keys_int64 EXCEPT SELECT k, v FROM ref_keys_int64)),
  (SELECT count(*) FROM (SELECT k, v FROM ref_keys_int64 EXCEPT SELECT key, value FROM f_keys_int64)),
  (SELECT group_concat(hex(key), ',') FROM f_keys_int64) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_keys_int64 ORDER BY k)),
  (SELECT group_concat(hex(key), ',') FROM (SELECT key FROM f_keys_int64 ORDER BY key DESC)) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_keys_int64 ORDER BY k DESC));
.read @TMP@/ref/keys-text.sql
CREATE VIRTUAL TABLE f_keys_text USING slatedb('@FIX@/keys-text/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'keys-text', (SELECT count(*) FROM f_keys_text), (SELECT count(*) FROM ref_keys_text),
  (SELECT count(*) FROM (SELECT key, value FROM f_keys_text EXCEPT SELECT k, v FROM ref_keys_text)),
  (SELECT count(*) FROM (SELECT k, v FROM ref_keys_text EXCEPT SELECT key, value FROM f_keys_text)),
  (SELECT group_concat(hex(key), ',') FROM f_keys_text) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_keys_text ORDER BY k)),
  (SELECT group_concat(hex(key), ',') FROM (SELECT key FROM f_keys_text ORDER BY key DESC)) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_keys_text ORDER BY k DESC));
.read @TMP@/ref/keys-uint64.sql
CREATE VIRTUAL TABLE f_keys_uint64 USING slatedb('@FIX@/keys-uint64/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'keys-uint64', (SELECT count(*) FROM f_keys_uint64), (SELECT count(*) FROM ref_keys_uint64),
  (SELECT count(*) FROM (SELECT key, value FROM f_keys_uint64 EXCEPT SELECT k, v FROM ref_keys_uint64)),
  (SELECT count(*) FROM (SELECT k, v FROM ref_keys_uint64 EXCEPT SELECT key, value FROM f_keys_uint64)),
  (SELECT group_concat(hex(key), ',') FROM f_keys_uint64) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_keys_uint64 ORDER BY k)),
  (SELECT group_concat(hex(key), ',') FROM (SELECT key FROM f_keys_uint64 ORDER BY key DESC)) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_keys_uint64 ORDER BY k DESC));
.read @TMP@/ref/l0-only.sql
CREATE VIRTUAL TABLE f_l0_only USING slatedb('@FIX@/l0-only/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'l0-only', (SELECT count(*) FROM f_l0_only), (SELECT count(*) FROM ref_l0_only),
  (SELECT count(*) FROM (SELECT key, value FROM f_l0_only EXCEPT SELECT k, v FROM ref_l0_only)),
  (SELECT count(*) FROM (SELECT k, v FROM ref_l0_only EXCEPT SELECT key, value FROM f_l0_only)),
  (SELECT group_concat(hex(key), ',') FROM f_l0_only) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_l0_only ORDER BY k)),
  (SELECT group_concat(hex(key), ',') FROM (SELECT key FROM f_l0_only ORDER BY key DESC)) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_l0_only ORDER BY k DESC));
.read @TMP@/ref/merges.sql
CREATE VIRTUAL TABLE f_merges USING slatedb('@FIX@/merges/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'merges', (SELECT count(*) FROM f_merges), (SELECT count(*) FROM ref_merges),
  (SELECT count(*) FROM (SELECT key, value FROM f_merges EXCEPT SELECT k, v FROM ref_merges)),
  (SELECT count(*) FROM (SELECT k, v FROM ref_merges EXCEPT SELECT key, value FROM f_merges)),
  (SELECT group_concat(hex(key), ',') FROM f_merges) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_merges ORDER BY k)),
  (SELECT group_concat(hex(key), ',') FROM (SELECT key FROM f_merges ORDER BY key DESC)) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_merges ORDER BY k DESC));
.read @TMP@/ref/sorted-runs.sql
CREATE VIRTUAL TABLE f_sorted_runs USING slatedb('@FIX@/sorted-runs/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'sorted-runs', (SELECT count(*) FROM f_sorted_runs), (SELECT count(*) FROM ref_sorted_runs),
  (SELECT count(*) FROM (SELECT key, value FROM f_sorted_runs EXCEPT SELECT k, v FROM ref_sorted_runs)),
  (SELECT count(*) FROM (SELECT k, v FROM ref_sorted_runs EXCEPT SELECT key, value FROM f_sorted_runs)),
  (SELECT group_concat(hex(key), ',') FROM f_sorted_runs) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_sorted_runs ORDER BY k)),
  (SELECT group_concat(hex(key), ',') FROM (SELECT key FROM f_sorted_runs ORDER BY key DESC)) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_sorted_runs ORDER BY k DESC));
.read @TMP@/ref/ttl.sql
CREATE VIRTUAL TABLE f_ttl USING slatedb('@FIX@/ttl/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'ttl', (SELECT count(*) FROM f_ttl), (SELECT count(*) FROM ref_ttl),
  (SELECT count(*) FROM (SELECT key, value FROM f_ttl EXCEPT SELECT k, v FROM ref_ttl)),
  (SELECT count(*) FROM (SELECT k, v FROM ref_ttl EXCEPT SELECT key, value FROM f_ttl)),
  (SELECT group_concat(hex(key), ',') FROM f_ttl) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_ttl ORDER BY k)),
  (SELECT group_concat(hex(key), ',') FROM (SELECT key FROM f_ttl ORDER BY key DESC)) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_ttl ORDER BY k DESC));
.read @TMP@/ref/wal-only.sql
CREATE VIRTUAL TABLE f_wal_only USING slatedb('@FIX@/wal-only/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'wal-only', (SELECT count(*) FROM f_wal_only), (SELECT count(*) FROM ref_wal_only),
  (SELECT count(*) FROM (SELECT key, value FROM f_wal_only EXCEPT SELECT k, v FROM ref_wal_only)),
  (SELECT count(*) FROM (SELECT k, v FROM ref_wal_only EXCEPT SELECT key, value FROM f_wal_only)),
  (SELECT group_concat(hex(key), ',') FROM f_wal_only) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_wal_only ORDER BY k)),
  (SELECT group_concat(hex(key), ',') FROM (SELECT key FROM f_wal_only ORDER BY key DESC)) IS (SELECT group_concat(hex(k), ',') FROM (SELECT k FROM ref_wal_only ORDER BY k DESC));
