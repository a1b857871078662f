/*
** db.c: the database handle and the read path.
**
** A handle holds the object store, the block cache and the current "version":
** an immutable, reference-counted view built from one manifest plus the WAL
** replayed on top of it (spec/MANIFEST.md §4.1 step 8 and §4.2):
**   - L0 SSTs, newest first, and sorted runs, newest (highest id) first;
**   - a memtable holding the rows of WAL SSTs with id > replay_after_wal_id
**     whose seq > last_l0_seq.
** A scan pins the version it starts with and merges memtable -> L0s -> runs,
** newest sequence number winning (merge.h). SSTs are opened lazily, on the
** first scan that needs them, and shared between versions (DbTable).
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
** Garbage collection (of another process, or of a writer in this one) may
** delete a WAL SST or SST between the reading of a manifest and the read of
** the object. A refresh that finds a WAL SST gone re-reads the manifest, and a
** scan that finds an SST or WAL SST gone refreshes and resumes after the last
** row it returned, on the fresh version (so its remaining rows are as of that
** version). Retries go on while newer manifests come (DB_VANISHED_MAX in all);
** an object still missing after DB_VANISHED_RETRIES retries on one manifest
** (DB_VANISHED_RETRIES + 1 failed attempts) is corruption.
*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "db/batch.h"
#include "db/dbInt.h"
#include "db/merge.h"
#include "util/rangeutil.h"

#define DB_DEFAULT_CACHE (64ull << 20)
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
static DbGen *dbGenAcquire(const char *zUrl) {
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

/* Drop a reference from dbGenAcquire (g may be NULL); the last one frees the
** counter and unlinks it from dbGenList. */
static void dbGenRelease(DbGen *g) {
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
static u64 dbGenNow(const SdbDb *db) {
  return db->pGen ? __atomic_load_n(&db->pGen->gen, __ATOMIC_ACQUIRE) : 0;
}

void sdbDbNoteChange(SdbDb *db) {
  if (db->pGen) __atomic_add_fetch(&db->pGen->gen, 1, __ATOMIC_ACQ_REL);
}

/* Retries of a read that found an object gone (SDB_NOTFOUND). Zero-initialised. */
typedef struct DbVanish {
  u64 id;                 /* manifest of the last failed attempt */
  int nSame;              /* failures on that manifest (no newer one since) */
  int nAll;               /* failures in all */
} DbVanish;

/* After an attempt on manifest id found an object gone: whether to try again
** from a fresh manifest (counted in db->nVanished). GC deletes only what a
** newer manifest no longer needs, so while the manifests move on the read is
** retried, DB_VANISHED_MAX times in all; on one manifest it is retried
** DB_VANISHED_RETRIES times, and the failure after that is corruption. */
static int dbVanishRetry(SdbDb *db, DbVanish *p, u64 id) {
  p->nSame = (p->nAll > 0 && id <= p->id) ? p->nSame + 1 : 1;
  p->id = id;
  if (++p->nAll > DB_VANISHED_MAX || p->nSame > DB_VANISHED_RETRIES) return 0;
  __atomic_add_fetch(&db->nVanished, 1, __ATOMIC_RELAXED);
  return 1;
}

/* An object still missing after the retries is corruption (the message,
** naming it, is kept). */
static int dbVanishedCorrupt(int rc, SdbErr *pErr) {
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
** filter is read with its index). The SST stays owned by t. */
static int dbTableSst(SdbDb *db, DbTable *t, const SdbRange *r, SdbSst **ppSst, SdbErr *pErr) {
  int rc = SDB_OK;
  pthread_mutex_lock(&db->muOpen);
  if (!t->pSst) {
    rc = (sdbRangeIsPoint(r) ? sdbSstOpenForLookups : sdbSstOpen)(
        db->pStore, t->zKey, &t->info, t->formatVersion, db->pCache, &t->pSst, pErr);
    if (rc == SDB_OK) sdbSstSetMaxSeq(t->pSst, t->maxSeq);
  }
  *ppSst = t->pSst;
  pthread_mutex_unlock(&db->muOpen);
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

static void dbVersionUnpin(void *p) { sdbDbVersionUnref((DbVersion *)p); }

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
static int dbReplayWal(SdbDb *db, DbVersion *v, SdbErr *pErr) {
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
  if (rc == SDB_OK && !pMem) rc = dbReplayWal(db, v, pErr);
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
  return dbVanishedCorrupt(rc, pErr);
}

int sdbDbVersionFreeze(SdbDb *db, DbVersion *v, u64 walId, DbVersion **ppNew, SdbErr *pErr) {
  SdbManifest *m = NULL;
  *ppNew = NULL;
  if (v->nImm >= DB_MAX_IMM) return sdbErrSet(pErr, SDB_BUSY, "too many memtables waiting for L0");
  SdbMemtable *pFresh = sdbMemtableNew();
  if (!pFresh) return SDB_NOMEM_ERR(pErr);
  int rc = sdbManifestDecode(v->pManifest->pRaw, v->pManifest->nRaw, &m, pErr);
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

/* ------------------------------------------------------------ open/close */

/* Fill unset writer settings with SlateDB 0.12.1's defaults. */
static void dbConfigDefaults(SdbConfig *c) {
  if (!c->nCacheBytes) c->nCacheBytes = DB_DEFAULT_CACHE;
  if (!c->l0SstSizeBytes) c->l0SstSizeBytes = 64ull << 20;
  if (!c->maxUnflushedBytes) c->maxUnflushedBytes = 1ull << 30;
  if (!c->flushIntervalMs) c->flushIntervalMs = 100;
  if (!c->blockSize) c->blockSize = 4096;
  if (!c->filterBitsPerKey) c->filterBitsPerKey = 10;
  if (!c->minFilterKeys) c->minFilterKeys = 1000;
  if (!c->pollIntervalMs) c->pollIntervalMs = 1000;
  if (!c->compactorPollMs) c->compactorPollMs = 5000;
  if (!c->maxSstSize) c->maxSstSize = 256ull << 20;
  if (!c->l0MaxSsts) c->l0MaxSsts = 8;
  if (!c->gcIntervalMs) c->gcIntervalMs = 60000;
  if (!c->gcMinAgeMs) c->gcMinAgeMs = 300000;
}

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
    return sdbErrSet(pErr, SDB_CANTOPEN, "no SlateDB database at %s (no manifest/ objects)",
                     db->pStore->zDescr);
  }
  if (rc == SDB_OK && db->cfg.zCheckpoint) {
    rc = dbOpenCheckpoint(db, db->cfg.zCheckpoint, &m, pId, pErr);
    if (rc) sdbManifestFree(m);
  }
  if (rc == SDB_OK) rc = dbVersionBuild(db, m, *pId, NULL, NULL, NULL, &db->pCur, pErr);
  return rc;
}

/* dbOpenReaderOnce, again from a fresh manifest while objects vanish (GC). */
static int dbOpenReader(SdbDb *db, SdbErr *pErr) {
  DbVanish vanish = {0, 0, 0};
  u64 id = 0;
  db->seenGen = dbGenNow(db);
  int rc = dbOpenReaderOnce(db, &id, pErr);
  while (rc == SDB_NOTFOUND && dbVanishRetry(db, &vanish, id)) rc = dbOpenReaderOnce(db, &id, pErr);
  db->lastRefreshMs = sdbNowMs();
  return dbVanishedCorrupt(rc, pErr);
}

int sdb_db_open(const SdbConfig *pConfig, SdbDb **ppDb, SdbErr *pErr) {
  *ppDb = NULL;
  SdbDb *db = sdbMallocZero(sizeof(*db));
  if (!db) return SDB_NOMEM_ERR(pErr);
  pthread_mutex_init(&db->mu, NULL);
  pthread_mutex_init(&db->muOpen, NULL);
  pthread_mutex_init(&db->muRefresh, NULL);
  db->cfg = *pConfig;
  dbConfigDefaults(&db->cfg);
  db->bReadOnly = pConfig->bReadOnly;
  db->eMergeOp = pConfig->eMergeOp;
  db->zUrl = sdbStrdup(pConfig->zUrl);
  db->cfg.zUrl = db->zUrl;
  db->pCache = sdbCacheNew(db->cfg.nCacheBytes);
  db->pGen = db->zUrl ? dbGenAcquire(db->zUrl) : NULL;
  int rc = (db->zUrl && db->pCache) ? SDB_OK : SDB_NOMEM_ERR(pErr);
  if (rc == SDB_OK) {
    int bCreate = !db->bReadOnly && db->cfg.bCreateIfMissing;
    rc = sdbStoreOpenUrl(pConfig->zUrl, db->bReadOnly, bCreate, &pConfig->s3, &db->pStore, pErr);
  }
  if (rc == SDB_OK) rc = db->bReadOnly ? dbOpenReader(db, pErr) : sdbWriterOpen(db, pErr);
  db->cfg.zCheckpoint = NULL;     /* borrowed from the caller for the open only */
  if (rc) {
    sdb_db_close(db);
    return rc;
  }
  *ppDb = db;
  return SDB_OK;
}

void sdb_db_close(SdbDb *db) {
  if (!db) return;
  if (db->pWriter) sdbWriterClose(db);
  sdbDbVersionUnref(db->pCur);
  sdbStoreFree(db->pStore);
  sdbCacheFree(db->pCache);
  dbGenRelease(db->pGen);
  pthread_mutex_destroy(&db->mu);
  pthread_mutex_destroy(&db->muOpen);
  pthread_mutex_destroy(&db->muRefresh);
  sdbFree(db->zUrl);
  sdbFree(db);
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
    rc = dbReplayWal(db, pOld, pErr);   /* only new WAL SSTs */
  } else {
    DbVersion *pNew = NULL;
    rc = dbVersionBuild(db, m, id, pOld, NULL, NULL, &pNew, pErr);
    if (rc == SDB_OK) sdbDbInstallVersion(db, pNew);
  }
  sdbDbVersionUnref(pOld);
  return rc;
}

/* sdb_db_refresh of a reader (not pinned). REQUIRES: db->muRefresh held. */
static int dbRefreshLocked(SdbDb *db, SdbErr *pErr) {
  /* The counter is read before the manifest and noted only once the refresh
  ** succeeded: after a failure the next statement tries again. */
  u64 gen = dbGenNow(db);
  DbVanish vanish = {0, 0, 0};
  u64 id = 0;
  int rc = dbRefreshOnce(db, &id, pErr);
  while (rc == SDB_NOTFOUND && dbVanishRetry(db, &vanish, id)) rc = dbRefreshOnce(db, &id, pErr);
  if (rc == SDB_OK) __atomic_store_n(&db->seenGen, gen, __ATOMIC_RELEASE);
  return dbVanishedCorrupt(rc, pErr);
}

int sdb_db_refresh(SdbDb *db, SdbErr *pErr) {
  if (db->pWriter) return sdbWriterPoll(db, pErr);
  if (db->bPinned) return SDB_OK;   /* a checkpoint reader stays pinned */
  pthread_mutex_lock(&db->muRefresh);
  int rc = dbRefreshLocked(db, pErr);
  pthread_mutex_unlock(&db->muRefresh);
  return rc;
}

/* Whether a reader's statement refreshes first: a writer of this process
** changed the database since the last refresh, or poll_interval has passed. */
static int dbRefreshDue(SdbDb *db) {
  if (dbGenNow(db) != __atomic_load_n(&db->seenGen, __ATOMIC_ACQUIRE)) return 1;
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

/* Intersect r with table t's visible range into *pOut (borrowing both). */
static void dbClipRange(const SdbRange *r, const DbTable *t, SdbRange *pOut) {
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
static int dbTableOverlaps(const DbTable *t, const SdbRange *r) {
  if (!r) return 1;
  if (t->info.bHasLast && !sdbRangeAboveLo(r, t->info.pLast, t->info.nLast)) return 0;
  if (t->info.bHasFirst && !sdbRangeBelowHi(r, t->info.pFirst, t->info.nFirst)) return 0;
  return 1;
}

/* An iterator over table t within r; *pp = NULL if t cannot hold keys in r. */
static int dbTableIter(SdbDb *db, DbTable *t, const SdbRange *r, int bDesc, SdbIter **pp,
                       SdbErr *pErr) {
  SdbRange clipped;
  SdbSst *pSst;
  *pp = NULL;
  dbClipRange(r, t, &clipped);
  const SdbRange *rr = (r || t->bHasVisible) ? &clipped : NULL;
  if ((rr && sdbRangeIsEmpty(rr)) || !dbTableOverlaps(t, rr)) return SDB_OK;
  int rc = dbTableSst(db, t, rr, &pSst, pErr);   /* SST errors name the object */
  if (rc == SDB_OK) rc = sdbSstIterNew(pSst, rr, bDesc, pp, pErr);
  return rc;
}

/* Context of a sorted-run concatenation: the run's tables that may hold keys
** in the range, the range and the handle. Owned by the concatenating iterator. */
typedef struct RunCtx {
  SdbDb *db;
  DbTable **apTable;      /* borrowed from the pinned version */
  int nTable;
  SdbRangeCopy range;
  int bHasRange;
} RunCtx;

static int runCtxOpen(void *pCtx, int i, int bDesc, SdbIter **pp, SdbErr *pErr) {
  RunCtx *c = (RunCtx *)pCtx;
  return dbTableIter(c->db, c->apTable[i], c->bHasRange ? &c->range.r : NULL, bDesc, pp, pErr);
}

static void runCtxFree(void *pCtx) {
  RunCtx *c = (RunCtx *)pCtx;
  sdbRangeCopyFree(&c->range);
  sdbFree(c);
}

/* Index of the first table of run d whose last key may reach r's lower bound. */
static int dbRunFirst(const DbRun *d, const SdbRange *r) {
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

static int dbRunIter(SdbDb *db, DbRun *d, const SdbRange *r, int bDesc, SdbIter **pp,
                     SdbErr *pErr) {
  RunCtx *c = sdbMallocZero(sizeof(*c));
  *pp = NULL;
  if (!c || sdbRangeCopyInit(&c->range, r)) {
    sdbFree(c);
    return SDB_NOMEM_ERR(pErr);
  }
  c->db = db;
  c->bHasRange = r != NULL;
  int iFirst = dbRunFirst(d, r);
  int iEnd = iFirst;
  while (iEnd < d->nTable && dbTableOverlaps(d->apTable[iEnd], r)) iEnd++;
  c->apTable = d->apTable + iFirst;
  c->nTable = iEnd - iFirst;
  return sdbConcatIterNew(c, c->nTable, runCtxOpen, runCtxFree, bDesc, pp, pErr);
}

int sdbDbTableIter(SdbDb *db, DbTable *t, const SdbRange *r, int bDesc, SdbIter **pp,
                   SdbErr *pErr) {
  return dbTableIter(db, t, r, bDesc, pp, pErr);
}

int sdbDbRunIter(SdbDb *db, DbRun *d, const SdbRange *r, int bDesc, SdbIter **pp, SdbErr *pErr) {
  return dbRunIter(db, d, r, bDesc, pp, pErr);
}

/* All child iterators of version v for range r: pFirst (an overlay, ownership
** taken; may be NULL), memtable, L0s, runs. */
static int dbChildren(SdbDb *db, DbVersion *v, const SdbRange *r, int bDesc, SdbIter *pFirst,
                      SdbIter ***papChild, int *pnChild, SdbErr *pErr) {
  int nMax = 2 + v->nImm + v->nL0 + v->nRun, n = 0;
  SdbIter **ap = sdbMallocZero(sizeof(SdbIter *) * (size_t)nMax);
  if (!ap) {
    sdb_iter_free(pFirst);
    return SDB_NOMEM_ERR(pErr);
  }
  if (pFirst) ap[n++] = pFirst;
  int rc = sdbMemtableIterNew(v->pMem, r, bDesc, &ap[n], pErr);
  if (rc == SDB_OK) n++;
  for (int i = 0; rc == SDB_OK && i < v->nImm; i++) {
    rc = sdbMemtableIterNew(v->apImm[i], r, bDesc, &ap[n], pErr);
    if (rc == SDB_OK) n++;
  }
  for (int i = 0; rc == SDB_OK && i < v->nL0; i++) {
    rc = dbTableIter(db, v->apL0[i], r, bDesc, &ap[n], pErr);
    if (rc == SDB_OK && ap[n]) n++;
  }
  for (int i = 0; rc == SDB_OK && i < v->nRun; i++) {
    rc = dbRunIter(db, &v->aRun[i], r, bDesc, &ap[n], pErr);
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

/* Scan version v (pinned by the caller; the reference passes to the iterator)
** with an optional overlay memtable as the newest child. The first block of
** every SST the scan merges is fetched at once where the store can overlap
** reads (S3). */
static int dbScanVersion(SdbDb *db, DbVersion *v, SdbMemtable *pOverlay, const SdbRange *pRange,
                         int bDesc, SdbIter **ppIter, SdbErr *pErr) {
  u64 maxSeq = __atomic_load_n(&v->lastSeq, __ATOMIC_ACQUIRE);
  SdbIter **apChild = NULL, *pMerged = NULL, *pOver = NULL;
  int nChild = 0;
  SdbRange all = {0};
  int rc = dbPrefetch(db, v, pRange ? pRange : &all, 1, bDesc, pErr);
  if (rc == SDB_OK && pOverlay) {
    rc = sdbMemtableIterNew(pOverlay, pRange, bDesc, &pOver, pErr);
    maxSeq = UINT64_MAX;
  }
  if (rc == SDB_OK) rc = dbChildren(db, v, pRange, bDesc, pOver, &apChild, &nChild, pErr);
  else sdb_iter_free(pOver);
  if (rc == SDB_OK) rc = sdbMergeIterNew(apChild, nChild, bDesc, &pMerged, pErr);
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
  dbClipRange(r, t, &clipped);
  if (p->n >= DB_PREFETCH_MAX || sdbRangeIsEmpty(&clipped) || !dbTableOverlaps(t, &clipped)) return;
  if (p->bOpen) {
    dbPassOpen(db, t, &clipped, p);
    return;
  }
  if (dbTableSst(db, t, &clipped, &pSst, &err)) return;
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
    int iFirst = dbRunFirst(d, r);
    if (bDesc) {
      iFirst = d->nTable - 1;
      while (iFirst >= 0 && !dbTableOverlaps(d->apTable[iFirst], r)) iFirst--;
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

int sdb_db_prefetch(SdbDb *db, const SdbRange *aRange, int nRange, int bDesc, SdbErr *pErr) {
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
** after the last row it returned on the new current version (dbVanishRetry
** bounds the retries).
*/
typedef struct ScanIter {
  SdbIter base;           /* cur borrows from pIn's current row */
  SdbDb *db;
  SdbIter *pIn;           /* the scan of one version; owned */
  SdbMemtable *pOverlay;  /* the transaction's uncommitted rows, a reference; or NULL */
  SdbRangeCopy range;     /* the scan's range */
  int bHasRange;
  int bDesc;
  SdbBuf lastKey;         /* key of the row last returned (bHasLast) */
  int bHasLast;
  u64 manifestId;         /* manifest of the version pIn scans */
  DbVanish vanish;
} ScanIter;

/* Show pIn's row (or EOF) as its own, remembering its key. */
static int scanExpose(ScanIter *it, SdbErr *pErr) {
  it->base.bEof = it->pIn->bEof;
  if (it->base.bEof) return SDB_OK;
  it->base.cur = it->pIn->cur;
  size_t n = it->pIn->cur.nKey;
  it->lastKey.n = 0;
  if (n > it->lastKey.nAlloc && sdbBufReserve(&it->lastKey, n)) return SDB_NOMEM_ERR(pErr);
  if (n) memcpy(it->lastKey.a, it->pIn->cur.pKey, n);
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
  int rc = dbScanVersion(it->db, v, it->pOverlay, pr, it->bDesc, &it->pIn, pErr);
  return rc ? rc : scanExpose(it, pErr);
}

/* After rc from a start or a step: while an object vanished, refresh and
** start again (bounded). */
static int scanRetry(ScanIter *it, int rc, SdbErr *pErr) {
  while (rc == SDB_NOTFOUND && dbVanishRetry(it->db, &it->vanish, it->manifestId)) {
    rc = it->db->pWriter ? SDB_OK : sdb_db_refresh(it->db, pErr);
    if (rc == SDB_OK) rc = scanStart(it, pErr);
  }
  return dbVanishedCorrupt(rc, pErr);
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

static const SdbIterMethods scanMethods = {scanNext, scanFree};

/* A resuming scan of pRange with overlay pIdx (may be NULL). */
static int dbScan(SdbDb *db, SdbMemtable *pIdx, const SdbRange *pRange, int bDesc,
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
  rc = scanStart(it, pErr);
  if (rc) rc = scanRetry(it, rc, pErr);
  if (rc) {
    scanFree(&it->base);
    return rc;
  }
  *ppIter = &it->base;
  return SDB_OK;
}

int sdb_db_scan(SdbDb *db, const SdbRange *pRange, int bDesc, SdbIter **ppIter, SdbErr *pErr) {
  return dbScan(db, NULL, pRange, bDesc, ppIter, pErr);
}

int sdb_db_scan_overlay(SdbDb *db, SdbBatch *pOverlay, const SdbRange *pRange, int bDesc,
                        SdbIter **ppIter, SdbErr *pErr) {
  SdbMemtable *pIdx = (pOverlay && sdb_batch_count(pOverlay)) ? sdbBatchIndex(pOverlay) : NULL;
  return dbScan(db, pIdx, pRange, bDesc, ppIter, pErr);
}

/* ------------------------------------------------------------ stats */
void sdb_db_stats(SdbDb *db, SdbStats *s) {
  memset(s, 0, sizeof(*s));
  const SdbStoreStats *st = &db->pStore->stats;
  s->nGet = __atomic_load_n(&st->nGet, __ATOMIC_RELAXED);
  s->nPut = __atomic_load_n(&st->nPut, __ATOMIC_RELAXED);
  s->nList = __atomic_load_n(&st->nList, __ATOMIC_RELAXED);
  s->nDelete = __atomic_load_n(&st->nDelete, __ATOMIC_RELAXED);
  s->nHead = __atomic_load_n(&st->nHead, __ATOMIC_RELAXED);
  s->nBytesIn = __atomic_load_n(&st->nBytesIn, __ATOMIC_RELAXED);
  s->nBytesOut = __atomic_load_n(&st->nBytesOut, __ATOMIC_RELAXED);
  s->nRetry = __atomic_load_n(&st->nRetry, __ATOMIC_RELAXED);
  SdbCacheStats cs;
  sdbCacheGetStats(db->pCache, &cs);
  s->nCacheHit = cs.nHit;
  s->nCacheMiss = cs.nMiss;
  s->nCacheBytes = cs.nBytes;
  s->nFilterSkip = sdbSstFilterSkips();
  DbVersion *v = sdbDbPinVersion(db);
  s->manifestId = v->manifestId;
  s->lastSeq = __atomic_load_n(&v->lastSeq, __ATOMIC_ACQUIRE);
  s->lastL0Seq = v->pManifest->lastL0Seq;
  s->nL0 = (u64)v->nL0;
  s->nSortedRun = (u64)v->nRun;
  s->nCheckpoints = (u64)v->pManifest->nCkpt;
  s->nMemtableRows = sdbMemtableRows(v->pMem);
  s->nMemtableBytes = sdbMemtableBytes(v->pMem);
  for (int i = 0; i < v->nImm; i++) {
    s->nMemtableRows += sdbMemtableRows(v->apImm[i]);
    s->nMemtableBytes += sdbMemtableBytes(v->apImm[i]);
  }
  sdbDbVersionUnref(v);
  if (db->pWriter) sdbWriterStats(db, s);
}

const char *sdb_version(void) { return "sqlite-slatedb 0.1.0 (SlateDB 0.12.1 format)"; }
