-- The hidden columns seq, create_ts and expire_ts equal what SlateDB 0.12.1
-- reports for every row (expected-meta.txt, loaded into meta_* by run.sh);
-- create_ts/expire_ts are NULL when the row has none.
-- Columns: name | rows | rows with the same key, value, seq, create_ts,
--          expire_ts | rows with an expire_ts | rows with a create_ts
.load @EXT@
.read @TMP@/meta/codec-lz4.sql
CREATE VIRTUAL TABLE h_codec_lz4 USING slatedb('@FIX@/codec-lz4/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'codec-lz4', (SELECT count(*) FROM h_codec_lz4),
  (SELECT count(*) FROM h_codec_lz4 h JOIN meta_codec_lz4 m ON h.key = m.k AND h.value = m.v AND h.seq IS m.seq
     AND h.create_ts IS m.create_ts AND h.expire_ts IS m.expire_ts),
  (SELECT count(expire_ts) FROM h_codec_lz4), (SELECT count(create_ts) FROM h_codec_lz4);
.read @TMP@/meta/codec-none.sql
CREATE VIRTUAL TABLE h_codec_none USING slatedb('@FIX@/codec-none/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'codec-none', (SELECT count(*) FROM h_codec_none),
  (SELECT count(*) FROM h_codec_none h JOIN meta_codec_none m ON h.key = m.k AND h.value = m.v AND h.seq IS m.seq
     AND h.create_ts IS m.create_ts AND h.expire_ts IS m.expire_ts),
  (SELECT count(expire_ts) FROM h_codec_none), (SELECT count(create_ts) FROM h_codec_none);
.read @TMP@/meta/codec-snappy.sql
CREATE VIRTUAL TABLE h_codec_snappy USING slatedb('@FIX@/codec-snappy/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'codec-snappy', (SELECT count(*) FROM h_codec_snappy),
  (SELECT count(*) FROM h_codec_snappy h JOIN meta_codec_snappy m ON h.key = m.k AND h.value = m.v AND h.seq IS m.seq
     AND h.create_ts IS m.create_ts AND h.expire_ts IS m.expire_ts),
  (SELECT count(expire_ts) FROM h_codec_snappy), (SELECT count(create_ts) FROM h_codec_snappy);
.read @TMP@/meta/codec-zlib.sql
CREATE VIRTUAL TABLE h_codec_zlib USING slatedb('@FIX@/codec-zlib/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'codec-zlib', (SELECT count(*) FROM h_codec_zlib),
  (SELECT count(*) FROM h_codec_zlib h JOIN meta_codec_zlib m ON h.key = m.k AND h.value = m.v AND h.seq IS m.seq
     AND h.create_ts IS m.create_ts AND h.expire_ts IS m.expire_ts),
  (SELECT count(expire_ts) FROM h_codec_zlib), (SELECT count(create_ts) FROM h_codec_zlib);
.read @TMP@/meta/codec-zstd.sql
CREATE VIRTUAL TABLE h_codec_zstd USING slatedb('@FIX@/codec-zstd/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'codec-zstd', (SELECT count(*) FROM h_codec_zstd),
  (SELECT count(*) FROM h_codec_zstd h JOIN meta_codec_zstd m ON h.key = m.k AND h.value = m.v AND h.seq IS m.seq
     AND h.create_ts IS m.create_ts AND h.expire_ts IS m.expire_ts),
  (SELECT count(expire_ts) FROM h_codec_zstd), (SELECT count(create_ts) FROM h_codec_zstd);
.read @TMP@/meta/empty.sql
CREATE VIRTUAL TABLE h_empty USING slatedb('@FIX@/empty/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'empty', (SELECT count(*) FROM h_empty),
  (SELECT count(*) FROM h_empty h JOIN meta_empty m ON h.key = m.k AND h.value = m.v AND h.seq IS m.seq
     AND h.create_ts IS m.create_ts AND h.expire_ts IS m.expire_ts),
  (SELECT count(expire_ts) FROM h_empty), (SELECT count(create_ts) FROM h_empty);
.read @TMP@/meta/l0-only.sql
CREATE VIRTUAL TABLE h_l0_only USING slatedb('@FIX@/l0-only/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'l0-only', (SELECT count(*) FROM h_l0_only),
  (SELECT count(*) FROM h_l0_only h JOIN meta_l0_only m ON h.key = m.k AND h.value = m.v AND h.seq IS m.seq
     AND h.create_ts IS m.create_ts AND h.expire_ts IS m.expire_ts),
  (SELECT count(expire_ts) FROM h_l0_only), (SELECT count(create_ts) FROM h_l0_only);
.read @TMP@/meta/merges.sql
CREATE VIRTUAL TABLE h_merges USING slatedb('@FIX@/merges/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'merges', (SELECT count(*) FROM h_merges),
  (SELECT count(*) FROM h_merges h JOIN meta_merges m ON h.key = m.k AND h.value = m.v AND h.seq IS m.seq
     AND h.create_ts IS m.create_ts AND h.expire_ts IS m.expire_ts),
  (SELECT count(expire_ts) FROM h_merges), (SELECT count(create_ts) FROM h_merges);
.read @TMP@/meta/sorted-runs.sql
CREATE VIRTUAL TABLE h_sorted_runs USING slatedb('@FIX@/sorted-runs/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'sorted-runs', (SELECT count(*) FROM h_sorted_runs),
  (SELECT count(*) FROM h_sorted_runs h JOIN meta_sorted_runs m ON h.key = m.k AND h.value = m.v AND h.seq IS m.seq
     AND h.create_ts IS m.create_ts AND h.expire_ts IS m.expire_ts),
  (SELECT count(expire_ts) FROM h_sorted_runs), (SELECT count(create_ts) FROM h_sorted_runs);
.read @TMP@/meta/ttl.sql
CREATE VIRTUAL TABLE h_ttl USING slatedb('@FIX@/ttl/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'ttl', (SELECT count(*) FROM h_ttl),
  (SELECT count(*) FROM h_ttl h JOIN meta_ttl m ON h.key = m.k AND h.value = m.v AND h.seq IS m.seq
     AND h.create_ts IS m.create_ts AND h.expire_ts IS m.expire_ts),
  (SELECT count(expire_ts) FROM h_ttl), (SELECT count(create_ts) FROM h_ttl);
.read @TMP@/meta/wal-only.sql
CREATE VIRTUAL TABLE h_wal_only USING slatedb('@FIX@/wal-only/db', key_type=blob, value_type=blob, merge_operator=concat, mode=reader);
SELECT 'wal-only', (SELECT count(*) FROM h_wal_only),
  (SELECT count(*) FROM h_wal_only h JOIN meta_wal_only m ON h.key = m.k AND h.value = m.v AND h.seq IS m.seq
     AND h.create_ts IS m.create_ts AND h.expire_ts IS m.expire_ts),
  (SELECT count(expire_ts) FROM h_wal_only), (SELECT count(create_ts) FROM h_wal_only);
