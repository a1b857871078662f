/*
** vtab_info.c: the eponymous-only table slatedb_handles, which lists the
** databases this process has open (handles.c) with their engine counters:
**
**   SELECT path, mode, refs, gets, bytes_in, cache_hits FROM slatedb_handles;
**
** One row per registry entry, snapshotted at xFilter. Columns other than
** path, the echoed settings (mode, merge_operator: see options.c) and refs
** are the SdbStats fields of core/slatedb.h, in that order (the disk cache's last); the writer columns (writer_epoch,
** durable_seq, next_wal_id, wal_writes, l0_flushes, fenced) are NULL for
** mode=reader handles. The table is read-only and DIRECTONLY.
**
** The eponymous-only table slatedb_checkpoints lists the checkpoints of
** those databases (see below).
*/
#include <string.h>

#include "extInt.h"

/*
** Columns: path; then one column per option the table of options marks
** SDB_OPTF_ECHO (mode, merge_operator), in table order, showing the handle's
** setting as SQL writes it; then refs; then the counters of azStatCol.
*/
#define INFO_NFIXED 1                 /* path */
static const char *const azStatCol[] = {
  "refs",
  "gets", "puts", "lists", "deletes", "heads", "bytes_in", "bytes_out", "retries",
  "cache_hits", "cache_misses", "cache_bytes", "filter_skips",
  "manifest_id", "last_seq", "last_l0_seq", "l0_ssts", "sorted_runs",
  "memtable_rows", "memtable_bytes",
  "writer_epoch", "durable_seq", "next_wal_id", "wal_writes", "l0_flushes", "fenced",
  "compactor_epoch", "compactions", "gc_deleted", "checkpoints",
  "disk_cache_hits", "disk_cache_misses", "disk_cache_bytes"
};
#define INFO_NSTAT ((int)(sizeof(azStatCol) / sizeof(azStatCol[0])))
#define INFO_FIRST_WRITER_STAT 20     /* writer_epoch: NULL for readers from here */
#define INFO_LAST_WRITER_STAT 28      /* gc_deleted: ... to here */

/* The echoed option of column iCol, or NULL if iCol is not one. */
static const SdbExtOption *infoEchoOption(int iCol) {
  int n = INFO_NFIXED;
  for (int i = 0; i < sdbExtNOption; i++) {
    if (!(sdbExtOptionTable[i].flags & SDB_OPTF_ECHO)) continue;
    if (n++ == iCol) return &sdbExtOptionTable[i];
  }
  return 0;
}

/* Number of echoed option columns. */
static int infoNEcho(void) {
  int n = 0;
  for (int i = 0; i < sdbExtNOption; i++) n += (sdbExtOptionTable[i].flags & SDB_OPTF_ECHO) != 0;
  return n;
}

/* A cursor over a snapshot of the registry. */
typedef struct InfoCursor {
  sqlite3_vtab_cursor base;   /* Base class - must be first */
  SdbExtHandleInfo *aInfo;    /* snapshot, owned */
  int nInfo;                  /* rows in aInfo */
  int iRow;                   /* current row */
} InfoCursor;

/* Declare a read-only, DIRECTONLY table with schema zSql (NULL: OOM) and
** allocate its vtab into *ppVtab. Takes ownership of zSql. */
static int infoDeclare(sqlite3 *db, char *zSql, sqlite3_vtab **ppVtab) {
  int rc = zSql ? sqlite3_declare_vtab(db, zSql) : SQLITE_NOMEM;
  sqlite3_free(zSql);
  if (rc != SQLITE_OK) return rc;
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  sqlite3_vtab *p = sqlite3_malloc64(sizeof(*p));
  if (!p) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  *ppVtab = p;
  return SQLITE_OK;
}

/* xConnect: declare the columns. */
static int infoConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                       sqlite3_vtab **ppVtab, char **pzErr) {
  sqlite3_str *pStr = sqlite3_str_new(db);
  sqlite3_str_appendall(pStr, "CREATE TABLE x(path TEXT");
  for (int i = 0; i < sdbExtNOption; i++) {
    const SdbExtOption *pOpt = &sdbExtOptionTable[i];
    if (pOpt->flags & SDB_OPTF_ECHO) sqlite3_str_appendf(pStr, ", %s TEXT", pOpt->zName);
  }
  for (int i = 0; i < INFO_NSTAT; i++) sqlite3_str_appendf(pStr, ", %s INTEGER", azStatCol[i]);
  sqlite3_str_appendall(pStr, ")");
  return infoDeclare(db, sqlite3_str_finish(pStr), ppVtab);
}

/* xDisconnect. */
static int infoDisconnect(sqlite3_vtab *pVtab) {
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

/* xBestIndex: always a full scan of a short list. */
static int infoBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo) {
  pInfo->estimatedCost = 10;
  pInfo->estimatedRows = 10;
  return SQLITE_OK;
}

/* xOpen. */
static int infoOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor) {
  InfoCursor *p = sqlite3_malloc64(sizeof(*p));
  if (!p) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  *ppCursor = &p->base;
  return SQLITE_OK;
}

/* xClose. */
static int infoClose(sqlite3_vtab_cursor *pCursor) {
  InfoCursor *p = (InfoCursor *)pCursor;
  sdbExtHandleInfoFree(p->aInfo, p->nInfo);
  sqlite3_free(p);
  return SQLITE_OK;
}

/* xFilter: take a fresh snapshot. */
static int infoFilter(sqlite3_vtab_cursor *pCursor, int idxNum, const char *idxStr, int argc,
                      sqlite3_value **argv) {
  InfoCursor *p = (InfoCursor *)pCursor;
  sdbExtHandleInfoFree(p->aInfo, p->nInfo);
  p->aInfo = 0;
  p->nInfo = p->iRow = 0;
  return sdbExtHandleList(&p->aInfo, &p->nInfo);
}

/* xNext. */
static int infoNext(sqlite3_vtab_cursor *pCursor) {
  ((InfoCursor *)pCursor)->iRow++;
  return SQLITE_OK;
}

/* xEof. */
static int infoEof(sqlite3_vtab_cursor *pCursor) {
  InfoCursor *p = (InfoCursor *)pCursor;
  return p->iRow >= p->nInfo;
}

/* Counter iStat (an index of azStatCol, >= 1) of s. */
static u64 infoStat(const SdbStats *s, int iStat) {
  const u64 a[] = {
    s->nGet, s->nPut, s->nList, s->nDelete, s->nHead, s->nBytesIn, s->nBytesOut, s->nRetry,
    s->nCacheHit, s->nCacheMiss, s->nCacheBytes, s->nFilterSkip,
    s->manifestId, s->lastSeq, s->lastL0Seq, s->nL0, s->nSortedRun,
    s->nMemtableRows, s->nMemtableBytes,
    s->writerEpoch, s->durableSeq, s->nextWalId, s->nWalWrites, s->nL0Flushes, (u64)s->bFenced,
    s->compactorEpoch, s->nCompactions, s->nGcDeleted, s->nCheckpoints,
    s->nDiskHit, s->nDiskMiss, s->nDiskBytes
  };
  return a[iStat - 1];
}

/* xColumn. */
static int infoColumn(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx, int iCol) {
  InfoCursor *p = (InfoCursor *)pCursor;
  const SdbExtHandleInfo *pRow = &p->aInfo[p->iRow];
  const SdbExtOption *pOpt = infoEchoOption(iCol);
  int iStat = iCol - INFO_NFIXED - infoNEcho();
  if (iCol == 0) {
    sqlite3_result_text(ctx, pRow->zPath, -1, SQLITE_TRANSIENT);
  } else if (pOpt) {
    char *z = sdbExtOptionText(pOpt, &pRow->args);
    if (!z) return SQLITE_NOMEM;
    sqlite3_result_text(ctx, z, -1, sqlite3_free);
  } else if (iStat == 0) {
    sqlite3_result_int(ctx, pRow->nRef);
  } else if (iStat < INFO_FIRST_WRITER_STAT || iStat > INFO_LAST_WRITER_STAT || pRow->args.bWriter) {
    sqlite3_result_int64(ctx, (i64)infoStat(&pRow->stats, iStat));
  }                                                   /* else NULL: a writer column of a reader */
  return SQLITE_OK;
}

/* xRowid: the row number. */
static int infoRowid(sqlite3_vtab_cursor *pCursor, sqlite3_int64 *pRowid) {
  *pRowid = ((InfoCursor *)pCursor)->iRow + 1;
  return SQLITE_OK;
}

static sqlite3_module infoModule = {
  .iVersion = 0,
  .xCreate = 0,                   /* eponymous-only */
  .xConnect = infoConnect,
  .xBestIndex = infoBestIndex,
  .xDisconnect = infoDisconnect,
  .xDestroy = infoDisconnect,
  .xOpen = infoOpen,
  .xClose = infoClose,
  .xFilter = infoFilter,
  .xNext = infoNext,
  .xEof = infoEof,
  .xColumn = infoColumn,
  .xRowid = infoRowid,
};

/* ------------------------------------------------------------ checkpoints */
/*
** slatedb_checkpoints: one row per checkpoint in the current manifest of
** every open handle: path, mode, id, manifest_id, create_time,
** expire_time (Unix seconds; NULL = never), name (NULL when unnamed).
** Rows are (handle i, checkpoint j) pairs walked by the same snapshot.
*/
typedef struct CkptCursor {
  InfoCursor info;            /* snapshot; info.iRow is the handle */
  int iCkpt;                  /* checkpoint within the handle */
} CkptCursor;

static int ckptConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                       sqlite3_vtab **ppVtab, char **pzErr) {
  return infoDeclare(db, sqlite3_mprintf("CREATE TABLE x(path TEXT, mode TEXT, id TEXT,"
                                         " manifest_id INTEGER, create_time INTEGER,"
                                         " expire_time INTEGER, name TEXT)"), ppVtab);
}

static int ckptOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor) {
  CkptCursor *p = sqlite3_malloc64(sizeof(*p));
  if (!p) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  *ppCursor = &p->info.base;
  return SQLITE_OK;
}

/* Skip handles without (more) checkpoints. */
static void ckptSettle(CkptCursor *p) {
  InfoCursor *c = &p->info;
  while (c->iRow < c->nInfo && p->iCkpt >= c->aInfo[c->iRow].nCkpt) {
    c->iRow++;
    p->iCkpt = 0;
  }
}

static int ckptFilter(sqlite3_vtab_cursor *pCursor, int idxNum, const char *idxStr, int argc,
                      sqlite3_value **argv) {
  CkptCursor *p = (CkptCursor *)pCursor;
  int rc = infoFilter(pCursor, idxNum, idxStr, argc, argv);
  p->iCkpt = 0;
  ckptSettle(p);
  return rc;
}

static int ckptNext(sqlite3_vtab_cursor *pCursor) {
  CkptCursor *p = (CkptCursor *)pCursor;
  p->iCkpt++;
  ckptSettle(p);
  return SQLITE_OK;
}

static int ckptColumn(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx, int iCol) {
  CkptCursor *p = (CkptCursor *)pCursor;
  const SdbExtHandleInfo *h = &p->info.aInfo[p->info.iRow];
  const SdbCheckpointInfo *k = &h->aCkpt[p->iCkpt];
  switch (iCol) {
    case 0: sqlite3_result_text(ctx, h->zPath, -1, SQLITE_TRANSIENT); break;
    case 1: sqlite3_result_text(ctx, h->args.bWriter ? "writer" : "reader", -1, SQLITE_STATIC); break;
    case 2: sqlite3_result_text(ctx, k->zId, -1, SQLITE_TRANSIENT); break;
    case 3: sqlite3_result_int64(ctx, (i64)k->manifestId); break;
    case 4: sqlite3_result_int64(ctx, k->createTimeS); break;
    case 5: if (k->expireTimeS) sqlite3_result_int64(ctx, k->expireTimeS); break;
    default: if (k->zName[0]) sqlite3_result_text(ctx, k->zName, -1, SQLITE_TRANSIENT); break;
  }
  return SQLITE_OK;
}

static int ckptRowid(sqlite3_vtab_cursor *pCursor, sqlite3_int64 *pRowid) {
  CkptCursor *p = (CkptCursor *)pCursor;
  *pRowid = ((i64)p->info.iRow << 32) + p->iCkpt;
  return SQLITE_OK;
}

static sqlite3_module ckptModule = {
  .iVersion = 0,
  .xCreate = 0,                   /* eponymous-only */
  .xConnect = ckptConnect,
  .xBestIndex = infoBestIndex,
  .xDisconnect = infoDisconnect,
  .xDestroy = infoDisconnect,
  .xOpen = ckptOpen,
  .xClose = infoClose,
  .xFilter = ckptFilter,
  .xNext = ckptNext,
  .xEof = infoEof,
  .xColumn = ckptColumn,
  .xRowid = ckptRowid,
};

/* See extInt.h. */
int sdbExtRegisterInfo(sqlite3 *db) {
  int rc = sqlite3_create_module_v2(db, "slatedb_handles", &infoModule, 0, 0);
  if (rc == SQLITE_OK) rc = sqlite3_create_module_v2(db, "slatedb_checkpoints", &ckptModule, 0, 0);
  return rc;
}
