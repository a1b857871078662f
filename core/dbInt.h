/*
** dbInt.h: the internals of SdbDb shared by db.c (open, versions, the read
** path) and writer.c (the write path). See db.c for the model.
*/
#ifndef SDB_DBINT_H
#define SDB_DBINT_H

#include <pthread.h>

#include "cache.h"
#include "manifest.h"
#include "memtable.h"
#include "objstore.h"
#include "sst.h"

typedef struct SdbWriter SdbWriter;

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

struct SdbDb {
  SdbStore *pStore;       /* owned */
  SdbCache *pCache;       /* owned */
  char *zUrl;             /* owned copy */
  int bReadOnly;
  int eMergeOp;
  pthread_mutex_t mu;     /* guards pCur and refresh */
  pthread_mutex_t muOpen; /* guards lazy SST opening */
  DbVersion *pCur;        /* current version (one reference owned) */
  SdbConfig cfg;          /* settings (zUrl points at the copy above) */
  SdbWriter *pWriter;     /* writer state; NULL for readers (writer.c) */
  i64 lastRefreshMs;      /* reader: when the version was last refreshed (atomic) */
};


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
void sdbDbVersionUnref(DbVersion *v);
/* Replace the current version with v (reference taken over). */
void sdbDbInstallVersion(SdbDb *db, DbVersion *v);

/* writer.c */
int sdbWriterOpen(SdbDb *db, SdbErr *pErr);
void sdbWriterClose(SdbDb *db);
void sdbWriterStats(SdbDb *db, SdbStats *s);
int sdbWriterPoll(SdbDb *db, SdbErr *pErr);

#endif
