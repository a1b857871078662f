/*
** t_estimate.c: sdb_db_estimate, the size a handle reports to the query
** planner without store I/O (core/db/version.c sdbDbVersionEstimate).
**
**   1. Engine-built databases (compactor off, flushes and compactions by
**      hand) holding a sorted run, L0s with and without bloom filters and
**      memtable rows, with small and with large values: the row estimate is
**      within a factor of 2 of the rows written (all distinct keys), for the
**      writer and for a reader of the same database, and the byte estimate
**      within a factor of 2 of the key and value bytes.
**   2. The estimate does no store I/O (the store's GET count is unchanged).
**   3. SlateDB-written fixtures (keys-text: L0s and a WAL tail; sorted-runs:
**      two runs, L0s, WAL): within a factor of 2 of the visible rows;
**      l0-only (5 rounds of overwrites, never compacted): between the visible
**      rows and 3 times them (stored versions count).
**   4. An empty database: 0 rows.
*/
#include <unistd.h>

#include "test.h"
#include "slatedb.h"

static char gDir[] = "/tmp/sdb-estimate-XXXXXX";

/* Open zUrl as a writer (compactor and GC off, L0s only on request,
** compaction outputs split at 64 KiB) or a reader. NULL on failure. */
static SdbDb *openDb(const char *zUrl, int bReader) {
  SdbConfig cfg;
  SdbDb *db = NULL;
  SdbErr err;
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = zUrl;
  cfg.bReadOnly = bReader;
  cfg.bCreateIfMissing = !bReader;
  cfg.l0SstSizeBytes = 256ull << 20;
  cfg.maxSstSize = 64 << 10;
  cfg.compactorPollMs = 3600000;     /* compactions only by sdb_db_compact */
  cfg.bNoGc = 1;
  if (sdb_db_open(&cfg, &db, &err) != SDB_OK) {
    printf("# open %s: %s\n", zUrl, err.zMsg);
    return NULL;
  }
  return db;
}

/* Put keys [k0, k0+n) with values of nVal bytes; adds the payload bytes to
** *pnBytes. SDB_OK or an error. */
static int putRows(SdbDb *db, int k0, int n, int nVal, unsigned long long *pnBytes) {
  SdbBatch *b = sdb_batch_new();
  SdbErr err;
  char zVal[1024];
  int rc = b ? SDB_OK : SDB_NOMEM;
  memset(zVal, 'v', sizeof(zVal));
  for (int i = 0; rc == SDB_OK && i < n; i++) {
    char zKey[32];
    int nKey = snprintf(zKey, sizeof(zKey), "user:%08d", k0 + i);
    zVal[0] = (char)('a' + i % 26);
    rc = sdb_batch_put(b, (const uint8_t *)zKey, (size_t)nKey, (const uint8_t *)zVal,
                       (size_t)nVal, 0, &err);
    *pnBytes += (unsigned long long)(nKey + nVal);
  }
  if (rc == SDB_OK) rc = sdb_db_write(db, b, 1, &err);
  sdb_batch_free(b);
  return rc;
}

/* 1 if x is within a factor of 2 of want. */
static int within2(unsigned long long x, unsigned long long want) {
  return x * 2 >= want && x <= want * 2;
}

/* Build a database in zDir: a sorted run of nRun rows, L0s of nL0a rows (a
** filter: 1000 rows or more) and nL0b rows (none), nMem rows left in the
** memtable, values of nVal bytes. Leaves the writer open in *pDb. */
static int buildDb(const char *zDir, int nRun, int nL0a, int nL0b, int nMem, int nVal,
                   SdbDb **pDb, unsigned long long *pnRows, unsigned long long *pnBytes) {
  SdbErr err;
  int nDone = 0, k = 0;
  SdbDb *db = openDb(zDir, 0);
  *pDb = db;
  *pnRows = *pnBytes = 0;
  if (!db) return SDB_ERROR;
  int rc = SDB_OK;
  for (int i = 0; rc == SDB_OK && i < nRun; i += 1000) {
    int n = nRun - i < 1000 ? nRun - i : 1000;
    rc = putRows(db, k, n, nVal, pnBytes);
    k += n;
    if (rc == SDB_OK) rc = sdb_db_flush(db, 1, &err);
  }
  if (rc == SDB_OK && nRun) rc = sdb_db_compact(db, &nDone, &err);
  const int an[2] = {nL0a, nL0b};
  for (int j = 0; j < 2 && rc == SDB_OK; j++) {
    if (an[j] == 0) continue;
    rc = putRows(db, k, an[j], nVal, pnBytes);
    k += an[j];
    if (rc == SDB_OK) rc = sdb_db_flush(db, 1, &err);
  }
  if (rc == SDB_OK && nMem) rc = putRows(db, k, nMem, nVal, pnBytes);
  k += nMem;
  *pnRows = (unsigned long long)k;
  if (rc != SDB_OK) printf("# build %s: rc %d %s\n", zDir, rc, err.zMsg);
  return rc;
}

/* Check the estimates of a built database, from its writer and a reader. */
static void checkBuilt(const char *zName, int nRun, int nL0a, int nL0b, int nMem, int nVal) {
  char zDir[512], zTest[256];
  SdbDb *db = NULL;
  SdbStats st;
  unsigned long long nRows, nBytes;
  uint64_t eRows = 0, eBytes = 0;
  snprintf(zDir, sizeof(zDir), "%s/%s", gDir, zName);
  int rc = buildDb(zDir, nRun, nL0a, nL0b, nMem, nVal, &db, &nRows, &nBytes);
  snprintf(zTest, sizeof(zTest), "estimate %s: built", zName);
  CHECK(zTest, rc == SDB_OK);
  if (rc != SDB_OK) { sdb_db_close(db); return; }
  sdb_db_stats(db, &st);
  snprintf(zTest, sizeof(zTest), "estimate %s: has its L0s and sorted run", zName);
  CHECKF(zTest, st.nL0 >= (uint64_t)((nL0a > 0) + (nL0b > 0)) && st.nSortedRun == (nRun > 0),
         "%llu L0s, %llu runs", (unsigned long long)st.nL0, (unsigned long long)st.nSortedRun);
  uint64_t nGet = st.nGet;
  sdb_db_estimate(db, &eRows, &eBytes);
  sdb_db_stats(db, &st);
  snprintf(zTest, sizeof(zTest), "estimate %s: no store reads", zName);
  CHECK(zTest, st.nGet == nGet);
  snprintf(zTest, sizeof(zTest), "estimate %s: writer's rows within 2x", zName);
  printf("# %s: %llu rows, %llu bytes written; estimated %llu, %llu\n", zName, nRows, nBytes,
         (unsigned long long)eRows, (unsigned long long)eBytes);
  CHECKF(zTest, within2(eRows, nRows), "estimated %llu rows, %llu written",
         (unsigned long long)eRows, nRows);
  snprintf(zTest, sizeof(zTest), "estimate %s: writer's bytes within 2x", zName);
  CHECKF(zTest, within2(eBytes, nBytes), "estimated %llu bytes, %llu written",
         (unsigned long long)eBytes, nBytes);
  SdbErr err;
  rc = sdb_db_flush(db, 0, &err);
  SdbDb *pReader = openDb(zDir, 1);
  snprintf(zTest, sizeof(zTest), "estimate %s: reader's rows within 2x", zName);
  if (pReader) sdb_db_estimate(pReader, &eRows, &eBytes);
  CHECKF(zTest, pReader && within2(eRows, nRows), "estimated %llu rows, %llu written",
         (unsigned long long)eRows, nRows);
  sdb_db_close(pReader);
  sdb_db_close(db);
}

/* Count the lines of fixture zName's expected.txt (its visible rows). */
static unsigned long long fixtureRows(const char *zName) {
  char zPath[1024];
  unsigned char *a = NULL;
  size_t n = 0;
  unsigned long long nLine = 0;
  snprintf(zPath, sizeof(zPath), "%s/c-tests/fixtures/%s/expected.txt", test_srcdir(), zName);
  if (!test_read_file(zPath, &a, &n)) return 0;
  for (size_t i = 0; i < n; i++) nLine += a[i] == '\n';
  free(a);
  return nLine;
}

/* A SlateDB-written fixture, opened as a reader: rows within a factor of 2
** of the visible ones, or (nVersions > 0: a fixture of overwrites never
** compacted) between them and nVersions times them. */
static void checkFixture(const char *zName, int nVersions) {
  char zUrl[1024], zTest[256];
  uint64_t eRows = 0, eBytes = 0;
  snprintf(zUrl, sizeof(zUrl), "%s/c-tests/fixtures/%s/db", test_srcdir(), zName);
  unsigned long long nRows = fixtureRows(zName);
  SdbDb *db = openDb(zUrl, 1);
  if (db) sdb_db_estimate(db, &eRows, &eBytes);
  printf("# fixture %s: %llu visible rows; estimated %llu, %llu bytes\n", zName, nRows,
         (unsigned long long)eRows, (unsigned long long)eBytes);
  if (nVersions) {
    snprintf(zTest, sizeof(zTest), "estimate fixture %s: rows within the stored versions", zName);
    CHECKF(zTest, db && nRows > 0 && eRows >= nRows && eRows <= nRows * (unsigned long long)nVersions,
           "estimated %llu rows, %llu visible", (unsigned long long)eRows, nRows);
  } else {
    snprintf(zTest, sizeof(zTest), "estimate fixture %s: rows within 2x", zName);
    CHECKF(zTest, db && nRows > 0 && within2(eRows, nRows), "estimated %llu rows, %llu visible",
           (unsigned long long)eRows, nRows);
  }
  sdb_db_close(db);
}

int main(void) {
  if (!mkdtemp(gDir)) { printf("FAIL estimate: temp dir\n"); return 1; }
  /* Small values: filters in the run and the big L0. */
  checkBuilt("small", 6000, 1500, 400, 300, 16);
  /* Large values: the unfiltered L0s count at the run's bytes per row. */
  checkBuilt("large", 3000, 0, 600, 200, 300);
  /* No filter anywhere: the memtable's row size, then the 64-byte default
  ** and the min_filter_keys cap. */
  checkBuilt("nofilter", 0, 0, 900, 100, 40);
  checkFixture("keys-text", 0);
  checkFixture("sorted-runs", 0);
  /* 5 rounds of overwrites in 5 L0s: the stored versions count. */
  checkFixture("l0-only", 3);
  char zDir[512];
  uint64_t eRows = 1, eBytes = 1;
  snprintf(zDir, sizeof(zDir), "%s/empty", gDir);
  SdbDb *db = openDb(zDir, 0);
  if (db) sdb_db_estimate(db, &eRows, &eBytes);
  CHECK("estimate empty: 0 rows, 0 bytes", db && eRows == 0 && eBytes == 0);
  sdb_db_close(db);
  char zCmd[600];
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", gDir);
  if (system(zCmd) != 0) printf("# could not remove %s\n", gDir);
  return test_done();
}
