/*
** maint.c: background maintenance of a writer handle, as SlateDB 0.12.1 runs
** it inside every Db (spec/MANIFEST.md §3.4, §6, §7):
**
** Compactor: claims compactor_epoch = stored + 1 in the manifest, then the
**     same epoch in the compactions/ file (create-only PUT of the next
**     NNNNNNNNNNNNNNNNNNNN.compactions; refused if that file already holds an
**     epoch >= ours). Every poll_interval it asks the size-tiered scheduler
**     (compactor.c) for work; a job is recorded as Running in compactions/,
**     its output SSTs are written (plain PUTs), a manifest adds a 15-minute
**     checkpoint pinning the pre-compaction state, the next manifest swaps
**     the sources for the output run, and compactions/ marks the job
**     Completed. A newer compactor_epoch in either object stops our
**     compactor for good (the writer carries on). A failed job deletes its
**     outputs and leaves the database as it was. On claiming, as SlateDB's
**     CompactorStateWriter::new does, jobs an older compactor left Running
**     (it died or was fenced mid-job) go back to Submitted and the file is
**     trimmed to the active jobs plus the last finished one; the first
**     round then validates each Submitted job against the manifest and runs
**     it under its id, or marks it Failed; a job that fails is marked Failed
**     (not retried, as in SlateDB). A final status whose write fails is kept
**     and stored by the next round before any new work, as are the resumed
**     jobs a failed round did not reach (MtJob). Every compactions/ write
**     trims the same way, so GC's low watermark (the oldest job listed)
**     moves on.
** GC: every gc_interval, expired checkpoints are removed (a manifest write
**     when there are any), then gc.c deletes what SlateDB's collector would,
**     objects younger than gc_min_age never; then the temporary files of
**     PUTs a crash interrupted (local stores), older than an hour.
** Checkpoints: the compactor's and the expiry go through checkpoint.c.
**
** Threads: one background thread per writer; muWork serialises compactions
** and GC runs between it and sdb_db_compact / sdb_db_gc callers. It never
** calls SQLite. db.c starts it once the writer is open and stops it before
** the writer closes; the writer's L0 flush waits for L0 room through the
** hook installed here (sdbWriterSetL0Wait), so writer.c never calls maint.c.
*/
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "meta/compactions.h"
#include "db/compactor.h"
#include "db/dbInt.h"
#include "db/gc.h"

#define MT_CKPT_LIFETIME_S 900   /* the compactor's checkpoint: 15 minutes */
#define MT_TMP_MIN_AGE_MS 3600000 /* crash leftovers younger than this may be in-flight writes */

/* A job whose record in compactions/ is still active (Submitted or Running)
** and that no compaction of ours is running: one an earlier compactor left
** (status Submitted: validate it, then run it or fail it), or one whose
** final status could not be stored yet (status Completed or Failed: store
** it). Every round settles these first, so none stays active, pinning GC's
** low watermark, while the compactor keeps running. */
typedef struct MtJob {
  SdbUlid id;
  SdbCompactionSpec spec;   /* owned */
  SdbCompactionOutput out;  /* owned; the outputs of a Completed job */
  i8 status;                /* SDB_COMPACTION_SUBMITTED, _COMPLETED or _FAILED */
} MtJob;

struct SdbMaint {
  pthread_t thread;
  int bThread;
  pthread_mutex_t mu;       /* guards the fields below and cond */
  pthread_cond_t cond;      /* wakes the thread; signals L0 room */
  int bStop;
  pthread_mutex_t muWork;   /* one compaction or GC run at a time */
  int bCompactor;           /* the compactor is enabled */
  int bClaimed;             /* our compactor epoch is claimed */
  int bCompactorFenced;     /* a newer compactor took over */
  int nFailures;            /* consecutive failed compaction attempts */
  int bKick;                /* an L0 flush asks for a compaction now */
  i64 nextPollMs;           /* next scheduled compactor poll */
  u64 epoch;                /* our compactor_epoch */
  u64 nCompactions, nGcDeleted;
  MtJob *aJob;              /* jobs listed active in compactions/ that we must
                            ** settle (see MtJob); owned, settled front first */
  int nJob;
  i64 nextGcMs;
  SdbCompactorOptions copt;
  SdbSstOptions sstOpt;
};

/* ------------------------------------------------------------ helpers */

static i64 mtNow(void) { return sdbNowMs(); }

/* Absolute CLOCK_REALTIME time msFromNow from now. */
static struct timespec mtDeadline(u64 msFromNow) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  u64 ns = (u64)ts.tv_nsec + msFromNow * 1000000ull;
  ts.tv_sec += (time_t)(ns / 1000000000ull);
  ts.tv_nsec = (long)(ns % 1000000000ull);
  return ts;
}

/* SDB_BUSY naming the newer compactor. */
static int mtFencedErr(SdbMaint *mt, u64 theirs, SdbErr *pErr) {
  pthread_mutex_lock(&mt->mu);
  mt->bCompactorFenced = 1;
  pthread_mutex_unlock(&mt->mu);
  return sdbErrSet(pErr, SDB_BUSY, "compactor fenced: another compactor claimed the database"
                   " (compactor_epoch %llu > ours %llu); this writer no longer compacts",
                   (unsigned long long)theirs, (unsigned long long)mt->epoch);
}

/* ------------------------------------------------------------ compactions/ */

/*
** Write compactions/<latest+1> = xEdit(latest) with the versioned-object
** protocol (sdbCompactionsCommit): a collision re-reads and re-applies, an
** unknown outcome is settled by its put-id. bClaim: the edit claims
** mt->epoch (refused if the stored epoch is already >= it); otherwise a
** stored epoch other than ours means we are fenced. A missing file starts as
** an empty one at epoch 0, as SlateDB creates it.
*/
static int mtUpdateCompactions(SdbDb *db, SdbMaint *mt, int bClaim, SdbCompactionsEdit xEdit,
                               void *pCtx, SdbErr *pErr) {
  u64 theirs = 0;
  int eFence = bClaim ? SDB_VOBJ_FENCE_CLAIM : SDB_VOBJ_FENCE_EXACT;
  int rc = sdbCompactionsCommit(db->pStore, eFence, mt->epoch, xEdit, pCtx, NULL, &theirs, pErr);
  if (rc == SDB_FENCED) rc = mtFencedErr(mt, theirs, pErr);
  return rc;
}

/* Free a job's spec and outputs and zero it. */
static void mtJobClear(MtJob *j) {
  sdbCompactionSpecClear(&j->spec);
  sdbCompactionOutputClear(&j->out);
  memset(j, 0, sizeof(*j));
}

/* Forget every job to settle. */
static void mtJobsClear(SdbMaint *mt) {
  for (int i = 0; i < mt->nJob; i++) mtJobClear(&mt->aJob[i]);
  sdbFree(mt->aJob);
  mt->aJob = NULL;
  mt->nJob = 0;
}

/* Put job *j (ownership taken; *j is zeroed) at the front (bFront) or the
** end of the jobs to settle. On OOM the job is freed. */
static int mtJobPut(SdbMaint *mt, MtJob *j, int bFront, SdbErr *pErr) {
  MtJob *a = sdbRealloc(mt->aJob, sizeof(MtJob) * (size_t)(mt->nJob + 1));
  if (!a) {
    mtJobClear(j);
    return SDB_NOMEM_ERR(pErr);
  }
  mt->aJob = a;
  if (bFront) memmove(&a[1], &a[0], sizeof(MtJob) * (size_t)mt->nJob);
  a[bFront ? 0 : mt->nJob] = *j;
  mt->nJob++;
  memset(j, 0, sizeof(*j));
  return SDB_OK;
}

/* Take the first job to settle into *j (caller owns). REQUIRES: mt->nJob > 0. */
static void mtJobTake(SdbMaint *mt, MtJob *j) {
  *j = mt->aJob[0];
  mt->nJob--;
  memmove(&mt->aJob[0], &mt->aJob[1], sizeof(MtJob) * (size_t)mt->nJob);
}

/* Append Submitted record r to the jobs to settle, its destination
** recomputed as SlateDB reloads it: the lowest source run id, or 0. */
static int mtResumeAdd(SdbMaint *mt, const SdbCompactionRec *r, SdbErr *pErr) {
  MtJob j;
  memset(&j, 0, sizeof(j));
  j.id = r->id;
  j.status = SDB_COMPACTION_SUBMITTED;
  SdbCompactionSpec *p = &j.spec;
  int bOom = (r->nL0View && !(p->aL0 = sdbMalloc(sizeof(SdbUlid) * (size_t)r->nL0View))) ||
             (r->nRunId && !(p->aRunId = sdbMalloc(sizeof(u32) * (size_t)r->nRunId)));
  if (bOom) {
    mtJobClear(&j);
    return SDB_NOMEM_ERR(pErr);
  }
  if (r->nL0View) memcpy(p->aL0, r->aL0View, sizeof(SdbUlid) * (size_t)r->nL0View);
  if (r->nRunId) memcpy(p->aRunId, r->aRunId, sizeof(u32) * (size_t)r->nRunId);
  p->nL0 = r->nL0View;
  p->nRun = r->nRunId;
  for (int i = 0; i < p->nRun; i++) {
    if (i == 0 || p->aRunId[i] < p->dstRunId) p->dstRunId = p->aRunId[i];
  }
  return mtJobPut(mt, &j, 0, pErr);
}

/* Compactions edit of the claim (SlateDB's CompactorStateWriter::new): our
** epoch; every Running job, left by a compactor of an older epoch that died
** or was fenced, goes back to Submitted; the file is trimmed to the active
** jobs plus the last finished one. The Submitted jobs are noted in mt to be
** validated and run (or failed) by the next compaction round. */
typedef struct ClaimCtx {
  SdbMaint *mt;
  u64 epoch;
} ClaimCtx;

static int editClaim(SdbCompactions *c, void *pCtx, SdbErr *pErr) {
  ClaimCtx *k = pCtx;
  c->compactorEpoch = k->epoch;
  mtJobsClear(k->mt);
  for (int i = 0; i < c->n; i++) {
    if (c->a[i].status == SDB_COMPACTION_RUNNING) c->a[i].status = SDB_COMPACTION_SUBMITTED;
  }
  sdbCompactionsRetain(c);
  int rc = SDB_OK;
  for (int i = 0; rc == SDB_OK && i < c->n; i++) {
    if (c->a[i].status == SDB_COMPACTION_SUBMITTED) rc = mtResumeAdd(k->mt, &c->a[i], pErr);
  }
  return rc;
}

/* Manifest edit: compactor_epoch = stored + 1 (the new value to *pCtx). */
static int editManifestClaim(SdbManifest *m, void *pCtx, SdbErr *pErr) {
  (void)pErr;
  m->compactorEpoch += 1;
  *(u64 *)pCtx = m->compactorEpoch;
  return SDB_OK;
}

/* Claim the compactor epoch: manifest first, then compactions/ (§3.4). */
static int mtClaim(SdbDb *db, SdbMaint *mt, SdbErr *pErr) {
  u64 epoch = 0;
  int rc = sdbWriterUpdateManifest(db, editManifestClaim, &epoch, NULL, pErr);
  if (rc) return rc;
  mt->epoch = epoch;
  ClaimCtx k = {mt, epoch};
  rc = mtUpdateCompactions(db, mt, 1, editClaim, &k, pErr);
  if (rc) mtJobsClear(mt);
  if (rc == SDB_OK) mt->bClaimed = 1;
  return rc;
}

/* A job record of compactions/: id, spec, status and outputs. */
typedef struct JobCtx {
  SdbUlid id;
  const SdbCompactionSpec *pSpec;
  const SdbCompactionOutput *pOut;   /* NULL until finished */
  i8 status;
} JobCtx;

/* Fill record r (empty) from the job. */
static int recFill(SdbCompactionRec *r, const JobCtx *j, SdbErr *pErr) {
  const SdbCompactionSpec *s = j->pSpec;
  r->id = j->id;
  r->specType = 1;
  r->status = j->status;
  if (s->nL0 > 0) {
    r->aL0View = sdbMalloc(sizeof(SdbUlid) * (size_t)s->nL0);
    if (!r->aL0View) return SDB_NOMEM_ERR(pErr);
    memcpy(r->aL0View, s->aL0, sizeof(SdbUlid) * (size_t)s->nL0);
    r->nL0View = s->nL0;
    r->bHasL0Views = 1;
  }
  if (s->nRun > 0) {
    r->aRunId = sdbMalloc(sizeof(u32) * (size_t)s->nRun);
    if (!r->aRunId) return SDB_NOMEM_ERR(pErr);
    memcpy(r->aRunId, s->aRunId, sizeof(u32) * (size_t)s->nRun);
    r->nRunId = s->nRun;
    r->bHasRunIds = 1;
  }
  if (j->pOut && j->pOut->nSst > 0) {
    r->aOut = sdbMallocZero(sizeof(SdbSstHandle) * (size_t)j->pOut->nSst);
    if (!r->aOut) return SDB_NOMEM_ERR(pErr);
    r->bHasOut = 1;
    for (int i = 0; i < j->pOut->nSst; i++) {
      r->aOut[i] = j->pOut->aSst[i];
      memset(&r->aOut[i].info, 0, sizeof(r->aOut[i].info));
      memset(&r->aOut[i].visStart, 0, sizeof(SdbBound));
      memset(&r->aOut[i].visEnd, 0, sizeof(SdbBound));
      r->aOut[i].bHasVisibleRange = 0;
      r->nOut = i + 1;
      if (sdbSstInfoCopy(&r->aOut[i].info, &j->pOut->aSst[i].info)) return SDB_NOMEM_ERR(pErr);
    }
  }
  return SDB_OK;
}

/* Edit: put the job in (replacing its record) and keep only the active jobs
** plus the finished one with the greatest id, as SlateDB trims the file
** (retain_active_and_last_finished) on every write. */
static int editJob(SdbCompactions *c, void *pCtx, SdbErr *pErr) {
  JobCtx *j = pCtx;
  int n = 0;
  for (int i = 0; i < c->n; i++) {
    SdbCompactionRec *r = &c->a[i];
    if (r->id.hi == j->id.hi && r->id.lo == j->id.lo) sdbCompactionRecClear(r);
    else c->a[n++] = *r;
  }
  SdbCompactionRec *a = sdbRealloc(c->a, sizeof(SdbCompactionRec) * (size_t)(n + 1));
  if (!a) {
    c->n = n;
    return SDB_NOMEM_ERR(pErr);
  }
  c->a = a;
  c->n = n + 1;
  memset(&a[n], 0, sizeof(a[n]));
  int rc = recFill(&a[n], j, pErr);
  if (rc == SDB_OK) sdbCompactionsRetain(c);
  return rc;
}

/* ------------------------------------------------------------ compaction */

/* Context of the manifest edit that commits a compaction. */
typedef struct ApplyCtx {
  SdbMaint *mt;
  const SdbCompactionSpec *pSpec;
  const SdbCompactionOutput *pOut;
} ApplyCtx;

static int editApplyCompaction(SdbManifest *m, void *pCtx, SdbErr *pErr) {
  ApplyCtx *a = pCtx;
  if (m->compactorEpoch != a->mt->epoch) return mtFencedErr(a->mt, m->compactorEpoch, pErr);
  return sdbCompactApply(m, a->pSpec, a->pOut, pErr);
}

/* Delete the stored outputs of a job that did not commit (best effort). */
static void mtDropOutputs(SdbDb *db, const SdbCompactionOutput *pOut) {
  for (int i = 0; i < pOut->nSst; i++) {
    char zKey[48], zId[27];
    SdbErr err;
    sdbUlidFormat(pOut->aSst[i].id, zId);
    snprintf(zKey, sizeof(zKey), "compacted/%s.sst", zId);
    db->pStore->pMethods->xDelete(db->pStore, zKey, &err);
  }
}

/* Run job j (id and spec set, no outputs) on version v: record it Running,
** execute, checkpoint, commit. Sets j->status to Completed (j->out holding
** the outputs) or Failed; the caller stores that (mtJobFinish). A commit of
** unknown outcome counts as Failed but keeps the outputs. Returns the job's
** result. */
static int mtRunJob(SdbDb *db, SdbMaint *mt, DbVersion *v, MtJob *j, SdbErr *pErr) {
  JobCtx job = {j->id, &j->spec, NULL, SDB_COMPACTION_RUNNING};
  u8 aCkptId[16];
  int rc = sdbUuidNew(aCkptId) ? sdbErrSet(pErr, SDB_IOERR, "no randomness for a checkpoint id") : SDB_OK;
  if (rc == SDB_OK) rc = mtUpdateCompactions(db, mt, 0, editJob, &job, pErr);
  if (rc == SDB_OK) rc = sdbCompactExecute(db, v, &j->spec, &mt->copt, &mt->sstOpt, &j->out, pErr);
  if (rc == SDB_OK) rc = sdbCheckpointAdd(db, aCkptId, MT_CKPT_LIFETIME_S, NULL, pErr);
  if (rc == SDB_OK) {
    ApplyCtx a = {mt, &j->spec, &j->out};
    u64 idStored = 0;
    rc = sdbWriterUpdateManifest(db, editApplyCompaction, &a, &idStored, pErr);
    /* SDB_UNKNOWN: the stored manifest may reference the outputs; GC
    ** deletes them later if it does not. A manifest stored before a later
    ** step failed (OOM) does reference them. */
    if (rc && rc != SDB_UNKNOWN && idStored == 0) mtDropOutputs(db, &j->out);
  }
  j->status = rc == SDB_OK ? SDB_COMPACTION_COMPLETED : SDB_COMPACTION_FAILED;
  if (rc) sdbCompactionOutputClear(&j->out);
  return rc;
}

/* Store job j's final status (Completed with its outputs, or Failed) in
** compactions/. j is consumed: freed once stored, else kept at the front of
** the jobs to settle, for the next round to store. */
static int mtJobFinish(SdbDb *db, SdbMaint *mt, MtJob *j, SdbErr *pErr) {
  int bDone = j->status == SDB_COMPACTION_COMPLETED;
  JobCtx job = {j->id, &j->spec, bDone ? &j->out : NULL, j->status};
  int rc = mtUpdateCompactions(db, mt, 0, editJob, &job, pErr);
  if (rc == SDB_OK) {
    mtJobClear(j);
    return SDB_OK;
  }
  char zId[27];
  sdbUlidFormat(j->id, zId);
  sdbErrWrap(pErr, "recording compaction %s as %s in compactions/ (retried next round): ", zId,
             bDone ? "Completed" : "Failed");
  SdbErr err2;
  sdb_err_clear(&err2);
  mtJobPut(mt, j, 1, &err2);
  return rc;
}

/* A full compaction of m: every L0 and every run into the lowest run id (0
** without runs), the bottom. 1 when there is more than one source, 0 when
** the database is already one run (or empty), -1 on OOM. */
static int mtPickAll(const SdbManifest *m, SdbCompactionSpec *pSpec) {
  if (m->nL0 + m->nRun < 2 && !(m->nL0 == 1 && m->nRun == 0)) return 0;
  pSpec->aL0 = m->nL0 ? sdbMalloc(sizeof(SdbUlid) * (size_t)m->nL0) : NULL;
  pSpec->aRunId = m->nRun ? sdbMalloc(sizeof(u32) * (size_t)m->nRun) : NULL;
  if ((m->nL0 && !pSpec->aL0) || (m->nRun && !pSpec->aRunId)) return -1;
  for (int i = 0; i < m->nL0; i++) pSpec->aL0[i] = m->aL0[i].viewId;
  for (int i = 0; i < m->nRun; i++) pSpec->aRunId[i] = m->aRun[i].id;
  pSpec->nL0 = m->nL0;
  pSpec->nRun = m->nRun;
  pSpec->dstRunId = m->nRun ? m->aRun[m->nRun - 1].id : 0;
  pSpec->bBottom = 1;
  return 1;
}

/* Position of source k of pSpec (its L0s by view id, then its runs) in m's
** logical order (L0s newest first, then runs by descending id), or -1. */
static int mtSourcePos(const SdbManifest *m, const SdbCompactionSpec *p, int k) {
  if (k < p->nL0) {
    for (int i = 0; i < m->nL0; i++) {
      if (m->aL0[i].viewId.hi == p->aL0[k].hi && m->aL0[i].viewId.lo == p->aL0[k].lo) return i;
    }
    return -1;
  }
  for (int i = 0; i < m->nRun; i++) {
    if (m->aRun[i].id == p->aRunId[k - p->nL0]) return m->nL0 + i;
  }
  return -1;
}

/* Whether a resumed job may run on manifest m, by SlateDB's checks
** (Compactor::validate_compaction and the size-tiered scheduler's validate):
** it has sources, they are still in m, consecutive and in m's order; an
** L0-only job's destination (0 after a reload) is above every run. Sets
** pSpec->bBottom (the destination is, or will be, the last run). */
static int mtResumeValid(const SdbManifest *m, SdbCompactionSpec *pSpec) {
  int nSrc = pSpec->nL0 + pSpec->nRun;
  if (nSrc == 0) return 0;
  int p0 = mtSourcePos(m, pSpec, 0);
  for (int k = 0; k < nSrc; k++) {
    if (p0 < 0 || mtSourcePos(m, pSpec, k) != p0 + k) return 0;
  }
  if (pSpec->nRun == 0 && m->nRun > 0 && pSpec->dstRunId < m->aRun[0].id + 1) return 0;
  pSpec->bBottom = m->nRun == 0 || m->aRun[m->nRun - 1].id == pSpec->dstRunId;
  return 1;
}

/*
** Settle the jobs listed active that no compaction of ours runs, front first
** (SlateDB's maybe_start_compactions after a restart, and final statuses
** whose write failed): a Submitted job is validated against the latest
** manifest and run under its id, or marked Failed when invalid; a job that
** fails is marked Failed, not retried (SlateDB's finish_failed_compaction;
** the scheduler picks its sources again under a new id); a final status is
** stored. The first error ends the round; the jobs not settled yet stay for
** the next round. *pnRan: resumed jobs that completed.
*/
static int mtSettleJobs(SdbDb *db, SdbMaint *mt, int *pnRan, SdbErr *pErr) {
  int rc = SDB_OK;
  *pnRan = 0;
  while (rc == SDB_OK && mt->nJob > 0) {
    MtJob j;
    mtJobTake(mt, &j);
    if (j.status == SDB_COMPACTION_SUBMITTED) {
      DbVersion *v = sdbDbPinVersion(db);
      if (mtResumeValid(v->pManifest, &j.spec)) {
        rc = mtRunJob(db, mt, v, &j, pErr);
        *pnRan += rc == SDB_OK;
      } else {
        j.status = SDB_COMPACTION_FAILED;
      }
      sdbDbVersionUnref(v);
    }
    if (rc == SDB_OK) {
      rc = mtJobFinish(db, mt, &j, pErr);
    } else {
      SdbErr err2;                  /* the job's error is the one to report */
      sdb_err_clear(&err2);
      mtJobFinish(db, mt, &j, &err2);
    }
  }
  return rc;
}

/* Pick new work on the latest version (bFull: everything into one run) and
** run it under a new id; its final status is stored, or kept for the next
** round to store. *pnDone is incremented when it completed. */
static int mtNewJob(SdbDb *db, SdbMaint *mt, int bFull, int *pnDone, SdbErr *pErr) {
  DbVersion *v = sdbDbPinVersion(db);
  MtJob j;
  memset(&j, 0, sizeof(j));
  int rc = SDB_OK, bWork = 0;
  if (v->pManifest->compactorEpoch != mt->epoch) rc = mtFencedErr(mt, v->pManifest->compactorEpoch, pErr);
  if (rc == SDB_OK) {
    bWork = bFull ? mtPickAll(v->pManifest, &j.spec) : sdbCompactPick(v->pManifest, &mt->copt, &j.spec);
    if (bWork < 0) rc = SDB_NOMEM_ERR(pErr);
  }
  if (bWork > 0 && sdbUlidNew(&j.id)) rc = sdbErrSet(pErr, SDB_IOERR, "no randomness for a compaction id");
  if (rc == SDB_OK && bWork > 0) {
    rc = mtRunJob(db, mt, v, &j, pErr);
    *pnDone += rc == SDB_OK;
    SdbErr err2;
    sdb_err_clear(&err2);
    mtJobFinish(db, mt, &j, &err2);   /* its failure shows in the next round */
  }
  mtJobClear(&j);
  sdbDbVersionUnref(v);
  return rc;
}

/* One round: claim if needed, settle the jobs left active (resume what an
** earlier compactor left), then pick new work (bFull: everything into one
** run) and run it. *pbDid: a job ran. REQUIRES: mt->muWork. */
static int mtCompactOnce(SdbDb *db, SdbMaint *mt, int bFull, int *pbDid, SdbErr *pErr) {
  *pbDid = 0;
  if (mt->bCompactorFenced) {
    return sdbErrSet(pErr, SDB_BUSY, "compactor fenced: another compactor owns this database");
  }
  int rc = mt->bClaimed ? SDB_OK : mtClaim(db, mt, pErr);
  /* Work from the latest manifest: it also tells whether we were fenced. */
  if (rc == SDB_OK) rc = sdbWriterPoll(db, pErr);
  int nDone = 0;
  if (rc == SDB_OK) rc = mtSettleJobs(db, mt, &nDone, pErr);
  if (rc == SDB_OK) rc = mtNewJob(db, mt, bFull, &nDone, pErr);
  *pbDid = nDone > 0;
  pthread_mutex_lock(&mt->mu);
  mt->nCompactions += (u64)nDone;
  mt->nFailures = rc ? mt->nFailures + 1 : 0;
  pthread_cond_broadcast(&mt->cond);
  pthread_mutex_unlock(&mt->mu);
  return rc;
}

/* ------------------------------------------------------------ GC */

/* Delete the temporary files of PUTs interrupted by a crash (local stores)
** from the four folders, those older than max(an hour, minAgeMs): a write
** in flight rewrites its file far more often than that. Best effort; the
** count is added to *pn. */
static void mtSweepTemp(SdbDb *db, u64 minAgeMs, u64 *pn) {
  static const char *const azDir[] = {"manifest/", "wal/", "compactions/", "compacted/"};
  u64 age = minAgeMs > MT_TMP_MIN_AGE_MS ? minAgeMs : MT_TMP_MIN_AGE_MS;
  for (int i = 0; i < 4; i++) {
    int n = 0;
    SdbErr err;
    sdb_err_clear(&err);
    sdbStoreSweepTemp(db->pStore, azDir[i], age, mtNow(), &n, &err);
    *pn += (u64)n;
  }
}

/* One GC run with minAgeMs. REQUIRES: mt->muWork. */
static int mtGcOnce(SdbDb *db, SdbMaint *mt, u64 minAgeMs, u64 *pnDeleted, SdbErr *pErr) {
  int rc = sdbCheckpointDropExpired(db, pErr);
  SdbGcOptions o;
  SdbGcStats st;
  memset(&o, 0, sizeof(o));
  memset(&st, 0, sizeof(st));
  o.minAgeMs = minAgeMs;
  DbVersion *v = sdbDbPinVersion(db);
  if (rc == SDB_OK) rc = sdbGcRun(db->pStore, v->pManifest, v->manifestId, &o, mtNow(), &st, pErr);
  sdbDbVersionUnref(v);
  u64 n = st.nManifest + st.nWal + st.nCompacted + st.nCompactions;
  if (rc == SDB_OK) mtSweepTemp(db, minAgeMs, &n);
  if (pnDeleted) *pnDeleted = n;
  pthread_mutex_lock(&mt->mu);
  mt->nGcDeleted += n;
  pthread_mutex_unlock(&mt->mu);
  return rc;
}

/* ------------------------------------------------------------ thread */

/* True once sdbMaintStop asked the thread to exit (read without mt->mu). */
static int mtStopping(SdbMaint *mt) { return __atomic_load_n(&mt->bStop, __ATOMIC_ACQUIRE); }

/* Background loop: compact while there is work, GC when due. */
static void *mtMain(void *pArg) {
  SdbDb *db = pArg;
  SdbMaint *mt = db->pMaint;
  pthread_mutex_lock(&mt->mu);
  while (!mt->bStop) {
    i64 tNext = mt->nextPollMs;
    if (!db->cfg.bNoGc && mt->nextGcMs < tNext) tNext = mt->nextGcMs;
    i64 msWait = tNext - mtNow();
    struct timespec ts = mtDeadline(msWait > 0 ? (u64)msWait : 0);
    /* A kick that came while the thread worked (mt->mu released) was
    ** broadcast to no one: act on it now instead of sleeping a poll interval. */
    if (!mt->bKick) pthread_cond_timedwait(&mt->cond, &mt->mu, &ts);
    if (mt->bStop) break;
    /* The condition also signals L0 room to waiters: act only when due. */
    int bPoll = mt->bKick || mtNow() >= mt->nextPollMs;
    if (bPoll) {
      mt->bKick = 0;
      mt->nextPollMs = mtNow() + (i64)db->cfg.compactorPollMs;
    }
    int bCompact = bPoll && mt->bCompactor && !mt->bCompactorFenced;
    int bGc = !db->cfg.bNoGc && mtNow() >= mt->nextGcMs;
    if (bGc) mt->nextGcMs = mtNow() + (i64)db->cfg.gcIntervalMs;
    pthread_mutex_unlock(&mt->mu);
    SdbErr err;
    sdb_err_clear(&err);
    pthread_mutex_lock(&mt->muWork);
    for (int bDid = 1; bCompact && bDid && !mtStopping(mt);) {
      if (mtCompactOnce(db, mt, 0, &bDid, &err)) break;   /* retried next poll */
    }
    if (bGc && !mtStopping(mt)) mtGcOnce(db, mt, db->cfg.gcMinAgeMs, NULL, &err);
    pthread_mutex_unlock(&mt->muWork);
    pthread_mutex_lock(&mt->mu);
  }
  pthread_mutex_unlock(&mt->mu);
  return NULL;
}

/* Wait (up to 100 ms per look) while the L0 count is at l0_max_ssts and the
** compactor is healthy; gives up after 3 consecutive failures, when fenced,
** stopped, disabled, or after 10 minutes without progress. The writer's L0
** flush calls it (the hook sdbMaintStart installs, sdbWriterSetL0Wait) when
** the L0 count reached l0_max_ssts; sdbMaintStop removes the hook before
** freeing mt, which waits for a flush inside it. */
static void mtWaitForL0Room(SdbDb *db) {
  SdbMaint *mt = db->pMaint;
  if (!mt || !mt->bCompactor) return;
  i64 tEnd = mtNow() + 600000;
  pthread_mutex_lock(&mt->mu);
  mt->bKick = 1;
  pthread_cond_broadcast(&mt->cond);      /* wake the compactor now */
  while (!mt->bStop && !mt->bCompactorFenced && mt->nFailures < 3 && mtNow() < tEnd) {
    DbVersion *v = sdbDbPinVersion(db);
    int nL0 = v->nL0;
    sdbDbVersionUnref(v);
    if (nL0 < (int)db->cfg.l0MaxSsts) break;
    struct timespec ts = mtDeadline(100);
    pthread_cond_timedwait(&mt->cond, &mt->mu, &ts);
  }
  pthread_mutex_unlock(&mt->mu);
}

/* See dbInt.h. */
int sdbMaintStart(SdbDb *db, SdbErr *pErr) {
  if (db->cfg.bNoCompactor && db->cfg.bNoGc) return SDB_OK;
  SdbMaint *mt = sdbMallocZero(sizeof(*mt));
  if (!mt) return SDB_NOMEM_ERR(pErr);
  pthread_mutex_init(&mt->mu, NULL);
  pthread_mutex_init(&mt->muWork, NULL);
  pthread_cond_init(&mt->cond, NULL);
  mt->bCompactor = !db->cfg.bNoCompactor;
  sdbCompactorOptionsDefault(&mt->copt);
  mt->copt.maxSstSize = db->cfg.maxSstSize;
  mt->copt.pollIntervalMs = db->cfg.compactorPollMs;
  sdbSstOptionsDefault(&mt->sstOpt);
  mt->sstOpt.blockSize = db->cfg.blockSize;
  mt->sstOpt.eCodec = db->cfg.eCodec;
  mt->sstOpt.filterBitsPerKey = db->cfg.filterBitsPerKey;
  mt->sstOpt.minFilterKeys = db->cfg.minFilterKeys;
  mt->nextGcMs = mtNow() + (i64)db->cfg.gcIntervalMs;
  mt->nextPollMs = mtNow() + (i64)db->cfg.compactorPollMs;
  db->pMaint = mt;
  int e = pthread_create(&mt->thread, NULL, mtMain, db);
  if (e != 0) {   /* sdb_db_open's failure path frees mt (sdbMaintStop) */
    return sdbErrSet(pErr, e == EAGAIN ? SDB_NOMEM : SDB_ERROR,
                     "cannot start the compaction and GC thread: %s", strerror(e));
  }
  mt->bThread = 1;
  sdbWriterSetL0Wait(db, mtWaitForL0Room);   /* only with a thread to make room */
  return SDB_OK;
}

/* See dbInt.h. */
void sdbMaintStop(SdbDb *db) {
  SdbMaint *mt = db->pMaint;
  if (!mt) return;
  pthread_mutex_lock(&mt->mu);
  __atomic_store_n(&mt->bStop, 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&mt->cond);
  pthread_mutex_unlock(&mt->mu);
  sdbWriterSetL0Wait(db, NULL);   /* the stop above ends a wait in progress */
  if (mt->bThread) pthread_join(mt->thread, NULL);
  pthread_cond_destroy(&mt->cond);
  pthread_mutex_destroy(&mt->mu);
  pthread_mutex_destroy(&mt->muWork);
  mtJobsClear(mt);
  sdbFree(mt);
  db->pMaint = NULL;
}

/* See dbInt.h. */
void sdbMaintStats(SdbDb *db, SdbStats *s) {
  SdbMaint *mt = db->pMaint;
  if (!mt) return;
  pthread_mutex_lock(&mt->mu);
  s->compactorEpoch = (mt->bClaimed && !mt->bCompactorFenced) ? mt->epoch : 0;
  s->nCompactions = mt->nCompactions;
  s->nGcDeleted = mt->nGcDeleted;
  pthread_mutex_unlock(&mt->mu);
}

/* ------------------------------------------------------------ on request (db.c) */

/* The maint state of a writer, or an error for readers. */
static int mtOf(SdbDb *db, SdbMaint **pp, SdbErr *pErr) {
  *pp = db->pMaint;
  if (!db->pWriter) return sdbErrSet(pErr, SDB_READONLY, "the database was opened read-only (mode=reader)");
  if (!*pp) {
    return sdbErrSet(pErr, SDB_ERROR, "maintenance is disabled for this handle"
                     " (compactor=off and gc=off)");
  }
  return SDB_OK;
}

/* See dbInt.h. */
int sdbMaintCompact(SdbDb *db, int *pnDone, SdbErr *pErr) {
  SdbMaint *mt;
  *pnDone = 0;
  int rc = mtOf(db, &mt, pErr);
  if (rc) return rc;
  if (!mt->bCompactor) return sdbErrSet(pErr, SDB_ERROR, "the compactor is off (compactor=off)");
  int bDid = 0;
  pthread_mutex_lock(&mt->muWork);
  rc = mtCompactOnce(db, mt, 1, &bDid, pErr);
  *pnDone += bDid;
  pthread_mutex_unlock(&mt->muWork);
  return rc;
}

/* See dbInt.h. */
int sdbMaintGc(SdbDb *db, uint64_t minAgeMs, uint64_t *pnDeleted, SdbErr *pErr) {
  SdbMaint *mt;
  *pnDeleted = 0;
  int rc = mtOf(db, &mt, pErr);
  if (rc) return rc;
  pthread_mutex_lock(&mt->muWork);
  rc = mtGcOnce(db, mt, minAgeMs == UINT64_MAX ? db->cfg.gcMinAgeMs : minAgeMs, pnDeleted, pErr);
  pthread_mutex_unlock(&mt->muWork);
  return rc;
}
