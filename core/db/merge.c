/*
** merge.c: the merging, concatenating and visible-row iterators (merge.h).
**
** Ownership: each iterator owns its children and frees them in xFree.
** Borrowed entry pointers follow the SdbIter rule: valid until the next xNext.
** The merging iterator advances the child that produced the current entry
** only at the following xNext, so the child's buffers stay valid meanwhile.
**
** The lookahead rule (merge.h): below the visible-row iterator an entry stays
** valid one step longer, until the second xNext after it. The merge keeps it
** because its children do (the child of an entry is stepped at most once at
** the merge's next step); the concatenation keeps the child that ran out
** (pOld) until its next step; an SST iterator keeps the block of its previous
** row pinned (table/sst.c); memtable rows live as long as the memtable.
**
** Why: a descending child yields a key's versions oldest first, so the
** visible-row iterator must see a key's next entry before it knows that the
** one it holds is the key's newest. It used to copy every key and value of a
** descending scan for that (visGather); with the lookahead it looks at the
** next entry first and returns the held one borrowed when the key has no
** other version, which is nearly always: a descending row now costs no copy
** at all (ascending copies the key, to skip the older versions later). The
** other design, SST and memtable iterators that yield a key's versions newest
** first in both directions, would also spare the copy for keys with several
** versions, but a key's run of versions can straddle blocks (even span
** several), which the SST iterator would have to walk back and forth over,
** against its read-ahead windows; keys with several versions are rare in a
** read (compaction keeps one where no snapshot needs more), so they keep the
** copying path.
*/
#include "db/merge.h"

/* ------------------------------------------------------------ merging */
typedef struct MergeIter {
  SdbIter base;           /* must be first */
  SdbIter **apChild;      /* owned children, in priority order */
  int nChild;
  int iCur;               /* child holding the current entry, -1 if none */
  int bDesc;
} MergeIter;

/* True if entry a should come before entry b in the output. */
static int mergeBefore(const SdbEntry *a, const SdbEntry *b, int bDesc) {
  int c = sdbKeyCmp(a->pKey, a->nKey, b->pKey, b->nKey);
  if (c) return bDesc ? c > 0 : c < 0;
  return a->seq > b->seq;
}

static void mergePick(MergeIter *it) {
  int iBest = -1;
  for (int i = 0; i < it->nChild; i++) {
    SdbIter *c = it->apChild[i];
    if (c->bEof) continue;
    if (iBest < 0 || mergeBefore(&c->cur, &it->apChild[iBest]->cur, it->bDesc)) iBest = i;
  }
  it->iCur = iBest;
  it->base.bEof = (iBest < 0);
  if (iBest >= 0) it->base.cur = it->apChild[iBest]->cur;
}

static int mergeNext(SdbIter *pIter, SdbErr *pErr) {
  MergeIter *it = (MergeIter *)pIter;
  if (it->iCur < 0) return SDB_OK;
  int rc = sdb_iter_next(it->apChild[it->iCur], pErr);
  if (rc) return rc;
  mergePick(it);
  return SDB_OK;
}

static void mergeFree(SdbIter *pIter) {
  MergeIter *it = (MergeIter *)pIter;
  for (int i = 0; i < it->nChild; i++) sdb_iter_free(it->apChild[i]);
  sdbFree(it->apChild);
  sdbFree(it);
}

/* xSeek: every child seeks (each must be able to), then the merge picks. */
static int mergeSeek(SdbIter *pIter, const SdbRange *pRange, SdbErr *pErr) {
  MergeIter *it = (MergeIter *)pIter;
  int rc = SDB_OK;
  for (int i = 0; rc == SDB_OK && i < it->nChild; i++) {
    SdbIter *c = it->apChild[i];
    if (!sdb_iter_can_seek(c)) rc = sdbErrSet(pErr, SDB_MISUSE, "merge: child %d cannot seek", i);
    else rc = sdb_iter_seek(c, pRange, pErr);
  }
  if (rc) {
    it->iCur = -1;
    it->base.bEof = 1;
    return rc;
  }
  mergePick(it);
  return SDB_OK;
}

static const SdbIterMethods mergeMethods = {mergeNext, mergeFree, mergeSeek};

int sdbMergeIterNew(SdbIter **apChild, int n, int bDesc, SdbIter **pp, SdbErr *pErr) {
  MergeIter *it = sdbMallocZero(sizeof(*it));
  SdbIter **a = sdbMalloc(sizeof(SdbIter *) * (size_t)(n ? n : 1));
  *pp = NULL;
  if (!it || !a) {
    for (int i = 0; i < n; i++) sdb_iter_free(apChild[i]);
    sdbFree(it);
    sdbFree(a);
    return SDB_NOMEM_ERR(pErr);
  }
  if (n) memcpy(a, apChild, sizeof(SdbIter *) * (size_t)n);
  it->base.pMethods = &mergeMethods;
  it->apChild = a;
  it->nChild = n;
  it->bDesc = bDesc;
  mergePick(it);
  *pp = &it->base;
  return SDB_OK;
}

/* ------------------------------------------------------------ concatenating */
typedef struct ConcatIter {
  SdbIter base;           /* must be first */
  void *pCtx;             /* owned via xCtxFree */
  SdbConcatOpen xOpen;
  void (*xCtxFree)(void *);
  SdbConcatRange xRange;  /* restricts the children to a range (seek); may be NULL */
  SdbIter *pChild;        /* current child, owned; NULL when exhausted */
  SdbIter *pOld;          /* the child that ran out at the last step, owned: its last
                          ** row stays valid until the next step (the lookahead rule) */
  int n;                  /* number of children */
  int iNext;              /* steps taken: next child is index iNext (or n-1-iNext) */
  int bDesc;
} ConcatIter;

/* Move to the next child that has an entry, or to EOF. With bKeep the
** current child, if it ran out, becomes pOld (REQUIRES pOld NULL then). */
static int concatAdvance(ConcatIter *it, int bKeep, SdbErr *pErr) {
  while (!it->pChild || it->pChild->bEof) {
    if (bKeep && it->pChild) it->pOld = it->pChild;
    else sdb_iter_free(it->pChild);
    bKeep = 0;
    it->pChild = NULL;
    if (it->iNext >= it->n) {
      it->base.bEof = 1;
      return SDB_OK;
    }
    int i = it->bDesc ? it->n - 1 - it->iNext : it->iNext;
    it->iNext++;
    int rc = it->xOpen(it->pCtx, i, it->bDesc, &it->pChild, pErr);
    if (rc) return rc;
  }
  it->base.bEof = 0;
  it->base.cur = it->pChild->cur;
  return SDB_OK;
}

static int concatNext(SdbIter *pIter, SdbErr *pErr) {
  ConcatIter *it = (ConcatIter *)pIter;
  if (!it->pChild) return SDB_OK;
  sdb_iter_free(it->pOld);   /* the row before the current one expires */
  it->pOld = NULL;
  int rc = sdb_iter_next(it->pChild, pErr);
  if (rc) return rc;
  return concatAdvance(it, 1, pErr);
}

static void concatFree(SdbIter *pIter) {
  ConcatIter *it = (ConcatIter *)pIter;
  sdb_iter_free(it->pChild);
  sdb_iter_free(it->pOld);
  if (it->xCtxFree) it->xCtxFree(it->pCtx);
  sdbFree(it);
}

/* xSeek: the context restricts the children to the new range, and the
** concatenation starts again from its first child there. */
static int concatSeek(SdbIter *pIter, const SdbRange *pRange, SdbErr *pErr) {
  ConcatIter *it = (ConcatIter *)pIter;
  sdb_iter_free(it->pChild);
  sdb_iter_free(it->pOld);
  it->pChild = it->pOld = NULL;
  it->iNext = 0;
  it->base.bEof = 1;
  int rc = it->xRange ? it->xRange(it->pCtx, pRange, &it->n, pErr)
                      : sdbErrSet(pErr, SDB_MISUSE, "concatenation cannot seek");
  if (rc == SDB_OK) rc = concatAdvance(it, 0, pErr);
  if (rc) {
    sdb_iter_free(it->pChild);
    it->pChild = NULL;
    it->iNext = it->n;
    it->base.bEof = 1;
  }
  return rc;
}

static const SdbIterMethods concatMethods = {concatNext, concatFree, concatSeek};

int sdbConcatIterNew(void *pCtx, int n, SdbConcatOpen xOpen, void (*xCtxFree)(void *),
                     SdbConcatRange xRange, int bDesc, SdbIter **pp, SdbErr *pErr) {
  ConcatIter *it = sdbMallocZero(sizeof(*it));
  *pp = NULL;
  if (!it) {
    if (xCtxFree) xCtxFree(pCtx);
    return SDB_NOMEM_ERR(pErr);
  }
  it->base.pMethods = &concatMethods;
  it->pCtx = pCtx;
  it->xOpen = xOpen;
  it->xCtxFree = xCtxFree;
  it->xRange = xRange;
  it->n = n;
  it->bDesc = bDesc;
  int rc = concatAdvance(it, 0, pErr);
  if (rc) {
    concatFree(&it->base);
    return rc;
  }
  *pp = &it->base;
  return SDB_OK;
}

/* ------------------------------------------------------------ visible rows */
typedef struct VisVersion {
  u64 seq;
  int eKind;
  size_t iOff, n;         /* value bytes in VisIter.vals */
  int bHasCreate, bHasExpire;
  i64 createTs, expireTs;
} VisVersion;

typedef struct VisIter {
  SdbIter base;           /* must be first */
  SdbIter *pM;            /* owned merging iterator */
  u64 maxSeq;
  int eMergeOp;
  void *pPin;             /* kept alive until free */
  void (*xUnpin)(void *);
  SdbBuf key;             /* current key (copy) */
  SdbBuf vals;            /* value bytes of the versions of the current key */
  SdbBuf out;             /* resolved merge value */
  VisVersion *aVer;       /* versions of the current key; reused */
  int nVer, nVerAlloc;
  int bSkipKey;           /* ascending: the rest of key's versions are still in pM */
  const u8 *pSkipKey;     /* ... and that key, borrowed from pM (visSkipKey) */
  size_t nSkipKey;
  int bDesc;              /* descending: a key's versions come in any seq order */
} VisIter;

static int visAddVersion(VisIter *it, const SdbEntry *e) {
  if (it->nVer == it->nVerAlloc) {
    int nNew = it->nVerAlloc ? it->nVerAlloc * 2 : 8;
    VisVersion *a = sdbRealloc(it->aVer, sizeof(VisVersion) * (size_t)nNew);
    if (!a) return SDB_NOMEM;
    it->aVer = a;
    it->nVerAlloc = nNew;
  }
  VisVersion *v = &it->aVer[it->nVer];
  v->seq = e->seq;
  v->eKind = e->eKind;
  v->iOff = it->vals.n;
  v->n = e->eKind == SDB_KIND_TOMBSTONE ? 0 : e->nVal;
  v->bHasCreate = e->bHasCreateTs;
  v->bHasExpire = e->bHasExpireTs;
  v->createTs = e->createTs;
  v->expireTs = e->expireTs;
  if (v->n && sdbBufAppend(&it->vals, e->pVal, v->n)) return SDB_NOMEM;
  /* Keep versions sorted by seq descending (insertion; usually one). */
  int i = it->nVer++;
  while (i > 0 && it->aVer[i - 1].seq < it->aVer[i].seq) {
    VisVersion t = it->aVer[i - 1];
    it->aVer[i - 1] = it->aVer[i];
    it->aVer[i] = t;
    i--;
  }
  return SDB_OK;
}

/* Collect every version of a key: *pFirst, when not NULL, one the merging
** iterator has just stepped past (valid by the lookahead rule), and those of
** its key the merging iterator is on; without pFirst, the key of m's entry. */
static int visGather(VisIter *it, const SdbEntry *pFirst, SdbErr *pErr) {
  SdbIter *m = it->pM;
  const SdbEntry *e = pFirst ? pFirst : &m->cur;
  it->nVer = 0;
  it->vals.n = 0;
  if (sdbBufSet(&it->key, e->pKey, e->nKey)) return SDB_NOMEM_ERR(pErr);
  if (pFirst && pFirst->seq <= it->maxSeq && visAddVersion(it, pFirst)) return SDB_NOMEM_ERR(pErr);
  while (!m->bEof && sdbKeyEq(m->cur.pKey, m->cur.nKey, it->key.a, it->key.n)) {
    if (m->cur.seq <= it->maxSeq && visAddVersion(it, &m->cur)) return SDB_NOMEM_ERR(pErr);
    int rc = sdb_iter_next(m, pErr);
    if (rc) return rc;
  }
  return SDB_OK;
}

/* Fold merge operands aVer[0..iBase) onto the base version (if any) with the
** concatenation operator: base ++ oldest ++ ... ++ newest. */
static int visFoldConcat(VisIter *it, int iBase) {
  it->out.n = 0;
  if (iBase < it->nVer && it->aVer[iBase].eKind == SDB_KIND_VALUE) {
    VisVersion *b = &it->aVer[iBase];
    if (sdbBufAppend(&it->out, it->vals.a + b->iOff, b->n)) return SDB_NOMEM;
  }
  for (int i = iBase - 1; i >= 0; i--) {
    VisVersion *v = &it->aVer[i];
    if (i + 1 < it->nVer && it->aVer[i + 1].seq == v->seq) continue;  /* duplicate */
    if (sdbBufAppend(&it->out, it->vals.a + v->iOff, v->n)) return SDB_NOMEM;
  }
  return SDB_OK;
}

/* Metadata of a merged row, as SlateDB's merge iterator computes it over the
** operands aVer[0..iBase) and the base value (if any): seq and create_ts are
** the largest present, expire_ts the smallest present. */
static void visMergedMeta(VisIter *it, int iBase, SdbEntry *e) {
  int iEnd = (iBase < it->nVer && it->aVer[iBase].eKind == SDB_KIND_VALUE) ? iBase + 1 : iBase;
  e->bHasCreateTs = e->bHasExpireTs = 0;
  e->createTs = e->expireTs = 0;
  for (int i = 0; i < iEnd; i++) {
    const VisVersion *v = &it->aVer[i];
    if (v->seq > e->seq) e->seq = v->seq;
    if (v->bHasCreate && (!e->bHasCreateTs || v->createTs > e->createTs)) {
      e->bHasCreateTs = 1;
      e->createTs = v->createTs;
    }
    if (v->bHasExpire && (!e->bHasExpireTs || v->expireTs < e->expireTs)) {
      e->bHasExpireTs = 1;
      e->expireTs = v->expireTs;
    }
  }
}

/* Resolve the gathered versions. *pbRow = 1 if the key has a visible value. */
static int visResolve(VisIter *it, int *pbRow, SdbErr *pErr) {
  *pbRow = 0;
  if (it->nVer == 0 || it->aVer[0].eKind == SDB_KIND_TOMBSTONE) return SDB_OK;
  VisVersion *top = &it->aVer[0];
  SdbEntry *e = &it->base.cur;
  e->pKey = it->key.a;
  e->nKey = it->key.n;
  e->seq = top->seq;
  e->eKind = SDB_KIND_VALUE;
  e->bHasCreateTs = top->bHasCreate;
  e->bHasExpireTs = top->bHasExpire;
  e->createTs = top->createTs;
  e->expireTs = top->expireTs;
  if (top->eKind == SDB_KIND_VALUE) {
    e->pVal = it->vals.a + top->iOff;
    e->nVal = top->n;
    *pbRow = 1;
    return SDB_OK;
  }
  if (it->eMergeOp != SDB_MERGE_CONCAT) {
    char zHex[80];
    sdbHexForMsg(it->key.a, it->key.n, zHex, sizeof(zHex));
    return sdbErrSet(pErr, SDB_ERROR,
                     "key x'%s' holds merge operands and no merge operator is configured "
                     "(use merge_operator=concat)", zHex);
  }
  int iBase = 0;
  while (iBase < it->nVer && it->aVer[iBase].eKind == SDB_KIND_MERGE) iBase++;
  if (visFoldConcat(it, iBase)) return SDB_NOMEM_ERR(pErr);
  visMergedMeta(it, iBase, e);
  e->pVal = it->out.a;
  e->nVal = it->out.n;
  *pbRow = 1;
  return SDB_OK;
}

/*
** Advance the merging iterator past the versions of the key at pSkipKey, a
** key borrowed from the merge's current entry. Each step keeps the pointer
** valid (the lookahead rule: an entry outlives one more step): after a step
** that lands on the same key, pSkipKey moves to that newer entry's key.
*/
static int visSkipKey(VisIter *it, SdbErr *pErr) {
  SdbIter *m = it->pM;
  it->bSkipKey = 0;
  while (!m->bEof && sdbKeyEq(m->cur.pKey, m->cur.nKey, it->pSkipKey, it->nSkipKey)) {
    it->pSkipKey = m->cur.pKey;
    int rc = sdb_iter_next(m, pErr);
    if (rc) return rc;
  }
  return SDB_OK;
}

/*
** Move to the next visible row, ascending. Versions newer than maxSeq are
** passed over. A key's versions come newest first, so when the newest
** visible one is a value it is the row, borrowed from the merging iterator
** without a copy (its key too: the next step skips the older versions by
** comparing with it, see visSkipKey) and a tombstone hides the key. A merge operand makes the key's
** versions gathered (copied) and folded.
*/
static int visStepAsc(VisIter *it, SdbErr *pErr) {
  SdbIter *m = it->pM;
  for (;;) {
    int rc = it->bSkipKey ? visSkipKey(it, pErr) : SDB_OK;
    if (rc) return rc;
    if (m->bEof) {
      it->base.bEof = 1;
      return SDB_OK;
    }
    if (m->cur.seq > it->maxSeq) {
      if ((rc = sdb_iter_next(m, pErr))) return rc;
      continue;
    }
    if (m->cur.eKind == SDB_KIND_MERGE) {
      int bRow;
      rc = visGather(it, NULL, pErr);
      if (rc == SDB_OK) rc = visResolve(it, &bRow, pErr);
      if (rc) return rc;
      if (bRow) break;
      continue;
    }
    it->pSkipKey = m->cur.pKey;       /* borrowed: the skip at the next step */
    it->nSkipKey = m->cur.nKey;
    it->bSkipKey = 1;
    if (m->cur.eKind == SDB_KIND_TOMBSTONE) continue;
    it->base.cur = m->cur;
    break;
  }
  it->base.bEof = 0;
  return SDB_OK;
}

/*
** Move to the next visible row, descending. A child yields a key's versions
** oldest first, so the merge yields them in no useful order; but a key
** usually has one version. The step takes the merge's entry and steps the
** merge once: the entry stays valid across that step (the lookahead rule,
** merge.h), and when the merge has moved on to another key the entry is the
** key's only version: a value within maxSeq is the row, borrowed without a
** copy (not even of the key); a tombstone, or a version above maxSeq, means
** no row. Only a key with several versions, or a lone merge operand, has
** its versions gathered (copied), sorted and resolved.
*/
static int visStepDesc(VisIter *it, SdbErr *pErr) {
  SdbIter *m = it->pM;
  for (;;) {
    if (m->bEof) {
      it->base.bEof = 1;
      return SDB_OK;
    }
    SdbEntry *e = &it->base.cur;   /* the row, if it is one: copied once, in place */
    *e = m->cur;
    int rc = sdb_iter_next(m, pErr);
    if (rc) return rc;
    if (m->bEof || !sdbKeyEq(m->cur.pKey, m->cur.nKey, e->pKey, e->nKey)) {
      if (e->seq > it->maxSeq || e->eKind == SDB_KIND_TOMBSTONE) continue;
      if (e->eKind == SDB_KIND_VALUE) break;
    }
    int bRow;
    rc = visGather(it, e, pErr);   /* copies *e before visResolve sets base.cur */
    if (rc == SDB_OK) rc = visResolve(it, &bRow, pErr);
    if (rc) return rc;
    if (bRow) break;
  }
  it->base.bEof = 0;
  return SDB_OK;
}

static int visStep(VisIter *it, SdbErr *pErr) {
  return it->bDesc ? visStepDesc(it, pErr) : visStepAsc(it, pErr);
}

/* xNext, one per direction (the method table says which, no test per row). */
static int visNextAsc(SdbIter *pIter, SdbErr *pErr) {
  VisIter *it = (VisIter *)pIter;
  return it->base.bEof ? SDB_OK : visStepAsc(it, pErr);
}

static int visNextDesc(SdbIter *pIter, SdbErr *pErr) {
  VisIter *it = (VisIter *)pIter;
  return it->base.bEof ? SDB_OK : visStepDesc(it, pErr);
}

static void visFree(SdbIter *pIter) {
  VisIter *it = (VisIter *)pIter;
  sdb_iter_free(it->pM);
  sdbBufFree(&it->key);
  sdbBufFree(&it->vals);
  sdbBufFree(&it->out);
  sdbFree(it->aVer);
  if (it->xUnpin) it->xUnpin(it->pPin);
  sdbFree(it);
}

/* xSeek: the merge seeks; the versions gathered so far are forgotten. */
static int visSeek(SdbIter *pIter, const SdbRange *pRange, SdbErr *pErr) {
  VisIter *it = (VisIter *)pIter;
  it->bSkipKey = 0;
  it->nVer = 0;
  it->base.bEof = 1;
  int rc = sdb_iter_can_seek(it->pM) ? sdb_iter_seek(it->pM, pRange, pErr)
                                     : sdbErrSet(pErr, SDB_MISUSE, "visible rows: merge cannot seek");
  if (rc == SDB_OK) rc = visStep(it, pErr);
  if (rc) it->base.bEof = 1;
  return rc;
}

static const SdbIterMethods visMethodsAsc = {visNextAsc, visFree, visSeek};
static const SdbIterMethods visMethodsDesc = {visNextDesc, visFree, visSeek};

int sdbVisibleIterNew(SdbIter *pMerged, int bDesc, u64 maxSeq, int eMergeOp, void *pPin,
                      void (*xUnpin)(void *), SdbIter **pp, SdbErr *pErr) {
  VisIter *it = sdbMallocZero(sizeof(*it));
  *pp = NULL;
  if (!it) {
    sdb_iter_free(pMerged);
    if (xUnpin) xUnpin(pPin);
    return SDB_NOMEM_ERR(pErr);
  }
  it->base.pMethods = bDesc ? &visMethodsDesc : &visMethodsAsc;
  it->pM = pMerged;
  it->bDesc = bDesc;
  it->maxSeq = maxSeq;
  it->eMergeOp = eMergeOp;
  it->pPin = pPin;
  it->xUnpin = xUnpin;
  int rc = visStep(it, pErr);
  if (rc) {
    visFree(&it->base);
    return rc;
  }
  *pp = &it->base;
  return SDB_OK;
}
