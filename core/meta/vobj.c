/*
** vobj.c: the versioned-object protocol of vobj.h (SlateDB 0.12.1's
** slatedb-txn-obj), generic over the kind of object.
*/
#include <stdio.h>

#include "meta/vobj.h"
#include "util/ids.h"

#define VOBJ_LOAD_RETRIES 8

/* ================================================================ names */

void sdbVobjKey(const SdbVobjKind *k, u64 id, char *z, size_t nz) {
  snprintf(z, nz, "%s%020llu%s", k->zDir, (unsigned long long)id, k->zExt);
}

void sdbFormatId20(u64 id, char z[21]) {
  snprintf(z, 21, "%020llu", (unsigned long long)id);
}

int sdbParseId20(const char *zName, const char *zExt, u64 *pId) {
  const char *z = strrchr(zName, '/');
  z = z ? z + 1 : zName;
  u64 v = 0;
  for (int i = 0; i < 20; i++) {
    if (z[i] < '0' || z[i] > '9') return SDB_ERROR;
    u64 dig = (u64)(z[i] - '0');
    if (v > (UINT64_MAX - dig) / 10) return SDB_ERROR;
    v = v * 10 + dig;
  }
  if (strcmp(z + 20, zExt) != 0) return SDB_ERROR;
  *pId = v;
  return SDB_OK;
}

/* ================================================================ loading */

int sdbVobjLatestId(SdbStore *pStore, const SdbVobjKind *k, u64 *pId, SdbErr *pErr) {
  SdbObjList l = {0};
  size_t nDir = strlen(k->zDir);
  int bFound = 0;
  int rc = pStore->pMethods->xList(pStore, k->zDir, &l, pErr);
  if (rc) {
    sdbErrWrap(pErr, "listing %s: ", k->zDir);
    return rc;
  }
  for (int i = 0; i < l.n; i++) {
    const char *zKey = l.a[i].zKey;
    u64 id;
    if (strncmp(zKey, k->zDir, nDir) != 0 || strchr(zKey + nDir, '/')) continue;
    if (sdbParseId20(zKey + nDir, k->zExt, &id) != SDB_OK) continue;
    if (!bFound || id > *pId) *pId = id;
    bFound = 1;
  }
  sdbObjListFree(&l);
  if (bFound) return SDB_OK;
  return sdbErrSet(pErr, SDB_NOTFOUND, "no %s found under %s/%s%s", k->zWhat,
                   pStore->zDescr ? pStore->zDescr : "", k->zDir, k->zNoneHint);
}

/* Decode a[0..n) as kind k within its budget; errors prefixed with zKey. */
static int vobjDecode(const SdbVobjKind *k, const char *zKey, const u8 *a, size_t n, void **pp,
                      SdbErr *pErr) {
  u64 nBudget = (u64)n * k->nBudgetPerByte + k->nBudgetSlack;
  int rc = k->xDecode(a, n, nBudget, pp, pErr);
  if (rc) sdbErrWrap(pErr, "%s: ", zKey);
  return rc;
}

int sdbVobjLoad(SdbStore *pStore, const SdbVobjKind *k, u64 id, void **pp, SdbErr *pErr) {
  char zKey[128];
  SdbBuf b = {0};
  sdbVobjKey(k, id, zKey, sizeof(zKey));
  *pp = NULL;
  int rc = pStore->pMethods->xGet(pStore, zKey, 0, SDB_TO_END, &b, pErr);
  if (rc == SDB_NOTFOUND) {
    rc = sdbErrSet(pErr, SDB_NOTFOUND, "%s: not found", zKey);
  } else if (rc) {
    sdbErrWrap(pErr, "%s: ", zKey);
  } else {
    rc = vobjDecode(k, zKey, b.a, b.n, pp, pErr);
  }
  sdbBufFree(&b);
  return rc;
}

int sdbVobjLoadLatest(SdbStore *pStore, const SdbVobjKind *k, void **pp, u64 *pId,
                      SdbErr *pErr) {
  *pp = NULL;
  for (int iTry = 0; iTry < VOBJ_LOAD_RETRIES; iTry++) {
    u64 id = 0;
    int rc = sdbVobjLatestId(pStore, k, &id, pErr);
    if (rc) return rc;
    rc = sdbVobjLoad(pStore, k, id, pp, pErr);
    if (rc != SDB_NOTFOUND) {
      if (rc == SDB_OK && pId) *pId = id;
      return rc;
    }
  }
  if (pErr) pErr->rc = SDB_BUSY;
  sdbErrWrap(pErr, "latest %s kept vanishing (%d attempts): ", k->zWhat, VOBJ_LOAD_RETRIES);
  return SDB_BUSY;
}

/* ================================================================ create-only PUTs */

int sdbPutIdNew(char z[27], SdbErr *pErr) {
  SdbUlid id;
  if (sdbUlidNew(&id)) return sdbErrSet(pErr, SDB_IOERR, "no random bytes for a put-id");
  sdbUlidFormat(id, z);
  return SDB_OK;
}

int sdbPutOnce(SdbStore *pStore, const char *zKey, const u8 *a, size_t n, const char *zPutId,
               int bSameIsOurs, SdbErr *pErr) {
  const SdbStoreMethods *m = pStore->pMethods;
  if (m->xPutOnce) return m->xPutOnce(pStore, zKey, a, n, zPutId, pErr);
  int rc = m->xPut(pStore, zKey, a, n, 1, pErr);
  if (rc != SDB_EXISTS || !bSameIsOurs) return rc;
  SdbBuf got = {0};
  SdbErr err;
  sdb_err_clear(&err);
  int rc2 = m->xGet(pStore, zKey, 0, SDB_TO_END, &got, &err);
  if (rc2 == SDB_OK && got.n == n && (n == 0 || memcmp(got.a, a, n) == 0)) {
    rc = SDB_OK;
  } else if (rc2 != SDB_OK && rc2 != SDB_NOTFOUND) {
    rc = sdbErrSet(pErr, SDB_UNKNOWN, "outcome unknown: %s exists and reading it back failed: %s",
                   zKey, err.zMsg);
  }
  sdbBufFree(&got);
  return rc;
}

int sdbPutSettled(SdbStore *pStore, const char *zKey, const u8 *a, size_t n, int bSameIsOurs,
                  SdbErr *pErr) {
  char zPutId[27];
  int rc = sdbPutIdNew(zPutId, pErr);
  if (rc == SDB_OK) rc = sdbPutOnce(pStore, zKey, a, n, zPutId, bSameIsOurs, pErr);
  if (rc == SDB_UNKNOWN) rc = sdbPutOnce(pStore, zKey, a, n, zPutId, bSameIsOurs, pErr);
  return rc;
}

/* ================================================================ commits */

/* Whether stored epoch e fences the commit c. */
static int vobjFenced(const SdbVobjCommit *c, u64 e) {
  switch (c->eFence) {
    case SDB_VOBJ_FENCE_NEWER: return c->epoch && e > c->epoch;
    case SDB_VOBJ_FENCE_CLAIM: return e >= c->epoch;
    case SDB_VOBJ_FENCE_EXACT: return e != c->epoch;
    default: return 0;
  }
}

/* The latest version into *pp (owned) and its id, or the kind's empty object
** at id 0 when there is none and the kind has one. */
static int vobjLatestOrNew(SdbVobjCommit *c, void **pp, u64 *pId, SdbErr *pErr) {
  const SdbVobjKind *k = c->pKind;
  int rc = sdbVobjLoadLatest(c->pStore, k, pp, pId, pErr);
  if (rc != SDB_NOTFOUND || !k->xNew) return rc;
  *pId = 0;
  return (*pp = k->xNew()) ? SDB_OK : SDB_NOMEM_ERR(pErr);
}

/* One attempt: fence check on pCur (owned, freed here), edit, encode, PUT
** <id+1>. SDB_EXISTS when another version took the id. */
static int vobjAttempt(SdbVobjCommit *c, void *pCur, u64 id, SdbErr *pErr) {
  const SdbVobjKind *k = c->pKind;
  u8 *a = NULL;
  size_t n = 0;
  char zKey[128];
  int rc = SDB_OK;
  if (vobjFenced(c, k->xEpoch(pCur))) {
    c->fencedBy = k->xEpoch(pCur);
    rc = sdbErrSet(pErr, SDB_FENCED, "%s fenced: stored epoch %llu, ours %llu", k->zWhat,
                   (unsigned long long)c->fencedBy, (unsigned long long)c->epoch);
  }
  if (rc == SDB_OK) rc = c->xEdit(pCur, id + 1, c->pCtx, pErr);
  if (rc == SDB_OK) rc = k->xEncode(pCur, &a, &n, pErr);
  k->xFree(pCur);
  if (rc) return rc;
  sdbVobjKey(k, id + 1, zKey, sizeof(zKey));
  c->nAttempts++;
  rc = sdbPutSettled(c->pStore, zKey, a, n, 1, pErr);
  if (rc == SDB_OK) {
    c->id = id + 1;
    if (c->bWantResult) rc = vobjDecode(k, zKey, a, n, &c->pResult, pErr);
  }
  sdbFree(a);
  return rc;
}

int sdbVobjCommit(SdbVobjCommit *c, const void *pBase, u64 baseId, SdbErr *pErr) {
  const SdbVobjKind *k = c->pKind;
  void *pCur = NULL;
  u64 id = baseId;
  c->pResult = NULL;
  c->nAttempts = 0;
  int rc;
  if (pBase && !k->xCopy) {
    return sdbErrSet(pErr, SDB_MISUSE, "%s: a commit needs the latest version (no copy method)",
                     k->zWhat);
  }
  rc = pBase ? k->xCopy(pBase, &pCur, pErr) : vobjLatestOrNew(c, &pCur, &id, pErr);
  while (rc == SDB_OK) {
    rc = vobjAttempt(c, pCur, id, pErr);
    if (rc != SDB_EXISTS) break;
    if (c->nAttempts >= k->nMaxAttempts) {
      rc = sdbErrSet(pErr, SDB_BUSY, "%s update kept colliding (%d attempts)", k->zWhat,
                     c->nAttempts);
      break;
    }
    rc = vobjLatestOrNew(c, &pCur, &id, pErr);
  }
  return rc;
}
