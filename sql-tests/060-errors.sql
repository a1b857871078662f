-- Errors reach the user with "slatedb: " messages that name the object, and
-- SQLite codes: SQLITE_CANTOPEN (14) for a missing database, SQLITE_CORRUPT
-- (11) for damaged data, SQLITE_CORRUPT for a stored int64 key that is not
-- 8 bytes; a merge operand without merge_operator names its key.
.load @EXT@
CREATE VIRTUAL TABLE e1 USING slatedb('@TMP@/does/not/exist', mode=reader);
CREATE VIRTUAL TABLE e2 USING slatedb('@TMP@/notadb', mode=reader);
CREATE VIRTUAL TABLE e3 USING slatedb('@FIX@/keys-text/expected.txt', mode=reader);
CREATE VIRTUAL TABLE e4 USING slatedb('@TMP@/corrupt-manifest/db', mode=reader);
SELECT 'created', count(*) FROM sqlite_schema;
-- an SST block with a flipped byte: the error names the object
CREATE VIRTUAL TABLE c USING slatedb('@TMP@/corrupt-sst/db', mode=reader);
SELECT count(*) FROM c;
SELECT 'a key elsewhere still reads', count(*) FROM c WHERE key = '🙂🙂';
-- merge operands need merge_operator=concat
CREATE VIRTUAL TABLE m USING slatedb('@FIX@/merges/db', mode=reader);
SELECT count(*) FROM m;
-- one handle per database and mode: a second table must agree on merge_operator
CREATE VIRTUAL TABLE m2 USING slatedb('@FIX@/merges/db', merge_operator=concat, mode=reader);
DROP TABLE m;
CREATE VIRTUAL TABLE m2 USING slatedb('@FIX@/merges/db', merge_operator=concat, mode=reader);
SELECT 'with concat', count(*) FROM m2;
-- the prefix argument needs byte keys
CREATE VIRTUAL TABLE ki USING slatedb('@FIX@/keys-int64/db', key_type=int64, mode=reader);
SELECT count(*) FROM ki('1');
-- a table takes one table-function argument, the prefix: a second one is an
-- error (it used to become a silent `seq = ...` filter that matched nothing);
-- seq in WHERE still filters
CREATE VIRTUAL TABLE kt USING slatedb('@FIX@/keys-text/db', mode=reader);
SELECT 'two arguments', count(*) FROM kt('a', 'extra');
SELECT 'three arguments', count(*) FROM kt('a', 1, 2);
SELECT 'extra_arg in WHERE', count(*) FROM kt WHERE extra_arg = 1;
SELECT 'seq in WHERE', count(*) FROM kt WHERE seq = (SELECT min(seq) FROM kt);
SELECT 'prefix argument', count(*) FROM kt('a');
