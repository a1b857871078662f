/*
** compactor.c: SlateDB 0.12.1's size-tiered compaction (compactor.h;
** spec/MANIFEST.md §6).
**
** Scheduler (slatedb/src/size_tiered_compaction.rs, SizeTieredCompactionScheduler):
**   sizes: an SST is index_offset + index_len; a run is the sum of its SSTs.
**   1. L0: with >= min_compaction_sources L0s, the oldest <= max of them go
**      into a new run, id = highest run id + 1 (0 when there is none), unless
**      the backpressure check rejects it (below; next run = the newest run).
**   2. Runs: for each start i (newest first), extend over the older runs while
**      each next run's size <= (u64)((f32)smallest-so-far * threshold); after
**      adding run j, backpressure with next = run j+1 may pop j and stop. With
**      >= min runs, keep the OLDEST <= max of them (the newest are popped)
**      and merge them into the lowest id (the oldest). First match wins.
**   Backpressure: reject when next.size <= (u64)((f32)sum(sources) *
**      threshold) and the unchecked compactable run starting at next is
**      already >= max_compaction_sources long.
**   SlateDB's conflict check (sources used by active compactions) is the
**   caller's business: this module assumes no other compaction is running.
**
** Executor: one merging iterator over the sources (all versions, key order,
** newest first), the retention rules of compactor.h applied per key, output
** SSTs (format version 2) cut at key boundaries once the builder's estimate
** exceeds max_sst_size, each stored at once with a plain PUT as
** compacted/<ULID>.sst (ULIDs increase within one output). Only one output
** SST is in memory at a time; the per-key state reuses buffers.
**
** Apply: edits a decoded manifest in place, as SlateDB's finish_compaction:
** sources out, output run in (also when it holds no SST), l0_last_compacted.
** Unlike SlateDB, which silently replaces an existing destination run that
** is not a source, that case is SDB_CONFLICT here (it cannot arise from this
** scheduler without a concurrent compactor).
*/
#include <stdio.h>

#include "db/compactor.h"
#include "db/merge.h"

/* ================================================================ options */

/* SlateDB 0.12.1's CompactorOptions / SizeTieredCompactionSchedulerOptions. */
void sdbCompactorOptionsDefault(SdbCompactorOptions *p) {
  memset(p, 0, sizeof(*p));
  p->nMinSources = 4;
  p->nMaxSources = 8;
  p->includeSizeThreshold = 4.0;
  p->maxSstSize = 256ull << 20;
  p->pollIntervalMs = 5000;
}

/* Free the spec's arrays and zero it. NULL-safe. */
void sdbCompactionSpecClear(SdbCompactionSpec *p) {
  if (!p) return;
  sdbFree(p->aL0);
  sdbFree(p->aRunId);
  memset(p, 0, sizeof(*p));
}

/* ================================================================ scheduler */

/* 1 if two ULIDs are equal. */
static int cpUlidEq(SdbUlid a, SdbUlid b) { return a.hi == b.hi && a.lo == b.lo; }

/* Estimated size of one SST (SlateDB's SsTableHandle::estimate_size). */
static u64 cpSstSize(const SdbSstHandle *h) { return h->info.indexOffset + h->info.indexLen; }

/* Estimated size of a sorted run: the sum over its SSTs. */
static u64 cpRunSize(const SdbSortedRun *r) {
  u64 n = 0;
  for (int i = 0; i < r->nSst; i++) n += cpSstSize(&r->aSst[i]);
  return n;
}

/* (size as f32 * threshold) as u64, with Rust's f32 arithmetic and its
** saturating float-to-int cast. */
static u64 cpScaled(u64 size, double threshold) {
  float f = (float)size * (float)threshold;
  if (!(f > 0.0f)) return 0;
  if (f >= 18446744073709551615.0f) return UINT64_MAX;
  return (u64)f;
}

/* Scheduler inputs: run sizes (manifest order, newest first) and, per run,
** the length of the unchecked compactable run starting there. */
typedef struct CpSched {
  const SdbCompactorOptions *pOpt;
  u64 *aSize;             /* nRun sizes; owned */
  int *aLongest;          /* nRun lengths; owned */
  int nRun;
} CpSched;

/* SlateDB's BackpressureChecker: 0 if a compaction of total size `sum`
** whose output would sit next to run iNext (may be nRun: none) must wait. */
static int cpBackpressureOk(const CpSched *s, u64 sum, int iNext) {
  if (iNext >= s->nRun) return 1;
  if (s->aSize[iNext] > cpScaled(sum, s->pOpt->includeSizeThreshold)) return 1;
  return s->aLongest[iNext] < s->pOpt->nMaxSources;
}

/* SlateDB's build_compactable_run: how many consecutive runs from iStart
** have similar sizes (each <= smallest so far * threshold). With bCheck,
** the backpressure check runs after each addition and may stop it. */
static int cpCompactableRun(const CpSched *s, int iStart, int bCheck) {
  u64 minSz = 0, sum = 0;
  int n = 0;
  for (int i = iStart; i < s->nRun; i++) {
    u64 sz = s->aSize[i];
    if (n > 0 && sz > cpScaled(minSz, s->pOpt->includeSizeThreshold)) break;
    if (n == 0 || sz < minSz) minSz = sz;
    n++;
    sum += sz;
    if (bCheck && !cpBackpressureOk(s, sum, i + 1)) {
      n--;
      break;
    }
  }
  return n;
}

/* Fill s from m. -1 on OOM. */
static int cpSchedInit(CpSched *s, const SdbManifest *m, const SdbCompactorOptions *pOpt) {
  memset(s, 0, sizeof(*s));
  s->pOpt = pOpt;
  s->nRun = m->nRun;
  s->aSize = sdbMallocZero(sizeof(u64) * (size_t)(m->nRun + 1));
  s->aLongest = sdbMallocZero(sizeof(int) * (size_t)(m->nRun + 1));
  if (!s->aSize || !s->aLongest) return -1;
  for (int i = 0; i < m->nRun; i++) s->aSize[i] = cpRunSize(&m->aRun[i]);
  for (int i = 0; i < m->nRun; i++) s->aLongest[i] = cpCompactableRun(s, i, 0);
  return 0;
}

/* Release cpSchedInit's arrays. */
static void cpSchedFree(CpSched *s) {
  sdbFree(s->aSize);
  sdbFree(s->aLongest);
}

/* Spec for the oldest n L0s of m (by view id, as SlateDB's SourceId::SstView)
** into run dst. 1, or -1 on OOM. */
static int cpSpecL0(const SdbManifest *m, int n, u32 dst, SdbCompactionSpec *p) {
  memset(p, 0, sizeof(*p));
  p->aL0 = sdbMalloc(sizeof(SdbUlid) * (size_t)n);
  if (!p->aL0) return -1;
  for (int i = 0; i < n; i++) p->aL0[i] = m->aL0[m->nL0 - n + i].viewId;
  p->nL0 = n;
  p->dstRunId = dst;
  p->bBottom = m->nRun == 0;
  return 1;
}

/* Spec for runs m->aRun[i0 .. i0+n) into the oldest of them. 1, or -1. */
static int cpSpecRuns(const SdbManifest *m, int i0, int n, SdbCompactionSpec *p) {
  memset(p, 0, sizeof(*p));
  p->aRunId = sdbMalloc(sizeof(u32) * (size_t)n);
  if (!p->aRunId) return -1;
  for (int i = 0; i < n; i++) p->aRunId[i] = m->aRun[i0 + i].id;
  p->nRun = n;
  p->dstRunId = m->aRun[i0 + n - 1].id;
  p->bBottom = i0 + n == m->nRun;
  return 1;
}

/* Rule 1: the oldest L0s into a new run. 1 with *pSpec, 0, or -1. */
static int cpPickL0(const SdbManifest *m, const CpSched *s, SdbCompactionSpec *pSpec) {
  if (m->nL0 < s->pOpt->nMinSources) return 0;
  int n = SDB_MIN(m->nL0, s->pOpt->nMaxSources);
  u64 sum = 0;
  for (int i = m->nL0 - n; i < m->nL0; i++) sum += cpSstSize(&m->aL0[i]);
  if (!cpBackpressureOk(s, sum, 0)) return 0;
  return cpSpecL0(m, n, m->nRun ? m->aRun[0].id + 1 : 0, pSpec);
}

/* Rule 2: similar-sized neighbouring runs. 1 with *pSpec, 0, or -1. */
static int cpPickRuns(const SdbManifest *m, const CpSched *s, SdbCompactionSpec *pSpec) {
  for (int i = 0; i < m->nRun; i++) {
    int n = cpCompactableRun(s, i, 1);
    if (n < s->pOpt->nMinSources) continue;
    int k = SDB_MIN(n, s->pOpt->nMaxSources);
    return cpSpecRuns(m, i + n - k, k, pSpec);
  }
  return 0;
}

/* See compactor.h. */
int sdbCompactPick(const SdbManifest *m, const SdbCompactorOptions *pOpt, SdbCompactionSpec *pSpec) {
  CpSched s;
  memset(pSpec, 0, sizeof(*pSpec));
  int rc = cpSchedInit(&s, m, pOpt);
  if (rc == 0) rc = cpPickL0(m, &s, pSpec);
  if (rc == 0) rc = cpPickRuns(m, &s, pSpec);
  cpSchedFree(&s);
  if (rc < 0) sdbCompactionSpecClear(pSpec);
  return rc;
}

/* ================================================================ executor */

/* A held-back tombstone (bottom compactions): its key is CpExec.key. */
typedef struct CpTomb {
  u64 seq;
  int bHasCreateTs, bHasExpireTs;
  i64 createTs, expireTs;
} CpTomb;

typedef struct CpExec {
  SdbDb *db;
  SdbSstOptions sstOpt;   /* output settings (bWal = 0) */
  u64 maxSstSize;
  u64 minSeq;             /* recent_snapshot_min_seq */
  i64 cutoff;             /* last_l0_clock_tick: expire_ts <= this -> tombstone */
  int bBottom;            /* drop tombstones that end a key's history */
  SdbCompactionOutput *pOut;   /* stored SSTs so far */
  SdbSstBuilder *pB;      /* current output SST, or NULL */
  SdbBuf sst;             /* encoded SST, reused */
  SdbBuf key;             /* current key (copy), reused */
  int bHaveKey;
  int bStop;              /* the rest of the current key's versions go */
  u64 lastSeq;            /* seq of the previous version of the key */
  CpTomb *aPend;          /* held-back tombstones of the current key; reused */
  int nPend, nPendAlloc;
  SdbUlid lastId;         /* last output id (ids increase) */
} CpExec;

/* A fresh ULID greater than x->lastId. */
static int cpNextId(CpExec *x, SdbUlid *p, SdbErr *pErr) {
  if (sdbUlidNew(p)) return sdbErrSet(pErr, SDB_IOERR, "no randomness for a ULID");
  if (p->hi < x->lastId.hi || (p->hi == x->lastId.hi && p->lo <= x->lastId.lo)) {
    *p = x->lastId;
    if (++p->lo == 0) p->hi++;
  }
  x->lastId = *p;
  return SDB_OK;
}

/* Append a handle for stored SST id (info ownership taken) to the output. */
static int cpOutAdd(SdbCompactionOutput *o, SdbUlid id, SdbSstInfo *pInfo, SdbErr *pErr) {
  SdbSstHandle *a = sdbRealloc(o->aSst, sizeof(SdbSstHandle) * (size_t)(o->nSst + 1));
  if (!a) return SDB_NOMEM_ERR(pErr);
  o->aSst = a;
  SdbSstHandle *h = &a[o->nSst++];
  memset(h, 0, sizeof(*h));
  h->id = h->viewId = id;
  h->bHasFormatVersion = 1;
  h->formatVersion = 2;
  h->info = *pInfo;
  memset(pInfo, 0, sizeof(*pInfo));
  return SDB_OK;
}

/* Finish the current output SST, store it (plain PUT) and record it. */
static int cpFinishSst(CpExec *x, SdbErr *pErr) {
  SdbSstInfo info;
  SdbUlid id;
  char zKey[48], zId[27];
  memset(&info, 0, sizeof(info));
  int rc = sdbSstBuilderFinish(x->pB, &x->sst, &info, pErr);
  sdbSstBuilderFree(x->pB);
  x->pB = NULL;
  if (rc == SDB_OK) rc = cpNextId(x, &id, pErr);
  if (rc == SDB_OK) {
    sdbUlidFormat(id, zId);
    snprintf(zKey, sizeof(zKey), "compacted/%s.sst", zId);
    rc = x->db->pStore->pMethods->xPut(x->db->pStore, zKey, x->sst.a, x->sst.n, 0, pErr);
  }
  if (rc == SDB_OK) rc = cpOutAdd(x->pOut, id, &info, pErr);
  sdbSstInfoClear(&info);
  if (rc) sdbErrWrap(pErr, "compaction output: ");
  return rc;
}

/* Add one row to the current output SST (started on demand). */
static int cpEmit(CpExec *x, const SdbEntry *e, SdbErr *pErr) {
  if (!x->pB && !(x->pB = sdbSstBuilderNew(&x->sstOpt))) return SDB_NOMEM_ERR(pErr);
  return sdbSstBuilderAdd(x->pB, e, pErr);
}

/* Emit the held-back tombstones of the current key (a later version of it
** is kept, so they are not the end of its history). */
static int cpFlushPending(CpExec *x, SdbErr *pErr) {
  int rc = SDB_OK;
  for (int i = 0; rc == SDB_OK && i < x->nPend; i++) {
    SdbEntry e;
    memset(&e, 0, sizeof(e));
    e.pKey = x->key.a;
    e.nKey = x->key.n;
    e.eKind = SDB_KIND_TOMBSTONE;
    e.seq = x->aPend[i].seq;
    e.bHasCreateTs = x->aPend[i].bHasCreateTs;
    e.createTs = x->aPend[i].createTs;
    e.bHasExpireTs = x->aPend[i].bHasExpireTs;
    e.expireTs = x->aPend[i].expireTs;
    rc = cpEmit(x, &e, pErr);
  }
  x->nPend = 0;
  return rc;
}

/* Hold back tombstone e of the current key. */
static int cpHoldTomb(CpExec *x, const SdbEntry *e, SdbErr *pErr) {
  if (x->nPend == x->nPendAlloc) {
    int nNew = x->nPendAlloc ? x->nPendAlloc * 2 : 8;
    CpTomb *a = sdbRealloc(x->aPend, sizeof(CpTomb) * (size_t)nNew);
    if (!a) return SDB_NOMEM_ERR(pErr);
    x->aPend = a;
    x->nPendAlloc = nNew;
  }
  CpTomb *t = &x->aPend[x->nPend++];
  t->seq = e->seq;
  t->bHasCreateTs = e->bHasCreateTs;
  t->createTs = e->createTs;
  t->bHasExpireTs = e->bHasExpireTs;
  t->expireTs = e->expireTs;
  return SDB_OK;
}

/* A new key starts: forget the previous key's held-back tombstones (they
** ended its history at the bottom), cut the output SST if it is full, and
** reset the per-key state. */
static int cpStartKey(CpExec *x, const SdbEntry *e, SdbErr *pErr) {
  x->nPend = 0;
  if (x->pB && sdbSstBuilderEstimate(x->pB) > x->maxSstSize) {
    int rc = cpFinishSst(x, pErr);
    if (rc) return rc;
  }
  if (sdbBufSet(&x->key, e->pKey, e->nKey)) return SDB_NOMEM_ERR(pErr);
  x->bHaveKey = 1;
  x->bStop = 0;
  return SDB_OK;
}

/* Apply the retention rules to one version of the current key (versions
** arrive newest first): an expired merge operand (expire_ts <= cutoff) is
** dropped without ending the key's history, as SlateDB's RetentionIterator
** does; an expired value becomes a tombstone; versions after the
** boundary (the first non-merge version with seq <= minSeq) dropped;
** tombstones at the bottom held back until an older kept version shows
** they are not the end of the key's history. */
static int cpVersion(CpExec *x, const SdbEntry *pE, SdbErr *pErr) {
  if (x->bStop) return SDB_OK;
  if (pE->eKind == SDB_KIND_MERGE && pE->bHasExpireTs && pE->expireTs <= x->cutoff) return SDB_OK;
  SdbEntry e = *pE;
  if (e.eKind == SDB_KIND_VALUE && e.bHasExpireTs && e.expireTs <= x->cutoff) {
    e.eKind = SDB_KIND_TOMBSTONE;
    e.pVal = NULL;
    e.nVal = 0;
    e.bHasExpireTs = 0;
    e.expireTs = 0;
  }
  if (e.seq <= x->minSeq && e.eKind != SDB_KIND_MERGE) x->bStop = 1;
  if (x->bBottom && e.eKind == SDB_KIND_TOMBSTONE) return cpHoldTomb(x, &e, pErr);
  int rc = cpFlushPending(x, pErr);
  if (rc == SDB_OK) rc = cpEmit(x, &e, pErr);
  return rc;
}

/* Walk the merged rows through the retention rules into output SSTs. */
static int cpWalk(CpExec *x, SdbIter *it, SdbErr *pErr) {
  int rc = SDB_OK;
  while (rc == SDB_OK && !it->bEof) {
    const SdbEntry *e = &it->cur;
    if (!x->bHaveKey || sdbKeyCmp(x->key.a, x->key.n, e->pKey, e->nKey) != 0) {
      rc = cpStartKey(x, e, pErr);
      if (rc == SDB_OK) rc = cpVersion(x, e, pErr);
    } else if (e->seq != x->lastSeq) {   /* equal seq: a duplicate copy */
      rc = cpVersion(x, e, pErr);
    }
    x->lastSeq = e->seq;
    if (rc == SDB_OK) rc = sdb_iter_next(it, pErr);
  }
  x->nPend = 0;
  if (rc == SDB_OK && x->pB) rc = cpFinishSst(x, pErr);
  return rc;
}

/* The L0 table of v whose view has id viewId, or NULL (v->apL0[i] is the
** table of v->pManifest->aL0[i]). */
static DbTable *cpFindL0(DbVersion *v, SdbUlid viewId) {
  for (int i = 0; i < v->nL0 && i < v->pManifest->nL0; i++) {
    if (cpUlidEq(v->pManifest->aL0[i].viewId, viewId)) return v->apL0[i];
  }
  return NULL;
}

/* The run of v with id, or NULL. */
static DbRun *cpFindRun(DbVersion *v, u32 id) {
  for (int i = 0; i < v->nRun; i++) {
    if (v->aRun[i].id == id) return &v->aRun[i];
  }
  return NULL;
}

/* Open one child iterator per source (newest first) into ap[]; *pn gets the
** count (sources with no rows open nothing). On error the children opened
** so far stay in ap[0..*pn) for the caller to free. */
static int cpOpenSources(SdbDb *db, DbVersion *v, const SdbCompactionSpec *p, SdbIter **ap,
                         int *pn, SdbErr *pErr) {
  int rc = SDB_OK;
  *pn = 0;
  for (int i = 0; rc == SDB_OK && i < p->nL0; i++) {
    DbTable *t = cpFindL0(v, p->aL0[i]);
    if (!t) return sdbErrSet(pErr, SDB_CONFLICT, "compaction source L0 is not in the version");
    rc = sdbDbTableIter(db, t, NULL, 0, &ap[*pn], pErr);
    if (rc == SDB_OK && ap[*pn]) (*pn)++;
  }
  for (int i = 0; rc == SDB_OK && i < p->nRun; i++) {
    DbRun *d = cpFindRun(v, p->aRunId[i]);
    if (!d) return sdbErrSet(pErr, SDB_CONFLICT, "compaction source run %u is not in the version",
                             (unsigned)p->aRunId[i]);
    rc = sdbDbRunIter(db, d, NULL, 0, &ap[*pn], pErr);
    if (rc == SDB_OK && ap[*pn]) (*pn)++;
  }
  return rc;
}

/* The merging iterator over all sources of p. Caller owns *pp. */
static int cpMergedSources(SdbDb *db, DbVersion *v, const SdbCompactionSpec *p, SdbIter **pp,
                           SdbErr *pErr) {
  int n = 0;
  SdbIter **ap = sdbMallocZero(sizeof(SdbIter *) * (size_t)(p->nL0 + p->nRun + 1));
  *pp = NULL;
  if (!ap) return SDB_NOMEM_ERR(pErr);
  int rc = cpOpenSources(db, v, p, ap, &n, pErr);
  if (rc == SDB_OK) {
    rc = sdbMergeIterNew(ap, n, 0, pp, pErr);   /* takes the children */
  } else {
    for (int i = 0; i < n; i++) sdb_iter_free(ap[i]);
  }
  sdbFree(ap);
  return rc;
}

/* Best effort: delete the SSTs stored so far and empty the output. */
static void cpDiscardOutput(SdbDb *db, SdbCompactionOutput *pOut) {
  for (int i = 0; i < pOut->nSst; i++) {
    char zKey[48], zId[27];
    SdbErr err;
    sdb_err_clear(&err);
    sdbUlidFormat(pOut->aSst[i].id, zId);
    snprintf(zKey, sizeof(zKey), "compacted/%s.sst", zId);
    db->pStore->pMethods->xDelete(db->pStore, zKey, &err);
  }
  sdbCompactionOutputClear(pOut);
}

/* Free the output's handles and zero it. NULL-safe. */
void sdbCompactionOutputClear(SdbCompactionOutput *p) {
  if (!p) return;
  for (int i = 0; i < p->nSst; i++) sdbSstHandleClear(&p->aSst[i]);
  sdbFree(p->aSst);
  memset(p, 0, sizeof(*p));
}

/* See compactor.h. */
int sdbCompactExecute(SdbDb *db, DbVersion *v, const SdbCompactionSpec *pSpec,
                      const SdbCompactorOptions *pOpt, const SdbSstOptions *pSstOpt,
                      SdbCompactionOutput *pOut, SdbErr *pErr) {
  CpExec x;
  SdbIter *it = NULL;
  memset(&x, 0, sizeof(x));
  memset(pOut, 0, sizeof(*pOut));
  x.db = db;
  x.sstOpt = *pSstOpt;
  x.sstOpt.bWal = 0;
  x.maxSstSize = pOpt->maxSstSize;
  x.minSeq = v->pManifest->recentSnapshotMinSeq;
  x.cutoff = v->pManifest->lastL0ClockTick;
  x.bBottom = pSpec->bBottom;
  x.pOut = pOut;
  int rc = cpMergedSources(db, v, pSpec, &it, pErr);
  if (rc == SDB_OK) rc = cpWalk(&x, it, pErr);
  sdb_iter_free(it);
  sdbSstBuilderFree(x.pB);
  sdbBufFree(&x.sst);
  sdbBufFree(&x.key);
  sdbFree(x.aPend);
  if (rc) cpDiscardOutput(db, pOut);
  return rc;
}

/* ================================================================ apply */

/* Index of the L0 whose view id is viewId in m, or -1. */
static int cpL0Index(const SdbManifest *m, SdbUlid viewId) {
  for (int i = 0; i < m->nL0; i++) {
    if (cpUlidEq(m->aL0[i].viewId, viewId)) return i;
  }
  return -1;
}

/* Index of run id in m, or -1. */
static int cpRunIndex(const SdbManifest *m, u32 id) {
  for (int i = 0; i < m->nRun; i++) {
    if (m->aRun[i].id == id) return i;
  }
  return -1;
}

/* 1 if run id is one of p's sources. */
static int cpIsSourceRun(const SdbCompactionSpec *p, u32 id) {
  for (int i = 0; i < p->nRun; i++) {
    if (p->aRunId[i] == id) return 1;
  }
  return 0;
}

/* SDB_CONFLICT unless every source of p is in m and the destination id is
** free (or a source). */
static int cpCheckSources(const SdbManifest *m, const SdbCompactionSpec *p, SdbErr *pErr) {
  for (int i = 0; i < p->nL0; i++) {
    if (cpL0Index(m, p->aL0[i]) < 0) {
      return sdbErrSet(pErr, SDB_CONFLICT, "compaction: a source L0 SST is no longer in the manifest");
    }
  }
  for (int i = 0; i < p->nRun; i++) {
    if (cpRunIndex(m, p->aRunId[i]) < 0) {
      return sdbErrSet(pErr, SDB_CONFLICT, "compaction: source run %u is no longer in the manifest",
                       (unsigned)p->aRunId[i]);
    }
  }
  if (cpRunIndex(m, p->dstRunId) >= 0 && !cpIsSourceRun(p, p->dstRunId)) {
    return sdbErrSet(pErr, SDB_CONFLICT, "compaction: destination run %u already exists",
                     (unsigned)p->dstRunId);
  }
  return SDB_OK;
}

/* Deep copy of the output's handles into a new run (caller owns). */
static int cpCopyRun(const SdbCompactionSpec *p, const SdbCompactionOutput *o, SdbSortedRun *r,
                     SdbErr *pErr) {
  memset(r, 0, sizeof(*r));
  r->id = p->dstRunId;
  if (o->nSst == 0) return SDB_OK;
  r->aSst = sdbMallocZero(sizeof(SdbSstHandle) * (size_t)o->nSst);
  if (!r->aSst) return SDB_NOMEM_ERR(pErr);
  for (int i = 0; i < o->nSst; i++) {
    SdbSstHandle *h = &r->aSst[i];
    *h = o->aSst[i];
    memset(&h->info, 0, sizeof(h->info));
    memset(&h->visStart, 0, sizeof(h->visStart));
    memset(&h->visEnd, 0, sizeof(h->visEnd));
    h->bHasVisibleRange = 0;
    r->nSst = i + 1;
    if (sdbSstInfoCopy(&h->info, &o->aSst[i].info)) return SDB_NOMEM_ERR(pErr);
  }
  return SDB_OK;
}

/* Remove the consumed L0 handles from m (freeing them). */
static void cpDropL0s(SdbManifest *m, const SdbCompactionSpec *p) {
  int j = 0;
  for (int i = 0; i < m->nL0; i++) {
    int bGone = 0;
    for (int k = 0; k < p->nL0 && !bGone; k++) {
      bGone = cpUlidEq(m->aL0[i].viewId, p->aL0[k]);
    }
    if (bGone) sdbSstHandleClear(&m->aL0[i]);
    else m->aL0[j++] = m->aL0[i];
  }
  m->nL0 = j;
}

/* Rebuild m->aRun into aNew (room for every kept run + 1): the kept runs and
** pNew (ownership taken) in descending id order. Frees the consumed runs. */
static void cpRebuildRuns(SdbManifest *m, const SdbCompactionSpec *p, SdbSortedRun *pNew,
                          SdbSortedRun *aNew) {
  int n = 0, bIn = 0;
  for (int i = 0; i < m->nRun; i++) {
    SdbSortedRun *r = &m->aRun[i];
    if (!bIn && pNew->id >= r->id) {
      aNew[n++] = *pNew;
      bIn = 1;
    }
    if (cpIsSourceRun(p, r->id)) {
      for (int k = 0; k < r->nSst; k++) sdbSstHandleClear(&r->aSst[k]);
      sdbFree(r->aSst);
    } else {
      aNew[n++] = *r;
    }
  }
  if (!bIn) aNew[n++] = *pNew;
  sdbFree(m->aRun);
  m->aRun = aNew;
  m->nRun = n;
}

/* See compactor.h. Nothing in m changes unless SDB_OK is returned. */
int sdbCompactApply(SdbManifest *m, const SdbCompactionSpec *pSpec,
                    const SdbCompactionOutput *pOut, SdbErr *pErr) {
  SdbSortedRun run;
  int rc = cpCheckSources(m, pSpec, pErr);
  if (rc) return rc;
  SdbSortedRun *aNew = sdbMallocZero(sizeof(SdbSortedRun) * (size_t)(m->nRun + 1));
  if (!aNew) return SDB_NOMEM_ERR(pErr);
  rc = cpCopyRun(pSpec, pOut, &run, pErr);
  if (rc) {
    for (int i = 0; i < run.nSst; i++) sdbSstHandleClear(&run.aSst[i]);
    sdbFree(run.aSst);
    sdbFree(aNew);
    return rc;
  }
  cpDropL0s(m, pSpec);
  cpRebuildRuns(m, pSpec, &run, aNew);
  if (pSpec->nL0 > 0) {
    m->bHasL0LastCompacted = 1;
    m->l0LastCompacted = pSpec->aL0[0];
  }
  return SDB_OK;
}
