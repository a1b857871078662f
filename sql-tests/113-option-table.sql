-- The table of options (ext/options.c) drives the settings that tables sharing
-- a database must agree on (one message shape per value type) and the setting
-- columns of slatedb_handles. After a failed CREATE, SQLite disconnects the
-- tables and a's handle reopens at its next use, hence the SELECTs from a.
.load @EXT@
.nullvalue NULL
CREATE VIRTUAL TABLE a USING slatedb('@TMP@/w113/a', mode=writer, compactor=false, block_size='8KiB', l0_max_ssts=20, gc_interval='2m', compression=snappy, merge_operator=concat);
SELECT 'echoed settings', path GLOB '*/w113/a', mode, merge_operator, refs FROM slatedb_handles;
CREATE VIRTUAL TABLE b USING slatedb('@TMP@/w113/a', mode=writer, compactor=true, block_size='8KiB', l0_max_ssts=20, gc_interval='2m', compression=snappy, merge_operator=concat);
SELECT 'a again', count(*) FROM a;
CREATE VIRTUAL TABLE b USING slatedb('@TMP@/w113/a', mode=writer, compactor=OFF, block_size=4096, l0_max_ssts=20, gc_interval='2m', compression=snappy, merge_operator=concat);
SELECT 'a again', count(*) FROM a;
CREATE VIRTUAL TABLE b USING slatedb('@TMP@/w113/a', mode=writer, compactor=0, block_size=8192, l0_max_ssts=21, gc_interval='2m', compression=snappy, merge_operator=concat);
SELECT 'a again', count(*) FROM a;
CREATE VIRTUAL TABLE b USING slatedb('@TMP@/w113/a', mode=writer, compactor=false, block_size=8192, l0_max_ssts=20, gc_interval='1m', compression=snappy, merge_operator=concat);
SELECT 'a again', count(*) FROM a;
CREATE VIRTUAL TABLE b USING slatedb('@TMP@/w113/a', mode=writer, compactor=false, block_size=8192, l0_max_ssts=20, gc_interval=120000, compression=zlib, merge_operator=concat);
SELECT 'a again', count(*) FROM a;
CREATE VIRTUAL TABLE b USING slatedb('@TMP@/w113/a', mode=writer, compactor=false, block_size=8192, l0_max_ssts=20, gc_interval=120000, compression=SNAPPY, merge_operator=none);
SELECT 'a again', count(*) FROM a;
-- the same values written differently share the handle; per-table options may differ
CREATE VIRTUAL TABLE b USING slatedb('@TMP@/w113/a', mode=writer, COMPACTOR=off, block_size=8192, l0_max_ssts=20, gc_interval=120000, compression=SNAPPY, merge_operator=CONCAT, key_type=blob, durability=async, busy_timeout=0, cache_size='1MiB');
SELECT 'shared', mode, merge_operator, refs FROM slatedb_handles;
-- a reader's handle compares the reader's settings
CREATE VIRTUAL TABLE temp.r USING slatedb('@TMP@/w113/a', mode=reader, merge_operator=concat, poll_interval='3s');
CREATE VIRTUAL TABLE temp.r2 USING slatedb('@TMP@/w113/a', mode=reader, merge_operator=concat);
SELECT 'r again', count(*) FROM r;
CREATE VIRTUAL TABLE temp.r2 USING slatedb('@TMP@/w113/a', mode=reader, merge_operator=concat, poll_interval=3000);
SELECT 'a and b again', count(*) FROM a, b;
SELECT 'handles', mode, merge_operator, refs FROM slatedb_handles ORDER BY mode;
