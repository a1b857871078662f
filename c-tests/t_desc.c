/*
** t_desc.c: descending scans against the reverse of ascending ones, on the
** engine's own iterator stack (SST, sorted-run concatenation, memtable,
** merging and visible-row iterators).
**
** A descending visible-row step reads a key's next entry before it returns
** the one it holds, borrowed (merge.h's lookahead rule), so every layer must
** keep an entry valid one step longer than SdbIter asks. Here every engine
** allocation goes through an allocator that overwrites memory when it is
** freed, and the block cache is tiny or absent: a block, child iterator or
** buffer released one step too early turns the rows it held into garbage,
** and the descending rows differ from the ascending ones.
**
** The data: keys with one version (most) and keys with up to 60 versions of
** ~100-byte values (values, tombstones, merge operands, create/expire
** timestamps), spread newest-first over two memtables, two L0 SSTs and a
** sorted run of several SSTs cut every few rows regardless of keys, all with
** 256-byte blocks: a key's versions lie in one block, straddle blocks, span
** several blocks, lie in two SSTs of the run, and in several layers. For
** random ranges (bounds present or not, inclusive or exclusive) and read
** bounds (maxSeq: a snapshot), the descending rows must be the ascending rows
** reversed, entry for entry (key, value, seq, kind, timestamps), and the
** ascending rows what a plain model computes. A long-lived descending
** iterator is also sought (xSeek) from range to range, partly read.
**
** Then a database through the whole read stack (sdb_db_scan_overlay and
** sdb_db_scan_seek: table and run iterators, resuming scans), with 256-byte
** blocks, 2 KiB compaction output and an 8 KiB cache: a sorted run of many
** SSTs, two L0s and a memtable each holding several versions of many keys
** (puts, TTL puts, deletes), with and without an uncommitted overlay, a
** writer and a reader: descending scans, new and sought, are ascending ones
** reversed.
*/
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "db/memtable.h"
#include "db/merge.h"
#include "store/objstore.h"
#include "table/sst.h"
#include "table/sst_build.h"
#include "table/sstinfo.h"
#include "util/cache.h"
#include "util/rangeutil.h"
#include "testalloc.h"

/* ------------------------------------------------------------ the data */
#define NKEY 120
#define NVERMAX 3000
#define NMEM 2
#define NL0 2
#define RUN_CUT 17        /* rows per SST of the sorted run */
#define BLOCK 256

typedef struct Ver {
  int key;
  u64 seq;
  int kind;
  int layer;              /* 0..NMEM-1 memtables, then L0s, then the run (newest first) */
  int bCreate, bExpire;
  i64 createTs, expireTs;
  char val[112];
} Ver;

static Ver aVer[NVERMAX];
static int nVer;

static size_t keyOf(int k, u8 *z) { return (size_t)snprintf((char *)z, 16, "key%04d%s", k, k % 9 ? "" : "z"); }

/* Keys (random order of seqs): most with one version, some with many. */
static void makeVersions(void) {
  int aN[NKEY], nTot = 0;
  for (int k = 0; k < NKEY; k++) {
    int r = rand() % 10;
    aN[k] = r < 6 ? 1 : r < 8 ? 2 + rand() % 4 : 10 + rand() % 51;
    nTot += aN[k];
  }
  /* Deal the versions out in a random order of keys: seq i+1 goes to pick[i]. */
  int *aPick = malloc(sizeof(int) * (size_t)nTot), n = 0;
  for (int k = 0; k < NKEY; k++) for (int j = 0; j < aN[k]; j++) aPick[n++] = k;
  for (int i = n - 1; i > 0; i--) {
    int j = rand() % (i + 1), t = aPick[i];
    aPick[i] = aPick[j];
    aPick[j] = t;
  }
  nVer = n < NVERMAX ? n : NVERMAX;
  int nLayer = NMEM + NL0 + 1;
  for (int i = 0; i < nVer; i++) {
    Ver *v = &aVer[i];
    v->key = aPick[i];
    v->seq = (u64)i + 1;
    int r = rand() % 20;
    v->kind = r < 13 ? SDB_KIND_VALUE : r < 16 ? SDB_KIND_TOMBSTONE : SDB_KIND_MERGE;
    /* older versions in older layers (the run is the last), sometimes not */
    v->layer = nLayer - 1 - (int)((i * (u64)nLayer) / (u64)nVer);
    if (rand() % 6 == 0) v->layer = rand() % nLayer;
    v->bCreate = rand() % 3 != 0;
    v->createTs = 1000 + i;
    v->bExpire = rand() % 4 == 0;
    v->expireTs = 500000 - i * 7;
    int len = snprintf(v->val, sizeof(v->val), "%c%d.", v->kind == SDB_KIND_MERGE ? '+' : 'v', i);
    for (; len < 60 + i % 40; len++) v->val[len] = (char)('a' + (i + len) % 26);
    v->val[len] = 0;
  }
  free(aPick);
}

static void verEntry(const Ver *v, u8 *k, SdbEntry *e) {
  memset(e, 0, sizeof(*e));
  e->pKey = k;
  e->nKey = keyOf(v->key, k);
  e->pVal = (const u8 *)v->val;
  e->nVal = v->kind == SDB_KIND_TOMBSTONE ? 0 : strlen(v->val);
  e->seq = v->seq;
  e->eKind = v->kind;
  e->bHasCreateTs = v->bCreate;
  e->createTs = v->bCreate ? v->createTs : 0;
  e->bHasExpireTs = v->bExpire;
  e->expireTs = v->bExpire ? v->expireTs : 0;
}

/* (key asc, seq desc), the order of a compacted SST. */
static int verCmp(const void *a, const void *b) {
  const Ver *x = *(const Ver *const *)a, *y = *(const Ver *const *)b;
  u8 kx[16], ky[16];
  size_t nx = keyOf(x->key, kx), ny = keyOf(y->key, ky);
  int c = sdbKeyCmp(kx, nx, ky, ny);
  if (c) return c;
  return x->seq > y->seq ? -1 : x->seq < y->seq;
}

/* ------------------------------------------------------------ the layers */
typedef struct Layers {
  SdbStore *pStore;
  SdbCache *pCache;       /* may be NULL */
  SdbMemtable *apMem[NMEM];
  SdbSst *apL0[NL0];
  SdbSst *apRun[NVERMAX / RUN_CUT + 2];
  int nRun;
  int nStraddle;          /* keys of the run whose versions lie in two of its SSTs */
  int nMultiBlock;        /* L0s where a key's versions straddle blocks */
} Layers;

/* Write one SST of the rows ap[0..n) (sorted) as zName and open it. */
static int sstMake(Layers *L, const char *zName, Ver **ap, int n, SdbSst **pp, SdbErr *pErr) {
  SdbSstOptions o;
  sdbSstOptionsDefault(&o);
  o.blockSize = BLOCK;
  SdbSstBuilder *b = sdbSstBuilderNew(&o);
  SdbBuf out = {0};
  SdbSstInfo info;
  memset(&info, 0, sizeof(info));
  int rc = b ? SDB_OK : SDB_NOMEM;
  for (int i = 0; rc == SDB_OK && i < n; i++) {
    u8 k[16];
    SdbEntry e;
    verEntry(ap[i], k, &e);
    rc = sdbSstBuilderAdd(b, &e, pErr);
  }
  if (rc == SDB_OK) rc = sdbSstBuilderFinish(b, &out, &info, pErr);
  if (rc == SDB_OK) rc = L->pStore->pMethods->xPut(L->pStore, zName, out.a, out.n, 0, pErr);
  if (rc == SDB_OK) rc = sdbSstOpen(L->pStore, zName, &info, 2, L->pCache, pp, pErr);
  sdbSstBuilderFree(b);
  sdbBufFree(&out);
  sdbSstInfoClear(&info);
  return rc;
}

/* The most versions one key has among the sorted rows ap[0..n). With rows of
** 60 bytes and more in blocks of BLOCK bytes, a key with 4 versions in an SST
** straddles at least one block boundary there. */
static int mostVersions(Ver **ap, int n) {
  int nMost = 0;
  for (int i = 0, j; i < n; i = j) {
    for (j = i + 1; j < n && ap[j]->key == ap[i]->key; j++) {}
    if (j - i > nMost) nMost = j - i;
  }
  return nMost;
}

static int layersBuild(Layers *L, SdbErr *pErr) {
  int nLayer = NMEM + NL0 + 1, rc = SDB_OK;
  for (int i = 0; i < NMEM; i++) {
    L->apMem[i] = sdbMemtableNew();
    if (!L->apMem[i]) return SDB_NOMEM;
  }
  Ver **ap = malloc(sizeof(Ver *) * (size_t)nVer);
  for (int layer = NMEM; rc == SDB_OK && layer < nLayer; layer++) {
    int n = 0;
    for (int i = 0; i < nVer; i++) if (aVer[i].layer == layer) ap[n++] = &aVer[i];
    qsort(ap, (size_t)n, sizeof(ap[0]), verCmp);
    if (layer < NMEM + NL0) {
      char zName[32];
      snprintf(zName, sizeof(zName), "l0-%d.sst", layer);
      rc = sstMake(L, zName, ap, n, &L->apL0[layer - NMEM], pErr);
      L->nMultiBlock += mostVersions(ap, n) >= 4;
      continue;
    }
    for (int i = 0; rc == SDB_OK && i < n; i += RUN_CUT) {
      char zName[32];
      int m = n - i < RUN_CUT ? n - i : RUN_CUT;
      snprintf(zName, sizeof(zName), "run-%03d.sst", L->nRun);
      rc = sstMake(L, zName, ap + i, m, &L->apRun[L->nRun++], pErr);
      if (i > 0 && ap[i]->key == ap[i - 1]->key) L->nStraddle++;
    }
  }
  free(ap);
  for (int i = 0; rc == SDB_OK && i < nVer; i++) {
    if (aVer[i].layer >= NMEM) continue;
    u8 k[16];
    SdbEntry e;
    verEntry(&aVer[i], k, &e);
    rc = sdbMemtableInsert(L->apMem[aVer[i].layer], &e);
  }
  return rc;
}

static void layersFree(Layers *L) {
  for (int i = 0; i < NMEM; i++) sdbMemtableUnref(L->apMem[i]);
  for (int i = 0; i < NL0; i++) if (L->apL0[i]) sdbSstUnref(L->apL0[i]);
  for (int i = 0; i < L->nRun; i++) sdbSstUnref(L->apRun[i]);
}

/* The sorted run: a concatenation of its SSTs on the range it is given. */
typedef struct RunCtx {
  Layers *L;
  SdbRangeCopy range;
  int bHasRange;
} RunCtx;

static int runOpen(void *pCtx, int i, int bDesc, SdbIter **pp, SdbErr *pErr) {
  RunCtx *c = pCtx;
  return sdbSstIterNew(c->L->apRun[i], c->bHasRange ? &c->range.r : NULL, bDesc, pp, pErr);
}

static int runRange(void *pCtx, const SdbRange *r, int *pn, SdbErr *pErr) {
  RunCtx *c = pCtx;
  if (sdbRangeCopySet(&c->range, r)) return SDB_NOMEM_ERR(pErr);
  c->bHasRange = r != NULL;
  *pn = c->L->nRun;
  return SDB_OK;
}

static void runFree(void *pCtx) {
  RunCtx *c = pCtx;
  sdbRangeCopyFree(&c->range);
  sdbFree(c);
}

/* The visible rows of every layer over r, in direction bDesc, up to maxSeq. */
static SdbIter *openVisible(Layers *L, const SdbRange *r, int bDesc, u64 maxSeq) {
  SdbIter *ap[NMEM + NL0 + 1], *pM = NULL, *pV = NULL;
  SdbErr err;
  int n = 0, rc = SDB_OK;
  for (int i = 0; rc == SDB_OK && i < NMEM; i++) {
    rc = sdbMemtableIterNew(L->apMem[i], r, bDesc, &ap[n], &err);
    n += rc == SDB_OK;
  }
  for (int i = 0; rc == SDB_OK && i < NL0; i++) {
    rc = sdbSstIterNew(L->apL0[i], r, bDesc, &ap[n], &err);
    n += rc == SDB_OK;
  }
  RunCtx *c = sdbMallocZero(sizeof(*c));
  if (rc == SDB_OK && c) {
    int nSst = 0;
    c->L = L;
    rc = runRange(c, r, &nSst, &err);
    if (rc == SDB_OK) rc = sdbConcatIterNew(c, nSst, runOpen, runFree, runRange, bDesc, &ap[n], &err);
    else runFree(c);
    n += rc == SDB_OK;
  } else if (rc == SDB_OK) {
    rc = SDB_NOMEM;
  }
  if (rc) {
    printf("# open: %s\n", err.zMsg);
    for (int i = 0; i < n; i++) sdb_iter_free(ap[i]);
    return NULL;
  }
  if (sdbMergeIterNew(ap, n, bDesc, &pM, &err)) return NULL;
  if (sdbVisibleIterNew(pM, bDesc, maxSeq, SDB_MERGE_CONCAT, NULL, NULL, &pV, &err)) {
    printf("# visible: %s\n", err.zMsg);
    return NULL;
  }
  return pV;
}

/* ------------------------------------------------------------ rows */
/* The rows an iterator yields, one text line each, with their offsets. */
typedef struct Rows {
  char *z;
  size_t n, nAlloc;
  size_t *aOff;           /* start of row i; aOff[nRow] = n */
  int nRow, nRowAlloc;
  int rc;
} Rows;

static void rowsAdd(Rows *p, const SdbEntry *e) {
  char zHead[128];
  int nHead = snprintf(zHead, sizeof(zHead), "%.*s %llu %d %d/%lld %d/%lld =", (int)e->nKey,
                       (const char *)e->pKey, (unsigned long long)e->seq, e->eKind,
                       e->bHasCreateTs, (long long)e->createTs, e->bHasExpireTs,
                       (long long)e->expireTs);
  size_t nNeed = p->n + (size_t)nHead + e->nVal + 2;
  if (nNeed > p->nAlloc) {
    p->nAlloc = nNeed * 2;
    p->z = realloc(p->z, p->nAlloc);
  }
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

/* Read up to nMax rows of pIter into *p (reset first). */
static void rowsRead(Rows *p, SdbIter *pIter, int nMax) {
  SdbErr err;
  p->n = 0;
  p->nRow = 0;
  p->rc = SDB_OK;
  while (!pIter->bEof && p->rc == SDB_OK && p->nRow < nMax) {
    rowsAdd(p, &pIter->cur);
    p->rc = sdb_iter_next(pIter, &err);
    if (p->rc) printf("# next: %s\n", err.zMsg);
  }
}

static void rowsFree(Rows *p) {
  free(p->z);
  free(p->aOff);
}

/* True if d's rows are a's rows reversed, entry for entry; the first
** difference is shown if bShow. */
static int rowsReversed(const Rows *a, const Rows *d, int bShow) {
  if (a->rc || d->rc || a->nRow != d->nRow) return 0;
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

/* The model's visible value of key k at maxSeq into zOut; 0 if none. */
static int modelGet(int k, u64 maxSeq, char *zOut) {
  int aIdx[NVERMAX], n = 0;
  for (int i = nVer - 1; i >= 0; i--) if (aVer[i].key == k && aVer[i].seq <= maxSeq) aIdx[n++] = i;
  if (n == 0 || aVer[aIdx[0]].kind == SDB_KIND_TOMBSTONE) return 0;
  int b = 0;
  while (b < n && aVer[aIdx[b]].kind == SDB_KIND_MERGE) b++;
  zOut[0] = 0;
  if (b < n && aVer[aIdx[b]].kind == SDB_KIND_VALUE) strcat(zOut, aVer[aIdx[b]].val);
  for (int i = b - 1; i >= 0; i--) strcat(zOut, aVer[aIdx[i]].val);
  return 1;
}

/* True if the ascending rows a are the model's for range r at maxSeq. */
static int rowsModel(const Rows *a, const SdbRange *r, u64 maxSeq, int bShow) {
  static char zVal[NVERMAX * 8];
  int iRow = 0;
  for (int k = 0; k < NKEY + 2; k++) {
    u8 key[16];
    size_t nk = keyOf(k, key);
    if (r && !sdbRangeContains(r, key, nk)) continue;
    if (k >= NKEY || !modelGet(k, maxSeq, zVal)) continue;
    if (iRow >= a->nRow) return 0;
    const char *z = a->z + a->aOff[iRow];
    const char *zEq = memchr(z, '=', a->aOff[iRow + 1] - a->aOff[iRow]);
    size_t nv = a->aOff[iRow + 1] - a->aOff[iRow] - (size_t)(zEq - z) - 2;
    if (memcmp(z, key, nk) || z[nk] != ' ' || nv != strlen(zVal) || memcmp(zEq + 1, zVal, nv)) {
      if (bShow) printf("# model: row %d is %.*s", iRow, (int)(a->aOff[iRow + 1] - a->aOff[iRow]), z);
      return 0;
    }
    iRow++;
  }
  return iRow == a->nRow;
}

/* ------------------------------------------------------------ ranges */
typedef struct RangeBuf {
  u8 lo[16], hi[16];
  SdbRange r;
} RangeBuf;

/* NULL (everything) now and then, else random bounds over the keys. */
static const SdbRange *randomRange(RangeBuf *b) {
  if (rand() % 8 == 0) return NULL;
  int lo = rand() % (NKEY + 2), hi = lo + (rand() % 2 ? rand() % 12 : rand() % NKEY);
  b->r = (SdbRange){b->lo, keyOf(lo, b->lo), rand() % 5 != 0, rand() % 3 == 0,
                    b->hi, keyOf(hi, b->hi), rand() % 5 != 0, rand() % 3 == 0};
  if (rand() % 10 == 0) {   /* a point */
    b->r.pHi = b->r.pLo;
    b->r.nHi = b->r.nLo;
    b->r.bHasLo = b->r.bHasHi = 1;
    b->r.bLoExcl = b->r.bHiExcl = 0;
  }
  return &b->r;
}

static u64 randomMaxSeq(void) {
  return rand() % 3 ? UINT64_MAX : (u64)(rand() % (nVer + 1));
}

/* ------------------------------------------------------------ rounds */
/* New iterators per case: descending = ascending reversed = the model. */
static void roundsNew(Layers *L, const char *zWho) {
  Rows a = {0}, d = {0};
  int nBad = 0, nModelBad = 0, nRows = 0, t;
  for (t = 0; t < 400; t++) {
    RangeBuf rb;
    const SdbRange *r = randomRange(&rb);
    u64 maxSeq = randomMaxSeq();
    SdbIter *pA = openVisible(L, r, 0, maxSeq), *pD = openVisible(L, r, 1, maxSeq);
    if (!pA || !pD) {
      nBad++;
    } else {
      rowsRead(&a, pA, 1 << 30);
      rowsRead(&d, pD, 1 << 30);
      nRows += d.nRow;
      if (!rowsReversed(&a, &d, nBad == 0) && nBad++ == 0) printf("# %s case %d differs\n", zWho, t);
      if (!rowsModel(&a, r, maxSeq, nModelBad == 0) && nModelBad++ == 0) printf("# %s case %d: model\n", zWho, t);
    }
    sdb_iter_free(pA);
    sdb_iter_free(pD);
  }
  rowsFree(&a);
  rowsFree(&d);
  char zName[80];
  snprintf(zName, sizeof(zName), "desc %s: new iterators", zWho);
  CHECKF(zName, nBad == 0 && nModelBad == 0 && nRows > 5000,
         "%d of %d cases differ, %d from the model, %d rows", nBad, t, nModelBad, nRows);
}

/* One long-lived iterator per direction sought from range to range (read
** partly in between), against new ascending iterators. */
static void roundsSeek(Layers *L, const char *zWho) {
  Rows a = {0}, d = {0};
  int nBad = 0, nRows = 0, t;
  for (int k = 0; k < 3; k++) {
    u64 maxSeq = k == 0 ? UINT64_MAX : (u64)(nVer / (k + 1));
    SdbIter *pD = openVisible(L, NULL, 1, maxSeq);
    for (t = 0; pD && t < 150; t++) {
      RangeBuf rb;
      const SdbRange *r = randomRange(&rb);
      SdbErr err;
      SdbIter *pA = openVisible(L, r, 0, maxSeq);
      if (rand() % 2) {   /* partly read elsewhere first */
        RangeBuf rb0;
        if (sdb_iter_seek(pD, randomRange(&rb0), &err) == SDB_OK) rowsRead(&d, pD, rand() % 20);
      }
      int rc = sdb_iter_seek(pD, r, &err);
      if (rc || !pA) {
        nBad++;
      } else {
        rowsRead(&a, pA, 1 << 30);
        rowsRead(&d, pD, 1 << 30);
        nRows += d.nRow;
        if (!rowsReversed(&a, &d, nBad == 0) && nBad++ == 0) printf("# %s seek case %d differs\n", zWho, t);
      }
      sdb_iter_free(pA);
    }
    if (!pD) nBad++;
    sdb_iter_free(pD);
  }
  rowsFree(&a);
  rowsFree(&d);
  char zName[80];
  snprintf(zName, sizeof(zName), "desc %s: sought iterators", zWho);
  CHECKF(zName, nBad == 0 && nRows > 3000, "%d cases differ, %d rows", nBad, nRows);
}

/* ------------------------------------------------------------ a database */
#define DB_KEYS 300

/* One commit: n random keys of the key space put (a TTL on some) or deleted. */
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

/* A sorted run of many SSTs, two L0s and a memtable, each holding several
** versions of many keys (a key is written by several commits before each
** flush). */
static int dbBuild(SdbDb *w, SdbErr *pErr) {
  int rc = SDB_OK, nDone = 0, iTag = 0;
  for (int i = 0; rc == SDB_OK && i < 8; i++) rc = dbCommit(w, 120, iTag++, pErr);
  if (rc == SDB_OK) rc = sdb_db_flush(w, 1, pErr);
  if (rc == SDB_OK) rc = sdb_db_compact(w, &nDone, pErr);
  for (int l0 = 0; l0 < 2; l0++) {
    for (int i = 0; rc == SDB_OK && i < 6; i++) rc = dbCommit(w, 60, iTag++, pErr);
    if (rc == SDB_OK) rc = sdb_db_flush(w, 1, pErr);
  }
  for (int i = 0; rc == SDB_OK && i < 5; i++) rc = dbCommit(w, 40, iTag++, pErr);
  return rc;
}

/* Random ranges over the database's keys (the same shapes as randomRange). */
static const SdbRange *dbRange(RangeBuf *b) {
  if (rand() % 8 == 0) return NULL;
  int lo = rand() % (DB_KEYS + 2), hi = lo + (rand() % 2 ? rand() % 20 : rand() % DB_KEYS);
  b->r = (SdbRange){b->lo, keyOf(lo, b->lo), rand() % 5 != 0, rand() % 3 == 0,
                    b->hi, keyOf(hi, b->hi), rand() % 5 != 0, rand() % 3 == 0};
  return &b->r;
}

/* New scans per direction, and a long-lived descending scan sought to each
** range (sdb_db_scan_seek, partly read elsewhere first): descending is
** ascending reversed. */
static void dbRounds(const char *zWho, SdbDb *db, SdbBatch *pOver) {
  Rows a = {0}, d = {0};
  SdbIter *pLong = NULL;
  int nBad = 0, nSeekBad = 0, nRows = 0, t;
  for (t = 0; t < 200; t++) {
    RangeBuf rb, rb0;
    const SdbRange *r = dbRange(&rb);
    SdbIter *pA = NULL, *pD = NULL;
    SdbErr err;
    int rc = sdb_db_scan_overlay(db, pOver, r, 0, &pA, &err);
    if (rc == SDB_OK) rc = sdb_db_scan_overlay(db, pOver, r, 1, &pD, &err);
    if (rc == SDB_OK && rand() % 2) {
      rc = sdb_db_scan_seek(db, pOver, dbRange(&rb0), 1, &pLong, &err);
      if (rc == SDB_OK) rowsRead(&d, pLong, rand() % 30);
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
      if (!rowsReversed(&a, &d, nSeekBad == 0) && nSeekBad++ == 0) {
        printf("# %s sought case %d differs\n", zWho, t);
      }
    }
    sdb_iter_free(pA);
    sdb_iter_free(pD);
  }
  sdb_iter_free(pLong);
  rowsFree(&a);
  rowsFree(&d);
  char zName[80];
  snprintf(zName, sizeof(zName), "desc db %s", zWho);
  CHECKF(zName, nBad == 0 && nSeekBad == 0 && nRows > 5000,
         "%d of %d cases differ, %d sought, %d rows", nBad, t, nSeekBad, nRows);
}

static void testDb(const char *zDir) {
  char zUrl[96];
  snprintf(zUrl, sizeof(zUrl), "file://%s/db", zDir);
  SdbConfig cw = {.zUrl = zUrl, .bCreateIfMissing = 1, .compactorPollMs = 3600000, .bNoGc = 1,
                  .maxSstSize = 2048, .blockSize = BLOCK, .nCacheBytes = 8192};
  SdbConfig cr = {.zUrl = zUrl, .bReadOnly = 1, .pollIntervalMs = UINT64_MAX, .nCacheBytes = 8192};
  SdbDb *w = NULL, *r = NULL;
  SdbErr err = {0};
  int rc = sdb_db_open(&cw, &w, &err);
  if (rc == SDB_OK) rc = dbBuild(w, &err);
  if (rc == SDB_OK) rc = sdb_db_open(&cr, &r, &err);
  SdbStats st;
  memset(&st, 0, sizeof(st));
  if (rc == SDB_OK) sdb_db_stats(r, &st);
  CHECKF("desc db: layout", rc == SDB_OK && st.nL0 == 2 && st.nSortedRun == 1 &&
         st.nMemtableRows > 150, "%s; %llu L0s, %llu runs, %llu memtable rows", err.zMsg,
         (unsigned long long)st.nL0, (unsigned long long)st.nSortedRun,
         (unsigned long long)st.nMemtableRows);
  if (rc == SDB_OK) {
    SdbBatch *pOver = sdb_batch_new();
    for (int i = 0; pOver && i < 150; i++) {
      u8 k[16];
      size_t nk = keyOf((i * 37) % (DB_KEYS + 2), k);
      if (i % 3 == 0) sdb_batch_delete(pOver, k, nk, &err);
      else if (i % 3 == 1) sdb_batch_put_ttl(pOver, k, nk, (const u8 *)"ttl", 3, 60000, &err);
      else sdb_batch_put(pOver, k, nk, (const u8 *)"overlay", 7, 0, &err);
    }
    dbRounds("writer+overlay", w, pOver);
    dbRounds("writer", w, NULL);
    dbRounds("reader", r, NULL);
    sdb_batch_free(pOver);
  }
  sdb_db_close(r);
  sdb_db_close(w);
}

int main(void) {
  CHECK("desc: poisoning allocator installed", testAllocInstall() == SDB_OK);
  srand(1616);
  makeVersions();
  char zDir[64], zCmd[128];
  snprintf(zDir, sizeof(zDir), "/tmp/sdb-desc-%d", (int)getpid());
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  (void)!system(zCmd);
  for (int bCache = 0; bCache < 2; bCache++) {
    Layers L;
    memset(&L, 0, sizeof(L));
    SdbErr err = {0};
    char zSub[80];
    snprintf(zSub, sizeof(zSub), "%s/%d", zDir, bCache);
    (void)!mkdir(zDir, 0700);
    int rc = mkdir(zSub, 0700) == 0 ? sdbStoreOpenDir(zSub, 1, 0, &L.pStore, &err) : SDB_CANTOPEN;
    if (rc == SDB_OK && bCache) {
      L.pCache = sdbCacheNew(4096);   /* a few blocks: released ones are evicted, freed */
      if (!L.pCache) rc = SDB_NOMEM;
    }
    if (rc == SDB_OK) rc = layersBuild(&L, &err);
    const char *zWho = bCache ? "tiny cache" : "no cache";
    snprintf(zSub, sizeof(zSub), "desc %s: layout", zWho);
    CHECKF(zSub, rc == SDB_OK && L.nRun >= 10 && L.nStraddle >= 2 && L.nMultiBlock == NL0,
           "%s; %d run SSTs, %d keys across two, %d L0s with keys across blocks", err.zMsg, L.nRun,
           L.nStraddle, L.nMultiBlock);
    if (rc == SDB_OK) {
      roundsNew(&L, zWho);
      roundsSeek(&L, zWho);
    }
    layersFree(&L);
    sdbCacheFree(L.pCache);
    sdbStoreFree(L.pStore);
  }
  testDb(zDir);
  (void)!system(zCmd);
  return test_done();
}
