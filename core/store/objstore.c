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
