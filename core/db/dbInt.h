/*
** dbInt.h: the internals of SdbDb shared by the files of db/.
**
** Files of db/, lowest first; each calls only files listed before it
** (scripts/layers.py checks this on the objects):
**   memtable.c merge.c batch.c  rows in memory, merging iterators, batches
**   gc.c                        the garbage collector (planner and run; store
**                               and meta only)
**   version.c     versions: build (manifest + WAL replay), freeze, pin,
**                 release, install; tables and their iterators; the change
**                 counter (DbGen); the vanished-object retry budget
**   read.c        readers' open and refresh; resuming scans; prefetch
**   compactor.c   the size-tiered scheduler and the executor (merges the
**                 tables of a pinned version)
**   writer.c      a writer's open, commits, WAL, L0 flushes, manifest CAS,
**                 fencing, close; its flusher thread
**   checkpoint.c  checkpoints as manifest edits (through the writer's CAS)
**   maint.c       a writer's compactor and GC thread (claims, jobs, GC runs)
**   db.c          the public sdb_db_* API of slatedb.h: open/close, scan,
**                 write, flush, refresh, compact, gc, checkpoints, stats;
**                 starts maintenance after the writer and stops it before
**
** Threads:
**   the caller's (SQLite) threads: every sdb_db_* call; scans pin a version
**       and read tables without holding SdbDb.mu (see the locks below).
**   the writer's flusher (writer.c, one per writer, started by sdbWriterOpen,
**       joined by sdbWriterClose): writes async WAL rows, polls the manifest,
**       turns frozen memtables into L0s. Touches SdbWriter under its locks,
**       versions through version.c, the store; may wait in maint.c's L0 hook.
**   the maintenance thread (maint.c, one per writer unless compactor=off and
**       gc=off, started by sdbMaintStart after the writer is open, joined by
**       sdbMaintStop before it closes): compactions and GC. Touches SdbMaint
**       under its locks, versions, the writer only through
**       sdbWriterUpdateManifest / sdbWriterPoll, the store.
**   scan read-ahead threads (table/sst.c, version.c), short-lived, owned by
**       one scan's iterators: on S3, an SST iterator keeps up to 16 read-ahead
**       windows in flight, one thread each (a window's ranged GETs, no
**       decoding; cancelled through SdbGetReq.pCancel when the scan ends
**       early, so the join is quick), the first 4 of them possibly started by
**       the SST's open before its index GET (SstRaw: owned by the SST until
**       its first iterator from block 0 adopts them; any other iterator, or
**       the SST's end, cancels and joins them); a sorted run's iterator opens its next SST (index and
**       first block) on a thread when the current SST has requested its last
**       blocks. They touch only the store, the block cache (read-ahead
**       charge), SdbDb.muOpen (sdbDbTableSst) and their own window; each is
**       joined before its iterator steps past it or is freed, so none
**       outlives its scan; an error is kept until the scan needs the data.
**   the local store's spare thread (store/fs.c, one per writable local
**       store, started by its first create-only PUT, joined by its free):
**       creates the temp file the next create-only PUT into the same folder
**       writes; touches only the store's muSp state and the file system.
**   libcurl (store/s3.c) runs in the calling thread; its only threads are a
**       multipart upload's part senders (up to 3 beside the caller, store
**       code only, joined before the PUT returns).
** None of these threads calls SQLite.
*/
#ifndef SDB_DBINT_H
#define SDB_DBINT_H

#include <pthread.h>

#include "util/cache.h"
#include "meta/manifest.h"
#include "db/memtable.h"
#include "store/objstore.h"
#include "table/sst.h"

typedef struct SdbWriter SdbWriter;
typedef struct SdbMaint SdbMaint;

#define DB_MAX_IMM 16          /* frozen memtables a version can hold */

/* One compacted SST (L0 or sorted-run member), opened on first use. */
typedef struct DbTable {
  int nRef;               /* atomic; versions share tables */
  SdbUlid id;
  char zKey[48];          /* "compacted/<ULID>.sst" */
  SdbSstInfo info;        /* owned copy of the manifest's SsTableInfo */
  u16 formatVersion;      /* from the manifest; absent there = 1 */
  SdbRange visible;       /* visible_range projection (bounds point into pBounds) */
  int bHasVisible;
  u8 *pBounds;            /* owned bytes of visible's bounds */
  SdbSst *pSst;           /* lazily opened; guarded by SdbDb.muOpen */
  int bOpening;           /* a thread is opening pSst (SdbDb.muOpen); others
                          ** wait on SdbDb.condOpen */
  u64 maxSeq;             /* last_l0_seq of the manifest that first listed it:
                          ** no row of the SST may be newer */
} DbTable;

typedef struct DbRun {
  u32 id;
  DbTable **apTable;      /* in key order; references owned */
  int nTable;
} DbRun;

typedef struct DbVersion {
  int nRef;               /* atomic */
  SdbManifest *pManifest; /* owned */
  u64 manifestId;
  DbTable **apL0;         /* newest first; references owned */
  int nL0;
  DbRun *aRun;            /* newest first */
  int nRun;
  SdbMemtable *pMem;      /* active memtable: replayed WAL rows and new
                          ** commits; reference owned */
  SdbMemtable *apImm[DB_MAX_IMM];  /* frozen memtables waiting to become L0
                          ** SSTs, newest first; references owned */
  u64 aImmWalId[DB_MAX_IMM];       /* last durable WAL id when each froze */
  int nImm;
  u64 lastSeq;            /* highest seq visible in this version (atomic) */
  u64 lastWalId;          /* highest WAL id replayed (or replay_after_wal_id) */
  i64 maxCreateTs;        /* largest create_ts replayed (clock floor) */
} DbVersion;

/*
** Locks, in the order they may be taken (a lock is never taken while holding
** one below it); what each may be held across:
**   SdbMaint.muWork    one compaction or GC run; held across all their
**                      store I/O (only maintenance callers wait on it)
**   SdbWriter.muFlush  one L0 flush, and the L0-wait hook; held across the
**                      L0's build, PUT and manifest CAS, and the wait
**   SdbWriter.mu       commits, freezes, polls, manifest writes; held
**                      across WAL and manifest I/O, so sdb_db_write, flush,
**                      refresh and checkpoint calls of a writer wait for a
**                      commit in progress (scans and stats never take it)
**   SdbMaint.mu        maint state and cond; no I/O (the L0 wait sleeps on
**                      its cond, which releases it)
**   SdbDb.muRefresh    a reader's refresh; held across its manifest and WAL
**                      reads (scans do not take it unless a refresh is due)
**   SdbDb.muOpen       DbTable.pSst and bOpening; held only to test or set
**                      them, never across store I/O (sdbDbTableSst opens
**                      SSTs outside it; a second user of the same table
**                      waits on condOpen, which releases it); also taken
**                      by a run scan's next-SST thread
**   (scan read-ahead threads hold no lock of db/ while they wait: the
**   iterator joins them outside every lock, and they take only muOpen and
**   the locks below db/)
**   SdbDb.mu           the database lock: pCur only, to pin or replace the
**                      current version; NO store or disk I/O under it, nor
**                      a call that may do any (a version's last release
**                      happens after it is dropped)
**   dbGenMu (version.c)  the list of change counters; no I/O
**   below db/, taken last and held without calling up: the store's mutexes
**   (fs.c descriptor cache and spare state muSp: a PUT may wait on its
**   cond for the spare being made, holding no other lock of fs.c; s3.c handle pools, diskcache.c's parts being
**   fetched; no I/O, a disk-cache batch waits on its cond holding no other
**   lock of its own; creds.c's muFetch,
**   held across a credential server's answer, then its mu, no I/O), SdbSst.mu (the filter
**   of an SST without a cache; held across that filter's read: db/ always
**   gives SSTs a cache), SdbCache.mu (no I/O).
*/
struct SdbDb {
  SdbStore *pStore;       /* owned */
  SdbCache *pCache;       /* owned */
  char *zUrl;             /* owned copy */
  int bReadOnly;
  int eMergeOp;
  pthread_mutex_t muRefresh; /* reader: one refresh at a time (the only inserts
                          ** into a reader's memtable and replacements of pCur) */
  pthread_mutex_t mu;     /* the database lock: guards pCur */
  pthread_mutex_t muOpen; /* guards DbTable.pSst and bOpening of every table */
  pthread_cond_t condOpen;  /* broadcast when a table's open ends (with muOpen) */
  DbVersion *pCur;        /* current version (one reference owned) */
  SdbConfig cfg;          /* settings (zUrl points at the copy above) */
  SdbWriter *pWriter;     /* writer state; NULL for readers (writer.c) */
  SdbMaint *pMaint;       /* compactor / GC thread of a writer, or NULL (maint.c) */
  i64 lastRefreshMs;      /* reader: when the version was last refreshed (atomic) */
  u64 walReplayEnd;       /* checkpoint readers: replay only WAL ids below this (0: no bound) */
  u64 walKnownLast;       /* writer opening: every WAL id up to this (its fence) exists,
                          ** so replay reads them without listing (0: list) */
  int bPinned;            /* checkpoint reader: never refreshes */
  struct DbGen *pGen;     /* process-wide change counter of zUrl (version.c), or NULL */
  u64 seenGen;            /* reader: pGen's value when it last refreshed (atomic) */
  u64 nVanished;          /* reads retried from a fresh manifest because an
                          ** object had vanished (GC) (atomic) */
};

/* ------------------------------------------------------------ version.c */

/* The current version with a reference for the caller (takes db->mu). */
DbVersion *sdbDbPinVersion(SdbDb *db);
/* Drop a reference to v (NULL-safe); the last one frees it and its tables. */
void sdbDbVersionUnref(DbVersion *v);
/* Replace the current version with v (reference taken over; takes db->mu,
** releases the old one after dropping it). */
void sdbDbInstallVersion(SdbDb *db, DbVersion *v);

/* Build a version from manifest m (ownership taken), sharing tables with pOld.
** With pMem, that memtable is reused as the active one (a reference is taken)
** instead of replaying the WAL, pOld's frozen memtables are kept (all but
** pDropImm, which has just become an L0), and lastSeq/lastWalId come from
** pOld. A WAL SST gone during the replay is corruption. */
int sdbDbVersionBuild(SdbDb *db, SdbManifest *m, u64 manifestId, DbVersion *pOld,
                      SdbMemtable *pMem, SdbMemtable *pDropImm, DbVersion **ppNew,
                      SdbErr *pErr);
/* sdbDbVersionBuild with the WAL replayed (no pMem), where a WAL SST gone
** during the replay is SDB_NOTFOUND (GC raced: the caller retries from a
** fresh manifest, sdbDbVanishRetry). On SDB_OK the caller owns *ppNew. */
int sdbDbVersionLoad(SdbDb *db, SdbManifest *m, u64 manifestId, DbVersion *pOld, DbVersion **ppNew,
                     SdbErr *pErr);
/* A copy of v whose active memtable is frozen (walId: last durable WAL id)
** and replaced by an empty one. REQUIRES: v->nImm < DB_MAX_IMM. */
int sdbDbVersionFreeze(SdbDb *db, DbVersion *v, u64 walId, DbVersion **ppNew, SdbErr *pErr);
/* Replay the WAL SSTs after v->lastWalId into v's memtable (a reader's
** refresh on an unchanged manifest). SDB_NOTFOUND when one vanished.
** REQUIRES: the only thread inserting into v's memtable (db->muRefresh). */
int sdbDbReplayWal(SdbDb *db, DbVersion *v, SdbErr *pErr);

/* All row versions (tombstones, merge operands, every seq) of table t or
** sorted run d within r (NULL = everything), in key order, newest version of
** a key first. *pp is NULL when t cannot hold keys in r. The table or run
** must stay alive (a pinned version) while the iterator lives. Caller owns
** *pp. */
int sdbDbTableIter(SdbDb *db, DbTable *t, const SdbRange *r, int bDesc, SdbIter **pp,
                   SdbErr *pErr);
int sdbDbRunIter(SdbDb *db, DbRun *d, const SdbRange *r, int bDesc, SdbIter **pp, SdbErr *pErr);
/* A seekable iterator over table t within r (never NULL: at EOF when t holds
** no key of r); it opens t's SST only once a range it is sought to overlaps
** t. Caller owns *pp. */
int sdbDbTableSeekIter(SdbDb *db, DbTable *t, const SdbRange *r, int bDesc, SdbIter **pp,
                       SdbErr *pErr);
/*
** The SST iterator inside table iterator pIter (which is freed), when the
** table iterator only forwards to it: its SST is open and the table has no
** visible range to clip seeks to (a seek outside the table's keys then finds
** no block, as the table iterator's overlap check would). Otherwise pIter
** itself. A scan of one source reads its rows with one call a row less.
*/
SdbIter *sdbDbTableIterUnwrap(SdbIter *pIter);
/* The open SST of table t, opened on first use (for a point read r, with its
** filter); owned by t. */
int sdbDbTableSst(SdbDb *db, DbTable *t, const SdbRange *r, int bDesc, SdbSst **ppSst,
                  SdbErr *pErr);
/* r (NULL = everything) intersected with t's visible range, into *pOut
** (borrowing both). */
void sdbDbClipRange(const SdbRange *r, const DbTable *t, SdbRange *pOut);
/* sdb_db_estimate on version v: rows (every stored row version) and data
** bytes of its tables and memtables, from the manifest's SsTableInfo copies
** and the memtables' counters; bitsPerKey: the filters' bits per row,
** minFilterKeys: the row count from which tables have one. No I/O, no lock. */
void sdbDbVersionEstimate(const DbVersion *v, u32 bitsPerKey, u32 minFilterKeys, u64 *pnRows,
                          u64 *pnBytes);
/* True if table t may hold keys in r (from its first/last keys). */
int sdbDbTableOverlaps(const DbTable *t, const SdbRange *r);
/* Index of the first table of run d whose last key may reach r's lower bound. */
int sdbDbRunFirst(const DbRun *d, const SdbRange *r);

/* The process-wide change counter of a database URL (with a reference; NULL
** on OOM), its release (NULL-safe), and db's current value (0 without one). */
struct DbGen *sdbDbGenAcquire(const char *zUrl);
void sdbDbGenRelease(struct DbGen *g);
u64 sdbDbGenNow(const SdbDb *db);
/* A writer stored a WAL SST or a manifest: readers of the same database in
** this process refresh before their next scan. */
void sdbDbNoteChange(SdbDb *db);

/* Retries of a read that found an object gone (SDB_NOTFOUND). Zero-initialised. */
typedef struct DbVanish {
  u64 id;                 /* manifest of the last failed attempt */
  int nSame;              /* failures on that manifest (no newer one since) */
  int nAll;               /* failures in all */
} DbVanish;
/* After an attempt on manifest id found an object gone: 1 to try again from
** a fresh manifest (counted in db->nVanished), 0 when the budget is spent. */
int sdbDbVanishRetry(SdbDb *db, DbVanish *p, u64 id);
/* rc, except that SDB_NOTFOUND (an object still missing) becomes SDB_CORRUPT. */
int sdbDbVanishedCorrupt(int rc, SdbErr *pErr);

/* ------------------------------------------------------------ read.c */

/* Reader open: the latest manifest (or the one cfg.zCheckpoint pins) plus
** the WAL into db->pCur. Never writes. */
int sdbReaderOpen(SdbDb *db, SdbErr *pErr);
/* sdb_db_refresh of a reader (a no-op for a checkpoint reader). */
int sdbReaderRefresh(SdbDb *db, SdbErr *pErr);
/* sdb_db_scan / sdb_db_scan_overlay: a resuming scan of pRange (NULL =
** everything) with the rows of memtable pIdx (may be NULL; a reference is
** taken; rows inserted later are not read) newest. A reader refreshes first when due. Caller owns *ppIter. */
int sdbReadScan(SdbDb *db, SdbMemtable *pIdx, const SdbRange *pRange, int bDesc, SdbIter **ppIter,
                SdbErr *pErr);
/* sdb_db_scan_seek: seek *ppIter (a scan of db, or NULL) when it scans in
** direction bDesc, else free it and start a new scan; a scan of db passed
** in keeps its overlay (the index it referenced, up to the seq it read; pIdx
** is then unused: read.c, SeqCapIter). */
int sdbReadScanSeek(SdbDb *db, SdbMemtable *pIdx, const SdbRange *pRange, int bDesc,
                    SdbIter **ppIter, SdbErr *pErr);
/* sdb_db_prefetch. */
int sdbReadPrefetch(SdbDb *db, const SdbRange *aRange, int nRange, int bDesc, SdbErr *pErr);

/* ------------------------------------------------------------ writer.c */

/* Open the writer of db (db->pWriter, db->pCur) and start its flusher. On
** failure db->pWriter may be set: sdbWriterClose frees it. */
int sdbWriterOpen(SdbDb *db, SdbErr *pErr);
/* Stop the flusher, flush, record wal_id_last_seen, free db->pWriter.
** REQUIRES: maintenance stopped (sdbMaintStop). */
void sdbWriterClose(SdbDb *db);
/* sdb_db_write, sdb_db_flush and sdb_db_refresh of a writer. */
int sdbWriterWrite(SdbDb *db, SdbBatch *pBatch, int bAwaitDurable, SdbErr *pErr);
int sdbWriterFlush(SdbDb *db, int bMemtable, SdbErr *pErr);
int sdbWriterPoll(SdbDb *db, SdbErr *pErr);
/* The writer's fields of *s, read without the writer's locks. */
void sdbWriterStats(SdbDb *db, SdbStats *s);
/* Install (or with NULL remove) the hook an L0 flush calls when the L0 count
** reached l0_max_ssts; it must return in bounded time. Takes muFlush, so a
** removal waits for a flush inside the hook. */
void sdbWriterSetL0Wait(SdbDb *db, void (*xWait)(SdbDb *));

/*
** Commit manifest <current id>+1 = xEdit(current) with the writer's CAS
** (re-applied on top of the latest after a collision; a newer writer_epoch
** fences) and install it as the current version, memtables kept. *pIdOut
** (may be NULL) gets the new id, also when a step after the store failed
** (e.g. OOM installing it: the manifest is committed all the same), and 0
** when none was stored. Takes the writer lock.
*/
int sdbWriterUpdateManifest(SdbDb *db, SdbManifestEdit xEdit, void *pCtx, u64 *pIdOut,
                            SdbErr *pErr);

/* ------------------------------------------------------------ checkpoint.c */

/* Add checkpoint aId (lifetimeS 0: never expires; zName may be NULL) pinning
** the manifest it is committed in. */
int sdbCheckpointAdd(SdbDb *db, const u8 aId[16], u64 lifetimeS, const char *zName,
                     SdbErr *pErr);
/* sdb_db_checkpoint_create (writers): flush, then add a new checkpoint. */
int sdbCheckpointCreate(SdbDb *db, uint64_t lifetimeMs, const char *zName, char zId[37],
                        SdbErr *pErr);
/* sdb_db_checkpoint_delete (writers). */
int sdbCheckpointDelete(SdbDb *db, const char *zId, SdbErr *pErr);
/* Remove the expired checkpoints of the current manifest (a manifest write
** only when there are any). */
int sdbCheckpointDropExpired(SdbDb *db, SdbErr *pErr);
/* sdb_db_checkpoints: those of the current version (caller frees *pa). */
int sdbCheckpointList(SdbDb *db, SdbCheckpointInfo **pa, int *pn, SdbErr *pErr);

/* ------------------------------------------------------------ maint.c */

/* The compactor and GC thread of a writer. Start: after the writer is open
** (no thread when both are disabled; installs the L0-wait hook). Stop:
** before it closes (NULL-safe when not started). */
int sdbMaintStart(SdbDb *db, SdbErr *pErr);
void sdbMaintStop(SdbDb *db);
/* The maintenance fields of *s (none when not started). */
void sdbMaintStats(SdbDb *db, SdbStats *s);
/* sdb_db_compact and sdb_db_gc. */
int sdbMaintCompact(SdbDb *db, int *pnDone, SdbErr *pErr);
int sdbMaintGc(SdbDb *db, uint64_t minAgeMs, uint64_t *pnDeleted, SdbErr *pErr);

#endif
