/*
** t_manifest_enc.c: ManifestV1 encoding. Every manifest of every fixture is
** decoded, re-encoded, decoded again: the two decodings must agree on every
** field (compared through manifestSummary and the SST info copies), and
** encoding is a fixed point (encode(decode(encode(m))) == encode(m)).
** Manifests this build cannot represent are refused.
** sdbManifestCopy: the copy of every fixture manifest and of one built with
** every kind of field equals the original field by field, encodes to the
** same bytes, shares no pointer with it and outlives it.
*/
#include <dirent.h>

#include "test.h"
#include "meta/manifest.h"
#include "manifest_view.h"
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
  char *za = manifestSummary(a), *zb = manifestSummary(b);
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

static int sameBytes(const void *a, size_t na, const void *b, size_t nb) {
  return na == nb && (a == NULL) == (b == NULL) && (!na || memcmp(a, b, na) == 0);
}

static int sameStr(const char *a, const char *b) {
  return (a == NULL) == (b == NULL) && (!a || strcmp(a, b) == 0);
}

static int sameBound(const SdbBound *a, const SdbBound *b) {
  return a->eType == b->eType && a->bHasKey == b->bHasKey && sameBytes(a->pKey, a->nKey, b->pKey, b->nKey);
}

/* Every field of n handles, the struct bytes aside from pointers included. */
static int sameHandlesDeep(const SdbSstHandle *a, const SdbSstHandle *b, int n) {
  for (int i = 0; i < n; i++) {
    if (a[i].viewId.hi != b[i].viewId.hi || a[i].viewId.lo != b[i].viewId.lo) return 0;
    if (a[i].bHasVisibleRange != b[i].bHasVisibleRange || !sameBound(&a[i].visStart, &b[i].visStart) ||
        !sameBound(&a[i].visEnd, &b[i].visEnd) || a[i].info.eFilterFormat != b[i].info.eFilterFormat) return 0;
  }
  return sameHandles(a, b, n);
}

/* Field by field, every list and byte run included. */
static int sameManifestDeep(const SdbManifest *a, const SdbManifest *b) {
  if (!sameManifest(a, b) || !sameHandlesDeep(a->aL0, b->aL0, a->nL0)) return 0;
  for (int r = 0; r < a->nRun; r++) {
    if (a->aRun[r].id != b->aRun[r].id || !sameHandlesDeep(a->aRun[r].aSst, b->aRun[r].aSst, a->aRun[r].nSst)) return 0;
  }
  for (int c = 0; c < a->nCkpt; c++) {
    const SdbCheckpoint *x = &a->aCkpt[c], *y = &b->aCkpt[c];
    if (!sameStr(x->zName, y->zName) || x->eMetaType != y->eMetaType || x->bHasWriterEpoch != y->bHasWriterEpoch ||
        x->writerEpoch != y->writerEpoch) return 0;
  }
  if (a->nExtDb != b->nExtDb) return 0;
  for (int i = 0; i < a->nExtDb; i++) {
    const SdbExternalDb *x = &a->aExtDb[i], *y = &b->aExtDb[i];
    if (!sameStr(x->zPath, y->zPath) || memcmp(x->aSourceCkpt, y->aSourceCkpt, 16) ||
        x->bHasFinalCkpt != y->bHasFinalCkpt || memcmp(x->aFinalCkpt, y->aFinalCkpt, 16) ||
        !sameBytes(x->aSstId, sizeof(SdbUlid) * (size_t)x->nSstId, y->aSstId, sizeof(SdbUlid) * (size_t)y->nSstId)) {
      return 0;
    }
  }
  return a->eFormat == b->eFormat && a->manifestIdField == b->manifestIdField &&
         a->bHasL0LastCompacted == b->bHasL0LastCompacted && a->l0LastCompacted.hi == b->l0LastCompacted.hi &&
         a->l0LastCompacted.lo == b->l0LastCompacted.lo && a->lastL0ClockTick == b->lastL0ClockTick &&
         a->lastL0Seq == b->lastL0Seq && a->recentSnapshotMinSeq == b->recentSnapshotMinSeq &&
         a->bHasSeqTracker == b->bHasSeqTracker && a->bUnknownFields == b->bUnknownFields &&
         a->nextId == b->nextId && sameStr(a->zWalObjectStoreUri, b->zWalObjectStoreUri) &&
         sameBytes(a->pRaw, a->nRaw, b->pRaw, b->nRaw);
}

/* 1 when p (non-NULL) is one of the n handles' pointers of a. */
static int handlesShare(const SdbSstHandle *a, const SdbSstHandle *b, int n) {
  for (int i = 0; i < n; i++) {
    const void *pa[] = {a[i].info.pFirst, a[i].info.pLast, a[i].visStart.pKey, a[i].visEnd.pKey};
    const void *pb[] = {b[i].info.pFirst, b[i].info.pLast, b[i].visStart.pKey, b[i].visEnd.pKey};
    for (int k = 0; k < 4; k++) if (pa[k] && pa[k] == pb[k]) return 1;
  }
  return 0;
}

/* 1 when a and b share no allocation. */
static int disjoint(const SdbManifest *a, const SdbManifest *b) {
  if (a == b || (a->aL0 && a->aL0 == b->aL0) || (a->aRun && a->aRun == b->aRun) ||
      (a->aCkpt && a->aCkpt == b->aCkpt) || (a->aExtDb && a->aExtDb == b->aExtDb) ||
      (a->pRaw && a->pRaw == b->pRaw) || (a->pSeqTracker && a->pSeqTracker == b->pSeqTracker) ||
      (a->zWalObjectStoreUri && a->zWalObjectStoreUri == b->zWalObjectStoreUri)) return 0;
  if (handlesShare(a->aL0, b->aL0, a->nL0)) return 0;
  for (int r = 0; r < a->nRun; r++) {
    if (a->aRun[r].aSst && a->aRun[r].aSst == b->aRun[r].aSst) return 0;
    if (handlesShare(a->aRun[r].aSst, b->aRun[r].aSst, a->aRun[r].nSst)) return 0;
  }
  for (int c = 0; c < a->nCkpt; c++) if (a->aCkpt[c].zName && a->aCkpt[c].zName == b->aCkpt[c].zName) return 0;
  for (int i = 0; i < a->nExtDb; i++) {
    if (a->aExtDb[i].zPath && a->aExtDb[i].zPath == b->aExtDb[i].zPath) return 0;
    if (a->aExtDb[i].aSstId && a->aExtDb[i].aSstId == b->aExtDb[i].aSstId) return 0;
  }
  return 1;
}

/* Copy m (ownership taken: it is freed before the copy is used again); 1 when
** the copy equals it deeply, shares nothing, and encodes as it did. */
static int copyChecks(SdbManifest *m, const char *zWhat) {
  SdbManifest *c = NULL;
  SdbErr err = {0};
  u8 *a = NULL, *b = NULL;
  size_t na = 0, nb = 0;
  int ok = sdbManifestCopy(m, &c, &err) == SDB_OK && sameManifestDeep(m, c) && disjoint(m, c);
  int rcA = sdbManifestEncode(m, &a, &na, &err);
  sdbManifestFree(m);                      /* the copy must not need the original */
  int rcB = ok ? sdbManifestEncode(c, &b, &nb, &err) : rcA;
  ok = ok && rcA == rcB && (rcA != SDB_OK || sameBytes(a, na, b, nb));
  if (!ok) printf("# copy of %s differs\n", zWhat);
  sdbManifestFree(c);
  sdbFree(a);
  sdbFree(b);
  return ok;
}

/* Bytes n long, filled with v: a sdbMalloc'd key. */
static u8 *keyOf(u8 v, u32 n) {
  u8 *p = sdbMalloc(n);
  memset(p, v, n);
  return p;
}

/* A manifest with every kind of field set, built in memory (caller frees). */
static SdbManifest *fullManifest(void) {
  SdbManifest *m = sdbMallocZero(sizeof(*m));
  m->eFormat = 1;
  m->bInitialized = 1;
  m->writerEpoch = 3;
  m->compactorEpoch = 2;
  m->replayAfterWalId = 7;
  m->walIdLastSeen = 9;
  m->bHasL0LastCompacted = 1;
  m->l0LastCompacted = (SdbUlid){5, 6};
  m->lastL0ClockTick = 1234;
  m->lastL0Seq = 99;
  m->recentSnapshotMinSeq = 98;
  m->nextId = 11;
  m->zWalObjectStoreUri = sdbStrdup("s3://bucket/wal");
  m->nL0 = 2;
  m->aL0 = sdbMallocZero(2 * sizeof(SdbSstHandle));
  for (int i = 0; i < 2; i++) {
    SdbSstHandle *h = &m->aL0[i];
    h->id = h->viewId = (SdbUlid){1, (u64)i + 1};
    h->bHasFormatVersion = 1;
    h->formatVersion = 2;
    h->info.bHasFirst = 1;
    h->info.nFirst = 3;
    h->info.pFirst = keyOf('a', 3);
    h->info.indexOffset = 100;
    h->info.indexLen = 20;
    h->bHasVisibleRange = 1;
    h->visStart = (SdbBound){SDB_BOUND_INCLUDED, 1, keyOf('b', 2), 2};
    h->visEnd = (SdbBound){SDB_BOUND_UNBOUNDED, 0, NULL, 0};
  }
  m->nRun = 1;
  m->aRun = sdbMallocZero(sizeof(SdbSortedRun));
  m->aRun[0].id = 4;
  m->aRun[0].nSst = 1;
  m->aRun[0].aSst = sdbMallocZero(sizeof(SdbSstHandle));
  m->aRun[0].aSst[0].id = m->aRun[0].aSst[0].viewId = (SdbUlid){2, 2};
  m->aRun[0].aSst[0].info.bHasLast = 1;
  m->aRun[0].aSst[0].info.nLast = 4;
  m->aRun[0].aSst[0].info.pLast = keyOf('z', 4);
  m->nCkpt = 2;
  m->aCkpt = sdbMallocZero(2 * sizeof(SdbCheckpoint));
  m->aCkpt[0].aId[0] = 1;
  m->aCkpt[0].manifestId = 10;
  m->aCkpt[0].zName = sdbStrdup("nightly");
  m->aCkpt[1].aId[0] = 2;
  m->aCkpt[1].eMetaType = SDB_CKPT_META_WRITER;
  m->aCkpt[1].bHasWriterEpoch = 1;
  m->aCkpt[1].writerEpoch = 3;
  m->nExtDb = 1;
  m->aExtDb = sdbMallocZero(sizeof(SdbExternalDb));
  m->aExtDb[0].zPath = sdbStrdup("/other/db");
  m->aExtDb[0].aSourceCkpt[3] = 7;
  m->aExtDb[0].nSstId = 2;
  m->aExtDb[0].aSstId = sdbMallocZero(2 * sizeof(SdbUlid));
  m->aExtDb[0].aSstId[1] = (SdbUlid){8, 9};
  m->bHasSeqTracker = 1;
  m->nSeqTracker = 5;
  m->pSeqTracker = keyOf(0, 5);
  m->nRaw = 6;
  m->pRaw = keyOf('r', 6);
  return m;
}

int main(void) {
  char zFix[1024];
  snprintf(zFix, sizeof(zFix), "%s/c-tests/fixtures", test_srcdir());
  DIR *d = opendir(zFix);
  struct dirent *e;
  int nFile = 0, nBad = 0, nFixed = 0, nCopyBad = 0;
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
      SdbManifest *m4 = NULL;
      if (sdbManifestDecode(a, n, &m4, &err) == SDB_OK) nCopyBad += !copyChecks(m4, zPath);
      sdbManifestFree(m1); sdbManifestFree(m2); sdbManifestFree(m3);
      free(a); sdbFree(b); sdbFree(c);
    }
    if (dm) closedir(dm);
  }
  if (d) closedir(d);
  CHECKF("manifest-enc: fixture manifests found", nFile >= 20, "%d", nFile);
  CHECKF("manifest-enc: decode(encode(m)) == m for every fixture manifest", nBad == 0, "%d of %d differ", nBad, nFile);
  CHECKF("manifest-enc: encoding is a fixed point", nFixed == nFile, "%d of %d", nFixed, nFile);
  CHECKF("manifest-enc: a copy of every fixture manifest equals it, shares nothing, encodes the same",
         nCopyBad == 0, "%d of %d", nCopyBad, nFile);
  SdbManifest *pFull = fullManifest();
  SdbManifest *pCopy = NULL;
  SdbErr errC = {0};
  int rcC = sdbManifestCopy(pFull, &pCopy, &errC);
  CHECKF("manifest-enc: a copy has every field of a manifest built in memory",
         rcC == SDB_OK && sameManifestDeep(pFull, pCopy) && disjoint(pFull, pCopy), "rc=%d", rcC);
  if (pCopy) {
    pCopy->aL0[0].visStart.pKey[0] = 'X';   /* editing the copy leaves the original */
    pCopy->aCkpt[0].zName[0] = 'X';
    CHECK("manifest-enc: editing a copy leaves the original",
          pFull->aL0[0].visStart.pKey[0] == 'b' && strcmp(pFull->aCkpt[0].zName, "nightly") == 0);
  }
  sdbManifestFree(pCopy);
  CHECK("manifest-enc: the copy of a full manifest outlives it and encodes the same",
        copyChecks(pFull, "the full manifest"));

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
