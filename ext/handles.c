/*
** handles.c: the process-wide registry of open SlateDB databases, and the
** mapping of engine errors to SQLite errors (design/SQL.md §4.10, §4.12).
**
** Every table of every SQLite connection in the process that names the same
** database (canonical path + mode) shares one SdbDb: one cache, one manifest
** view, and (later) no self-fencing between writers. Entries are reference
** counted: a table takes a reference when it first needs the database (xCreate,
** or the first cursor after xConnect) and drops it in xDisconnect/xDestroy;
** the last reference closes the database. One pthread mutex guards the list
** and the counts; the engine call that opens a database runs under it, so two
** connections never open the same database twice. Nothing here deletes data.
*/
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "extInt.h"

struct SdbExtHandle {
  char *zPath;            /* canonical absolute path (malloc'd by realpath) */
  int bWriter;            /* mode=writer */
  int eMergeOp;           /* merge operator the database was opened with */
  int nRef;               /* references held by tables */
  SdbDb *pDb;             /* the engine handle, owned */
  SdbExtHandle *pNext;    /* next in the registry list */
};

static pthread_mutex_t handleMutex = PTHREAD_MUTEX_INITIALIZER;
static SdbExtHandle *pHandleList = 0;   /* guarded by handleMutex */

/* Name of a merge operator, as in merge_operator=. */
static const char *handleMergeName(int eMergeOp) {
  return eMergeOp == SDB_MERGE_CONCAT ? "concat" : "none";
}

/* See extInt.h. */
int sdbExtRc(int sdbRc, int bOpen) {
  switch (sdbRc) {
    case SDB_OK:          return SQLITE_OK;
    case SDB_FENCED:      return SQLITE_READONLY;
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
** Resolve zRoot to a canonical absolute directory path (malloc'd, caller
** frees with free()). On failure returns NULL with *pzErr set.
*/
static char *handleCanonical(const char *zRoot, int *pRc, char **pzErr) {
  char *zPath = realpath(zRoot, 0);
  struct stat st;
  if (!zPath) {
    int e = errno;
    *pRc = e == ENOMEM ? SQLITE_NOMEM : SQLITE_CANTOPEN;
    if (e == ENOENT) {
      *pzErr = sqlite3_mprintf("slatedb: cannot open database \"%s\": no such directory", zRoot);
    } else {
      *pzErr = sqlite3_mprintf("slatedb: cannot open database \"%s\": %s", zRoot, strerror(e));
    }
    return 0;
  }
  if (stat(zPath, &st) != 0 || !S_ISDIR(st.st_mode)) {
    *pRc = SQLITE_CANTOPEN;
    *pzErr = sqlite3_mprintf("slatedb: cannot open database \"%s\": not a directory", zRoot);
    free(zPath);
    return 0;
  }
  return zPath;
}

/* Find the entry for (zPath, bWriter). REQUIRES: handleMutex held. */
static SdbExtHandle *handleFind(const char *zPath, int bWriter) {
  for (SdbExtHandle *p = pHandleList; p; p = p->pNext) {
    if (p->bWriter == bWriter && strcmp(p->zPath, zPath) == 0) return p;
  }
  return 0;
}

/*
** Open a new entry for zPath (ownership taken). REQUIRES: handleMutex held.
** Returns SQLITE_OK with *pp linked into the registry, or an error.
*/
static int handleOpen(const SdbExtArgs *pArgs, char *zPath, SdbExtHandle **pp, char **pzErr) {
  SdbExtHandle *p = sqlite3_malloc64(sizeof(*p));
  SdbErr err;
  SdbConfig cfg;
  if (!p) { free(zPath); return SQLITE_NOMEM; }
  memset(p, 0, sizeof(*p));
  memset(&cfg, 0, sizeof(cfg));
  sdb_err_clear(&err);
  cfg.zUrl = zPath;
  cfg.bReadOnly = !pArgs->bWriter;
  cfg.eMergeOp = pArgs->eMergeOp;
  cfg.nCacheBytes = pArgs->nCacheBytes;
  int rc = sdb_db_open(&cfg, &p->pDb, &err);
  if (rc != SDB_OK) {
    *pzErr = sqlite3_mprintf("slatedb: cannot open database \"%s\": %s", zPath,
                             err.zMsg[0] ? err.zMsg : "unknown error");
    free(zPath);
    sqlite3_free(p);
    return sdbExtRc(rc, 1);
  }
  p->zPath = zPath;
  p->bWriter = pArgs->bWriter;
  p->eMergeOp = pArgs->eMergeOp;
  p->nRef = 1;
  p->pNext = pHandleList;
  pHandleList = p;
  *pp = p;
  return SQLITE_OK;
}

/* See extInt.h. */
int sdbExtHandleAcquire(const SdbExtArgs *pArgs, SdbExtHandle **pp, char **pzErr) {
  int rc = SQLITE_OK;
  char *zPath = handleCanonical(pArgs->zRoot, &rc, pzErr);
  *pp = 0;
  if (!zPath) return rc;
  pthread_mutex_lock(&handleMutex);
  SdbExtHandle *p = handleFind(zPath, pArgs->bWriter);
  if (p && p->eMergeOp != pArgs->eMergeOp) {
    *pzErr = sqlite3_mprintf("slatedb: database \"%s\" is already open in this process with"
                             " merge_operator=%s", zPath, handleMergeName(p->eMergeOp));
    rc = SQLITE_ERROR;
    free(zPath);
  } else if (p) {
    p->nRef++;
    *pp = p;
    free(zPath);
  } else {
    rc = handleOpen(pArgs, zPath, pp, pzErr);
  }
  pthread_mutex_unlock(&handleMutex);
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
  for (SdbExtHandle **pp = &pHandleList; *pp; pp = &(*pp)->pNext) {
    if (*pp == p) { *pp = p->pNext; break; }
  }
  sdb_db_close(p->pDb);
  pthread_mutex_unlock(&handleMutex);
  free(p->zPath);
  sqlite3_free(p);
}

/* See extInt.h. */
SdbDb *sdbExtHandleDb(SdbExtHandle *p) {
  return p->pDb;
}

/* See extInt.h. */
int sdbExtHandleList(SdbExtHandleInfo **paInfo, int *pnInfo) {
  int n = 0, rc = SQLITE_OK;
  pthread_mutex_lock(&handleMutex);
  for (SdbExtHandle *p = pHandleList; p; p = p->pNext) n++;
  SdbExtHandleInfo *a = sqlite3_malloc64(sizeof(*a) * (u64)(n ? n : 1));
  if (a) {
    memset(a, 0, sizeof(*a) * (size_t)(n ? n : 1));
    int i = 0;
    for (SdbExtHandle *p = pHandleList; p; p = p->pNext, i++) {
      a[i].zPath = sqlite3_mprintf("%s", p->zPath);
      if (!a[i].zPath) rc = SQLITE_NOMEM;
      a[i].bWriter = p->bWriter;
      a[i].eMergeOp = p->eMergeOp;
      a[i].nRef = p->nRef;
      sdb_db_stats(p->pDb, &a[i].stats);
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
  for (int i = 0; i < nInfo; i++) sqlite3_free(aInfo[i].zPath);
  sqlite3_free(aInfo);
}
