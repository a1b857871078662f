/*
** objstore.c: what every object store shares: object lists, freeing a store,
** and batched ranged GETs for backends without their own xGetMany. The
** backends (fs.c, s3.c) sit above this file; open.c picks one by URL.
*/
#include <stdlib.h>

#include "store/objstore.h"

/* ------------------------------------------------------------ object lists */
void sdbObjListFree(SdbObjList *p) {
  for (int i = 0; i < p->n; i++) sdbFree(p->a[i].zKey);
  sdbFree(p->a);
  memset(p, 0, sizeof(*p));
}

int sdbObjListAdd(SdbObjList *p, const char *zKey, u64 size, i64 mtimeMs) {
  if (p->n == p->nAlloc) {
    int nNew = p->nAlloc ? p->nAlloc * 2 : 16;
    SdbObjInfo *aNew = sdbRealloc(p->a, sizeof(SdbObjInfo) * (size_t)nNew);
    if (!aNew) return SDB_NOMEM;
    p->a = aNew;
    p->nAlloc = nNew;
  }
  char *z = sdbStrdup(zKey);
  if (!z) return SDB_NOMEM;
  p->a[p->n].zKey = z;
  p->a[p->n].size = size;
  p->a[p->n].mtimeMs = mtimeMs;
  p->n++;
  return SDB_OK;
}

static int objInfoCmp(const void *a, const void *b) {
  return strcmp(((const SdbObjInfo *)a)->zKey, ((const SdbObjInfo *)b)->zKey);
}

void sdbObjListSort(SdbObjList *p) {
  if (p->n > 1) qsort(p->a, (size_t)p->n, sizeof(SdbObjInfo), objInfoCmp);
}

void sdbStoreFree(SdbStore *p) {
  if (p) p->pMethods->xFree(p);
}

void sdbStoreGetStats(SdbStore *p, SdbStoreStats *pOut) {
  memset(pOut, 0, sizeof(*pOut));
  for (; p; p = p->pInner) {
    const u64 *a = (const u64 *)&p->stats;
    u64 *aOut = (u64 *)pOut;
    for (size_t i = 0; i < sizeof(*pOut) / sizeof(u64); i++) {
      aOut[i] += __atomic_load_n(&a[i], __ATOMIC_RELAXED);
    }
  }
}

/* pAll's keys (sorted, all starting with zDir) without zDir, cut after
** their first '/', without repeats, up to nMax of them, into pOut. */
static int storeTopNames(const SdbObjList *pAll, const char *zDir, int nMax, SdbObjList *pOut) {
  size_t nDir = strlen(zDir);
  for (int i = 0; i < pAll->n && pOut->n < nMax; i++) {
    if (strncmp(pAll->a[i].zKey, zDir, nDir) != 0 || !pAll->a[i].zKey[nDir]) continue;
    const char *zKey = pAll->a[i].zKey + nDir;
    const char *zSlash = strchr(zKey, '/');
    size_t n = zSlash ? (size_t)(zSlash - zKey) + 1 : strlen(zKey);
    const char *zLast = pOut->n ? pOut->a[pOut->n - 1].zKey : NULL;
    if (zLast && strlen(zLast) == n && memcmp(zLast, zKey, n) == 0) continue;
    char *zName = sdbMprintf("%.*s", (int)n, zKey);
    int rc = zName ? sdbObjListAdd(pOut, zName, pAll->a[i].size, pAll->a[i].mtimeMs) : SDB_NOMEM;
    sdbFree(zName);
    if (rc) return rc;
  }
  return SDB_OK;
}

int sdbStoreListTop(SdbStore *p, const char *zDir, int nMax, SdbObjList *pOut, SdbErr *pErr) {
  while (!p->pMethods->xListTop && p->pInner) p = p->pInner;
  if (p->pMethods->xListTop) return p->pMethods->xListTop(p, zDir, nMax, pOut, pErr);
  SdbObjList all = {0};
  sdbObjListFree(pOut);
  int rc = p->pMethods->xList(p, zDir, &all, pErr);
  if (rc == SDB_OK && storeTopNames(&all, zDir, nMax, pOut)) rc = SDB_NOMEM_ERR(pErr);
  sdbObjListFree(&all);
  if (rc) sdbObjListFree(pOut);
  return rc;
}

int sdbGetReqCancelled(const SdbGetReq *q) {
  return q->pCancel && __atomic_load_n(q->pCancel, __ATOMIC_ACQUIRE);
}

int sdbStoreGetMany(SdbStore *p, SdbGetReq *a, int n, SdbErr *pErr) {
  if (p->pMethods->xGetMany) return p->pMethods->xGetMany(p, a, n, pErr);
  int rcFirst = SDB_OK;
  for (int i = 0; i < n; i++) {
    SdbErr err;
    sdb_err_clear(&err);
    if (sdbGetReqCancelled(&a[i])) {
      a[i].rc = sdbErrSet(&err, SDB_IOERR, "read of %s cancelled", a[i].zKey);
    } else {
      a[i].rc = p->pMethods->xGet(p, a[i].zKey, a[i].iOff, a[i].nLen, &a[i].out, &err);
    }
    if (a[i].rc && a[i].rc != SDB_NOTFOUND && rcFirst == SDB_OK) {
      rcFirst = a[i].rc;
      if (pErr) *pErr = err;
    }
  }
  return rcFirst;
}
