/*
** writer.c: the write path of a writer handle, following SlateDB 0.12.1's
** protocol (spec/MANIFEST.md §3-§5):
**
** Open:   latest manifest (or create manifest 1 with a create-only PUT) ->
**         LIST wal/ -> commit writer_epoch + 1 (manifest CAS) -> plant the
**         empty fence SST at the next WAL id (create-only; on a collision
**         re-check the epoch and try the next id) -> replay the WAL.
** Commit: one batch = one seq = one WAL SST wal/<next id> written with a
**         create-only PUT. "Already exists" means a newer writer planted its
**         fence there: this handle is fenced for good. The rows go into the
**         memtable only after the PUT succeeded (durability=commit), so a
**         failed commit changes nothing; they are copied into its arena
**         before the PUT (wrPrepare) and linked after it all at once, so
**         the apply cannot run out of memory part-way. durability=async appends the rows
**         to a WAL buffer that a background thread writes every
**         flush_interval (rows are visible at once, durable later); a
**         commit that fills the buffer is applied first and then writes it,
**         a failure there kept pending and reported through asyncRc.
** L0:     when the memtable's estimated size reaches l0_sst_size_bytes (or on
**         request, or at close from close_flush_bytes), the WAL is made
**         durable, the memtable is written as a
**         compacted SST compacted/<ULID>.sst (create-only PUT) and the
**         manifest CAS prepends it and advances replay_after_wal_id,
**         last_l0_seq, last_l0_clock_tick, wal_id_last_seen.
** CAS:    manifest/<id+1> with a create-only PUT (the versioned-object
**         protocol of meta/vobj.c); on a collision the latest manifest is
**         re-read, the epoch checked (newer -> fenced) and our own change
**         re-applied to it.
** Close:  flush buffered WAL rows, then a final manifest recording
**         wal_id_last_seen (not when fenced).
** Unknown outcomes: every create-only PUT carries a put-id (S3 metadata)
**         that stays the same when the PUT is repeated; our put-id on the
**         object (or, on a store without put-ids, the same bytes) means the
**         PUT landed. A WAL PUT that gets no settling answer within
**         request_timeout is SDB_UNKNOWN: its bytes, put-id and (durable
**         commit) rows are kept, and the handle repeats the PUT before any
**         other write (wrSettleFirst, wrPutWal); once it is ours the rows join the
**         memtable and the next commit takes the next WAL id. A WAL id held
**         by someone else is "fenced" only if the manifest shows a newer
**         writer_epoch. Manifest, fence and L0 PUTs are repeated once with
**         the same put-id before reporting SDB_UNKNOWN; a manifest CAS
**         that landed unseen is found by the next CAS's collision re-read.
**
** Locking (the lock-order table is in dbInt.h): SdbWriter.mu serialises
** commits, flushes, polls and the flusher thread, and is held across their
** store I/O; muFlush serialises L0 flushes. The version swap takes SdbDb.mu
** briefly (version.c). The background thread never calls SQLite. Maintenance
** (maint.c, above this file) is started and stopped by db.c; an L0 flush
** waits for room through the hook it installs (sdbWriterSetL0Wait).
*/
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "db/batch.h"
#include "db/dbInt.h"
#include "meta/manifest_enc.h"
#include "table/sst_build.h"

#define WR_POLL_MS 1000          /* fencing check interval, as SlateDB's 1 s */
#define WR_MAX_PENDING_IMM 4     /* frozen memtables before commits help flush */

struct SdbWriter {
  pthread_mutex_t mu;     /* serialises commits, freezes, polls, manifest writes */
  pthread_mutex_t muFlush;  /* serialises L0 flushes (taken before mu) and
                          ** guards xL0Wait */
  void (*xL0Wait)(SdbDb *);  /* waits for L0 room (maint.c's hook), or NULL */
  pthread_cond_t cond;    /* wakes the flusher thread */
  pthread_t flusher;
  int bFlusher;           /* flusher thread started */
  int bStop;              /* ask the flusher to exit */
  u64 epoch;              /* our writer_epoch */
  u64 nextWalId;          /* id of the next WAL SST */
  u64 lastSeq;            /* last assigned sequence number */
  u64 durableSeq;         /* highest seq stored in a WAL SST */
  i64 clockFloor;         /* create_ts never goes below this */
  int bFenced;            /* a newer writer owns the database */
  i64 lastPollMs;
  SdbSstBuilder *pWalBuf; /* async rows not yet written, or NULL */
  u64 walBufLastSeq;
  SdbBuf walPending;      /* a finished WAL SST whose PUT failed, to retry */
  u64 walPendingSeq;
  char zWalPutId[27];     /* put-id of walPending, the same on every retry */
  int bWalUnknown;        /* walPending's PUT may have landed: settle it first */
  SdbMemtable *pUnsettled;  /* rows of a durable commit whose WAL PUT outcome is
                          ** unknown, applied once it is settled as ours; or NULL */
  int asyncRc;            /* error of a background flush, reported once */
  char zAsyncMsg[256];
  char zStopped[320];     /* why this handle makes no more writes ("" = it does) */
  SdbSstOptions walOpt, l0Opt;
  SdbEntry *aRow;         /* commit scratch */
  int nRowAlloc;
  u64 nWalWrites, nL0Flushes;
  /* bFenced, durableSeq, nextWalId, nWalWrites, nL0Flushes: written under mu
  ** with atomic stores, read by sdbWriterStats without mu. */
};

static i64 nowMs(void) { return sdbNowMs(); }

static int wrFenced(SdbDb *db, u64 theirEpoch, SdbErr *pErr) {
  SdbWriter *w = db->pWriter;
  __atomic_store_n(&w->bFenced, 1, __ATOMIC_RELAXED);
  if (theirEpoch > 0) {
    return sdbErrSet(pErr, SDB_FENCED,
                     "writer fenced: the database was opened by a newer writer (epoch %llu > ours %llu); "
                     "reopen the table or use mode=reader",
                     (unsigned long long)theirEpoch, (unsigned long long)w->epoch);
  }
  return sdbErrSet(pErr, SDB_FENCED,
                   "writer fenced: the database was opened by a newer writer, which took over "
                   "the WAL (our epoch %llu is stale); reopen the table or use mode=reader",
                   (unsigned long long)w->epoch);
}

/* SDB_IOERR for a handle that stopped writing (w->zStopped): only a reopen
** (which replays the WAL as it is) can go on. */
static int wrStoppedErr(SdbWriter *w, SdbErr *pErr) {
  return sdbErrSet(pErr, SDB_IOERR, "%s; this handle makes no more writes: reopen the table",
                   w->zStopped);
}

/* ------------------------------------------------------------ manifest CAS */

/* Commit manifest baseId+1 = xApply(base) with the versioned-object protocol
** (sdbManifestCommit: re-applied on collisions, as SlateDB does), fenced by
** a newer writer_epoch. On SDB_OK *ppOut (caller owns) holds the committed
** manifest. */
static int wrCommitManifest(SdbDb *db, const SdbManifest *pBase, u64 baseId, SdbManifestEdit xApply,
                            void *pCtx, SdbManifest **ppOut, u64 *pIdOut, SdbErr *pErr) {
  u64 theirs = 0, id = 0;
  int rc = sdbManifestCommit(db->pStore, pBase, baseId, db->pWriter->epoch, xApply, pCtx, ppOut,
                             &id, &theirs, pErr);
  if (id) sdbDbNoteChange(db);   /* stored, even if decoding it back failed */
  if (rc == SDB_FENCED) return wrFenced(db, theirs, pErr);
  *pIdOut = id;
  return rc;
}

/*
** Commit xEdit on top of the current version's manifest and install the
** result as the current version, memtables kept except pDropImm (an L0 just
** made from it; may be NULL). REQUIRES: w->mu.
*/
static int wrUpdateLocked(SdbDb *db, SdbManifestEdit xEdit, void *pCtx, SdbMemtable *pDropImm,
                          u64 *pIdOut, SdbErr *pErr) {
  if (db->pWriter->bFenced) return wrFenced(db, 0, pErr);
  DbVersion *cur = sdbDbPinVersion(db);
  SdbManifest *mNew = NULL;
  u64 idNew = 0;
  DbVersion *pNew = NULL;
  int rc = wrCommitManifest(db, cur->pManifest, cur->manifestId, xEdit, pCtx, &mNew, &idNew, pErr);
  if (rc == SDB_OK) rc = sdbDbVersionBuild(db, mNew, idNew, cur, cur->pMem, pDropImm, &pNew, pErr);
  if (rc == SDB_OK) sdbDbInstallVersion(db, pNew);
  if (pIdOut) *pIdOut = idNew;   /* committed even if installing it failed */
  sdbDbVersionUnref(cur);
  return rc;
}

/* See dbInt.h. */
int sdbWriterUpdateManifest(SdbDb *db, SdbManifestEdit xEdit, void *pCtx, u64 *pIdOut,
                            SdbErr *pErr) {
  SdbWriter *w = db->pWriter;
  pthread_mutex_lock(&w->mu);
  int rc = wrUpdateLocked(db, xEdit, pCtx, NULL, pIdOut, pErr);
  pthread_mutex_unlock(&w->mu);
  return rc;
}

/* ------------------------------------------------------------ WAL */

static void walKey(u64 id, char *zKey, size_t n) {
  char zId[21];
  sdbFormatId20(id, zId);
  snprintf(zKey, n, "wal/%s.sst", zId);
}

/* wal/<id> is held by an object that is not ours: fenced if the manifest
** shows a newer writer, otherwise an error (nothing else writes WAL ids)
** after which the handle stops writing: every later WAL id would follow an
** object its memtable and sequence numbers know nothing of, and retrying the
** same id would fail forever. A reopen replays the WAL as it is. */
static int wrWalTaken(SdbDb *db, const char *zKey, SdbErr *pErr) {
  SdbWriter *w = db->pWriter;
  SdbManifest *m = NULL;
  u64 id = 0;
  int rc = sdbManifestLoadLatest(db->pStore, &m, &id, pErr);
  if (rc == SDB_OK && m->writerEpoch > w->epoch) {
    rc = wrFenced(db, m->writerEpoch, pErr);
  } else if (rc == SDB_OK) {
    snprintf(w->zStopped, sizeof(w->zStopped), "%s already holds an object this writer did not "
             "store, yet no newer writer opened the database (writer_epoch %llu is ours)", zKey,
             (unsigned long long)w->epoch);
    rc = wrStoppedErr(w, pErr);
  }
  sdbManifestFree(m);
  return rc;
}

/* Insert the rows of a durable commit settled as stored (w->pUnsettled) into
** the memtable and publish their seq, all or none (a group, memtable.h): on
** failure walPending stays unsettled, and the next write settles it again
** and retries this. REQUIRES: w->mu. */
static int wrApplyUnsettled(SdbDb *db, SdbErr *pErr) {
  SdbWriter *w = db->pWriter;
  DbVersion *v = sdbDbPinVersion(db);
  SdbIter *it = NULL;
  i64 ts = sdbMemtableMaxCreateTs(w->pUnsettled);
  SdbMemtablePrep prep;
  sdbMemtablePrepBegin(v->pMem, &prep);
  int rc = sdbMemtableIterNew(w->pUnsettled, NULL, 0, &it, pErr);
  while (rc == SDB_OK && !it->bEof) {
    if (sdbMemtablePrepAdd(&prep, &it->cur)) rc = SDB_NOMEM_ERR(pErr);
    if (rc == SDB_OK) rc = sdb_iter_next(it, pErr);
  }
  sdb_iter_free(it);
  if (rc) sdbMemtablePrepDrop(&prep);
  if (rc == SDB_OK) {
    sdbMemtablePublish(&prep);
    if (ts > w->clockFloor) w->clockFloor = ts;
    __atomic_store_n(&v->lastSeq, w->walPendingSeq, __ATOMIC_RELEASE);
    if (ts > v->maxCreateTs) v->maxCreateTs = ts;
    sdbMemtableUnref(w->pUnsettled);
    w->pUnsettled = NULL;
  }
  sdbDbVersionUnref(v);
  return rc;
}

/* Forget walPending (and the rows of its commit). */
static void wrDropPending(SdbWriter *w) {
  w->walPending.n = 0;
  w->bWalUnknown = 0;
  sdbMemtableUnref(w->pUnsettled);
  w->pUnsettled = NULL;
}

/* Store walPending at the next WAL id (create-only, under its put-id, so
** that repeating it settles an earlier attempt). On SDB_UNKNOWN, and on any
** failure after an unknown outcome, walPending stays to be settled; an id
** held by someone else drops it. REQUIRES: w->mu. */
static int wrPutWal(SdbDb *db, SdbErr *pErr) {
  SdbWriter *w = db->pWriter;
  char zKey[48];
  walKey(w->nextWalId, zKey, sizeof(zKey));
  int rc = sdbPutOnce(db->pStore, zKey, w->walPending.a, w->walPending.n, w->zWalPutId, 1, pErr);
  if (rc == SDB_EXISTS) {
    wrDropPending(w);
    return wrWalTaken(db, zKey, pErr);
  }
  if (rc == SDB_UNKNOWN) w->bWalUnknown = 1;
  if (rc && w->bWalUnknown) {
    if (rc != SDB_UNKNOWN) sdbErrWrap(pErr, "outcome unknown: settling %s: ", zKey);
    return pErr ? (pErr->rc = SDB_UNKNOWN) : SDB_UNKNOWN;
  }
  if (rc) return rc;
  if (w->pUnsettled && (rc = wrApplyUnsettled(db, pErr)) != SDB_OK) return rc;
  sdbDbNoteChange(db);
  __atomic_store_n(&w->nextWalId, w->nextWalId + 1, __ATOMIC_RELAXED);
  __atomic_store_n(&w->durableSeq, w->walPendingSeq, __ATOMIC_RELAXED);
  if (w->walPendingSeq > w->lastSeq) w->lastSeq = w->walPendingSeq;   /* a settled commit */
  __atomic_store_n(&w->nWalWrites, w->nWalWrites + 1, __ATOMIC_RELAXED);
  w->walPending.n = 0;
  w->bWalUnknown = 0;
  if (w->asyncRc == SDB_UNKNOWN) w->asyncRc = 0;   /* settled since */
  return SDB_OK;
}

/* Write a pending WAL SST (a retry, or one to settle) and then the buffered
** async rows to the WAL, in that order (WAL ids follow seqs). REQUIRES: w->mu. */
static int wrFlushWalBuf(SdbDb *db, SdbErr *pErr) {
  SdbWriter *w = db->pWriter;
  if (w->bFenced) return wrFenced(db, 0, pErr);
  if (w->zStopped[0]) return wrStoppedErr(w, pErr);
  for (;;) {
    if (w->walPending.n == 0 && w->pWalBuf) {
      /* A failure here keeps the buffer (acknowledged commits) whole for
      ** the next try: dropping it would let later WAL SSTs outlive them. */
      int rc = sdbPutIdNew(w->zWalPutId, pErr);
      SdbSstInfo info;
      if (rc == SDB_OK) rc = sdbSstBuilderFinish(w->pWalBuf, &w->walPending, &info, pErr);
      if (rc) {
        w->walPending.n = 0;
        return rc;
      }
      sdbSstBuilderFree(w->pWalBuf);
      w->pWalBuf = NULL;
      sdbSstInfoClear(&info);
      w->walPendingSeq = w->walBufLastSeq;
    }
    if (w->walPending.n == 0) return SDB_OK;
    int rc = wrPutWal(db, pErr);
    if (rc) return rc;
  }
}

/* ------------------------------------------------------------ open */

typedef struct BumpCtx { u64 epoch; } BumpCtx;

static int applyEpochBump(SdbManifest *m, void *pCtx, SdbErr *pErr) {
  BumpCtx *c = pCtx;
  m->writerEpoch += 1;
  c->epoch = m->writerEpoch;
  return SDB_OK;
}

/* Create manifest 1 of a new database (create-only). */
static int wrCreateDb(SdbDb *db, SdbErr *pErr) {
  SdbManifest m;
  memset(&m, 0, sizeof(m));
  m.eFormat = 1;
  m.bInitialized = 1;
  m.lastL0ClockTick = INT64_MIN;
  u8 *a = NULL;
  size_t n = 0;
  int rc = sdbManifestEncode(&m, &a, &n, pErr);
  if (rc == SDB_OK) {
    rc = sdbPutSettled(db->pStore, "manifest/00000000000000000001.manifest", a, n, 1, pErr);
    if (rc == SDB_EXISTS) rc = SDB_OK;   /* someone else created it first */
  }
  sdbFree(a);
  return rc;
}

/* Is zName (a name directly under the root, folders with '/') one of the
** folders a SlateDB database keeps besides manifest/? */
static int wrIsDataFolder(const char *zName) {
  static const char *const az[] = { "wal/", "compacted/", "compactions/" };
  for (size_t i = 0; i < sizeof(az) / sizeof(az[0]); i++) {
    if (strcmp(zName, az[i]) == 0) return 1;
  }
  return 0;
}

/* The refusal to create a database where zDir zName (shown only if it may
** be: sdb_value_shown) is. Always SDB_CANTOPEN. */
static int wrForeign(SdbErr *pErr, const char *zDir, const char *zName) {
  const char *zShown = sdb_value_shown(zName);
  return sdbErrSet(pErr, SDB_CANTOPEN, "refusing to create a database: the location holds"
                   " other objects (first: %s%s%s%s) and no SlateDB database; a writer creates"
                   " one only in an empty or new folder or prefix", zShown == zName ? "\"" : "",
                   zShown == zName ? zDir : "", zShown, zShown == zName ? "\"" : "");
}

/* A database is created only where nothing else is: SDB_OK if the root is
** missing or empty, or holds nothing but a manifest/ folder holding nothing
** (our first create writes manifest/ first, so a create that stopped
** half-way left at most that; temp files of interrupted writes are not
** listed). Else SDB_CANTOPEN: naming the first other object, or, for wal/,
** compacted/ or compactions/ without a manifest, saying that this looks
** like a database whose manifest is missing (never recreated over its old
** WAL). Two cheap listings: at most 4 names are SlateDB's, so 8 names show
** a foreign one if there is any. */
static int wrCheckRootFree(SdbDb *db, SdbErr *pErr) {
  SdbObjList top = {0};
  int rc = sdbStoreListTop(db->pStore, "", 8, &top, pErr);
  const char *zData = NULL;
  int bManifest = 0;
  for (int i = 0; rc == SDB_OK && i < top.n; i++) {
    const char *zName = top.a[i].zKey;
    if (strcmp(zName, "manifest/") == 0) {
      bManifest = 1;
    } else if (wrIsDataFolder(zName)) {
      if (!zData) zData = zName;
    } else {
      rc = wrForeign(pErr, "", zName);
    }
  }
  if (rc == SDB_OK && zData) {
    rc = sdbErrSet(pErr, SDB_CANTOPEN, "refusing to create a database: the location holds"
                   " SlateDB's %s but no manifest; it looks like a SlateDB database whose"
                   " manifest is missing (restore manifest/; it is not recreated)", zData);
  }
  if (rc == SDB_OK && bManifest) {
    rc = sdbStoreListTop(db->pStore, "manifest/", 1, &top, pErr);
    if (rc == SDB_OK && top.n > 0) rc = wrForeign(pErr, "manifest/", top.a[0].zKey);
  }
  sdbObjListFree(&top);
  return rc;
}

static int wrLoadOrCreate(SdbDb *db, SdbManifest **pm, u64 *pId, SdbErr *pErr) {
  int rc = sdbManifestLoadLatest(db->pStore, pm, pId, pErr);
  if (rc != SDB_NOTFOUND) return rc;
  if (!db->cfg.bCreateIfMissing) {
    return sdbErrSet(pErr, SDB_CANTOPEN, SDB_MSG_NO_DB "%s (no manifest/ objects)",
                     db->pStore->zDescr);
  }
  rc = wrCheckRootFree(db, pErr);
  if (rc == SDB_OK) rc = wrCreateDb(db, pErr);
  if (rc == SDB_OK) rc = sdbManifestLoadLatest(db->pStore, pm, pId, pErr);
  return rc;
}

/* Highest WAL id listed, or 0. */
static int wrMaxWalId(SdbDb *db, u64 *pMax, SdbErr *pErr) {
  SdbObjList list = {0};
  *pMax = 0;
  int rc = db->pStore->pMethods->xList(db->pStore, "wal/", &list, pErr);
  for (int i = 0; rc == SDB_OK && i < list.n; i++) {
    u64 id;
    if (sdbParseId20(list.a[i].zKey, ".sst", &id) == SDB_OK && id > *pMax) *pMax = id;
  }
  sdbObjListFree(&list);
  return rc;
}

/* Plant the empty fence SST at the first free WAL id >= *pId. */
static int wrPlantFence(SdbDb *db, u64 *pId, SdbErr *pErr) {
  SdbWriter *w = db->pWriter;
  SdbSstOptions o = w->l0Opt;
  SdbSstBuilder *b = sdbSstBuilderNew(&o);
  SdbBuf out = {0};
  SdbSstInfo info;
  if (!b) return SDB_NOMEM_ERR(pErr);
  int rc = sdbSstBuilderFinish(b, &out, &info, pErr);
  sdbSstBuilderFree(b);
  if (rc == SDB_OK) sdbSstInfoClear(&info);
  for (int i = 0; rc == SDB_OK && i < 10000; i++) {
    char zKey[48];
    walKey(*pId, zKey, sizeof(zKey));
    rc = sdbPutSettled(db->pStore, zKey, out.a, out.n, 0, pErr);
    if (rc != SDB_EXISTS) break;
    SdbManifest *m = NULL;
    u64 id;
    rc = sdbManifestLoadLatest(db->pStore, &m, &id, pErr);
    if (rc == SDB_OK && m->writerEpoch > w->epoch) rc = wrFenced(db, m->writerEpoch, pErr);
    sdbManifestFree(m);
    (*pId)++;
  }
  sdbBufFree(&out);
  return rc;
}

static void *wrFlusherMain(void *pArg);

static int wrInit(SdbDb *db, SdbErr *pErr) {
  SdbWriter *w = sdbMallocZero(sizeof(*w));
  if (!w) return SDB_NOMEM_ERR(pErr);
  pthread_mutex_init(&w->mu, NULL);
  pthread_mutex_init(&w->muFlush, NULL);
  pthread_cond_init(&w->cond, NULL);
  sdbSstOptionsDefault(&w->l0Opt);
  w->l0Opt.blockSize = db->cfg.blockSize;
  w->l0Opt.eCodec = db->cfg.eCodec;
  w->l0Opt.filterBitsPerKey = db->cfg.filterBitsPerKey;
  w->l0Opt.minFilterKeys = db->cfg.minFilterKeys;
  w->walOpt = w->l0Opt;
  w->walOpt.bWal = 1;
  db->pWriter = w;
  return SDB_OK;
}

/* A writer needs a next WAL id and a next sequence number. A WAL id or seq of
** 2^64 - 1 (corrupt data) would wrap to 0: a fence at WAL id 0 that later WAL
** writes collide with, rows older than every row they replace. Seqs from
** 2^62 number a transaction's uncommitted rows (batch.h): committed ones
** there would outrank them or be dropped by its scans (read up to its last
** operation). */
static int wrCheckIdsLeft(u64 walId, u64 seq, SdbErr *pErr) {
  if (walId == UINT64_MAX) {
    return sdbCorrupt(pErr, "WAL id %020llu (2^64-1) leaves no id for a writer",
                      (unsigned long long)walId);
  }
  if (seq >= SDB_BATCH_SEQ_BASE && seq != UINT64_MAX) {
    return sdbCorrupt(pErr, "sequence number %llu (in the manifest or the WAL) reaches 2^62,"
                      " where this writer numbers uncommitted rows", (unsigned long long)seq);
  }
  if (seq == UINT64_MAX) {
    return sdbCorrupt(pErr, "sequence number 2^64-1 (in the manifest or the WAL) leaves none"
                      " for a writer");
  }
  return SDB_OK;
}

int sdbWriterOpen(SdbDb *db, SdbErr *pErr) {
  SdbManifest *m = NULL, *mBumped = NULL;
  u64 id = 0, idBumped = 0, maxWal = 0;
  BumpCtx bump = {0};
  int rc = wrInit(db, pErr);
  if (rc == SDB_OK) rc = wrLoadOrCreate(db, &m, &id, pErr);
  if (rc == SDB_OK) rc = wrMaxWalId(db, &maxWal, pErr);
  if (rc == SDB_OK) rc = wrCheckIdsLeft(SDB_MAX(maxWal, m->replayAfterWalId), m->lastL0Seq, pErr);
  if (rc == SDB_OK) rc = wrCommitManifest(db, m, id, applyEpochBump, &bump, &mBumped, &idBumped, pErr);
  sdbManifestFree(m);
  if (rc) return rc;
  SdbWriter *w = db->pWriter;
  w->epoch = bump.epoch;
  u64 fenceId = SDB_MAX(maxWal, mBumped->replayAfterWalId) + 1;
  rc = wrPlantFence(db, &fenceId, pErr);
  if (rc) {
    sdbManifestFree(mBumped);
    return rc;
  }
  /* Every WAL id up to the fence exists (ids are dense, and the fence took the
  ** first free one): replay reads them without listing wal/ again. */
  db->walKnownLast = fenceId;
  rc = sdbDbVersionBuild(db, mBumped, idBumped, NULL, NULL, NULL, &db->pCur, pErr);
  db->walKnownLast = 0;
  if (rc == SDB_OK) rc = wrCheckIdsLeft(db->pCur->lastWalId, db->pCur->lastSeq, pErr);
  if (rc) {
    sdbDbVersionUnref(db->pCur);      /* nothing for the close to commit */
    db->pCur = NULL;
    return rc;
  }
  w->nextWalId = SDB_MAX(fenceId, db->pCur->lastWalId) + 1;
  w->lastSeq = w->durableSeq = db->pCur->lastSeq;
  w->clockFloor = db->pCur->maxCreateTs;
  w->lastPollMs = nowMs();
  if (pthread_create(&w->flusher, NULL, wrFlusherMain, db) == 0) w->bFlusher = 1;
  return SDB_OK;
}

/* See dbInt.h. */
void sdbWriterSetL0Wait(SdbDb *db, void (*xWait)(SdbDb *)) {
  SdbWriter *w = db->pWriter;
  pthread_mutex_lock(&w->muFlush);
  w->xL0Wait = xWait;
  pthread_mutex_unlock(&w->muFlush);
}

/* ------------------------------------------------------------ L0 flush */

typedef struct L0Ctx {
  SdbUlid id;
  const SdbSstInfo *pInfo;
  u64 replayAfter;        /* WAL ids <= this are fully in SSTs */
  u64 lastSeq;
  i64 maxTick;
} L0Ctx;

/* Prepend L0 c to m, unless m already holds it: an earlier manifest PUT of
** this very change that landed unseen (both tries in sdbPutSettled unknown)
** is found by the CAS's re-read, and adding the L0 again would list its rows
** twice. */
static int applyL0(SdbManifest *m, void *pCtx, SdbErr *pErr) {
  L0Ctx *c = pCtx;
  if (m->lastL0Seq >= c->lastSeq && m->replayAfterWalId >= c->replayAfter) return SDB_OK;
  SdbSstHandle *a = sdbRealloc(m->aL0, sizeof(SdbSstHandle) * (size_t)(m->nL0 + 1));
  if (!a) return SDB_NOMEM_ERR(pErr);
  m->aL0 = a;
  memmove(&a[1], &a[0], sizeof(SdbSstHandle) * (size_t)m->nL0);
  memset(&a[0], 0, sizeof(SdbSstHandle));
  m->nL0++;
  a[0].id = a[0].viewId = c->id;
  a[0].bHasFormatVersion = 1;
  a[0].formatVersion = 2;
  if (sdbSstInfoCopy(&a[0].info, c->pInfo)) return SDB_NOMEM_ERR(pErr);
  m->replayAfterWalId = SDB_MAX(m->replayAfterWalId, c->replayAfter);
  m->walIdLastSeen = SDB_MAX(m->walIdLastSeen, c->replayAfter);
  m->lastL0Seq = c->lastSeq;
  m->recentSnapshotMinSeq = c->lastSeq;
  if (c->maxTick > m->lastL0ClockTick) m->lastL0ClockTick = c->maxTick;
  return SDB_OK;
}

/* Add the rows of one key (versions in seq-descending order) to the L0:
** the newest version, or the run of merge operands down to a base. An expired
** value (expire_ts <= cutoff) becomes a tombstone and an expired merge operand
** is dropped, as SlateDB's flush (its RetentionIterator) does. */
static int l0AddKey(SdbSstBuilder *b, SdbEntry *e, int bFirstOfKey, int *pbDone, i64 cutoff,
                    SdbErr *pErr) {
  if (bFirstOfKey) *pbDone = 0;
  if (*pbDone) return SDB_OK;
  if (e->eKind == SDB_KIND_MERGE && e->bHasExpireTs && e->expireTs <= cutoff) return SDB_OK;
  SdbEntry row = *e;
  if (row.eKind == SDB_KIND_VALUE && row.bHasExpireTs && row.expireTs <= cutoff) {
    row.eKind = SDB_KIND_TOMBSTONE;
    row.pVal = NULL;
    row.nVal = 0;
    row.bHasExpireTs = 0;
    row.expireTs = 0;
  }
  *pbDone = row.eKind != SDB_KIND_MERGE;
  return sdbSstBuilderAdd(b, &row, pErr);
}

static int wrBuildL0(SdbDb *db, SdbMemtable *pMem, SdbBuf *pOut, SdbSstInfo *pInfo, SdbErr *pErr) {
  SdbWriter *w = db->pWriter;
  SdbSstBuilder *b = sdbSstBuilderNew(&w->l0Opt);
  SdbIter *it = NULL;
  SdbBuf prev = {0};
  if (!b) return SDB_NOMEM_ERR(pErr);
  i64 cutoff = sdbMemtableMaxCreateTs(pMem);
  int rc = sdbMemtableIterNew(pMem, NULL, 0, &it, pErr);
  int bDone = 0;
  while (rc == SDB_OK && !it->bEof) {
    int bFirst = prev.a == NULL || sdbKeyCmp(prev.a, prev.n, it->cur.pKey, it->cur.nKey) != 0;
    if (bFirst && sdbBufSet(&prev, it->cur.pKey, it->cur.nKey)) rc = SDB_NOMEM_ERR(pErr);
    if (rc == SDB_OK) rc = l0AddKey(b, &it->cur, bFirst, &bDone, cutoff, pErr);
    if (rc == SDB_OK) rc = sdb_iter_next(it, pErr);
  }
  if (rc == SDB_OK) rc = sdbSstBuilderFinish(b, pOut, pInfo, pErr);
  sdb_iter_free(it);
  sdbBufFree(&prev);
  sdbSstBuilderFree(b);
  return rc;
}

/* Store an L0 SST under a fresh ULID (create-only). */
static int wrPutL0(SdbDb *db, const SdbBuf *pSst, SdbUlid *pId, SdbErr *pErr) {
  int rc = SDB_EXISTS;
  for (int i = 0; rc == SDB_EXISTS && i < 5; i++) {
    char zKey[48], zId[27];
    if (sdbUlidNew(pId)) return sdbErrSet(pErr, SDB_IOERR, "no randomness for a ULID");
    sdbUlidFormat(*pId, zId);
    snprintf(zKey, sizeof(zKey), "compacted/%s.sst", zId);
    rc = sdbPutSettled(db->pStore, zKey, pSst->a, pSst->n, 1, pErr);
  }
  return rc;
}

/* Freeze the active memtable (once the WAL holds all its rows) so a new one
** takes the next commits; the flusher turns it into an L0. REQUIRES: w->mu. */
static int wrFreeze(SdbDb *db, SdbErr *pErr) {
  SdbWriter *w = db->pWriter;
  int rc = wrFlushWalBuf(db, pErr);
  if (rc) return rc;
  DbVersion *v = sdbDbPinVersion(db);
  DbVersion *pNew = NULL;
  if (sdbMemtableRows(v->pMem) > 0) {
    rc = sdbDbVersionFreeze(db, v, w->nextWalId - 1, &pNew, pErr);
    if (rc == SDB_OK) sdbDbInstallVersion(db, pNew);
  }
  sdbDbVersionUnref(v);
  if (rc == SDB_OK) pthread_cond_signal(&w->cond);
  return rc;
}

/* Commit L0 c to the manifest and drop the frozen memtable pImm from the
** current version. REQUIRES: w->mu. */
static int wrPublishL0(SdbDb *db, L0Ctx *c, SdbMemtable *pImm, SdbErr *pErr) {
  int rc = wrUpdateLocked(db, applyL0, c, pImm, NULL, pErr);
  SdbWriter *w = db->pWriter;
  if (rc == SDB_OK) __atomic_store_n(&w->nL0Flushes, w->nL0Flushes + 1, __ATOMIC_RELAXED);
  return rc;
}

/* Oldest frozen memtable -> L0 SST -> manifest. The SST is built and stored
** without w->mu, so commits go on meanwhile. REQUIRES: w->mu NOT held.
** *pbMore = 1 if frozen memtables remain. */
static int wrFlushOldestImm(SdbDb *db, int *pbMore, SdbErr *pErr) {
  SdbWriter *w = db->pWriter;
  pthread_mutex_lock(&w->muFlush);
  DbVersion *v = sdbDbPinVersion(db);
  int rc = SDB_OK;
  *pbMore = 0;
  if (v->nImm > 0 && v->nL0 >= (int)db->cfg.l0MaxSsts) {
    /* Too many L0s: give the compactor a chance first (the hook is bounded). */
    sdbDbVersionUnref(v);
    if (w->xL0Wait) w->xL0Wait(db);
    v = sdbDbPinVersion(db);
  }
  if (v->nImm > 0) {
    SdbMemtable *pImm = v->apImm[v->nImm - 1];
    SdbBuf sst = {0};
    SdbSstInfo info;
    memset(&info, 0, sizeof(info));
    L0Ctx c = {{0, 0}, &info, v->aImmWalId[v->nImm - 1], sdbMemtableMaxSeq(pImm),
               sdbMemtableMaxCreateTs(pImm)};
    rc = wrBuildL0(db, pImm, &sst, &info, pErr);
    if (rc == SDB_OK) rc = wrPutL0(db, &sst, &c.id, pErr);
    if (rc == SDB_OK) {
      pthread_mutex_lock(&w->mu);
      rc = wrPublishL0(db, &c, pImm, pErr);
      pthread_mutex_unlock(&w->mu);
    }
    *pbMore = rc == SDB_OK && v->nImm > 1;
    sdbSstInfoClear(&info);
    sdbBufFree(&sst);
  }
  sdbDbVersionUnref(v);
  pthread_mutex_unlock(&w->muFlush);
  return rc;
}

/* Flush frozen memtables until at most nKeep remain. REQUIRES: no w->mu. */
static int wrFlushImms(SdbDb *db, int nKeep, SdbErr *pErr) {
  int bMore = 1, rc = SDB_OK;
  while (rc == SDB_OK && bMore) {
    DbVersion *v = sdbDbPinVersion(db);
    int n = v->nImm;
    sdbDbVersionUnref(v);
    if (n <= nKeep) break;
    rc = wrFlushOldestImm(db, &bMore, pErr);
  }
  return rc;
}

/* ------------------------------------------------------------ commits */

/* The batch's final operation per key, in key order, into w->aRow. */
static int wrCollect(SdbWriter *w, SdbBatch *pBatch, SdbIter **ppIt, int *pnRow, SdbErr *pErr) {
  SdbIter *it = NULL;
  int n = 0;
  const u8 *pPrev = NULL;
  size_t nPrev = 0;
  int rc = sdbMemtableIterNew(sdbBatchIndex(pBatch), NULL, 0, &it, pErr);
  while (rc == SDB_OK && !it->bEof) {
    if (!pPrev || sdbKeyCmp(pPrev, nPrev, it->cur.pKey, it->cur.nKey) != 0) {
      if (n == w->nRowAlloc) {
        int nNew = w->nRowAlloc ? w->nRowAlloc * 2 : 64;
        SdbEntry *a = sdbRealloc(w->aRow, sizeof(SdbEntry) * (size_t)nNew);
        if (!a) { rc = SDB_NOMEM_ERR(pErr); break; }
        w->aRow = a;
        w->nRowAlloc = nNew;
      }
      w->aRow[n++] = it->cur;   /* pointers stay valid: the batch index owns them */
      pPrev = it->cur.pKey;
      nPrev = it->cur.nKey;
    }
    rc = sdb_iter_next(it, pErr);
  }
  *ppIt = it;
  *pnRow = n;
  return rc;
}

/* Stamp seq and create_ts on the collected rows, and expire_ts on rows whose
** TTL counts from the commit (SDB_EXPIRE_AT_COMMIT, batch.h). */
static void wrStamp(SdbWriter *w, int n, u64 seq, i64 ts) {
  for (int i = 0; i < n; i++) {
    SdbEntry *e = &w->aRow[i];
    if (e->bHasExpireTs == SDB_EXPIRE_AT_COMMIT) {
      i64 ttl = e->expireTs - e->createTs;
      e->expireTs = ttl > INT64_MAX - ts ? INT64_MAX : ts + ttl;
      e->bHasExpireTs = 1;
    }
    e->seq = seq;
    e->bHasCreateTs = 1;
    e->createTs = ts;
    if (e->eKind == SDB_KIND_TOMBSTONE) { e->pVal = NULL; e->nVal = 0; e->bHasExpireTs = 0; }
  }
}

static int wrAddRows(SdbSstBuilder *b, const SdbEntry *a, int n, SdbErr *pErr) {
  int rc = SDB_OK;
  for (int i = 0; rc == SDB_OK && i < n; i++) rc = sdbSstBuilderAdd(b, &a[i], pErr);
  return rc;
}

/* Write (or settle) what earlier commits left for the WAL, before this
** commit's rows. An unknown outcome there is this commit's plain failure:
** its own rows were not written. REQUIRES: w->mu. */
static int wrSettleFirst(SdbDb *db, SdbErr *pErr) {
  int rc = wrFlushWalBuf(db, pErr);
  if (rc != SDB_UNKNOWN) return rc;
  sdbErrWrap(pErr, "this write was not made; an earlier write is unsettled: ");
  if (pErr) pErr->rc = SDB_IOERR;
  return SDB_IOERR;
}

/* Keep the rows of a durable commit whose WAL PUT outcome is unknown, to be
** applied if it is settled as ours. REQUIRES: w->mu. */
static int wrKeepUnsettled(SdbWriter *w, int n, SdbErr *pErr) {
  if (!(w->pUnsettled = sdbMemtableNew())) return SDB_NOMEM_ERR(pErr);
  for (int i = 0; i < n; i++) {
    if (sdbMemtableInsert(w->pUnsettled, &w->aRow[i])) return SDB_NOMEM_ERR(pErr);
  }
  return SDB_OK;
}

/* Durable commit: one WAL SST holding exactly these rows. A failed commit
** leaves nothing behind, except one whose outcome is unknown (SDB_UNKNOWN):
** its SST, put-id and rows stay until it is settled. */
static int wrWriteDurable(SdbDb *db, int n, u64 seq, SdbErr *pErr) {
  SdbWriter *w = db->pWriter;
  int rc = wrSettleFirst(db, pErr);   /* keep WAL ids in seq order */
  if (rc) return rc;
  SdbSstBuilder *b = sdbSstBuilderNew(&w->walOpt);
  SdbSstInfo info;
  if (!b) return SDB_NOMEM_ERR(pErr);
  rc = wrAddRows(b, w->aRow, n, pErr);
  if (rc == SDB_OK) rc = sdbSstBuilderFinish(b, &w->walPending, &info, pErr);
  sdbSstBuilderFree(b);
  if (rc == SDB_OK) {
    sdbSstInfoClear(&info);
    w->walPendingSeq = seq;
    rc = sdbPutIdNew(w->zWalPutId, pErr);
  }
  if (rc == SDB_OK) rc = wrPutWal(db, pErr);
  if (rc == SDB_UNKNOWN && wrKeepUnsettled(w, n, NULL) != SDB_OK) {
    sdbErrWrap(pErr, "(out of memory keeping the rows: they join this handle's view only when "
               "reopened) ");
    sdbMemtableUnref(w->pUnsettled);
    w->pUnsettled = NULL;
  }
  if (rc && !w->bWalUnknown) wrDropPending(w);
  return rc;
}

/* Async commit: append to the WAL buffer; the flusher (or wrAsyncFlushIfFull
** once the commit is applied) writes it. A failure part-way leaves some of
** the commit's rows in the buffer, which must never be written: a buffer
** that held only them is dropped (the commit fails cleanly); one that also
** holds earlier acknowledged async commits is dropped with them, as a crash
** would lose them, and the handle stops writing (wrStoppedErr), since later
** WAL SSTs would follow a gap. REQUIRES: w->mu. */
static int wrWriteAsync(SdbDb *db, int n, u64 seq, SdbErr *pErr) {
  SdbWriter *w = db->pWriter;
  int bEarlier = w->pWalBuf != NULL;   /* created by a commit, freed once written */
  if (!w->pWalBuf && !(w->pWalBuf = sdbSstBuilderNew(&w->walOpt))) return SDB_NOMEM_ERR(pErr);
  int rc = wrAddRows(w->pWalBuf, w->aRow, n, pErr);
  if (rc == SDB_OK) {
    w->walBufLastSeq = seq;
    return SDB_OK;
  }
  sdbSstBuilderFree(w->pWalBuf);
  w->pWalBuf = NULL;
  if (bEarlier) {
    snprintf(w->zStopped, sizeof(w->zStopped), "an asynchronous commit failed part-way into the "
             "WAL buffer (%.80s), which held earlier asynchronous commits not yet durable: they are "
             "dropped, as a crash would drop them", pErr ? pErr->zMsg : "out of memory");
  }
  return rc;
}

/* Record a background failure, reported by the next commit. REQUIRES: w->mu. */
static void wrNoteAsyncError(SdbWriter *w, int rc, const SdbErr *pErr) {
  if (rc && !w->asyncRc) {
    w->asyncRc = rc;
    snprintf(w->zAsyncMsg, sizeof(w->zAsyncMsg), "%s", pErr->zMsg);
  }
}

/* After an async commit was applied (acknowledged before it is durable, as
** in SlateDB): write the WAL buffer now if it is full. A failure leaves the
** finished SST pending under its put-id (retried or settled by the flusher
** or the next write, never dropped) and is reported through asyncRc, as a
** failure of the flusher's own write would be. REQUIRES: w->mu. */
static void wrAsyncFlushIfFull(SdbDb *db) {
  SdbWriter *w = db->pWriter;
  u64 nBuf = w->pWalBuf ? sdbSstBuilderEstimate(w->pWalBuf) : 0;
  if (nBuf >= db->cfg.l0SstSizeBytes || nBuf >= db->cfg.maxUnflushedBytes) {
    SdbErr err;
    sdb_err_clear(&err);
    wrNoteAsyncError(w, wrFlushWalBuf(db, &err), &err);
  }
}

/* Copy the collected rows of a commit into the active memtable's arena as
** a group (memtable.h), before the commit writes anything: the apply that
** follows the WAL write then cannot fail part-way, and when this fails the
** commit fails with nothing written. *pPrep is dropped on failure.
** REQUIRES: w->mu, held until the group is published or dropped (the
** active memtable stays the same meanwhile). */
static int wrPrepare(SdbDb *db, int n, SdbMemtablePrep *pPrep, SdbErr *pErr) {
  DbVersion *v = sdbDbPinVersion(db);
  int rc = SDB_OK;
  sdbMemtablePrepBegin(v->pMem, pPrep);
  sdbDbVersionUnref(v);
  for (int i = 0; rc == SDB_OK && i < n; i++) {
    if (sdbMemtablePrepAdd(pPrep, &db->pWriter->aRow[i])) rc = SDB_NOMEM_ERR(pErr);
  }
  if (rc) sdbMemtablePrepDrop(pPrep);
  return rc;
}

/* Link a committed commit's prepared rows (wrPrepare) into the memtable and
** publish their seq: all of them at once, nothing can fail. */
static void wrApply(SdbDb *db, SdbMemtablePrep *pPrep, u64 seq, i64 ts) {
  DbVersion *v = sdbDbPinVersion(db);
  sdbMemtablePublish(pPrep);
  __atomic_store_n(&v->lastSeq, seq, __ATOMIC_RELEASE);
  if (ts > v->maxCreateTs) v->maxCreateTs = ts;
  sdbDbVersionUnref(v);
}

/* Adopt manifest m (ownership taken), read as the latest with id: fenced if
** a newer writer took over, else its tables (compaction changes) if it is
** newer than the current version's. REQUIRES w->mu held. */
static int wrAdoptManifest(SdbDb *db, SdbManifest *m, u64 id, SdbErr *pErr) {
  SdbWriter *w = db->pWriter;
  if (m->writerEpoch > w->epoch) {
    u64 theirs = m->writerEpoch;
    sdbManifestFree(m);
    return wrFenced(db, theirs, pErr);
  }
  DbVersion *v = sdbDbPinVersion(db);
  int rc = SDB_OK;
  if (id > v->manifestId) {
    DbVersion *pNew = NULL;
    rc = sdbDbVersionBuild(db, m, id, v, v->pMem, NULL, &pNew, pErr);
    if (rc == SDB_OK) sdbDbInstallVersion(db, pNew);
  } else {
    sdbManifestFree(m);
  }
  sdbDbVersionUnref(v);
  return rc;
}

/* Check the manifest for a newer writer (and adopt compaction changes), in
** the caller's thread. REQUIRES w->mu held. */
static int wrPoll(SdbDb *db, SdbErr *pErr) {
  SdbWriter *w = db->pWriter;
  SdbManifest *m = NULL;
  u64 id = 0;
  w->lastPollMs = nowMs();
  int rc = sdbManifestLoadLatest(db->pStore, &m, &id, pErr);
  return rc ? rc : wrAdoptManifest(db, m, id, pErr);
}

/* The flusher's poll, every WR_POLL_MS, so that commits never wait for it:
** the manifest is read without w->mu. A read that fails is retried at the
** next tick (a fenced writer's next WAL PUT finds the fence anyway).
** REQUIRES w->mu held; released meanwhile. */
static void wrPollInBackground(SdbDb *db) {
  SdbWriter *w = db->pWriter;
  SdbManifest *m = NULL;
  u64 id = 0;
  SdbErr err;
  w->lastPollMs = nowMs();
  pthread_mutex_unlock(&w->mu);
  int rc = sdbManifestLoadLatest(db->pStore, &m, &id, &err);
  pthread_mutex_lock(&w->mu);
  if (rc) return;
  if (w->bStop || w->bFenced) {
    sdbManifestFree(m);
    return;
  }
  wrAdoptManifest(db, m, id, &err);
}

static int wrCheckState(SdbDb *db, SdbErr *pErr) {
  SdbWriter *w = db->pWriter;
  if (w->bFenced) return wrFenced(db, 0, pErr);
  if (w->zStopped[0]) return wrStoppedErr(w, pErr);
  if (w->bWalUnknown) {
    /* Settle an earlier WAL write first: its seq and WAL id come before ours. */
    int rc = wrSettleFirst(db, pErr);
    if (rc) return rc;
  }
  if (w->asyncRc) {
    int rc = sdbErrSet(pErr, w->asyncRc, "background WAL flush failed: %s", w->zAsyncMsg);
    w->asyncRc = 0;
    return rc;
  }
  /* The flusher polls; commits only do when it has fallen far behind. */
  i64 nLate = w->bFlusher ? 3 * WR_POLL_MS + (i64)db->cfg.flushIntervalMs : WR_POLL_MS;
  if (nowMs() - w->lastPollMs >= nLate) return wrPoll(db, pErr);
  return SDB_OK;
}

/* See dbInt.h. */
int sdbWriterWrite(SdbDb *db, SdbBatch *pBatch, int bAwaitDurable, SdbErr *pErr) {
  SdbWriter *w = db->pWriter;
  if (!w) return sdbErrSet(pErr, SDB_READONLY, "the database was opened read-only (mode=reader)");
  if (!pBatch || sdb_batch_count(pBatch) == 0) return SDB_OK;
  pthread_mutex_lock(&w->mu);
  SdbIter *it = NULL;
  int n = 0;
  int rc = wrCheckState(db, pErr);
  if (rc == SDB_OK) rc = wrCollect(w, pBatch, &it, &n, pErr);
  u64 seq = w->lastSeq + 1;
  i64 ts = SDB_MAX(nowMs(), w->clockFloor);
  if (rc == SDB_OK && n > 0) {
    SdbMemtablePrep prep;
    wrStamp(w, n, seq, ts);
    rc = wrPrepare(db, n, &prep, pErr);
    if (rc == SDB_OK) {
      rc = bAwaitDurable ? wrWriteDurable(db, n, seq, pErr) : wrWriteAsync(db, n, seq, pErr);
      if (rc) sdbMemtablePrepDrop(&prep);
    }
    if (rc == SDB_OK) {
      w->lastSeq = seq;
      w->clockFloor = ts;
      wrApply(db, &prep, seq, ts);
    }
    if (rc == SDB_OK && !bAwaitDurable) wrAsyncFlushIfFull(db);
  }
  sdb_iter_free(it);
  int nImm = 0;
  if (rc == SDB_OK) {
    DbVersion *v = sdbDbPinVersion(db);
    /* SlateDB's trigger (db_common.rs maybe_freeze_current_memtable): its size
    ** estimate, not our byte count, so that we leave the WAL where its writer
    ** would: SlateDB 0.12.1's WAL replay cuts the replayed WAL into tables at
    ** the same estimate, and when it cuts more than one it stamps each with the
    ** next table's last WAL id - 1 (fixed upstream in 0.13, slatedb#1625): the
    ** rows of the WALs in between are lost if it stops before flushing the next. */
    int bFull = sdbMemtableL0Estimate(v->pMem, db->cfg.blockSize, db->cfg.filterBitsPerKey,
                                      db->cfg.minFilterKeys) >= db->cfg.l0SstSizeBytes;
    nImm = v->nImm;
    sdbDbVersionUnref(v);
    if (bFull && nImm < DB_MAX_IMM) {
      SdbErr err2;
      sdb_err_clear(&err2);
      /* The commit is already durable; a failed freeze is retried next time. */
      if (wrFreeze(db, &err2) == SDB_OK) nImm++;
    }
  }
  pthread_mutex_unlock(&w->mu);
  if (rc == SDB_OK && nImm > WR_MAX_PENDING_IMM) {
    /* Backpressure: the flusher is behind; help it before returning. */
    SdbErr err2;
    sdb_err_clear(&err2);
    wrFlushImms(db, WR_MAX_PENDING_IMM, &err2);
  }
  return rc;
}

/* See dbInt.h. */
int sdbWriterFlush(SdbDb *db, int bMemtable, SdbErr *pErr) {
  SdbWriter *w = db->pWriter;
  if (!w) return sdbErrSet(pErr, SDB_READONLY, "the database was opened read-only (mode=reader)");
  pthread_mutex_lock(&w->mu);
  int rc = w->bFenced ? wrFenced(db, 0, pErr) : SDB_OK;
  if (rc == SDB_OK) rc = bMemtable ? wrFreeze(db, pErr) : wrFlushWalBuf(db, pErr);
  pthread_mutex_unlock(&w->mu);
  if (rc == SDB_OK && bMemtable) rc = wrFlushImms(db, 0, pErr);
  return rc;
}

int sdbWriterPoll(SdbDb *db, SdbErr *pErr) {
  SdbWriter *w = db->pWriter;
  pthread_mutex_lock(&w->mu);
  int rc = w->bFenced ? wrFenced(db, 0, pErr) : wrPoll(db, pErr);
  pthread_mutex_unlock(&w->mu);
  return rc;
}

/* ------------------------------------------------------------ background */

/* The background thread: writes async WAL rows every flush_interval and
** turns frozen memtables into L0 SSTs. Never calls SQLite. */
static void *wrFlusherMain(void *pArg) {
  SdbDb *db = pArg;
  SdbWriter *w = db->pWriter;
  pthread_mutex_lock(&w->mu);
  while (!w->bStop) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    u64 ns = (u64)ts.tv_nsec + db->cfg.flushIntervalMs * 1000000ull;
    ts.tv_sec += (time_t)(ns / 1000000000ull);
    ts.tv_nsec = (long)(ns % 1000000000ull);
    pthread_cond_timedwait(&w->cond, &w->mu, &ts);
    if (w->bStop || w->bFenced) continue;
    SdbErr err;
    sdb_err_clear(&err);
    if (w->pWalBuf || w->walPending.n) wrNoteAsyncError(w, wrFlushWalBuf(db, &err), &err);
    if (nowMs() - w->lastPollMs >= WR_POLL_MS) wrPollInBackground(db);
    if (w->bStop || w->bFenced) continue;
    DbVersion *v = sdbDbPinVersion(db);
    int nImm = v->nImm;
    sdbDbVersionUnref(v);
    if (nImm == 0) continue;
    pthread_mutex_unlock(&w->mu);
    /* An L0 failure loses nothing (the rows are in the WAL and the frozen
    ** memtable stays); it is retried at the next tick. */
    int rc = wrFlushImms(db, 0, &err);
    pthread_mutex_lock(&w->mu);
    if (rc == SDB_FENCED) __atomic_store_n(&w->bFenced, 1, __ATOMIC_RELAXED);
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

/* ------------------------------------------------------------ close */

typedef struct CloseCtx { u64 walIdLastSeen; } CloseCtx;

static int applyClose(SdbManifest *m, void *pCtx, SdbErr *pErr) {
  CloseCtx *c = pCtx;
  if (c->walIdLastSeen > m->walIdLastSeen) m->walIdLastSeen = c->walIdLastSeen;
  return SDB_OK;
}

/* Freeze the active memtable if it holds close_flush_bytes or more, so the
** close turns it into an L0 (a small one stays in the WAL: no L0 per close).
** REQUIRES: the flusher stopped, no w->mu. */
static void wrFreezeAtClose(SdbDb *db, SdbErr *pErr) {
  SdbWriter *w = db->pWriter;
  pthread_mutex_lock(&w->mu);
  DbVersion *v = sdbDbPinVersion(db);
  int bBig = sdbMemtableBytes(v->pMem) >= db->cfg.closeFlushBytes;
  sdbDbVersionUnref(v);
  if (bBig && !w->bFenced) wrFreeze(db, pErr);
  pthread_mutex_unlock(&w->mu);
}

void sdbWriterClose(SdbDb *db) {
  SdbWriter *w = db->pWriter;
  pthread_mutex_lock(&w->mu);
  w->bStop = 1;
  pthread_cond_signal(&w->cond);
  pthread_mutex_unlock(&w->mu);
  if (w->bFlusher) pthread_join(w->flusher, NULL);
  SdbErr err;
  sdb_err_clear(&err);
  /* Frozen memtables become L0s before the close (the flusher may not have
  ** reached them), and so does the active one from close_flush_bytes: a later
  ** process then replays at most that much WAL. SlateDB 0.12.1's replay loses
  ** rows when that tail is longer than l0_sst_size_bytes (docs/sql.md,
  ** Caveats). A failure leaves them in the WAL, as before. */
  if (!w->bFenced && db->pCur) wrFreezeAtClose(db, &err);
  sdb_err_clear(&err);
  if (!w->bFenced && db->pCur) wrFlushImms(db, 0, &err);
  sdb_err_clear(&err);
  if (!w->bFenced && db->pCur && wrFlushWalBuf(db, &err) == SDB_OK && !w->bFenced) {
    CloseCtx c = {w->nextWalId - 1};
    SdbManifest *m = NULL;
    u64 id;
    DbVersion *v = db->pCur;
    if (wrCommitManifest(db, v->pManifest, v->manifestId, applyClose, &c, &m, &id, &err) == SDB_OK) {
      sdbManifestFree(m);
    }
  }
  sdbSstBuilderFree(w->pWalBuf);
  sdbBufFree(&w->walPending);
  sdbMemtableUnref(w->pUnsettled);
  sdbFree(w->aRow);
  pthread_cond_destroy(&w->cond);
  pthread_mutex_destroy(&w->mu);
  pthread_mutex_destroy(&w->muFlush);
  sdbFree(w);
  db->pWriter = NULL;
}

/* See dbInt.h. Without w->mu, which a commit holds across its WAL PUT: the
** fields shown are stored atomically (epoch is set before the handle is
** shared), each value current, not one snapshot. */
void sdbWriterStats(SdbDb *db, SdbStats *s) {
  SdbWriter *w = db->pWriter;
  s->bWriter = 1;
  s->bFenced = __atomic_load_n(&w->bFenced, __ATOMIC_RELAXED);
  s->writerEpoch = w->epoch;
  s->durableSeq = __atomic_load_n(&w->durableSeq, __ATOMIC_RELAXED);
  s->nextWalId = __atomic_load_n(&w->nextWalId, __ATOMIC_RELAXED);
  s->nWalWrites = __atomic_load_n(&w->nWalWrites, __ATOMIC_RELAXED);
  s->nL0Flushes = __atomic_load_n(&w->nL0Flushes, __ATOMIC_RELAXED);
}
