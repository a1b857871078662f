/*
** t_manifest_enc.c: ManifestV1 encoding. Every manifest of every fixture is
** decoded, re-encoded, decoded again: the two decodings must agree on every
** field (compared through sdbManifestSummary and the SST info copies), and
** encoding is a fixed point (encode(decode(encode(m))) == encode(m)).
** Manifests this build cannot represent are refused.
*/
#include <dirent.h>

#include "test.h"
#include "meta/manifest.h"
#include "meta/manifest_enc.h"

static int sameInfo(const SdbSstInfo *a, const SdbSstInfo *b) {
  return a->indexOffset == b->indexOffset && a->indexLen == b->indexLen &&
         a->filterOffset == b->filterOffset && a->filterLen == b->filterLen &&
         a->statsOffset == b->statsOffset && a->statsLen == b->statsLen &&
         a->eCodec == b->eCodec && a->eSstType == b->eSstType &&
         a->bHasFirst == b->bHasFirst && a->nFirst == b->nFirst &&
         (!a->nFirst || memcmp(a->pFirst, b->pFirst, a->nFirst) == 0) &&
         a->bHasLast == b->bHasLast && a->nLast == b->nLast &&
         (!a->nLast || memcmp(a->pLast, b->pLast, a->nLast) == 0);
}

static int sameHandles(const SdbSstHandle *a, const SdbSstHandle *b, int n) {
  for (int i = 0; i < n; i++) {
    if (a[i].id.hi != b[i].id.hi || a[i].id.lo != b[i].id.lo) return 0;
    if (a[i].bHasFormatVersion != b[i].bHasFormatVersion || a[i].formatVersion != b[i].formatVersion) return 0;
    if (!sameInfo(&a[i].info, &b[i].info)) return 0;
  }
  return 1;
}

/* Drop the "size":N, member (the object size differs between encoders). */
static void dropSize(char *z) {
  char *p = z ? strstr(z, "\"size\":") : NULL;
  char *q = p ? strchr(p, ',') : NULL;
  if (q) memmove(p, q + 1, strlen(q + 1) + 1);
}

static int sameManifest(const SdbManifest *a, const SdbManifest *b) {
  char *za = sdbManifestSummary(a), *zb = sdbManifestSummary(b);
  dropSize(za);
  dropSize(zb);
  int bSame = za && zb && strcmp(za, zb) == 0;
  sdbFree(za);
  sdbFree(zb);
  if (!bSame || a->nL0 != b->nL0 || a->nRun != b->nRun || a->nCkpt != b->nCkpt) return 0;
  if (!sameHandles(a->aL0, b->aL0, a->nL0)) return 0;
  for (int r = 0; r < a->nRun; r++) {
    if (a->aRun[r].nSst != b->aRun[r].nSst || !sameHandles(a->aRun[r].aSst, b->aRun[r].aSst, a->aRun[r].nSst)) return 0;
  }
  for (int c = 0; c < a->nCkpt; c++) {
    const SdbCheckpoint *x = &a->aCkpt[c], *y = &b->aCkpt[c];
    if (memcmp(x->aId, y->aId, 16) || x->manifestId != y->manifestId || x->expireTimeS != y->expireTimeS ||
        x->createTimeS != y->createTimeS || (x->zName == NULL) != (y->zName == NULL)) return 0;
  }
  return a->nSeqTracker == b->nSeqTracker &&
         (!a->nSeqTracker || memcmp(a->pSeqTracker, b->pSeqTracker, a->nSeqTracker) == 0);
}

int main(void) {
  char zFix[1024];
  snprintf(zFix, sizeof(zFix), "%s/c-tests/fixtures", test_srcdir());
  DIR *d = opendir(zFix);
  struct dirent *e;
  int nFile = 0, nBad = 0, nFixed = 0;
  while (d && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char zDir[1200];
    snprintf(zDir, sizeof(zDir), "%s/%s/db/manifest", zFix, e->d_name);
    DIR *dm = opendir(zDir);
    struct dirent *f;
    while (dm && (f = readdir(dm)) != NULL) {
      if (f->d_name[0] == '.') continue;
      char zPath[2400];
      u8 *a = NULL, *b = NULL, *c = NULL;
      size_t n = 0, nb = 0, nc = 0;
      SdbManifest *m1 = NULL, *m2 = NULL, *m3 = NULL;
      SdbErr err = {0};
      snprintf(zPath, sizeof(zPath), "%s/%s", zDir, f->d_name);
      if (!test_read_file(zPath, &a, &n)) continue;
      nFile++;
      int ok = sdbManifestDecode(a, n, &m1, &err) == SDB_OK &&
               sdbManifestEncode(m1, &b, &nb, &err) == SDB_OK &&
               sdbManifestDecode(b, nb, &m2, &err) == SDB_OK && sameManifest(m1, m2);
      if (!ok) {
        nBad++;
        printf("# %s: %s\n", zPath, err.zMsg);
      } else if (sdbManifestEncode(m2, &c, &nc, &err) == SDB_OK && nc == nb && memcmp(b, c, nb) == 0 &&
                 sdbManifestDecode(c, nc, &m3, &err) == SDB_OK) {
        nFixed++;
      }
      sdbManifestFree(m1); sdbManifestFree(m2); sdbManifestFree(m3);
      free(a); sdbFree(b); sdbFree(c);
    }
    if (dm) closedir(dm);
  }
  if (d) closedir(d);
  CHECKF("manifest-enc: fixture manifests found", nFile >= 20, "%d", nFile);
  CHECKF("manifest-enc: decode(encode(m)) == m for every fixture manifest", nBad == 0, "%d of %d differ", nBad, nFile);
  CHECKF("manifest-enc: encoding is a fixed point", nFixed == nFile, "%d of %d", nFixed, nFile);

  /* Refusals */
  SdbManifest m;
  memset(&m, 0, sizeof(m));
  u8 *a = NULL;
  size_t n = 0;
  SdbErr err = {0};
  m.eFormat = 2;
  CHECK("manifest-enc: a ManifestV2 is not rewritten", sdbManifestEncode(&m, &a, &n, &err) == SDB_UNSUPPORTED);
  m.eFormat = 1;
  m.bUnknownFields = 1;
  CHECK("manifest-enc: unknown fields are not dropped", sdbManifestEncode(&m, &a, &n, &err) == SDB_UNSUPPORTED);
  m.bUnknownFields = 0;
  m.bInitialized = 1;
  m.lastL0ClockTick = INT64_MIN;
  SdbManifest *pBack = NULL;
  int rc = sdbManifestEncode(&m, &a, &n, &err);
  CHECKF("manifest-enc: a fresh manifest encodes", rc == SDB_OK && a[0] == 0 && a[1] == 1, "rc=%d", rc);
  rc = sdbManifestDecode(a, n, &pBack, &err);
  CHECKF("manifest-enc: a fresh manifest decodes", rc == SDB_OK && pBack->bInitialized &&
         pBack->lastL0ClockTick == INT64_MIN && pBack->nSeqTracker == 13, "rc=%d %s", rc, err.zMsg);
  sdbManifestFree(pBack);
  sdbFree(a);
  return test_done();
}
