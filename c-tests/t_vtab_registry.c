/*
** t_vtab_registry.c: the process-wide registry of open databases (ext/handles.c)
** never holds its lock across store I/O: while one thread opens (or closes)
** a slow S3 database, another thread opens, queries and closes a table on a
** different database, and reads slatedb_handles, without waiting for it; and
** two threads that open the same slow database at once share one handle.
** Then slatedb_read reads that s3:// database: successive statements share
** one kept handle and do not open it again.
**
** The slow database is an s3:// one behind the test proxy with a delay on
** every request (environment as for t_s3: AWS_*, SDB_TEST_MOTO,
** SDB_TEST_PROXY, exported by scripts/test.sh). Without SDB_TEST_PROXY the
** program prints SKIP with the reason and exits 0.
*/
#define SQLITE_CORE 1
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
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "vtabtest.h"

#define SLOW_MS 600                 /* proxy delay of every S3 request */

static const char *zMoto;           /* $SDB_TEST_MOTO */
static const char *zProxy;          /* $SDB_TEST_PROXY */
static char zDir[512];              /* scratch directory for the local database */
static char zBucket[64];            /* the slow database's bucket */

static i64 nowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (i64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* POST/PUT zBody to zUrl; the HTTP status, or 0 when the request failed. */
static long httpSend(const char *zMethod, const char *zUrl, const char *zBody) {
  CURL *h = curl_easy_init();
  long st = 0;
  if (!h) return 0;
  FILE *pNull = fopen("/dev/null", "w");
  curl_easy_setopt(h, CURLOPT_URL, zUrl);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, zMethod);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, zBody);
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(zBody));
  if (pNull) curl_easy_setopt(h, CURLOPT_WRITEDATA, pNull);
  if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
  curl_easy_cleanup(h);
  if (pNull) fclose(pNull);
  return st;
}

/* Replace the proxy's fault rules (JSON list). */
static void proxyRules(const char *zJson) {
  char zUrl[512];
  snprintf(zUrl, sizeof(zUrl), "%s/__proxy/rules", zProxy);
  long st = httpSend("POST", zUrl, zJson);
  if (st != 200) printf("# proxy rules answered %ld for %s\n", st, zJson);
}

/* One thread's use of the slow S3 database: open a writer table, write a
** row, close. Records when it started and ended. */
typedef struct SlowJob {
  pthread_t thread;
  i64 startMs, endMs;
  int rc;                             /* SQLITE_OK when every step worked */
} SlowJob;

static void *slowMain(void *pArg) {
  SlowJob *j = pArg;
  char zUrl[128];
  snprintf(zUrl, sizeof(zUrl), "s3://%s/db", zBucket);
  j->startMs = nowMs();
  sqlite3 *db = openTable(zUrl, "mode=writer, compactor=off, gc=off");
  j->rc = db ? execSql(db, "INSERT OR REPLACE INTO t(key, value) VALUES ('k', 'v')") : SQLITE_ERROR;
  sqlite3_close(db);                  /* the last table closes the database */
  j->endMs = nowMs();
  return 0;
}

/* The other thread's work on a local database; its duration in ms, or -1. */
static i64 localWork(void) {
  i64 t0 = nowMs();
  sqlite3 *db = openTable(zDir, "mode=writer, compactor=off, gc=off");
  if (!db) return -1;
  int rc = execSql(db, "INSERT INTO t(key, value) VALUES ('a', '1')");
  if (rc == SQLITE_OK) rc = execSql(db, "SELECT count(*) FROM t");
  if (rc == SQLITE_OK) rc = execSql(db, "SELECT * FROM slatedb_handles");
  sqlite3_close(db);
  return rc == SQLITE_OK ? nowMs() - t0 : -1;
}

/* Start the slow job and wait until it is inside its open (a few requests). */
static void startSlow(SlowJob *j) {
  memset(j, 0, sizeof(*j));
  pthread_create(&j->thread, 0, slowMain, j);
  usleep(SLOW_MS * 1000 * 3 / 2);
}

static void testOpenDoesNotBlock(void) {
  SlowJob j;
  startSlow(&j);
  i64 t0 = nowMs();
  i64 nLocal = localWork();
  i64 tLocalEnd = nowMs();
  pthread_join(j.thread, 0);
  CHECKF("registry: the slow S3 writer opens, writes and closes", j.rc == SQLITE_OK, "rc %d",
         j.rc);
  CHECK("registry: the local database works meanwhile", nLocal >= 0);
  CHECKF("registry: the local work ends while the S3 database is still busy",
         tLocalEnd < j.endMs, "local done at +%lld ms, S3 done at +%lld ms",
         (long long)(tLocalEnd - t0), (long long)(j.endMs - t0));
  CHECKF("registry: a local open, write, read, slatedb_handles and close do not wait for "
         "another thread's slow S3 open", nLocal >= 0 && nLocal < SLOW_MS * 2,
         "took %lld ms (limit %d)", (long long)nLocal, SLOW_MS * 2);
}

/* Two threads opening the same slow database at once: both work, and the
** second waits for the first's open instead of opening it a second time
** (which would fence the first writer). */
static void testSameDatabaseShared(void) {
  SlowJob a, b;
  memset(&a, 0, sizeof(a));
  memset(&b, 0, sizeof(b));
  pthread_create(&a.thread, 0, slowMain, &a);
  usleep(SLOW_MS * 1000 / 2);
  pthread_create(&b.thread, 0, slowMain, &b);
  pthread_join(a.thread, 0);
  pthread_join(b.thread, 0);
  CHECKF("registry: two threads opening the same slow writer at once both work",
         a.rc == SQLITE_OK && b.rc == SQLITE_OK, "rc %d, %d", a.rc, b.rc);
}

/* One integer from zSql on db, or -1. */
static i64 queryInt(sqlite3 *db, const char *zSql) {
  sqlite3_stmt *p = 0;
  i64 v = -1;
  if (sqlite3_prepare_v2(db, zSql, -1, &p, 0) == SQLITE_OK && sqlite3_step(p) == SQLITE_ROW) {
    v = sqlite3_column_int64(p, 0);
  } else {
    printf("# %s: %s\n", zSql, sqlite3_errmsg(db));
  }
  sqlite3_finalize(p);
  return v;
}

/* slatedb_read on the s3:// database the jobs wrote: it reads the row, and
** ten more statements reuse the kept handle (one registry entry, one
** reference, no second open: no more manifest GETs than one per refresh). */
static void testReadFunction(void) {
  sqlite3 *db = 0;
  char zSql[512], zStat[512];
  sqlite3_open(":memory:", &db);
  sqlite3_slatedb_init(db, 0, 0);
  snprintf(zSql, sizeof(zSql), "SELECT count(*) FROM slatedb_read('s3://%s/db') WHERE key = 'k'"
           " AND value = 'v'", zBucket);
  snprintf(zStat, sizeof(zStat), "SELECT gets + lists + heads FROM slatedb_handles WHERE path ="
           " 's3://%s/db' AND mode = 'reader'", zBucket);
  CHECK("registry: slatedb_read reads an s3:// database", queryInt(db, zSql) == 1);
  i64 nAfterOne = queryInt(db, zStat);
  int nOk = 0;
  for (int i = 0; i < 10; i++) nOk += queryInt(db, zSql) == 1;
  i64 nAfterEleven = queryInt(db, zStat);
  snprintf(zStat, sizeof(zStat), "SELECT count(*) * 100 + sum(refs) FROM slatedb_handles WHERE"
           " path = 's3://%s/db'", zBucket);
  CHECKF("registry: ten more slatedb_read statements share its one kept handle",
         nOk == 10 && queryInt(db, zStat) == 101, "%d of 10 read, handles*100+refs %lld", nOk,
         (long long)queryInt(db, zStat));
  printf("# slatedb_read on S3: %lld requests for the first statement (the open), %lld for the"
         " next ten\n", (long long)nAfterOne, (long long)(nAfterEleven - nAfterOne));
  CHECKF("registry: the next statements cost fewer requests than opening it again",
         nAfterOne > 0 && nAfterEleven - nAfterOne < 10 * nAfterOne, "%lld then %lld",
         (long long)nAfterOne, (long long)(nAfterEleven - nAfterOne));
  sqlite3_close(db);
  snprintf(zStat, sizeof(zStat), "SELECT count(*) FROM slatedb_handles");
  sqlite3_open(":memory:", &db);
  sqlite3_slatedb_init(db, 0, 0);
  CHECK("registry: closing the connection closes the kept handle", queryInt(db, zStat) == 0);
  sqlite3_close(db);
}

static int rmOne(const char *z, const struct stat *st, int flag, struct FTW *f) {
  (void)st; (void)flag; (void)f;
  return remove(z);
}

int main(void) {
  zMoto = getenv("SDB_TEST_MOTO");
  zProxy = getenv("SDB_TEST_PROXY");
  if (!zMoto || !zProxy) {
    printf("SKIP t_vtab_registry: no S3 test servers (SDB_TEST_MOTO / SDB_TEST_PROXY unset; "
           "scripts/test.sh starts them)\n");
    return 0;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  snprintf(zDir, sizeof(zDir), "/tmp/sdb-registry-%d", (int)getpid());
  snprintf(zBucket, sizeof(zBucket), "sdbreg-%d", (int)getpid());
  char zUrl[512];
  snprintf(zUrl, sizeof(zUrl), "%s/%s", zMoto, zBucket);
  if (httpSend("PUT", zUrl, "") != 200) printf("# creating bucket %s failed\n", zBucket);
  char zRule[128];
  snprintf(zRule, sizeof(zRule), "[{\"delay_ms\":%d}]", SLOW_MS);
  proxyRules(zRule);
  testOpenDoesNotBlock();
  testSameDatabaseShared();
  proxyRules("[]");
  testReadFunction();
  nftw(zDir, rmOne, 16, FTW_DEPTH | FTW_PHYS);
  curl_global_cleanup();
  return test_done();
}
