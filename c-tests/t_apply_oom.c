/*
** t_apply_oom.c: a commit that runs out of memory is applied to the memtable
** whole or not at all.
**
** For every N, a fresh local database gets a multi-row commit (NROW rows of
** VALSZ bytes: several memtable arena chunks) whose Nth allocation fails
** (once), from the batch's collection through the WAL SST to the memtable
** apply; N runs until the commit meets no failure. The commit is durable,
** async (its rows go to the WAL buffer, written by the next durable commit)
** or async after an async commit left a row in the buffer (a part-way
** failure there drops the buffer and stops the handle's writes). Then:
**   - a scan of the same handle shows all of the commit's rows or none, and
**     so it does after a following successful commit (which publishes the
**     next seq) and (durable runs) after a memtable flush to an L0
**     (sdb_db_flush), which records the commit's WAL as consumed;
**   - after close and reopen the database holds all of them or none, and
**     all of them if the handle showed them;
**   - the following commit's row is there throughout (unless the handle
**     stopped writing, which only the third way may do).
** Before the fix, a failure inside the apply (after the WAL PUT) left part
** of the rows in the memtable: the next commit made them visible, and the
** L0 flush lost the others for good (replay_after_wal_id skipped the WAL);
** and an async commit that failed part-way into the WAL buffer left rows
** there that the next write stored (a reopen without the flush showed them).
** First the memtable's group API (memtable.h) alone: a group whose Nth
** allocation fails shows nothing and, dropped, gives its arena chunks back;
** a group dropped after another insert keeps that insert's row. Then an
** async commit's WAL buffer write that runs out of memory (testAsyncFlushOom).
** Background threads stay idle (hour-long intervals), so each N is
** reproducible. Environment: SDB_APPLY_OOM_N=<n> runs only that N.
*/
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#include "test.h"
#include "db/memtable.h"

#define NROW 600
#define VALSZ 1000

/* ------------------------------------------------------------ allocator */

typedef struct Hdr { size_t n; size_t pad; } Hdr;

static struct {
  pthread_mutex_t mu;
  long nCall;      /* allocating calls since armed */
  long iFail;      /* the call that fails (1-based); 0 = none */
  long nFailed;
  long nBytes;     /* bytes the engine holds */
} ta = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0};

static void *taRealloc(void *pCtx, void *p, size_t n) {
  (void)pCtx;
  pthread_mutex_lock(&ta.mu);
  int bFail = ta.iFail && ++ta.nCall == ta.iFail;
  if (bFail) ta.nFailed++;
  pthread_mutex_unlock(&ta.mu);
  if (bFail) return NULL;
  Hdr *h = p ? (Hdr *)p - 1 : NULL;
  size_t nOld = h ? h->n : 0;
  Hdr *hNew = realloc(h, sizeof(Hdr) + n);
  if (!hNew) return NULL;
  hNew->n = n;
  pthread_mutex_lock(&ta.mu);
  ta.nBytes += (long)n - (long)nOld;
  pthread_mutex_unlock(&ta.mu);
  return hNew + 1;
}

static void *taMalloc(void *pCtx, size_t n) { return taRealloc(pCtx, NULL, n); }

static void taFree(void *pCtx, void *p) {
  (void)pCtx;
  Hdr *h = (Hdr *)p - 1;
  pthread_mutex_lock(&ta.mu);
  ta.nBytes -= (long)h->n;
  pthread_mutex_unlock(&ta.mu);
  free(h);
}

static void taArm(long iFail) {
  pthread_mutex_lock(&ta.mu);
  ta.nCall = 0;
  ta.iFail = iFail;
  ta.nFailed = 0;
  pthread_mutex_unlock(&ta.mu);
}

/* ------------------------------------------------------------ helpers */

static int openDb(const char *zDir, SdbDb **pDb) {
  SdbConfig cfg;
  SdbErr err = {0};
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = zDir;
  cfg.bCreateIfMissing = 1;          /* a writer (mode=writer) */
  cfg.flushIntervalMs = 3600000;     /* background threads stay idle */
  cfg.compactorPollMs = 3600000;
  cfg.gcIntervalMs = 3600000;
  cfg.blockSize = 65536;             /* few WAL blocks: fewer N to try */
  *pDb = NULL;
  int rc = sdb_db_open(&cfg, pDb, &err);
  if (rc) printf("# open %s: %d %s\n", zDir, rc, err.zMsg);
  return rc;
}

static int putOne(SdbDb *db, const char *zKey, SdbErr *pErr) {
  SdbBatch *b = sdb_batch_new();
  if (!b) return 7;
  int rc = sdb_batch_put(b, (const uint8_t *)zKey, strlen(zKey), (const uint8_t *)"v", 1, 0, pErr);
  if (rc == 0) rc = sdb_db_write(db, b, 1, pErr);
  sdb_batch_free(b);
  return rc;
}

/* The commit under test: keys r0000.. with VALSZ-byte values. */
static SdbBatch *bigBatch(void) {
  static uint8_t aVal[VALSZ];
  SdbBatch *b = sdb_batch_new();
  SdbErr err = {0};
  memset(aVal, 'x', sizeof(aVal));
  for (int i = 0; b && i < NROW; i++) {
    char zKey[16];
    snprintf(zKey, sizeof(zKey), "r%04d", i);
    if (sdb_batch_put(b, (const uint8_t *)zKey, 5, aVal, VALSZ, 0, &err)) {
      sdb_batch_free(b);
      return NULL;
    }
  }
  return b;
}

/* Rows of the big commit a scan shows (*pnR) and whether key "z" is there;
** -1 in *pnR if the scan fails. */
static void countRows(SdbDb *db, int *pnR, int *pbZ) {
  SdbIter *it = NULL;
  SdbErr err = {0};
  *pnR = 0;
  *pbZ = 0;
  int rc = sdb_db_scan(db, NULL, 0, &it, &err);
  while (rc == 0 && !it->bEof) {
    if (it->cur.nKey == 5 && it->cur.pKey[0] == 'r') (*pnR)++;
    if (it->cur.nKey == 1 && it->cur.pKey[0] == 'z') *pbZ = 1;
    rc = sdb_iter_next(it, &err);
  }
  if (rc) *pnR = -1;
  sdb_iter_free(it);
}

/* Check that the handle shows all or none of the big commit (bZ: and "z"). */
static int checkWhole(long n, const char *zWhen, SdbDb *db, int bZ, int *pnR) {
  int nR, bHasZ;
  countRows(db, &nR, &bHasZ);
  if (pnR) *pnR = nR;
  char zName[192];
  snprintf(zName, sizeof(zName), "N=%ld %s", n, zWhen);
  if ((nR == 0 || nR == NROW) && bHasZ == bZ) return 1;
  CHECKF(zName, 0, "the commit of %d rows shows %d of them (z %s)", NROW, nR,
         bHasZ ? "present" : "absent");
  return 0;
}

/* ------------------------------------------------------------ memtable groups */

/* Rows of memtable p in order as "key:seq " into z. */
static void mtDump(SdbMemtable *p, char *z, size_t nz) {
  SdbIter *it = NULL;
  SdbErr err = {0};
  size_t n = 0;
  z[0] = 0;
  int rc = sdbMemtableIterNew(p, NULL, 0, &it, &err);
  while (rc == 0 && !it->bEof && n + 32 < nz) {
    n += (size_t)snprintf(z + n, nz - n, "%.*s:%llu ", (int)it->cur.nKey,
                          (const char *)it->cur.pKey, (unsigned long long)it->cur.seq);
    rc = sdb_iter_next(it, &err);
  }
  sdb_iter_free(it);
}

/* The group API directly: a group whose Nth allocation fails shows none of
** its rows and, dropped, gives the arena back (the engine holds the bytes it
** held before the group); a published group shows all, a replaced (key,
** seq) counted once; a group dropped after other inserts keeps them. */
static void testGroups(void) {
  static uint8_t aVal[20000];   /* several rows per 256 KiB chunk, a few chunks */
  SdbMemtable *p = sdbMemtableNew();
  SdbEntry e = {(const uint8_t *)"a", 1, aVal, 10, 1, SDB_KIND_VALUE, 0, 0, 0, 0};
  char z1[4096], z2[4096];
  int bOk = p && sdbMemtableInsert(p, &e) == 0, nDropped = 0;
  mtDump(p, z1, sizeof(z1));
  long nBefore = ta.nBytes;
  for (long n = 1; bOk && n < 100; n++) {
    SdbMemtablePrep g;
    sdbMemtablePrepBegin(p, &g);
    taArm(n);
    int rc = 0;
    for (int i = 0; rc == 0 && i < 40; i++) {
      char zKey[8];
      snprintf(zKey, sizeof(zKey), "g%02d", i);
      SdbEntry r = {(const uint8_t *)zKey, 3, aVal, sizeof(aVal), 2, SDB_KIND_VALUE, 0, 0, 0, 0};
      rc = sdbMemtablePrepAdd(&g, &r);
    }
    long nFailed = ta.nFailed;
    taArm(0);
    if (rc == 0) {            /* no failure left: publish this one */
      sdbMemtablePublish(&g);
      break;
    }
    sdbMemtablePrepDrop(&g);
    nDropped++;
    mtDump(p, z2, sizeof(z2));
    bOk = nFailed == 1 && strcmp(z1, z2) == 0 && sdbMemtableRows(p) == 1 && ta.nBytes == nBefore;
    if (!bOk) printf("# group N=%ld: rows %s, %ld bytes held (before: %ld)\n", n, z2, ta.nBytes, nBefore);
  }
  CHECKF("groups: a group that ran out of memory shows no row and gives its arena back",
         bOk && nDropped > 2, "%d dropped", nDropped);
  CHECK("groups: a published group shows all its rows", sdbMemtableRows(p) == 41);
  /* A group with a repeated (key, seq), and one dropped after an insert. */
  SdbMemtablePrep g;
  sdbMemtablePrepBegin(p, &g);
  SdbEntry r1 = {(const uint8_t *)"b", 1, (const uint8_t *)"1", 1, 3, SDB_KIND_VALUE, 0, 0, 0, 0};
  SdbEntry r2 = {(const uint8_t *)"b", 1, (const uint8_t *)"2", 1, 3, SDB_KIND_VALUE, 0, 0, 0, 0};
  bOk = sdbMemtablePrepAdd(&g, &r1) == 0 && sdbMemtablePrepAdd(&g, &r2) == 0;
  sdbMemtablePublish(&g);
  SdbEntry f = {0};
  bOk = bOk && sdbMemtableFindNewest(p, (const uint8_t *)"b", 1, &f) && f.nVal == 1 &&
        f.pVal[0] == '2' && sdbMemtableRows(p) == 42;
  CHECK("groups: a repeated (key, seq) in a group keeps the last, counted once", bOk);
  sdbMemtablePrepBegin(p, &g);
  SdbEntry r3 = {(const uint8_t *)"c", 1, aVal, sizeof(aVal), 4, SDB_KIND_VALUE, 0, 0, 0, 0};
  SdbEntry r4 = {(const uint8_t *)"d", 1, aVal, sizeof(aVal), 4, SDB_KIND_VALUE, 0, 0, 0, 0};
  bOk = sdbMemtablePrepAdd(&g, &r3) == 0 && sdbMemtableInsert(p, &r4) == 0;
  sdbMemtablePrepDrop(&g);
  bOk = bOk && sdbMemtableFindNewest(p, (const uint8_t *)"d", 1, &f) && f.nVal == sizeof(aVal) &&
        !sdbMemtableFindNewest(p, (const uint8_t *)"c", 1, NULL) && sdbMemtableRows(p) == 43;
  CHECK("groups: a group dropped after another insert keeps that insert's row", bOk);
  sdbMemtableUnref(p);
}

/* ------------------------------------------------------------ commits */

/* The three ways the commit under test is made. */
enum { M_DURABLE, M_ASYNC, M_ASYNC_AFTER };
static const char *const azMode[] = {"durable", "async", "async after an async commit"};

/* One run with the Nth allocation of the big commit (made as eMode says)
** failing. Returns 1 if the commit met the failure, 0 if it had fewer
** allocations (the end). */
static int runOne(int eMode, long n, int *pbOk) {
  char zDir[] = "/tmp/t_apply_oom.XXXXXX";
  SdbDb *db = NULL;
  SdbErr err = {0};
  int bOk = 1, nR = 0, nBefore = 0;
  if (!mkdtemp(zDir) || openDb(zDir, &db)) {
    *pbOk = 0;
    return 0;
  }
  bOk &= putOne(db, "a", &err) == 0;
  if (eMode == M_ASYNC_AFTER) {   /* a row left in the WAL buffer */
    SdbBatch *b1 = sdb_batch_new();
    bOk &= b1 && sdb_batch_put(b1, (const uint8_t *)"b", 1, (const uint8_t *)"v", 1, 0, &err) == 0
           && sdb_db_write(db, b1, 0, &err) == 0;
    sdb_batch_free(b1);
  }
  SdbBatch *b = bigBatch();
  taArm(n);
  int rc = sdb_db_write(db, b, eMode == M_DURABLE, &err);
  long nFailed = ta.nFailed;
  taArm(0);
  sdb_batch_free(b);
  if (nFailed == 0 && rc != 0) {
    printf("# N=%ld: the commit failed without an injected failure: %d %s\n", n, rc, err.zMsg);
    bOk = 0;
  }
  char zWhen[96];
  snprintf(zWhen, sizeof(zWhen), "%s: right after the failed commit", azMode[eMode]);
  bOk &= checkWhole(n, zWhen, db, 0, &nBefore);
  /* A handle whose async WAL buffer was dropped with earlier commits in it
  ** stops writing: the next commit may fail, cleanly. */
  int bZ = putOne(db, "z", &err) == 0;
  if (!bZ && (eMode != M_ASYNC_AFTER || rc == 0)) {
    printf("# N=%ld %s: the next commit failed: %s\n", n, azMode[eMode], err.zMsg);
    bOk = 0;
  }
  snprintf(zWhen, sizeof(zWhen), "%s: after the next commit", azMode[eMode]);
  bOk &= checkWhole(n, zWhen, db, bZ, NULL);
  if (eMode == M_DURABLE) {   /* (an async run reopens with the WAL unconsumed) */
    bOk &= sdb_db_flush(db, 1, &err) == 0;
    snprintf(zWhen, sizeof(zWhen), "%s: after a memtable flush", azMode[eMode]);
    bOk &= checkWhole(n, zWhen, db, bZ, NULL);
  }
  sdb_db_close(db);
  db = NULL;
  if (openDb(zDir, &db) == 0) {
    snprintf(zWhen, sizeof(zWhen), "%s: after reopen", azMode[eMode]);
    bOk &= checkWhole(n, zWhen, db, bZ, &nR);
    if (nBefore == NROW && nR != NROW && bZ) {
      CHECKF("reopen keeps what the handle showed", 0, "N=%ld %s: %d rows", n, azMode[eMode], nR);
      bOk = 0;
    }
    sdb_db_close(db);
  } else {
    bOk = 0;
  }
  char zCmd[64];
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  (void)!system(zCmd);
  *pbOk = bOk;
  return nFailed > 0;
}

/* An async commit ("b", acknowledged) whose WAL buffer write (sdb_db_flush)
** meets an allocation failure, for every N: then a durable commit ("z"),
** close and reopen. The flush may fail, but the buffer stays for the next
** write, which stores it before "z": the reopened database holds both.
** Before the fix, a failure in the SST encoding (sdbSstBuilderFinish)
** dropped the buffer and the handle wrote on: after a clean close and
** reopen "z" was there and the acknowledged "b" was gone. */
static void testAsyncFlushOom(void) {
  long nRun = 0, nBad = 0;
  int bMet = 1;
  for (long n = 1; bMet && n < 200; n++) {
    char zDir[] = "/tmp/t_apply_oom.XXXXXX";
    SdbDb *db = NULL;
    SdbErr err = {0};
    if (!mkdtemp(zDir) || openDb(zDir, &db)) {
      nBad++;
      break;
    }
    SdbBatch *b1 = sdb_batch_new();
    int bOk = b1 && sdb_batch_put(b1, (const uint8_t *)"b", 1, (const uint8_t *)"v", 1, 0, &err) == 0
              && sdb_db_write(db, b1, 0, &err) == 0;
    sdb_batch_free(b1);
    taArm(n);
    int rc = sdb_db_flush(db, 0, &err);
    bMet = ta.nFailed > 0;
    taArm(0);
    int bZ = putOne(db, "z", &err) == 0;
    sdb_db_close(db);
    db = NULL;
    int bHasB = 0, bHasZ = 0;
    if (bOk && openDb(zDir, &db) == 0) {
      SdbIter *it = NULL;
      int rc2 = sdb_db_scan(db, NULL, 0, &it, &err);
      while (rc2 == 0 && !it->bEof) {
        if (it->cur.nKey == 1 && it->cur.pKey[0] == 'b') bHasB = 1;
        if (it->cur.nKey == 1 && it->cur.pKey[0] == 'z') bHasZ = 1;
        rc2 = sdb_iter_next(it, &err);
      }
      sdb_iter_free(it);
      sdb_db_close(db);
      bOk = rc2 == 0 && bZ && bHasZ && bHasB;
    } else {
      bOk = 0;
    }
    if (!bOk) {
      printf("# flush N=%ld: flush rc %d, z committed %d; reopened: b %d z %d\n", n, rc, bZ,
             bHasB, bHasZ);
      nBad++;
    }
    nRun++;
    char zCmd[64];
    snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
    (void)!system(zCmd);
  }
  CHECKF("async WAL buffer write out of memory: the buffer is kept, the acknowledged commit "
         "survives the next commit and a reopen", nBad == 0 && nRun > 1, "%ld of %ld runs", nBad,
         nRun);
}

int main(void) {
  static const SdbAllocMethods m = {taMalloc, taRealloc, taFree, NULL};
  CHECK("install allocator", sdb_config_alloc(&m) == 0);
  testGroups();
  testAsyncFlushOom();
  const char *zN = getenv("SDB_APPLY_OOM_N");
  for (int eMode = M_DURABLE; eMode <= M_ASYNC_AFTER; eMode++) {
    long nRun = 0, nBad = 0, nLo = zN ? atol(zN) : 1;
    for (long n = nLo;; n++) {
      int bOk = 1;
      int bMet = runOne(eMode, n, &bOk);
      nRun++;
      if (!bOk) nBad++;
      if (!bMet || zN) break;
    }
    printf("# %s: %ld runs (N=%ld..), %ld with a partly applied commit\n", azMode[eMode], nRun,
           nLo, nBad);
    char zName[96];
    snprintf(zName, sizeof(zName), "%s: every commit that met an allocation failure is whole or "
             "absent", azMode[eMode]);
    CHECKF(zName, nBad == 0, "%ld of %ld runs", nBad, nRun);
    snprintf(zName, sizeof(zName), "%s: runs reached a commit with no failure", azMode[eMode]);
    CHECK(zName, nRun > 1 || zN);
  }
  return test_done();
}
