/*
** read.c: the read path of a database handle: readers' open and refresh,
** resuming scans, prefetch (see the file order in dbInt.h).
**
** A scan pins the version it starts with and merges memtable -> L0s -> runs,
** newest sequence number winning (merge.h).
**
** Refresh: when the manifest id is unchanged, new WAL SSTs are replayed into
** the current memtable (scans bound their reads by the seq they started with,
** so they never see rows added later). When it changed, a new version is built
** and the old one lives until its last scan ends. A reader refreshes before a
** scan when poll_interval has passed, and also when a writer handle of the same
** database in this process has stored a WAL SST or a manifest since its last
** refresh (a process-wide change counter per database URL, DbGen): a statement
** sees every commit this process made before it started, and costs no request
** when nothing changed.
**
** Vanished objects (GC; version.c): a refresh that finds a WAL SST gone
** re-reads the manifest, and a scan that finds an SST or WAL SST gone
** refreshes and resumes after the last row it returned, on the fresh version
** (so its remaining rows are as of that version), within sdbDbVanishRetry's
** budget.
*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "db/dbInt.h"
#include "db/merge.h"
#include "util/rangeutil.h"

/* ------------------------------------------------------------ open and refresh (readers) */

/*
** Replace *pm (latest manifest, id *pId) with the manifest that checkpoint
** zId pins, and bound the WAL replay to the WAL SSTs that manifest knows
** (ids up to wal_id_last_seen, i.e. below SlateDB's next_wal_sst_id): the
** reader then sees exactly the checkpointed state and never polls.
*/
static int dbOpenCheckpoint(SdbDb *db, const char *zId, SdbManifest **pm, u64 *pId,
                            SdbErr *pErr) {
  u8 aId[16];
  int rc = sdbCheckpointIdParse(zId, aId, pErr);
  const SdbCheckpoint *c = NULL;
  for (int i = 0; rc == SDB_OK && i < (*pm)->nCkpt; i++) {
    if (memcmp((*pm)->aCkpt[i].aId, aId, 16) == 0) c = &(*pm)->aCkpt[i];
  }
  if (rc == SDB_OK && !c) {
    return sdbErrSet(pErr, SDB_CANTOPEN, "no checkpoint %s in the latest manifest (%llu)", zId,
                     (unsigned long long)*pId);
  }
  SdbManifest *mCk = NULL;
  u64 idCk = c ? c->manifestId : 0;
  if (rc == SDB_OK) rc = sdbManifestLoad(db->pStore, idCk, &mCk, pErr);
  if (rc == SDB_NOTFOUND) {
    rc = sdbErrSet(pErr, SDB_CORRUPT, "checkpoint %s pins manifest %llu, which is missing", zId,
                   (unsigned long long)idCk);
  }
  if (rc) return rc;
  sdbManifestFree(*pm);
  *pm = mCk;
  *pId = idCk;
  db->walReplayEnd = 1 + (mCk->walIdLastSeen > mCk->replayAfterWalId ? mCk->walIdLastSeen
                                                                      : mCk->replayAfterWalId);
  db->cfg.pollIntervalMs = UINT64_MAX;
  db->bPinned = 1;
  return SDB_OK;
}

/* Reader open: the latest manifest (or a checkpoint's) plus the WAL. Never
** writes. */
static int dbOpenReaderOnce(SdbDb *db, u64 *pId, SdbErr *pErr) {
  SdbManifest *m = NULL;
  int rc = sdbManifestLoadLatest(db->pStore, &m, pId, pErr);
  if (rc == SDB_NOTFOUND) {
    return sdbErrSet(pErr, SDB_CANTOPEN, SDB_MSG_NO_DB "%s (no manifest/ objects)",
                     db->pStore->zDescr);
  }
  if (rc == SDB_OK && db->cfg.zCheckpoint) {
    rc = dbOpenCheckpoint(db, db->cfg.zCheckpoint, &m, pId, pErr);
    if (rc) sdbManifestFree(m);
  }
  if (rc == SDB_OK) rc = sdbDbVersionLoad(db, m, *pId, NULL, &db->pCur, pErr);
  return rc;
}

/* dbOpenReaderOnce, again from a fresh manifest while objects vanish (GC);
** see dbInt.h. */
int sdbReaderOpen(SdbDb *db, SdbErr *pErr) {
  DbVanish vanish = {0, 0, 0};
  u64 id = 0;
  db->seenGen = sdbDbGenNow(db);
  int rc = dbOpenReaderOnce(db, &id, pErr);
  while (rc == SDB_NOTFOUND && sdbDbVanishRetry(db, &vanish, id)) rc = dbOpenReaderOnce(db, &id, pErr);
  db->lastRefreshMs = sdbNowMs();
  return sdbDbVanishedCorrupt(rc, pErr);
}

/*
** One reader refresh from the latest manifest; SDB_NOTFOUND when a WAL SST
** vanished (GC) meanwhile or the listing found no manifest. REQUIRES:
** db->muRefresh held (refreshes are the only thing that replaces a reader's
** version or inserts into its memtable).
** The store is read without db->mu, so scans start meanwhile on the current
** version: new WAL SSTs of an unchanged manifest go into its memtable (a scan
** reads up to the seq it started with, dbReplayOne), and a new manifest's
** version is built aside and then swapped in under db->mu.
*/
static int dbRefreshOnce(SdbDb *db, u64 *pId, SdbErr *pErr) {
  SdbManifest *m = NULL;
  u64 id = 0;
  int rc = sdbManifestLoadLatest(db->pStore, &m, &id, pErr);
  *pId = id;
  if (rc == SDB_NOTFOUND) {   /* a listing is no snapshot: GC may have deleted the
                              ** latest while a new one was added; listed again */
    return sdbErrSet(pErr, SDB_NOTFOUND, "no manifest listed at %s", db->pStore->zDescr);
  }
  if (rc) return rc;
  __atomic_store_n(&db->lastRefreshMs, sdbNowMs(), __ATOMIC_RELAXED);
  DbVersion *pOld = sdbDbPinVersion(db);
  if (id == pOld->manifestId) {
    sdbManifestFree(m);
    rc = sdbDbReplayWal(db, pOld, pErr);   /* only new WAL SSTs */
  } else {
    DbVersion *pNew = NULL;
    rc = sdbDbVersionLoad(db, m, id, pOld, &pNew, pErr);
    if (rc == SDB_OK) sdbDbInstallVersion(db, pNew);
  }
  sdbDbVersionUnref(pOld);
  return rc;
}

/* One refresh of a reader (not pinned). REQUIRES: db->muRefresh held. */
static int dbRefreshLocked(SdbDb *db, SdbErr *pErr) {
  /* The counter is read before the manifest and noted only once the refresh
  ** succeeded: after a failure the next statement tries again. */
  u64 gen = sdbDbGenNow(db);
  DbVanish vanish = {0, 0, 0};
  u64 id = 0;
  int rc = dbRefreshOnce(db, &id, pErr);
  while (rc == SDB_NOTFOUND && sdbDbVanishRetry(db, &vanish, id)) rc = dbRefreshOnce(db, &id, pErr);
  if (rc == SDB_OK) __atomic_store_n(&db->seenGen, gen, __ATOMIC_RELEASE);
  return sdbDbVanishedCorrupt(rc, pErr);
}

/* See dbInt.h. */
int sdbReaderRefresh(SdbDb *db, SdbErr *pErr) {
  if (db->bPinned) return SDB_OK;   /* a checkpoint reader stays pinned */
  pthread_mutex_lock(&db->muRefresh);
  int rc = dbRefreshLocked(db, pErr);
  pthread_mutex_unlock(&db->muRefresh);
  return rc;
}

/* Whether a reader's statement refreshes first: a writer of this process
** changed the database since the last refresh, or poll_interval has passed. */
static int dbRefreshDue(SdbDb *db) {
  if (sdbDbGenNow(db) != __atomic_load_n(&db->seenGen, __ATOMIC_ACQUIRE)) return 1;
  if (db->cfg.pollIntervalMs == UINT64_MAX) return 0;
  i64 now = sdbNowMs();
  i64 last = __atomic_load_n(&db->lastRefreshMs, __ATOMIC_RELAXED);
  return (u64)(now - last) >= db->cfg.pollIntervalMs;
}

/* Readers: refresh when due (dbRefreshDue). A statement that waited for
** another one's refresh does not repeat it when that one made it unneeded. */
static int dbMaybeRefresh(SdbDb *db, SdbErr *pErr) {
  if (db->pWriter || db->bPinned || !dbRefreshDue(db)) return SDB_OK;
  pthread_mutex_lock(&db->muRefresh);
  int rc = dbRefreshDue(db) ? dbRefreshLocked(db, pErr) : SDB_OK;
  pthread_mutex_unlock(&db->muRefresh);
  return rc;
}

/* ------------------------------------------------------------ scans */

/*
** The read bounds of a scan with an overlay (a transaction's uncommitted
** batch, whose operation i has seq SDB_BATCH_SEQ_BASE + i, far above any
** committed seq). Its visible-row iterator reads up to the batch's newest
** operation when the scan started, overSeq, also after seeks (a statement's
** cursor; sdbReadScanSeek): operations the batch gets later (the statement's
** own writes, through any table of the connection on this database) are
** skipped, and since a later put or delete of a key is a new entry beside the
** older ones, the key keeps the value it had at the start. The committed rows
** under the overlay are read up to the version's lastSeq at the start, as a
** scan without an overlay reads them: each memtable of the version is wrapped
** in a SeqCapIter that skips rows above it (a commit being linked, or linked
** after the start; a commit enters the memtable whole, see writer.c);
** SSTs hold only published rows. Scans without an overlay do not use it.
*/
typedef struct SeqCapIter {
  SdbIter base;           /* cur borrows pIn's row (memtable rows live as long as pIn) */
  SdbIter *pIn;           /* a memtable iterator, owned */
  u64 maxSeq;             /* rows above it are skipped */
} SeqCapIter;

/* After pIn moved (rc): skip its rows above maxSeq, show its row or EOF. */
static int capSettle(SeqCapIter *it, int rc, SdbErr *pErr) {
  while (rc == SDB_OK && !it->pIn->bEof && it->pIn->cur.seq > it->maxSeq) {
    rc = sdb_iter_next(it->pIn, pErr);
  }
  it->base.bEof = rc != SDB_OK || it->pIn->bEof;
  if (!it->base.bEof) it->base.cur = it->pIn->cur;
  return rc;
}

static int capNext(SdbIter *pIter, SdbErr *pErr) {
  SeqCapIter *it = (SeqCapIter *)pIter;
  return capSettle(it, sdb_iter_next(it->pIn, pErr), pErr);
}

static int capSeek(SdbIter *pIter, const SdbRange *pRange, SdbErr *pErr) {
  SeqCapIter *it = (SeqCapIter *)pIter;
  return capSettle(it, sdb_iter_seek(it->pIn, pRange, pErr), pErr);
}

static void capFree(SdbIter *pIter) {
  SeqCapIter *it = (SeqCapIter *)pIter;
  sdb_iter_free(it->pIn);
  sdbFree(it);
}

static const SdbIterMethods capMethods = {capNext, capFree, capSeek};

/* An iterator over the rows of memtable p in range r with a seq up to
** maxSeq. Caller owns *pp. */
static int dbMemCapped(SdbMemtable *p, const SdbRange *r, int bDesc, u64 maxSeq, SdbIter **pp,
                       SdbErr *pErr) {
  SeqCapIter *it = sdbMallocZero(sizeof(*it));
  if (!it) return SDB_NOMEM_ERR(pErr);
  int rc = sdbMemtableIterNew(p, r, bDesc, &it->pIn, pErr);
  if (rc) {
    sdbFree(it);
    return rc;
  }
  it->base.pMethods = &capMethods;
  it->maxSeq = maxSeq;
  capSettle(it, SDB_OK, pErr);
  *pp = &it->base;
  return SDB_OK;
}

/*
** Append an iterator over memtable p to ap[*pn], unless p is empty and no
** overlay is merged (bOverlay 0): the scan then reads only rows with a seq up
** to the version's lastSeq, loaded (acquire) before this call, and every such
** row was counted in p before lastSeq was published, so an empty p has none.
** Skipping it spares every row of the scan a merge step (a reader whose WAL
** is all in L0 SSTs has an empty memtable). With an overlay, the iterator
** skips rows above lastSeq (SeqCapIter).
*/
static int dbMemChild(SdbMemtable *p, const SdbRange *r, int bDesc, int bOverlay, u64 lastSeq,
                      SdbIter **ap, int *pn, SdbErr *pErr) {
  if (!bOverlay && sdbMemtableRows(p) == 0) return SDB_OK;
  int rc = bOverlay ? dbMemCapped(p, r, bDesc, lastSeq, &ap[*pn], pErr)
                    : sdbMemtableIterNew(p, r, bDesc, &ap[*pn], pErr);
  if (rc == SDB_OK) (*pn)++;
  return rc;
}

/* All child iterators of version v for range r: pFirst (an overlay, ownership
** taken; may be NULL), memtables (with pFirst, capped at lastSeq: SeqCapIter),
** L0s, runs. */
static int dbChildren(SdbDb *db, DbVersion *v, const SdbRange *r, int bDesc, SdbIter *pFirst,
                      u64 lastSeq, SdbIter ***papChild, int *pnChild, SdbErr *pErr) {
  int nMax = 2 + v->nImm + v->nL0 + v->nRun, n = 0;
  SdbIter **ap = sdbMallocZero(sizeof(SdbIter *) * (size_t)nMax);
  if (!ap) {
    sdb_iter_free(pFirst);
    return SDB_NOMEM_ERR(pErr);
  }
  if (pFirst) ap[n++] = pFirst;
  int rc = dbMemChild(v->pMem, r, bDesc, pFirst != NULL, lastSeq, ap, &n, pErr);
  for (int i = 0; rc == SDB_OK && i < v->nImm; i++) {
    rc = dbMemChild(v->apImm[i], r, bDesc, pFirst != NULL, lastSeq, ap, &n, pErr);
  }
  for (int i = 0; rc == SDB_OK && i < v->nL0; i++) {   /* seekable, so every L0 */
    rc = sdbDbTableSeekIter(db, v->apL0[i], r, bDesc, &ap[n], pErr);
    if (rc == SDB_OK) n++;
  }
  for (int i = 0; rc == SDB_OK && i < v->nRun; i++) {
    rc = sdbDbRunIter(db, &v->aRun[i], r, bDesc, &ap[n], pErr);
    if (rc == SDB_OK) n++;
  }
  if (rc) {
    for (int i = 0; i < n; i++) sdb_iter_free(ap[i]);
    sdbFree(ap);
    return rc;
  }
  *papChild = ap;
  *pnChild = n;
  return SDB_OK;
}

static int dbPrefetch(SdbDb *db, DbVersion *v, const SdbRange *aRange, int nRange, int bDesc,
                      SdbErr *pErr);

/* Drop the version a finished scan pinned. */
static void dbVersionUnpin(void *p) { sdbDbVersionUnref((DbVersion *)p); }

/* Scan version v (pinned by the caller; the reference passes to the iterator)
** with an optional overlay memtable as the newest child, read up to its seq
** overSeq (see SeqCapIter). The first block of every SST the scan merges is
** fetched at once where the store can overlap reads (S3). */
static int dbScanVersion(SdbDb *db, DbVersion *v, SdbMemtable *pOverlay, u64 overSeq,
                         const SdbRange *pRange, int bDesc, SdbIter **ppIter, SdbErr *pErr) {
  u64 lastSeq = __atomic_load_n(&v->lastSeq, __ATOMIC_ACQUIRE), maxSeq = lastSeq;
  SdbIter **apChild = NULL, *pMerged = NULL, *pOver = NULL;
  int nChild = 0;
  SdbRange all = {0};
  int rc = dbPrefetch(db, v, pRange ? pRange : &all, 1, bDesc, pErr);
  if (rc == SDB_OK && pOverlay) {
    rc = sdbMemtableIterNew(pOverlay, pRange, bDesc, &pOver, pErr);
    maxSeq = overSeq;
  }
  if (rc == SDB_OK) rc = dbChildren(db, v, pRange, bDesc, pOver, lastSeq, &apChild, &nChild, pErr);
  else sdb_iter_free(pOver);
  if (rc == SDB_OK && nChild == 1) {
    /* one source: nothing to merge, and an L0's table iterator need not forward */
    pMerged = sdbDbTableIterUnwrap(apChild[0]);
  } else if (rc == SDB_OK) {
    rc = sdbMergeIterNew(apChild, nChild, bDesc, &pMerged, pErr);
  }
  sdbFree(apChild);
  if (rc) {
    sdbDbVersionUnref(v);
    return rc;
  }
  return sdbVisibleIterNew(pMerged, bDesc, maxSeq, db->eMergeOp, v, dbVersionUnpin, ppIter, pErr);
}

/* ------------------------------------------------------------ prefetch */
#define DB_PREFETCH_MAX 256   /* spans per sdb_db_prefetch call */

/* One planned read: the SST (borrowed from the pinned version) and its span. */
typedef struct DbFetch {
  SdbSst *pSst;
  SdbSstSpan span;
} DbFetch;

static int dbFetchCmp(const void *a, const void *b) {
  const DbFetch *x = a, *y = b;
  if (x->pSst != y->pSst) return (uintptr_t)x->pSst < (uintptr_t)y->pSst ? -1 : 1;
  return x->span.iFirst < y->span.iFirst ? -1 : x->span.iFirst > y->span.iFirst;
}

/* A pass over the tables where reads of some ranges start: opening the SSTs
** not open yet (bOpen), or planning each one's first block read. */
typedef struct DbPass {
  int bOpen;
  DbTable **apOpen;       /* bOpen: tables to open (borrowed from the pinned version) */
  u8 *aForLookups;        /* ... and whether a point read needs each one's filter */
  DbFetch *a;             /* !bOpen: the planned block reads */
  int n;                  /* entries in apOpen or a (at most DB_PREFETCH_MAX) */
} DbPass;

/* Note table t, not open yet, in the open pass (once). */
static void dbPassOpen(SdbDb *db, DbTable *t, const SdbRange *clipped, DbPass *p) {
  pthread_mutex_lock(&db->muOpen);
  int bOpen = t->pSst != NULL;
  pthread_mutex_unlock(&db->muOpen);
  if (bOpen) return;
  int i = 0;
  while (i < p->n && p->apOpen[i] != t) i++;
  if (i == p->n) {
    p->apOpen[p->n++] = t;
    p->aForLookups[i] = 0;
  }
  if (sdbRangeIsPoint(clipped)) p->aForLookups[i] = 1;
}

/* Table t in the pass over range r. Errors are ignored: the scan that
** follows reports them. */
static void dbPassTable(SdbDb *db, DbTable *t, const SdbRange *r, int bDesc, DbPass *p) {
  SdbRange clipped;
  SdbSst *pSst;
  SdbErr err;
  sdbDbClipRange(r, t, &clipped);
  if (p->n >= DB_PREFETCH_MAX || sdbRangeIsEmpty(&clipped) || !sdbDbTableOverlaps(t, &clipped)) return;
  if (p->bOpen) {
    dbPassOpen(db, t, &clipped, p);
    return;
  }
  if (sdbDbTableSst(db, t, &clipped, bDesc, &pSst, &err)) return;
  if (sdbSstPrefetchPlan(pSst, &clipped, bDesc, &p->a[p->n].span, &err) == SDB_OK &&
      p->a[p->n].span.bNeed) {
    p->a[p->n++].pSst = pSst;
  }
}

/* The pass over the tables where a read of range r in version v starts:
** every L0, and the table of each sorted run where the read starts. */
static void dbPassRange(SdbDb *db, DbVersion *v, const SdbRange *r, int bDesc, DbPass *p) {
  for (int i = 0; i < v->nL0; i++) dbPassTable(db, v->apL0[i], r, bDesc, p);
  for (int i = 0; i < v->nRun; i++) {
    DbRun *d = &v->aRun[i];
    int iFirst = sdbDbRunFirst(d, r);
    if (bDesc) {
      iFirst = d->nTable - 1;
      while (iFirst >= 0 && !sdbDbTableOverlaps(d->apTable[iFirst], r)) iFirst--;
    }
    if (iFirst >= 0 && iFirst < d->nTable) dbPassTable(db, d->apTable[iFirst], r, bDesc, p);
  }
}

/* Open the tables of an open pass with one batch of reads (index, and for
** lookups the filter). A table another thread opened meanwhile keeps its
** SST; a failed read or open is left to the scan, which reports it. */
static int dbOpenAll(SdbDb *db, DbPass *p, SdbErr *pErr) {
  SdbGetReq *aReq = sdbMallocZero(sizeof(SdbGetReq) * (size_t)p->n);
  if (!aReq) return SDB_NOMEM_ERR(pErr);
  for (int i = 0; i < p->n; i++) {
    aReq[i].zKey = p->apOpen[i]->zKey;
    sdbSstOpenSpan(&p->apOpen[i]->info, p->aForLookups[i], &aReq[i].iOff, &aReq[i].nLen);
  }
  SdbErr err;
  sdbStoreGetMany(db->pStore, aReq, p->n, &err);
  for (int i = 0; i < p->n; i++) {
    DbTable *t = p->apOpen[i];
    SdbSst *pSst = NULL;
    if (aReq[i].rc == SDB_OK &&
        sdbSstOpenFromBytes(db->pStore, t->zKey, &t->info, t->formatVersion, db->pCache,
                            p->aForLookups[i], aReq[i].out.a, aReq[i].out.n, aReq[i].iOff, &pSst,
                            &err) == SDB_OK) {
      sdbSstSetMaxSeq(pSst, t->maxSeq);
      pthread_mutex_lock(&db->muOpen);
      if (!t->pSst) {
        t->pSst = pSst;
        pSst = NULL;
      }
      pthread_mutex_unlock(&db->muOpen);
      sdbSstUnref(pSst);
    }
    sdbBufFree(&aReq[i].out);
  }
  sdbFree(aReq);
  return SDB_OK;
}

/* Open, in one batch, the SSTs the reads of aRange[0..nRange) start in. */
static int dbOpenPass(SdbDb *db, DbVersion *v, const SdbRange *aRange, int nRange, int bDesc,
                      SdbErr *pErr) {
  DbPass p = {1, NULL, NULL, NULL, 0};
  p.apOpen = sdbMalloc(sizeof(DbTable *) * DB_PREFETCH_MAX);
  p.aForLookups = sdbMalloc(DB_PREFETCH_MAX);
  int rc = SDB_OK;
  if (!p.apOpen || !p.aForLookups) rc = SDB_NOMEM_ERR(pErr);
  for (int i = 0; rc == SDB_OK && i < nRange && p.n < DB_PREFETCH_MAX; i++) {
    dbPassRange(db, v, &aRange[i], bDesc, &p);
  }
  if (rc == SDB_OK && p.n > 1) rc = dbOpenAll(db, &p, pErr);
  sdbFree(p.apOpen);
  sdbFree(p.aForLookups);
  return rc;
}

/* Read the planned spans a[0..n) in one batch and hand them to their SSTs. */
static int dbFetchAll(SdbDb *db, DbFetch *a, int n, SdbErr *pErr) {
  SdbGetReq *aReq = sdbMallocZero(sizeof(SdbGetReq) * (size_t)n);
  if (!aReq) return SDB_NOMEM_ERR(pErr);
  for (int i = 0; i < n; i++) {
    aReq[i].zKey = sdbSstKey(a[i].pSst);
    aReq[i].iOff = a[i].span.off;
    aReq[i].nLen = a[i].span.len;
  }
  int rc = sdbStoreGetMany(db->pStore, aReq, n, pErr);
  for (int i = 0; i < n; i++) {
    if (aReq[i].rc == SDB_OK) sdbSstPrefetchInstall(a[i].pSst, &a[i].span, &aReq[i].out);
    sdbBufFree(&aReq[i].out);
  }
  sdbFree(aReq);
  return rc;
}

/* sdb_db_prefetch on version v (pinned by the caller). */
static int dbPrefetch(SdbDb *db, DbVersion *v, const SdbRange *aRange, int nRange, int bDesc,
                      SdbErr *pErr) {
  if (!db->pStore->pMethods->xGetMany || nRange <= 0) return SDB_OK;
  int rc = dbOpenPass(db, v, aRange, nRange, bDesc, pErr);
  if (rc) return rc;
  DbPass p = {0, NULL, NULL, sdbMallocZero(sizeof(DbFetch) * DB_PREFETCH_MAX), 0};
  if (!p.a) return SDB_NOMEM_ERR(pErr);
  for (int i = 0; i < nRange && p.n < DB_PREFETCH_MAX; i++) dbPassRange(db, v, &aRange[i], bDesc, &p);
  DbFetch *a = p.a;
  int n = p.n;
  /* Sorted IN-lists often plan the same block for several keys. */
  qsort(a, (size_t)n, sizeof(*a), dbFetchCmp);
  int nUniq = 0;
  for (int i = 0; i < n; i++) {
    if (nUniq > 0 && dbFetchCmp(&a[nUniq - 1], &a[i]) == 0) continue;
    a[nUniq++] = a[i];
  }
  SdbErr errFetch;
  rc = nUniq > 1 ? dbFetchAll(db, a, nUniq, &errFetch) : SDB_OK;
  if (rc == SDB_NOMEM) rc = SDB_NOMEM_ERR(pErr);
  else rc = SDB_OK;   /* the reads that follow report store errors */
  sdbFree(a);
  return rc;
}

/* See dbInt.h. */
int sdbReadPrefetch(SdbDb *db, const SdbRange *aRange, int nRange, int bDesc, SdbErr *pErr) {
  DbVersion *v = sdbDbPinVersion(db);
  int rc = dbPrefetch(db, v, aRange, nRange, bDesc, pErr);
  sdbDbVersionUnref(v);
  return rc;
}

/* ------------------------------------------------------------ resuming scans */
/*
** The iterator sdb_db_scan returns: a scan of the current version that, when
** an object it reads has vanished (SDB_NOTFOUND: GC deleted an SST or WAL SST
** of the version after a newer manifest dropped it), refreshes and resumes
** after the last row it returned on the new current version (sdbDbVanishRetry
** bounds the retries).
*/
typedef struct ScanIter {
  SdbIter base;           /* cur borrows from pIn's current row */
  SdbDb *db;
  SdbIter *pIn;           /* the scan of one version; owned */
  SdbMemtable *pOverlay;  /* the transaction's uncommitted rows, a reference; or NULL */
  u64 overSeq;            /* ... read up to this seq (SeqCapIter); 0 = no overlay */
  SdbRangeCopy range;     /* the scan's range */
  int bHasRange;
  int bDesc;
  SdbBuf lastKey;         /* key of the row last returned (bHasLast) */
  int bHasLast;
  u64 manifestId;         /* manifest of the version pIn scans */
  DbVersion *pVer;        /* that version (pinned by pIn), and its lastSeq */
  u64 verSeq;             /* when pIn was built: a seek reuses pIn while both hold */
  DbVanish vanish;
} ScanIter;

/* Copy n bytes, n <= 32, with fixed-size (overlapping) moves the compiler
** inlines: no call for the key of every row (scanExpose). */
static inline void scanCopyShort(u8 *d, const u8 *s, size_t n) {
  if (n >= 16) {
    memcpy(d, s, 16);
    memcpy(d + n - 16, s + n - 16, 16);
  } else if (n >= 8) {
    memcpy(d, s, 8);
    memcpy(d + n - 8, s + n - 8, 8);
  } else if (n >= 4) {
    memcpy(d, s, 4);
    memcpy(d + n - 4, s + n - 4, 4);
  } else {
    for (size_t i = 0; i < n; i++) d[i] = s[i];
  }
}

/* Show pIn's row (or EOF) as its own, remembering its key (a copy: the
** resume point if a later step finds an object gone; see the section's
** comment). Called per row. */
static inline int scanExpose(ScanIter *it, SdbErr *pErr) {
  const SdbIter *pIn = it->pIn;
  it->base.bEof = pIn->bEof;
  if (it->base.bEof) return SDB_OK;
  it->base.cur = pIn->cur;
  size_t n = pIn->cur.nKey;
  it->lastKey.n = 0;
  if (n > it->lastKey.nAlloc && sdbBufReserve(&it->lastKey, n)) return SDB_NOMEM_ERR(pErr);
  if (n <= 32) scanCopyShort(it->lastKey.a, pIn->cur.pKey, n);
  else memcpy(it->lastKey.a, pIn->cur.pKey, n);
  it->lastKey.n = n;
  it->bHasLast = 1;
  return SDB_OK;
}

/* (Re)start pIn on the current version: the scan's range, after the last
** row returned. */
static int scanStart(ScanIter *it, SdbErr *pErr) {
  SdbRange r = it->bHasRange ? it->range.r : (SdbRange){0};
  sdb_iter_free(it->pIn);
  it->pIn = NULL;
  if (it->bHasLast && !it->bDesc) {
    r.pLo = it->lastKey.a; r.nLo = it->lastKey.n; r.bHasLo = 1; r.bLoExcl = 1;
  } else if (it->bHasLast) {
    r.pHi = it->lastKey.a; r.nHi = it->lastKey.n; r.bHasHi = 1; r.bHiExcl = 1;
  }
  const SdbRange *pr = (it->bHasRange || it->bHasLast) ? &r : NULL;
  DbVersion *v = sdbDbPinVersion(it->db);
  it->manifestId = v->manifestId;
  it->pVer = v;
  it->verSeq = __atomic_load_n(&v->lastSeq, __ATOMIC_ACQUIRE);
  int rc = dbScanVersion(it->db, v, it->pOverlay, it->overSeq, pr, it->bDesc, &it->pIn, pErr);
  return rc ? rc : scanExpose(it, pErr);
}

/* After rc from a start or a step: while an object vanished, refresh and
** start again (bounded). */
static int scanRetry(ScanIter *it, int rc, SdbErr *pErr) {
  while (rc == SDB_NOTFOUND && sdbDbVanishRetry(it->db, &it->vanish, it->manifestId)) {
    rc = it->db->pWriter ? SDB_OK : sdbReaderRefresh(it->db, pErr);
    if (rc == SDB_OK) rc = scanStart(it, pErr);
  }
  return sdbDbVanishedCorrupt(rc, pErr);
}

/* xNext of a resuming scan: step pIn, and on a vanished object resume on a
** fresh version (scanRetry). */
static int scanNext(SdbIter *pIter, SdbErr *pErr) {
  ScanIter *it = (ScanIter *)pIter;
  if (it->base.bEof) return SDB_OK;
  int rc = sdb_iter_next(it->pIn, pErr);
  if (rc == SDB_OK) rc = scanExpose(it, pErr);
  return rc ? scanRetry(it, rc, pErr) : SDB_OK;
}

/* xFree of a resuming scan: its version scan (and with it the pinned
** version), overlay reference, range copy and last key. */
static void scanFree(SdbIter *pIter) {
  ScanIter *it = (ScanIter *)pIter;
  sdb_iter_free(it->pIn);
  sdbMemtableUnref(it->pOverlay);
  sdbRangeCopyFree(&it->range);
  sdbBufFree(&it->lastKey);
  sdbFree(it);
}

/* True if the database state pIn scans is still the current one: the same
** version, nothing committed or replayed into it since. */
static int scanIsCurrent(ScanIter *it) {
  if (!it->pIn) return 0;
  DbVersion *v = sdbDbPinVersion(it->db);
  int bSame = v == it->pVer && __atomic_load_n(&v->lastSeq, __ATOMIC_ACQUIRE) == it->verSeq;
  sdbDbVersionUnref(v);
  return bSame;
}

/* xSeek of a resuming scan: pIn seeks when the state it scans is current
** (it then yields what a new scan would, the overlay read up to the same
** overSeq), else it is built again on the current version. Neither
** refreshes a reader. */
static int scanSeek(SdbIter *pIter, const SdbRange *pRange, SdbErr *pErr) {
  ScanIter *it = (ScanIter *)pIter;
  it->bHasLast = 0;
  it->base.bEof = 1;
  memset(&it->vanish, 0, sizeof(it->vanish));
  if (sdbRangeCopySet(&it->range, pRange)) return SDB_NOMEM_ERR(pErr);
  it->bHasRange = pRange != NULL;
  int rc;
  if (scanIsCurrent(it) && sdb_iter_can_seek(it->pIn)) {
    rc = sdb_iter_seek(it->pIn, pRange, pErr);
    if (rc == SDB_OK) rc = scanExpose(it, pErr);
  } else {
    rc = scanStart(it, pErr);
  }
  return rc ? scanRetry(it, rc, pErr) : SDB_OK;
}

static const SdbIterMethods scanMethods = {scanNext, scanFree, scanSeek};

/* A resuming scan of pRange with overlay pIdx read up to overSeq (pIdx NULL:
** 0). */
static int scanNew(SdbDb *db, SdbMemtable *pIdx, u64 overSeq, const SdbRange *pRange, int bDesc,
                   SdbIter **ppIter, SdbErr *pErr) {
  *ppIter = NULL;
  int rc = dbMaybeRefresh(db, pErr);
  if (rc) return rc;
  ScanIter *it = sdbMallocZero(sizeof(*it));
  if (!it || sdbRangeCopyInit(&it->range, pRange)) {
    sdbFree(it);
    return SDB_NOMEM_ERR(pErr);
  }
  it->base.pMethods = &scanMethods;
  it->db = db;
  it->bHasRange = pRange != NULL;
  it->bDesc = bDesc;
  if (pIdx) sdbMemtableRef(pIdx);
  it->pOverlay = pIdx;
  it->overSeq = overSeq;
  rc = scanStart(it, pErr);
  if (rc) rc = scanRetry(it, rc, pErr);
  if (rc) {
    scanFree(&it->base);
    return rc;
  }
  *ppIter = &it->base;
  return SDB_OK;
}

/* See dbInt.h. */
int sdbReadScan(SdbDb *db, SdbMemtable *pIdx, const SdbRange *pRange, int bDesc, SdbIter **ppIter,
                SdbErr *pErr) {
  return scanNew(db, pIdx, pIdx ? sdbMemtableMaxSeq(pIdx) : 0, pRange, bDesc, ppIter, pErr);
}

/* See dbInt.h. The overlay stays as *ppIter read it: the index memtable it
** referenced (kept alive by its reference) up to overSeq, or none. Not the
** batch's index now: a savepoint rollback or a commit replaces it, and the
** new index numbers its operations from where it was truncated, so the
** operations added since would take the numbers up to overSeq again. */
int sdbReadScanSeek(SdbDb *db, SdbMemtable *pIdx, const SdbRange *pRange, int bDesc,
                    SdbIter **ppIter, SdbErr *pErr) {
  ScanIter *it = (ScanIter *)*ppIter;
  if (!it || it->base.pMethods != &scanMethods || it->db != db) {
    sdb_iter_free(*ppIter);
    *ppIter = NULL;
    return sdbReadScan(db, pIdx, pRange, bDesc, ppIter, pErr);
  }
  int rc;
  if (it->bDesc == bDesc) {
    rc = scanSeek(&it->base, pRange, pErr);
    if (rc == SDB_OK) return SDB_OK;
    scanFree(&it->base);
    *ppIter = NULL;
    return rc;
  }
  SdbMemtable *pOld = it->pOverlay;   /* the new scan takes its own reference */
  u64 overSeq = it->overSeq;
  if (pOld) sdbMemtableRef(pOld);
  scanFree(&it->base);
  *ppIter = NULL;
  rc = scanNew(db, pOld, overSeq, pRange, bDesc, ppIter, pErr);
  sdbMemtableUnref(pOld);
  return rc;
}
