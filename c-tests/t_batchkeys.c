/*
** t_batchkeys: sdb_batch_has_key against a model (the operations' keys)
** through puts, deletes, repeated keys, a growing batch, truncations and
** clears, and allocation failures (a failed operation leaves the batch's keys
** as they were).
*/
#include "slatedb.h"
#include "test.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NKEYMAX 40

typedef struct Key { unsigned char a[NKEYMAX]; size_t n; } Key;

static Key *gaOp;       /* model: the key of every operation, in order */
static int gnOp;
static long gnFailAt;   /* fail the allocation with this number (0: none) */
static long gnAlloc;

static void *tMalloc(void *pCtx, size_t n) {
  (void)pCtx;
  return ++gnAlloc == gnFailAt ? NULL : malloc(n);
}
static void *tRealloc(void *pCtx, void *p, size_t n) {
  (void)pCtx;
  return ++gnAlloc == gnFailAt ? NULL : realloc(p, n);
}
static void tFree(void *pCtx, void *p) { (void)pCtx; free(p); }

/* Key number i: a shared 9-byte prefix for half of them (keys differing only
** past the first 8-byte word), lengths 1..NKEYMAX. */
static void keyOf(unsigned i, Key *k) {
  k->n = 1 + (i * 7u) % NKEYMAX;
  for (size_t j = 0; j < k->n; j++) k->a[j] = (unsigned char)(i % 2 && j < 9 ? 'p' : 'a' + (i >> (j % 16)) % 26);
  if (k->n > 9) k->a[9] = (unsigned char)i;
}

static int modelHas(const Key *k) {
  for (int i = 0; i < gnOp; i++) {
    if (gaOp[i].n == k->n && memcmp(gaOp[i].a, k->a, k->n) == 0) return 1;
  }
  return 0;
}

/* Number of keys 0..nKey-1 where the batch and the model disagree. */
static int nWrong(SdbBatch *b, unsigned nKey) {
  int nBad = 0;
  for (unsigned i = 0; i < nKey; i++) {
    Key k;
    keyOf(i, &k);
    if (sdb_batch_has_key(b, k.a, k.n) != modelHas(&k)) nBad++;
  }
  return nBad;
}

static const uint8_t gaVal[3000];

/* Operation j of the workload on key (j * 37) % nKey: a put of nVal bytes,
** or every fifth a delete. Adds it to the model on success. */
static int doOpVal(SdbBatch *b, unsigned j, unsigned nKey, size_t nVal) {
  Key k;
  SdbErr err;
  sdb_err_clear(&err);
  keyOf((j * 37u) % nKey, &k);
  int rc = j % 5 == 4 ? sdb_batch_delete(b, k.a, k.n, &err)
                      : sdb_batch_put(b, k.a, k.n, gaVal, nVal, 0, &err);
  if (rc == SDB_OK) gaOp[gnOp++] = k;
  return rc;
}

static int doOp(SdbBatch *b, unsigned j, unsigned nKey) { return doOpVal(b, j, nKey, 5); }

static void testModel(void) {
  unsigned nKey = 3000;
  SdbBatch *b = sdb_batch_new();
  int nBad = 0, nCount = 0;
  CHECK("batchkeys: an empty batch has no key", nWrong(b, 50) == 0);
  for (unsigned j = 0; j < 4000; j++) {
    if (doOp(b, j, nKey) != SDB_OK) nBad++;
    if (j % 997 == 0) nBad += nWrong(b, nKey);
  }
  nBad += nWrong(b, nKey);
  CHECKF("batchkeys: puts and deletes, repeated keys, growth", nBad == 0, "%d wrong", nBad);

  SdbErr err;
  sdb_err_clear(&err);
  int aKeep[] = {3999, 2500, 700, 65, 64, 1};
  nBad = 0;
  for (int i = 0; i < 6; i++) {
    if (sdb_batch_truncate(b, aKeep[i], &err) != SDB_OK) nBad++;
    gnOp = aKeep[i];
    nBad += nWrong(b, nKey);
    nCount += sdb_batch_count(b) != gnOp;
  }
  CHECKF("batchkeys: truncations keep the keys of the operations kept", nBad == 0 && nCount == 0,
         "%d wrong, %d counts", nBad, nCount);
  sdb_batch_clear(b);
  gnOp = 0;
  nBad = nWrong(b, nKey);
  for (unsigned j = 0; j < 300; j++) nBad += doOp(b, j + 11, nKey) != SDB_OK;
  nBad += nWrong(b, nKey);
  CHECKF("batchkeys: a cleared batch starts over", nBad == 0, "%d wrong", nBad);
  sdb_batch_free(b);
}

/* Fail each allocation of a workload of 200 operations on distinct keys in
** turn (3000-byte values: the index's arena grows too): the failed operation
** is not in the batch, the ones before are, and it goes on. */
static void testOom(void) {
  static const SdbAllocMethods m = {tMalloc, tRealloc, tFree, NULL};
  int nBad = 0, nFailed = 0;
  CHECK("batchkeys: allocator installed", sdb_config_alloc(&m) == SDB_OK);
  for (gnFailAt = 1; gnFailAt < 400; gnFailAt++) {
    gnAlloc = 0;
    gnOp = 0;
    SdbBatch *b = sdb_batch_new();
    if (!b) continue;
    for (unsigned j = 0; j < 200; j++) {
      if (doOpVal(b, j, 400, sizeof(gaVal)) != SDB_OK) nFailed++;
    }
    nBad += nWrong(b, 400) + (sdb_batch_count(b) != gnOp);
    SdbErr err;
    sdb_err_clear(&err);
    if (sdb_batch_truncate(b, 100, &err) == SDB_OK && gnOp > 100) gnOp = 100;
    nBad += nWrong(b, 400) + (sdb_batch_count(b) != gnOp);
    sdb_batch_free(b);
  }
  gnFailAt = 0;
  sdb_config_alloc(NULL);
  CHECKF("batchkeys: a failed allocation leaves the keys as they were", nBad == 0 && nFailed > 0,
         "%d wrong, %d operations failed", nBad, nFailed);
}

int main(void) {
  gaOp = malloc(sizeof(Key) * 5000);
  testModel();
  testOom();
  free(gaOp);
  return test_done();
}
