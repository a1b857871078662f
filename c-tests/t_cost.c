/*
** t_cost.c: slatedb_cost per connection (ext/cost.c).
**
**   - two connections on one database (one shared handle): each sees only
**     its own statements' cost, also while one leaves a scan half-stepped
**     and the other runs a scan meanwhile;
**   - two threads scanning at once through their own connections: each
**     connection counts exactly its own cache lookups, and the two together
**     count what the shared handle counted (totals of the handle, which every
**     connection would see, are their sum);
**   - on S3 (environment as for t_s3: AWS_*, SDB_TEST_MOTO, SDB_TEST_PROXY,
**     exported by scripts/test.sh; skipped without them): a full scan's
**     counted requests and bytes equal what the proxy served, a commit's PUT
**     is counted with its bytes, and a connection that did nothing counts
**     nothing;
**   - many prepared statements: an INSERT run row by row in a transaction
**     (and an INSERT ... SELECT) after 1000 other statements were prepared
**     costs about what it costs without them: the statements walked to tell
**     statements apart stay flat per row (sdbExtTestCostWalk), and so does
**     the CPU time (printed);
**   - loading the extension twice on a connection: tables created before the
**     second load still count in slatedb_cost, and the connection's records
**     are freed at close (ASan).
**
** The extension is compiled in (-DSQLITE_CORE) as in the other t_vtab tests.
*/
#define SQLITE_CORE 1
#define SDB_TESTHOOKS 1
#include "../ext/cost.c"
#include "../ext/handles.c"
#include "../ext/keycodec.c"
#include "../ext/options.c"
#include "../ext/slatedb_ext.c"
#include "../ext/vtab.c"
#include "../ext/vtab_args.c"
#include "../ext/vtab_info.c"
#include "../ext/vtab_read.c"
#include "../ext/vtab_plan.c"
#include "../ext/vtab_write.c"

#include <curl/curl.h>
#include <ftw.h>
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <unistd.h>

#include "test.h"
#include "vtabtest.h"

#define NSCAN 20                  /* scans per thread */

/* The integer result of zSql on db, or -1. */
static i64 queryInt(sqlite3 *db, const char *zSql) {
  sqlite3_stmt *s = 0;
  i64 v = -1;
  if (sqlite3_prepare_v2(db, zSql, -1, &s, 0) != SQLITE_OK) {
    printf("# %s: %s\n", zSql, sqlite3_errmsg(db));
    return -1;
  }
  if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return v;
}

/* Column zCol of slatedb_cost's row zScope ("last statement", "connection"). */
static i64 cost(sqlite3 *db, const char *zScope, const char *zCol) {
  char *zSql = sqlite3_mprintf("SELECT %s FROM slatedb_cost WHERE scope = '%q'", zCol, zScope);
  i64 v = queryInt(db, zSql);
  sqlite3_free(zSql);
  return v;
}

/* Cache lookups of db's last statement / of the connection. */
static i64 lookups(sqlite3 *db, const char *zScope) {
  return cost(db, zScope, "cache_hits + cache_misses");
}

/* ------------------------------------------------------------ two connections */

static void testTwoConnections(const char *zRoot) {
  sqlite3 *a = openTable(zRoot, "mode=reader, key_type=blob, value_type=blob, "
                                "merge_operator=concat, poll_interval='1h'");
  sqlite3 *b = openTable(zRoot, "mode=reader, key_type=blob, value_type=blob, "
                                "merge_operator=concat, poll_interval='1h'");
  CHECK("cost: two connections open", a && b);
  if (!a || !b) goto done;
  execSql(b, "SELECT slatedb_cost_reset()");
  i64 nRows = queryInt(a, "SELECT count(*) FROM t");
  i64 nA = lookups(a, "last statement");
  CHECKF("cost: a's scan counts GETs and lookups", nRows > 0 && nA > 0 &&
         cost(a, "last statement", "gets") > 0, "rows %lld lookups %lld", nRows, nA);
  CHECKF("cost: b saw none of a's work", lookups(b, "connection") == 0 &&
         cost(b, "connection", "requests") == 0, "b: %lld lookups %lld requests",
         lookups(b, "connection"), cost(b, "connection", "requests"));

  /* A scan on a warm cache looks up every block (a cold one looks up the
  ** first block of each read-ahead window). */
  queryInt(a, "SELECT count(*) FROM t");
  i64 nWarm = lookups(a, "last statement");
  /* a leaves a scan half-stepped; b runs a scan meanwhile. */
  sqlite3_stmt *s = 0;
  sqlite3_prepare_v2(a, "SELECT key FROM t", -1, &s, 0);
  int nStep = 0;
  while (nStep < 3 && sqlite3_step(s) == SQLITE_ROW) nStep++;
  i64 nB1 = queryInt(b, "SELECT count(*) FROM t");
  i64 nBScan = lookups(b, "last statement");
  while (sqlite3_step(s) == SQLITE_ROW) nStep++;
  sqlite3_finalize(s);
  i64 nAScan = lookups(a, "last statement");
  CHECKF("cost: interleaved scans each count their own", nStep == nRows && nB1 == nRows &&
         nAScan == nWarm && nBScan == nWarm && nWarm > 0, "a %lld, b %lld (alone %lld)",
         nAScan, nBScan, nWarm);
  CHECKF("cost: b's connection = its scan", lookups(b, "connection") == nBScan,
         "%lld vs %lld", lookups(b, "connection"), nBScan);
  CHECKF("cost: a's connection = its three scans", lookups(a, "connection") == nA + 2 * nWarm,
         "%lld vs %lld + 2 x %lld", lookups(a, "connection"), nA, nWarm);
done:
  sqlite3_close(a);
  sqlite3_close(b);
}

/* ------------------------------------------------------------ threads */

typedef struct ScanJob {
  sqlite3 *db;
  pthread_t thread;
  int nOk;                        /* scans that returned the rows */
  i64 nRows;
} ScanJob;

static void *scanMain(void *pArg) {
  ScanJob *j = pArg;
  for (int i = 0; i < NSCAN; i++) j->nOk += queryInt(j->db, "SELECT count(*) FROM t") == j->nRows;
  return NULL;
}

/* Cache lookups the handle of the (only) database has counted. */
static i64 handleLookups(sqlite3 *db) {
  return queryInt(db, "SELECT sum(cache_hits + cache_misses) FROM slatedb_handles");
}

static void testThreads(const char *zRoot) {
  ScanJob aJob[2];
  memset(aJob, 0, sizeof(aJob));
  const char *zOpts = "mode=reader, key_type=blob, value_type=blob, merge_operator=concat, "
                      "poll_interval='1h'";
  for (int i = 0; i < 2; i++) aJob[i].db = openTable(zRoot, zOpts);
  CHECK("cost: thread connections open", aJob[0].db && aJob[1].db);
  if (!aJob[0].db || !aJob[1].db) goto done;
  i64 nRows = queryInt(aJob[0].db, "SELECT count(*) FROM t");   /* warm the cache */
  nRows = queryInt(aJob[0].db, "SELECT count(*) FROM t");
  i64 nOne = lookups(aJob[0].db, "last statement");
  i64 nBefore = handleLookups(aJob[0].db);
  for (int i = 0; i < 2; i++) {
    aJob[i].nRows = nRows;
    execSql(aJob[i].db, "SELECT slatedb_cost_reset()");
  }
  for (int i = 0; i < 2; i++) pthread_create(&aJob[i].thread, NULL, scanMain, &aJob[i]);
  for (int i = 0; i < 2; i++) pthread_join(aJob[i].thread, NULL);
  i64 nHandle = handleLookups(aJob[0].db) - nBefore;
  i64 n0 = lookups(aJob[0].db, "connection"), n1 = lookups(aJob[1].db, "connection");
  CHECKF("cost: concurrent scans all ran", aJob[0].nOk == NSCAN && aJob[1].nOk == NSCAN,
         "%d and %d of %d", aJob[0].nOk, aJob[1].nOk, NSCAN);
  CHECKF("cost: each connection counts exactly its own scans", n0 == NSCAN * nOne &&
         n1 == NSCAN * nOne, "%lld and %lld lookups, %d x %lld expected", n0, n1, NSCAN, nOne);
  CHECKF("cost: the connections together count what the handle did", n0 + n1 == nHandle,
         "%lld + %lld vs %lld", n0, n1, nHandle);
  CHECKF("cost: the last statement is one scan", lookups(aJob[1].db, "last statement") == nOne,
         "%lld vs %lld", lookups(aJob[1].db, "last statement"), nOne);
done:
  for (int i = 0; i < 2; i++) sqlite3_close(aJob[i].db);
}

/* ------------------------------------------------------------ many statements */

#define NBULK 50000               /* rows of the row-by-row INSERT */
#define NEXTRA 1000               /* other statements prepared */

/* nftw callback: remove one entry. */
static int rmEntry(const char *zPath, const struct stat *st, int eFlag, struct FTW *pFtw) {
  return remove(zPath);
}

/* This thread's CPU seconds. */
static double cpuNow(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* On a fresh writer table: prepare the INSERT, then nExtra other statements
** (so the INSERT is last in the connection's list), then run it NBULK times
** in one transaction, then an INSERT ... SELECT of NBULK rows. *pnWalk gets
** the statements walked during the two, *prSec their CPU seconds. Returns
** the rows the table holds after, or -1. */
static i64 bulkRun(int nExtra, long long *pnWalk, double *prSec) {
  char zDir[256], zRoot[300];
  snprintf(zDir, sizeof(zDir), "%s/sdb-cost-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (!mkdtemp(zDir)) return -1;
  snprintf(zRoot, sizeof(zRoot), "%s/db", zDir);
  sqlite3 *db = openTable(zRoot, "mode=writer, key_type=text, value_type=text");
  sqlite3_stmt *pIns = 0, *pSel = 0, **apExtra = calloc((size_t)nExtra + 1, sizeof(*apExtra));
  i64 nRows = -1;
  if (!db || !apExtra) goto done;
  sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?, 'v')", -1, &pIns, 0);
  sqlite3_prepare_v2(db, "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c "
                         "WHERE i < ?) INSERT INTO t SELECT printf('s%08d', i), 'v' FROM c",
                     -1, &pSel, 0);
  for (int i = 0; i < nExtra; i++) {
    char *zSql = sqlite3_mprintf("SELECT %d", i);
    sqlite3_prepare_v2(db, zSql, -1, &apExtra[i], 0);
    sqlite3_free(zSql);
  }
  if (!pIns || !pSel) goto done;
  execSql(db, "BEGIN");
  long long nWalk0 = sdbExtTestCostWalk;
  double t0 = cpuNow();
  for (int i = 0; i < NBULK; i++) {
    char zKey[32];
    snprintf(zKey, sizeof(zKey), "k%08d", i);
    sqlite3_bind_text(pIns, 1, zKey, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(pIns) != SQLITE_DONE) printf("# insert: %s\n", sqlite3_errmsg(db));
    sqlite3_reset(pIns);
  }
  execSql(db, "COMMIT");
  sqlite3_bind_int(pSel, 1, NBULK);
  if (sqlite3_step(pSel) != SQLITE_DONE) printf("# insert-select: %s\n", sqlite3_errmsg(db));
  sqlite3_reset(pSel);
  *prSec = cpuNow() - t0;
  *pnWalk = sdbExtTestCostWalk - nWalk0;
  nRows = queryInt(db, "SELECT count(*) FROM t");
done:
  for (int i = 0; apExtra && i < nExtra; i++) sqlite3_finalize(apExtra[i]);
  free(apExtra);
  sqlite3_finalize(pIns);
  sqlite3_finalize(pSel);
  sqlite3_close(db);
  nftw(zDir, rmEntry, 16, FTW_DEPTH | FTW_PHYS);
  return nRows;
}

static void testManyStatements(void) {
  long long nWalk0 = 0, nWalk1 = 0;
  double r0 = 0, r1 = 0;
  i64 n0 = bulkRun(0, &nWalk0, &r0), n1 = bulkRun(NEXTRA, &nWalk1, &r1);
  printf("# %d + %d rows: %.3f s CPU, %lld statements walked; after %d prepared statements "
         "%.3f s, %lld walked\n", NBULK, NBULK, r0, nWalk0, NEXTRA, r1, nWalk1);
  CHECKF("cost: bulk inserts all written", n0 == 2 * NBULK && n1 == 2 * NBULK,
         "%lld and %lld rows", n0, n1);
  CHECKF("cost: many prepared statements are not walked per inserted row",
         nWalk1 < 10 * (NEXTRA + 10) && nWalk1 <= 1.5 * nWalk0 + 10 * (NEXTRA + 10),
         "%lld statements walked with %d prepared, %lld without", nWalk1, NEXTRA, nWalk0);
}

/* ------------------------------------------------------------ loaded twice */

static void testLoadTwice(void) {
  char zDir[256], zRoot[300];
  snprintf(zDir, sizeof(zDir), "%s/sdb-cost-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  CHECK("cost: temp dir", mkdtemp(zDir) != 0);
  snprintf(zRoot, sizeof(zRoot), "%s/db", zDir);
  sqlite3 *db = openTable(zRoot, "mode=writer, key_type=text, value_type=text");
  CHECK("cost twice: table open", db != 0);
  if (!db) return;
  execSql(db, "INSERT INTO t VALUES ('a', '1')");
  i64 nPut1 = cost(db, "last statement", "puts"), nConn1 = cost(db, "connection", "puts");
  CHECKF("cost twice: second load works", sqlite3_slatedb_init(db, 0, 0) == SQLITE_OK, "%s",
         sqlite3_errmsg(db));
  execSql(db, "INSERT INTO t VALUES ('b', '2')");
  i64 nPut2 = cost(db, "last statement", "puts"), nConn2 = cost(db, "connection", "puts");
  CHECKF("cost twice: a table created before the second load still counts",
         nPut1 == 1 && nPut2 == 1 && nConn2 == nConn1 + 1,
         "puts %lld then %lld, connection %lld then %lld", nPut1, nPut2, nConn1, nConn2);
  char *zSql = sqlite3_mprintf("CREATE VIRTUAL TABLE u USING slatedb('%q/db2', mode=writer)",
                               zDir);
  execSql(db, zSql);
  sqlite3_free(zSql);
  i64 nConn3 = cost(db, "connection", "puts");
  execSql(db, "INSERT INTO u VALUES ('c', '3')");
  CHECKF("cost twice: a table created after it counts with the same records",
         cost(db, "last statement", "puts") == 1 && nConn3 > nConn2 &&
         cost(db, "connection", "puts") == nConn3 + 1, "puts %lld, connection %lld then %lld",
         cost(db, "last statement", "puts"), nConn3, cost(db, "connection", "puts"));
  sqlite3_close(db);
  nftw(zDir, rmEntry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ------------------------------------------------------------ S3 */

static const char *zProxy;        /* $SDB_TEST_PROXY */

/* A growing answer body (malloc'd). */
typedef struct Body { char *a; size_t n; } Body;

static size_t onBody(char *a, size_t sz, size_t n, void *pArg) {
  Body *b = pArg;
  char *aNew = realloc(b->a, b->n + sz * n + 1);
  if (!aNew) return 0;
  memcpy(aNew + b->n, a, sz * n);
  b->a = aNew;
  b->n += sz * n;
  b->a[b->n] = 0;
  return sz * n;
}

/* An unsigned request; the status, or 0. The answer body goes to pOut if set. */
static long http(const char *zMethod, const char *zUrl, Body *pOut) {
  CURL *h = curl_easy_init();
  Body junk = {0};
  long st = 0;
  if (!h) return 0;
  curl_easy_setopt(h, CURLOPT_URL, zUrl);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, zMethod);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, pOut ? pOut : &junk);
  if (strcmp(zMethod, "GET") != 0) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
  }
  if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
  curl_easy_cleanup(h);
  free(junk.a);
  return st;
}

/* Counter "zName": N of the proxy's /__proxy/stats (first occurrence), or -1. */
static i64 proxyStat(const char *zName) {
  char zUrl[512], zPat[64];
  Body b = {0};
  snprintf(zUrl, sizeof(zUrl), "%s/__proxy/stats", zProxy);
  http("GET", zUrl, &b);
  snprintf(zPat, sizeof(zPat), "\"%s\":", zName);
  const char *z = b.a ? strstr(b.a, zPat) : NULL;
  i64 v = z ? strtoll(z + strlen(zPat), NULL, 10) : -1;
  free(b.a);
  return v;
}

static void proxyReset(void) {
  char zUrl[512];
  snprintf(zUrl, sizeof(zUrl), "%s/__proxy/reset", zProxy);
  http("POST", zUrl, NULL);
}

static void testS3(const char *zMoto) {
  char zBucket[64], zUrl[512], zRoot[128];
  snprintf(zBucket, sizeof(zBucket), "sdbcost-%d", (int)getpid());
  snprintf(zUrl, sizeof(zUrl), "%s/%s", zMoto, zBucket);
  if (http("PUT", zUrl, NULL) != 200) printf("# creating bucket %s failed\n", zBucket);
  snprintf(zRoot, sizeof(zRoot), "s3://%s/db", zBucket);

  sqlite3 *w = openTable(zRoot, "mode=writer, key_type=int64, value_type=text, "
                                "compactor=false, gc=false");
  CHECK("cost s3: writer open", w != 0);
  if (!w) return;
  execSql(w, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
             "INSERT INTO t SELECT i, printf('value %08d of the cost test', i) FROM n");
  execSql(w, "INSERT INTO t(t) VALUES ('flush-memtable')");
  /* The L0 is written by the flusher: wait until the handle shows it. */
  for (int i = 0; i < 200 && queryInt(w, "SELECT sum(l0_ssts) FROM slatedb_handles "
                                         "WHERE mode = 'writer'") < 1; i++) {
    usleep(50 * 1000);
  }
  proxyReset();
  execSql(w, "INSERT INTO t VALUES (5000, 'one more')");
  i64 nPut = cost(w, "last statement", "puts"), nOut = cost(w, "last statement", "bytes_out");
  CHECKF("cost s3: a commit's PUT and bytes as the proxy saw them",
         nPut == 1 && cost(w, "last statement", "requests") == 1 && proxyStat("PUT") == 1 &&
         nOut > 0 && nOut == proxyStat("request_body_bytes"),
         "puts %lld (proxy %lld), bytes_out %lld (proxy %lld)", nPut, proxyStat("PUT"), nOut,
         proxyStat("request_body_bytes"));

  sqlite3 *r = openTable(zRoot, "mode=reader, key_type=int64, value_type=text, "
                                "poll_interval='1h', cache_size='1MiB'");
  sqlite3 *idle = openTable(zRoot, "mode=reader, key_type=int64, value_type=text, "
                                   "poll_interval='1h', cache_size='1MiB'");
  CHECK("cost s3: readers open", r && idle);
  if (r && idle) {
    queryInt(r, "SELECT count(*) FROM t WHERE key = 0");      /* opens the handle */
    execSql(idle, "SELECT slatedb_cost_reset()");
    proxyReset();
    i64 nRows = queryInt(r, "SELECT count(*) FROM t");
    i64 nGet = cost(r, "last statement", "gets"), nIn = cost(r, "last statement", "bytes_in");
    i64 nReq = cost(r, "last statement", "requests");
    i64 pReq = proxyStat("requests"), pGet = proxyStat("GET"), pBytes = proxyStat("body_bytes");
    printf("# s3 scan: %lld GETs, %lld bytes (some by read-ahead threads)\n",
           nGet, nIn);
    CHECKF("cost s3: a scan's GETs and bytes as the proxy served them",
           nRows == 3001 && nGet > 0 && nReq == nGet && nGet == pReq && nGet == pGet &&
           nIn == pBytes, "rows %lld; gets %lld requests %lld (proxy %lld, GET %lld); "
           "bytes_in %lld (proxy %lld)", nRows, nGet, nReq, pReq, pGet, nIn, pBytes);
    CHECKF("cost s3: a connection that did nothing counts nothing",
           cost(idle, "connection", "requests") == 0 && cost(idle, "connection", "bytes_in") == 0,
           "%lld requests", cost(idle, "connection", "requests"));
  }
  sqlite3_close(idle);
  sqlite3_close(r);
  sqlite3_close(w);
}

int main(void) {
  char zRoot[1024];
  snprintf(zRoot, sizeof(zRoot), "%s/c-tests/fixtures/sorted-runs/db", test_srcdir());
  testTwoConnections(zRoot);
  testThreads(zRoot);
  testManyStatements();
  testLoadTwice();
  const char *zMoto = getenv("SDB_TEST_MOTO");
  zProxy = getenv("SDB_TEST_PROXY");
  if (zMoto && zProxy) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    testS3(zMoto);
    curl_global_cleanup();
  } else {
    printf("SKIP cost s3: no S3 test servers (SDB_TEST_MOTO / SDB_TEST_PROXY unset; "
           "scripts/test.sh starts them)\n");
  }
  return test_done();
}
