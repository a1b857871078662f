/*
** objstore.h: the object-store interface the engine talks to.
**
** Keys are relative to the database root and use '/' separators, e.g.
** "manifest/00000000000000000001.manifest", "wal/00000000000000000007.sst",
** "compacted/01M80JA1JHXX80EX8MXYXF7YB3.sst". The engine does not know which
** backend it talks to (local directory now; S3 later).
**
** Backends must be safe to call from several threads at once.
*/
#ifndef SDB_OBJSTORE_H
#define SDB_OBJSTORE_H

#include "sdbInt.h"

#define SDB_TO_END UINT64_MAX   /* xGet length: read to the end of the object */

/* Request counters. Updated by backends with atomic adds. */
typedef struct SdbStoreStats {
  u64 nGet, nPut, nList, nDelete, nHead;
  u64 nBytesIn, nBytesOut, nRetry;
} SdbStoreStats;

typedef struct SdbObjInfo {
  char *zKey;             /* key relative to the root; sdbMalloc'd, owned by the list */
  u64 size;               /* bytes */
  i64 mtimeMs;            /* last modification, ms since epoch */
} SdbObjInfo;

typedef struct SdbObjList {
  SdbObjInfo *a;          /* sdbMalloc'd array, owned by the list */
  int n;
  int nAlloc;
} SdbObjList;
void sdbObjListFree(SdbObjList *p);
int sdbObjListAdd(SdbObjList *p, const char *zKey, u64 size, i64 mtimeMs);
void sdbObjListSort(SdbObjList *p);   /* ascending bytewise by key */

typedef struct SdbStore SdbStore;
typedef struct SdbStoreMethods {
  /* Read [iOff, iOff+nLen) of zKey into pOut (replacing its contents). nLen may
  ** be SDB_TO_END. A range past the end is clipped. SDB_NOTFOUND if missing. */
  int (*xGet)(SdbStore *, const char *zKey, u64 iOff, u64 nLen, SdbBuf *pOut,
              SdbErr *pErr);
  /* Size of zKey. SDB_NOTFOUND if missing. */
  int (*xHead)(SdbStore *, const char *zKey, u64 *pnSize, SdbErr *pErr);
  /* Store zKey. With bIfAbsent, fails with SDB_EXISTS if zKey exists (atomic
  ** create-only). Either the whole object becomes visible or none of it. */
  int (*xPut)(SdbStore *, const char *zKey, const u8 *a, size_t n, int bIfAbsent,
              SdbErr *pErr);
  /* All objects whose key starts with zPrefix, sorted by key. pOut is reset. */
  int (*xList)(SdbStore *, const char *zPrefix, SdbObjList *pOut, SdbErr *pErr);
  /* Delete zKey; deleting a missing object is SDB_OK. */
  int (*xDelete)(SdbStore *, const char *zKey, SdbErr *pErr);
  void (*xFree)(SdbStore *);
} SdbStoreMethods;

struct SdbStore {
  const SdbStoreMethods *pMethods;
  SdbStoreStats stats;    /* request counters */
  char *zDescr;           /* the root, for messages ("/data/db"); owned */
};

/* Open the local-directory store rooted at zRoot. With bMustExist, a missing
** directory is SDB_CANTOPEN; otherwise a writable store creates it (mkdir -p).
** The store never touches anything outside zRoot. Caller owns *pp. */
int sdbStoreOpenDir(const char *zRoot, int bMustExist, int bReadOnly, SdbStore **pp,
                    SdbErr *pErr);

/* Open a store from a URL or path (file:///abs, /abs, rel). With bCreate a
** missing root is created. Caller owns *pp. */
int sdbStoreOpenUrl(const char *zUrl, int bReadOnly, int bCreate, SdbStore **pp, SdbErr *pErr);

void sdbStoreFree(SdbStore *p);

#endif /* SDB_OBJSTORE_H */
