/*
** t_lookrand.c: randomized differential test of the point-seek path
** (review of e5d957d..64b31d1): block seeks (V1 and V2 blocks, sorted and
** hostile unsorted keys) and SST iterator seeks compared with a linear scan.
**
** Part 1, blocks: random key sets (short keys, empty-suffix keys equal to
** the shared prefix, 0x00/0xff bytes, one key many times) are encoded as V2
** (sdbBlockBuilder) and V1 (hand-encoded) blocks; for many probe keys
** sdbBlockSeek (>= and >), sdbBlockSeekAndProbe (index and probe: each row's
** comparison through the probe equals sdbKeyCmp) equal a linear scan. The
** decoded block's nCommon/aPfx are checked. Unsorted blocks are decoded and
** sought only for memory safety (run under ASan).
**
** Part 2, SSTs: random SSTs (1..many blocks, with or without a filter,
** opened without a cache, with a large one and with a tiny evicting one),
** a pool of long-lived iterators (ascending and descending) sought to random
** ranges (points present and absent, inclusive/exclusive bounds, one-sided,
** prefix ranges, unbounded), each consumed for a random number of rows and
** compared with a linear filter of the rows; new iterators too. A present
** key's point seek never counts a filter skip.
**
** SDB_SEED (default 1) and SDB_ITERS (default 60) vary the run.
*/
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "store/objstore.h"
#include "table/block.h"
#include "table/sst.h"
#include "table/sst_build.h"
#include "table/sstinfo.h"
#include "util/cache.h"
#include "util/rangeutil.h"
#include "util/fbbuild.h"

static u64 gSeed = 1;
static u32 rnd(void) {
  gSeed ^= gSeed << 13;
  gSeed ^= gSeed >> 7;
  gSeed ^= gSeed << 17;
  return (u32)(gSeed >> 11);
}
static u32 rn(u32 n) { return n ? rnd() % n : 0; }

#define MAX_KEY 40
typedef struct Key {
  u8 a[MAX_KEY];
  size_t n;
} Key;

typedef struct Row {
  Key k;
  u64 seq;
} Row;

#define MAX_ROWS 3000
static Row aRow[MAX_ROWS];
static int nRow;

static const u8 aAlpha[] = {0x00, 0x01, 'k', '0', 0xfe, 0xff};

/* A random key in mode m. */
static void keyGen(int m, const Key *pBase, Key *k) {
  switch (m) {
    case 0:   /* short keys over a small alphabet */
      k->n = 1 + rn(12);
      for (size_t i = 0; i < k->n; i++) k->a[i] = aAlpha[rn(sizeof(aAlpha))];
      break;
    case 1: { /* a long shared prefix, a short suffix (or none) */
      memcpy(k->a, pBase->a, pBase->n);
      size_t s = rn(3) ? rn(5) : rn(12);
      k->n = pBase->n + s;
      for (size_t i = pBase->n; i < k->n; i++) k->a[i] = aAlpha[rn(sizeof(aAlpha))];
      break;
    }
    case 2:   /* one key, or a few */
      *k = *pBase;
      if (rn(4) == 0) k->a[k->n - 1] ^= (u8)(1 + rn(3));
      break;
    default: { /* 0x00/0xff heavy, lengths 1..24 */
      k->n = 1 + rn(24);
      for (size_t i = 0; i < k->n; i++) k->a[i] = rn(3) == 0 ? 0x00 : rn(2) ? 0xff : (u8)rnd();
      break;
    }
  }
}

static int rowCmpQ(const void *a, const void *b) {
  const Row *x = a, *y = b;
  int c = sdbKeyCmp(x->k.a, x->k.n, y->k.a, y->k.n);
  if (c) return c;
  return x->seq > y->seq ? -1 : x->seq < y->seq;   /* seq descending */
}

/* Fill aRow with n sorted rows (versions of a key have distinct seqs). */
static void rowsGen(int m, int n) {
  Key base;
  base.n = rn(3) == 0 ? 1 + rn(4) : 8 + rn(12);
  for (size_t i = 0; i < base.n; i++) base.a[i] = rn(2) ? 'k' : (u8)rnd();
  nRow = 0;
  u64 seq = 1000000;
  while (nRow < n) {
    Key k;
    keyGen(m, &base, &k);
    int nVer = rn(8) == 0 ? 1 + (int)rn(40) : 1 + (int)rn(2);
    for (int v = 0; v < nVer && nRow < n; v++) aRow[nRow++] = (Row){k, seq--};
  }
  qsort(aRow, (size_t)nRow, sizeof(Row), rowCmpQ);
  /* builders need strictly increasing (key, seq desc): drop exact dups */
  int j = 0;
  for (int i = 0; i < nRow; i++) {
    if (j && rowCmpQ(&aRow[j - 1], &aRow[i]) == 0) continue;
    aRow[j++] = aRow[i];
  }
  nRow = j;
}

/* A probe key derived from the rows: present, truncated, extended with
** 0x00/0xff, a neighbour, random, empty. */
static void probeGen(Key *k) {
  const Key *s = nRow ? &aRow[rn((u32)nRow)].k : NULL;
  u32 w = rn(10);
  if (!s || w == 9) {
    k->n = rn(3) == 0 ? 0 : rn(16);
    for (size_t i = 0; i < k->n; i++) k->a[i] = aAlpha[rn(sizeof(aAlpha))];
    return;
  }
  *k = *s;
  if (w <= 3) return;                       /* present */
  if (w == 4) { k->n = rn((u32)k->n + 1); return; }   /* a prefix of it */
  if (w == 5 && k->n < MAX_KEY) { k->a[k->n++] = rn(2) ? 0x00 : 0xff; return; }
  if (w == 6 && k->n) { k->a[k->n - 1]++; return; }
  if (w == 7 && k->n) { k->a[k->n - 1]--; return; }
  if (w == 8 && k->n + 3 <= MAX_KEY) {
    for (int i = 0; i < 3; i++) k->a[k->n++] = aAlpha[rn(sizeof(aAlpha))];
  }
}

/* ------------------------------------------------------------ part 1 */

static void v1Row(SdbBuf *p, const Row *r, const Row *pFirst) {
  size_t nPre = 0;
  if (pFirst) {
    while (nPre < r->k.n && nPre < pFirst->k.n && r->k.a[nPre] == pFirst->k.a[nPre]) nPre++;
  }
  u8 h[8];
  sdbPutU16BE(h, (u16)nPre);
  sdbPutU16BE(h + 2, (u16)(r->k.n - nPre));
  sdbBufAppend(p, h, 4);
  sdbBufAppend(p, r->k.a + nPre, r->k.n - nPre);
  sdbPutU64BE(h, r->seq);
  sdbBufAppend(p, h, 8);
  u8 flags = 0;
  sdbBufAppend(p, &flags, 1);
  sdbPutU32BE(h, 1);
  sdbBufAppend(p, h, 4);
  sdbBufAppend(p, "v", 1);
}

/* Rows [i0, i1) as a V1 block payload. */
static void v1Block(int i0, int i1, SdbBuf *pay) {
  u8 aOff[2 * MAX_ROWS], h[2];
  for (int i = i0; i < i1; i++) {
    sdbPutU16BE(aOff + 2 * (i - i0), (u16)pay->n);
    v1Row(pay, &aRow[i], i > i0 ? &aRow[i0] : NULL);
  }
  sdbBufAppend(pay, aOff, 2 * (size_t)(i1 - i0));
  sdbPutU16BE(h, (u16)(i1 - i0));
  sdbBufAppend(pay, h, 2);
}

static int v2Block(int i0, int i1, SdbBuf *pay) {
  SdbBlockBuilder b;
  SdbErr err;
  int rc = SDB_OK;
  sdbBlockBuilderInit(&b, 1 << 20);
  for (int i = i0; i < i1 && rc == SDB_OK; i++) {
    SdbEntry e;
    memset(&e, 0, sizeof(e));
    e.pKey = aRow[i].k.a;
    e.nKey = aRow[i].k.n;
    e.pVal = (const u8 *)"v";
    e.nVal = 1;
    e.seq = aRow[i].seq;
    e.eKind = SDB_KIND_VALUE;
    rc = sdbBlockBuilderAdd(&b, &e, &err);
  }
  if (rc == SDB_OK) rc = sdbBlockBuilderFinish(&b, pay, &err);
  sdbBlockBuilderFree(&b);
  return rc;
}

static int sign(int c) { return c < 0 ? -1 : c > 0; }

static int nBlockBad = 0;
static char zBlockBad[400];

static void blockBad(const char *zWhat, int ver, const Key *k, u32 got, u32 want) {
  if (nBlockBad++ == 0) {
    int o = snprintf(zBlockBad, sizeof(zBlockBad), "V%d %s got %u want %u key(%zu)=", ver, zWhat,
                     got, want, k->n);
    for (size_t i = 0; i < k->n && o < 300; i++) o += snprintf(zBlockBad + o, 8, "%02x", k->a[i]);
  }
}

/* The decoded block of rows [0, nRow) checked against the rows; bSorted: the
** seeks are compared (else only run). */
static void blockCheck(const SdbBlock *p, int ver, int bSorted) {
  if (p->nRow != (u32)nRow) { blockBad("nRow", ver, &aRow[0].k, p->nRow, (u32)nRow); return; }
  for (int i = 0; i < nRow; i++) {
    const Key *k = &aRow[i].k;
    if (p->nCommon > k->n || memcmp(k->a, aRow[0].k.a, p->nCommon) != 0) {
      blockBad("nCommon", ver, k, p->nCommon, 0);
    } else if (p->aPfx[i] != sdbKeyPrefix(k->a + p->nCommon, k->n - p->nCommon)) {
      blockBad("aPfx", ver, k, (u32)i, 0);
    }
  }
  for (int t = 0; t < 200; t++) {
    Key k;
    probeGen(&k);
    for (int bAfter = 0; bAfter < 2; bAfter++) {
      u32 want = 0;
      for (int i = 0; i < nRow; i++) {
        int c = sdbKeyCmp(aRow[i].k.a, aRow[i].k.n, k.a, k.n);
        if (c < 0 || (bAfter && c == 0)) want = (u32)i + 1;
      }
      u32 got = sdbBlockSeek(p, k.a, k.n, bAfter);
      SdbKeyProbe q;
      u32 got2 = sdbBlockSeekAndProbe(p, k.a, k.n, bAfter, &q);
      if (!bSorted) continue;
      if (got != want) blockBad(bAfter ? "seek>" : "seek>=", ver, &k, got, want);
      if (got2 != want) blockBad(bAfter ? "seekprobe>" : "seekprobe>=", ver, &k, got2, want);
      for (int i = 0; i < nRow; i++) {
        int c = q.side ? -q.side : sdbBlockRowCmp(p, (u32)i, &q);
        int w = sdbKeyCmp(aRow[i].k.a, aRow[i].k.n, k.a, k.n);
        if (sign(c) != sign(w)) { blockBad("probe row cmp", ver, &k, (u32)i, (u32)(w + 5)); break; }
      }
    }
  }
}

static void testBlocks(int nIter) {
  int nBlocks = 0;
  for (int it = 0; it < nIter * 4; it++) {
    int m = (int)rn(4), n = 1 + (int)rn(it % 3 == 0 ? 4 : 300);
    rowsGen(m, n);
    int bShuffle = rn(6) == 0;
    if (bShuffle) {   /* hostile: rows out of order */
      for (int i = nRow - 1; i > 0; i--) {
        int j = (int)rn((u32)i + 1);
        Row t = aRow[i];
        aRow[i] = aRow[j];
        aRow[j] = t;
      }
    }
    for (int ver = 1; ver <= 2; ver++) {
      SdbBuf pay = {0};
      SdbBlock *p = NULL;
      SdbErr err;
      int rc = SDB_OK;
      if (ver == 1) v1Block(0, nRow, &pay);
      else rc = v2Block(0, nRow, &pay);
      if (rc == SDB_OK) rc = sdbBlockDecodeCopy(pay.a, pay.n, ver, &p, &err);
      if (rc == SDB_OK) {
        blockCheck(p, ver, !bShuffle);
        nBlocks++;
      } else if (!bShuffle) {
        blockBad("decode", ver, &aRow[0].k, (u32)rc, 0);
      }
      sdbBlockFree(p);
      sdbBufFree(&pay);
    }
  }
  char zName[80];
  snprintf(zName, sizeof(zName), "blocks: %d random V1/V2 blocks seek as a linear scan", nBlocks);
  CHECKF(zName, nBlockBad == 0, "%d wrong, first: %s", nBlockBad, zBlockBad);
}

/* ------------------------------------------------------------ part 2 */

static SdbStore *gStore;
static char gDir[64];

static int sstBuildObj(const char *zKey, size_t blockSize, u32 minFilterKeys, size_t nVal,
                       SdbSstInfo *pInfo, SdbBuf *pObj) {
  SdbSstOptions o;
  SdbErr err;
  SdbBuf out = {0};
  sdbSstOptionsDefault(&o);
  o.blockSize = blockSize;
  o.minFilterKeys = minFilterKeys;
  if (pObj) o.eCodec = SDB_CODEC_NONE;
  SdbSstBuilder *b = sdbSstBuilderNew(&o);
  int rc = b ? SDB_OK : SDB_NOMEM;
  static u8 aVal[256];
  memset(aVal, 'v', sizeof(aVal));
  for (int i = 0; i < nRow && rc == SDB_OK; i++) {
    SdbEntry e;
    memset(&e, 0, sizeof(e));
    e.pKey = aRow[i].k.a;
    e.nKey = aRow[i].k.n;
    e.pVal = aVal;
    e.nVal = nVal;
    e.seq = aRow[i].seq;
    e.eKind = SDB_KIND_VALUE;
    rc = sdbSstBuilderAdd(b, &e, &err);
  }
  if (rc == SDB_OK) rc = sdbSstBuilderFinish(b, &out, pInfo, &err);
  if (rc == SDB_OK && zKey) rc = gStore->pMethods->xPut(gStore, zKey, out.a, out.n, 0, &err);
  if (rc) printf("build: %s\n", err.zMsg);
  sdbSstBuilderFree(b);
  if (pObj) *pObj = out;
  else sdbBufFree(&out);
  return rc;
}

static int sstBuild(const char *zKey, size_t blockSize, u32 minFilterKeys, size_t nVal,
                    SdbSstInfo *pInfo) {
  return sstBuildObj(zKey, blockSize, minFilterKeys, nVal, pInfo, NULL);
}

/* Append a[0..n) and its CRC (codec none). */
static void sectionAppend(SdbBuf *o, const u8 *a, size_t n) {
  u8 h[4];
  sdbBufAppend(o, a, n);
  sdbPutU32BE(h, sdbCrc32(a, n));
  sdbBufAppend(o, h, 4);
}

/* Index key of a block: eKeys 0, SlateDB 0.12's separator (block 0 empty);
** 1, the whole first key of every block (as older SSTs have); 2, the whole
** first key of block 0, separators after. */
static void indexKey(int eKeys, int iBlk, const Key *prevLast, const Key *first, Key *out) {
  *out = *first;
  if (eKeys == 1 || (eKeys == 2 && iBlk == 0)) return;
  if (iBlk == 0) { out->n = 0; return; }
  size_t n = SDB_MIN(prevLast->n, first->n), j = 0;
  while (j < n && prevLast->a[j] == first->a[j]) j++;
  if (j < n) out->n = j + 1;
  else if (prevLast->n == first->n) out->n = first->n;
  else out->n = SDB_MIN(prevLast->n + 1, first->n);
}

/* An SST of aRow assembled by hand: format version ver blocks of random
** row counts (up to nMaxRows), the filter of a built SST of the same rows,
** an index of eKeys keys (indexKey); *pInfo names the sections. */
static int sstAssemble(const char *zKey, int ver, int eKeys, int nMaxRows, u32 minF,
                       int bShuffle, SdbSstInfo *pInfo) {
  SdbBuf ref = {0}, obj = {0};
  SdbSstInfo ri;
  memset(&ri, 0, sizeof(ri));
  int rc = sstBuildObj(NULL, 4096, minF, 1, &ri, &ref);
  static u64 aOff[MAX_ROWS + 1];
  static Key aFirst[MAX_ROWS];
  int nBlk = 0;
  for (int i0 = 0; rc == SDB_OK && i0 < nRow; nBlk++) {
    int i1 = i0 + 1 + (int)rn((u32)nMaxRows);
    if (i1 > nRow) i1 = nRow;
    SdbBuf pay = {0};
    indexKey(eKeys, nBlk, i0 ? &aRow[i0 - 1].k : NULL, &aRow[i0].k, &aFirst[nBlk]);
    if (bShuffle) {   /* hostile: the block's rows out of order (index keys sorted) */
      for (int i = i1 - 1; i > i0; i--) {
        int j = i0 + (int)rn((u32)(i - i0 + 1));
        Row t = aRow[i];
        aRow[i] = aRow[j];
        aRow[j] = t;
      }
    }
    if (ver == 1) v1Block(i0, i1, &pay);
    else rc = v2Block(i0, i1, &pay);
    if (bShuffle) qsort(aRow + i0, (size_t)(i1 - i0), sizeof(Row), rowCmpQ);
    aOff[nBlk] = obj.n;
    sectionAppend(&obj, pay.a, pay.n);
    sdbBufFree(&pay);
    i0 = i1;
  }
  SdbSstInfo info;
  memset(&info, 0, sizeof(info));
  if (rc == SDB_OK) rc = sdbSstInfoCopy(&info, &ri) ? SDB_NOMEM : SDB_OK;
  info.eCodec = SDB_CODEC_NONE;
  info.filterOffset = obj.n;
  if (rc == SDB_OK && ri.filterLen) sdbBufAppend(&obj, ref.a + ri.filterOffset, ri.filterLen);
  info.filterLen = ri.filterLen;
  info.statsOffset = info.statsLen = 0;
  if (rc == SDB_OK) {
    SdbFbb f;
    SdbFbbTable root;
    u8 *a = NULL;
    size_t n = 0;
    sdbFbbInit(&f, NULL, 0);
    sdbFbbTableInit(&root);
    sdbFbbAddRef(&root, 0);
    sdbFbbSetRoot(&f, sdbFbbTableWrite(&f, &root));
    u32 vec = sdbFbbVecTables(&f, (u32)nBlk);
    sdbFbbPatchField(&f, &root, 0, vec);
    for (int i = 0; i < nBlk; i++) {
      SdbFbbTable t;
      sdbFbbTableInit(&t);
      if (aOff[i]) sdbFbbAddU64(&t, 0, aOff[i]);
      sdbFbbAddRef(&t, 1);
      u32 pos = sdbFbbTableWrite(&f, &t);
      sdbFbbPatchElem(&f, vec, (u32)i, pos);
      sdbFbbPatchField(&f, &t, 1, sdbFbbBytes(&f, aFirst[i].a, (u32)aFirst[i].n));
    }
    rc = sdbFbbFinish(&f, &a, &n);
    info.indexOffset = obj.n;
    info.indexLen = n + 4;
    if (rc == SDB_OK) sectionAppend(&obj, a, n);
    sdbFree(a);
  }
  if (rc == SDB_OK) {   /* the info and the footer (t_sst.c's v1AppendInfo) */
    SdbFbb f;
    u8 *a = NULL, tail[14];
    size_t n = 0;
    sdbFbbInit(&f, NULL, 0);
    sdbFbbSetRoot(&f, sdbSstInfoWrite(&f, &info));
    rc = sdbFbbFinish(&f, &a, &n);
    u64 metaOff = obj.n;
    sdbPutU32BE(tail, rc ? 0 : sdbCrc32(a, n));
    sdbPutU64BE(tail + 4, metaOff);
    sdbPutU16BE(tail + 12, (u16)ver);
    if (rc == SDB_OK) sdbBufAppend(&obj, a, n);
    sdbBufAppend(&obj, tail, 14);
    sdbFree(a);
  }
  SdbErr err;
  if (rc == SDB_OK) rc = gStore->pMethods->xPut(gStore, zKey, obj.a, obj.n, 0, &err);
  if (rc == SDB_OK) *pInfo = info;
  else sdbSstInfoClear(&info);
  sdbSstInfoClear(&ri);
  sdbBufFree(&ref);
  sdbBufFree(&obj);
  return rc;
}

typedef struct RangeK {
  Key lo, hi;
  SdbRange r;
  int bNull;
} RangeK;

/* A random range: point (present or not), two bounds, one bound, prefix,
** everything. */
static void rangeGen(RangeK *x) {
  memset(x, 0, sizeof(*x));
  SdbRange *r = &x->r;
  u32 w = rn(10);
  probeGen(&x->lo);
  r->pLo = x->lo.a;
  r->pHi = x->hi.a;
  if (w < 5) {                 /* point */
    x->hi = x->lo;
    r->nLo = r->nHi = x->lo.n;
    r->bHasLo = r->bHasHi = 1;
  } else if (w < 7) {          /* two bounds, in either order */
    probeGen(&x->hi);
    if (sdbKeyCmp(x->lo.a, x->lo.n, x->hi.a, x->hi.n) > 0 && rn(4)) {
      Key t = x->lo;
      x->lo = x->hi;
      x->hi = t;
    }
    r->nLo = x->lo.n;
    r->nHi = x->hi.n;
    r->bHasLo = r->bHasHi = 1;
    r->bLoExcl = (int)rn(2);
    r->bHiExcl = (int)rn(2);
  } else if (w == 7) {         /* one bound */
    if (rn(2)) { r->nLo = x->lo.n; r->bHasLo = 1; r->bLoExcl = (int)rn(2); }
    else { x->hi = x->lo; r->nHi = x->hi.n; r->bHasHi = 1; r->bHiExcl = (int)rn(2); }
  } else if (w == 8) {         /* prefix: [p, successor(p)) */
    r->nLo = x->lo.n;
    r->bHasLo = 1;
    x->hi = x->lo;
    while (x->hi.n && x->hi.a[x->hi.n - 1] == 0xff) x->hi.n--;
    if (x->hi.n) {
      x->hi.a[x->hi.n - 1]++;
      r->nHi = x->hi.n;
      r->bHasHi = 1;
      r->bHiExcl = 1;
    }
  } else {
    x->bNull = rn(2);
  }
}

static int rowIn(const Row *w, const SdbRange *r) {
  if (!r) return 1;
  if (r->bHasLo) {
    int c = sdbKeyCmp(w->k.a, w->k.n, r->pLo, r->nLo);
    if (c < 0 || (c == 0 && r->bLoExcl)) return 0;
  }
  if (r->bHasHi) {
    int c = sdbKeyCmp(w->k.a, w->k.n, r->pHi, r->nHi);
    if (c > 0 || (c == 0 && r->bHiExcl)) return 0;
  }
  return 1;
}

static int gHostile = 0;   /* rows out of order in blocks: only run, not compared */
static int nSstBad = 0;
static char zSstBad[600];

static void sstBad(const char *zWhat, const RangeK *x, int bDesc, int j, const char *zCfg) {
  if (nSstBad++) return;
  int o = snprintf(zSstBad, sizeof(zSstBad), "%s [%s] %s row %d range ", zWhat, zCfg,
                   bDesc ? "desc" : "asc", j);
  const SdbRange *r = x->bNull ? NULL : &x->r;
  if (!r) { snprintf(zSstBad + o, sizeof(zSstBad) - (size_t)o, "NULL"); return; }
  o += snprintf(zSstBad + o, 40, "%s", r->bHasLo ? (r->bLoExcl ? "(" : "[") : "(-inf");
  for (size_t i = 0; r->bHasLo && i < r->nLo; i++) o += snprintf(zSstBad + o, 8, "%02x", r->pLo[i]);
  o += snprintf(zSstBad + o, 8, ", ");
  for (size_t i = 0; r->bHasHi && i < r->nHi; i++) o += snprintf(zSstBad + o, 8, "%02x", r->pHi[i]);
  snprintf(zSstBad + o, 40, "%s", r->bHasHi ? (r->bHiExcl ? ")" : "]") : "+inf)");
}

/* Read up to nTake rows of it (-1: all) and compare with the linear filter
** of range x in direction bDesc. */
static void iterCompare(SdbIter *it, const RangeK *x, int bDesc, int nTake, const char *zCfg) {
  const SdbRange *r = x->bNull ? NULL : &x->r;
  SdbErr err;
  int j = 0;
  int i = bDesc ? nRow - 1 : 0;
  for (;;) {
    while (i >= 0 && i < nRow && !rowIn(&aRow[i], r)) i += bDesc ? -1 : 1;
    int bWantEnd = !(i >= 0 && i < nRow);
    if (nTake >= 0 && j >= nTake) return;
    if (it->bEof || bWantEnd) {
      if (it->bEof != bWantEnd && !gHostile) sstBad(it->bEof ? "missing row" : "extra row", x, bDesc, j, zCfg);
      return;
    }
    const Row *w = &aRow[i];
    if (!gHostile && (sdbKeyCmp(it->cur.pKey, it->cur.nKey, w->k.a, w->k.n) != 0 || it->cur.seq != w->seq)) {
      sstBad("wrong row", x, bDesc, j, zCfg);
      return;
    }
    j++;
    i += bDesc ? -1 : 1;
    if (sdb_iter_next(it, &err)) { sstBad("next failed", x, bDesc, j, zCfg); return; }
  }
}

static int keyPresent(const Key *k) {
  for (int i = 0; i < nRow; i++) {
    if (sdbKeyCmp(aRow[i].k.a, aRow[i].k.n, k->a, k->n) == 0) return 1;
  }
  return 0;
}

#define N_IT 4

static void sstExercise(SdbSst *p, int nOps, const char *zCfg) {
  SdbIter *aIt[N_IT] = {0};
  int aDesc[N_IT];
  SdbErr err;
  for (int k = 0; k < N_IT; k++) {
    aDesc[k] = k & 1;
    if (sdbSstIterNew(p, NULL, aDesc[k], &aIt[k], &err)) { sstBad("iter new", NULL, 0, 0, zCfg); }
  }
  for (int op = 0; op < nOps; op++) {
    int k = (int)rn(N_IT);
    RangeK x;
    rangeGen(&x);
    const SdbRange *r = x.bNull ? NULL : &x.r;
    int nTake = rn(3) == 0 ? -1 : (int)rn(6);
    int bPresentPoint = sdbRangeIsPoint(r) && keyPresent(&x.lo);
    u64 nSkip0 = sdbSstFilterSkips();
    if (rn(8) == 0 || !aIt[k]) {
      sdb_iter_free(aIt[k]);
      aIt[k] = NULL;
      if (rn(3) == 0) aDesc[k] = (int)rn(2);
      if (sdbSstIterNew(p, r, aDesc[k], &aIt[k], &err)) {
        sstBad("iter new failed", &x, aDesc[k], 0, zCfg);
        continue;
      }
    } else if (sdb_iter_seek(aIt[k], r, &err)) {
      sstBad("seek failed", &x, aDesc[k], 0, zCfg);
      continue;
    }
    if (bPresentPoint && sdbSstFilterSkips() != nSkip0) sstBad("present key skipped", &x, aDesc[k], 0, zCfg);
    iterCompare(aIt[k], &x, aDesc[k], nTake, zCfg);
  }
  for (int k = 0; k < N_IT; k++) sdb_iter_free(aIt[k]);
}

static int nPinLeak = 0;

static void testSsts(int nIter) {
  int nSst = 0, nOne = 0, nMany = 0, nAsm = 0, nV1 = 0, nHostile = 0;
  for (int t = 0; t < nIter; t++) {
    int m = (int)rn(4);
    rowsGen(m, 1 + (int)rn(t % 4 == 0 ? 5 : 1500));
    static const size_t aBs[] = {32, 64, 100, 256, 1024, 65536};
    size_t bs = aBs[rn(SDB_ARRAY_SIZE(aBs))];
    u32 minF = rn(3) ? 1 : 1000000;
    SdbSstInfo info;
    memset(&info, 0, sizeof(info));
    char zKey[64];
    snprintf(zKey, sizeof(zKey), "compacted/r%d.sst", t);
    int ver = 2, eKeys = -1;
    gHostile = 0;
    if (t % 2) {   /* hand-assembled: V1 or V2 blocks, index keys of every kind */
      ver = 1 + (int)rn(2);
      eKeys = (int)rn(3);
      gHostile = rn(5) == 0;
      if (sstAssemble(zKey, ver, eKeys, 1 + (int)rn(t % 3 ? 40 : 3), minF, gHostile, &info)) {
        CHECK("sst assemble", 0);
        continue;
      }
    } else if (sstBuild(zKey, bs, minF, rn(3) == 0 ? 1 + rn(100) : 1, &info)) {
      CHECK("sst build", 0);
      continue;
    }
    for (int c = 0; c < 4; c++) {
      /* no cache; a big one; a tiny one (evicting); a big one, lookups open */
      SdbCache *pCache = c == 0 ? NULL : sdbCacheNew(c == 2 ? 3000 : 1 << 22);
      SdbSst *p = NULL;
      SdbErr err;
      int rc = c == 3 ? sdbSstOpenForLookups(gStore, zKey, &info, (u16)ver, pCache, &p, &err)
                      : sdbSstOpen(gStore, zKey, &info, (u16)ver, pCache, &p, &err);
      if (rc) {
        CHECKF("sst open", 0, "%s", err.zMsg);
      } else {
        char zCfg[120];
        snprintf(zCfg, sizeof(zCfg), "iter %d mode %d rows %d blocks %u bs %zu filter %d cache %d v%d keys %d",
                 t, m, nRow, sdbSstBlockCount(p), bs, minF == 1, c, ver, eKeys);
        if (eKeys >= 0) nAsm++;
        if (gHostile) nHostile++;
        if (ver == 1) nV1++;
        if (sdbSstBlockCount(p) == 1) nOne++;
        if (sdbSstBlockCount(p) > 8) nMany++;
        sstExercise(p, 300, zCfg);
        nSst++;
      }
      sdbSstUnref(p);
      if (pCache) {   /* every pin released: the SST's entries are all erased */
        SdbCacheStats st;
        sdbCacheGetStats(pCache, &st);
        if ((st.nEntry || st.nBytes || st.nAhead) && nPinLeak++ < 3) {
          printf("pins left: iter %d cache %d: %llu entries, %llu bytes, %llu ahead\n", t, c,
                 (unsigned long long)st.nEntry, (unsigned long long)st.nBytes,
                 (unsigned long long)st.nAhead);
        }
      }
      sdbCacheFree(pCache);
    }
    { SdbErr e2; gStore->pMethods->xDelete(gStore, zKey, &e2); }
    sdbSstInfoClear(&info);
  }
  char zName[120];
  snprintf(zName, sizeof(zName), "ssts: %d opens (%d of 1 block, %d of >8, %d assembled, %d V1, %d hostile), random seeks as a linear filter",
           nSst, nOne, nMany, nAsm, nV1, nHostile);
  CHECKF(zName, nSstBad == 0, "%d wrong, first: %s", nSstBad, zSstBad);
  CHECKF("ssts: no cache pin left once the iterators and the SST are gone", nPinLeak == 0,
         "%d caches", nPinLeak);
}

int main(void) {
  const char *z = getenv("SDB_SEED");
  gSeed = z ? strtoull(z, NULL, 0) : 1;
  if (!gSeed) gSeed = 1;
  z = getenv("SDB_ITERS");
  int nIter = z ? atoi(z) : 60;
  printf("seed %llu iters %d\n", (unsigned long long)gSeed, nIter);
  testBlocks(nIter);

  char zCmd[160];
  SdbErr err;
  snprintf(gDir, sizeof(gDir), "/tmp/sdb-lookrand-%d", (int)getpid());
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", gDir);
  (void)!system(zCmd);
  if (mkdir(gDir, 0700) || sdbStoreOpenDir(gDir, 1, 0, &gStore, &err)) {
    CHECK("store", 0);
  } else {
    testSsts(nIter);
    sdbStoreFree(gStore);
  }
  (void)!system(zCmd);
  printf("%d passed, %d failed\n", tNPass, tNFail);
  return tNFail != 0;
}
