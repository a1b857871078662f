/*
** db.c: the database handle and the public sdb_db_* API of slatedb.h, in
** one place. Each call checks what the handle allows (readers do not write)
** and delegates to the file that owns the concern (the file order and the
** locks are in dbInt.h): versions to version.c, readers' open, refresh and
** scans to read.c, the write path to writer.c, checkpoints to checkpoint.c,
** compaction and GC to maint.c. A writer's maintenance is started once the
** writer is open and stopped before the writer closes.
*/
#include <pthread.h>

#include "db/batch.h"
#include "db/dbInt.h"
#include "store/diskcache.h"

#define DB_DEFAULT_CACHE (64ull << 20)

/* ------------------------------------------------------------ open/close */

/* Fill unset writer settings with SlateDB 0.12.1's defaults. */
static void dbConfigDefaults(SdbConfig *c) {
  if (!c->nCacheBytes) c->nCacheBytes = DB_DEFAULT_CACHE;
  if (!c->l0SstSizeBytes) c->l0SstSizeBytes = 64ull << 20;
  if (!c->closeFlushBytes) c->closeFlushBytes = 4ull << 20;
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

/* SDB_READONLY for a call that needs a writer, on a reader. */
static int dbReadOnly(SdbErr *pErr) {
  return sdbErrSet(pErr, SDB_READONLY, "the database was opened read-only (mode=reader)");
}

/* Open the writer, then its maintenance. */
static int dbOpenWriter(SdbDb *db, SdbErr *pErr) {
  int rc = sdbWriterOpen(db, pErr);
  return rc ? rc : sdbMaintStart(db, pErr);
}

int sdb_db_open(const SdbConfig *pConfig, SdbDb **ppDb, SdbErr *pErr) {
  *ppDb = NULL;
  SdbDb *db = sdbMallocZero(sizeof(*db));
  if (!db) return SDB_NOMEM_ERR(pErr);
  pthread_mutex_init(&db->mu, NULL);
  pthread_mutex_init(&db->muOpen, NULL);
  pthread_cond_init(&db->condOpen, NULL);
  pthread_mutex_init(&db->muRefresh, NULL);
  db->cfg = *pConfig;
  dbConfigDefaults(&db->cfg);
  db->bReadOnly = pConfig->bReadOnly;
  db->eMergeOp = pConfig->eMergeOp;
  db->zUrl = sdbStrdup(pConfig->zUrl);
  db->cfg.zUrl = db->zUrl;
  db->pCache = sdbCacheNew(db->cfg.nCacheBytes);
  db->pGen = db->zUrl ? sdbDbGenAcquire(db->zUrl) : NULL;
  int rc = (db->zUrl && db->pCache) ? SDB_OK : SDB_NOMEM_ERR(pErr);
  if (rc == SDB_OK) {
    int bCreate = !db->bReadOnly && db->cfg.bCreateIfMissing;
    rc = sdbStoreOpenUrl(pConfig->zUrl, db->bReadOnly, bCreate, &pConfig->s3, &db->pStore, pErr);
  }
  if (rc == SDB_OK && pConfig->zDiskCache) {
    rc = sdbStoreWrapDiskCache(&db->pStore, pConfig->zDiskCache, pConfig->nDiskCacheBytes, 0, pErr);
  }
  if (rc == SDB_OK) rc = db->bReadOnly ? sdbReaderOpen(db, pErr) : dbOpenWriter(db, pErr);
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
  sdbMaintStop(db);
  if (db->pWriter) sdbWriterClose(db);
  sdbDbVersionUnref(db->pCur);
  sdbStoreFree(db->pStore);
  sdbCacheFree(db->pCache);
  sdbDbGenRelease(db->pGen);
  pthread_mutex_destroy(&db->mu);
  pthread_mutex_destroy(&db->muOpen);
  pthread_cond_destroy(&db->condOpen);
  pthread_mutex_destroy(&db->muRefresh);
  sdbFree(db->zUrl);
  sdbFree(db);
}

/* ------------------------------------------------------------ reads */

int sdb_db_refresh(SdbDb *db, SdbErr *pErr) {
  return db->pWriter ? sdbWriterPoll(db, pErr) : sdbReaderRefresh(db, pErr);
}

int sdb_db_scan(SdbDb *db, const SdbRange *pRange, int bDesc, SdbIter **ppIter, SdbErr *pErr) {
  return sdbReadScan(db, NULL, pRange, bDesc, ppIter, pErr);
}

int sdb_db_scan_overlay(SdbDb *db, SdbBatch *pOverlay, const SdbRange *pRange, int bDesc,
                        SdbIter **ppIter, SdbErr *pErr) {
  SdbMemtable *pIdx = (pOverlay && sdb_batch_count(pOverlay)) ? sdbBatchIndex(pOverlay) : NULL;
  return sdbReadScan(db, pIdx, pRange, bDesc, ppIter, pErr);
}

int sdb_db_scan_seek(SdbDb *db, SdbBatch *pOverlay, const SdbRange *pRange, int bDesc,
                     SdbIter **ppIter, SdbErr *pErr) {
  SdbMemtable *pIdx = (pOverlay && sdb_batch_count(pOverlay)) ? sdbBatchIndex(pOverlay) : NULL;
  return sdbReadScanSeek(db, pIdx, pRange, bDesc, ppIter, pErr);
}

int sdb_db_prefetch(SdbDb *db, const SdbRange *aRange, int nRange, int bDesc, SdbErr *pErr) {
  return sdbReadPrefetch(db, aRange, nRange, bDesc, pErr);
}

/* ------------------------------------------------------------ writes */

int sdb_db_write(SdbDb *db, SdbBatch *pBatch, int bAwaitDurable, SdbErr *pErr) {
  if (!db->pWriter) return dbReadOnly(pErr);
  return sdbWriterWrite(db, pBatch, bAwaitDurable, pErr);
}

int sdb_db_flush(SdbDb *db, int bMemtable, SdbErr *pErr) {
  if (!db->pWriter) return dbReadOnly(pErr);
  return sdbWriterFlush(db, bMemtable, pErr);
}

/* ------------------------------------------------------------ maintenance */

int sdb_db_compact(SdbDb *db, int *pnDone, SdbErr *pErr) {
  return sdbMaintCompact(db, pnDone, pErr);
}

int sdb_db_gc(SdbDb *db, uint64_t minAgeMs, uint64_t *pnDeleted, SdbErr *pErr) {
  return sdbMaintGc(db, minAgeMs, pnDeleted, pErr);
}

/* ------------------------------------------------------------ checkpoints */

int sdb_db_checkpoint_create(SdbDb *db, uint64_t lifetimeMs, const char *zName, char zId[37],
                             SdbErr *pErr) {
  if (!db->pWriter) return dbReadOnly(pErr);
  return sdbCheckpointCreate(db, lifetimeMs, zName, zId, pErr);
}

int sdb_db_checkpoint_delete(SdbDb *db, const char *zId, SdbErr *pErr) {
  if (!db->pWriter) return dbReadOnly(pErr);
  return sdbCheckpointDelete(db, zId, pErr);
}

int sdb_db_checkpoints(SdbDb *db, SdbCheckpointInfo **pa, int *pn, SdbErr *pErr) {
  return sdbCheckpointList(db, pa, pn, pErr);
}


/* ------------------------------------------------------------ stats */
void sdb_db_stats(SdbDb *db, SdbStats *s) {
  memset(s, 0, sizeof(*s));
  SdbStoreStats st;
  sdbStoreGetStats(db->pStore, &st);
  s->nGet = st.nGet;
  s->nPut = st.nPut;
  s->nList = st.nList;
  s->nDelete = st.nDelete;
  s->nHead = st.nHead;
  s->nBytesIn = st.nBytesIn;
  s->nBytesOut = st.nBytesOut;
  s->nRetry = st.nRetry;
  s->nDiskHit = st.nDiskHit;
  s->nDiskMiss = st.nDiskMiss;
  s->nDiskBytes = st.nDiskBytes;
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
  if (db->pWriter) {
    sdbWriterStats(db, s);
    sdbMaintStats(db, s);
  }
}

/* ------------------------------------------------------------ estimates */
void sdb_db_estimate(SdbDb *db, uint64_t *pnRows, uint64_t *pnBytes) {
  DbVersion *v = sdbDbPinVersion(db);
  sdbDbVersionEstimate(v, db->cfg.filterBitsPerKey, db->cfg.minFilterKeys, pnRows, pnBytes);
  sdbDbVersionUnref(v);
}

/* True if table t may hold a key below pKey: its first key is not known to be
** at or above it. */
static int dbTableMayHoldBelow(const DbTable *t, const u8 *pKey, size_t nKey) {
  if (!t->info.bHasFirst) return 1;
  return sdbKeyCmp(t->info.pFirst, t->info.nFirst, pKey, nKey) < 0;
}

/* See slatedb.h. */
int sdb_db_may_hold_below(SdbDb *db, const uint8_t *pKey, size_t nKey) {
  DbVersion *v = sdbDbPinVersion(db);
  int bMay = v->pMem && sdbMemtableHasBelow(v->pMem, pKey, nKey);
  for (int i = 0; !bMay && i < v->nImm; i++) bMay = sdbMemtableHasBelow(v->apImm[i], pKey, nKey);
  for (int i = 0; !bMay && i < v->nL0; i++) bMay = dbTableMayHoldBelow(v->apL0[i], pKey, nKey);
  for (int i = 0; !bMay && i < v->nRun; i++) {
    bMay = v->aRun[i].nTable > 0 && dbTableMayHoldBelow(v->aRun[i].apTable[0], pKey, nKey);
  }
  sdbDbVersionUnref(v);
  return bMay;
}

/* See slatedb.h. Counts rows the memtables hold beyond the visible seq too:
** a conservative answer. */
int sdb_db_may_hold_any(SdbDb *db) {
  DbVersion *v = sdbDbPinVersion(db);
  int bMay = (v->pMem && sdbMemtableRows(v->pMem) > 0) || v->nImm > 0 || v->nL0 > 0;
  for (int i = 0; !bMay && i < v->nRun; i++) bMay = v->aRun[i].nTable > 0;
  sdbDbVersionUnref(v);
  return bMay;
}

const char *sdb_version(void) { return "sqlite-slatedb 0.1.0 (SlateDB 0.12.1 format)"; }
