/*
** t_sigv4.c: the SigV4 signer against AWS's published S3 examples (the
** "Signature Calculations for the Authorization Header: Transferring Payload
** in a Single Chunk" page: GET object with Range, PUT object, GET ?lifecycle,
** GET ?max-keys=2&prefix=J, all with the documentation's example key at
** 20130524T000000Z), plus percent-encoding and canonicalisation cases.
*/
#include "test.h"
#include "store/sigv4.h"

#define KEY_ID "AKIAIOSFODNN7EXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define HOST   "examplebucket.s3.amazonaws.com"
#define DATE   "20130524T000000Z"
#define EMPTY  SDB_SIGV4_EMPTY_SHA256

/* zKey encoded as a path (slashes kept) the way s3.c builds its request
** paths: a new sdbMalloc'd string (caller frees), NULL on OOM. */
static char *encodePath(const char *zKey) {
  SdbBuf b = {0};
  if (sdbSigv4Encode(&b, zKey, strlen(zKey), 1) || sdbBufAppend(&b, "", 1)) {
    sdbBufFree(&b);
    return NULL;
  }
  return (char *)sdbBufDetach(&b);
}

/* Sign and compare the signature; also return the Authorization value. */
static int signIs(const SdbSigv4Req *p, const char *zWant, char **pzAuth) {
  char zSig[65] = "";
  char *zAuth = sdbSigv4Authorization(p, KEY_ID, SECRET, zSig);
  int ok = zAuth && strcmp(zSig, zWant) == 0;
  if (!ok) printf("  got signature %s\n", zSig);
  if (pzAuth) *pzAuth = zAuth; else sdbFree(zAuth);
  return ok;
}

/* sha256(canonical request) of p equals zWant. */
static int canonHashIs(const SdbSigv4Req *p, const char *zWant) {
  char *zCanon = NULL, *zSigned = NULL, zHash[65];
  if (sdbSigv4CanonicalRequest(p, &zCanon, &zSigned)) return 0;
  sdbSigv4Sha256Hex(zCanon, strlen(zCanon), zHash);
  int ok = strcmp(zHash, zWant) == 0;
  if (!ok) printf("  canonical request:\n%s\n", zCanon);
  sdbFree(zCanon);
  sdbFree(zSigned);
  return ok;
}

static void testGetObject(void) {
  SdbSigv4Pair aH[] = {
    {"Host", HOST}, {"Range", "bytes=0-9"}, {"x-amz-content-sha256", EMPTY}, {"x-amz-date", DATE},
  };
  SdbSigv4Req r = {"GET", "/test.txt", NULL, 0, aH, 4, EMPTY, DATE, "us-east-1", "s3"};
  char *zAuth = NULL;
  CHECK("sigv4: GET object canonical request",
        canonHashIs(&r, "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"));
  CHECK("sigv4: GET object signature",
        signIs(&r, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41", &zAuth));
  CHECKF("sigv4: GET object Authorization header",
         zAuth && strcmp(zAuth, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/"
                         "s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                         "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41") == 0,
         "%s", zAuth ? zAuth : "(null)");
  sdbFree(zAuth);
}

static void testPutObject(void) {
  const char *zBody = "Welcome to Amazon S3.";
  char zHash[65];
  sdbSigv4Sha256Hex(zBody, strlen(zBody), zHash);
  CHECK("sigv4: PUT payload hash",
        strcmp(zHash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072") == 0);
  char *zPath = encodePath("/test$file.text");
  CHECK("sigv4: PUT path encodes $", zPath && strcmp(zPath, "/test%24file.text") == 0);
  SdbSigv4Pair aH[] = {
    {"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"Host", HOST}, {"x-amz-date", DATE},
    {"x-amz-storage-class", "REDUCED_REDUNDANCY"}, {"x-amz-content-sha256", zHash},
  };
  SdbSigv4Req r = {"PUT", zPath, NULL, 0, aH, 5, zHash, DATE, "us-east-1", "s3"};
  char *zCanon = NULL, *zSigned = NULL;
  sdbSigv4CanonicalRequest(&r, &zCanon, &zSigned);
  char *zSts = zCanon ? sdbSigv4StringToSign(&r, zCanon) : NULL;
  CHECK("sigv4: PUT signed headers",
        zSigned && strcmp(zSigned, "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class") == 0);
  CHECK("sigv4: PUT string to sign",
        zSts && strcmp(zSts, "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
                       "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d") == 0);
  CHECK("sigv4: PUT object signature",
        signIs(&r, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd", NULL));
  sdbFree(zSts);
  sdbFree(zCanon);
  sdbFree(zSigned);
  sdbFree(zPath);
}

static void testBucketQueries(void) {
  SdbSigv4Pair aH[] = {{"host", HOST}, {"x-amz-content-sha256", EMPTY}, {"x-amz-date", DATE}};
  SdbSigv4Pair aLife[] = {{"lifecycle", ""}};
  SdbSigv4Req r = {"GET", "/", aLife, 1, aH, 3, EMPTY, DATE, "us-east-1", NULL};
  CHECK("sigv4: GET ?lifecycle canonical request",
        canonHashIs(&r, "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca"));
  CHECK("sigv4: GET ?lifecycle signature",
        signIs(&r, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543", NULL));
  SdbSigv4Pair aList[] = {{"prefix", "J"}, {"max-keys", "2"}};   /* unsorted on purpose */
  r.aQuery = aList;
  r.nQuery = 2;
  CHECK("sigv4: ListObjects ?max-keys=2&prefix=J signature",
        signIs(&r, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7", NULL));
}

/* encodePath(zIn) == zWant */
static int pathIs(const char *zIn, const char *zWant) {
  char *z = encodePath(zIn);
  int ok = z && strcmp(z, zWant) == 0;
  if (!ok) printf("  %s -> %s (want %s)\n", zIn, z ? z : "(null)", zWant);
  sdbFree(z);
  return ok;
}

static int queryIs(const SdbSigv4Pair *a, int n, const char *zWant) {
  char *z = sdbSigv4CanonicalQuery(a, n);
  int ok = z && strcmp(z, zWant) == 0;
  if (!ok) printf("  query -> %s (want %s)\n", z ? z : "(null)", zWant);
  sdbFree(z);
  return ok;
}

static void testEncoding(void) {
  CHECK("sigv4: path with space, plus, equals",
        pathIs("/bkt/dir/obj one+=.txt", "/bkt/dir/obj%20one%2B%3D.txt"));
  CHECK("sigv4: path non-ASCII", pathIs("/bkt/a/\xc3\xa9", "/bkt/a/%C3%A9"));
  CHECK("sigv4: path percent", pathIs("/bkt/a/b%c", "/bkt/a/b%25c"));
  CHECK("sigv4: path unreserved kept", pathIs("/bkt/A-z_0.9~", "/bkt/A-z_0.9~"));
  CHECK("sigv4: path sub-delims encoded", pathIs("/a/~!*'()", "/a/~%21%2A%27%28%29"));
  SdbSigv4Pair aQ[] = {{"prefix", "db/wal/"}, {"list-type", "2"}, {"continuation-token", "a b+c=="}};
  CHECK("sigv4: query sorted, '/' and '+' encoded",
        queryIs(aQ, 3, "continuation-token=a%20b%2Bc%3D%3D&list-type=2&prefix=db%2Fwal%2F"));
  SdbSigv4Pair aEmpty[] = {{"uploads", ""}, {"delete", NULL}};
  CHECK("sigv4: valueless parameters get '='", queryIs(aEmpty, 2, "delete=&uploads="));
  SdbSigv4Pair aSame[] = {{"a", "2"}, {"a", "1"}};
  CHECK("sigv4: equal names sort by value", queryIs(aSame, 2, "a=1&a=2"));
  CHECK("sigv4: no parameters", queryIs(NULL, 0, ""));
  char zDate[17];
  sdbSigv4AmzDate(1369353600, zDate);
  CHECK("sigv4: amz date", strcmp(zDate, DATE) == 0);
}

static void testHeaders(void) {
  SdbSigv4Pair aH[] = {
    {"X-Amz-Meta-SlatedbPutId", "  01M80JJDW74PH8VZWSX64XE83X  "}, {"Host", "h:9000"},
    {"x-amz-date", DATE}, {"x-amz-content-sha256", EMPTY},
    {"X-Amz-Security-Token", "tok  with   spaces"}, {"If-None-Match", "*"},
  };
  SdbSigv4Req r = {"PUT", "/b/k", NULL, 0, aH, 6, EMPTY, DATE, "eu-west-1", "s3"};
  char *zCanon = NULL, *zSigned = NULL;
  CHECK("sigv4: canonical request builds", sdbSigv4CanonicalRequest(&r, &zCanon, &zSigned) == SDB_OK);
  CHECKF("sigv4: headers lower-cased and sorted",
         zSigned && strcmp(zSigned, "host;if-none-match;x-amz-content-sha256;x-amz-date;"
                           "x-amz-meta-slatedbputid;x-amz-security-token") == 0, "%s", zSigned);
  CHECK("sigv4: values trimmed and collapsed",
        zCanon && strstr(zCanon, "\nx-amz-meta-slatedbputid:01M80JJDW74PH8VZWSX64XE83X\n") &&
        strstr(zCanon, "\nx-amz-security-token:tok with spaces\n"));
  CHECK("sigv4: canonical request layout",
        zCanon && strncmp(zCanon, "PUT\n/b/k\n\nhost:h:9000\nif-none-match:*\n", 37) == 0);
  sdbFree(zCanon);
  sdbFree(zSigned);
  char *zAuth = sdbSigv4Authorization(&r, KEY_ID, SECRET, NULL);
  CHECK("sigv4: credential scope carries the region",
        zAuth && strstr(zAuth, "Credential=AKIAIOSFODNN7EXAMPLE/20130524/eu-west-1/s3/aws4_request,") &&
        !strstr(zAuth, SECRET));
  sdbFree(zAuth);
}

int main(void) {
  testGetObject();
  testPutObject();
  testBucketQueries();
  testEncoding();
  testHeaders();
  return test_done();
}
