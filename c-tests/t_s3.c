/*
** t_s3.c: the S3 object store against moto behind a strict SigV4-verifying,
** fault-injecting proxy (started by `make test`).
**
** Environment (exported by the test harness):
**   AWS_ENDPOINT      the proxy (requests are signed for it)
**   AWS_ALLOW_HTTP=true, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
**   SDB_TEST_MOTO     moto itself (buckets are created there, unsigned)
**   SDB_TEST_PROXY    the proxy's base URL for /__proxy/{rules,reset,stats}
** Without SDB_TEST_PROXY the program prints SKIP and exits 0.
**
** Covered: put/get/range/head/list/delete, awkward keys and prefixes (no
** signature failures), list pagination, create-only races, the put-id check
** after lost replies, unknown outcomes of create-only PUTs and of commits
** (settled by the writer before its next write), retries under
** 503/409/drops/short bodies, timeouts (hang, unreachable endpoint), 403 and
** missing-bucket errors, allow_http,
** parallel xGetMany, the credential hardening for non-environment endpoints,
** concurrent use from several threads, scans reading ahead in the background,
** and multipart uploads of large PUTs (retried parts, abort).
*/
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "test.h"
#include "store/objstore.h"
#include "slatedb.h"

static const char *zMoto;      /* $SDB_TEST_MOTO */
static const char *zProxy;     /* $SDB_TEST_PROXY */
static int iBucket = 0;        /* bucket name counter */

/* ------------------------------------------------------------ helpers */

static long long nowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t onBody(char *a, size_t sz, size_t n, void *pArg) {
  sdbBufAppend((SdbBuf *)pArg, a, sz * n);
  return sz * n;
}

/* Unsigned HTTP request; returns the status (0 on transport error). The
** response body goes to pOut if not NULL. */
static long http(const char *zMethod, const char *zUrl, const char *zBody, SdbBuf *pOut) {
  CURL *h = curl_easy_init();
  SdbBuf junk = {0};
  long st = 0;
  curl_easy_setopt(h, CURLOPT_URL, zUrl);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, zMethod);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, pOut ? pOut : &junk);
  if (zBody) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, zBody);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(zBody));
  }
  if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
  curl_easy_cleanup(h);
  sdbBufFree(&junk);
  return st;
}

/* Replace the proxy's rules (JSON list). */
static void rules(const char *zJson) {
  char zUrl[512];
  snprintf(zUrl, sizeof(zUrl), "%s/__proxy/rules", zProxy);
  long st = http("POST", zUrl, zJson, NULL);
  if (st != 200) printf("# proxy rules answered %ld for %s\n", st, zJson);
}

static void proxyReset(void) {
  char zUrl[512];
  snprintf(zUrl, sizeof(zUrl), "%s/__proxy/reset", zProxy);
  http("POST", zUrl, "", NULL);
}

/* Integer counter zName from /__proxy/stats (-1 if absent). */
static long long proxyStat(const char *zName) {
  char zUrl[512], zPat[128];
  SdbBuf b = {0};
  snprintf(zUrl, sizeof(zUrl), "%s/__proxy/stats", zProxy);
  http("GET", zUrl, NULL, &b);
  sdbBufAppend(&b, "", 1);
  snprintf(zPat, sizeof(zPat), "\"%s\":", zName);
  const char *z = b.a ? strstr((const char *)b.a, zPat) : NULL;
  long long v = z ? strtoll(z + strlen(zPat), NULL, 10) : -1;
  sdbBufFree(&b);
  return v;
}

/* Create a new bucket on moto directly; its name into zOut[64]. */
static void newBucket(char *zOut) {
  char zUrl[512];
  snprintf(zOut, 64, "sdbt-%d-%d", (int)getpid(), ++iBucket);
  snprintf(zUrl, sizeof(zUrl), "%s/%s", zMoto, zOut);
  long st = http("PUT", zUrl, "", NULL);
  if (st != 200) printf("# creating bucket %s answered %ld\n", zOut, st);
}

/* Default configuration: everything from the environment. */
static SdbS3Config defCfg(void) {
  SdbS3Config c;
  memset(&c, 0, sizeof(c));
  c.eAllowHttp = -1;
  c.eVirtualHosted = -1;
  return c;
}

/* Open s3://zBucket/zPrefix with pCfg (NULL = defaults). NULL on failure. */
static SdbStore *openStore(const char *zBucket, const char *zPrefix, const SdbS3Config *pCfg) {
  char zUrl[512];
  SdbStore *s = NULL;
  SdbErr err = {0};
  snprintf(zUrl, sizeof(zUrl), "s3://%s%s%s", zBucket, zPrefix ? "/" : "", zPrefix ? zPrefix : "");
  int rc = sdbStoreOpenS3(zUrl, pCfg, 0, &s, &err);
  if (rc) printf("# open %s: rc=%d %s\n", zUrl, rc, err.zMsg);
  return s;
}

static int put(SdbStore *s, const char *zKey, const void *a, size_t n, int bIfAbsent, SdbErr *pErr) {
  return s->pMethods->xPut(s, zKey, (const u8 *)a, n, bIfAbsent, pErr);
}

static int putStr(SdbStore *s, const char *zKey, const char *zVal, int bIfAbsent, SdbErr *pErr) {
  return put(s, zKey, zVal, strlen(zVal), bIfAbsent, pErr);
}

/* zKey reads back as exactly a[0..n). */
static int getIs(SdbStore *s, const char *zKey, const void *a, size_t n) {
  SdbBuf b = {0};
  SdbErr err = {0};
  int rc = s->pMethods->xGet(s, zKey, 0, SDB_TO_END, &b, &err);
  int ok = rc == SDB_OK && b.n == n && (n == 0 || memcmp(b.a, a, n) == 0);
  if (!ok) printf("# get %s: rc=%d n=%zu (want %zu) %s\n", zKey, rc, b.n, n, err.zMsg);
  sdbBufFree(&b);
  return ok;
}

/* Deterministic test bytes. */
static u8 *pattern(size_t n, unsigned seed) {
  u8 *a = sdbMalloc(n);
  for (size_t i = 0; i < n; i++) a[i] = (u8)((i * 31 + seed * 7 + (i >> 8)) & 0xff);
  return a;
}

/* ------------------------------------------------------------ tests */

static void testBasics(void) {
  char zB[64];
  SdbErr err = {0};
  SdbBuf b = {0};
  newBucket(zB);
  SdbStore *s = openStore(zB, "db", NULL);
  CHECK("s3: open", s != NULL);
  if (!s) return;
  CHECK("s3: put", putStr(s, "wal/00000000000000000001.sst", "hello world", 0, &err) == SDB_OK);
  CHECK("s3: get whole", getIs(s, "wal/00000000000000000001.sst", "hello world", 11));
  CHECK("s3: range get",
        s->pMethods->xGet(s, "wal/00000000000000000001.sst", 6, 5, &b, &err) == SDB_OK && b.n == 5 &&
        memcmp(b.a, "world", 5) == 0);
  CHECK("s3: range to the end",
        s->pMethods->xGet(s, "wal/00000000000000000001.sst", 4, SDB_TO_END, &b, &err) == SDB_OK &&
        b.n == 7 && memcmp(b.a, "o world", 7) == 0);
  CHECK("s3: range past the end is clipped",
        s->pMethods->xGet(s, "wal/00000000000000000001.sst", 8, 100, &b, &err) == SDB_OK && b.n == 3 &&
        memcmp(b.a, "rld", 3) == 0);
  int rc = s->pMethods->xGet(s, "wal/00000000000000000001.sst", 11, 5, &b, &err);
  CHECKF("s3: range starting at the end is empty", rc == SDB_OK && b.n == 0, "rc=%d n=%zu %s", rc, b.n, err.zMsg);
  rc = s->pMethods->xGet(s, "wal/00000000000000000001.sst", 50, SDB_TO_END, &b, &err);
  CHECKF("s3: range starting past the end is empty", rc == SDB_OK && b.n == 0, "rc=%d %s", rc, err.zMsg);
  CHECK("s3: zero-length read",
        s->pMethods->xGet(s, "wal/00000000000000000001.sst", 3, 0, &b, &err) == SDB_OK && b.n == 0);
  CHECK("s3: empty object", putStr(s, "empty", "", 0, &err) == SDB_OK && getIs(s, "empty", "", 0));
  rc = s->pMethods->xGet(s, "wal/00000000000000000009.sst", 0, SDB_TO_END, &b, &err);
  CHECKF("s3: missing object is SDB_NOTFOUND", rc == SDB_NOTFOUND, "rc=%d %s", rc, err.zMsg);
  u64 size = 0;
  CHECK("s3: head", s->pMethods->xHead(s, "wal/00000000000000000001.sst", &size, &err) == SDB_OK && size == 11);
  rc = s->pMethods->xHead(s, "nope", &size, &err);
  CHECKF("s3: head of a missing object", rc == SDB_NOTFOUND, "rc=%d", rc);
  putStr(s, "wal/00000000000000000003.sst", "c", 0, &err);
  putStr(s, "wal/00000000000000000002.sst", "b", 0, &err);
  putStr(s, "walrus/x", "x", 0, &err);
  SdbObjList l = {0};
  CHECK("s3: list", s->pMethods->xList(s, "wal/", &l, &err) == SDB_OK);
  CHECKF("s3: list is sorted, relative and prefix-exact",
         l.n == 3 && strcmp(l.a[0].zKey, "wal/00000000000000000001.sst") == 0 &&
         strcmp(l.a[2].zKey, "wal/00000000000000000003.sst") == 0 && l.a[0].size == 11 &&
         l.a[2].size == 1 && l.a[0].mtimeMs > 1600000000000LL, "n=%d", l.n);
  CHECK("s3: list everything", s->pMethods->xList(s, "", &l, &err) == SDB_OK && l.n == 5);
  CHECK("s3: list of a missing folder is empty",
        s->pMethods->xList(s, "compacted/", &l, &err) == SDB_OK && l.n == 0);
  CHECK("s3: delete", s->pMethods->xDelete(s, "wal/00000000000000000002.sst", &err) == SDB_OK);
  CHECK("s3: delete of a missing object is OK",
        s->pMethods->xDelete(s, "wal/00000000000000000002.sst", &err) == SDB_OK);
  CHECK("s3: list after delete", s->pMethods->xList(s, "wal/", &l, &err) == SDB_OK && l.n == 2);
  CHECK("s3: stats counted", s->stats.nGet >= 8 && s->stats.nPut == 5 && s->stats.nList >= 4 &&
                             s->stats.nDelete == 2 && s->stats.nHead == 2 && s->stats.nBytesOut == 14);
  sdbObjListFree(&l);
  sdbBufFree(&b);
  sdbStoreFree(s);
}

static void testAwkwardKeys(void) {
  const char *azKey[] = {"a/b c", "a/b+c", "a/b=c", "a/b%c", "a/\xc3\xa9", "a/~!*'()", "a/x&y<z>"};
  int nKey = SDB_ARRAY_SIZE(azKey);
  char zB[64];
  SdbErr err = {0};
  SdbObjList l = {0};
  newBucket(zB);
  proxyReset();
  SdbStore *s = openStore(zB, "db", NULL);
  if (!s) return;
  int nOk = 0;
  for (int i = 0; i < nKey; i++) nOk += putStr(s, azKey[i], azKey[i], 1, &err) == SDB_OK;
  CHECKF("s3: awkward keys put", nOk == nKey, "%d of %d: %s", nOk, nKey, err.zMsg);
  nOk = 0;
  for (int i = 0; i < nKey; i++) nOk += getIs(s, azKey[i], azKey[i], strlen(azKey[i]));
  CHECKF("s3: awkward keys get", nOk == nKey, "%d of %d", nOk, nKey);
  int rc = s->pMethods->xList(s, "a/", &l, &err);
  int nFound = 0;
  for (int i = 0; rc == SDB_OK && i < l.n; i++) {
    for (int j = 0; j < nKey; j++) nFound += strcmp(l.a[i].zKey, azKey[j]) == 0;
  }
  CHECKF("s3: awkward keys listed (XML entities decoded)", rc == SDB_OK && l.n == nKey && nFound == nKey,
         "rc=%d n=%d found=%d", rc, l.n, nFound);
  nOk = 0;
  for (int i = 0; i < nKey; i++) nOk += s->pMethods->xDelete(s, azKey[i], &err) == SDB_OK;
  CHECK("s3: awkward keys deleted",
        nOk == nKey && s->pMethods->xList(s, "a/", &l, &err) == SDB_OK && l.n == 0);
  CHECKF("s3: no signature failures for awkward keys", proxyStat("sigv4_fail") == 0,
         "sigv4_fail=%lld", proxyStat("sigv4_fail"));
  sdbObjListFree(&l);
  sdbStoreFree(s);
}

static void testAwkwardPrefix(void) {
  char zB[64];
  SdbErr err = {0};
  SdbObjList l = {0};
  newBucket(zB);
  proxyReset();
  SdbStore *s = openStore(zB, "my%20db/x+y=z%25/", NULL);   /* decoded: "my db/x+y=z%" */
  SdbStore *pRoot = openStore(zB, NULL, NULL);
  if (!s || !pRoot) return;
  CHECK("s3: prefix store descr", strncmp(s->zDescr, "s3://sdbt-", 10) == 0 && strstr(s->zDescr, "/my db/x+y=z%"));
  CHECK("s3: put under an awkward prefix", putStr(s, "manifest/1", "m", 1, &err) == SDB_OK);
  CHECK("s3: list under an awkward prefix",
        s->pMethods->xList(s, "", &l, &err) == SDB_OK && l.n == 1 && strcmp(l.a[0].zKey, "manifest/1") == 0);
  CHECKF("s3: the object key is prefix/key",
         pRoot->pMethods->xList(pRoot, "", &l, &err) == SDB_OK && l.n == 1 &&
         strcmp(l.a[0].zKey, "my db/x+y=z%/manifest/1") == 0, "n=%d %s", l.n, l.n ? l.a[0].zKey : "");
  CHECK("s3: get under an awkward prefix", getIs(s, "manifest/1", "m", 1));
  CHECK("s3: no signature failures for the prefix", proxyStat("sigv4_fail") == 0);
  sdbObjListFree(&l);
  sdbStoreFree(s);
  sdbStoreFree(pRoot);
}

static void testPagination(void) {
  char zB[64], zKey[64];
  SdbErr err = {0};
  SdbObjList l = {0};
  newBucket(zB);
  SdbStore *s = openStore(zB, "db", NULL);
  if (!s) return;
  int nOk = 0;
  for (int i = 0; i < 1005; i++) {
    snprintf(zKey, sizeof(zKey), "wal/%020d.sst", i);
    nOk += putStr(s, zKey, "x", 0, &err) == SDB_OK;
  }
  putStr(s, "other/1", "y", 0, &err);
  CHECKF("s3: 1005 puts", nOk == 1005, "%d: %s", nOk, err.zMsg);
  u64 nList0 = s->stats.nList;
  int rc = s->pMethods->xList(s, "wal/", &l, &err);
  int bSorted = 1;
  for (int i = 1; i < l.n; i++) bSorted &= strcmp(l.a[i - 1].zKey, l.a[i].zKey) < 0;
  CHECKF("s3: list follows continuation tokens", rc == SDB_OK && l.n == 1005 && bSorted,
         "rc=%d n=%d %s", rc, l.n, err.zMsg);
  CHECKF("s3: list took two pages", s->stats.nList - nList0 == 2, "%llu",
         (unsigned long long)(s->stats.nList - nList0));
  sdbObjListFree(&l);
  sdbStoreFree(s);
}

typedef struct RaceArg {
  SdbStore *s;
  int rc;
  char zVal[16];
} RaceArg;

static void *raceMain(void *pArg) {
  RaceArg *r = pArg;
  SdbErr err = {0};
  r->rc = putStr(r->s, "manifest/00000000000000000002.manifest", r->zVal, 1, &err);
  return NULL;
}

static void testCreateOnly(void) {
  char zB[64];
  SdbErr err = {0};
  newBucket(zB);
  SdbStore *s = openStore(zB, "db", NULL);
  if (!s) return;
  CHECK("s3: create-only on a new key", putStr(s, "manifest/00000000000000000001.manifest", "m1", 1, &err) == SDB_OK);
  int rc = putStr(s, "manifest/00000000000000000001.manifest", "m1-again", 1, &err);
  CHECKF("s3: second create is SDB_EXISTS", rc == SDB_EXISTS, "rc=%d %s", rc, err.zMsg);
  CHECK("s3: existing object unchanged", getIs(s, "manifest/00000000000000000001.manifest", "m1", 2));
  CHECK("s3: plain put overwrites", putStr(s, "manifest/00000000000000000001.manifest", "m1b", 0, &err) == SDB_OK &&
        getIs(s, "manifest/00000000000000000001.manifest", "m1b", 3));
  RaceArg a[6];
  pthread_t t[6];
  for (int i = 0; i < 6; i++) {
    a[i].s = s;
    snprintf(a[i].zVal, sizeof(a[i].zVal), "writer%d", i);
    pthread_create(&t[i], NULL, raceMain, &a[i]);
  }
  int nWin = 0, nExists = 0, iWin = -1;
  for (int i = 0; i < 6; i++) {
    pthread_join(t[i], NULL);
    if (a[i].rc == SDB_OK) { nWin++; iWin = i; }
    nExists += a[i].rc == SDB_EXISTS;
  }
  CHECKF("s3: concurrent creates: one winner", nWin == 1 && nExists == 5, "win=%d exists=%d", nWin, nExists);
  CHECK("s3: the winner's bytes are stored",
        iWin >= 0 && getIs(s, "manifest/00000000000000000002.manifest", a[iWin].zVal, strlen(a[iWin].zVal)));
  sdbStoreFree(s);
}

/* A create-only PUT whose reply is lost (rule zRule) still succeeds, once. */
static void putIdCase(const char *zName, const char *zRule, const char *zKey) {
  char zB[64];
  SdbErr err = {0};
  SdbObjList l = {0};
  newBucket(zB);
  SdbStore *s = openStore(zB, "db", NULL);
  if (!s) return;
  rules(zRule);
  int rc = putStr(s, zKey, "payload", 1, &err);
  long long nFaults = proxyStat("requests");
  proxyReset();
  char zMsg[160];
  snprintf(zMsg, sizeof(zMsg), "s3: put-id check: %s: create-only PUT succeeds", zName);
  CHECKF(zMsg, rc == SDB_OK && s->stats.nRetry >= 1, "rc=%d retries=%llu requests=%lld %s", rc,
         (unsigned long long)s->stats.nRetry, nFaults, err.zMsg);
  snprintf(zMsg, sizeof(zMsg), "s3: put-id check: %s: exactly one object", zName);
  CHECK(zMsg, s->pMethods->xList(s, "", &l, &err) == SDB_OK && l.n == 1 && getIs(s, zKey, "payload", 7));
  rc = putStr(s, zKey, "other", 1, &err);
  snprintf(zMsg, sizeof(zMsg), "s3: put-id check: %s: a later create is SDB_EXISTS", zName);
  CHECK(zMsg, rc == SDB_EXISTS);
  sdbObjListFree(&l);
  sdbStoreFree(s);
}

static void testPutId(void) {
  putIdCase("500 after forward",
            "[{\"method\":\"PUT\",\"path\":\"manifest\",\"status\":500,\"code\":\"InternalError\","
            "\"after_forward\":true,\"times\":1}]",
            "manifest/00000000000000000001.manifest");
  putIdCase("drop after forward",
            "[{\"method\":\"PUT\",\"path\":\"wal\",\"drop\":\"after\",\"times\":1}]",
            "wal/00000000000000000001.sst");
}

/* A create-only PUT applied by the server whose answer never comes within
** the timeout is SDB_UNKNOWN (not a plain failure); repeating it with the
** same put-id (xPutOnce) settles it as ours, another put-id gets EXISTS. A
** create-only PUT that never reached the server stays SDB_IOERR. */
static void testPutUnknown(void) {
  char zB[64];
  SdbErr err = {0};
  const char *zId = "01M80JJDRZGPY6MBS44HYRSW01", *zOther = "01M80JJDRZGPY6MBS44HYRSW02";
  const char *zKey = "wal/00000000000000000001.sst";
  newBucket(zB);
  SdbS3Config c = defCfg();
  c.timeoutMs = 1000;
  SdbStore *s = openStore(zB, "db", &c);
  if (!s) return;
  rules("[{\"method\":\"PUT\",\"after_forward\":true,\"hang\":true,\"times\":1}]");
  int rc = s->pMethods->xPutOnce(s, zKey, (const u8 *)"abc", 3, zId, &err);
  proxyReset();
  CHECKF("s3: create-only PUT applied but unanswered in time is SDB_UNKNOWN",
         rc == SDB_UNKNOWN && strstr(err.zMsg, "outcome unknown") && strstr(err.zMsg, zKey),
         "rc=%d %s", rc, err.zMsg);
  rc = s->pMethods->xPutOnce(s, zKey, (const u8 *)"abc", 3, zId, &err);
  CHECKF("s3: repeating it with the same put-id settles it as ours", rc == SDB_OK, "rc=%d %s", rc,
         err.zMsg);
  rc = s->pMethods->xPutOnce(s, zKey, (const u8 *)"abc", 3, zOther, &err);
  CHECKF("s3: the same bytes under another put-id are SDB_EXISTS", rc == SDB_EXISTS, "rc=%d %s", rc,
         err.zMsg);
  rules("[{\"method\":\"PUT\",\"status\":503,\"code\":\"SlowDown\"}]");
  rc = s->pMethods->xPutOnce(s, "wal/00000000000000000002.sst", (const u8 *)"abc", 3, zId, &err);
  proxyReset();
  CHECKF("s3: a create-only PUT refused until the timeout is SDB_IOERR", rc == SDB_IOERR,
         "rc=%d %s", rc, err.zMsg);
  sdbStoreFree(s);
}

static void testSlowDown(void) {
  char zB[64], zKey[64];
  SdbErr err = {0};
  SdbObjList l = {0};
  newBucket(zB);
  SdbStore *s = openStore(zB, "db", NULL);
  if (!s) return;
  rules("[{\"prob\":0.3,\"status\":503,\"code\":\"SlowDown\"}]");
  int nOk = 0, nOps = 0;
  for (int i = 0; i < 15; i++) {
    snprintf(zKey, sizeof(zKey), "compacted/%04d.sst", i);
    nOps += 4;
    nOk += putStr(s, zKey, zKey, i % 2, &err) == SDB_OK;
    nOk += getIs(s, zKey, zKey, strlen(zKey));
    u64 size = 0;
    nOk += s->pMethods->xHead(s, zKey, &size, &err) == SDB_OK && size == strlen(zKey);
    nOk += s->pMethods->xList(s, "compacted/", &l, &err) == SDB_OK && l.n == i + 1;
  }
  for (int i = 0; i < 15; i += 2) {
    snprintf(zKey, sizeof(zKey), "compacted/%04d.sst", i);
    nOps++;
    nOk += s->pMethods->xDelete(s, zKey, &err) == SDB_OK;
  }
  proxyReset();
  CHECKF("s3: 30% SlowDown: every operation succeeds", nOk == nOps, "%d of %d: %s", nOk, nOps, err.zMsg);
  CHECKF("s3: 30% SlowDown: retries counted", s->stats.nRetry > 0, "%llu", (unsigned long long)s->stats.nRetry);
  rules("[{\"method\":\"PUT\",\"status\":409,\"code\":\"ConditionalRequestConflict\",\"times\":2}]");
  int rc = putStr(s, "manifest/9", "nine", 1, &err);
  proxyReset();
  CHECKF("s3: 409 is retried", rc == SDB_OK && getIs(s, "manifest/9", "nine", 4), "rc=%d %s", rc, err.zMsg);
  rules("[{\"method\":\"GET\",\"status\":400,\"code\":\"InvalidRequest\",\"times\":1}]");
  u64 nRetry0 = s->stats.nRetry;
  SdbBuf b = {0};
  rc = s->pMethods->xGet(s, "manifest/9", 0, SDB_TO_END, &b, &err);
  sdbBufFree(&b);
  proxyReset();
  CHECKF("s3: 400 is not retried", rc == SDB_IOERR && s->stats.nRetry == nRetry0 && strstr(err.zMsg, "InvalidRequest"),
         "rc=%d %s", rc, err.zMsg);
  sdbObjListFree(&l);
  sdbStoreFree(s);
}

static void testBrokenBodies(void) {
  char zB[64];
  SdbErr err = {0};
  SdbBuf b = {0};
  size_t n = 256 * 1024;
  u8 *a = pattern(n, 3);
  newBucket(zB);
  SdbStore *s = openStore(zB, "db", NULL);
  if (!s) return;
  CHECK("s3: put a 256 KiB object", put(s, "compacted/big.sst", a, n, 0, &err) == SDB_OK);
  rules("[{\"method\":\"GET\",\"drop\":\"mid_body\",\"prob\":0.5}]");
  int nOk = 0;
  for (int i = 0; i < 6; i++) {
    u64 off = (u64)i * 40000;
    int rc = s->pMethods->xGet(s, "compacted/big.sst", off, 50000, &b, &err);
    nOk += rc == SDB_OK && b.n == 50000 && memcmp(b.a, a + off, 50000) == 0;
  }
  nOk += getIs(s, "compacted/big.sst", a, n);
  proxyReset();
  CHECKF("s3: GETs dropped mid-body are retried", nOk == 7 && s->stats.nRetry > 0, "ok=%d retries=%llu %s", nOk,
         (unsigned long long)s->stats.nRetry, err.zMsg);
  rules("[{\"method\":\"GET\",\"short_body\":true,\"times\":2}]");
  u64 nRetry0 = s->stats.nRetry;
  int rc = s->pMethods->xGet(s, "compacted/big.sst", 1000, 100000, &b, &err);
  proxyReset();
  CHECKF("s3: short bodies are retried, never returned",
         rc == SDB_OK && b.n == 100000 && memcmp(b.a, a + 1000, 100000) == 0 && s->stats.nRetry >= nRetry0 + 2,
         "rc=%d n=%zu %s", rc, b.n, err.zMsg);
  SdbS3Config c = defCfg();
  /* Each attempt ends when the proxy closes the cut body; under ASan on a loaded
  ** machine that took more than 1.5 s once, and the request timeout, not the
  ** truncation, ended the GET (still SDB_IOERR, but not the error this checks). */
  c.timeoutMs = 5000;
  SdbStore *s2 = openStore(zB, "db", &c);
  rules("[{\"method\":\"GET\",\"short_body\":true}]");
  rc = s2 ? s2->pMethods->xGet(s2, "compacted/big.sst", 0, SDB_TO_END, &b, &err) : -1;
  proxyReset();
  CHECKF("s3: endless short bodies end in SDB_IOERR", rc == SDB_IOERR && strstr(err.zMsg, "truncated"),
         "rc=%d %s", rc, err.zMsg);
  sdbStoreFree(s2);
  sdbBufFree(&b);
  sdbFree(a);
  sdbStoreFree(s);
}

static void testTimeouts(void) {
  char zB[64];
  SdbErr err = {0};
  SdbBuf b = {0};
  newBucket(zB);
  SdbS3Config c = defCfg();
  c.timeoutMs = 1500;
  SdbStore *s = openStore(zB, "db", &c);
  if (!s) return;
  putStr(s, "manifest/1", "m", 0, &err);
  rules("[{\"method\":\"GET\",\"hang\":true}]");
  long long t0 = nowMs();
  int rc = s->pMethods->xGet(s, "manifest/1", 0, SDB_TO_END, &b, &err);
  long long ms = nowMs() - t0;
  proxyReset();
  CHECKF("s3: a hanging server ends in SDB_IOERR within the timeout",
         rc == SDB_IOERR && ms < 2500 && ms >= 1400 && strstr(err.zMsg, "within 1500 ms"),
         "rc=%d %lld ms: %s", rc, ms, err.zMsg);
  c.zEndpoint = "http://127.0.0.1:1";      /* credentials go only to the environment's */
  char *zEnvEp = strdup(getenv("AWS_ENDPOINT") ? getenv("AWS_ENDPOINT") : "");
  setenv("AWS_ENDPOINT", c.zEndpoint, 1);
  SdbStore *s2 = openStore(zB, "db", &c);
  if (zEnvEp) setenv("AWS_ENDPOINT", zEnvEp, 1);
  free(zEnvEp);
  t0 = nowMs();
  rc = s2 ? s2->pMethods->xGet(s2, "manifest/1", 0, SDB_TO_END, &b, &err) : -1;
  ms = nowMs() - t0;
  CHECKF("s3: unreachable endpoint ends in SDB_IOERR within the timeout",
         rc == SDB_IOERR && ms < 2500 && strstr(err.zMsg, "s3 GET s3://") &&
         strstr(err.zMsg, "cannot connect to endpoint http://127.0.0.1:1 (from the endpoint option)"),
         "rc=%d %lld ms: %s", rc, ms, err.zMsg);
  CHECK("s3: unreachable endpoint: retries counted", s2 && s2->stats.nRetry > 0);
  sdbStoreFree(s2);
  sdbBufFree(&b);
  sdbStoreFree(s);
}

static void testErrors(void) {
  char zB[64], zUrl[256];
  SdbErr err = {0};
  SdbBuf b = {0};
  newBucket(zB);
  /* wrong secret */
  char *zSecret = sdbStrdup(getenv("AWS_SECRET_ACCESS_KEY"));
  setenv("AWS_SECRET_ACCESS_KEY", "definitely-wrong", 1);
  SdbStore *s = openStore(zB, "db", NULL);
  setenv("AWS_SECRET_ACCESS_KEY", zSecret ? zSecret : "", 1);
  int rc = s ? s->pMethods->xGet(s, "manifest/1", 0, SDB_TO_END, &b, &err) : -1;
  CHECKF("s3: wrong secret is SDB_PERM with the S3 error code",
         rc == SDB_PERM && (strstr(err.zMsg, "SignatureDoesNotMatch") || strstr(err.zMsg, "AccessDenied")) &&
         !strstr(err.zMsg, "definitely-wrong"), "rc=%d %s", rc, err.zMsg);
  sdbStoreFree(s);
  sdbFree(zSecret);
  proxyReset();
  /* no credentials at all */
  char *zKeyId = sdbStrdup(getenv("AWS_ACCESS_KEY_ID"));
  char *zHome = sdbStrdup(getenv("HOME"));
  unsetenv("AWS_ACCESS_KEY_ID");
  setenv("HOME", "/nonexistent", 1);
  s = openStore(zB, "db", NULL);
  setenv("AWS_ACCESS_KEY_ID", zKeyId ? zKeyId : "", 1);
  if (zHome) setenv("HOME", zHome, 1);
  rc = s ? s->pMethods->xGet(s, "manifest/1", 0, SDB_TO_END, &b, &err) : -1;
  CHECKF("s3: no credentials: SDB_PERM naming the variables",
         rc == SDB_PERM && strstr(err.zMsg, "AWS_ACCESS_KEY_ID"), "rc=%d %s", rc, err.zMsg);
  sdbStoreFree(s);
  sdbFree(zKeyId);
  sdbFree(zHome);
  proxyReset();
  /* missing bucket */
  snprintf(zUrl, sizeof(zUrl), "sdbt-missing-%d", (int)getpid());
  s = openStore(zUrl, "db", NULL);
  rc = s ? s->pMethods->xGet(s, "manifest/1", 0, SDB_TO_END, &b, &err) : -1;
  CHECKF("s3: missing bucket is SDB_CANTOPEN", rc == SDB_CANTOPEN && strstr(err.zMsg, "does not exist"),
         "rc=%d %s", rc, err.zMsg);
  SdbObjList l = {0};
  rc = s ? s->pMethods->xList(s, "manifest/", &l, &err) : -1;
  CHECKF("s3: list of a missing bucket is SDB_CANTOPEN", rc == SDB_CANTOPEN, "rc=%d %s", rc, err.zMsg);
  sdbStoreFree(s);
  /* http without allow_http: refused before any request */
  long long nReq = proxyStat("requests");
  SdbS3Config c = defCfg();
  c.eAllowHttp = 0;
  snprintf(zUrl, sizeof(zUrl), "s3://%s/db", zB);
  s = NULL;
  rc = sdbStoreOpenS3(zUrl, &c, 0, &s, &err);
  CHECKF("s3: http endpoint without allow_http is SDB_ERROR",
         rc == SDB_ERROR && s == NULL && strstr(err.zMsg, "AWS_ALLOW_HTTP") && strstr(err.zMsg, "allow_http"),
         "rc=%d %s", rc, err.zMsg);
  CHECK("s3: ... before any I/O", proxyStat("requests") == nReq);
  /* bad bucket names */
  rc = sdbStoreOpenS3("s3://ab/db", NULL, 0, &s, &err);
  CHECKF("s3: short bucket name refused", rc == SDB_ERROR && strstr(err.zMsg, "3 to 63"), "rc=%d %s", rc, err.zMsg);
  rc = sdbStoreOpenS3("s3://bad%20name/db", NULL, 0, &s, &err);
  CHECK("s3: bucket name with odd bytes refused", rc == SDB_ERROR);
  /* read-only store */
  rc = sdbStoreOpenS3(zUrl, NULL, 1, &s, &err);
  CHECK("s3: read-only store refuses PUT and DELETE",
        rc == SDB_OK && putStr(s, "x", "y", 0, &err) == SDB_READONLY &&
        s->pMethods->xDelete(s, "x", &err) == SDB_READONLY);
  sdbStoreFree(s);
  sdbBufFree(&b);
}

static void testHardening(void) {
  char zB[64];
  SdbErr err = {0};
  SdbBuf b = {0};
  newBucket(zB);
  SdbStore *s = openStore(zB, "db", NULL);
  if (!s) return;
  putStr(s, "manifest/1", "m", 0, &err);
  sdbStoreFree(s);
  SdbS3Config c = defCfg();
  char zUrl[256];
  snprintf(zUrl, sizeof(zUrl), "s3://%s/db", zB);
  /* With credentials, an endpoint other than the environment's is refused at
  ** open (no request at all); the proxy under another spelling too. */
  char zAlias[256];
  const char *zPort = strrchr(zProxy, ':');
  snprintf(zAlias, sizeof(zAlias), "http://localhost%s", zPort ? zPort : "");
  const char *azOther[] = {zMoto, zAlias};
  for (int i = 0; i < 2; i++) {
    c.zEndpoint = azOther[i];
    proxyReset();
    s = NULL;
    int rc = sdbStoreOpenS3(zUrl, &c, 0, &s, &err);
    CHECKF(i == 0 ? "s3: credentials are not sent to a non-environment endpoint (refused)"
                  : "s3: the proxy under another name is refused, nothing is sent",
           rc == SDB_PERM && !s && strstr(err.zMsg, "AWS_ENDPOINT") &&
           proxyStat("sigv4_fail") == 0, "rc=%d %s", rc, err.zMsg);
    sdbStoreFree(s);
  }
  /* With credentials, allow_http=true needs AWS_ALLOW_HTTP=true and
  ** virtual_hosted_style= must be the environment's: refused at open. */
  c.zEndpoint = NULL;
  char *zHttp = strdup(getenv("AWS_ALLOW_HTTP") ? getenv("AWS_ALLOW_HTTP") : "");
  for (int i = 0; i < 3; i++) {
    c.eAllowHttp = i == 0 ? 1 : -1;
    c.eVirtualHosted = i == 0 ? -1 : i == 1;
    if (i == 0) unsetenv("AWS_ALLOW_HTTP");
    if (i == 2) setenv("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "true", 1);
    s = NULL;
    int rc = sdbStoreOpenS3(zUrl, &c, 0, &s, &err);
    CHECKF(i == 0 ? "s3: allow_http=true without AWS_ALLOW_HTTP is SDB_PERM with credentials"
           : i == 1 ? "s3: virtual_hosted_style=true differing from the environment is SDB_PERM"
                    : "s3: virtual_hosted_style=false differing from the environment is SDB_PERM",
           rc == SDB_PERM && !s && strstr(err.zMsg, i == 0 ? "AWS_ALLOW_HTTP" : "AWS_VIRTUAL_HOSTED"),
           "rc=%d %s", rc, err.zMsg);
    sdbStoreFree(s);
    setenv("AWS_ALLOW_HTTP", zHttp, 1);
    unsetenv("AWS_VIRTUAL_HOSTED_STYLE_REQUEST");
  }
  free(zHttp);
  c = defCfg();
  /* Without credentials the other endpoint is used, unsigned. */
  char *zKeyId = strdup(getenv("AWS_ACCESS_KEY_ID") ? getenv("AWS_ACCESS_KEY_ID") : "");
  unsetenv("AWS_ACCESS_KEY_ID");
  setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/sdb-credentials", 1);
  c.zEndpoint = zAlias;
  proxyReset();
  s = openStore(zB, "db", &c);
  int rc = s ? s->pMethods->xGet(s, "manifest/1", 0, SDB_TO_END, &b, &err) : -1;
  CHECKF("s3: without credentials another endpoint gets unsigned requests",
         rc == SDB_PERM && strstr(err.zMsg, "no credentials") && proxyStat("sigv4_fail") >= 1,
         "rc=%d %s", rc, err.zMsg);
  proxyReset();
  sdbStoreFree(s);
  if (zKeyId && zKeyId[0]) setenv("AWS_ACCESS_KEY_ID", zKeyId, 1);
  unsetenv("AWS_SHARED_CREDENTIALS_FILE");
  free(zKeyId);
  c.zEndpoint = getenv("AWS_ENDPOINT");   /* the same endpoint, spelled explicitly */
  s = openStore(zB, "db", &c);
  rc = s ? s->pMethods->xGet(s, "manifest/1", 0, SDB_TO_END, &b, &err) : -1;
  CHECKF("s3: credentials are sent to the environment's endpoint",
         rc == SDB_OK && b.n == 1, "rc=%d %s", rc, err.zMsg);
  sdbStoreFree(s);
  sdbBufFree(&b);
}

static void testGetMany(void) {
  char zB[64], azKey[5][32];
  SdbErr err = {0};
  size_t n = 20000;
  u8 *a = pattern(n, 9);
  newBucket(zB);
  SdbStore *s = openStore(zB, "db", NULL);
  if (!s) return;
  int nPut = 0;
  for (int i = 0; i < 5; i++) {
    snprintf(azKey[i], sizeof(azKey[i]), "compacted/%d.sst", i);
    nPut += put(s, azKey[i], a, n, 0, &err) == SDB_OK;
  }
  CHECK("s3: getmany: setup", nPut == 5);
  SdbGetReq aReq[51];
  memset(aReq, 0, sizeof(aReq));
  for (int i = 0; i < 50; i++) {
    aReq[i].zKey = azKey[i % 5];
    aReq[i].iOff = (u64)i * 300;
    aReq[i].nLen = (i == 7) ? SDB_TO_END : 1000;
  }
  aReq[50].zKey = "compacted/missing.sst";
  aReq[50].nLen = 10;
  rules("[{\"method\":\"GET\",\"delay_ms\":50}]");
  long long t0 = nowMs();
  int rc = sdbStoreGetMany(s, aReq, 51, &err);
  long long ms = nowMs() - t0;
  proxyReset();
  int nOk = 0;
  for (int i = 0; i < 50; i++) {
    size_t nWant = aReq[i].nLen == SDB_TO_END ? n - aReq[i].iOff : 1000;
    nOk += aReq[i].rc == SDB_OK && aReq[i].out.n == nWant && memcmp(aReq[i].out.a, a + aReq[i].iOff, nWant) == 0;
  }
  CHECKF("s3: getmany: every range correct", rc == SDB_OK && nOk == 50, "rc=%d ok=%d %s", rc, nOk, err.zMsg);
  CHECK("s3: getmany: missing object is SDB_NOTFOUND", aReq[50].rc == SDB_NOTFOUND);
  CHECKF("s3: getmany: 51 GETs at 50 ms run in parallel", ms < 1000, "%lld ms", ms);
  rules("[{\"method\":\"GET\",\"status\":503,\"code\":\"SlowDown\",\"prob\":0.3}]");
  rc = sdbStoreGetMany(s, aReq, 50, &err);
  proxyReset();
  nOk = 0;
  for (int i = 0; i < 50; i++) nOk += aReq[i].rc == SDB_OK && aReq[i].out.n > 0 && memcmp(aReq[i].out.a, a + aReq[i].iOff, aReq[i].out.n) == 0;
  CHECKF("s3: getmany: transient failures retried", rc == SDB_OK && nOk == 50 && s->stats.nRetry > 0,
         "rc=%d ok=%d %s", rc, nOk, err.zMsg);
  for (int i = 0; i < 51; i++) sdbBufFree(&aReq[i].out);
  sdbFree(a);
  sdbStoreFree(s);
}

/* Virtual-hosted style (bucket.localhost, which curl resolves to loopback),
** a session token, and a body above 1 MiB (curl adds Expect: 100-continue). */
static void testVariants(void) {
  char zB[64], zEp[256];
  SdbErr err = {0};
  SdbObjList l = {0};
  newBucket(zB);
  proxyReset();
  char *zSaved = sdbStrdup(getenv("AWS_ENDPOINT"));
  const char *zPort = strrchr(zProxy, ':');
  snprintf(zEp, sizeof(zEp), "http://localhost%s", zPort ? zPort : "");
  setenv("AWS_ENDPOINT", zEp, 1);
  SdbS3Config c = defCfg();
  c.eVirtualHosted = 1;     /* with credentials only as the environment says */
  setenv("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "true", 1);
  SdbStore *s = openStore(zB, "vh", &c);
  unsetenv("AWS_VIRTUAL_HOSTED_STYLE_REQUEST");
  setenv("AWS_ENDPOINT", zSaved ? zSaved : "", 1);
  sdbFree(zSaved);
  int rc = s ? putStr(s, "k/1", "v1", 1, &err) : -1;
  CHECKF("s3: virtual-hosted put", rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
  CHECK("s3: virtual-hosted get and list", s && getIs(s, "k/1", "v1", 2) &&
        s->pMethods->xList(s, "k/", &l, &err) == SDB_OK && l.n == 1);
  sdbStoreFree(s);
  /* make test runs the proxy with a session token (SDB_TEST_SESSION_TOKEN,
  ** odd characters included), exported as AWS_SESSION_TOKEN. */
  s = openStore(zB, "tok", NULL);
  size_t n = 3 * 1024 * 1024 + 17;
  u8 *a = pattern(n, 5);
  rc = s ? put(s, "big", a, n, 1, &err) : -1;
  CHECKF(getenv("AWS_SESSION_TOKEN") ? "s3: 3 MiB create-only put with a session token" : "s3: 3 MiB create-only put", rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
  CHECK("s3: 3 MiB get", s && getIs(s, "big", a, n));
  CHECKF("s3: no signature failures (vhost, token, big body)", proxyStat("sigv4_fail") == 0,
         "sigv4_fail=%lld", proxyStat("sigv4_fail"));
  sdbFree(a);
  sdbObjListFree(&l);
  sdbStoreFree(s);
}

typedef struct ThreadArg {
  SdbStore *s;
  int iThread;
  int nOk;
} ThreadArg;

static void *threadMain(void *pArg) {
  ThreadArg *t = pArg;
  char zKey[64], zVal[64];
  SdbErr err = {0};
  for (int i = 0; i < 20; i++) {
    snprintf(zKey, sizeof(zKey), "t%d/%d", t->iThread, i);
    snprintf(zVal, sizeof(zVal), "value %d %d", t->iThread, i);
    t->nOk += putStr(t->s, zKey, zVal, i % 2, &err) == SDB_OK && getIs(t->s, zKey, zVal, strlen(zVal));
  }
  return NULL;
}

static void testThreads(void) {
  char zB[64];
  newBucket(zB);
  SdbStore *s = openStore(zB, "db", NULL);
  if (!s) return;
  ThreadArg a[8];
  pthread_t t[8];
  for (int i = 0; i < 8; i++) {
    a[i] = (ThreadArg){s, i, 0};
    pthread_create(&t[i], NULL, threadMain, &a[i]);
  }
  int nOk = 0;
  for (int i = 0; i < 8; i++) {
    pthread_join(t[i], NULL);
    nOk += a[i].nOk;
  }
  CHECKF("s3: 8 threads share one store", nOk == 160, "%d of 160", nOk);
  sdbStoreFree(s);
}

/* Sequential requests of one thread reuse one kept-alive connection. */
static void testConnectionReuse(void) {
  char zB[64];
  SdbErr err = {0};
  newBucket(zB);
  SdbStore *s = openStore(zB, "reuse", NULL);
  int rc = s ? putStr(s, "obj", "0123456789", 0, &err) : -1;
  proxyReset();
  for (int i = 0; rc == SDB_OK && i < 50; i++) {
    SdbBuf b = {0};
    rc = s->pMethods->xGet(s, "obj", (u64)(i % 5), 3, &b, &err);
    sdbBufFree(&b);
  }
  long long nConn = proxyStat("connections");
  CHECKF("s3: 50 sequential GETs reuse connections", rc == SDB_OK && nConn >= 1 && nConn <= 4,
         "rc=%d connections=%lld (control requests included)", rc, nConn);
  sdbStoreFree(s);
}

/* ------------------------------------------------------------ engine */

/* Write 3000 rows into several L0 SSTs of s3://zB/engine, through the engine. */
static int engineLoad(const char *zUrl) {
  SdbConfig cfg;
  SdbDb *db = NULL;
  SdbErr err = {0};
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = zUrl;
  cfg.bCreateIfMissing = 1;
  cfg.l0SstSizeBytes = 32 * 1024;
  cfg.minFilterKeys = 10;
  cfg.bNoCompactor = 1;          /* keep the L0s: the test reads across them */
  cfg.bNoGc = 1;
  cfg.s3.eAllowHttp = -1;
  cfg.s3.eVirtualHosted = -1;
  int rc = sdb_db_open(&cfg, &db, &err);
  SdbBatch *b = sdb_batch_new();
  for (int i = 0; rc == SDB_OK && i < 3000; i++) {
    char k[32], v[64];
    snprintf(k, sizeof(k), "key%06d", (i * 7919) % 3000);
    snprintf(v, sizeof(v), "value-%d-%040d", i, i);
    rc = sdb_batch_put(b, (const u8 *)k, strlen(k), (const u8 *)v, strlen(v), 0, &err);
    if (rc == SDB_OK && i % 100 == 99) {
      rc = sdb_db_write(db, b, 1, &err);
      sdb_batch_clear(b);
    }
  }
  if (rc == SDB_OK) rc = sdb_db_flush(db, 1, &err);
  if (rc) printf("# engine load: rc=%d %s\n", rc, err.zMsg);
  sdb_batch_free(b);
  sdb_db_close(db);
  return rc;
}

/* A new (cold) reader of zUrl with nParallel, or NULL (the reason printed).
** Caller closes it. */
static SdbDb *engineReader(const char *zUrl, int nParallel) {
  SdbConfig cfg;
  SdbDb *db = NULL;
  SdbErr err = {0};
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = zUrl;
  cfg.bReadOnly = 1;
  cfg.s3.eAllowHttp = -1;
  cfg.s3.eVirtualHosted = -1;
  cfg.s3.nParallel = nParallel;
  if (sdb_db_open(&cfg, &db, &err)) {
    printf("# engine reader: %s\n", err.zMsg);
    return NULL;
  }
  return db;
}

/* Open a cold reader with nParallel and look up 200 keys the way an IN-list
** does (prefetch, then one point scan each). Returns the elapsed ms, or -1. */
static long long engineLookups(const char *zUrl, int nParallel, int *pnFound, u64 *pnL0) {
  SdbErr err = {0};
  SdbDb *db = engineReader(zUrl, nParallel);
  if (!db) return -1;
  SdbStats st;
  sdb_db_stats(db, &st);
  *pnL0 = st.nL0;
  char aKey[64][16];
  SdbRange aR[64];
  long long t0 = nowMs();
  *pnFound = 0;
  for (int base = 0; base < 192; base += 64) {
    for (int i = 0; i < 64; i++) {
      snprintf(aKey[i], sizeof(aKey[i]), "key%06d", (base + i) * 15);
      memset(&aR[i], 0, sizeof(aR[i]));
      aR[i].pLo = aR[i].pHi = (const u8 *)aKey[i];
      aR[i].nLo = aR[i].nHi = strlen(aKey[i]);
      aR[i].bHasLo = aR[i].bHasHi = 1;
    }
    sdb_db_prefetch(db, aR, 64, 0, &err);
    for (int i = 0; i < 64; i++) {
      SdbIter *it = NULL;
      if (sdb_db_scan(db, &aR[i], 0, &it, &err) == SDB_OK && !it->bEof) (*pnFound)++;
      sdb_iter_free(it);
    }
  }
  long long ms = nowMs() - t0;
  sdb_db_close(db);
  return ms;
}

/* A cold reader's first point lookup over the L0s of zUrl: *pnGet GETs, one
** for filter and index of each L0 (all in one parallel batch) plus the data
** blocks. Returns the elapsed ms, or -1. */
static long long engineFirstLookup(const char *zUrl, u64 *pnGet, u64 *pnL0, int *pbFound) {
  SdbErr err = {0};
  SdbDb *db = engineReader(zUrl, 8);
  if (!db) return -1;
  SdbStats st0, st1;
  sdb_db_stats(db, &st0);
  SdbRange r;
  memset(&r, 0, sizeof(r));
  r.pLo = r.pHi = (const u8 *)"key001500";
  r.nLo = r.nHi = 9;
  r.bHasLo = r.bHasHi = 1;
  long long t0 = nowMs();
  SdbIter *it = NULL;
  *pbFound = sdb_db_scan(db, &r, 0, &it, &err) == SDB_OK && !it->bEof;
  long long ms = nowMs() - t0;
  sdb_iter_free(it);
  sdb_db_stats(db, &st1);
  *pnGet = st1.nGet - st0.nGet;
  *pnL0 = st1.nL0;
  sdb_db_close(db);
  return ms;
}

/* The first point lookup of a cold reader over several L0s: their filters
** and indexes come in one parallel batch (one GET each), not one SST after
** the other with a GET for the index and another for the filter. 60 ms per
** GET keeps the margin between the two wide on a loaded machine. */
static void testEngineColdOpen(const char *zUrl) {
  rules("[{\"method\":\"GET\",\"path\":\"compacted/.*\",\"delay_ms\":60}]");
  u64 nGet = 0, nL0 = 0;
  int bFound = 0;
  long long ms = engineFirstLookup(zUrl, &nGet, &nL0, &bFound);
  proxyReset();
  CHECKF("s3 engine: first lookup opens the L0s in one batch, one GET for filter and index each",
         bFound && nL0 >= 3 && nGet <= nL0 + 2 && ms >= 0 && ms < (long long)nL0 * 60,
         "found %d, %llu GETs for %llu L0s, %lld ms (one SST at a time: >= %llu ms)", bFound,
         (unsigned long long)nGet, (unsigned long long)nL0, ms, (unsigned long long)nL0 * 60);
  printf("# s3 engine: first lookup over %llu L0s: %llu GETs, %lld ms at 60 ms per GET\n",
         (unsigned long long)nL0, (unsigned long long)nGet, ms);
}

/* IN-list style lookups over several L0 SSTs on a store with 15 ms of latency
** per GET: batched parallel reads beat one-at-a-time reads, same results. */
static void testEnginePrefetch(void) {
  char zB[64], zUrl[128];
  newBucket(zB);
  proxyReset();
  snprintf(zUrl, sizeof(zUrl), "s3://%s/engine", zB);
  CHECK("s3 engine: load 3000 rows into L0 SSTs", engineLoad(zUrl) == SDB_OK);
  /* Warm nothing: each reader is cold. Latency on block reads only. */
  rules("[{\"method\":\"GET\",\"path\":\"compacted/.*\",\"delay_ms\":15}]");
  int nSeq = 0, nPar = 0;
  u64 nL0a = 0, nL0b = 0;
  long long msSeq = engineLookups(zUrl, 1, &nSeq, &nL0a);
  long long msPar = engineLookups(zUrl, 8, &nPar, &nL0b);
  proxyReset();
  CHECKF("s3 engine: lookups find every key", nSeq == 192 && nPar == 192 && nL0a >= 3,
         "found %d / %d, %llu L0s", nSeq, nPar, (unsigned long long)nL0a);
  CHECKF("s3 engine: parallel batch reads are faster", msPar > 0 && msSeq > msPar * 3 / 2,
         "parallel_reads=1: %lld ms, parallel_reads=8: %lld ms", msSeq, msPar);
  printf("# s3 engine: 192 lookups over %llu L0s at 15 ms per GET: %lld ms one at a time, "
         "%lld ms with 8 in parallel\n", (unsigned long long)nL0a, msSeq, msPar);
  testEngineColdOpen(zUrl);
}

/* ------------------------------------------------------------ multipart uploads */

/* Requests of method zMethod the proxy has seen since its last reset. */
static long long proxyMethod(const char *zMethod) {
  long long n = proxyStat(zMethod);
  return n < 0 ? 0 : n;
}

/* Multipart uploads still open in bucket zB (moto's ListMultipartUploads). */
static int openUploads(const char *zB) {
  char zUrl[512];
  SdbBuf b = {0};
  snprintf(zUrl, sizeof(zUrl), "%s/%s?uploads", zMoto, zB);
  http("GET", zUrl, NULL, &b);
  sdbBufAppend(&b, "", 1);
  int n = 0;
  for (const char *z = b.a ? (const char *)b.a : ""; (z = strstr(z, "<UploadId>")) != NULL; z++) n++;
  sdbBufFree(&b);
  return n;
}

/*
** Plain PUTs at or above SdbS3Config.multipartThreshold go as multipart
** uploads (here 6 MiB, parts of 5 MiB: an 11 MiB object is 3 parts): the
** strict proxy accepts the signed ?uploads, ?partNumber&uploadId and
** ?uploadId requests; a part answered 503 is retried; a part refused for good
** aborts the upload (nothing stored, no upload left open); create-only and
** smaller PUTs stay single PUTs.
*/
static void testMultipart(void) {
  char zB[64];
  SdbErr err = {0};
  size_t n = (11u << 20) + 123;
  u8 *a = pattern(n, 5);
  newBucket(zB);
  SdbS3Config c = defCfg();
  c.multipartThreshold = 6u << 20;
  c.multipartPartSize = 5u << 20;
  SdbStore *s = openStore(zB, "mpu", &c);
  if (!s) return;
  proxyReset();
  int rc = put(s, "compacted/a.sst", a, n, 0, &err);
  long long nPost = proxyMethod("POST"), nPutReq = proxyMethod("PUT"), nFail = proxyStat("sigv4_fail");
  CHECKF("s3 multipart: an 11 MiB PUT is CreateMultipartUpload, 3 parts, Complete",
         rc == SDB_OK && nPost == 2 && nPutReq == 3 && nFail <= 0, "rc=%d POST %lld PUT %lld sigv4_fail %lld %s",
         rc, nPost, nPutReq, nFail, err.zMsg);
  CHECK("s3 multipart: the object reads back whole", getIs(s, "compacted/a.sst", a, n));
  u64 nRetry0 = s->stats.nRetry;
  proxyReset();
  rules("[{\"method\":\"PUT\",\"path\":\"partNumber=2&\",\"status\":503,\"code\":\"SlowDown\",\"times\":2}]");
  a[n / 2] ^= 0xff;
  rc = put(s, "compacted/b.sst", a, n, 0, &err);
  nPutReq = proxyMethod("PUT");
  proxyReset();
  CHECKF("s3 multipart: a part answered 503 is retried", rc == SDB_OK && nPutReq == 5 &&
         s->stats.nRetry >= nRetry0 + 2, "rc=%d PUT %lld retries %llu %s", rc, nPutReq,
         (unsigned long long)(s->stats.nRetry - nRetry0), err.zMsg);
  CHECK("s3 multipart: the retried upload reads back whole", getIs(s, "compacted/b.sst", a, n));
  rules("[{\"method\":\"PUT\",\"path\":\"partNumber=3&\",\"status\":403,\"code\":\"AccessDenied\"}]");
  rc = put(s, "compacted/c.sst", a, n, 0, &err);
  long long nDel = proxyMethod("DELETE");
  proxyReset();
  u64 size = 0;
  SdbErr e2 = {0};
  int rcHead = s->pMethods->xHead(s, "compacted/c.sst", &size, &e2);
  int nOpen = openUploads(zB);
  CHECKF("s3 multipart: a part refused for good aborts the upload",
         rc == SDB_PERM && strstr(err.zMsg, "multipart upload of compacted/c.sst") && nDel == 1 &&
         rcHead == SDB_NOTFOUND && nOpen == 0,
         "rc=%d DELETE %lld head rc=%d open uploads %d: %s", rc, nDel, rcHead, nOpen, err.zMsg);
  rc = put(s, "manifest/1", a, n, 1, &err);
  long long nPost1 = proxyMethod("POST");
  rc = rc ? rc : put(s, "compacted/small.sst", a, 1u << 20, 0, &err);
  long long nPost2 = proxyMethod("POST");
  proxyReset();
  CHECKF("s3 multipart: create-only and smaller PUTs stay single PUTs",
         rc == SDB_OK && nPost1 == 0 && nPost2 == 0, "rc=%d POST %lld / %lld %s", rc, nPost1,
         nPost2, err.zMsg);
  sdbFree(a);
  sdbStoreFree(s);
}

/* ------------------------------------------------------------ scan read-ahead */

/* Compact the L0s of zUrl into one sorted run of SSTs of about nSstBytes. */
static int aheadCompact(const char *zUrl, u64 nSstBytes) {
  SdbConfig cfg;
  SdbDb *db = NULL;
  SdbErr err = {0};
  int nDone = 0;
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = zUrl;
  cfg.bNoGc = 1;
  cfg.compactorPollMs = 3600000;
  cfg.maxSstSize = nSstBytes;
  cfg.s3.eAllowHttp = -1;
  cfg.s3.eVirtualHosted = -1;
  int rc = sdb_db_open(&cfg, &db, &err);
  if (rc == SDB_OK) rc = sdb_db_compact(db, &nDone, &err);
  if (rc) printf("# scan ahead: compaction: rc=%d %s\n", rc, err.zMsg);
  sdb_db_close(db);
  return rc;
}

/* A cold reader's full scan of zUrl (nLimit rows at most, 0 = all): rows
** seen, in order or not, and the elapsed ms; *pRc/pErr the scan's result. */
static int aheadScan(const char *zUrl, int bDesc, int nLimit, long long *pMs, SdbStats *pSt,
                     int *pRc, SdbErr *pErr) {
  SdbDb *db = engineReader(zUrl, 8);
  SdbIter *it = NULL;
  char zPrev[32] = "";
  int n = 0, bOrder = 1;
  *pRc = SDB_ERROR;
  if (!db) return -1;
  long long t0 = nowMs();
  int rc = sdb_db_scan(db, NULL, bDesc, &it, pErr);
  while (rc == SDB_OK && !it->bEof && (nLimit == 0 || n < nLimit)) {
    char z[32];
    size_t nk = it->cur.nKey < sizeof(z) - 1 ? it->cur.nKey : sizeof(z) - 1;
    memcpy(z, it->cur.pKey, nk);
    z[nk] = 0;
    if (n > 0 && (bDesc ? strcmp(z, zPrev) >= 0 : strcmp(z, zPrev) <= 0)) bOrder = 0;
    memcpy(zPrev, z, nk + 1);
    n++;
    rc = sdb_iter_next(it, pErr);
  }
  sdb_iter_free(it);
  *pMs = nowMs() - t0;
  *pRc = rc;
  if (pSt) sdb_db_stats(db, pSt);
  sdb_db_close(db);
  return bOrder ? n : -2;
}

/*
** Scans of a sorted run of many SSTs with 40 ms per block GET: every row, in
** order both ways; the next windows, and the run's next SST, are fetched while
** the current ones are read: under 2 round trips per SST (one that opened
** each SST when it reached it took about 2.4: 1726 ms for 18 SSTs, against
** 980 ms); a
** scan that stops early frees its background reads; a GET that fails is
** reported when the scan reaches the rows it holds, after the rows before it.
*/
static void testScanAhead(void) {
  char zB[64], zUrl[128];
  SdbErr err = {0};
  SdbStats st;
  long long ms = 0;
  int rc;
  newBucket(zB);
  proxyReset();
  snprintf(zUrl, sizeof(zUrl), "s3://%s/ahead", zB);
  CHECK("s3 scan ahead: load and compact into a sorted run",
        engineLoad(zUrl) == SDB_OK && aheadCompact(zUrl, 24 * 1024) == SDB_OK);
  int nAsc = aheadScan(zUrl, 0, 0, &ms, &st, &rc, &err);
  CHECKF("s3 scan ahead: a run of several SSTs", rc == SDB_OK && st.nSortedRun == 1 && st.nL0 == 0,
         "rc=%d runs=%llu l0=%llu %s", rc, (unsigned long long)st.nSortedRun,
         (unsigned long long)st.nL0, err.zMsg);
  SdbObjList l = {0};
  SdbStore *s = openStore(zB, "ahead", NULL);
  if (s) s->pMethods->xList(s, "compacted/", &l, &err);
  int nSst = l.n;
  sdbObjListFree(&l);
  sdbStoreFree(s);
  rules("[{\"method\":\"GET\",\"path\":\"compacted/.*\",\"delay_ms\":40}]");
  nAsc = aheadScan(zUrl, 0, 0, &ms, NULL, &rc, &err);
  long long msDesc = 0;
  int nDesc = aheadScan(zUrl, 1, 0, &msDesc, NULL, &rc, &err);
  CHECKF("s3 scan ahead: every row, in order, both ways", nAsc == 3000 && nDesc == 3000 && rc == SDB_OK,
         "asc %d desc %d rc=%d %s", nAsc, nDesc, rc, err.zMsg);
  CHECKF("s3 scan ahead: the run's SSTs and windows are fetched while others are read",
         nSst >= 6 && ms < nSst * 2 * 40 && msDesc < nSst * 2 * 40,
         "%d SSTs: asc %lld ms, desc %lld ms (limit %d ms)", nSst, ms, msDesc, nSst * 2 * 40);
  printf("# s3 scan ahead: %d SSTs at 40 ms per GET: full scan %lld ms ascending, %lld ms descending\n",
         nSst, ms, msDesc);
  int nTen = aheadScan(zUrl, 0, 10, &ms, NULL, &rc, &err);
  CHECKF("s3 scan ahead: a scan that stops early", nTen == 10 && rc == SDB_OK, "%d rows rc=%d %s",
         nTen, rc, err.zMsg);
  /* The 13th block or index GET of the scan fails for good (403): the scan
  ** returns the rows before it, then the error. */
  rules("[{\"method\":\"GET\",\"path\":\"compacted/.*\",\"skip\":12,\"status\":403,\"code\":\"AccessDenied\"}]");
  int nErr = aheadScan(zUrl, 0, 0, &ms, NULL, &rc, &err);
  proxyReset();
  CHECKF("s3 scan ahead: a failed GET is reported at the rows it holds, after the rows before it",
         rc != SDB_OK && nErr > 0 && nErr < 3000 && strstr(err.zMsg, "compacted/"),
         "%d rows, rc=%d %s", nErr, rc, err.zMsg);
}

/* Sets *(int *)pArg after 150 ms (a scan that ends while its reads are in flight). */
static void *cancelLater(void *pArg) {
  struct timespec ts = {0, 150 * 1000000L};
  nanosleep(&ts, NULL);
  __atomic_store_n((int *)pArg, 1, __ATOMIC_RELEASE);
  return NULL;
}

/*
** A batch of reads its owner cancels (SdbGetReq.pCancel, what a scan that
** ends early does to its read-ahead windows): GETs held 3 s at the proxy end
** about when the flag is set, with SDB_IOERR, instead of after the 3 s; a
** request already cancelled is not sent at all.
*/
static void testGetCancel(void) {
  char zB[64];
  SdbErr err = {0};
  newBucket(zB);
  proxyReset();
  SdbStore *s = openStore(zB, "cancel", NULL);
  if (!s) return;
  char a[4096];
  memset(a, 'c', sizeof(a));
  CHECK("s3 get cancel: put", put(s, "compacted/x.sst", a, sizeof(a), 0, &err) == SDB_OK);
  rules("[{\"method\":\"GET\",\"path\":\"compacted/.*\",\"delay_ms\":3000}]");
  int bCancel = 0;
  SdbGetReq q[3];
  memset(q, 0, sizeof(q));
  for (int i = 0; i < 3; i++) {
    q[i].zKey = "compacted/x.sst";
    q[i].iOff = (u64)i * 1024;
    q[i].nLen = 1024;
    q[i].pCancel = &bCancel;
  }
  pthread_t t;
  pthread_create(&t, NULL, cancelLater, &bCancel);
  long long t0 = nowMs();
  int rc = sdbStoreGetMany(s, q, 3, &err);
  long long ms = nowMs() - t0;
  pthread_join(t, NULL);
  CHECKF("s3 get cancel: the GETs in flight end when cancelled",
         rc == SDB_IOERR && q[0].rc == SDB_IOERR && q[2].rc == SDB_IOERR && ms < 1500,
         "rc=%d %d %d after %lld ms: %s", rc, q[0].rc, q[2].rc, ms, err.zMsg);
  proxyReset();
  long long nBefore = proxyStat("requests");
  t0 = nowMs();
  rc = sdbStoreGetMany(s, q, 3, &err);
  ms = nowMs() - t0;
  CHECKF("s3 get cancel: a cancelled request is not sent",
         rc == SDB_IOERR && q[1].rc == SDB_IOERR && ms < 500 && proxyStat("requests") == nBefore,
         "rc=%d after %lld ms, requests %lld -> %lld", rc, ms, nBefore, proxyStat("requests"));
  for (int i = 0; i < 3; i++) sdbBufFree(&q[i].out);
  sdbStoreFree(s);
}

/*
** A scan that starts at an SST's first key reads the index and the first
** blocks in one round trip (sdbSstOpenForScan): with 400 ms per GET, the
** first row of a new reader's scan of one SST comes after one round trip,
** not two (index, then block 0); so does the whole SST of a full scan.
*/
static void testScanHead(void) {
  char zB[64], zUrl[128];
  SdbErr err = {0};
  newBucket(zB);
  proxyReset();
  snprintf(zUrl, sizeof(zUrl), "s3://%s/head", zB);
  CHECK("s3 scan head: load and compact into one SST",
        engineLoad(zUrl) == SDB_OK && aheadCompact(zUrl, 64 * 1024 * 1024) == SDB_OK);
  SdbDb *db = engineReader(zUrl, 8);
  if (!db) return;
  rules("[{\"method\":\"GET\",\"path\":\"compacted/.*\",\"delay_ms\":400}]");
  SdbIter *it = NULL;
  long long t0 = nowMs();
  int rc = sdb_db_scan(db, NULL, 0, &it, &err);
  long long ms = nowMs() - t0;
  int n = 0;
  while (rc == SDB_OK && !it->bEof && n < 100) {
    n++;
    rc = sdb_iter_next(it, &err);
  }
  sdb_iter_free(it);
  proxyReset();
  sdb_db_close(db);
  CHECKF("s3 scan head: the first rows after one round trip", rc == SDB_OK && n == 100 && ms < 700,
         "rc=%d rows=%d first row after %lld ms: %s", rc, n, ms, err.zMsg);
  /* A full scan of the SST (about 200 KB): its data windows are requested
  ** with the index, so all of it comes in one round trip too (two before:
  ** the index and first blocks, then the windows after them). */
  db = engineReader(zUrl, 8);
  if (!db) return;
  rules("[{\"method\":\"GET\",\"path\":\"compacted/.*\",\"delay_ms\":400}]");
  t0 = nowMs();
  rc = sdb_db_scan(db, NULL, 0, &it, &err);
  for (n = 0; rc == SDB_OK && !it->bEof; n++) rc = sdb_iter_next(it, &err);
  sdb_iter_free(it);
  ms = nowMs() - t0;
  proxyReset();
  sdb_db_close(db);
  CHECKF("s3 scan head: a full scan of one SST in one round trip", rc == SDB_OK && n == 3000 && ms < 700,
         "rc=%d rows=%d in %lld ms: %s", rc, n, ms, err.zMsg);
}

/* A compaction whose output PUTs keep failing leaves the database as it was
** (no manifest change, no stray output objects); the next one succeeds. */
static void testCompactionFailure(void) {
  char zB[64], zUrl[128];
  SdbConfig cfg;
  SdbDb *db = NULL;
  SdbErr err = {0};
  SdbStats st0, st1;
  newBucket(zB);
  proxyReset();
  snprintf(zUrl, sizeof(zUrl), "s3://%s/cfail", zB);
  CHECK("s3 compaction failure: load", engineLoad(zUrl) == SDB_OK);
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = zUrl;
  cfg.bNoGc = 1;
  cfg.compactorPollMs = 3600000;
  cfg.l0MaxSsts = 1000;
  cfg.s3.eAllowHttp = -1;
  cfg.s3.eVirtualHosted = -1;
  cfg.s3.timeoutMs = 1500;
  int rc = sdb_db_open(&cfg, &db, &err);
  CHECKF("s3 compaction failure: writer opens", rc == SDB_OK, "%s", err.zMsg);
  if (rc) return;
  sdb_db_stats(db, &st0);
  /* Compaction outputs are plain PUTs (no If-None-Match): fail them all. */
  rules("[{\"method\":\"PUT\",\"path\":\"compacted/\",\"status\":503,\"code\":\"SlowDown\"}]");
  int nDone = 0;
  rc = sdb_db_compact(db, &nDone, &err);
  proxyReset();
  sdb_db_stats(db, &st1);
  CHECKF("s3 compaction failure: reported", rc == SDB_IOERR && nDone == 0, "rc=%d %s", rc, err.zMsg);
  CHECKF("s3 compaction failure: the manifest is unchanged",
         st1.nL0 == st0.nL0 && st1.nSortedRun == st0.nSortedRun, "l0 %llu -> %llu",
         (unsigned long long)st0.nL0, (unsigned long long)st1.nL0);
  SdbObjList l = {0};
  SdbStore *s = openStore(zB, "cfail", NULL);
  rc = s ? s->pMethods->xList(s, "compacted/", &l, &err) : SDB_ERROR;
  CHECKF("s3 compaction failure: no stray outputs", rc == SDB_OK && (u64)l.n == st0.nL0,
         "%d objects for %llu L0s", l.n, (unsigned long long)st0.nL0);
  sdbObjListFree(&l);
  rc = sdb_db_compact(db, &nDone, &err);
  sdb_db_stats(db, &st1);
  CHECKF("s3 compaction failure: the next compaction succeeds",
         rc == SDB_OK && nDone == 1 && st1.nL0 == 0 && st1.nSortedRun == 1, "rc=%d done=%d l0=%llu runs=%llu",
         rc, nDone, (unsigned long long)st1.nL0, (unsigned long long)st1.nSortedRun);
  sdbStoreFree(s);
  sdb_db_close(db);
}

/* ------------------------------------------------------------ create only where nothing is */

/* Every key of bucket zB, "\n"-joined (malloc'd; "?" on failure). */
static char *bucketKeys(const char *zB) {
  SdbStore *s = openStore(zB, NULL, NULL);
  SdbObjList l = {0};
  SdbErr err = {0};
  SdbBuf b = {0};
  int rc = s ? s->pMethods->xList(s, "", &l, &err) : SDB_ERROR;
  for (int i = 0; rc == SDB_OK && i < l.n; i++) {
    sdbBufAppend(&b, l.a[i].zKey, strlen(l.a[i].zKey));
    sdbBufAppend(&b, "\n", 1);
  }
  char *z = rc == SDB_OK ? strndup(b.n ? (const char *)b.a : "", b.n) : strdup("?");
  sdbObjListFree(&l);
  sdbBufFree(&b);
  sdbStoreFree(s);
  return z;
}

/* Open a writer (create if missing) on zUrl, close it; the rc, message in *pErr. */
static int createWriter(const char *zUrl, SdbErr *pErr) {
  SdbConfig cfg;
  SdbDb *db = NULL;
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = zUrl;
  cfg.bCreateIfMissing = 1;
  cfg.bNoCompactor = 1;
  cfg.bNoGc = 1;
  cfg.s3.eAllowHttp = -1;
  cfg.s3.eVirtualHosted = -1;
  int rc = sdb_db_open(&cfg, &db, pErr);
  sdb_db_close(db);
  return rc;
}

/* A writer creates a database only where nothing else is: a prefix with
** other objects is refused and nothing is written; siblings such as db2/
** next to db/ do not count; wal/, compacted/ or compactions/ without a
** manifest are a database whose manifest is missing (refused), foreign data
** in manifest/ is refused, an empty manifest/ (a folder marker) is a create
** that stopped half-way; a cut listing answer is refused, never "empty".
** The check of the root is one LIST with a delimiter. */
static void testCreateOnlyWhereEmpty(void) {
  char zB[64], zUrl[160], zKey[64];
  SdbErr err = {0};
  newBucket(zB);
  SdbStore *s = openStore(zB, NULL, NULL);
  if (!s) return;
  putStr(s, "db2/x.csv", "x", 0, &err);
  putStr(s, "dbx.txt", "x", 0, &err);
  putStr(s, "logs/app.log", "x", 0, &err);
  putStr(s, "logs/2024/a.log", "x", 0, &err);
  putStr(s, "half/compacted/01ARZ3NDEKTSV4RRFFQ69G5FAV.sst", "junk", 0, &err);
  for (int i = 0; i < 30; i++) {
    snprintf(zKey, sizeof(zKey), "many/compactions/%020d.junk", i);
    putStr(s, zKey, "x", 0, &err);
  }
  putStr(s, "many/zz.txt", "x", 0, &err);
  putStr(s, "only/wal/README.txt", "x", 0, &err);
  putStr(s, "mf/manifest/notes.txt", "x", 0, &err);
  putStr(s, "mk/manifest/", "", 0, &err);
  putStr(s, "trunc/a.txt", "x", 0, &err);
  char *zBefore = bucketKeys(zB);
  snprintf(zUrl, sizeof(zUrl), "s3://%s/logs", zB);
  int rc = createWriter(zUrl, &err);
  CHECKF("s3 create: a prefix with other objects is refused",
         rc == SDB_CANTOPEN && strstr(err.zMsg, "(first: \"2024/\")") &&
         strstr(err.zMsg, "refusing to create a database:"), "rc=%d %s", rc, err.zMsg);
  snprintf(zUrl, sizeof(zUrl), "s3://%s", zB);
  memset(&err, 0, sizeof(err));
  rc = createWriter(zUrl, &err);
  CHECKF("s3 create: a bucket root with other objects is refused",
         rc == SDB_CANTOPEN && strstr(err.zMsg, "(first: \"db2/\")"), "rc=%d %s", rc, err.zMsg);
  snprintf(zUrl, sizeof(zUrl), "s3://%s/many", zB);
  memset(&err, 0, sizeof(err));
  rc = createWriter(zUrl, &err);
  CHECKF("s3 create: an object past SlateDB's folders is found",
         rc == SDB_CANTOPEN && strstr(err.zMsg, "(first: \"zz.txt\")"), "rc=%d %s", rc, err.zMsg);
  static const char *const azLost[] = {"half", "only"};
  for (int i = 0; i < 2; i++) {
    snprintf(zUrl, sizeof(zUrl), "s3://%s/%s", zB, azLost[i]);
    memset(&err, 0, sizeof(err));
    rc = createWriter(zUrl, &err);
    CHECKF("s3 create: SlateDB's data folders without a manifest are refused",
           rc == SDB_CANTOPEN && strstr(err.zMsg, "whose manifest is missing"), "%s rc=%d %s",
           azLost[i], rc, err.zMsg);
  }
  snprintf(zUrl, sizeof(zUrl), "s3://%s/mf", zB);
  memset(&err, 0, sizeof(err));
  rc = createWriter(zUrl, &err);
  CHECKF("s3 create: foreign data in manifest/ is refused",
         rc == SDB_CANTOPEN && strstr(err.zMsg, "(first: \"manifest/notes.txt\")"), "rc=%d %s", rc,
         err.zMsg);
  snprintf(zUrl, sizeof(zUrl), "s3://%s/trunc", zB);
  memset(&err, 0, sizeof(err));
  rules("[{\"method\":\"GET\",\"path\":\"delimiter=\",\"short_body\":true}]");
  rc = createWriter(zUrl, &err);
  proxyReset();
  CHECKF("s3 create: a cut listing answer is refused, never read as empty",
         rc != SDB_OK && strstr(err.zMsg, "incomplete or malformed"), "rc=%d %s", rc, err.zMsg);
  char *zAfter = bucketKeys(zB);
  CHECKF("s3 create: nothing was written", strcmp(zBefore, zAfter) == 0 && zBefore[0] != '?',
         "before:\n%safter:\n%s", zBefore, zAfter);
  SdbStore *sMany = openStore(zB, "many", NULL);
  SdbObjList l = {0};
  u64 nList0 = sMany ? sMany->stats.nList : 0;
  rc = sMany ? sdbStoreListTop(sMany, "", 8, &l, &err) : SDB_ERROR;
  CHECKF("s3 create: one LIST shows the top level",
         rc == SDB_OK && l.n == 2 && strcmp(l.a[0].zKey, "compactions/") == 0 &&
         strcmp(l.a[1].zKey, "zz.txt") == 0 && sMany->stats.nList - nList0 == 1,
         "rc=%d n=%d %s", rc, l.n, err.zMsg);
  sdbObjListFree(&l);
  sdbStoreFree(sMany);
  snprintf(zUrl, sizeof(zUrl), "s3://%s/db", zB);
  memset(&err, 0, sizeof(err));
  rc = createWriter(zUrl, &err);
  CHECKF("s3 create: db/ is created beside db2/ and dbx.txt", rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
  snprintf(zUrl, sizeof(zUrl), "s3://%s/mk", zB);
  rc = createWriter(zUrl, &err);
  CHECKF("s3 create: an empty manifest/ is resumed", rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
  char *zEnd = bucketKeys(zB);
  CHECKF("s3 create: manifests were written", strstr(zEnd, "db/manifest/00000000000000000001.manifest") &&
         strstr(zEnd, "mk/manifest/00000000000000000001.manifest"), "%s", zEnd);
  free(zBefore);
  free(zAfter);
  free(zEnd);
  sdbStoreFree(s);
}

/* ------------------------------------------------------------ commit outcomes */

/* A writer (bReader: a reader) on zUrl with a 1.5 s request timeout, no
** background compaction, GC or async flushes. NULL on failure (reported). */
static SdbDb *outcomeOpen(const char *zUrl, int bReader) {
  SdbConfig cfg;
  SdbDb *db = NULL;
  SdbErr err = {0};
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = zUrl;
  cfg.bCreateIfMissing = 1;
  cfg.bReadOnly = bReader;
  cfg.bNoCompactor = 1;
  cfg.bNoGc = 1;
  cfg.s3.eAllowHttp = -1;
  cfg.s3.eVirtualHosted = -1;
  cfg.s3.timeoutMs = 1500;
  cfg.flushIntervalMs = 600000;   /* async rows are written by 'flush' only */
  int rc = sdb_db_open(&cfg, &db, &err);
  if (rc) printf("# outcome: open %s (reader %d): rc=%d %s\n", zUrl, bReader, rc, err.zMsg);
  return rc ? NULL : db;
}

/* Put key zKey (value "v-zKey") in one batch; bDurable waits for the WAL. */
static int outcomePut(SdbDb *db, const char *zKey, int bDurable, SdbErr *pErr) {
  char zVal[64];
  SdbBatch *b = sdb_batch_new();
  snprintf(zVal, sizeof(zVal), "v-%s", zKey);
  int rc = sdb_batch_put(b, (const u8 *)zKey, strlen(zKey), (const u8 *)zVal, strlen(zVal), 0, pErr);
  if (rc == SDB_OK) rc = sdb_db_write(db, b, bDurable, pErr);
  sdb_batch_free(b);
  return rc;
}

/* Number of visible rows of db (-1 on error). */
static int outcomeRows(SdbDb *db) {
  SdbIter *it = NULL;
  SdbErr err = {0};
  int n = 0;
  int rc = sdb_db_scan(db, NULL, 0, &it, &err);
  while (rc == SDB_OK && !it->bEof) {
    n++;
    rc = sdb_iter_next(it, &err);
  }
  sdb_iter_free(it);
  return rc ? -1 : n;
}

/* Rows a fresh reader of zUrl sees (-1 on error). */
static int outcomeFreshRows(const char *zUrl) {
  SdbDb *r = outcomeOpen(zUrl, 1);
  int n = r ? outcomeRows(r) : -1;
  if (r) sdb_db_close(r);
  return n;
}

/* A WAL PUT applied by S3 whose reply is lost: the commit succeeds, both
** views agree, the next commit takes the next WAL id without "fenced". */
static void testOutcomeLostReply(SdbDb *db, const char *zUrl) {
  SdbErr err = {0};
  SdbStats st0, st1;
  sdb_db_stats(db, &st0);
  rules("[{\"method\":\"PUT\",\"path\":\"/wal/\",\"drop\":\"after\",\"times\":1}]");
  int rc = outcomePut(db, "lost1", 1, &err);
  proxyReset();
  CHECKF("s3 outcome: reply lost after apply: the commit succeeds", rc == SDB_OK, "rc=%d %s", rc,
         err.zMsg);
  int nOwn = outcomeRows(db), nFresh = outcomeFreshRows(zUrl);
  CHECKF("s3 outcome: reply lost: the handle sees what a fresh reader sees",
         nOwn == 2 && nFresh == 2, "handle %d rows, fresh reader %d", nOwn, nFresh);
  rc = outcomePut(db, "lost2", 1, &err);
  sdb_db_stats(db, &st1);
  CHECKF("s3 outcome: reply lost: the next commit takes the next WAL id",
         rc == SDB_OK && st1.nextWalId == st0.nextWalId + 2 && !st1.bFenced, "rc=%d %s, wal id %llu -> %llu",
         rc, err.zMsg, (unsigned long long)st0.nextWalId, (unsigned long long)st1.nextWalId);
}

/* A WAL PUT applied by S3 that then hangs past the request timeout: the
** error says the outcome is unknown; the next write settles it first. With
** bAsync the rows were written with durability=async and 'flush' reports. */
static void testOutcomeHang(SdbDb *db, const char *zUrl, int bAsync) {
  SdbErr err = {0};
  char zName[128], zKey[32];
  const char *zMode = bAsync ? "async flush" : "durable commit";
  int n0 = outcomeRows(db);
  snprintf(zKey, sizeof(zKey), "hang-%s", bAsync ? "a" : "d");
  rules("[{\"method\":\"PUT\",\"path\":\"/wal/\",\"after_forward\":true,\"hang\":true,\"times\":1}]");
  int rc = outcomePut(db, zKey, !bAsync, &err);
  if (bAsync && rc == SDB_OK) rc = sdb_db_flush(db, 0, &err);
  proxyReset();
  snprintf(zName, sizeof(zName), "s3 outcome: hang past request_timeout (%s): outcome unknown", zMode);
  CHECKF(zName, rc == SDB_UNKNOWN && strstr(err.zMsg, "outcome unknown") && !strstr(err.zMsg, "fenced"),
         "rc=%d %s", rc, err.zMsg);
  int nFresh = outcomeFreshRows(zUrl);
  snprintf(zName, sizeof(zName), "s3 outcome: hang (%s): the PUT was applied", zMode);
  CHECKF(zName, nFresh == n0 + 1, "fresh reader %d rows, %d before", nFresh, n0);
  if (!bAsync) {
    /* While the store still hangs, a new write is refused (not "unknown"). */
    rules("[{\"method\":\"PUT\",\"path\":\"/wal/\",\"hang\":true,\"times\":1}]");
    rc = outcomePut(db, "refused", 1, &err);
    proxyReset();
    CHECKF("s3 outcome: hang (durable commit): a write before it is settled is refused as not made",
           rc == SDB_IOERR && strstr(err.zMsg, "was not made") && strstr(err.zMsg, "outcome unknown"),
           "rc=%d %s", rc, err.zMsg);
  }
  snprintf(zKey, sizeof(zKey), "after-%s", bAsync ? "a" : "d");
  rc = outcomePut(db, zKey, 1, &err);
  snprintf(zName, sizeof(zName), "s3 outcome: hang (%s): the next write settles it and succeeds", zMode);
  CHECKF(zName, rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
  int nOwn = outcomeRows(db);
  nFresh = outcomeFreshRows(zUrl);
  snprintf(zName, sizeof(zName), "s3 outcome: hang (%s): the handle sees what a fresh reader sees", zMode);
  CHECKF(zName, nOwn == n0 + 2 && nFresh == n0 + 2, "handle %d rows, fresh reader %d, %d before", nOwn,
         nFresh, n0);
}

/* Manifest and L0 PUTs applied by S3 that then hang: settled by the same
** put-id, so the flush succeeds and the handle agrees with a fresh reader. */
static void testOutcomeFlush(SdbDb *db, const char *zUrl, const char *zPath) {
  SdbErr err = {0};
  SdbStats st0, st1, stR;
  char zRule[256], zName[128];
  sdb_db_stats(db, &st0);
  snprintf(zRule, sizeof(zRule), "[{\"method\":\"PUT\",\"path\":\"%s\",\"after_forward\":true,"
           "\"hang\":true,\"times\":1}]", zPath);
  int rc = outcomePut(db, zPath, 1, &err);
  rules(zRule);
  if (rc == SDB_OK) rc = sdb_db_flush(db, 1, &err);
  proxyReset();
  sdb_db_stats(db, &st1);
  snprintf(zName, sizeof(zName), "s3 outcome: %s PUT hangs after apply: the L0 flush settles it", zPath);
  CHECKF(zName, rc == SDB_OK && st1.nL0 == st0.nL0 + 1, "rc=%d %s, L0s %llu -> %llu", rc, err.zMsg,
         (unsigned long long)st0.nL0, (unsigned long long)st1.nL0);
  SdbDb *r = outcomeOpen(zUrl, 1);
  if (r) sdb_db_stats(r, &stR);
  snprintf(zName, sizeof(zName), "s3 outcome: %s hang: a fresh reader sees the same manifest", zPath);
  CHECKF(zName, r && stR.manifestId == st1.manifestId && stR.nL0 == st1.nL0,
         "manifest %llu / %llu, L0s %llu / %llu", (unsigned long long)st1.manifestId,
         r ? (unsigned long long)stR.manifestId : 0ull, (unsigned long long)st1.nL0,
         r ? (unsigned long long)stR.nL0 : 0ull);
  if (r) sdb_db_close(r);
  rc = outcomePut(db, "after-flush", 1, &err);
  snprintf(zName, sizeof(zName), "s3 outcome: %s hang: the next commit succeeds", zPath);
  CHECKF(zName, rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
}

/* A WAL PUT that may have been applied (its reply dropped) and whose retry
** then gets a definite error (HTTP 400): the outcome is unknown, not a plain
** failure, and the next commit settles it under the same put-id (it does not
** find "an object this writer did not store" at that WAL id). */
static void testOutcomeMaybeThenDefinite(SdbDb *db, const char *zUrl) {
  SdbErr err = {0};
  int n0 = outcomeRows(db);
  rules("[{\"method\":\"PUT\",\"path\":\"/wal/\",\"drop\":\"after\",\"times\":1},"
        "{\"method\":\"PUT\",\"path\":\"/wal/\",\"status\":400,\"code\":\"InvalidRequest\","
        "\"times\":3}]");
  int rc = outcomePut(db, "maybe-400", 1, &err);
  proxyReset();
  CHECKF("s3 outcome: reply lost, then a 400 on the retry: outcome unknown",
         rc == SDB_UNKNOWN && strstr(err.zMsg, "outcome unknown") && strstr(err.zMsg, "400"),
         "rc=%d %s", rc, err.zMsg);
  rc = outcomePut(db, "after-400", 1, &err);
  CHECKF("s3 outcome: reply lost, then a 400: the next commit settles it and succeeds",
         rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
  rc = outcomePut(db, "after-400b", 1, &err);
  CHECKF("s3 outcome: reply lost, then a 400: and the next one too", rc == SDB_OK, "rc=%d %s", rc,
         err.zMsg);
  int nOwn = outcomeRows(db), nFresh = outcomeFreshRows(zUrl);
  CHECKF("s3 outcome: reply lost, then a 400: the handle sees what a fresh reader sees",
         nOwn == n0 + 3 && nFresh == n0 + 3, "handle %d rows, fresh reader %d, %d before", nOwn,
         nFresh, n0);
}

/* Commits whose reply is lost or late settle their outcome; a genuine second
** writer still fences the first. */
static void testCommitOutcome(void) {
  char zB[64], zUrl[128];
  SdbErr err = {0};
  newBucket(zB);
  proxyReset();
  snprintf(zUrl, sizeof(zUrl), "s3://%s/outcome", zB);
  SdbDb *db = outcomeOpen(zUrl, 0);
  if (!db) {
    CHECK("s3 outcome: writer opens", 0);
    return;
  }
  int rc = outcomePut(db, "first", 1, &err);
  CHECKF("s3 outcome: first commit", rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
  testOutcomeLostReply(db, zUrl);
  testOutcomeHang(db, zUrl, 0);
  testOutcomeHang(db, zUrl, 1);
  testOutcomeMaybeThenDefinite(db, zUrl);
  testOutcomeFlush(db, zUrl, "/manifest/");
  testOutcomeFlush(db, zUrl, "/compacted/");
  SdbDb *db2 = outcomeOpen(zUrl, 0);
  rc = outcomePut(db, "stale", 1, &err);
  CHECKF("s3 outcome: a genuine second writer still fences the first",
         db2 && rc == SDB_FENCED && strstr(err.zMsg, "writer fenced"), "rc=%d %s", rc, err.zMsg);
  if (db2) sdb_db_close(db2);
  sdb_db_close(db);
}

int main(void) {
  zProxy = getenv("SDB_TEST_PROXY");
  zMoto = getenv("SDB_TEST_MOTO");
  if (!zProxy || !zProxy[0] || !zMoto || !zMoto[0]) {
    printf("SKIP t_s3: no S3 test server (make test starts moto and the proxy)\n");
    return 0;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  proxyReset();
  testBasics();
  testAwkwardKeys();
  testAwkwardPrefix();
  testCreateOnly();
  testPutId();
  testPutUnknown();
  testSlowDown();
  testBrokenBodies();
  testTimeouts();
  testErrors();
  testHardening();
  testGetMany();
  testVariants();
  testThreads();
  testPagination();
  testConnectionReuse();
  testEnginePrefetch();
  testCompactionFailure();
  testScanAhead();
  testGetCancel();
  testScanHead();
  testMultipart();
  testCommitOutcome();
  testCreateOnlyWhereEmpty();
  proxyReset();
  curl_global_cleanup();
  return test_done();
}
