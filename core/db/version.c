/*
** version.c: the versions of a database handle, the lowest file of db/ above
** the memtable (see the file order in dbInt.h).
**
** A handle holds the object store, the block cache and the current "version":
** an immutable, reference-counted view built from one manifest plus the WAL
** replayed on top of it (spec/MANIFEST.md §4.1 step 8 and §4.2):
**   - L0 SSTs, newest first, and sorted runs, newest (highest id) first;
**   - a memtable holding the rows of WAL SSTs with id > replay_after_wal_id
**     whose seq > last_l0_seq.
** SSTs are opened lazily, on the first read that needs them, and shared
** between versions (DbTable). This file builds versions (from a manifest,
** replaying the WAL, or by freezing the active memtable), pins, releases and
** installs them, iterates one table or sorted run (the read path and the
** compactor merge these), checks a manifest's invariants, and keeps the
** process-wide change counter of each database URL (DbGen) and the retry
** budget of reads that found an object gone (DbVanish).
**
** Garbage collection (of another process, or of a writer in this one) may
** delete a WAL SST or SST between the reading of a manifest and the read of
** the object. Retries go on while newer manifests come (DB_VANISHED_MAX in
** all); an object still missing after DB_VANISHED_RETRIES retries on one
** manifest (DB_VANISHED_RETRIES + 1 failed attempts) is corruption.
*/
#include <pthread.h>
#include <stdio.h>

#include "db/dbInt.h"
#include "db/merge.h"
#include "util/rangeutil.h"

#define DB_VANISHED_RETRIES 3   /* retries on one manifest when an object vanished */
#define DB_VANISHED_MAX 16      /* ... in all, while newer manifests keep coming */

/* ------------------------------------------------------------ generations */
/* The process-wide change counter of one database URL, shared by every
** handle open on it. Guarded by dbGenMu except gen (atomic). */
typedef struct DbGen {
  char *zUrl;             /* owned */
  int nRef;               /* handles using it */
  u64 gen;                /* bumped by each WAL SST or manifest a writer stores */
  struct DbGen *pNext;
} DbGen;

static pthread_mutex_t dbGenMu = PTHREAD_MUTEX_INITIALIZER;
static DbGen *dbGenList = NULL;

/* The counter of zUrl, with a reference for the caller; NULL on OOM (the
** handle then relies on poll_interval alone). */
struct DbGen *sdbDbGenAcquire(const char *zUrl) {
  pthread_mutex_lock(&dbGenMu);
  DbGen *g = dbGenList;
  while (g && strcmp(g->zUrl, zUrl) != 0) g = g->pNext;
  if (!g && (g = sdbMallocZero(sizeof(*g))) != NULL) {
    g->zUrl = sdbStrdup(zUrl);
    if (!g->zUrl) {
      sdbFree(g);
      g = NULL;
    } else {
      g->pNext = dbGenList;
      dbGenList = g;
    }
  }
  if (g) g->nRef++;
  pthread_mutex_unlock(&dbGenMu);
  return g;
}

/* Drop a reference from sdbDbGenAcquire (g may be NULL); the last one frees the
** counter and unlinks it from dbGenList. */
void sdbDbGenRelease(struct DbGen *g) {
  if (!g) return;
  pthread_mutex_lock(&dbGenMu);
  if (--g->nRef == 0) {
    for (DbGen **pp = &dbGenList; *pp; pp = &(*pp)->pNext) {
      if (*pp == g) {
        *pp = g->pNext;
        break;
      }
    }
    sdbFree(g->zUrl);
    sdbFree(g);
  }
  pthread_mutex_unlock(&dbGenMu);
}

/* The current value of db's change counter (0 when it has none). */
u64 sdbDbGenNow(const SdbDb *db) {
  return db->pGen ? __atomic_load_n(&db->pGen->gen, __ATOMIC_ACQUIRE) : 0;
}

void sdbDbNoteChange(SdbDb *db) {
  if (db->pGen) __atomic_add_fetch(&db->pGen->gen, 1, __ATOMIC_ACQ_REL);
}

/* After an attempt on manifest id found an object gone: whether to try again
** from a fresh manifest (counted in db->nVanished). GC deletes only what a
** newer manifest no longer needs, so while the manifests move on the read is
** retried, DB_VANISHED_MAX times in all; on one manifest it is retried
** DB_VANISHED_RETRIES times, and the failure after that is corruption. */
int sdbDbVanishRetry(SdbDb *db, DbVanish *p, u64 id) {
  p->nSame = (p->nAll > 0 && id <= p->id) ? p->nSame + 1 : 1;
  p->id = id;
  if (++p->nAll > DB_VANISHED_MAX || p->nSame > DB_VANISHED_RETRIES) return 0;
  __atomic_add_fetch(&db->nVanished, 1, __ATOMIC_RELAXED);
  return 1;
}

/* An object still missing after the retries is corruption (the message,
** naming it, is kept). */
int sdbDbVanishedCorrupt(int rc, SdbErr *pErr) {
  if (rc != SDB_NOTFOUND) return rc;
  if (pErr) pErr->rc = SDB_CORRUPT;
  return SDB_CORRUPT;
}

/* ------------------------------------------------------------ tables */
static void dbTableUnref(DbTable *t) {
  if (!t || __atomic_sub_fetch(&t->nRef, 1, __ATOMIC_ACQ_REL) != 0) return;
  if (t->pSst) sdbSstUnref(t->pSst);
  sdbSstInfoClear(&t->info);
  sdbFree(t->pBounds);
  sdbFree(t);
}

/* A new table for manifest handle h of a manifest whose last_l0_seq is
** maxSeq (one reference, the caller's). */
static int dbTableNew(const SdbSstHandle *h, u64 maxSeq, DbTable **pp, SdbErr *pErr) {
  DbTable *t = sdbMallocZero(sizeof(*t));
  *pp = NULL;
  if (!t) return SDB_NOMEM_ERR(pErr);
  t->nRef = 1;
  t->maxSeq = maxSeq;
  t->id = h->id;
  char zId[27];
  sdbUlidFormat(h->id, zId);
  snprintf(t->zKey, sizeof(t->zKey), "compacted/%s.sst", zId);
  t->formatVersion = h->bHasFormatVersion ? h->formatVersion : 1;
  if (sdbSstInfoCopy(&t->info, &h->info)) {
    sdbFree(t);
    return SDB_NOMEM_ERR(pErr);
  }
  if (h->bHasVisibleRange) {
    const SdbBound *lo = &h->visStart, *hi = &h->visEnd;
    size_t nLo = lo->nKey, nHi = hi->nKey;
    t->pBounds = sdbMalloc(nLo + nHi + 1);
    if (!t->pBounds) {
      dbTableUnref(t);
      return SDB_NOMEM_ERR(pErr);
    }
    if (nLo) memcpy(t->pBounds, lo->pKey, nLo);
    if (nHi) memcpy(t->pBounds + nLo, hi->pKey, nHi);
    t->bHasVisible = 1;
    t->visible.bHasLo = lo->eType == SDB_BOUND_INCLUDED || lo->eType == SDB_BOUND_EXCLUDED;
    t->visible.bLoExcl = lo->eType == SDB_BOUND_EXCLUDED;
    t->visible.pLo = t->pBounds;
    t->visible.nLo = nLo;
    t->visible.bHasHi = hi->eType == SDB_BOUND_INCLUDED || hi->eType == SDB_BOUND_EXCLUDED;
    t->visible.bHiExcl = hi->eType == SDB_BOUND_EXCLUDED;
    t->visible.pHi = t->pBounds + nLo;
    t->visible.nHi = nHi;
  }
  *pp = t;
  return SDB_OK;
}

/* Find a table with the given id in the old version, to share it. */
static DbTable *dbFindTable(DbVersion *pOld, SdbUlid id) {
  if (!pOld) return NULL;
  for (int i = 0; i < pOld->nL0; i++) {
    DbTable *t = pOld->apL0[i];
    if (t->id.hi == id.hi && t->id.lo == id.lo) return t;
  }
  for (int r = 0; r < pOld->nRun; r++) {
    for (int i = 0; i < pOld->aRun[r].nTable; i++) {
      DbTable *t = pOld->aRun[r].apTable[i];
      if (t->id.hi == id.hi && t->id.lo == id.lo) return t;
    }
  }
  return NULL;
}

static int dbTableGet(DbVersion *pOld, const SdbSstHandle *h, u64 maxSeq, DbTable **pp,
                      SdbErr *pErr) {
  DbTable *t = dbFindTable(pOld, h->id);
  if (t) {
    __atomic_add_fetch(&t->nRef, 1, __ATOMIC_RELAXED);
    *pp = t;
    return SDB_OK;
  }
  return dbTableNew(h, maxSeq, pp, pErr);
}

/* The open SST of table t (opening it on first use; for a point read r, its
** filter is read with its index). The SST stays owned by t. The reads that
** open it happen outside db->muOpen, so reads of tables already open never
** wait for them; a thread that needs t while another opens it waits for that
** open (DbTable.bOpening, SdbDb.condOpen) instead of reading the SST again,
** and opens it itself only if that open failed. */
int sdbDbTableSst(SdbDb *db, DbTable *t, const SdbRange *r, int bDesc, SdbSst **ppSst,
                  SdbErr *pErr) {
  pthread_mutex_lock(&db->muOpen);
  while (!t->pSst && t->bOpening) pthread_cond_wait(&db->condOpen, &db->muOpen);
  SdbSst *pSst = t->pSst;
  if (!pSst) t->bOpening = 1;
  pthread_mutex_unlock(&db->muOpen);
  *ppSst = pSst;
  if (pSst) return SDB_OK;
  /* A read from the SST's first key (last if bDesc) fetches its data with the index. */
  int bFromEdge = !r || (bDesc ? !t->info.bHasLast || sdbRangeBelowHi(r, t->info.pLast, t->info.nLast)
                               : !t->info.bHasFirst || sdbRangeAboveLo(r, t->info.pFirst, t->info.nFirst));
  int rc;
  if (sdbRangeIsPoint(r)) {
    rc = sdbSstOpenForLookups(db->pStore, t->zKey, &t->info, t->formatVersion, db->pCache, &pSst, pErr);
  } else if (bFromEdge) {
    rc = sdbSstOpenForScan(db->pStore, t->zKey, &t->info, t->formatVersion, db->pCache, bDesc, &pSst,
                           pErr);
  } else {
    rc = sdbSstOpen(db->pStore, t->zKey, &t->info, t->formatVersion, db->pCache, &pSst, pErr);
  }
  if (rc == SDB_OK) sdbSstSetMaxSeq(pSst, t->maxSeq);
  pthread_mutex_lock(&db->muOpen);
  t->bOpening = 0;
  if (rc == SDB_OK && !t->pSst) {   /* else a prefetch pass installed one meanwhile */
    t->pSst = pSst;
    pSst = NULL;
  }
  *ppSst = t->pSst;
  pthread_cond_broadcast(&db->condOpen);
  pthread_mutex_unlock(&db->muOpen);
  sdbSstUnref(pSst);
  return rc;
}

/* ------------------------------------------------------------ versions */
void sdbDbVersionUnref(DbVersion *v) {
  if (!v || __atomic_sub_fetch(&v->nRef, 1, __ATOMIC_ACQ_REL) != 0) return;
  for (int i = 0; i < v->nL0; i++) dbTableUnref(v->apL0[i]);
  sdbFree(v->apL0);
  for (int r = 0; r < v->nRun; r++) {
    for (int i = 0; i < v->aRun[r].nTable; i++) dbTableUnref(v->aRun[r].apTable[i]);
    sdbFree(v->aRun[r].apTable);
  }
  sdbFree(v->aRun);
  sdbMemtableUnref(v->pMem);
  for (int i = 0; i < v->nImm; i++) sdbMemtableUnref(v->apImm[i]);
  sdbManifestFree(v->pManifest);
  sdbFree(v);
}

/* "compacted/<ULID>.sst" of SST id, for messages. */
static const char *dbSstName(SdbUlid id, char z[48]) {
  char zId[27];
  sdbUlidFormat(id, zId);
  snprintf(z, 48, "compacted/%s.sst", zId);
  return z;
}

/* Sorted run d's SSTs must be in key order without overlap (from the keys
** the manifest lists, which the SST open checks against each SST). Views
** with a visible range (ManifestV2 projections) are not compared. */
static int dbCheckRun(const SdbSortedRun *d, SdbErr *pErr) {
  for (int i = 1; i < d->nSst; i++) {
    const SdbSstInfo *a = &d->aSst[i - 1].info, *b = &d->aSst[i].info;
    if (d->aSst[i - 1].bHasVisibleRange || d->aSst[i].bHasVisibleRange) continue;
    if (!a->bHasLast || !b->bHasFirst ||
        sdbKeyCmp(a->pLast, a->nLast, b->pFirst, b->nFirst) >= 0) {
      char z[48];
      return sdbCorrupt(pErr, "sorted run %u: %s does not start after the SST before it ends",
                        d->id, dbSstName(d->aSst[i].id, z));
    }
  }
  return SDB_OK;
}

/* True if view id (V1: the SST id) is listed twice (in L0 or runs) in m. */
static int dbSstListedTwice(const SdbManifest *m, SdbUlid id) {
  int n = 0;
  for (int i = 0; i < m->nL0; i++) {
    n += m->aL0[i].viewId.hi == id.hi && m->aL0[i].viewId.lo == id.lo;
  }
  for (int r = 0; r < m->nRun; r++) {
    for (int i = 0; i < m->aRun[r].nSst; i++) {
      n += m->aRun[r].aSst[i].viewId.hi == id.hi && m->aRun[r].aSst[i].viewId.lo == id.lo;
    }
  }
  return n > 1;
}

/*
** Invariants of manifest m (id manifestId) that SlateDB always keeps and a
** damaged manifest (it has no checksum) may break: WAL ids, checkpoints,
** sorted runs newest first, each run's SSTs in order without overlap, no SST
** listed twice or both compacted and in L0, flushed rows (last_l0_seq) held
** by some L0 or sorted run, and compacted L0s by a sorted run. SDB_OK or SDB_CORRUPT naming the problem.
*/
static int dbCheckManifest(const SdbManifest *m, u64 manifestId, SdbErr *pErr) {
  char z[48];
  if (m->replayAfterWalId > m->walIdLastSeen) {
    return sdbCorrupt(pErr, "manifest %llu: replay_after_wal_id %llu is above wal_id_last_seen %llu",
                      (unsigned long long)manifestId, (unsigned long long)m->replayAfterWalId,
                      (unsigned long long)m->walIdLastSeen);
  }
  if (m->lastL0Seq > 0 && m->nL0 == 0 && m->nRun == 0) {
    return sdbCorrupt(pErr, "manifest %llu: last_l0_seq %llu but no L0 SST or sorted run",
                      (unsigned long long)manifestId, (unsigned long long)m->lastL0Seq);
  }
  if (m->bHasL0LastCompacted && m->nRun == 0) {
    return sdbCorrupt(pErr, "manifest %llu: l0_last_compacted is set but there is no sorted run"
                      " (a compaction always adds its output run)", (unsigned long long)manifestId);
  }
  for (int i = 0; i < m->nCkpt; i++) {
    if (m->aCkpt[i].manifestId > manifestId) {
      return sdbCorrupt(pErr, "manifest %llu: a checkpoint pins manifest %llu, a later one",
                        (unsigned long long)manifestId, (unsigned long long)m->aCkpt[i].manifestId);
    }
  }
  for (int r = 0; r < m->nRun; r++) {
    if (r > 0 && m->aRun[r].id >= m->aRun[r - 1].id) {
      return sdbCorrupt(pErr, "manifest %llu: sorted run %u listed after run %u",
                        (unsigned long long)manifestId, m->aRun[r].id, m->aRun[r - 1].id);
    }
    int rc = dbCheckRun(&m->aRun[r], pErr);
    if (rc) return rc;
    for (int i = 0; i < m->aRun[r].nSst; i++) {
      if (dbSstListedTwice(m, m->aRun[r].aSst[i].viewId)) {
        return sdbCorrupt(pErr, "manifest %llu: %s is listed twice",
                          (unsigned long long)manifestId, dbSstName(m->aRun[r].aSst[i].id, z));
      }
    }
  }
  for (int i = 0; i < m->nL0; i++) {
    const SdbUlid id = m->aL0[i].viewId;
    if (dbSstListedTwice(m, id) || (m->bHasL0LastCompacted && m->l0LastCompacted.hi == id.hi &&
                                    m->l0LastCompacted.lo == id.lo)) {
      return sdbCorrupt(pErr, "manifest %llu: L0 %s is listed twice or as already compacted",
                        (unsigned long long)manifestId, dbSstName(m->aL0[i].id, z));
    }
  }
  return SDB_OK;
}

static int dbVersionTables(DbVersion *v, DbVersion *pOld, SdbErr *pErr) {
  const SdbManifest *m = v->pManifest;
  int rc = dbCheckManifest(m, v->manifestId, pErr);
  if (rc) return rc;
  v->apL0 = sdbMallocZero(sizeof(DbTable *) * (size_t)(m->nL0 + 1));
  v->aRun = sdbMallocZero(sizeof(DbRun) * (size_t)(m->nRun + 1));
  if (!v->apL0 || !v->aRun) return SDB_NOMEM_ERR(pErr);
  for (int i = 0; rc == SDB_OK && i < m->nL0; i++) {
    rc = dbTableGet(pOld, &m->aL0[i], m->lastL0Seq, &v->apL0[i], pErr);
    if (rc == SDB_OK) v->nL0++;
  }
  for (int r = 0; rc == SDB_OK && r < m->nRun; r++) {
    const SdbSortedRun *pRun = &m->aRun[r];
    DbRun *d = &v->aRun[v->nRun++];
    d->id = pRun->id;
    d->apTable = sdbMallocZero(sizeof(DbTable *) * (size_t)(pRun->nSst + 1));
    if (!d->apTable) return SDB_NOMEM_ERR(pErr);
    for (int i = 0; rc == SDB_OK && i < pRun->nSst; i++) {
      rc = dbTableGet(pOld, &pRun->aSst[i], m->lastL0Seq, &d->apTable[i], pErr);
      if (rc == SDB_OK) d->nTable++;
    }
  }
  return rc;
}

/* Parse "wal/<20 digits>.sst" into an id. */
static int dbWalId(const char *zKey, u64 *pId) {
  const char *zName = strrchr(zKey, '/');
  return sdbParseId20(zName ? zName + 1 : zKey, ".sst", pId);
}

/* A row copied out of an iterator, so it survives the iterator's next step. */
typedef struct PendingRow {
  SdbEntry e;             /* pKey/pVal point into buf */
  SdbBuf buf;
  int bHas;
  u64 maxSeq;             /* highest seq inserted so far */
} PendingRow;

/* Make e (copied) the pending row. SDB_OK or SDB_NOMEM. */
static int pendingSet(PendingRow *p, const SdbEntry *e) {
  p->buf.n = 0;
  if (sdbBufAppend(&p->buf, e->pKey, e->nKey) || sdbBufAppend(&p->buf, e->pVal, e->nVal)) {
    return SDB_NOMEM;
  }
  p->e = *e;
  p->e.pKey = p->buf.a;
  p->e.pVal = p->buf.a + e->nKey;
  p->bHas = 1;
  return SDB_OK;
}

/* Insert the pending row (if any) into v's memtable. Its seq is not made
** visible (v->lastSeq): the caller does that once the whole WAL SST is in. */
static int pendingFlush(DbVersion *v, PendingRow *p) {
  if (!p->bHas) return SDB_OK;
  p->bHas = 0;
  if (p->e.seq > p->maxSeq) p->maxSeq = p->e.seq;
  if (p->e.bHasCreateTs && p->e.createTs > v->maxCreateTs) v->maxCreateTs = p->e.createTs;
  return sdbMemtableInsert(v->pMem, &p->e);
}

/* Replay one WAL SST into v's memtable: rows with seq > last_l0_seq. Within a
** WAL SST, a write batch's rows share one seq and are sorted by key; when a key
** appears twice at the same seq (e.g. a merge then a put in one batch), the
** later row replaces the earlier one, as SlateDB's memtable does on replay.
** A row with an empty key is corruption (an L0 flush could not write it).
** v may be the current version with scans running on it: v->lastSeq, which
** bounds what a scan starting now reads, moves only once every row of the WAL
** SST is in (a scan sees all of a WAL SST's batches or none). REQUIRES: the
** only thread inserting into v's memtable (db->muRefresh for readers). */
static int dbReplayOne(SdbDb *db, DbVersion *v, const char *zKey, SdbErr *pErr) {
  SdbSst *pSst = NULL;
  SdbIter *pIter = NULL;
  PendingRow pend = {0};
  int rc = sdbSstOpen(db->pStore, zKey, NULL, 0, NULL, &pSst, pErr);
  if (rc == SDB_OK) rc = sdbSstIterNew(pSst, NULL, 0, &pIter, pErr);
  u64 lastL0 = v->pManifest->lastL0Seq;
  while (rc == SDB_OK && !pIter->bEof) {
    const SdbEntry *e = &pIter->cur;
    if (e->nKey == 0) {                   /* SlateDB never writes one; nor can we */
      rc = sdbCorrupt(pErr, "row with an empty key (seq %llu)", (unsigned long long)e->seq);
      break;
    }
    if (e->seq > lastL0) {
      int bSame = pend.bHas && pend.e.seq == e->seq &&
                  sdbKeyCmp(pend.e.pKey, pend.e.nKey, e->pKey, e->nKey) == 0;
      if (!bSame) rc = pendingFlush(v, &pend);
      if (rc == SDB_OK) rc = pendingSet(&pend, e);
      if (rc) rc = SDB_NOMEM_ERR(pErr);
    }
    if (rc == SDB_OK) rc = sdb_iter_next(pIter, pErr);
  }
  if (rc == SDB_OK && pendingFlush(v, &pend)) rc = SDB_NOMEM_ERR(pErr);
  if (rc == SDB_OK && pend.maxSeq > v->lastSeq) {
    __atomic_store_n(&v->lastSeq, pend.maxSeq, __ATOMIC_RELEASE);
  }
  sdbBufFree(&pend.buf);
  sdb_iter_free(pIter);
  if (pSst) sdbSstUnref(pSst);
  if (rc && rc != SDB_NOMEM) sdbErrWrap(pErr, "%s: ", zKey);
  return rc;
}

/* Replay WAL ids (v->lastWalId, last] in order, by key: the caller knows
** they all exist. A missing one is corruption. */
static int dbReplayWalIds(SdbDb *db, DbVersion *v, u64 last, SdbErr *pErr) {
  for (u64 id = v->lastWalId + 1; id <= last; id++) {
    char zId[21], zKey[48];
    sdbFormatId20(id, zId);
    snprintf(zKey, sizeof(zKey), "wal/%s.sst", zId);
    SdbErr err;
    int rc = dbReplayOne(db, v, zKey, &err);
    if (rc == SDB_NOTFOUND) {
      return sdbCorrupt(pErr, "WAL SST %020llu is missing (WAL SSTs up to %020llu must exist)",
                        (unsigned long long)id, (unsigned long long)last);
    }
    if (rc) {
      if (pErr) *pErr = err;
      return rc;
    }
    v->lastWalId = id;
  }
  return SDB_OK;
}

/* Replay WAL ids (v->lastWalId, highest listed] in order (a writer opening:
** up to its fence, without listing). A gap in the ids, or a listed WAL SST
** gone before its read, is SDB_NOTFOUND: SlateDB writes them densely and
** deletes only ones a newer manifest no longer needs, so the caller retries
** with a fresh manifest (or reports corruption). */
int sdbDbReplayWal(SdbDb *db, DbVersion *v, SdbErr *pErr) {
  if (db->walKnownLast) return dbReplayWalIds(db, v, db->walKnownLast, pErr);
  SdbObjList list = {0};
  int rc = db->pStore->pMethods->xList(db->pStore, "wal/", &list, pErr);
  u64 expect = v->lastWalId + 1;
  for (int i = 0; rc == SDB_OK && i < list.n; i++) {
    u64 id;
    if (dbWalId(list.a[i].zKey, &id) != SDB_OK || id <= v->lastWalId) continue;
    if (db->walReplayEnd && id >= db->walReplayEnd) break;
    if (id != expect) {   /* SDB_NOTFOUND: GC may have raced with this listing */
      rc = sdbErrSet(pErr, SDB_NOTFOUND, "WAL SST %020llu is missing (found %s after %020llu)",
                     (unsigned long long)expect, list.a[i].zKey, (unsigned long long)(expect - 1));
      break;
    }
    rc = dbReplayOne(db, v, list.a[i].zKey, pErr);
    if (rc == SDB_OK) v->lastWalId = id;
    expect = id + 1;
  }
  sdbObjListFree(&list);
  return rc;
}

/* sdbDbVersionBuild, where a WAL SST gone during the replay is SDB_NOTFOUND. */
static int dbVersionBuild(SdbDb *db, SdbManifest *m, u64 manifestId, DbVersion *pOld,
                          SdbMemtable *pMem, SdbMemtable *pDropImm, DbVersion **ppNew,
                          SdbErr *pErr) {
  DbVersion *v = sdbMallocZero(sizeof(*v));
  *ppNew = NULL;
  if (!v) {
    sdbManifestFree(m);
    return SDB_NOMEM_ERR(pErr);
  }
  v->nRef = 1;
  v->pManifest = m;
  v->manifestId = manifestId;
  v->lastSeq = m->lastL0Seq;
  v->lastWalId = m->replayAfterWalId;
  v->maxCreateTs = m->lastL0ClockTick;
  if (pMem) {
    sdbMemtableRef(pMem);
    v->pMem = pMem;
    v->lastSeq = SDB_MAX(v->lastSeq, __atomic_load_n(&pOld->lastSeq, __ATOMIC_ACQUIRE));
    v->lastWalId = SDB_MAX(v->lastWalId, pOld->lastWalId);
    v->maxCreateTs = SDB_MAX(v->maxCreateTs, pOld->maxCreateTs);
    for (int i = 0; i < pOld->nImm; i++) {
      if (pOld->apImm[i] == pDropImm) continue;
      sdbMemtableRef(pOld->apImm[i]);
      v->aImmWalId[v->nImm] = pOld->aImmWalId[i];
      v->apImm[v->nImm++] = pOld->apImm[i];
    }
  } else {
    v->pMem = sdbMemtableNew();
  }
  int rc = v->pMem ? dbVersionTables(v, pOld, pErr) : SDB_NOMEM_ERR(pErr);
  if (rc == SDB_OK && !pMem) rc = sdbDbReplayWal(db, v, pErr);
  if (rc) {
    sdbDbVersionUnref(v);
    return rc;
  }
  *ppNew = v;
  return SDB_OK;
}

/* Build a version from manifest m; see dbInt.h. */
int sdbDbVersionBuild(SdbDb *db, SdbManifest *m, u64 manifestId, DbVersion *pOld,
                      SdbMemtable *pMem, SdbMemtable *pDropImm, DbVersion **ppNew,
                      SdbErr *pErr) {
  int rc = dbVersionBuild(db, m, manifestId, pOld, pMem, pDropImm, ppNew, pErr);
  return sdbDbVanishedCorrupt(rc, pErr);
}

/* Build a version from manifest m, replaying the WAL; see dbInt.h. */
int sdbDbVersionLoad(SdbDb *db, SdbManifest *m, u64 manifestId, DbVersion *pOld, DbVersion **ppNew,
                     SdbErr *pErr) {
  return dbVersionBuild(db, m, manifestId, pOld, NULL, NULL, ppNew, pErr);
}

int sdbDbVersionFreeze(SdbDb *db, DbVersion *v, u64 walId, DbVersion **ppNew, SdbErr *pErr) {
  SdbManifest *m = NULL;
  *ppNew = NULL;
  if (v->nImm >= DB_MAX_IMM) return sdbErrSet(pErr, SDB_BUSY, "too many memtables waiting for L0");
  SdbMemtable *pFresh = sdbMemtableNew();
  if (!pFresh) return SDB_NOMEM_ERR(pErr);
  int rc = sdbManifestCopy(v->pManifest, &m, pErr);
  if (rc == SDB_OK) rc = sdbDbVersionBuild(db, m, v->manifestId, v, pFresh, NULL, ppNew, pErr);
  sdbMemtableUnref(pFresh);
  if (rc) return rc;
  DbVersion *p = *ppNew;
  memmove(&p->apImm[1], &p->apImm[0], sizeof(p->apImm[0]) * (size_t)p->nImm);
  memmove(&p->aImmWalId[1], &p->aImmWalId[0], sizeof(p->aImmWalId[0]) * (size_t)p->nImm);
  sdbMemtableRef(v->pMem);
  p->apImm[0] = v->pMem;
  p->aImmWalId[0] = walId;
  p->nImm++;
  return SDB_OK;
}

void sdbDbInstallVersion(SdbDb *db, DbVersion *v) {
  pthread_mutex_lock(&db->mu);
  DbVersion *pOld = db->pCur;
  db->pCur = v;
  pthread_mutex_unlock(&db->mu);
  sdbDbVersionUnref(pOld);
}

/* The current version, with a reference for the caller. */
DbVersion *sdbDbPinVersion(SdbDb *db) {
  pthread_mutex_lock(&db->mu);
  DbVersion *v = db->pCur;
  __atomic_add_fetch(&v->nRef, 1, __ATOMIC_RELAXED);
  pthread_mutex_unlock(&db->mu);
  return v;
}

/* ------------------------------------------------------------ scans */

/* Intersect r with table t's visible range into *pOut (borrowing both). */
void sdbDbClipRange(const SdbRange *r, const DbTable *t, SdbRange *pOut) {
  *pOut = r ? *r : (SdbRange){0};
  if (!t->bHasVisible) return;
  const SdbRange *vr = &t->visible;
  if (vr->bHasLo && (!pOut->bHasLo || sdbRangeAboveLo(pOut, vr->pLo, vr->nLo))) {
    int bSame = pOut->bHasLo && sdbKeyCmp(vr->pLo, vr->nLo, pOut->pLo, pOut->nLo) == 0;
    int bExcl = vr->bLoExcl || (bSame && pOut->bLoExcl);
    pOut->pLo = vr->pLo; pOut->nLo = vr->nLo; pOut->bHasLo = 1; pOut->bLoExcl = bExcl;
  }
  if (vr->bHasHi && (!pOut->bHasHi || sdbRangeBelowHi(pOut, vr->pHi, vr->nHi))) {
    int bSame = pOut->bHasHi && sdbKeyCmp(vr->pHi, vr->nHi, pOut->pHi, pOut->nHi) == 0;
    int bExcl = vr->bHiExcl || (bSame && pOut->bHiExcl);
    pOut->pHi = vr->pHi; pOut->nHi = vr->nHi; pOut->bHasHi = 1; pOut->bHiExcl = bExcl;
  }
}

/* True if table t may hold keys in r (from its first/last keys). */
int sdbDbTableOverlaps(const DbTable *t, const SdbRange *r) {
  if (!r) return 1;
  if (t->info.bHasLast && !sdbRangeAboveLo(r, t->info.pLast, t->info.nLast)) return 0;
  if (t->info.bHasFirst && !sdbRangeBelowHi(r, t->info.pFirst, t->info.nFirst)) return 0;
  return 1;
}

/* An iterator over table t within r; *pp = NULL if t cannot hold keys in r. */
int sdbDbTableIter(SdbDb *db, DbTable *t, const SdbRange *r, int bDesc, SdbIter **pp,
                   SdbErr *pErr) {
  SdbRange clipped;
  SdbSst *pSst;
  *pp = NULL;
  sdbDbClipRange(r, t, &clipped);
  const SdbRange *rr = (r || t->bHasVisible) ? &clipped : NULL;
  if ((rr && sdbRangeIsEmpty(rr)) || !sdbDbTableOverlaps(t, rr)) return SDB_OK;
  int rc = sdbDbTableSst(db, t, rr, bDesc, &pSst, pErr);   /* SST errors name the object */
  if (rc == SDB_OK) rc = sdbSstIterNew(pSst, rr, bDesc, pp, pErr);
  return rc;
}

/* The iterator of sdbDbTableSeekIter: t's SST iterator (opened when first
** needed, then sought) on the range clipped to t's visible range. */
typedef struct TabIter {
  SdbIter base;           /* cur borrows from pSst's current row */
  SdbDb *db;
  DbTable *t;             /* borrowed from the pinned version */
  int bDesc;
  SdbIter *pSst;          /* the SST iterator, owned; NULL until needed */
} TabIter;

/* xSeek of a table iterator. */
static int tabSeek(SdbIter *pIter, const SdbRange *r, SdbErr *pErr) {
  TabIter *it = (TabIter *)pIter;
  SdbRange clipped;
  SdbSst *pSst;
  it->base.bEof = 1;
  sdbDbClipRange(r, it->t, &clipped);
  const SdbRange *rr = (r || it->t->bHasVisible) ? &clipped : NULL;
  if ((rr && sdbRangeIsEmpty(rr)) || !sdbDbTableOverlaps(it->t, rr)) return SDB_OK;
  int rc;
  if (it->pSst) {
    rc = sdb_iter_seek(it->pSst, rr, pErr);
  } else {
    rc = sdbDbTableSst(it->db, it->t, rr, it->bDesc, &pSst, pErr);
    if (rc == SDB_OK) rc = sdbSstIterNew(pSst, rr, it->bDesc, &it->pSst, pErr);
  }
  if (rc) return rc;
  it->base.bEof = it->pSst->bEof;
  it->base.cur = it->pSst->cur;
  return SDB_OK;
}

static int tabNext(SdbIter *pIter, SdbErr *pErr) {
  TabIter *it = (TabIter *)pIter;
  if (it->base.bEof) return SDB_OK;
  int rc = sdb_iter_next(it->pSst, pErr);
  it->base.bEof = rc || it->pSst->bEof;
  it->base.cur = it->pSst->cur;
  return rc;
}

static void tabFree(SdbIter *pIter) {
  TabIter *it = (TabIter *)pIter;
  sdb_iter_free(it->pSst);
  sdbFree(it);
}

static const SdbIterMethods tabMethods = {tabNext, tabFree, tabSeek};

/* See dbInt.h. */
SdbIter *sdbDbTableIterUnwrap(SdbIter *pIter) {
  if (!pIter || pIter->pMethods != &tabMethods) return pIter;
  TabIter *it = (TabIter *)pIter;
  if (!it->pSst || it->t->bHasVisible) return pIter;
  SdbIter *pSst = it->pSst;
  it->pSst = NULL;
  tabFree(pIter);
  return pSst;
}

int sdbDbTableSeekIter(SdbDb *db, DbTable *t, const SdbRange *r, int bDesc, SdbIter **pp,
                       SdbErr *pErr) {
  TabIter *it = sdbMallocZero(sizeof(*it));
  *pp = NULL;
  if (!it) return SDB_NOMEM_ERR(pErr);
  it->base.pMethods = &tabMethods;
  it->db = db;
  it->t = t;
  it->bDesc = bDesc;
  int rc = tabSeek(&it->base, r, pErr);
  if (rc) {
    tabFree(&it->base);
    return rc;
  }
  *pp = &it->base;
  return SDB_OK;
}

/* Context of a sorted-run concatenation: the run's tables that may hold keys
** in the range, the range and the handle. Owned by the concatenating iterator.
**
** On stores that overlap reads (S3), the run's next SST is opened ahead:
** when the iterator of table i has
** requested its last blocks (sdbSstIterOnTail), a thread opens table i+1
** (i-1 descending) and its iterator, which loads its first block, while
** table i is still being read; the concatenation takes that iterator when it
** reaches table i+1. The thread runs engine code only (the table cache under
** db->muOpen, the store, the block cache); it is joined before the next
** table is opened and before the context is freed, so it never outlives the
** scan. An error it met is reported when the scan reaches that table. */
typedef struct RunCtx {
  SdbDb *db;
  DbRun *pRun;            /* the run, borrowed from the pinned version */
  DbTable **apTable;      /* those of its tables the range may reach */
  int nTable;
  SdbRangeCopy range;
  int bHasRange;
  int bDesc;              /* the direction of the scan */
  int iAhead;             /* the table the thread opens (valid while bThread) */
  pthread_t thread;
  int bThread;            /* the thread runs or has not been joined */
  int rcAhead;            /* its result, once joined */
  SdbErr errAhead;
  SdbIter *pAhead;        /* its iterator, owned (may be NULL: no rows in range) */
  SdbCost *pCost;         /* the starting thread's cost record (sdb_cost_attach) */
} RunCtx;

static const SdbRange *runCtxRange(RunCtx *c) { return c->bHasRange ? &c->range.r : NULL; }

static void *runAheadMain(void *pArg) {
  RunCtx *c = (RunCtx *)pArg;
  sdb_cost_attach(c->pCost);
  c->rcAhead = sdbDbTableIter(c->db, c->apTable[c->iAhead], runCtxRange(c), c->bDesc,
                              &c->pAhead, &c->errAhead);
  if (c->rcAhead == SDB_OK) sdbSstIterReadAhead(c->pAhead);
  return NULL;
}

/* Tail hook of table i's iterator: open the table after it in the background. */
static void runAheadStart(void *pArg) {
  RunCtx *c = (RunCtx *)pArg;
  if (c->bThread || c->iAhead < 0 || c->iAhead >= c->nTable) return;
  c->rcAhead = SDB_OK;
  memset(&c->errAhead, 0, sizeof(c->errAhead));
  c->pCost = sdbCostSink();
  c->bThread = pthread_create(&c->thread, NULL, runAheadMain, c) == 0;
}

/* Join the thread, if any. */
static void runAheadJoin(RunCtx *c) {
  if (!c->bThread) return;
  pthread_join(c->thread, NULL);
  c->bThread = 0;
}

static int runCtxOpen(void *pCtx, int i, int bDesc, SdbIter **pp, SdbErr *pErr) {
  RunCtx *c = (RunCtx *)pCtx;
  int bAhead = c->bThread && c->iAhead == i, rc;
  runAheadJoin(c);
  if (bAhead) {
    rc = c->rcAhead;
    if (rc) sdbErrSet(pErr, rc, "%s", c->errAhead.zMsg);
    *pp = c->pAhead;
  } else {
    sdb_iter_free(c->pAhead);
    rc = sdbDbTableIter(c->db, c->apTable[i], runCtxRange(c), bDesc, pp, pErr);
  }
  c->pAhead = NULL;
  c->bDesc = bDesc;
  c->iAhead = bDesc ? i - 1 : i + 1;
  /* Only where the store overlaps reads (S3): a local read is too short to hide. */
  if (rc == SDB_OK && *pp && c->db->pStore->pMethods->xGetMany) {
    sdbSstIterOnTail(*pp, runAheadStart, c);
  }
  return rc;
}

static void runCtxFree(void *pCtx) {
  RunCtx *c = (RunCtx *)pCtx;
  runAheadJoin(c);
  sdb_iter_free(c->pAhead);
  sdbRangeCopyFree(&c->range);
  sdbFree(c);
}

/* Index of the first table of run d whose last key may reach r's lower bound. */
int sdbDbRunFirst(const DbRun *d, const SdbRange *r) {
  int lo = 0, hi = d->nTable;
  if (!r || !r->bHasLo) return 0;
  while (lo < hi) {   /* first table whose last key >= lo bound */
    int mid = (lo + hi) / 2;
    const DbTable *t = d->apTable[mid];
    if (t->info.bHasLast && !sdbRangeAboveLo(r, t->info.pLast, t->info.nLast)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* The tables of c's run that range r (NULL = all) may reach. */
static void runCtxTables(RunCtx *c, const SdbRange *r) {
  DbRun *d = c->pRun;
  int iFirst = sdbDbRunFirst(d, r);
  int iEnd = iFirst;
  while (iEnd < d->nTable && sdbDbTableOverlaps(d->apTable[iEnd], r)) iEnd++;
  c->apTable = d->apTable + iFirst;
  c->nTable = iEnd - iFirst;
}

/* SdbConcatRange of a run: the table opened ahead (if any) is dropped, and
** the tables and range become those of r. */
static int runCtxSeek(void *pCtx, const SdbRange *r, int *pn, SdbErr *pErr) {
  RunCtx *c = (RunCtx *)pCtx;
  runAheadJoin(c);
  sdb_iter_free(c->pAhead);
  c->pAhead = NULL;
  c->iAhead = -1;
  *pn = 0;
  c->nTable = 0;
  if (sdbRangeCopySet(&c->range, r)) return SDB_NOMEM_ERR(pErr);
  c->bHasRange = r != NULL;
  runCtxTables(c, runCtxRange(c));
  *pn = c->nTable;
  return SDB_OK;
}

int sdbDbRunIter(SdbDb *db, DbRun *d, const SdbRange *r, int bDesc, SdbIter **pp, SdbErr *pErr) {
  RunCtx *c = sdbMallocZero(sizeof(*c));
  *pp = NULL;
  if (!c || sdbRangeCopyInit(&c->range, r)) {
    sdbFree(c);
    return SDB_NOMEM_ERR(pErr);
  }
  c->db = db;
  c->pRun = d;
  c->bHasRange = r != NULL;
  runCtxTables(c, r);
  return sdbConcatIterNew(c, c->nTable, runCtxOpen, runCtxFree, runCtxSeek, bDesc, pp, pErr);
}

/* ------------------------------------------------------------ estimates */

#define DB_EST_ROW_BYTES 64     /* bytes per stored row when nothing tells */
#define DB_FILTER_FIXED 6       /* a filter section besides its bits: the
                                ** u16 probe count and the CRC */

/* What the tables of a version say about their rows. */
typedef struct DbEstimate {
  u64 nFilterRows;        /* rows of the tables with a filter, from its size */
  u64 nFilterBytes;       /* data bytes of those tables */
  u64 nOtherBytes;        /* data bytes of the tables without one */
  u64 nOther;             /* tables without one */
} DbEstimate;

/* Add table t. Its data blocks end at filter_offset. A legacy bloom filter
** holds bitsPerKey bits per row (sst_build.c, SlateDB's filter.rs), so its
** size gives the row count; a table without one counts by bytes. */
static void dbEstimateTable(DbEstimate *e, const DbTable *t, u32 bitsPerKey) {
  u64 nData = t->info.filterOffset;
  u64 nFilter = t->info.filterLen;
  if (nFilter > DB_FILTER_FIXED && t->info.eFilterFormat == 0 && bitsPerKey > 0) {
    e->nFilterRows += (nFilter - DB_FILTER_FIXED) * 8 / bitsPerKey;
    e->nFilterBytes += nData;
  } else {
    e->nOtherBytes += nData;
    e->nOther++;
  }
}

/* See dbInt.h. */
void sdbDbVersionEstimate(const DbVersion *v, u32 bitsPerKey, u32 minFilterKeys, u64 *pnRows,
                          u64 *pnBytes) {
  DbEstimate e = {0, 0, 0, 0};
  u64 nMemRows = sdbMemtableRows(v->pMem), nMemBytes = sdbMemtableBytes(v->pMem);
  for (int i = 0; i < v->nImm; i++) {
    nMemRows += sdbMemtableRows(v->apImm[i]);
    nMemBytes += sdbMemtableBytes(v->apImm[i]);
  }
  for (int i = 0; i < v->nL0; i++) dbEstimateTable(&e, v->apL0[i], bitsPerKey);
  for (int i = 0; i < v->nRun; i++) {
    for (int j = 0; j < v->aRun[i].nTable; j++) {
      dbEstimateTable(&e, v->aRun[i].apTable[j], bitsPerKey);
    }
  }
  u64 nRowBytes = DB_EST_ROW_BYTES;   /* bytes per row of the tables without filter */
  if (e.nFilterRows > 0) nRowBytes = e.nFilterBytes / e.nFilterRows;
  else if (nMemRows > 0) nRowBytes = nMemBytes / nMemRows;
  if (nRowBytes == 0) nRowBytes = 1;
  u64 nOtherRows = e.nOtherBytes / nRowBytes;
  /* A table without a filter has fewer than min_filter_keys rows (when its
  ** writer used the same setting). */
  if (minFilterKeys > 0 && nOtherRows > e.nOther * (u64)minFilterKeys) {
    nOtherRows = e.nOther * (u64)minFilterKeys;
  }
  *pnRows = e.nFilterRows + nOtherRows + nMemRows;
  *pnBytes = e.nFilterBytes + e.nOtherBytes + nMemBytes;
}
