/*
** t_seek.c: seeking an iterator (xSeek, sdb_db_scan_seek) against building
** a new one, differentially, on every level of the iterator stack.
**
** Part 1, in memory: memtables holding puts, tombstones and merge operands
** (with TTL metadata) of a small key space. A long-lived memtable, merging
** and visible-row iterator (the latter with a read bound below the newest
** seq in some rounds) is sought to random ranges (points, present or not,
** half-open, empty, unbounded), after consuming a few rows, and must yield
** exactly the rows a new iterator over the same range yields, both directions.
**
** Part 2, a database: a sorted run of several SSTs (compacted), L0 SSTs over
** it, a memtable, and an uncommitted batch (overlay) with puts, TTL puts and
** deletes; a writer handle with the overlay and a reader handle without one.
** One scan per handle (the writer with and without the overlay) and direction
** is sought (sdb_db_scan_seek) through
** random ranges and through key-ordered point lookups (a join's pattern, which
** keeps the SST block), and compared with a new scan each time; a commit and a
** direction change in between make the scan build again, still equal.
**
** Part 3, an SST with read-ahead windows in flight: a multi-megabyte SST read
** through a store that overlaps reads (xGetMany, each GET delayed and
** cancellable, as on S3), opened for a scan (its raw windows start with the
** index GET). Long-lived iterators, both directions, read part of a range
** (windows still in flight) and are sought elsewhere, again and again: the
** rows after each seek must be exactly the rows of the new range, never a
** stale window's; the store must have seen windows cancelled.
*/
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "db/memtable.h"
#include "db/merge.h"
#include "util/rangeutil.h"
#include "store/objstore.h"
#include "table/sst.h"
#include "table/sst_build.h"
#include "table/sstinfo.h"
#include "util/cache.h"

/* ------------------------------------------------------------ comparing */

/* One iterator's rows from its current position on, as text lines. */
typedef struct Rows {
  char *z;
  size_t n, nAlloc;
  int nRow;
  int rc;
} Rows;

static void rowsAdd(Rows *p, const SdbEntry *e) {
  char zHead[128];
  int nHead = snprintf(zHead, sizeof(zHead), "%d %llu %d %d/%lld %d/%lld |", (int)e->nKey,
                       (unsigned long long)e->seq, e->eKind, e->bHasCreateTs,
                       (long long)e->createTs, e->bHasExpireTs, (long long)e->expireTs);
  size_t nNeed = p->n + (size_t)nHead + e->nKey + e->nVal + 4;
  if (nNeed > p->nAlloc) {
    p->nAlloc = nNeed * 2;
    p->z = realloc(p->z, p->nAlloc);
  }
  memcpy(p->z + p->n, zHead, (size_t)nHead);
  p->n += (size_t)nHead;
  memcpy(p->z + p->n, e->pKey, e->nKey);
  p->n += e->nKey;
  p->z[p->n++] = '=';
  if (e->nVal) memcpy(p->z + p->n, e->pVal, e->nVal);
  p->n += e->nVal;
  p->z[p->n++] = '\n';
  p->nRow++;
}

/* Drain pIter into *p (reset first). */
static void rowsDrain(Rows *p, SdbIter *pIter) {
  SdbErr err;
  p->n = 0;
  p->nRow = 0;
  p->rc = SDB_OK;
  while (!pIter->bEof && p->rc == SDB_OK) {
    rowsAdd(p, &pIter->cur);
    p->rc = sdb_iter_next(pIter, &err);
  }
}

static int rowsSame(const Rows *a, const Rows *b) {
  return a->rc == b->rc && a->n == b->n && (a->n == 0 || memcmp(a->z, b->z, a->n) == 0);
}

/* Consume up to n rows of pIter (a partly read iterator then seeks). */
static void skipRows(SdbIter *pIter, int n) {
  SdbErr err;
  for (int i = 0; i < n && !pIter->bEof; i++) {
    if (sdb_iter_next(pIter, &err)) return;
  }
}

/* Before a seek to r: seek pIter to r itself (1 in 3) or to r0, and read
** up to nSkip rows there, so that the seek to r starts from a partly read
** iterator (also on the very key it starts with). */
static void preSeek(SdbIter *pIter, const SdbRange *r, const SdbRange *r0, int nSkip) {
  SdbErr err;
  if (nSkip == 0) return;
  if (sdb_iter_seek(pIter, rand() % 3 == 0 ? r : r0, &err) == SDB_OK) skipRows(pIter, nSkip - 1);
}

/* ------------------------------------------------------------ random ranges */
#define NKEY 400

static size_t keyOf(int k, u8 *z) { return (size_t)snprintf((char *)z, 16, "k%04d%s", k, k % 5 ? "" : "x"); }

typedef struct RangeBuf {
  u8 lo[16], hi[16];
  SdbRange r;
  int bNull;
} RangeBuf;

/* A random range over keys 0..nKey+10 (some past the last key): a point
** (1 in 3), a short or long range, open on either side, exclusive bounds, or
** no range at all (NULL). */
static const SdbRange *randomRange(RangeBuf *b, int nKey) {
  memset(&b->r, 0, sizeof(b->r));
  int kind = rand() % 12;
  if (kind == 0) return NULL;
  int a = rand() % (nKey + 10), len = kind < 5 ? 0 : kind < 9 ? rand() % 20 : rand() % nKey;
  b->r.pLo = b->lo;
  b->r.nLo = keyOf(a, b->lo);
  b->r.pHi = b->hi;
  b->r.nHi = keyOf(a + len, b->hi);
  if (kind < 4) {   /* a point */
    b->r.nHi = keyOf(a, b->hi);
    b->r.bHasLo = b->r.bHasHi = 1;
    if (rand() % 8 == 0) b->r.nLo = b->r.nHi = 4;   /* a prefix of several keys: absent */
    return &b->r;
  }
  b->r.bHasLo = rand() % 5 != 0;
  b->r.bHasHi = rand() % 5 != 0;
  b->r.bLoExcl = rand() % 3 == 0;
  b->r.bHiExcl = rand() % 3 == 0;
  if (rand() % 15 == 0) {   /* empty: lo above hi */
    b->r.bHasLo = b->r.bHasHi = 1;
    b->r.nLo = keyOf(a + 5, b->lo);
  }
  return &b->r;
}

/* ------------------------------------------------------------ part 1: memory */
#define NLAYER 4
#define NVER 3000

static SdbMemtable *apMt[NLAYER];

static void memFill(void) {
  for (int i = 0; i < NLAYER; i++) apMt[i] = sdbMemtableNew();
  for (int i = 0; i < NVER; i++) {
    u8 k[16];
    char v[24];
    size_t nk = keyOf(rand() % 200, k);
    int r = rand() % 10;
    int kind = r < 6 ? SDB_KIND_VALUE : r < 8 ? SDB_KIND_TOMBSTONE : SDB_KIND_MERGE;
    int nv = snprintf(v, sizeof(v), "%s%d", kind == SDB_KIND_MERGE ? "+" : "v", i);
    SdbEntry e = {k, nk, (const u8 *)v, kind == SDB_KIND_TOMBSTONE ? 0 : (size_t)nv, (u64)i + 1,
                  kind, 1, rand() % 4 == 0, 1000 + i, 5000 + i};
    int layer = NLAYER - 1 - (i * NLAYER / NVER);
    if (rand() % 5 == 0) layer = rand() % NLAYER;
    sdbMemtableInsert(apMt[layer], &e);
  }
}

/* A new iterator of level 0 (one memtable), 1 (merge of all) or 2 (visible
** rows of the merge, read bound maxSeq). */
static SdbIter *memOpen(int level, const SdbRange *r, int bDesc, u64 maxSeq) {
  SdbErr err;
  SdbIter *ap[NLAYER], *pM = NULL, *pV = NULL;
  if (level == 0) {
    return sdbMemtableIterNew(apMt[1], r, bDesc, &pM, &err) ? NULL : pM;
  }
  for (int i = 0; i < NLAYER; i++) {
    if (sdbMemtableIterNew(apMt[i], r, bDesc, &ap[i], &err)) return NULL;
  }
  if (sdbMergeIterNew(ap, NLAYER, bDesc, &pM, &err)) return NULL;
  if (level == 1) return pM;
  if (sdbVisibleIterNew(pM, bDesc, maxSeq, SDB_MERGE_CONCAT, NULL, NULL, &pV, &err)) return NULL;
  return pV;
}

static void testMemory(void) {
  static const char *azLevel[] = {"memtable", "merge", "visible"};
  Rows a = {0}, b = {0};
  memFill();
  for (int level = 0; level < 3; level++) {
    for (int bDesc = 0; bDesc < 2; bDesc++) {
      int nBad = 0, nRows = 0, nCase = 0;
      for (int round = 0; round < 4; round++) {
        u64 maxSeq = round % 2 ? (u64)(rand() % NVER) : UINT64_MAX;
        RangeBuf rb;
        SdbIter *pLong = memOpen(level, randomRange(&rb, 200), bDesc, maxSeq);
        if (!pLong) { nBad++; continue; }
        for (int t = 0; t < 400; t++, nCase++) {
          RangeBuf rb0;
          const SdbRange *r0 = randomRange(&rb0, 200);
          const SdbRange *r = randomRange(&rb, 200);
          preSeek(pLong, r, r0, rand() % 4);
          SdbErr err;
          int rc = sdb_iter_seek(pLong, r, &err);
          SdbIter *pNew = memOpen(level, r, bDesc, maxSeq);
          if (rc || !pNew) { nBad++; sdb_iter_free(pNew); continue; }
          rowsDrain(&a, pLong);
          rowsDrain(&b, pNew);
          nRows += b.nRow;
          if (!rowsSame(&a, &b)) {
            if (nBad++ == 0) printf("# %s desc=%d case %d: sought %d rows, new %d rows\n",
                                    azLevel[level], bDesc, t, a.nRow, b.nRow);
          }
          sdb_iter_free(pNew);
        }
        sdb_iter_free(pLong);
      }
      char zName[64];
      snprintf(zName, sizeof(zName), "seek %s %s", azLevel[level], bDesc ? "desc" : "asc");
      CHECKF(zName, nBad == 0 && nRows > 1000, "%d of %d cases differ, %d rows", nBad, nCase, nRows);
    }
  }
  for (int i = 0; i < NLAYER; i++) sdbMemtableUnref(apMt[i]);
  free(a.z);
  free(b.z);
}

/* ------------------------------------------------------------ part 2: database */
#define DB_KEYS 3000

static int putRange(SdbDb *w, int iFirst, int n, int step, const char *zTag, int bDeletes,
                    SdbErr *pErr) {
  SdbBatch *b = sdb_batch_new();
  int rc = b ? SDB_OK : SDB_NOMEM;
  for (int i = 0; rc == SDB_OK && i < n; i++) {
    u8 k[16];
    char v[48];
    int key = iFirst + i * step;
    size_t nk = keyOf(key % DB_KEYS, k);
    int nv = snprintf(v, sizeof(v), "%s-%d-%0*d", zTag, key, 20, i);
    if (bDeletes && i % 4 == 0) rc = sdb_batch_delete(b, k, nk, pErr);
    else rc = sdb_batch_put(b, k, nk, (const u8 *)v, (size_t)nv, i % 7 == 0 ? 4102444800000 : 0, pErr);
  }
  if (rc == SDB_OK) rc = sdb_db_write(w, b, 1, pErr);
  sdb_batch_free(b);
  return rc;
}

/* The layout: a run of several SSTs, two L0s over it, a memtable. */
static int dbBuild(SdbDb *w, SdbErr *pErr) {
  int nDone = 0;
  int rc = putRange(w, 0, DB_KEYS, 1, "run", 0, pErr);
  if (rc == SDB_OK) rc = sdb_db_flush(w, 1, pErr);
  if (rc == SDB_OK) rc = sdb_db_compact(w, &nDone, pErr);
  if (rc == SDB_OK) rc = putRange(w, 1, 600, 3, "l0a", 1, pErr);
  if (rc == SDB_OK) rc = sdb_db_flush(w, 1, pErr);
  if (rc == SDB_OK) rc = putRange(w, 2, 500, 7, "l0b", 1, pErr);
  if (rc == SDB_OK) rc = sdb_db_flush(w, 1, pErr);
  if (rc == SDB_OK) rc = putRange(w, 5, 300, 11, "mem", 1, pErr);
  return rc;
}

/* The uncommitted overlay: puts (some with a TTL), deletes. */
static SdbBatch *dbOverlay(SdbErr *pErr) {
  SdbBatch *b = sdb_batch_new();
  for (int i = 0; b && i < 200; i++) {
    u8 k[16];
    size_t nk = keyOf((i * 37) % (DB_KEYS + 5), k);
    if (i % 3 == 0) sdb_batch_delete(b, k, nk, pErr);
    else if (i % 3 == 1) sdb_batch_put_ttl(b, k, nk, (const u8 *)"ttl", 3, 60000, pErr);
    else sdb_batch_put(b, k, nk, (const u8 *)"overlay", 7, 0, pErr);
  }
  return b;
}

/* One case: seek *ppLong to r and compare with a new scan. */
static int dbCase(SdbDb *db, SdbBatch *pOver, const SdbRange *r, int bDesc, SdbIter **ppLong,
                  int nSkip, Rows *a, Rows *b, int *pnRows) {
  SdbErr err;
  SdbIter *pNew = NULL;
  RangeBuf rb0;
  const SdbRange *r0 = randomRange(&rb0, DB_KEYS);
  if (*ppLong) preSeek(*ppLong, r, r0, nSkip);
  int rc = sdb_db_scan_seek(db, pOver, r, bDesc, ppLong, &err);
  if (rc) { printf("# seek: %s\n", err.zMsg); return 0; }
  rc = sdb_db_scan_overlay(db, pOver, r, bDesc, &pNew, &err);
  if (rc) { printf("# scan: %s\n", err.zMsg); return 0; }
  rowsDrain(a, *ppLong);
  rowsDrain(b, pNew);
  sdb_iter_free(pNew);
  *pnRows += b->nRow;
  return rowsSame(a, b);
}

/* Random ranges, then key-ordered points, on one long-lived scan per direction. */
static void dbRounds(const char *zWho, SdbDb *db, SdbBatch *pOver, SdbDb *w) {
  Rows a = {0}, b = {0};
  for (int bDesc = 0; bDesc < 2; bDesc++) {
    SdbIter *pLong = NULL;
    int nBad = 0, nRows = 0, nCase = 0, nSame = 0;
    for (int t = 0; t < 600; t++, nCase++) {
      RangeBuf rb;
      const SdbRange *r = randomRange(&rb, DB_KEYS);
      SdbIter *pBefore = pLong;
      if (!dbCase(db, pOver, r, bDesc, &pLong, rand() % 5, &a, &b, &nRows) && nBad++ == 0) {
        printf("# %s desc=%d case %d: sought %d rows, new %d rows\n", zWho, bDesc, t, a.nRow, b.nRow);
      }
      nSame += pBefore == pLong;
      if (t == 300 && w) {   /* a commit: the scan is built again */
        SdbErr err;
        putRange(w, 7, 50, 13, "late", 1, &err);
      }
    }
    /* a join's pattern: points in key order (or reverse), most in the same block */
    for (int k = 0; k < DB_KEYS + 5; k += 1 + rand() % 3, nCase++) {
      RangeBuf rb;
      int key = bDesc ? DB_KEYS + 4 - k : k;
      rb.r = (SdbRange){rb.lo, keyOf(key, rb.lo), 1, 0, rb.lo, 0, 1, 0};
      rb.r.nHi = rb.r.nLo;
      if (!dbCase(db, pOver, &rb.r, bDesc, &pLong, 0, &a, &b, &nRows) && nBad++ == 0) {
        printf("# %s desc=%d point %d: sought %d rows, new %d rows\n", zWho, bDesc, key, a.nRow, b.nRow);
      }
    }
    sdb_iter_free(pLong);
    char zName[80];
    snprintf(zName, sizeof(zName), "seek db %s %s", zWho, bDesc ? "desc" : "asc");
    CHECKF(zName, nBad == 0 && nRows > 10000 && nSame > 500, "%d of %d cases differ, %d rows, %d reused",
           nBad, nCase, nRows, nSame);
  }
  free(a.z);
  free(b.z);
}

static void testDb(void) {
  char zDir[64], zUrl[80], zCmd[128];
  snprintf(zDir, sizeof(zDir), "/tmp/sdb-seek-%d", (int)getpid());
  snprintf(zUrl, sizeof(zUrl), "file://%s", zDir);
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  (void)!system(zCmd);
  SdbConfig cw = {.zUrl = zUrl, .bCreateIfMissing = 1, .compactorPollMs = 3600000, .bNoGc = 1,
                  .eMergeOp = SDB_MERGE_CONCAT, .maxSstSize = 16384, .blockSize = 1024};
  SdbConfig cr = {.zUrl = zDir, .bReadOnly = 1, .pollIntervalMs = UINT64_MAX,
                  .eMergeOp = SDB_MERGE_CONCAT, .nCacheBytes = 65536};
  SdbDb *w = NULL, *r = NULL;
  SdbErr err = {0};
  int rc = sdb_db_open(&cw, &w, &err);
  if (rc == SDB_OK) rc = dbBuild(w, &err);
  if (rc == SDB_OK) rc = sdb_db_open(&cr, &r, &err);
  SdbStats st;
  memset(&st, 0, sizeof(st));
  if (rc == SDB_OK) sdb_db_stats(r, &st);
  CHECKF("seek db build", rc == SDB_OK && st.nL0 == 2 && st.nSortedRun == 1 && st.nMemtableRows > 200,
         "%s; %llu L0s, %llu runs, %llu memtable rows", err.zMsg, (unsigned long long)st.nL0,
         (unsigned long long)st.nSortedRun, (unsigned long long)st.nMemtableRows);
  if (rc == SDB_OK) {
    SdbBatch *pOver = dbOverlay(&err);
    dbRounds("writer+overlay", w, pOver, w);
    dbRounds("writer", w, NULL, w);
    dbRounds("reader", r, NULL, NULL);
    sdb_batch_free(pOver);
  }
  sdb_db_close(r);
  sdb_db_close(w);
  (void)!system(zCmd);
}

/* ------------------------------------------------------------ part 3: windows in flight */
#define WF_ROWS 60000
#define WF_DELAY_US 4000

/* A store over the local one that overlaps reads (xGetMany) like S3: each
** GET waits WF_DELAY_US first, and a request whose pCancel is set ends with
** SDB_IOERR (counted) instead of being read. */
typedef struct SlowStore {
  SdbStore base;
  SdbStore *pIn;          /* borrowed */
} SlowStore;

static int gnSlowCancelled, gnSlowGets;
static pthread_mutex_t slowMu = PTHREAD_MUTEX_INITIALIZER;

static int slowGet(SdbStore *p, const char *zKey, u64 iOff, u64 nLen, SdbBuf *pOut, SdbErr *pErr) {
  SdbStore *pIn = ((SlowStore *)p)->pIn;
  return pIn->pMethods->xGet(pIn, zKey, iOff, nLen, pOut, pErr);
}
static int slowHead(SdbStore *p, const char *zKey, u64 *pn, SdbErr *pErr) {
  SdbStore *pIn = ((SlowStore *)p)->pIn;
  return pIn->pMethods->xHead(pIn, zKey, pn, pErr);
}
static int slowGetMany(SdbStore *p, SdbGetReq *a, int n, SdbErr *pErr) {
  for (int i = 0; i < n; i++) {
    for (int w = 0; w < WF_DELAY_US / 500 && !sdbGetReqCancelled(&a[i]); w++) usleep(500);
    pthread_mutex_lock(&slowMu);
    gnSlowGets++;
    if (sdbGetReqCancelled(&a[i])) gnSlowCancelled++;
    pthread_mutex_unlock(&slowMu);
    a[i].rc = sdbGetReqCancelled(&a[i])
                  ? sdbErrSet(pErr, SDB_IOERR, "read of %s cancelled", a[i].zKey)
                  : slowGet(p, a[i].zKey, a[i].iOff, a[i].nLen, &a[i].out, pErr);
  }
  for (int i = 0; i < n; i++) if (a[i].rc && a[i].rc != SDB_NOTFOUND) return a[i].rc;
  return SDB_OK;
}
static const SdbStoreMethods slowMethods = {slowGet, slowHead, NULL, NULL, NULL, NULL,
                                            slowGetMany, NULL, NULL};

static size_t wfKey(int i, u8 *z) { return (size_t)snprintf((char *)z, 16, "skey%08d", i); }

/* Build the SST of keys 0..WF_ROWS-1 (value: 40 bytes of 'a' + i % 26, seq i+1). */
static int wfBuild(SdbStore *s, SdbSstInfo *pInfo, SdbErr *pErr) {
  SdbSstOptions o;
  sdbSstOptionsDefault(&o);
  o.blockSize = 4096;
  SdbSstBuilder *b = sdbSstBuilderNew(&o);
  SdbBuf out = {0};
  int rc = b ? SDB_OK : SDB_NOMEM;
  for (int i = 0; rc == SDB_OK && i < WF_ROWS; i++) {
    u8 k[16], v[40];
    memset(v, 'a' + i % 26, sizeof(v));
    SdbEntry e = {0};
    e.pKey = k;
    e.nKey = wfKey(i, k);
    e.pVal = v;
    e.nVal = sizeof(v);
    e.seq = (u64)i + 1;
    e.eKind = SDB_KIND_VALUE;
    rc = sdbSstBuilderAdd(b, &e, pErr);
  }
  if (rc == SDB_OK) rc = sdbSstBuilderFinish(b, &out, pInfo, pErr);
  if (rc == SDB_OK) rc = s->pMethods->xPut(s, "compacted/wf.sst", out.a, out.n, 0, pErr);
  sdbSstBuilderFree(b);
  sdbBufFree(&out);
  return rc;
}

/* A random range of whole keys; [*piFirst, *piLast] the rows it holds in key order. */
static const SdbRange *wfRange(RangeBuf *b, int *piFirst, int *piLast) {
  memset(&b->r, 0, sizeof(b->r));
  int a = rand() % (WF_ROWS + 10), len = rand() % 2 ? rand() % 3000 : rand() % WF_ROWS;
  *piFirst = 0;
  *piLast = WF_ROWS - 1;
  if (rand() % 10 == 0) return NULL;
  b->r.pLo = b->lo;
  b->r.pHi = b->hi;
  b->r.bHasLo = rand() % 6 != 0;
  b->r.bHasHi = rand() % 6 != 0;
  b->r.bLoExcl = rand() % 3 == 0;
  b->r.bHiExcl = rand() % 3 == 0;
  b->r.nLo = wfKey(a, b->lo);
  b->r.nHi = wfKey(a + len, b->hi);
  if (b->r.bHasLo) *piFirst = a + b->r.bLoExcl;
  if (b->r.bHasHi && a + len - b->r.bHiExcl < *piLast) *piLast = a + len - b->r.bHiExcl;
  return &b->r;
}

/* Read up to nMax rows of pIter (just sought to rows [iFirst, iLast]) and
** check each is the expected row; 1 if all are. */
static int wfCheck(SdbIter *pIter, int bDesc, int iFirst, int iLast, int nMax, int *pnRows) {
  SdbErr err;
  int i = bDesc ? iLast : iFirst, n = 0;
  for (; n < nMax && !pIter->bEof; n++, i += bDesc ? -1 : 1) {
    const SdbEntry *e = &pIter->cur;
    u8 k[16];
    size_t nk = wfKey(i, k);
    if (i < iFirst || i > iLast || e->nKey != nk || memcmp(e->pKey, k, nk) || e->seq != (u64)i + 1 ||
        e->nVal != 40 || e->pVal[0] != 'a' + i % 26 || e->pVal[39] != 'a' + i % 26) {
      printf("# row %d of [%d, %d] desc=%d: got %.*s seq %llu\n", n, iFirst, iLast, bDesc,
             (int)e->nKey, e->pKey, (unsigned long long)e->seq);
      return 0;
    }
    if (sdb_iter_next(pIter, &err)) {
      printf("# next: %s\n", err.zMsg);
      return 0;
    }
  }
  *pnRows += n;
  /* read to the end: the range must end where expected */
  return n == nMax || (pIter->bEof && i == (bDesc ? iFirst - 1 : iLast + 1)) || iFirst > iLast;
}

static void testWindowsInFlight(void) {
  char zDir[64], zCmd[128];
  snprintf(zDir, sizeof(zDir), "/tmp/sdb-seekwf-%d", (int)getpid());
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  (void)!system(zCmd);
  SdbStore *pLocal = NULL;
  SdbErr err = {0};
  SdbSstInfo info;
  memset(&info, 0, sizeof(info));
  int rc = mkdir(zDir, 0700) == 0 ? sdbStoreOpenDir(zDir, 1, 0, &pLocal, &err) : SDB_CANTOPEN;
  if (rc == SDB_OK) rc = wfBuild(pLocal, &info, &err);
  CHECKF("seek windows: build", rc == SDB_OK && info.filterOffset > (3u << 20), "%s", err.zMsg);
  if (rc) {
    sdbSstInfoClear(&info);
    sdbStoreFree(pLocal);
    return;
  }
  SlowStore slow = {{&slowMethods, {0}, NULL, NULL}, pLocal};
  for (int bDesc = 0; bDesc < 2; bDesc++) {
    SdbCache *pCache = sdbCacheNew(2 << 20);   /* smaller than the SST: windows go on */
    SdbSst *sst = NULL;
    SdbIter *pLong = NULL;
    int nBad = 0, nRows = 0, nCase = 0;
    gnSlowCancelled = gnSlowGets = 0;
    rc = sdbSstOpenForScan(&slow.base, "compacted/wf.sst", &info, 2, pCache, bDesc, &sst, &err);
    if (rc == SDB_OK) rc = sdbSstIterNew(sst, NULL, bDesc, &pLong, &err);   /* adopts raw windows */
    if (rc == SDB_OK && !wfCheck(pLong, bDesc, 0, WF_ROWS - 1, 50 + rand() % 2000, &nRows)) nBad++;
    for (; rc == SDB_OK && nCase < 120; nCase++) {
      RangeBuf rb;
      int iFirst, iLast;
      const SdbRange *r = wfRange(&rb, &iFirst, &iLast);
      rc = sdb_iter_seek(pLong, r, &err);
      int nMax = rand() % 4 == 0 ? WF_ROWS : 1 + rand() % 1500;   /* mostly stopped midway */
      if (rc == SDB_OK && !wfCheck(pLong, bDesc, iFirst, iLast, nMax, &nRows) && nBad++ == 0) {
        printf("# desc=%d case %d: range [%d, %d] differs\n", bDesc, nCase, iFirst, iLast);
      }
    }
    sdb_iter_free(pLong);
    if (sst) sdbSstUnref(sst);
    sdbCacheFree(pCache);
    char zName[80];
    snprintf(zName, sizeof(zName), "seek windows in flight %s", bDesc ? "desc" : "asc");
    CHECKF(zName, rc == SDB_OK && nBad == 0 && nRows > 50000 && gnSlowCancelled > 0,
           "%s; %d of %d cases differ, %d rows, %d of %d GETs cancelled", rc ? err.zMsg : "", nBad,
           nCase, nRows, gnSlowCancelled, gnSlowGets);
    printf("# desc=%d: %d cases, %d rows, %d of %d GETs cancelled\n", bDesc, nCase, nRows,
           gnSlowCancelled, gnSlowGets);
  }
  sdbSstInfoClear(&info);
  sdbStoreFree(pLocal);
  (void)!system(zCmd);
}

int main(void) {
  srand(16);
  testMemory();
  testDb();
  testWindowsInFlight();
  return test_done();
}
