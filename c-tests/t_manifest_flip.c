/*
** t_manifest_flip.c: a bit-flip sweep over the latest manifest of fixtures
** that SlateDB 0.12.1 wrote. SlateDB's manifest carries no checksum, so the
** reader cross-checks it (SST entries against each SST's own checksummed
** info, and the manifest's invariants) to turn damage into an error.
**
** For each fixture the database is copied to a temporary directory; then for
** every bit of its latest manifest: flip the bit, open a reader and scan
** everything, flip it back. Each case is classified as
**   error      the open or the scan failed,
**   same       the scan returned exactly SlateDB's rows,
**   different  the scan succeeded with other rows (a silent wrong result).
** The counts are printed (docs/internals.md, "Manifest cross-check", quotes them). Some
** damage cannot be told from a valid manifest (a shorter L0 list, a higher
** last_l0_seq hiding WAL rows), so the test fails when a fixture has more
** silently different cases than the ceiling measured with the cross-check
** (before it, on the same fixtures: 8, 14 and 147).
**
** Bounded: about 22,000 open+scan cycles on the local store (~10 s).
*/
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "meta/manifest.h"
#include "manifest_view.h"
#include "util/sdbInt.h"

/* Run a shell command; 1 on success. */
static int sh(const char *zCmd) { return system(zCmd) == 0; }

/* Hash of every row (key, value) of a full scan into *pHash, count in *pn.
** Returns the scan's rc. */
static int scanAll(const char *zDir, u64 *pHash, int *pn, SdbErr *pErr) {
  SdbConfig cfg = {.zUrl = zDir, .bReadOnly = 1, .eMergeOp = SDB_MERGE_CONCAT,
                   .nCacheBytes = 1 << 20};
  SdbDb *db = NULL;
  SdbIter *it = NULL;
  u64 h = 1469598103934665603ull;
  int n = 0;
  int rc = sdb_db_open(&cfg, &db, pErr);
  if (rc == SDB_OK) rc = sdb_db_scan(db, NULL, 0, &it, pErr);
  while (rc == SDB_OK && !it->bEof) {
    const SdbEntry *e = &it->cur;
    for (size_t i = 0; i < e->nKey; i++) h = (h ^ e->pKey[i]) * 1099511628211ull;
    h = (h ^ 0x100) * 1099511628211ull;
    for (size_t i = 0; i < e->nVal; i++) h = (h ^ e->pVal[i]) * 1099511628211ull;
    h = (h ^ 0x200) * 1099511628211ull;
    n++;
    rc = sdb_iter_next(it, pErr);
  }
  sdb_iter_free(it);
  sdb_db_close(db);
  *pHash = h;
  *pn = n;
  return rc;
}

/* The path of the newest manifest under zDir/manifest into zOut. */
static int latestManifest(const char *zDir, char *zOut, size_t nOut) {
  char zCmd[1200];
  snprintf(zCmd, sizeof(zCmd), "ls %s/manifest | tail -1", zDir);
  FILE *f = popen(zCmd, "r");
  char zName[256] = {0};
  int ok = f && fgets(zName, sizeof(zName), f) != NULL;
  if (f) pclose(f);
  zName[strcspn(zName, "\n")] = 0;
  snprintf(zOut, nOut, "%s/manifest/%s", zDir, zName);
  return ok && zName[0];
}

static int writeFile(const char *zPath, const u8 *a, size_t n) {
  FILE *f = fopen(zPath, "wb");
  if (!f) return 0;
  int ok = fwrite(a, 1, n, f) == n;
  return (fclose(f) == 0) && ok;
}

static void sweep(const char *zFixture, int nCeiling) {
  char zSrc[1024], zDir[256], zCmd[2600], zMan[1400], zTest[256];
  snprintf(zSrc, sizeof(zSrc), "%s/c-tests/fixtures/%s/db", test_srcdir(), zFixture);
  snprintf(zDir, sizeof(zDir), "/tmp/sdb-flip-%d-%s", (int)getpid(), zFixture);
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s && cp -r %s %s", zDir, zSrc, zDir);
  snprintf(zTest, sizeof(zTest), "flip %s: copy the fixture", zFixture);
  CHECK(zTest, sh(zCmd) && latestManifest(zDir, zMan, sizeof(zMan)));
  u8 *a = NULL;
  size_t n = 0;
  if (!test_read_file(zMan, &a, &n)) return;
  u64 hGood;
  int nGood;
  SdbErr err = {0};
  int rc = scanAll(zDir, &hGood, &nGood, &err);
  snprintf(zTest, sizeof(zTest), "flip %s: the unmodified database scans", zFixture);
  CHECKF(zTest, rc == SDB_OK && nGood > 0, "rc=%d %s", rc, err.zMsg);
  int nErr = 0, nSame = 0, nDiff = 0, nLost = 0;
  for (size_t bit = 0; rc == SDB_OK && bit < n * 8; bit++) {
    a[bit / 8] ^= (u8)(1u << (bit % 8));
    u64 h;
    int nRow;
    if (!writeFile(zMan, a, n)) break;
    if (scanAll(zDir, &h, &nRow, &err) != SDB_OK) nErr++;
    else if (h == hGood && nRow == nGood) nSame++;
    else {
      if (getenv("SDB_FLIP_DEBUG")) {
        SdbManifest *m = NULL;
        if (sdbManifestDecode(a, n, &m, &err) == SDB_OK) {
          char *z = manifestSummary(m);
          printf("# bit %zu: %s\n", bit, z);
          sdbFree(z);
        }
        sdbManifestFree(m);
      }
      if (nDiff < 3) printf("# %s: bit %zu (byte %zu) gives %d rows instead of %d\n", zFixture, bit,
                            bit / 8, nRow, nGood);
      nDiff++;
      if (nRow < nGood) nLost += nGood - nRow;
    }
    a[bit / 8] ^= (u8)(1u << (bit % 8));
  }
  writeFile(zMan, a, n);
  printf("# %s: %zu bits of %s: %d error, %d same rows, %d silently different rows"
         " (%d rows missing in all)\n", zFixture, n * 8, strrchr(zMan, '/') + 1, nErr, nSame, nDiff,
         nLost);
  snprintf(zTest, sizeof(zTest), "flip %s: at most %d flipped manifest bits silently change a"
           " scan", zFixture, nCeiling);
  CHECKF(zTest, nDiff <= nCeiling, "%d of %zu cases return different rows without an error",
         nDiff, n * 8);
  free(a);
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  sh(zCmd);
}

int main(int argc, char **argv) {
  if (argc > 1) {
    for (int i = 1; i < argc; i++) sweep(argv[i], 0);   /* by hand: report every case */
  } else {
    sweep("edge", 2);          /* L0s, WAL on top */
    sweep("l0-only", 2);       /* five L0s */
    sweep("sorted-runs", 73);  /* L0s, two sorted runs, checkpoints */
  }
  return test_done();
}
