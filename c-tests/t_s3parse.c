/*
** t_s3parse.c: the checks of the values that shape S3 request URLs and the
** parsers of S3 answers (core/store/s3parse.c), without a server:
**
**   - bucket names follow S3's rules; regions are [a-z0-9-]+; endpoints are
**     http(s)://host[:port] without user information, query or fragment (a
**     path only where the environment gives one); prefixes have no ".", ".."
**     or empty segment; values with '@' are not shown in messages;
**   - Content-Range is parsed strictly: signs, spaces, overflow and ranges
**     that contradict themselves or their total are rejected; a 206 body is
**     complete only if its range starts where asked, covers the body and ends
**     where asked (a range "0-18446744073709551615" once made an empty body
**     look complete: last - first + 1 wrapped to 0);
**   - Content-Length and listing sizes are digits only;
**   - listing pages: keys decoded and made relative, continuation tokens
**     required when truncated and bounded; error bodies decoded.
*/
#include <stdio.h>
#include <string.h>

#include "store/s3parse.h"
#include "test.h"

static void testBuckets(void) {
  static const char *const azOk[] = {"abc", "my-bucket.example", "a1b", "sdbt-123-4",
                                     "1.2.3.4a"};
  static const char *const azBad[] = {"ab", "My-Bucket", "my_bucket", ".abc", "abc-", "a..b",
                                      "192.168.1.1", "xn--abc", "abc-s3alias", "abc--ol-s3",
                                      "a/b", "a@b.c", "a:b", "abc ", ""};
  int nOk = 0, nBad = 0;
  for (size_t i = 0; i < SDB_ARRAY_SIZE(azOk); i++) nOk += !sdbS3BucketProblem(azOk[i], strlen(azOk[i]));
  for (size_t i = 0; i < SDB_ARRAY_SIZE(azBad); i++) {
    int bBad = sdbS3BucketProblem(azBad[i], strlen(azBad[i])) != NULL;
    if (!bBad) printf("# bucket accepted: %s\n", azBad[i]);
    nBad += bBad;
  }
  char z64[65];
  memset(z64, 'a', 64);
  z64[64] = 0;
  CHECK("s3parse: bucket names follow S3's rules",
        nOk == (int)SDB_ARRAY_SIZE(azOk) && nBad == (int)SDB_ARRAY_SIZE(azBad) &&
        sdbS3BucketProblem(z64, 63) == NULL && sdbS3BucketProblem(z64, 64) != NULL);
}

static void testRegions(void) {
  CHECK("s3parse: regions are [a-z0-9-]+",
        !sdbS3RegionProblem("us-east-1") && !sdbS3RegionProblem("eu-central-2") &&
        sdbS3RegionProblem("") && sdbS3RegionProblem("US-EAST-1") &&
        sdbS3RegionProblem("x@localhost:443/") && sdbS3RegionProblem("attacker.example/") &&
        sdbS3RegionProblem("us east") && sdbS3RegionProblem("a.b"));
}

static void testEndpoints(void) {
  static const char *const azOk[] = {"https://s3.amazonaws.com", "http://127.0.0.1:9000",
                                     "HTTPS://Example.COM:1", "https://[::1]:9000", "http://h/",
                                     "https://h:65535"};
  static const char *const azBad[] = {"ftp://h", "file:///etc/passwd", "https://", "http://:80",
                                      "https://u:p@h", "https://u@h", "https://h/p@x",
                                      "https://h?x=1", "https://h#f", "https://h:0",
                                      "https://h:65536", "https://h:", "https://h:8a",
                                      "https://[zz]", "https://[]:1", "https://h\\x",
                                      "https://h x", "https://h\n", "https://h%2e",
                                      "https://h/path", "//h", "h:9000"};
  int nOk = 0, nBad = 0;
  for (size_t i = 0; i < SDB_ARRAY_SIZE(azOk); i++) nOk += !sdbS3EndpointProblem(azOk[i], 0);
  for (size_t i = 0; i < SDB_ARRAY_SIZE(azBad); i++) {
    int bBad = sdbS3EndpointProblem(azBad[i], 0) != NULL;
    if (!bBad) printf("# endpoint accepted: %s\n", azBad[i]);
    nBad += bBad;
  }
  CHECK("s3parse: endpoints are http(s)://host[:port] only",
        nOk == (int)SDB_ARRAY_SIZE(azOk) && nBad == (int)SDB_ARRAY_SIZE(azBad));
  CHECK("s3parse: a path is allowed only where the environment gives it",
        !sdbS3EndpointProblem("https://h:1/s3/v1", 1) && sdbS3EndpointProblem("https://h:1/s3/v1", 0) &&
        sdbS3EndpointProblem("https://h/a%2F", 1) && sdbS3EndpointProblem("https://h/a@b", 1));
}

static void testPrefixesAndShow(void) {
  CHECK("s3parse: prefixes have no '.', '..' or empty segments",
        !sdbS3PrefixProblem("") && !sdbS3PrefixProblem("db") && !sdbS3PrefixProblem("a/b.c/..d") &&
        sdbS3PrefixProblem("..") && sdbS3PrefixProblem("a/../b") && sdbS3PrefixProblem("a/./b") &&
        sdbS3PrefixProblem("a//b") && sdbS3PrefixProblem("a\nb"));
  CHECK("s3parse: values with '@', '?', '#' or control characters are not shown",
        sdbS3Showable("https://h:1") && !sdbS3Showable("https://k:s@h") &&
        !sdbS3Showable("https://h?X-Amz-Signature=1") && !sdbS3Showable("a\nb"));
}

static int range(const char *z, int bR, u64 a, u64 b, int bT, u64 t) {
  SdbS3Range r;
  sdbS3ParseContentRange(z, &r);
  int ok = r.bHasRange == bR && r.bHasTotal == bT && (!bR || (r.iFirst == a && r.iLast == b)) &&
           (!bT || r.nTotal == t);
  if (!ok) printf("# Content-Range \"%s\": %d %llu-%llu %d %llu\n", z, r.bHasRange,
                  (unsigned long long)r.iFirst, (unsigned long long)r.iLast, r.bHasTotal,
                  (unsigned long long)r.nTotal);
  return ok;
}

static void testHeaders(void) {
  int ok = range("bytes 0-99/1000", 1, 0, 99, 1, 1000) && range("bytes 5-5/*", 1, 5, 5, 0, 0) &&
           range("bytes */42", 0, 0, 0, 1, 42) && range("BYTES  7-9/10", 1, 7, 9, 1, 10);
  CHECK("s3parse: Content-Range: valid forms", ok);
  ok = range("bytes 0-18446744073709551615/*", 1, 0, UINT64_MAX, 0, 0) &&
       range("bytes 0-18446744073709551616/*", 0, 0, 0, 0, 0) &&
       range("bytes -5-10/20", 0, 0, 0, 0, 0) && range("bytes +5-10/20", 0, 0, 0, 0, 0) &&
       range("bytes 10-5/20", 0, 0, 0, 0, 0) && range("bytes 0-20/20", 0, 0, 0, 0, 0) &&
       range("bytes 0-5/20x", 0, 0, 0, 0, 0) && range("bytes 0- 5/20", 0, 0, 0, 0, 0) &&
       range("bytes0-5/20", 0, 0, 0, 0, 0) && range("items 0-5/20", 0, 0, 0, 0, 0) &&
       range("bytes */", 0, 0, 0, 0, 0) && range("", 0, 0, 0, 0, 0);
  CHECK("s3parse: Content-Range: signs, overflow and contradictions are rejected", ok);
  SdbS3Range r;
  sdbS3ParseContentRange("bytes 0-18446744073709551615/*", &r);
  int bWrap = sdbS3RangeComplete(&r, 0, 100, 0);
  sdbS3ParseContentRange("bytes 10-19/100", &r);
  int bOk = sdbS3RangeComplete(&r, 10, 10, 10) && !sdbS3RangeComplete(&r, 10, 20, 10) &&
            !sdbS3RangeComplete(&r, 11, 9, 10) && !sdbS3RangeComplete(&r, 10, 10, 9);
  sdbS3ParseContentRange("bytes 90-99/100", &r);
  bOk = bOk && sdbS3RangeComplete(&r, 90, SDB_TO_END, 10) && sdbS3RangeComplete(&r, 90, 50, 10);
  sdbS3ParseContentRange("bytes 5-5/100", &r);
  bOk = bOk && sdbS3RangeComplete(&r, 5, 0, 1) && !sdbS3RangeComplete(&r, 5, 0, 0);
  CHECK("s3parse: a 206 body is complete only for the range asked (no wrap-around)", !bWrap && bOk);
  u64 n = 7;
  CHECK("s3parse: decimal header values are digits only",
        sdbS3ParseU64("0", &n) && n == 0 && sdbS3ParseU64("18446744073709551615", &n) &&
        n == UINT64_MAX && !sdbS3ParseU64("18446744073709551616", &n) &&
        !sdbS3ParseU64("-1", &n) && !sdbS3ParseU64(" 1", &n) && !sdbS3ParseU64("1 ", &n) &&
        !sdbS3ParseU64("", &n));
}

static void testListing(void) {
  const char *zPage =
    "<ListBucketResult><IsTruncated>true</IsTruncated>"
    "<NextContinuationToken>tok&amp;1</NextContinuationToken>"
    "<Contents><Key>db/a&amp;b&#x1F600;</Key><Size>12</Size>"
    "<LastModified>2024-01-02T03:04:05.678Z</LastModified></Contents>"
    "<Contents><Key>other/x</Key><Size>1</Size></Contents>"
    "<Contents><Key>db/neg</Key><Size>-1</Size></Contents></ListBucketResult>";
  SdbObjList l;
  memset(&l, 0, sizeof(l));
  char *zNext = NULL;
  int rc = sdbS3ListParse((const u8 *)zPage, strlen(zPage), "db/", &l);
  int rc2 = sdbS3ListNext((const u8 *)zPage, strlen(zPage), &zNext);
  CHECKF("s3parse: a listing page: keys relative and decoded, sizes checked, token decoded",
         rc == SDB_OK && l.n == 2 && strcmp(l.a[0].zKey, "a&b\xF0\x9F\x98\x80") == 0 &&
         l.a[0].size == 12 && l.a[0].mtimeMs == 1704164645678LL && l.a[1].size == 0 &&
         rc2 == SDB_OK && zNext && strcmp(zNext, "tok&1") == 0,
         "rc=%d n=%d rc2=%d next=%s", rc, l.n, rc2, zNext ? zNext : "-");
  sdbObjListFree(&l);
  sdbFree(zNext);
  const char *zNoTok = "<IsTruncated>true</IsTruncated><NextContinuationToken></NextContinuationToken>";
  rc = sdbS3ListNext((const u8 *)zNoTok, strlen(zNoTok), &zNext);
  int bAbsent = rc == SDB_CORRUPT && !zNext;
  SdbBuf b = {0};
  sdbBufAppend(&b, "<IsTruncated>true</IsTruncated><NextContinuationToken>", 54);
  for (int i = 0; i < 5000; i++) sdbBufAppend(&b, "x", 1);
  sdbBufAppend(&b, "</NextContinuationToken>", 24);
  rc = sdbS3ListNext(b.a, b.n, &zNext);
  sdbBufFree(&b);
  const char *zLast = "<IsTruncated>false</IsTruncated>";
  int rc3 = sdbS3ListNext((const u8 *)zLast, strlen(zLast), &zNext);
  CHECK("s3parse: a truncated page needs a token of at most 4096 bytes",
        bAbsent && rc == SDB_CORRUPT && rc3 == SDB_OK && !zNext);
  const char *zErr = "<Error><Code>NoSuchKey</Code><Message>a &lt;b&gt; &#0; &#x110000; &bogus;</Message></Error>";
  char zCode[64], zMsg[64], zTiny[4];
  sdbS3XmlText((const u8 *)zErr, strlen(zErr), "Code", zCode, sizeof(zCode));
  sdbS3XmlText((const u8 *)zErr, strlen(zErr), "Message", zMsg, sizeof(zMsg));
  size_t nTiny = sdbS3XmlText((const u8 *)zErr, strlen(zErr), "Code", zTiny, sizeof(zTiny));
  CHECKF("s3parse: error bodies: entities decoded, invalid ones kept, output bounded",
         strcmp(zCode, "NoSuchKey") == 0 && strcmp(zMsg, "a <b> &#0; &#x110000; &bogus;") == 0 &&
         nTiny == 9 && strcmp(zTiny, "NoS") == 0, "%s|%s|%s", zCode, zMsg, zTiny);
}

/* sdbS3ListParseTop of zPage (root "db/", nMax): rc, names joined by ','. */
static int topOf(const char *zPage, int nMax, char *zOut, size_t nOut) {
  SdbObjList l;
  memset(&l, 0, sizeof(l));
  int rc = sdbS3ListParseTop((const u8 *)zPage, strlen(zPage), "db/", nMax, &l);
  sdbObjListSort(&l);
  zOut[0] = 0;
  for (int i = 0; i < l.n; i++) {
    size_t n = strlen(zOut);
    snprintf(zOut + n, nOut - n, "%s%s", i ? "," : "", l.a[i].zKey);
  }
  sdbObjListFree(&l);
  return rc;
}

/* A page listed with a delimiter: objects and folders relative to the root,
** decoded, the root's own marker skipped; anything short of a whole answer
** (cut, no IsTruncated, truncated early, a name outside the root, a
** CommonPrefixes without Prefix) is SDB_CORRUPT, never "empty". */
static void testListingFolders(void) {
  char z[256];
  const char *zHead = "<?xml version=\"1.0\"?>\n<ListBucketResult xmlns=\"x\"><Prefix>db/</Prefix>";
  const char *zBody = "<Contents><Key>db/a.txt</Key><Size>3</Size></Contents>"
    "<Contents><Key>db/</Key><Size>0</Size></Contents>"
    "<CommonPrefixes><Prefix>db/wal/</Prefix></CommonPrefixes>"
    "<CommonPrefixes><Prefix>db/x&amp;y/</Prefix></CommonPrefixes>";
  char zPage[1024];
  snprintf(zPage, sizeof(zPage), "%s<IsTruncated>false</IsTruncated>%s</ListBucketResult>\n",
           zHead, zBody);
  int rc = topOf(zPage, 8, z, sizeof(z));
  CHECKF("s3parse: top listing: objects and folders, relative, decoded, marker skipped",
         rc == SDB_OK && strcmp(z, "a.txt,wal/,x&y/") == 0, "rc=%d %s", rc, z);
  zPage[strlen(zPage) - 5] = 0;   /* cut inside the closing tag */
  rc = topOf(zPage, 8, z, sizeof(z));
  CHECKF("s3parse: top listing: a cut answer is corrupt", rc == SDB_CORRUPT, "rc=%d", rc);
  snprintf(zPage, sizeof(zPage), "%s%s</ListBucketResult>", zHead, zBody);
  rc = topOf(zPage, 8, z, sizeof(z));
  CHECKF("s3parse: top listing: no IsTruncated is corrupt", rc == SDB_CORRUPT, "rc=%d", rc);
  snprintf(zPage, sizeof(zPage), "%s<IsTruncated>true</IsTruncated>%s</ListBucketResult>",
           zHead, zBody);
  rc = topOf(zPage, 8, z, sizeof(z));
  int rc2 = topOf(zPage, 3, z, sizeof(z));
  CHECKF("s3parse: top listing: truncated before nMax names is corrupt, after is not",
         rc == SDB_CORRUPT && rc2 == SDB_OK, "rc=%d rc2=%d", rc, rc2);
  snprintf(zPage, sizeof(zPage), "%s<IsTruncated>false</IsTruncated>%s<CommonPrefixes><Prefix>"
           "other/</Prefix></CommonPrefixes></ListBucketResult>", zHead, zBody);
  rc = topOf(zPage, 8, z, sizeof(z));
  snprintf(zPage, sizeof(zPage), "%s<IsTruncated>false</IsTruncated><CommonPrefixes>"
           "</CommonPrefixes></ListBucketResult>", zHead);
  rc2 = topOf(zPage, 8, z, sizeof(z));
  CHECKF("s3parse: top listing: a name outside the root or without a Prefix is corrupt",
         rc == SDB_CORRUPT && rc2 == SDB_CORRUPT, "rc=%d rc2=%d", rc, rc2);
}

int main(void) {
  testBuckets();
  testRegions();
  testEndpoints();
  testPrefixesAndShow();
  testHeaders();
  testListing();
  testListingFolders();
  return test_done();
}
