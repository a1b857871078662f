/*
** t_descrev.c: review reproducers for the descending lookahead change
** (5508185..651adff). Descending scans through a database against ascending
** ones reversed: (1) on a store that overlaps reads (disk cache in front:
** xGetMany, read-ahead windows and the sorted run's open-ahead thread),
** (2) a reader's descending scan resumed after GC deleted the SSTs under it
** (scanRetry), (3) seeks mid-scan. Engine memory is poisoned when freed.
*/
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "test.h"
#include "db/memtable.h"
#include "db/merge.h"

#include "testalloc.h"

typedef struct Rows {
  char *z;
  size_t n, nAlloc;
  size_t *aOff;
  int nRow, nRowAlloc;
  int rc;
} Rows;

static void rowsAdd(Rows *p, const SdbEntry *e) {
  char zHead[160];
  int nHead = snprintf(zHead, sizeof(zHead), "%.*s %llu %d %d/%lld %d/%lld =", (int)e->nKey,
                       (const char *)e->pKey, (unsigned long long)e->seq, e->eKind,
                       e->bHasCreateTs, (long long)e->createTs, e->bHasExpireTs,
                       (long long)e->expireTs);
  size_t nNeed = p->n + (size_t)nHead + e->nVal + 2;
  if (nNeed > p->nAlloc) { p->nAlloc = nNeed * 2; p->z = realloc(p->z, p->nAlloc); }
  if (p->nRow + 2 > p->nRowAlloc) {
    p->nRowAlloc = p->nRowAlloc * 2 + 64;
    p->aOff = realloc(p->aOff, sizeof(size_t) * (size_t)p->nRowAlloc);
  }
  p->aOff[p->nRow++] = p->n;
  memcpy(p->z + p->n, zHead, (size_t)nHead);
  p->n += (size_t)nHead;
  if (e->nVal) memcpy(p->z + p->n, e->pVal, e->nVal);
  p->n += e->nVal;
  p->z[p->n++] = '\n';
  p->aOff[p->nRow] = p->n;
}
/* Append up to nMax rows (no reset when bAppend). */
static void rowsReadEx(Rows *p, SdbIter *pIter, int nMax, int bAppend) {
  SdbErr err;
  if (!bAppend) { p->n = 0; p->nRow = 0; p->rc = SDB_OK; }
  int k = 0;
  while (!pIter->bEof && p->rc == SDB_OK && k < nMax) {
    rowsAdd(p, &pIter->cur);
    k++;
    p->rc = sdb_iter_next(pIter, &err);
    if (p->rc) printf("# next: %d %s\n", p->rc, err.zMsg);
  }
}
static void rowsRead(Rows *p, SdbIter *pIter, int nMax) { rowsReadEx(p, pIter, nMax, 0); }
static void rowsFree(Rows *p) { free(p->z); free(p->aOff); memset(p, 0, sizeof(*p)); }
static int rowsReversed(const Rows *a, const Rows *d, int bShow) {
  if (a->rc || d->rc || a->nRow != d->nRow) {
    if (bShow) printf("# rc %d/%d rows %d/%d\n", a->rc, d->rc, a->nRow, d->nRow);
    return 0;
  }
  for (int i = 0; i < a->nRow; i++) {
    int j = a->nRow - 1 - i;
    size_t na = a->aOff[i + 1] - a->aOff[i], nd = d->aOff[j + 1] - d->aOff[j];
    if (na != nd || memcmp(a->z + a->aOff[i], d->z + d->aOff[j], na)) {
      if (bShow) printf("# row %d: asc %.*s# desc %.*s", i, (int)na, a->z + a->aOff[i], (int)nd,
                        d->z + d->aOff[j]);
      return 0;
    }
  }
  return 1;
}

#define DB_KEYS 300
static size_t keyOf(int k, u8 *z) { return (size_t)snprintf((char *)z, 16, "key%04d%s", k, k % 9 ? "" : "z"); }

static int dbCommit(SdbDb *w, int n, int iTag, SdbErr *pErr) {
  SdbBatch *b = sdb_batch_new();
  int rc = b ? SDB_OK : SDB_NOMEM;
  for (int i = 0; rc == SDB_OK && i < n; i++) {
    u8 k[16];
    char v[112];
    size_t nk = keyOf(rand() % DB_KEYS, k);
    int nv = snprintf(v, sizeof(v), "c%d-%d.", iTag, i);
    for (; nv < 50 + i % 50; nv++) v[nv] = (char)('a' + (iTag + nv) % 26);
    int r = rand() % 8;
    if (r == 0) rc = sdb_batch_delete(b, k, nk, pErr);
    else if (r == 1) rc = sdb_batch_put_ttl(b, k, nk, (const u8 *)v, (size_t)nv, 3600000, pErr);
    else rc = sdb_batch_put(b, k, nk, (const u8 *)v, (size_t)nv, 0, pErr);
  }
  if (rc == SDB_OK) rc = sdb_db_write(w, b, 1, pErr);
  sdb_batch_free(b);
  return rc;
}

static int dbBuild(SdbDb *w, int *piTag, SdbErr *pErr) {
  int rc = SDB_OK, nDone = 0, iTag = *piTag;
  for (int i = 0; rc == SDB_OK && i < 8; i++) rc = dbCommit(w, 120, iTag++, pErr);
  if (rc == SDB_OK) rc = sdb_db_flush(w, 1, pErr);
  if (rc == SDB_OK) rc = sdb_db_compact(w, &nDone, pErr);
  for (int l0 = 0; l0 < 2; l0++) {
    for (int i = 0; rc == SDB_OK && i < 6; i++) rc = dbCommit(w, 60, iTag++, pErr);
    if (rc == SDB_OK) rc = sdb_db_flush(w, 1, pErr);
  }
  for (int i = 0; rc == SDB_OK && i < 5; i++) rc = dbCommit(w, 40, iTag++, pErr);
  *piTag = iTag;
  return rc;
}

typedef struct RangeBuf { u8 lo[16], hi[16]; SdbRange r; } RangeBuf;
static const SdbRange *dbRange(RangeBuf *b) {
  if (rand() % 8 == 0) return NULL;
  int lo = rand() % (DB_KEYS + 2), hi = lo + (rand() % 2 ? rand() % 20 : rand() % DB_KEYS);
  b->r = (SdbRange){b->lo, keyOf(lo, b->lo), rand() % 5 != 0, rand() % 3 == 0,
                    b->hi, keyOf(hi, b->hi), rand() % 5 != 0, rand() % 3 == 0};
  if (rand() % 10 == 0) {
    b->r.pHi = b->r.pLo; b->r.nHi = b->r.nLo; b->r.bHasLo = b->r.bHasHi = 1;
    b->r.bLoExcl = b->r.bHiExcl = 0;
  }
  return &b->r;
}

/* (1)/(3): new and sought descending scans equal ascending reversed. */
static void dbRounds(const char *zWho, SdbDb *db, SdbBatch *pOver) {
  Rows a = {0}, d = {0};
  SdbIter *pLong = NULL;
  int nBad = 0, nSeekBad = 0, nRows = 0, t;
  for (t = 0; t < 150; t++) {
    RangeBuf rb, rb0;
    const SdbRange *r = dbRange(&rb);
    SdbIter *pA = NULL, *pD = NULL;
    SdbErr err = {0};
    int rc = sdb_db_scan_overlay(db, pOver, r, 0, &pA, &err);
    if (rc == SDB_OK) rc = sdb_db_scan_overlay(db, pOver, r, 1, &pD, &err);
    for (int s = 0; rc == SDB_OK && s < rand() % 3; s++) {
      rc = sdb_db_scan_seek(db, pOver, dbRange(&rb0), 1, &pLong, &err);
      if (rc == SDB_OK) rowsRead(&d, pLong, rand() % 40);
    }
    if (rc == SDB_OK) rc = sdb_db_scan_seek(db, pOver, r, 1, &pLong, &err);
    if (rc) {
      printf("# %s: %s\n", zWho, err.zMsg);
      nBad++;
    } else {
      rowsRead(&a, pA, 1 << 30);
      rowsRead(&d, pD, 1 << 30);
      nRows += d.nRow;
      if (!rowsReversed(&a, &d, nBad == 0) && nBad++ == 0) printf("# %s case %d differs\n", zWho, t);
      rowsRead(&d, pLong, 1 << 30);
      if (!rowsReversed(&a, &d, nSeekBad == 0) && nSeekBad++ == 0) printf("# %s sought case %d differs\n", zWho, t);
    }
    sdb_iter_free(pA);
    sdb_iter_free(pD);
  }
  sdb_iter_free(pLong);
  rowsFree(&a);
  rowsFree(&d);
  char zName[96];
  snprintf(zName, sizeof(zName), "descrev db %s", zWho);
  CHECKF(zName, nBad == 0 && nSeekBad == 0 && nRows > 3000, "%d of %d cases differ, %d sought, %d rows",
         nBad, t, nSeekBad, nRows);
}

static void testOverlapping(const char *zDir) {
  char zUrl[128], zDc[128];
  snprintf(zUrl, sizeof(zUrl), "file://%s/db1", zDir);
  snprintf(zDc, sizeof(zDc), "%s/dc1", zDir);
  SdbConfig cw = {.zUrl = zUrl, .bCreateIfMissing = 1, .compactorPollMs = 3600000, .bNoGc = 1,
                  .maxSstSize = 2048, .blockSize = 256, .nCacheBytes = 8192, .zDiskCache = zDc};
  SdbConfig cr = {.zUrl = zUrl, .bReadOnly = 1, .pollIntervalMs = UINT64_MAX, .nCacheBytes = 8192,
                  .zDiskCache = zDc};
  SdbDb *w = NULL, *r = NULL;
  SdbErr err = {0};
  int iTag = 0;
  int rc = sdb_db_open(&cw, &w, &err);
  if (rc == SDB_OK) rc = dbBuild(w, &iTag, &err);
  if (rc == SDB_OK) rc = sdb_db_open(&cr, &r, &err);
  CHECKF("descrev overlapping: open", rc == SDB_OK, "%d %s", rc, err.zMsg);
  if (rc == SDB_OK) {
    dbRounds("overlapping writer", w, NULL);
    dbRounds("overlapping reader", r, NULL);
  }
  sdb_db_close(r);
  sdb_db_close(w);
}

/* Names of the files in zDir (at most 4096), into a (malloc'd strings). */
static int listDir(const char *zDir, char **a, int nMax) {
  DIR *d = opendir(zDir);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL && n < nMax) {
    if (e->d_name[0] == '.') continue;
    a[n++] = strdup(e->d_name);
  }
  if (d) closedir(d);
  return n;
}

/* (2): a reader's descending scan, partly read, resumed after compaction and
** GC deleted its SSTs. */
static void testVanish(const char *zDir) {
  char zUrl[128];
  snprintf(zUrl, sizeof(zUrl), "file://%s/db2", zDir);
  SdbConfig cw = {.zUrl = zUrl, .bCreateIfMissing = 1, .compactorPollMs = 3600000, .bNoGc = 1,
                  .maxSstSize = 2048, .blockSize = 256, .nCacheBytes = 8192};
  SdbConfig cr = {.zUrl = zUrl, .bReadOnly = 1, .pollIntervalMs = UINT64_MAX, .nCacheBytes = 4096};
  SdbDb *w = NULL, *r = NULL;
  SdbErr err = {0};
  int iTag = 100, nBad = 0, nRound = 0, nRows = 0;
  int rc = sdb_db_open(&cw, &w, &err);
  if (rc == SDB_OK) rc = dbBuild(w, &iTag, &err);
  if (rc == SDB_OK) rc = sdb_db_flush(w, 1, &err);
  if (rc == SDB_OK) rc = sdb_db_open(&cr, &r, &err);
  for (int round = 0; rc == SDB_OK && round < 6; round++) {
    Rows a = {0}, d = {0};
    SdbIter *pA = NULL, *pD = NULL;
    int bDesc = round % 3 != 2;
    rc = sdb_db_refresh(r, &err);
    if (rc == SDB_OK) rc = sdb_db_scan(r, NULL, bDesc, &pD, &err);
    if (rc) break;
    rowsReadEx(&d, pD, 20 + rand() % 80, 0);
    /* new L0s and a full compaction, then GC of everything unreferenced */
    int nDone = 0;
    uint64_t nDel = 0;
    if (round % 2) {
      for (int i = 0; rc == SDB_OK && i < 2; i++) {
        /* writes that do not change visible content: none; flush only */
      }
    }
    char zComp[160], zPath[400];
    static char *aOld[4096];
    snprintf(zComp, sizeof(zComp), "%s/db2/compacted", zDir);
    int nOld = listDir(zComp, aOld, 4096);
    rc = sdb_db_compact(w, &nDone, &err);
    if (rc == SDB_OK) rc = sdb_db_gc(w, 0, &nDel, &err);
    /* a full compaction made every older SST obsolete: delete them (as GC
    ** would once no compaction holds them back) */
    for (int i = 0; i < nOld; i++) {
      snprintf(zPath, sizeof(zPath), "%s/%s", zComp, aOld[i]);
      if (rc == SDB_OK && nDone && unlink(zPath) == 0) nDel++;
      free(aOld[i]);
    }
    if (rc) break;
    printf("# round %d: compacted %d, gc deleted %llu, %d rows read before\n", round, nDone, (unsigned long long)nDel, d.nRow);
    rowsReadEx(&d, pD, 1 << 30, 1);
    nRows += d.nRow;
    /* the same content, from a fresh scan of the new state, other direction */
    if (rc == SDB_OK) rc = sdb_db_refresh(r, &err);
    if (rc == SDB_OK) rc = sdb_db_scan(r, NULL, !bDesc, &pA, &err);
    if (rc) break;
    rowsRead(&a, pA, 1 << 30);
    if (!bDesc) { Rows t = a; a = d; d = t; }
    nRound++;
    if (!rowsReversed(&a, &d, nBad == 0) && nBad++ == 0) printf("# vanish round %d differs (deleted %llu)\n", round, (unsigned long long)nDel);
    sdb_iter_free(pA);
    sdb_iter_free(pD);
    rowsFree(&a);
    rowsFree(&d);
    /* more data for the next round: L0s over the new run */
    for (int l0 = 0; rc == SDB_OK && l0 < 2; l0++) {
      for (int i = 0; rc == SDB_OK && i < 4; i++) rc = dbCommit(w, 60, iTag++, &err);
      if (rc == SDB_OK) rc = sdb_db_flush(w, 1, &err);
    }
  }
  CHECKF("descrev vanish: resumed scans", rc == SDB_OK && nBad == 0 && nRound == 6 && nRows > 500,
         "rc %d %s; %d rounds bad of %d, %d rows", rc, err.zMsg, nBad, nRound, nRows);
  sdb_db_close(r);
  sdb_db_close(w);
}

int main(void) {
  CHECK("descrev: poisoning allocator installed", testAllocInstall() == SDB_OK);
  srand(4242);
  char zDir[64], zCmd[128];
  snprintf(zDir, sizeof(zDir), "/tmp/sdb-descrev-%d", (int)getpid());
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  (void)!system(zCmd);
  (void)!mkdir(zDir, 0700);
  testOverlapping(zDir);
  testVanish(zDir);
  (void)!system(zCmd);
  return test_done();
}
