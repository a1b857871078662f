-- Credentials are never accepted as CREATE arguments: sqlite_schema keeps
-- the CREATE text verbatim, so they would be stored in plain text.
.load @EXT@
CREATE VIRTUAL TABLE t USING slatedb('@FIX@/keys-text/db', access_key_id='AKIAEXAMPLE', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('@FIX@/keys-text/db', secret_access_key='wJalrXUtnFEMI', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('@FIX@/keys-text/db', session_token='FwoGZXIvYXdz', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('@FIX@/keys-text/db', AWS_SECRET_ACCESS_KEY='x', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('@FIX@/keys-text/db', aws_region='us-east-1', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('@FIX@/keys-text/db', password=hunter2, mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('@FIX@/keys-text/db', Token='abc', mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('@FIX@/keys-text/db', secret_key='abc', mode=reader);
-- checked before the other options, so the value never reaches an error message
CREATE VIRTUAL TABLE t USING slatedb('s3://b/db', key_type=bad, secret='abc', mode=reader);
SELECT 'tables', count(*) FROM sqlite_schema;
-- a credential-looking option name is not repeated either (it holds '@')
CREATE VIRTUAL TABLE t USING slatedb('@FIX@/keys-text/db', 'https://AKIDEXAMPLE:wJalrXUtnFEMIsecretKEY@host'=1, mode=reader);
CREATE VIRTUAL TABLE t USING slatedb('@FIX@/keys-text/db', "Secret:HUNTER2pass@host"=1, mode=reader);
-- nor a database root holding '@' in the errors of opening and sharing it
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/AKIDEXAMPLE:wJalrSECRET@host/db', mode=reader);
CREATE VIRTUAL TABLE w1 USING slatedb('@TMP@/AKIDEXAMPLE:wJalrSECRET@host/db', mode=writer);
CREATE VIRTUAL TABLE w2 USING slatedb('@TMP@/AKIDEXAMPLE:wJalrSECRET@host/db', mode=writer, flush_interval='200ms');
CREATE VIRTUAL TABLE t USING slatedb('@TMP@/AKIDEXAMPLE:wJalrSECRET@host', mode=reader);
DROP TABLE w1;
SELECT 'tables after', count(*) FROM sqlite_schema;
