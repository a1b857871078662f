/*
** t_merge.c: memtable, merging and visible-row iterators against a model.
**
** Random versions (puts, deletes, merge operands) of a small key space are
** spread over several memtables (standing in for memtable, L0s and runs); the
** visible rows of random ranges, in both directions, must equal what a plain
** model computes: per key, the newest version wins, tombstones hide, merge
** operands concatenate onto the newest base value.
*/
#include "test.h"
#include "db/memtable.h"
#include "db/merge.h"
#include "util/rangeutil.h"

#define NKEY 60
#define NVER 600
#define NLAYER 4

typedef struct Ver { int key; u64 seq; int kind; char val[16]; } Ver;
static Ver aVer[NVER];

static void keyOf(int k, u8 *z, size_t *pn) { *pn = (size_t)snprintf((char *)z, 16, "k%03d%s", k, k % 7 ? "" : "x"); }

/* Model: the visible value of key k (returns 0 if none) into zOut. */
static int modelGet(int k, u64 maxSeq, char *zOut) {
  int aIdx[NVER], n = 0;
  for (int i = 0; i < NVER; i++) if (aVer[i].key == k && aVer[i].seq <= maxSeq) aIdx[n++] = i;
  /* sort by seq desc */
  for (int i = 1; i < n; i++) for (int j = i; j > 0 && aVer[aIdx[j-1]].seq < aVer[aIdx[j]].seq; j--) {
    int t = aIdx[j]; aIdx[j] = aIdx[j-1]; aIdx[j-1] = t;
  }
  if (n == 0 || aVer[aIdx[0]].kind == SDB_KIND_TOMBSTONE) return 0;
  int b = 0;
  while (b < n && aVer[aIdx[b]].kind == SDB_KIND_MERGE) b++;
  zOut[0] = 0;
  if (b < n && aVer[aIdx[b]].kind == SDB_KIND_VALUE) strcat(zOut, aVer[aIdx[b]].val);
  for (int i = b - 1; i >= 0; i--) strcat(zOut, aVer[aIdx[i]].val);
  return 1;
}

static SdbIter *openVisible(SdbMemtable **apMt, SdbRange *r, int bDesc, u64 maxSeq) {
  SdbIter *ap[NLAYER], *pM = NULL, *pV = NULL;
  SdbErr err;
  for (int i = 0; i < NLAYER; i++) sdbMemtableIterNew(apMt[i], r, bDesc, &ap[i], &err);
  if (sdbMergeIterNew(ap, NLAYER, bDesc, &pM, &err)) return NULL;
  if (sdbVisibleIterNew(pM, bDesc, maxSeq, SDB_MERGE_CONCAT, NULL, NULL, &pV, &err)) return NULL;
  return pV;
}

int main(void) {
  srand(7);
  SdbMemtable *apMt[NLAYER];
  for (int i = 0; i < NLAYER; i++) apMt[i] = sdbMemtableNew();
  for (int i = 0; i < NVER; i++) {
    Ver *v = &aVer[i];
    v->key = rand() % NKEY;
    v->seq = (u64)i + 1;
    int r = rand() % 10;
    v->kind = r < 6 ? SDB_KIND_VALUE : r < 8 ? SDB_KIND_TOMBSTONE : SDB_KIND_MERGE;
    snprintf(v->val, sizeof(v->val), "%s%d", v->kind == SDB_KIND_MERGE ? "+" : "v", i);
    u8 k[16]; size_t nk; keyOf(v->key, k, &nk);
    SdbEntry e = {k, nk, (const u8 *)v->val, v->kind == SDB_KIND_TOMBSTONE ? 0 : strlen(v->val),
                  v->seq, v->kind, 1, 0, 1000 + i, 0};
    /* newer versions go to lower layers (layer 0 = newest) most of the time */
    int layer = NLAYER - 1 - (i * NLAYER / NVER);
    if (rand() % 5 == 0) layer = rand() % NLAYER;
    sdbMemtableInsert(apMt[layer], &e);
  }
  int nBad = 0, nRuns = 0;
  for (int t = 0; t < 300; t++) {
    int lo = rand() % NKEY, hi = rand() % NKEY;
    u8 kLo[16], kHi[16]; size_t nLo, nHi;
    keyOf(lo, kLo, &nLo); keyOf(hi, kHi, &nHi);
    SdbRange r = {kLo, nLo, rand() % 4 != 0, rand() % 2, kHi, nHi, rand() % 4 != 0, rand() % 2};
    int bDesc = rand() % 2;
    u64 maxSeq = t % 3 ? UINT64_MAX : (u64)(rand() % NVER);
    /* Expected rows in order */
    char aExp[NKEY][4096]; int aKey[NKEY]; int nExp = 0;
    for (int j = 0; j < NKEY; j++) {
      int k = bDesc ? NKEY - 1 - j : j;
      u8 kb[16]; size_t nk; keyOf(k, kb, &nk);
      if (!sdbRangeContains(&r, kb, nk)) continue;
      if (modelGet(k, maxSeq, aExp[nExp])) aKey[nExp++] = k;
    }
    SdbIter *pV = openVisible(apMt, &r, bDesc, maxSeq);
    int n = 0, bOk = pV != NULL;
    SdbErr err;
    for (; bOk && !pV->bEof; n++) {
      u8 kb[16]; size_t nk;
      if (n >= nExp) { bOk = 0; break; }
      keyOf(aKey[n], kb, &nk);
      if (sdbKeyCmp(pV->cur.pKey, pV->cur.nKey, kb, nk) != 0 || pV->cur.nVal != strlen(aExp[n]) ||
          memcmp(pV->cur.pVal, aExp[n], pV->cur.nVal) != 0) bOk = 0;
      if (sdb_iter_next(pV, &err)) bOk = 0;
    }
    if (bOk && n != nExp) bOk = 0;
    if (!bOk) {
      nBad++;
      if (nBad < 5) printf("# mismatch run %d desc=%d at row %d of %d\n", t, bDesc, n, nExp);
    }
    nRuns++;
    sdb_iter_free(pV);
  }
  CHECKF("merge: visible rows equal the model over random ranges", nBad == 0, "%d of %d runs differ", nBad, nRuns);

  /* The same (key, seq) inserted twice (a WAL SST that repeats a key within a
  ** seq, not next to each other): the later row replaces the earlier one, in
  ** both directions, and is counted once. */
  {
    SdbMemtable *pMt = sdbMemtableNew();
    static const char *const azKey[] = { "a", "dup", "z", "dup", "m" };
    static const char *const azVal[] = { "1", "old", "2", "new", "3" };
    for (int i = 0; i < 5; i++) {
      SdbEntry e = {(const u8 *)azKey[i], strlen(azKey[i]), (const u8 *)azVal[i], strlen(azVal[i]),
                    7, SDB_KIND_VALUE, 0, 0, 0, 0};
      sdbMemtableInsert(pMt, &e);
    }
    int bOk = sdbMemtableRows(pMt) == 4;
    for (int bDesc = 0; bDesc < 2; bDesc++) {
      SdbIter *pI, *pM, *pV = NULL;
      SdbErr err = {0};
      int nRow = 0, nDup = 0;
      sdbMemtableIterNew(pMt, NULL, bDesc, &pI, &err);
      for (; !pI->bEof; sdb_iter_next(pI, &err)) nRow++;
      sdb_iter_free(pI);
      sdbMemtableIterNew(pMt, NULL, bDesc, &pI, &err);
      sdbMergeIterNew(&pI, 1, bDesc, &pM, &err);
      sdbVisibleIterNew(pM, bDesc, UINT64_MAX, SDB_MERGE_NONE, NULL, NULL, &pV, &err);
      for (; pV && !pV->bEof; sdb_iter_next(pV, &err)) {
        if (pV->cur.nKey == 3 && memcmp(pV->cur.pKey, "dup", 3) == 0) {
          nDup++;
          bOk = bOk && pV->cur.nVal == 3 && memcmp(pV->cur.pVal, "new", 3) == 0;
        }
      }
      bOk = bOk && nRow == 4 && nDup == 1;
      sdb_iter_free(pV);
    }
    CHECK("memtable: a repeated (key, seq) replaces the earlier row in both directions", bOk);
    sdbMemtableUnref(pMt);
  }

  /* Many repeated (key, seq) pairs: the raw memtable iterators, both ways,
  ** list exactly the last row written per (key, seq), in (key, seq desc) order. */
  {
    enum { NK = 40, NS = 12 };
    static int aLast[NK][NS];             /* value written last, -1 none */
    memset(aLast, -1, sizeof(aLast));
    SdbMemtable *pMt = sdbMemtableNew();
    for (int i = 0; i < 4000; i++) {
      int k = rand() % NK, q = rand() % NS;
      u8 kb[16], vb[16];
      size_t nk;
      keyOf(k, kb, &nk);
      int nv = snprintf((char *)vb, sizeof(vb), "%d", i);
      SdbEntry e = {kb, nk, vb, (size_t)nv, (u64)q, SDB_KIND_VALUE, 0, 0, 0, 0};
      sdbMemtableInsert(pMt, &e);
      aLast[k][q] = i;
    }
    int nModel = 0;
    for (int k = 0; k < NK; k++) for (int q = 0; q < NS; q++) nModel += aLast[k][q] >= 0;
    int bOk = (int)sdbMemtableRows(pMt) == nModel;
    for (int bDesc = 0; bDesc < 2 && bOk; bDesc++) {
      /* Keys in memcmp order of their encodings. */
      int aOrd[NK];
      for (int k = 0; k < NK; k++) aOrd[k] = k;
      for (int x = 1; x < NK; x++) {
        for (int y = x; y > 0; y--) {
          u8 a[16], b[16];
          size_t na, nb;
          keyOf(aOrd[y - 1], a, &na);
          keyOf(aOrd[y], b, &nb);
          if (sdbKeyCmp(a, na, b, nb) <= 0) break;
          int t = aOrd[y]; aOrd[y] = aOrd[y - 1]; aOrd[y - 1] = t;
        }
      }
      SdbIter *pI;
      SdbErr err = {0};
      sdbMemtableIterNew(pMt, NULL, bDesc, &pI, &err);
      for (int j = 0; j < NK * NS && bOk; j++) {
        int k = aOrd[bDesc ? NK - 1 - j / NS : j / NS];
        int q = bDesc ? j % NS : NS - 1 - j % NS;
        if (aLast[k][q] < 0) continue;
        u8 kb[16];
        char zVal[16];
        size_t nk;
        keyOf(k, kb, &nk);
        int nv = snprintf(zVal, sizeof(zVal), "%d", aLast[k][q]);
        bOk = !pI->bEof && pI->cur.seq == (u64)q && sdbKeyCmp(pI->cur.pKey, pI->cur.nKey, kb, nk) == 0
              && pI->cur.nVal == (size_t)nv && memcmp(pI->cur.pVal, zVal, (size_t)nv) == 0;
        sdb_iter_next(pI, &err);
      }
      bOk = bOk && pI->bEof;
      sdb_iter_free(pI);
    }
    CHECK("memtable: repeated (key, seq) pairs leave the last row of each, both directions", bOk);
    sdbMemtableUnref(pMt);
  }

  /* Merge operand without operator: an error naming the key. */
  {
    SdbMemtable *pMt = sdbMemtableNew();
    SdbEntry e = {(const u8 *)"mk", 2, (const u8 *)"x", 1, 5, SDB_KIND_MERGE, 0, 0, 0, 0};
    sdbMemtableInsert(pMt, &e);
    SdbIter *pI, *pM, *pV = NULL;
    SdbErr err = {0};
    sdbMemtableIterNew(pMt, NULL, 0, &pI, &err);
    sdbMergeIterNew(&pI, 1, 0, &pM, &err);
    int rc = sdbVisibleIterNew(pM, 0, UINT64_MAX, SDB_MERGE_NONE, NULL, NULL, &pV, &err);
    CHECKF("merge: operand without operator is an error naming the key",
           rc == SDB_ERROR && strstr(err.zMsg, "x'6d6b'") != NULL, "rc=%d msg=%s", rc, err.zMsg);
    sdb_iter_free(pV);
    sdbMemtableUnref(pMt);
  }
  for (int i = 0; i < NLAYER; i++) sdbMemtableUnref(apMt[i]);
  return test_done();
}
