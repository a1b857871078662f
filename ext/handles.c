/*
** handles.c: the process-wide registry of open SlateDB databases, the writer
** lock of each, and the mapping of engine errors to SQLite errors
** (design/SQL.md §4.9, §4.10, §4.12).
**
** Every table of every SQLite connection in the process that names the same
** database (canonical path + mode) shares one SdbDb: one cache, one manifest
** view, and one writer, so that two connections never fence each other.
** Entries are reference counted: a table takes a reference when it first
** needs the database (xCreate, or the first cursor or write after xConnect)
** and drops it in xDisconnect/xDestroy; the last reference closes the
** database (flushing async writes). One pthread mutex guards the list, the
** counts and each entry's state; opening and closing a database (store I/O)
** run without it, while the entry is listed as opening or closing, so two
** connections never open the same database twice and a slow open or close
** makes only the users of that database wait. Tables that share a
** handle must agree on merge_operator and on the engine settings
** (SdbExtHandleOpts); the first table's cache_size wins. A writer whose
** directory does not exist gets it created (create=if_missing) before the
** path is made canonical. A table that starts using a reader handle already
** open refreshes it, so it sees what a freshly opened reader would (the
** engine also refreshes readers before a scan when a writer of this process
** changed the database). Nothing here deletes data.
**
** The writer lock serialises write transactions of different connections on
** one database: xBegin takes it, waiting up to busy_timeout, and xCommit or
** xRollback releases it. It is re-entrant for its owner (a sqlite3*), so two
** tables of one connection on one database do not wait for each other. The
** handle also holds the owner's write batch: every table of that connection
** on that database writes into it and reads through it, so the connection's
** transaction is one atomic batch per database whichever tables it uses
** (also when SQLite reconnects a table in mid-transaction).
*/
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "extInt.h"

struct SdbExtHandle {
  char *zPath;            /* canonical absolute path (malloc'd by realpath) */
  SdbExtArgs args;        /* the settings it was opened with (the first table's;
                          ** args.zRoot NULL): mode, merge operator, engine */
  int nRef;               /* references held by tables */
  SdbDb *pDb;             /* the engine handle, owned */
  pthread_mutex_t lockMu; /* guards the writer lock fields below */
  pthread_cond_t lockCond;    /* signalled when the lock is released */
  const void *pLockOwner; /* connection holding the writer lock, or NULL */
  int nLockDepth;         /* times the owner took it (tables in its transaction) */
  SdbBatch *pBatch;       /* the owner's uncommitted writes; NULL when unlocked */
  int bAwait;             /* some table of the transaction has durability=commit */
  int eState;             /* HANDLE_OPENING / _OPEN / _CLOSING (handleMutex) */
  SdbExtHandle *pNext;    /* next in the registry list */
};

/* An entry is in the list from before its database is opened until after it
** is closed, so that a second user of the same database waits for the open
** (or the close) instead of opening it twice; the open and the close run
** without handleMutex, because they read and write the store. */
#define HANDLE_OPENING 0     /* sdb_db_open in progress; pDb NULL */
#define HANDLE_OPEN    1     /* usable */
#define HANDLE_CLOSING 2     /* last reference gone; sdb_db_close in progress */

static pthread_mutex_t handleMutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t handleCond = PTHREAD_COND_INITIALIZER;  /* an entry left
                                        ** OPENING or CLOSING (handleMutex) */
static SdbExtHandle *pHandleList = 0;   /* guarded by handleMutex */

/* See extInt.h. */
int sdbExtRc(int sdbRc, int bOpen) {
  switch (sdbRc) {
    case SDB_OK:          return SQLITE_OK;
    case SDB_FENCED:      return SQLITE_READONLY;
    case SDB_UNKNOWN:     return SQLITE_IOERR;   /* the message says "outcome unknown" */
    case SDB_EXISTS:
    case SDB_CONFLICT:    return SQLITE_BUSY;
    case SDB_UNSUPPORTED: return SQLITE_ERROR;
    case SDB_NOTFOUND:    return bOpen ? SQLITE_CANTOPEN : SQLITE_CORRUPT;
    default:
      return (sdbRc > 0 && sdbRc < 100) ? sdbRc : SQLITE_ERROR;
  }
}

/* See extInt.h. */
char *sdbExtErrMsg(const SdbErr *pErr) {
  const char *z = pErr->zMsg[0] ? pErr->zMsg : "unknown error";
  if (strncmp(z, "slatedb: ", 9) == 0) z += 9;
  return sqlite3_mprintf("slatedb: %s", z);
}

/*
** The engine's message zMsg about the database at zPath, as an error may
** show it: with zPath written "(the database root)" wherever it occurs if
** zPath may not be shown (sdb_value_shown). sqlite3_malloc'd, NULL on OOM.
*/
static char *handleMsgWithout(const char *zMsg, const char *zPath) {
  sqlite3_str *pStr = sqlite3_str_new(0);
  size_t nPath = strlen(zPath);
  const char *z = zMsg;
  for (const char *zAt; nPath && sdb_value_shown(zPath) != zPath && (zAt = strstr(z, zPath));) {
    sqlite3_str_append(pStr, z, (int)(zAt - z));
    sqlite3_str_appendall(pStr, "(the database root)");
    z = zAt + nPath;
  }
  sqlite3_str_appendall(pStr, z);
  return sqlite3_str_finish(pStr);
}

/* mkdir -p zRoot (mode 0777 less the umask). Errors are left for realpath
** and the engine to report. */
static void handleMakeDirs(const char *zRoot) {
  char *z = sqlite3_mprintf("%s", zRoot);
  if (!z) return;
  for (char *p = z + 1;; p++) {
    char c = *p;
    if (c != '/' && c != 0) continue;
    *p = 0;
    if (mkdir(z, 0777) != 0 && errno != EEXIST) break;
    *p = c;
    if (c == 0) break;
  }
  sqlite3_free(z);
}

/* What a reader's "no database there" error adds: how to create one. */
#define HANDLE_HINT_CREATE " (this table is a reader, which creates nothing: mode=writer creates a database)"

/*
** Resolve zRoot to a canonical absolute directory path (malloc'd, caller
** frees with free()). bMake: create the directory if it does not exist (a
** writer with create=if_missing); zHint ends the message of a missing one.
** On failure returns NULL with *pzErr set.
*/
static char *handleCanonical(const char *zRoot, int bMake, const char *zHint, int *pRc,
                             char **pzErr) {
  char *zPath = realpath(zRoot, 0);
  struct stat st;
  if (!zPath && errno == ENOENT && bMake) {
    handleMakeDirs(zRoot);
    zPath = realpath(zRoot, 0);
  }
  if (!zPath) {
    int e = errno;
    *pRc = e == ENOMEM ? SQLITE_NOMEM : SQLITE_CANTOPEN;
    if (e == ENOENT) {
      *pzErr = sqlite3_mprintf("slatedb: cannot open database \"%s\": no such directory%s",
                               sdb_value_shown(zRoot), zHint);
    } else {
      *pzErr = sqlite3_mprintf("slatedb: cannot open database \"%s\": %s", sdb_value_shown(zRoot),
                               strerror(e));
    }
    return 0;
  }
  if (stat(zPath, &st) != 0 || !S_ISDIR(st.st_mode)) {
    *pRc = SQLITE_CANTOPEN;
    *pzErr = sqlite3_mprintf("slatedb: cannot open database \"%s\": not a directory",
                             sdb_value_shown(zRoot));
    free(zPath);
    return 0;
  }
  return zPath;
}

/*
** The registry key of an s3:// database: its URL without trailing slashes
** (malloc'd, caller frees; NULL with *pRc = SQLITE_NOMEM on OOM).
*/
static char *handleS3Key(const char *zUrl, int *pRc) {
  size_t n = strlen(zUrl);
  while (n > 5 && zUrl[n - 1] == '/') n--;
  char *z = strndup(zUrl, n);
  if (!z) *pRc = SQLITE_NOMEM;
  return z;
}

/* Find the entry for (zPath, bWriter, checkpoint). REQUIRES: handleMutex held. */
static SdbExtHandle *handleFind(const char *zPath, int bWriter, const char *zCheckpoint) {
  for (SdbExtHandle *p = pHandleList; p; p = p->pNext) {
    if (p->args.bWriter == bWriter && strcmp(p->zPath, zPath) == 0 &&
        sqlite3_stricmp(p->args.opts.zCheckpoint, zCheckpoint) == 0) {
      return p;
    }
  }
  return 0;
}

/* The engine configuration for the table arguments pArgs and path zPath. */
static void handleConfig(const SdbExtArgs *pArgs, const char *zPath, SdbConfig *pCfg) {
  const SdbExtHandleOpts *o = &pArgs->opts;
  memset(pCfg, 0, sizeof(*pCfg));
  pCfg->zUrl = zPath;
  pCfg->bReadOnly = !pArgs->bWriter;
  pCfg->eMergeOp = pArgs->eMergeOp;
  pCfg->nCacheBytes = pArgs->nCacheBytes;
  pCfg->pollIntervalMs = o->pollIntervalMs;
  pCfg->s3.zEndpoint = o->zEndpoint[0] ? o->zEndpoint : 0;
  pCfg->s3.zRegion = o->zRegion[0] ? o->zRegion : 0;
  pCfg->s3.eAllowHttp = o->eAllowHttp;
  pCfg->s3.eVirtualHosted = o->eVirtualHosted;
  pCfg->s3.timeoutMs = o->requestTimeoutMs;
  pCfg->s3.connectTimeoutMs = o->connectTimeoutMs;
  pCfg->s3.nParallel = (int)o->nParallelReads;
  pCfg->zCheckpoint = o->zCheckpoint[0] ? o->zCheckpoint : 0;
  pCfg->zDiskCache = o->zDiskCache[0] ? o->zDiskCache : 0;
  pCfg->nDiskCacheBytes = o->nDiskCacheBytes;
  if (!pArgs->bWriter) return;
  pCfg->bNoCompactor = !o->bCompactor;
  pCfg->compactorPollMs = o->compactorPollMs;
  pCfg->maxSstSize = o->maxSstSize;
  pCfg->l0MaxSsts = o->l0MaxSsts;
  pCfg->bNoGc = !o->bGc;
  pCfg->gcIntervalMs = o->gcIntervalMs;
  pCfg->gcMinAgeMs = o->gcMinAgeMs;
  pCfg->l0SstSizeBytes = o->l0SstSizeBytes;
  pCfg->closeFlushBytes = o->closeFlushBytes;
  pCfg->maxUnflushedBytes = o->maxUnflushedBytes;
  pCfg->flushIntervalMs = o->flushIntervalMs;
  pCfg->blockSize = o->blockSize;
  pCfg->filterBitsPerKey = o->filterBitsPerKey;
  pCfg->minFilterKeys = o->minFilterKeys;
  pCfg->eCodec = o->eCodec;
  pCfg->bCreateIfMissing = pArgs->eCreate == SDB_CREATE_IF_MISSING;
}

/* Initialise a condition variable that waits on CLOCK_MONOTONIC. */
static void handleCondInit(pthread_cond_t *pCond) {
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(pCond, &attr);
  pthread_condattr_destroy(&attr);
}

/* Unlink p from the registry and wake the users waiting for it.
** REQUIRES: handleMutex held. */
static void handleUnlink(SdbExtHandle *p) {
  for (SdbExtHandle **pp = &pHandleList; *pp; pp = &(*pp)->pNext) {
    if (*pp == p) { *pp = p->pNext; break; }
  }
  pthread_cond_broadcast(&handleCond);
}

/* Free an unlinked entry whose database is closed (or was never opened). */
static void handleFree(SdbExtHandle *p) {
  pthread_cond_destroy(&p->lockCond);
  pthread_mutex_destroy(&p->lockMu);
  sdb_batch_free(p->pBatch);            /* none: every table left its transaction */
  free(p->zPath);
  sqlite3_free(p);
}

/*
** Open a new entry for zPath (ownership taken). REQUIRES: handleMutex held;
** it is released while the database opens (store I/O) and held again on
** return. The entry is listed as HANDLE_OPENING meanwhile, so other users of
** the same database wait for it. Returns SQLITE_OK with *pp open and one
** reference owned by the caller, or an error (the entry is then gone).
*/
static int handleOpen(const SdbExtArgs *pArgs, char *zPath, SdbExtHandle **pp, char **pzErr) {
  SdbExtHandle *p = sqlite3_malloc64(sizeof(*p));
  SdbErr err;
  SdbConfig cfg;
  if (!p) { free(zPath); return SQLITE_NOMEM; }
  memset(p, 0, sizeof(*p));
  memset(&cfg, 0, sizeof(cfg));
  sdb_err_clear(&err);
  p->zPath = zPath;
  p->args = *pArgs;
  p->args.zRoot = 0;
  p->nRef = 1;
  p->eState = HANDLE_OPENING;
  pthread_mutex_init(&p->lockMu, 0);
  handleCondInit(&p->lockCond);
  p->pNext = pHandleList;
  pHandleList = p;
  handleConfig(pArgs, zPath, &cfg);
  pthread_mutex_unlock(&handleMutex);
  int rc = sdb_db_open(&cfg, &p->pDb, &err);
  pthread_mutex_lock(&handleMutex);
  if (rc != SDB_OK) {
    char *zMsg = handleMsgWithout(err.zMsg[0] ? err.zMsg : "unknown error", zPath);
    int bNoDb = rc == SDB_CANTOPEN && strncmp(err.zMsg, SDB_MSG_NO_DB, strlen(SDB_MSG_NO_DB)) == 0;
    *pzErr = zMsg ? sqlite3_mprintf("slatedb: cannot open database \"%s\": %s%s",
                                    sdb_value_shown(zPath), zMsg,
                                    bNoDb && !pArgs->bWriter ? HANDLE_HINT_CREATE : "") : 0;
    sqlite3_free(zMsg);
    handleUnlink(p);
    handleFree(p);
    return sdbExtRc(rc, 1);
  }
  p->eState = HANDLE_OPEN;
  pthread_cond_broadcast(&handleCond);
  *pp = p;
  return SQLITE_OK;
}

/*
** Check that a table with pArgs may share the open handle p: the same value
** of every option the table of options marks SDB_OPTF_SHARED that p's mode
** takes. Returns SQLITE_OK, or an error with *pzErr set naming the first
** difference. REQUIRES: handleMutex held.
*/
static int handleCompatible(const SdbExtHandle *p, const SdbExtArgs *pArgs, char **pzErr) {
  for (int i = 0; i < sdbExtNOption; i++) {
    const SdbExtOption *pOpt = &sdbExtOptionTable[i];
    if (!(pOpt->flags & SDB_OPTF_SHARED) || !sdbExtOptionApplies(pOpt, p->args.bWriter) ||
        !sdbExtOptionDiffers(pOpt, &p->args, pArgs)) {
      continue;
    }
    if (pOpt->eType == SDB_OPT_TEXT) {           /* long, and possibly not showable */
      *pzErr = sqlite3_mprintf("slatedb: database \"%s\" is already open in this process with"
                               " another %s= option; tables that share a database must use the"
                               " same settings", sdb_value_shown(p->zPath), pOpt->zName);
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    char *zA = sdbExtOptionText(pOpt, &p->args), *zB = sdbExtOptionText(pOpt, pArgs);
    *pzErr = (zA && zB) ? sqlite3_mprintf("slatedb: database \"%s\" is already open in this"
                                          " process with %s=%s (this table asks for %s); tables"
                                          " that share a database must use the same settings",
                                          sdb_value_shown(p->zPath), pOpt->zName, zA, zB) : 0;
    sqlite3_free(zA);
    sqlite3_free(zB);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

/*
** A table that starts using an open reader handle sees the database as a
** freshly opened reader would: refresh the shared handle now (its last
** refresh may be up to poll_interval old). On failure the reference is
** dropped and *pp cleared.
*/
static int handleRefresh(SdbExtHandle **pp, char **pzErr) {
  SdbErr err;
  sdb_err_clear(&err);
  int rc = sdb_db_refresh((*pp)->pDb, &err);
  if (rc == SDB_OK) return SQLITE_OK;
  *pzErr = sdbExtErrMsg(&err);
  sdbExtHandleRelease(*pp);
  *pp = 0;
  return sdbExtRc(rc, 0);
}

/* See extInt.h. */
int sdbExtHandleAcquire(const SdbExtArgs *pArgs, SdbExtHandle **pp, char **pzErr) {
  int rc = SQLITE_OK;
  int bMake = pArgs->bWriter && pArgs->eCreate == SDB_CREATE_IF_MISSING;
  char *zPath = pArgs->bS3 ? handleS3Key(pArgs->zRoot, &rc)
                           : handleCanonical(pArgs->zRoot, bMake,
                                             pArgs->bWriter ? "" : HANDLE_HINT_CREATE, &rc, pzErr);
  *pp = 0;
  if (!zPath) return rc;
  pthread_mutex_lock(&handleMutex);
  SdbExtHandle *p;
  while ((p = handleFind(zPath, pArgs->bWriter, pArgs->opts.zCheckpoint)) != 0 &&
         p->eState != HANDLE_OPEN) {
    pthread_cond_wait(&handleCond, &handleMutex);   /* being opened or closed */
  }
  if (p && (rc = handleCompatible(p, pArgs, pzErr)) != SQLITE_OK) {
    free(zPath);
  } else if (p) {
    p->nRef++;
    *pp = p;
    free(zPath);
  } else {
    rc = handleOpen(pArgs, zPath, pp, pzErr);
    p = 0;   /* just opened: already up to date */
  }
  pthread_mutex_unlock(&handleMutex);
  if (rc == SQLITE_OK && p && !p->args.bWriter) rc = handleRefresh(pp, pzErr);
  return rc;
}

/* See extInt.h. */
void sdbExtHandleRelease(SdbExtHandle *p) {
  if (!p) return;
  pthread_mutex_lock(&handleMutex);
  if (--p->nRef > 0) {
    pthread_mutex_unlock(&handleMutex);
    return;
  }
  p->eState = HANDLE_CLOSING;           /* new users wait until it is closed */
  pthread_mutex_unlock(&handleMutex);
  sdb_db_close(p->pDb);                 /* store I/O: outside handleMutex */
  pthread_mutex_lock(&handleMutex);
  handleUnlink(p);
  pthread_mutex_unlock(&handleMutex);
  handleFree(p);
}

/* The CLOCK_MONOTONIC time nMs milliseconds from now. */
static struct timespec handleDeadline(u64 nMs) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  u64 ns = (u64)ts.tv_nsec + (nMs % 1000) * 1000000u;
  ts.tv_sec += (time_t)(nMs / 1000 + ns / 1000000000u);
  ts.tv_nsec = (long)(ns % 1000000000u);
  return ts;
}

/* See extInt.h. */
int sdbExtHandleLock(SdbExtHandle *p, const void *pOwner, u64 nTimeoutMs, int bAwait,
                     SdbBatch **ppBatch) {
  struct timespec deadline = handleDeadline(nTimeoutMs);
  int rc = SQLITE_OK;
  pthread_mutex_lock(&p->lockMu);
  while (p->pLockOwner && p->pLockOwner != pOwner) {
    if (pthread_cond_timedwait(&p->lockCond, &p->lockMu, &deadline) == ETIMEDOUT) {
      if (p->pLockOwner && p->pLockOwner != pOwner) rc = SQLITE_BUSY;
      break;
    }
  }
  if (rc == SQLITE_OK && p->nLockDepth == 0) {
    p->pBatch = sdb_batch_new();
    p->bAwait = 0;
    if (!p->pBatch) rc = SQLITE_NOMEM;
  }
  if (rc == SQLITE_OK) {
    p->pLockOwner = pOwner;
    p->nLockDepth++;
    p->bAwait |= bAwait;
    *ppBatch = p->pBatch;
  }
  pthread_mutex_unlock(&p->lockMu);
  return rc;
}

/* See extInt.h. */
void sdbExtHandleUnlock(SdbExtHandle *p, const void *pOwner) {
  SdbBatch *pFree = 0;
  pthread_mutex_lock(&p->lockMu);
  if (p->pLockOwner == pOwner && --p->nLockDepth == 0) {
    p->pLockOwner = 0;
    pFree = p->pBatch;
    p->pBatch = 0;
    pthread_cond_broadcast(&p->lockCond);
  }
  pthread_mutex_unlock(&p->lockMu);
  sdb_batch_free(pFree);
}

/* See extInt.h. */
SdbBatch *sdbExtHandleBatch(SdbExtHandle *p, const void *pOwner) {
  SdbBatch *pBatch = 0;
  if (!p) return 0;
  pthread_mutex_lock(&p->lockMu);
  if (p->pLockOwner == pOwner) pBatch = p->pBatch;
  pthread_mutex_unlock(&p->lockMu);
  return pBatch;
}

/* See extInt.h. */
int sdbExtHandleAwait(SdbExtHandle *p) {
  pthread_mutex_lock(&p->lockMu);
  int bAwait = p->bAwait;
  pthread_mutex_unlock(&p->lockMu);
  return bAwait;
}

/* See extInt.h. */
SdbDb *sdbExtHandleDb(SdbExtHandle *p) {
  return p->pDb;
}

/* See extInt.h. */
int sdbExtHandleList(SdbExtHandleInfo **paInfo, int *pnInfo) {
  int n = 0, rc = SQLITE_OK;
  pthread_mutex_lock(&handleMutex);
  for (SdbExtHandle *p = pHandleList; p; p = p->pNext) n += p->eState == HANDLE_OPEN;
  SdbExtHandleInfo *a = sqlite3_malloc64(sizeof(*a) * (u64)(n ? n : 1));
  if (a) {
    memset(a, 0, sizeof(*a) * (size_t)(n ? n : 1));
    int i = 0;
    for (SdbExtHandle *p = pHandleList; p; p = p->pNext) {
      if (p->eState != HANDLE_OPEN) continue;   /* being opened or closed */
      a[i].zPath = sqlite3_mprintf("%s", p->zPath);
      if (!a[i].zPath) rc = SQLITE_NOMEM;
      a[i].args = p->args;
      a[i].nRef = p->nRef;
      sdb_db_stats(p->pDb, &a[i].stats);
      SdbErr err;
      if (sdb_db_checkpoints(p->pDb, &a[i].aCkpt, &a[i].nCkpt, &err) != SDB_OK) rc = SQLITE_NOMEM;
      i++;
    }
  } else {
    rc = SQLITE_NOMEM;
  }
  pthread_mutex_unlock(&handleMutex);
  if (rc != SQLITE_OK) { sdbExtHandleInfoFree(a, n); a = 0; n = 0; }
  *paInfo = a;
  *pnInfo = n;
  return rc;
}

/* See extInt.h. */
void sdbExtHandleInfoFree(SdbExtHandleInfo *aInfo, int nInfo) {
  if (!aInfo) return;
  for (int i = 0; i < nInfo; i++) {
    sqlite3_free(aInfo[i].zPath);
    sdb_free(aInfo[i].aCkpt);
  }
  sqlite3_free(aInfo);
}
