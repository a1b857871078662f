/*
** t_scanmem.c: what an SST iterator holds once its scan is over.
**
** A cursor keeps its engine iterator until the statement ends (a join seeks
** it again), and the lookahead rule keeps an iterator's last block one step
** longer, so an iterator at its end must not keep the read-ahead windows of
** the scan it finished: their buffers (up to 32 blocks a window on a local
** store, 1 MiB GETs on S3) are freed at the end of a range, and only small
** ones (which a point lookup reuses) stay. Memory is counted by an allocator
** installed with sdb_config_alloc (c-tests/testalloc.h).
*/
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "store/objstore.h"
#include "table/sst.h"
#include "table/sst_build.h"
#include "table/sstinfo.h"
#include "testalloc.h"

/* An SST of nRow rows with 100-byte values in 4 KiB blocks, stored at zKey. */
static int buildSst(SdbStore *s, const char *zKey, int nRow, SdbSstInfo *pInfo) {
  SdbSstOptions o;
  SdbErr err;
  SdbBuf out = {0};
  sdbSstOptionsDefault(&o);
  SdbSstBuilder *b = sdbSstBuilderNew(&o);
  int rc = b ? SDB_OK : SDB_NOMEM;
  for (int i = 0; i < nRow && rc == SDB_OK; i++) {
    char k[32], v[101];
    int nk = snprintf(k, sizeof(k), "key%08d", i);
    memset(v, 'a' + i % 26, 100);
    SdbEntry e = {(const u8 *)k, (size_t)nk, (const u8 *)v, 100, (u64)i + 1, SDB_KIND_VALUE,
                  0, 0, 0, 0};
    rc = sdbSstBuilderAdd(b, &e, &err);
  }
  if (rc == SDB_OK) rc = sdbSstBuilderFinish(b, &out, pInfo, &err);
  if (rc == SDB_OK) rc = s->pMethods->xPut(s, zKey, out.a, out.n, 0, &err);
  sdbSstBuilderFree(b);
  sdbBufFree(&out);
  return rc;
}

/* Scan [lo, hi) of the SST (both NULL: all of it) in direction bDesc to its
** end; the bytes the iterator holds then, above what it held at its start. */
static long heldAtEnd(SdbSst *p, const char *zLo, const char *zHi, int bDesc, int *pnRow) {
  SdbRange r;
  SdbErr err;
  SdbIter *it = NULL;
  memset(&r, 0, sizeof(r));
  if (zLo) { r.bHasLo = 1; r.pLo = (const u8 *)zLo; r.nLo = strlen(zLo); }
  if (zHi) { r.bHasHi = 1; r.bHiExcl = 1; r.pHi = (const u8 *)zHi; r.nHi = strlen(zHi); }
  long nBase = testAllocBytes();
  *pnRow = 0;
  if (sdbSstIterNew(p, (zLo || zHi) ? &r : NULL, bDesc, &it, &err)) return -1;
  while (!it->bEof) {
    (*pnRow)++;
    if (sdb_iter_next(it, &err)) { sdb_iter_free(it); return -1; }
  }
  long nHeld = testAllocBytes() - nBase;
  sdb_iter_free(it);
  return nHeld;
}

int main(void) {
  CHECK("scanmem: counting allocator installed", testAllocInstall() == SDB_OK);
  char zDir[64], zCmd[128];
  snprintf(zDir, sizeof(zDir), "/tmp/sdb-scanmem-%d", (int)getpid());
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  (void)!system(zCmd);
  SdbStore *s = NULL;
  SdbSst *p = NULL;
  SdbSstInfo info;
  SdbErr err;
  memset(&info, 0, sizeof(info));
  int rc = mkdir(zDir, 0700) ? SDB_IOERR : sdbStoreOpenDir(zDir, 1, 0, &s, &err);
  if (rc == SDB_OK) rc = buildSst(s, "compacted/a.sst", 30000, &info);
  if (rc == SDB_OK) rc = sdbSstOpen(s, "compacted/a.sst", &info, 2, NULL, &p, &err);
  CHECK("scanmem: a 3.8 MB SST of 4 KiB blocks, opened without a cache", rc == SDB_OK);
  if (rc == SDB_OK) {
    /* Without a cache the iterator owns its decoded blocks: the last one
    ** (and the lookahead's one before it) may stay, about 10 KiB; a window
    ** of a local store grows to 32 blocks (128 KiB). */
    static const struct { const char *zLo, *zHi; int bDesc, nWant; const char *zName; } a[] = {
      {NULL, NULL, 0, 30000, "full scan, ascending"},
      {NULL, NULL, 1, 30000, "full scan, descending"},
      {"key00001000", "key00021000", 0, 20000, "range ending inside a block, ascending"},
      {"key00001000", "key00021000", 1, 20000, "range ending inside a block, descending"},
    };
    for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
      int nRow = 0;
      long nHeld = heldAtEnd(p, a[i].zLo, a[i].zHi, a[i].bDesc, &nRow);
      char zName[160];
      snprintf(zName, sizeof(zName), "scanmem: %s: %d rows, the iterator holds %ld bytes at its end",
               a[i].zName, nRow, nHeld);
      CHECK(zName, nRow == a[i].nWant && nHeld >= 0 && nHeld < 64 * 1024);
    }
  }
  sdbSstUnref(p);
  sdbSstInfoClear(&info);
  sdbStoreFree(s);
  (void)!system(zCmd);
  char zLeft[96];
  snprintf(zLeft, sizeof(zLeft), "scanmem: nothing left allocated (%ld bytes)", testAllocBytes());
  CHECK(zLeft, testAllocBytes() == 0);
  return test_done();
}
