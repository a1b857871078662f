-- Option values that cannot work are refused with an error naming the option;
-- values that shape S3 URLs follow S3's rules (nothing here reaches a network).
.load @EXT@
-- sizes that conflict, zero, negative, fractional, hex, overflowing unit suffixes
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/a', mode=writer, max_sst_size=2048, block_size='4KiB');
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/a', mode=writer, max_sst_size='1KiB');
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/a', mode=writer, max_sst_size=0);
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/a', mode=writer, l0_sst_size_bytes=-1);
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/a', mode=writer, l0_sst_size_bytes='1.5MiB');
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/a', mode=writer, block_size=0x1000);
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/a', mode=writer, max_unflushed_bytes='17179869184GiB');
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/a', mode=writer, cache_size=18446744073709551616);
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/a', mode=writer, l0_max_ssts=0);
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/a', mode=writer, l0_max_ssts=100001);
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/a', mode=writer, filter_bits_per_key=65);
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/a', mode=writer, min_filter_keys=4294967296);
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/a', mode=writer, gc_interval='600000h');
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/a', mode=writer, gc_min_age=0);
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/a', mode=writer, compactor_poll_interval='-5s');
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/a', mode=writer, busy_timeout=2147483648);
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/a', mode=writer, flush_interval='1d');
-- options of the other mode say which mode they belong to
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/a', mode=reader, max_sst_size='64MiB');
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/a', mode=reader, gc=false);
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/a', mode=reader, create=never);
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/a', mode=writer, checkpoint='123e4567-e89b-42d3-a456-426614174000');
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/a', mode=writer, region='us-east-1');
-- S3 names: bucket rules, regions, endpoints
CREATE VIRTUAL TABLE t USING slatedb('s3://my_bucket/db', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('s3://MyBucket/db', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('s3://192.168.1.1/db', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('s3://xn--bucket/db', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('s3://bucket-s3alias/db', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('s3://a..b/db', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('s3://-bucket/db', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('s3://user:pw@bucket/db', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('s3://bucket/db', region='US-EAST-1', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('s3://bucket/db', region='', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('s3://bucket/db', region='eu-west-1.evil.example', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('s3://bucket/db', endpoint='https://h:0', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('s3://bucket/db', endpoint='https://h:65536', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('s3://bucket/db', endpoint='https://h:', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('s3://bucket/db', endpoint='https://[zz]:9000', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('s3://bucket/db', endpoint='https://h\x', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('s3://bucket/db', endpoint='https://', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('s3://bucket/db', endpoint='https://h#frag', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('s3://bucket/db', endpoint='file:///etc/passwd', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('s3://bucket/db', endpoint='https://user@h', mode=reader);
-- a prefix is checked when the store opens: no ".", ".." or empty segment
CREATE VIRTUAL TABLE t USING slatedb('s3://bucket/a/../other', mode=reader);
SELECT count(*) FROM t;
CREATE VIRTUAL TABLE u USING slatedb('s3://bucket/a//b', mode=reader);
SELECT count(*) FROM u;
SELECT 'tables', count(*) FROM sqlite_schema;
.shell test -d @TMP@/w111 && echo 'a directory was created' || echo 'no directory was created'
-- the limits themselves are accepted
CREATE VIRTUAL TABLE ok USING slatedb('@TMP@/w111/a', mode=writer, max_sst_size='4KiB', block_size=4096, l0_max_ssts=100000, filter_bits_per_key=64, min_filter_keys=4294967295, busy_timeout=2147483647);
SELECT 'created', count(*) FROM ok;
-- no error repeats a value that may hold user:password
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/b', mode=writer, key_type='https://AKID:SECRET@h');
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/b', mode=writer, cache_size='AKID:SECRET@h');
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/w111/b', mode=writer, 'AKID:SECRET@h');
CREATE VIRTUAL TABLE t USING slatedb('file://AKID:SECRET@host/db');
