-- "Did you mean": a misspelt option name, or a misspelt value of a choice or
-- boolean option, gets the closest one (by edit distance) when it is close
-- enough; anything further off gets no guess. No table is created.
.load @EXT@
CREATE VIRTUAL TABLE t1 USING slatedb('@TMP@/sugg', cache_sise='1MiB', mode=writer);
CREATE VIRTUAL TABLE t1 USING slatedb('@TMP@/sugg', compresion=zstd, mode=writer);
CREATE VIRTUAL TABLE t1 USING slatedb('@TMP@/sugg', KEYTYPE=int64, mode=reader);
CREATE VIRTUAL TABLE t1 USING slatedb('@TMP@/sugg', mode=reader, poll_intervall);
CREATE VIRTUAL TABLE t1 USING slatedb('@TMP@/sugg', gx=true, mode=writer);
CREATE VIRTUAL TABLE t1 USING slatedb('@TMP@/sugg', mode=raeder);
CREATE VIRTUAL TABLE t1 USING slatedb('@TMP@/sugg', mode=write);
CREATE VIRTUAL TABLE t1 USING slatedb('@TMP@/sugg', MODE=READR);
CREATE VIRTUAL TABLE t1 USING slatedb('@TMP@/sugg', compactor=ture, mode=writer);
CREATE VIRTUAL TABLE t1 USING slatedb('@TMP@/sugg', compression=zstf, mode=writer);
CREATE VIRTUAL TABLE t1 USING slatedb('@TMP@/sugg', key_type=int, mode=reader);
CREATE VIRTUAL TABLE t1 USING slatedb('@TMP@/sugg', value_type=blb, mode=reader);
-- too far from every name or choice, or not starting alike: no guess
CREATE VIRTUAL TABLE t1 USING slatedb('@TMP@/sugg', foo=1, mode=reader);
CREATE VIRTUAL TABLE t1 USING slatedb('@TMP@/sugg', x=1, mode=reader);
CREATE VIRTUAL TABLE t1 USING slatedb('@TMP@/sugg', readonly);
CREATE VIRTUAL TABLE t1 USING slatedb('@TMP@/sugg', mode=rw);
CREATE VIRTUAL TABLE t1 USING slatedb('@TMP@/sugg', key_type=varchar, mode=reader);
CREATE VIRTUAL TABLE t1 USING slatedb('@TMP@/sugg', durability=fsync, mode=writer);
CREATE VIRTUAL TABLE t1 USING slatedb('@TMP@/sugg', cache_size_in_bytes_for_the_block_cache_of_this_handle=1, mode=reader);
SELECT 'tables created:', count(*) FROM sqlite_schema;
