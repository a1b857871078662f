-- disk_cache= and disk_cache_size=: a reader with a disk cache fetches the
-- SST parts once and counts them; a second handle on the same cache
-- directory (as a second process would) reads them from disk. Manifests are
-- never cached. Bad values are refused naming the option.
.load @EXT@
CREATE VIRTUAL TABLE a USING slatedb('@FIX@/keys-text/db', mode=reader, disk_cache='@TMP@/dcache');
SELECT 'first scan', count(*) FROM a;
SELECT 'first', disk_cache_misses > 0 FROM slatedb_handles;
DROP TABLE a;
CREATE VIRTUAL TABLE b USING slatedb('@FIX@/keys-text/db', mode=reader, disk_cache='@TMP@/dcache', disk_cache_size='64MiB');
SELECT 'second scan', count(*) FROM b;
SELECT 'second', disk_cache_misses, disk_cache_hits > 0, disk_cache_bytes > 0 FROM slatedb_handles;
DROP TABLE b;
CREATE VIRTUAL TABLE c USING slatedb('@FIX@/keys-text/db', mode=reader, disk_cache='');
CREATE VIRTUAL TABLE c USING slatedb('@FIX@/keys-text/db', mode=reader, disk_cache_size=0);
CREATE VIRTUAL TABLE c USING slatedb('@FIX@/keys-text/db', mode=reader, disk_cache='@FIX@/keys-text/db/manifest/00000000000000000001.manifest');
