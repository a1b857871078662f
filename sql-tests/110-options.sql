-- Writer settings (SlateDB's names), their validation, and tables that share a database.
.load @EXT@
.nullvalue NULL
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w110/a', mode=writer, block_size=3000);
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w110/a', mode=writer, block_size='128KiB');
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w110/a', mode=writer, l0_sst_size_bytes=0);
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w110/a', mode=writer, max_unflushed_bytes=lots);
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w110/a', mode=writer, flush_interval=0);
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w110/a', mode=writer, flush_interval='2 weeks');
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w110/a', mode=writer, busy_timeout=-1);
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w110/a', mode=writer, compression=gzip);
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w110/a', mode=writer, filter_bits_per_key=0);
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w110/a', mode=writer, min_filter_keys=0);
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w110/a', mode=writer, durability=fsync);
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w110/a', mode=writer, create=always);
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w110/a', mode=reader, compression=zstd);
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w110/a', mode=reader, busy_timeout='1s');
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w110/a', mode=writer, poll_interval='1s');
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w110/a', mode=writer, compression=zstd, compression=lz4);
SELECT 'nothing created', count(*) FROM sqlite_schema;
.shell test -d @TMP@/w110 && echo 'a directory was created' || echo 'no directory was created'
CREATE VIRTUAL TABLE a1 USING slatedb('@TMP@/w110/a', mode=writer, l0_sst_size_bytes='16KiB', max_unflushed_bytes=1048576, flush_interval='50ms', compression=ZSTD, block_size='1KiB', filter_bits_per_key=8, min_filter_keys=1, durability=async, busy_timeout=0, create=if_missing);
INSERT INTO a1 SELECT printf('k%05d', value), printf('%.200c', 'v') FROM generate_series(1, 100);
INSERT INTO a1 SELECT printf('k%05d', value), printf('%.200c', 'v') FROM generate_series(101, 200);
INSERT INTO a1 SELECT printf('k%05d', value), printf('%.200c', 'v') FROM generate_series(201, 300);
INSERT INTO a1(a1) VALUES ('flush-memtable');
SELECT 'small L0s', l0_flushes >= 2, l0_ssts >= 2, count(*) FROM slatedb_handles, a1 WHERE path GLOB '*/w110/a';
CREATE VIRTUAL TABLE a2 USING slatedb('@TMP@/w110/a', mode=writer, l0_sst_size_bytes=16384, max_unflushed_bytes='1MiB', flush_interval=50, compression=zstd, block_size=1024, filter_bits_per_key=8, min_filter_keys=1, durability=commit, busy_timeout='5s', key_type=text, cache_size='1MiB');
SELECT 'same settings share the handle', refs, (SELECT count(*) FROM a2) FROM slatedb_handles WHERE path GLOB '*/w110/a';
CREATE VIRTUAL TABLE a3 USING slatedb('@TMP@/w110/a', mode=writer);
SELECT 'a1 again', count(*) FROM a1;
CREATE VIRTUAL TABLE a4 USING slatedb('@TMP@/w110/a', mode=writer, l0_sst_size_bytes='16KiB', max_unflushed_bytes='1MiB', flush_interval='50ms', compression=zstd, block_size='1KiB', filter_bits_per_key=8, min_filter_keys=2);
SELECT 'a1 again', count(*) FROM a1;
CREATE VIRTUAL TABLE a5 USING slatedb('@TMP@/w110/a', mode=writer, l0_sst_size_bytes='16KiB', max_unflushed_bytes='1MiB', flush_interval='50ms', compression=lz4, block_size='1KiB', filter_bits_per_key=8, min_filter_keys=1);
SELECT 'a1 again', count(*) FROM a1;
CREATE VIRTUAL TABLE a6 USING slatedb('@TMP@/w110/a', mode=writer, l0_sst_size_bytes='16KiB', max_unflushed_bytes='1MiB', flush_interval='60ms', compression=zstd, block_size='1KiB', filter_bits_per_key=8, min_filter_keys=1);
SELECT 'a1 again', count(*) FROM a1;
CREATE VIRTUAL TABLE temp.r1 USING slatedb('@TMP@/w110/a', mode=reader, poll_interval='2s');
CREATE VIRTUAL TABLE temp.r2 USING slatedb('@TMP@/w110/a', mode=reader, poll_interval=2000);
SELECT 'readers', count(*) FROM r1, r2 WHERE r1.key = r2.key;
CREATE VIRTUAL TABLE temp.r3 USING slatedb('@TMP@/w110/a', mode=reader);
SELECT 'r1 again', count(*) FROM r1;
CREATE VIRTUAL TABLE temp.r4 USING slatedb('@TMP@/w110/a', mode=reader, poll_interval='2s', merge_operator=concat);
SELECT 'handles', mode, refs FROM slatedb_handles ORDER BY mode;
