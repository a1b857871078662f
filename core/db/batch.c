/*
** batch.c: write batches (slatedb.h, batch.h).
**
** Ownership: the batch owns its operation log (keys and values copied into one
** growable buffer) and holds one reference on its index memtable (none while
** it is empty). Truncation replaces the index with a rebuilt one; scans that
** still reference the old index keep it alive until they finish. A hash set
** of the keys (operation numbers, open addressing) answers sdb_batch_has_key
** without a search of the index: an INSERT asks it for every row.
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
  u32 *aSet;              /* key set: slot = operation number + 1, 0 = free */
  u32 nSet;               /* slots, a power of 2 (0: none), at least 2x nOp */
};

/* The index is made by the first operation (see batchAdd), so that an empty
** batch owns none and clearing one never needs memory. */
SdbBatch *sdb_batch_new(void) { return sdbMallocZero(sizeof(SdbBatch)); }

void sdb_batch_free(SdbBatch *p) {
  if (!p) return;
  sdbBufFree(&p->data);
  sdbFree(p->aOp);
  sdbFree(p->aSet);
  sdbMemtableUnref(p->pIndex);
  sdbFree(p);
}

SdbMemtable *sdbBatchIndex(SdbBatch *p) { return p->pIndex; }

int sdb_batch_count(const SdbBatch *p) { return p->nOp; }

/* ------------------------------------------------------------ key set */

/* Hash of a key (FNV-1a over 8-byte words, then mixed). */
static u32 batchHash(const u8 *pKey, size_t nKey) {
  u64 h = 0xcbf29ce484222325ull ^ nKey;
  size_t i = 0;
  for (; i + 8 <= nKey; i += 8) {
    u64 w;
    memcpy(&w, pKey + i, 8);
    h = (h ^ w) * 0x100000001b3ull;
  }
  for (; i < nKey; i++) h = (h ^ pKey[i]) * 0x100000001b3ull;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  return (u32)(h ^ (h >> 32));
}

/* The slot of key k in the set: the one holding an operation on k, else
** the free slot where k belongs. REQUIRES: nSet > 0 and a free slot. */
static u32 *batchSlot(const SdbBatch *p, const u8 *pKey, size_t nKey) {
  u32 m = p->nSet - 1, i = batchHash(pKey, nKey) & m;
  for (;; i = (i + 1) & m) {
    u32 v = p->aSet[i];
    if (v == 0) return &p->aSet[i];
    const BatchOp *o = &p->aOp[v - 1];
    if (o->nKey == nKey && memcmp(p->data.a + o->iKey, pKey, nKey) == 0) return &p->aSet[i];
  }
}

/* Record operation i's key in the set (nothing if an earlier operation has
** that key). Allocates nothing. REQUIRES: room (batchSetReserve). */
static void batchSetAdd(SdbBatch *p, int i) {
  const BatchOp *o = &p->aOp[i];
  u32 *pSlot = batchSlot(p, p->data.a + o->iKey, o->nKey);
  if (*pSlot == 0) *pSlot = (u32)i + 1;
}

/* Make room in the set for nOp operations (at most half the slots used),
** rehashing the first nHave operations into a larger array. On SDB_NOMEM
** the set is unchanged. */
static int batchSetReserve(SdbBatch *p, int nOp, int nHave) {
  if ((u64)nOp * 2 <= p->nSet) return SDB_OK;
  u32 nNew = p->nSet ? p->nSet * 2 : 64;
  while ((u64)nOp * 2 > nNew) nNew *= 2;
  u32 *a = sdbMallocZero(sizeof(u32) * (size_t)nNew);
  if (!a) return SDB_NOMEM;
  sdbFree(p->aSet);
  p->aSet = a;
  p->nSet = nNew;
  for (int i = 0; i < nHave; i++) batchSetAdd(p, i);
  return SDB_OK;
}

int sdb_batch_has_key(SdbBatch *p, const uint8_t *pKey, size_t nKey) {
  return p && p->nOp > 0 && *batchSlot(p, pKey, nKey) != 0;
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
  if (batchSetReserve(p, p->nOp + 1, p->nOp)) return SDB_NOMEM_ERR(pErr);
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
  batchSetAdd(p, p->nOp - 1);
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

/* The set of the remaining operations, in place (freed when none remain):
** allocates nothing. */
static void batchSetRebuild(SdbBatch *p) {
  if (p->nOp == 0) {
    sdbFree(p->aSet);
    p->aSet = NULL;
    p->nSet = 0;
    return;
  }
  memset(p->aSet, 0, sizeof(u32) * (size_t)p->nSet);
  for (int i = 0; i < p->nOp; i++) batchSetAdd(p, i);
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
  batchSetRebuild(p);
  return SDB_OK;
}

/* Never fails: truncating to 0 allocates nothing. */
void sdb_batch_clear(SdbBatch *p) {
  if (p->nOp) sdb_batch_truncate(p, 0, NULL);
}
