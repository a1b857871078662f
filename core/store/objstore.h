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

#include "util/sdbInt.h"

#define SDB_TO_END UINT64_MAX   /* xGet length: read to the end of the object */

/* Request counters. Updated by backends with atomic adds. */
typedef struct SdbStoreStats {
  u64 nGet, nPut, nList, nDelete, nHead;
  u64 nBytesIn, nBytesOut, nRetry;
  u64 nDiskHit, nDiskMiss, nDiskBytes;  /* disk cache (diskcache.c): parts found, parts
                                        ** fetched, bytes served from disk */
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

/* One ranged read of a batch (xGetMany). The caller fills zKey, iOff, nLen
** and owns out (zero-initialised or reused); the backend sets out and rc. */
typedef struct SdbGetReq {
  const char *zKey;       /* borrowed */
  u64 iOff, nLen;         /* as for xGet; nLen may be SDB_TO_END */
  SdbBuf out;             /* result bytes, owned by the caller */
  int rc;                 /* SDB_OK, SDB_NOTFOUND, or an error */
  const int *pCancel;     /* optional (NULL: none): once *pCancel is nonzero (read
                          ** atomically) the request may end early with SDB_IOERR,
                          ** not started, or its transfer dropped (S3) */
} SdbGetReq;

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
  /* Optional (may be NULL): perform a[0..n) at once, overlapping the requests
  ** where the backend can. Sets every a[i].rc; returns SDB_OK if all are
  ** SDB_OK or SDB_NOTFOUND, else the first other error (detail in pErr). */
  int (*xGetMany)(SdbStore *, SdbGetReq *a, int n, SdbErr *pErr);
  /* Optional (may be NULL): create-only PUT tagged with zPutId (the caller's
  ** 26-character ULID, reused unchanged to settle an earlier attempt). SDB_OK
  ** if zKey now holds an object stored by a PUT with zPutId (this call or an
  ** earlier one), SDB_EXISTS if another PUT created zKey, SDB_UNKNOWN if an
  ** attempt may have been applied but no answer settled it within the
  ** timeout, another error if nothing was stored. Without it, callers use
  ** xPut(bIfAbsent) and compare the bytes on SDB_EXISTS. */
  int (*xPutOnce)(SdbStore *, const char *zKey, const u8 *a, size_t n, const char *zPutId,
                  SdbErr *pErr);
  /* Optional (may be NULL): the first nMax names directly in folder zDir
  ** ("" for the root, else "name/"), sorted and relative to it: an object's
  ** name, or a folder's with its '/' ("wal/"); anything that is neither (a
  ** symlink, a device) as a plain name; the store's own temporary files of
  ** interrupted writes are not listed. One cheap request (S3: one LIST with
  ** a delimiter); an answer that cannot be trusted whole is an error, never
  ** an empty list. pOut is reset. */
  int (*xListTop)(SdbStore *, const char *zDir, int nMax, SdbObjList *pOut, SdbErr *pErr);
} SdbStoreMethods;

struct SdbStore {
  const SdbStoreMethods *pMethods;
  SdbStoreStats stats;    /* request counters */
  char *zDescr;           /* the root, for messages ("/data/db"); owned */
  SdbStore *pInner;       /* a wrapper's (diskcache.c) wrapped store, owned by the
                          ** wrapper; NULL for a backend */
};

/* The counters of p and of the stores it wraps, summed (atomic loads). */
void sdbStoreGetStats(SdbStore *p, SdbStoreStats *pOut);

/* Open the local-directory store rooted at zRoot. With bMustExist, a missing
** directory is SDB_CANTOPEN; otherwise a writable store creates it (mkdir -p).
** The store never touches anything outside zRoot. Caller owns *pp. */
int sdbStoreOpenDir(const char *zRoot, int bMustExist, int bReadOnly, SdbStore **pp,
                    SdbErr *pErr);

/* Open the S3 store for zUrl = "s3://bucket[/prefix]". pCfg may be NULL
** (environment and defaults). Does no network I/O. Caller owns *pp. */
int sdbStoreOpenS3(const char *zUrl, const SdbS3Config *pCfg, int bReadOnly, SdbStore **pp,
                   SdbErr *pErr);

/* Open a store from a URL or path (file:///abs, /abs, rel, s3://bucket/prefix).
** With bCreate a missing local root is created. pS3 applies to s3:// URLs and
** may be NULL. Caller owns *pp. */
int sdbStoreOpenUrl(const char *zUrl, int bReadOnly, int bCreate, const SdbS3Config *pS3,
                    SdbStore **pp, SdbErr *pErr);

/* The first nMax names directly in folder zDir ("" or "name/") of p, sorted
** (see xListTop): xListTop of p or of the store it wraps, else derived from
** xList of zDir. pOut is reset; the caller frees it. */
int sdbStoreListTop(SdbStore *p, const char *zDir, int nMax, SdbObjList *pOut, SdbErr *pErr);

/* xGetMany if the backend has it, else the requests one by one. */
int sdbStoreGetMany(SdbStore *p, SdbGetReq *a, int n, SdbErr *pErr);
/* True once q's owner cancelled it (q->pCancel set and nonzero). */
int sdbGetReqCancelled(const SdbGetReq *q);

void sdbStoreFree(SdbStore *p);

/* Local-directory stores: delete the temporary files interrupted PUTs left
** directly in folder zDir ("wal/"), those last modified more than minAgeMs
** before nowMs: ours (".tmp-<pid>-<n>-<time>") and SlateDB's (object_store's
** local store stages "<name>#<digits>"). Nothing else is touched. *pn counts
** the deletions. Other stores leave no such files: SDB_OK, *pn = 0. */
int sdbStoreSweepTemp(SdbStore *p, const char *zDir, u64 minAgeMs, i64 nowMs, int *pn,
                      SdbErr *pErr);

#endif /* SDB_OBJSTORE_H */
