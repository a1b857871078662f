/*
** batch.c: write batches (slatedb.h, batch.h).
**
** Ownership: the batch owns its operation log (keys and values copied into one
** growable buffer) and holds one reference on its index memtable (none while
** it is empty). Truncation replaces the index with a rebuilt one; scans that
** still reference the old index keep it alive until they finish.
*/
#include "db/batch.h"
#include "util/ids.h"

typedef struct BatchOp {
  size_t iKey, nKey;      /* key bytes in data */
  size_t iVal, nVal;      /* value bytes in data */
  int eKind;              /* SDB_KIND_VALUE or SDB_KIND_TOMBSTONE */
  i64 expireTs;           /* 0 = no expiry; with ttlMs: the put's time + ttlMs */
  i64 ttlMs;              /* > 0: expiry relative to the commit (sdb_batch_put_ttl) */
} BatchOp;

struct SdbBatch {
  SdbBuf data;            /* keys and values of every operation */
  BatchOp *aOp;           /* the log, in order */
  int nOp, nOpAlloc;
  SdbMemtable *pIndex;    /* one reference owned */
};

/* The index is made by the first operation (see batchAdd), so that an empty
** batch owns none and clearing one never needs memory. */
SdbBatch *sdb_batch_new(void) { return sdbMallocZero(sizeof(SdbBatch)); }

void sdb_batch_free(SdbBatch *p) {
  if (!p) return;
  sdbBufFree(&p->data);
  sdbFree(p->aOp);
  sdbMemtableUnref(p->pIndex);
  sdbFree(p);
}

SdbMemtable *sdbBatchIndex(SdbBatch *p) { return p->pIndex; }

int sdb_batch_count(const SdbBatch *p) { return p->nOp; }

int sdb_batch_has_key(SdbBatch *p, const uint8_t *pKey, size_t nKey) {
  return p && p->pIndex && sdbMemtableFindNewest(p->pIndex, pKey, nKey, NULL);
}

/* Insert operation i into pIndex. SDB_OK or SDB_NOMEM. */
static int batchIndex(SdbBatch *p, int i, SdbMemtable *pIndex) {
  const BatchOp *o = &p->aOp[i];
  SdbEntry e = {p->data.a + o->iKey, o->nKey, p->data.a + o->iVal, o->nVal,
                SDB_BATCH_SEQ_BASE + (u64)i, o->eKind, 0, o->expireTs != 0, 0, o->expireTs};
  if (o->ttlMs > 0) {
    e.bHasExpireTs = SDB_EXPIRE_AT_COMMIT;
    e.createTs = o->expireTs - o->ttlMs;   /* bHasCreateTs stays 0: not a real create_ts */
  }
  return sdbMemtableInsert(pIndex, &e);
}

static int batchAdd(SdbBatch *p, const u8 *pKey, size_t nKey, const u8 *pVal, size_t nVal,
                    int eKind, i64 expireTs, i64 ttlMs, SdbErr *pErr) {
  if (nKey == 0) return sdbErrSet(pErr, SDB_CONSTRAINT, "key must not be empty");
  if (nKey > 65535) return sdbErrSet(pErr, SDB_RANGE, "key of %zu bytes exceeds 65535", nKey);
  if (nVal > 0xffffffffu) return sdbErrSet(pErr, SDB_RANGE, "value of %zu bytes is too large", nVal);
  if (!p->pIndex && !(p->pIndex = sdbMemtableNew())) return SDB_NOMEM_ERR(pErr);
  if (p->nOp == p->nOpAlloc) {
    int nNew = p->nOpAlloc ? p->nOpAlloc * 2 : 16;
    BatchOp *a = sdbRealloc(p->aOp, sizeof(BatchOp) * (size_t)nNew);
    if (!a) return SDB_NOMEM_ERR(pErr);
    p->aOp = a;
    p->nOpAlloc = nNew;
  }
  BatchOp *o = &p->aOp[p->nOp];
  o->iKey = p->data.n;
  o->nKey = nKey;
  o->iVal = p->data.n + nKey;
  o->nVal = nVal;
  o->eKind = eKind;
  o->expireTs = expireTs;
  o->ttlMs = ttlMs;
  size_t nOld = p->data.n;
  if (sdbBufAppend(&p->data, pKey, nKey) || sdbBufAppend(&p->data, pVal, nVal)) {
    p->data.n = nOld;
    return SDB_NOMEM_ERR(pErr);
  }
  p->nOp++;
  if (batchIndex(p, p->nOp - 1, p->pIndex)) {
    p->nOp--;
    p->data.n = nOld;
    return SDB_NOMEM_ERR(pErr);
  }
  return SDB_OK;
}

int sdb_batch_put(SdbBatch *p, const uint8_t *pKey, size_t nKey, const uint8_t *pVal,
                  size_t nVal, int64_t expireTs, SdbErr *pErr) {
  return batchAdd(p, pKey, nKey, pVal, nVal, SDB_KIND_VALUE, expireTs, 0, pErr);
}

int sdb_batch_put_ttl(SdbBatch *p, const uint8_t *pKey, size_t nKey, const uint8_t *pVal,
                      size_t nVal, int64_t ttlMs, SdbErr *pErr) {
  if (ttlMs <= 0) return sdbErrSet(pErr, SDB_RANGE, "ttl must be positive (got %lld)", (long long)ttlMs);
  i64 now = sdbNowMs();
  i64 exp = ttlMs > INT64_MAX - now ? INT64_MAX : now + ttlMs;
  return batchAdd(p, pKey, nKey, pVal, nVal, SDB_KIND_VALUE, exp, exp - now, pErr);
}

int sdb_batch_delete(SdbBatch *p, const uint8_t *pKey, size_t nKey, SdbErr *pErr) {
  return batchAdd(p, pKey, nKey, NULL, 0, SDB_KIND_TOMBSTONE, 0, 0, pErr);
}

/* The new index (none when nKeep is 0) is built before anything changes: on
** failure the batch is as it was. */
int sdb_batch_truncate(SdbBatch *p, int nKeep, SdbErr *pErr) {
  if (nKeep < 0) nKeep = 0;
  if (nKeep >= p->nOp) return SDB_OK;
  SdbMemtable *pNew = nKeep ? sdbMemtableNew() : NULL;
  if (nKeep && !pNew) return SDB_NOMEM_ERR(pErr);
  for (int i = 0; i < nKeep; i++) {
    if (batchIndex(p, i, pNew)) {
      sdbMemtableUnref(pNew);
      return SDB_NOMEM_ERR(pErr);
    }
  }
  sdbMemtableUnref(p->pIndex);
  p->pIndex = pNew;
  p->nOp = nKeep;
  p->data.n = nKeep ? p->aOp[nKeep - 1].iVal + p->aOp[nKeep - 1].nVal : 0;
  return SDB_OK;
}

/* Never fails: truncating to 0 allocates nothing. */
void sdb_batch_clear(SdbBatch *p) {
  if (p->nOp) sdb_batch_truncate(p, 0, NULL);
}
