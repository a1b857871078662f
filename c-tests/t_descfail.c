/*
** t_descfail.c: review reproducer for the descending lookahead change
** (5508185..651adff): a GET failing half-way through a descending scan on
** the engine's iterator stack (t_desc's layers: memtables, L0 SSTs, a sorted
** run of SSTs; no block cache, so every block is a GET; freed memory
** poisoned). For every k, the k-th GET of the scan fails: the rows returned
** before the error must be a prefix of the full scan, the failing xNext must
** return the error, and freeing the stack after it must be clean (ASan).
*/
#define main desc_main
#include "t_desc.c"
#undef main

typedef struct FailStore {
  SdbStore base;
  SdbStore *pIn;
} FailStore;

static long gnGet;       /* GETs so far */
static long gnFailAt;    /* the GET that fails (1-based); 0 = none */
static int geFail = SDB_IOERR;

static int failGet(SdbStore *p, const char *zKey, u64 iOff, u64 nLen, SdbBuf *pOut, SdbErr *pErr) {
  if (++gnGet == gnFailAt) return sdbErrSet(pErr, geFail, "injected failure of GET %ld of %s", gnGet, zKey);
  SdbStore *pIn = ((FailStore *)p)->pIn;
  return pIn->pMethods->xGet(pIn, zKey, iOff, nLen, pOut, pErr);
}
static int failHead(SdbStore *p, const char *zKey, u64 *pn, SdbErr *pErr) {
  SdbStore *pIn = ((FailStore *)p)->pIn;
  return pIn->pMethods->xHead(pIn, zKey, pn, pErr);
}
static int failPut(SdbStore *p, const char *zKey, const u8 *a, size_t n, int bIfAbsent, SdbErr *pErr) {
  SdbStore *pIn = ((FailStore *)p)->pIn;
  return pIn->pMethods->xPut(pIn, zKey, a, n, bIfAbsent, pErr);
}
static void failFree(SdbStore *p) { (void)p; }
static const SdbStoreMethods failMethods = {failGet, failHead, failPut, NULL, NULL, failFree,
                                            NULL, NULL, NULL};

/* Read pIter to EOF or the first error. */
static int readAll(Rows *p, SdbIter *pIter) {
  rowsRead(p, pIter, 1 << 30);
  return p->rc;
}

int main(void) {
  CHECK("descfail: poisoning allocator installed", testAllocInstall() == SDB_OK);
  srand(1616);
  makeVersions();
  char zDir[64], zCmd[128];
  snprintf(zDir, sizeof(zDir), "/tmp/sdb-descfail-%d", (int)getpid());
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  (void)!system(zCmd);
  (void)!mkdir(zDir, 0700);
  Layers L;
  memset(&L, 0, sizeof(L));
  SdbErr err = {0};
  FailStore fs;
  memset(&fs, 0, sizeof(fs));
  fs.base.pMethods = &failMethods;
  int rc = sdbStoreOpenDir(zDir, 1, 0, &fs.pIn, &err);
  L.pStore = &fs.base;
  if (rc == SDB_OK) rc = layersBuild(&L, &err);
  CHECKF("descfail: layout", rc == SDB_OK && L.nRun >= 10, "%s", err.zMsg);
  int nCase = 0, nBadPrefix = 0, nNoErr = 0, nScans = 0;
  for (int t = 0; rc == SDB_OK && t < 12; t++) {
    RangeBuf rb;
    const SdbRange *r = t < 2 ? NULL : randomRange(&rb);
    u64 maxSeq = t % 3 == 1 ? (u64)(nVer / 2) : UINT64_MAX;
    Rows full = {0}, part = {0};
    gnFailAt = 0;
    gnGet = 0;
    SdbIter *pD = openVisible(&L, r, 1, maxSeq);
    if (!pD) { nBadPrefix++; continue; }
    long nGet0 = gnGet;
    readAll(&full, pD);
    long nGets = gnGet;
    sdb_iter_free(pD);
    for (int e = 0; e < 2; e++) {
      geFail = e ? SDB_NOTFOUND : SDB_IOERR;
      for (long k = nGet0 + 1; k <= nGets; k++) {
        gnGet = 0;
        gnFailAt = k;
        pD = openVisible(&L, r, 1, maxSeq);
        nScans++;
        if (!pD) continue;
        int rcScan = readAll(&part, pD);
        nCase++;
        if (rcScan == SDB_OK) nNoErr++;
        int bPrefix = part.nRow <= full.nRow;
        for (int i = 0; bPrefix && i < part.nRow; i++) {
          size_t n1 = part.aOff[i + 1] - part.aOff[i], n2 = full.aOff[i + 1] - full.aOff[i];
          if (n1 != n2 || memcmp(part.z + part.aOff[i], full.z + full.aOff[i], n1)) {
            if (nBadPrefix == 0) printf("# case %d fail at GET %ld: row %d %.*s# expected %.*s", t, k, i,
                                        (int)n1, part.z + part.aOff[i], (int)n2, full.z + full.aOff[i]);
            bPrefix = 0;
          }
        }
        if (!bPrefix) nBadPrefix++;
        sdb_iter_free(pD);
      }
    }
    gnFailAt = 0;
    rowsFree(&full);
    rowsFree(&part);
  }
  CHECKF("descfail: rows before a failed GET are a prefix of the scan", nBadPrefix == 0 && nCase > 100,
         "%d of %d cases not a prefix", nBadPrefix, nCase);
  CHECKF("descfail: every failed GET is reported", nNoErr == 0, "%d of %d scans ended without error", nNoErr, nCase);
  layersFree(&L);
  sdbStoreFree(fs.pIn);
  (void)!system(zCmd);
  return test_done();
}
