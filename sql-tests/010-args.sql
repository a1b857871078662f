-- CREATE VIRTUAL TABLE argument grammar: usage text, options, errors.
.load @EXT@
.nullvalue NULL
CREATE VIRTUAL TABLE t1 USING slatedb;
CREATE VIRTUAL TABLE t1 USING slatedb();
CREATE VIRTUAL TABLE t1 USING slatedb(key_type=text);
CREATE VIRTUAL TABLE t1 USING slatedb('@FIX@/keys-text/db', foo=1);
CREATE VIRTUAL TABLE t1 USING slatedb('@FIX@/keys-text/db', readonly);
CREATE VIRTUAL TABLE t1 USING slatedb('@FIX@/keys-text/db', key_type=text, KEY_TYPE=blob);
CREATE VIRTUAL TABLE t1 USING slatedb('@FIX@/keys-text/db', key_type=varchar);
CREATE VIRTUAL TABLE t1 USING slatedb('@FIX@/keys-text/db', key_type=);
CREATE VIRTUAL TABLE t1 USING slatedb('@FIX@/keys-text/db', value_type=json);
CREATE VIRTUAL TABLE t1 USING slatedb('@FIX@/keys-text/db', mode=writer, poll_interval=5);
CREATE VIRTUAL TABLE t1 USING slatedb('@FIX@/keys-text/db', mode=rw);
CREATE VIRTUAL TABLE t1 USING slatedb('@FIX@/keys-text/db', merge_operator=sum);
CREATE VIRTUAL TABLE t1 USING slatedb('@FIX@/keys-text/db', cache_size=lots);
CREATE VIRTUAL TABLE t1 USING slatedb('@FIX@/keys-text/db', cache_size=0);
CREATE VIRTUAL TABLE t1 USING slatedb('@FIX@/keys-text/db', cache_size='12TiB');
CREATE VIRTUAL TABLE t1 USING slatedb('@FIX@/keys-text/db', cache_size=99999999999999999999);
CREATE VIRTUAL TABLE t1 USING slatedb(key_type=text, '@FIX@/keys-text/db');
CREATE VIRTUAL TABLE t1 USING slatedb('@FIX@/keys-text/db', url='@FIX@/keys-text/db');
CREATE VIRTUAL TABLE t1 USING slatedb('s3://b/prefix/db');
CREATE VIRTUAL TABLE t1 USING slatedb('s3://bucket/db?aws_endpoint=http://x');
CREATE VIRTUAL TABLE t1 USING slatedb('@FIX@/keys-text/db', endpoint='http://127.0.0.1:9000');
CREATE VIRTUAL TABLE t1 USING slatedb('s3://bucket/db', endpoint='ftp://x');
CREATE VIRTUAL TABLE t1 USING slatedb('s3://bucket/db', endpoint='http://h/path');
CREATE VIRTUAL TABLE t1 USING slatedb('s3://bucket/db', allow_http=maybe);
CREATE VIRTUAL TABLE t1 USING slatedb('s3://bucket/db', parallel_reads=65);
CREATE VIRTUAL TABLE t1 USING slatedb('s3://bucket/db', request_timeout=0);
CREATE VIRTUAL TABLE t1 USING slatedb('s3://bucket/db', region='us east');
CREATE VIRTUAL TABLE t1 USING slatedb('s3://bucket/db', aws_secret_access_key='x');
CREATE VIRTUAL TABLE t1 USING slatedb('s3://bucket/db', session_token='x');
CREATE VIRTUAL TABLE t1 USING slatedb('s3://bucket.invalid/db', endpoint='http://AKIDEXAMPLE:wJalrSECRET@nonexistent.invalid', allow_http=true, mode=reader);
CREATE VIRTUAL TABLE t1 USING slatedb('gs://bucket/db');
CREATE VIRTUAL TABLE t1 USING slatedb('file://host/data/db');
CREATE VIRTUAL TABLE t1 USING slatedb('file:relative/db');
CREATE VIRTUAL TABLE t1 USING slatedb('');
CREATE VIRTUAL TABLE t1 USING slatedb('@FIX@/keys-text/db'x);
CREATE VIRTUAL TABLE t1 USING slatedb('@FIX@/keys-text/db', key_type='text'x);
CREATE VIRTUAL TABLE t1 USING slatedb('@FIX@/keys-text/db', 'key type'=text);
SELECT 'no table was created', count(*) FROM sqlite_schema;
-- accepted spellings
CREATE VIRTUAL TABLE a1 USING slatedb('@FIX@/keys-text/db', mode=reader);
CREATE VIRTUAL TABLE a2 USING slatedb("@FIX@/keys-text/db", KEY_TYPE = 'TEXT', "value_type"="text", Mode=Reader);
CREATE VIRTUAL TABLE a3 USING slatedb('file://@FIX@/merges/db', merge_operator=concat, cache_size='16MiB', mode=reader);
CREATE VIRTUAL TABLE a4 USING slatedb(url='file://localhost@FIX@/keys-%74ext/db', cache_size = '1 GiB', mode=reader);
CREATE VIRTUAL TABLE a5 USING slatedb('rel/keys-text/db', cache_size=4096, mode=reader);
CREATE VIRTUAL TABLE a6 USING slatedb(rel/keys-text/db, key_type=blob, value_type=blob, mode=reader);
SELECT name, (SELECT count(*) FROM a1), (SELECT count(*) FROM a2), (SELECT count(*) FROM a3),
       (SELECT count(*) FROM a4), (SELECT count(*) FROM a5), (SELECT count(*) FROM a6)
  FROM sqlite_schema WHERE name = 'a1';
