/*
** dbInt.h: the internals of SdbDb shared by db.c (open, versions, the read
** path) and writer.c (the write path). See db.c for the model.
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
** Locks of a handle, in the order they may be taken: muRefresh, then mu.
** mu is held only to read or replace pCur (never across store I/O: a refresh
** reads the store holding muRefresh alone, builds the new version aside and
** swaps it in under mu), so a scan start never waits for a refresh's reads.
** muOpen is taken with neither of them held (it is held across the reads
** that open an SST).
*/
struct SdbDb {
  SdbStore *pStore;       /* owned */
  SdbCache *pCache;       /* owned */
  char *zUrl;             /* owned copy */
  int bReadOnly;
  int eMergeOp;
  pthread_mutex_t muRefresh; /* reader: one refresh at a time (the only inserts
                          ** into a reader's memtable and replacements of pCur) */
  pthread_mutex_t mu;     /* guards pCur */
  pthread_mutex_t muOpen; /* guards lazy SST opening */
  DbVersion *pCur;        /* current version (one reference owned) */
  SdbConfig cfg;          /* settings (zUrl points at the copy above) */
  SdbWriter *pWriter;     /* writer state; NULL for readers (writer.c) */
  SdbMaint *pMaint;       /* compactor / GC thread of a writer, or NULL (maint.c) */
  i64 lastRefreshMs;      /* reader: when the version was last refreshed (atomic) */
  u64 walReplayEnd;       /* checkpoint readers: replay only WAL ids below this (0: no bound) */
  u64 walKnownLast;       /* writer opening: every WAL id up to this (its fence) exists,
                          ** so replay reads them without listing (0: list) */
  int bPinned;            /* checkpoint reader: never refreshes */
  struct DbGen *pGen;     /* process-wide change counter of zUrl (db.c), or NULL */
  u64 seenGen;            /* reader: pGen's value when it last refreshed (atomic) */
  u64 nVanished;          /* reads retried from a fresh manifest because an
                          ** object had vanished (GC) (atomic) */
};

/* A writer stored a WAL SST or a manifest: readers of the same database in
** this process refresh before their next scan (db.c). */
void sdbDbNoteChange(SdbDb *db);


/* Build a version from manifest m (ownership taken), sharing tables with pOld.
** With pMem, that memtable is reused as the active one (a reference is taken)
** instead of replaying the WAL, pOld's frozen memtables are kept (all but
** pDropImm, which has just become an L0), and lastSeq/lastWalId come from
** pOld. */
int sdbDbVersionBuild(SdbDb *db, SdbManifest *m, u64 manifestId, DbVersion *pOld,
                      SdbMemtable *pMem, SdbMemtable *pDropImm, DbVersion **ppNew,
                      SdbErr *pErr);
/* A copy of v whose active memtable is frozen (walId: last durable WAL id)
** and replaced by an empty one. REQUIRES: v->nImm < DB_MAX_IMM. */
int sdbDbVersionFreeze(SdbDb *db, DbVersion *v, u64 walId, DbVersion **ppNew, SdbErr *pErr);
/* The current version with a reference for the caller. */
DbVersion *sdbDbPinVersion(SdbDb *db);

/* All row versions (tombstones, merge operands, every seq) of table t or
** sorted run d within r (NULL = everything), in key order, newest version of
** a key first. *pp is NULL when t cannot hold keys in r. The table or run
** must stay alive (a pinned version) while the iterator lives. Caller owns
** *pp. */
int sdbDbTableIter(SdbDb *db, DbTable *t, const SdbRange *r, int bDesc, SdbIter **pp,
                   SdbErr *pErr);
int sdbDbRunIter(SdbDb *db, DbRun *d, const SdbRange *r, int bDesc, SdbIter **pp, SdbErr *pErr);
void sdbDbVersionUnref(DbVersion *v);
/* Replace the current version with v (reference taken over). */
void sdbDbInstallVersion(SdbDb *db, DbVersion *v);

/* writer.c */
int sdbWriterOpen(SdbDb *db, SdbErr *pErr);
void sdbWriterClose(SdbDb *db);
void sdbWriterStats(SdbDb *db, SdbStats *s);
int sdbWriterPoll(SdbDb *db, SdbErr *pErr);

/* Edit a fresh decode of a manifest (the latest, on a collision). */
typedef int (*SdbManifestEdit)(SdbManifest *m, void *pCtx, SdbErr *pErr);
/*
** Commit manifest <current id>+1 = xEdit(current) with the writer's CAS
** (re-applied on top of the latest after a collision; a newer writer_epoch
** fences) and install it as the current version, memtables kept. *pIdOut
** (may be NULL) gets the new id. Takes the writer lock.
*/
int sdbWriterUpdateManifest(SdbDb *db, SdbManifestEdit xEdit, void *pCtx, u64 *pIdOut,
                            SdbErr *pErr);

/* maint.c: the compactor and GC thread of a writer. Start: after the writer
** is open (no thread when both are disabled). Stop: before it closes. */
int sdbMaintStart(SdbDb *db, SdbErr *pErr);
void sdbMaintStop(SdbDb *db);
void sdbMaintStats(SdbDb *db, SdbStats *s);
/* L0 flushes call this when the L0 count reached l0_max_ssts: waits while a
** healthy compactor works on it (never when none runs or it keeps failing). */
void sdbMaintWaitForL0Room(SdbDb *db);
/* Parse "8-4-4-4-12" UUID text (maint.c). SDB_OK or SDB_ERROR. */
int sdbCheckpointIdParse(const char *zId, u8 aId[16], SdbErr *pErr);

#endif
