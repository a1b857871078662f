/*
** t_scanbig.c: scans of an SST larger than the block cache.
**
** A scan whose blocks exceed the cache decodes them into two buffers of its
** iterator instead of the cache (sst.c, bStream: LevelDB's fill_cache =
** false), as does any scan without a cache. Checked here, ascending and
** descending, on a store that reads one GET at a time and on one that
** overlaps reads (windows fetched on background threads), with a cache much
** smaller than the SST, with none, and with one that holds it all:
** - the rows are the SST's, in order, and a row's bytes stay as they were
**   one step longer (merge.h's lookahead rule: the two buffers alternate);
** - the scan puts only its first blocks into the cache (a sixteenth of it:
**   a LIMIT that ends the scan there leaves them cached) and holds far less
**   than the cache's capacity while it runs; blocks the cache already holds
**   (from point lookups) are still taken from it;
** - for every k, the k-th GET of the scan fails: the rows before the error
**   are a prefix of the scan, the error is reported, and freeing the iterator
**   then is clean (freed memory is poisoned, c-tests/testalloc.h; ASan);
** - at its end the iterator holds no window and no large buffer.
*/
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "store/objstore.h"
#include "table/compress.h"
#include "table/sst.h"
#include "table/sst_build.h"
#include "table/sstinfo.h"
#include "testalloc.h"

#define NROW 30000
#define SMALL_CACHE (1u << 20)     /* the SST is about 3.8 MB */
#define FIRST_BLOCKS 16            /* the blocks of a sixteenth of it (decoded, ~5.7 KiB each),
                                   ** cached before the scan streams; then none */

/* Row i: key "key%08d", a 100-byte value that names it, seq i + 1. */
static void rowOf(int i, char *k, int *pnk, char *v) {
  *pnk = snprintf(k, 32, "key%08d", i);
  memset(v, 'a' + i % 26, 100);
  memcpy(v, k, (size_t)*pnk);
}

static int buildSst(SdbStore *s, const char *zKey, int eCodec, int bWal, SdbSstInfo *pInfo) {
  SdbSstOptions o;
  SdbErr err;
  SdbBuf out = {0};
  sdbSstOptionsDefault(&o);
  o.eCodec = eCodec;
  o.bWal = bWal;
  SdbSstBuilder *b = sdbSstBuilderNew(&o);
  int rc = b ? SDB_OK : SDB_NOMEM;
  for (int i = 0; i < NROW && rc == SDB_OK; i++) {
    char k[32], v[100];
    int nk;
    rowOf(i, k, &nk, v);
    SdbEntry e = {(const u8 *)k, (size_t)nk, (const u8 *)v, 100, (u64)i + 1, SDB_KIND_VALUE,
                  0, 0, 0, 0};
    rc = sdbSstBuilderAdd(b, &e, &err);
  }
  if (rc == SDB_OK) rc = sdbSstBuilderFinish(b, &out, pInfo, &err);
  if (rc == SDB_OK) rc = s->pMethods->xPut(s, zKey, out.a, out.n, 0, &err);
  sdbSstBuilderFree(b);
  sdbBufFree(&out);
  return rc;
}

/* ------------------------------------------------------------ the store */
/* The local store behind a wrapper that counts GETs and fails the
** gnFailAt-th; with bPar it also overlaps reads (xGetMany), so that the
** iterator fetches windows on background threads as it does on S3. */
typedef struct FailStore {
  SdbStore base;
  SdbStore *pIn;
} FailStore;

static atomic_long gnGet;
static long gnFailAt;           /* 0: none */

static int failGet(SdbStore *p, const char *zKey, u64 iOff, u64 nLen, SdbBuf *pOut, SdbErr *pErr) {
  long n = atomic_fetch_add(&gnGet, 1) + 1;
  if (n == gnFailAt) return sdbErrSet(pErr, SDB_IOERR, "injected failure of GET %ld", n);
  SdbStore *pIn = ((FailStore *)p)->pIn;
  return pIn->pMethods->xGet(pIn, zKey, iOff, nLen, pOut, pErr);
}
static int failGetMany(SdbStore *p, SdbGetReq *a, int n, SdbErr *pErr) {
  int rc = SDB_OK;
  for (int i = 0; i < n; i++) {
    SdbErr e = {0};
    a[i].rc = failGet(p, a[i].zKey, a[i].iOff, a[i].nLen, &a[i].out, &e);
    if (a[i].rc && rc == SDB_OK) rc = sdbErrSet(pErr, a[i].rc, "%s", e.zMsg);
  }
  return rc;
}
static int failHead(SdbStore *p, const char *zKey, u64 *pn, SdbErr *pErr) {
  SdbStore *pIn = ((FailStore *)p)->pIn;
  return pIn->pMethods->xHead(pIn, zKey, pn, pErr);
}
static int failPut(SdbStore *p, const char *zKey, const u8 *a, size_t n, int bIfAbsent, SdbErr *pErr) {
  SdbStore *pIn = ((FailStore *)p)->pIn;
  return pIn->pMethods->xPut(pIn, zKey, a, n, bIfAbsent, pErr);
}
static void failFree(SdbStore *p) { (void)p; }
static const SdbStoreMethods failMethods = {failGet, failHead, failPut, NULL, NULL, failFree,
                                            NULL, NULL, NULL};
static const SdbStoreMethods failParMethods = {failGet, failHead, failPut, NULL, NULL, failFree,
                                               failGetMany, NULL, NULL};

/* ------------------------------------------------------------ scans */
typedef struct Scan {
  int nRow;               /* rows read */
  int bBad;               /* a row was not the expected one */
  int bMoved;             /* a row's bytes changed one step after it */
  int rc;                 /* the first error (the scan stops there) */
  long nPeak;             /* most bytes held above the start, sampled at every step */
  long nEnd;              /* bytes held at EOF, above the start */
} Scan;

/* True if e is row i. */
static int rowIs(const SdbEntry *e, int i) {
  char k[32], v[100];
  int nk;
  rowOf(i, k, &nk, v);
  return e->nKey == (size_t)nk && !memcmp(e->pKey, k, (size_t)nk) && e->nVal == 100 &&
         !memcmp(e->pVal, v, 100) && e->seq == (u64)i + 1 && e->eKind == SDB_KIND_VALUE;
}

/* Read rows [iLo, iHi) of the SST (all of it: 0, NROW, read with no range)
** in direction bDesc, checking each row and, after each step, the row
** before it (still valid one step longer). */
static void scanRange(SdbSst *p, int iLo, int iHi, int bDesc, Scan *s) {
  SdbErr err = {0};
  SdbIter *it = NULL;
  memset(s, 0, sizeof(*s));
  char zLo[32], zHi[32], v[100];
  int nLo, nHi;
  rowOf(iLo, zLo, &nLo, v);
  rowOf(iHi, zHi, &nHi, v);
  SdbRange r;
  memset(&r, 0, sizeof(r));
  r.bHasLo = r.bHasHi = r.bHiExcl = 1;
  r.pLo = (const u8 *)zLo;
  r.nLo = (size_t)nLo;
  r.pHi = (const u8 *)zHi;
  r.nHi = (size_t)nHi;
  int bAll = iLo == 0 && iHi == NROW;
  long nBase = testAllocBytes();
  s->rc = sdbSstIterNew(p, bAll ? NULL : &r, bDesc, &it, &err);
  if (s->rc) return;
  SdbEntry prev;
  int iPrev = -1;
  while (!it->bEof) {
    int i = bDesc ? iHi - 1 - s->nRow : iLo + s->nRow;
    if (!rowIs(&it->cur, i)) s->bBad = 1;
    if (iPrev >= 0 && !rowIs(&prev, iPrev)) s->bMoved = 1;
    prev = it->cur;
    iPrev = i;
    s->nRow++;
    long n = testAllocBytes() - nBase;
    if (n > s->nPeak) s->nPeak = n;
    s->rc = sdb_iter_next(it, &err);
    if (s->rc) break;
  }
  if (s->rc == SDB_OK && iPrev >= 0 && !rowIs(&prev, iPrev)) s->bMoved = 1;   /* also after EOF */
  s->nEnd = testAllocBytes() - nBase;
  sdb_iter_free(it);
}

static void scanAll(SdbSst *p, int bDesc, Scan *s) { scanRange(p, 0, NROW, bDesc, s); }

/* Point lookups of the keys of rows a[0..n), which the cache keeps. */
static int lookups(SdbSst *p, const int *a, int n) {
  int nFound = 0;
  for (int j = 0; j < n; j++) {
    char k[32], v[100];
    int nk;
    rowOf(a[j], k, &nk, v);
    SdbRange r;
    memset(&r, 0, sizeof(r));
    r.bHasLo = r.bHasHi = 1;
    r.pLo = r.pHi = (const u8 *)k;
    r.nLo = r.nHi = (size_t)nk;
    SdbErr err = {0};
    SdbIter *it = NULL;
    if (sdbSstIterNew(p, &r, 0, &it, &err) == SDB_OK && !it->bEof && rowIs(&it->cur, a[j])) nFound++;
    sdb_iter_free(it);
  }
  return nFound;
}

static const char *zDirName(int bDesc) { return bDesc ? "descending" : "ascending"; }

/* zKey, a compressed compacted SST or a WAL SST (pInfo NULL: rows in seq
** order, every block read, rows outside the range skipped, so blocks
** without a row in range come between the rows), read whole and as
** [iLo, iHi) with a small cache and with none. */
static void checkOther(SdbStore *s, const char *zKey, const SdbSstInfo *pInfo, int iLo, int iHi,
                       const char *zCase) {
  for (int k = 0; k < 4; k++) {
    int bDesc = k & 1, bRange = k >> 1;
    for (int bCache = 0; bCache < 2; bCache++) {
      SdbCache *c = bCache ? sdbCacheNew(SMALL_CACHE) : NULL;
      SdbSst *p = NULL;
      SdbErr err = {0};
      int rc = sdbSstOpen(s, zKey, pInfo, 2, c, &p, &err);
      Scan sc;
      memset(&sc, 0, sizeof(sc));
      int lo = bRange ? iLo : 0, hi = bRange ? iHi : NROW;
      if (rc == SDB_OK) scanRange(p, lo, hi, bDesc, &sc);
      SdbCacheStats st = {0};
      if (c) sdbCacheGetStats(c, &st);
      char z[200];
      snprintf(z, sizeof(z), "scanbig: %s, %s, %s, %s: %d rows, in order, each valid one step "
               "longer, only the first blocks cached", zCase, bRange ? "a range" : "all", zDirName(bDesc),
               bCache ? "cache 1 MiB" : "no cache", sc.nRow);
      CHECKF(z, rc == SDB_OK && sc.rc == SDB_OK && sc.nRow == hi - lo && !sc.bBad && !sc.bMoved &&
                (!c || bRange || st.nInsert <= FIRST_BLOCKS),
             "rc %d/%d rows %d bad %d moved %d inserts %llu %s", rc, sc.rc, sc.nRow, sc.bBad,
             sc.bMoved, (unsigned long long)st.nInsert, err.zMsg);
      sdbSstUnref(p);
      sdbCacheFree(c);
    }
  }
}

/* The rows, the lookahead and memory, with a cache of nCache bytes (0: none). */
static void checkScans(SdbStore *s, const SdbSstInfo *pInfo, size_t nCache, const char *zCase) {
  for (int bDesc = 0; bDesc < 2; bDesc++) {
    SdbCache *c = nCache ? sdbCacheNew(nCache) : NULL;
    SdbSst *p = NULL;
    SdbErr err = {0};
    char z[200];
    int rc = sdbSstOpen(s, "compacted/a.sst", pInfo, 2, c, &p, &err);
    Scan sc;
    memset(&sc, 0, sizeof(sc));
    if (rc == SDB_OK) scanAll(p, bDesc, &sc);
    snprintf(z, sizeof(z), "scanbig: %s, %s: %d rows, in order, each valid one step longer", zCase,
             zDirName(bDesc), sc.nRow);
    CHECKF(z, rc == SDB_OK && sc.rc == SDB_OK && sc.nRow == NROW && !sc.bBad && !sc.bMoved,
           "rc %d/%d rows %d bad %d moved %d %s", rc, sc.rc, sc.nRow, sc.bBad, sc.bMoved, err.zMsg);
    SdbCacheStats st;
    memset(&st, 0, sizeof(st));
    if (c) sdbCacheGetStats(c, &st);
    if (nCache == SMALL_CACHE || !c) {   /* (a cache that holds the SST holds its blocks) */
      long nHeld = sc.nEnd - (long)st.nBytes;
      snprintf(z, sizeof(z), "scanbig: %s, %s: the engine holds %ld bytes more at the scan's end "
               "than what the cache holds", zCase, zDirName(bDesc), nHeld);
      CHECK(z, nHeld < 64 * 1024);
    }
    if (c && nCache == SMALL_CACHE) {
      snprintf(z, sizeof(z), "scanbig: %s, %s: only its first blocks enter the cache (%llu "
               "inserts of %u blocks), at most %ld bytes held during the scan", zCase,
               zDirName(bDesc), (unsigned long long)st.nInsert, sdbSstBlockCount(p), sc.nPeak);
      CHECK(z, st.nInsert <= FIRST_BLOCKS && sc.nPeak < (long)nCache / 2);
    }
    sdbSstUnref(p);
    sdbCacheFree(c);
  }
}

/* Blocks cached by point lookups are taken from the cache by a scan larger
** than it: at least one hit each. */
static void checkCachedUsed(SdbStore *s, const SdbSstInfo *pInfo) {
  static const int aKey[] = {5, 4000, 12345, 20000, 29990};
  const int nKey = (int)(sizeof(aKey) / sizeof(aKey[0]));
  for (int bDesc = 0; bDesc < 2; bDesc++) {
    SdbCache *c = sdbCacheNew(SMALL_CACHE);
    SdbSst *p = NULL;
    SdbErr err = {0};
    int rc = sdbSstOpen(s, "compacted/a.sst", pInfo, 2, c, &p, &err);
    int nFound = rc == SDB_OK ? lookups(p, aKey, nKey) : 0;
    SdbCacheStats st0, st1;
    sdbCacheGetStats(c, &st0);
    Scan sc;
    memset(&sc, 0, sizeof(sc));
    if (rc == SDB_OK) scanAll(p, bDesc, &sc);
    sdbCacheGetStats(c, &st1);
    char z[200];
    snprintf(z, sizeof(z), "scanbig: %s scan after %d point lookups: the rows, %llu cache hits "
             "on the blocks they cached", zDirName(bDesc), nFound,
             (unsigned long long)(st1.nHit - st0.nHit));
    CHECK(z, nFound == nKey && st0.nInsert >= (u64)nKey && sc.rc == SDB_OK && sc.nRow == NROW &&
             !sc.bBad && !sc.bMoved && st1.nHit - st0.nHit >= (u64)nKey &&
             st1.nInsert <= st0.nInsert + FIRST_BLOCKS);
    sdbSstUnref(p);
    sdbCacheFree(c);
  }
}

/* Range [iLo, iHi) of the rows as an SdbRange (keys in zLo, zHi). */
static void rangeOf(int iLo, int iHi, char *zLo, char *zHi, SdbRange *r) {
  char v[100];
  int nLo, nHi;
  rowOf(iLo, zLo, &nLo, v);
  rowOf(iHi, zHi, &nHi, v);
  memset(r, 0, sizeof(*r));
  r->bHasLo = r->bHasHi = r->bHiExcl = 1;
  r->pLo = (const u8 *)zLo;
  r->nLo = (size_t)nLo;
  r->pHi = (const u8 *)zHi;
  r->nHi = (size_t)nHi;
}

/* A join's inner scans: one iterator seeks again and again in the middle of
** streaming (a big range read part way, then a range starting in the same
** block, in the next one, far away, back), each checked row by row with
** the row before it still intact one step later (the lookahead across a
** seek that keeps the current block, which lies in one of the buffers). */
static void checkSeeks(SdbStore *s, const SdbSstInfo *pInfo, size_t nCache) {
  static const int aSeek[][3] = {   /* lo, hi, rows to read (-1: all) */
    {0, NROW, 500}, {500, NROW, 300}, {801, 900, -1}, {900, NROW, 2000}, {2901, 2950, -1},
    {2950, NROW, 1500}, {20000, 20005, -1}, {4000, NROW, 3000}, {7000, 7001, -1},
    {7001, NROW, 4000}, {100, 29000, 10000}};
  const int nSeek = (int)(sizeof(aSeek) / sizeof(aSeek[0]));
  for (int bDesc = 0; bDesc < 2; bDesc++) {
    SdbCache *c = nCache ? sdbCacheNew(nCache) : NULL;
    SdbSst *p = NULL;
    SdbIter *it = NULL;
    SdbErr err = {0};
    int rc = sdbSstOpen(s, "compacted/a.sst", pInfo, 2, c, &p, &err);
    int nBad = 0, nRows = 0;
    for (int k = 0; k < nSeek && rc == SDB_OK; k++) {
      char zLo[32], zHi[32];
      SdbRange r;
      rangeOf(aSeek[k][0], aSeek[k][1], zLo, zHi, &r);
      rc = it ? sdb_iter_seek(it, &r, &err) : sdbSstIterNew(p, &r, bDesc, &it, &err);
      SdbEntry prev;
      int iPrev = -1;
      for (int n = 0; rc == SDB_OK && !it->bEof && n != aSeek[k][2]; n++) {
        int i = bDesc ? aSeek[k][1] - 1 - n : aSeek[k][0] + n;
        if (!rowIs(&it->cur, i)) nBad++;
        if (iPrev >= 0 && !rowIs(&prev, iPrev)) nBad++;
        prev = it->cur;
        iPrev = i;
        nRows++;
        rc = sdb_iter_next(it, &err);
      }
      if (rc == SDB_OK && iPrev >= 0 && !rowIs(&prev, iPrev)) nBad++;
    }
    if (it) sdb_iter_free(it);
    sdbSstUnref(p);
    if (c) sdbCacheFree(c);
    char z[200];
    snprintf(z, sizeof(z), "scanbig: %s, cache %zu: %d seeks of one iterator in the middle of "
             "streaming: the rows, each intact one step later", zDirName(bDesc), nCache, nSeek);
    CHECKF(z, rc == SDB_OK && nBad == 0 && nRows > 10000, "rc %d (%s), %d bad of %d rows", rc,
           err.zMsg, nBad, nRows);
  }
}

/* A big range of a compressed SST (its stored bytes fit in the cache, its
** decoded blocks do not) reached by a seek that keeps the current block (a
** join's next range starting where the last one ended) streams as a new
** iterator's does: only its first blocks go to the cache. */
static void checkSeekKeepBig(SdbStore *s, const SdbSstInfo *pInfo) {
  for (int bDesc = 0; bDesc < 2; bDesc++) {
    SdbCache *c = sdbCacheNew(SMALL_CACHE);
    SdbSst *p = NULL;
    SdbIter *it = NULL;
    SdbErr err = {0};
    char zLo[32], zHi[32];
    SdbRange r;
    int rc = sdbSstOpen(s, "compacted/z.sst", pInfo, 2, c, &p, &err);
    rangeOf(bDesc ? NROW - 2 : 5, bDesc ? NROW - 1 : 6, zLo, zHi, &r);
    if (rc == SDB_OK) rc = sdbSstIterNew(p, &r, bDesc, &it, &err);
    rangeOf(bDesc ? 0 : 6, bDesc ? NROW - 2 : NROW, zLo, zHi, &r);
    SdbCacheStats st0 = {0}, st1 = {0};
    sdbCacheGetStats(c, &st0);
    if (rc == SDB_OK) rc = sdb_iter_seek(it, &r, &err);
    int nRow = 0;
    while (rc == SDB_OK && !it->bEof) {
      nRow++;
      rc = sdb_iter_next(it, &err);
    }
    sdbCacheGetStats(c, &st1);
    if (it) sdb_iter_free(it);
    sdbSstUnref(p);
    sdbCacheFree(c);
    char z[200];
    snprintf(z, sizeof(z), "scanbig: zstd, %s, cache 1 MiB: a big range after a seek that keeps "
             "the block streams (only its first blocks cached)", zDirName(bDesc));
    CHECKF(z, rc == SDB_OK && nRow == (bDesc ? NROW - 2 : NROW - 6) && st1.nInsert - st0.nInsert <= FIRST_BLOCKS,
           "rc %d (%s), %d rows, %llu inserts", rc, err.zMsg, nRow,
           (unsigned long long)(st1.nInsert - st0.nInsert));
  }
}

/* A block whose checksum does not match (one byte flipped in the middle of a
** copy of the plain SST) met while streaming, with a cache and without:
** the rows before it, then an error naming the block and its checksum; the
** iterator then frees cleanly (ASan, the poisoning allocator). */
static void checkCorruptStreaming(SdbStore *s, const SdbSstInfo *pInfo) {
  SdbBuf obj = {0};
  SdbErr err = {0};
  int rc = s->pMethods->xGet(s, "compacted/a.sst", 0, SDB_TO_END, &obj, &err);
  if (rc == SDB_OK) obj.a[obj.n / 2] ^= 0x55;   /* in a data block (the index is at the end) */
  if (rc == SDB_OK) rc = s->pMethods->xPut(s, "compacted/bad.sst", obj.a, obj.n, 0, &err);
  sdbBufFree(&obj);
  for (int k = 0; k < 4; k++) {
    int bDesc = k & 1, bCache = k >> 1;
    SdbCache *c = bCache ? sdbCacheNew(SMALL_CACHE) : NULL;
    SdbSst *p = NULL;
    SdbIter *it = NULL;
    int rc2 = rc, nRow = 0, nBad = 0;
    err.zMsg[0] = 0;
    if (rc2 == SDB_OK) rc2 = sdbSstOpen(s, "compacted/bad.sst", pInfo, 2, c, &p, &err);
    if (rc2 == SDB_OK) rc2 = sdbSstIterNew(p, NULL, bDesc, &it, &err);
    while (rc2 == SDB_OK && !it->bEof) {
      if (!rowIs(&it->cur, bDesc ? NROW - 1 - nRow : nRow)) nBad++;
      nRow++;
      rc2 = sdb_iter_next(it, &err);
    }
    if (it) sdb_iter_free(it);
    sdbSstUnref(p);
    if (c) sdbCacheFree(c);
    char z[200];
    snprintf(z, sizeof(z), "scanbig: %s, %s: a corrupt block met while streaming is reported "
             "(its block, checksum) after the rows before it", zDirName(bDesc),
             bCache ? "cache 1 MiB" : "no cache");
    CHECKF(z, rc2 == SDB_CORRUPT && nBad == 0 && nRow > 1000 && strstr(err.zMsg, "block ") &&
              strstr(err.zMsg, "checksum"), "rc %d, %d rows, %d bad: %s", rc2, nRow, nBad, err.zMsg);
  }
}

/* For every k, the k-th GET of a full scan fails. */
static void checkFailures(SdbStore *pIn, const SdbSstInfo *pInfo, int bPar, size_t nCache) {
  FailStore fs;
  memset(&fs, 0, sizeof(fs));
  fs.base.pMethods = bPar ? &failParMethods : &failMethods;
  fs.pIn = pIn;
  for (int bDesc = 0; bDesc < 2; bDesc++) {
    long nGets = 0;
    int nCase = 0, nBad = 0, nNoErr = 0;
    for (long k = 0; k == 0 || k <= nGets; k++) {
      SdbCache *c = nCache ? sdbCacheNew(nCache) : NULL;
      SdbSst *p = NULL;
      SdbErr err = {0};
      gnFailAt = 0;
      int rc = sdbSstOpen(&fs.base, "compacted/a.sst", pInfo, 2, c, &p, &err);
      atomic_store(&gnGet, 0);
      gnFailAt = k;
      Scan sc;
      memset(&sc, 0, sizeof(sc));
      if (rc == SDB_OK) scanAll(p, bDesc, &sc);
      if (k == 0) {
        nGets = atomic_load(&gnGet);
        if (rc || sc.rc || sc.nRow != NROW) nBad++;
      } else {
        nCase++;
        if (sc.rc == SDB_OK) nNoErr++;
        if (sc.bBad || sc.bMoved) nBad++;
      }
      sdbSstUnref(p);
      sdbCacheFree(c);
    }
    gnFailAt = 0;
    char z[200];
    snprintf(z, sizeof(z), "scanbig: %s, %s, cache %zu: each of %ld GETs failing in turn: "
             "the rows before it in order, the error reported", bPar ? "overlapped reads" :
             "one GET at a time", zDirName(bDesc), nCache, nGets);
    CHECKF(z, nBad == 0 && nNoErr == 0 && nCase >= 8, "%d bad, %d without error of %d", nBad,
           nNoErr, nCase);
  }
}

int main(void) {
  CHECK("scanbig: poisoning allocator installed", testAllocInstall() == SDB_OK);
  char zDir[64], zCmd[128];
  snprintf(zDir, sizeof(zDir), "/tmp/sdb-scanbig-%d", (int)getpid());
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  (void)!system(zCmd);
  SdbStore *s = NULL;
  SdbSstInfo info;
  SdbErr err = {0};
  memset(&info, 0, sizeof(info));
  int rc = mkdir(zDir, 0700) ? SDB_IOERR : sdbStoreOpenDir(zDir, 1, 0, &s, &err);
  SdbSstInfo infoZ, infoW;
  memset(&infoZ, 0, sizeof(infoZ));
  memset(&infoW, 0, sizeof(infoW));
  if (rc == SDB_OK) rc = buildSst(s, "compacted/a.sst", SDB_CODEC_NONE, 0, &info);
  if (rc == SDB_OK) rc = buildSst(s, "compacted/z.sst", SDB_CODEC_ZSTD, 0, &infoZ);
  if (rc == SDB_OK) rc = buildSst(s, "wal/00000000000000000001.sst", SDB_CODEC_NONE, 1, &infoW);
  static const int aCodec[] = {SDB_CODEC_SNAPPY, SDB_CODEC_LZ4, SDB_CODEC_ZLIB};
  static const char *const azCodec[] = {"snappy", "lz4", "zlib"};
  SdbSstInfo aInfoC[3];
  memset(aInfoC, 0, sizeof(aInfoC));
  for (int k = 0; k < 3 && rc == SDB_OK; k++) {
    char zKey[32];
    snprintf(zKey, sizeof(zKey), "compacted/%s.sst", azCodec[k]);
    rc = buildSst(s, zKey, aCodec[k], 0, &aInfoC[k]);
  }
  CHECKF("scanbig: 3.8 MB SSTs of 4 KiB blocks (plain, zstd, WAL)", rc == SDB_OK, "%s", err.zMsg);
  if (rc == SDB_OK) {
    checkScans(s, &info, SMALL_CACHE, "cache 1 MiB");
    checkScans(s, &info, 0, "no cache");
    checkScans(s, &info, 64u << 20, "cache 64 MiB");
    checkCachedUsed(s, &info);
    checkOther(s, "compacted/z.sst", &infoZ, 10000, 20000, "zstd");
    checkOther(s, "wal/00000000000000000001.sst", NULL, 10000, 20000, "WAL");
    for (int k = 0; k < 3; k++) {
      char zKey[32];
      snprintf(zKey, sizeof(zKey), "compacted/%s.sst", azCodec[k]);
      checkOther(s, zKey, &aInfoC[k], 10000, 20000, azCodec[k]);
    }
    checkSeeks(s, &info, SMALL_CACHE);
    checkSeekKeepBig(s, &infoZ);
    checkCorruptStreaming(s, &info);
    checkSeeks(s, &info, 0);
    checkFailures(s, &info, 0, SMALL_CACHE);
    checkFailures(s, &info, 1, SMALL_CACHE);
    checkFailures(s, &info, 0, 0);
  }
  sdbSstInfoClear(&info);
  sdbSstInfoClear(&infoZ);
  sdbSstInfoClear(&infoW);
  for (int k = 0; k < 3; k++) sdbSstInfoClear(&aInfoC[k]);
  sdbStoreFree(s);
  (void)!system(zCmd);
  char zLeft[96];
  snprintf(zLeft, sizeof(zLeft), "scanbig: nothing left allocated (%ld bytes)", testAllocBytes());
  CHECK(zLeft, testAllocBytes() == 0);
  return test_done();
}
