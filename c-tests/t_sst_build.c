/*
** t_sst_build.c: the SST writer. SSTs built from random rows (every codec,
** 1 KiB and 4 KiB blocks, with and without bloom filters, WAL and compacted,
** tombstones, merges, TTLs, empty values, 65535-byte keys) are stored in a
** temporary local store and read back with the SST reader: rows, order, both
** directions and the info returned to the caller must all agree. The empty
** SST (the fence WAL) has the exact 114-byte layout SlateDB writes.
*/
#include <pthread.h>
#include <unistd.h>

#include "test.h"
#include "store/objstore.h"
#include "table/sst.h"
#include "table/sst_build.h"
#include "util/cache.h"

typedef struct TRow { u8 key[64]; size_t nKey; u8 val[40]; size_t nVal; u64 seq; int kind; } TRow;

static int cmpRow(const void *a, const void *b) {
  const TRow *x = a, *y = b;
  int c = sdbKeyCmp(x->key, x->nKey, y->key, y->nKey);
  if (c) return c;
  return x->seq > y->seq ? -1 : x->seq < y->seq;
}

static SdbEntry entryOf(const TRow *r) {
  SdbEntry e = {r->key, r->nKey, r->kind == SDB_KIND_TOMBSTONE ? NULL : r->val,
                r->kind == SDB_KIND_TOMBSTONE ? 0 : r->nVal, r->seq, r->kind, 1, r->seq % 3 == 0,
                1700000000000 + (i64)r->seq, 1800000000000 + (i64)r->seq};
  return e;
}

/* Build, store and read back one SST; returns 1 if everything matched. */
static int roundTrip(SdbStore *s, const SdbSstOptions *o, TRow *a, int n, const char *zKey) {
  SdbSstBuilder *b = sdbSstBuilderNew(o);
  SdbErr err = {0};
  SdbBuf out = {0};
  SdbSstInfo info;
  int ok = 1;
  if (!o->bWal) qsort(a, (size_t)n, sizeof(TRow), cmpRow);
  for (int i = 0; i < n && ok; i++) {
    SdbEntry e = entryOf(&a[i]);
    ok = sdbSstBuilderAdd(b, &e, &err) == SDB_OK;
  }
  ok = ok && sdbSstBuilderFinish(b, &out, &info, &err) == SDB_OK;
  ok = ok && s->pMethods->xPut(s, zKey, out.a, out.n, 0, &err) == SDB_OK;
  sdbSstBuilderFree(b);
  for (int viaInfo = 0; ok && viaInfo < 2; viaInfo++) {
    SdbSst *sst = NULL;
    if (sdbSstOpen(s, zKey, viaInfo ? &info : NULL, 2, NULL, &sst, &err)) { ok = 0; break; }
    for (int bDesc = 0; ok && bDesc < (o->bWal ? 1 : 2); bDesc++) {
      SdbIter *it = NULL;
      if (sdbSstIterNew(sst, NULL, bDesc, &it, &err)) { ok = 0; break; }
      int j = 0;
      for (; ok && !it->bEof; j++) {
        const TRow *r = &a[bDesc ? n - 1 - j : j];
        SdbEntry w = entryOf(r);
        const SdbEntry *g = &it->cur;
        ok = j < n && sdbKeyCmp(g->pKey, g->nKey, w.pKey, w.nKey) == 0 && g->seq == w.seq &&
             g->eKind == w.eKind && g->nVal == w.nVal && (!w.nVal || memcmp(g->pVal, w.pVal, w.nVal) == 0) &&
             g->createTs == w.createTs && g->bHasExpireTs == w.bHasExpireTs &&
             (!w.bHasExpireTs || g->expireTs == w.expireTs);
        if (ok && sdb_iter_next(it, &err)) ok = 0;
      }
      ok = ok && j == n;
      sdb_iter_free(it);
    }
    if (ok && !o->bWal && n > 0) {   /* point lookups of present keys pass the filter */
      for (int i = 0; ok && i < n; i += 7) {
        int bMay = 0;
        ok = sdbSstMayContain(sst, a[i].key, a[i].nKey, &bMay, &err) == SDB_OK && bMay;
      }
    }
    sdbSstUnref(sst);
  }
  if (!ok) printf("# %s: %s\n", zKey, err.zMsg);
  sdbSstInfoClear(&info);
  sdbBufFree(&out);
  return ok;
}

static int fillRows(TRow *a, int n, int bBig) {
  for (int i = 0; i < n; i++) {
    TRow *r = &a[i];
    r->nKey = (size_t)snprintf((char *)r->key, sizeof(r->key), "key%05d", rand() % (n + 1));
    if (i % 11 == 0) { r->key[r->nKey++] = 0; r->key[r->nKey++] = 0xff; }
    r->nVal = (size_t)(rand() % 30);
    for (size_t k = 0; k < r->nVal; k++) r->val[k] = (u8)rand();
    r->seq = (u64)i + 1;
    int x = rand() % 10;
    r->kind = x < 7 ? SDB_KIND_VALUE : x < 9 ? SDB_KIND_TOMBSTONE : SDB_KIND_MERGE;
  }
  return bBig;
}


/* ------------------------------------------------------------ maxSeq */
/* The rows of the maxSeq test: key i is "m%04d", its seq a permutation of
** 1..MS_ROWS, so that for each bound the first row above it lies anywhere
** (first row of a block, within one, its last). */
#define MS_ROWS 300
static u64 msSeq(int i) { return (u64)((i * 37) % MS_ROWS) + 1; }

/* Scan sst (range [lo, hi] of row indexes, -1: unbounded; or seek to it from
** another range first when bSeek) in direction bDesc under bound maxSeq. 1
** if the rows are exactly those of the range up to (not including) the
** first whose seq is above maxSeq, and that one's step is SDB_CORRUPT
** naming the bound (or EOF if there is none). */
static int msCheck(SdbSst *sst, u64 maxSeq, int lo, int hi, int bDesc, int bSeek, char *zWhy) {
  char zLo[8], zHi[8];
  snprintf(zLo, sizeof(zLo), "m%04d", lo);
  snprintf(zHi, sizeof(zHi), "m%04d", hi);
  SdbRange r = {(const u8 *)zLo, 5, lo >= 0, 0, (const u8 *)zHi, 5, hi >= 0, 0};
  SdbRange rOther = {(const u8 *)"m0000", 5, 1, 0, (const u8 *)"m0000", 5, 1, 0};
  SdbIter *it = NULL;
  SdbErr err = {0};
  sdbSstSetMaxSeq(sst, maxSeq);
  int iFirst = lo < 0 ? 0 : lo, iLast = hi < 0 ? MS_ROWS - 1 : hi;
  int iBad = -1;   /* the first row above maxSeq, in the scan's order */
  for (int k = 0; k <= iLast - iFirst && iBad < 0; k++) {
    int i = bDesc ? iLast - k : iFirst + k;
    if (msSeq(i) > maxSeq) iBad = i;
  }
  int rc;
  if (bSeek) {
    sdbSstSetMaxSeq(sst, UINT64_MAX);
    rc = sdbSstIterNew(sst, &rOther, bDesc, &it, &err);
    sdbSstSetMaxSeq(sst, maxSeq);
    if (rc == SDB_OK) rc = sdb_iter_seek(it, (lo >= 0 || hi >= 0) ? &r : NULL, &err);
  } else {
    rc = sdbSstIterNew(sst, (lo >= 0 || hi >= 0) ? &r : NULL, bDesc, &it, &err);
  }
  int k = 0, ok = 1;
  while (rc == SDB_OK && !it->bEof && ok) {
    int i = bDesc ? iLast - k : iFirst + k;
    char zWant[8];
    snprintf(zWant, sizeof(zWant), "m%04d", i);
    ok = i != iBad && it->cur.nKey == 5 && memcmp(it->cur.pKey, zWant, 5) == 0 && it->cur.seq == msSeq(i);
    if (!ok) snprintf(zWhy, 200, "row %d: got %.*s seq %llu", k, (int)it->cur.nKey,
                     (const char *)it->cur.pKey, (unsigned long long)it->cur.seq);
    k++;
    if (ok) rc = sdb_iter_next(it, &err);
  }
  if (ok && iBad < 0) {
    ok = rc == SDB_OK && k == iLast - iFirst + 1;
  } else if (ok) {
    ok = rc == SDB_CORRUPT && strstr(err.zMsg, "above the manifest's") &&
         k == (bDesc ? iLast - iBad : iBad - iFirst);
  }
  if (!ok && !zWhy[0]) snprintf(zWhy, 200, "rc=%d after %d rows (first above: %d) %s", rc, k, iBad, err.zMsg);
  sdb_iter_free(it);
  return ok;
}

/* A compacted SST's rows above its maxSeq (sdbSstSetMaxSeq, the manifest's
** last_l0_seq) are SDB_CORRUPT wherever they lie: the SST iterator's step
** within a block (sstIterNext's fast path) must check every row, as the
** full step does; ascending and descending, whole, within a range (ends
** inside blocks) and after a seek. */
static void testMaxSeq(SdbStore *s) {
  SdbSstOptions o;
  sdbSstOptionsDefault(&o);
  o.blockSize = 256;   /* about 10 rows a block */
  SdbSstBuilder *b = sdbSstBuilderNew(&o);
  SdbErr err = {0};
  SdbBuf out = {0};
  SdbSstInfo info = {0};
  int ok = b != NULL;
  for (int i = 0; ok && i < MS_ROWS; i++) {
    char zK[8];
    snprintf(zK, sizeof(zK), "m%04d", i);
    SdbEntry e = {(const u8 *)zK, 5, (const u8 *)"v", 1, msSeq(i), SDB_KIND_VALUE, 0, 0, 0, 0};
    ok = sdbSstBuilderAdd(b, &e, &err) == SDB_OK;
  }
  ok = ok && sdbSstBuilderFinish(b, &out, &info, &err) == SDB_OK &&
       s->pMethods->xPut(s, "compacted/maxseq.sst", out.a, out.n, 0, &err) == SDB_OK;
  SdbSst *sst = NULL;
  ok = ok && sdbSstOpen(s, "compacted/maxseq.sst", &info, 2, NULL, &sst, &err) == SDB_OK &&
       sdbSstBlockCount(sst) > 10;
  CHECKF("sst-build: maxSeq SST of small blocks built", ok, "%s", err.zMsg);
  static const int aRange[][2] = {{-1, -1}, {13, 187}, {40, -1}, {-1, 255}, {101, 109}};
  int nBad = 0, nCase = 0;
  char zWhy[256] = "";
  for (u64 m = 1; ok && m <= MS_ROWS; m += 7) {
    for (int iR = 0; iR < 5; iR++) {
      for (int d = 0; d < 4; d++) {
        char z[200] = "";
        nCase++;
        if (!msCheck(sst, m, aRange[iR][0], aRange[iR][1], d & 1, d >> 1, z) && !nBad++) {
          snprintf(zWhy, sizeof(zWhy), "maxSeq %llu range %d..%d %s%s: %s", (unsigned long long)m,
                   aRange[iR][0], aRange[iR][1], d & 1 ? "desc" : "asc", d >> 1 ? " seek" : "", z);
        }
      }
    }
  }
  CHECKF("sst-build: maxSeq: a row above the bound is corrupt wherever it lies in its block", ok && nBad == 0,
         "%d of %d cases wrong, first: %s", nBad, nCase, zWhy);
  if (sst) sdbSstUnref(sst);
  sdbSstInfoClear(&info);
  sdbBufFree(&out);
  sdbSstBuilderFree(b);
}

/* ------------------------------------------------------------ parallel read-ahead */
/* A store over another that has xGetMany (requests run one by one) and
** records what the SST reader asks of it. */
typedef struct ParStore {
  SdbStore base;
  SdbStore *pIn;          /* borrowed */
  int nBatch, nMaxPart;   /* xGetMany calls, most requests in one */
  u64 nBytes, nMaxReq;    /* bytes read in all, largest single request */
} ParStore;

static pthread_mutex_t parMu = PTHREAD_MUTEX_INITIALIZER;

static u64 gParFailOff = UINT64_MAX;   /* a GET from this offset answers SDB_NOTFOUND */

static int parGet(SdbStore *p, const char *zKey, u64 iOff, u64 nLen, SdbBuf *pOut, SdbErr *pErr) {
  ParStore *q = (ParStore *)p;
  if (iOff == gParFailOff) return sdbErrSet(pErr, SDB_NOTFOUND, "%s: no such object", zKey);
  int rc = q->pIn->pMethods->xGet(q->pIn, zKey, iOff, nLen, pOut, pErr);
  pthread_mutex_lock(&parMu);   /* read-ahead windows call from several threads */
  if (rc == SDB_OK) {
    q->nBytes += pOut->n;
    if (pOut->n > q->nMaxReq) q->nMaxReq = pOut->n;
  }
  pthread_mutex_unlock(&parMu);
  return rc;
}
static int parHead(SdbStore *p, const char *zKey, u64 *pn, SdbErr *pErr) {
  return ((ParStore *)p)->pIn->pMethods->xHead(((ParStore *)p)->pIn, zKey, pn, pErr);
}
static int parGetMany(SdbStore *p, SdbGetReq *a, int n, SdbErr *pErr) {
  ParStore *q = (ParStore *)p;
  pthread_mutex_lock(&parMu);
  q->nBatch++;
  if (n > q->nMaxPart) q->nMaxPart = n;
  pthread_mutex_unlock(&parMu);
  for (int i = 0; i < n; i++) a[i].rc = parGet(p, a[i].zKey, a[i].iOff, a[i].nLen, &a[i].out, pErr);
  for (int i = 0; i < n; i++) if (a[i].rc && a[i].rc != SDB_NOTFOUND) return a[i].rc;
  return SDB_OK;   /* as xGetMany: SDB_NOTFOUND only in a[i].rc */
}
static const SdbStoreMethods parMethods = {parGet, parHead, NULL, NULL, NULL, NULL, parGetMany, NULL, NULL};

/* Scan all of key's SST in direction bDesc through q; 1 if the rows are
** a[0..n) in order (reversed if bDesc). */
static int parScanWith(ParStore *q, const char *zKey, const SdbSstInfo *pInfo, SdbCache *pCache,
                       const TRow *a, int n, int bDesc, int bForScan, int *pj, SdbErr *pErr) {
  SdbSst *sst = NULL;
  SdbIter *it = NULL;
  int ok = (bForScan ? sdbSstOpenForScan(&q->base, zKey, pInfo, 2, pCache, bDesc, &sst, pErr)
                     : sdbSstOpen(&q->base, zKey, pInfo, 2, pCache, &sst, pErr)) == SDB_OK &&
           sdbSstIterNew(sst, NULL, bDesc, &it, pErr) == SDB_OK;
  int j = 0;
  for (; ok && !it->bEof; j++) {
    const TRow *r = &a[bDesc ? n - 1 - j : j];
    ok = j < n && it->cur.seq == r->seq && sdbKeyCmp(it->cur.pKey, it->cur.nKey, r->key, r->nKey) == 0;
    if (ok && sdb_iter_next(it, pErr)) ok = 0;
  }
  sdb_iter_free(it);
  if (sst) sdbSstUnref(sst);
  if (pj) *pj = j;
  return ok && j == n;
}

static int parScan(ParStore *q, const char *zKey, const SdbSstInfo *pInfo, SdbCache *pCache,
                   const TRow *a, int n, int bDesc, SdbErr *pErr) {
  return parScanWith(q, zKey, pInfo, pCache, a, n, bDesc, 0, NULL, pErr);
}

/* A multi-megabyte SST read through a store that overlaps reads: the scan's
** read-ahead windows (on background threads, one GET of at most 1 MiB each,
** several in flight) read every
** data byte exactly once (the open reads from the index to the end: index,
** stats, info, footer), and returns every row in both directions. */
static void testParallelReadAhead(SdbStore *s) {
  enum { N = 150000 };
  static TRow a[N];
  SdbSstOptions o;
  sdbSstOptionsDefault(&o);
  o.blockSize = 4096;
  for (int i = 0; i < N; i++) {
    TRow *r = &a[i];
    r->nKey = (size_t)snprintf((char *)r->key, sizeof(r->key), "pkey%08d", i);
    r->nVal = 40;
    memset(r->val, 'a' + i % 26, r->nVal);
    r->seq = (u64)i + 1;
    r->kind = SDB_KIND_VALUE;
  }
  SdbSstBuilder *b = sdbSstBuilderNew(&o);
  SdbErr err = {0};
  SdbBuf out = {0};
  SdbSstInfo info;
  int ok = 1;
  for (int i = 0; i < N && ok; i++) {
    SdbEntry e = entryOf(&a[i]);
    ok = sdbSstBuilderAdd(b, &e, &err) == SDB_OK;
  }
  ok = ok && sdbSstBuilderFinish(b, &out, &info, &err) == SDB_OK &&
       s->pMethods->xPut(s, "compacted/par.sst", out.a, out.n, 0, &err) == SDB_OK;
  sdbSstBuilderFree(b);
  CHECKF("read-ahead: build a multi-MB SST", ok && info.filterOffset > (3u << 20), "%s", err.zMsg);
  SdbCache *pCache = sdbCacheNew(64 << 20);
  for (int bDesc = 0; ok && bDesc < 2; bDesc++) {
    for (int bCache = 0; bCache < 2; bCache++) {
      ParStore q = {{&parMethods, {0}, NULL, NULL}, s, 0, 0, 0, 0};
      int bRows = parScan(&q, "compacted/par.sst", &info, bCache ? pCache : NULL, a, N, bDesc, &err);
      u64 nData = info.filterOffset;   /* data blocks end where the filter starts */
      char zName[128];
      snprintf(zName, sizeof(zName), "read-ahead: %s scan %s a cache, in parallel batches",
               bDesc ? "descending" : "ascending", bCache ? "with" : "without");
      CHECKF(zName,
             bRows && q.nBatch > 0 && q.nMaxPart >= 1 && q.nMaxPart <= 8 && q.nMaxReq <= (1u << 20) &&
                 q.nBytes == nData + (out.n - info.indexOffset),
             "rows %d, batches %d, most parts %d, largest GET %llu, bytes %llu for %llu data + %llu"
             " index to end: %s", bRows, q.nBatch, q.nMaxPart, (unsigned long long)q.nMaxReq,
             (unsigned long long)q.nBytes, (unsigned long long)nData,
             (unsigned long long)(out.n - info.indexOffset), err.zMsg);
    }
  }
  /* A 1 MiB cache allows 256 KiB of read-ahead; it is all given back. Out of
  ** room, the scan waits for a window rather than starting windows of a block
  ** each (627 windows for this SST before, mostly of one 4 KiB block; 1M rows over 3 L0s
  ** on S3 took 45 s instead of 6). */
  SdbCache *pSmall = sdbCacheNew(1 << 20);
  ParStore q = {{&parMethods, {0}, NULL, NULL}, s, 0, 0, 0, 0};
  int bRows = parScan(&q, "compacted/par.sst", &info, pSmall, a, N, 0, &err);
  SdbCacheStats st;
  sdbCacheGetStats(pSmall, &st);
  CHECKF("read-ahead: bounded by a quarter of a small cache, and released", bRows &&
         q.nMaxReq <= (256u << 10) && st.nAhead == 0 && st.nBytes <= (1u << 20),
         "rows %d, largest GET %llu, read-ahead left %llu, cache bytes %llu", bRows,
         (unsigned long long)q.nMaxReq, (unsigned long long)st.nAhead, (unsigned long long)st.nBytes);
  CHECKF("read-ahead: out of room, no windows of a block each", bRows && q.nBatch <= 100,
         "%d windows for %llu bytes", q.nBatch, (unsigned long long)q.nBytes);
  sdbCacheFree(pSmall);
  /* An open for a scan (sdbSstOpenForScan) starts the first windows with the
  ** index GET; the iterator adopts them: every row, both ways. A failed one
  ** (the second, from 64 KiB) is reported at its rows, after those before. */
  for (int bDesc = 0; bDesc < 2; bDesc++) {
    SdbCache *pC = sdbCacheNew(64 << 20);
    ParStore q2 = {{&parMethods, {0}, NULL, NULL}, s, 0, 0, 0, 0};
    int nRows = 0;
    bRows = parScanWith(&q2, "compacted/par.sst", &info, pC, a, N, bDesc, 1, &nRows, &err);
    CHECKF("read-ahead: an open for a scan reads its first windows with the index", bRows,
           "%s: rows %d of %d: %s", bDesc ? "desc" : "asc", nRows, N, err.zMsg);
    sdbCacheFree(pC);
  }
  SdbCache *pC = sdbCacheNew(64 << 20);
  ParStore q3 = {{&parMethods, {0}, NULL, NULL}, s, 0, 0, 0, 0};
  int nRows = 0;
  gParFailOff = 64 << 10;
  memset(&err, 0, sizeof(err));
  bRows = parScanWith(&q3, "compacted/par.sst", &info, pC, a, N, 0, 1, &nRows, &err);
  gParFailOff = UINT64_MAX;
  CHECKF("read-ahead: a failed first window is reported at its rows", !bRows && nRows > 100 &&
         nRows < N && strstr(err.zMsg, "par.sst") && strstr(err.zMsg, "at 65536 failed"),
         "rows %d: %s", nRows, err.zMsg);
  sdbCacheFree(pC);
  sdbCacheFree(pCache);
  sdbSstInfoClear(&info);
  sdbBufFree(&out);
}

int main(void) {
  char zRoot[256];
  snprintf(zRoot, sizeof(zRoot), "%s/sdb-sstb-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  SdbStore *s = NULL;
  SdbErr err = {0};
  CHECK("sst-build: store", mkdtemp(zRoot) && sdbStoreOpenDir(zRoot, 1, 0, &s, &err) == SDB_OK);
  static TRow a[3000];
  srand(3);
  const char *azCodec[] = {"none", "snappy", "zlib", "lz4", "zstd"};
  for (int codec = 0; codec <= SDB_CODEC_ZSTD; codec++) {
    for (int bWal = 0; bWal < 2; bWal++) {
      for (int size = 0; size < 2; size++) {
        SdbSstOptions o;
        sdbSstOptionsDefault(&o);
        o.eCodec = codec;
        o.bWal = bWal;
        o.blockSize = size ? 4096 : 1024;
        int n = size ? 2500 : 400;   /* 2500 rows: with a filter; 400: without */
        fillRows(a, n, 0);
        char zKey[64], zName[128];
        snprintf(zKey, sizeof(zKey), "compacted/t%d%d%d.sst", codec, bWal, size);
        snprintf(zName, sizeof(zName), "sst-build: %s %s %s, %d rows", azCodec[codec],
                 bWal ? "WAL" : "compacted", size ? "4 KiB" : "1 KiB", n);
        CHECK(zName, roundTrip(s, &o, a, n, zKey));
      }
    }
  }
  /* A 65535-byte key and a 100 KB value, alone in their blocks. */
  {
    SdbSstOptions o;
    sdbSstOptionsDefault(&o);
    SdbSstBuilder *b = sdbSstBuilderNew(&o);
    static u8 big[100000];
    memset(big, 'k', sizeof(big));
    SdbEntry e1 = {big, 65535, big, 100000, 5, SDB_KIND_VALUE, 1, 0, 1, 0};
    SdbEntry e2 = {(const u8 *)"l", 1, (const u8 *)"", 0, 6, SDB_KIND_VALUE, 1, 0, 1, 0};
    SdbBuf out = {0};
    SdbSstInfo info;
    int ok = sdbSstBuilderAdd(b, &e1, &err) == SDB_OK && sdbSstBuilderAdd(b, &e2, &err) == SDB_OK &&
             sdbSstBuilderFinish(b, &out, &info, &err) == SDB_OK &&
             s->pMethods->xPut(s, "compacted/big.sst", out.a, out.n, 0, &err) == SDB_OK;
    SdbSst *sst = NULL;
    SdbIter *it = NULL;
    ok = ok && sdbSstOpen(s, "compacted/big.sst", NULL, 2, NULL, &sst, &err) == SDB_OK &&
         sdbSstIterNew(sst, NULL, 0, &it, &err) == SDB_OK && !it->bEof && it->cur.nKey == 65535 &&
         it->cur.nVal == 100000 && sdb_iter_next(it, &err) == SDB_OK && !it->bEof &&
         it->cur.nKey == 1 && it->cur.nVal == 0 && it->cur.pVal != NULL;
    CHECKF("sst-build: 65535-byte key, 100 KB value, empty value", ok, "%s", err.zMsg);
    sdb_iter_free(it);
    if (sst) sdbSstUnref(sst);
    sdbSstInfoClear(&info);
    sdbBufFree(&out);
    sdbSstBuilderFree(b);
  }
  /* The fence WAL: an empty compacted-builder SST, 114 bytes uncompressed. */
  {
    SdbSstOptions o;
    sdbSstOptionsDefault(&o);
    SdbSstBuilder *b = sdbSstBuilderNew(&o);
    SdbBuf out = {0};
    SdbSstInfo info;
    int rc = sdbSstBuilderFinish(b, &out, &info, &err);
    CHECKF("sst-build: fence WAL is 114 bytes", rc == SDB_OK && out.n == 114, "rc=%d n=%zu", rc, out.n);
    CHECK("sst-build: fence WAL layout (index 28 bytes, stats at 28 of 16 bytes, no entries)",
          info.indexOffset == 0 && info.indexLen == 28 && info.statsOffset == 28 && info.statsLen == 16 &&
          !info.bHasFirst && !info.bHasLast && info.filterLen == 0);
    SdbSst *sst = NULL;
    SdbIter *it = NULL;
    s->pMethods->xPut(s, "wal/00000000000000000001.sst", out.a, out.n, 1, &err);
    rc = sdbSstOpen(s, "wal/00000000000000000001.sst", NULL, 0, NULL, &sst, &err);
    if (rc == SDB_OK) rc = sdbSstIterNew(sst, NULL, 0, &it, &err);
    CHECKF("sst-build: fence WAL reads as empty", rc == SDB_OK && it->bEof, "rc=%d %s", rc, err.zMsg);
    sdb_iter_free(it);
    if (sst) sdbSstUnref(sst);
    sdbSstInfoClear(&info);
    sdbBufFree(&out);
    sdbSstBuilderFree(b);
  }
  testMaxSeq(s);
  testParallelReadAhead(s);
  sdbStoreFree(s);
  char zCmd[400];
  snprintf(zCmd, sizeof(zCmd), "rm -rf '%s'", zRoot);
  if (system(zCmd)) {}
  return test_done();
}
