/*
** fuzz_sst.c: libFuzzer target for the SST reader (sst.c and everything under
** it: footer, SsTableInfo FlatBuffer, index, filter, blocks, codecs).
**
** The input is the whole SST object, served by a tiny in-memory SdbStore
** defined here. It is opened the WAL way (HEAD + footer); if that succeeds
** the object is verified, iterated in both directions, probed with point and
** range lookups, and opened again the manifest way (info and version given,
** versions 1 and 2) through a small block cache. Each input runs twice: as
** stored, and with checksum checks off (sdbSstFuzzIgnoreCrc) so mutations
** reach the decoders behind the CRCs. Every call must end in SDB_OK or
** SDB_CORRUPT without a crash, leak or sanitizer report.
*/
#include <stdint.h>
#include <stdlib.h>

#include "table/sst.h"

/* sdbSstFuzzIgnoreCrc exists only in -DSDB_FUZZING builds of core. */
#ifndef SDB_FUZZING
#error "build with -DSDB_FUZZING (make fuzz, or the Makefile's fuzz-replay rule)"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_KEY "wal/00000000000000000001.sst"

typedef struct FuzzStore {
  SdbStore base;
  const u8 *a;            /* the input (borrowed) */
  size_t n;
} FuzzStore;

static int fsGet(SdbStore *p, const char *zKey, u64 iOff, u64 nLen, SdbBuf *pOut, SdbErr *pErr) {
  FuzzStore *s = (FuzzStore *)p;
  if (strcmp(zKey, FUZZ_KEY) != 0) return sdbErrSet(pErr, SDB_NOTFOUND, "not found");
  pOut->n = 0;
  if (iOff >= s->n) return SDB_OK;
  u64 n = s->n - iOff;
  if (nLen < n) n = nLen;
  return sdbBufAppend(pOut, s->a + iOff, (size_t)n) ? SDB_NOMEM : SDB_OK;
}

static int fsHead(SdbStore *p, const char *zKey, u64 *pn, SdbErr *pErr) {
  FuzzStore *s = (FuzzStore *)p;
  if (strcmp(zKey, FUZZ_KEY) != 0) return sdbErrSet(pErr, SDB_NOTFOUND, "not found");
  *pn = s->n;
  return SDB_OK;
}

static int fsPut(SdbStore *p, const char *zKey, const u8 *a, size_t n, int bIfAbsent, SdbErr *pErr) {
  (void)p; (void)zKey; (void)a; (void)n; (void)bIfAbsent;
  return sdbErrSet(pErr, SDB_READONLY, "read-only");
}

static int fsList(SdbStore *p, const char *zPrefix, SdbObjList *pOut, SdbErr *pErr) {
  (void)p; (void)zPrefix; (void)pErr;
  pOut->n = 0;
  return SDB_OK;
}

static int fsDelete(SdbStore *p, const char *zKey, SdbErr *pErr) {
  (void)p; (void)zKey;
  return sdbErrSet(pErr, SDB_READONLY, "read-only");
}

static void fsFree(SdbStore *p) { (void)p; }

static const SdbStoreMethods fsMethods = {fsGet, fsHead, fsPut, fsList, fsDelete, fsFree, NULL, NULL, NULL};

static void check(int rc) {
  if (rc != SDB_OK && rc != SDB_CORRUPT) abort();
}

/* Iterate everything (or a range) and touch every byte. */
static int drain(SdbSst *p, const SdbRange *r, int bDesc, u64 *pnRow) {
  SdbIter *it = NULL;
  SdbErr err = {0};
  int rc = sdbSstIterNew(p, r, bDesc, &it, &err);
  volatile size_t sum = 0;
  while (rc == SDB_OK && !it->bEof) {
    for (size_t i = 0; i < it->cur.nKey; i++) sum += it->cur.pKey[i];
    for (size_t i = 0; i < it->cur.nVal; i++) sum += it->cur.pVal[i];
    if (pnRow) (*pnRow)++;
    rc = sdb_iter_next(it, &err);
  }
  (void)sum;
  sdb_iter_free(it);
  return rc;
}

/* Everything one open SST supports. */
static void exercise(SdbSst *p) {
  SdbErr err = {0};
  u64 nAsc = 0, nDesc = 0;
  int rcA = drain(p, NULL, 0, &nAsc);
  int rcD = drain(p, NULL, 1, &nDesc);
  check(rcA);
  check(rcD);
  if (rcA == SDB_OK && rcD == SDB_OK && nAsc != nDesc) abort();
  check(sdbSstVerify(p, &err));
  const SdbSstInfo *pInfo = sdbSstGetInfo(p);
  if (pInfo->bHasFirst) {
    SdbRange pt = {pInfo->pFirst, pInfo->nFirst, 1, 0, pInfo->pFirst, pInfo->nFirst, 1, 0};
    check(drain(p, &pt, 0, NULL));
    int bMay;
    check(sdbSstMayContain(p, pInfo->pFirst, pInfo->nFirst, &bMay, &err));
  }
  if (pInfo->bHasFirst && pInfo->bHasLast) {
    SdbRange r = {pInfo->pFirst, pInfo->nFirst, 1, 1, pInfo->pLast, pInfo->nLast, 1, 0};
    check(drain(p, &r, 1, NULL));
  }
  for (u32 i = 0; i < sdbSstBlockCount(p) && i < 4; i++) {
    const u8 *k;
    size_t nk;
    sdbSstBlockFirstKey(p, i, &k, &nk);
    SdbRange r = {k, nk, 1, 0, NULL, 0, 0, 0};
    check(drain(p, &r, (int)(i & 1), NULL));
  }
}

static void runOnce(const uint8_t *data, size_t size) {
  FuzzStore s;
  memset(&s, 0, sizeof(s));
  s.base.pMethods = &fsMethods;
  s.a = data;
  s.n = size;
  SdbErr err = {0};
  SdbSst *p = NULL;
  int rc = sdbSstOpen(&s.base, FUZZ_KEY, NULL, 0, NULL, &p, &err);
  check(rc);
  if (rc != SDB_OK) return;
  exercise(p);
  SdbSstInfo info;
  if (sdbSstInfoCopy(&info, sdbSstGetInfo(p)) == SDB_OK) {
    SdbCache *c = sdbCacheNew(16 * 1024);
    for (u16 v = 1; v <= 2 && c; v++) {
      SdbSst *q = NULL;
      rc = sdbSstOpen(&s.base, FUZZ_KEY, &info, v, c, &q, &err);
      check(rc);
      if (rc == SDB_OK) {
        exercise(q);
        sdbSstUnref(q);
      }
    }
    sdbCacheFree(c);
    sdbSstInfoClear(&info);
  }
  sdbSstUnref(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* As stored, then with checksums ignored so mutations get past them. */
  sdbSstFuzzIgnoreCrc = 0;
  runOnce(data, size);
  sdbSstFuzzIgnoreCrc = 1;
  runOnce(data, size);
  sdbSstFuzzIgnoreCrc = 0;
  return 0;
}
