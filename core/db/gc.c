/*
** gc.c: SlateDB 0.12.1's garbage collector: a pure planner plus an executor.
**
** Source of truth: slatedb/src/garbage_collector.rs and garbage_collector/
** {manifest_gc,wal_gc,compacted_gc,compactions_gc}.rs (read at several
** commits around fce6ed00), spec/MANIFEST.md §6.5 and §7.
**
** Objects (keys relative to the DB root):
**   manifest/NNNNNNNNNNNNNNNNNNNN.manifest      20-digit decimal id
**   wal/NNNNNNNNNNNNNNNNNNNN.sst                20-digit decimal WAL id
**   compacted/<ULID>.sst                        26 Crockford base32 chars; the
**                                               top 48 bits are creation ms
**   compactions/NNNNNNNNNNNNNNNNNNNN.compactions
** Names that do not parse are never deleted.
**
** Rules, per folder (all comparisons as in the Rust code):
**   manifest/     never the latest listed one; never an id pinned by a
**                 checkpoint of the latest manifest; delete when
**                 now - last_modified > min_age (strictly).
**                 We also keep every id >= the latest id we planned with.
**   wal/          ids < latest.replay_after_wal_id (list_wal_ssts(..id),
**                 exclusive); delete when now - last_modified > min_age and no
**                 active manifest (latest + checkpointed) has it in
**                 (replay_after_wal_id, wal_id_last_seen] (has_wal_sst_reference).
**   compacted/    active = every L0 and sorted-run SST of the latest manifest
**                 and of each checkpointed manifest. Delete an inactive SST
**                 when ULID time < cutoff, cutoff = min of
**                   now - min_age,
**                   the compaction low watermark: min ULID time of the
**                   compactions in the latest .compactions; the Unix epoch (0,
**                   i.e. nothing) when there is no file or it lists none,
**                   the newest L0 ULID time of the latest manifest; else its
**                   l0_last_compacted's time; else the Unix epoch.
**                 (One later SlateDB revision treats an EMPTY .compactions as
**                 "no limit"; spec/MANIFEST.md §6.5 and the other revisions
**                 read use the epoch, which is also the safe choice.)
**   compactions/  never the latest listed one; delete when
**                 now - last_modified > min_age.
** The object's mtime plays SlateDB's last_modified.
*/
#include <stdio.h>
#include <stdlib.h>

#include "db/gc.h"

#define GC_MANIFEST_DIR    "manifest/"
#define GC_WAL_DIR         "wal/"
#define GC_COMPACTED_DIR   "compacted/"
#define GC_COMPACTIONS_DIR "compactions/"

/* ================================================================ names */

int sdbParseSstUlidName(const char *zName, SdbUlid *pId) {
  static const char kAlpha[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  const char *z = strrchr(zName, '/');
  z = z ? z + 1 : zName;
  if (strlen(z) != 30 || strcmp(z + 26, ".sst") != 0) return SDB_ERROR;
  if (z[0] < '0' || z[0] > '7') return SDB_ERROR;          /* 130 bits > 128 */
  u64 hi = 0, lo = 0;
  for (int i = 0; i < 26; i++) {
    const char *p = z[i] ? strchr(kAlpha, z[i]) : NULL;
    if (!p) return SDB_ERROR;
    u64 v = (u64)(p - kAlpha);
    hi = (hi << 5) | (lo >> 59);
    lo = (lo << 5) | v;
  }
  pId->hi = hi;
  pId->lo = lo;
  return SDB_OK;
}

/* Milliseconds since the epoch stored in a ULID's top 48 bits. */
static i64 ulidMs(SdbUlid id) { return (i64)(id.hi >> 16); }

/* The part of zKey after zDir, or NULL when zKey is not directly in zDir. */
static const char *inDir(const char *zKey, const char *zDir) {
  size_t n = strlen(zDir);
  if (strncmp(zKey, zDir, n) != 0 || strchr(zKey + n, '/')) return NULL;
  return zKey + n;
}

/* ================================================================ plan */

void sdbGcPlanFree(SdbGcPlan *p) {
  if (!p) return;
  for (int i = 0; i < p->n; i++) sdbFree(p->azKey[i]);
  sdbFree(p->azKey);
  sdbFree(p->aeKind);
  memset(p, 0, sizeof(*p));
}

/* Append (a copy of) zKey with kind eKind. SDB_OK or SDB_NOMEM. */
static int planAdd(SdbGcPlan *p, const char *zKey, int eKind) {
  if (p->n == p->nAlloc) {
    int nNew = p->nAlloc ? p->nAlloc * 2 : 16;
    char **az = sdbRealloc(p->azKey, sizeof(char *) * (size_t)nNew);
    if (!az) return SDB_NOMEM;
    p->azKey = az;
    int *ae = sdbRealloc(p->aeKind, sizeof(int) * (size_t)nNew);
    if (!ae) return SDB_NOMEM;
    p->aeKind = ae;
    p->nAlloc = nNew;
  }
  if (!(p->azKey[p->n] = sdbStrdup(zKey))) return SDB_NOMEM;
  p->aeKind[p->n++] = eKind;
  return SDB_OK;
}

/* True when the object is older than the minimum age (strictly). */
static int isOld(const SdbObjInfo *o, const SdbGcOptions *pOpt, i64 nowMs) {
  return nowMs - o->mtimeMs > 0 && (u64)(nowMs - o->mtimeMs) > pOpt->minAgeMs;
}

/* Largest id among the names of pList in zDir with extension zExt. */
static u64 maxListedId(const SdbObjList *pList, const char *zDir, const char *zExt) {
  u64 mx = 0, id;
  for (int i = 0; pList && i < pList->n; i++) {
    const char *z = inDir(pList->a[i].zKey, zDir);
    if (z && sdbParseId20(z, zExt, &id) == SDB_OK && id > mx) mx = id;
  }
  return mx;
}

/* manifest/: see the file header. */
static int planManifests(const SdbGcInput *in, const SdbGcOptions *pOpt, i64 nowMs,
                         SdbGcPlan *p) {
  u64 mx = maxListedId(in->pManifestList, GC_MANIFEST_DIR, ".manifest");
  for (int i = 0; in->pManifestList && i < in->pManifestList->n; i++) {
    const SdbObjInfo *o = &in->pManifestList->a[i];
    const char *z = inDir(o->zKey, GC_MANIFEST_DIR);
    u64 id;
    if (!z || sdbParseId20(z, ".manifest", &id) != SDB_OK) continue;
    if (id >= in->latestId || id >= mx || !isOld(o, pOpt, nowMs)) continue;
    if (in->keepAboveId && id > in->keepAboveId) continue;
    int bPinned = 0;
    for (int c = 0; c < in->pLatest->nCkpt && !bPinned; c++) {
      bPinned = in->pLatest->aCkpt[c].manifestId == id;
    }
    if (!bPinned && planAdd(p, o->zKey, SDB_GC_MANIFEST)) return SDB_NOMEM;
  }
  return SDB_OK;
}

/* True when manifest m references WAL id (replay_after_wal_id, wal_id_last_seen]. */
static int walReferenced(const SdbManifest *m, u64 id) {
  return id > m->replayAfterWalId && id <= m->walIdLastSeen;
}

/* wal/: see the file header. */
static int planWal(const SdbGcInput *in, const SdbGcOptions *pOpt, i64 nowMs, SdbGcPlan *p) {
  for (int i = 0; in->pWalList && i < in->pWalList->n; i++) {
    const SdbObjInfo *o = &in->pWalList->a[i];
    const char *z = inDir(o->zKey, GC_WAL_DIR);
    u64 id;
    if (!z || sdbParseId20(z, ".sst", &id) != SDB_OK) continue;
    if (id >= in->pLatest->replayAfterWalId || !isOld(o, pOpt, nowMs)) continue;
    int bRef = walReferenced(in->pLatest, id);
    for (int c = 0; c < in->pLatest->nCkpt && !bRef; c++) bRef = walReferenced(in->apCkpt[c], id);
    if (!bRef && planAdd(p, o->zKey, SDB_GC_WAL)) return SDB_NOMEM;
  }
  return SDB_OK;
}

/* qsort / bsearch order of ULIDs. */
static int ulidCmp(const void *pa, const void *pb) {
  const SdbUlid *a = pa, *b = pb;
  if (a->hi != b->hi) return a->hi < b->hi ? -1 : 1;
  if (a->lo != b->lo) return a->lo < b->lo ? -1 : 1;
  return 0;
}

/* Append every L0 and sorted-run SST id of m to *pa (growing it). */
static int collectSsts(const SdbManifest *m, SdbUlid **pa, size_t *pn, size_t *pnAlloc) {
  size_t nNeed = (size_t)m->nL0;
  for (int r = 0; r < m->nRun; r++) nNeed += (size_t)m->aRun[r].nSst;
  if (*pn + nNeed > *pnAlloc) {
    size_t nNew = (*pn + nNeed) * 2 + 16;
    SdbUlid *a = sdbRealloc(*pa, sizeof(SdbUlid) * nNew);
    if (!a) return SDB_NOMEM;
    *pa = a;
    *pnAlloc = nNew;
  }
  for (int i = 0; i < m->nL0; i++) (*pa)[(*pn)++] = m->aL0[i].id;
  for (int r = 0; r < m->nRun; r++) {
    for (int i = 0; i < m->aRun[r].nSst; i++) (*pa)[(*pn)++] = m->aRun[r].aSst[i].id;
  }
  return SDB_OK;
}

/* The compacted/ cutoff in ms: SST ULID times strictly below it may go. */
static i64 compactedCutoff(const SdbGcInput *in, const SdbGcOptions *pOpt, i64 nowMs) {
  i64 minAge = pOpt->minAgeMs > (u64)INT64_MAX ? INT64_MAX : (i64)pOpt->minAgeMs;
  i64 cut = nowMs - minAge;
  /* Compaction low watermark: oldest compaction start; epoch when none. */
  i64 wm = 0;
  if (in->pCompactions && in->pCompactions->n > 0) {
    wm = ulidMs(in->pCompactions->a[0].id);
    for (int i = 1; i < in->pCompactions->n; i++) wm = SDB_MIN(wm, ulidMs(in->pCompactions->a[i].id));
  }
  cut = SDB_MIN(cut, wm);
  /* Newest L0 of the latest manifest; else l0_last_compacted; else epoch. */
  const SdbManifest *m = in->pLatest;
  i64 l0 = 0;
  if (m->nL0 > 0) {
    for (int i = 0; i < m->nL0; i++) l0 = SDB_MAX(l0, ulidMs(m->aL0[i].id));
  } else if (m->bHasL0LastCompacted) {
    l0 = ulidMs(m->l0LastCompacted);
  }
  return SDB_MIN(cut, l0);
}

/* compacted/: see the file header. */
static int planCompacted(const SdbGcInput *in, const SdbGcOptions *pOpt, i64 nowMs,
                         SdbGcPlan *p) {
  SdbUlid *aAct = NULL;
  size_t nAct = 0, nAlloc = 0;
  int rc = collectSsts(in->pLatest, &aAct, &nAct, &nAlloc);
  for (int c = 0; rc == SDB_OK && c < in->pLatest->nCkpt; c++) {
    rc = collectSsts(in->apCkpt[c], &aAct, &nAct, &nAlloc);
  }
  if (rc) { sdbFree(aAct); return rc; }
  if (nAct > 1) qsort(aAct, nAct, sizeof(SdbUlid), ulidCmp);
  i64 cut = compactedCutoff(in, pOpt, nowMs);
  for (int i = 0; rc == SDB_OK && in->pCompactedList && i < in->pCompactedList->n; i++) {
    const SdbObjInfo *o = &in->pCompactedList->a[i];
    const char *z = inDir(o->zKey, GC_COMPACTED_DIR);
    SdbUlid id;
    if (!z || sdbParseSstUlidName(z, &id) != SDB_OK) continue;
    if (ulidMs(id) >= cut) continue;
    if (nAct && bsearch(&id, aAct, nAct, sizeof(SdbUlid), ulidCmp)) continue;
    rc = planAdd(p, o->zKey, SDB_GC_COMPACTED);
  }
  sdbFree(aAct);
  return rc;
}

/* compactions/: see the file header. */
static int planCompactions(const SdbGcInput *in, const SdbGcOptions *pOpt, i64 nowMs,
                           SdbGcPlan *p) {
  u64 mx = maxListedId(in->pCompactionsList, GC_COMPACTIONS_DIR, ".compactions");
  u64 keepFrom = in->pCompactions ? in->compactionsId : mx;
  for (int i = 0; in->pCompactionsList && i < in->pCompactionsList->n; i++) {
    const SdbObjInfo *o = &in->pCompactionsList->a[i];
    const char *z = inDir(o->zKey, GC_COMPACTIONS_DIR);
    u64 id;
    if (!z || sdbParseId20(z, ".compactions", &id) != SDB_OK) continue;
    if (id >= mx || id >= keepFrom || !isOld(o, pOpt, nowMs)) continue;
    if (planAdd(p, o->zKey, SDB_GC_COMPACTIONS)) return SDB_NOMEM;
  }
  return SDB_OK;
}

int sdbGcPlan(const SdbGcInput *pIn, const SdbGcOptions *pOpt, i64 nowMs, SdbGcPlan *pPlan,
              SdbErr *pErr) {
  memset(pPlan, 0, sizeof(*pPlan));
  int rc = planManifests(pIn, pOpt, nowMs, pPlan);
  if (rc == SDB_OK) rc = planWal(pIn, pOpt, nowMs, pPlan);
  if (rc == SDB_OK) rc = planCompacted(pIn, pOpt, nowMs, pPlan);
  if (rc == SDB_OK) rc = planCompactions(pIn, pOpt, nowMs, pPlan);
  if (rc) {
    sdbGcPlanFree(pPlan);
    return SDB_NOMEM_ERR(pErr);
  }
  return SDB_OK;
}

/* ================================================================ run */

/* List zDir of pStore into *pList; errors name the folder. */
static int gcList(SdbStore *pStore, const char *zDir, SdbObjList *pList, SdbErr *pErr) {
  int rc = pStore->pMethods->xList(pStore, zDir, pList, pErr);
  if (rc) sdbErrWrap(pErr, "gc: listing %s: ", zDir);
  return rc;
}

/* Load the manifest pinned by every checkpoint of m (id mId) into apCkpt[]
** (reusing m for its own id and one load per distinct id; apOwned[] holds the
** loads to free). A missing one is SDB_CORRUPT. */
static int gcLoadPinned(SdbStore *pStore, const SdbManifest *m, u64 mId,
                        const SdbManifest **apCkpt, SdbManifest **apOwned, SdbErr *pErr) {
  for (int c = 0; c < m->nCkpt; c++) {
    u64 id = m->aCkpt[c].manifestId;
    apCkpt[c] = NULL;
    if (id == mId) { apCkpt[c] = m; continue; }
    for (int j = 0; j < c && !apCkpt[c]; j++) {
      if (m->aCkpt[j].manifestId == id) apCkpt[c] = apCkpt[j];
    }
    if (apCkpt[c]) continue;
    int rc = sdbManifestLoad(pStore, id, &apOwned[c], pErr);
    if (rc) {
      char zUuid[37];
      sdbUuidFormat(m->aCkpt[c].aId, zUuid);
      if (rc == SDB_NOTFOUND) {
        return sdbCorrupt(pErr, "gc: checkpoint %s pins manifest %llu, which does not exist",
                          zUuid, (unsigned long long)id);
      }
      sdbErrWrap(pErr, "gc: checkpoint %s: ", zUuid);
      return rc;
    }
    apCkpt[c] = apOwned[c];
  }
  return SDB_OK;
}

/* Delete every planned key; count successes in pStats. Returns the first
** error (the other deletions are still attempted). */
static int gcExecute(SdbStore *pStore, const SdbGcPlan *pPlan, SdbGcStats *pStats, SdbErr *pErr) {
  static const int aOrder[4] = {SDB_GC_MANIFEST, SDB_GC_WAL, SDB_GC_COMPACTED, SDB_GC_COMPACTIONS};
  int rcFirst = SDB_OK;
  for (int k = 0; k < 4; k++) {
    for (int i = 0; i < pPlan->n; i++) {
      if (pPlan->aeKind[i] != aOrder[k]) continue;
      SdbErr err = {0};
      int rc = pStore->pMethods->xDelete(pStore, pPlan->azKey[i], &err);
      if (rc) {
        if (rcFirst == SDB_OK) {
          rcFirst = sdbErrSet(pErr, rc, "gc: deleting %s: %s", pPlan->azKey[i], err.zMsg);
        }
        continue;
      }
      switch (aOrder[k]) {
        case SDB_GC_MANIFEST: pStats->nManifest++; break;
        case SDB_GC_WAL: pStats->nWal++; break;
        case SDB_GC_COMPACTED: pStats->nCompacted++; break;
        default: pStats->nCompactions++; break;
      }
    }
  }
  return rcFirst;
}

int sdbGcRun(SdbStore *pStore, const SdbManifest *pLatest, u64 latestId,
             const SdbGcOptions *pOpt, i64 nowMs, SdbGcStats *pStats, SdbErr *pErr) {
  SdbGcStats stDummy;
  if (!pStats) pStats = &stDummy;
  memset(pStats, 0, sizeof(*pStats));
  SdbCompactions *pCx = NULL;
  SdbManifest *pFresh = NULL;
  SdbObjList lMan = {0}, lWal = {0}, lCompacted = {0}, lCx = {0};
  const SdbManifest **apCkpt = NULL;
  SdbManifest **apOwned = NULL;
  SdbGcPlan plan = {0};
  u64 cxId = 0, freshId = 0, viewId = latestId;

  /* 1. The compactions first (see gc.h). */
  int rc = sdbCompactionsLoadLatest(pStore, &pCx, &cxId, pErr);
  if (rc == SDB_NOTFOUND) rc = SDB_OK;
  else if (rc) sdbErrWrap(pErr, "gc: ");
  /* 2. The freshest manifest. */
  if (rc == SDB_OK) {
    rc = sdbManifestLoadLatest(pStore, &pFresh, &freshId, pErr);
    if (rc == SDB_NOTFOUND) rc = SDB_OK;
    else if (rc) sdbErrWrap(pErr, "gc: ");
    if (rc == SDB_OK && pFresh && freshId > latestId) {
      pLatest = pFresh;
      latestId = freshId;
    }
  }
  /* 3. Listings and pinned manifests. */
  if (rc == SDB_OK) rc = gcList(pStore, GC_MANIFEST_DIR, &lMan, pErr);
  if (rc == SDB_OK) rc = gcList(pStore, GC_WAL_DIR, &lWal, pErr);
  if (rc == SDB_OK) rc = gcList(pStore, GC_COMPACTED_DIR, &lCompacted, pErr);
  if (rc == SDB_OK) rc = gcList(pStore, GC_COMPACTIONS_DIR, &lCx, pErr);
  if (rc == SDB_OK && pLatest->nCkpt > 0) {
    apCkpt = sdbMallocZero(sizeof(*apCkpt) * (size_t)pLatest->nCkpt);
    apOwned = sdbMallocZero(sizeof(*apOwned) * (size_t)pLatest->nCkpt);
    rc = (apCkpt && apOwned) ? gcLoadPinned(pStore, pLatest, latestId, apCkpt, apOwned, pErr)
                             : SDB_NOMEM_ERR(pErr);
  }
  /* 4. Plan and delete. */
  if (rc == SDB_OK) {
    SdbGcInput in = {
      .pManifestList = &lMan, .pWalList = &lWal, .pCompactedList = &lCompacted,
      .pCompactionsList = &lCx, .pLatest = pLatest, .latestId = latestId,
      .apCkpt = (const SdbManifest *const *)apCkpt, .pCompactions = pCx, .compactionsId = cxId,
      .keepAboveId = viewId,
    };
    rc = sdbGcPlan(&in, pOpt, nowMs, &plan, pErr);
  }
  if (rc == SDB_OK) rc = gcExecute(pStore, &plan, pStats, pErr);

  sdbGcPlanFree(&plan);
  for (int c = 0; apOwned && c < pLatest->nCkpt; c++) sdbManifestFree(apOwned[c]);
  sdbFree(apOwned);
  sdbFree(apCkpt);
  sdbObjListFree(&lMan);
  sdbObjListFree(&lWal);
  sdbObjListFree(&lCompacted);
  sdbObjListFree(&lCx);
  sdbManifestFree(pFresh);
  sdbCompactionsFree(pCx);
  return rc;
}
